/*
 * store_summary.c - a message's structure summary in the index.
 *
 * Entries under owner 0, kind K_SUM_ (below the mailbox kinds, like the
 * named blobs), id = the message's data address, chunk number in the key's
 * last bytes: the summary's length (u32) then its bytes, SUM_CHUNK bytes
 * per entry, so a typical summary is one index lookup.
 * Keying by data address makes a COPY share the summary with no work, and
 * every entry is checked by the index's own CRCs.  A purged message leaves
 * its summary behind (v1 has no compaction either).
 */
#include <string.h>

#include "store/store_priv.h"

#define K_SUM_ 9             /* a kind no other record uses */
#define SUM_CHUNK 240

static void sum_key(uint8_t k[KEY_SIZE], uint64_t data_addr, unsigned chunk)
{
    key_make(k, 0, K_SUM_, data_addr);
    k[13] = (uint8_t)(chunk >> 8);
    k[14] = (uint8_t)chunk;
}

/* Reads entry c into v (its length into *vl). */
static int sum_entry(store_t *st, uint64_t addr, unsigned c, uint8_t *v,
                     size_t *vl)
{
    uint8_t k[KEY_SIZE];
    sum_key(k, addr, c);
    return tree_get(st, k, v, vl);
}

int store_msg_summary_set(store_t *st, const store_msg_t *m, const void *data,
                          size_t len)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t vl = 0, total, off;
    uint32_t old = 0;
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (m == NULL || (data == NULL && len > 0))
        return STORE_EINVAL;
    if (len > STORE_SUMMARY_MAX)
        return STORE_ELIMIT;
    if (sum_entry(st, m->data_addr, 0, v, &vl) == STORE_OK && vl >= 4) {
        old = st_get32(v) + 4;
        for (unsigned c = 1; (size_t)c * SUM_CHUNK < old; c++) {
            sum_key(k, m->data_addr, c);
            tree_del(st, k);
        }
    }
    /* the stream: length (4 bytes) then the summary, cut in SUM_CHUNK */
    total = len + 4;
    rc = STORE_OK;
    for (unsigned c = 0; rc >= 0 && (size_t)c * SUM_CHUNK < total; c++) {
        size_t n = 0;
        for (off = (size_t)c * SUM_CHUNK; off < total && n < SUM_CHUNK; off++, n++)
            v[n] = off < 4 ? (uint8_t)(len >> (8 * off))
                           : ((const uint8_t *)data)[off - 4];
        sum_key(k, m->data_addr, c);
        rc = tree_put(st, k, v, n);
    }
    if (rc < 0)
        return st_fail(st, rc);
    st->pending = true;
    return STORE_OK;
}

int store_msg_summary_get(store_t *st, const store_msg_t *m, void *buf,
                          size_t cap, size_t *len_out)
{
    uint8_t v[VAL_MAX];
    size_t vl = 0, total, off = 0;
    uint32_t len;
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    rc = sum_entry(st, m->data_addr, 0, v, &vl);
    if (rc < 0)
        return rc;
    if (vl < 4)
        return STORE_ECORRUPT;
    len = st_get32(v);
    if (len_out)
        *len_out = len;
    if (len > cap)
        return STORE_ELIMIT;
    total = (size_t)len + 4;
    for (unsigned c = 0;; c++) {
        size_t want = total - (size_t)c * SUM_CHUNK;
        if (want > SUM_CHUNK)
            want = SUM_CHUNK;
        if (c > 0) {
            rc = sum_entry(st, m->data_addr, c, v, &vl);
            if (rc < 0)
                return rc == STORE_ENOENT ? STORE_ECORRUPT : rc;
        }
        if (vl != want)
            return STORE_ECORRUPT;
        size_t skip = c == 0 ? 4 : 0;
        memcpy((uint8_t *)buf + off, v + skip, vl - skip);
        off += vl - skip;
        if ((size_t)(c + 1) * SUM_CHUNK >= total)
            break;
    }
    return STORE_OK;
}
