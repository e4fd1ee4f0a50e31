/*
 * posix_loop.h - the daemon's event loop: one thread, poll(), a fixed table
 * of IMAP_MAX_SESSIONS sessions, non-blocking sockets.
 */
#ifndef POSIX_LOOP_H
#define POSIX_LOOP_H

#include <stddef.h>

#include "imap/imap.h"

/* Listening sockets one daemon serves at most. */
#define POSIX_LISTEN_MAX 8

/* Installs the signal handlers (SIGTERM/SIGINT set a flag, SIGPIPE is
 * ignored) and empties the session table.  Call it before announcing the
 * listeners, so a signal sent right after the announcement is not lost.
 * posix_loop_run calls it if the caller did not.  0 or -1. */
int posix_loop_init(void);

/* Serves the listening sockets (non-blocking, from posix_listen) until
 * SIGTERM or SIGINT; then every session gets BYE, its output is flushed
 * (a few seconds at most) and it is closed.  SIGPIPE is ignored.  Returns
 * 0 after a signal, -1 on a fatal error (logged).  The caller then
 * unmounts the store. */
int posix_loop_run(imap_server_t *srv, const int *listen_fds, size_t nlisten);

/* Marks a listening socket as implicit TLS (the 993 convention): its
 * connections open with imap_session_open_tls().  Before posix_loop_run. */
void posix_loop_tls_listener(int fd);

#endif
