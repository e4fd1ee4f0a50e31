/*
 * store_msg.c - messages: APPEND streaming into a reserved data region,
 * reads, flags, expunge and copy.
 *
 * A message of at most one chunk's payload is one DATA record in the log
 * (data_addr = DATA_INLINE | record address; the record CRC covers it).
 *
 * Data region (larger messages): ceil(size / payload) chunks of chunk_stride bytes (a
 * multiple of the program unit, STORE_DATA_CHUNK rounded up).  A chunk holds
 * chunk_payload = stride - 4 message bytes, then 0xFF, and its CRC32 in its
 * last 4 bytes (seeded with the format id and the chunk address, so a chunk
 * read at the wrong place fails).  Byte offset o is in chunk o / payload:
 * reads at any offset are O(1).  Units of a short last chunk that would be
 * all 0xFF are left unprogrammed.  The region may span erase blocks (see
 * store_log.c); a copy shares the region (v1 never frees data).
 *
 * Message record (MSG): flags u32, keywords u64, modseq u64, internaldate
 * i64, tz i16, size u32, hdr_size u32, data_addr u64, xmodseq u64,
 * amodseq u64 (its append's modseq; not in store_msg_t).
 * A message whose flags changed also has (mbox, CHG, modseq) -> uid, so
 * changes since a modseq are found without visiting every message.  An
 * append takes modseq = ++highestmodseq with uid = uidnext++, so messages
 * never changed since their append have modseqs in uid order (amodseq is
 * kept in the record for that: "appended after modseq X" is a search by
 * uid, for QRESYNC).  An expunged message has (mbox, XPEND, uid) ->
 * xmodseq until it is purged.
 */
#include "store/store_priv.h"

#define MSG_SIZE 62

static void msg_encode(uint8_t *v, const store_msg_t *m, uint64_t amodseq)
{
    st_put32(v, m->flags);
    st_put64(v + 4, m->keywords);
    st_put64(v + 12, m->modseq);
    st_put64(v + 20, (uint64_t)m->internaldate);
    st_put16(v + 28, (uint16_t)m->tz_minutes);
    st_put32(v + 30, m->size);
    st_put32(v + 34, m->hdr_size);
    st_put64(v + 38, m->data_addr);
    st_put64(v + 46, m->xmodseq);
    st_put64(v + 54, amodseq);
}

/* A message's raw record into v (VAL_MAX bytes) and its key into k. */
static int msg_record(store_t *st, uint32_t mbox_id, uint32_t uid,
                      uint8_t *k, uint8_t *v)
{
    size_t vl;
    key_make(k, mbox_id, K_MSG, uid);
    int rc = tree_get(st, k, v, &vl);
    if (rc < 0)
        return rc;
    return vl == MSG_SIZE ? STORE_OK : STORE_ECORRUPT;
}

int st_msg_load(store_t *st, uint32_t mbox_id, uint32_t uid, store_msg_t *m)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    int rc = msg_record(st, mbox_id, uid, k, v);
    if (rc < 0)
        return rc;
    return st_msg_decode(uid, v, MSG_SIZE, m);
}

int st_msg_decode(uint32_t uid, const uint8_t *v, size_t vl, store_msg_t *m)
{
    if (vl != MSG_SIZE)
        return STORE_ECORRUPT;
    m->uid = uid;
    m->flags = st_get32(v) & STORE_F_ALL;
    m->keywords = st_get64(v + 4);
    m->modseq = st_get64(v + 12);
    m->internaldate = (int64_t)st_get64(v + 20);
    m->tz_minutes = (int16_t)st_get16(v + 28);
    m->size = st_get32(v + 30);
    m->hdr_size = st_get32(v + 34);
    m->data_addr = st_get64(v + 38);
    m->xmodseq = st_get64(v + 46);
    if (m->hdr_size > m->size)
        return STORE_ECORRUPT;
    return STORE_OK;
}

int st_msg_save(store_t *st, uint32_t mbox_id, const store_msg_t *m)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t vl;
    uint64_t amodseq = m->modseq;  /* a new message: its append */
    uint32_t keep = 0;
    key_make(k, mbox_id, K_MSG, m->uid);
    int rc = tree_get(st, k, v, &vl);
    if (rc == STORE_OK && vl == MSG_SIZE) {
        amodseq = st_get64(v + 54);
        keep = st_get32(v) & MSGF_SHARED;
    } else if (rc < 0 && rc != STORE_ENOENT) {
        return rc;
    }
    msg_encode(v, m, amodseq);
    st_put32(v, (m->flags & STORE_F_ALL) | keep);
    rc = tree_put(st, k, v, MSG_SIZE);
    if (rc < 0)
        return st_fail(st, rc);
    st->pending = true;
    return STORE_OK;
}

