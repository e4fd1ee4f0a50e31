/*
 * test_store_power.c - a power cut at every program/erase of a small
 * workload (users, mailboxes, appends across erase blocks, flags, expunge,
 * copy, rename, purge, delete): the remounted store shows every committed
 * change and nothing uncommitted (the commit in flight may land either
 * way), passes store_check, and keeps working.  NOR and NAND geometries.
 */
#include "store_testlib.h"
#include "util/crc32.h"

#define NSTEPS 22

static uint32_t fold(uint32_t h, const void *p, size_t n)
{
    return crc32_update(h, p, n);
}

/* A fingerprint of everything visible in the store. */
static uint32_t fingerprint(store_t *st)
{
    uint32_t h = 0;
    store_user_t u;
    uint64_t uc = 0;
    while (store_user_next(st, &uc, &u) == STORE_OK) {
        h = fold(h, &u, sizeof u);
        store_mbox_t mb;
        uint64_t mc = 0;
        while (store_mbox_next(st, u.id, &mc, &mb) == STORE_OK) {
            h = fold(h, mb.name, strlen(mb.name));
            uint32_t f[] = { mb.uidvalidity, mb.uidnext, mb.messages,
                             mb.unseen, mb.nkeywords, (uint32_t)mb.highestmodseq };
            h = fold(h, f, sizeof f);
            store_msg_t m;
            uint32_t from = 1;
            while (store_msg_next(st, mb.id, from, &m) == STORE_OK) {
                from = m.uid + 1;
                uint64_t g[] = { m.uid, m.flags, m.keywords, m.modseq,
                                 m.xmodseq, m.size, m.hdr_size };
                h = fold(h, g, sizeof g);
                uint8_t buf[512];
                for (uint32_t off = 0; off < m.size;) {
                    long n = store_msg_read(st, &m, off, buf, sizeof buf);
                    assert_true(n > 0);
                    h = fold(h, buf, (size_t)n);
                    off += (uint32_t)n;
                }
            }
        }
        char name[IMAP_MAILBOX_NAME_MAX + 1];
        uint64_t sc = 0;
        while (store_sub_next(st, u.id, &sc, name, sizeof name) == STORE_OK)
            h = fold(h, name, strlen(name));
    }
    store_stat_t s;
    store_get_stat(st, &s);
    uint64_t c[] = { s.users, s.mailboxes, s.messages };
    return fold(h, c, sizeof c);
}

#define TRY(x) do { int rc_ = (x); if (rc_ < 0) return rc_; } while (0)

static int append(store_t *st, uint32_t mbox, uint32_t size, uint32_t seed)
{
    static uint8_t b[40000];
    store_append_t a;
    tbody(b, size, seed);
    TRY(store_append_begin(st, &a, mbox, size, 0, 0, 1700000000 + seed, 0));
    uint32_t off = 0;
    while (off < size) {
        long n = store_append_write(st, &a, b + off, size - off);
        if (n < 0)
            return (int)n;
        off += (uint32_t)n;
    }
    return store_append_finish(st, &a, NULL);
}

static int find(store_t *st, const char *user, const char *mbox, uint32_t *id)
{
    store_user_t u;
    store_mbox_t mb;
    TRY(store_user_find(st, user, &u));
    TRY(store_mbox_find(st, u.id, mbox, &mb));
    *id = mb.id;
    return STORE_OK;
}

/* An append that spans two steps: its region is reserved before the
 * commit of step 16, its message is committed in step 17. */
static store_append_t g_app;
static bool g_app_live;

static int app_part(store_t *st, uint32_t mbox, bool all)
{
    static uint8_t b[9000];
    tbody(b, sizeof b, 16);
    if (!g_app_live) {
        TRY(store_append_begin(st, &g_app, mbox, sizeof b, 0, 0, 0, 0));
        g_app_live = true;
        long n = store_append_write(st, &g_app, b, st->chunk_payload);
        if (n < 0)
            return (int)n;
    }
    while (all && g_app.written < g_app.size) {
        long n = store_append_write(st, &g_app, b + g_app.written,
                                    g_app.size - g_app.written);
        if (n < 0)
            return (int)n;
    }
    if (all) {
        g_app_live = false;
        TRY(store_append_finish(st, &g_app, NULL));
    }
    return STORE_OK;
}

