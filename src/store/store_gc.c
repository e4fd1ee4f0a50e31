/*
 * store_gc.c - compaction: the log is a ring, and a pass moves everything
 * still alive from below a mark to above it, then frees what lies below.
 *
 * A pass starts at a block boundary: mark = the head (the block there
 * begins with a BLOCK record, so fsck can start its scan there).  It then
 * walks the index in key order with a cursor, a bounded number of entries
 * per step:
 *   - every index node on the path to each entry that lies below the mark
 *     is made dirty (copy-on-write), so the step's commit rewrites it at
 *     the head;
 *   - a message whose data lies below the mark gets its data copied to the
 *     head (CRC checked on the way: data that fails it becomes DATA_LOST,
 *     never laundered) and its record, and its structure summary (keyed
 *     by the data address), follow it;
 *   - data shared by COPY (MSGF_SHARED) leaves a forwarding entry (K_FWD,
 *     old address -> new) so every copy follows the same single move.
 * Phase 1 walks the mailboxes' entries (owner >= 1), phase 2 the owner-0
 * entries after them: summaries and forwarding entries still keyed below
 * the mark belong to data nobody references any more and are dropped.
 * When the walk is done (phase 3, which waits while an APPEND begun
 * before the pass still writes below the mark; a remount ends it, the
 * unfinished APPEND gone), nothing reachable lies below the mark: the tail
 * moves up to it in one commit, followed by a checkpoint (a mount never
 * starts below the tail), and the head may erase those blocks again.
 *
 * Each step ends with its own commit, so a power cut loses at most the
 * step; the cursor travels in the commit state.  Logical addresses only
 * grow, so no address is ever reused and no stale pointer can alias new
 * data: a reference below the tail is refused as corrupt.
 *
 * Every block of the ring is erased once per lap, long-lived data moves
 * with every pass: wear levelling is static as well as dynamic.
 *
 * Space: a pass copies at most what lies between tail and mark, so user
 * writes (APPEND, COPY) are admitted only while that much, plus a reserve,
 * stays free; EXPUNGE, DELETE and STORE may use the reserve.
 */
#include "store/store_priv.h"

#define GC_BUDGET_DEFAULT (32u * 1024u)
/* The most budget a step run after a user's commit may take: pacing never
 * makes a commit wait longer than this; when the pass falls behind, writers
 * are held instead (st_admit: STORE_EAGAIN) while bounded steps go on. */
#define GC_BUDGET_MAX (2u * GC_BUDGET_DEFAULT)
#define GC_ENTRY_COST 64u        /* budget charged per index entry visited */
#define K_SUM 9                  /* store_summary.c */
#define MSG_ADDR_OFF 38          /* data_addr in a message record */
#define MSG_REC_SIZE 62

/* Expunge history (XHIST, for QRESYNC) is kept for this many modseqs of a
 * mailbox; older entries go at the next pass, so churn does not grow the
 * index forever. */
#ifndef STORE_XHIST_MODSEQS
#define STORE_XHIST_MODSEQS 2048u
#endif

uint64_t st_reserve(const store_t *st)
{
    /* room for compaction steps and the commit ending a pass, and for
     * EXPUNGE, DELETE, STORE on a full store: 1/16 of the ring, at least
     * 4 blocks and 64 KiB, at most a quarter of the ring */
    uint64_t r = st->ring / 16, m = 4ull * st->erase_size;
    if (r < m)
        r = m;
    if (r < 64u * 1024u)
        r = 64u * 1024u;
    return r < st->ring / 4 ? r : st->ring / 4;
}

/* The most budget one step takes: GC_BUDGET_MAX, at most ring/32 on a
 * small ring: a power cut wastes what the step under way wrote, and room
 * for that is kept free while a pass may run (st_cut_waste). */
static uint32_t step_cap(const store_t *st)
{
    uint64_t c = st->ring / 32;
    if (c < 4096)
        c = 4096;
    return c < GC_BUDGET_MAX ? (uint32_t)c : GC_BUDGET_MAX;
}

