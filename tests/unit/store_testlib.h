/*
 * store_testlib.h - helpers shared by the store's unit tests: a RAM flash
 * device of a given geometry, format + mount, message bodies.
 */
#ifndef STORE_TESTLIB_H
#define STORE_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flash/flash_ram.h"
#include "store/store.h"

typedef struct tdev {
    uint8_t *mem;
    uint8_t *map;        /* program map: enforces FLASH_F_PROG_ONCE */
    flash_ram_t ram;
    flash_geometry_t geo;
} tdev_t;

static inline flash_geometry_t geo_nor(uint64_t size)
{
    return (flash_geometry_t){ size, 4096, 256, 0 };
}
static inline flash_geometry_t geo_nand(uint64_t size)
{
    return (flash_geometry_t){ size, 128 * 1024, 2048, FLASH_F_PROG_ONCE };
}

static inline void tdev_init(tdev_t *d, flash_geometry_t g)
{
    d->geo = g;
    d->mem = malloc((size_t)g.size);
    assert_non_null(d->mem);
    flash_ram_init(&d->ram, d->mem, &d->geo, true);
    /* a used chip: nothing is erased until the store erases it */
    memset(d->mem, 0x5A, (size_t)g.size);
    d->map = NULL;
    if (g.flags & FLASH_F_PROG_ONCE) {
        d->map = calloc(1, (size_t)(g.size / g.prog_size / 8 + 1));
        assert_non_null(d->map);
        d->ram.sim.prog_map = d->map;
    }
}

static inline void tdev_free(tdev_t *d)
{
    free(d->mem);
    free(d->map);
    d->mem = NULL;
    d->map = NULL;
}

static inline store_t *tstore_new(void)
{
    store_t *st = calloc(1, sizeof *st);
    assert_non_null(st);
    return st;
}

static inline void tformat_mount(tdev_t *d, store_t *st)
{
    assert_int_equal(store_format(&d->ram.dev, 1700000000u), STORE_OK);
    assert_int_equal(store_mount(st, &d->ram.dev), STORE_OK);
}

static inline void tremount(tdev_t *d, store_t *st)
{
    assert_int_equal(store_unmount(st), STORE_OK);
    assert_int_equal(store_mount(st, &d->ram.dev), STORE_OK);
}

/* A message body of size bytes whose content depends on seed. */
static inline void tbody(uint8_t *b, uint32_t size, uint32_t seed)
{
    static const char hdr[] = "Subject: test\r\nFrom: a@b\r\n\r\n";
    uint32_t x = seed * 2654435761u + 1;
    for (uint32_t i = 0; i < size; i++) {
        if (i < sizeof hdr - 1) {
            b[i] = (uint8_t)hdr[i];
            continue;
        }
        x = x * 1103515245u + 12345u;
        b[i] = (uint8_t)('a' + (x >> 16) % 26);
    }
}

/* Appends a whole message, feeding it in pieces of at most step bytes. */
static inline uint32_t tappend(store_t *st, uint32_t mbox, const uint8_t *b,
                               uint32_t size, uint32_t flags, size_t step)
{
    store_append_t a;
    uint32_t uid = 0;
    assert_int_equal(store_append_begin(st, &a, mbox, size, flags, 0,
                                        1700000000, 60), STORE_OK);
    size_t have = 0, off = 0;   /* bytes offered: [off, off + have) */
    while (a.written < size) {
        size_t more = size - off - have;
        have += more < step ? more : step;
        long n = store_append_write(st, &a, b + off, have);
        assert_true(n >= 0);
        off += (size_t)n;
        have -= (size_t)n;
    }
    /* a non-blocking store may move data written before a pass began
     * a step at a time (STORE_EAGAIN): finish again, as the engine does */
    int rc;
    for (unsigned held = 0;
         (rc = store_append_finish(st, &a, &uid)) == STORE_EAGAIN; held++)
        assert_true(held < 100000);
    assert_int_equal(rc, STORE_OK);
    return uid;
}

static inline void tcheck_body(store_t *st, uint32_t mbox, uint32_t uid,
                               const uint8_t *b, uint32_t size)
{
    store_msg_t m;
    assert_int_equal(store_msg_get(st, mbox, uid, &m), STORE_OK);
    assert_int_equal(m.size, size);
    uint8_t *back = malloc(size + 1);
    uint32_t off = 0;
    while (off < size) {
        long n = store_msg_read(st, &m, off, back + off, 1000);
        assert_true(n > 0);
        off += (uint32_t)n;
    }
    assert_memory_equal(back, b, size);
    free(back);
}

#endif
