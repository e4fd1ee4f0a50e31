/*
 * store_tree.c - the index: one copy-on-write B+tree on flash.
 *
 * Node (STORE_NODE_SIZE bytes at most; only the used bytes are written):
 *   header: type u8 (1 leaf, 2 internal), level u8 (leaf 0), n u16,
 *           used bytes u16, 0 u16
 *   leaf entry:     key[16], value length u8, value
 *   internal entry: key[16] (lower bound of the child), child u64, count u32
 * "count" is the number of leaf entries under the child (order statistics:
 * rank and select in O(height)).
 *
 * Copy-on-write with a fixed node cache: a node modified in this commit is
 * "dirty": it lives only in its cache slot and its parent points to it with
 * a slot reference (REF_DIRTY | slot).  Dirty nodes always form a subtree
 * that includes the root, and are never evicted; when the cache needs room
 * a dirty node without dirty children is written to the log early (its
 * parent then points to flash).  A commit writes the rest, children first.
 * A rollback forgets the dirty slots: the committed tree on flash is whole.
 *
 * Inserts split full internal nodes on the way down (so a leaf split always
 * finds room in its parent); deletes only remove empty nodes (no merging:
 * compaction is issue 4).  Every descent is a loop bounded by
 * STORE_TREE_DEPTH_MAX; nothing recurses.
 */
#include "store/store_priv.h"

#define REF_DIRTY (1ull << 63)
#define KEY_PREFIX 5  /* owner and kind */
#define N_HDR 8
#define I_ENT 28
#define I_CAP ((STORE_NODE_SIZE - N_HDR) / I_ENT)
#define T_LEAF 1
#define T_INNER 2

static inline uint8_t n_type(const uint8_t *b) { return b[0]; }
static inline uint8_t n_level(const uint8_t *b) { return b[1]; }
static inline unsigned n_cnt(const uint8_t *b) { return st_get16(b + 2); }
static inline unsigned n_used(const uint8_t *b) { return st_get16(b + 4); }
static inline void n_set(uint8_t *b, unsigned n, unsigned used)
{ st_put16(b + 2, (uint16_t)n); st_put16(b + 4, (uint16_t)used); }
static inline uint8_t *i_ent(uint8_t *b, unsigned i) { return b + N_HDR + i * I_ENT; }
static inline uint64_t i_child(uint8_t *b, unsigned i) { return st_get64(i_ent(b, i) + 16); }
static inline uint32_t i_count(uint8_t *b, unsigned i) { return st_get32(i_ent(b, i) + 24); }
static inline void i_set_count(uint8_t *b, unsigned i, uint32_t c) { st_put32(i_ent(b, i) + 24, c); }

static void n_init(uint8_t *b, uint8_t type, uint8_t level)
{
    memset(b, 0, N_HDR);
    b[0] = type;
    b[1] = level;
    n_set(b, 0, N_HDR);
}

static bool n_valid(const store_t *st, const uint8_t *b, uint32_t len)
{
    if (len < N_HDR || n_used(b) != len || b[6] || b[7])
        return false;
    unsigned n = n_cnt(b);
    const uint8_t *prev = NULL;
    if (n_type(b) == T_LEAF) {
        if (n_level(b) != 0)
            return false;
        uint32_t off = N_HDR;
        for (unsigned i = 0; i < n; i++) {
            if (off + KEY_SIZE + 1 > len)
                return false;
            if (prev && memcmp(prev, b + off, KEY_SIZE) >= 0)
                return false;
            prev = b + off;
            off += KEY_SIZE + 1 + b[off + KEY_SIZE];
        }
        return off == len;
    }
    if (n_type(b) != T_INNER || n_level(b) < 1 ||
        n_level(b) >= STORE_TREE_DEPTH_MAX || n < 1 || n > I_CAP ||
        len != N_HDR + n * I_ENT)
        return false;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = b + N_HDR + i * I_ENT;
        uint64_t c = st_get64(e + 16);
        if (prev && memcmp(prev, e, KEY_SIZE) >= 0)
            return false;
        if (!st_in_log(st, c))
            return false;
        prev = e;
    }
    return true;
}

/* ---- node cache ---------------------------------------------------------- */

static bool has_dirty_child(const store_t *st, int s)
{
    for (int i = 0; i < STORE_CACHE_SLOTS; i++)
        if (st->slot[i].used && st->slot[i].dirty && st->slot[i].parent == s)
            return true;
    return false;
}

