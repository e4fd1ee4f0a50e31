/*
 * lwipopts.h - lwIP configuration of the lwIP build of imapd (host-lwip).
 *
 * The shape of an RTOS board: NO_SYS=0, lwIP's tcpip thread plus one
 * application thread on the socket API, static pools (no libc malloc), an
 * Ethernet netif with DHCP.  Pool sizes follow from the number of IMAP
 * sessions (LWIPOPTS_SESSIONS) so that the normal build never runs a pool
 * dry; IMAPD_LWIP_TINY_POOLS gives the starvation build its few PCBs,
 * pbufs and a small heap.  docs/LWIP.md explains every choice and its RAM
 * cost per session.
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

/* ---- sizing inputs ------------------------------------------------------ */
/* IMAP sessions the pools are sized for (the engine's IMAP_MAX_SESSIONS of
 * this build, boards/host-lwip/opts_lwip.h). */
#ifndef LWIPOPTS_SESSIONS
#define LWIPOPTS_SESSIONS 16
#endif
/* Listening sockets (one per --listen). */
#define LWIPOPTS_LISTENERS 4

/* ---- OS integration ------------------------------------------------------ */
#define NO_SYS                       0
#define SYS_LIGHTWEIGHT_PROT         1
/* Socket calls take the core lock instead of posting a message to the
 * tcpip thread and waiting: one mutex instead of two context switches. */
#define LWIP_TCPIP_CORE_LOCKING      1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0
#define LWIP_NETCONN_SEM_PER_THREAD  0
#define TCPIP_THREAD_NAME            "tcpip"
#define TCPIP_THREAD_STACKSIZE       0      /* the host's default */
#define TCPIP_THREAD_PRIO            0
#define DEFAULT_THREAD_STACKSIZE     0
/* sys_arch checks that the core is only touched with its lock held. */
void sys_check_core_locking(void);
void sys_mark_tcpip_thread(void);
#define LWIP_ASSERT_CORE_LOCKED()    sys_check_core_locking()
#define LWIP_MARK_TCPIP_THREAD()     sys_mark_tcpip_thread()

/* ---- memory: static pools and one small heap, never libc malloc --------- */
#define MEM_LIBC_MALLOC              0
#define MEMP_MEM_MALLOC              0
#define MEM_ALIGNMENT                8
#define MEMP_OVERFLOW_CHECK          0
#define MEMP_SANITY_CHECK            0

/* ---- protocols: IPv4 + TCP, UDP only for DHCP ---------------------------- */
#define LWIP_IPV4                    1
#define LWIP_IPV6                    0
#define LWIP_ARP                     1
#define LWIP_ETHERNET                1
#define ETH_PAD_SIZE                 0
#define ARP_TABLE_SIZE               4
/* Frames for a neighbour whose address is being resolved wait in a queue
 * (without it only the last one waits: a burst of SYN-ACKs right after
 * start-up or an ARP expiry loses all but one, and each loss costs a
 * 3-second retransmission). */
#define ARP_QUEUEING                 1
#define MEMP_NUM_ARP_QUEUE           16
#define LWIP_DHCP                    1
#define LWIP_DHCP_DOES_ACD_CHECK     0
#define DHCP_DOES_ARP_CHECK          0      /* slirp's DHCP: no one else there */
#define LWIP_AUTOIP                  0
#define LWIP_IGMP                    0
#define LWIP_DNS                     0
#define LWIP_RAW                     0
#define LWIP_UDP                     1
#define LWIP_TCP                     1
#define LWIP_ICMP                    1
#define IP_REASSEMBLY                0
#define IP_FRAG                      0
#define LWIP_NETIF_STATUS_CALLBACK   0
#define LWIP_NETIF_LINK_CALLBACK     0
#define LWIP_NETIF_LOOPBACK          0
#define LWIP_HAVE_LOOPIF             0
#define LWIP_SINGLE_NETIF            1

/* ---- the socket API the port uses ---------------------------------------- */
#define LWIP_SOCKET                  1
#define LWIP_NETCONN                 1      /* sockets are built on netconns */
#define LWIP_COMPAT_SOCKETS          0      /* lwip_*() names only: no clash */
#define LWIP_POSIX_SOCKETS_IO_NAMES  0      /*   with the host's own sockets */
#define LWIP_SOCKET_POLL             1
#define LWIP_SOCKET_SELECT           1      /* lwip_poll is built on it */
#define LWIP_TIMEVAL_PRIVATE         0
#define LWIP_ERRNO_STDINCLUDE        1
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1
#define LWIP_SO_RCVTIMEO             0
#define LWIP_SO_SNDTIMEO             0
#define LWIP_SO_RCVBUF               0
#define LWIP_SO_LINGER               0
#define SO_REUSE                     0
#define LWIP_TCP_KEEPALIVE           0      /* the engine's timeouts do it */
#define TCP_LISTEN_BACKLOG           1
#define LWIP_NETIF_API               0
#define LWIP_SOCKET_OPEN_COUNT       0      /* Debian patch: stock socket table */
/* Debian's sockets.c (a patch for the Hurd) asks the port how long a socket
 * address is; lwIP's own sockaddr has a length byte, as stock lwIP uses. */
