/*
 * imap_opts.h - every build-time size, limit and timeout of the core.
 *
 * The lwIP opt.h convention: a board or a firmware builder defines
 * IMAP_USER_OPTS_HEADER (for example -DIMAP_USER_OPTS_HEADER='"my_opts.h"')
 * and sets in that header only the values it wants to change; everything
 * else keeps the documented default below.  Nothing in the core allocates
 * from the heap after start-up: these numbers are the whole RAM story.
 */
#ifndef IMAP_OPTS_H
#define IMAP_OPTS_H

#ifdef IMAP_USER_OPTS_HEADER
#include IMAP_USER_OPTS_HEADER
#endif

/* ---- Sessions and their buffers ---------------------------------------- */

/* Concurrent client connections.  One more gets "* BYE" and a close. */
#ifndef IMAP_MAX_SESSIONS
#define IMAP_MAX_SESSIONS 8
#endif

/* Input buffer per session: holds one command line with its inline
 * literals.  APPEND message literals never have to fit: they stream to the
 * store.  Must be at least 2 * STORE_DATA_CHUNK so data can stream. */
#ifndef IMAP_INBUF_SIZE
#define IMAP_INBUF_SIZE 8192
#endif

/* Output buffer per session.  FETCH literals larger than this stream from
 * the store as the socket drains the buffer. */
#ifndef IMAP_OUTBUF_SIZE
#define IMAP_OUTBUF_SIZE 8192
#endif

/* Largest message APPEND accepts ({n} above this: NO [TOOBIG]). */
#ifndef IMAP_LITERAL_MAX
#define IMAP_LITERAL_MAX (64UL * 1024 * 1024)
#endif

/* ---- Names and limits -------------------------------------------------- */

#ifndef IMAP_USER_NAME_MAX
#define IMAP_USER_NAME_MAX 64          /* bytes, without the NUL */
#endif

#ifndef IMAP_PASSWORD_MAX
#define IMAP_PASSWORD_MAX 128          /* bytes accepted by LOGIN/AUTHENTICATE */
#endif

#ifndef IMAP_MAILBOX_NAME_MAX
#define IMAP_MAILBOX_NAME_MAX 200      /* bytes of a full mailbox path */
#endif

/* Keywords per mailbox (each message stores a bit mask of at most 64). */
#ifndef IMAP_KEYWORDS_MAX
#define IMAP_KEYWORDS_MAX 32
#endif

#ifndef IMAP_KEYWORD_LEN_MAX
#define IMAP_KEYWORD_LEN_MAX 32
#endif

/* FETCH items (attributes and sections) one command may ask for. */
#ifndef IMAP_FETCH_ITEMS_MAX
#define IMAP_FETCH_ITEMS_MAX 16
#endif

/* SEARCH keys one command may hold, and how deep parentheses/NOT/OR nest. */
#ifndef IMAP_SEARCH_KEYS_MAX
#define IMAP_SEARCH_KEYS_MAX 32
#endif
#ifndef IMAP_SEARCH_DEPTH_MAX
#define IMAP_SEARCH_DEPTH_MAX 8
#endif
/* Bytes SEARCH reads (and decodes) at a time from a message; three
 * buffers of it are shared by every session (the loop is single-threaded).
 * At most STORE_DATA_CHUNK is used. */
#ifndef IMAP_SEARCH_BLOCK
#define IMAP_SEARCH_BLOCK 2048
#endif

/* ---- Time -------------------------------------------------------------- */

/* Autologout once authenticated: RFC 9051 asks for at least 30 minutes. */
#ifndef IMAP_IDLE_TIMEOUT_MS
#define IMAP_IDLE_TIMEOUT_MS (31UL * 60 * 1000)
#endif

/* Before authentication a silent client is dropped much sooner. */
#ifndef IMAP_PREAUTH_TIMEOUT_MS
#define IMAP_PREAUTH_TIMEOUT_MS (60UL * 1000)
#endif

/* Delay before a failed LOGIN/AUTHENTICATE is answered; doubles with each
 * further failure on the same connection, up to the maximum. */
#ifndef IMAP_AUTH_FAIL_DELAY_MS
#define IMAP_AUTH_FAIL_DELAY_MS 500
#endif
#ifndef IMAP_AUTH_FAIL_DELAY_MAX_MS
#define IMAP_AUTH_FAIL_DELAY_MAX_MS 8000
#endif

/* Failed authentications before the connection is closed with BYE. */
#ifndef IMAP_AUTH_FAIL_MAX
#define IMAP_AUTH_FAIL_MAX 8
#endif

/* ---- Cooperative scheduling -------------------------------------------- */

/* Work units (roughly: messages visited, or store chunks moved) one call of
 * imap_session_step() may spend before it yields to the other sessions. */
