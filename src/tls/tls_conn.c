/*
 * tls_conn.c - the connection pool, the BIO callbacks and the I/O calls.
 *
 * mbedTLS never sees a socket: its send callback appends to the tx
 * staging buffer (the port sends from there), its recv callback takes from
 * the rx staging buffer (the port receives into it).  Both say WANT_* when
 * the buffer is full or empty, which is how the non-blocking state machine
 * of mbedTLS yields back to the engine's step().
 */
#include <string.h>

#include "tls/tls_int.h"

#include "mbedtls/error.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"
/* mbedtls_ssl_flush_output(): 2.28 keeps it in the internal header */
#include "mbedtls/ssl_internal.h"

/* Connection contexts: a static pool, or (IMAP_TLS_HEAP_SIZE 0) blocks of
 * the port's heap region, so a plain-only device holds none of them.
 * Either way at most IMAP_TLS_SESSIONS at once. */
#if IMAP_TLS_HEAP_SIZE > 0
static tls_conn_t tls_pool[IMAP_TLS_SESSIONS];
size_t tls_pool_ram(void) { return sizeof tls_pool; }
#else
size_t tls_pool_ram(void) { return 0; }
#endif
static unsigned tls_open_count;

size_t tls_conn_size(void) { return sizeof(tls_conn_t); }

unsigned tls_conn_count(void)
{
    return tls_open_count;
}

static tls_conn_t *conn_alloc(void)
{
    if (tls_open_count >= IMAP_TLS_SESSIONS)
        return NULL;
#if IMAP_TLS_HEAP_SIZE > 0
    for (size_t i = 0; i < IMAP_TLS_SESSIONS; i++)
        if (!tls_pool[i].used)
            return &tls_pool[i];
    return NULL;
#else
    return mbedtls_calloc(1, sizeof(tls_conn_t));
#endif
}

static void conn_release(tls_conn_t *c)
{
    c->used = false;
    c->rx_off = c->rx_len = c->tx_off = c->tx_len = 0;
#if IMAP_TLS_HEAP_SIZE == 0
    mbedtls_free(c);
#endif
}

/* ---- BIO ---------------------------------------------------------------- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    tls_conn_t *c = ctx;
    size_t room;

    if (c->tx_off > 0 && c->tx_len == IMAP_TLS_TX_BUF) {
        memmove(c->tx, c->tx + c->tx_off, (size_t)(c->tx_len - c->tx_off));
        c->tx_len = (uint16_t)(c->tx_len - c->tx_off);
        c->tx_off = 0;
    }
    room = IMAP_TLS_TX_BUF - c->tx_len;
    if (room == 0)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    if (len > room)
        len = room;
    memcpy(c->tx + c->tx_len, buf, len);
    c->tx_len = (uint16_t)(c->tx_len + len);
    return (int)len;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    tls_conn_t *c = ctx;
    size_t have = (size_t)(c->rx_len - c->rx_off);

    if (have == 0)
        return c->eof ? 0 : MBEDTLS_ERR_SSL_WANT_READ;  /* 0: EOF */
    if (len > have)
        len = have;
    memcpy(buf, c->rx + c->rx_off, len);
    c->rx_off = (uint16_t)(c->rx_off + len);
    if (c->rx_off == c->rx_len)
        c->rx_off = c->rx_len = 0;
    return (int)len;
}

/* ---- pool --------------------------------------------------------------- */

tls_conn_t *tls_conn_open(void)
{
    tls_conn_t *c = NULL;

    if (!tls_server_ready())
        return NULL;
    /* the high-water mark from here on is this connection's set-up and
     * handshake (the figure docs/TLS.md quotes, one connection at a time) */
    tls_heap_peak_reset();
    c = conn_alloc();
    if (c == NULL)
        return NULL;
    memset(c, 0, offsetof(tls_conn_t, rx));
    mbedtls_ssl_init(&c->ssl);
    /* allocates the record buffers from the heap */
    if (mbedtls_ssl_setup(&c->ssl, tls_server_conf()) != 0) {
        mbedtls_ssl_free(&c->ssl);
        conn_release(c);
        return NULL;
    }
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
    c->used = true;
    tls_open_count++;
    return c;
}

void tls_conn_close(tls_conn_t *c)
{
    if (c == NULL || !c->used)
        return;
    mbedtls_ssl_free(&c->ssl);   /* zeroises keys, frees every buffer */
    tls_open_count--;
    conn_release(c);
}

/* ---- port side ---------------------------------------------------------- */

size_t tls_rx_space(tls_conn_t *c, uint8_t **p)
{
    if (c->rx_off > 0) {   /* keep the free space contiguous */
        memmove(c->rx, c->rx + c->rx_off, (size_t)(c->rx_len - c->rx_off));
        c->rx_len = (uint16_t)(c->rx_len - c->rx_off);
        c->rx_off = 0;
    }
    *p = c->rx + c->rx_len;
    return c->eof ? 0 : IMAP_TLS_RX_BUF - c->rx_len;
}

void tls_rx_commit(tls_conn_t *c, size_t n)
{
    if (n > (size_t)(IMAP_TLS_RX_BUF - c->rx_len))
        n = IMAP_TLS_RX_BUF - c->rx_len;
    c->rx_len = (uint16_t)(c->rx_len + n);
}

void tls_rx_eof(tls_conn_t *c) { c->eof = true; }

size_t tls_rx_pending(const tls_conn_t *c)
{
    return (size_t)(c->rx_len - c->rx_off);
}

size_t tls_tx_data(tls_conn_t *c, const uint8_t **p)
{
    *p = c->tx + c->tx_off;
    return (size_t)(c->tx_len - c->tx_off);
}

