/*
 * port_sock.h - port_loop's socket calls (port_net_t) written once for any
 * BSD-style socket API and compiled against each: port/posix on the
 * kernel's sockets, port/lwip on lwIP's (whose names, poll flags and
 * struct pollfd differ).  Include it in one file of the port, after the
 * API's headers and after defining:
 *
 *   PORT_SOCK_NET          the name of the port_net_t it defines
 *   PORT_SOCK(f)           the API's name for recv, send, shutdown, close
 *   PORT_SOCK_SEND_FLAGS   send()'s flags (non-blocking, no SIGPIPE)
 *   static int sock_accept(int lfd, char *peer);          see port_net_t
 *   static int sock_poll(struct pollfd *pfds, size_t n, uint64_t ms);
 *       poll() with ms (UINT64_MAX: no limit): how many are ready, 0,
 *       PORT_IO_AGAIN (interrupted) or PORT_IO_ERR (logged)
 *
 * It defines PORT_SOCK_NET, the table for port_loop_run().  The clock,
 * the log and the stop signal are the host's (posix_sys.h,
 * posix_signal.h), which both socket ports run on.
 */
#ifndef PORT_SOCK_H
#define PORT_SOCK_H

#include <errno.h>
#include <stddef.h>

#include "port_loop.h"
#include "posix_signal.h"
#include "posix_sys.h"

/* A recv()/send() result in port_loop's terms. */
static long sock_result(long n)
{
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return PORT_IO_AGAIN;
    return PORT_IO_ERR;
}

static long sock_recv(int fd, void *buf, size_t cap)
{
    return sock_result(PORT_SOCK(recv)(fd, buf, cap, MSG_DONTWAIT));
}

static long sock_send(int fd, const void *buf, size_t len)
{
    return sock_result(PORT_SOCK(send)(fd, buf, len, PORT_SOCK_SEND_FLAGS));
}

static int sock_shutdown_wr(int fd)
{
    return PORT_SOCK(shutdown)(fd, SHUT_WR);
}

static void sock_close(int fd)
{
    PORT_SOCK(close)(fd);
}

static struct pollfd sock_pfds[PORT_LISTEN_MAX + IMAP_MAX_SESSIONS];

/* The loop's poll set in the API's struct pollfd and back (hang-up and
 * error read as input: the next recv reports them). */
static int sock_wait(port_pollfd_t *set, size_t n, uint64_t ms)
{
    for (size_t i = 0; i < n; i++) {
        short ev = 0;
        if (set[i].events & PORT_POLL_IN)
            ev |= POLLIN;
        if (set[i].events & PORT_POLL_OUT)
            ev |= POLLOUT;
        sock_pfds[i] = (struct pollfd){ .fd = set[i].fd, .events = ev };
    }
    int rc = sock_poll(sock_pfds, n, ms);
    for (size_t i = 0; i < n && rc > 0; i++) {
        short re = sock_pfds[i].revents;
        set[i].revents =
            ((re & (POLLIN | POLLHUP | POLLERR)) ? PORT_POLL_IN : 0u) |
            ((re & POLLOUT) ? PORT_POLL_OUT : 0u);
    }
    return rc;
}

const port_net_t PORT_SOCK_NET = {
    .recv = sock_recv,
    .send = sock_send,
    .shutdown_wr = sock_shutdown_wr,
    .close = sock_close,
    .accept = sock_accept,
    .wait = sock_wait,
    .stop_signal = posix_signal_caught,
    .now_ms = posix_now_ms,
    .logf = posix_logf,
};

#endif
