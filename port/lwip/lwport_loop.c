/*
 * lwport_loop.c - lwip_poll() loop driving the sans-I/O engine over lwIP
 * TCP sockets.  The same rounds as port/posix/posix_loop.c:
 *
 * Per round: build the poll set from what each session wants (input only
 * while it has rx space, output while it has tx data), wait at most until
 * the earliest session deadline (0 while a session is busy), then for each
 * session: recv, step, send, a few times while that makes progress.  The
 * engine bounds the work of one step, so one client never stalls the rest.
 *
 * lwip_poll() cannot be interrupted by a signal, so the wait is capped at
 * LOOP_SIGNAL_CHECK_MS and the stop flag is checked each round.  A full
 * lwIP send buffer (or an empty heap) is EWOULDBLOCK: back-pressure, as on
 * Linux.  An exhausted PCB pool refuses connections inside lwIP itself.
 */
#include "lwport_loop.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lwip/sockets.h"

#include "posix_sys.h"

#define LOOP_ROUNDS_PER_WAKE 8       /* recv/step/send rounds per session */
#define LOOP_ACCEPTS_PER_WAKE 16
#define LOOP_CLOSE_LINGER_MS 5000    /* flushing a closing session, at most */
#define LOOP_STOP_LINGER_MS 3000     /* flushing BYEs at shutdown, at most */
#define LOOP_DRAIN_MS 2000           /* lingering close, at most */
#define LOOP_SIGNAL_CHECK_MS 100     /* longest wait: the stop flag is seen */
#define LOOP_ADDR_STR 32

typedef struct lwport_conn {
    int fd;              /* -1: slot free */
    int pidx;            /* index in the poll set this round, -1: none */
    bool eof;            /* the peer's end of input was delivered */
    bool closing;        /* step said CLOSE: flush, then close */
    bool kick;           /* step again without waiting for I/O */
    uint64_t close_by;   /* closing: give up flushing at this time */
    bool released;       /* imap_session_close() done: only the fd is left */
    bool draining;       /* lingering close: output shut, input discarded */
} lwport_conn_t;

static imap_session_t loop_sessions[IMAP_MAX_SESSIONS];
static lwport_conn_t loop_conns[IMAP_MAX_SESSIONS];
static struct pollfd loop_pfds[LWPORT_LISTEN_MAX + IMAP_MAX_SESSIONS];
static int loop_tls_fds[LWPORT_LISTEN_MAX];
static size_t loop_ntls;
static volatile sig_atomic_t loop_signal;
static bool loop_ready;

static void loop_on_signal(int sig)
{
    loop_signal = sig;
}

static bool would_block(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static void conn_close(lwport_conn_t *c, imap_session_t *s)
{
    if (!c->released)
        imap_session_close(s);
    lwip_close(c->fd);
    c->fd = -1;
    c->pidx = -1;
}

/* Everything sent: release the session, then shut our side and discard
 * input until the peer closes too (a lingering close: closing with unread
 * input would send a reset that may destroy the BYE in flight). */
static void conn_finish(lwport_conn_t *c, imap_session_t *s, uint64_t now)
{
    imap_session_close(s);
    c->released = true;
    if (c->eof || lwip_shutdown(c->fd, SHUT_WR) != 0) {
        conn_close(c, s);
        return;
    }
    c->draining = true;
    c->close_by = now + LOOP_DRAIN_MS;
}

static void conn_drain(lwport_conn_t *c, imap_session_t *s, uint64_t now)
{
    static uint8_t scratch[1024];
    for (int k = 0; k < LOOP_ROUNDS_PER_WAKE; k++) {
        ssize_t n = lwip_recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n < 0 && would_block())
            break;
        conn_close(c, s);          /* EOF or a real error: done */
        return;
    }
    if (now >= c->close_by)
        conn_close(c, s);
}

static bool tx_pending(imap_session_t *s)
{
    const uint8_t *q;
    return imap_session_tx_data(s, &q) > 0;
}

/* Receives what fits; returns bytes received, 0 if nothing. */
static size_t conn_recv(lwport_conn_t *c, imap_session_t *s)
{
    uint8_t *p;
    size_t space;

    if (c->eof || (space = imap_session_rx_space(s, &p)) == 0)
        return 0;
    ssize_t n = lwip_recv(c->fd, p, space, MSG_DONTWAIT);
    if (n > 0) {
        imap_session_rx_commit(s, (size_t)n);
        return (size_t)n;
    }
    if (n == 0 || !would_block()) {
        c->eof = true;   /* closed or broken: the engine decides what now */
        imap_session_rx_eof(s);
        c->kick = true;
    }
    return 0;
}