int st_msg_raw_flags(store_t *st, uint32_t mbox_id, uint32_t uid,
                     uint32_t *flags)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    int rc = msg_record(st, mbox_id, uid, k, v);
    if (rc < 0)
        return rc;
    *flags = st_get32(v);
    return STORE_OK;
}

int st_msg_mark_shared(store_t *st, uint32_t mbox_id, uint32_t uid)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    int rc = msg_record(st, mbox_id, uid, k, v);
    if (rc < 0)
        return rc;
    if (st_get32(v) & MSGF_SHARED)
        return STORE_OK;
    st_put32(v, st_get32(v) | MSGF_SHARED);
    rc = tree_put(st, k, v, MSG_SIZE);
    if (rc < 0)
        return st_fail(st, rc);
    st->pending = true;
    return STORE_OK;
}

static int chg_set(store_t *st, uint32_t mbox_id, uint64_t old_modseq,
                   uint64_t modseq, uint32_t uid)
{
    uint8_t k[KEY_SIZE], v[4];
    int rc;
    if (old_modseq) {
        key_make(k, mbox_id, K_CHG, old_modseq);
        rc = tree_del(st, k);
        if (rc < 0 && rc != STORE_ENOENT)
            return st_fail(st, rc);
    }
    key_make(k, mbox_id, K_CHG, modseq);
    st_put32(v, uid);
    rc = tree_put(st, k, v, 4);
    return rc < 0 ? st_fail(st, rc) : STORE_OK;
}

static uint64_t kw_mask(uint32_t n)
{
    return n >= 64 ? UINT64_MAX : ((1ull << n) - 1);
}

/* ---- append -------------------------------------------------------------- */

int store_append_begin(store_t *st, store_append_t *a, uint32_t mbox_id,
                       uint32_t size, uint32_t flags, uint64_t keywords,
                       int64_t internaldate, int16_t tz_minutes)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    memset(a, 0, sizeof *a);
    store_mbox_t m;
    rc = st_mbox_load(st, mbox_id, &m);
    if (rc < 0)
        return rc;
    uint64_t chunks = st_chunks(st, size);
    uint64_t addr = 0;
    /* the data, its record or chunk padding, and an index path */
    rc = st_admit(st, chunks * st->chunk_stride + 3ull * STORE_NODE_SIZE +
                          st->prog_size);
    if (rc < 0)
        return rc;
    if (chunks > 1) {
        rc = log_reserve(st, chunks * st->chunk_stride, &addr);
        if (rc < 0)
            return rc;
    }
    a->mbox_id = mbox_id;
    a->size = size;
    a->flags = flags & STORE_F_ALL;
    a->keywords = keywords;
    a->internaldate = internaldate;
    a->tz_minutes = tz_minutes;
    a->data_addr = addr;
    a->hdr_state = 1;  /* at the start of a line */
    a->active = true;
    st->appends++;
    return STORE_OK;
}

/* The header ends at the first empty line (CRLF CRLF or LF LF).
 * States: 0 inside a line, 1 at a line start, 2 after CR at a line start. */
static void hdr_scan(store_append_t *a, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && !a->hdr_done; i++) {
        uint8_t c = p[i];
        if (c == '\n') {
            if (a->hdr_state != 0) {
                a->hdr_done = true;
                a->hdr_size = a->written + (uint32_t)i + 1;
            }
            a->hdr_state = 1;
        } else if (c == '\r' && a->hdr_state == 1) {
            a->hdr_state = 2;
        } else {
            a->hdr_state = 0;
        }
    }
}

static void append_end(store_t *st, store_append_t *a)
{
    if (a->active && st->appends)
        st->appends--;
    a->active = false;
}

static uint32_t chunk_crc(const store_t *st, uint64_t addr, const void *p,
                          size_t n)
{
    uint8_t s[12];
    st_put32(s, st->fmt_id);
    st_put64(s + 4, addr);
    return crc32_update(crc32_update(0, s, sizeof s), p, n);
}

