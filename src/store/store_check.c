/*
 * store_check.c - store_check(): verify an image (imapctl fsck).
 *
 *   - the log from its tail: every record's CRC, commit sequences in
 *     order, replaying to the state the store mounted with;
 *   - the index: every node (CRC, structure), key order, subtree counts;
 *   - every mailbox against its entries: live and unseen message counts,
 *     uids below uidnext, modseqs up to highestmodseq, keywords in the
 *     table, CHG and XPEND entries matching their messages;
 *   - every message's data chunks (CRC);
 *   - the totals (users, mailboxes, messages).
 * Read-only; RAM: a few hundred bytes of stack.
 */
#include "store/store_priv.h"

typedef struct check_ctx {
    store_check_cb cb;
    void *ctx;
    uint64_t users, mboxes, msgs;
    /* the mailbox whose entries are being walked (key order puts its
     * record first, then MSG, CHG, XPEND, XHIST, KW) */
    bool in_mbox;
    store_mbox_t mb;
    uint32_t live, unseen, expunged, xpend, xbyms, kws;
    uint32_t reported;
} check_ctx_t;

static int problem(check_ctx_t *cc, const char *what, uint64_t where)
{
    if (cc->cb)
        cc->cb(cc->ctx, what, where);
    cc->reported++;
    return 1;
}

static int mbox_done(check_ctx_t *cc)
{
    int n = 0;
    if (!cc->in_mbox)
        return 0;
    cc->in_mbox = false;
    if (cc->live != cc->mb.messages)
        n += problem(cc, "mailbox message count differs from its messages", cc->mb.id);
    if (cc->unseen != cc->mb.unseen)
        n += problem(cc, "mailbox unseen count differs from its messages", cc->mb.id);
    if (cc->xpend != cc->expunged || cc->xbyms != cc->expunged)
        n += problem(cc, "expunge entries differ from expunged messages", cc->mb.id);
    if (cc->kws > cc->mb.nkeywords)
        n += problem(cc, "keywords beyond the mailbox's table", cc->mb.id);
    return n;
}

static int check_msg(store_t *st, check_ctx_t *cc, uint32_t mbox, uint32_t uid)
{
    store_msg_t m;
    int n = 0;
    if (st_msg_load(st, mbox, uid, &m) < 0)
        return problem(cc, "bad message record", uid);
    if (!m.xmodseq) {
        cc->msgs++;
        cc->live++;
        if (!(m.flags & STORE_F_SEEN))
            cc->unseen++;
    } else {
        cc->expunged++;
    }
    if (uid == 0 || uid >= cc->mb.uidnext)
        n += problem(cc, "message uid not below uidnext", uid);
    if (m.modseq > cc->mb.highestmodseq || m.xmodseq > cc->mb.highestmodseq)
        n += problem(cc, "message modseq above the mailbox's", uid);
    if (cc->mb.nkeywords < 64 && (m.keywords >> cc->mb.nkeywords))
        n += problem(cc, "message keyword not in the table", uid);
    uint8_t buf[256];
    st->ok_chunk = UINT64_MAX;
    for (uint32_t off = 0; off < m.size;) {
        long r = store_msg_read(st, &m, off, buf, sizeof buf);
        if (r == STORE_EIO)
            return (int)r;
        if (r <= 0)
            return n + problem(cc, "message data fails its CRC", m.data_addr);
        off += (uint32_t)r;
    }
    return n;
}

static int check_entry(store_t *st, const uint8_t *key, const uint8_t *val,
                       size_t vlen, void *arg)
{
    check_ctx_t *cc = arg;
    uint8_t kind = key_kind(key);
    uint32_t owner = key_owner(key);
    uint64_t id = key_id(key);
    int n = 0;
    if (cc->in_mbox && (owner != cc->mb.id || kind < K_MBOX))
        n += mbox_done(cc);
    if (kind == K_USER) {
        cc->users++;
        return n;
    }
    if (kind == K_MBOX) {
        cc->mboxes++;
        if (id != 0 || st_mbox_load(st, owner, &cc->mb) < 0)
            return n + problem(cc, "bad mailbox record", owner);
        cc->in_mbox = true;
        cc->live = cc->unseen = cc->expunged = cc->xpend = cc->xbyms = 0;
        cc->kws = 0;
        return n;
    }
    if (kind < K_MBOX)
        return n;  /* names and subscriptions */
    if (!cc->in_mbox)
        return n + problem(cc, "entry of a mailbox that does not exist", owner);
    store_msg_t m;
    switch (kind) {
    case K_MSG:
        if (id > UINT32_MAX)
            return n + problem(cc, "bad message key", owner);
        return n + check_msg(st, cc, owner, (uint32_t)id);
    case K_CHG:
        if (vlen != 4 || st_msg_load(st, owner, st_get32(val), &m) < 0)
            return n + problem(cc, "change entry without its message", id);
        if (m.modseq != id)
            n += problem(cc, "change entry with a stale modseq", id);
        return n;
    case K_XPEND:
        cc->xpend++;
        if (vlen != 8 || id > UINT32_MAX ||
            st_msg_load(st, owner, (uint32_t)id, &m) < 0 ||
            m.xmodseq != st_get64(val))
            n += problem(cc, "expunge entry without its expunged message", id);
        return n;
    case K_KW:
        cc->kws++;
        if (id >= cc->mb.nkeywords || vlen == 0 || vlen > IMAP_KEYWORD_LEN_MAX)
            n += problem(cc, "bad keyword entry", id);
        return n;
    case K_XHIST:
        return n;
    case K_XBYMS:
        cc->xbyms++;
        if (vlen != 4 || st_msg_load(st, owner, st_get32(val), &m) < 0 ||
            m.xmodseq != id)
            n += problem(cc, "expunge entry without its expunged message", id);
        return n;
    default:
        return n + problem(cc, "unknown index entry", kind);
    }
}

int store_check(store_t *st, store_check_cb report, void *ctx)
{
    if (!st || !st->dev)
        return STORE_ENOTMOUNTED;
    int problems = 0;
    check_ctx_t cc;
    memset(&cc, 0, sizeof cc);
    cc.cb = report;
    cc.ctx = ctx;

    log_scan_t sc = { .pos = st->com.tail, .gen = st->com.tail_gen,
                      .cur_blk = NO_BLOCK, .seq = st->com.tail_seq };
    int rc = log_scan(st, &sc);
    if (rc < 0)
        return rc;
    if (sc.seq != st->commit_seq || (sc.found && sc.state.root != st->com.root))
        problems += problem(&cc, "log does not replay to the last commit", sc.stop);

    uint32_t before = cc.reported;
    rc = tree_walk(st, check_entry, &cc);
    if (rc < 0)
        return rc;
    if ((uint32_t)rc > cc.reported - before && report)  /* not told yet */
        report(ctx, "index node damaged, out of order or miscounted",
               (uint64_t)rc - (cc.reported - before));
    problems += rc + mbox_done(&cc);
    if (cc.users != st->cur.users || cc.mboxes != st->cur.mailboxes ||
        cc.msgs != st->cur.messages)
        problems += problem(&cc, "totals do not match the index", cc.msgs);
    return problems;
}
