/*
 * firmware_tls.c - TLS set-up of the firmware (the daemon's twin is
 * firmware/imapd/imapd_tls.c; the blob names are the ones imapctl writes).
 */
#include "firmware_tls.h"

#include <string.h>

#include "board.h"
#include "firmware_log.h"
#include "imap/imap.h"

#if FW_HAVE_TLS
#include "tls/tls.h"

#define FW_TLS_CERT_BLOB "tls.cert"
#define FW_TLS_KEY_BLOB  "tls.key"
/* A self-signed P-256 certificate is about 600 bytes of PEM; a chain of
 * two fits.  Static, because parsing happens once, before any session. */
#define FW_TLS_CERT_MAX 3072
#define FW_TLS_KEY_MAX  1024

static uint8_t fw_cert[FW_TLS_CERT_MAX];
static uint8_t fw_key[FW_TLS_KEY_MAX];

static int fw_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return board_entropy(buf, len);
}

bool fw_tls_setup(store_t *st)
{
    size_t clen = 0, klen = 0;
    char err[120];

    int rc = store_blob_get(st, FW_TLS_CERT_BLOB, fw_cert, sizeof fw_cert, &clen);
    if (rc == STORE_ENOENT)
        return false;         /* main says what that means */
    if (rc == STORE_OK)
        rc = store_blob_get(st, FW_TLS_KEY_BLOB, fw_key, sizeof fw_key, &klen);
    if (rc != STORE_OK) {
        fw_logf(IMAP_LOG_ERR, "TLS certificate in the image: %s",
                store_strerror(rc));
        return false;
    }
    if (!board_entropy_ok()) {
        fw_logf(IMAP_LOG_ERR, "no entropy source: TLS refused");
        return false;
    }
    tls_config_t tc;
    memset(&tc, 0, sizeof tc);
    tc.cert = fw_cert;
    tc.cert_len = clen;
    tc.key = fw_key;
    tc.key_len = klen;
    tc.entropy = fw_entropy;
    rc = tls_server_init(&tc, err, sizeof err);
    memset(fw_key, 0, sizeof fw_key);       /* parsed: the copy goes */
    if (rc != TLS_OK) {
        fw_logf(IMAP_LOG_ERR, "TLS certificate from the image: %s", err);
        return false;
    }
    tls_heap_stats_t hs;
    tls_heap_stats(&hs);
    fw_logf(IMAP_LOG_INFO, "TLS ready (certificate from the image; %u TLS "
            "sessions, records in %u/out %u, heap %zu of %zu bytes in use, "
            "%zu bytes static)", (unsigned)IMAP_TLS_SESSIONS,
            (unsigned)IMAP_TLS_IN_CONTENT_LEN,
            (unsigned)IMAP_TLS_OUT_CONTENT_LEN, hs.used, hs.size,
            tls_static_ram());
    return true;
}
#else
bool fw_tls_setup(store_t *st)
{
    (void)st;
    return false;
}
#endif
