/*
 * imapd_tls.c - where the daemon's certificate comes from, and TLS setup.
 *
 * --cert/--key files win; otherwise the image's "tls.cert"/"tls.key"
 * blobs (imapctl cert gen / cert import).  Entropy is getrandom() through
 * the port.  Without a certificate the daemon still serves plain IMAP (no
 * STARTTLS), but refuses to open an implicit-TLS listener.
 */
#include "imapd_tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "imap/imap.h"
#include "posix_sys.h"
#include "store/store.h"
#include "tls/tls.h"

#define IMAPD_TLS_FILE_MAX (64 * 1024)

/* --cert/--key files, read once at start-up; mbedTLS parses them into its
 * own heap.  (The image's blobs go through imap_tls_from_image.) */
static uint8_t imapd_cert[IMAPD_TLS_FILE_MAX];
static uint8_t imapd_key[IMAPD_TLS_FILE_MAX];

static int read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "imapd: cannot read %s: %s\n", path, strerror(errno));
        return -1;
    }
    *len = fread(buf, 1, cap, f);
    int bad = ferror(f) || (*len == cap && fgetc(f) != EOF);
    fclose(f);
    if (bad || *len == 0) {
        fprintf(stderr, "imapd: %s: empty, unreadable or larger than %d bytes\n",
                path, IMAPD_TLS_FILE_MAX);
        return -1;
    }
    return 0;
}

static int entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    return posix_entropy(buf, len);
}

int imapd_tls_setup(const imapd_config_t *cfg, store_t *st, bool *ready)
{
    char err[160];
    const char *from;
    int rc;

    *ready = false;
    tls_heap_init();
    if (cfg->cert != NULL) {
        size_t clen = 0, klen = 0;
        if (read_file(cfg->cert, imapd_cert, sizeof imapd_cert, &clen) ||
            read_file(cfg->key, imapd_key, sizeof imapd_key, &klen))
            return -1;
        from = "files";
        const tls_config_t tc = { .cert = imapd_cert, .cert_len = clen,
                                  .key = imapd_key, .key_len = klen,
                                  .entropy = entropy };
        rc = tls_server_init(&tc, err, sizeof err);
        memset(imapd_key, 0, sizeof imapd_key);   /* parsed: the copy goes */
    } else {
        from = "the image";
        rc = imap_tls_from_image(st, entropy, NULL, err, sizeof err);
        if (rc == STORE_ENOENT)
            return 0;   /* no certificate: plain IMAP only */
    }
    if (rc != 0) {
        fprintf(stderr, "imapd: TLS certificate from %s: %s\n", from, err);
        return -1;
    }
    tls_heap_stats_t hs;
    tls_heap_stats(&hs);
    posix_logf(IMAP_LOG_INFO, "TLS ready (certificate from %s; %u TLS sessions, "
               "records in %u/out %u, heap %zu of %zu bytes in use, "
               "%zu bytes static)",
               from, (unsigned)IMAP_TLS_SESSIONS,
               (unsigned)IMAP_TLS_IN_CONTENT_LEN,
               (unsigned)IMAP_TLS_OUT_CONTENT_LEN, hs.used, hs.size,
               tls_static_ram());
    *ready = true;
    return 0;
}
