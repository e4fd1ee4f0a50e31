/*
 * flash_ram.c - the RAM medium under the flash simulator.
 */
#include "flash/flash_ram.h"

#include <string.h>

static int ram_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    flash_ram_t *r = ctx;
    memcpy(buf, r->mem + addr, len);
    return 0;
}

static int ram_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    flash_ram_t *r = ctx;
    memcpy(r->mem + addr, buf, len);
    return 0;
}

static void ram_attach(flash_ram_t *r, const flash_geometry_t *geo)
{
    const flash_medium_t medium = {
        .read = ram_read, .write = ram_write, .sync = NULL, .ctx = r,
    };
    flash_sim_init(&r->sim, geo, &medium);
    flash_sim_dev(&r->sim, &r->dev);
}

void flash_ram_init(flash_ram_t *r, uint8_t *mem, const flash_geometry_t *geo,
                    bool erase_all)
{
    r->mem = mem;
    if (erase_all)
        memset(mem, 0xFF, (size_t)geo->size);
    ram_attach(r, geo);
}

void flash_ram_power_up(flash_ram_t *r)
{
    uint8_t *map = r->sim.prog_map;
    uint32_t *counts = r->sim.erase_counts;
    flash_geometry_t geo = r->sim.geo;
    ram_attach(r, &geo);
    r->sim.prog_map = map;
    r->sim.erase_counts = counts;
}