static int prog(store_t *st, uint64_t addr, const void *p, size_t n)
{
    return st_fprog(st, addr, p, n);
}

/* Writes chunk number idx holding n bytes (n <= payload). */
static int chunk_write(store_t *st, uint64_t addr, const uint8_t *p, size_t n)
{
    uint32_t ps = st->prog_size, stride = st->chunk_stride;
    uint32_t cb = (stride - 4) / ps * ps;   /* start of the unit(s) with the CRC */
    uint8_t *u = st->scratch;
    size_t d = n / ps * ps;
    if (d > cb)
        d = cb;
    int rc = STORE_OK;
    if (d)
        rc = prog(st, addr, p, d);
    if (rc == STORE_OK && n > d && n <= cb) {
        /* a partial unit before the CRC unit */
        memset(u, 0xFF, ps);
        memcpy(u, p + d, n - d);
        rc = prog(st, addr + d, u, ps);
        d = n;
    }
    if (rc < 0)
        return rc;
    memset(u, 0xFF, stride - cb);
    if (n > cb)
        memcpy(u, p + cb, n - cb);
    st_put32(u + (stride - cb) - 4, chunk_crc(st, addr, p, n));
    return prog(st, addr + cb, u, stride - cb);
}

long store_append_write(store_t *st, store_append_t *a, const void *data,
                        size_t len)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!a || !a->active)
        return STORE_EINVAL;
    const uint8_t *p = data;
    size_t taken = 0;
    if (a->size <= st->chunk_payload) {
        /* small: the whole message as one DATA record */
        if (a->written == a->size || len < a->size)
            return 0;
        uint64_t addr;
        rc = log_append(st, R_DATA, p, a->size, &addr);
        if (rc < 0) {
            append_end(st, a);
            return rc;
        }
        a->data_addr = DATA_INLINE | addr;
        hdr_scan(a, p, a->size);
        a->written = a->size;
        return (long)a->size;
    }
    while (a->written < a->size) {
        uint32_t rest = a->size - a->written;
        size_t n = rest < st->chunk_payload ? rest : st->chunk_payload;
        if (len - taken < n)
            break;
        uint64_t idx = a->written / st->chunk_payload;
        uint64_t addr = a->data_addr + idx * st->chunk_stride;
        uint64_t chunks = st_chunks(st, a->size);
        rc = st_region_erase(st, addr, a->data_addr + chunks * st->chunk_stride);
        if (rc == STORE_OK)
            rc = chunk_write(st, addr, p + taken, n);
        if (rc < 0) {
            append_end(st, a);
            return rc;
        }
        hdr_scan(a, p + taken, n);
        a->written += (uint32_t)n;
        taken += n;
    }
    return (long)taken;
}

/* A new message (APPEND or COPY, saved with uid mb->uidnext) joins its
 * mailbox: the mailbox counters and the store's message count follow. */
static int mbox_took_message(store_t *st, store_mbox_t *mb,
                             const store_msg_t *m, uint32_t *uid_out)
{
    mb->uidnext++;
    mb->highestmodseq = m->modseq;
    mb->messages++;
    mb->recent++;
    if (!(m->flags & STORE_F_SEEN))
        mb->unseen++;
    int rc = st_mbox_save(st, mb);
    if (rc < 0)
        return rc;
    st->cur.messages++;
    if (uid_out)
        *uid_out = m->uid;
    return STORE_OK;
}

int store_append_finish(store_t *st, store_append_t *a, uint32_t *uid_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!a || !a->active || a->written != a->size)
        return STORE_EINVAL;
    /* data written before a compaction pass began must move above its
     * mark now (the pass may have walked past this mailbox); data below
     * the tail is gone (a pass ended while the append went on) */
    uint64_t da = a->data_addr & ~DATA_INLINE;
    if (a->data_addr && da < st->com.tail) {
        append_end(st, a);
        return STORE_ENOSPC;
    }
    if (a->data_addr && st->cur.mark && da < st->cur.mark) {
        rc = st_gc_move_append(st, a);
        if (rc == STORE_EAGAIN)
            return rc;   /* still active: the pass waits for it */
        if (rc < 0) {
            append_end(st, a);
            return st_fail(st, rc);
        }
    }
    append_end(st, a);
    store_mbox_t mb;
    rc = st_mbox_load(st, a->mbox_id, &mb);
    if (rc < 0)
        return rc;
    if (mb.uidnext == UINT32_MAX)
        return STORE_ELIMIT;
    store_msg_t m = {
        .uid = mb.uidnext, .flags = a->flags,
        .keywords = a->keywords & kw_mask(mb.nkeywords),
        .modseq = mb.highestmodseq + 1, .internaldate = a->internaldate,
        .tz_minutes = a->tz_minutes, .size = a->size,
        .hdr_size = a->hdr_done ? a->hdr_size : a->size,
        .data_addr = a->data_addr, .xmodseq = 0,
    };
    rc = st_msg_save(st, a->mbox_id, &m);
    if (rc < 0)
        return rc;
    st_live_add(st, st_data_bytes(st, m.data_addr, m.size) + 2 * 80);
    st_big_note(st, m.data_addr, m.size);
    return mbox_took_message(st, &mb, &m, uid_out);
}