uint64_t st_cut_waste(const store_t *st)
{
    /* a power cut during a pass loses what the step under way wrote: its
     * budget and one chunk beyond it, the index nodes it rewrote (about
     * as many bytes again: an entry costs 64 of budget, a 1 KiB node
     * holds a dozen or so) and its commit; the region of the chunked copy
     * it was making (a step finishes at most one: gc_region_done); and
     * the rest of the block the mount skips */
    return 2ull * step_cap(st) + (uint64_t)st->com.big * st->chunk_stride +
           2ull * st->chunk_stride + st->erase_size;
}

unsigned st_big_code(uint32_t chunks)
{
    if (chunks < 2048)
        return chunks;
    uint32_t code = 2048 + (chunks - 2048 + 31) / 32;
    return code > 4095 ? 4095 : code;
}

uint32_t st_big_chunks(unsigned code)
{
    return code < 2048 ? code : 2048 + (code - 2048) * 32;
}

void st_big_note(store_t *st, uint64_t data, uint32_t size)
{
    if (data == DATA_LOST || (data & DATA_INLINE))
        return;
    uint32_t c = st_big_chunks(st_big_code((uint32_t)st_chunks(st, size)));
    if (c > st->cur.big)
        st->cur.big = c;
    if (st->cur.mark && c > st->cur.walk_big)
        st->cur.walk_big = c;
}

/* What a pass may still have to copy: at most what lies below its mark
 * less the data it moved already (each live byte there moves once; the
 * count is data only, so it never runs ahead of what is left); without a
 * pass, the next one: everything below the head. */
static uint64_t to_copy(const store_t *st)
{
    uint64_t from = (st->com.mark ? st->com.mark : st->head) - st->com.tail;
    if (st->com.live < from)
        from = st->com.live;
    return st->com.copied < from ? from - st->com.copied : 0;
}

uint64_t st_data_bytes(const store_t *st, uint64_t data_addr, uint32_t size)
{
    if (data_addr & DATA_INLINE)
        return REC_HDR + (uint64_t)size;
    return st_chunks(st, size) * st->chunk_stride;
}

void st_live_add(store_t *st, uint64_t n)
{
    st->cur.live += n;
    if (st->cur.mark)
        st->cur.walk += n;
}

void st_live_sub(store_t *st, const uint8_t *key, uint64_t n)
{
    /* between passes: live.  During one, never live (the data already
     * moved counts in both live and copied, and to_copy() must stay an
     * upper bound) but the pass's own count, when its cursor has passed
     * the entry (it counted it); that count replaces live at the end */
    if (!st->cur.mark)
        st->cur.live = st->cur.live > n ? st->cur.live - n : 0;
    else if (st->cur.phase >= 2 || memcmp(key, st->cur.cursor, KEY_SIZE) < 0)
        st->cur.walk = st->cur.walk > n ? st->cur.walk - n : 0;
}

/* An index entry's share of the index: its bytes, half-full nodes. */
static uint64_t entry_bytes(size_t vl)
{
    return 2 * (KEY_SIZE + 1 + (uint64_t)vl);
}

/* Free space beyond what the pass needs and the reserve. */
static uint64_t slack(const store_t *st)
{
    uint64_t need = to_copy(st) + st_reserve(st) + st_cut_waste(st),
             f = st_free(st);
    return f > need ? f - need : 0;
}

static bool should_start(const store_t *st)
{
    return slack(st) < st->ring / 8;
}

/* What a pass writes besides the data it copies (index paths, a commit
 * per step, block ends): as the last pass measured it, at least a
 * margin. */
static uint64_t pass_overhead(const store_t *st)
{
    uint64_t margin = 2ull * st->erase_size + st->ring / 64;
    return st->gc_ovh > margin ? st->gc_ovh : margin;
}

