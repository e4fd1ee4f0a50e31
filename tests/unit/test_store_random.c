/*
 * test_store_random.c - random API operations (appends of every size,
 * flags, keywords, expunges, purges, copies, renames, deletes, rollbacks,
 * remounts) over two users and their mailboxes; after every commit the
 * image passes store_check (counters against entries, CRCs, log replay)
 * and committed message bodies read back byte-exact.
 */
#include "store_testlib.h"

static void report(void *ctx, const char *what, uint64_t where)
{
    print_message("check: %s (%llu)\n", what, (unsigned long long)where);
}

/* The body of a message is a function of its size and internaldate. */
static void body_of(uint8_t *b, uint32_t size, int64_t date)
{
    tbody(b, size, (uint32_t)date);
}

static int pick_mbox(store_t *st, uint32_t user, store_mbox_t *out)
{
    store_mbox_t list[8];
    int n = 0;
    uint64_t cur = 0;
    while (n < 8 && store_mbox_next(st, user, &cur, &list[n]) == STORE_OK)
        n++;
    if (!n)
        return STORE_ENOENT;
    *out = list[rand() % n];
    return STORE_OK;
}

static int pick_msg(store_t *st, const store_mbox_t *mb, store_msg_t *out)
{
    if (mb->uidnext <= 1)
        return STORE_ENOENT;
    uint32_t from = 1 + (uint32_t)rand() % (mb->uidnext - 1);
    if (store_msg_next(st, mb->id, from, out) == STORE_OK)
        return STORE_OK;
    return store_msg_next(st, mb->id, 1, out);
}

static void verify_bodies(store_t *st, uint32_t user)
{
    static uint8_t b[30000];
    store_mbox_t mb;
    uint64_t cur = 0;
    while (store_mbox_next(st, user, &cur, &mb) == STORE_OK) {
        store_msg_t m;
        uint32_t from = 1;
        while (store_msg_next(st, mb.id, from, &m) == STORE_OK) {
            from = m.uid + 1;
            body_of(b, m.size, m.internaldate);
            tcheck_body(st, mb.id, m.uid, b, m.size);
        }
    }
}

static void run(flash_geometry_t g, unsigned steps, unsigned seed)
{
    tdev_t d;
    store_t *st = tstore_new();
    static uint8_t b[30000];
    tdev_init(&d, g);
    tformat_mount(&d, st);
    uint32_t users[2];
    const char *unames[2] = { "alice", "bob" };
    for (int i = 0; i < 2; i++) {
        store_user_t u;
        memset(&u, 0, sizeof u);
        strcpy(u.name, unames[i]);
        assert_int_equal(store_user_add(st, &u, &users[i]), STORE_OK);
        assert_int_equal(store_mbox_create(st, users[i], "INBOX", NULL), STORE_OK);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    srand(seed);
    int64_t date = 1;
    for (unsigned step = 0; step < steps; step++) {
        uint32_t user = users[rand() % 2];
        store_mbox_t mb, other;
        store_msg_t m;
        int r = rand() % 100, rc = STORE_OK;
        if (pick_mbox(st, user, &mb) != STORE_OK)
            continue;
        if (r < 35) {
            uint32_t size = rand() % 4 ? (uint32_t)rand() % 3000
                                       : (uint32_t)rand() % sizeof b;
            body_of(b, size, date);
            store_append_t a;
            rc = store_append_begin(st, &a, mb.id, size, (uint32_t)rand() & STORE_F_ALL,
                                    0, date++, 0);
            if (rc == STORE_OK) {
                uint32_t off = 0;
                while (off < size) {
                    long n = store_append_write(st, &a, b + off, size - off);
                    assert_true(n > 0);
                    off += (uint32_t)n;
                }
                rc = store_append_finish(st, &a, NULL);
            }
        } else if (r < 50) {
            if (pick_msg(st, &mb, &m) == STORE_OK) {
                unsigned kw = 0;
                char name[8];
                snprintf(name, sizeof name, "k%d", rand() % 5);
                rc = store_keyword_find(st, mb.id, name, true, &kw);
                if (rc == STORE_OK)
                    rc = store_msg_set_flags(st, mb.id, m.uid,
                                             (uint32_t)rand() & STORE_F_ALL,
                                             rand() % 2 ? 1ull << kw : 0, NULL);
            }
        } else if (r < 62) {
            if (pick_msg(st, &mb, &m) == STORE_OK)
                rc = store_msg_expunge(st, mb.id, m.uid);
        } else if (r < 68) {
            rc = store_mbox_purge(st, mb.id, (uint64_t)rand() % (mb.highestmodseq + 1));
        } else if (r < 78) {
            if (pick_msg(st, &mb, &m) == STORE_OK &&
                pick_mbox(st, user, &other) == STORE_OK)
                rc = store_msg_copy(st, mb.id, &m, other.id, NULL);
        } else if (r < 83) {
            char name[16];
            snprintf(name, sizeof name, "box%d", rand() % 6);
            rc = store_mbox_create(st, user, name, NULL);
            if (rc == STORE_EEXIST)
                rc = STORE_OK;
        } else if (r < 86) {
            char name[16];
            snprintf(name, sizeof name, "box%d", rand() % 6);
            if (strcmp(mb.name, "INBOX") != 0)
                rc = store_mbox_rename(st, mb.id, name);
            if (rc == STORE_EEXIST)
                rc = STORE_OK;
        } else if (r < 88) {
            if (strcmp(mb.name, "INBOX") != 0)
                rc = store_mbox_delete(st, mb.id);
        } else if (r < 93) {
            store_rollback(st);
            continue;
        } else if (r < 95) {
            tremount(&d, st);
            continue;
        } else {
            store_view_t v;
            rc = store_view_open(st, mb.id, rand() % 2, &v);
        }
        assert_int_equal(rc, STORE_OK);
        if (rand() % 3 == 0) {
            assert_int_equal(store_commit(st), STORE_OK);
            int problems = store_check(st, report, NULL);
            if (problems)
                fail_msg("step %u: %d problems", step, problems);
        }
    }
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    assert_int_equal(store_check(st, report, NULL), 0);
    verify_bodies(st, users[0]);
    verify_bodies(st, users[1]);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

static void test_random_nor(void **state) { run(geo_nor(16u << 20), 900, 3); }
static void test_random_nand(void **state) { run(geo_nand(32u << 20), 450, 4); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_nor),
        cmocka_unit_test(test_random_nand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
