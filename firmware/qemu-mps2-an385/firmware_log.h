/*
 * firmware_log.h - log lines on the console, in imapd's format:
 * "2026-11-27T11:20:35.123Z imapd[info]: msg" (the tests read them).
 */
#ifndef FIRMWARE_LOG_H
#define FIRMWARE_LOG_H

#include <stddef.h>
#include <stdint.h>

/* The engine's log hook (imap_log_fn); ctx is unused. */
void fw_log(void *ctx, int level, const char *msg);
void fw_logf(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Highest level printed (IMAP_LOG_*). */
void fw_log_set_level(int level);
/* "2026-11-27T11:20:35.123Z" from Unix milliseconds. */
void fw_format_time(char *buf, size_t cap, uint64_t ms);

#endif
