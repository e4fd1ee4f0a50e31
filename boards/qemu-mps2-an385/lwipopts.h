/*
 * lwipopts.h - lwIP 2.1 for the QEMU board: NO_SYS=1 (raw API, no RTOS),
 * IPv4 + TCP + ICMP over Ethernet with a static address (QEMU user
 * networking: 10.0.2.15/24, gateway 10.0.2.2).  Sized for IMAP_MAX_SESSIONS
 * sessions within the board's 96 KiB RAM budget (docs/BOARD.md).
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#include "board_opts.h"

#define NO_SYS                  1
#define SYS_LIGHTWEIGHT_PROT    0   /* lwIP is only touched from the main loop */
#define LWIP_SOCKET             0
#define LWIP_NETCONN            0
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_ARP                1
#define LWIP_ETHERNET           1
#define LWIP_ICMP               1
#define LWIP_UDP                0
#define LWIP_DHCP               0
#define LWIP_DNS                0
#define LWIP_IGMP               0
#define LWIP_TCP                1
#define LWIP_RAND()             board_rand32()

/* Memory: a small heap for outgoing TCP data (tcp_write copies), a pool of
 * full-size pbufs for received frames, pcbs for every session plus a few
 * in TIME_WAIT and the listener.  Both are below what four busy sessions
 * could fill (4 x TCP_SND_BUF, 4 x TCP_WND): a full heap makes tcp_write
 * wait for the next round, a frame without a pbuf waits in the LAN9118's
 * FIFO (back-pressure, not loss), so they bound RAM, not correctness.
 * tools/board-ram prints their high-water marks. */
#define MEM_ALIGNMENT           4
#define MEM_SIZE                (6 * 1024)
#define PBUF_POOL_SIZE          6
#define MEMP_NUM_PBUF           8
#define MEMP_NUM_TCP_PCB        (IMAP_MAX_SESSIONS + 4)
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG        16
#define MEMP_NUM_SYS_TIMEOUT    6
#define ARP_TABLE_SIZE          4
#define ARP_QUEUEING            0

/* TCP: two segments in flight each way per connection keeps RAM small;
 * the session's own buffers do the rest. */
#define TCP_MSS                 1460
#define TCP_WND                 (2 * TCP_MSS)
#define TCP_SND_BUF             (2 * TCP_MSS)
#define TCP_SND_QUEUELEN        8
#define TCP_QUEUE_OOSEQ         0
#define LWIP_TCP_KEEPALIVE      0
#define TCP_LISTEN_BACKLOG      0

/* Statistics: the pools' high-water marks are printed at run time. */
#define LWIP_STATS              1
#define LWIP_STATS_DISPLAY      1   /* pool names for the report; the display code is never linked */
#define LINK_STATS              0
#define ETHARP_STATS            0
#define IP_STATS                0
#define ICMP_STATS              0
#define TCP_STATS               0
#define MEM_STATS               1
#define MEMP_STATS              1
#define SYS_STATS               0

#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK   0
#define LWIP_SINGLE_NETIF       1
#define CHECKSUM_CHECK_IP       1
#define CHECKSUM_CHECK_TCP      1

#endif
