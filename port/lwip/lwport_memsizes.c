/*
 * lwport_memsizes.c - never linked: compiled (for 4 and 16 sessions and the
 * tiny pools) only so that the memory report can read, with nm, what
 * lwipopts.h reserves.  Like tools/memreport/memsizes.c, it works for a
 * cross build that cannot run.
 */
#include "lwip/opt.h"
#include "lwip/api.h"
#include "lwip/etharp.h"
#include "lwip/memp.h"
#include "lwip/netbuf.h"
#include "lwip/pbuf.h"
#include "lwip/priv/api_msg.h"
#include "lwip/priv/memp_priv.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/priv/tcpip_priv.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ppp/ppp_opts.h"

#define MEMSIZE(name, expr) char memsize_##name[(expr)]; \
    char *memsize_ref_##name(void); char *memsize_ref_##name(void) { return memsize_##name; }

/* Every pool lwipopts.h configures, as memp.c lays them out. */
#define LWIP_MEMPOOL(name, num, size, desc) \
    + (size_t)(num) * (MEMP_SIZE + MEMP_ALIGN_SIZE(size)) + MEM_ALIGNMENT - 1
enum { LWPORT_POOL_BYTES = 0
#include "lwip/priv/memp_std.h"
};

/* Mailboxes are rings allocated by sys_arch (an RTOS queue each): the
 * tcpip thread's, one receive box per connection, one accept box per
 * listener; a ring is a header of ~128 bytes and a pointer per slot. */
#define LWPORT_RING(n) (128 + (size_t)(n) * sizeof(void *))

MEMSIZE(lw_sessions, LWIPOPTS_SESSIONS)
MEMSIZE(lw_pools, LWPORT_POOL_BYTES)
MEMSIZE(lw_heap, LWIP_MEM_ALIGN_SIZE(MEM_SIZE) + 32)
MEMSIZE(lw_sockets, NUM_SOCKETS * sizeof(struct lwip_sock))
MEMSIZE(lw_mboxes, LWPORT_RING(TCPIP_MBOX_SIZE)
        + MEMP_NUM_TCP_PCB * LWPORT_RING(DEFAULT_TCP_RECVMBOX_SIZE)
        + MEMP_NUM_TCP_PCB_LISTEN * LWPORT_RING(DEFAULT_ACCEPTMBOX_SIZE))
MEMSIZE(lw_pcbs, MEMP_NUM_TCP_PCB)
MEMSIZE(lw_pbufs, PBUF_POOL_SIZE)
MEMSIZE(lw_wnd, TCP_WND)
MEMSIZE(lw_sndbuf, TCP_SND_BUF)
MEMSIZE(lw_mss, TCP_MSS)
