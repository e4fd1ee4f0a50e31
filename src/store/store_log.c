/*
 * store_log.c - the append-only log on the flash device.
 *
 * Layout: erase blocks 0 and 1 hold checkpoints (store_core.c); blocks 2..
 * hold the log, a ring: record addresses are logical (they only grow) and
 * logical a lives at block 2 + ((a - 2 blocks) mod ring blocks).  The head
 * moves forward, the tail follows when compaction (store_gc.c) finishes a
 * pass; the head never gets a whole ring ahead of the tail.
 *
 *   - Every record has a 12-byte header (magic, type, length, CRC).  The CRC
 *     is seeded with the format id, so records left over from an earlier
 *     format never validate.
 *   - A record never straddles an erase block: when it does not fit, a PAD
 *     record (or nothing, when fewer than 12 bytes remain) ends the block.
 *   - The head "enters" a block when the first record goes there: the block
 *     is erased and gets a BLOCK record (generation = blocks entered so far,
 *     erase count) - room for wear levelling and compaction in issue 4.
 *   - Records go through the write buffer; when a commit flushes it, the
 *     last program unit is padded with 0xFF and never programmed again
 *     (FLASH_F_PROG_ONCE).  A scan meeting 0xFF inside a unit skips to the
 *     next unit; 0xFF at a unit start is the end of the log in that block.
 *   - A message that fits one data chunk is a DATA record (it goes
 *     through the write buffer like any record, and costs no padding).
 *   - Larger message data: a RESERVE record (region address and length), then the
 *     region itself, starting at the next program unit and written straight
 *     to flash by store_msg.c.  A region may span erase blocks: every block
 *     it enters counts as entered at reservation (no BLOCK record in it);
 *     each is erased when its first chunk is written, except the block
 *     where the log continues after the region, erased at reservation.  A scan skips the region using the RESERVE record, so
 *     a torn or aborted append is just dead space.
 */
#include "store/store_priv.h"

int st_flash_err(int ferr)
{
    return ferr == FLASH_OK ? STORE_OK : STORE_EIO;
}

uint32_t st_rec_crc(uint32_t seed, const uint8_t *hdr, const void *payload,
                    uint32_t len)
{
    uint8_t s[4];
    st_put32(s, seed);
    uint32_t c = crc32_update(0, s, 4);
    c = crc32_update(c, hdr, 8);
    return crc32_update(c, payload, len);
}

static uint64_t blk_end(const store_t *st, uint64_t a)
{
    return (a / st->erase_size + 1) * st->erase_size;
}

/* Logical to physical, a block at a time: logically adjacent blocks may be
 * the last and the first of the ring. */
int st_fread(store_t *st, uint64_t a, void *buf, size_t len)
{
    uint8_t *b = buf;
    while (len) {
        uint64_t k = blk_end(st, a) - a;
        if (k > len)
            k = len;
        if (flash_read(st->dev, st_phys(st, a), b, (size_t)k) != FLASH_OK)
            return STORE_EIO;
        a += k;
        b += k;
        len -= (size_t)k;
    }
    return STORE_OK;
}

int st_fprog(store_t *st, uint64_t a, const void *buf, size_t len)
{
    const uint8_t *b = buf;
    while (len) {
        uint64_t k = blk_end(st, a) - a;
        if (k > len)
            k = len;
        if (flash_prog(st->dev, st_phys(st, a), b, (size_t)k) != FLASH_OK) {
            st->broken = true;
            return STORE_EIO;
        }
        a += k;
        b += k;
        len -= (size_t)k;
    }
    return STORE_OK;
}

int st_ferase(store_t *st, uint64_t a)
{
    if (flash_erase(st->dev, st_phys(st, a)) != FLASH_OK) {
        st->broken = true;
        return STORE_EIO;
    }
    return STORE_OK;
}

bool st_in_log(const store_t *st, uint64_t a)
{
    return a >= st->com.tail && a >= st_ring_base(st) && a < st->head;
}

uint64_t st_free(const store_t *st)
{
    uint64_t lim = st->com.tail + st->ring;
    return st->head < lim ? lim - st->head : 0;
}

