/*
 * test_tls_session.c - TLS inside the engine's pipeline, in memory: an
 * mbedTLS client talks to sessions through imap_session_rx_* and tx_* only,
 * exactly as a port would.  Implicit TLS, STARTTLS (and the injection
 * family), the pool running out, garbage and cut-off handshakes, the
 * handshake timeout; after every test the static heap is back where it
 * started (nothing leaks inside it either).
 */
#define _GNU_SOURCE   /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap.h"
#include "imap_test_driver.h"
#include "tls/tls.h"

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ecp.h"
#include "mbedtls/pk.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"

static td_t T;
static imap_session_t extra[IMAP_TLS_SESSIONS + 1];
static unsigned char cert_pem[2048], key_pem[512];
static size_t heap_base;

/* ---- deterministic entropy and a test certificate ------------------------ */

static int test_entropy(void *ctx, unsigned char *buf, size_t len)
{
    static uint32_t x = 0x12345678u;
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (unsigned char)x;
    }
    return 0;
}

static int drbg_entropy(void *ctx, unsigned char *buf, size_t len)
{
    return test_entropy(ctx, buf, len);
}

static void make_cert(void)
{
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_context key;
    mbedtls_x509write_cert crt;
    mbedtls_mpi serial;

    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_pk_init(&key);
    mbedtls_x509write_crt_init(&crt);
    mbedtls_mpi_init(&serial);
    assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, drbg_entropy, NULL, NULL, 0), 0);
    assert_int_equal(mbedtls_pk_setup(&key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
    assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key),
                                         mbedtls_ctr_drbg_random, &drbg), 0);
    mbedtls_mpi_lset(&serial, 7);
    mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
    mbedtls_x509write_crt_set_subject_key(&crt, &key);
    mbedtls_x509write_crt_set_issuer_key(&crt, &key);
    assert_int_equal(mbedtls_x509write_crt_set_subject_name(&crt, "CN=test"), 0);
    assert_int_equal(mbedtls_x509write_crt_set_issuer_name(&crt, "CN=test"), 0);
    assert_int_equal(mbedtls_x509write_crt_set_serial(&crt, &serial), 0);
    assert_int_equal(mbedtls_x509write_crt_set_validity(&crt, "20260101000000",
                                                        "20360101000000"), 0);
    assert_int_equal(mbedtls_x509write_crt_pem(&crt, cert_pem, sizeof cert_pem,
                                               mbedtls_ctr_drbg_random, &drbg), 0);
    assert_int_equal(mbedtls_pk_write_key_pem(&key, key_pem, sizeof key_pem), 0);
    mbedtls_mpi_free(&serial);
    mbedtls_x509write_crt_free(&crt);
    mbedtls_pk_free(&key);
    mbedtls_ctr_drbg_free(&drbg);
}

static size_t heap_used(void)
{
    tls_heap_stats_t st;
    tls_heap_stats(&st);
    return st.used;
}

static int server_up(void)
{
    tls_config_t cfg;
    char err[128];

    tls_heap_init();
    if (cert_pem[0] == 0)
        make_cert();
    memset(&cfg, 0, sizeof cfg);
    cfg.cert = cert_pem;
    cfg.cert_len = strlen((char *)cert_pem);   /* no NUL: the layer copes */
    cfg.key = key_pem;
    cfg.key_len = strlen((char *)key_pem);
    cfg.entropy = test_entropy;
    if (tls_server_init(&cfg, err, sizeof err) != TLS_OK) {
        fprintf(stderr, "tls_server_init: %s\n", err);
        return -1;
    }
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (server_up() != 0)
        return -1;
    td_init(&T, false);
    heap_base = heap_used();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    td_free(&T);
    /* every connection released: the heap holds only the server's state */
    assert_int_equal(tls_conn_count(), 0);
    assert_int_equal(heap_used(), heap_base);
    tls_server_free();
    return 0;
}

/* ---- a client wired to one session --------------------------------------- */