/* Sends what the socket takes; returns bytes sent, or -1 if it broke. */
static long conn_send(lwport_conn_t *c, imap_session_t *s)
{
    const uint8_t *q;
    size_t avail;
    long total = 0;

    while ((avail = imap_session_tx_data(s, &q)) > 0) {
        ssize_t n = lwip_send(c->fd, q, avail, MSG_DONTWAIT);
        if (n < 0 && would_block())
            break;
        if (n < 0)
            return -1;
        imap_session_tx_consume(s, (size_t)n);
        total += n;
    }
    return total;
}

/* One session's turn: a few rounds of recv, step, send while they make
 * progress.  Returns false when the connection was closed. */
static bool conn_service(lwport_conn_t *c, imap_session_t *s, short revents,
                         uint64_t now)
{
    bool input = (revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    bool due = now >= imap_session_deadline(s);

    if (!(input || due || c->kick || (revents & POLLOUT) || c->closing))
        return true;
    for (int round = 0; round < LOOP_ROUNDS_PER_WAKE; round++) {
        size_t got = input ? conn_recv(c, s) : 0;
        bool stepped = false;
        if (got > 0 || c->kick || due || round == 0) {
            unsigned ev = imap_session_step(s, now);
            stepped = true;
            c->kick = (ev & IMAP_EV_BUSY) != 0;
            if ((ev & IMAP_EV_CLOSE) && !c->closing) {
                c->closing = true;
                c->close_by = now + LOOP_CLOSE_LINGER_MS;
            }
        }
        long sent = conn_send(c, s);
        if (sent < 0) {          /* peer gone: nothing more can reach it */
            conn_close(c, s);
            return false;
        }
        if (sent > 0)
            c->kick = true;      /* room again: the engine may have more */
        if (c->closing && !tx_pending(s)) {
            conn_finish(c, s, now);
            return false;
        }
        due = false;
        if (!(got > 0 || sent > 0 || (stepped && c->kick)))
            break;
    }
    if (c->closing && now >= c->close_by) {
        conn_close(c, s);
        return false;
    }
    return true;
}

void lwport_loop_tls_listener(int fd)
{
    if (loop_ntls < LWPORT_LISTEN_MAX)
        loop_tls_fds[loop_ntls++] = fd;
}

static bool loop_is_tls(int lfd)
{
    for (size_t i = 0; i < loop_ntls; i++)
        if (loop_tls_fds[i] == lfd)
            return true;
    return false;
}

static void peer_str(const struct sockaddr_in *sa, char *buf, size_t cap)
{
    char ip[IP4ADDR_STRLEN_MAX];
    ip4_addr_t a;
    inet_addr_to_ip4addr(&a, &sa->sin_addr);
    ip4addr_ntoa_r(&a, ip, sizeof(ip));
    snprintf(buf, cap, "%s:%u", ip, (unsigned)lwip_ntohs(sa->sin_port));
}

static void loop_accept(imap_server_t *srv, int lfd, uint64_t now)
{
    for (int k = 0; k < LOOP_ACCEPTS_PER_WAKE; k++) {
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);
        char peer[LOOP_ADDR_STR];
        int fd = lwip_accept(lfd, (struct sockaddr *)&sa, &len);
        if (fd < 0) {
            if (!would_block() && errno != ECONNABORTED)
                posix_logf(IMAP_LOG_WARN, "accept: lwIP error %d", errno);
            return;
        }
        peer_str(&sa, peer, sizeof(peer));
        int on = 1;
        lwip_ioctl(fd, FIONBIO, &on);
        int slot = -1;
        for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
            if (loop_conns[i].fd < 0) {
                slot = i;
                break;
            }
        if (slot < 0) {
            char bye[256];
            size_t n = imap_server_busy_bye(bye, sizeof(bye));
            if (!loop_is_tls(lfd))   /* a TLS client cannot read it */
                (void)lwip_send(fd, bye, n, MSG_DONTWAIT);
            lwip_close(fd);
            posix_logf(IMAP_LOG_WARN, "%s: refused, all %d sessions in use",
                       peer, IMAP_MAX_SESSIONS);
            continue;
        }
        lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        lwport_conn_t *c = &loop_conns[slot];
        memset(c, 0, sizeof(*c));
        c->fd = fd;
        c->pidx = -1;
        c->kick = true;          /* the greeting is waiting */
        if (loop_is_tls(lfd))
            imap_session_open_tls(srv, &loop_sessions[slot], now, peer);
        else
            imap_session_open(srv, &loop_sessions[slot], now, peer);
    }
}

static int loop_live(void)
{
    int n = 0;
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        n += loop_conns[i].fd >= 0;
    return n;
}

static void loop_stop_sessions(void)
{
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        if (loop_conns[i].fd >= 0 && !loop_conns[i].released) {
            imap_session_shutdown(&loop_sessions[i], "server shutting down");
            loop_conns[i].kick = true;
        }
}

