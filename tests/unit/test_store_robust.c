/*
 * test_store_robust.c - a full device gives STORE_ENOSPC and stays
 * mountable with everything committed; a damaged image never crashes the
 * store: mount refuses it or works, store_check counts problems, every
 * call returns.
 */
#include "store_testlib.h"

static void report(void *ctx, const char *what, uint64_t where)
{
    print_message("check: %s (%llu)\n", what, (unsigned long long)where);
}

static uint32_t populate(store_t *st, unsigned msgs)
{
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "alice");
    uint32_t id;
    assert_int_equal(store_user_add(st, &u, &id), STORE_OK);
    store_mbox_t a, b;
    assert_int_equal(store_mbox_create(st, id, "INBOX", &a), STORE_OK);
    assert_int_equal(store_mbox_create(st, id, "Sent", &b), STORE_OK);
    assert_int_equal(store_sub_set(st, id, "Sent", true), STORE_OK);
    uint8_t body[5000];
    for (unsigned i = 0; i < msgs; i++) {
        uint32_t size = 100 + (i * 997) % 4900;
        tbody(body, size, i);
        tappend(st, i % 3 ? a.id : b.id, body, size, i % 2 ? STORE_F_SEEN : 0, 8192);
        if (i % 7 == 0)
            assert_int_equal(store_commit(st), STORE_OK);
    }
    assert_int_equal(store_msg_expunge(st, a.id, 2), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    return a.id;
}

