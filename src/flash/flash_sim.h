/*
 * flash_sim.h - a flash chip simulated over plain byte storage.
 *
 * The simulator enforces the rules of flash.h on top of a "medium" (RAM for
 * the tests, a file on the host, a semihosted file on a board) so that code
 * which works on the simulator works on a real chip:
 *   - prog() of a byte that is not erased (0xFF) is FLASH_ERULE;
 *   - with FLASH_F_PROG_ONCE and a program map, programming a unit twice
 *     between erases is FLASH_ERULE even when the bytes would allow it;
 *   - misaligned or out-of-range prog()/erase() is FLASH_EINVAL.
 *
 * Power cuts: flash_sim_cut_at(s, n, seed) makes the n-th program or erase
 * (counting from 1 since init) be torn the way a brown-out tears it, and the
 * device dead afterwards (every call FLASH_EPOWER):
 *   - a torn program wrote a random prefix of its bytes, and the byte in
 *     flight has only some of its bits programmed;
 *   - a torn erase erased a random prefix of the block and left the rest.
 * The test then "powers up" with a fresh flash_sim_init over the same medium.
 */
#ifndef FLASH_SIM_H
#define FLASH_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "flash/flash.h"

/* Plain storage under the simulator: no rules, just bytes. */
typedef struct flash_medium {
    int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t addr, const void *buf, size_t len);
    int (*sync)(void *ctx);
    void *ctx;
} flash_medium_t;

typedef struct flash_sim_stats {
    uint64_t reads, read_bytes;
    uint64_t progs, prog_bytes;
    uint64_t erases;
    uint64_t syncs;
} flash_sim_stats_t;

typedef struct flash_sim {
    flash_medium_t medium;
    flash_geometry_t geo;
    uint64_t ops;            /* programs + erases since init */
    uint64_t cut_at;         /* 0: never; else the op that is torn */
    uint32_t rng;            /* tear pattern state */
    bool dead;               /* power is off */
    /* Optional caller memory (NULL: not kept):
     *   prog_map: one bit per program unit, set when programmed (PROG_ONCE);
     *   erase_counts: one counter per erase block (wear statistics). */
    uint8_t *prog_map;
    uint32_t *erase_counts;
    flash_sim_stats_t stats;
} flash_sim_t;

void flash_sim_init(flash_sim_t *s, const flash_geometry_t *geo,
                    const flash_medium_t *medium);
/* Fills dev so that the store talks to this simulator. */
void flash_sim_dev(flash_sim_t *s, flash_dev_t *dev);
/* Arms a power cut at program/erase number op (1-based; 0 disarms). */
void flash_sim_cut_at(flash_sim_t *s, uint64_t op, uint32_t seed);

#endif
