/*
 * store_user.c - users (keyed by name hash) and subscriptions, plus the
 * name-hash lookup they share with mailbox names.
 *
 * User value: id u32, iterations u32, salt[16], hash[32], name.
 * Subscription value: the mailbox name.
 */
#include "store/store_priv.h"

#define USER_FIXED 56

int st_fail(store_t *st, int rc)
{
    if (rc == STORE_ENOSPC || rc == STORE_EIO || rc == STORE_ECORRUPT ||
        rc == STORE_ELIMIT)
        store_rollback(st);
    return rc;
}

int st_hashed_find(store_t *st, uint32_t owner, uint8_t kind, const char *name,
                   st_match_fn match, uint64_t *id_out, uint64_t *free_out,
                   uint8_t *val, size_t *vlen)
{
    uint64_t h = st_name_hash(name), id, next_free = h;
    bool have_free = false;
    uint8_t v[VAL_MAX];
    size_t vl;
    for (uint64_t from = h;; from = id + 1) {
        int rc = st_seek_kind(st, owner, kind, from, &id, v, &vl);
        if (rc == STORE_ENOENT || (rc == STORE_OK && (id >> 8) != (h >> 8)))
            break;
        if (rc < 0)
            return rc;
        if (match(st, v, vl, name)) {
            *id_out = id;
            if (val)
                memcpy(val, v, vl);
            if (vlen)
                *vlen = vl;
            return STORE_OK;
        }
        if (!have_free && id != next_free)
            have_free = true;
        if (!have_free)
            next_free = id + 1;
        if ((id & 0xFF) == 0xFF)
            break;
    }
    if (free_out) {
        if (!have_free && (next_free >> 8) != (h >> 8))
            return STORE_ELIMIT;
        *free_out = next_free;
    }
    return STORE_ENOENT;
}

int st_delete_kind(store_t *st, uint32_t owner, uint8_t kind)
{
    for (;;) {
        uint64_t id;
        int rc = st_seek_kind(st, owner, kind, 0, &id, NULL, NULL);
        if (rc == STORE_ENOENT)
            return STORE_OK;
        if (rc < 0)
            return rc;
        uint8_t k[KEY_SIZE];
        key_make(k, owner, kind, id);
        rc = tree_del(st, k);
        if (rc < 0)
            return rc;
    }
}

static bool user_match(store_t *st, const uint8_t *v, size_t vl,
                       const char *name)
{
    size_t n = strlen(name);
    return vl == USER_FIXED + n && memcmp(v + USER_FIXED, name, n) == 0;
}

static bool user_decode(const uint8_t *v, size_t vl, store_user_t *u)
{
    if (vl < USER_FIXED + 1 || vl > USER_FIXED + IMAP_USER_NAME_MAX)
        return false;
    memset(u, 0, sizeof *u);
    u->id = st_get32(v);
    u->iterations = st_get32(v + 4);
    memcpy(u->salt, v + 8, 16);
    memcpy(u->hash, v + 24, 32);
    memcpy(u->name, v + USER_FIXED, vl - USER_FIXED);
    u->name[vl - USER_FIXED] = 0;
    return true;
}

static size_t user_encode(uint8_t *v, const store_user_t *u, uint32_t id)
{
    size_t n = strlen(u->name);
    st_put32(v, id);
    st_put32(v + 4, u->iterations);
    memcpy(v + 8, u->salt, 16);
    memcpy(v + 24, u->hash, 32);
    memcpy(v + USER_FIXED, u->name, n);
    return USER_FIXED + n;
}


int store_user_add(store_t *st, const store_user_t *u, uint32_t *id_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!u || !st_name_ok(u->name, IMAP_USER_NAME_MAX))
        return STORE_EINVAL;
    uint64_t id, free_id;
    rc = st_hashed_find(st, 0, K_USER, u->name, user_match, &id, &free_id,
                        NULL, NULL);
    if (rc == STORE_OK)
        return STORE_EEXIST;
    if (rc != STORE_ENOENT)
        return rc;
    if (st->cur.next_user_id == UINT32_MAX)
        return STORE_ELIMIT;
    uint32_t uid = st->cur.next_user_id;
    uint8_t v[VAL_MAX], k[KEY_SIZE];
    size_t vl = user_encode(v, u, uid);
    key_make(k, 0, K_USER, free_id);
    rc = tree_put(st, k, v, vl);
    if (rc < 0)
        return st_fail(st, rc);
    st->cur.next_user_id++;
    st->cur.users++;
    st->pending = true;
    if (id_out)
        *id_out = uid;
    return STORE_OK;
}