/* Writes dirty slot s (whose children are all on flash) to the log. */
static int slot_write(store_t *st, int s)
{
    store_slot_t *n = &st->slot[s];
    uint64_t addr;
    int rc = log_append(st, R_NODE, n->buf, n_used(n->buf), &addr);
    if (rc < 0)
        return rc;
    if (n->parent < 0) {
        st->cur.root = addr;
    } else {
        uint8_t *p = st->slot[n->parent].buf;
        for (unsigned i = 0; i < n_cnt(p); i++)
            if (i_child(p, i) == (REF_DIRTY | (uint64_t)s))
                st_put64(i_ent(p, i) + 16, addr);
    }
    n->dirty = 0;
    n->parent = -1;
    n->addr = addr;
    return STORE_OK;
}

#define T_SLOT STORE_CACHE_SLOTS  /* the transient slot */

/* A slot for a node: a free one, else a clean one (see below),
 * else (may_flush) a dirty node without dirty children written out, else
 * (!may_flush) the transient slot. */
static int slot_alloc(store_t *st, bool may_flush)
{
    /* the clean node unused longest, where an internal node's age counts
     * a quarter per level: every descent passes the root and a few
     * internal nodes again, while leaves change */
    int best = -1;
    uint32_t best_age = 0;
    for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
        store_slot_t *n = &st->slot[i];
        if (!n->used)
            return i;
        if (n->dirty || n->pin)
            continue;
        unsigned lv = n_level(n->buf);
        uint32_t age = (st->stamp - n->stamp) >> (lv < 8 ? 2 * lv : 16);
        if (best < 0 || age > best_age) {
            best = i;
            best_age = age;
        }
    }
    if (best >= 0) {
        st->slot[best].used = 0;
        return best;
    }
    if (!may_flush) {
        st->slot[T_SLOT].used = 0;
        return T_SLOT;
    }
    /* the least recently used dirty node without dirty children: a full
     * leaf left behind by appends goes out once, the hot path stays */
    for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
        store_slot_t *n = &st->slot[i];
        if (n->dirty && !n->pin && !has_dirty_child(st, i) &&
            (best < 0 || (int32_t)(n->stamp - st->slot[best].stamp) < 0))
            best = i;
    }
    if (best < 0)
        return STORE_ELIMIT;  /* cannot happen: the cache bounds the height */
    int rc = slot_write(st, best);
    if (rc < 0)
        return rc;
    st->slot[best].used = 0;
    return best;
}

/* Slot of the node cache hint for the clean node at flash address ref. */
static unsigned hint_of(uint64_t ref)
{
    return (unsigned)((ref * 0x9E3779B97F4A7C15ull) >> (64 - STORE_HINT_BITS));
}

static bool slot_holds(const store_t *st, int s, uint64_t ref)
{
    return st->slot[s].used && !st->slot[s].dirty && st->slot[s].addr == ref;
}

/* Finds or reads the node ref; for_write: it must get a cache slot (it is
 * about to become dirty), else it may land in the transient slot. */
static int node_load(store_t *st, uint64_t ref, int *out, bool for_write)
{
    int s;
    if (ref & REF_DIRTY) {
        s = (int)(ref & 0xFF);
        if (s >= STORE_CACHE_SLOTS || !st->slot[s].used || !st->slot[s].dirty)
            return STORE_ECORRUPT;
    } else {
        /* the hint first: a descent finds the root and the upper nodes
         * there without scanning every slot */
        unsigned h = hint_of(ref);
        s = st->hint[h];
        if (s >= STORE_CACHE_SLOTS || !slot_holds(st, s, ref)) {
            s = -1;
            for (int i = 0; i < STORE_CACHE_SLOTS; i++)
                if (slot_holds(st, i, ref)) {
                    s = i;
                    st->hint[h] = (uint8_t)i;
                    break;
                }
        }
        if (s < 0 && !for_write && st->slot[T_SLOT].used &&
            st->slot[T_SLOT].addr == ref)
            s = T_SLOT;
        if (s < 0) {
            if (!st_in_log(st, ref))
                return STORE_ECORRUPT;
            s = slot_alloc(st, for_write);
            if (s < 0)
                return s;
            store_slot_t *n = &st->slot[s];
            uint32_t len;
            int rc = log_get(st, ref, R_NODE, n->buf, STORE_NODE_SIZE, &len);
            if (rc < 0)
                return rc;
            if (!n_valid(st, n->buf, len))
                return STORE_ECORRUPT;
            n->used = 1;
            n->dirty = 0;
            n->pin = 0;
            n->parent = -1;
            n->addr = ref;
            if (s != T_SLOT)
                st->hint[h] = (uint8_t)s;
        }
    }
    st->slot[s].stamp = ++st->stamp;
    *out = s;
    return STORE_OK;
}