/* Room for a user write of n bytes now: the pass under way (or the next
 * one) can still copy what it must, with the reserve kept; and during a
 * pass, what will lie above its mark when it ends (what is there now,
 * what it still copies, the write) leaves the next pass room to copy it
 * all again: otherwise a store filled during a pass would be too full
 * for the next one. */
static bool room(const store_t *st, uint64_t n)
{
    uint64_t res = st_reserve(st) + st_cut_waste(st);
    if (st_free(st) < n + to_copy(st) + res)
        return false;
    if (!st->com.mark)
        return true;
    uint64_t above = st->head - st->com.mark + to_copy(st) + n +
                     pass_overhead(st);
    uint64_t next = st->com.live + n < above ? st->com.live + n : above;
    return above < st->ring && st->ring - above >= next + res;
}

/* Would a fresh pass make room for n bytes?  After it, the log holds what
 * it copied (live, an upper bound) plus its overhead (index paths, block
 * ends, what changed meanwhile: as the last pass measured it, at least a
 * margin), and the next pass may have to copy all of that again. */
static bool room_after_pass(const store_t *st, uint64_t n)
{
    uint64_t used = st->com.live + pass_overhead(st);
    return used < st->ring &&
           st->ring - used >= n + st->com.live + st_reserve(st) +
                                  st_cut_waste(st);
}

static void key_next(uint8_t *k)
{
    for (int i = KEY_SIZE - 1; i >= 0; i--)
        if (++k[i])
            return;
}

static int sum_move(store_t *st, uint64_t old, uint64_t new_addr)
{
    uint8_t k[KEY_SIZE], k2[KEY_SIZE], v[VAL_MAX];
    for (unsigned c = 0; c <= 0xFFFF; c++) {
        size_t vl;
        key_make(k, 0, K_SUM, old);
        k[13] = (uint8_t)(c >> 8);
        k[14] = (uint8_t)c;
        int rc = tree_get(st, k, v, &vl);
        if (rc == STORE_ENOENT)
            return STORE_OK;
        if (rc < 0)
            return rc;
        memcpy(k2, k, KEY_SIZE);
        key_make(k2, 0, K_SUM, new_addr);
        k2[13] = k[13];
        k2[14] = k[14];
        rc = tree_put(st, k2, v, vl);
        if (rc == STORE_OK)
            rc = tree_del(st, k);
        if (rc < 0)
            return rc;
    }
    return STORE_OK;
}

/* Where the one move of shared data went (its K_FWD entry). */
static int fwd_get(store_t *st, uint64_t old, uint64_t *nw)
{
    uint8_t k[KEY_SIZE], v[8];
    size_t vl;
    key_make(k, 0, K_FWD, old);
    int rc = tree_get(st, k, v, &vl);
    if (rc == STORE_OK && vl != 8)
        return STORE_ECORRUPT;
    if (rc == STORE_OK)
        *nw = st_get64(v);
    return rc;
}

/* A message's data moved from old to nw (DATA_LOST: it was damaged): its
 * structure summary follows, and shared data leaves a forwarding entry so
 * every copy follows the same move. */
static int gc_moved(store_t *st, uint64_t old, uint64_t nw, uint32_t size,
                    bool shared)
{
    int rc;
    st->cur.copied += size;
    if (nw != DATA_LOST) {
        rc = sum_move(st, old, nw);
        if (rc < 0)
            return rc;
    }
    if (shared) {
        uint8_t k[KEY_SIZE], v[8];
        key_make(k, 0, K_FWD, old);
        st_put64(v, nw);
        rc = tree_put(st, k, v, 8);
        if (rc < 0)
            return rc;
    }
    st->pending = true;
    return STORE_OK;
}

