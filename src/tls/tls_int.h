/*
 * tls_int.h - what the TLS layer's files share.
 */
#ifndef TLS_INT_H
#define TLS_INT_H

#include "tls/tls.h"

#include "mbedtls/ssl.h"

struct tls_conn {
    bool used;
    bool eof;                       /* the transport's input ended */
    bool established;
    bool notified;                  /* close_notify queued */
    int last_err;                   /* last mbedTLS error code */
    mbedtls_ssl_context ssl;
    /* ciphertext staging: rx holds [rx_off, rx_len), tx [tx_off, tx_len) */
    uint16_t rx_off, rx_len, tx_off, tx_len;
    uint8_t rx[IMAP_TLS_RX_BUF];
    uint8_t tx[IMAP_TLS_TX_BUF];
};

/* The server-wide mbedTLS configuration (tls_server.c). */
const mbedtls_ssl_config *tls_server_conf(void);
/* Bytes of the connection pool (tls_conn.c; 0 when contexts come from a
 * port-supplied heap). */
size_t tls_pool_ram(void);
/* True once the heap is installed (tls_heap.c). */
bool tls_heap_is_ready(void);

#endif