int log_read(store_t *st, uint64_t addr, void *buf, size_t len)
{
    if (addr < st_ring_base(st) || addr + len < addr)
        return STORE_ECORRUPT;
    int rc = st_fread(st, addr, buf, len);
    if (rc < 0)
        return rc;
    /* overlay what is still in the write buffer */
    uint64_t lo = addr > st->wb_base ? addr : st->wb_base;
    uint64_t hi = addr + len < st->head ? addr + len : st->head;
    if (lo < hi)
        memcpy((uint8_t *)buf + (lo - addr), st->wbuf + (lo - st->wb_base),
               (size_t)(hi - lo));
    return STORE_OK;
}

/* Checks a header read at addr; returns the payload length or < 0. */
static int hdr_check(const store_t *st, uint64_t addr, const uint8_t *h,
                     uint32_t *len)
{
    if (st_get16(h) != REC_MAGIC || h[2] < R_BLOCK || h[2] > R_DATA || h[3])
        return STORE_ECORRUPT;
    *len = st_get32(h + 4);
    if (*len > st->erase_size || addr + REC_HDR + *len > blk_end(st, addr))
        return STORE_ECORRUPT;
    return STORE_OK;
}

int log_get(store_t *st, uint64_t addr, uint8_t type, void *buf, uint32_t cap,
            uint32_t *len_out)
{
    uint8_t h[REC_HDR];
    uint32_t len;
    int rc = log_read(st, addr, h, REC_HDR);
    if (rc < 0)
        return rc;
    if (hdr_check(st, addr, h, &len) < 0 || h[2] != type || len > cap)
        return STORE_ECORRUPT;
    rc = log_read(st, addr + REC_HDR, buf, len);
    if (rc < 0)
        return rc;
    if (st_rec_crc(st->fmt_id, h, buf, len) != st_get32(h + 8))
        return STORE_ECORRUPT;
    if (len_out)
        *len_out = len;
    return STORE_OK;
}

/* Programs [wb_base, head) padded to a whole unit. */
int log_flush(store_t *st)
{
    uint64_t n = st->head - st->wb_base;
    if (n == 0)
        return STORE_OK;
    uint64_t padded = st_align_up(n, st->prog_size);
    memset(st->wbuf + n, 0xFF, (size_t)(padded - n));
    int rc = st_fprog(st, st->wb_base, st->wbuf, (size_t)padded);
    if (rc < 0)
        return rc;
    st->wb_base += padded;
    st->head = st->wb_base;
    return STORE_OK;
}

/* Copies bytes into the write buffer, programming it whenever it is full or
 * reaches the end of the block.  The caller made sure the block has room. */
static int log_put(store_t *st, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        size_t room = STORE_WBUF_SIZE - (size_t)(st->head - st->wb_base);
        size_t k = n < room ? n : room;
        memcpy(st->wbuf + (st->head - st->wb_base), b, k);
        st->head += k;
        b += k;
        n -= k;
        if (st->head - st->wb_base == STORE_WBUF_SIZE ||
            st->head % st->erase_size == 0) {
            int rc = log_flush(st);
            if (rc < 0)
                return rc;
        }
    }
    return STORE_OK;
}

static int log_put_record(store_t *st, uint8_t type, const void *payload,
                          uint32_t len)
{
    uint8_t h[REC_HDR];
    st_put16(h, REC_MAGIC);
    h[2] = type;
    h[3] = 0;
    st_put32(h + 4, len);
    st_put32(h + 8, st_rec_crc(st->fmt_id, h, payload, len));
    int rc = log_put(st, h, REC_HDR);
    return rc < 0 ? rc : log_put(st, payload, len);
}

/* Erases the block at the head and writes its BLOCK record. */
static int log_enter(store_t *st)
{
    uint64_t base = st->head;
    if (base + st->erase_size > st->com.tail + st->ring)
        return STORE_ENOSPC;
    uint8_t old[12];
    uint32_t ec = 0, len;
    if (log_get(st, base, R_BLOCK, old, sizeof old, &len) == STORE_OK &&
        len == sizeof old)
        ec = st_get32(old + 8) + 1;
    if (st_ferase(st, base) < 0)
        return STORE_EIO;
    st->gen++;
    st->cur_blk = base / st->erase_size;
    st->wb_base = base;
    uint8_t p[12];
    st_put64(p, st->gen);
    st_put32(p + 8, ec);
    return log_put_record(st, R_BLOCK, p, sizeof p);
}

