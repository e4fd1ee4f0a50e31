/*
 * imap_cmd_append.c - APPEND with its message literal streamed to the store.
 *
 * The framer calls imap_append_start() when it sees the literal that ends
 * an APPEND line; from then on the input buffer holds message bytes, which
 * go to store_append_write() chunk by chunk (imap_append_data()).  The line
 * after the literal must be empty (no MULTIAPPEND): imap_append_tail().
 *
 * When the store is short of space but a compaction pass will make room
 * (STORE_EAGAIN), the APPEND is held before its "+" continuation: the
 * framer keeps the line, step() runs one bounded compaction step per round
 * and the line is parsed again (imap_session.c, space_wait).  A finish
 * the store answers STORE_EAGAIN is held the same way after the literal
 * (run_append_finish).
 */
#include <string.h>

#include "imap/imap_int.h"

static const char *const sysnames[] = {
    "\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft",
};

static int one_flag(imap_session_t *s, char *a, uint32_t al, uint32_t mbox,
                    bool add_kw, uint32_t *flags, uint64_t *kw)
{
    char name[IMAP_KEYWORD_LEN_MAX + 1];
    unsigned idx;
    int r;

    if (a[0] == '\\') {
        for (unsigned i = 0; i < 5; i++)
            if (imap_ieq(a, al, sysnames[i])) {
                *flags |= 1u << i;
                return 0;
            }
        if (imap_ieq(a, al, "\\Recent"))
            return 0;   /* cannot be set; silently ignored */
        return 1;
    }
    if (!imap_p_copy(a, al, name, sizeof name))
        return STORE_ELIMIT;
    r = store_keyword_find(imap_store(s), mbox, name, add_kw, &idx);
    if (r == STORE_ENOENT && !add_kw)
        return 0;
    if (r < 0)
        return r;
    if (idx < 64)
        *kw |= (uint64_t)1 << idx;
    return 0;
}

int imap_parse_flags(imap_session_t *s, imap_parser_t *p, uint32_t mbox,
                     bool add_kw, uint32_t *flags, uint64_t *kw, bool *paren)
{
    char *a;
    uint32_t al;
    unsigned n = 0;
    int r;

    *flags = 0;
    *kw = 0;
    *paren = imap_p_char(p, '(');
    for (;;) {
        if (*paren && imap_p_char(p, ')'))
            return 0;
        if (!*paren && n > 0 && imap_p_eol(p))
            return 0;
        if (n > 0 && !imap_p_sp(p))
            return 1;
        if (imap_p_char(p, '\\')) {
            p->pos--;
            if (!imap_p_atom(p, &a, &al, "\\") || al < 2)
                return 1;
        } else if (!imap_p_atom(p, &a, &al, NULL)) {
            return 1;
        }
        if ((r = one_flag(s, a, al, mbox, add_kw, flags, kw)) != 0)
            return r;
        n++;
    }
}

static void refuse(imap_session_t *s, const char *status, const char *text,
                   bool nonsync, uint64_t n, uint32_t consumed)
{
    imap_out_tagged(s, status, text);
    s->tag[0] = 0;
    imap_framer_drop(s, consumed);
    if (nonsync)   /* the client sends the literal anyway: drop it */
        imap_framer_discard(s, n, false);
}

