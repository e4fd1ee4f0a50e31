/*
 * port_loop.c - the poll loop driving the sans-I/O engine over TCP sockets,
 * shared by port/posix and port/lwip through their port_net_t.
 *
 * Per round: build the poll set from what each session wants (input only
 * while it has rx space, output while it has tx data), wait at most until
 * the earliest session deadline (0 while a session is busy), then for each
 * session: recv, step, send, a few times while that makes progress.  The
 * engine bounds the work of one step, so one client never stalls the rest.
 */
#include "port_loop.h"

#include <stdbool.h>
#include <string.h>

#define LOOP_ROUNDS_PER_WAKE 8       /* recv/step/send rounds per session */
#define LOOP_ACCEPTS_PER_WAKE 16
#define LOOP_CLOSE_LINGER_MS 5000    /* flushing a closing session, at most */
#define LOOP_STOP_LINGER_MS 3000     /* flushing BYEs at shutdown, at most */
#define LOOP_ACCEPT_PAUSE_MS 200     /* after EMFILE and friends */
#define LOOP_DRAIN_MS 2000           /* lingering close, at most */
#define LOOP_STOP_DRAIN_MS 250       /* the same while the server stops */
#define LOOP_DRAIN_CHUNK 1024        /* discarded input, per recv */

typedef struct port_conn {
    bool open;           /* the slot holds a connection */
    int fd;
    int pidx;            /* index in the poll set this round, -1: none */
    bool eof;            /* the peer's end of input was delivered */
    bool closing;        /* step said CLOSE: flush, then close */
    bool kick;           /* step again without waiting for I/O */
    uint64_t close_by;   /* closing: give up flushing at this time */
    bool released;       /* imap_session_close() done: only the fd is left */
    bool draining;       /* lingering close: output shut, input discarded */
} port_conn_t;

static imap_session_t loop_sessions[IMAP_MAX_SESSIONS];
static port_conn_t loop_conns[IMAP_MAX_SESSIONS];
static port_pollfd_t loop_set[PORT_LISTEN_MAX + IMAP_MAX_SESSIONS];
static int loop_tls_fds[PORT_LISTEN_MAX];
static size_t loop_ntls;
static uint64_t loop_drain_ms = LOOP_DRAIN_MS;

static void conn_close(const port_net_t *net, port_conn_t *c, imap_session_t *s)
{
    if (!c->released)
        imap_session_close(s);
    net->close(c->fd);
    c->open = false;
    c->pidx = -1;
}

/* Everything sent: release the session, then close.  If the peer may still
 * be sending (pipelined commands after LOGOUT), closing with unread input
 * makes the TCP stack send a reset, and some stacks then drop the BYE and
 * the tagged OK they already received; so shut our side first and discard
 * input until the peer closes too (a lingering close). */
static void conn_finish(const port_net_t *net, port_conn_t *c,
                        imap_session_t *s, uint64_t now)
{
    imap_session_close(s);
    c->released = true;
    if (c->eof || net->shutdown_wr(c->fd) != 0) {
        conn_close(net, c, s);
        return;
    }
    c->draining = true;
    c->close_by = now + loop_drain_ms;
}

/* A lingering close: read and drop until EOF, an error or the time limit. */
static void conn_drain(const port_net_t *net, port_conn_t *c,
                       imap_session_t *s, uint64_t now)
{
    static uint8_t scratch[LOOP_DRAIN_CHUNK];
    for (int k = 0; k < LOOP_ROUNDS_PER_WAKE; k++) {
        long n = net->recv(c->fd, scratch, sizeof(scratch));
        if (n > 0)
            continue;
        if (n == PORT_IO_AGAIN)
            break;
        conn_close(net, c, s);     /* EOF or a real error: done */
        return;
    }
    if (now >= c->close_by)
        conn_close(net, c, s);
}

static bool tx_pending(imap_session_t *s)
{
    const uint8_t *q;
    return imap_session_tx_data(s, &q) > 0;
}

