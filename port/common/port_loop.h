/*
 * port_loop.h - the event loop both socket ports share: port/posix on the
 * kernel's sockets and port/lwip on lwIP's.  One thread, a fixed table of
 * IMAP_MAX_SESSIONS sessions, non-blocking sockets; the port passes its
 * socket calls in a port_net_t, so this code includes no socket header.
 * (port/lwip-raw is callback-driven and has a loop of its own.)
 */
#ifndef PORT_LOOP_H
#define PORT_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "imap/imap.h"

/* Listening sockets the loop serves at most (a port may allow fewer). */
#define PORT_LISTEN_MAX 8
/* A peer's printable address, with its NUL. */
#define PORT_PEER_STR 64

/* What a port's socket call returns besides a count or a descriptor. */
enum {
    PORT_IO_AGAIN = -1,  /* nothing now: would block, or interrupted */
    PORT_IO_ERR = -2,    /* the socket is broken; from wait: fatal (logged) */
    PORT_IO_PAUSE = -3,  /* accept: an error (logged) worth a pause */
};

/* Readiness in the loop's own terms; port_sock.h maps them to poll(). */
#define PORT_POLL_IN 0x1u    /* readable, hung up or in error: recv tells */
#define PORT_POLL_OUT 0x2u

typedef struct port_pollfd {
    int fd;
    unsigned events;     /* PORT_POLL_* wanted */
    unsigned revents;    /* PORT_POLL_* seen; 0 unless wait said ready */
} port_pollfd_t;

typedef struct port_net {
    /* Non-blocking; bytes (> 0), 0 at EOF, PORT_IO_AGAIN or PORT_IO_ERR. */
    long (*recv)(int fd, void *buf, size_t cap);
    /* Non-blocking, never raises SIGPIPE; bytes taken, PORT_IO_AGAIN or
     * PORT_IO_ERR. */
    long (*send)(int fd, const void *buf, size_t len);
    int (*shutdown_wr)(int fd);          /* 0, or -1: close instead */
    void (*close)(int fd);
    /* One waiting connection on lfd, made non-blocking with TCP_NODELAY:
     * its descriptor, the peer's address in peer (PORT_PEER_STR bytes);
     * PORT_IO_AGAIN when none is left, PORT_IO_PAUSE after an error. */
    int (*accept)(int lfd, char *peer);
    /* Waits at most ms (UINT64_MAX: no limit) for set[0..n) and sets the
     * revents of the ready ones; returns how many (0: time is up),
     * PORT_IO_AGAIN when a signal cut it short, PORT_IO_ERR (logged). */
    int (*wait)(port_pollfd_t *set, size_t n, uint64_t ms);
    int (*stop_signal)(void);            /* the stop signal seen, or 0 */
    uint64_t (*now_ms)(void);            /* the engine's clock */
    void (*logf)(int level, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
} port_net_t;

/* Marks a listening socket as implicit TLS (the 993 convention): its
 * connections open with imap_session_open_tls().  Before port_loop_run. */
void port_loop_tls_listener(int fd);

/* Serves the listening sockets until net->stop_signal() says stop; then
 * every session gets BYE, its output is flushed (a few seconds at most)
 * and it is closed.  Returns 0 after a stop, -1 on a fatal wait error.
 * The caller then closes the listeners and unmounts the store. */
int port_loop_run(const port_net_t *net, imap_server_t *srv,
                  const int *listen_fds, size_t nlisten);

#endif
