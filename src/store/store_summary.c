/*
 * store_summary.c - a message's structure summary in the index.
 *
 * Entries under owner 0, kind K_SUM_ (below the mailbox kinds, like the
 * named blobs), id = the message's data address, chunk number in the key's
 * last bytes: entry 0 holds the length, entries 1.. SUM_CHUNK bytes each.
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

static int sum_len(store_t *st, uint64_t addr, uint32_t *len)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t vl = 0;
    sum_key(k, addr, 0);
    int rc = tree_get(st, k, v, &vl);
    if (rc < 0)
        return rc;
    if (vl != 4)
        return STORE_ECORRUPT;
    *len = st_get32(v);
    return STORE_OK;
}

int store_msg_summary_set(store_t *st, const store_msg_t *m, const void *data,
                          size_t len)
{
    uint8_t k[KEY_SIZE], v[4];
    uint32_t old = 0;
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (m == NULL || (data == NULL && len > 0))
        return STORE_EINVAL;
    if (len > STORE_SUMMARY_MAX)
        return STORE_ELIMIT;
    if (sum_len(st, m->data_addr, &old) == STORE_OK) {
        for (unsigned c = 1; (size_t)(c - 1) * SUM_CHUNK < old; c++) {
            sum_key(k, m->data_addr, c);
            tree_del(st, k);
        }
    }
    st_put32(v, (uint32_t)len);
    sum_key(k, m->data_addr, 0);
    rc = tree_put(st, k, v, 4);
    for (unsigned c = 1; rc >= 0 && (size_t)(c - 1) * SUM_CHUNK < len; c++) {
        size_t off = (size_t)(c - 1) * SUM_CHUNK;
        size_t n = len - off < SUM_CHUNK ? len - off : SUM_CHUNK;
        sum_key(k, m->data_addr, c);
        rc = tree_put(st, k, (const uint8_t *)data + off, n);
    }
    if (rc < 0)
        return st_fail(st, rc);
    st->pending = true;
    return STORE_OK;
}

int store_msg_summary_get(store_t *st, const store_msg_t *m, void *buf,
                          size_t cap, size_t *len_out)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    uint32_t len;
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    rc = sum_len(st, m->data_addr, &len);
    if (rc < 0)
        return rc;
    if (len_out)
        *len_out = len;
    if (len > cap)
        return STORE_ELIMIT;
    for (unsigned c = 1; (size_t)(c - 1) * SUM_CHUNK < len; c++) {
        size_t off = (size_t)(c - 1) * SUM_CHUNK, vl = 0;
        size_t want = len - off < SUM_CHUNK ? len - off : SUM_CHUNK;
        sum_key(k, m->data_addr, c);
        rc = tree_get(st, k, v, &vl);
        if (rc < 0)
            return rc == STORE_ENOENT ? STORE_ECORRUPT : rc;
        if (vl != want)
            return STORE_ECORRUPT;
        memcpy((uint8_t *)buf + off, v, vl);
    }
    return STORE_OK;
}