/* Copy-on-write: the node in slot s becomes part of this commit. */
static void make_dirty(store_t *st, int s, int parent, unsigned pidx)
{
    store_slot_t *n = &st->slot[s];
    n->pin = 1;
    if (n->dirty)
        return;
    n->dirty = 1;
    n->addr = 0;
    n->parent = (int8_t)parent;
    uint64_t ref = REF_DIRTY | (uint64_t)s;
    if (parent < 0)
        st->cur.root = ref;
    else
        st_put64(i_ent(st->slot[parent].buf, pidx) + 16, ref);
    st->pending = true;
}

static int new_node(store_t *st, uint8_t type, uint8_t level, int parent)
{
    int s = slot_alloc(st, true);
    if (s < 0)
        return s;
    store_slot_t *n = &st->slot[s];
    n->used = 1;
    n->dirty = 1;
    n->pin = 1;
    n->addr = 0;
    n->parent = (int8_t)parent;
    n->stamp = ++st->stamp;
    n_init(n->buf, type, level);
    st->pending = true;
    return s;
}

static void unpin_all(store_t *st)
{
    for (int i = 0; i < STORE_CACHE_SLOTS; i++)
        st->slot[i].pin = 0;
}

void tree_reset(store_t *st)
{
    memset(st->slot, 0, sizeof st->slot);
    memset(st->hint, 0, sizeof st->hint);
    st->leaf.slot = -1;
    st->sel.slot = -1;
}

void tree_drop(store_t *st)
{
    st->tree_ver++;
    for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
        if (st->slot[i].dirty)
            st->slot[i].used = 0;
        st->slot[i].dirty = 0;
        st->slot[i].pin = 0;
    }
}

int tree_flush(store_t *st)
{
    for (int round = 0; round <= STORE_CACHE_SLOTS; round++) {
        bool any = false;
        for (int i = 0; i < STORE_CACHE_SLOTS; i++) {
            if (st->slot[i].used && st->slot[i].dirty &&
                !has_dirty_child(st, i)) {
                int rc = slot_write(st, i);
                if (rc < 0)
                    return rc;
                any = true;
            }
        }
        if (!any)
            return STORE_OK;
    }
    return STORE_OK;
}

/* ---- searching ----------------------------------------------------------- */

/* Leaf: offset and index of the first entry >= key; true when equal. */
static bool leaf_find(const uint8_t *b, const uint8_t *key, unsigned *off,
                      unsigned *idx)
{
    unsigned o = N_HDR, n = n_cnt(b), i;
    for (i = 0; i < n; i++) {
        int c = memcmp(b + o, key, KEY_SIZE);
        if (c >= 0) {
            *off = o;
            *idx = i;
            return c == 0;
        }
        o += KEY_SIZE + 1 + b[o + KEY_SIZE];
    }
    *off = o;
    *idx = i;
    return false;
}

static unsigned leaf_off(const uint8_t *b, unsigned idx)
{
    unsigned o = N_HDR;
    for (unsigned i = 0; i < idx; i++)
        o += KEY_SIZE + 1 + b[o + KEY_SIZE];
    return o;
}

/* Internal: the last child whose lower bound is <= key (else child 0). */
static unsigned inner_find(uint8_t *b, const uint8_t *key)
{
    unsigned n = n_cnt(b), i = 0;
    while (i + 1 < n && memcmp(i_ent(b, i + 1), key, KEY_SIZE) <= 0)
        i++;
    return i;
}

/* Loads the child of a node at the level below, checking the level. */
static int load_child(store_t *st, uint64_t ref, int level, int *s,
                      bool for_write)
{
    int rc = node_load(st, ref, s, for_write);
    if (rc < 0)
        return rc;
    if (n_level(st->slot[*s].buf) != level)
        return STORE_ECORRUPT;
    return STORE_OK;
}

static int load_root(store_t *st, int *s, bool for_write)
{
    int rc = node_load(st, st->cur.root, s, for_write);
    if (rc == STORE_OK && n_level(st->slot[*s].buf) >= STORE_TREE_DEPTH_MAX)
        rc = STORE_ECORRUPT;
    return rc;
}

/* The leaf of the last tree_get, when it is still valid and key lies
 * within its key range; else -1. */
static int leaf_memo(const store_t *st, const uint8_t *key)
{
    int s = st->leaf.slot;
    if (s < 0 || s > T_SLOT || st->leaf.ver != st->tree_ver ||
        !st->slot[s].used || st->slot[s].dirty ||
        st->slot[s].addr != st->leaf.addr ||
        memcmp(key, st->leaf.lo, KEY_SIZE) < 0 ||
        memcmp(key, st->leaf.hi, KEY_SIZE) > 0)
        return -1;
    return s;
}