/* Step k of the workload, ending with its commit. */
static int step(store_t *st, int k)
{
    store_user_t u;
    memset(&u, 0, sizeof u);
    uint32_t uid, inbox = 0, other = 0;
    store_msg_t m;
    if (k >= 2 && k != 14)
        TRY(find(st, "alice", "INBOX", &inbox));
    switch (k) {
    case 0:
        strcpy(u.name, "alice");
        TRY(store_user_add(st, &u, NULL));
        break;
    case 1:
        TRY(store_user_find(st, "alice", &u));
        TRY(store_mbox_create(st, u.id, "INBOX", NULL));
        TRY(store_mbox_create(st, u.id, "Work", NULL));
        break;
    case 2: case 3: case 4: case 5: case 6: case 7: {
        static const uint32_t sizes[] = { 100, 3000, 9000, 50, 30000, 700 };
        TRY(append(st, inbox, sizes[k - 2], (uint32_t)k));
        break;
    }
    case 8: {
        unsigned kw;
        TRY(store_keyword_find(st, inbox, "Work", true, &kw));
        TRY(store_msg_set_flags(st, inbox, 1, STORE_F_SEEN, 0, NULL));
        TRY(store_msg_set_flags(st, inbox, 2, STORE_F_FLAGGED, 1ull << kw, NULL));
        break;
    }
    case 9:
        TRY(store_msg_expunge(st, inbox, 3));
        break;
    case 10:
        TRY(find(st, "alice", "Work", &other));
        TRY(store_msg_get(st, inbox, 2, &m));
        TRY(store_msg_copy(st, inbox, &m, other, &uid));
        break;
    case 11:
        TRY(find(st, "alice", "Work", &other));
        TRY(store_mbox_rename(st, other, "Archive"));
        break;
    case 12:
        TRY(store_mbox_purge(st, inbox, UINT64_MAX));
        break;
    case 13:
        TRY(store_user_find(st, "alice", &u));
        TRY(store_sub_set(st, u.id, "Archive", true));
        break;
    case 14: {
        store_mbox_t mb;
        strcpy(u.name, "bob");
        TRY(store_user_add(st, &u, &uid));
        TRY(store_mbox_create(st, uid, "INBOX", &mb));
        TRY(append(st, mb.id, 5000, 14));
        break;
    }
    case 15:
        TRY(find(st, "alice", "Archive", &other));
        TRY(store_mbox_delete(st, other));
        break;
    case 16:
        TRY(app_part(st, inbox, false));
        TRY(store_msg_set_flags(st, inbox, 4, STORE_F_ANSWERED, 0, NULL));
        break;
    case 17:
        TRY(app_part(st, inbox, true));
        break;
    default:
        TRY(append(st, inbox, 1000u + 2500u * (uint32_t)(k - 18), (uint32_t)k));
        TRY(store_msg_set_flags(st, inbox, 4, (uint32_t)k & STORE_F_ALL, 0, NULL));
        break;
    }
    return store_commit(st);
}

static void power_cuts(flash_geometry_t g)
{
    tdev_t d;
    store_t *st = tstore_new();
    uint32_t fp[NSTEPS + 1];
    tdev_init(&d, g);

    /* reference run */
    tformat_mount(&d, st);
    fp[0] = fingerprint(st);
    flash_ram_power_up(&d.ram);
    for (int k = 0; k < NSTEPS; k++) {
        assert_int_equal(step(st, k), STORE_OK);
        fp[k + 1] = fingerprint(st);
    }
    uint64_t total = d.ram.sim.ops;
    print_message("%llu cut points\n", (unsigned long long)total);
    assert_int_equal(store_check(st, NULL, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);

    for (uint64_t run = 0; run < 2 * total; run++) {
        uint64_t cut = run / 2 + 1;  /* two tear patterns per cut point */
        memset(d.mem, 0x5A, (size_t)g.size);  /* nothing erased */
        if (d.map)
            memset(d.map, 0, (size_t)(g.size / g.prog_size / 8 + 1));
        flash_ram_power_up(&d.ram);
        tformat_mount(&d, st);
        flash_ram_power_up(&d.ram);
        flash_sim_cut_at(&d.ram.sim, cut, (uint32_t)(run * 7919u + 1));
        int done = 0;
        while (done < NSTEPS && step(st, done) == STORE_OK)
            done++;
        assert_true(done < NSTEPS);  /* the cut happened */

        flash_ram_power_up(&d.ram);
        g_app_live = false;  /* an append does not survive a reboot */
        /* the power fails again while the mount writes its checkpoint */
        flash_sim_cut_at(&d.ram.sim, 1 + run % 2, (uint32_t)run);
        assert_int_equal(store_mount(st, &d.ram.dev), STORE_EIO);
        flash_ram_power_up(&d.ram);
        int rc = store_mount(st, &d.ram.dev);
        if (rc != STORE_OK)
            fail_msg("cut %llu: mount %d", (unsigned long long)cut, rc);
        uint32_t f = fingerprint(st);
        if (f != fp[done] && f != fp[done + 1])
            fail_msg("cut %llu: state is neither step %d nor %d",
                     (unsigned long long)cut, done, done + 1);
        int committed = f == fp[done] ? done : done + 1;
        rc = store_check(st, NULL, NULL);
        if (rc != 0)
            fail_msg("cut %llu: check %d", (unsigned long long)cut, rc);
        /* it goes on working: the rest of the workload, and a remount */
        for (int k = committed; k < NSTEPS; k++)
            assert_int_equal(step(st, k), STORE_OK);
        assert_int_equal(fingerprint(st), fp[NSTEPS]);
        tremount(&d, st);
        assert_int_equal(fingerprint(st), fp[NSTEPS]);
        assert_int_equal(store_unmount(st), STORE_OK);
    }
    tdev_free(&d);
    free(st);
}

static void test_power_nor(void **state)
{
    power_cuts(geo_nor(512 * 1024));
}

static void test_power_nand(void **state)
{
    power_cuts(geo_nand(2u << 20));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_nor),
        cmocka_unit_test(test_power_nand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
