/*
 * lwport_loop.h - the daemon's event loop on lwIP's socket API: one
 * application thread, lwip_poll(), a fixed table of IMAP_MAX_SESSIONS
 * sessions, non-blocking sockets.  posix_loop.c's twin.
 */
#ifndef LWPORT_LOOP_H
#define LWPORT_LOOP_H

#include <stddef.h>

#include "imap/imap.h"

/* Listening sockets one daemon serves at most. */
#define LWPORT_LISTEN_MAX 4

/* Installs the signal handlers (SIGTERM/SIGINT set a flag, SIGPIPE is
 * ignored) and empties the session table.  Call it before starting lwIP's
 * threads (they start with every signal blocked) and before announcing the
 * listeners.  0 or -1. */
int lwport_loop_init(void);

/* Serves the listening lwIP sockets until SIGTERM or SIGINT; then every
 * session gets BYE, its output is flushed (a few seconds at most) and it is
 * closed.  Returns 0 after a signal, -1 on a fatal error (logged). */
int lwport_loop_run(imap_server_t *srv, const int *listen_fds, size_t nlisten);

/* Marks a listening socket as implicit TLS (the 993 convention): its
 * connections open with imap_session_open_tls().  Before lwport_loop_run. */
void lwport_loop_tls_listener(int fd);

#endif