static void leaf_remember(store_t *st, int s)
{
    const uint8_t *b = st->slot[s].buf;
    unsigned n = n_cnt(b);
    st->leaf.slot = -1;
    if (st->slot[s].dirty || n == 0)
        return;
    memcpy(st->leaf.lo, b + N_HDR, KEY_SIZE);
    memcpy(st->leaf.hi, b + leaf_off(b, n - 1), KEY_SIZE);
    st->leaf.ver = st->tree_ver;
    st->leaf.addr = st->slot[s].addr;
    st->leaf.slot = (int16_t)s;
}

int tree_get(store_t *st, const uint8_t *key, uint8_t *val, size_t *vlen)
{
    if (!st->cur.root)
        return STORE_ENOENT;
    int s = leaf_memo(st, key), rc = STORE_OK;
    bool memo = s >= 0;
    if (memo)
        st->slot[s].stamp = ++st->stamp;
    else
        rc = load_root(st, &s, false);
    while (rc == STORE_OK) {
        uint8_t *b = st->slot[s].buf;
        if (n_type(b) == T_LEAF) {
            unsigned off, idx;
            if (!memo)
                leaf_remember(st, s);
            if (!leaf_find(b, key, &off, &idx))
                return STORE_ENOENT;
            if (val)
                memcpy(val, b + off + KEY_SIZE + 1, b[off + KEY_SIZE]);
            if (vlen)
                *vlen = b[off + KEY_SIZE];
            return STORE_OK;
        }
        rc = load_child(st, i_child(b, inner_find(b, key)), n_level(b) - 1, &s,
                        false);
    }
    return rc;
}

int tree_rank(store_t *st, const uint8_t *key, uint64_t *rank)
{
    *rank = 0;
    if (!st->cur.root)
        return STORE_OK;
    int s, rc = load_root(st, &s, false);
    while (rc == STORE_OK) {
        uint8_t *b = st->slot[s].buf;
        if (n_type(b) == T_LEAF) {
            unsigned off, idx;
            leaf_find(b, key, &off, &idx);
            *rank += idx;
            return STORE_OK;
        }
        unsigned i = inner_find(b, key);
        for (unsigned j = 0; j < i; j++)
            *rank += i_count(b, j);
        rc = load_child(st, i_child(b, i), n_level(b) - 1, &s, false);
    }
    return rc;
}

int tree_select(store_t *st, uint64_t idx, uint8_t *key, uint8_t *val,
                size_t *vlen)
{
    if (!st->cur.root)
        return STORE_ENOENT;
    uint64_t want = idx;
    int s = st->sel.slot, rc = STORE_OK;
    if (s >= 0 && s <= T_SLOT && st->sel.ver == st->tree_ver &&
        st->slot[s].used && !st->slot[s].dirty &&
        st->slot[s].addr == st->sel.addr && idx >= st->sel.base &&
        idx - st->sel.base < n_cnt(st->slot[s].buf)) {
        idx -= st->sel.base;    /* the remembered leaf holds it */
        st->slot[s].stamp = ++st->stamp;
    } else {
        rc = load_root(st, &s, false);
    }
    while (rc == STORE_OK) {
        uint8_t *b = st->slot[s].buf;
        unsigned n = n_cnt(b);
        if (n_type(b) == T_LEAF) {
            if (idx >= n)
                return STORE_ENOENT;
            st->sel.slot = -1;
            if (!st->slot[s].dirty) {
                st->sel.ver = st->tree_ver;
                st->sel.addr = st->slot[s].addr;
                st->sel.base = want - idx;
                st->sel.slot = (int16_t)s;
            }
            unsigned off = leaf_off(b, (unsigned)idx);
            if (key)
                memcpy(key, b + off, KEY_SIZE);
            if (val)
                memcpy(val, b + off + KEY_SIZE + 1, b[off + KEY_SIZE]);
            if (vlen)
                *vlen = b[off + KEY_SIZE];
            return STORE_OK;
        }
        unsigned i;
        for (i = 0; i < n; i++) {
            if (idx < i_count(b, i))
                break;
            idx -= i_count(b, i);
        }
        if (i == n)
            return STORE_ENOENT;
        rc = load_child(st, i_child(b, i), n_level(b) - 1, &s, false);
    }
    return rc;
}

int tree_seek(store_t *st, const uint8_t *key, uint8_t *kout, uint8_t *val,
              size_t *vlen)
{
    uint64_t r;
    int rc = tree_rank(st, key, &r);
    return rc < 0 ? rc : tree_select(st, r, kout, val, vlen);
}

