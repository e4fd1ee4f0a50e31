/*
 * store_blob.c - small named blobs (the TLS certificate chain and key).
 *
 * A blob is a run of index entries under owner 0, kind K_BLOB_ (below the
 * mailbox kinds, so fsck counts it with names and subscriptions): entry 0
 * holds the length and the name, entries 1.. hold BLOB_CHUNK bytes each.
 * The entry id is the name's hash with the chunk number in the low byte,
 * so a blob is at most 255 chunks.  Changes are pending until
 * store_commit(), like every other change.
 */
#include <string.h>

#include "store/store_priv.h"

#define K_BLOB_ 8            /* a kind no other record uses */
#define BLOB_CHUNK 240       /* bytes per entry (values are <= VAL_MAX) */

static void blob_key(uint8_t k[KEY_SIZE], const char *name, unsigned chunk)
{
    key_make(k, 0, K_BLOB_, (st_name_hash(name) & ~0xffull) | chunk);
}

static bool blob_name_ok(const char *name)
{
    return name != NULL && name[0] && strlen(name) <= 64;
}

/* Reads entry 0: the blob's length; STORE_ENOENT when there is none. */
static int blob_head(store_t *st, const char *name, uint32_t *len)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t vl = 0, n = strlen(name);
    blob_key(k, name, 0);
    int rc = tree_get(st, k, v, &vl);
    if (rc < 0)
        return rc;
    if (vl != 4 + n || memcmp(v + 4, name, n) != 0)
        return STORE_ENOENT;   /* another name with the same hash */
    *len = st_get32(v);
    return STORE_OK;
}

int store_blob_del(store_t *st, const char *name)
{
    uint8_t k[KEY_SIZE];
    uint32_t len;
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!blob_name_ok(name))
        return STORE_EINVAL;
    rc = blob_head(st, name, &len);
    if (rc < 0)
        return rc;
    for (unsigned c = 0; c <= (len + BLOB_CHUNK - 1) / BLOB_CHUNK; c++) {
        blob_key(k, name, c);
        rc = tree_del(st, k);
        if (rc < 0 && rc != STORE_ENOENT)
            return st_fail(st, rc);
    }
    st->pending = true;
    return STORE_OK;
}

int store_blob_set(store_t *st, const char *name, const void *data,
                   size_t len)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t n;
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!blob_name_ok(name) || (data == NULL && len > 0))
        return STORE_EINVAL;
    if (len > STORE_BLOB_MAX)
        return STORE_ELIMIT;
    rc = store_blob_del(st, name);
    if (rc < 0 && rc != STORE_ENOENT)
        return rc;
    n = strlen(name);
    st_put32(v, (uint32_t)len);
    memcpy(v + 4, name, n);
    blob_key(k, name, 0);
    rc = tree_put(st, k, v, 4 + n);
    for (unsigned c = 1; rc >= 0 && (size_t)(c - 1) * BLOB_CHUNK < len; c++) {
        size_t off = (size_t)(c - 1) * BLOB_CHUNK;
        size_t m = len - off < BLOB_CHUNK ? len - off : BLOB_CHUNK;
        blob_key(k, name, c);
        rc = tree_put(st, k, (const uint8_t *)data + off, m);
    }
    if (rc < 0)
        return st_fail(st, rc);
    st->pending = true;
    return STORE_OK;
}

int store_blob_get(store_t *st, const char *name, void *buf, size_t cap,
                   size_t *len_out)
{
    uint8_t k[KEY_SIZE];
    uint32_t len;
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!blob_name_ok(name))
        return STORE_EINVAL;
    rc = blob_head(st, name, &len);
    if (rc < 0)
        return rc;
    if (len_out)
        *len_out = len;
    if (len > cap)
        return STORE_ELIMIT;
    for (unsigned c = 1; (size_t)(c - 1) * BLOB_CHUNK < len; c++) {
        size_t off = (size_t)(c - 1) * BLOB_CHUNK, vl = 0;
        uint8_t v[VAL_MAX];
        blob_key(k, name, c);
        rc = tree_get(st, k, v, &vl);
        if (rc < 0)
            return rc == STORE_ENOENT ? STORE_ECORRUPT : rc;
        size_t want = len - off < BLOB_CHUNK ? len - off : BLOB_CHUNK;
        if (vl != want)
            return STORE_ECORRUPT;
        memcpy((uint8_t *)buf + off, v, vl);
    }
    return STORE_OK;
}
