/*
 * lwip_raw_loop.h - the sans-I/O engine on lwIP's raw API (NO_SYS=1).
 *
 * No threads and no sockets: lwIP calls back (accept, recv, sent, err) from
 * inside the board's main loop; the callbacks queue and flag (recv also
 * copies what fits into the engine at once, so pool pbufs are freed early),
 * and lwip_raw_service() then moves bytes between the pcbs and the sessions:
 * received pbufs are copied into the engine's input buffer as it has room
 * (the TCP window is re-opened with tcp_recved() only for what the engine
 * took, so a slow engine is back-pressure on the peer, not a growing
 * queue), and output goes to tcp_write() as far as tcp_sndbuf() allows
 * (tcp_sent() calls re-arm it).  A static table of IMAP_MAX_SESSIONS
 * sessions, as in port/posix.
 *
 * The board's loop, each round:
 *     netif input, sys_check_timeouts(), lwip_raw_service(now),
 *     then sleep until the next interrupt unless lwip_raw_service said busy.
 */
#ifndef LWIP_RAW_LOOP_H
#define LWIP_RAW_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "imap/imap.h"

/* Listens on port (any address) and serves it with srv; with tls, each
 * connection starts with the TLS handshake (implicit TLS, port 993; the
 * engine's TLS layer does it, the port only moves bytes).  0 or -1. */
int lwip_raw_listen(imap_server_t *srv, uint16_t port, bool tls,
                    uint64_t now_ms);

/* One round over every session; true when some session has work left
 * that needs no I/O (step again without sleeping). */
bool lwip_raw_service(uint64_t now_ms);

/* Shutdown: BYE to every session; keep calling lwip_raw_service() until
 * lwip_raw_live() is 0 or a time limit, then lwip_raw_close_all(). */
void lwip_raw_shutdown(void);
int lwip_raw_live(void);
void lwip_raw_close_all(void);

/* Most sessions open at once since boot (a high-water mark). */
int lwip_raw_live_max(void);

#endif