typedef struct client {
    imap_session_t *s;
    unsigned ev;
    bool tls;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_ctr_drbg_context drbg;
    uint8_t in[64 * 1024];        /* server -> client bytes not yet read */
    size_t in_len;
    uint8_t out[64 * 1024];       /* client -> server bytes not yet taken */
    size_t out_len;
    char text[64 * 1024];         /* plaintext received */
    size_t text_len;
} client_t;

static client_t C;

static int cli_send(void *ctx, const unsigned char *buf, size_t len)
{
    client_t *c = ctx;
    if (len > sizeof c->out - c->out_len)
        len = sizeof c->out - c->out_len;
    if (len == 0)
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    memcpy(c->out + c->out_len, buf, len);
    c->out_len += len;
    return (int)len;
}

static int cli_recv(void *ctx, unsigned char *buf, size_t len)
{
    client_t *c = ctx;
    if (c->in_len == 0)
        return MBEDTLS_ERR_SSL_WANT_READ;
    if (len > c->in_len)
        len = c->in_len;
    memcpy(buf, c->in, len);
    memmove(c->in, c->in + len, c->in_len - len);
    c->in_len -= len;
    return (int)len;
}

/* Moves bytes both ways and steps the session until nothing moves. */
static void pump(client_t *c)
{
    for (int round = 0; round < 10000; round++) {
        bool moved = false;
        uint8_t *p;
        const uint8_t *q;
        size_t n;

        if (!imap_session_is_open(c->s))
            return;
        while (c->out_len > 0 && (n = imap_session_rx_space(c->s, &p)) > 0) {
            if (n > c->out_len)
                n = c->out_len;
            memcpy(p, c->out, n);
            imap_session_rx_commit(c->s, n);
            memmove(c->out, c->out + n, c->out_len - n);
            c->out_len -= n;
            moved = true;
        }
        c->ev = imap_session_step(c->s, T.now);
        while ((n = imap_session_tx_data(c->s, &q)) > 0 &&
               c->in_len < sizeof c->in) {
            if (n > sizeof c->in - c->in_len)
                n = sizeof c->in - c->in_len;
            memcpy(c->in + c->in_len, q, n);
            c->in_len += n;
            imap_session_tx_consume(c->s, n);
            moved = true;
        }
        if (c->tls) {
            size_t before = c->out_len;
            int r = mbedtls_ssl_handshake(&c->ssl);
            if (c->out_len != before)
                moved = true;   /* the client has something to say */
            if (r == 0) {
                unsigned char b[4096];
                while ((r = mbedtls_ssl_read(&c->ssl, b, sizeof b)) > 0) {
                    if ((size_t)r > sizeof c->text - 1 - c->text_len)
                        r = (int)(sizeof c->text - 1 - c->text_len);
                    memcpy(c->text + c->text_len, b, (size_t)r);
                    c->text_len += (size_t)r;
                    c->text[c->text_len] = 0;
                    moved = true;
                }
            }
        } else if (c->in_len > 0) {   /* plaintext phase */
            size_t k = c->in_len;
            if (k > sizeof c->text - 1 - c->text_len)
                k = sizeof c->text - 1 - c->text_len;
            memcpy(c->text + c->text_len, c->in, k);
            c->text_len += k;
            c->text[c->text_len] = 0;
            c->in_len = 0;
            moved = true;
        }
        if (!moved && !(c->ev & IMAP_EV_BUSY))
            return;
    }
    fail_msg("pump: no quiet state");
}

static void client_start_tls(client_t *c)
{
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_ctr_drbg_init(&c->drbg);
    assert_int_equal(mbedtls_ctr_drbg_seed(&c->drbg, drbg_entropy, NULL, NULL, 0), 0);
    assert_int_equal(mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
                                                 MBEDTLS_SSL_TRANSPORT_STREAM,
                                                 MBEDTLS_SSL_PRESET_DEFAULT), 0);
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
    assert_int_equal(mbedtls_ssl_setup(&c->ssl, &c->conf), 0);
    mbedtls_ssl_set_bio(&c->ssl, c, cli_send, cli_recv, NULL);
    c->tls = true;
}