static void test_full_device(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, geo_nor(256 * 1024));
    tformat_mount(&d, st);
    uint32_t mbox = populate(st, 5);
    uint8_t body[3000];
    tbody(body, sizeof body, 1);
    int rc = STORE_OK;
    unsigned n = 0;
    while (rc == STORE_OK && n < 1000) {
        store_append_t a;
        rc = store_append_begin(st, &a, mbox, sizeof body, 0, 0, 0, 0);
        if (rc == STORE_OK) {
            long w = store_append_write(st, &a, body, sizeof body);
            assert_int_equal(w, sizeof body);
            rc = store_append_finish(st, &a, NULL);
        }
        if (rc == STORE_OK)
            rc = store_commit(st);
        if (rc == STORE_OK)
            n++;
    }
    assert_int_equal(rc, STORE_ENOSPC);
    assert_true(n > 10);
    store_rollback(st);
    store_mbox_t mb;
    assert_int_equal(store_mbox_get(st, mbox, &mb), STORE_OK);
    assert_int_equal(store_unmount(st), STORE_OK);
    assert_int_equal(store_mount(st, &d.ram.dev), STORE_OK);
    store_mbox_t again;
    assert_int_equal(store_mbox_get(st, mbox, &again), STORE_OK);
    assert_int_equal(again.messages, mb.messages);
    for (uint32_t uid = mb.uidnext - n; uid < mb.uidnext; uid++)
        tcheck_body(st, mbox, uid, body, sizeof body);
    assert_int_equal(store_check(st, report, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

/* Walks everything through the API, ignoring errors: must return. */
static void walk(store_t *st)
{
    store_user_t u;
    uint64_t uc = 0;
    int users = 0;
    while (store_user_next(st, &uc, &u) == STORE_OK && users++ < 100) {
        store_mbox_t mb;
        uint64_t mc = 0;
        int boxes = 0;
        while (store_mbox_next(st, u.id, &mc, &mb) == STORE_OK && boxes++ < 100) {
            store_view_t v;
            if (store_view_open(st, mb.id, true, &v) == STORE_OK) {
                store_msg_t m;
                uint32_t seq;
                for (uint32_t s = 1; s <= v.count && s < 300; s++)
                    if (store_view_get(st, &v, s, &m) == STORE_OK) {
                        uint8_t buf[700];
                        store_msg_read(st, &m, 0, buf, sizeof buf);
                        store_view_seq_of(st, &v, m.uid, &seq);
                    }
                int guard = 0;
                while (store_view_expunges(st, &v, &seq) == 1 && guard++ < 1000)
                    ;
                guard = 0;
                while (store_view_changes(st, &v, &m, &seq) == 1 && guard++ < 1000)
                    ;
            }
            char kw[64];
            store_keyword_name(st, mb.id, 0, kw, sizeof kw);
        }
        char name[IMAP_MAILBOX_NAME_MAX + 1];
        uint64_t sc = 0;
        int subs = 0;
        while (store_sub_next(st, u.id, &sc, name, sizeof name) == STORE_OK && subs++ < 100)
            ;
    }
}

static void test_damaged_images(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    flash_geometry_t g = geo_nor(512 * 1024);
    tdev_init(&d, g);
    tformat_mount(&d, st);
    populate(st, 40);
    store_stat_t s = { 0 };
    store_get_stat(st, &s);
    uint64_t used = 2 * g.erase_size + s.used;
    assert_int_equal(store_unmount(st), STORE_OK);
    uint8_t *orig = malloc((size_t)g.size);
    memcpy(orig, d.mem, (size_t)g.size);
    srand(11);
    int mounted = 0, refused = 0;
    for (int round = 0; round < 300; round++) {
        memcpy(d.mem, orig, (size_t)g.size);
        flash_ram_power_up(&d.ram);
        int kind = round % 3;
        for (int k = 0; k < 1 + rand() % 8; k++) {
            uint64_t at = (uint64_t)rand() % used;
            if (kind == 0) {
                d.mem[at] ^= (uint8_t)(1u << (rand() % 8));
            } else if (kind == 1) {
                for (int j = 0; j < 32 && at + j < g.size; j++)
                    d.mem[at + j] = (uint8_t)rand();
            } else {
                /* an anchor or a whole program unit wiped */
                at = (round % 2 ? at : (uint64_t)(rand() % 2) * g.erase_size) /
                     g.prog_size * g.prog_size;
                memset(d.mem + at, rand() % 2 ? 0xFF : 0x00, g.prog_size);
            }
        }
        int rc = store_mount(st, &d.ram.dev);
        if (rc != STORE_OK) {
            assert_true(rc == STORE_ECORRUPT || rc == STORE_EINVAL || rc == STORE_EIO);
            refused++;
            continue;
        }
        mounted++;
        walk(st);
        assert_true(store_check(st, NULL, NULL) >= 0);
        /* writing on a damaged store fails cleanly or works */
        store_user_t u;
        memset(&u, 0, sizeof u);
        strcpy(u.name, "zed");
        uint32_t id;
        if (store_user_add(st, &u, &id) == STORE_OK)
            store_mbox_create(st, id, "INBOX", NULL);
        if (store_commit(st) < 0)
            store_rollback(st);
        store_unmount(st);
    }
    print_message("damaged images: %d mounted, %d refused\n", mounted, refused);
    free(orig);
    tdev_free(&d);
    free(st);
}

/* A torn NAND program can leave a unit that reads 0xFF but may not be
 * programmed again: after a power cut the store must not write there. */
static void test_torn_unit_reads_erased(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    flash_geometry_t g = geo_nand(1u << 20);
    tdev_init(&d, g);
    tformat_mount(&d, st);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "alice");
    assert_int_equal(store_user_add(st, &u, NULL), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    /* the power fails during the next program, at the head */
    uint64_t base = 2ull * g.erase_size;   /* the head is a ring address */
    uint64_t unit = (base + (st->head - base) % st->ring) / g.prog_size;
    d.map[unit >> 3] |= (uint8_t)(1u << (unit & 7));
    flash_ram_power_up(&d.ram);
    assert_int_equal(store_mount(st, &d.ram.dev), STORE_OK);
    strcpy(u.name, "bob");
    assert_int_equal(store_user_add(st, &u, NULL), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    assert_int_equal(store_user_find(st, "alice", &u), STORE_OK);
    assert_int_equal(store_user_find(st, "bob", &u), STORE_OK);
    assert_int_equal(store_check(st, report, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_device),
        cmocka_unit_test(test_damaged_images),
        cmocka_unit_test(test_torn_unit_reads_erased),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