#define IP4ADDR_SOCKADDR_SET_LEN(sin)  ((sin)->sin_len = sizeof(struct sockaddr_in))
#define IP6ADDR_SOCKADDR_SET_LEN(sin6) ((sin6)->sin6_len = sizeof(struct sockaddr_in6))
#define IPADDR_SOCKADDR_GET_LEN(addr)  ((addr)->sa.sa_len)

/* ---- TCP: window, MSS, buffers --------------------------------------------
 * Full-size Ethernet segments; a window of 4 segments each way.  The send
 * buffer is copied into the heap (lwip_send copies), the receive window is
 * held in pool pbufs until the loop reads it. */
#define TCP_MSS                      1460
#ifdef IMAPD_LWIP_TINY_POOLS
#define TCP_WND                      (2 * TCP_MSS)
#define TCP_SND_BUF                  (2 * TCP_MSS)
#else
#define TCP_WND                      (4 * TCP_MSS)
#define TCP_SND_BUF                  (4 * TCP_MSS)
#endif
#define TCP_SND_QUEUELEN             ((4 * TCP_SND_BUF + (TCP_MSS - 1)) / TCP_MSS)
#define TCP_QUEUE_OOSEQ              0      /* no reordering on one link */
#define LWIP_TCP_SACK_OUT            0
#define LWIP_WND_SCALE               0
#define TCP_OVERSIZE                 TCP_MSS
#define LWIP_TCP_TIMESTAMPS          0
/* TIME_WAIT lasts 2 x MSL: 2 s, not lwIP's 2 minutes.  lwIP answers a new
 * SYN on a TIME_WAIT connection with an ACK and ignores the peer's RST
 * (RFC 1337), so a client that reuses its port (Linux does, quickly; slirp
 * keeps the client's port on the inside) is stalled until TIME_WAIT ends.
 * On a LAN a segment does not live for a second; the PCBs come back sooner
 * too. */
#define TCP_MSL                      1000UL
/* lwIP's own initial sequence numbers are a counter (6510 + ticks): easy to
 * guess from the LAN.  Random ones instead (sys_arch's getrandom). */
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) ((u32_t)sys_random32())

/* ---- pools ------------------------------------------------------------------
 * Normal build: every session may have its whole send queue and receive
 * window in use at once, and the pools still hold (nothing runs dry in the
 * test suite; lwip_stats at exit checks it).  The tiny build overcommits
 * on purpose. */
#define PBUF_POOL_BUFSIZE            1536   /* one full Ethernet frame */
#define MEMP_NUM_TCP_PCB_LISTEN      LWIPOPTS_LISTENERS
#define MEMP_NUM_UDP_PCB             1      /* DHCP */
#ifdef IMAPD_LWIP_TINY_POOLS
#define MEMP_NUM_TCP_PCB             4
#define MEMP_NUM_TCP_SEG             16
#define PBUF_POOL_SIZE               10
#define MEM_SIZE                     (12 * 1024)
#else
/* a session each, one more to say BYE when the table is full, one leaving */
#define MEMP_NUM_TCP_PCB             (LWIPOPTS_SESSIONS + 2)
#define MEMP_NUM_TCP_SEG             (MEMP_NUM_TCP_PCB * TCP_SND_QUEUELEN)
#define PBUF_POOL_SIZE               (MEMP_NUM_TCP_PCB * (TCP_WND / TCP_MSS) + 8)
/* send buffers plus their pbuf headers, and room for ARP/DHCP */
#define MEM_SIZE                     (MEMP_NUM_TCP_PCB * (TCP_SND_BUF + TCP_SND_QUEUELEN * 96) + 4096)
#endif
#define MEMP_NUM_PBUF                8      /* PBUF_REF/ROM: rarely used */
#define MEMP_NUM_SYS_TIMEOUT         (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 2)
#define MEMP_NUM_NETCONN             (MEMP_NUM_TCP_PCB + MEMP_NUM_TCP_PCB_LISTEN + MEMP_NUM_UDP_PCB)
#define MEMP_NUM_NETBUF              2
#define MEMP_NUM_TCPIP_MSG_API       8
/* every received frame waits in the tcpip mailbox as one message */
#define MEMP_NUM_TCPIP_MSG_INPKT     PBUF_POOL_SIZE
#define TCPIP_MBOX_SIZE              (PBUF_POOL_SIZE + 16)
#define DEFAULT_TCP_RECVMBOX_SIZE    (TCP_WND / TCP_MSS * 2 + 4)
#define DEFAULT_UDP_RECVMBOX_SIZE    4
/* A burst of connections may all be established before the loop accepts
 * one: a full backlog drops the SYN and the client waits for a resend. */
#define DEFAULT_ACCEPTMBOX_SIZE      MEMP_NUM_TCP_PCB

/* ---- statistics: read at exit (pool high-water marks, errors, leaks) ---- */
#define LWIP_STATS                   1
#define LWIP_STATS_DISPLAY           0
#define LINK_STATS                   1
#define ETHARP_STATS                 0
#define IP_STATS                     0
#define IPFRAG_STATS                 0
#define ICMP_STATS                   0
#define UDP_STATS                    0
#define TCP_STATS                    1
#define MEM_STATS                    1
#define MEMP_STATS                   1
#define SYS_STATS                    1

/* ---- debugging: assertions on, messages off ---------------------------- */
#define LWIP_DEBUG                   0
#define LWIP_NOASSERT_ON_ERROR       0

#endif