static void client_free(client_t *c)
{
    if (c->tls) {
        mbedtls_ssl_free(&c->ssl);
        mbedtls_ssl_config_free(&c->conf);
        mbedtls_ctr_drbg_free(&c->drbg);
    }
    c->tls = false;
}

static void client_open(client_t *c, imap_session_t *s, bool implicit)
{
    memset(c, 0, offsetof(client_t, in));
    c->in_len = c->out_len = c->text_len = 0;
    c->text[0] = 0;
    c->s = s;
    if (implicit) {
        imap_session_open_tls(&T.srv, s, T.now, "test");
        client_start_tls(c);
    } else {
        imap_session_open(&T.srv, s, T.now, "test");
    }
    pump(c);
}

static void client_say(client_t *c, const char *line)
{
    if (c->tls) {
        size_t n = strlen(line), off = 0;
        while (off < n) {
            int r = mbedtls_ssl_write(&c->ssl, (const unsigned char *)line + off,
                                      n - off);
            if (r > 0)
                off += (size_t)r;
            else
                assert_true(r == MBEDTLS_ERR_SSL_WANT_WRITE);
            pump(c);
        }
    } else {
        size_t n = strlen(line);
        memcpy(c->out + c->out_len, line, n);
        c->out_len += n;
    }
    pump(c);
}

