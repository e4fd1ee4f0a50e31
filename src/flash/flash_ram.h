/*
 * flash_ram.h - a flash device in caller RAM (tests, fuzzers, benchmarks).
 *
 * The same simulator as the host's file device, so flash rules and power
 * cuts behave identically.  The caller owns mem (geo->size bytes); a fresh
 * device is fully erased.
 */
#ifndef FLASH_RAM_H
#define FLASH_RAM_H

#include "flash/flash_sim.h"

typedef struct flash_ram {
    uint8_t *mem;
    flash_sim_t sim;
    flash_dev_t dev;   /* what the store is given */
} flash_ram_t;

/* Wraps mem as a device; erase_all fills it with 0xFF first. */
void flash_ram_init(flash_ram_t *r, uint8_t *mem, const flash_geometry_t *geo,
                    bool erase_all);
/* Power back on after a cut: same bytes, fresh simulator (stats reset;
 * prog_map and erase_counts pointers are kept). */
void flash_ram_power_up(flash_ram_t *r);

#endif
