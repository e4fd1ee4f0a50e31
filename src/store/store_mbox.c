/*
 * store_mbox.c - mailboxes and their keyword tables.
 *
 * A mailbox is (id, MBOX, 0) -> record, plus (user, MBOXNAME, name hash) ->
 * id for lookups by name.  Its messages, changes, expunges and keywords are
 * keyed under owner = mailbox id, so they are contiguous in the index.
 *
 * Record: user u32, uidvalidity u32, uidnext u32, highestmodseq u64,
 * messages u32, unseen u32, recent u32, first_recent_uid u32,
 * nkeywords u32, name.
 */
#include "store/store_priv.h"

#define MBOX_FIXED 40

int st_mbox_load(store_t *st, uint32_t mbox_id, store_mbox_t *m)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t vl;
    key_make(k, mbox_id, K_MBOX, 0);
    int rc = tree_get(st, k, v, &vl);
    if (rc < 0)
        return rc;
    if (vl < MBOX_FIXED + 1 || vl > MBOX_FIXED + IMAP_MAILBOX_NAME_MAX)
        return STORE_ECORRUPT;
    memset(m, 0, sizeof *m);
    m->id = mbox_id;
    m->user_id = st_get32(v);
    m->uidvalidity = st_get32(v + 4);
    m->uidnext = st_get32(v + 8);
    m->highestmodseq = st_get64(v + 12);
    m->messages = st_get32(v + 20);
    m->unseen = st_get32(v + 24);
    m->recent = st_get32(v + 28);
    m->first_recent_uid = st_get32(v + 32);
    m->nkeywords = st_get32(v + 36);
    memcpy(m->name, v + MBOX_FIXED, vl - MBOX_FIXED);
    m->name[vl - MBOX_FIXED] = 0;
    const store_hot_t *h = &st->cur.hot;
    if (h->id == mbox_id) {
        m->uidnext = h->uidnext;
        m->messages = h->messages;
        m->unseen = h->unseen;
        m->recent = h->recent;
        m->first_recent_uid = h->first_recent_uid;
        m->nkeywords = h->nkeywords;
        m->highestmodseq = h->highestmodseq;
    }
    if (m->nkeywords > IMAP_KEYWORDS_MAX || !m->uidnext)
        return STORE_ECORRUPT;
    return STORE_OK;
}

static void hot_take(store_hot_t *h, const store_mbox_t *m)
{
    h->id = m->id;
    h->uidnext = m->uidnext;
    h->messages = m->messages;
    h->unseen = m->unseen;
    h->recent = m->recent;
    h->first_recent_uid = m->first_recent_uid;
    h->nkeywords = m->nkeywords;
    h->highestmodseq = m->highestmodseq;
}

int st_mbox_save(store_t *st, const store_mbox_t *m)
{
    store_hot_t *h = &st->cur.hot;
    if (h->id != m->id) {
        if (h->id) {  /* the index catches up with the old hot mailbox */
            store_mbox_t old;
            int rc = st_mbox_load(st, h->id, &old);
            if (rc == STORE_OK)
                rc = st_mbox_save_full(st, &old);
            if (rc < 0 && rc != STORE_ENOENT)
                return st_fail(st, rc);
        }
        h->id = m->id;
    }
    hot_take(h, m);
    st->pending = true;
    return STORE_OK;
}

int st_mbox_save_full(store_t *st, const store_mbox_t *m)
{
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t n = strlen(m->name);
    st_put32(v, m->user_id);
    st_put32(v + 4, m->uidvalidity);
    st_put32(v + 8, m->uidnext);
    st_put64(v + 12, m->highestmodseq);
    st_put32(v + 20, m->messages);
    st_put32(v + 24, m->unseen);
    st_put32(v + 28, m->recent);
    st_put32(v + 32, m->first_recent_uid);
    st_put32(v + 36, m->nkeywords);
    memcpy(v + MBOX_FIXED, m->name, n);
    key_make(k, m->id, K_MBOX, 0);
    int rc = tree_put(st, k, v, MBOX_FIXED + n);
    if (rc < 0)
        return st_fail(st, rc);
    if (st->cur.hot.id == m->id)
        hot_take(&st->cur.hot, m);
    st->pending = true;
    return STORE_OK;
}

