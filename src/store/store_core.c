/*
 * store_core.c - device life cycle: format, mount (checkpoint + replay),
 * commit, rollback, checkpoints and statistics.
 *
 * Anchor: erase blocks 0 and 1 hold checkpoints, alternately (sequence n
 * goes to block n & 1, which is erased first), so a cut while writing one
 * leaves the other.  A checkpoint holds the committed state (index root,
 * counters, the hot mailbox), the commit sequence, the log head and whether
 * the store was unmounted cleanly; its CRC is not seeded (it carries the
 * format id every other record is seeded with).
 *
 * Mount: the valid checkpoint with the highest sequence, then a scan of the
 * log from its head replaying commit records (sequence must follow); the
 * last one wins.  Whatever follows the last commit (a torn group, an
 * unfinished append) is dead: the head resumes right after the commit only
 * after a clean unmount and if the rest of that block is still erased, else
 * at the next block.  Then a fresh checkpoint.
 */
#include "store/store_priv.h"

/* A checkpoint every ring / STORE_CHECKPOINT_DIV bytes of log. */
#ifndef STORE_CHECKPOINT_DIV
#define STORE_CHECKPOINT_DIV 32
#endif

#define CKPT_SIZE (8 + 4 + 4 + 4 + 8 + 8 + 8 + 8 + STATE_SIZE + 4)
#define CKPT_CLEAN 0x1u  /* written by store_unmount: nothing follows */

typedef struct ckpt {
    uint64_t seq;
    uint32_t fmt_id, erase_size, prog_size;
    uint64_t size, commit_seq, head, gen;
    store_state_t state;
    uint32_t flags;
} ckpt_t;

const char *store_strerror(int err)
{
    switch (err) {
    case STORE_OK: return "ok";
    case STORE_ENOENT: return "no such entry";
    case STORE_EEXIST: return "already exists";
    case STORE_ENOSPC: return "store full";
    case STORE_EIO: return "flash I/O error";
    case STORE_ECORRUPT: return "store corrupt";
    case STORE_EINVAL: return "invalid argument";
    case STORE_ELIMIT: return "limit reached";
    case STORE_ENOTMOUNTED: return "store not mounted";
    case STORE_EAGAIN: return "compaction under way, try again";
    default: return "unknown store error";
    }
}

uint64_t st_name_hash(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    return (h >> 9) << 8;
}

void st_state_put(uint8_t *p, const store_state_t *s)
{
    st_put64(p, s->root);
    st_put32(p + 8, s->next_user_id);
    st_put32(p + 12, s->next_mbox_id);
    st_put32(p + 16, s->next_uidvalidity);
    st_put32(p + 20, s->users);
    st_put32(p + 24, s->mailboxes);
    st_put64(p + 28, s->messages);
    const store_hot_t *h = &s->hot;
    st_put32(p + 36, h->id);
    st_put32(p + 40, h->uidnext);
    st_put32(p + 44, h->messages);
    st_put32(p + 48, h->unseen);
    st_put32(p + 52, h->recent);
    st_put32(p + 56, h->first_recent_uid);
    st_put32(p + 60, h->nkeywords);
    st_put64(p + 64, h->highestmodseq);
    st_put64(p + 72, s->tail);
    st_put64(p + 80, s->tail_gen);
    st_put64(p + 88, s->tail_seq);
    st_put64(p + 96, s->mark);
    st_put64(p + 104, s->mark_gen);
    st_put64(p + 112, s->mark_seq);
    st_put64(p + 120, s->copied);
    memcpy(p + 128, s->cursor, 16);
    p[144] = s->phase;
    /* big and walk_big, 12 bits each in what were three zero bytes (an
     * older image reads 0: no big message known until its next pass) */
    unsigned b = st_big_code(s->big), w = st_big_code(s->walk_big);
    p[145] = (uint8_t)(b >> 4);
    p[146] = (uint8_t)((b & 15) << 4 | w >> 8);
    p[147] = (uint8_t)w;
    st_put64(p + 148, s->live);
    st_put64(p + 156, s->walk);
}

