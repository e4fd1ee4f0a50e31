/*
 * imap_cmd_store.c - STORE, UID STORE (FLAGS, +FLAGS, -FLAGS, .SILENT).
 */
#include <string.h>

#include "imap/imap_int.h"

static int bad(imap_session_t *s, const char *t)
{
    imap_out_tagged(s, "BAD", t);
    return IMAP_R_DONE;
}

/* Finds the set again in the command line: tag SP [UID SP] NAME SP set. */
bool imap_cmd_set(imap_session_t *s, uint32_t namelen, char **set,
                  uint32_t *len)
{
    imap_parser_t p;
    imap_p_init(&p, s->in, s->cmd_len);
    while (p.pos < p.end && p.buf[p.pos] != ' ')
        p.pos++;
    p.pos += 1 + (s->uid ? 4 : 0) + namelen + 1;
    return imap_p_seqset(&p, set, len);
}

static int run_store(imap_session_t *s)
{
    imap_storecmd_t *c = &s->u.store;
    store_t *st = imap_store(s);
    char *set;
    uint32_t sl;
    int r;

    if (!imap_cmd_set(s, 5, &set, &sl))
        return bad(s, "Invalid sequence set");
    if ((r = imap_flags_update(s)) != IMAP_R_DONE)
        return r;   /* a keyword this STORE created: FLAGS first */
    imap_own_slice(s);
    for (;;) {
        if (c->pending) {
            if (imap_out_free(s) < IMAP_LINE_RESERVE)
                return IMAP_R_WAIT;
            imap_out_str(s, "* ");
            imap_out_u32(s, c->seq);
            imap_out_str(s, " FETCH (FLAGS ");
            imap_out_flags(s, s->view.mbox_id, c->msg.flags, c->msg.keywords,
                           imap_msg_is_recent(s, &c->msg));
            if (s->uid) {
                imap_out_str(s, " UID ");
                imap_out_u32(s, c->msg.uid);
            }
            imap_out_str(s, ")\r\n");
            c->pending = false;
        }
        if (s->budget == 0) {
            if (store_commit(st) < 0)
                return imap_store_fail(s, STORE_EIO, "STORE failed");
            return IMAP_R_MORE;
        }
        r = imap_set_next(s, set, sl, s->uid, c->star, &c->cur, &c->seq,
                          &c->msg);
        if (r == 0)
            break;
        s->budget--;
        if (r < 0)
            continue;
        uint32_t nf = c->msg.flags;
        uint64_t nk = c->msg.keywords;
        if (c->mode == 0) {
            nf = c->flags;
            nk = c->keywords;
        } else if (c->mode > 0) {
            nf |= c->flags;
            nk |= c->keywords;
        } else {
            nf &= ~c->flags;
            nk &= ~c->keywords;
        }
        if (c->msg.xmodseq == 0 && (nf != c->msg.flags || nk != c->msg.keywords)) {
            uint64_t ms = 0;
            r = store_msg_set_flags(st, s->view.mbox_id, c->msg.uid, nf, nk, &ms);
            if (r < 0 && r != STORE_ENOENT)
                return imap_store_fail(s, r, "STORE failed");
            if (r >= 0) {
                imap_own_note(s, ms);
                c->msg.flags = nf;
                c->msg.keywords = nk;
            }
        }
        c->pending = !c->silent;
    }
    r = store_commit(st);
    if (r < 0)
        return imap_store_fail(s, r, "STORE failed");
    imap_own_end(s);
    if (imap_out_free(s) < 128)
        return IMAP_R_WAIT;
    imap_out_tagged(s, "OK", s->uid ? "UID STORE completed" : "STORE completed");
    return IMAP_R_DONE;
}

int imap_cmd_store(imap_session_t *s, imap_parser_t *p)
{
    imap_storecmd_t *c = &s->u.store;
    char *set, *a;
    uint32_t sl, al;
    bool paren;
    int r;

    memset(c, 0, sizeof *c);
    if (!imap_p_sp(p) || !imap_p_seqset(p, &set, &sl) || !imap_p_sp(p) ||
        !imap_p_atom(p, &a, &al, NULL) || !imap_p_sp(p))
        return bad(s, "Usage: STORE sequence-set item flags");
    if (al > 0 && (a[0] == '+' || a[0] == '-')) {
        c->mode = a[0] == '+' ? 1 : -1;
        a++;
        al--;
    }
    if (al > 7 && imap_ieq(a + al - 7, 7, ".SILENT")) {
        c->silent = true;
        al -= 7;
    }
    if (!imap_ieq(a, al, "FLAGS"))
        return bad(s, "Unknown STORE item");
    if (s->readonly) {
        imap_out_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only");
        return IMAP_R_DONE;
    }
    r = imap_parse_flags(s, p, s->view.mbox_id, c->mode >= 0, &c->flags,
                         &c->keywords, &paren);
    if (r < 0)
        return imap_store_fail(s, r, "STORE failed");
    if (r > 0 || !imap_p_eol(p))
        return bad(s, "Invalid flag list");
    c->star = imap_star(s, s->uid);
    imap_own_begin(s);
    s->run = run_store;
    return run_store(s);
}