static bool mbox_match(store_t *st, const uint8_t *v, size_t vl,
                       const char *name)
{
    store_mbox_t m;
    return vl == 4 && st_mbox_load(st, st_get32(v), &m) == STORE_OK &&
           strcmp(m.name, name) == 0;
}

static int name_find(store_t *st, uint32_t user_id, const char *name,
                     uint64_t *nid, uint64_t *free_id, uint32_t *mbox_id)
{
    uint8_t v[VAL_MAX];
    size_t vl;
    int rc = st_hashed_find(st, user_id, K_MBOXNAME, name, mbox_match, nid,
                            free_id, v, &vl);
    if (rc == STORE_OK)
        *mbox_id = st_get32(v);
    return rc;
}

int store_mbox_create(store_t *st, uint32_t user_id, const char *name,
                      store_mbox_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!st_name_ok(name, IMAP_MAILBOX_NAME_MAX) || !user_id)
        return STORE_EINVAL;
    uint64_t nid, free_id;
    uint32_t id = 0;
    rc = name_find(st, user_id, name, &nid, &free_id, &id);
    if (rc == STORE_OK)
        return STORE_EEXIST;
    if (rc != STORE_ENOENT)
        return rc;
    if (st->cur.next_mbox_id == UINT32_MAX ||
        st->cur.next_uidvalidity == UINT32_MAX)
        return STORE_ELIMIT;
    store_mbox_t m;
    memset(&m, 0, sizeof m);
    m.id = st->cur.next_mbox_id;
    m.user_id = user_id;
    m.uidvalidity = st->cur.next_uidvalidity;
    m.uidnext = 1;
    m.first_recent_uid = 1;
    m.highestmodseq = 1;
    strcpy(m.name, name);
    rc = st_mbox_save_full(st, &m);
    if (rc < 0)
        return rc;
    uint8_t k[KEY_SIZE], v[4];
    key_make(k, user_id, K_MBOXNAME, free_id);
    st_put32(v, m.id);
    rc = tree_put(st, k, v, 4);
    if (rc < 0)
        return st_fail(st, rc);
    st->cur.next_mbox_id++;
    st->cur.next_uidvalidity++;
    st->cur.mailboxes++;
    if (out)
        *out = m;
    return STORE_OK;
}

int store_mbox_find(store_t *st, uint32_t user_id, const char *name,
                    store_mbox_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!st_name_ok(name, IMAP_MAILBOX_NAME_MAX))
        return STORE_ENOENT;
    uint64_t nid;
    uint32_t id = 0;
    rc = name_find(st, user_id, name, &nid, NULL, &id);
    if (rc < 0)
        return rc;
    store_mbox_t tmp;
    return st_mbox_load(st, id, out ? out : &tmp);
}

int store_mbox_get(store_t *st, uint32_t mbox_id, store_mbox_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t tmp;
    return st_mbox_load(st, mbox_id, out ? out : &tmp);
}

int st_mbox_delete_all(store_t *st, uint32_t mbox_id)
{
    static const uint8_t kinds[] = { K_MSG, K_CHG, K_XPEND, K_XHIST, K_KW,
                                     K_XBYMS };
    /* the record itself (id, MBOX, 0) goes last, in store_mbox_delete;
     * its messages' bytes stay in the live count until the next pass */
    st->gc_freed = true;
    for (unsigned i = 0; i < sizeof kinds; i++) {
        int rc = st_delete_kind(st, mbox_id, kinds[i]);
        if (rc < 0)
            return rc;
    }
    return STORE_OK;
}