int st_kind_start(store_t *st, uint32_t owner, uint8_t kind, uint64_t *rank)
{
    for (int i = 0; i < 4; i++)
        if (st->rank_cache[i].ver == st->tree_ver &&
            st->rank_cache[i].owner == owner && st->rank_cache[i].kind == kind) {
            *rank = st->rank_cache[i].rank;
            return STORE_OK;
        }
    uint8_t k[KEY_SIZE];
    key_make(k, owner, kind, 0);
    int rc = tree_rank(st, k, rank);
    if (rc < 0)
        return rc;
    int i = st->rank_next++ & 3;
    st->rank_cache[i].ver = st->tree_ver;
    st->rank_cache[i].owner = owner;
    st->rank_cache[i].kind = kind;
    st->rank_cache[i].rank = *rank;
    return STORE_OK;
}

int st_seek_kind(store_t *st, uint32_t owner, uint8_t kind, uint64_t from,
                 uint64_t *id_out, uint8_t *val, size_t *vlen)
{
    uint8_t k[KEY_SIZE], ko[KEY_SIZE];
    key_make(k, owner, kind, from);
    int rc = tree_seek(st, k, ko, val, vlen);
    if (rc < 0)
        return rc;
    if (key_owner(ko) != owner || key_kind(ko) != kind)
        return STORE_ENOENT;
    *id_out = key_id(ko);
    return STORE_OK;
}

/* ---- modifying ----------------------------------------------------------- */

static uint32_t node_total(uint8_t *b)
{
    if (n_type(b) == T_LEAF)
        return n_cnt(b);
    uint32_t t = 0;
    for (unsigned i = 0; i < n_cnt(b); i++)
        t += i_count(b, i);
    return t;
}

static const uint8_t zero_key[KEY_SIZE];

static const uint8_t *first_key(uint8_t *b)
{
    if (n_cnt(b) == 0)
        return zero_key;
    return n_type(b) == T_LEAF ? b + N_HDR : i_ent(b, 0);
}

/* Inserts an internal entry at position i of node p (which has room). */
static void inner_insert(store_t *st, int p, unsigned i, const uint8_t *key,
                         uint64_t child, uint32_t count)
{
    uint8_t *b = st->slot[p].buf;
    unsigned n = n_cnt(b);
    memmove(i_ent(b, i + 1), i_ent(b, i), (n - i) * I_ENT);
    memcpy(i_ent(b, i), key, KEY_SIZE);
    st_put64(i_ent(b, i) + 16, child);
    st_put32(i_ent(b, i) + 24, count);
    n_set(b, n + 1, N_HDR + (n + 1) * I_ENT);
}

/* Splits the full internal child at entry i of p; returns the new slot.
 * A key that goes at the end of its (owner, kind) range (appends: UIDs,
 * modseqs) splits right after that point, so a growing range leaves full
 * nodes behind it instead of half-full ones. */
static int split_inner(store_t *st, int p, unsigned i, const uint8_t *key)
{
    int c = (int)(i_child(st->slot[p].buf, i) & 0xFF);
    uint8_t *cb = st->slot[c].buf;
    int c2 = new_node(st, T_INNER, n_level(cb), p);
    if (c2 < 0)
        return c2;
    cb = st->slot[c].buf;
    uint8_t *b2 = st->slot[c2].buf;
    unsigned n = n_cnt(cb), keep = n / 2;
    unsigned at = inner_find(cb, key);
    if (at + 1 == n)
        keep = n - 1;
    else if (memcmp(i_ent(cb, at + 1), key, KEY_PREFIX) != 0)
        keep = at + 1;
    memcpy(i_ent(b2, 0), i_ent(cb, keep), (n - keep) * I_ENT);
    n_set(b2, n - keep, N_HDR + (n - keep) * I_ENT);
    n_set(cb, keep, N_HDR + keep * I_ENT);
    for (unsigned j = 0; j < n - keep; j++) {
        uint64_t r = i_child(b2, j);
        if (r & REF_DIRTY)
            st->slot[r & 0xFF].parent = (int8_t)c2;
    }
    i_set_count(st->slot[p].buf, i, node_total(cb));
    inner_insert(st, p, i + 1, i_ent(b2, 0), REF_DIRTY | (uint64_t)c2,
                 node_total(b2));
    return c2;
}

/* A new root above slot s (the old root). */
static int grow_root(store_t *st, int s)
{
    uint8_t *b = st->slot[s].buf;
    if (n_level(b) + 2 > STORE_TREE_DEPTH_MAX)
        return STORE_ELIMIT;
    int r = new_node(st, T_INNER, (uint8_t)(n_level(b) + 1), -1);
    if (r < 0)
        return r;
    b = st->slot[s].buf;
    inner_insert(st, r, 0, first_key(b), REF_DIRTY | (uint64_t)s,
                 node_total(b));
    st->slot[s].parent = (int8_t)r;
    st->cur.root = REF_DIRTY | (uint64_t)r;
    return r;
}