/* Makes room for a record of total bytes in the block at the head. */
static int log_room(store_t *st, uint64_t total)
{
    for (int guard = 0; guard < 4; guard++) {
        if (st->head >= st->com.tail + st->ring)
            return STORE_ENOSPC;
        if (st->cur_blk != st->head / st->erase_size) {
            if (st->head % st->erase_size)
                return STORE_ECORRUPT;  /* cannot happen */
            int rc = log_enter(st);
            if (rc < 0)
                return rc;
            continue;
        }
        uint64_t end = blk_end(st, st->head);
        if (st->head + total <= end)
            return STORE_OK;
        /* entered, so past the block's start: pad it and go to the next */
        int rc = log_end_block(st);
        if (rc < 0)
            return rc;
    }
    return STORE_ENOSPC;  /* the record is larger than a block */
}

int log_append(store_t *st, uint8_t type, const void *payload, uint32_t len,
               uint64_t *addr_out)
{
    if (st->broken)
        return STORE_EIO;
    int rc = log_room(st, REC_HDR + (uint64_t)len);
    if (rc < 0)
        return rc;
    if (addr_out)
        *addr_out = st->head;
    return log_put_record(st, type, payload, len);
}

int log_reserve(store_t *st, uint64_t len, uint64_t *addr_out)
{
    if (st->broken)
        return STORE_EIO;
    int rc = log_room(st, REC_HDR + 16);
    if (rc < 0)
        return rc;
    uint64_t region = st_align_up(st->head + REC_HDR + 16, st->prog_size);
    if (region + len > st->com.tail + st->ring || len > st->ring / 2)
        return STORE_ENOSPC;
    uint8_t p[16];
    st_put64(p, region);
    st_put64(p + 8, len);
    rc = log_put_record(st, R_RESERVE, p, sizeof p);
    if (rc == STORE_OK)
        rc = log_flush(st);
    if (rc < 0)
        return rc;
    if (st->head != region)
        return STORE_ECORRUPT;  /* cannot happen */
    if (len) {
        /* every block the region enters counts as entered now; only the
         * block where the log goes on after the region is erased now, the
         * others as the first chunk reaches them (st_region_erase), so a
         * large APPEND spreads its erases over its upload */
        uint64_t first = region / st->erase_size;
        uint64_t last = (region + len - 1) / st->erase_size;
        for (uint64_t b = first; b <= last; b++)
            if (b != st->cur_blk)
                st->gen++;
        if (last != st->cur_blk && (region + len) % st->erase_size &&
            st_ferase(st, last * st->erase_size) < 0)
            return STORE_EIO;
        st->cur_blk = last;
    }
    st->head = st->wb_base = region + len;
    *addr_out = region;
    return STORE_OK;
}

int st_region_erase(store_t *st, uint64_t addr, uint64_t region_end)
{
    /* a chunk (stride <= erase block) holds at most one block start; the
     * block it starts in was erased with an earlier chunk or is the one
     * the region started in */
    uint64_t start = st_align_up(addr, st->erase_size);
    if (start >= addr + st->chunk_stride || start >= region_end)
        return STORE_OK;
    uint64_t b = start / st->erase_size;
    if (region_end % st->erase_size && b == (region_end - 1) / st->erase_size)
        return STORE_OK;  /* the last block: erased at reservation */
    return st_ferase(st, start);
}

int log_end_block(store_t *st)
{
    if (st->head % st->erase_size == 0)
        return STORE_OK;  /* at a block start, not entered yet */
    uint64_t end = blk_end(st, st->head);
    if (end - st->head >= REC_HDR) {
        int rc = log_put_record(st, R_PAD, NULL, 0);
        if (rc < 0)
            return rc;
    }
    int rc = log_flush(st);
    if (rc < 0)
        return rc;
    st->head = st->wb_base = end;
    return STORE_OK;
}

/* Tries to continue the scan in the next block: only when that block was
 * entered right after this one (a mount skipped a torn tail). */
static bool scan_jump(store_t *st, log_scan_t *sc)
{
    uint64_t nb = blk_end(st, sc->pos);
    uint8_t p[12];
    uint32_t len;
    if (nb >= sc->lim ||
        log_get(st, nb, R_BLOCK, p, sizeof p, &len) != STORE_OK ||
        len != sizeof p || st_get64(p) != sc->gen + 1)
        return false;
    sc->pos = nb;
    return true;
}