int store_mbox_delete(store_t *st, uint32_t mbox_id)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t m;
    rc = st_mbox_load(st, mbox_id, &m);
    if (rc < 0)
        return rc;
    uint64_t nid;
    uint32_t id = 0;
    uint8_t k[KEY_SIZE];
    rc = name_find(st, m.user_id, m.name, &nid, NULL, &id);
    if (rc == STORE_OK) {
        key_make(k, m.user_id, K_MBOXNAME, nid);
        rc = tree_del(st, k);
    }
    if (rc < 0 && rc != STORE_ENOENT)
        return st_fail(st, rc);
    rc = st_mbox_delete_all(st, mbox_id);
    if (rc < 0)
        return st_fail(st, rc);
    key_make(k, mbox_id, K_MBOX, 0);
    rc = tree_del(st, k);
    if (rc < 0)
        return st_fail(st, rc);
    if (st->cur.hot.id == mbox_id)
        memset(&st->cur.hot, 0, sizeof st->cur.hot);
    st->cur.mailboxes--;
    st->cur.messages -= m.messages;
    st->pending = true;
    return STORE_OK;
}

int store_mbox_rename(store_t *st, uint32_t mbox_id, const char *new_name)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!st_name_ok(new_name, IMAP_MAILBOX_NAME_MAX))
        return STORE_EINVAL;
    store_mbox_t m;
    rc = st_mbox_load(st, mbox_id, &m);
    if (rc < 0)
        return rc;
    if (strcmp(m.name, new_name) == 0)
        return STORE_OK;
    uint64_t nid, free_id;
    uint32_t id = 0;
    rc = name_find(st, m.user_id, new_name, &nid, &free_id, &id);
    if (rc == STORE_OK)
        return STORE_EEXIST;
    if (rc != STORE_ENOENT)
        return rc;
    uint8_t k[KEY_SIZE], v[4];
    uint64_t old_nid;
    rc = name_find(st, m.user_id, m.name, &old_nid, NULL, &id);
    if (rc == STORE_OK) {
        key_make(k, m.user_id, K_MBOXNAME, old_nid);
        rc = tree_del(st, k);
    }
    if (rc < 0 && rc != STORE_ENOENT)
        return st_fail(st, rc);
    strcpy(m.name, new_name);
    rc = st_mbox_save_full(st, &m);
    if (rc < 0)
        return rc;
    key_make(k, m.user_id, K_MBOXNAME, free_id);
    st_put32(v, m.id);
    rc = tree_put(st, k, v, 4);
    return rc < 0 ? st_fail(st, rc) : STORE_OK;
}

int store_mbox_next(store_t *st, uint32_t user_id, uint64_t *cursor,
                    store_mbox_t *out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    for (int guard = 0; guard < 1000; guard++) {
        uint64_t nid;
        uint8_t v[VAL_MAX];
        size_t vl;
        rc = st_seek_kind(st, user_id, K_MBOXNAME, *cursor, &nid, v, &vl);
        if (rc < 0)
            return rc;
        *cursor = nid + 1;
        if (vl != 4)
            return STORE_ECORRUPT;
        rc = st_mbox_load(st, st_get32(v), out);
        if (rc != STORE_ENOENT)
            return rc;
    }
    return STORE_ECORRUPT;
}

int store_mbox_claim_recent(store_t *st, uint32_t mbox_id, uint32_t *lo_out,
                            uint32_t *hi_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t m;
    rc = st_mbox_load(st, mbox_id, &m);
    if (rc < 0)
        return rc;
    if (lo_out)
        *lo_out = m.first_recent_uid;
    if (hi_out)
        *hi_out = m.uidnext;
    if (m.first_recent_uid == m.uidnext && m.recent == 0)
        return STORE_OK;
    m.first_recent_uid = m.uidnext;
    m.recent = 0;
    return st_mbox_save(st, &m);
}

