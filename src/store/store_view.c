/*
 * store_view.c - message sequence numbers of one session.
 *
 * A view is a few words (store_view_t): it contains the MSG entries of the
 * mailbox with uid < uidnext, except those expunged with xmodseq <= xsync
 * (the expunges the session has announced).  Expunged entries stay in the
 * index until store_mbox_purge, so:
 *   seq(uid) = (MSG entries with uid' < uid: a rank difference, O(log n))
 *            - (announced expunges below uid: a walk over the XPEND
 *               entries, which are few: only the not-yet-purged ones) + 1
 * and seq -> uid selects by rank, correcting for the announced expunges
 * (a fixpoint loop that takes at most one step per such expunge).
 *
 * One iteration (expunges or changes) runs at a time per view: finish one
 * (until it returns 0) before starting the other.
 */
#include "store/store_priv.h"

/* Is uid an expunge this view has announced? */
static int excluded(store_t *st, const store_view_t *v, uint32_t uid,
                    bool *yes)
{
    uint8_t k[KEY_SIZE], val[VAL_MAX];
    size_t vl;
    key_make(k, v->mbox_id, K_XPEND, uid);
    int rc = tree_get(st, k, val, &vl);
    *yes = false;
    if (rc == STORE_ENOENT)
        return STORE_OK;
    if (rc < 0)
        return rc;
    if (vl != 8)
        return STORE_ECORRUPT;
    *yes = st_get64(val) <= v->xsync;
    return STORE_OK;
}

/* Announced expunges (excluded from the view) with uid <= u:
 *   (pending expunges with uid <= u: a rank difference)
 * - (those the view has not announced, xmodseq > xsync, uid <= u: found
 *    through the by-modseq index, where they are the few at the end). */
static int excl_le(store_t *st, const store_view_t *v, uint32_t u,
                   uint64_t *x, bool *any)
{
    uint8_t k[KEY_SIZE], ko[KEY_SIZE], val[VAL_MAX];
    uint64_t r0, r1, rx, rend;
    size_t vl;
    *x = 0;
    if (any)
        *any = true;
    if (u >= v->uidnext)
        u = v->uidnext - 1;
    int rc = st_kind_start(st, v->mbox_id, K_XPEND, &r0);
    if (rc == STORE_OK)
        rc = st_kind_start(st, v->mbox_id, K_XPEND + 1, &rend);
    if (rc == STORE_OK && r0 == rend && any)
        *any = false;
    if (rc < 0 || r0 == rend)
        return rc;  /* no pending expunges at all */
    key_make(k, v->mbox_id, K_XPEND, (uint64_t)u + 1);
    rc = tree_rank(st, k, &r1);
    if (rc < 0)
        return rc;
    uint64_t n = r1 - r0;
    key_make(k, v->mbox_id, K_XBYMS, v->xsync + 1);
    rc = tree_rank(st, k, &rx);
    for (; rc == STORE_OK && n; rx++) {
        rc = tree_select(st, rx, ko, val, &vl);
        if (rc < 0 || key_owner(ko) != v->mbox_id || key_kind(ko) != K_XBYMS)
            break;
        if (vl != 4)
            return STORE_ECORRUPT;
        if (st_get32(val) <= u)
            n--;
    }
    if (rc < 0 && rc != STORE_ENOENT)
        return rc;
    *x = n;
    return STORE_OK;
}

/* Messages of the view with lo <= uid < hi. */
static int count_between(store_t *st, const store_view_t *v, uint32_t lo,
                         uint32_t hi, uint32_t *n)
{
    *n = 0;
    if (hi > v->uidnext)
        hi = v->uidnext;
    if (lo >= hi)
        return STORE_OK;
    uint8_t k[KEY_SIZE];
    uint64_t r1, r2, x1 = 0, x2;
    key_make(k, v->mbox_id, K_MSG, lo);
    int rc = tree_rank(st, k, &r1);
    if (rc == STORE_OK) {
        key_make(k, v->mbox_id, K_MSG, hi);
        rc = tree_rank(st, k, &r2);
    }
    if (rc == STORE_OK && lo > 0)
        rc = excl_le(st, v, lo - 1, &x1, NULL);
    if (rc == STORE_OK)
        rc = excl_le(st, v, hi - 1, &x2, NULL);
    if (rc < 0)
        return rc;
    uint64_t total = r2 - r1, x = x2 - x1;
    *n = (uint32_t)(total > x ? total - x : 0);
    return STORE_OK;
}

