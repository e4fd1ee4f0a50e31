/*
 * firmware_stats.h - run-time high-water marks of the firmware (stack,
 * lwIP pools and heap, the mbedTLS allocator, sessions), logged at stop
 * and on 's' at the console.
 */
#ifndef FIRMWARE_STATS_H
#define FIRMWARE_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Hands mbedTLS its static heap (before anything hashes a password). */
void fw_heap_init(void);
void fw_print_stats(void);

#endif
