/*
 * imap_tls.c - TLS inside the session's pipeline (implicit TLS, STARTTLS).
 *
 * A port keeps calling rx_space/rx_commit/tx_data/tx_consume; once the
 * session has a TLS connection those move ciphertext through the small
 * staging buffers of src/tls, and step() decrypts into the input buffer
 * (before the engine runs) and encrypts the output buffer (after it, and
 * whenever the port asks for bytes to send).  The engine itself never
 * knows: it sees plaintext in in[] and writes plaintext to out[].
 *
 * STARTTLS (RFC 3501 6.2.1, RFC 2595): the tagged OK goes out in
 * plaintext, then TLS starts.  Everything the client sent after the
 * STARTTLS line, before the handshake, is thrown away: those bytes were
 * not protected, so they must never run as commands inside TLS (the
 * CVE-2011-0411 family of command injection).
 */
#include <string.h>

#include "imap/imap_int.h"
#include "tls/tls.h"

bool imap_plain_ok(const imap_session_t *s)
{
    return s->srv->cfg.allow_plaintext || s->tls != NULL;
}

bool imap_tls_offer(const imap_session_t *s)
{
    return s->tls == NULL && tls_server_ready();
}

static void plain_reset_input(imap_session_t *s)
{
    s->in_len = 0;
    s->scan = s->seg = s->lit_rem = 0;
    s->fmode = IMAP_FM_LINE;
    s->skip = 0;
}

/* Nothing may reach the peer in clear once TLS was promised. */
static void drop_plain_output(imap_session_t *s)
{
    s->out_head = s->out_len = 0;
}

void imap_tls_attach(imap_session_t *s, bool implicit)
{
    tls_conn_t *c = tls_conn_open();

    if (c == NULL) {
        imap_log(s, IMAP_LOG_WARN, "TLS refused:",
                 tls_server_ready() ? "no TLS context free"
                                    : "no certificate configured");
        drop_plain_output(s);
        s->closing = true;
        return;
    }
    (void)implicit;
    s->tls = c;
    s->tls_deadline = s->now + IMAP_TLS_HANDSHAKE_TIMEOUT_MS;
}

void imap_tls_release(imap_session_t *s)
{
    if (s->tls != NULL)
        tls_conn_close(s->tls);
    if (s->tls_next != NULL)
        tls_conn_close(s->tls_next);
    s->tls = s->tls_next = NULL;
    s->tls_starting = false;
}

int imap_cmd_starttls(imap_session_t *s, imap_parser_t *p)
{
    uint32_t extra;

    if (!imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", "STARTTLS takes no arguments");
        return IMAP_R_DONE;
    }
    if (s->tls != NULL) {
        imap_out_tagged(s, "BAD", "TLS is already active");
        return IMAP_R_DONE;
    }
    if (!tls_server_ready()) {
        imap_out_tagged(s, "BAD", "STARTTLS not available");
        return IMAP_R_DONE;
    }
    s->tls_next = tls_conn_open();
    if (s->tls_next == NULL) {
        imap_out_tagged(s, "NO", "[UNAVAILABLE] No TLS context free, try later");
        return IMAP_R_DONE;
    }
    /* pipelined after STARTTLS: never executed (CVE-2011-0411) */
    extra = s->in_len - s->cmd_len;
    s->in_len = s->cmd_len;
    if (extra > 0)
        imap_log(s, IMAP_LOG_WARN, "STARTTLS:",
                 "bytes pipelined after it discarded");
    imap_out_tagged(s, "OK", "Begin TLS negotiation now");
    s->tls_starting = true;   /* step() runs no command until TLS is up */
    return IMAP_R_DONE;
}

void imap_tls_plain_drained(imap_session_t *s)
{
    if (!s->tls_starting || s->tls_next == NULL)
        return;
    s->tls = s->tls_next;
    s->tls_next = NULL;
    s->tls_starting = false;
    plain_reset_input(s);   /* whatever came in clear meanwhile: dropped */
    s->tls_deadline = s->now + IMAP_TLS_HANDSHAKE_TIMEOUT_MS;
}

/* ---- port side ---------------------------------------------------------- */

size_t imap_tls_rx_space(imap_session_t *s, uint8_t **p)
{
    if (s->closing) {
        *p = s->in;
        return 0;
    }
    return tls_rx_space(s->tls, p);
}

void imap_tls_rx_commit(imap_session_t *s, size_t n)
{
    tls_rx_commit(s->tls, n);
    if (n > 0)
        s->rx_new = true;
}

void imap_tls_rx_eof(imap_session_t *s)
{
    tls_rx_eof(s->tls);
    if (!tls_established(s->tls))
        s->closing = true;   /* a handshake cut off */
}

/* Encrypts as much plaintext output as the staging buffer takes; once a
 * closing session's output is all out, the close_notify follows. */