int store_view_open(store_t *st, uint32_t mbox_id, bool claim_recent,
                    store_view_t *v)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t mb;
    rc = st_mbox_load(st, mbox_id, &mb);
    if (rc < 0)
        return rc;
    memset(v, 0, sizeof *v);
    v->mbox_id = mbox_id;
    v->uidvalidity = mb.uidvalidity;
    v->uidnext = mb.uidnext;
    v->xsync = v->fsync = mb.highestmodseq;
    v->claims_recent = claim_recent;
    if (claim_recent) {
        rc = store_mbox_claim_recent(st, mbox_id, &v->recent_lo, &v->recent_hi);
        if (rc < 0)
            return rc;
    } else {
        v->recent_lo = mb.first_recent_uid;
        v->recent_hi = mb.uidnext;
    }
    rc = count_between(st, v, 0, v->uidnext, &v->count);
    if (rc == STORE_OK)
        rc = count_between(st, v, v->recent_lo, v->recent_hi, &v->recent);
    return rc;
}

int store_view_seq_of(store_t *st, const store_view_t *v, uint32_t uid,
                      uint32_t *seq_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (uid >= v->uidnext || uid == 0)
        return STORE_ENOENT;
    uint8_t k[KEY_SIZE];
    key_make(k, v->mbox_id, K_MSG, uid);
    rc = tree_get(st, k, NULL, NULL);
    if (rc < 0)
        return rc;
    bool ex;
    rc = excluded(st, v, uid, &ex);
    if (rc < 0)
        return rc;
    if (ex)
        return STORE_ENOENT;
    uint32_t n;
    rc = count_between(st, v, 0, uid, &n);
    if (rc < 0)
        return rc;
    *seq_out = n + 1;
    return STORE_OK;
}

int store_view_get(store_t *st, const store_view_t *v, uint32_t seq,
                   store_msg_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (seq == 0 || seq > v->count)
        return STORE_ENOENT;
    uint8_t ko[KEY_SIZE];
    uint64_t base;
    rc = st_kind_start(st, v->mbox_id, K_MSG, &base);
    if (rc < 0)
        return rc;
    /* j: position among all the mailbox's messages; j - (announced
     * expunges up to j) must be seq, on a message that is not one: each
     * round moves j past the expunges it found, a few rounds at most */
    uint64_t j = seq;
    /* the message record comes with the select: a FETCH of many
     * messages costs one descent per message here, not two */
    uint8_t val[VAL_MAX];
    size_t vl;
    for (uint32_t guard = 0; guard <= v->count + 64u; guard++) {
        rc = tree_select(st, base + j - 1, ko, val, &vl);
        if (rc < 0)
            return rc;
        uint32_t uid = (uint32_t)key_id(ko);
        if (key_owner(ko) != v->mbox_id || key_kind(ko) != K_MSG ||
            uid >= v->uidnext)
            return STORE_ENOENT;
        uint64_t x;
        bool ex = false, any;
        rc = excl_le(st, v, uid, &x, &any);
        if (rc == STORE_OK && any)   /* no pending expunge: none excluded */
            rc = excluded(st, v, uid, &ex);
        if (rc < 0)
            return rc;
        if (j - x == seq && !ex)
            return st_msg_decode(uid, val, vl, out);
        j = j - x >= seq ? j + 1 : seq + x;
    }
    return STORE_ECORRUPT;
}

int store_view_next_uid(store_t *st, const store_view_t *v, uint32_t from,
                        store_msg_t *out, uint32_t *seq_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    uint64_t uid = from;
    for (;;) {
        rc = st_seek_kind(st, v->mbox_id, K_MSG, uid, &uid, NULL, NULL);
        if (rc < 0)
            return rc;
        if (uid >= v->uidnext)
            return STORE_ENOENT;
        bool ex;
        rc = excluded(st, v, (uint32_t)uid, &ex);
        if (rc < 0)
            return rc;
        if (!ex)
            break;
        uid++;
    }
    uint32_t n;
    rc = count_between(st, v, 0, (uint32_t)uid, &n);
    if (rc < 0)
        return rc;
    if (seq_out)
        *seq_out = n + 1;
    return st_msg_load(st, v->mbox_id, (uint32_t)uid, out);
}