void st_state_get(const uint8_t *p, store_state_t *s)
{
    s->root = st_get64(p);
    s->next_user_id = st_get32(p + 8);
    s->next_mbox_id = st_get32(p + 12);
    s->next_uidvalidity = st_get32(p + 16);
    s->users = st_get32(p + 20);
    s->mailboxes = st_get32(p + 24);
    s->messages = st_get64(p + 28);
    store_hot_t *h = &s->hot;
    h->id = st_get32(p + 36);
    h->uidnext = st_get32(p + 40);
    h->messages = st_get32(p + 44);
    h->unseen = st_get32(p + 48);
    h->recent = st_get32(p + 52);
    h->first_recent_uid = st_get32(p + 56);
    h->nkeywords = st_get32(p + 60);
    h->highestmodseq = st_get64(p + 64);
    s->tail = st_get64(p + 72);
    s->tail_gen = st_get64(p + 80);
    s->tail_seq = st_get64(p + 88);
    s->mark = st_get64(p + 96);
    s->mark_gen = st_get64(p + 104);
    s->mark_seq = st_get64(p + 112);
    s->copied = st_get64(p + 120);
    memcpy(s->cursor, p + 128, 16);
    s->phase = p[144];
    s->big = st_big_chunks((unsigned)p[145] << 4 | p[146] >> 4);
    s->walk_big = st_big_chunks((unsigned)(p[146] & 15) << 8 | p[147]);
    s->live = st_get64(p + 148);
    s->walk = st_get64(p + 156);
}

int st_writable(store_t *st)
{
    if (!st || !st->dev)
        return STORE_ENOTMOUNTED;
    return st->broken ? STORE_EIO : STORE_OK;
}

/* Geometry the store can live on. */
static int geo_ok(const flash_geometry_t *g)
{
    uint32_t stride = g->prog_size > STORE_DATA_CHUNK ? g->prog_size
                                                      : STORE_DATA_CHUNK;
    if (!g->erase_size || !g->prog_size || g->prog_size > STORE_WBUF_SIZE ||
        STORE_WBUF_SIZE % g->prog_size || g->erase_size % g->prog_size ||
        (g->erase_size & (g->erase_size - 1)) ||
        g->erase_size < STORE_NODE_SIZE + 64 || g->erase_size < stride + 64 ||
        g->size % g->erase_size || g->size / g->erase_size < 4)
        return STORE_EINVAL;
    return STORE_OK;
}

static void chunk_geometry(store_t *st)
{
    /* a chunk is one prog-aligned stride; its last 4 bytes are the CRC */
    st->chunk_stride = (uint32_t)st_align_up(STORE_DATA_CHUNK, st->prog_size);
    st->chunk_payload = st->chunk_stride - 4;
}

static void ckpt_encode(uint8_t *p, const ckpt_t *c)
{
    st_put64(p, c->seq);
    st_put32(p + 8, c->fmt_id);
    st_put32(p + 12, c->erase_size);
    st_put32(p + 16, c->prog_size);
    st_put64(p + 20, c->size);
    st_put64(p + 28, c->commit_seq);
    st_put64(p + 36, c->head);
    st_put64(p + 44, c->gen);
    st_state_put(p + 52, &c->state);
    st_put32(p + 52 + STATE_SIZE, c->flags | STORE_FORMAT_VERSION << 8);
}

/* Checkpoint slots: a program-aligned record each; checkpoint n goes to
 * slot (n - 1) mod per of anchor block ((n - 1) / per) & 1, which is
 * erased when its slot 0 is written.  An anchor block is erased once per
 * per checkpoints, not at every one (wear). */
static uint32_t ckpt_slot_size(const flash_geometry_t *g)
{
    return (uint32_t)st_align_up(REC_HDR + CKPT_SIZE, g->prog_size);
}

static uint64_t ckpt_slot_addr(const flash_geometry_t *g, uint64_t seq)
{
    uint32_t per = g->erase_size / ckpt_slot_size(g);
    uint64_t k = seq - 1;
    return ((k / per) & 1) * (uint64_t)g->erase_size +
           (k % per) * (uint64_t)ckpt_slot_size(g);
}

