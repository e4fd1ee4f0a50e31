/*
 * test_tls_blob.c - the store's named blobs, where the TLS certificate and
 * key live in an image: set, get, replace, delete, sizes at the chunk
 * boundaries, the limit, survival across a remount, a clean fsck, and
 * rollback of an uncommitted change.
 */
#include "store_testlib.h"

static void fill(uint8_t *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(seed + i * 7);
}

static void test_blob_roundtrip(void **state)
{
    static uint8_t in[STORE_BLOB_MAX + 1], out[STORE_BLOB_MAX + 1];
    static const size_t sizes[] = { 0, 1, 239, 240, 241, 480, 3000,
                                    STORE_BLOB_MAX };
    tdev_t d;
    store_t *st = tstore_new();
    size_t len;
    (void)state;

    tdev_init(&d, geo_nor(4u << 20));
    tformat_mount(&d, st);
    assert_int_equal(store_blob_get(st, "tls.cert", out, sizeof out, &len),
                     STORE_ENOENT);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        fill(in, sizes[k], (uint8_t)k);
        assert_int_equal(store_blob_set(st, "tls.cert", in, sizes[k]), STORE_OK);
        assert_int_equal(store_commit(st), STORE_OK);
        memset(out, 0, sizeof out);
        assert_int_equal(store_blob_get(st, "tls.cert", out, sizeof out, &len),
                         STORE_OK);
        assert_int_equal(len, sizes[k]);
        assert_memory_equal(out, in, sizes[k] ? sizes[k] : 1);
    }
    /* too big, too small a buffer, bad names */
    assert_int_equal(store_blob_set(st, "x", in, STORE_BLOB_MAX + 1), STORE_ELIMIT);
    assert_int_equal(store_blob_get(st, "tls.cert", out, 10, &len), STORE_ELIMIT);
    assert_int_equal(len, STORE_BLOB_MAX);
    assert_int_equal(store_blob_set(st, "", in, 1), STORE_EINVAL);
    assert_int_equal(store_blob_set(st, NULL, in, 1), STORE_EINVAL);

    /* two blobs side by side, a remount, fsck */
    fill(in, 700, 99);
    assert_int_equal(store_blob_set(st, "tls.key", in, 700), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    assert_int_equal(store_blob_get(st, "tls.key", out, sizeof out, &len), STORE_OK);
    assert_int_equal(len, 700);
    assert_memory_equal(out, in, 700);
    assert_int_equal(store_blob_get(st, "tls.cert", out, sizeof out, &len), STORE_OK);
    assert_int_equal(len, STORE_BLOB_MAX);
    assert_int_equal(store_check(st, NULL, NULL), 0);

    /* an uncommitted replacement is rolled back */
    fill(in, 50, 1);
    assert_int_equal(store_blob_set(st, "tls.key", in, 50), STORE_OK);
    store_rollback(st);
    assert_int_equal(store_blob_get(st, "tls.key", out, sizeof out, &len), STORE_OK);
    assert_int_equal(len, 700);

    /* delete: gone, the other one stays, fsck clean */
    assert_int_equal(store_blob_del(st, "tls.cert"), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_blob_get(st, "tls.cert", out, sizeof out, &len),
                     STORE_ENOENT);
    assert_int_equal(store_blob_del(st, "tls.cert"), STORE_ENOENT);
    assert_int_equal(store_blob_get(st, "tls.key", out, sizeof out, &len), STORE_OK);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blob_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
