/*
 * test_store_big.c - a 64 MiB image with 2048-byte index nodes and 10,000
 * messages: appends in commit groups, remount, sequence numbers at both
 * ends, byte-exact reads, expunges, a full check.
 *
 * The store is compiled into this test with its own STORE_NODE_SIZE (the
 * library keeps the default), so the node size here is 2048.
 */
#define STORE_NODE_SIZE 2048
#include "../../src/store/store_log.c"
#include "../../src/store/store_tree.c"
#include "../../src/store/store_core.c"
#include "../../src/store/store_user.c"
#include "../../src/store/store_mbox.c"
#include "../../src/store/store_msg.c"
#include "../../src/store/store_view.c"
#include "../../src/store/store_check.c"

#include "store_testlib.h"

#define NMSG 10000

static uint32_t msize(unsigned i)
{
    return 200 + (i * 7919u) % 1800u;
}

static void test_big_image(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, geo_nor(64u << 20));
    tformat_mount(&d, st);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "big");
    uint32_t uid;
    assert_int_equal(store_user_add(st, &u, &uid), STORE_OK);
    store_mbox_t mb;
    assert_int_equal(store_mbox_create(st, uid, "INBOX", &mb), STORE_OK);
    uint8_t b[2100];
    for (unsigned i = 0; i < NMSG; i++) {
        tbody(b, msize(i), i);
        store_append_t a;
        assert_int_equal(store_append_begin(st, &a, mb.id, msize(i), 0, 0, i, 0), STORE_OK);
        assert_int_equal(store_append_write(st, &a, b, msize(i)), msize(i));
        assert_int_equal(store_append_finish(st, &a, NULL), STORE_OK);
        if (i % 50 == 49)
            assert_int_equal(store_commit(st), STORE_OK);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    store_stat_t s = { 0 };
    assert_int_equal(store_get_stat(st, &s), STORE_OK);
    print_message("10,000 messages: %llu KiB of 65536 used\n",
                  (unsigned long long)(s.used / 1024));
    assert_int_equal(s.messages, NMSG);
    tremount(&d, st);

    /* views at both ends and in the middle */
    store_view_t v;
    assert_int_equal(store_view_open(st, mb.id, true, &v), STORE_OK);
    assert_int_equal(v.count, NMSG);
    unsigned probes[] = { 1, 2, NMSG / 2, NMSG - 1, NMSG };
    for (unsigned i = 0; i < 5; i++) {
        store_msg_t m;
        uint32_t seq;
        assert_int_equal(store_view_get(st, &v, probes[i], &m), STORE_OK);
        assert_int_equal(m.uid, probes[i]);
        assert_int_equal(store_view_seq_of(st, &v, m.uid, &seq), STORE_OK);
        assert_int_equal(seq, probes[i]);
        tbody(b, msize(probes[i] - 1), probes[i] - 1);
        tcheck_body(st, mb.id, m.uid, b, msize(probes[i] - 1));
    }
    /* expunge a few, announce, sequence numbers shift */
    for (uint32_t x = 100; x <= 5000; x += 100)
        assert_int_equal(store_msg_expunge(st, mb.id, x), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    uint32_t seq;
    int n = 0;
    while (store_view_expunges(st, &v, &seq) == 1)
        n++;
    assert_int_equal(n, 50);
    assert_int_equal(v.count, NMSG - 50);
    store_msg_t m;
    assert_int_equal(store_view_get(st, &v, NMSG - 50, &m), STORE_OK);
    assert_int_equal(m.uid, NMSG);
    assert_int_equal(store_mbox_purge(st, mb.id, v.xsync), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