int store_mbox_purge(store_t *st, uint32_t mbox_id, uint64_t upto)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    store_mbox_t mb;
    rc = st_mbox_load(st, mbox_id, &mb);
    if (rc < 0)
        return rc;
    /* the pending expunges in xmodseq order: exactly those up to upto */
    for (;;) {
        uint8_t v[VAL_MAX], k[KEY_SIZE];
        size_t vl;
        uint64_t xmodseq, uid;
        rc = st_seek_kind(st, mbox_id, K_XBYMS, 0, &xmodseq, v, &vl);
        if (rc == STORE_ENOENT || (rc == STORE_OK && xmodseq > upto))
            return STORE_OK;
        if (rc < 0)
            return st_fail(st, rc);
        if (vl != 4)
            return st_fail(st, STORE_ECORRUPT);
        uid = st_get32(v);
        key_make(k, mbox_id, K_XBYMS, xmodseq);
        rc = tree_del(st, k);
        if (rc < 0)
            return st_fail(st, rc);
        st_put64(v, xmodseq);
        store_msg_t m;
        rc = st_msg_load(st, mbox_id, (uint32_t)uid, &m);
        uint32_t raw = MSGF_SHARED;
        if (rc == STORE_OK && st_msg_raw_flags(st, mbox_id, (uint32_t)uid,
                                               &raw) == STORE_OK &&
            !(raw & MSGF_SHARED)) {
            key_make(k, mbox_id, K_MSG, uid);
            st_live_sub(st, k, st_data_bytes(st, m.data_addr, m.size));
        }
        if (rc == STORE_OK) {
            key_make(k, mbox_id, K_CHG, m.modseq);
            rc = tree_del(st, k);
            if (rc == STORE_OK || rc == STORE_ENOENT) {
                key_make(k, mbox_id, K_MSG, uid);
                rc = tree_del(st, k);
            }
        }
        if (rc < 0 && rc != STORE_ENOENT)
            return st_fail(st, rc);
        key_make(k, mbox_id, K_XPEND, uid);
        rc = tree_del(st, k);
        if (rc == STORE_OK) {
            key_make(k, mbox_id, K_XHIST, uid);
            rc = tree_put(st, k, v, 8);
        }
        if (rc < 0 && rc != STORE_ENOENT)
            return st_fail(st, rc);
        st->pending = true;
    }
}

/* ---- keywords ------------------------------------------------------------ */

int store_keyword_name(store_t *st, uint32_t mbox_id, unsigned idx,
                       char *buf, size_t cap)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    size_t vl;
    key_make(k, mbox_id, K_KW, idx);
    rc = tree_get(st, k, v, &vl);
    if (rc < 0)
        return rc;
    if (vl + 1 > cap)
        return STORE_ELIMIT;
    memcpy(buf, v, vl);
    buf[vl] = 0;
    return STORE_OK;
}

static bool ascii_case_eq(const uint8_t *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t x = a[i], y = (uint8_t)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (uint8_t)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (uint8_t)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

int store_keyword_find(store_t *st, uint32_t mbox_id, const char *name,
                       bool add, unsigned *idx_out)
{
    int rc = st_writable(st);
    if (rc < 0)
        return rc;
    if (!st_name_ok(name, IMAP_KEYWORD_LEN_MAX))
        return add ? STORE_EINVAL : STORE_ENOENT;
    store_mbox_t m;
    rc = st_mbox_load(st, mbox_id, &m);
    if (rc < 0)
        return rc;
    size_t n = strlen(name);
    uint8_t k[KEY_SIZE], v[VAL_MAX];
    for (unsigned i = 0; i < m.nkeywords; i++) {
        size_t vl;
        key_make(k, mbox_id, K_KW, i);
        rc = tree_get(st, k, v, &vl);
        if (rc == STORE_ENOENT)
            continue;
        if (rc < 0)
            return rc;
        if (vl == n && ascii_case_eq(v, name, n)) {
            if (idx_out)
                *idx_out = i;
            return STORE_OK;
        }
    }
    if (!add)
        return STORE_ENOENT;
    if (m.nkeywords >= IMAP_KEYWORDS_MAX)
        return STORE_ELIMIT;
    key_make(k, mbox_id, K_KW, m.nkeywords);
    rc = tree_put(st, k, name, n);
    if (rc < 0)
        return st_fail(st, rc);
    if (idx_out)
        *idx_out = m.nkeywords;
    m.nkeywords++;
    return st_mbox_save(st, &m);
}