int st_gc_relocate(store_t *st, uint64_t *addr, uint32_t size, bool shared)
{
    uint64_t old = *addr, nw;
    int rc;
    if (shared) {
        rc = fwd_get(st, old, &nw);
        if (rc == STORE_OK) {
            *addr = nw;
            return STORE_OK;
        }
        if (rc != STORE_ENOENT)
            return rc;
    }
    rc = st_data_copy(st, old, size, &nw);
    if (rc == STORE_OK)
        rc = gc_moved(st, old, nw, size, shared);
    if (rc < 0)
        return rc;
    *addr = nw;
    return STORE_OK;
}

/* The data of an APPEND written before the pass began: below the mark,
 * it must move above it before the message joins the index (the walk may
 * have passed its mailbox already).  One record moves at once; a chunked
 * region a step's budget of chunks per call in a non-blocking store
 * (STORE_EAGAIN until the last chunk is in: the caller finishes again on
 * a later round).  The cursor lives in the append, so appends finishing
 * side by side each move their own; the append stays active meanwhile,
 * so the pass waits for it before it ends (gc_step, phase 3) and the
 * source stays above the tail.  A blocking store moves it all at once. */
int st_gc_move_append(store_t *st, store_append_t *a)
{
    if (a->data_addr & DATA_INLINE)
        return st_gc_relocate(st, &a->data_addr, a->size, false);
    uint64_t n = st->nonblock ? GC_BUDGET_DEFAULT / st->chunk_stride
                              : UINT64_MAX;
    int rc = st_chunks_move(st, &a->move, a->data_addr, a->size, &n);
    if (rc == ST_MOVE_MORE)
        return STORE_EAGAIN;
    if (rc != STORE_OK)
        return rc < 0 ? rc : STORE_ECORRUPT;   /* never laundered */
    rc = gc_moved(st, a->data_addr, a->move.dst, a->size, false);
    if (rc == STORE_OK)
        a->data_addr = a->move.dst;
    return rc;
}

static bool below_mark(const store_t *st, uint64_t data)
{
    return data != DATA_LOST && (data & ~DATA_INLINE) < st->cur.mark;
}

#define GC_BUSY 1  /* gc_entry: a chunked copy goes on next step */

/* The walk's move of a multi-chunk message at key k: its region reserved
 * like an APPEND's, then chunks while the step's budget lasts (at least
 * one a step, so the copy always advances), the record updated only when
 * the last one is in (GC_BUSY until then; the cursor stays on k).  A copy
 * begun for a record that has changed since (purged, forwarded, moved by
 * another path) is dropped: its region is dead space. */
static int gc_move_chunks(store_t *st, const uint8_t *k, uint64_t *addr,
                          uint32_t size, bool shared, uint32_t *cost,
                          uint32_t budget)
{
    uint64_t old = *addr, nw = DATA_LOST;
    int rc;
    if (shared) {
        rc = fwd_get(st, old, &nw);
        if (rc == STORE_OK) {
            st->gc_cp.mark = 0;
            *addr = nw;
            return STORE_OK;
        }
        if (rc != STORE_ENOENT)
            return rc;
        nw = DATA_LOST;
    }
    if (memcmp(st->gc_cp_key, k, KEY_SIZE)) {
        st->gc_cp.mark = 0;   /* another message: a fresh move */
        memcpy(st->gc_cp_key, k, KEY_SIZE);
    }
    uint64_t n = *cost < budget
                     ? (budget - *cost + st->chunk_stride - 1) / st->chunk_stride
                     : 1;
    rc = st_chunks_move(st, &st->gc_cp, old, size, &n);
    if (rc < 0)
        return rc;
    *cost += (uint32_t)(n * st->chunk_stride);
    if (rc == ST_MOVE_MORE)
        return GC_BUSY;
    if (rc == STORE_OK)
        nw = st->gc_cp.dst;   /* else damaged or lost: DATA_LOST */
    st->gc_region_done = true;
    rc = gc_moved(st, old, nw, size, shared);
    if (rc < 0)
        return rc;
    *addr = nw;
    return STORE_OK;
}


