/*
 * imap_cmd_auth.c - LOGIN and AUTHENTICATE PLAIN.
 *
 * A failed attempt is answered only after a delay that doubles with every
 * failure on the connection (the session holds the answer; the port learns
 * the time from imap_session_deadline()); too many failures end it.
 */
#include <string.h>

#include "auth/auth.h"
#include "imap/imap_int.h"

static void fail(imap_session_t *s, const char *user)
{
    uint64_t delay = IMAP_AUTH_FAIL_DELAY_MS;

    if (s->fails < 255)
        s->fails++;
    for (unsigned i = 1; i < s->fails && delay < IMAP_AUTH_FAIL_DELAY_MAX_MS; i++)
        delay *= 2;
    if (delay > IMAP_AUTH_FAIL_DELAY_MAX_MS)
        delay = IMAP_AUTH_FAIL_DELAY_MAX_MS;
    s->delayed = true;
    s->delay_until = s->now + delay;
    imap_log(s, IMAP_LOG_WARN, "login failed for", user);
}

static int login(imap_session_t *s, const char *user, uint32_t ulen,
                 const char *pass, uint32_t plen)
{
    store_t *st = imap_store(s);
    store_user_t u;
    store_mbox_t mb;
    char name[IMAP_USER_NAME_MAX + 1];
    char cap[200];
    imap_sb_t b = { cap, sizeof cap, 0 };
    int r;

    if (!imap_p_copy(user, ulen, name, sizeof name) || plen > IMAP_PASSWORD_MAX) {
        fail(s, "(invalid name)");
        return IMAP_R_DONE;
    }
    r = store_user_find(st, name, &u);
    if (r < 0) {
        /* same work as for a real user: no user enumeration by timing */
        memset(&u, 0, sizeof u);
        u.iterations = STORE_PBKDF2_ITERATIONS;
        (void)auth_check_password(&u, pass, plen);
        fail(s, name);
        return IMAP_R_DONE;
    }
    if (!auth_check_password(&u, pass, plen)) {
        fail(s, name);
        return IMAP_R_DONE;
    }
    s->user_id = u.id;
    memcpy(s->user, name, sizeof name);
    s->state = IMAP_ST_AUTH;
    /* every user has an INBOX */
    if (store_mbox_find(st, u.id, "INBOX", &mb) == STORE_ENOENT) {
        if (store_mbox_create(st, u.id, "INBOX", &mb) < 0 ||
            store_commit(st) < 0)
            store_rollback(st);
    }
    imap_log(s, IMAP_LOG_INFO, "login", name);
    imap_capability(s, &b);
    imap_out_str(s, s->tag);
    imap_out_str(s, " OK [CAPABILITY ");
    imap_out_str(s, cap);
    imap_out_str(s, "] Logged in\r\n");
    return IMAP_R_DONE;
}

static int plain(imap_session_t *s, const char *b64, uint32_t len)
{
    uint8_t msg[2 * IMAP_USER_NAME_MAX + IMAP_PASSWORD_MAX + 8];
    const char *zid, *cid, *pw;
    size_t zl, cl, pl;
    long n;
    int r;

    if (len == 1 && b64[0] == '=')
        len = 0;
    if (len > 4 * ((sizeof msg + 2) / 3)) {
        fail(s, "(overlong response)");
        return IMAP_R_DONE;
    }
    n = auth_base64_decode(b64, len, msg, sizeof msg);
    if (n < 0) {
        imap_out_tagged(s, "BAD", "Invalid base64");
        return IMAP_R_DONE;
    }
    if (!auth_parse_plain(msg, (size_t)n, &zid, &zl, &cid, &cl, &pw, &pl) ||
        (zl > 0 && (zl != cl || memcmp(zid, cid, zl) != 0))) {
        memset(msg, 0, sizeof msg);
        fail(s, "(bad PLAIN response)");
        return IMAP_R_DONE;
    }
    r = login(s, cid, (uint32_t)cl, pw, (uint32_t)pl);
    memset(msg, 0, sizeof msg);
    return r;
}

static int run_auth(imap_session_t *s)
{
    imap_parser_t p;
    char *a;
    uint32_t al;

    if (!s->line_ready)
        return IMAP_R_LINE;
    s->line_ready = false;
    s->await_line = false;
    imap_p_init(&p, s->in, s->cmd_len);
    a = (char *)p.buf;
    al = p.end;
    if (al == 1 && a[0] == '*') {
        imap_out_tagged(s, "BAD", "Authentication cancelled");
        return IMAP_R_DONE;
    }
    return plain(s, a, al);
}

int imap_cmd_auth(imap_session_t *s, const char *name, imap_parser_t *p)
{
    char *a, *b;
    uint32_t al, bl;

    if (imap_ieq(name, (uint32_t)strlen(name), "LOGIN")) {
        if (!imap_p_sp(p) || !imap_p_astring(p, &a, &al) || !imap_p_sp(p) ||
            !imap_p_astring(p, &b, &bl) || !imap_p_eol(p)) {
            imap_out_tagged(s, "BAD", "Usage: LOGIN user password");
            return IMAP_R_DONE;
        }
        if (!imap_plain_ok(s)) {
            imap_out_tagged(s, "NO", "[PRIVACYREQUIRED] Plaintext login disabled");
            return IMAP_R_DONE;
        }
        return login(s, a, al, b, bl);
    }
    /* AUTHENTICATE */
    if (!imap_p_sp(p) || !imap_p_atom(p, &a, &al, NULL)) {
        imap_out_tagged(s, "BAD", "Usage: AUTHENTICATE mechanism");
        return IMAP_R_DONE;
    }
    if (!imap_ieq(a, al, "PLAIN")) {
        imap_out_tagged(s, "NO", "Unsupported authentication mechanism");
        return IMAP_R_DONE;
    }
    if (!imap_plain_ok(s)) {
        imap_out_tagged(s, "NO", "[PRIVACYREQUIRED] Plaintext authentication disabled");
        return IMAP_R_DONE;
    }
    if (imap_p_sp(p)) {  /* SASL-IR initial response */
        if (!imap_p_atom(p, &b, &bl, "]") || !imap_p_eol(p)) {
            imap_out_tagged(s, "BAD", "Invalid initial response");
            return IMAP_R_DONE;
        }
        return plain(s, b, bl);
    }
    if (!imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", "Invalid arguments");
        return IMAP_R_DONE;
    }
    imap_framer_drop(s, s->cmd_len);
    s->cmd_len = 0;
    imap_out_str(s, "+ \r\n");
    s->await_line = true;
    s->run = run_auth;
    return IMAP_R_LINE;
}
