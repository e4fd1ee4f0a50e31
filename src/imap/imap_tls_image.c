/*
 * imap_tls_image.c - the TLS layer started from the certificate and key
 * the image keeps (blobs written by imapctl), for the host daemon and the
 * boards alike.  The copies live in the TLS heap only while they are
 * parsed, so they cost no static RAM.
 */
#include "imap/imap_int.h"
#include "tls/tls.h"

static void say(char *err, size_t cap, const char *a, const char *b)
{
    size_t n = 0;
    if (cap == 0)
        return;
    for (; *a && n + 1 < cap; a++)
        err[n++] = *a;
    for (; b && *b && n + 1 < cap; b++)
        err[n++] = *b;
    err[n] = '\0';
}

/* The blob in a heap block of its size; NULL with *rc set otherwise. */
static uint8_t *blob_load(store_t *st, const char *name, size_t *len,
                          int *rc, char *err, size_t errcap)
{
    uint8_t *buf;

    *rc = store_blob_get(st, name, NULL, 0, len);
    if (*rc != STORE_OK && *rc != STORE_ELIMIT) {
        if (*rc != STORE_ENOENT)
            say(err, errcap, name, ": unreadable in the image");
        return NULL;
    }
    buf = tls_alloc(*len);
    if (buf == NULL) {
        say(err, errcap, name, ": no room in the TLS heap");
        *rc = STORE_ELIMIT;
        return NULL;
    }
    *rc = store_blob_get(st, name, buf, *len, len);
    if (*rc != STORE_OK) {
        say(err, errcap, name, ": unreadable in the image");
        tls_free_wiped(buf, *len);
        return NULL;
    }
    return buf;
}

int imap_tls_from_image(store_t *st,
                        int (*entropy)(void *ctx, unsigned char *buf,
                                       size_t len),
                        void *entropy_ctx, char *err, size_t errcap)
{
    size_t clen = 0, klen = 0;
    uint8_t *cert, *key = NULL;
    int rc;

    say(err, errcap, "", NULL);
    tls_heap_init();
    cert = blob_load(st, IMAP_TLS_CERT_BLOB, &clen, &rc, err, errcap);
    if (cert == NULL)
        return rc;
    key = blob_load(st, IMAP_TLS_KEY_BLOB, &klen, &rc, err, errcap);
    if (key == NULL) {
        tls_free_wiped(cert, clen);
        if (rc == STORE_ENOENT)
            say(err, errcap, "certificate without a key", NULL);
        return rc == STORE_ENOENT ? STORE_ECORRUPT : rc;
    }
    const tls_config_t tc = { .cert = cert, .cert_len = clen, .key = key,
                              .key_len = klen, .entropy = entropy,
                              .entropy_ctx = entropy_ctx };
    rc = tls_server_init(&tc, err, errcap);
    tls_free_wiped(cert, clen);          /* parsed: the copies go */
    tls_free_wiped(key, klen);
    return rc == TLS_OK ? 0 : STORE_EINVAL;   /* the reason is in err */
}
