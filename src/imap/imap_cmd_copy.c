/*
 * imap_cmd_copy.c - COPY and UID COPY with the UIDPLUS COPYUID code.
 *
 * A copy the store cannot take yet (STORE_EAGAIN: a compaction pass will
 * make room) is held at that message; step() runs a bounded compaction
 * step per round until it goes in, or the store says STORE_ENOSPC.
 */
#include <string.h>

#include "imap/imap_int.h"

/* Appends "lo[:hi]" to a set text; false when it no longer fits. */
static bool set_add(char *buf, uint16_t *len, size_t cap, uint32_t lo,
                    uint32_t hi)
{
    char t[24];
    imap_sb_t b = { t, sizeof t, 0 };
    if (*len)
        imap_sb_str(&b, ",");
    imap_sb_u64(&b, lo);
    if (hi != lo) {
        imap_sb_str(&b, ":");
        imap_sb_u64(&b, hi);
    }
    if (*len + b.len + 1 > cap)
        return false;
    memcpy(buf + *len, t, b.len);
    *len = (uint16_t)(*len + b.len);
    buf[*len] = 0;
    return true;
}

static void track(imap_copycmd_t *c, uint32_t su, uint32_t du)
{
    if (c->have && su == c->s_hi + 1 && du == c->d_hi + 1) {
        c->s_hi = su;
        c->d_hi = du;
        return;
    }
    if (c->have &&
        (!set_add(c->src_set, &c->src_len, sizeof c->src_set, c->s_lo, c->s_hi) ||
         !set_add(c->dst_set, &c->dst_len, sizeof c->dst_set, c->d_lo, c->d_hi)))
        c->overflow = true;
    c->s_lo = c->s_hi = su;
    c->d_lo = c->d_hi = du;
    c->have = true;
}

static int run_copy(imap_session_t *s)
{
    imap_copycmd_t *c = &s->u.copy;
    store_t *st = imap_store(s);
    store_msg_t m;
    uint32_t seq, uid;
    char *set;
    uint32_t sl;
    int r;

    if (!imap_cmd_set(s, 4, &set, &sl)) {
        imap_out_tagged(s, "BAD", "Invalid sequence set");
        return IMAP_R_DONE;
    }
    for (;;) {
        if (s->budget == 0) {
            if ((r = store_commit(st)) < 0)
                return imap_store_fail(s, r, "COPY failed");
            return IMAP_R_MORE;
        }
        uint32_t prev = c->cur;
        r = imap_set_next(s, set, sl, s->uid, c->star, &c->cur, &seq, &m);
        if (r == 0)
            break;
        s->budget--;
        if (r < 0)
            return imap_store_fail(s, r, "COPY failed");
        if (m.xmodseq != 0)
            continue;   /* expunged meanwhile */
        r = store_msg_copy(st, s->view.mbox_id, &m, c->dst_id, &uid);
        if (r == STORE_EAGAIN) {
            /* room comes when the compaction pass ends: keep what this
             * slice copied, hold this message for a later round */
            c->cur = prev;
            if ((r = store_commit(st)) < 0)
                return imap_store_fail(s, r, "COPY failed");
            s->space_wait = true;
            return IMAP_R_MORE;
        }
        if (r < 0)
            return imap_store_fail(s, r, "COPY failed");
        track(c, m.uid, uid);
    }
    if ((r = store_commit(st)) < 0)
        return imap_store_fail(s, r, "COPY failed");
    r = imap_updates(s, true);
    if (r != IMAP_R_DONE)
        return r;
    if (c->have && !c->overflow &&
        set_add(c->src_set, &c->src_len, sizeof c->src_set, c->s_lo, c->s_hi) &&
        set_add(c->dst_set, &c->dst_len, sizeof c->dst_set, c->d_lo, c->d_hi)) {
        imap_out_str(s, s->tag);
        imap_out_str(s, " OK [COPYUID ");
        imap_out_u32(s, c->dst_validity);
        imap_out(s, " ", 1);
        imap_out_str(s, c->src_set);
        imap_out(s, " ", 1);
        imap_out_str(s, c->dst_set);
        imap_out_str(s, "] COPY completed\r\n");
    } else {
        imap_out_tagged(s, "OK", "COPY completed");
    }
    return IMAP_R_DONE;
}

int imap_cmd_copy(imap_session_t *s, imap_parser_t *p, bool move)
{
    imap_copycmd_t *c = &s->u.copy;
    char name[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t mb;
    char *set, *a;
    uint32_t sl, al;
    int r;

    memset(c, 0, sizeof *c);
    c->move = move;
    if (!imap_p_sp(p) || !imap_p_seqset(p, &set, &sl) || !imap_p_sp(p) ||
        !imap_p_astring(p, &a, &al) || !imap_norm_mailbox(a, al, name, sizeof name) ||
        !imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", "Usage: COPY sequence-set mailbox");
        return IMAP_R_DONE;
    }
    r = store_mbox_find(imap_store(s), s->user_id, name, &mb);
    if (r == STORE_ENOENT) {
        imap_out_tagged(s, "NO", "[TRYCREATE] Mailbox does not exist");
        return IMAP_R_DONE;
    }
    if (r < 0)
        return imap_store_fail(s, r, "COPY failed");
    c->dst_id = mb.id;
    c->dst_validity = mb.uidvalidity;
    c->star = imap_star(s, s->uid);
    s->run = run_copy;
    return run_copy(s);
}