void imap_append_start(imap_session_t *s, uint32_t mark, uint64_t n,
                       bool nonsync, uint32_t consumed)
{
    store_t *st = imap_store(s);
    imap_parser_t p;
    char *a;
    uint32_t al, flags = 0;
    uint64_t kw = 0;
    int64_t t = (int64_t)(s->now / 1000);
    int16_t tz = 0;
    char name[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t mb;
    bool paren;
    int r;

    imap_p_init(&p, s->in, mark);
    p.end = mark;
    if (!imap_p_atom(&p, &a, &al, "]") || al > IMAP_TAG_MAX ||
        memchr(a, '+', al) || p.pos + 8 > mark || s->in[p.pos] != ' ') {
        strcpy(s->tag, "*");
        refuse(s, "BAD", "Invalid tag", nonsync, n, consumed);
        return;
    }
    memcpy(s->tag, a, al);
    s->tag[al] = 0;
    p.pos += 8;   /* " APPEND " checked by the framer */
    if (s->state != IMAP_ST_AUTH && s->state != IMAP_ST_SELECTED) {
        refuse(s, "BAD", "Command not valid before login", nonsync, n, consumed);
        return;
    }
    if (!imap_p_astring(&p, &a, &al) || !imap_norm_mailbox(a, al, name, sizeof name) ||
        !imap_p_sp(&p)) {
        refuse(s, "BAD", "Usage: APPEND mailbox [(flags)] [date-time] {size}",
               nonsync, n, consumed);
        return;
    }
    r = store_mbox_find(st, s->user_id, name, &mb);
    if (r == STORE_ENOENT) {
        refuse(s, "NO", "[TRYCREATE] Mailbox does not exist", nonsync, n, consumed);
        return;
    }
    if (r < 0) {
        store_rollback(st);
        refuse(s, "NO", "[SERVERBUG] Store error", nonsync, n, consumed);
        return;
    }
    if (imap_p_peek(&p) == '(') {
        r = imap_parse_flags(s, &p, mb.id, true, &flags, &kw, &paren);
        if (r != 0 || !imap_p_sp(&p)) {
            store_rollback(st);
            refuse(s, r < 0 ? "NO" : "BAD",
                   r < 0 ? "[LIMIT] Too many keywords" : "Invalid flag list",
                   nonsync, n, consumed);
            return;
        }
    }
    if (imap_p_peek(&p) == '"') {
        if (!imap_p_string(&p, &a, &al) || !imap_parse_datetime(a, al, &t, &tz) ||
            !imap_p_sp(&p)) {
            store_rollback(st);
            refuse(s, "BAD", "Invalid date-time", nonsync, n, consumed);
            return;
        }
    }
    if (p.pos != mark) {
        store_rollback(st);
        refuse(s, "BAD", "Invalid APPEND arguments", nonsync, n, consumed);
        return;
    }
    if (n > IMAP_LITERAL_MAX || n > 0xFFFFFFFFu) {
        store_rollback(st);
        refuse(s, "NO", "[TOOBIG] Message too large", nonsync, n, consumed);
        return;
    }
    if (imap_summary_parser(s) == NULL) {
        /* every structure parser is busy with another APPEND: hold this
         * one before its "+", like a store short of room, until one ends
         * (tried again every IMAP_PARSER_POLL_MS, not in a busy loop:
         * the other client's literal may take minutes) */
        store_rollback(st);
        s->tag[0] = 0;
        s->parser_wait = true;
        return;
    }
    r = store_append_begin(st, &s->app, mb.id, (uint32_t)n, flags, kw, t, tz);
    if (r == STORE_EAGAIN) {
        /* space comes when the compaction pass under way ends: hold the
         * command (no "+" yet; a LITERAL+ client's bytes wait in the input
         * buffer and then in TCP) and start it again on a later round */
        store_rollback(st);
        s->tag[0] = 0;
        s->space_wait = true;
        return;
    }
    if (r < 0) {
        store_rollback(st);
        refuse(s, "NO", r == STORE_ENOSPC ? "[OVERQUOTA] Not enough space"
                                          : "[SERVERBUG] Cannot store message",
               nonsync, n, consumed);
        return;
    }
    s->app_validity = mb.uidvalidity;
    /* the structure summary is made as the message streams in, by the
     * parser slot taken above (it stays ours while s->app is active) */
    if (!nonsync)
        imap_out_str(s, "+ Ready for literal data\r\n");
    imap_framer_drop(s, consumed);
    s->fmode = IMAP_FM_APPEND;
    s->app_rem = n;
}

void imap_append_data(imap_session_t *s)
{
    store_t *st = imap_store(s);

    while (s->app_rem > 0 && s->in_len > 0) {
        uint64_t take = s->in_len < s->app_rem ? s->in_len : s->app_rem;
        long w;
        if (s->budget == 0)
            return;
        w = store_append_write(st, &s->app, s->in, (size_t)take);
        if (w < 0) {
            store_append_abort(st, &s->app);
            store_rollback(st);
            imap_out_tagged(s, "NO", w == STORE_ENOSPC
                                         ? "[OVERQUOTA] Not enough space"
                                         : "[SERVERBUG] Cannot store message");
            s->tag[0] = 0;
            imap_framer_discard(s, s->app_rem, false);
            return;
        }
        if (w == 0)
            return;   /* the store wants a whole chunk: wait for more */
        s->budget--;
        mime_parse_feed(&s->srv->app[s->u.app.slot].mp, s->in, (size_t)w);
        imap_framer_drop(s, (uint32_t)w);
        s->app_rem -= (uint64_t)w;
    }
    if (s->app_rem == 0)
        imap_framer_discard(s, 0, true);
}

static int run_append_done(imap_session_t *s)
{
    char t[80];
    imap_sb_t b = { t, sizeof t, 0 };
    int r = imap_updates(s, true);

    if (r != IMAP_R_DONE)
        return r;
    imap_sb_str(&b, "[APPENDUID ");
    imap_sb_u64(&b, s->app_validity);
    imap_sb_str(&b, " ");
    imap_sb_u64(&b, s->app_uid);
    imap_sb_str(&b, "] APPEND completed");
    imap_out_tagged(s, "OK", t);
    return IMAP_R_DONE;
}

/* Publishes the message and commits.  A finish the store cannot make in
 * one go (STORE_EAGAIN: data written before a compaction pass began moves
 * above the pass's mark a step at a time) holds the command here: one
 * bounded compaction step per round (space_wait), then the finish again,
 * other sessions served in between. */
static int run_append_finish(imap_session_t *s)
{
    store_t *st = imap_store(s);
    uint32_t mbox = s->app.mbox_id;
    int r = store_append_finish(st, &s->app, &s->app_uid);

    if (r == STORE_EAGAIN) {
        s->space_wait = true;
        return IMAP_R_MORE;
    }
    if (r >= 0) {
        store_msg_t m;
        imap_mime_slot_t *a = &s->srv->app[s->u.app.slot];
        uint32_t sl = mime_parse_finish(&a->mp);
        if (sl > 0 && store_msg_get(st, mbox, s->app_uid, &m) >= 0)
            r = store_msg_summary_set(st, &m, a->sum, sl);
    }
    if (r >= 0)
        r = store_commit(st);
    if (r < 0) {
        if (s->app.active)
            store_append_abort(st, &s->app);
        return imap_store_fail(s, r, "APPEND failed");
    }
    s->run = run_append_done;
    return run_append_done(s);
}

void imap_append_tail(imap_session_t *s, bool junk)
{
    store_t *st = imap_store(s);

    if (junk) {
        store_append_abort(st, &s->app);
        store_rollback(st);
        imap_out_tagged(s, "BAD", "Unexpected data after the message literal");
        s->tag[0] = 0;
        return;
    }
    s->cmd_len = 0;
    s->run = run_append_finish;
}
