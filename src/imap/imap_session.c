/*
 * imap_session.c - the session life cycle and the step() loop.
 *
 * step() runs the command in progress for one bounded slice, or lets the
 * framer find the next complete command and dispatches it.  It stops when
 * the slice budget is spent (IMAP_EV_BUSY), when the output buffer cannot
 * take the next response line (IMAP_EV_WANT_WRITE), or when there is
 * nothing to do until more input arrives.
 */
#include <string.h>

#include "imap/imap_int.h"

/* How often an IDLE session looks for changes made by other sessions. */
#ifndef IMAP_PARSER_POLL_MS
#define IMAP_PARSER_POLL_MS 20       /* a held APPEND looks for a parser */
#endif
#ifndef IMAP_IDLE_POLL_MS
#define IMAP_IDLE_POLL_MS 1000
#endif

store_t *imap_store(imap_session_t *s) { return s->srv->store; }

void imap_server_init(imap_server_t *srv, store_t *store,
                      const imap_config_t *cfg)
{
    /* the summary buffers stay untouched until a message needs them */
    memset(srv, 0, offsetof(imap_server_t, rd));
    srv->rd.valid = false;
    srv->rd.owner = NULL;
    for (unsigned i = 0; i < IMAP_MIME_PARSERS; i++)
        srv->app[i].owner = NULL;
    srv->store = store;
    /* a cooperative loop never waits for a whole compaction pass: the
     * store answers STORE_EAGAIN and the command is held instead */
    store_set_nonblocking(store, true);
    store_stat_t st;
    if (store_get_stat(store, &st) == STORE_OK) {
        srv->gc_running = st.compacting;
        srv->gc_passes = st.passes;
    }
    if (cfg != NULL)
        srv->cfg = *cfg;
    if (srv->cfg.greeting_name == NULL)
        srv->cfg.greeting_name = "imapd";
}

size_t imap_server_busy_bye(char *buf, size_t cap)
{
    static const char m[] = "* BYE Too many connections\r\n";
    size_t n = sizeof m - 1;
    if (n > cap)
        n = cap;
    memcpy(buf, m, n);
    return n;
}

void imap_log(imap_session_t *s, int level, const char *a, const char *b)
{
    char line[160];
    imap_sb_t sb = { line, sizeof line, 0 };

    if (s->srv->cfg.log == NULL)
        return;
    imap_sb_str(&sb, s->peer);
    imap_sb_str(&sb, ": ");
    imap_sb_str(&sb, a);
    if (b != NULL) {
        imap_sb_str(&sb, " ");
        imap_sb_str(&sb, b);
    }
    s->srv->cfg.log(s->srv->cfg.log_ctx, level, line);
}

void imap_capability(imap_session_t *s, imap_sb_t *b)
{
    imap_sb_str(b, "IMAP4rev1 LITERAL+ SASL-IR UIDPLUS UNSELECT NAMESPACE "
                   "ID IDLE CHILDREN");
    if (s->state == IMAP_ST_NOTAUTH) {
        if (imap_tls_offer(s))
            imap_sb_str(b, " STARTTLS");
        if (imap_plain_ok(s))
            imap_sb_str(b, " AUTH=PLAIN");
        else
            imap_sb_str(b, " LOGINDISABLED");
    }
}

static void session_open(imap_server_t *srv, imap_session_t *s,
                         uint64_t now_ms, const char *peer, bool tls)
{
    char cap[200];
    imap_sb_t b = { cap, sizeof cap, 0 };

    /* a slot reused without imap_session_close(): unlink it first */
    for (imap_session_t **pp = &srv->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            imap_tls_release(s);
            break;
        }
    }
    memset(s, 0, offsetof(imap_session_t, in));
    s->srv = srv;
    s->open = true;
    s->now = s->last_active = now_ms;
    if (peer == NULL)
        peer = "?";
    for (size_t i = 0; peer[i] && i + 1 < sizeof s->peer; i++)
        s->peer[i] = peer[i];
    s->next = srv->sessions;
    srv->sessions = s;
    if (tls) {
        /* the greeting waits in out[] for the handshake */
        imap_tls_attach(s, true);
        if (s->closing)
            return;
    }
    imap_capability(s, &b);
    imap_out_str(s, "* OK [CAPABILITY ");
    imap_out_str(s, cap);
    imap_out_str(s, "] ");
    imap_out_str(s, srv->cfg.greeting_name);
    imap_out_str(s, " ready\r\n");
    imap_log(s, IMAP_LOG_INFO, "connect", NULL);
}

