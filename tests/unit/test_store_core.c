/*
 * test_store_core.c - format, mount, commit, rollback, remount, check;
 * users, mailboxes and subscriptions.
 */
#include "store_testlib.h"

static void test_format_mount_unmount(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, geo_nor(256 * 1024));
    tformat_mount(&d, st);
    store_stat_t s;
    assert_int_equal(store_get_stat(st, &s), STORE_OK);
    assert_int_equal(s.device_size, 256 * 1024);
    assert_int_equal(s.users, 0);
    assert_int_equal(s.messages, 0);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    tremount(&d, st);
    tremount(&d, st);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    assert_int_equal(store_commit(st), STORE_ENOTMOUNTED);
    /* a blank device is not a store */
    memset(d.mem, 0xFF, (size_t)d.geo.size);
    assert_int_equal(store_mount(st, &d.ram.dev), STORE_ECORRUPT);
    tdev_free(&d);
    free(st);
}

static store_user_t mkuser(const char *name, uint8_t fill)
{
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, name);
    memset(u.salt, fill, sizeof u.salt);
    memset(u.hash, fill + 1, sizeof u.hash);
    u.iterations = 1000 + fill;
    return u;
}

static void test_users(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, geo_nor(256 * 1024));
    tformat_mount(&d, st);
    store_user_t u = mkuser("alice", 1), v = mkuser("bob", 2), out;
    uint32_t ida, idb;
    assert_int_equal(store_user_add(st, &u, &ida), STORE_OK);
    assert_int_equal(store_user_add(st, &v, &idb), STORE_OK);
    assert_int_not_equal(ida, idb);
    assert_int_equal(store_user_add(st, &u, NULL), STORE_EEXIST);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_user_find(st, "alice", &out), STORE_OK);
    assert_int_equal(out.id, ida);
    assert_int_equal(out.iterations, 1001);
    assert_memory_equal(out.salt, u.salt, 16);
    assert_int_equal(store_user_find(st, "carol", &out), STORE_ENOENT);
    assert_int_equal(store_user_find(st, "", &out), STORE_ENOENT);

    u.iterations = 5;
    assert_int_equal(store_user_set_secret(st, &u), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    assert_int_equal(store_user_find(st, "alice", &out), STORE_OK);
    assert_int_equal(out.iterations, 5);
    assert_int_equal(out.id, ida);

    int n = 0;
    uint64_t cur = 0;
    while (store_user_next(st, &cur, &out) == STORE_OK)
        n++;
    assert_int_equal(n, 2);

    /* deleting a user deletes its mailboxes and subscriptions */
    store_mbox_t mb;
    assert_int_equal(store_mbox_create(st, ida, "INBOX", &mb), STORE_OK);
    assert_int_equal(store_sub_set(st, ida, "INBOX", true), STORE_OK);
    assert_int_equal(store_user_del(st, "alice"), STORE_OK);
    assert_int_equal(store_user_find(st, "alice", &out), STORE_ENOENT);
    assert_int_equal(store_mbox_get(st, mb.id, NULL), STORE_ENOENT);
    char name[64];
    cur = 0;
    assert_int_equal(store_sub_next(st, ida, &cur, name, sizeof name), STORE_ENOENT);
    assert_int_equal(store_commit(st), STORE_OK);
    store_stat_t s;
    store_get_stat(st, &s);
    assert_int_equal(s.users, 1);
    assert_int_equal(s.mailboxes, 0);
    assert_int_equal(store_check(st, NULL, NULL), 0);

    /* a long name is refused, not truncated */
    char longname[IMAP_USER_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    store_user_t bad;
    memset(&bad, 0, sizeof bad);
    memcpy(bad.name, longname, IMAP_USER_NAME_MAX);
    assert_int_equal(store_user_add(st, &bad, NULL), STORE_OK);
    assert_int_equal(store_user_find(st, longname, &out), STORE_ENOENT);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

static void test_rollback(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, geo_nor(256 * 1024));
    tformat_mount(&d, st);
    store_user_t u = mkuser("alice", 1), out;
    uint32_t id;
    assert_int_equal(store_user_add(st, &u, &id), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    store_user_t v = mkuser("bob", 2);
    assert_int_equal(store_user_add(st, &v, NULL), STORE_OK);
    assert_int_equal(store_mbox_create(st, id, "INBOX", NULL), STORE_OK);
    store_rollback(st);
    assert_int_equal(store_user_find(st, "bob", &out), STORE_ENOENT);
    assert_int_equal(store_mbox_find(st, id, "INBOX", NULL), STORE_ENOENT);
    assert_int_equal(store_user_find(st, "alice", &out), STORE_OK);
    /* uncommitted changes do not survive a remount without commit either */
    assert_int_equal(store_user_add(st, &v, NULL), STORE_OK);
    store_t *st2 = tstore_new();
    assert_int_equal(store_mount(st2, &d.ram.dev), STORE_OK);
    assert_int_equal(store_user_find(st2, "bob", &out), STORE_ENOENT);
    assert_int_equal(store_user_find(st2, "alice", &out), STORE_OK);
    assert_int_equal(store_unmount(st2), STORE_OK);
    tdev_free(&d);
    free(st);
    free(st2);
}

static void test_mailboxes(void **state)
{
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, geo_nor(512 * 1024));
    tformat_mount(&d, st);
    store_user_t u = mkuser("alice", 1);
    uint32_t uid1, uid2;
    assert_int_equal(store_user_add(st, &u, &uid1), STORE_OK);
    u = mkuser("bob", 1);
    assert_int_equal(store_user_add(st, &u, &uid2), STORE_OK);
    store_mbox_t a, b, c, out;
    assert_int_equal(store_mbox_create(st, uid1, "INBOX", &a), STORE_OK);
    assert_int_equal(store_mbox_create(st, uid1, "Archive/2024", &b), STORE_OK);
    assert_int_equal(store_mbox_create(st, uid2, "INBOX", &c), STORE_OK);
    assert_int_equal(store_mbox_create(st, uid1, "INBOX", NULL), STORE_EEXIST);
    assert_true(b.uidvalidity > a.uidvalidity);
    assert_int_equal(a.uidnext, 1);
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    assert_int_equal(store_mbox_find(st, uid1, "Archive/2024", &out), STORE_OK);
    assert_int_equal(out.id, b.id);
    assert_int_equal(out.uidvalidity, b.uidvalidity);
    assert_int_equal(store_mbox_find(st, uid2, "Archive/2024", &out), STORE_ENOENT);
    assert_int_equal(store_mbox_find(st, uid2, "INBOX", &out), STORE_OK);
    assert_int_equal(out.id, c.id);

    /* rename keeps id and UIDVALIDITY */
    assert_int_equal(store_mbox_rename(st, b.id, "Old"), STORE_OK);
    assert_int_equal(store_mbox_rename(st, b.id, "INBOX"), STORE_EEXIST);
    assert_int_equal(store_mbox_find(st, uid1, "Archive/2024", &out), STORE_ENOENT);
    assert_int_equal(store_mbox_find(st, uid1, "Old", &out), STORE_OK);
    assert_int_equal(out.id, b.id);
    assert_int_equal(out.uidvalidity, b.uidvalidity);

    /* list */
    int n = 0;
    uint64_t cur = 0;
    while (store_mbox_next(st, uid1, &cur, &out) == STORE_OK) {
        assert_int_equal(out.user_id, uid1);
        n++;
    }
    assert_int_equal(n, 2);

    /* delete, re-create: a new UIDVALIDITY */
    assert_int_equal(store_mbox_delete(st, b.id), STORE_OK);
    assert_int_equal(store_mbox_get(st, b.id, &out), STORE_ENOENT);
    assert_int_equal(store_mbox_create(st, uid1, "Old", &out), STORE_OK);
    assert_true(out.uidvalidity > c.uidvalidity);
    assert_int_not_equal(out.id, b.id);
    assert_int_equal(store_commit(st), STORE_OK);

    /* subscriptions */
    char name[IMAP_MAILBOX_NAME_MAX + 1];
    assert_int_equal(store_sub_set(st, uid1, "Foo", true), STORE_OK);
    assert_int_equal(store_sub_set(st, uid1, "Bar", true), STORE_OK);
    assert_int_equal(store_sub_set(st, uid1, "Foo", true), STORE_OK);
    assert_int_equal(store_sub_set(st, uid1, "Baz", false), STORE_ENOENT);
    assert_int_equal(store_sub_set(st, uid1, "Bar", false), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    tremount(&d, st);
    cur = 0;
    assert_int_equal(store_sub_next(st, uid1, &cur, name, sizeof name), STORE_OK);
    assert_string_equal(name, "Foo");
    assert_int_equal(store_sub_next(st, uid1, &cur, name, sizeof name), STORE_ENOENT);

    /* keywords */
    unsigned k1, k2, k3;
    assert_int_equal(store_keyword_find(st, a.id, "$Junk", false, &k1), STORE_ENOENT);
    assert_int_equal(store_keyword_find(st, a.id, "$Junk", true, &k1), STORE_OK);
    assert_int_equal(store_keyword_find(st, a.id, "Work", true, &k2), STORE_OK);
    assert_int_equal(store_keyword_find(st, a.id, "$junk", false, &k3), STORE_OK);
    assert_int_equal(k1, k3);
    assert_int_not_equal(k1, k2);
    assert_int_equal(store_keyword_name(st, a.id, k2, name, sizeof name), STORE_OK);
    assert_string_equal(name, "Work");
    for (int i = 2; i < IMAP_KEYWORDS_MAX; i++) {
        char kw[16];
        snprintf(kw, sizeof kw, "k%d", i);
        assert_int_equal(store_keyword_find(st, a.id, kw, true, &k3), STORE_OK);
    }
    assert_int_equal(store_keyword_find(st, a.id, "more", true, &k3), STORE_ELIMIT);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_mount_unmount),
        cmocka_unit_test(test_users),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_mailboxes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