void tls_tx_consume(tls_conn_t *c, size_t n)
{
    if (n > (size_t)(c->tx_len - c->tx_off))
        n = (size_t)(c->tx_len - c->tx_off);
    c->tx_off = (uint16_t)(c->tx_off + n);
    if (c->tx_off == c->tx_len)
        c->tx_off = c->tx_len = 0;
}

/* ---- engine side -------------------------------------------------------- */

static int map_err(tls_conn_t *c, int rc)
{
    if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE)
        return TLS_AGAIN;
    c->last_err = rc;
    if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ||
        rc == MBEDTLS_ERR_SSL_CONN_EOF)
        return TLS_EOF;
    return TLS_FAIL;
}

int tls_flush(tls_conn_t *c)
{
    int rc = mbedtls_ssl_flush_output(&c->ssl);
    return rc == 0 ? TLS_OK : map_err(c, rc);
}

/* The max_fragment_length the client negotiated, in bytes (0: none). */
static size_t negotiated_mfl(const tls_conn_t *c)
{
#if defined(MBEDTLS_SSL_MAX_FRAGMENT_LENGTH)
    static const size_t len[] = { 0, 512, 1024, 2048, 4096 };
    const mbedtls_ssl_session *ss = c->ssl.session;
    if (ss != NULL && ss->mfl_code < sizeof len / sizeof len[0])
        return len[ss->mfl_code];
#endif
    (void)c;
    return 0;
}

/* At the end of the handshake mbedTLS 2.28 resizes its record buffers to
 * the negotiated fragment length; without one it takes the smaller of the
 * two compiled sizes for *both* directions, so the input buffer would no
 * longer hold the 16 KiB records a client may send.  Give it its size
 * back, moving every pointer into it the way mbedTLS's own resizing does.
 * A failed allocation keeps the small buffer: a full-size record then
 * closes the session, nothing worse. */
static void grow_in(tls_conn_t *c)
{
#if defined(MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH)
    mbedtls_ssl_context *ssl = &c->ssl;
    size_t want = MBEDTLS_SSL_IN_BUFFER_LEN;
    unsigned char *old = ssl->in_buf, *nb;

    if (negotiated_mfl(c) != 0 || old == NULL || ssl->in_buf_len >= want)
        return;
    nb = mbedtls_calloc(1, want);
    if (nb == NULL)
        return;
    memcpy(nb, old, ssl->in_buf_len);
#define MOVE(f) ssl->f = nb + (ssl->f - old)
    MOVE(in_ctr);
    MOVE(in_hdr);
    MOVE(in_len);
    MOVE(in_iv);
    MOVE(in_msg);
    if (ssl->in_offt != NULL)
        MOVE(in_offt);
#undef MOVE
    mbedtls_platform_zeroize(old, ssl->in_buf_len);
    mbedtls_free(old);
    ssl->in_buf = nb;
    ssl->in_buf_len = want;
#else
    (void)c;
#endif
}

int tls_handshake(tls_conn_t *c)
{
    int rc;

    if (c->established)
        return TLS_OK;
    rc = mbedtls_ssl_handshake(&c->ssl);
    if (rc == 0) {
        c->established = true;
        grow_in(c);
        return TLS_OK;
    }
    rc = map_err(c, rc);
    if (rc == TLS_AGAIN)
        return rc;
    /* a fatal alert may be waiting in the record buffer: stage it */
    (void)tls_flush(c);
    return rc;
}

bool tls_established(const tls_conn_t *c) { return c->established; }

long tls_read(tls_conn_t *c, uint8_t *buf, size_t cap)
{
    int rc;

    if (cap == 0)
        return TLS_AGAIN;
    if (cap > 0x7fff0000u)
        cap = 0x7fff0000u;
    rc = mbedtls_ssl_read(&c->ssl, buf, cap);
    if (rc > 0)
        return rc;
    if (rc == 0)
        return TLS_EOF;
    return map_err(c, rc);
}

long tls_write(tls_conn_t *c, const uint8_t *buf, size_t len)
{
    int rc;

    if (len == 0)
        return 0;
    /* Nothing of an older record may be pending: a WANT_WRITE from
     * mbedtls_ssl_write() then means "encrypted, partly staged", so the
     * bytes count as taken (the next flush moves the rest). */
    rc = mbedtls_ssl_flush_output(&c->ssl);
    if (rc != 0)
        return map_err(c, rc);
    if (len > IMAP_TLS_OUT_CONTENT_LEN)
        len = IMAP_TLS_OUT_CONTENT_LEN;   /* one record at a time */
    rc = mbedtls_ssl_write(&c->ssl, buf, len);
    if (rc > 0)
        return rc;
    if (rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
        int max = mbedtls_ssl_get_max_out_record_payload(&c->ssl);
        if (max > 0 && (size_t)max < len)
            len = (size_t)max;
        return (long)len;
    }
    if (rc == 0)
        return TLS_AGAIN;
    return map_err(c, rc);
}

void tls_close_notify(tls_conn_t *c)
{
    if (c->notified || !c->established)
        return;
    c->notified = true;
    (void)mbedtls_ssl_close_notify(&c->ssl);   /* WANT_WRITE: later flushes */
}

const char *tls_version(const tls_conn_t *c)
{
    return mbedtls_ssl_get_version(&c->ssl);
}

const char *tls_suite(const tls_conn_t *c)
{
    return mbedtls_ssl_get_ciphersuite(&c->ssl);
}

size_t tls_max_fragment(const tls_conn_t *c)
{
    return negotiated_mfl(c);
}

const char *tls_last_error(const tls_conn_t *c)
{
    static char buf[96];
    if (c->last_err == 0)
        return "none";
    mbedtls_strerror(c->last_err, buf, sizeof buf);
    return buf;
}