void imap_session_open(imap_server_t *srv, imap_session_t *s, uint64_t now_ms,
                       const char *peer)
{
    session_open(srv, s, now_ms, peer, false);
}

void imap_session_open_tls(imap_server_t *srv, imap_session_t *s,
                           uint64_t now_ms, const char *peer)
{
    session_open(srv, s, now_ms, peer, true);
}

bool imap_session_is_open(const imap_session_t *s) { return s->open; }

size_t imap_session_rx_space(imap_session_t *s, uint8_t **p)
{
    if (s->tls != NULL && s->open)
        return imap_tls_rx_space(s, p);
    if (!s->open || s->closing || s->eof) {
        *p = s->in + s->in_len;
        return 0;
    }
    *p = s->in + s->in_len;
    return IMAP_INBUF_SIZE - s->in_len;
}

void imap_session_rx_commit(imap_session_t *s, size_t n)
{
    if (s->tls != NULL) {
        imap_tls_rx_commit(s, n);
        return;
    }
    if (n > IMAP_INBUF_SIZE - s->in_len)
        n = IMAP_INBUF_SIZE - s->in_len;
    s->in_len += (uint32_t)n;
    if (n > 0)
        s->rx_new = true;   /* step() stamps the activity with its clock */
}

void imap_session_rx_eof(imap_session_t *s)
{
    if (s->tls != NULL)
        imap_tls_rx_eof(s);   /* the engine sees it after the last record */
    else
        s->eof = true;
}

size_t imap_session_tx_data(imap_session_t *s, const uint8_t **p)
{
    if (s->tls != NULL)
        return imap_tls_tx_data(s, p);
    *p = s->out + s->out_head;
    return s->out_len - s->out_head;
}

void imap_session_tx_consume(imap_session_t *s, size_t n)
{
    if (s->tls != NULL) {
        imap_tls_tx_consume(s, n);
        return;
    }
    if (n > s->out_len - s->out_head)
        n = s->out_len - s->out_head;
    s->out_head += (uint32_t)n;
    if (s->out_head == s->out_len) {
        s->out_head = s->out_len = 0;
        if (s->tls_starting)
            imap_tls_plain_drained(s);   /* the STARTTLS OK is out */
    }
    if (n > 0)
        s->last_active = s->now;
}

static uint64_t timeout_at(const imap_session_t *s)
{
    return s->last_active + (s->state == IMAP_ST_NOTAUTH
                                 ? (uint64_t)IMAP_PREAUTH_TIMEOUT_MS
                                 : (uint64_t)IMAP_IDLE_TIMEOUT_MS);
}

static uint64_t engine_deadline(const imap_session_t *s)
{
    if (s->delayed && s->delay_until < timeout_at(s))
        return s->delay_until;
    if (s->parser_wait && s->now + IMAP_PARSER_POLL_MS < timeout_at(s))
        return s->now + IMAP_PARSER_POLL_MS;
    /* IDLE: look at the mailbox now and then for others' changes */
    if (s->idling && s->now + IMAP_IDLE_POLL_MS < timeout_at(s))
        return s->now + IMAP_IDLE_POLL_MS;
    return timeout_at(s);
}

uint64_t imap_session_deadline(const imap_session_t *s)
{
    if (!s->open || s->closing)
        return UINT64_MAX;
    if (s->tls != NULL)   /* the handshake has its own time limit */
        return imap_tls_deadline(s, engine_deadline(s));
    return engine_deadline(s);
}

void imap_set_bye(imap_session_t *s, const char *text)
{
    if (!s->bye_sent) {
        imap_out_str(s, "* BYE ");
        imap_out_str(s, text);
        imap_out_str(s, "\r\n");
        s->bye_sent = true;
    }
    s->closing = true;
}

static void abort_append(imap_session_t *s)
{
    if (s->app.active) {
        store_append_abort(imap_store(s), &s->app);
        store_rollback(imap_store(s));
    }
}

/* True when a BYE can go out now without cutting a response in two. */
static bool at_boundary(const imap_session_t *s)
{
    return s->run == NULL || s->await_line;
}

