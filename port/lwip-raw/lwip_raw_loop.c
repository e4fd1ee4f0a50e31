/*
 * lwip_raw_loop.c - lwIP raw-API callbacks feeding the sans-I/O engine.
 * See lwip_raw_loop.h for the flow; port/posix/posix_loop.c is the same
 * loop over sockets.
 */
#include "lwip_raw_loop.h"

#include <string.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#define RAW_ROUNDS_PER_SERVICE 4     /* rx/step/tx rounds per session */
#define RAW_CLOSE_LINGER_MS 5000     /* flushing a closing session, at most */
#define RAW_DRAIN_MS 2000            /* lingering close, at most */

typedef struct raw_conn {
    struct tcp_pcb *pcb;     /* NULL: slot free */
    struct pbuf *rx;         /* received, not yet taken by the engine */
    bool fin;                /* the peer's FIN arrived (after rx) */
    bool eof;                /* ... and was delivered to the engine */
    bool closing;            /* step said CLOSE: flush, then close */
    bool kick;               /* step again without waiting for I/O */
    bool released;           /* imap_session_close() done */
    bool draining;           /* our FIN sent; discarding input */
    uint64_t close_by;
} raw_conn_t;

static imap_session_t raw_sessions[IMAP_MAX_SESSIONS];
static raw_conn_t raw_conns[IMAP_MAX_SESSIONS];
static imap_server_t *raw_srv;
static uint64_t raw_now;
static int raw_live_max;

static imap_session_t *sess_of(raw_conn_t *c)
{
    return &raw_sessions[c - raw_conns];
}

/* Forgets the pcb: no callback may reach a freed slot afterwards. */
static void pcb_detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
}

static void rx_drop(raw_conn_t *c)
{
    if (c->rx) {
        if (c->pcb)
            tcp_recved(c->pcb, c->rx->tot_len);
        pbuf_free(c->rx);
        c->rx = NULL;
    }
}

static void conn_free(raw_conn_t *c)
{
    if (!c->released)
        imap_session_close(sess_of(c));
    c->released = true;
    rx_drop(c);
    if (c->pcb) {
        pcb_detach(c->pcb);
        if (tcp_close(c->pcb) != ERR_OK)
            tcp_abort(c->pcb);      /* out of memory for the FIN: reset */
    }
    c->pcb = NULL;
}

static size_t conn_rx(raw_conn_t *c, imap_session_t *s);

/* ---- lwIP callbacks: queue and flag, nothing more ----------------------- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    raw_conn_t *c = arg;
    (void)err;
    if (c == NULL) {                /* detached: lwIP's default behaviour */
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (p == NULL) {
        c->fin = true;
    } else if (c->released || c->closing) {
        tcp_recved(pcb, p->tot_len);    /* nobody will read it */
        pbuf_free(p);
    } else if (c->rx) {
        pbuf_cat(c->rx, p);
    } else {
        c->rx = p;
    }
    /* Take what fits into the engine now: a pbuf held here is a frame
     * buffer of the pool (1.5 KiB even for a 1-byte segment), and the
     * pool is small. */
    if (!c->released && !c->closing)
        conn_rx(c, sess_of(c));
    c->kick = true;
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    raw_conn_t *c = arg;
    (void)pcb;
    (void)len;
    if (c)
        c->kick = true;            /* room again: the engine may have more */
    return ERR_OK;
}

/* The pcb is already freed by lwIP (reset, or out of memory). */
static void on_err(void *arg, err_t err)
{
    raw_conn_t *c = arg;
    (void)err;
    if (c == NULL)
        return;
    c->pcb = NULL;
    conn_free(c);
}

/* arg: non-NULL on an implicit-TLS listener (port 993). */
static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    if (err != ERR_OK || pcb == NULL)
        return ERR_VAL;
    raw_conn_t *c = NULL;
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        if (raw_conns[i].pcb == NULL) {
            c = &raw_conns[i];
            break;
        }
    if (c == NULL) {           /* table full: BYE and close */
        char bye[128];
        size_t n = imap_server_busy_bye(bye, sizeof(bye));
        tcp_write(pcb, bye, (u16_t)n, TCP_WRITE_FLAG_COPY);
        tcp_output(pcb);
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
            return ERR_ABRT;
        }
        return ERR_OK;
    }
    char peer[48];
    char ip[IPADDR_STRLEN_MAX];
    ipaddr_ntoa_r(&pcb->remote_ip, ip, sizeof(ip));
    size_t k = strlen(ip);
    memcpy(peer, ip, k);
    peer[k++] = ':';
    char digits[6];
    int nd = 0;
    unsigned port = pcb->remote_port;
    do {
        digits[nd++] = (char)('0' + port % 10);
        port /= 10;
    } while (port);
    while (nd > 0)
        peer[k++] = digits[--nd];
    peer[k] = '\0';

    memset(c, 0, sizeof(*c));
    c->pcb = pcb;
    c->kick = true;            /* the greeting is waiting */
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_nagle_disable(pcb);
    if (arg != NULL)
        imap_session_open_tls(raw_srv, sess_of(c), raw_now, peer);
    else
        imap_session_open(raw_srv, sess_of(c), raw_now, peer);
    int live = lwip_raw_live();
    if (live > raw_live_max)
        raw_live_max = live;
    return ERR_OK;
}

/* ---- Moving bytes -------------------------------------------------------- */