/* A COPY of a big message the pass has not reached yet: copying it whole
 * inside the command would stall the loop (up to IMAP_LITERAL_MAX), so
 * the chunk cursor moves it first, out of key order, in bounded steps
 * (gc_early), while the COPY is held (STORE_EAGAIN, nothing changed).
 * Retried once the record points above the mark, the COPY shares the new
 * data as usual.  One request at a time: a second COPY waits its turn.
 * Every chunked message is held (one of a few chunks costs a round or
 * two of waiting; one rule, no size threshold); inline data (one
 * record), data already forwarded,
 * and blocking stores (host tools) go on: st_gc_relocate moves them at
 * once. */
int st_gc_hold_copy(store_t *st, uint32_t mbox_id, uint32_t uid)
{
    if (!st->nonblock || !st->cur.mark)
        return STORE_OK;
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t vl;
    key_make(k, mbox_id, K_MSG, uid);
    int rc = tree_get(st, k, v, &vl);
    if (rc == STORE_ENOENT || (rc == STORE_OK && vl != MSG_REC_SIZE))
        return STORE_OK;   /* the copy itself answers */
    if (rc < 0)
        return rc;
    uint64_t data = st_get64(v + MSG_ADDR_OFF);
    uint32_t size = st_get32(v + 30);
    if (!below_mark(st, data) || (data & DATA_INLINE) ||
        !st_chunks_src_ok(st, data, size))
        return STORE_OK;
    if (st_get32(v) & MSGF_SHARED) {
        uint64_t nw;
        rc = fwd_get(st, data, &nw);
        if (rc != STORE_ENOENT)
            return rc;   /* STORE_OK: moved already, the copy follows */
    }
    if (st->gc_stuck)
        return STORE_ENOSPC;   /* the pass cannot move it: no waiting */
    if (!st->gc_early_on) {
        memcpy(st->gc_early, k, KEY_SIZE);
        st->gc_early_on = true;
    }
    return STORE_EAGAIN;
}

/* One step's share of the move st_gc_hold_copy asked for: GC_BUSY while
 * chunks remain; the record is updated when the last one is in (a record
 * that changed meanwhile drops the request, its partial copy dead space). */
static int gc_early(store_t *st, uint32_t *cost, uint32_t budget)
{
    uint8_t v[VAL_MAX];
    size_t vl;
    int rc = tree_get(st, st->gc_early, v, &vl);
    if (rc < 0 && rc != STORE_ENOENT)
        return rc;
    uint64_t data = rc == STORE_OK && vl == MSG_REC_SIZE
                        ? st_get64(v + MSG_ADDR_OFF)
                        : DATA_LOST;
    *cost += GC_ENTRY_COST;
    if (!below_mark(st, data) || (data & DATA_INLINE)) {
        st->gc_early_on = false;
        if (!memcmp(st->gc_cp_key, st->gc_early, KEY_SIZE))
            st->gc_cp.mark = 0;
        return STORE_OK;
    }
    rc = gc_move_chunks(st, st->gc_early, &data, st_get32(v + 30),
                        (st_get32(v) & MSGF_SHARED) != 0, cost, budget);
    if (rc == GC_BUSY)
        return rc;
    st->gc_early_on = false;
    if (rc < 0)
        return rc;
    /* the walk counts its bytes when it reaches the record */
    st_put64(v + MSG_ADDR_OFF, data);
    st->pending = true;
    return tree_put(st, st->gc_early, v, vl);
}

