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

/* mbedTLS's only memory: the TLS layer's static heap when the core has
 * one, else a small one of the firmware's own for PBKDF2. */
#if !FW_HAVE_TLS
#define FW_MBEDTLS_HEAP 2048
static unsigned char fw_heap[FW_MBEDTLS_HEAP] __attribute__((aligned(8)));
#endif

void fw_heap_init(void)
{
#if FW_HAVE_TLS
    tls_heap_init();
#else
    mbedtls_memory_buffer_alloc_init(fw_heap, sizeof(fw_heap));
#endif
}

static void heap_stats(size_t *peak, size_t *size)
{
#if FW_HAVE_TLS
    tls_heap_stats_t st;
    tls_heap_stats(&st);
    *peak = st.peak;
    *size = st.size;
#else
    size_t blocks;
    mbedtls_memory_buffer_alloc_max_get(peak, &blocks);
    *size = sizeof(fw_heap);
#endif
}

void fw_print_stats(void)
{
    fw_logf(IMAP_LOG_INFO, "stats: stack %zu of %zu B used (painted)",
                 board_stack_used(), board_stack_size());
    fw_logf(IMAP_LOG_INFO, "stats: static RAM %zu B (data+bss+stacks)",
                 board_ram_static());
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
    size_t peak, size;
    heap_stats(&peak, &size);
    fw_logf(IMAP_LOG_INFO, "stats: mbedTLS heap max %zu of %zu B", peak, size);
    fw_logf(IMAP_LOG_INFO, "stats: sessions max %d of %d open at once, %zu B each "
                 "(buffers %d + %d B)", lwip_raw_live_max(),
                 IMAP_MAX_SESSIONS, sizeof(imap_session_t), IMAP_INBUF_SIZE,
                 IMAP_OUTBUF_SIZE);
}
