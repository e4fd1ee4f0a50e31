/*
 * test_store_cuts.c - the randomised power-cut test, compaction included.
 *
 * A seeded workload (APPEND of small and multi-chunk messages, up to 14
 * chunks, which compaction copies a few chunks per step, STORE of
 * flags and keywords, EXPUNGE and purge, COPY, CREATE/RENAME/DELETE of
 * mailboxes, user add and password change, compaction steps) runs on a
 * device small enough that compaction passes go round the ring many
 * times.  A reference run records a fingerprint of everything visible
 * after each step.  Then the power is cut at program/erase number n
 * (every n in turn: the short form, two tear patterns each, over 10,000
 * cuts in the plain build, every 4th under ASan; or random n
 * over a longer workload: STORE_CUTS=count, the long mode) and after each
 * cut: the remount shows exactly the state after the last acknowledged
 * step or after the one in flight (so every acknowledged change is whole,
 * nothing unacknowledged is half-visible, UIDNEXT and UIDVALIDITY are
 * those of the reference: UIDs never reused, UIDNEXT never back),
 * store_check finds the image clean, and the rest of the workload ends
 * in the reference's final state.  Prints how many cuts it survived.
 */
#include "store_testlib.h"
#include "util/crc32.h"

static uint32_t fold(uint32_t h, const void *p, size_t n)
{
    return crc32_update(h, p, n);
}

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
                             mb.unseen, mb.nkeywords,
                             (uint32_t)mb.highestmodseq };
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
                    if (n <= 0)
                        return 0;  /* unreadable data never matches */
                    h = fold(h, buf, (size_t)n);
                    off += (uint32_t)n;
                }
            }
        }
    }
    store_stat_t s;
    store_get_stat(st, &s);
    uint64_t c[] = { s.users, s.mailboxes, s.messages };
    return fold(h, c, sizeof c);
}

static unsigned g_refused;  /* APPEND/COPY refused for space */
/* steps of the reference that left the walk's copy of a multi-chunk
 * message half done, and cuts that struck while one was (store_gc.c:
 * the partial copy must be dead space after the remount) */
static unsigned g_midcopy;
static unsigned long long g_cut_midcopy;

#define TRY(x) do { int rc_ = (x); if (rc_ < 0) return rc_; } while (0)

