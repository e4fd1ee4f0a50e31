/*
 * posix_sys.h - what the core asks of the OS, POSIX flavour: the clock,
 * the entropy source and the log sink (stderr with a timestamp).
 */
#ifndef POSIX_SYS_H
#define POSIX_SYS_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in milliseconds (CLOCK_REALTIME): the engine's clock. */
uint64_t posix_now_ms(void);

/* Fills buf with random bytes from the kernel (getrandom); 0 or -1. */
int posix_entropy(void *buf, size_t len);

/* The engine's log hook (imap_log_fn): one line on stderr,
 * "2026-11-27T11:20:35.123Z imapd[info]: msg".  ctx points to an int,
 * the highest level printed (IMAP_LOG_*), or is NULL for INFO. */
void posix_log(void *ctx, int level, const char *msg);
/* printf-style convenience for the port's own lines. */
void posix_logf(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets the level posix_logf uses (posix_log uses its ctx). */
void posix_log_set_level(int level);

#endif