#ifndef IMAP_SLICE_BUDGET
#define IMAP_SLICE_BUDGET 64
#endif

/* ---- Store ------------------------------------------------------------- */

/* Size of one index (B+tree) node on flash and in the node cache. */
#ifndef STORE_NODE_SIZE
#define STORE_NODE_SIZE 1024
#endif

/* Clean index nodes kept in RAM, shared by all sessions. */
#ifndef STORE_NODE_CACHE
#define STORE_NODE_CACHE 8
#endif

/* Payload bytes per message data chunk on flash (each chunk carries a CRC).
 * The effective chunk is rounded up to the device's program unit. */
#ifndef STORE_DATA_CHUNK
#define STORE_DATA_CHUNK 2048
#endif

/* Commits between two checkpoints: bounds what a mount has to replay. */
#ifndef STORE_CHECKPOINT_INTERVAL
#define STORE_CHECKPOINT_INTERVAL 64
#endif

/* PBKDF2-HMAC-SHA256 iterations for new password hashes. */
#ifndef STORE_PBKDF2_ITERATIONS
#define STORE_PBKDF2_ITERATIONS 20000
#endif

/* ---- TLS (src/tls, mbedTLS) -------------------------------------------- */

/* TLS contexts in the pool: sessions that can be TLS at the same time
 * (implicit TLS or after STARTTLS).  A TLS connection beyond it is closed,
 * STARTTLS beyond it gets NO. */
#ifndef IMAP_TLS_SESSIONS
#define IMAP_TLS_SESSIONS IMAP_MAX_SESSIONS
#endif

/* mbedTLS record buffers (MBEDTLS_SSL_IN/OUT_CONTENT_LEN, read by the
 * project's mbedtls_config.h).  A client may send 16 KiB records unless it
 * negotiates max_fragment_length, so the input side stays 16 KiB; the
 * output side only bounds the records we write (and the certificate chain,
 * which must fit in one handshake message). */
#ifndef IMAP_TLS_IN_CONTENT_LEN
#define IMAP_TLS_IN_CONTENT_LEN 16384
#endif
#ifndef IMAP_TLS_OUT_CONTENT_LEN
#define IMAP_TLS_OUT_CONTENT_LEN 4096
#endif

/* Ciphertext staging per TLS session, each way: what the port reads into
 * and sends from (mbedTLS's BIO callbacks move it to/from its records). */
#ifndef IMAP_TLS_RX_BUF
#define IMAP_TLS_RX_BUF 512
#endif
#ifndef IMAP_TLS_TX_BUF
#define IMAP_TLS_TX_BUF 1024
#endif

/* The static heap every mbedTLS allocation comes from (record buffers,
 * handshake state, the certificate and key).  Default: a steady session
 * with full-size records in every pool slot, plus room for the handshakes
 * in progress and the server's certificate and key.
 * 0: no static heap; the port hands the TLS layer a region of its own
 * (tls_heap_init_region, e.g. the RAM a linker script leaves over) and the
 * connection contexts come from that region too, so a device serving only
 * plain sessions holds no TLS RAM beyond the server's certificate. */
#ifndef IMAP_TLS_HEAP_SIZE
#define IMAP_TLS_HEAP_SIZE \
    (IMAP_TLS_SESSIONS * \
         (IMAP_TLS_IN_CONTENT_LEN + IMAP_TLS_OUT_CONTENT_LEN + 3072UL) + \
     48UL * 1024)
#endif

/* A TLS handshake not finished in this time closes the connection. */
#ifndef IMAP_TLS_HANDSHAKE_TIMEOUT_MS
#define IMAP_TLS_HANDSHAKE_TIMEOUT_MS (20UL * 1000)
#endif

/* ---- Sanity ------------------------------------------------------------ */

#if IMAP_INBUF_SIZE < 2 * STORE_DATA_CHUNK
#error "IMAP_INBUF_SIZE must be at least 2 * STORE_DATA_CHUNK"
#endif
#if IMAP_TLS_OUT_CONTENT_LEN < 512 || IMAP_TLS_IN_CONTENT_LEN < 512 || \
    IMAP_TLS_IN_CONTENT_LEN > 16384 || \
    IMAP_TLS_OUT_CONTENT_LEN > IMAP_TLS_IN_CONTENT_LEN
#error "TLS record sizes: 512..16384, output at most the input size"
#endif
#if IMAP_TLS_SESSIONS > IMAP_MAX_SESSIONS
#error "IMAP_TLS_SESSIONS cannot exceed IMAP_MAX_SESSIONS"
#endif
#if IMAP_KEYWORDS_MAX > 64
#error "IMAP_KEYWORDS_MAX is at most 64 (a per-message bit mask)"
#endif

#endif /* IMAP_OPTS_H */
