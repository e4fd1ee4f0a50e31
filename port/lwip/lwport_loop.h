/*
 * lwport_loop.h - the daemon's event loop on lwIP's socket API: the shared
 * loop (port/common/port_loop.h: one application thread, a fixed table of
 * IMAP_MAX_SESSIONS sessions, non-blocking sockets) run with
 * port_loop_run(&lwport_loop_net, ...), lwip_poll() as its wait.
 */
#ifndef LWPORT_LOOP_H
#define LWPORT_LOOP_H

#include "port_loop.h"

/* Listening sockets one daemon serves at most. */
#define LWPORT_LISTEN_MAX 4

/* lwIP's sockets for port_loop_run(): listening sockets come from
 * lwport_stack_listen. */
extern const port_net_t lwport_loop_net;

/* Installs the signal handlers: SIGTERM/SIGINT stop port_loop_run, SIGPIPE
 * is ignored.  Call it before starting lwIP's threads (they start with
 * every signal blocked) and before announcing the listeners.  0 or -1. */
int lwport_loop_init(void);

#endif