void store_append_abort(store_t *st, store_append_t *a)
{
    if (a && st)
        append_end(st, a);  /* the region is dead log space */
}

/* ---- reading ------------------------------------------------------------- */

int store_msg_get(store_t *st, uint32_t mbox_id, uint32_t uid,
                  store_msg_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    return st_msg_load(st, mbox_id, uid, out);
}

int store_msg_next(store_t *st, uint32_t mbox_id, uint32_t from,
                   store_msg_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    uint64_t uid;
    rc = st_seek_kind(st, mbox_id, K_MSG, from, &uid, NULL, NULL);
    if (rc < 0)
        return rc;
    return st_msg_load(st, mbox_id, (uint32_t)uid, out);
}

/* A DATA record: header, then the message; the CRC is checked over the
 * whole record (once per record while reads stay on it). */
static long inline_read(store_t *st, const store_msg_t *m, uint32_t offset,
                        void *buf, size_t len)
{
    uint64_t addr = m->data_addr & ~DATA_INLINE;
    uint8_t h[REC_HDR];
    if (m->size > st->chunk_payload || !st_in_log(st, addr) ||
        addr + REC_HDR + (uint64_t)m->size > st->head)
        return STORE_ECORRUPT;
    if (len > m->size - offset)
        len = m->size - offset;
    if (addr == st->ok_chunk) {
        int rc = log_read(st, addr + REC_HDR + offset, buf, len);
        return rc < 0 ? rc : (long)len;
    }
    if (REC_HDR + (size_t)m->size <= sizeof st->scratch) {
        /* the whole record in one read (SEARCH TEXT reads every message) */
        uint8_t *r = st->scratch;
        int rc = log_read(st, addr, r, REC_HDR + m->size);
        if (rc < 0)
            return rc;
        if (st_get16(r) != REC_MAGIC || r[2] != R_DATA ||
            st_get32(r + 4) != m->size ||
            st_rec_crc(st->fmt_id, r, r + REC_HDR, m->size) != st_get32(r + 8))
            return STORE_ECORRUPT;
        memcpy(buf, r + REC_HDR + offset, len);
        st->ok_chunk = addr;
        return (long)len;
    }
    int rc = log_read(st, addr, h, REC_HDR);
    if (rc < 0)
        return rc;
    if (st_get16(h) != REC_MAGIC || h[2] != R_DATA || st_get32(h + 4) != m->size)
        return STORE_ECORRUPT;
    uint8_t s4[4], piece[128];
    st_put32(s4, st->fmt_id);
    uint32_t crc = crc32_update(crc32_update(0, s4, 4), h, 8);
    uint8_t *out = buf;
    for (uint32_t o = 0; o < m->size;) {
        uint32_t k = m->size - o < sizeof piece ? m->size - o : (uint32_t)sizeof piece;
        rc = log_read(st, addr + REC_HDR + o, piece, k);
        if (rc < 0)
            return rc;
        crc = crc32_update(crc, piece, k);
        uint32_t a = o > offset ? o : offset;
        uint32_t b = o + k < offset + len ? o + k : offset + (uint32_t)len;
        if (a < b)
            memcpy(out + (a - offset), piece + (a - o), b - a);
        o += k;
    }
    if (crc != st_get32(h + 8))
        return STORE_ECORRUPT;
    st->ok_chunk = addr;
    return (long)len;
}

