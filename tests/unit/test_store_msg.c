/*
 * test_store_msg.c - messages: APPEND streaming (sizes around chunk
 * boundaries, any feeding pattern), byte-exact reads at any offset, header
 * size, flags, keywords, expunge, purge, copy, many messages, remount, on
 * NOR-like and NAND-like geometries.
 */
#include "store_testlib.h"

static uint32_t setup(tdev_t *d, store_t *st, flash_geometry_t g)
{
    tdev_init(d, g);
    tformat_mount(d, st);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "alice");
    uint32_t id;
    assert_int_equal(store_user_add(st, &u, &id), STORE_OK);
    return id;
}

static void sizes_roundtrip(flash_geometry_t g)
{
    tdev_t d;
    store_t *st = tstore_new();
    uint32_t user = setup(&d, st, g);
    store_mbox_t mb;
    assert_int_equal(store_mbox_create(st, user, "INBOX", &mb), STORE_OK);
    uint32_t pl = st->chunk_payload;
    uint32_t sizes[] = { 0, 1, 2, 27, 28, 29, pl - 1, pl, pl + 1, 2 * pl - 1,
                         2 * pl, 2 * pl + 1, 5 * pl + 17, 200000 };
    size_t steps[] = { 1, 7, 1000, 4096, 1u << 20 };
    enum { N = sizeof sizes / sizeof sizes[0] };
    uint32_t uids[N];
    uint8_t *b = malloc(200000);
    for (unsigned i = 0; i < N; i++) {
        tbody(b, sizes[i], i);
        uids[i] = tappend(st, mb.id, b, sizes[i], 0, steps[i % 5]);
        assert_int_equal(uids[i], i + 1);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < N; i++) {
            tbody(b, sizes[i], i);
            tcheck_body(st, mb.id, uids[i], b, sizes[i]);
            store_msg_t m;
            assert_int_equal(store_msg_get(st, mb.id, uids[i], &m), STORE_OK);
            /* header: "Subject..\r\nFrom..\r\n\r\n" is 28 bytes */
            assert_int_equal(m.hdr_size, sizes[i] >= 28 ? 28 : sizes[i]);
            assert_int_equal(m.internaldate, 1700000000);
            assert_int_equal(m.tz_minutes, 60);
            /* reads at odd offsets */
            if (sizes[i] > 10) {
                uint8_t x[5];
                uint32_t off = sizes[i] - 7;
                assert_int_equal(store_msg_read(st, &m, off, x, 5), 5);
                assert_memory_equal(x, b + off, 5);
                assert_int_equal(store_msg_read(st, &m, sizes[i], x, 5), 0);
                assert_int_equal(store_msg_read(st, &m, sizes[i] - 2, x, 5), 2);
            }
        }
        tremount(&d, st);
    }
    store_mbox_t out;
    assert_int_equal(store_mbox_get(st, mb.id, &out), STORE_OK);
    assert_int_equal(out.messages, N);
    assert_int_equal(out.unseen, N);
    assert_int_equal(out.uidnext, N + 1);
    assert_int_equal(store_check(st, NULL, NULL), 0);

    /* a damaged chunk is reported, not returned */
    store_msg_t m;
    assert_int_equal(store_msg_get(st, mb.id, uids[N - 1], &m), STORE_OK);
    d.mem[m.data_addr + 3 * st->chunk_stride + 100] ^= 0x01;
    st->ok_chunk = UINT64_MAX;
    uint8_t x[10];
    assert_int_equal(store_msg_read(st, &m, 3 * pl + 5, x, 10), STORE_ECORRUPT);
    assert_true(store_check(st, NULL, NULL) > 0);
    /* a small message (a DATA record in the log) too */
    assert_int_equal(store_msg_get(st, mb.id, uids[4], &m), STORE_OK);
    assert_true(m.size > 0 && m.size < pl);
    uint64_t at = (m.data_addr & ~(1ull << 63)) + 12 + m.size / 2;
    d.mem[at] ^= 0x40;
    st->ok_chunk = UINT64_MAX;
    assert_int_equal(store_msg_read(st, &m, 0, x, 10), STORE_ECORRUPT);
    d.mem[at] ^= 0x40;
    st->ok_chunk = UINT64_MAX;
    assert_int_equal(store_msg_read(st, &m, 0, x, 10), 10);
    free(b);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

