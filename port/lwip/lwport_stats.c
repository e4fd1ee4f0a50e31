/*
 * lwport_stats.c - lwIP's statistics (LWIP_STATS) read at exit.
 *
 * Every pool's and the heap's use is compared with a baseline taken when
 * the stack was up and idle; after the last socket is closed they must be
 * back there (TCP PCBs in TIME_WAIT aside, and the TCP timer they keep).
 * A pool that ran dry is an error in a build sized never to run dry; the
 * tiny-pools build runs dry on purpose and only checks for leaks.
 */
#include "lwport_stack.h"

#include "lwip/memp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/tcpip.h"

#include "imap/imap.h"
#include "posix_sys.h"

#define STATS_SETTLE_MS 1000     /* closing handshakes, frames in flight */

static const char *const stats_pool_name[MEMP_MAX] = {
#define LWIP_MEMPOOL(name, num, size, desc) #name,
#include "lwip/priv/memp_std.h"
};

static mem_size_t stats_base_heap;
static u16_t stats_base_pool[MEMP_MAX];

void lwport_stats_baseline(void)
{
    LOCK_TCPIP_CORE();
    stats_base_heap = lwip_stats.mem.used;
    for (int i = 0; i < MEMP_MAX; i++)
        stats_base_pool[i] = lwip_stats.memp[i]->used;
    UNLOCK_TCPIP_CORE();
}

static int pcb_count(struct tcp_pcb *list)
{
    int n = 0;
    for (; list != NULL; list = list->next)
        n++;
    return n;
}

/* Pools and heap back at the baseline (core lock held)?  0 if so. */
static int stats_settled(int tw, int log)
{
    int bad = 0;
    for (int i = 0; i < MEMP_MAX; i++) {
        int extra = (int)lwip_stats.memp[i]->used - (int)stats_base_pool[i];
        int allowed = 0;
        if (i == MEMP_TCP_PCB)
            allowed = tw;
        else if (i == MEMP_SYS_TIMEOUT)
            allowed = 1;            /* the TCP timer runs while PCBs exist */
        if (extra > allowed) {
            bad = 1;
            if (log)
                posix_logf(IMAP_LOG_ERR, "lwip stats: pool %s leaked %d",
                           stats_pool_name[i], extra - allowed);
        }
    }
    if (lwip_stats.mem.used != stats_base_heap) {
        bad = 1;
        if (log)
            posix_logf(IMAP_LOG_ERR, "lwip stats: heap holds %ld B more than "
                       "when idle", (long)lwip_stats.mem.used - (long)stats_base_heap);
    }
    return bad;
}

/* A PCB a socket still owns: one never closed.  (A half-open SYN_RCVD
 * PCB belongs to lwIP: the peer vanished during the handshake.) */
static int pcb_owned(const struct tcp_pcb *pcb)
{
    if (pcb->state == SYN_RCVD)
        return 0;
    return pcb->callback_arg != NULL || pcb->state == ESTABLISHED ||
           pcb->state == CLOSE_WAIT;
}

/* Waits up to ms for cond() (core lock taken around each look). */
static int wait_for(int (*cond)(void), u32_t ms)
{
    u32_t start = sys_now();
    for (;;) {
        LOCK_TCPIP_CORE();
        int ok = cond();
        UNLOCK_TCPIP_CORE();
        if (ok || (u32_t)(sys_now() - start) >= ms)
            return ok;
        sys_msleep(10);
    }
}

/* Only PCBs waiting on their peer's application (FIN_WAIT_2) are left. */
static int no_active_pcb(void)
{
    for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next)
        if (p->state != FIN_WAIT_2)
            return 0;
    return 1;
}

static int back_at_baseline(void)
{
    return stats_settled(pcb_count(tcp_tw_pcbs), 0) == 0;
}

int lwport_stats_check(void)
{
    int bad = 0;

    /* Closing handshakes usually end at once; a peer still connected (it
     * has not read our FIN, or never will) keeps its PCB in FIN_WAIT or
     * LAST_ACK: lwIP owns it now, and exit resets it, as the process end
     * would, so that everything it held can be counted back. */
    wait_for(no_active_pcb, STATS_SETTLE_MS);
    LOCK_TCPIP_CORE();
    int owned = 0, closing = 0;
    for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next) {
        if (pcb_owned(p)) {
            owned++;
            posix_logf(IMAP_LOG_ERR, "lwip stats: PCB in state %s still "
                       "held by a socket", tcp_debug_state_str(p->state));
        } else {
            closing++;
        }
    }
    int listening = pcb_count(tcp_listen_pcbs.pcbs);
    while (tcp_active_pcbs != NULL)
        tcp_abort(tcp_active_pcbs);
    UNLOCK_TCPIP_CORE();
    if (owned || listening) {
        posix_logf(IMAP_LOG_ERR, "lwip stats: %d TCP PCB(s) still held by a "
                   "socket, %d listening", owned, listening);
        bad = 1;
    }
    if (closing)
        posix_logf(IMAP_LOG_INFO, "lwip stats: %d closing PCB(s) reset at "
                   "exit (peer still connected)", closing);
    wait_for(back_at_baseline, STATS_SETTLE_MS);

    LOCK_TCPIP_CORE();
    int tw = pcb_count(tcp_tw_pcbs);
    bad |= stats_settled(tw, 1);
    int dry = 0;
    for (int i = 0; i < MEMP_MAX; i++) {
        struct stats_mem *m = lwip_stats.memp[i];
        posix_logf(IMAP_LOG_INFO, "lwip stats: pool %s max %u of %u, err %u",
                   stats_pool_name[i], (unsigned)m->max, (unsigned)m->avail,
                   (unsigned)m->err);
        /* An empty PCB pool first recycles a TIME_WAIT PCB: only a
         * connection lwIP could not take at all (tcp memerr) is dry. */
        if (i != MEMP_TCP_PCB)
            dry += m->err != 0;
    }
    dry += lwip_stats.tcp.memerr != 0;
    posix_logf(IMAP_LOG_INFO, "lwip stats: heap max %lu of %lu B, err %u",
               (unsigned long)lwip_stats.mem.max,
               (unsigned long)lwip_stats.mem.avail, (unsigned)lwip_stats.mem.err);
    dry += lwip_stats.mem.err != 0;
    posix_logf(IMAP_LOG_INFO, "lwip stats: link recv %u xmit %u drop %u memerr %u; "
               "tcp memerr %u; %d PCB(s) in TIME_WAIT",
               (unsigned)lwip_stats.link.recv, (unsigned)lwip_stats.link.xmit,
               (unsigned)lwip_stats.link.drop, (unsigned)lwip_stats.link.memerr,
               (unsigned)lwip_stats.tcp.memerr, tw);
    UNLOCK_TCPIP_CORE();

#ifndef IMAPD_LWIP_TINY_POOLS
    if (dry) {
        posix_logf(IMAP_LOG_ERR, "lwip stats: a pool ran dry in a build sized "
                   "not to");
        bad = 1;
    }
#endif
    if (!bad)
        posix_logf(IMAP_LOG_INFO, "lwip stats: ok, nothing leaked");
    return bad ? -1 : 0;
}
