/*
 * firmware_log.c - timestamped log lines on the UART.
 */
#include "firmware_log.h"

#include <stdarg.h>

#include "board.h"
#include "imap/imap.h"

static int fw_log_level = IMAP_LOG_INFO;

void fw_log_set_level(int level)
{
    fw_log_level = level;
}

void fw_log(void *ctx, int level, const char *msg)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    (void)ctx;
    if (level > fw_log_level)
        return;
    char stamp[32];
    fw_format_time(stamp, sizeof(stamp), board_now_ms());
    board_printf("%s imapd[%s]: %s\n", stamp, names[level & 3], msg);
}

void fw_logf(int level, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    board_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fw_log(NULL, level, msg);
}

void fw_format_time(char *buf, size_t cap, uint64_t ms)
{
    uint64_t secs = ms / 1000;
    long days = (long)(secs / 86400);
    unsigned sod = (unsigned)(secs % 86400);
    /* Civil date from days since 1970-01-01 (Gregorian, era arithmetic). */
    long z = days + 719468;
    long era = z / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    board_snprintf(buf, cap, "%04ld-%02ld-%02ldT%02u:%02u:%02u.%03uZ", y, m, d,
                   sod / 3600, sod / 60 % 60, sod % 60, (unsigned)(ms % 1000));
}
