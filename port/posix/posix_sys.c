/*
 * posix_sys.c - clock, entropy and log sink for the POSIX port.
 */
#include "posix_sys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "imap/imap.h"

static int posix_log_level = IMAP_LOG_INFO;

uint64_t posix_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int posix_entropy(void *buf, size_t len)
{
    unsigned char *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static const char *level_name(int level)
{
    switch (level) {
    case IMAP_LOG_ERR: return "error";
    case IMAP_LOG_WARN: return "warning";
    case IMAP_LOG_INFO: return "info";
    default: return "debug";
    }
}

static void log_line(int level, const char *msg)
{
    uint64_t ms = posix_now_ms();
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    char stamp[32];

    gmtime_r(&sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per line: lines from one process never interleave. */
    fprintf(stderr, "%s.%03uZ imapd[%s]: %s\n", stamp, (unsigned)(ms % 1000),
            level_name(level), msg);
}

void posix_log(void *ctx, int level, const char *msg)
{
    int max = ctx ? *(const int *)ctx : posix_log_level;
    if (level <= max)
        log_line(level, msg);
}

void posix_log_set_level(int level)
{
    posix_log_level = level;
}

void posix_logf(int level, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    if (level > posix_log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_line(level, buf);
}
