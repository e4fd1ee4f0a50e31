/*
 * imap.h - the sans-I/O IMAP engine: what a port sees of the core.
 *
 * The engine never touches a socket, a clock or a file.  A port (POSIX
 * poll loop, lwIP sockets, lwIP raw API, a unit test, a fuzzer) drives it:
 *
 *   imap_server_init(&srv, &store, &cfg);          once
 *   imap_session_open(&srv, &s, now, "1.2.3.4:5")  per accepted connection
 *   loop:
 *     n = imap_session_rx_space(&s, &p);   recv up to n bytes into p,
 *     imap_session_rx_commit(&s, got);     tell the engine how many
 *     ev = imap_session_step(&s, now);     bounded slice of work
 *     n = imap_session_tx_data(&s, &q);    send up to n bytes from q,
 *     imap_session_tx_consume(&s, sent);   tell the engine how many
 *     if (ev & IMAP_EV_CLOSE) close the connection, imap_session_close(&s)
 *
 * All memory is in imap_server_t and imap_session_t, placed by the port.
 */
#ifndef IMAP_H
#define IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_opts.h"
#include "store/store.h"

typedef struct imap_server imap_server_t;
typedef struct imap_session imap_session_t;

/* Log levels and the hook the port provides (one line per event; never a
 * password).  msg has no trailing newline. */
enum { IMAP_LOG_ERR, IMAP_LOG_WARN, IMAP_LOG_INFO, IMAP_LOG_DEBUG };
typedef void (*imap_log_fn)(void *ctx, int level, const char *msg);

typedef struct imap_config {
    const char *greeting_name;     /* shown in the greeting, e.g. "imapd" */
    bool allow_plaintext;          /* LOGIN/AUTHENTICATE without TLS */
    imap_log_fn log;               /* may be NULL */
    void *log_ctx;
} imap_config_t;

/* What imap_session_step() tells the port (bit set). */
#define IMAP_EV_WANT_READ  0x01u   /* there is rx space; poll for input */
#define IMAP_EV_WANT_WRITE 0x02u   /* tx data is pending; poll for output */
#define IMAP_EV_BUSY       0x04u   /* more work without I/O: step again soon */
#define IMAP_EV_CLOSE      0x08u   /* flush tx data, then close */

void imap_server_init(imap_server_t *srv, store_t *store,
                      const imap_config_t *cfg);

/* Idle-time store work (compaction, in bounded steps): the port calls it
 * when no session is busy, and again while it returns 1 (more work).
 * budget: about how many bytes to copy per call (0: the store's default). */
int imap_server_maintain(imap_server_t *srv, unsigned budget);

/* A new connection.  peer is a printable address for the log. */
void imap_session_open(imap_server_t *srv, imap_session_t *s, uint64_t now_ms,
                       const char *peer);
/* A connection on an implicit-TLS port (the 993 convention): the TLS
 * handshake first, then the greeting inside it.  The rx/tx calls then move
 * ciphertext.  Without a free TLS context (or no certificate configured:
 * see src/tls/tls.h) the session closes at once (step says CLOSE). */
void imap_session_open_tls(imap_server_t *srv, imap_session_t *s,
                           uint64_t now_ms, const char *peer);
/* True when the session's traffic is encrypted (implicit or STARTTLS). */
bool imap_session_is_tls(const imap_session_t *s);
/* A connection the server has no room for: writes "* BYE" into a caller
 * buffer and returns its length. */
size_t imap_server_busy_bye(char *buf, size_t cap);

size_t imap_session_rx_space(imap_session_t *s, uint8_t **p);
void imap_session_rx_commit(imap_session_t *s, size_t n);
/* The peer closed its side (or the connection broke). */
void imap_session_rx_eof(imap_session_t *s);

unsigned imap_session_step(imap_session_t *s, uint64_t now_ms);

size_t imap_session_tx_data(imap_session_t *s, const uint8_t **p);
void imap_session_tx_consume(imap_session_t *s, size_t n);

/* Earliest time (ms, port clock) at which step() has timed work to do
 * (autologout, a delayed failed-login answer); UINT64_MAX if none. */
uint64_t imap_session_deadline(const imap_session_t *s);

/* Server shutdown: queue "* BYE" so step() reports IMAP_EV_CLOSE. */
void imap_session_shutdown(imap_session_t *s, const char *reason);

/* Release the session (aborts an unfinished APPEND, unselects). */
void imap_session_close(imap_session_t *s);

bool imap_session_is_open(const imap_session_t *s);

/* ---- The TLS certificate kept in the image (imap_tls_image.c) ---- */

/* Blob names (imapctl cert gen / cert import write them). */
#define IMAP_TLS_CERT_BLOB "tls.cert"
#define IMAP_TLS_KEY_BLOB  "tls.key"

/* Starts the TLS layer with the image's certificate and key: both copied
 * into the TLS heap at their exact size, handed to tls_server_init with
 * the port's entropy source, then wiped and freed.  0 when TLS is ready;
 * STORE_ENOENT when the image holds no certificate (plain IMAP only);
 * otherwise another STORE_E* code with a reason in err. */
int imap_tls_from_image(store_t *st,
                        int (*entropy)(void *ctx, unsigned char *buf,
                                       size_t len),
                        void *entropy_ctx, char *err, size_t errcap);

/* The structs' contents are the engine's business. */
#include "imap/imap_struct.h"

#endif /* IMAP_H */