/* One index entry of the walk. */
static int gc_entry(store_t *st, const uint8_t *k, uint8_t *v, size_t vl,
                    uint32_t *cost, uint32_t budget)
{
    int rc = tree_touch(st, k, st->cur.mark);
    if (rc < 0)
        return rc;
    *cost += GC_ENTRY_COST;
    st->cur.walk += entry_bytes(vl);
    uint8_t kind = key_kind(k);
    if (key_owner(k) == 0) {
        uint64_t id = key_id(k);
        if ((kind == K_SUM && below_mark(st, id)) ||
            (kind == K_FWD && id < st->cur.mark)) {
            rc = tree_del(st, k);
            st->cur.walk -= entry_bytes(vl);
            st->pending = true;
        }
        return rc;
    }
    if (kind == K_MBOX) {
        store_mbox_t mb;
        rc = st_mbox_load(st, key_owner(k), &mb);
        st->gc_hms = rc == STORE_OK ? mb.highestmodseq : 0;
        st->gc_owner = key_owner(k);
        return STORE_OK;
    }
    if (kind == K_XHIST && vl == 8 && key_owner(k) == st->gc_owner &&
        st_get64(v) + STORE_XHIST_MODSEQS < st->gc_hms) {
        st->cur.walk -= entry_bytes(vl);
        st->pending = true;
        return tree_del(st, k);
    }
    if (kind != K_MSG || vl != MSG_REC_SIZE)
        return STORE_OK;
    uint64_t data = st_get64(v + MSG_ADDR_OFF);
    uint32_t size = st_get32(v + 30);
    uint64_t bytes = st_data_bytes(st, data, size);
    bool shared = (st_get32(v) & MSGF_SHARED) != 0;
    st_big_note(st, data, size);
    if (!below_mark(st, data)) {
        st->cur.walk += bytes;
        return STORE_OK;
    }
    if (data & DATA_INLINE) {
        rc = st_gc_relocate(st, &data, size, shared);
        *cost += size;
    } else {
        rc = gc_move_chunks(st, k, &data, size, shared, cost, budget);
        if (rc == GC_BUSY) {
            st->cur.walk -= entry_bytes(vl);  /* counted when it is done */
            return GC_BUSY;
        }
    }
    if (rc < 0)
        return rc;
    st->cur.walk += bytes;
    st_put64(v + MSG_ADDR_OFF, data);
    rc = tree_put(st, k, v, vl);
    st->pending = true;
    return rc;
}

static int gc_start(store_t *st)
{
    int rc = log_end_block(st);
    if (rc < 0)
        return rc;
    st->cur.mark = st->head;
    st->gc_freed = false;
    st->cur.mark_gen = st->gen;
    st->cur.mark_seq = st->commit_seq;
    st->cur.copied = 0;
    st->cur.walk = 0;
    st->cur.phase = 1;
    st->cur.walk_big = 0;
    key_make(st->cur.cursor, 1, 0, 0);
    st->pending = true;
    return STORE_OK;
}

static int gc_finish(store_t *st)
{
    /* what the pass wrote beyond the live bytes it counted */
    uint64_t above = st->head - st->cur.mark;
    st->gc_ovh = above > st->cur.walk ? above - st->cur.walk : 0;
    st->cur.tail = st->cur.mark;
    st->cur.tail_gen = st->cur.mark_gen;
    st->cur.tail_seq = st->cur.mark_seq;
    st->cur.mark = 0;
    st->cur.phase = 0;
    st->gc_early_on = false;
    st->cur.live = st->cur.walk;
    st->cur.big = st->cur.walk_big;   /* every message, and appends since
                                         the pass began (st_big_note) */
    st->cur.copied = 0;
    memset(st->cur.cursor, 0, sizeof st->cur.cursor);
    st->pending = true;
    return STORE_OK;
}

