/*
 * tls_heap.c - the static heap behind every mbedTLS allocation.
 *
 * mbedTLS allocates its record buffers and handshake state with calloc;
 * MBEDTLS_PLATFORM_MEMORY lets us point that at memory_buffer_alloc over
 * one static array, so the TLS layer's RAM is a build-time number and the
 * high-water mark (MBEDTLS_MEMORY_DEBUG) measures what it really needs.
 */
#include "tls/tls_int.h"

#include "mbedtls/memory_buffer_alloc.h"

/* Aligned for the allocator's headers. */
static union {
    unsigned char bytes[IMAP_TLS_HEAP_SIZE];
    uint64_t align;
} tls_heap_mem;
static bool tls_heap_ready;

void tls_heap_init(void)
{
    if (tls_heap_ready)
        return;
    mbedtls_memory_buffer_alloc_init(tls_heap_mem.bytes,
                                     sizeof tls_heap_mem.bytes);
    tls_heap_ready = true;
}

void tls_heap_stats(tls_heap_stats_t *st)
{
    size_t blocks = 0, mb;

    st->size = sizeof tls_heap_mem.bytes;
    st->used = st->peak = st->blocks = 0;
    if (!tls_heap_ready)
        return;
    mbedtls_memory_buffer_alloc_cur_get(&st->used, &blocks);
    mbedtls_memory_buffer_alloc_max_get(&st->peak, &mb);
    st->blocks = blocks;
}

void tls_heap_peak_reset(void)
{
    if (tls_heap_ready)
        mbedtls_memory_buffer_alloc_max_reset();
}

size_t tls_static_ram(void)
{
    return sizeof tls_heap_mem + tls_pool_ram();
}