static void test_sizes_nor(void **state) { sizes_roundtrip(geo_nor(4u << 20)); }
static void test_sizes_nand(void **state) { sizes_roundtrip(geo_nand(8u << 20)); }

static void test_header_size(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    uint32_t user = setup(&d, st, geo_nor(1u << 20));
    store_mbox_t mb;
    assert_int_equal(store_mbox_create(st, user, "INBOX", &mb), STORE_OK);
    const char *cases[] = { "A: b\n\nbody", "A: b\r\n\r\nbody", "\r\nbody",
                            "no header end", "A: b\r\n\rX\r\n\r\n" };
    uint32_t want[] = { 6, 8, 2, 13, 12 };
    for (unsigned i = 0; i < 5; i++) {
        uint32_t uid = tappend(st, mb.id, (const uint8_t *)cases[i],
                               (uint32_t)strlen(cases[i]), 0, 1);
        store_msg_t m;
        assert_int_equal(store_msg_get(st, mb.id, uid, &m), STORE_OK);
        assert_int_equal(m.hdr_size, want[i]);
    }
    /* an aborted append leaves no trace */
    store_append_t a;
    assert_int_equal(store_append_begin(st, &a, mb.id, 10000, 0, 0, 0, 0), STORE_OK);
    store_append_abort(st, &a);
    assert_int_equal(store_append_finish(st, &a, NULL), STORE_EINVAL);
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    store_mbox_t out;
    assert_int_equal(store_mbox_get(st, mb.id, &out), STORE_OK);
    assert_int_equal(out.messages, 5);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

static void test_flags_expunge_copy(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    uint32_t user = setup(&d, st, geo_nor(4u << 20));
    store_mbox_t a, b, out;
    assert_int_equal(store_mbox_create(st, user, "INBOX", &a), STORE_OK);
    assert_int_equal(store_mbox_create(st, user, "Other", &b), STORE_OK);
    uint8_t body[3000];
    tbody(body, sizeof body, 9);
    for (int i = 0; i < 10; i++)
        tappend(st, a.id, body, sizeof body, i % 2 ? STORE_F_SEEN : 0, 4096);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_mbox_get(st, a.id, &out), STORE_OK);
    assert_int_equal(out.unseen, 5);
    uint64_t hms = out.highestmodseq;

    /* flags and keywords */
    unsigned kw, kw2;
    assert_int_equal(store_keyword_find(st, a.id, "Work", true, &kw), STORE_OK);
    assert_int_equal(store_keyword_find(st, a.id, "$Junk", true, &kw2), STORE_OK);
    uint64_t ms;
    assert_int_equal(store_msg_set_flags(st, a.id, 1, STORE_F_SEEN | STORE_F_FLAGGED,
                                         (1ull << kw) | (1ull << kw2), &ms), STORE_OK);
    assert_true(ms > hms);
    uint64_t ms2;
    assert_int_equal(store_msg_set_flags(st, a.id, 1, STORE_F_SEEN | STORE_F_FLAGGED,
                                         (1ull << kw) | (1ull << kw2), &ms2), STORE_OK);
    assert_int_equal(ms2, ms);  /* no change, no new modseq */
    assert_int_equal(store_msg_set_flags(st, a.id, 99, 0, 0, NULL), STORE_ENOENT);
    store_msg_t m;
    assert_int_equal(store_msg_get(st, a.id, 1, &m), STORE_OK);
    assert_int_equal(m.flags, STORE_F_SEEN | STORE_F_FLAGGED);
    assert_int_equal(m.modseq, ms);
    assert_int_equal(store_mbox_get(st, a.id, &out), STORE_OK);
    assert_int_equal(out.unseen, 4);
    assert_int_equal(out.highestmodseq, ms);

    /* copy: same data, new uid, keywords by name */
    unsigned other;
    assert_int_equal(store_keyword_find(st, b.id, "Other", true, &other), STORE_OK);
    uint32_t cuid;
    assert_int_equal(store_msg_copy(st, a.id, &m, b.id, &cuid), STORE_OK);
    assert_int_equal(cuid, 1);
    store_msg_t c;
    assert_int_equal(store_msg_get(st, b.id, cuid, &c), STORE_OK);
    assert_int_equal(c.data_addr, m.data_addr);
    assert_int_equal(c.flags, m.flags);
    char name[40];
    int names = 0;
    for (unsigned i = 0; i < 64; i++) {
        if (!(c.keywords & (1ull << i)))
            continue;
        assert_int_equal(store_keyword_name(st, b.id, i, name, sizeof name), STORE_OK);
        assert_true(strcmp(name, "Work") == 0 || strcmp(name, "$Junk") == 0);
        names++;
    }
    assert_int_equal(names, 2);
    tcheck_body(st, b.id, cuid, body, sizeof body);

    /* expunge: stays until purge, counters drop at once */
    assert_int_equal(store_msg_expunge(st, a.id, 2), STORE_OK);
    assert_int_equal(store_msg_expunge(st, a.id, 3), STORE_OK);
    assert_int_equal(store_msg_get(st, a.id, 2, &m), STORE_OK);
    assert_true(m.xmodseq > ms);
    assert_int_equal(store_mbox_get(st, a.id, &out), STORE_OK);
    assert_int_equal(out.messages, 8);
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    assert_int_equal(store_mbox_purge(st, a.id, m.xmodseq), STORE_OK);
    assert_int_equal(store_msg_get(st, a.id, 2, &m), STORE_ENOENT);
    assert_int_equal(store_msg_get(st, a.id, 3, &m), STORE_OK);  /* later xmodseq */
    assert_int_equal(store_mbox_purge(st, a.id, UINT64_MAX), STORE_OK);
    assert_int_equal(store_msg_get(st, a.id, 3, &m), STORE_ENOENT);
    assert_int_equal(store_msg_next(st, a.id, 2, &m), STORE_OK);
    assert_int_equal(m.uid, 4);
    assert_int_equal(store_commit(st), STORE_OK);
    store_stat_t s;
    store_get_stat(st, &s);
    assert_int_equal(s.messages, 9);
    assert_int_equal(store_check(st, NULL, NULL), 0);

    /* delete a mailbox with messages */
    assert_int_equal(store_mbox_delete(st, a.id), STORE_OK);
    assert_int_equal(store_msg_get(st, a.id, 1, &m), STORE_ENOENT);
    assert_int_equal(store_commit(st), STORE_OK);
    store_get_stat(st, &s);
    assert_int_equal(s.messages, 1);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    tcheck_body(st, b.id, cuid, body, sizeof body);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

static void many(flash_geometry_t g, unsigned n)
{
    tdev_t d;
    store_t *st = tstore_new();
    uint32_t user = setup(&d, st, g);
    store_mbox_t mb;
    assert_int_equal(store_mbox_create(st, user, "INBOX", &mb), STORE_OK);
    uint8_t b[6000];
    for (unsigned i = 0; i < n; i++) {
        uint32_t size = 100 + (i * 37) % 5000;
        tbody(b, size, i);
        assert_int_equal(tappend(st, mb.id, b, size, 0, 8192), i + 1);
        if (i % 10 == 9)
            assert_int_equal(store_commit(st), STORE_OK);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    for (unsigned i = 0; i < n; i++) {
        uint32_t size = 100 + (i * 37) % 5000;
        tbody(b, size, i);
        tcheck_body(st, mb.id, i + 1, b, size);
    }
    store_mbox_t out;
    assert_int_equal(store_mbox_get(st, mb.id, &out), STORE_OK);
    assert_int_equal(out.messages, n);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

static void test_many_nor(void **state) { many(geo_nor(32u << 20), 1200); }
static void test_many_nand(void **state) { many(geo_nand(32u << 20), 1100); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_nor),
        cmocka_unit_test(test_sizes_nand),
        cmocka_unit_test(test_header_size),
        cmocka_unit_test(test_flags_expunge_copy),
        cmocka_unit_test(test_many_nor),
        cmocka_unit_test(test_many_nand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