/* Runs up to budget bytes of work and commits it.  *more: work remains. */
static int gc_step(store_t *st, uint32_t budget, bool force, bool *more)
{
    *more = false;
    if (st->pending) {
        *more = true;
        return STORE_OK;
    }
    if (!st->com.mark && !force && !st->gc_want && !should_start(st))
        return STORE_OK;
    if (!st->com.mark && st->head - st->com.tail < st->erase_size) {
        st->gc_want = false;
        return STORE_OK;  /* nothing to compact */
    }
    st->in_gc = true;
    int rc = STORE_OK;
    uint32_t cost = 0;
    if (budget > step_cap(st))
        budget = step_cap(st);
    st->gc_region_done = false;
    if (!st->cur.mark) {
        rc = gc_start(st);
        st->gc_want = false;
    }
    uint64_t h0 = st->head;
    st->gc_step_res = st->gc_step_late = 0;
    bool running = st->cur.mark != 0;
    while (rc == STORE_OK && st->cur.mark && cost < budget) {
        uint8_t k[KEY_SIZE], v[VAL_MAX];
        size_t vl = 0;
        if (st->gc_early_on &&
            (st->gc_cp.mark != st->cur.mark ||
             !memcmp(st->gc_cp_key, st->gc_early, KEY_SIZE))) {
            /* a held COPY's message first (the walk's own chunked copy,
             * if any, ends first: one cursor) */
            rc = gc_early(st, &cost, budget);
            if (rc == GC_BUSY || st->gc_region_done) {
                rc = rc == GC_BUSY ? STORE_OK : rc;
                break;   /* one region per step: a cut wastes at most one */
            }
            continue;
        }
        if (st->cur.phase == 3) {
            /* an APPEND begun below the mark still writes there: wait for
             * it, unless space is short */
            if (st->appends && st_free(st) > st_reserve(st) / 2)
                break;
            rc = gc_finish(st);
            break;
        }
        rc = tree_seek(st, st->cur.cursor, k, v, &vl);
        if (rc == STORE_ENOENT ||
            (rc == STORE_OK && st->cur.phase == 2 && key_owner(k) != 0)) {
            rc = STORE_OK;
            if (st->cur.phase == 1)
                memset(st->cur.cursor, 0, KEY_SIZE);
            st->cur.phase++;
            st->pending = true;
            continue;
        }
        if (rc < 0)
            break;
        rc = gc_entry(st, k, v, vl, &cost, budget);
        if (rc == GC_BUSY) {
            /* a chunked copy goes on next step: the cursor stays.  Its
             * chunks need no commit of their own (nothing refers to them
             * yet): a step that only copied chunks commits nothing */
            rc = STORE_OK;
            break;
        }
        memcpy(st->cur.cursor, k, KEY_SIZE);
        key_next(st->cur.cursor);
        st->pending = true;
        if (rc == STORE_OK && st->gc_region_done)
            break;   /* one region per step: a cut wastes at most one */
    }
    if (rc == STORE_OK)
        rc = store_commit(st);
    else
        store_rollback(st);
    if (rc < 0)
        st->gc_cp.mark = 0;   /* its region stays dead space */
    st->gc_stuck = rc == STORE_ENOSPC;
    st->in_gc = false;
    if (rc == STORE_OK && running && !st->com.mark) {
        st->passes++;
        st->pass_end_seq = st->commit_seq;
    }
    /* flash bytes this step wrote (its copies, index paths, commit): what
     * the head passed, less a region reserved for a chunked copy, plus the
     * chunks programmed into one */
    uint64_t w = st->head - h0 - st->gc_step_res + st->gc_step_late;
    if (w > st->gc_step_max)
        st->gc_step_max = w;
    *more = st->com.mark != 0 || should_start(st);
    return rc;
}

/* Runs steps until the pass under way (or a new one) has ended. */
static int gc_whole_pass(store_t *st)
{
    bool more = true, started = false;
    for (uint32_t guard = 0; guard < 0x7FFFFFFF && more; guard++) {
        if (st->pending)
            return STORE_OK;
        if (st->com.mark)
            started = true;
        else if (started)
            return STORE_OK;
        int rc = gc_step(st, GC_BUDGET_DEFAULT, true, &more);
        if (rc < 0)
            return rc;
    }
    return STORE_OK;
}