/* Copies queued input into the engine; returns bytes taken. */
static size_t conn_rx(raw_conn_t *c, imap_session_t *s)
{
    size_t total = 0;
    uint8_t *p;
    size_t space;
    while (c->rx && (space = imap_session_rx_space(s, &p)) > 0) {
        size_t n = c->rx->tot_len < space ? c->rx->tot_len : space;
        pbuf_copy_partial(c->rx, p, (u16_t)n, 0);
        imap_session_rx_commit(s, n);
        c->rx = pbuf_free_header(c->rx, (u16_t)n);
        tcp_recved(c->pcb, (u16_t)n);
        total += n;
    }
    if (c->rx == NULL && c->fin && !c->eof) {
        c->eof = true;         /* the engine still answers what it has */
        imap_session_rx_eof(s);
        c->kick = true;
    }
    return total;
}

/* Hands output to lwIP as far as its send buffer allows; bytes queued. */
static size_t conn_tx(raw_conn_t *c, imap_session_t *s)
{
    const uint8_t *q;
    size_t avail, total = 0;
    while ((avail = imap_session_tx_data(s, &q)) > 0) {
        size_t room = tcp_sndbuf(c->pcb);
        if (room == 0 || tcp_sndqueuelen(c->pcb) >= TCP_SND_QUEUELEN)
            break;
        size_t n = avail < room ? avail : room;
        err_t e = tcp_write(c->pcb, q, (u16_t)n, TCP_WRITE_FLAG_COPY);
        if (e == ERR_MEM)
            break;             /* lwIP's heap is full: retry next round */
        if (e != ERR_OK)
            break;
        imap_session_tx_consume(s, n);
        total += n;
    }
    if (total > 0)
        tcp_output(c->pcb);
    return total;
}

static bool tx_pending(imap_session_t *s)
{
    const uint8_t *q;
    return imap_session_tx_data(s, &q) > 0;
}

/* Everything handed to lwIP: release the session and send our FIN; keep
 * reading (and dropping) until the peer's FIN, so unread input never turns
 * the close into a reset that could destroy the BYE in flight. */
static void conn_finish(raw_conn_t *c, imap_session_t *s, uint64_t now)
{
    imap_session_close(s);
    c->released = true;
    rx_drop(c);
    if (c->fin || tcp_shutdown(c->pcb, 0, 1) != ERR_OK) {
        conn_free(c);
        return;
    }
    c->draining = true;
    c->close_by = now + RAW_DRAIN_MS;
}

static bool conn_service(raw_conn_t *c, imap_session_t *s, uint64_t now)
{
    if (c->draining) {
        if (c->fin || now >= c->close_by)
            conn_free(c);
        return false;
    }
    bool due = now >= imap_session_deadline(s);
    bool work = c->kick || due || c->rx || tx_pending(s) || c->closing;
    if (!work)
        return false;
    c->kick = false;
    for (int round = 0; round < RAW_ROUNDS_PER_SERVICE && c->pcb; round++) {
        size_t got = conn_rx(c, s);
        unsigned ev = imap_session_step(s, now);
        bool busy = (ev & IMAP_EV_BUSY) != 0;
        if ((ev & IMAP_EV_CLOSE) && !c->closing) {
            c->closing = true;
            c->close_by = now + RAW_CLOSE_LINGER_MS;
        }
        size_t sent = conn_tx(c, s);
        if (c->closing && !tx_pending(s)) {
            conn_finish(c, s, now);
            return false;
        }
        if (busy)
            c->kick = true;
        if (!(got > 0 || sent > 0 || busy))
            break;
    }
    if (c->pcb && c->closing && now >= c->close_by) {
        conn_free(c);
        return false;
    }
    return c->pcb != NULL && c->kick;
}

/* ---- Public -------------------------------------------------------------- */

int lwip_raw_listen(imap_server_t *srv, uint16_t port, bool tls,
                    uint64_t now_ms)
{
    static char tls_mark;
    raw_srv = srv;
    raw_now = now_ms;
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
    if (pcb == NULL)
        return -1;
    if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
        tcp_close(pcb);
        return -1;
    }
    struct tcp_pcb *lpcb = tcp_listen(pcb);
    if (lpcb == NULL) {
        tcp_close(pcb);
        return -1;
    }
    tcp_arg(lpcb, tls ? &tls_mark : NULL);
    tcp_accept(lpcb, on_accept);
    return 0;
}

bool lwip_raw_service(uint64_t now_ms)
{
    bool busy = false;
    raw_now = now_ms;
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++) {
        raw_conn_t *c = &raw_conns[i];
        if (c->pcb && conn_service(c, &raw_sessions[i], now_ms))
            busy = true;
    }
    return busy;
}

void lwip_raw_shutdown(void)
{
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        if (raw_conns[i].pcb && !raw_conns[i].released) {
            imap_session_shutdown(&raw_sessions[i], "server shutting down");
            raw_conns[i].kick = true;
        }
}

int lwip_raw_live(void)
{
    int n = 0;
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        n += raw_conns[i].pcb != NULL;
    return n;
}

int lwip_raw_live_max(void)
{
    return raw_live_max;
}

void lwip_raw_close_all(void)
{
    for (int i = 0; i < IMAP_MAX_SESSIONS; i++)
        if (raw_conns[i].pcb)
            conn_free(&raw_conns[i]);
}