int store_msg_follow(store_t *st, uint32_t mbox_id, store_msg_t *m)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (m->data_addr == DATA_LOST ||
        (m->data_addr & ~DATA_INLINE) >= st->com.tail)
        return STORE_OK;   /* still where it was: intact until the tail */
    store_msg_t now;
    rc = st_msg_load(st, mbox_id, m->uid, &now);
    if (rc < 0)
        return rc;
    if (now.size != m->size)
        return STORE_ECORRUPT;
    m->data_addr = now.data_addr;
    return STORE_OK;
}

long store_msg_read(store_t *st, const store_msg_t *m, uint32_t offset,
                    void *buf, size_t len)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (offset >= m->size || !len)
        return 0;
    if (m->data_addr & DATA_INLINE)
        return inline_read(st, m, offset, buf, len);
    uint32_t pl = st->chunk_payload;
    uint64_t chunks = (m->size + (uint64_t)pl - 1) / pl;
    if (!st_in_log(st, m->data_addr) || m->data_addr % st->prog_size ||
        m->data_addr + chunks * st->chunk_stride > st->head)
        return STORE_ECORRUPT;
    if (len > m->size - offset)
        len = m->size - offset;
    uint8_t *out = buf;
    size_t done = 0;
    while (done < len) {
        uint32_t off = offset + (uint32_t)done;
        uint64_t idx = off / pl;
        uint64_t addr = m->data_addr + idx * st->chunk_stride;
        uint32_t n = m->size - (uint32_t)(idx * pl) < pl
                         ? m->size - (uint32_t)(idx * pl) : pl;
        uint32_t lo = off - (uint32_t)(idx * pl);
        uint32_t hi = lo + (uint32_t)(len - done) < n ? lo + (uint32_t)(len - done) : n;
        if (addr != st->ok_chunk && st->chunk_stride <= sizeof st->scratch) {
            /* the whole chunk and its CRC in one read */
            uint8_t *c = st->scratch;
            if (st_fread(st, addr, c, st->chunk_stride) < 0)
                return STORE_EIO;
            if (chunk_crc(st, addr, c, n) != st_get32(c + st->chunk_stride - 4))
                return STORE_ECORRUPT;
            memcpy(out + done, c + lo, hi - lo);
            st->ok_chunk = addr;
        } else if (addr != st->ok_chunk) {
            /* verify the whole chunk, copying the wanted part on the way */
            uint8_t piece[128], c4[4];
            uint8_t s[12];
            st_put32(s, st->fmt_id);
            st_put64(s + 4, addr);
            uint32_t crc = crc32_update(0, s, sizeof s);
            for (uint32_t o = 0; o < n;) {
                uint32_t k = n - o < sizeof piece ? n - o : (uint32_t)sizeof piece;
                if (st_fread(st, addr + o, piece, k) < 0)
                    return STORE_EIO;
                crc = crc32_update(crc, piece, k);
                uint32_t a = o > lo ? o : lo, b = o + k < hi ? o + k : hi;
                if (a < b)
                    memcpy(out + done + (a - lo), piece + (a - o), b - a);
                o += k;
            }
            if (st_fread(st, addr + st->chunk_stride - 4, c4, 4) < 0)
                return STORE_EIO;
            if (crc != st_get32(c4))
                return STORE_ECORRUPT;
            st->ok_chunk = addr;
        } else if (st_fread(st, addr + lo, out + done, hi - lo) < 0) {
            return STORE_EIO;
        }
        done += hi - lo;
    }
    return (long)done;
}

/* ---- changes ------------------------------------------------------------- */

int store_msg_set_flags(store_t *st, uint32_t mbox_id, uint32_t uid,
                        uint32_t flags, uint64_t keywords, uint64_t *modseq_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t mb;
    store_msg_t m;
    rc = st_mbox_load(st, mbox_id, &mb);
    if (rc == STORE_OK)
        rc = st_msg_load(st, mbox_id, uid, &m);
    if (rc < 0)
        return rc;
    flags &= STORE_F_ALL;
    keywords &= kw_mask(mb.nkeywords);
    if (m.xmodseq || (flags == m.flags && keywords == m.keywords)) {
        if (modseq_out)
            *modseq_out = m.modseq;
        return STORE_OK;  /* nothing changes (an expunged message stays) */
    }
    uint64_t old = m.modseq;
    if (!(m.flags & STORE_F_SEEN) && (flags & STORE_F_SEEN))
        mb.unseen--;
    else if ((m.flags & STORE_F_SEEN) && !(flags & STORE_F_SEEN))
        mb.unseen++;
    m.flags = flags;
    m.keywords = keywords;
    m.modseq = ++mb.highestmodseq;
    rc = st_msg_save(st, mbox_id, &m);
    if (rc == STORE_OK)
        rc = chg_set(st, mbox_id, old, m.modseq, uid);
    if (rc == STORE_OK)
        rc = st_mbox_save(st, &mb);
    if (rc < 0)
        return rc;
    if (modseq_out)
        *modseq_out = m.modseq;
    return STORE_OK;
}

