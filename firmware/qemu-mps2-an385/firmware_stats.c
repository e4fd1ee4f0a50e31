/*
 * firmware_stats.c - high-water marks printed on the console at stop
 * (and on 's'): docs/BOARD.md explains each line.
 */
#include "firmware_stats.h"


#include "board.h"
#include "firmware_log.h"
#include "board_lan9118.h"
#include "imap/imap.h"
#include "lwip/memp.h"
#include "lwip/stats.h"
#include "lwip_raw_loop.h"
#include "mbedtls/memory_buffer_alloc.h"

#if FW_HAVE_TLS
#include "tls/tls.h"
#endif

/* mbedTLS's only memory is the board's heap region (board_heap): the TLS
 * layer's allocator when the image has TLS, else mbedTLS's own over the
 * same region (PBKDF2 needs a little). */
void fw_heap_init(void)
{
    size_t len;
    void *mem = board_heap(&len);
#if FW_HAVE_TLS
    tls_heap_init_region(mem, len);
#else
    mbedtls_memory_buffer_alloc_init(mem, len);
#endif
}

/* The heap's high-water mark since boot (the TLS layer resets mbedTLS's
 * own mark per connection for docs/TLS.md, and keeps the overall one). */
static size_t fw_heap_peak(void)
{
#if FW_HAVE_TLS
    tls_heap_stats_t st;
    tls_heap_stats(&st);
    return st.peak_all;
#else
    size_t peak, blocks;
    mbedtls_memory_buffer_alloc_max_get(&peak, &blocks);
    return peak;
#endif
}

void fw_print_stats(void)
{
    fw_logf(IMAP_LOG_INFO, "stats: stack %zu of %zu B used (painted)",
                 board_stack_used(), board_stack_size());
    size_t heap_len;
    (void)board_heap(&heap_len);
    size_t heap_peak = fw_heap_peak();
    size_t total = board_ram_static() + heap_peak + board_stack_used() +
                   board_mstack_used();
    fw_logf(IMAP_LOG_INFO, "stats: static RAM %zu B (data+bss)",
                 board_ram_static());
    fw_logf(IMAP_LOG_INFO, "stats: heap max %zu of %zu B", heap_peak,
            heap_len);
    fw_logf(IMAP_LOG_INFO, "stats: RAM total %zu B = static %zu + heap max "
            "%zu + stack max %zu + exception stack max %zu", total,
            board_ram_static(), heap_peak, board_stack_used(),
            board_mstack_used());
    fw_logf(IMAP_LOG_INFO, "stats: lwIP heap max %u of %u B",
                 (unsigned)lwip_stats.mem.max, (unsigned)lwip_stats.mem.avail);
    for (int i = 0; i < MEMP_MAX; i++) {
        const struct stats_mem *m = lwip_stats.memp[i];
        if (m)
            fw_logf(IMAP_LOG_INFO, "stats: lwIP pool %s max %u of %u", m->name,
                         (unsigned)m->max, (unsigned)m->avail);
    }
    fw_logf(IMAP_LOG_INFO, "stats: lan9118 rx frames deferred (no pbuf) %lu",
                 (unsigned long)board_lan9118_rx_deferred());
    fw_logf(IMAP_LOG_INFO, "stats: sessions max %d of %d open at once, %zu B each "
                 "(buffers %d + %d B)", lwip_raw_live_max(),
                 IMAP_MAX_SESSIONS, sizeof(imap_session_t), IMAP_INBUF_SIZE,
                 IMAP_OUTBUF_SIZE);
}