/* Receives what fits; returns bytes received, 0 if nothing. */
static size_t conn_recv(const port_net_t *net, port_conn_t *c,
                        imap_session_t *s)
{
    uint8_t *p;
    size_t space;

    if (c->eof || (space = imap_session_rx_space(s, &p)) == 0)
        return 0;
    long n = net->recv(c->fd, p, space);
    if (n > 0) {
        imap_session_rx_commit(s, (size_t)n);
        return (size_t)n;
    }
    if (n != PORT_IO_AGAIN) {
        c->eof = true;   /* closed or broken: the engine decides what now */
        imap_session_rx_eof(s);
        c->kick = true;
    }
    return 0;
}

/* Sends what the socket takes; returns bytes sent, or -1 if it broke. */
static long conn_send(const port_net_t *net, port_conn_t *c, imap_session_t *s)
{
    const uint8_t *q;
    size_t avail;
    long total = 0;

    while ((avail = imap_session_tx_data(s, &q)) > 0) {
        long n = net->send(c->fd, q, avail);
        if (n == PORT_IO_AGAIN || n == 0)
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
static bool conn_service(const port_net_t *net, port_conn_t *c,
                         imap_session_t *s, unsigned revents, uint64_t now)
{
    bool input = (revents & PORT_POLL_IN) != 0;
    bool due = now >= imap_session_deadline(s);

    if (!(input || due || c->kick || (revents & PORT_POLL_OUT) || c->closing))
        return true;
    for (int round = 0; round < LOOP_ROUNDS_PER_WAKE; round++) {
        size_t got = input ? conn_recv(net, c, s) : 0;
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
        long sent = conn_send(net, c, s);
        if (sent < 0) {          /* peer gone: nothing more can reach it */
            conn_close(net, c, s);
            return false;
        }
        if (sent > 0)
            c->kick = true;      /* room again: the engine may have more */
        if (c->closing && !tx_pending(s)) {
            conn_finish(net, c, s, now);
            return false;
        }
        due = false;
        if (!(got > 0 || sent > 0 || (stepped && c->kick)))
            break;
    }
    if (c->closing && now >= c->close_by) {
        conn_close(net, c, s);
        return false;
    }
    return true;
}

void port_loop_tls_listener(int fd)
{
    if (loop_ntls < PORT_LISTEN_MAX)
        loop_tls_fds[loop_ntls++] = fd;
}

static bool loop_is_tls(int lfd)
{
    for (size_t i = 0; i < loop_ntls; i++)
        if (loop_tls_fds[i] == lfd)
            return true;
    return false;
}

static void loop_accept(const port_net_t *net, imap_server_t *srv, int lfd,
                        uint64_t now, uint64_t *pause_until)
{
    for (int k = 0; k < LOOP_ACCEPTS_PER_WAKE; k++) {
        char peer[PORT_PEER_STR];
        int fd = net->accept(lfd, peer);
        if (fd < 0) {
            if (fd == PORT_IO_PAUSE)
                *pause_until = now + LOOP_ACCEPT_PAUSE_MS;
            return;
        }
        int slot = -1;
        for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
            if (!loop_conns[i].open) {
                slot = i;
                break;
            }
        if (slot < 0) {
            char bye[256];
            size_t n = imap_server_busy_bye(bye, sizeof(bye));
            if (!loop_is_tls(lfd))   /* a TLS client cannot read it */
                (void)net->send(fd, bye, n);
            net->close(fd);
            net->logf(IMAP_LOG_WARN, "%s: refused, all %d sessions in use",
                      peer, IMAP_MAX_SESSIONS);
            continue;
        }
        port_conn_t *c = &loop_conns[slot];
        memset(c, 0, sizeof(*c));
        c->open = true;
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
        n += loop_conns[i].open;
    return n;
}

static void loop_stop_sessions(uint64_t now)
{
    /* Stopping: clients that keep their end open after BYE get less time. */
    loop_drain_ms = LOOP_STOP_DRAIN_MS;
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        if (loop_conns[i].draining && loop_conns[i].close_by > now + loop_drain_ms)
            loop_conns[i].close_by = now + loop_drain_ms;
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        if (loop_conns[i].open && !loop_conns[i].released) {
            imap_session_shutdown(&loop_sessions[i], "server shutting down");
            loop_conns[i].kick = true;
        }
}

/* The poll set of this round: the listeners (while accepting), then every
 * connection with what its session can use.  Lowers *wake to the earliest
 * time a session needs a turn; returns the set's size. */
static size_t loop_poll_set(const int *listen_fds, size_t nlisten,
                            bool accepting, uint64_t now, uint64_t *wake)
{
    size_t n = 0;
    for (size_t i = 0; i < nlisten && accepting; i++)
        loop_set[n++] = (port_pollfd_t){ listen_fds[i], PORT_POLL_IN, 0 };
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++) {
        port_conn_t *c = &loop_conns[i];
        imap_session_t *s = &loop_sessions[i];
        uint8_t *p;
        if (!c->open)
            continue;
        c->pidx = (int)n;
        if (c->draining) {
            if (c->close_by < *wake)
                *wake = c->close_by;
            loop_set[n++] = (port_pollfd_t){ c->fd, PORT_POLL_IN, 0 };
            continue;
        }
        unsigned events = 0;
        if (!c->eof && !c->closing && imap_session_rx_space(s, &p) > 0)
            events |= PORT_POLL_IN;
        if (tx_pending(s))
            events |= PORT_POLL_OUT;
        uint64_t dl = c->closing ? c->close_by : imap_session_deadline(s);
        if (c->kick)
            dl = now;
        if (dl < *wake)
            *wake = dl;
        loop_set[n++] = (port_pollfd_t){ c->fd, events, 0 };
    }
    return n;
}

int port_loop_run(const port_net_t *net, imap_server_t *srv,
                  const int *listen_fds, size_t nlisten)
{
    bool stopping = false, maint_more = true;
    uint64_t stop_by = 0, accept_pause_until = 0;

    if (nlisten > PORT_LISTEN_MAX)
        nlisten = PORT_LISTEN_MAX;

    for (;;) {
        uint64_t now = net->now_ms();
        int sig = net->stop_signal();
        if (sig && !stopping) {
            net->logf(IMAP_LOG_INFO, "stopping on signal %d, %d session(s) open",
                      sig, loop_live());
            stopping = true;
            stop_by = now + LOOP_STOP_LINGER_MS;
            loop_stop_sessions(now);
        }
        if (stopping && (loop_live() == 0 || now >= stop_by))
            break;

        /* The poll set and the wait. */
        uint64_t wake = UINT64_MAX;
        bool accepting = !stopping && now >= accept_pause_until;
        if (!accepting && !stopping)
            wake = accept_pause_until;
        if (stopping)
            wake = stop_by;
        size_t n = loop_poll_set(listen_fds, nlisten, accepting, now, &wake);
        /* idle-time store work pending: do not sleep */
        if (maint_more && !stopping)
            wake = now;
        int rc = net->wait(loop_set, n, wake == UINT64_MAX ? UINT64_MAX
                                        : wake > now ? wake - now : 0);
        if (rc == PORT_IO_ERR)
            return -1;
        if (rc < 0)
            continue;       /* a signal: handled at the top */
        /* nothing happened: idle, a bounded step of store maintenance;
         * after any activity, look again once the loop is idle */
        if (rc == 0 && maint_more && !stopping)
            maint_more = imap_server_maintain(srv, 0) > 0;
        else if (rc > 0)
            maint_more = true;

        now = net->now_ms();
        /* Sessions first (their poll indexes are this round's), then new
         * connections, which get their greeting at once. */
        for (int i = 0; i < IMAP_MAX_SESSIONS; i++) {
            port_conn_t *c = &loop_conns[i];
            if (!c->open || c->pidx < 0)
                continue;
            unsigned re = rc > 0 ? loop_set[c->pidx].revents : 0;
            if (c->draining)
                conn_drain(net, c, &loop_sessions[i], now);
            else
                conn_service(net, c, &loop_sessions[i], re, now);
        }
        if (accepting) {
            for (size_t i = 0; i < nlisten; i++)
                if (rc > 0 && (loop_set[i].revents & PORT_POLL_IN))
                    loop_accept(net, srv, listen_fds[i], now,
                                &accept_pause_until);
            for (int i = 0; i < IMAP_MAX_SESSIONS; i++) {
                port_conn_t *c = &loop_conns[i];
                if (c->open && c->pidx < 0)
                    conn_service(net, c, &loop_sessions[i], 0, now);
            }
        }
    }

    /* Whatever did not flush in time is cut off; the engine still releases
     * each session (an unfinished APPEND is aborted, not committed). */
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        if (loop_conns[i].open)
            conn_close(net, &loop_conns[i], &loop_sessions[i]);
    return 0;
}
