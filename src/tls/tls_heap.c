/*
 * tls_heap.c - the heap behind every mbedTLS allocation.
 *
 * mbedTLS allocates its record buffers and handshake state with calloc;
 * MBEDTLS_PLATFORM_MEMORY lets us point that at memory_buffer_alloc over
 * one region, so the TLS layer's RAM is a fixed number and the high-water
 * mark (MBEDTLS_MEMORY_DEBUG) measures what it really needs.  The region
 * is a static array (IMAP_TLS_HEAP_SIZE) or, with IMAP_TLS_HEAP_SIZE 0,
 * whatever the port hands over (a board's free RAM).
 */
#include "tls/tls_int.h"

#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"

#if IMAP_TLS_HEAP_SIZE > 0
/* Aligned for the allocator's headers. */
static union {
    unsigned char bytes[IMAP_TLS_HEAP_SIZE];
    uint64_t align;
} tls_heap_mem;
#endif
static size_t tls_heap_len;
static size_t tls_heap_peak_all;   /* survives tls_heap_peak_reset */
static bool tls_heap_ready;

void tls_heap_init_region(void *mem, size_t len)
{
    if (tls_heap_ready || mem == NULL || len == 0)
        return;
    mbedtls_memory_buffer_alloc_init(mem, len);
    tls_heap_len = len;
    tls_heap_ready = true;
}

void tls_heap_init(void)
{
#if IMAP_TLS_HEAP_SIZE > 0
    tls_heap_init_region(tls_heap_mem.bytes, sizeof tls_heap_mem.bytes);
#endif
}

void *tls_alloc(size_t n)
{
    return tls_heap_ready ? mbedtls_calloc(1, n ? n : 1) : NULL;
}

void tls_free_wiped(void *p, size_t n)
{
    if (p == NULL)
        return;
    mbedtls_platform_zeroize(p, n);
    mbedtls_free(p);
}

bool tls_heap_is_ready(void)
{
    return tls_heap_ready;
}

void tls_heap_stats(tls_heap_stats_t *st)
{
    size_t blocks = 0, mb;

    st->size = IMAP_TLS_HEAP_SIZE > 0 ? IMAP_TLS_HEAP_SIZE : tls_heap_len;
    st->used = st->peak = st->blocks = st->peak_all = 0;
    if (!tls_heap_ready)
        return;
    mbedtls_memory_buffer_alloc_cur_get(&st->used, &blocks);
    mbedtls_memory_buffer_alloc_max_get(&st->peak, &mb);
    st->blocks = blocks;
    st->peak_all = st->peak > tls_heap_peak_all ? st->peak : tls_heap_peak_all;
}

void tls_heap_peak_reset(void)
{
    size_t peak, blocks;

    if (!tls_heap_ready)
        return;
    mbedtls_memory_buffer_alloc_max_get(&peak, &blocks);
    if (peak > tls_heap_peak_all)
        tls_heap_peak_all = peak;
    mbedtls_memory_buffer_alloc_max_reset();
}

size_t tls_static_ram(void)
{
#if IMAP_TLS_HEAP_SIZE > 0
    return sizeof tls_heap_mem + tls_pool_ram();
#else
    return tls_pool_ram();
#endif
}
