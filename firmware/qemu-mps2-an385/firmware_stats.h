/*
 * firmware_stats.h - run-time high-water marks of the firmware (stack,
 * lwIP pools and heap, the mbedTLS allocator, sessions) and the log's
 * time stamps.
 */
#ifndef FIRMWARE_STATS_H
#define FIRMWARE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Hands mbedTLS its static heap (before anything hashes a password). */
void fw_heap_init(void);
void fw_print_stats(void);
/* "2026-11-27T11:20:35.123Z" from Unix milliseconds. */
void fw_format_time(char *buf, size_t cap, uint64_t ms);

#endif