int log_scan(store_t *st, log_scan_t *sc)
{
    uint8_t h[REC_HDR];
    uint8_t p[256];  /* >= 8 + STATE_SIZE: a whole commit record */
    sc->found = false;
    sc->v_end = sc->pos;
    sc->lim = st->com.tail + st->ring;
    for (;;) {
        if (sc->pos >= sc->lim)
            break;
        uint64_t b = sc->pos / st->erase_size;
        uint64_t end = blk_end(st, sc->pos);
        uint32_t len;
        if (b != sc->cur_blk) {
            if (sc->pos % st->erase_size)
                break;
            if (log_get(st, sc->pos, R_BLOCK, p, sizeof p, &len) != STORE_OK ||
                len != 12 || st_get64(p) != sc->gen + 1)
                break;
            sc->gen++;
            sc->cur_blk = b;
            sc->pos += REC_HDR + len;
            sc->v_end = sc->pos;
            sc->records++;
            continue;
        }
        if (end - sc->pos < REC_HDR) {
            sc->pos = end;
            continue;
        }
        int rc = log_read(st, sc->pos, h, REC_HDR);
        if (rc < 0)
            return rc;
        /* padding: the magic's first byte is never 0xFF, and as little as
         * one byte of padding may be left in the unit */
        if (h[0] == 0xFF && sc->pos % st->prog_size) {
            sc->pos = st_align_up(sc->pos, st->prog_size);
            continue;
        }
        bool ok = hdr_check(st, sc->pos, h, &len) == STORE_OK;
        if (ok && h[2] != R_NODE && h[2] != R_DATA && len > sizeof p)
            ok = false;
        if (ok) {
            /* read the payload in pieces to check the CRC */
            uint32_t c;
            uint8_t s4[4];
            st_put32(s4, st->fmt_id);
            c = crc32_update(0, s4, 4);
            c = crc32_update(c, h, 8);
            for (uint32_t off = 0; off < len;) {
                uint32_t k = len - off < sizeof p ? len - off : sizeof p;
                rc = log_read(st, sc->pos + REC_HDR + off, p, k);
                if (rc < 0)
                    return rc;
                c = crc32_update(c, p, k);
                off += k;
            }
            ok = c == st_get32(h + 8);
        }
        if (!ok) {
            if (h[0] != 0xFF || h[1] != 0xFF)
                sc->bad++;
            if (scan_jump(st, sc))
                continue;
            break;
        }
        uint64_t next = sc->pos + REC_HDR + len;
        sc->records++;
        if (h[2] == R_PAD) {
            next = end;
        } else if (h[2] == R_COMMIT) {
            if (len != 8 + STATE_SIZE || st_get64(p) != sc->seq + 1) {
                sc->bad++;
                break;
            }
            sc->seq++;
            st_state_get(p + 8, &sc->state);
            if (sc->state.tail + st->ring > sc->lim)
                sc->lim = sc->state.tail + st->ring;
            sc->found = true;
            sc->c_end = next;
            sc->c_gen = sc->gen;
            sc->c_blk = sc->cur_blk;
        } else if (h[2] == R_RESERVE) {
            uint64_t region = st_get64(p), rlen = st_get64(p + 8);
            if (len != 16 || region != st_align_up(next, st->prog_size) ||
                region + rlen > sc->lim || rlen > st->ring) {
                sc->bad++;
                break;
            }
            if (rlen) {
                uint64_t first = region / st->erase_size;
                uint64_t last = (region + rlen - 1) / st->erase_size;
                for (uint64_t k = first; k <= last; k++)
                    if (k != sc->cur_blk)
                        sc->gen++;
                sc->cur_blk = last;
            }
            next = region + rlen;
        } else if (h[2] != R_NODE && h[2] != R_DATA) {
            sc->bad++;
            break;  /* BLOCK in mid-block, CKPT in the log */
        }
        sc->pos = next;
        sc->v_end = next;
    }
    sc->stop = sc->pos;
    sc->stop_gen = sc->gen;
    sc->stop_blk = sc->cur_blk;
    return STORE_OK;
}