static void session_done(client_t *c)
{
    if (imap_session_is_open(c->s))
        imap_session_close(c->s);
    client_free(c);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_implicit_tls(void **state)
{
    (void)state;
    client_open(&C, &extra[0], true);
    assert_true(imap_session_is_tls(C.s));
    assert_non_null(strstr(C.text, "* OK [CAPABILITY "));
    assert_non_null(strstr(C.text, "AUTH=PLAIN"));
    assert_null(strstr(C.text, "STARTTLS"));
    assert_null(strstr(C.text, "LOGINDISABLED"));
    client_say(&C, "a LOGIN alice secret\r\n");
    T.now += 10000;   /* nothing is delayed, but time moves on */
    pump(&C);
    assert_non_null(strstr(C.text, "a OK"));
    /* a response far larger than one TLS record */
    client_say(&C, "b LIST \"\" *\r\nc NOOP\r\n");
    for (int i = 0; i < 40; i++)
        client_say(&C, "n ID (\"name\" \"a fairly long client name to make "
                       "the responses add up over several records\")\r\n");
    assert_non_null(strstr(C.text, "c OK"));
    client_say(&C, "z LOGOUT\r\n");
    assert_non_null(strstr(C.text, "z OK"));
    assert_true(C.ev & IMAP_EV_CLOSE);
    session_done(&C);
}

static void test_starttls_and_injection(void **state)
{
    (void)state;
    client_open(&C, &extra[0], false);
    assert_non_null(strstr(C.text, "STARTTLS"));
    assert_non_null(strstr(C.text, "LOGINDISABLED"));
    client_say(&C, "a LOGIN alice secret\r\n");
    assert_non_null(strstr(C.text, "a NO [PRIVACYREQUIRED]"));
    /* pipelined after STARTTLS: must never run inside TLS */
    client_say(&C, "b STARTTLS\r\nc LOGIN alice secret\r\nd CAPABILITY\r\n");
    assert_non_null(strstr(C.text, "b OK Begin TLS"));
    assert_null(strstr(C.text, "c OK"));
    assert_true(imap_session_is_tls(C.s));
    C.text_len = 0;
    C.text[0] = 0;
    client_start_tls(&C);
    pump(&C);
    assert_int_equal(C.text_len, 0);   /* nothing unsolicited after STARTTLS */
    client_say(&C, "e CAPABILITY\r\n");
    assert_non_null(strstr(C.text, "AUTH=PLAIN"));
    assert_null(strstr(C.text, "LOGINDISABLED"));
    assert_null(strstr(C.text, "STARTTLS"));
    assert_null(strstr(C.text, "c OK"));
    assert_null(strstr(C.text, "d OK"));
    client_say(&C, "f SELECT INBOX\r\n");
    assert_non_null(strstr(C.text, "f BAD"));   /* the injected LOGIN never ran */
    client_say(&C, "g STARTTLS\r\n");
    assert_non_null(strstr(C.text, "g BAD"));
    session_done(&C);
}

static void test_pool_runs_out(void **state)
{
    static client_t cs[3];
    (void)state;
    for (int i = 0; i < IMAP_TLS_SESSIONS; i++)
        imap_session_open_tls(&T.srv, &extra[i], T.now, "many");
    assert_int_equal(tls_conn_count(), IMAP_TLS_SESSIONS);
    /* one more implicit-TLS connection: closed at once, nothing sent */
    imap_session_open_tls(&T.srv, &extra[IMAP_TLS_SESSIONS], T.now, "late");
    const uint8_t *q;
    unsigned ev = imap_session_step(&extra[IMAP_TLS_SESSIONS], T.now);
    assert_true(ev & IMAP_EV_CLOSE);
    assert_int_equal(imap_session_tx_data(&extra[IMAP_TLS_SESSIONS], &q), 0);
    imap_session_close(&extra[IMAP_TLS_SESSIONS]);
    /* STARTTLS on a plain session: NO, and the session goes on */
    memset(&cs[0], 0, sizeof cs[0]);
    client_open(&cs[0], &T.sess[0], false);
    client_say(&cs[0], "a STARTTLS\r\nb NOOP\r\n");
    assert_non_null(strstr(cs[0].text, "a NO [UNAVAILABLE]"));
    assert_non_null(strstr(cs[0].text, "b OK"));
    imap_session_close(&T.sess[0]);
    for (int i = 0; i < IMAP_TLS_SESSIONS; i++)
        imap_session_close(&extra[i]);
    assert_int_equal(tls_conn_count(), 0);
}

static void test_garbage_client_hello(void **state)
{
    static const struct { const char *b; size_t n; } junk[] = {
        { "a LOGIN alice secret\r\n", 22 },
        { "\x16\x03\x01\xff\xff garbage", 13 },
        { "\x16\x03\x03\x00\x05\x01\x00\x00\x01\x00", 10 },
        { "\x15\x03\x03\x00\x02\x02\x28", 7 },
    };
    (void)state;
    for (size_t k = 0; k < sizeof junk / sizeof junk[0]; k++) {
        memset(&C, 0, offsetof(client_t, in));
        C.in_len = C.text_len = 0;
        C.s = &extra[1];
        imap_session_open_tls(&T.srv, &extra[1], T.now, "junk");
        memcpy(C.out, junk[k].b, junk[k].n);
        C.out_len = junk[k].n;
        pump(&C);
        assert_true(C.ev & IMAP_EV_CLOSE);
        /* never a plaintext greeting: at most an alert record */
        assert_null(memmem(C.in, C.in_len, "* OK", 4));
        imap_session_close(&extra[1]);
    }
}

static void test_handshake_cut_and_timeout(void **state)
{
    uint64_t dl;
    (void)state;
    /* EOF in the middle of the handshake */
    client_open(&C, &extra[2], true);
    client_free(&C);           /* the client goes away after its hello */
    imap_session_rx_eof(&extra[2]);
    assert_true(imap_session_step(&extra[2], T.now) & IMAP_EV_CLOSE);
    imap_session_close(&extra[2]);

    /* a client that never speaks: closed at the handshake deadline */
    imap_session_open_tls(&T.srv, &extra[2], T.now, "silent");
    dl = imap_session_deadline(&extra[2]);
    assert_int_equal(dl, T.now + IMAP_TLS_HANDSHAKE_TIMEOUT_MS);
    assert_false(imap_session_step(&extra[2], dl - 1) & IMAP_EV_CLOSE);
    assert_true(imap_session_step(&extra[2], dl) & IMAP_EV_CLOSE);
    imap_session_close(&extra[2]);
}

static void test_alert_mid_command(void **state)
{
    (void)state;
    client_open(&C, &extra[0], true);
    client_say(&C, "a LOGIN alice secret\r\n");
    client_say(&C, "b APPEND INBOX {50}\r\n");
    assert_non_null(strstr(C.text, "+ "));
    client_say(&C, "half of it");
    /* a record the server cannot authenticate */
    memcpy(C.out, "\x17\x03\x03\x00\x20 0123456789abcdef0123456789abcde", 37);
    C.out_len = 37;
    pump(&C);
    assert_true(C.ev & IMAP_EV_CLOSE);
    session_done(&C);
    /* nothing of the APPEND is there */
    client_open(&C, &extra[0], true);
    client_say(&C, "a LOGIN alice secret\r\nb SELECT INBOX\r\n");
    assert_non_null(strstr(C.text, "* 0 EXISTS"));
    session_done(&C);
}

/* A record longer than the build's input record buffer (or than any TLS
 * record may be): the session closes, nothing is read past it. */
static void test_record_too_large(void **state)
{
    (void)state;
    client_open(&C, &extra[0], true);
    client_say(&C, "a NOOP\r\n");
    assert_non_null(strstr(C.text, "a OK"));
    memcpy(C.out, "\x17\x03\x03\x48\x00", 5);   /* 18432 bytes announced */
    memset(C.out + 5, 0x41, 600);
    C.out_len = 605;
    pump(&C);
    assert_true(C.ev & IMAP_EV_CLOSE);
    session_done(&C);
}

/* Random bytes before and after a handshake, in random pieces: the session
 * always ends closed or waiting, never crashes, never leaks (teardown). */
static void test_random_input(void **state)
{
    uint32_t x = 0x9e3779b9u;
    (void)state;
    for (int round = 0; round < 300; round++) {
        bool after = round % 2;
        size_t n;
        if (after) {
            client_open(&C, &extra[0], true);
            client_say(&C, "a NOOP\r\n");
            assert_non_null(strstr(C.text, "a OK"));
        } else {   /* garbage where the ClientHello should be */
            memset(&C, 0, offsetof(client_t, in));
            C.in_len = C.out_len = C.text_len = 0;
            C.s = &extra[0];
            imap_session_open_tls(&T.srv, &extra[0], T.now, "random");
        }
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        n = 1 + x % 3000;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            C.out[C.out_len + i] = (uint8_t)x;
        }
        if (round % 3 == 0 && n > 5) {   /* a plausible record header */
            C.out[C.out_len] = (uint8_t)(0x14 + x % 5);
            C.out[C.out_len + 1] = 3;
            C.out[C.out_len + 2] = 3;
        }
        C.out_len += n;
        pump(&C);
        T.now += IMAP_TLS_HANDSHAKE_TIMEOUT_MS;   /* and the deadline */
        pump(&C);
        /* before the handshake: refused or timed out; after it the
         * session may wait for the rest of a record it was promised */
        assert_true((C.ev & IMAP_EV_CLOSE) || after);
        session_done(&C);
    }
}

static void test_no_certificate(void **state)
{
    (void)state;
    tls_server_free();
    client_open(&C, &extra[0], false);
    assert_null(strstr(C.text, "STARTTLS"));
    client_say(&C, "a STARTTLS\r\n");
    assert_non_null(strstr(C.text, "a BAD"));
    session_done(&C);
    imap_session_open_tls(&T.srv, &extra[0], T.now, "nocert");
    assert_true(imap_session_step(&extra[0], T.now) & IMAP_EV_CLOSE);
    imap_session_close(&extra[0]);
    assert_int_equal(server_up(), 0);   /* as teardown expects it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_implicit_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_starttls_and_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_runs_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_client_hello, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_cut_and_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_mid_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_certificate, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