/* Leaf s is too full for the entry: spread its entries plus the new one
 * over s and a new leaf, by bytes. */
static int split_leaf(store_t *st, int s, int parent, unsigned pidx,
                      unsigned off, const uint8_t *key, const void *val,
                      size_t vlen)
{
    uint8_t *t = st->scratch;
    uint8_t *b = st->slot[s].buf;
    unsigned used = n_used(b), n = n_cnt(b);
    /* entries in order, the new one inserted at off */
    size_t tl = 0;
    memcpy(t, b + N_HDR, off - N_HDR);
    tl = off - N_HDR;
    memcpy(t + tl, key, KEY_SIZE);
    t[tl + KEY_SIZE] = (uint8_t)vlen;
    memcpy(t + tl + KEY_SIZE + 1, val, vlen);
    tl += KEY_SIZE + 1 + vlen;
    memcpy(t + tl, b + off, used - off);
    tl += used - off;
    n++;
    /* first split point where the left half reaches half of the bytes;
     * an entry added at the end of its (owner, kind) range starts the new
     * leaf (appends), so the left one stays full */
    size_t lb = 0;
    unsigned k = 0;
    size_t at = off - N_HDR;  /* where the new entry is in t */
    size_t e = KEY_SIZE + 1 + vlen, cap = STORE_NODE_SIZE - N_HDR;
    unsigned before = 0;
    for (size_t o = 0; o < at; o += KEY_SIZE + 1 + t[o + KEY_SIZE])
        before++;
    if (off == used && at > 0) {
        lb = at;                 /* the new entry opens the next leaf */
        k = before;
    } else if (off < used && memcmp(b + off, key, KEY_PREFIX) != 0) {
        if (at + e <= cap && tl - at - e <= cap) {
            lb = at + e;         /* it ends its range: keep it left */
            k = before + 1;
        } else if (at > 0 && tl - at <= cap) {
            lb = at;
            k = before;
        }
    }
    while (k + 1 < n && lb < tl / 2) {
        lb += KEY_SIZE + 1 + t[lb + KEY_SIZE];
        k++;
    }
    if (k == 0) {
        lb = KEY_SIZE + 1 + t[KEY_SIZE];
        k = 1;
    }
    if (parent < 0) {
        parent = grow_root(st, s);
        if (parent < 0)
            return parent;
        pidx = 0;
    }
    int s2 = new_node(st, T_LEAF, 0, parent);
    if (s2 < 0)
        return s2;
    b = st->slot[s].buf;
    uint8_t *b2 = st->slot[s2].buf;
    memcpy(b + N_HDR, t, lb);
    n_set(b, k, N_HDR + (unsigned)lb);
    memcpy(b2 + N_HDR, t + lb, tl - lb);
    n_set(b2, n - k, N_HDR + (unsigned)(tl - lb));
    i_set_count(st->slot[parent].buf, pidx, k);
    inner_insert(st, parent, pidx + 1, b2 + N_HDR, REF_DIRTY | (uint64_t)s2,
                 n - k);
    return STORE_OK;
}