int store_msg_expunge(store_t *st, uint32_t mbox_id, uint32_t uid)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t mb;
    store_msg_t m;
    rc = st_mbox_load(st, mbox_id, &mb);
    if (rc == STORE_OK)
        rc = st_msg_load(st, mbox_id, uid, &m);
    if (rc < 0)
        return rc;
    if (m.xmodseq)
        return STORE_OK;
    m.xmodseq = ++mb.highestmodseq;
    mb.messages--;
    if (!(m.flags & STORE_F_SEEN))
        mb.unseen--;
    if (uid >= mb.first_recent_uid && mb.recent)
        mb.recent--;
    uint8_t k[KEY_SIZE], v[8];
    key_make(k, mbox_id, K_XPEND, uid);
    st_put64(v, m.xmodseq);
    rc = st_msg_save(st, mbox_id, &m);
    if (rc == STORE_OK) {
        rc = tree_put(st, k, v, 8);
        if (rc == STORE_OK) {
            uint8_t u4[4];
            key_make(k, mbox_id, K_XBYMS, m.xmodseq);
            st_put32(u4, uid);
            rc = tree_put(st, k, u4, 4);
        }
        if (rc < 0)
            return st_fail(st, rc);
        rc = st_mbox_save(st, &mb);
    }
    if (rc < 0)
        return rc;
    st->cur.messages--;
    return STORE_OK;
}

int store_msg_copy(store_t *st, uint32_t src_mbox_id, const store_msg_t *m,
                   uint32_t dst_mbox_id, uint32_t *uid_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t mb;
    rc = st_mbox_load(st, dst_mbox_id, &mb);
    if (rc < 0)
        return rc;
    rc = st_admit(st, 4ull * STORE_NODE_SIZE);
    if (rc == STORE_OK)
        rc = st_gc_hold_copy(st, src_mbox_id, m->uid);
    if (rc < 0)
        return rc;
    /* keywords by name; one that does not fit the destination is dropped */
    uint64_t kw = 0;
    for (unsigned i = 0; i < 64; i++) {
        if (!(m->keywords & (1ull << i)))
            continue;
        char name[IMAP_KEYWORD_LEN_MAX + 1];
        unsigned j;
        rc = store_keyword_name(st, src_mbox_id, i, name, sizeof name);
        if (rc == STORE_ENOENT || rc == STORE_ELIMIT)
            continue;
        if (rc == STORE_OK)
            rc = store_keyword_find(st, dst_mbox_id, name, true, &j);
        if (rc == STORE_ELIMIT || rc == STORE_EINVAL)
            continue;
        if (rc < 0)
            return rc;
        kw |= 1ull << j;
    }
    rc = st_mbox_load(st, dst_mbox_id, &mb);  /* nkeywords may have grown */
    if (rc < 0)
        return rc;
    if (mb.uidnext == UINT32_MAX)
        return STORE_ELIMIT;
    store_msg_t c = *m;
    /* the data is shared from now on: compaction moves it once for all
     * its copies; a pass under way moves it before the copy exists */
    rc = st_msg_load(st, src_mbox_id, m->uid, &c);
    if (rc == STORE_OK)
        rc = st_msg_mark_shared(st, src_mbox_id, m->uid);
    if (rc == STORE_OK && st->cur.mark && c.data_addr != DATA_LOST &&
        (c.data_addr & ~DATA_INLINE) < st->cur.mark)
        rc = st_gc_relocate(st, &c.data_addr, c.size, true);
    if (rc < 0)
        return st_fail(st, rc);
    c.uid = mb.uidnext;
    c.flags = m->flags & STORE_F_ALL;
    c.keywords = kw;
    c.modseq = mb.highestmodseq + 1;
    c.xmodseq = 0;
    rc = st_msg_save(st, dst_mbox_id, &c);
    if (rc == STORE_OK)
        rc = st_msg_mark_shared(st, dst_mbox_id, c.uid);
    if (rc < 0)
        return rc;
    st_live_add(st, 2 * 80);
    return mbox_took_message(st, &mb, &c, uid_out);
}

