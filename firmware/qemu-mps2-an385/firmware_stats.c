/*
 * firmware_stats.c - high-water marks printed on the console at stop
 * (and on 's'): docs/BOARD.md explains each line.
 */
#include "firmware_stats.h"


#include "board.h"
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
    board_printf("stats: stack %zu of %zu B used (painted)\n",
                 board_stack_used(), board_stack_size());
    board_printf("stats: static RAM %zu B (data+bss+stacks)\n",
                 board_ram_static());
    board_printf("stats: lwIP heap max %u of %u B\n",
                 (unsigned)lwip_stats.mem.max, (unsigned)lwip_stats.mem.avail);
    for (int i = 0; i < MEMP_MAX; i++) {
        const struct stats_mem *m = lwip_stats.memp[i];
        if (m)
            board_printf("stats: lwIP pool %s max %u of %u\n", m->name,
                         (unsigned)m->max, (unsigned)m->avail);
    }
    board_printf("stats: lan9118 rx frames dropped (no pbuf) %lu\n",
                 (unsigned long)board_lan9118_rx_dropped());
    size_t peak, size;
    heap_stats(&peak, &size);
    board_printf("stats: mbedTLS heap max %zu of %zu B\n", peak, size);
    board_printf("stats: sessions max %d of %d open at once, %zu B each "
                 "(buffers %d + %d B)\n", lwip_raw_live_max(),
                 IMAP_MAX_SESSIONS, sizeof(imap_session_t), IMAP_INBUF_SIZE,
                 IMAP_OUTBUF_SIZE);
}

void fw_format_time(char *buf, size_t cap, uint64_t ms)
{
    uint64_t secs = ms / 1000;
    long days = (long)(secs / 86400);
    unsigned sod = (unsigned)(secs % 86400);
    /* Civil date from days since 1970-01-01 (Gregorian, era arithmetic). */
    long z = days + 719468;
    long era = z / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    board_snprintf(buf, cap, "%04ld-%02ld-%02ldT%02u:%02u:%02u.%03uZ", y, m, d,
                   sod / 3600, sod / 60 % 60, sod % 60, (unsigned)(ms % 1000));
}
