/*
 * flash_sim.c - flash rules and power-cut tearing over a plain medium.
 */
#include "flash/flash_sim.h"

#include <string.h>

/* Work buffer for checks and erases: bounded stack use on any device. */
#define SIM_STEP 256u

static uint32_t sim_rand(flash_sim_t *s)
{
    /* xorshift32: deterministic per seed, good enough for tear patterns */
    uint32_t x = s->rng ? s->rng : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rng = x;
    return x;
}

static bool in_range(const flash_sim_t *s, uint64_t addr, size_t len)
{
    return addr <= s->geo.size && len <= s->geo.size - addr;
}

/* Counts one program/erase; true when this one is the cut. */
static bool sim_tick(flash_sim_t *s)
{
    s->ops++;
    return s->cut_at != 0 && s->ops == s->cut_at;
}

static int sim_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    flash_sim_t *s = ctx;
    if (s->dead)
        return FLASH_EPOWER;
    if (!in_range(s, addr, len))
        return FLASH_EINVAL;
    s->stats.reads++;
    s->stats.read_bytes += len;
    return s->medium.read(s->medium.ctx, addr, buf, len) ? FLASH_EIO : FLASH_OK;
}

static int check_erased(flash_sim_t *s, uint64_t addr, size_t len)
{
    uint8_t tmp[SIM_STEP];
    while (len > 0) {
        size_t n = len < SIM_STEP ? len : SIM_STEP;
        if (s->medium.read(s->medium.ctx, addr, tmp, n))
            return FLASH_EIO;
        for (size_t i = 0; i < n; i++)
            if (tmp[i] != 0xFF)
                return FLASH_ERULE;
        addr += n;
        len -= n;
    }
    return FLASH_OK;
}

static bool map_test_and_set(flash_sim_t *s, uint64_t unit)
{
    uint8_t bit = (uint8_t)(1u << (unit & 7));
    bool was = (s->prog_map[unit >> 3] & bit) != 0;
    s->prog_map[unit >> 3] |= bit;
    return was;
}

static int sim_prog(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    flash_sim_t *s = ctx;
    const uint32_t unit = s->geo.prog_size;
    if (s->dead)
        return FLASH_EPOWER;
    if (!in_range(s, addr, len) || addr % unit || len % unit)
        return FLASH_EINVAL;
    int rc = check_erased(s, addr, len);
    if (rc)
        return rc;
    if (s->prog_map && (s->geo.flags & FLASH_F_PROG_ONCE)) {
        for (uint64_t u = addr / unit; u < (addr + len) / unit; u++)
            if (map_test_and_set(s, u))
                return FLASH_ERULE;
    }
    s->stats.progs++;
    s->stats.prog_bytes += len;
    if (!sim_tick(s))
        return s->medium.write(s->medium.ctx, addr, buf, len) ? FLASH_EIO
                                                              : FLASH_OK;
    /* Power cut: a prefix made it, the byte in flight got some bits. */
    size_t done = len ? sim_rand(s) % len : 0;
    if (done && s->medium.write(s->medium.ctx, addr, buf, done))
        return FLASH_EIO;
    if (done < len) {
        uint8_t b = ((const uint8_t *)buf)[done] | (uint8_t)sim_rand(s);
        s->medium.write(s->medium.ctx, addr + done, &b, 1);
    }
    s->dead = true;
    return FLASH_EPOWER;
}

static int fill_ff(flash_sim_t *s, uint64_t addr, uint64_t len)
{
    uint8_t ff[SIM_STEP];
    memset(ff, 0xFF, sizeof(ff));
    while (len > 0) {
        size_t n = len < SIM_STEP ? (size_t)len : SIM_STEP;
        if (s->medium.write(s->medium.ctx, addr, ff, n))
            return FLASH_EIO;
        addr += n;
        len -= n;
    }
    return FLASH_OK;
}

static int sim_erase(void *ctx, uint64_t block_addr)
{
    flash_sim_t *s = ctx;
    const uint32_t bs = s->geo.erase_size;
    if (s->dead)
        return FLASH_EPOWER;
    if (block_addr % bs || !in_range(s, block_addr, bs))
        return FLASH_EINVAL;
    s->stats.erases++;
    if (s->erase_counts)
        s->erase_counts[block_addr / bs]++;
    if (s->prog_map) {
        uint64_t u0 = block_addr / s->geo.prog_size;
        uint64_t n = bs / s->geo.prog_size;
        for (uint64_t u = u0; u < u0 + n; u++)
            s->prog_map[u >> 3] &= (uint8_t)~(1u << (u & 7));
    }
    if (!sim_tick(s))
        return fill_ff(s, block_addr, bs);
    /* Power cut: only a prefix of the block was erased. */
    fill_ff(s, block_addr, sim_rand(s) % bs);
    s->dead = true;
    return FLASH_EPOWER;
}

static int sim_sync(void *ctx)
{
    flash_sim_t *s = ctx;
    if (s->dead)
        return FLASH_EPOWER;
    s->stats.syncs++;
    if (s->medium.sync && s->medium.sync(s->medium.ctx))
        return FLASH_EIO;
    return FLASH_OK;
}

static const flash_ops_t sim_ops = {
    .read = sim_read,
    .prog = sim_prog,
    .erase = sim_erase,
    .sync = sim_sync,
};

void flash_sim_init(flash_sim_t *s, const flash_geometry_t *geo,
                    const flash_medium_t *medium)
{
    memset(s, 0, sizeof(*s));
    s->geo = *geo;
    s->medium = *medium;
}

void flash_sim_dev(flash_sim_t *s, flash_dev_t *dev)
{
    dev->ops = &sim_ops;
    dev->ctx = s;
    dev->geo = s->geo;
}

void flash_sim_cut_at(flash_sim_t *s, uint64_t op, uint32_t seed)
{
    s->cut_at = op;
    s->rng = seed ? seed : 1;
}