void imap_session_shutdown(imap_session_t *s, const char *reason)
{
    size_t i;

    if (!s->open)
        return;
    abort_append(s);
    if (reason == NULL)
        reason = "Server shutting down";
    for (i = 0; reason[i] && i + 1 < sizeof s->bye_reason; i++)
        s->bye_reason[i] = reason[i];
    s->bye_reason[i] = 0;
    s->shutdown = true;
    if (at_boundary(s))
        imap_set_bye(s, s->bye_reason);
    /* else step() finishes the running command first */
}

void imap_session_close(imap_session_t *s)
{
    imap_session_t **pp;

    if (!s->open)
        return;
    abort_append(s);
    if (s->selected)
        imap_unselect(s);
    imap_log(s, IMAP_LOG_INFO, "disconnect", s->user[0] ? s->user : NULL);
    imap_tls_release(s);
    for (pp = &s->srv->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    s->open = false;
}

/* ---- selected mailbox --------------------------------------------------- */

void imap_purge_mbox(imap_session_t *s, uint32_t mbox)
{
    uint64_t upto = UINT64_MAX;
    store_mbox_t mb;

    /* expunges every session showing the mailbox has announced */
    for (imap_session_t *o = s->srv->sessions; o; o = o->next) {
        if (!o->selected || o->view.mbox_id != mbox)
            continue;
        if (o->view.xsync < upto)
            upto = o->view.xsync;
    }
    if (upto == UINT64_MAX) {
        if (store_mbox_get(imap_store(s), mbox, &mb) < 0)
            return;
        upto = mb.highestmodseq;
    }
    if (store_mbox_purge(imap_store(s), mbox, upto) >= 0)
        store_commit(imap_store(s));
    else
        store_rollback(imap_store(s));
}

void imap_purge_check(imap_session_t *s)
{
    imap_purge_mbox(s, s->view.mbox_id);
}

void imap_unselect(imap_session_t *s)
{
    if (!s->selected)
        return;
    s->selected = false;
    s->state = IMAP_ST_AUTH;
    /* what only this session still showed can go now */
    imap_purge_mbox(s, s->view.mbox_id);
    memset(&s->view, 0, sizeof s->view);
}

uint32_t imap_star(imap_session_t *s, bool uid)
{
    store_msg_t m;
    if (!uid)
        return s->view.count;
    if (s->view.count == 0 ||
        store_view_get(imap_store(s), &s->view, s->view.count, &m) < 0)
        return 0;
    return m.uid;
}

int imap_set_next(imap_session_t *s, const char *set, uint32_t len, bool uid,
                  uint32_t star, uint32_t *cur, uint32_t *seq, store_msg_t *m)
{
    store_t *st = imap_store(s);
    uint32_t from, v;
    int r;

    if (*cur == UINT32_MAX)
        return 0;
    from = *cur + 1;
    if (!uid) {
        v = imap_seqset_next(set, len, star, from);
        if (v == 0 || v > s->view.count)
            return 0;
        r = store_view_get(st, &s->view, v, m);
        *cur = v;
        *seq = v;
        return r < 0 ? r : 1;
    }
    for (;;) {
        v = imap_seqset_next(set, len, star, from);
        if (v == 0)
            return 0;
        r = store_view_next_uid(st, &s->view, v, m, seq);
        if (r == STORE_ENOENT)
            return 0;
        if (r < 0)
            return r;
        if (imap_seqset_has(set, len, star, m->uid)) {
            *cur = m->uid;
            return 1;
        }
        from = m->uid;   /* the next member is above it */
    }
}

bool imap_msg_is_recent(imap_session_t *s, const store_msg_t *m)
{
    return s->view.claims_recent && m->uid >= s->view.recent_lo &&
           m->uid < s->view.recent_hi;
}

int imap_flags_update(imap_session_t *s)
{
    store_mbox_t mb;

    if (!s->selected ||
        store_mbox_get(imap_store(s), s->view.mbox_id, &mb) < 0 ||
        mb.nkeywords <= s->nkw)
        return IMAP_R_DONE;
    if (imap_out_free(s) < 2 * IMAP_LINE_RESERVE)
        return IMAP_R_WAIT;
    s->nkw = mb.nkeywords;
    imap_out_str(s, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
    imap_out_keywords(s, &mb);
    imap_out_str(s, ")\r\n");
    if (!s->readonly) {
        imap_out_str(s, "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted "
                        "\\Seen \\Draft");
        imap_out_keywords(s, &mb);
        imap_out_str(s, " \\*)] Flags permitted\r\n");
    }
    return IMAP_R_DONE;
}

int imap_updates(imap_session_t *s, bool allow_expunge)
{
    store_t *st = imap_store(s);
    store_msg_t m;
    uint32_t seq, old;
    int r;

    if (!s->selected)
        return IMAP_R_DONE;
    if ((r = imap_flags_update(s)) != IMAP_R_DONE)
        return r;
    if (allow_expunge) {
        for (;;) {
            if (imap_out_free(s) < 64)
                return IMAP_R_WAIT;
            r = store_view_expunges(st, &s->view, &seq);
            if (r <= 0)
                break;
            imap_out_str(s, "* ");
            imap_out_u32(s, seq);
            imap_out_str(s, " EXPUNGE\r\n");
            s->announced = true;
        }
        if (s->announced) {
            s->announced = false;
            imap_purge_check(s);
        }
    }
    if (imap_out_free(s) < 64)
        return IMAP_R_WAIT;
    old = s->view.count;
    uint32_t old_next = s->view.uidnext;
    r = store_view_grow(st, &s->view);
    if (r == STORE_ENOENT) {   /* another session deleted the mailbox */
        imap_set_bye(s, "Selected mailbox was deleted");
        return IMAP_R_DONE;
    }
    if (r >= 0 && s->view.count != old) {
        imap_out_str(s, "* ");
        imap_out_u32(s, s->view.count);
        imap_out_str(s, " EXISTS\r\n* ");
        imap_out_u32(s, s->view.recent);
        imap_out_str(s, " RECENT\r\n");
    }
    for (;;) {
        if (imap_out_free(s) < IMAP_LINE_RESERVE)
            return IMAP_R_WAIT;
        r = store_view_changes(st, &s->view, &m, &seq);
        if (r <= 0)
            break;
        if (m.uid >= old_next)
            continue;   /* just announced by EXISTS: the client fetches it */
        imap_out_str(s, "* ");
        imap_out_u32(s, seq);
        imap_out_str(s, " FETCH (UID ");
        imap_out_u32(s, m.uid);
        imap_out_str(s, " FLAGS ");
        imap_out_flags(s, s->view.mbox_id, m.flags, m.keywords,
                       imap_msg_is_recent(s, &m));
        imap_out_str(s, ")\r\n");
    }
    return IMAP_R_DONE;
}

static uint64_t highest(imap_session_t *s)
{
    store_mbox_t mb;
    if (store_mbox_get(imap_store(s), s->view.mbox_id, &mb) < 0)
        return UINT64_MAX;
    return mb.highestmodseq;
}

/* Only when the session knows every change so far can it skip its own. */
void imap_own_begin(imap_session_t *s)
{
    s->own_expect = highest(s);
    s->own_ok = s->own_expect != UINT64_MAX && s->view.fsync >= s->own_expect &&
                !s->view.it_active;
}

/* At the start of every later slice: did anybody else change anything? */
void imap_own_slice(imap_session_t *s)
{
    if (s->own_ok && highest(s) != s->own_expect)
        s->own_ok = false;
}

void imap_own_note(imap_session_t *s, uint64_t modseq)
{
    if (modseq > s->own_expect)
        s->own_expect = modseq;
}

void imap_own_end(imap_session_t *s)
{
    imap_own_slice(s);
    if (s->own_ok && s->own_expect > s->view.fsync)
        s->view.fsync = s->own_expect;
    s->own_ok = false;
}

int imap_store_fail(imap_session_t *s, int err, const char *what)
{
    char t[120];
    imap_sb_t b = { t, sizeof t, 0 };

    store_rollback(imap_store(s));
    if (err == STORE_ENOSPC)
        imap_sb_str(&b, "[OVERQUOTA] ");
    else if (err == STORE_ELIMIT)
        imap_sb_str(&b, "[LIMIT] ");
    else if (err == STORE_EAGAIN)
        imap_sb_str(&b, "[UNAVAILABLE] ");
    else if (err == STORE_EIO || err == STORE_ECORRUPT)
        imap_sb_str(&b, "[SERVERBUG] ");
    imap_sb_str(&b, what);
    imap_sb_str(&b, ": ");
    imap_sb_str(&b, store_strerror(err));
    imap_out_tagged(s, "NO", t);
    return IMAP_R_DONE;
}

/* ---- the loop ----------------------------------------------------------- */

static void command_done(imap_session_t *s)
{
    s->run = NULL;
    s->await_line = false;
    s->line_ready = false;
    s->idling = false;
    if (s->cmd_len) {
        imap_framer_drop(s, s->cmd_len);
        s->cmd_len = 0;
    }
    s->tag[0] = 0;
    s->last_active = s->now;
}

unsigned imap_session_step(imap_session_t *s, uint64_t now_ms)
{
    bool busy = false;
    unsigned ev = 0;

    if (!s->open)
        return IMAP_EV_CLOSE;
    s->now = now_ms;
    s->budget = IMAP_SLICE_BUDGET;
    if (s->rx_new) {
        s->rx_new = false;
        s->last_active = now_ms;
    }
    if (!s->closing && now_ms >= timeout_at(s)) {
        abort_append(s);
        if (at_boundary(s))
            imap_set_bye(s, "Autologout");
        else
            s->closing = true;   /* stuck mid-response: just close */
        imap_log(s, IMAP_LOG_INFO, "autologout", NULL);
    }
    if (s->tls != NULL && !imap_tls_pre_step(s))
        return imap_tls_post_step(s, s->closing ? IMAP_EV_CLOSE : 0);
    s->parser_wait = false;   /* a held APPEND tries again below */
    if (s->space_wait) {
        /* a held APPEND/COPY: one bounded compaction step, then it tries
         * again below (other sessions are served in between) */
        s->space_wait = false;
        imap_server_maintain(s->srv, 0);
    }
    while (!s->closing && !s->tls_starting) {
        if (s->shutdown && at_boundary(s)) {
            imap_set_bye(s, s->bye_reason);
            break;
        }
        if (s->delayed) {
            if (now_ms < s->delay_until)
                break;
            s->delayed = false;
            imap_out_tagged(s, "NO", "[AUTHENTICATIONFAILED] Authentication failed");
            command_done(s);
            if (s->fails >= IMAP_AUTH_FAIL_MAX)
                imap_set_bye(s, "Too many authentication failures");
            continue;
        }
        if (s->run != NULL) {
            int r = s->run(s);
            if (r == IMAP_R_DONE) {
                if (s->delayed) {   /* the answer is held: keep the tag */
                    s->run = NULL;
                    s->await_line = false;
                    s->line_ready = false;
                } else {
                    command_done(s);
                }
                continue;
            }
            if (r == IMAP_R_MORE) {
                busy = true;
                break;
            }
            if (r == IMAP_R_WAIT)
                break;
            /* IMAP_R_LINE: the command waits for an input line */
            if (imap_out_free(s) >= IMAP_LINE_RESERVE && imap_framer_poll(s)) {
                s->line_ready = true;
                continue;
            }
            if (s->eof && !s->closing) {
                s->closing = true;
                imap_log(s, IMAP_LOG_INFO, "peer closed", NULL);
            }
            break;
        }
        if (s->budget == 0) {
            busy = true;
            break;
        }
        if (imap_out_free(s) < IMAP_LINE_RESERVE)
            break;
        if (imap_framer_poll(s)) {
            s->budget--;
            imap_dispatch(s);
            continue;
        }
        if (s->run != NULL)
            continue;
        if (s->space_wait) {
            busy = true;
            break;
        }
        if (s->fmode == IMAP_FM_APPEND && s->budget == 0 && s->in_len > 0)
            busy = true;
        if (s->eof && !s->closing) {
            abort_append(s);
            s->closing = true;
        }
        break;
    }
    if (s->out_len > s->out_head)
        ev |= IMAP_EV_WANT_WRITE;
    if (s->closing) {
        ev |= IMAP_EV_CLOSE;
    } else {
        if (s->in_len < IMAP_INBUF_SIZE && !s->eof)
            ev |= IMAP_EV_WANT_READ;
        if (busy)
            ev |= IMAP_EV_BUSY;
    }
    if (s->tls != NULL)
        ev = imap_tls_post_step(s, ev);
    imap_server_watch_store(s->srv);
    return ev;
}
