/*
 * posix_loop.h - the daemon's event loop on the kernel's sockets: the
 * shared loop (port/common/port_loop.h: one thread, a fixed table of
 * IMAP_MAX_SESSIONS sessions, non-blocking sockets) run with
 * port_loop_run(&posix_loop_net, ...), ppoll() as its wait.
 */
#ifndef POSIX_LOOP_H
#define POSIX_LOOP_H

#include "port_loop.h"

/* Listening sockets one daemon serves at most. */
#define POSIX_LISTEN_MAX 8

/* The kernel's sockets for port_loop_run(): listening sockets come from
 * posix_listen (non-blocking). */
extern const port_net_t posix_loop_net;

/* Installs the signal handlers: SIGTERM/SIGINT stop port_loop_run, SIGPIPE
 * is ignored (posix_signal.h).  Call it before announcing the listeners,
 * so a signal sent right after the announcement is not lost.  0 or -1. */
int posix_loop_init(void);

#endif
