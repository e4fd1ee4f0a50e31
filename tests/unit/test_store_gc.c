/*
 * test_store_gc.c - compaction, wear levelling and the reserve.
 *
 *   - churn: a mailbox keeps a working set of small and multi-chunk
 *     messages (plus a few that live for the whole run, and COPYs sharing
 *     data) while 50 times the device's capacity is written; every live
 *     message reads back whole, store_check stays clean across remounts,
 *     and the highest erase count is at most 1.5 x the mean (printed);
 *   - NOR (4 KiB / 256 B) and NAND (128 KiB / 2 KiB, program once);
 *   - a full store: APPEND and COPY get STORE_ENOSPC and change nothing,
 *     EXPUNGE, STORE and DELETE still work, and once compaction ran
 *     APPEND works again.
 *   - a big message (2 MiB on 8 MiB) is moved by a pass chunk by chunk:
 *     no step programs more than its budget plus one chunk (and the
 *     index path and commit of the step), the message reads back
 *     byte-exact; a COPY of a message mid-copy is held until the copy is
 *     done, an expunge mid-copy leaves the partial copy as dead space, and
 *     the image checks clean;
 *   - a COPY of a big message the pass has not reached is held
 *     (STORE_EAGAIN) while the chunk cursor moves it first: no call
 *     programs more than a step's budget plus one chunk, the copy and the
 *     original are byte-exact and share the moved data; power cuts
 *     during such a held COPY (every 5th program/erase) leave the
 *     original whole, an acknowledged copy there, any copy there
 *     byte-exact, the image clean;
 *   - a pass waiting at its end for an APPEND (phase 3) survives a
 *     remount; a pass left without room to go on has APPEND and COPY
 *     refused at once (not held for ever);
 *   - the finish of a big APPEND whose data was written before the pass
 *     began is held (STORE_EAGAIN) while that data moves above the mark
 *     a step's budget at a time: no call programs more than a step's
 *     budget plus one chunk; power cuts during the held finish (every 3rd
 *     program/erase) leave the message absent or byte-exact, there when
 *     acknowledged, UIDNEXT never back, the image clean.
 * STORE_GC_LONG=n multiplies the churn (the long mode).
 */
#include "store_testlib.h"
#include "store/store_priv.h"   /* st_free, log_reserve: a cut's waste */

static void report(void *ctx, const char *what, uint64_t where)
{
    (void)ctx;
    fprintf(stderr, "check: %s (%llu)\n", what, (unsigned long long)where);
}

#define WS 24  /* working set */

typedef struct live {
    uint32_t uid, size, seed;
} live_t;