/* ---- compaction: moving data -------------------------------------------- */

/* Copies chunks [from, to) of the region at old (a message of size bytes)
 * to the region reserved at na, each CRC checked: STORE_OK, 1 when a chunk
 * fails its CRC (the message is damaged), or an error. */
static int chunks_copy(store_t *st, uint64_t old, uint32_t size, uint64_t na,
                       uint64_t from, uint64_t to)
{
    uint32_t pl = st->chunk_payload;
    uint64_t end = na + st_chunks(st, size) * st->chunk_stride;
    /* the write buffer holds the chunk on its way: empty it first (a copy
     * resumed by a later step may find records in it) */
    int rc = log_flush(st);
    if (rc < 0)
        return rc;
    uint8_t *buf = st->wbuf;
    for (uint64_t i = from; i < to; i++) {
        uint64_t src = old + i * st->chunk_stride;
        uint64_t dst = na + i * st->chunk_stride;
        uint32_t n = size - (uint32_t)(i * pl) < pl ? size - (uint32_t)(i * pl)
                                                    : pl;
        uint8_t c4[4];
        if (st_fread(st, src, buf, n) < 0 ||
            st_fread(st, src + st->chunk_stride - 4, c4, 4) < 0)
            return STORE_EIO;
        if (chunk_crc(st, src, buf, n) != st_get32(c4))
            return 1;  /* damaged: never laundered into a fresh CRC */
        rc = st_region_erase(st, dst, end);
        if (rc == STORE_OK)
            rc = chunk_write(st, dst, buf, n);
        if (rc < 0)
            return rc;
    }
    return STORE_OK;
}

int st_chunks_move(store_t *st, store_chunk_move_t *m, uint64_t src,
                   uint32_t size, uint64_t *n)
{
    uint64_t chunks = st_chunks(st, size);
    int rc;
    if (!m->mark || m->mark != st->cur.mark || m->src != src ||
        m->size != size) {
        m->mark = 0;
        if (!st_chunks_src_ok(st, src, size)) {
            *n = 0;
            return 1;   /* not in the log: lost, like damaged data */
        }
        rc = log_reserve(st, chunks * st->chunk_stride, &m->dst);
        if (rc < 0)
            return rc;
        st->gc_step_res += chunks * st->chunk_stride;
        m->mark = st->cur.mark;
        m->src = src;
        m->size = size;
        m->done = 0;
    }
    if (*n == 0)
        *n = 1;   /* at least one: the move always advances */
    if (*n > chunks - m->done)
        *n = chunks - m->done;
    rc = chunks_copy(st, src, size, m->dst, m->done, m->done + *n);
    st->gc_step_late += *n * st->chunk_stride;
    if (rc == STORE_OK) {
        m->done += (uint32_t)*n;
        if (m->done < chunks)
            return ST_MOVE_MORE;
    }
    m->mark = 0;
    return rc;
}

int st_data_copy(store_t *st, uint64_t old, uint32_t size, uint64_t *out)
{
    int rc;
    *out = DATA_LOST;
    if (old & DATA_INLINE) {
        uint64_t a = old & ~DATA_INLINE, na;
        uint32_t len;
        if (size > st->chunk_payload || size > sizeof st->scratch)
            return STORE_OK;
        rc = log_get(st, a, R_DATA, st->scratch, (uint32_t)sizeof st->scratch,
                     &len);
        if (rc == STORE_EIO)
            return rc;
        if (rc < 0 || len != size)
            return STORE_OK;  /* damaged: stays unreadable, never laundered */
        rc = log_append(st, R_DATA, st->scratch, size, &na);
        if (rc < 0)
            return rc;
        *out = DATA_INLINE | na;
        return STORE_OK;
    }
    store_chunk_move_t m = { 0 };
    uint64_t n = UINT64_MAX;   /* all of it in this call */
    rc = st_chunks_move(st, &m, old, size, &n);
    if (rc < 0)
        return rc;
    if (rc == STORE_OK)
        *out = m.dst;
    return STORE_OK;  /* damaged (rc 1): the new region is dead space */
}

bool st_chunks_src_ok(const store_t *st, uint64_t old, uint32_t size)
{
    return st->chunk_payload <= sizeof st->wbuf && st_in_log(st, old) &&
           old + st_chunks(st, size) * st->chunk_stride <= st->head;
}

