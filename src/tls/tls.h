/*
 * tls.h - the TLS layer of the core: mbedTLS over small ciphertext buffers.
 *
 * A TLS connection (tls_conn_t) sits between the port's bytes and the
 * engine's plaintext buffers.  The port side moves ciphertext:
 * tls_rx_space/tls_rx_commit (received bytes) and tls_tx_data/
 * tls_tx_consume (bytes to send); mbedTLS reads and writes those staging
 * buffers through its BIO callbacks.  The engine side runs the handshake
 * and moves plaintext with tls_read/tls_write.  No socket, no clock, no
 * heap: connections come from a fixed pool (IMAP_TLS_SESSIONS) and every
 * mbedTLS allocation from one static buffer (IMAP_TLS_HEAP_SIZE), so the
 * RAM is fixed and its high-water mark can be read (tls_heap_stats).
 *
 * There is one TLS server per process (mbedTLS's allocator hook is
 * global): tls_server_init() once with the certificate, the key and the
 * port's entropy source; without entropy TLS is refused.
 */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_opts.h"

/* Entropy from the port (getrandom, a TRNG): fills buf, 0 or nonzero. */
typedef int (*tls_entropy_fn)(void *ctx, unsigned char *buf, size_t len);

typedef struct tls_config {
    /* Certificate chain (leaf first) and private key, PEM or DER, in
     * caller memory (read once by tls_server_init; PEM needs no NUL). */
    const uint8_t *cert;
    size_t cert_len;
    const uint8_t *key;
    size_t key_len;
    tls_entropy_fn entropy;
    void *entropy_ctx;
} tls_config_t;

/* Results. */
#define TLS_OK      0
#define TLS_AGAIN   (-1)    /* needs more input or output room */
#define TLS_EOF     (-2)    /* the peer closed (close_notify or TCP) */
#define TLS_FAIL    (-3)    /* fatal: alert sent if possible, close */
#define TLS_NOMEM   (-4)    /* heap or pool exhausted */
#define TLS_CONFIG  (-5)    /* bad certificate/key, no entropy */

typedef struct tls_conn tls_conn_t;

/* Installs the static heap as mbedTLS's allocator (idempotent).  With
 * IMAP_TLS_HEAP_SIZE 0 it does nothing: the port calls
 * tls_heap_init_region() with a region of its own first (without one,
 * tls_server_init refuses TLS).  The region must outlive the layer. */
void tls_heap_init(void);
void tls_heap_init_region(void *mem, size_t len);

/* Loads the certificate and key, seeds the DRBG.  TLS_OK, or TLS_CONFIG
 * with a reason in err (NUL terminated). */
int tls_server_init(const tls_config_t *cfg, char *err, size_t errcap);
/* Parses a chain and a key as tls_server_init would and checks that the
 * key belongs to the first certificate (imapctl cert import).  TLS_OK, or
 * TLS_CONFIG with a reason in err.  Allocates through mbedTLS's calloc. */
int tls_check_pair(const uint8_t *cert, size_t cert_len, const uint8_t *key,
                   size_t key_len, char *err, size_t errcap);
/* A block of the TLS heap (NULL when it is full), and its release: the
 * bytes are wiped first (a key's copy must not linger).  For callers that
 * hold certificate and key copies only while tls_server_init parses them. */
void *tls_alloc(size_t n);
void tls_free_wiped(void *p, size_t n);
/* True once tls_server_init succeeded: STARTTLS and implicit TLS work. */
bool tls_server_ready(void);
/* Frees the certificate, key and DRBG (all connections closed first). */
void tls_server_free(void);

/* A connection from the pool, ready for its handshake; NULL when the pool
 * or the heap is exhausted or the server is not ready. */
tls_conn_t *tls_conn_open(void);
void tls_conn_close(tls_conn_t *c);
/* Connections in use. */
unsigned tls_conn_count(void);

/* Port side: ciphertext. */
size_t tls_rx_space(tls_conn_t *c, uint8_t **p);
void tls_rx_commit(tls_conn_t *c, size_t n);
void tls_rx_eof(tls_conn_t *c);
size_t tls_tx_data(tls_conn_t *c, const uint8_t **p);
void tls_tx_consume(tls_conn_t *c, size_t n);
/* Ciphertext received and not yet taken by mbedTLS. */
size_t tls_rx_pending(const tls_conn_t *c);

/* Engine side.  tls_handshake: TLS_OK when established, TLS_AGAIN, or
 * TLS_FAIL/TLS_EOF. */
int tls_handshake(tls_conn_t *c);
bool tls_established(const tls_conn_t *c);
/* Plaintext into buf: bytes (> 0), TLS_AGAIN, TLS_EOF or TLS_FAIL. */
long tls_read(tls_conn_t *c, uint8_t *buf, size_t cap);
/* Plaintext from buf: bytes taken (> 0), TLS_AGAIN (no room: send the
 * staged ciphertext first) or TLS_FAIL. */
long tls_write(tls_conn_t *c, const uint8_t *buf, size_t len);
/* Moves pending record bytes into the tx staging buffer: TLS_OK when
 * nothing is left inside mbedTLS, TLS_AGAIN, TLS_FAIL. */
int tls_flush(tls_conn_t *c);
/* Queues a close_notify alert (once). */
void tls_close_notify(tls_conn_t *c);
/* Negotiated details for the log: "TLSv1.2 TLS-ECDHE-...", maximum
 * fragment length in bytes (0: none negotiated). */
const char *tls_version(const tls_conn_t *c);
const char *tls_suite(const tls_conn_t *c);
size_t tls_max_fragment(const tls_conn_t *c);
/* Short text of the last mbedTLS error on this connection. */
const char *tls_last_error(const tls_conn_t *c);

/* The heap: bytes in use now and the high-water mark since the last
 * reset (tls_conn_open resets it, so with one connection at a time it is
 * that connection's handshake peak); size is IMAP_TLS_HEAP_SIZE or the
 * port's region. */
typedef struct tls_heap_stats {
    size_t used, peak, size, blocks;
    size_t peak_all;               /* high-water mark since the heap's start */
} tls_heap_stats_t;
void tls_heap_stats(tls_heap_stats_t *st);
void tls_heap_peak_reset(void);
/* Static RAM of the layer: the pool and the heap (for the memory report;
 * 0 with a port-supplied region: everything is in the region). */
size_t tls_static_ram(void);
size_t tls_conn_size(void);

#endif /* TLS_H */