/* Reads the checkpoint at addr; STORE_ECORRUPT if none. */
static int ckpt_read(const flash_dev_t *dev, uint64_t base, ckpt_t *c)
{
    uint8_t h[REC_HDR], p[CKPT_SIZE];
    if (flash_read(dev, base, h, REC_HDR) != FLASH_OK)
        return STORE_EIO;
    if (st_get16(h) != REC_MAGIC || h[2] != R_CKPT ||
        st_get32(h + 4) != CKPT_SIZE)
        return STORE_ECORRUPT;
    if (flash_read(dev, base + REC_HDR, p, CKPT_SIZE) != FLASH_OK)
        return STORE_EIO;
    if (st_rec_crc(0, h, p, CKPT_SIZE) != st_get32(h + 8))
        return STORE_ECORRUPT;
    c->seq = st_get64(p);
    c->fmt_id = st_get32(p + 8);
    c->erase_size = st_get32(p + 12);
    c->prog_size = st_get32(p + 16);
    c->size = st_get64(p + 20);
    c->commit_seq = st_get64(p + 28);
    c->head = st_get64(p + 36);
    c->gen = st_get64(p + 44);
    st_state_get(p + 52, &c->state);
    c->flags = st_get32(p + 52 + STATE_SIZE);
    if (c->flags >> 8 != STORE_FORMAT_VERSION)
        return STORE_ECORRUPT;
    c->flags &= 0xFF;
    if (c->seq == 0 || ckpt_slot_addr(&dev->geo, c->seq) != base)
        return STORE_ECORRUPT;
    return STORE_OK;
}

/* The valid checkpoint with the highest sequence in the anchor blocks. */
static int ckpt_best(const flash_dev_t *dev, ckpt_t *best, bool *have)
{
    uint32_t ss = ckpt_slot_size(&dev->geo);
    ckpt_t c;
    *have = false;
    for (uint64_t a = 0; a < 2ull * dev->geo.erase_size; a += ss) {
        int rc = ckpt_read(dev, a, &c);
        if (rc == STORE_EIO)
            return rc;
        if (rc == STORE_OK && (!*have || c.seq > best->seq)) {
            *best = c;
            *have = true;
        }
    }
    return STORE_OK;
}

/* Writes checkpoint c to its slot (erasing the block at slot 0); unit is
 * a buffer of at least one slot. */
static int ckpt_write(const flash_dev_t *dev, const ckpt_t *c, uint8_t *unit,
                      size_t cap)
{
    size_t len = ckpt_slot_size(&dev->geo);
    if (len > cap)
        return STORE_EINVAL;
    memset(unit, 0xFF, len);
    st_put16(unit, REC_MAGIC);
    unit[2] = R_CKPT;
    unit[3] = 0;
    st_put32(unit + 4, CKPT_SIZE);
    ckpt_encode(unit + REC_HDR, c);
    st_put32(unit + 8, st_rec_crc(0, unit, unit + REC_HDR, CKPT_SIZE));
    uint64_t base = ckpt_slot_addr(&dev->geo, c->seq);
    if ((base % dev->geo.erase_size == 0 &&
         flash_erase(dev, base) != FLASH_OK) ||
        flash_prog(dev, base, unit, len) != FLASH_OK ||
        flash_sync(dev) != FLASH_OK)
        return STORE_EIO;
    return STORE_OK;
}

static int checkpoint(store_t *st, uint32_t flags)
{
    int rc = log_flush(st);
    if (rc < 0)
        return rc;
    ckpt_t c = {
        .seq = st->ckpt_seq + 1, .fmt_id = st->fmt_id,
        .erase_size = st->erase_size, .prog_size = st->prog_size,
        .size = st->size, .commit_seq = st->commit_seq, .head = st->head,
        .gen = st->gen, .state = st->com, .flags = flags,
    };
    rc = ckpt_write(st->dev, &c, st->scratch, sizeof st->scratch);
    if (rc < 0) {
        st->broken = true;
        return rc;
    }
    st->ckpt_seq = c.seq;
    st->since_ckpt = 0;
    st->ckpt_head = st->head;
    return STORE_OK;
}

int store_format(const flash_dev_t *dev, uint32_t now_unix)
{
    if (!dev || geo_ok(&dev->geo) < 0)
        return STORE_EINVAL;
    /* a new format id, so records of an earlier format never validate */
    uint32_t old = 0;
    ckpt_t c;
    bool have;
    if (ckpt_best(dev, &c, &have) < 0)
        return STORE_EIO;
    if (have)
        old = c.fmt_id + 1;
    uint32_t fmt = old ^ (now_unix * 2654435761u);
    if (fmt == 0)
        fmt = 1;
    if (flash_erase(dev, 0) != FLASH_OK ||
        flash_erase(dev, dev->geo.erase_size) != FLASH_OK)
        return STORE_EIO;
    uint64_t base = 2ull * dev->geo.erase_size;
    c = (ckpt_t){
        .seq = 1, .fmt_id = fmt, .erase_size = dev->geo.erase_size,
        .prog_size = dev->geo.prog_size, .size = dev->geo.size,
        .commit_seq = 0, .head = base, .gen = 0,
        .state = { .root = 0, .next_user_id = 1, .next_mbox_id = 1,
                   .next_uidvalidity = now_unix ? now_unix : 1,
                   .tail = base },
        .flags = CKPT_CLEAN,
    };
    uint8_t unit[STORE_WBUF_SIZE > 256 ? STORE_WBUF_SIZE : 256];
    return ckpt_write(dev, &c, unit, sizeof unit);
}