static int put_inner(store_t *st, const uint8_t *key, const void *val,
                     size_t vlen)
{
    int path[STORE_TREE_DEPTH_MAX + 1];
    unsigned pidx[STORE_TREE_DEPTH_MAX + 1];
    int s, rc, d = 0;
    if (!st->cur.root) {
        s = new_node(st, T_LEAF, 0, -1);
        if (s < 0)
            return s;
        st->cur.root = REF_DIRTY | (uint64_t)s;
    } else {
        rc = load_root(st, &s, true);
        if (rc < 0)
            return rc;
        make_dirty(st, s, -1, 0);
    }
    if (n_type(st->slot[s].buf) == T_INNER && n_cnt(st->slot[s].buf) == I_CAP) {
        int r = grow_root(st, s);
        if (r < 0)
            return r;
        rc = split_inner(st, r, 0, key);
        if (rc < 0)
            return rc;
        s = r;
    }
    while (n_type(st->slot[s].buf) == T_INNER) {
        if (d >= STORE_TREE_DEPTH_MAX)
            return STORE_ECORRUPT;
        uint8_t *b = st->slot[s].buf;
        unsigned i = inner_find(b, key);
        /* keep every key of child i >= its lower bound (child 0 too) */
        if (i == 0 && memcmp(key, i_ent(b, 0), KEY_SIZE) < 0)
            memcpy(i_ent(b, 0), key, KEY_SIZE);
        int c;
        rc = load_child(st, i_child(b, i), n_level(b) - 1, &c, true);
        if (rc < 0)
            return rc;
        make_dirty(st, c, s, i);
        if (n_type(st->slot[c].buf) == T_INNER && n_cnt(st->slot[c].buf) == I_CAP) {
            int c2 = split_inner(st, s, i, key);
            if (c2 < 0)
                return c2;
            b = st->slot[s].buf;
            if (memcmp(key, i_ent(b, i + 1), KEY_SIZE) >= 0) {
                st->slot[c].pin = 0;
                c = c2;
                i++;
            } else {
                st->slot[c2].pin = 0;
            }
        }
        path[d] = s;
        pidx[d++] = i;
        s = c;
    }
    uint8_t *b = st->slot[s].buf;
    unsigned off, idx;
    bool existed = leaf_find(b, key, &off, &idx);
    if (existed) {
        unsigned e = KEY_SIZE + 1 + b[off + KEY_SIZE];
        memmove(b + off, b + off + e, n_used(b) - off - e);
        n_set(b, n_cnt(b) - 1, n_used(b) - e);
    }
    size_t e = KEY_SIZE + 1 + vlen;
    bool split = n_used(b) + e > STORE_NODE_SIZE;
    if (split) {
        /* sets the parent's counts of both halves itself */
        rc = split_leaf(st, s, d ? path[d - 1] : -1, d ? pidx[d - 1] : 0,
                        off, key, val, vlen);
        if (rc < 0)
            return rc;
    } else {
        memmove(b + off + e, b + off, n_used(b) - off);
        memcpy(b + off, key, KEY_SIZE);
        b[off + KEY_SIZE] = (uint8_t)vlen;
        memcpy(b + off + KEY_SIZE + 1, val, vlen);
        n_set(b, n_cnt(b) + 1, n_used(b) + (unsigned)e);
    }
    if (!existed)
        for (int j = 0; j < d - (split ? 1 : 0); j++)
            i_set_count(st->slot[path[j]].buf, pidx[j],
                        i_count(st->slot[path[j]].buf, pidx[j]) + 1);
    return STORE_OK;
}

int tree_put(store_t *st, const uint8_t *key, const void *val, size_t vlen)
{
    if (vlen > VAL_MAX)
        return STORE_EINVAL;
    st->tree_ver++;
    int rc = put_inner(st, key, val, vlen);
    unpin_all(st);
    return rc;
}

static void free_slot(store_t *st, int s)
{
    st->slot[s].used = 0;
    st->slot[s].dirty = 0;
    st->slot[s].pin = 0;
}

static int del_inner(store_t *st, const uint8_t *key)
{
    int path[STORE_TREE_DEPTH_MAX + 1];
    unsigned pidx[STORE_TREE_DEPTH_MAX + 1];
    int s, rc = load_root(st, &s, true), d = 0;
    if (rc < 0)
        return rc;
    make_dirty(st, s, -1, 0);
    path[0] = s;
    while (n_type(st->slot[s].buf) == T_INNER) {
        if (d >= STORE_TREE_DEPTH_MAX)
            return STORE_ECORRUPT;
        uint8_t *b = st->slot[s].buf;
        unsigned i = inner_find(b, key);
        int c;
        rc = load_child(st, i_child(b, i), n_level(b) - 1, &c, true);
        if (rc < 0)
            return rc;
        make_dirty(st, c, s, i);
        b = st->slot[s].buf;
        i_set_count(b, i, i_count(b, i) - 1);
        pidx[d] = i;
        path[++d] = c;
        s = c;
    }
    uint8_t *b = st->slot[s].buf;
    unsigned off, idx;
    if (!leaf_find(b, key, &off, &idx))
        return STORE_ECORRUPT;  /* tree_get found it a moment ago */
    unsigned e = KEY_SIZE + 1 + b[off + KEY_SIZE];
    memmove(b + off, b + off + e, n_used(b) - off - e);
    n_set(b, n_cnt(b) - 1, n_used(b) - e);
    /* drop emptied nodes bottom-up */
    while (d > 0 && n_cnt(st->slot[path[d]].buf) == 0) {
        free_slot(st, path[d]);
        d--;
        uint8_t *p = st->slot[path[d]].buf;
        unsigned n = n_cnt(p), i = pidx[d];
        memmove(i_ent(p, i), i_ent(p, i + 1), (n - i - 1) * I_ENT);
        n_set(p, n - 1, N_HDR + (n - 1) * I_ENT);
    }
    /* shrink the root: empty internal -> empty leaf; one child -> child */
    for (int guard = 0; guard < STORE_TREE_DEPTH_MAX; guard++) {
        s = path[0];
        b = st->slot[s].buf;
        if (n_type(b) != T_INNER)
            break;
        if (n_cnt(b) == 0) {
            n_init(b, T_LEAF, 0);
            break;
        }
        if (n_cnt(b) != 1)
            break;
        uint64_t c = i_child(b, 0);
        free_slot(st, s);
        st->cur.root = c;
        if (!(c & REF_DIRTY))
            break;
        path[0] = (int)(c & 0xFF);
        st->slot[path[0]].parent = -1;
    }
    return STORE_OK;
}