int store_user_find(store_t *st, const char *name, store_user_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!st_name_ok(name, IMAP_USER_NAME_MAX))
        return STORE_ENOENT;
    uint64_t id;
    uint8_t v[VAL_MAX];
    size_t vl;
    rc = st_hashed_find(st, 0, K_USER, name, user_match, &id, NULL, v, &vl);
    if (rc < 0)
        return rc;
    store_user_t tmp;
    if (!user_decode(v, vl, out ? out : &tmp))
        return STORE_ECORRUPT;
    return STORE_OK;
}

int store_user_set_secret(store_t *st, const store_user_t *u)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!u || !st_name_ok(u->name, IMAP_USER_NAME_MAX))
        return STORE_EINVAL;
    uint64_t id;
    uint8_t v[VAL_MAX], k[KEY_SIZE];
    size_t vl;
    rc = st_hashed_find(st, 0, K_USER, u->name, user_match, &id, NULL, v, &vl);
    if (rc < 0)
        return rc;
    vl = user_encode(v, u, st_get32(v));
    key_make(k, 0, K_USER, id);
    rc = tree_put(st, k, v, vl);
    return rc < 0 ? st_fail(st, rc) : STORE_OK;
}

int store_user_del(store_t *st, const char *name)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!st_name_ok(name, IMAP_USER_NAME_MAX))
        return STORE_ENOENT;
    store_user_t u;
    uint64_t id;
    uint8_t v[VAL_MAX], k[KEY_SIZE];
    size_t vl;
    rc = st_hashed_find(st, 0, K_USER, name, user_match, &id, NULL, v, &vl);
    if (rc < 0)
        return rc;
    if (!user_decode(v, vl, &u))
        return STORE_ECORRUPT;
    /* its mailboxes, then its subscriptions, then the user */
    for (;;) {
        uint64_t nid;
        uint8_t mv[VAL_MAX];
        size_t mvl;
        rc = st_seek_kind(st, u.id, K_MBOXNAME, 0, &nid, mv, &mvl);
        if (rc == STORE_ENOENT)
            break;
        if (rc < 0)
            return st_fail(st, rc);
        if (mvl != 4)
            return st_fail(st, STORE_ECORRUPT);
        rc = store_mbox_delete(st, st_get32(mv));
        if (rc == STORE_ENOENT) {  /* dangling name: drop it */
            key_make(k, u.id, K_MBOXNAME, nid);
            rc = tree_del(st, k);
        }
        if (rc < 0)
            return st_fail(st, rc);
    }
    rc = st_delete_kind(st, u.id, K_SUB);
    if (rc < 0)
        return st_fail(st, rc);
    key_make(k, 0, K_USER, id);
    rc = tree_del(st, k);
    if (rc < 0)
        return st_fail(st, rc);
    st->cur.users--;
    st->pending = true;
    return STORE_OK;
}

int store_user_next(store_t *st, uint64_t *cursor, store_user_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    uint64_t id;
    uint8_t v[VAL_MAX];
    size_t vl;
    rc = st_seek_kind(st, 0, K_USER, *cursor, &id, v, &vl);
    if (rc < 0)
        return rc;
    if (!user_decode(v, vl, out))
        return STORE_ECORRUPT;
    *cursor = id + 1;
    return STORE_OK;
}

/* ---- subscriptions ------------------------------------------------------- */

static bool sub_match(store_t *st, const uint8_t *v, size_t vl,
                      const char *name)
{
    return vl == strlen(name) && memcmp(v, name, vl) == 0;
}

int store_sub_set(store_t *st, uint32_t user_id, const char *name, bool on)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!st_name_ok(name, IMAP_MAILBOX_NAME_MAX))
        return STORE_EINVAL;
    uint64_t id, free_id;
    uint8_t k[KEY_SIZE];
    rc = st_hashed_find(st, user_id, K_SUB, name, sub_match, &id, &free_id,
                        NULL, NULL);
    if (rc < 0 && rc != STORE_ENOENT)
        return rc;
    if (on) {
        if (rc == STORE_OK)
            return STORE_OK;
        key_make(k, user_id, K_SUB, free_id);
        rc = tree_put(st, k, name, strlen(name));
    } else {
        if (rc == STORE_ENOENT)
            return STORE_ENOENT;
        key_make(k, user_id, K_SUB, id);
        rc = tree_del(st, k);
    }
    if (rc < 0)
        return st_fail(st, rc);
    st->pending = true;
    return STORE_OK;
}

int store_sub_next(store_t *st, uint32_t user_id, uint64_t *cursor,
                   char *name, size_t cap)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    uint64_t id;
    uint8_t v[VAL_MAX];
    size_t vl;
    rc = st_seek_kind(st, user_id, K_SUB, *cursor, &id, v, &vl);
    if (rc < 0)
        return rc;
    if (vl + 1 > cap)
        return STORE_ELIMIT;
    memcpy(name, v, vl);
    name[vl] = 0;
    *cursor = id + 1;
    return STORE_OK;
}
