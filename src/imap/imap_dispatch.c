/*
 * imap_dispatch.c - tag, command name, state check; the small commands.
 */
#include <string.h>

#include "imap/imap_int.h"

#define ANY   0x7u
#define NAUTH 0x1u
#define AUTH  0x6u   /* authenticated or selected */
#define SEL   0x4u

static int cmd_capability(imap_session_t *s, imap_parser_t *p)
{
    char cap[200];
    imap_sb_t b = { cap, sizeof cap, 0 };
    if (!imap_p_eol(p))
        return imap_out_tagged(s, "BAD", "CAPABILITY takes no arguments"),
               IMAP_R_DONE;
    imap_capability(s, &b);
    imap_out_str(s, "* CAPABILITY ");
    imap_out_str(s, cap);
    imap_out_str(s, "\r\n");
    imap_out_tagged(s, "OK", "CAPABILITY completed");
    return IMAP_R_DONE;
}

static int run_noop(imap_session_t *s)
{
    int r = imap_updates(s, true);
    if (r != IMAP_R_DONE)
        return r;
    imap_out_tagged(s, "OK", "NOOP completed");
    return IMAP_R_DONE;
}

static int run_check(imap_session_t *s)
{
    int r = imap_updates(s, true);
    if (r != IMAP_R_DONE)
        return r;
    imap_out_tagged(s, "OK", "CHECK completed");
    return IMAP_R_DONE;
}

static int cmd_noop(imap_session_t *s, imap_parser_t *p, imap_run_fn fn)
{
    if (!imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", "No arguments expected");
        return IMAP_R_DONE;
    }
    s->run = fn;
    return fn(s);
}

static int cmd_logout(imap_session_t *s, imap_parser_t *p)
{
    if (!imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", "LOGOUT takes no arguments");
        return IMAP_R_DONE;
    }
    imap_set_bye(s, "Logging out");
    imap_out_tagged(s, "OK", "LOGOUT completed");
    s->state = IMAP_ST_LOGOUT;
    return IMAP_R_DONE;
}

static int cmd_id(imap_session_t *s, imap_parser_t *p)
{
    char *a;
    uint32_t al;
    unsigned n = 0;

    if (!imap_p_sp(p))
        goto bad;
    if (!imap_p_nstring(p, &a, &al) || a != NULL) {
        /* a list of string pairs */
        if (!imap_p_char(p, '('))
            goto bad;
        while (!imap_p_char(p, ')')) {
            if (n > 0 && !imap_p_sp(p))
                goto bad;
            if (!imap_p_nstring(p, &a, &al) || n++ > 60)
                goto bad;
        }
        if (n % 2)
            goto bad;
    }
    if (!imap_p_eol(p))
        goto bad;
    imap_out_str(s, "* ID (\"name\" ");
    imap_out_quoted(s, s->srv->cfg.greeting_name,
                    strlen(s->srv->cfg.greeting_name));
    imap_out_str(s, ")\r\n");
    imap_out_tagged(s, "OK", "ID completed");
    return IMAP_R_DONE;
bad:
    imap_out_tagged(s, "BAD", "Invalid ID arguments");
    return IMAP_R_DONE;
}

