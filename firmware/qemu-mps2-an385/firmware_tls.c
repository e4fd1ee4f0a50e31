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

#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"

#define FW_TLS_CERT_BLOB "tls.cert"
#define FW_TLS_KEY_BLOB  "tls.key"

/* Reads a blob into a block of the heap of its exact size (NULL with rc
 * set when it is missing or unreadable): the PEM copies live only while
 * tls_server_init parses them, so they cost no static RAM. */
static uint8_t *blob_load(store_t *st, const char *name, size_t *len, int *rc)
{
    uint8_t *buf;

    *rc = store_blob_get(st, name, NULL, 0, len);
    if (*rc != STORE_OK && *rc != STORE_ELIMIT)
        return NULL;
    buf = mbedtls_calloc(1, *len ? *len : 1);
    if (buf == NULL) {
        fw_logf(IMAP_LOG_ERR, "%s: no heap for %zu bytes", name, *len);
        *rc = STORE_ELIMIT;
        return NULL;
    }
    *rc = store_blob_get(st, name, buf, *len, len);
    if (*rc != STORE_OK) {
        mbedtls_free(buf);
        return NULL;
    }
    return buf;
}

static void blob_free(uint8_t *buf, size_t len)
{
    if (buf == NULL)
        return;
    mbedtls_platform_zeroize(buf, len);   /* the key's copy goes */
    mbedtls_free(buf);
}

/* mbedTLS's NV seed, kept in the image as a blob: read at boot into the
 * entropy accumulator, replaced (and committed) by the fresh one it draws.
 * A missing or short seed (first boot) is made from the board's entropy,
 * so it is never a constant. */
#define FW_TLS_SEED_BLOB "tls.seed"
static store_t *fw_seed_store;

static int fw_seed_write(unsigned char *buf, size_t len)
{
    if (store_blob_set(fw_seed_store, FW_TLS_SEED_BLOB, buf, len) != STORE_OK ||
        store_commit(fw_seed_store) != STORE_OK) {
        fw_logf(IMAP_LOG_WARN, "TLS: NV seed not saved");
        return -1;
    }
    fw_logf(IMAP_LOG_INFO, "TLS: NV seed in the image renewed");
    return (int)len;
}

static int fw_seed_read(unsigned char *buf, size_t len)
{
    size_t got = 0;

    if (store_blob_get(fw_seed_store, FW_TLS_SEED_BLOB, buf, len, &got) ==
            STORE_OK && got == len)
        return (int)len;
    if (board_entropy(buf, len) != 0)
        return -1;
    return fw_seed_write(buf, len);
}

static int fw_entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return board_entropy(buf, len);
}

bool fw_tls_setup(store_t *st)
{
    size_t clen = 0, klen = 0;
    uint8_t *cert, *key = NULL;
    char err[120];
    int rc;

    cert = blob_load(st, FW_TLS_CERT_BLOB, &clen, &rc);
    if (rc == STORE_ENOENT)
        return false;         /* main says what that means */
    if (cert != NULL)
        key = blob_load(st, FW_TLS_KEY_BLOB, &klen, &rc);
    if (key == NULL) {
        blob_free(cert, clen);
        fw_logf(IMAP_LOG_ERR, "TLS certificate in the image: %s",
                store_strerror(rc));
        return false;
    }
    if (!board_entropy_ok()) {
        blob_free(cert, clen);
        blob_free(key, klen);
        fw_logf(IMAP_LOG_ERR, "no entropy source: TLS refused");
        return false;
    }
    tls_config_t tc;
    memset(&tc, 0, sizeof tc);
    tc.cert = cert;
    tc.cert_len = clen;
    tc.key = key;
    tc.key_len = klen;
    tc.entropy = fw_entropy;
    fw_seed_store = st;
    mbedtls_platform_set_nv_seed(fw_seed_read, fw_seed_write);
    rc = tls_server_init(&tc, err, sizeof err);
    blob_free(cert, clen);                  /* parsed: the copies go */
    blob_free(key, klen);
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
