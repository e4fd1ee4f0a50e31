/*
 * test_store_view.c - message sequence numbers: views keep their numbers
 * until expunges are announced, grow with appends, report flag changes,
 * \Recent claims; and seq <-> uid against a naive model under random
 * expunges and purges.
 */
#include "store_testlib.h"

static uint32_t setup(tdev_t *d, store_t *st, store_mbox_t *mb, unsigned n)
{
    tdev_init(d, geo_nor(8u << 20));
    tformat_mount(d, st);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "alice");
    uint32_t id;
    assert_int_equal(store_user_add(st, &u, &id), STORE_OK);
    assert_int_equal(store_mbox_create(st, id, "INBOX", mb), STORE_OK);
    uint8_t b[300];
    for (unsigned i = 0; i < n; i++) {
        tbody(b, sizeof b, i);
        tappend(st, mb->id, b, sizeof b, 0, 4096);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    return id;
}

static uint32_t uid_at(store_t *st, const store_view_t *v, uint32_t seq)
{
    store_msg_t m;
    int rc = store_view_get(st, v, seq, &m);
    return rc == STORE_OK ? m.uid : 0;
}

static void test_view_basics(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    store_mbox_t mb;
    setup(&d, st, &mb, 10);
    store_view_t a, b;
    assert_int_equal(store_view_open(st, mb.id, true, &a), STORE_OK);
    assert_int_equal(a.count, 10);
    assert_int_equal(a.recent, 10);
    assert_int_equal(store_view_open(st, mb.id, false, &b), STORE_OK);
    assert_int_equal(b.count, 10);
    assert_int_equal(b.recent, 0);  /* a claimed them */

    /* somebody expunges 3 and 7: numbers hold until announced */
    assert_int_equal(store_msg_expunge(st, mb.id, 3), STORE_OK);
    assert_int_equal(store_msg_expunge(st, mb.id, 7), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(uid_at(st, &a, 3), 3);
    uint32_t seq;
    assert_int_equal(store_view_seq_of(st, &a, 7, &seq), STORE_OK);
    assert_int_equal(seq, 7);
    assert_int_equal(store_view_expunges(st, &a, &seq), 1);
    assert_int_equal(seq, 7);
    assert_int_equal(store_view_expunges(st, &a, &seq), 1);
    assert_int_equal(seq, 3);
    assert_int_equal(store_view_expunges(st, &a, &seq), 0);
    assert_int_equal(a.count, 8);
    assert_int_equal(a.recent, 8);
    assert_int_equal(uid_at(st, &a, 3), 4);
    assert_int_equal(uid_at(st, &a, 6), 8);
    assert_int_equal(uid_at(st, &a, 8), 10);
    assert_int_equal(uid_at(st, &a, 9), 0);
    assert_int_equal(store_view_seq_of(st, &a, 3, &seq), STORE_ENOENT);
    assert_int_equal(store_view_seq_of(st, &a, 8, &seq), STORE_OK);
    assert_int_equal(seq, 6);
    store_msg_t m;
    assert_int_equal(store_view_next_uid(st, &a, 3, &m, &seq), STORE_OK);
    assert_int_equal(m.uid, 4);
    assert_int_equal(seq, 3);
    /* b still shows them */
    assert_int_equal(b.count, 10);
    assert_int_equal(uid_at(st, &b, 7), 7);

    /* purge only what every view has announced */
    uint64_t upto = a.xsync < b.xsync ? a.xsync : b.xsync;
    assert_int_equal(store_mbox_purge(st, mb.id, upto), STORE_OK);
    assert_int_equal(uid_at(st, &b, 7), 7);
    while ((store_view_expunges(st, &b, &seq)) == 1)
        ;
    assert_int_equal(b.count, 8);
    upto = a.xsync < b.xsync ? a.xsync : b.xsync;
    assert_int_equal(store_mbox_purge(st, mb.id, upto), STORE_OK);
    assert_int_equal(store_msg_get(st, mb.id, 7, &m), STORE_ENOENT);
    assert_int_equal(uid_at(st, &a, 6), 8);
    assert_int_equal(uid_at(st, &b, 6), 8);

    /* appends: not in the views until they grow */
    uint8_t body[100];
    tbody(body, sizeof body, 77);
    uint32_t n1 = tappend(st, mb.id, body, sizeof body, 0, 4096);
    uint32_t n2 = tappend(st, mb.id, body, sizeof body, 0, 4096);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_view_seq_of(st, &a, n1, &seq), STORE_ENOENT);
    assert_int_equal(store_view_grow(st, &a), 10);
    assert_int_equal(a.recent, 10);
    assert_int_equal(store_view_seq_of(st, &a, n2, &seq), STORE_OK);
    assert_int_equal(seq, 10);
    assert_int_equal(store_view_grow(st, &b), 10);
    assert_int_equal(b.recent, 0);

    /* flag changes by others */
    uint64_t ms;
    a.fsync = b.fsync = 0;
    while (store_view_changes(st, &a, &m, &seq) == 1)
        ;
    while (store_view_changes(st, &b, &m, &seq) == 1)
        ;
    assert_int_equal(store_msg_set_flags(st, mb.id, 5, STORE_F_SEEN, 0, &ms), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_view_changes(st, &b, &m, &seq), 1);
    assert_int_equal(m.uid, 5);
    assert_int_equal(seq, 4);
    assert_int_equal(m.flags, STORE_F_SEEN);
    assert_int_equal(store_view_changes(st, &b, &m, &seq), 0);
    assert_int_equal(b.fsync, ms);
    assert_int_equal(store_view_changes(st, &b, &m, &seq), 0);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

/* Model: a view's messages are the uids < uidnext that exist, except
 * those expunged with xmodseq <= xsync. */
static unsigned model(store_t *st, const store_view_t *v, uint32_t *uids)
{
    unsigned n = 0;
    store_msg_t m;
    uint32_t from = 1;
    while (store_msg_next(st, v->mbox_id, from, &m) == STORE_OK) {
        from = m.uid + 1;
        if (m.uid >= v->uidnext || (m.xmodseq && m.xmodseq <= v->xsync))
            continue;
        uids[n++] = m.uid;
    }
    return n;
}

static void verify(store_t *st, const store_view_t *v)
{
    static uint32_t uids[2000];
    unsigned n = model(st, v, uids);
    assert_int_equal(v->count, n);
    for (unsigned i = 0; i < n; i++) {
        uint32_t seq;
        assert_int_equal(uid_at(st, v, i + 1), uids[i]);
        assert_int_equal(store_view_seq_of(st, v, uids[i], &seq), STORE_OK);
        assert_int_equal(seq, i + 1);
    }
    assert_int_equal(uid_at(st, v, n + 1), 0);
}

static void test_view_random(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    store_mbox_t mb;
    setup(&d, st, &mb, 200);
    enum { NV = 3 };
    store_view_t v[NV];
    for (int i = 0; i < NV; i++)
        assert_int_equal(store_view_open(st, mb.id, i == 0, &v[i]), STORE_OK);
    srand(5);
    uint8_t body[200];
    tbody(body, sizeof body, 1);
    for (int round = 0; round < 50; round++) {
        int r = rand() % 10;
        if (r < 4) {
            store_mbox_t out;
            store_mbox_get(st, mb.id, &out);
            uint32_t uid = 1 + (uint32_t)rand() % (out.uidnext - 1);
            int rc = store_msg_expunge(st, mb.id, uid);
            assert_true(rc == STORE_OK || rc == STORE_ENOENT);
        } else if (r < 6) {
            tappend(st, mb.id, body, sizeof body, 0, 4096);
        } else if (r < 8) {
            store_view_t *w = &v[rand() % NV];
            uint32_t seq, prev = UINT32_MAX;
            int rc;
            while ((rc = store_view_expunges(st, w, &seq)) == 1) {
                assert_true(seq < prev);
                prev = seq;
            }
            assert_int_equal(rc, 0);
        } else if (r < 9) {
            assert_true(store_view_grow(st, &v[rand() % NV]) >= 0);
        } else {
            uint64_t upto = UINT64_MAX;
            for (int i = 0; i < NV; i++)
                if (v[i].xsync < upto)
                    upto = v[i].xsync;
            assert_int_equal(store_mbox_purge(st, mb.id, upto), STORE_OK);
        }
        assert_int_equal(store_commit(st), STORE_OK);
        for (int i = 0; i < NV; i++)
            verify(st, &v[i]);
    }
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_basics),
        cmocka_unit_test(test_view_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
