/*
 * imap_cmd_expunge.c - EXPUNGE, UID EXPUNGE (UIDPLUS) and CLOSE.
 */
#include <string.h>

#include "imap/imap_int.h"

static int run_expunge(imap_session_t *s)
{
    imap_xcmd_t *x = &s->u.xp;
    store_t *st = imap_store(s);
    store_msg_t m;
    uint32_t seq;
    char all[] = "1:*";
    char *set = all;
    uint32_t sl = 3;
    int r;

    if (x->use_set && !imap_cmd_set(s, 7, &set, &sl)) {
        imap_out_tagged(s, "BAD", "Invalid sequence set");
        return IMAP_R_DONE;
    }
    for (;;) {
        if (s->budget == 0) {
            if ((r = store_commit(st)) < 0)
                return imap_store_fail(s, r, "EXPUNGE failed");
            return IMAP_R_MORE;
        }
        r = imap_set_next(s, set, sl, x->use_set, x->star, &x->cur, &seq, &m);
        if (r == 0)
            break;
        s->budget--;
        if (r < 0 || m.xmodseq != 0 || !(m.flags & STORE_F_DELETED))
            continue;
        r = store_msg_expunge(st, s->view.mbox_id, m.uid);
        if (r < 0 && r != STORE_ENOENT)
            return imap_store_fail(s, r, "EXPUNGE failed");
    }
    if ((r = store_commit(st)) < 0)
        return imap_store_fail(s, r, "EXPUNGE failed");
    if (x->silent_close) {
        imap_unselect(s);
        imap_out_tagged(s, "OK", "CLOSE completed");
        return IMAP_R_DONE;
    }
    r = imap_updates(s, true);
    if (r != IMAP_R_DONE)
        return r;
    imap_out_tagged(s, "OK", x->use_set ? "UID EXPUNGE completed"
                                        : "EXPUNGE completed");
    return IMAP_R_DONE;
}

int imap_cmd_expunge(imap_session_t *s, imap_parser_t *p, bool uid, bool close)
{
    imap_xcmd_t *x = &s->u.xp;
    char *set;
    uint32_t sl;

    memset(x, 0, sizeof *x);
    if (uid) {
        if (!imap_p_sp(p) || !imap_p_seqset(p, &set, &sl) || !imap_p_eol(p)) {
            imap_out_tagged(s, "BAD", "Usage: UID EXPUNGE uid-set");
            return IMAP_R_DONE;
        }
        x->use_set = true;
    } else if (!imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", "No arguments expected");
        return IMAP_R_DONE;
    }
    x->silent_close = close;
    if (s->readonly) {
        if (close) {
            imap_unselect(s);
            imap_out_tagged(s, "OK", "CLOSE completed");
        } else {
            imap_out_tagged(s, "NO", "[READ-ONLY] Mailbox is read-only");
        }
        return IMAP_R_DONE;
    }
    x->star = imap_star(s, uid);
    s->run = run_expunge;
    return run_expunge(s);
}
