/*
 * firmware_tls.c - TLS set-up of the firmware: the image's certificate
 * (imap_tls_from_image, as the host daemon) and mbedTLS's NV seed kept in
 * the image.
 */
#include "firmware_tls.h"

#include "board.h"
#include "firmware_log.h"
#include "imap/imap.h"

#if FW_HAVE_TLS
#include "tls/tls.h"

#include "mbedtls/platform.h"
#include "mbedtls/platform_util.h"

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
    char err[120];

    fw_seed_store = st;
    mbedtls_platform_set_nv_seed(fw_seed_read, fw_seed_write);
    /* without the host's random bytes there is no entropy source: the TLS
     * layer refuses rather than run on the NV seed alone */
    int rc = imap_tls_from_image(st, board_entropy_ok() ? fw_entropy : NULL,
                                 NULL, err, sizeof err);
    if (rc == STORE_ENOENT)
        return false;         /* main says what that means */
    if (rc != 0) {
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