int st_gc_after_commit(store_t *st, uint64_t wrote)
{
    bool more;
    if (!st->com.mark && !should_start(st))
        return STORE_OK;
    /* pace: the pass should end before the slack is gone; a step never
     * takes more than GC_BUDGET_MAX (when little slack is left, writers
     * wait for the pass in st_admit instead) */
    uint64_t sl = slack(st);
    if (!st->nonblock && sl < st->ring / 16) {
        gc_whole_pass(st);   /* blocking mode: end the pass now */
        return STORE_OK;
    }
    uint64_t b = GC_BUDGET_MAX;
    if (sl >= st->ring / 16)
        b = 2 * wrote + 2 * (to_copy(st) / (sl / (wrote + 1) + 1)) +
            GC_BUDGET_DEFAULT / 4;
    gc_step(st, (uint32_t)(b > GC_BUDGET_MAX ? GC_BUDGET_MAX : b), false,
            &more);
    return STORE_OK;  /* the user's commit is durable whatever happens */
}

int st_admit(store_t *st, uint64_t n)
{
    if (room(st, n))
        return STORE_OK;
    if (!st->nonblock) {
        /* a caller that may block (host tools): a whole pass now (it
         * frees space at its end), unless changes are pending */
        int rc = gc_whole_pass(st);
        if (rc < 0)
            return rc;
        return room(st, n) ? STORE_OK : STORE_ENOSPC;
    }
    /* the pass under way frees space at its end: wait for it; unless it
     * has no room to go on (a power cut during it wasted more than the
     * reserve: docs/STORE.md, "Limits, known"): then the writer gets NO
     * [OVERQUOTA] now instead of waiting for ever */
    if (st->com.mark)
        return st->gc_stuck ? STORE_ENOSPC : STORE_EAGAIN;
    /* a pass ended and nothing changed since: another frees nothing;
     * otherwise one is worth it when it can make the room by the count of
     * live bytes, or when a mailbox was deleted (its bytes never left
     * that count), or when no pass has ended since the mount: until one
     * does, the count is the committed upper bound (shared data purged
     * since the last pass still in it) and the overhead the default
     * margin, and refusing by them answered NO [OVERQUOTA] after a power
     * cut on a store a pass would have made room in (test_store_cuts,
     * non-blocking, 1 MiB NAND: counted 248 KB live, the pass measured
     * 80 KB) */
    if (st->commit_seq == st->pass_end_seq ||
        (!st->gc_freed && st->passes && !room_after_pass(st, n)))
        return STORE_ENOSPC;
    st->gc_want = true;   /* the next step starts it */
    return STORE_EAGAIN;
}

void store_set_nonblocking(store_t *st, bool on)
{
    if (st)
        st->nonblock = on;
}

int store_maintain(store_t *st, unsigned budget)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    bool more;
    rc = gc_step(st, budget ? budget : GC_BUDGET_DEFAULT, false, &more);
    return rc < 0 ? rc : more || st->gc_want;
}

int store_get_wear(store_t *st, store_wear_t *out)
{
    if (!st || !st->dev)
        return STORE_ENOTMOUNTED;
    memset(out, 0, sizeof *out);
    for (uint64_t a = st_ring_base(st); a < st->size; a += st->erase_size) {
        uint8_t h[REC_HDR], p[12];
        if (flash_read(st->dev, a, h, REC_HDR) != FLASH_OK ||
            flash_read(st->dev, a + REC_HDR, p, sizeof p) != FLASH_OK)
            return STORE_EIO;
        if (st_get16(h) != REC_MAGIC || h[2] != R_BLOCK ||
            st_get32(h + 4) != sizeof p ||
            st_rec_crc(st->fmt_id, h, p, sizeof p) != st_get32(h + 8))
            continue;
        uint32_t ec = st_get32(p + 8);
        if (!out->blocks || ec < out->min)
            out->min = ec;
        if (ec > out->max)
            out->max = ec;
        out->sum += ec;
        out->blocks++;
    }
    return STORE_OK;
}