static int cmd_namespace(imap_session_t *s, imap_parser_t *p)
{
    if (!imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", "NAMESPACE takes no arguments");
        return IMAP_R_DONE;
    }
    imap_out_str(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
    imap_out_tagged(s, "OK", "NAMESPACE completed");
    return IMAP_R_DONE;
}

static int run_idle(imap_session_t *s)
{
    int r;

    if (s->line_ready) {
        imap_parser_t p;
        char *w;
        uint32_t wl;
        imap_p_init(&p, s->in, s->cmd_len);
        bool done = imap_p_atom(&p, &w, &wl, NULL) && imap_p_eol(&p) &&
                    imap_ieq(w, wl, "DONE");
        imap_framer_drop(s, s->cmd_len);
        s->cmd_len = 0;
        s->line_ready = false;
        if (!done) {
            imap_out_tagged(s, "BAD", "Expected DONE");
            return IMAP_R_DONE;
        }
        s->idling = false;
    }
    r = imap_updates(s, true);
    if (r != IMAP_R_DONE)
        return r;
    if (s->idling)
        return IMAP_R_LINE;
    imap_out_tagged(s, "OK", "IDLE terminated");
    return IMAP_R_DONE;
}

static int cmd_idle(imap_session_t *s, imap_parser_t *p)
{
    if (!imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", "IDLE takes no arguments");
        return IMAP_R_DONE;
    }
    /* the command line itself is done with: the buffer takes DONE */
    imap_framer_drop(s, s->cmd_len);
    s->cmd_len = 0;
    imap_out_str(s, "+ idling\r\n");
    s->idling = true;
    s->await_line = true;
    s->run = run_idle;
    return IMAP_R_LINE;
}

static bool valid_tag(const char *t, uint32_t n)
{
    if (n == 0 || n > IMAP_TAG_MAX)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (t[i] == '+')
            return false;
    return true;
}

void imap_dispatch(imap_session_t *s)
{
    imap_parser_t p;
    char *tag, *name;
    uint32_t tl, nl;
    unsigned mask;
    int r = IMAP_R_DONE;

    imap_p_init(&p, s->in, s->cmd_len);
    s->uid = false;
    if (!imap_p_atom(&p, &tag, &tl, "]") || !valid_tag(tag, tl)) {
        strcpy(s->tag, "*");
        if (p.end == 0)
            imap_out_tagged(s, "BAD", "Empty command line");
        else
            imap_out_tagged(s, "BAD", "Invalid tag");
        goto done;
    }
    memcpy(s->tag, tag, tl);
    s->tag[tl] = 0;
    if (!imap_p_sp(&p) || !imap_p_atom(&p, &name, &nl, NULL)) {
        imap_out_tagged(s, "BAD", "Missing command");
        goto done;
    }
    if (imap_ieq(name, nl, "UID")) {
        if (!imap_p_sp(&p) || !imap_p_atom(&p, &name, &nl, NULL)) {
            imap_out_tagged(s, "BAD", "Missing UID command");
            goto done;
        }
        if (!imap_ieq(name, nl, "FETCH") && !imap_ieq(name, nl, "STORE") &&
            !imap_ieq(name, nl, "COPY") && !imap_ieq(name, nl, "SEARCH") &&
            !imap_ieq(name, nl, "EXPUNGE")) {
            imap_out_tagged(s, "BAD", "Unknown UID command");
            goto done;
        }
        s->uid = true;
    }
    if (!imap_p_eol(&p) && imap_p_peek(&p) != ' ') {
        imap_out_tagged(s, "BAD", "Invalid characters in command name");
        goto done;
    }

    static const struct { const char *name; unsigned mask; } tbl[] = {
        { "CAPABILITY", ANY }, { "NOOP", ANY }, { "LOGOUT", ANY },
        { "ID", ANY }, { "LOGIN", NAUTH }, { "AUTHENTICATE", NAUTH },
        { "STARTTLS", NAUTH },
        { "SELECT", AUTH }, { "EXAMINE", AUTH }, { "CREATE", AUTH },
        { "DELETE", AUTH }, { "RENAME", AUTH }, { "SUBSCRIBE", AUTH },
        { "UNSUBSCRIBE", AUTH }, { "LIST", AUTH }, { "LSUB", AUTH },
        { "STATUS", AUTH }, { "APPEND", AUTH }, { "NAMESPACE", AUTH },
        { "IDLE", AUTH },
        { "CHECK", SEL }, { "CLOSE", SEL }, { "UNSELECT", SEL },
        { "EXPUNGE", SEL }, { "SEARCH", SEL }, { "FETCH", SEL },
        { "STORE", SEL }, { "COPY", SEL },
    };
    mask = 0;
    for (size_t i = 0; i < sizeof tbl / sizeof tbl[0]; i++)
        if (imap_ieq(name, nl, tbl[i].name))
            mask = tbl[i].mask;
    if (mask == 0) {
        imap_out_tagged(s, "BAD", "Unknown command");
        goto done;
    }
    if (!(mask & (1u << s->state))) {
        imap_out_tagged(s, "BAD", s->state == IMAP_ST_NOTAUTH
                                      ? "Command not valid before login"
                                      : "Command not valid in this state");
        goto done;
    }

    if (imap_ieq(name, nl, "CAPABILITY"))
        r = cmd_capability(s, &p);
    else if (imap_ieq(name, nl, "NOOP"))
        r = cmd_noop(s, &p, run_noop);
    else if (imap_ieq(name, nl, "CHECK"))
        r = cmd_noop(s, &p, run_check);
    else if (imap_ieq(name, nl, "LOGOUT"))
        r = cmd_logout(s, &p);
    else if (imap_ieq(name, nl, "ID"))
        r = cmd_id(s, &p);
    else if (imap_ieq(name, nl, "NAMESPACE"))
        r = cmd_namespace(s, &p);
    else if (imap_ieq(name, nl, "IDLE"))
        r = cmd_idle(s, &p);
    else if (imap_ieq(name, nl, "STARTTLS"))
        r = imap_cmd_starttls(s, &p);
    else if (imap_ieq(name, nl, "LOGIN") ||
               imap_ieq(name, nl, "AUTHENTICATE")) {
        char n[16];
        imap_p_copy(name, nl, n, sizeof n);
        r = imap_cmd_auth(s, n, &p);
    } else if (imap_ieq(name, nl, "FETCH"))
        r = imap_cmd_fetch(s, &p);
    else if (imap_ieq(name, nl, "STORE"))
        r = imap_cmd_store(s, &p);
    else if (imap_ieq(name, nl, "COPY"))
        r = imap_cmd_copy(s, &p, false);
    else if (imap_ieq(name, nl, "SEARCH"))
        r = imap_cmd_search(s, &p);
    else if (imap_ieq(name, nl, "EXPUNGE"))
        r = imap_cmd_expunge(s, &p, s->uid, false);
    else if (imap_ieq(name, nl, "CLOSE"))
        r = imap_cmd_expunge(s, &p, false, true);
    else if (imap_ieq(name, nl, "LIST"))
        r = imap_cmd_list(s, &p, false);
    else if (imap_ieq(name, nl, "LSUB"))
        r = imap_cmd_list(s, &p, true);
    else {
        char n[16];
        imap_p_copy(name, nl, n, sizeof n);
        for (char *c = n; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char)(*c - 32);
        r = imap_cmd_mailbox(s, n, &p);
    }
    if (r != IMAP_R_DONE || s->delayed || s->closing)
        return;   /* s->run continues it (or the delay/BYE ends it) */
done:
    s->run = NULL;
    s->await_line = false;
    s->idling = false;
    imap_framer_drop(s, s->cmd_len);
    s->cmd_len = 0;
    s->tag[0] = 0;
    s->last_active = s->now;
}