/* True when [a, end of its block) is still erased. */
static int rest_erased(store_t *st, uint64_t a, bool *yes)
{
    uint8_t b[64];
    uint64_t end = (a / st->erase_size + 1) * st->erase_size;
    *yes = true;
    while (a < end) {
        size_t k = end - a < sizeof b ? (size_t)(end - a) : sizeof b;
        if (st_fread(st, a, b, k) < 0)
            return STORE_EIO;
        for (size_t i = 0; i < k; i++)
            if (b[i] != 0xFF) {
                *yes = false;
                return STORE_OK;
            }
        a += k;
    }
    return STORE_OK;
}

static bool state_ok(const store_t *st, const store_state_t *s)
{
    return s->next_user_id && s->next_mbox_id &&
           s->hot.id < s->next_mbox_id &&
           (s->hot.id == 0 ||
            (s->hot.uidnext && s->hot.nkeywords <= IMAP_KEYWORDS_MAX)) &&
           s->tail >= st_ring_base(st) && s->tail % st->erase_size == 0 &&
           s->phase <= 3 && (s->mark == 0 || s->mark > s->tail) &&
           (s->root == 0 || s->root >= s->tail);
}

int store_mount(store_t *st, const flash_dev_t *dev)
{
    if (!st || !dev)
        return STORE_EINVAL;
    memset(st, 0, sizeof *st);
    st->tree_ver = 1;  /* the zeroed rank cache is not valid */
    if (geo_ok(&dev->geo) < 0)
        return STORE_EINVAL;
    ckpt_t best = { 0 };
    bool have = false;
    int crc = ckpt_best(dev, &best, &have);
    if (crc < 0)
        return crc;
    if (!have)
        return STORE_ECORRUPT;
    if (best.erase_size != dev->geo.erase_size ||
        best.prog_size != dev->geo.prog_size || best.size != dev->geo.size)
        return STORE_EINVAL;
    st->dev = dev;
    st->size = dev->geo.size;
    st->erase_size = dev->geo.erase_size;
    st->prog_size = dev->geo.prog_size;
    chunk_geometry(st);
    st->ring = st->size - 2ull * st->erase_size;
    st->ckpt_slots = st->erase_size / ckpt_slot_size(&dev->geo);
    /* a checkpoint every 1/32 of the ring: the anchor blocks wear like
     * the ring's, and a mount replays at most that much log */
    st->ckpt_bytes = st->ring / STORE_CHECKPOINT_DIV;
    st->fmt_id = best.fmt_id;
    /* the next checkpoint starts a fresh anchor block: the slot after the
     * best one may hold a torn write that reads erased (NAND) */
    st->ckpt_seq = (best.seq - 1) / st->ckpt_slots * st->ckpt_slots +
                   st->ckpt_slots;
    st->ok_chunk = UINT64_MAX;
    st->com = st->cur = best.state;
    if (!state_ok(st, &best.state) || best.head < best.state.tail ||
        best.head > best.state.tail + st->ring || best.head % st->prog_size) {
        st->dev = NULL;
        return STORE_ECORRUPT;
    }
    st->head = st->wb_base = best.head;
    st->gen = best.gen;
    st->cur_blk = best.head % st->erase_size ? best.head / st->erase_size
                                             : NO_BLOCK;

    log_scan_t sc = { .pos = st->head, .gen = st->gen,
                      .cur_blk = st->cur_blk, .seq = best.commit_seq };
    int rc = log_scan(st, &sc);
    if (rc < 0) {
        st->dev = NULL;
        return rc;
    }
    store_state_t state = best.state;
    uint64_t ce = st->head, cgen = st->gen, cblk = st->cur_blk;
    if (sc.found) {
        if (!state_ok(st, &sc.state)) {
            st->dev = NULL;
            return STORE_ECORRUPT;
        }
        state = sc.state;
        ce = sc.c_end;
        cgen = sc.c_gen;
        cblk = sc.c_blk;
    }
    st->commit_seq = sc.seq;
    st->cur = st->com = state;

    /* where the head resumes */
    uint64_t h = st_align_up(ce, st->prog_size);
    bool clean = sc.v_end <= ce;
    st->recovered = !(best.flags & CKPT_CLEAN) && (!clean || sc.bad);
    if (clean && h % st->erase_size && h < st->com.tail + st->ring) {
        rc = rest_erased(st, h, &clean);
        if (rc < 0) {
            st->dev = NULL;
            return rc;
        }
    }
    /* after a power cut, a program may have been torn anywhere after the
     * last commit, even where the bytes still read 0xFF: never program
     * that block again (FLASH_F_PROG_ONCE), resume in the next one */
    if (clean && !(best.flags & CKPT_CLEAN) && h % st->erase_size)
        clean = false;
    if (!clean && sc.v_end <= ce && h % st->erase_size) {
        st->head = (h / st->erase_size + 1) * st->erase_size;
        st->gen = cgen;
        st->cur_blk = NO_BLOCK;
    } else if (clean) {
        st->head = h;
        st->gen = cgen;
        st->cur_blk = h % st->erase_size ? cblk : NO_BLOCK;
    } else {
        uint64_t lim = st->com.tail + st->ring;
        uint64_t s = sc.stop < lim ? sc.stop : lim;
        if (s % st->erase_size == 0 && sc.stop_blk != s / st->erase_size)
            st->head = s;
        else
            st->head = (s / st->erase_size + 1) * st->erase_size;
        if (st->head > lim)
            st->head = lim;
        st->gen = sc.stop_gen;
        st->cur_blk = NO_BLOCK;
    }
    st->wb_base = st->head;

    /* the root must at least load */
    if (st->cur.root) {
        uint8_t k[KEY_SIZE] = { 0 };
        rc = tree_get(st, k, NULL, NULL);
        if (rc < 0 && rc != STORE_ENOENT) {
            st->dev = NULL;
            return rc;
        }
    }
    rc = checkpoint(st, 0);
    if (rc < 0) {
        st->dev = NULL;
        return rc;
    }
    return STORE_OK;
}

