/*
 * imap_list.c - LIST and LSUB with the % and * wildcards.
 */
#include <string.h>

#include "imap/imap_int.h"

/* Wildcard match without recursion: a row of booleans over the name. */
static bool wild_match(const char *pat, const char *name)
{
    uint8_t a[IMAP_MAILBOX_NAME_MAX + 2], b[IMAP_MAILBOX_NAME_MAX + 2];
    uint8_t *prev = a, *cur = b, *t;
    size_t n = strlen(name);

    if (n > IMAP_MAILBOX_NAME_MAX)
        return false;
    memset(prev, 0, n + 1);
    prev[0] = 1;
    for (const char *p = pat; *p; p++) {
        if (*p == '*') {
            uint8_t any = 0;
            for (size_t j = 0; j <= n; j++) {
                any |= prev[j];
                cur[j] = any;
            }
        } else if (*p == '%') {
            cur[0] = prev[0];
            for (size_t j = 1; j <= n; j++)
                cur[j] = prev[j] || (cur[j - 1] && name[j - 1] != '/');
        } else {
            cur[0] = 0;
            for (size_t j = 1; j <= n; j++)
                cur[j] = prev[j - 1] && name[j - 1] == *p;
        }
        t = prev;
        prev = cur;
        cur = t;
    }
    return prev[n] != 0;
}

static bool has_child(imap_session_t *s, const char *name)
{
    store_mbox_t mb;
    uint64_t cur = 0;
    size_t n = strlen(name);
    while (store_mbox_next(imap_store(s), s->user_id, &cur, &mb) == 0)
        if (strncmp(mb.name, name, n) == 0 && mb.name[n] == '/')
            return true;
    return false;
}

/* Did a mailbox met before cursor position 'before' have prefix/ ? */
static bool seen_prefix(imap_session_t *s, const char *prefix, uint64_t before)
{
    store_mbox_t o;
    uint64_t c = 0;
    size_t n = strlen(prefix);
    while (store_mbox_next(imap_store(s), s->user_id, &c, &o) == 0 && c <= before)
        if (strncmp(o.name, prefix, n) == 0 && o.name[n] == '/')
            return true;
    return false;
}

/* Levels of a name that are no mailbox of their own ("a" of "a/b" when
 * only "a/b" exists) are listed as \Noselect when they match, once. */
static void list_ancestors(imap_session_t *s, const char *name, uint64_t before)
{
    char pre[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t o;

    for (size_t k = 1; name[k]; k++) {
        if (name[k] != '/' || imap_out_free(s) < 600)
            continue;
        memcpy(pre, name, k);
        pre[k] = 0;
        if (!wild_match(s->u.list.pattern, pre) ||
            store_mbox_find(imap_store(s), s->user_id, pre, &o) != STORE_ENOENT ||
            seen_prefix(s, pre, before))
            continue;
        imap_out_str(s, "* LIST (\\Noselect \\HasChildren) \"/\" ");
        imap_out_astring(s, pre, k);
        imap_out_str(s, "\r\n");
    }
}

static int run_list(imap_session_t *s)
{
    imap_listcmd_t *l = &s->u.list;
    store_t *st = imap_store(s);
    store_mbox_t mb;
    char name[IMAP_MAILBOX_NAME_MAX + 1];

    for (;;) {
        if (s->budget == 0)
            return IMAP_R_MORE;
        if (imap_out_free(s) < 600)
            return IMAP_R_WAIT;
        s->budget--;
        if (l->lsub) {
            if (store_sub_next(st, s->user_id, &l->cursor, name, sizeof name) < 0)
                break;
            if (!wild_match(l->pattern, name))
                continue;
            imap_out_str(s, "* LSUB () \"/\" ");
            imap_out_astring(s, name, strlen(name));
            imap_out_str(s, "\r\n");
            continue;
        }
        uint64_t before = l->cursor;
        if (store_mbox_next(st, s->user_id, &l->cursor, &mb) < 0)
            break;
        list_ancestors(s, mb.name, before);
        if (!wild_match(l->pattern, mb.name))
            continue;
        imap_out_str(s, has_child(s, mb.name) ? "* LIST (\\HasChildren) \"/\" "
                                              : "* LIST (\\HasNoChildren) \"/\" ");
        imap_out_astring(s, mb.name, strlen(mb.name));
        imap_out_str(s, "\r\n");
    }
    imap_out_tagged(s, "OK", l->lsub ? "LSUB completed" : "LIST completed");
    return IMAP_R_DONE;
}

int imap_cmd_list(imap_session_t *s, imap_parser_t *p, bool lsub)
{
    imap_listcmd_t *l = &s->u.list;
    char *ref, *pat;
    uint32_t rl, pl;

    /* an empty reference sent as nothing at all (imaplib's list("", ...))
     * is taken as "" */
    bool empty_ref = imap_p_sp(p) && imap_p_peek(p) == ' ';
    if (empty_ref) {
        ref = (char *)p->buf + p->pos;
        rl = 0;
    }
    if ((!empty_ref && !imap_p_astring(p, &ref, &rl)) || !imap_p_sp(p) ||
        !(imap_p_peek(p) == '"' || imap_p_peek(p) == '{'
              ? imap_p_string(p, &pat, &pl)
              : imap_p_atom(p, &pat, &pl, "%*]")) ||
        !imap_p_eol(p)) {
        imap_out_tagged(s, "BAD", lsub ? "Usage: LSUB reference pattern"
                                       : "Usage: LIST reference pattern");
        return IMAP_R_DONE;
    }
    if (pl == 0 && !lsub) {
        imap_out_str(s, "* LIST (\\Noselect) \"/\" \"\"\r\n");
        imap_out_tagged(s, "OK", "LIST completed");
        return IMAP_R_DONE;
    }
    if ((uint64_t)rl + pl >= sizeof l->pattern ||
        memchr(ref, 0, rl) != NULL || memchr(pat, 0, pl) != NULL) {
        imap_out_tagged(s, "BAD", "Pattern too long");
        return IMAP_R_DONE;
    }
    memmove(l->pattern, ref, rl);
    memmove(l->pattern + rl, pat, pl);
    l->pattern[rl + pl] = 0;
    if ((rl + pl == 5 || (rl + pl > 5 && l->pattern[5] == '/')) &&
        imap_ieq(l->pattern, 5, "INBOX"))
        memcpy(l->pattern, "INBOX", 5);
    l->cursor = 0;
    l->lsub = lsub;
    s->run = run_list;
    return run_list(s);
}
