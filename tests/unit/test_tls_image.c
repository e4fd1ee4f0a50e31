/*
 * test_tls_image.c - imap_tls_from_image, the TLS start-up the host daemon
 * and the boards share: no certificate in the image (plain IMAP only), a
 * certificate without its key, a certificate that does not parse; each
 * with its reason, and the TLS heap back where it was (the copies freed).
 * The working pair is tested end to end by the protocol suite (imapctl
 * cert gen, then STARTTLS and implicit TLS).
 */
#include "store_testlib.h"

#include "imap/imap.h"
#include "tls/tls.h"

static int entropy(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    return 0;
}

static size_t heap_used(void)
{
    tls_heap_stats_t hs;
    tls_heap_stats(&hs);
    return hs.used;
}

static void put(store_t *st, const char *name, const char *text)
{
    assert_int_equal(store_blob_set(st, name, text, strlen(text)), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
}

static void test_cert_from_image(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    char err[160];
    (void)state;

    tls_heap_init();
    size_t base = heap_used();
    tdev_init(&d, geo_nor(1u << 20));
    tformat_mount(&d, st);

    /* nothing in the image: plain IMAP only, no message */
    assert_int_equal(imap_tls_from_image(st, entropy, NULL, err, sizeof err),
                     STORE_ENOENT);
    assert_false(tls_server_ready());

    /* a certificate whose key is missing */
    put(st, IMAP_TLS_CERT_BLOB, "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                "-----END CERTIFICATE-----\n");
    int rc = imap_tls_from_image(st, entropy, NULL, err, sizeof err);
    assert_true(rc < 0 && rc != STORE_ENOENT);
    assert_non_null(strstr(err, "without a key"));
    assert_false(tls_server_ready());
    assert_int_equal(heap_used(), base);

    /* both present, the certificate garbage: the parser's reason */
    put(st, IMAP_TLS_KEY_BLOB, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n"
                               "-----END EC PRIVATE KEY-----\n");
    rc = imap_tls_from_image(st, entropy, NULL, err, sizeof err);
    assert_true(rc < 0 && rc != STORE_ENOENT);
    assert_non_null(strstr(err, "bad certificate"));
    assert_false(tls_server_ready());
    assert_int_equal(heap_used(), base);

    /* no entropy source: refused, the copies freed */
    rc = imap_tls_from_image(st, NULL, NULL, err, sizeof err);
    assert_true(rc < 0 && rc != STORE_ENOENT);
    assert_non_null(strstr(err, "entropy"));
    assert_int_equal(heap_used(), base);

    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_from_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
