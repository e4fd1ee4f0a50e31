/*
 * flash.h - the flash device interface the store is written against.
 *
 * A device is an array of bytes divided into erase blocks.  The rules are
 * those of a real NOR or NAND chip and the simulators enforce them:
 *   - erase() sets a whole block to 0xFF;
 *   - prog() only writes whole program units (address and length aligned to
 *     prog_size) and only into bytes that are erased (0xFF);
 *   - with FLASH_F_PROG_ONCE (NAND-like) a program unit is programmed at most
 *     once between two erases, even where the new bytes would be 0xFF;
 *   - read() may read anything at any alignment;
 *   - sync() returns once everything programmed before it is durable.
 * Addresses are 64-bit so images beyond 4 GiB work on a NAS.
 */
#ifndef FLASH_H
#define FLASH_H

#include <stddef.h>
#include <stdint.h>

enum {
    FLASH_OK = 0,
    FLASH_EIO = -1,      /* the medium failed */
    FLASH_EINVAL = -2,   /* misaligned, out of range */
    FLASH_ERULE = -3,    /* a flash rule was broken (program over data...) */
    FLASH_EPOWER = -4,   /* simulated power cut: the device is dead now */
};

#define FLASH_F_PROG_ONCE 0x1u  /* NAND: each program unit once per erase */

typedef struct flash_geometry {
    uint64_t size;        /* bytes, a multiple of erase_size */
    uint32_t erase_size;  /* erase block, a power of two */
    uint32_t prog_size;   /* program unit, a power of two dividing erase_size */
    uint32_t flags;       /* FLASH_F_* */
} flash_geometry_t;

typedef struct flash_ops {
    int (*read)(void *ctx, uint64_t addr, void *buf, size_t len);
    int (*prog)(void *ctx, uint64_t addr, const void *buf, size_t len);
    int (*erase)(void *ctx, uint64_t block_addr);
    int (*sync)(void *ctx);
} flash_ops_t;

typedef struct flash_dev {
    const flash_ops_t *ops;
    void *ctx;
    flash_geometry_t geo;
} flash_dev_t;

static inline int flash_read(const flash_dev_t *d, uint64_t a, void *b, size_t n)
{ return d->ops->read(d->ctx, a, b, n); }
static inline int flash_prog(const flash_dev_t *d, uint64_t a, const void *b, size_t n)
{ return d->ops->prog(d->ctx, a, b, n); }
static inline int flash_erase(const flash_dev_t *d, uint64_t block_addr)
{ return d->ops->erase(d->ctx, block_addr); }
static inline int flash_sync(const flash_dev_t *d)
{ return d->ops->sync(d->ctx); }

#endif /* FLASH_H */