int tree_del(store_t *st, const uint8_t *key)
{
    st->tree_ver++;
    int rc = tree_get(st, key, NULL, NULL);
    if (rc < 0)
        return rc;
    rc = del_inner(st, key);
    unpin_all(st);
    return rc;
}

/* ---- compaction ------------------------------------------------------------ */

int tree_touch(store_t *st, const uint8_t *key, uint64_t below)
{
    if (!st->cur.root)
        return STORE_OK;
    /* first a read-only descent: how deep lies the last node to move? */
    int s, rc = load_root(st, &s, false), depth = -1, d = 0;
    while (rc == STORE_OK) {
        store_slot_t *n = &st->slot[s];
        if (!n->dirty && n->addr < below)
            depth = d;
        if (n_type(n->buf) == T_LEAF)
            break;
        if (++d > STORE_TREE_DEPTH_MAX)
            return STORE_ECORRUPT;
        rc = load_child(st, i_child(n->buf, inner_find(n->buf, key)),
                        n_level(n->buf) - 1, &s, false);
    }
    if (rc < 0 || depth < 0)
        return rc;
    /* then copy-on-write from the root down to it (a dirty node's parent
     * is dirty: the dirty nodes form a subtree holding the root) */
    rc = load_root(st, &s, true);
    if (rc == STORE_OK) {
        make_dirty(st, s, -1, 0);
        for (d = 0; d < depth && rc == STORE_OK; d++) {
            uint8_t *b = st->slot[s].buf;
            unsigned i = inner_find(b, key);
            int c;
            rc = load_child(st, i_child(b, i), n_level(b) - 1, &c, true);
            if (rc == STORE_OK) {
                make_dirty(st, c, s, i);
                s = c;
            }
        }
    }
    unpin_all(st);
    return rc;
}

/* ---- whole-tree walk (store_check) -------------------------------------- */

int tree_walk(store_t *st,
              int (*fn)(store_t *, const uint8_t *, const uint8_t *, size_t,
                        void *),
              void *ctx)
{
    struct frame { uint64_t ref, expect, sum; unsigned i; int level; };
    struct frame f[STORE_TREE_DEPTH_MAX + 1];
    uint8_t last[KEY_SIZE], ent[KEY_SIZE + 1 + VAL_MAX];
    bool have_last = false;
    int problems = 0, d = 0;
    if (!st->cur.root)
        return 0;
    /* no dirty nodes during the walk: loading would flush them and move
     * the references the frames hold */
    int frc = tree_flush(st);
    if (frc < 0)
        return frc;
    f[0] = (struct frame){ st->cur.root, UINT64_MAX, 0, 0, -1 };
    while (d >= 0) {
        struct frame *fr = &f[d];
        int s = 0, rc = node_load(st, fr->ref, &s, false);
        uint8_t *b = st->slot[s].buf;
        bool done = false;
        if (rc == STORE_OK && fr->level >= 0 && n_level(b) != fr->level)
            rc = STORE_ECORRUPT;
        if (rc < 0) {
            if (rc == STORE_EIO)
                return rc;
            problems++;
            done = true;
        } else if (n_type(b) == T_LEAF) {
            if (fr->i >= n_cnt(b)) {
                fr->sum = n_cnt(b);
                done = true;
            } else {
                unsigned off = leaf_off(b, fr->i++);
                memcpy(ent, b + off, KEY_SIZE + 1 + b[off + KEY_SIZE]);
                if (have_last && memcmp(last, ent, KEY_SIZE) >= 0)
                    problems++;
                memcpy(last, ent, KEY_SIZE);
                have_last = true;
                if (fn) {
                    rc = fn(st, ent, ent + KEY_SIZE + 1, ent[KEY_SIZE], ctx);
                    if (rc < 0)
                        return rc;
                    problems += rc;
                }
            }
        } else if (fr->i >= n_cnt(b)) {
            done = true;
        } else if (d >= STORE_TREE_DEPTH_MAX) {
            problems++;
            done = true;
        } else {
            unsigned i = fr->i++;
            f[d + 1] = (struct frame){ i_child(b, i), i_count(b, i), 0, 0,
                                       n_level(b) - 1 };
            d++;
        }
        if (done) {
            if (fr->expect != UINT64_MAX && fr->sum != fr->expect)
                problems++;
            uint64_t sum = fr->sum;
            d--;
            if (d >= 0)
                f[d].sum += sum;
        }
    }
    return problems;
}