static uint32_t rnd(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

static int append(store_t *st, uint32_t mbox, uint32_t size, uint32_t seed)
{
    static uint8_t b[32768];
    store_append_t a;
    tbody(b, size, seed);
    TRY(store_append_begin(st, &a, mbox, size, seed & 7, 0, 1700000000, 0));
    uint32_t off = 0;
    while (off < size) {
        long n = store_append_write(st, &a, b + off, size - off);
        if (n < 0)
            return (int)n;
        off += (uint32_t)n;
    }
    return store_append_finish(st, &a, NULL);
}

static int mbox_of(store_t *st, const char *user, const char *name,
                   store_mbox_t *mb)
{
    store_user_t u;
    TRY(store_user_find(st, user, &u));
    return store_mbox_find(st, u.id, name, mb);
}

/* A message of mb at or after a random uid (0: none). */
static uint32_t pick(store_t *st, const store_mbox_t *mb, uint32_t *x)
{
    store_msg_t m;
    uint32_t from = 1 + rnd(x) % (mb->uidnext ? mb->uidnext : 1);
    if (store_msg_next(st, mb->id, from, &m) == STORE_OK && !m.xmodseq)
        return m.uid;
    if (store_msg_next(st, mb->id, 1, &m) == STORE_OK && !m.xmodseq)
        return m.uid;
    return 0;
}

/* Step k: a pure function of k and the state after step k - 1. */
static int step(store_t *st, int k)
{
    uint32_t x = (uint32_t)k * 2654435761u + 17;
    store_user_t u;
    store_mbox_t in, a;
    memset(&u, 0, sizeof u);
    if (k == 0) {
        strcpy(u.name, "alice");
        TRY(store_user_add(st, &u, &u.id));
        TRY(store_mbox_create(st, u.id, "INBOX", NULL));
        TRY(store_mbox_create(st, u.id, "A", NULL));
        return store_commit(st);
    }
    TRY(mbox_of(st, "alice", "INBOX", &in));
    TRY(mbox_of(st, "alice", "A", &a));
    unsigned op = rnd(&x) % 12;
    /* keep well below capacity: a full store refuses by its layout, which
     * differs after a cut (a remount skips a torn block) */
    if (op < 4 && in.messages + a.messages > 16)
        op = 5 + op % 2;
    uint32_t uid;
    switch (op) {
    case 0: case 1: case 2: case 3: {
        /* small, a few chunks, or (1 in 12) 6..14 chunks: compaction
         * copies those across several steps, and cuts strike mid-copy */
        uint32_t size = rnd(&x) % 3 ? 40 + rnd(&x) % 1800
                        : rnd(&x) % 4 ? 2100 + rnd(&x) % 9000
                                      : 12000 + rnd(&x) % 16000;
        int rc = append(st, rnd(&x) % 4 ? in.id : a.id, size, (uint32_t)k);
        if (rc == STORE_ENOSPC) {
            store_rollback(st);
            g_refused++;
            break;  /* full: an acknowledged refusal */
        }
        TRY(rc);
        break;
    }
    case 4: {
        unsigned kw;
        uid = pick(st, &in, &x);
        TRY(store_keyword_find(st, in.id, rnd(&x) % 2 ? "Work" : "Home",
                               true, &kw));
        if (uid)
            TRY(store_msg_set_flags(st, in.id, uid, rnd(&x) & STORE_F_ALL,
                                    1ull << kw, NULL));
        break;
    }
    case 5: case 6: {
        store_mbox_t *mb = op == 5 ? &in : &a;
        uid = pick(st, mb, &x);
        if (uid)
            TRY(store_msg_expunge(st, mb->id, uid));
        TRY(store_mbox_get(st, mb->id, mb));
        TRY(store_mbox_purge(st, mb->id, mb->highestmodseq));
        break;
    }
    case 7: {
        store_msg_t m;
        uid = pick(st, &in, &x);
        if (uid) {
            TRY(store_msg_get(st, in.id, uid, &m));
            int rc = store_msg_copy(st, in.id, &m, a.id, NULL);
            if (rc == STORE_ENOSPC)
                store_rollback(st);
            else
                TRY(rc);
        }
        break;
    }
    case 8: {
        store_mbox_t t;
        TRY(store_user_find(st, "alice", &u));
        if (store_mbox_find(st, u.id, "T", &t) == STORE_OK) {
            TRY(store_mbox_rename(st, t.id, "T2"));
        } else if (store_mbox_find(st, u.id, "T2", &t) == STORE_OK) {
            TRY(store_mbox_delete(st, t.id));
        } else {
            TRY(store_mbox_create(st, u.id, "T", &t));
            int rc = append(st, t.id, 500, (uint32_t)k);
            if (rc == STORE_ENOSPC)
                store_rollback(st);
            else
                TRY(rc);
        }
        break;
    }
    case 9: {
        char name[16];
        snprintf(name, sizeof name, "u%d", k % 5);
        if (store_user_find(st, name, &u) == STORE_OK) {
            u.iterations = (uint32_t)k;
            u.salt[0] = (uint8_t)k;
            TRY(store_user_set_secret(st, &u));   /* passwd */
        } else {
            memset(&u, 0, sizeof u);
            strcpy(u.name, name);
            TRY(store_user_add(st, &u, NULL));
        }
        break;
    }
    default:
        for (int i = 0; i < 3; i++)
            TRY(store_maintain(st, 4096));
        break;
    }
    return store_commit(st);
}

typedef struct run {
    tdev_t d;
    store_t *st;
    int nsteps;
    uint32_t *fp;
    uint64_t total;
} run_t;

static void reference(run_t *r, flash_geometry_t g, int nsteps)
{
    tdev_init(&r->d, g);
    r->st = tstore_new();
    r->nsteps = nsteps;
    r->fp = calloc((size_t)nsteps + 1, sizeof *r->fp);
    tformat_mount(&r->d, r->st);
    r->fp[0] = fingerprint(r->st);
    flash_ram_power_up(&r->d.ram);
    g_refused = 0;
    g_midcopy = 0;
    for (int k = 0; k < nsteps; k++) {
        int rc = step(r->st, k);
        if (rc != STORE_OK)
            fail_msg("reference step %d: %d", k, rc);
        r->fp[k + 1] = fingerprint(r->st);
        g_midcopy += r->st->gc_cp.mark != 0;
    }
    r->total = r->d.ram.sim.ops;
    store_stat_t s;
    assert_int_equal(store_get_stat(r->st, &s), STORE_OK);
    print_message("%d steps, %llu program/erase ops, %u refused for space, "
                  "%u ended mid-copy, log went %.1f times round the ring\n",
                  nsteps, (unsigned long long)r->total, g_refused, g_midcopy,
                  (double)(r->st->head - 2ull * g.erase_size) / (double)s.ring);
    assert_true(g_midcopy > 0);  /* the workload cuts chunked copies */
    assert_int_equal(store_check(r->st, NULL, NULL), 0);
    assert_int_equal(store_unmount(r->st), STORE_OK);
}

/* One cut at op number cut; returns normally when everything held. */
static void one_cut(run_t *r, uint64_t cut, uint32_t seed, bool finish)
{
    flash_geometry_t g = r->d.geo;
    store_t *st = r->st;
    memset(r->d.mem, 0x5A, (size_t)g.size);
    if (r->d.map)
        memset(r->d.map, 0, (size_t)(g.size / g.prog_size / 8 + 1));
    flash_ram_power_up(&r->d.ram);
    tformat_mount(&r->d, st);
    flash_ram_power_up(&r->d.ram);
    flash_sim_cut_at(&r->d.ram.sim, cut, seed);
    int done = 0;
    while (done < r->nsteps && step(st, done) == STORE_OK)
        done++;
    if (done == r->nsteps)
        return;  /* past the end of the workload */
    g_cut_midcopy += st->gc_cp.mark != 0;
    flash_ram_power_up(&r->d.ram);
    int rc = store_mount(st, &r->d.ram.dev);
    if (rc != STORE_OK)
        fail_msg("cut %llu: mount %d", (unsigned long long)cut, rc);
    uint32_t f = fingerprint(st);
    if (f != r->fp[done] && f != r->fp[done + 1])
        fail_msg("cut %llu: state is neither step %d nor %d",
                 (unsigned long long)cut, done, done + 1);
    int committed = f == r->fp[done] ? done : done + 1;
    rc = store_check(st, NULL, NULL);
    if (rc != 0)
        fail_msg("cut %llu: check %d", (unsigned long long)cut, rc);
    /* it goes on: a few steps (all of them now and then) */
    int end = finish ? r->nsteps : committed + 3;
    if (end > r->nsteps)
        end = r->nsteps;
    for (int k = committed; k < end; k++) {
        rc = step(st, k);
        if (rc != STORE_OK)
            fail_msg("cut %llu: step %d after remount: %d",
                     (unsigned long long)cut, k, rc);
        if (fingerprint(st) != r->fp[k + 1])
            fail_msg("cut %llu: step %d after remount differs",
                     (unsigned long long)cut, k);
    }
    store_unmount(st);
}

static void cuts(flash_geometry_t g, const char *name)
{
    run_t r;
    const char *e = getenv("STORE_CUTS");
    unsigned long long want = e ? strtoull(e, NULL, 10) : 0;
    int nsteps = want ? 3000 : (g.flags & FLASH_F_PROG_ONCE ? 1100 : 860);
    reference(&r, g, nsteps);
    unsigned long long survived = 0;
    g_cut_midcopy = 0;
    if (!want) {
        /* every program/erase index, two tear patterns each (under the
         * sanitizers every 4th run, to stay within the CI budget) */
#if defined(__SANITIZE_ADDRESS__)
        const uint64_t stride = 4;
#else
        const uint64_t stride = 1;
#endif
        for (uint64_t run = 0; run < 2 * r.total; run += stride) {
            one_cut(&r, run / 2 + 1, (uint32_t)(run * 7919u + 1),
                    run % 97 == 0);
            survived++;
        }
    } else {
        uint32_t x = 4242;
        for (unsigned long long i = 0; i < want; i++) {
            uint64_t cut = 1 + ((uint64_t)rnd(&x) << 24 | rnd(&x)) % r.total;
            one_cut(&r, cut, rnd(&x), i % 101 == 0);
            survived++;
        }
    }
    printf("power cuts survived (%s): %llu, %llu of them during a chunked "
           "copy\n", name, survived, g_cut_midcopy);
    assert_true(g_cut_midcopy > 0);
    free(r.fp);
    tdev_free(&r.d);
    free(r.st);
}

static void test_cuts_nor(void **state)
{
    (void)state;
    cuts(geo_nor(512 * 1024), "NOR 4 KiB/256 B");
}

static void test_cuts_nand(void **state)
{
    (void)state;
    cuts(geo_nand(2u << 20), "NAND 128 KiB/2 KiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cuts_nor),
        cmocka_unit_test(test_cuts_nand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