int lwport_loop_init(void)
{
    struct sigaction sa;

    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        loop_conns[i].fd = -1;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);   /* libslirp writes to host sockets */
    sa.sa_handler = loop_on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL)) {
        posix_logf(IMAP_LOG_ERR, "signals: %s", strerror(errno));
        return -1;
    }
    loop_ready = true;
    return 0;
}

int lwport_loop_run(imap_server_t *srv, const int *listen_fds, size_t nlisten)
{
    bool stopping = false;
    uint64_t stop_by = 0;
    bool maint_more = true;   /* idle-time store work (compaction) pending */

    if (nlisten > LWPORT_LISTEN_MAX)
        nlisten = LWPORT_LISTEN_MAX;
    if (!loop_ready && lwport_loop_init() != 0)
        return -1;

    for (;;) {
        uint64_t now = posix_now_ms();
        if (loop_signal && !stopping) {
            posix_logf(IMAP_LOG_INFO, "stopping on signal %d, %d session(s) open",
                       (int)loop_signal, loop_live());
            stopping = true;
            stop_by = now + LOOP_STOP_LINGER_MS;
            loop_stop_sessions();
        }
        if (stopping && (loop_live() == 0 || now >= stop_by))
            break;

        /* The poll set and the wait. */
        nfds_t n = 0;
        uint64_t wake = now + LOOP_SIGNAL_CHECK_MS;
        for (size_t i = 0; i < nlisten && !stopping; i++)
            loop_pfds[n++] = (struct pollfd){ listen_fds[i], POLLIN, 0 };
        if (stopping && stop_by < wake)
            wake = stop_by;
        for (int i = 0; i < IMAP_MAX_SESSIONS; i++) {
            lwport_conn_t *c = &loop_conns[i];
            imap_session_t *s = &loop_sessions[i];
            uint8_t *p;
            if (c->fd < 0)
                continue;
            if (c->draining) {
                if (c->close_by < wake)
                    wake = c->close_by;
                c->pidx = (int)n;
                loop_pfds[n++] = (struct pollfd){ c->fd, POLLIN, 0 };
                continue;
            }
            short events = 0;
            if (!c->eof && !c->closing && imap_session_rx_space(s, &p) > 0)
                events |= POLLIN;
            if (tx_pending(s))
                events |= POLLOUT;
            uint64_t dl = c->closing ? c->close_by : imap_session_deadline(s);
            if (c->kick)
                dl = now;
            if (dl < wake)
                wake = dl;
            c->pidx = (int)n;
            loop_pfds[n++] = (struct pollfd){ c->fd, events, 0 };
        }
        if (maint_more && !stopping)
            wake = now;       /* store work pending: do not sleep */
        int ms = wake > now ? (int)(wake - now) : 0;
        int rc = lwip_poll(loop_pfds, n, ms);
        if (rc < 0 && errno != EINTR) {
            posix_logf(IMAP_LOG_ERR, "lwip_poll: error %d", errno);
            return -1;
        }
        if (rc < 0)
            continue;
        /* nothing happened: idle, a bounded step of store maintenance;
         * after any activity, look again once the loop is idle */
        if (rc == 0 && maint_more && !stopping)
            maint_more = imap_server_maintain(srv, 0) > 0;
        else if (rc > 0)
            maint_more = true;

        now = posix_now_ms();
        /* Sessions first (their poll indexes are this round's), then new
         * connections, which get their greeting at once. */
        for (int i = 0; i < IMAP_MAX_SESSIONS; i++) {
            lwport_conn_t *c = &loop_conns[i];
            if (c->fd < 0 || c->pidx < 0)
                continue;
            short re = rc > 0 ? loop_pfds[c->pidx].revents : 0;
            if (c->draining)
                conn_drain(c, &loop_sessions[i], now);
            else
                conn_service(c, &loop_sessions[i], re, now);
        }
        if (!stopping) {
            for (size_t i = 0; i < nlisten; i++)
                if (rc > 0 && (loop_pfds[i].revents & POLLIN))
                    loop_accept(srv, listen_fds[i], now);
            for (int i = 0; i < IMAP_MAX_SESSIONS; i++) {
                lwport_conn_t *c = &loop_conns[i];
                if (c->fd >= 0 && c->pidx < 0)
                    conn_service(c, &loop_sessions[i], 0, now);
            }
        }
    }

    /* Whatever did not flush in time is cut off; the engine still releases
     * each session (an unfinished APPEND is aborted, not committed). */
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        if (loop_conns[i].fd >= 0)
            conn_close(&loop_conns[i], &loop_sessions[i]);
    return 0;
}