int store_commit(store_t *st)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!st->pending)
        return STORE_OK;
    uint64_t before = st->head;
    rc = tree_flush(st);
    if (rc < 0)
        return rc;
    uint8_t p[8 + STATE_SIZE];
    st_put64(p, st->commit_seq + 1);
    st_state_put(p + 8, &st->cur);
    rc = log_append(st, R_COMMIT, p, sizeof p, NULL);
    if (rc == STORE_OK)
        rc = log_flush(st);
    if (rc == STORE_OK && flash_sync(st->dev) != FLASH_OK) {
        st->broken = true;
        rc = STORE_EIO;
    }
    if (rc < 0)
        return rc;
    st->commit_seq++;
    bool moved = st->com.tail != st->cur.tail;
    st->com = st->cur;
    st->pending = false;
    st->since_ckpt++;
    /* a checkpoint right after the tail moved: a mount never scans from
     * below the tail, whose blocks the head may now reuse */
    if (moved || st->head - st->ckpt_head >= st->ckpt_bytes) {
        rc = checkpoint(st, 0);
        if (rc < 0)
            return rc;
    }
    if (st->in_gc)
        return STORE_OK;
    return st_gc_after_commit(st, st->head - before);
}

void store_rollback(store_t *st)
{
    if (!st || !st->dev)
        return;
    tree_drop(st);
    st->cur = st->com;
    st->pending = false;
}

int store_unmount(store_t *st)
{
    int rc = st_writable(st);
    if (rc < 0) {
        if (st)
            st->dev = NULL;
        return rc;
    }
    rc = store_commit(st);
    if (rc == STORE_OK)
        rc = checkpoint(st, CKPT_CLEAN);
    st->dev = NULL;
    return rc;
}

int store_get_stat(store_t *st, store_stat_t *out)
{
    if (!st || !st->dev)
        return STORE_ENOTMOUNTED;
    memset(out, 0, sizeof *out);
    out->device_size = st->size;
    out->used = st->head - st->com.tail;
    out->free = st_free(st);
    out->ring = st->ring;
    out->compacting = st->com.mark != 0;
    out->reserve = st_reserve(st);
    out->recovered = st->recovered;
    out->live = st->com.live < out->used ? st->com.live : out->used;
    out->passes = st->passes;
    out->step_max = st->gc_step_max;
    out->users = st->cur.users;
    out->mailboxes = st->cur.mailboxes;
    out->messages = st->cur.messages;
    return STORE_OK;
}