static uint32_t rnd(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

static uint32_t msg_size(uint32_t *x, uint32_t cap)
{
    uint32_t r = rnd(x) % 10;
    uint32_t s = r < 6 ? 200 + rnd(x) % 1500 : 2500 + rnd(x) % 6000;
    return s < cap ? s : cap;
}

static void check_all(store_t *st, uint32_t mbox, live_t *l, unsigned n,
                      uint8_t *body)
{
    for (unsigned i = 0; i < n; i++) {
        if (!l[i].uid)
            continue;
        tbody(body, l[i].size, l[i].seed);
        tcheck_body(st, mbox, l[i].uid, body, l[i].size);
    }
}

static void churn(flash_geometry_t g, unsigned laps)
{
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, g);
    uint64_t nblk = g.size / g.erase_size;
    uint32_t *ec = calloc(nblk, sizeof *ec);
    d.ram.sim.erase_counts = ec;
    tformat_mount(&d, st);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "u");
    uint32_t uid_user;
    assert_int_equal(store_user_add(st, &u, &uid_user), STORE_OK);
    store_mbox_t a, b;
    assert_int_equal(store_mbox_create(st, uid_user, "INBOX", &a), STORE_OK);
    assert_int_equal(store_mbox_create(st, uid_user, "Keep", &b), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    uint8_t *body = malloc(16384);
    uint32_t x = 12345, seed = 1;
    /* long-lived messages: their blocks must not stay pinned */
    live_t keep[4];
    for (unsigned i = 0; i < 4; i++) {
        keep[i].seed = seed++;
        keep[i].size = i & 1 ? 5000 : 900;
        tbody(body, keep[i].size, keep[i].seed);
        keep[i].uid = tappend(st, b.id, body, keep[i].size, 0, 4096);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    live_t ws[WS];
    memset(ws, 0, sizeof ws);
    uint64_t target = (uint64_t)laps * g.size, written = 0;
    uint32_t last_uid = 0;
    unsigned remounts = 0, copies = 0;
    uint64_t start_progs = 0;
    while (written < target) {
        unsigned i = rnd(&x) % WS;
        if (ws[i].uid) {
            assert_int_equal(store_msg_expunge(st, a.id, ws[i].uid), STORE_OK);
            assert_int_equal(store_commit(st), STORE_OK);  /* as IMAP does */
            ws[i].uid = 0;
        }
        ws[i].seed = seed++;
        ws[i].size = msg_size(&x, 16384);
        tbody(body, ws[i].size, ws[i].seed);
        ws[i].uid = tappend(st, a.id, body, ws[i].size, 0, 4096);
        assert_int_equal(store_commit(st), STORE_OK);
        assert_true(ws[i].uid > last_uid);  /* UIDs never reused */
        last_uid = ws[i].uid;
        written += ws[i].size;
        if (rnd(&x) % 8 == 0) {
            /* a COPY sharing data, expunged again soon */
            store_msg_t m;
            uint32_t cu;
            assert_int_equal(store_msg_get(st, a.id, ws[i].uid, &m), STORE_OK);
            assert_int_equal(store_msg_copy(st, a.id, &m, b.id, &cu), STORE_OK);
            assert_int_equal(store_commit(st), STORE_OK);
            tbody(body, ws[i].size, ws[i].seed);
            tcheck_body(st, b.id, cu, body, ws[i].size);
            assert_int_equal(store_msg_expunge(st, b.id, cu), STORE_OK);
            copies++;
        }
        if (rnd(&x) % 4 == 0) {
            uint64_t ms;
            unsigned j = rnd(&x) % WS;
            if (ws[j].uid)
                assert_int_equal(store_msg_set_flags(st, a.id, ws[j].uid,
                                                     STORE_F_SEEN, 0, &ms),
                                 STORE_OK);
        }
        assert_int_equal(store_commit(st), STORE_OK);
        store_mbox_t cur;
        assert_int_equal(store_mbox_get(st, a.id, &cur), STORE_OK);
        assert_int_equal(store_mbox_purge(st, a.id, cur.highestmodseq), STORE_OK);
        assert_int_equal(store_mbox_get(st, b.id, &cur), STORE_OK);
        assert_int_equal(store_mbox_purge(st, b.id, cur.highestmodseq), STORE_OK);
        assert_int_equal(store_commit(st), STORE_OK);
        if (rnd(&x) % 3 == 0)
            while (store_maintain(st, 0) == 1 && rnd(&x) % 4)
                ;
        if (written / (g.size / 2) > remounts) {
            remounts++;
            check_all(st, a.id, ws, WS, body);
            check_all(st, b.id, keep, 4, body);
            assert_int_equal(store_check(st, report, NULL), 0);
            tremount(&d, st);
            if (remounts == 4)  /* from here the wear is measured */
                start_progs = 1;
            if (start_progs == 1) {
                memset(ec, 0, nblk * sizeof *ec);
                start_progs = 2;
            }
        }
    }
    check_all(st, a.id, ws, WS, body);
    check_all(st, b.id, keep, 4, body);
    assert_int_equal(store_check(st, report, NULL), 0);
    tremount(&d, st);
    check_all(st, a.id, ws, WS, body);
    check_all(st, b.id, keep, 4, body);
    store_wear_t w;
    assert_int_equal(store_get_wear(st, &w), STORE_OK);
    assert_int_equal(store_unmount(st), STORE_OK);
    /* erase counts of every block, anchors included */
    uint64_t sum = 0;
    uint32_t mx = 0, mn = UINT32_MAX;
    for (uint64_t k = 0; k < nblk; k++) {
        sum += ec[k];
        mx = ec[k] > mx ? ec[k] : mx;
        mn = ec[k] < mn ? ec[k] : mn;
    }
    double mean = (double)sum / (double)nblk;
    printf("wear %s %llu KiB: %.1fx capacity written, %u copies, erases "
           "min %u max %u mean %.1f, max/mean %.2f (BLOCK records: min %u "
           "max %u)\n",
           g.flags & FLASH_F_PROG_ONCE ? "NAND" : "NOR",
           (unsigned long long)(g.size / 1024),
           (double)written / (double)g.size, copies, mn, mx, mean,
           (double)mx / mean, w.min, w.max);
    assert_true((double)mx <= 1.5 * mean);
    free(ec);
    free(body);
    tdev_free(&d);
    free(st);
}

static unsigned long_factor(void)
{
    const char *e = getenv("STORE_GC_LONG");
    unsigned n = e ? (unsigned)atoi(e) : 1;
    return n ? n : 1;
}

static void test_churn_nor(void **state)
{
    (void)state;
    churn(geo_nor(1024 * 1024), 50 * long_factor());
}

static void test_churn_nand(void **state)
{
    (void)state;
    churn(geo_nand(4u << 20), 50 * long_factor());
}

static void test_full_store(void **state)
{
    (void)state;
    tdev_t d;
    store_t *st = tstore_new();
    tdev_init(&d, geo_nor(256 * 1024));
    tformat_mount(&d, st);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "u");
    uint32_t uid_user;
    assert_int_equal(store_user_add(st, &u, &uid_user), STORE_OK);
    store_mbox_t a, b;
    assert_int_equal(store_mbox_create(st, uid_user, "INBOX", &a), STORE_OK);
    assert_int_equal(store_mbox_create(st, uid_user, "Other", &b), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    uint8_t body[3000];
    tbody(body, sizeof body, 7);
    unsigned n = 0;
    int rc = STORE_OK;
    while (n < 1000) {
        store_append_t ap;
        rc = store_append_begin(st, &ap, a.id, sizeof body, 0, 0, 0, 0);
        if (rc < 0)
            break;
        assert_int_equal(store_append_write(st, &ap, body, sizeof body),
                         sizeof body);
        assert_int_equal(store_append_finish(st, &ap, NULL), STORE_OK);
        assert_int_equal(store_commit(st), STORE_OK);
        n++;
    }
    assert_int_equal(rc, STORE_ENOSPC);
    assert_true(n > 10);
    store_mbox_t before, after;
    assert_int_equal(store_mbox_get(st, a.id, &before), STORE_OK);
    /* COPY into a full store: refused, nothing changes */
    store_msg_t m;
    assert_int_equal(store_msg_next(st, a.id, 1, &m), STORE_OK);
    uint32_t cu;
    int crc = store_msg_copy(st, a.id, &m, b.id, &cu);
    if (crc == STORE_ENOSPC) {
        store_rollback(st);
        assert_int_equal(store_mbox_get(st, b.id, &after), STORE_OK);
        assert_int_equal(after.messages, 0);
    } else {
        assert_int_equal(crc, STORE_OK);  /* a COPY needs little room */
        assert_int_equal(store_commit(st), STORE_OK);
    }
    /* STORE and EXPUNGE of everything still work */
    uint64_t ms;
    for (uint32_t uid = 1; uid < before.uidnext; uid++)
        assert_int_equal(store_msg_set_flags(st, a.id, uid, STORE_F_SEEN, 0,
                                             &ms), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    for (uint32_t uid = 1; uid < before.uidnext; uid += 2)
        assert_int_equal(store_msg_expunge(st, a.id, uid), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_mbox_get(st, a.id, &after), STORE_OK);
    assert_int_equal(store_mbox_purge(st, a.id, after.highestmodseq), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_mbox_delete(st, b.id), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    /* compaction reclaims the space: APPEND works again */
    for (int guard = 0; guard < 10000 && store_maintain(st, 0) == 1; guard++)
        ;
    unsigned more = 0;
    for (; more < 5; more++) {
        store_append_t ap;
        rc = store_append_begin(st, &ap, a.id, sizeof body, 0, 0, 0, 0);
        if (rc < 0)
            break;
        assert_int_equal(store_append_write(st, &ap, body, sizeof body),
                         sizeof body);
        assert_int_equal(store_append_finish(st, &ap, NULL), STORE_OK);
        assert_int_equal(store_commit(st), STORE_OK);
    }
    assert_int_equal(more, 5);
    assert_int_equal(store_check(st, report, NULL), 0);
    tremount(&d, st);
    assert_int_equal(store_check(st, report, NULL), 0);
    assert_int_equal(store_mbox_get(st, a.id, &after), STORE_OK);
    assert_int_equal(after.messages, n - (n + 1) / 2 + 5);
    for (uint32_t uid = 2; uid < before.uidnext; uid += 2)
        tcheck_body(st, a.id, uid, body, sizeof body);
    store_stat_t s;
    assert_int_equal(store_get_stat(st, &s), STORE_OK);
    printf("full store: %u messages fitted in %llu KiB, reserve %llu KiB\n",
           n, (unsigned long long)(s.ring / 1024),
           (unsigned long long)(s.reserve / 1024));
    assert_int_equal(store_unmount(st), STORE_OK);
    tdev_free(&d);
    free(st);
}

/* Appends and expunges small messages in mailbox c until a compaction
 * pass is under way. */
static void until_pass(store_t *st, uint32_t c, uint8_t *body)
{
    store_stat_t s;
    for (unsigned i = 0; i < 100000; i++) {
        assert_int_equal(store_get_stat(st, &s), STORE_OK);
        if (s.compacting)
            return;
        tbody(body, 8000, i);
        uint32_t uid = tappend(st, c, body, 8000, 0, 8000);
        assert_int_equal(store_commit(st), STORE_OK);
        assert_int_equal(store_msg_expunge(st, c, uid), STORE_OK);
        store_mbox_t mb;
        assert_int_equal(store_mbox_get(st, c, &mb), STORE_OK);
        assert_int_equal(store_mbox_purge(st, c, mb.highestmodseq), STORE_OK);
        assert_int_equal(store_commit(st), STORE_OK);
    }
    fail_msg("no compaction pass started");
}

#define BIG (2u << 20)
#define STEP_BUDGET 32768u
/* a step's own writes beside its budget: the index path of the entry
 * that crosses the budget, the RESERVE record, the commit (units of 256) */
#define STEP_EXTRA (3u * 1024u + 3u * 256u)

/* A fresh non-blocking store of devsize bytes with user "u" and the
 * mailboxes INBOX, B, Churn in mb[0..2]. */
static store_t *big_setup(tdev_t *d, uint64_t devsize, store_mbox_t *mb)
{
    static const char *const names[] = { "INBOX", "B", "Churn" };
    store_t *st = tstore_new();
    tdev_init(d, geo_nor(devsize));
    tformat_mount(d, st);
    store_set_nonblocking(st, true);
    store_user_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "u");
    uint32_t uid_user;
    assert_int_equal(store_user_add(st, &u, &uid_user), STORE_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_mbox_create(st, uid_user, names[i], &mb[i]),
                         STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    return st;
}

static void test_big_message_steps(void **state)
{
    (void)state;
    tdev_t d;
    store_mbox_t mb[3];
    store_t *st = big_setup(&d, 8u << 20, mb);
    store_mbox_t a = mb[0], c = mb[2];
    uint8_t *big = malloc(BIG), *body = malloc(8000);
    tbody(big, BIG, 99);
    uint32_t buid = tappend(st, a.id, big, BIG, 0, 65536);
    assert_int_equal(store_commit(st), STORE_OK);
    store_msg_t before, after;
    assert_int_equal(store_msg_get(st, a.id, buid, &before), STORE_OK);
    until_pass(st, c.id, body);
    /* the pass's steps, each measured by what the flash programmed */
    uint32_t stride = st->chunk_stride;
    uint64_t worst = 0, steps = 0, busy = 0;
    store_stat_t s;
    for (;;) {
        assert_int_equal(store_get_stat(st, &s), STORE_OK);
        if (!s.compacting)
            break;
        uint64_t p0 = d.ram.sim.stats.prog_bytes;
        assert_true(store_maintain(st, STEP_BUDGET) >= 0);
        uint64_t w = d.ram.sim.stats.prog_bytes - p0;
        worst = w > worst ? w : worst;
        busy += st->gc_cp.mark != 0;
        assert_true(++steps < 10000);
    }
    assert_int_equal(store_get_stat(st, &s), STORE_OK);
    printf("big message %u KiB: pass ended in %llu steps of %u budget, "
           "%llu of them mid-copy; largest step programmed %llu bytes "
           "(step_max %llu)\n", BIG / 1024, (unsigned long long)steps,
           STEP_BUDGET, (unsigned long long)busy, (unsigned long long)worst,
           (unsigned long long)s.step_max);
    assert_true(worst <= STEP_BUDGET + stride + STEP_EXTRA);
    /* the steps run after commits (budget up to 64 KiB) too */
    assert_true(s.step_max <= 2 * STEP_BUDGET + stride + STEP_EXTRA);
    assert_true(busy >= BIG / (STEP_BUDGET + stride));
    assert_int_equal(store_msg_get(st, a.id, buid, &after), STORE_OK);
    assert_true(after.data_addr != before.data_addr);  /* it moved */
    tcheck_body(st, a.id, buid, big, BIG);
    assert_int_equal(store_check(st, report, NULL), 0);
    tremount(&d, st);
    tcheck_body(st, a.id, buid, big, BIG);
    assert_int_equal(store_check(st, report, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    free(big);
    free(body);
    tdev_free(&d);
    free(st);
}

/* Steps until the walk is copying message uid (< 256) of a big size,
 * a few chunks in (st->gc_cp). */
static void until_mid_copy(store_t *st, uint32_t uid)
{
    for (unsigned i = 0; i < 10000; i++) {
        if (st->gc_cp.mark && st->gc_cp_key[12] == (uint8_t)uid &&
            st->gc_cp.done > 2)
            return;
        assert_true(store_maintain(st, 8192) >= 0);
    }
    fail_msg("no chunked copy of uid %u under way", uid);
}

static void finish_pass(store_t *st)
{
    for (unsigned i = 0; i < 100000 && store_maintain(st, 8192) == 1; i++)
        ;
    store_stat_t s;
    assert_int_equal(store_get_stat(st, &s), STORE_OK);
    assert_false(s.compacting);
}

/* A message and its copy (ub 0: none) read back byte-exact and the image
 * checks clean (remount: after one). */
static void check_pair(tdev_t *d, store_t *st, uint32_t a, uint32_t ua,
                       uint32_t b, uint32_t ub, const uint8_t *body,
                       uint32_t n, bool remount)
{
    if (remount)
        tremount(d, st);
    tcheck_body(st, a, ua, body, n);
    if (ub)
        tcheck_body(st, b, ub, body, n);
    assert_int_equal(store_check(st, report, NULL), 0);
}

/* A record that changes while the walk copies its data: a COPY (held
 * until the chunk cursor has moved it; then the data is shared, moved
 * once) or an expunge and purge (the partial copy is dead space). */
static void test_big_message_changes(void **state)
{
    (void)state;
    tdev_t d;
    store_mbox_t mb[3];
    store_t *st = big_setup(&d, 4u << 20, mb);
    store_mbox_t a = mb[0], b = mb[1], c = mb[2];
    const uint32_t n = 300000;
    uint8_t *m1 = malloc(n), *m2 = malloc(n), *body = malloc(8000);
    tbody(m1, n, 1);
    tbody(m2, n, 2);
    uint32_t u1 = tappend(st, a.id, m1, n, 0, 65536);
    uint32_t u2 = tappend(st, a.id, m2, n, 0, 65536);
    assert_int_equal(store_commit(st), STORE_OK);
    /* pass 1: COPY of u1 while the walk copies it */
    until_pass(st, c.id, body);
    until_mid_copy(st, u1);
    store_msg_t m;
    uint32_t cu;
    assert_int_equal(store_msg_get(st, a.id, u1, &m), STORE_OK);
    /* held (STORE_EAGAIN) while the chunk cursor finishes u1's move */
    unsigned held = 0;
    int rc;
    while ((rc = store_msg_copy(st, a.id, &m, b.id, &cu)) == STORE_EAGAIN) {
        assert_true(++held < 10000);
        assert_true(store_maintain(st, 8192) >= 0);
    }
    assert_int_equal(rc, STORE_OK);
    assert_true(held > 0);
    assert_int_equal(store_commit(st), STORE_OK);
    finish_pass(st);
    tcheck_body(st, a.id, u1, m1, n);
    tcheck_body(st, b.id, cu, m1, n);
    store_msg_t x1, x2;
    assert_int_equal(store_msg_get(st, a.id, u1, &x1), STORE_OK);
    assert_int_equal(store_msg_get(st, b.id, cu, &x2), STORE_OK);
    assert_true(x1.data_addr == x2.data_addr);  /* still shared, one move */
    assert_int_equal(store_check(st, report, NULL), 0);
    /* pass 2: u2 expunged and purged while the walk copies it */
    until_pass(st, c.id, body);
    until_mid_copy(st, u2);
    assert_int_equal(store_msg_expunge(st, a.id, u2), STORE_OK);
    assert_int_equal(store_mbox_get(st, a.id, &a), STORE_OK);
    assert_int_equal(store_mbox_purge(st, a.id, a.highestmodseq), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    finish_pass(st);
    assert_int_equal(store_msg_get(st, a.id, u2, &m), STORE_ENOENT);
    check_pair(&d, st, a.id, u1, b.id, cu, m1, n, false);
    check_pair(&d, st, a.id, u1, b.id, cu, m1, n, true);
    assert_int_equal(store_unmount(st), STORE_OK);
    free(m1);
    free(m2);
    free(body);
    tdev_free(&d);
    free(st);
}

/* A command the store may hold (STORE_EAGAIN): a COPY of m from mailbox
 * `from` to `to`, or (ap set) an APPEND's finish; uid: the new message. */
typedef struct held_cmd {
    uint32_t from, to;
    const store_msg_t *m;
    store_append_t *ap;
    uint32_t uid;
} held_cmd_t;

/* *worst: at least what the flash programmed since p0 (worst NULL: no). */
static void note_prog(const tdev_t *d, uint64_t p0, uint64_t *worst)
{
    uint64_t w = d->ram.sim.stats.prog_bytes - p0;
    if (worst && w > *worst)
        *worst = w;
}

/* Runs c as the engine does: a store step after every STORE_EAGAIN, then
 * the command again, committed when it answers STORE_OK.  Returns its
 * answer (or the step's error); *held: the EAGAINs; *worst: the most flash
 * bytes one call (command or step) programmed. */
static int held_run(tdev_t *d, store_t *st, held_cmd_t *c, unsigned *held,
                    uint64_t *worst)
{
    for (*held = 0; *held < 100000;) {
        uint64_t p0 = d->ram.sim.stats.prog_bytes;
        int rc = c->ap ? store_append_finish(st, c->ap, &c->uid)
                       : store_msg_copy(st, c->from, c->m, c->to, &c->uid);
        if (rc == STORE_OK)
            rc = store_commit(st);
        note_prog(d, p0, worst);
        if (rc != STORE_EAGAIN)
            return rc;
        ++*held;
        p0 = d->ram.sim.stats.prog_bytes;
        rc = store_maintain(st, STEP_BUDGET);
        note_prog(d, p0, worst);
        if (rc < 0)
            return rc;
    }
    return STORE_EIO;
}

/* A COPY of a 2 MiB message whose data the pass has not reached: the
 * COPY is held while the chunk cursor moves the message out of key order,
 * a step at a time; then it shares the moved data.  Without the hold the
 * COPY moved the whole message inside one call. */
static void test_big_message_copy(void **state)
{
    (void)state;
    tdev_t d;
    store_mbox_t mb[3];
    /* 32 MiB: admission lets the COPY in during the pass (on a smaller
     * ring it waits for the pass's end anyway) */
    store_t *st = big_setup(&d, 32u << 20, mb);
    store_mbox_t a = mb[0], b = mb[1], c = mb[2];
    uint8_t *big = malloc(BIG), *body = malloc(8000);
    tbody(big, BIG, 7);
    uint32_t buid = tappend(st, a.id, big, BIG, 0, 65536);
    assert_int_equal(store_commit(st), STORE_OK);
    store_msg_t m, x1, x2;
    assert_int_equal(store_msg_get(st, a.id, buid, &m), STORE_OK);
    until_pass(st, c.id, body);
    /* the pass has not moved it (its walk may not have begun it either) */
    assert_true(m.data_addr < st->cur.mark);
    uint32_t stride = st->chunk_stride;
    uint64_t worst = 0;
    unsigned held;
    held_cmd_t cp = { .from = a.id, .to = b.id, .m = &m };
    assert_int_equal(held_run(&d, st, &cp, &held, &worst), STORE_OK);
    uint32_t cu = cp.uid;
    printf("COPY of a %u KiB message below the mark: held %u times, "
           "largest call programmed %llu bytes\n", BIG / 1024, held,
           (unsigned long long)worst);
    assert_true(worst <= STEP_BUDGET + stride + STEP_EXTRA);
    assert_true(held >= BIG / (STEP_BUDGET + stride));
    assert_int_equal(store_msg_get(st, a.id, buid, &x1), STORE_OK);
    assert_int_equal(store_msg_get(st, b.id, cu, &x2), STORE_OK);
    assert_true(x1.data_addr >= st->cur.mark || !st->cur.mark);
    assert_true(x1.data_addr == x2.data_addr);   /* shared, moved once */
    check_pair(&d, st, a.id, buid, b.id, cu, big, BIG, false);
    finish_pass(st);
    check_pair(&d, st, a.id, buid, b.id, cu, big, BIG, false);
    check_pair(&d, st, a.id, buid, b.id, cu, big, BIG, true);
    assert_int_equal(store_unmount(st), STORE_OK);
    free(big);
    free(body);
    tdev_free(&d);
    free(st);
}

/* Power cuts during a COPY-driven chunk move: the image holds a pass under
 * way and a 300 KB message it has not reached; a held COPY of it is cut
 * at every 5th program/erase; after the remount the original is whole,
 * an acknowledged copy is there, any copy there is byte-exact, and the
 * image checks clean. */
static void test_big_message_copy_cuts(void **state)
{
    (void)state;
    tdev_t d;
    store_mbox_t mb[3];
    store_t *st = big_setup(&d, 32u << 20, mb);
    store_mbox_t a = mb[0], b = mb[1], c = mb[2];
    const uint32_t n = 300000;
    uint8_t *m1 = malloc(n), *body = malloc(8000);
    tbody(m1, n, 5);
    uint32_t u1 = tappend(st, a.id, m1, n, 0, 65536);
    assert_int_equal(store_commit(st), STORE_OK);
    until_pass(st, c.id, body);
    store_msg_t m;
    assert_int_equal(store_msg_get(st, a.id, u1, &m), STORE_OK);
    assert_true(m.data_addr < st->cur.mark);
    size_t sz = (size_t)d.geo.size;
    uint8_t *snap = malloc(sz);
    memcpy(snap, d.mem, sz);
    /* the uncut run: how many program/erase operations it takes */
    flash_ram_power_up(&d.ram);
    unsigned held;
    held_cmd_t cp = { .from = a.id, .to = b.id, .m = &m };
    assert_int_equal(held_run(&d, st, &cp, &held, NULL), STORE_OK);
    uint64_t total = d.ram.sim.ops;
    assert_true(held > 1);
    unsigned long long cuts = 0, mid = 0, copied = 0;
    for (uint64_t cut = 1; cut <= total; cut += 5) {
        memcpy(d.mem, snap, sz);
        flash_ram_power_up(&d.ram);
        assert_int_equal(store_mount(st, &d.ram.dev), STORE_OK);
        store_set_nonblocking(st, true);
        flash_ram_power_up(&d.ram);
        flash_sim_cut_at(&d.ram.sim, cut, (uint32_t)cut * 7919u + 1);
        int rc = held_run(&d, st, &cp, &held, NULL);
        mid += held > 0 && rc < 0;   /* cut while held: mid-move */
        flash_ram_power_up(&d.ram);
        assert_int_equal(store_mount(st, &d.ram.dev), STORE_OK);
        tcheck_body(st, a.id, u1, m1, n);
        store_mbox_t bb;
        assert_int_equal(store_mbox_get(st, b.id, &bb), STORE_OK);
        if (rc == STORE_OK)
            assert_int_equal(bb.messages, 1);
        if (bb.messages) {
            store_msg_t x;
            assert_int_equal(store_msg_next(st, b.id, 1, &x), STORE_OK);
            tcheck_body(st, b.id, x.uid, m1, n);
            copied++;
        }
        assert_int_equal(store_check(st, report, NULL), 0);
        cuts++;
    }
    printf("COPY of a held %u-byte message: %llu power cuts survived "
           "(%llu ops), %llu of them mid-move, %llu after the copy was "
           "in\n", n, cuts, (unsigned long long)total, mid, copied);
    assert_true(mid > 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    free(snap);
    free(m1);
    free(body);
    tdev_free(&d);
    free(st);
}

/* Offers bytes [a->written, to) of body to an APPEND under way. */
static void append_upto(store_t *st, store_append_t *a, const uint8_t *body,
                        uint32_t to)
{
    while (a->written < to) {
        long n = store_append_write(st, a, body + a->written,
                                    to - a->written);
        assert_true(n > 0);
    }
}

/* A pass left without room to go on (what a power cut during it can
 * waste, beyond the reserve, is simulated by a region nobody uses): its
 * steps fail with STORE_ENOSPC, and an APPEND or a COPY of a message the
 * pass must still move gets STORE_ENOSPC (NO [OVERQUOTA]) at once instead
 * of STORE_EAGAIN, which had the engine wait for ever; every message
 * still reads back; EXPUNGE still works, and once it removed what the
 * pass had to copy the pass ends and APPEND works again. */
static void test_stuck_pass_refuses(void **state)
{
    (void)state;
    tdev_t d;
    store_mbox_t mb[3];
    store_t *st = big_setup(&d, 1u << 20, mb);
    uint8_t *msg = malloc(40000), *body = malloc(8000);
    uint32_t uids[6];
    for (unsigned i = 0; i < 6; i++) {
        tbody(msg, 40000, 50 + i);
        uids[i] = tappend(st, mb[0].id, msg, 40000, 0, 65536);
    }
    assert_int_equal(store_commit(st), STORE_OK);
    until_pass(st, mb[2].id, body);
    uint64_t waste;
    assert_true(st_free(st) > 16384);
    assert_int_equal(log_reserve(st, st_free(st) - 16384, &waste), STORE_OK);
    int rc = STORE_OK;
    for (unsigned i = 0; i < 1000 && rc >= 0; i++)
        rc = store_maintain(st, 8192);
    assert_int_equal(rc, STORE_ENOSPC);
    store_append_t ap;
    assert_int_equal(store_append_begin(st, &ap, mb[1].id, 40000, 0, 0,
                                        1700000000, 0), STORE_ENOSPC);
    store_rollback(st);
    store_msg_t m;
    uint32_t cu;
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(store_msg_get(st, mb[0].id, uids[i], &m), STORE_OK);
        if ((m.data_addr & ~DATA_INLINE) < st->cur.mark) {
            rc = store_msg_copy(st, mb[0].id, &m, mb[1].id, &cu);
            assert_int_equal(rc, STORE_ENOSPC);
            store_rollback(st);
        }
        tbody(msg, 40000, 50 + i);
        tcheck_body(st, mb[0].id, uids[i], msg, 40000);
    }
    /* EXPUNGE of what the pass has still to copy makes room: it ends,
     * and APPEND works again */
    store_mbox_t x;
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(store_msg_expunge(st, mb[0].id, uids[i]), STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    assert_int_equal(store_mbox_get(st, mb[0].id, &x), STORE_OK);
    assert_int_equal(store_mbox_purge(st, mb[0].id, x.highestmodseq),
                     STORE_OK);
    assert_int_equal(store_commit(st), STORE_OK);
    finish_pass(st);
    tbody(msg, 40000, 99);
    uint32_t nu = tappend(st, mb[1].id, msg, 40000, 0, 65536);
    assert_int_equal(store_commit(st), STORE_OK);
    tcheck_body(st, mb[1].id, nu, msg, 40000);
    assert_int_equal(store_check(st, report, NULL), 0);
    free(msg);
    free(body);
    tdev_free(&d);
    free(st);
}

/* A pass whose walk is done waits (phase 3, committed) while an APPEND
 * begun before it still writes below its mark.  An image unmounted or cut
 * in that state mounts (it was refused as corrupt: a slow upload at the
 * end of a pass, then a restart, made the store unmountable); the pass
 * ends at the next step, the unfinished APPEND leaves no trace. */
static void test_pass_waits_for_append(void **state)
{
    (void)state;
    tdev_t d;
    store_mbox_t mb[3];
    store_t *st = big_setup(&d, 4u << 20, mb);
    uint8_t *msg = malloc(100000), *body = malloc(8000);
    tbody(msg, 100000, 3);
    uint32_t keep = tappend(st, mb[0].id, msg, 50000, 0, 65536);
    assert_int_equal(store_commit(st), STORE_OK);
    store_append_t ap;
    assert_int_equal(store_append_begin(st, &ap, mb[0].id, 100000, 0, 0,
                                        1700000000, 0), STORE_OK);
    append_upto(st, &ap, msg, 10 * st->chunk_payload);
    until_pass(st, mb[2].id, body);
    for (unsigned i = 0; st->com.phase != 3; i++) {
        assert_true(i < 10000);
        assert_true(store_maintain(st, 8192) >= 0);
    }
    assert_int_equal(store_maintain(st, 8192), 1);   /* it waits */
    assert_int_equal(st->com.phase, 3);
    store_append_abort(st, &ap);   /* the session is gone */
    tremount(&d, st);
    assert_int_equal(st->com.phase, 3);
    finish_pass(st);
    store_mbox_t after;
    assert_int_equal(store_mbox_get(st, mb[0].id, &after), STORE_OK);
    assert_int_equal(after.messages, 1);
    tcheck_body(st, mb[0].id, keep, msg, 50000);
    assert_int_equal(store_check(st, report, NULL), 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    free(msg);
    free(body);
    tdev_free(&d);
    free(st);
}

/* An APPEND of n bytes into mb[0] whose first half is written before a
 * compaction pass begins and the rest after: its region lies below the
 * pass's mark when the literal ends. */
static void append_across_pass_start(store_t *st, const store_mbox_t *mb,
                                     store_append_t *ap, const uint8_t *body,
                                     uint32_t n, uint8_t *scratch)
{
    assert_int_equal(store_append_begin(st, ap, mb[0].id, n, 0, 0,
                                        1700000000, 0), STORE_OK);
    append_upto(st, ap, body, n / 2 / st->chunk_payload * st->chunk_payload);
    until_pass(st, mb[2].id, scratch);
    append_upto(st, ap, body, n);
    assert_true(ap->data_addr < st->cur.mark);
}

/* The finish of a 2 MiB APPEND whose data was written before the pass
 * began: the data moves above the mark a step's budget of chunks per
 * call (STORE_EAGAIN in between, the engine's hold), not inside one call
 * (it programmed the whole message, 2 MiB, before). */
static void test_big_append_finish(void **state)
{
    (void)state;
    tdev_t d;
    store_mbox_t mb[3];
    store_t *st = big_setup(&d, 32u << 20, mb);
    uint8_t *big = malloc(BIG), *body = malloc(8000);
    tbody(big, BIG, 13);
    store_append_t ap;
    append_across_pass_start(st, mb, &ap, big, BIG, body);
    uint32_t stride = st->chunk_stride;
    uint64_t worst = 0;
    unsigned held;
    held_cmd_t c = { .ap = &ap };
    assert_int_equal(held_run(&d, st, &c, &held, &worst), STORE_OK);
    uint32_t uid = c.uid;
    printf("APPEND of %u KiB written before the pass began: finish held "
           "%u times, largest call programmed %llu bytes\n", BIG / 1024,
           held, (unsigned long long)worst);
    assert_true(worst <= STEP_BUDGET + stride + STEP_EXTRA);
    assert_true(held >= BIG / (STEP_BUDGET + stride));
    store_msg_t m;
    assert_int_equal(store_msg_get(st, mb[0].id, uid, &m), STORE_OK);
    assert_true(!st->cur.mark || m.data_addr >= st->cur.mark);
    check_pair(&d, st, mb[0].id, uid, 0, 0, big, BIG, false);
    finish_pass(st);
    check_pair(&d, st, mb[0].id, uid, 0, 0, big, BIG, false);
    check_pair(&d, st, mb[0].id, uid, 0, 0, big, BIG, true);
    assert_int_equal(store_unmount(st), STORE_OK);
    free(big);
    free(body);
    tdev_free(&d);
    free(st);
}

/* Power cuts during such a held finish: the flash image and the store's
 * RAM (the append under way) are saved when the literal has ended; the
 * finish, its steps and its commit are cut at every 3rd program/erase.
 * After the remount the message is there, byte-exact, when its commit was
 * acknowledged, absent or byte-exact otherwise (never half there), UIDNEXT
 * did not go back, and the image checks clean. */
static void test_big_append_finish_cuts(void **state)
{
    (void)state;
    tdev_t d;
    store_mbox_t mb[3];
    store_t *st = big_setup(&d, 32u << 20, mb);
    const uint32_t n = 300000;
    uint8_t *msg = malloc(n), *body = malloc(8000);
    tbody(msg, n, 17);
    store_append_t ap, ap0;
    append_across_pass_start(st, mb, &ap, msg, n, body);
    store_mbox_t before;
    assert_int_equal(store_mbox_get(st, mb[0].id, &before), STORE_OK);
    size_t sz = (size_t)d.geo.size;
    uint8_t *snap = malloc(sz);
    store_t *st0 = tstore_new();
    memcpy(snap, d.mem, sz);
    *st0 = *st;
    ap0 = ap;
    flash_ram_power_up(&d.ram);
    unsigned long long held = 0, cuts = 0, mid = 0, there = 0;
    uint64_t total = 0;
    for (uint64_t cut = 0; cut == 0 || cut <= total; cut += cut ? 3 : 1) {
        memcpy(d.mem, snap, sz);
        *st = *st0;
        ap = ap0;
        flash_ram_power_up(&d.ram);
        if (cut)
            flash_sim_cut_at(&d.ram.sim, cut, (uint32_t)cut * 7919u + 1);
        unsigned h;
        held_cmd_t c = { .ap = &ap };
        int rc = held_run(&d, st, &c, &h, NULL);
        if (!cut) {   /* the uncut run: how many operations it takes */
            assert_int_equal(rc, STORE_OK);
            total = d.ram.sim.ops;
            held = h;
            continue;
        }
        mid += h > 0 && rc < 0;
        flash_ram_power_up(&d.ram);
        assert_int_equal(store_mount(st, &d.ram.dev), STORE_OK);
        store_mbox_t after;
        assert_int_equal(store_mbox_get(st, mb[0].id, &after), STORE_OK);
        assert_true(after.uidnext >= before.uidnext);
        if (rc == STORE_OK)
            assert_int_equal(after.messages, before.messages + 1);
        assert_true(after.messages <= before.messages + 1);
        if (after.messages > before.messages) {
            tcheck_body(st, mb[0].id, before.uidnext, msg, n);
            there++;
        }
        assert_int_equal(store_check(st, report, NULL), 0);
        cuts++;
    }
    printf("held finish of a %u-byte APPEND (%llu rounds, %llu ops): %llu "
           "power cuts survived, %llu of them mid-move, %llu with the "
           "message in\n", n, held, (unsigned long long)total, cuts, mid,
           there);
    assert_true(held > 1);
    assert_true(mid > 0);
    assert_int_equal(store_unmount(st), STORE_OK);
    free(snap);
    free(st0);
    free(msg);
    free(body);
    tdev_free(&d);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_big_message_steps),
        cmocka_unit_test(test_big_message_changes),
        cmocka_unit_test(test_big_message_copy),
        cmocka_unit_test(test_big_message_copy_cuts),
        cmocka_unit_test(test_pass_waits_for_append),
        cmocka_unit_test(test_stuck_pass_refuses),
        cmocka_unit_test(test_big_append_finish),
        cmocka_unit_test(test_big_append_finish_cuts),
        cmocka_unit_test(test_full_store),
        cmocka_unit_test(test_churn_nor),
        cmocka_unit_test(test_churn_nand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
