/*
 * mbedtls_config.h - the project's mbedTLS 2.28 configuration (host daemon,
 * host tools, and the cross-compiled core: one feature set).
 *
 * A TLS 1.2 server only: ECDHE key exchange (no static RSA, no DHE), AEAD
 * suites (AES-GCM, ChaCha20-Poly1305), no renegotiation, no session cache,
 * the max_fragment_length extension honoured, record buffers that shrink
 * to the negotiated fragment after the handshake.  Every allocation goes
 * to the static buffer allocator the TLS layer installs (src/tls/), so the
 * RAM is fixed and its high-water mark can be read.
 *
 * Record sizes: IMAP_TLS_IN_CONTENT_LEN / IMAP_TLS_OUT_CONTENT_LEN from
 * src/imap_opts.h (or the board's IMAP_USER_OPTS_HEADER).
 */
#ifndef IMAPD_MBEDTLS_CONFIG_H
#define IMAPD_MBEDTLS_CONFIG_H

/* ---- platform ----------------------------------------------------------- */
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY            /* calloc/free set at run time */
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C      /* ... onto a static buffer */
#define MBEDTLS_MEMORY_DEBUG               /* current and peak use */
#define MBEDTLS_MEMORY_ALIGN_MULTIPLE 8    /* 64-bit hosts: aligned headers */
#define MBEDTLS_NO_PLATFORM_ENTROPY        /* entropy comes from the port */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_ERROR_C                    /* readable reasons in the log */
/* No clock: the server checks no certificate dates and keeps no cache. */

/* ---- hashes, ciphers, DRBG ---------------------------------------------- */
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA512_C                   /* SHA-384 suites */
#define MBEDTLS_SHA1_C                     /* certificate signatures/OIDs */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES             /* tables in flash, not RAM */
#define MBEDTLS_GCM_C
#define MBEDTLS_CHACHA20_C
#define MBEDTLS_POLY1305_C
#define MBEDTLS_CHACHAPOLY_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_ENTROPY_C                  /* accumulator: port source (+ NV seed) */
#define MBEDTLS_ENTROPY_MAX_SOURCES 4      /* we add one or two: small context */
#define MBEDTLS_PKCS5_C                    /* PBKDF2: password hashes */

/* ---- public key --------------------------------------------------------- */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_DP_SECP384R1_ENABLED
#define MBEDTLS_ECP_DP_CURVE25519_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 4          /* handshake RAM vs speed */
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0    /* its table is per handshake */
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ECDSA_DETERMINISTIC
#define MBEDTLS_HMAC_DRBG_C                /* deterministic ECDSA */
#define MBEDTLS_RSA_C                      /* an imported RSA certificate */
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_PKCS1_V21
#define MBEDTLS_GENPRIME
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C                 /* imapctl cert gen */
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_X509_CREATE_C              /* imapctl cert gen */
#define MBEDTLS_X509_CRT_WRITE_C

/* ---- TLS ---------------------------------------------------------------- */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_SRV_C
#define MBEDTLS_SSL_CLI_C                  /* unit tests' in-memory client only */
#define MBEDTLS_SSL_PROTO_TLS1_2           /* and nothing older */
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH /* buffers shrink to the MFL */
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_ALL_ALERT_MESSAGES

#define MBEDTLS_SSL_CIPHERSUITES \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256

#include "imap_opts.h"    /* the record sizes are the project's options */
/* With different sizes and MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH, mbedTLS
 * 2.28 shrinks the input buffer to the smaller size after the handshake
 * even when no max_fragment_length was negotiated, and a 16 KiB record
 * from the client then fails: the TLS layer gives it its full size back
 * (src/tls/tls_conn.c, grow_in). */
#define MBEDTLS_SSL_IN_CONTENT_LEN  IMAP_TLS_IN_CONTENT_LEN
#define MBEDTLS_SSL_OUT_CONTENT_LEN IMAP_TLS_OUT_CONTENT_LEN
/* TLS 1.2 suites only use SHA-256/384 for the handshake digest. */

#include "mbedtls/check_config.h"

#endif