int store_view_expunges(store_t *st, store_view_t *v, uint32_t *seq_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!v->it_active) {
        store_mbox_t mb;
        rc = st_mbox_load(st, v->mbox_id, &mb);
        if (rc < 0)
            return rc;
        v->it_active = true;
        v->it_target = mb.highestmodseq;
        v->it_cursor = v->uidnext;
    }
    uint8_t k[KEY_SIZE];
    uint64_t r0;
    key_make(k, v->mbox_id, K_XPEND, 0);
    rc = tree_rank(st, k, &r0);
    if (rc < 0)
        return rc;
    for (;;) {
        /* the pending expunge with the highest uid below the cursor */
        uint64_t r;
        uint8_t ko[KEY_SIZE], val[VAL_MAX];
        size_t vl;
        key_make(k, v->mbox_id, K_XPEND, v->it_cursor);
        rc = tree_rank(st, k, &r);
        if (rc < 0)
            return rc;
        if (r <= r0)
            break;
        rc = tree_select(st, r - 1, ko, val, &vl);
        if (rc < 0)
            return rc;
        if (vl != 8)
            return STORE_ECORRUPT;
        uint32_t uid = (uint32_t)key_id(ko);
        uint64_t xm = st_get64(val);
        v->it_cursor = uid;
        if (xm <= v->xsync || xm > v->it_target)
            continue;
        uint32_t n;
        rc = count_between(st, v, 0, uid, &n);
        if (rc < 0)
            return rc;
        *seq_out = n + 1;
        if (v->count)
            v->count--;
        return 1;
    }
    if (v->it_target > v->xsync)
        v->xsync = v->it_target;
    v->it_active = false;
    rc = count_between(st, v, 0, v->uidnext, &v->count);
    if (rc == STORE_OK)
        rc = count_between(st, v, v->recent_lo, v->recent_hi, &v->recent);
    return rc < 0 ? rc : 0;
}

int store_view_grow(store_t *st, store_view_t *v)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t mb;
    rc = st_mbox_load(st, v->mbox_id, &mb);
    if (rc < 0)
        return rc;
    if (mb.uidnext > v->uidnext) {
        if (v->claims_recent) {
            uint32_t lo, hi;
            rc = store_mbox_claim_recent(st, v->mbox_id, &lo, &hi);
            if (rc < 0)
                return rc;
            if (lo < hi) {
                if (v->recent_hi != lo)
                    v->recent_lo = lo;  /* others claimed in between */
                v->recent_hi = hi;
            }
        } else {
            v->recent_lo = mb.first_recent_uid;
            v->recent_hi = mb.uidnext;
        }
        v->uidnext = mb.uidnext;
    }
    rc = count_between(st, v, 0, v->uidnext, &v->count);
    if (rc == STORE_OK)
        rc = count_between(st, v, v->recent_lo, v->recent_hi, &v->recent);
    return rc < 0 ? rc : (int)v->count;
}

int store_view_changes(store_t *st, store_view_t *v, store_msg_t *out,
                       uint32_t *seq_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!v->it_active) {
        store_mbox_t mb;
        rc = st_mbox_load(st, v->mbox_id, &mb);
        if (rc < 0)
            return rc;
        v->it_active = true;
        v->it_target = mb.highestmodseq;
        v->it_cursor = v->fsync + 1;
    }
    for (;;) {
        uint64_t modseq;
        uint8_t val[VAL_MAX];
        size_t vl;
        rc = st_seek_kind(st, v->mbox_id, K_CHG, v->it_cursor, &modseq, val,
                          &vl);
        if (rc == STORE_ENOENT || (rc == STORE_OK && modseq > v->it_target))
            break;
        if (rc < 0)
            return rc;
        if (vl != 4)
            return STORE_ECORRUPT;
        v->it_cursor = modseq + 1;
        uint32_t uid = st_get32(val);
        if (uid >= v->uidnext)
            continue;
        rc = st_msg_load(st, v->mbox_id, uid, out);
        if (rc == STORE_ENOENT)
            continue;
        if (rc < 0)
            return rc;
        bool ex;
        rc = excluded(st, v, uid, &ex);
        if (rc < 0)
            return rc;
        if (ex || out->modseq != modseq)
            continue;
        uint32_t n;
        rc = count_between(st, v, 0, uid, &n);
        if (rc < 0)
            return rc;
        *seq_out = n + 1;
        return 1;
    }
    if (v->it_target > v->fsync)
        v->fsync = v->it_target;
    v->it_active = false;
    return 0;
}