static void pump_out(imap_session_t *s)
{
    tls_conn_t *c = s->tls;
    int rc = tls_flush(c);

    if (rc == TLS_FAIL || rc == TLS_EOF) {
        drop_plain_output(s);
        s->closing = true;
        return;
    }
    if (rc != TLS_OK || !tls_established(c))
        return;
    while (s->out_len > s->out_head) {
        long n = tls_write(c, s->out + s->out_head, s->out_len - s->out_head);
        if (n == TLS_AGAIN || n == 0)
            return;
        if (n < 0) {
            imap_log(s, IMAP_LOG_INFO, "TLS write failed:", tls_last_error(c));
            drop_plain_output(s);
            s->closing = true;
            return;
        }
        s->out_head += (uint32_t)n;
        if (s->out_head == s->out_len)
            s->out_head = s->out_len = 0;
    }
    if (s->closing) {
        tls_close_notify(c);
        tls_flush(c);
    }
}

size_t imap_tls_tx_data(imap_session_t *s, const uint8_t **p)
{
    size_t n = tls_tx_data(s->tls, p);
    if (n == 0) {
        pump_out(s);
        n = tls_tx_data(s->tls, p);
    }
    return n;
}

void imap_tls_tx_consume(imap_session_t *s, size_t n)
{
    tls_tx_consume(s->tls, n);
    if (n > 0)
        s->last_active = s->now;
}

/* ---- step --------------------------------------------------------------- */

static void log_established(imap_session_t *s)
{
    char t[120];
    imap_sb_t b = { t, sizeof t, 0 };
    size_t mfl = tls_max_fragment(s->tls);
    tls_heap_stats_t hs;

    imap_sb_str(&b, tls_version(s->tls));
    imap_sb_str(&b, " ");
    imap_sb_str(&b, tls_suite(s->tls));
    if (mfl > 0) {
        imap_sb_str(&b, " fragment ");
        imap_sb_u64(&b, mfl);
    }
    imap_log(s, IMAP_LOG_INFO, "TLS established", t);
    /* the figures docs/TLS.md quotes */
    tls_heap_stats(&hs);
    b.len = 0;
    imap_sb_str(&b, "heap used ");
    imap_sb_u64(&b, hs.used);
    imap_sb_str(&b, " peak ");
    imap_sb_u64(&b, hs.peak);
    imap_sb_str(&b, " of ");
    imap_sb_u64(&b, hs.size);
    imap_sb_str(&b, " sessions ");
    imap_sb_u64(&b, tls_conn_count());
    imap_log(s, IMAP_LOG_DEBUG, "TLS", t);
}

static void fail(imap_session_t *s, const char *what)
{
    imap_log(s, IMAP_LOG_INFO, what, tls_last_error(s->tls));
    drop_plain_output(s);
    s->closing = true;
}

bool imap_tls_pre_step(imap_session_t *s)
{
    tls_conn_t *c = s->tls;

    if (s->closing)
        return false;
    if (!tls_established(c)) {
        int rc;
        if (s->now >= s->tls_deadline) {
            imap_log(s, IMAP_LOG_INFO, "TLS handshake timeout", NULL);
            drop_plain_output(s);
            s->closing = true;
            return false;
        }
        rc = tls_handshake(c);
        if (rc == TLS_AGAIN)
            return false;
        if (rc != TLS_OK) {
            fail(s, "TLS handshake failed:");
            return false;
        }
        log_established(s);
    }
    /* decrypt while there is room in the input buffer */
    s->tls_in_blocked = false;
    for (;;) {
        long n;
        if (s->in_len >= IMAP_INBUF_SIZE) {
            s->tls_in_blocked = true;
            break;
        }
        n = tls_read(c, s->in + s->in_len, IMAP_INBUF_SIZE - s->in_len);
        if (n > 0) {
            s->in_len += (uint32_t)n;
            s->rx_new = false;   /* stamped below, like rx_commit */
            s->last_active = s->now;
            continue;
        }
        if (n == TLS_AGAIN)
            break;
        if (n == TLS_EOF) {
            s->eof = true;
            break;
        }
        fail(s, "TLS read failed:");
        return false;
    }
    return true;
}

unsigned imap_tls_post_step(imap_session_t *s, unsigned ev)
{
    const uint8_t *q;
    uint8_t *p;

    pump_out(s);
    ev &= ~(IMAP_EV_WANT_READ | IMAP_EV_WANT_WRITE);
    if (s->closing)
        ev = (ev & ~IMAP_EV_BUSY) | IMAP_EV_CLOSE;
    if (tls_tx_data(s->tls, &q) > 0)
        ev |= IMAP_EV_WANT_WRITE;
    if (!s->closing && tls_rx_space(s->tls, &p) > 0)
        ev |= IMAP_EV_WANT_READ;
    /* records already received wait for input room the engine just made */
    if (!s->closing && s->tls_in_blocked && s->in_len < IMAP_INBUF_SIZE)
        ev |= IMAP_EV_BUSY;
    return ev;
}

uint64_t imap_tls_deadline(const imap_session_t *s, uint64_t dl)
{
    if (!tls_established(s->tls) && s->tls_deadline < dl)
        return s->tls_deadline;
    return dl;
}

bool imap_session_is_tls(const imap_session_t *s)
{
    return s->tls != NULL;
}
