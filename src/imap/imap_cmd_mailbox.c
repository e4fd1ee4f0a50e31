/*
 * imap_cmd_mailbox.c - SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE,
 * UNSUBSCRIBE, STATUS, UNSELECT (and APPEND without a literal).
 */
#include <string.h>

#include "imap/imap_int.h"

bool imap_norm_mailbox(const char *in, uint32_t len, char *out, size_t cap)
{
    if (len == 0 || !imap_p_copy(in, len, out, cap))
        return false;
    for (uint32_t i = 0; i < len; i++)
        if (out[i] == '\r' || out[i] == '\n')
            return false;
    /* INBOX is case-insensitive, also as the head of a path */
    if ((len == 5 || (len > 5 && out[5] == '/')) && imap_ieq(out, 5, "INBOX"))
        memcpy(out, "INBOX", 5);
    return true;
}

/* A name CREATE/RENAME may make: no empty level, no wildcard. */
static bool creatable(char *name)
{
    size_t n = strlen(name);
    while (n > 1 && name[n - 1] == '/')
        name[--n] = 0;
    if (n == 0 || name[0] == '/' || strstr(name, "//") != NULL ||
        strchr(name, '*') || strchr(name, '%'))
        return false;
    for (size_t i = 0; i < n; i++)   /* modified UTF-7 is printable ASCII */
        if ((uint8_t)name[i] < 0x20 || (uint8_t)name[i] > 0x7e)
            return false;
    return true;
}

/* A mailbox argument that parsed but is too long or holds NUL/CR/LF sets
 * s->name_err: the answer is then NO, not the usage BAD. */
static bool arg_mailbox(imap_session_t *s, imap_parser_t *p, char *out,
                        size_t cap)
{
    char *a;
    uint32_t al;
    if (!imap_p_sp(p) || !imap_p_astring(p, &a, &al))
        return false;
    if (!imap_norm_mailbox(a, al, out, cap)) {
        s->name_err = al > 0;
        return false;
    }
    return true;
}

static int bad(imap_session_t *s, const char *t)
{
    if (s->name_err) {
        s->name_err = false;
        imap_out_tagged(s, "NO", "[CANNOT] Invalid or too long mailbox name");
        return IMAP_R_DONE;
    }
    imap_out_tagged(s, "BAD", t);
    return IMAP_R_DONE;
}

static int no(imap_session_t *s, const char *t)
{
    store_rollback(imap_store(s));
    imap_out_tagged(s, "NO", t);
    return IMAP_R_DONE;
}

static int ok_commit(imap_session_t *s, const char *t)
{
    int r = store_commit(imap_store(s));
    if (r < 0)
        return imap_store_fail(s, r, "Commit failed");
    imap_out_tagged(s, "OK", t);
    return IMAP_R_DONE;
}

void imap_out_keywords(imap_session_t *s, const store_mbox_t *mb)
{
    char name[IMAP_KEYWORD_LEN_MAX + 1];
    for (unsigned i = 0; i < mb->nkeywords && i < 64; i++) {
        if (store_keyword_name(imap_store(s), mb->id, i, name, sizeof name) < 0)
            continue;
        imap_out(s, " ", 1);
        imap_out_str(s, name);
    }
}

/* ---- SELECT / EXAMINE ---------------------------------------------------- */

static int run_select(imap_session_t *s)
{
    store_t *st = imap_store(s);
    store_mbox_t mb;
    store_msg_t m;

    while (s->u.sel.first_unseen == 0 && s->u.sel.cur < s->view.count) {
        if (s->budget == 0)
            return IMAP_R_MORE;
        s->budget--;
        s->u.sel.cur++;
        if (store_view_get(st, &s->view, s->u.sel.cur, &m) == 0 &&
            !(m.flags & STORE_F_SEEN))
            s->u.sel.first_unseen = s->u.sel.cur;
    }
    if (imap_out_free(s) < IMAP_LINE_RESERVE * 2)
        return IMAP_R_WAIT;
    if (store_mbox_get(st, s->view.mbox_id, &mb) < 0)
        memset(&mb, 0, sizeof mb);
    if (s->u.sel.first_unseen) {
        imap_out_str(s, "* OK [UNSEEN ");
        imap_out_u32(s, s->u.sel.first_unseen);
        imap_out_str(s, "] First unseen\r\n");
    }
    if (s->readonly) {
        imap_out_str(s, "* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n");
    } else {
        imap_out_str(s, "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted "
                        "\\Seen \\Draft");
        imap_out_keywords(s, &mb);
        imap_out_str(s, " \\*)] Flags permitted\r\n");
    }
    imap_out_str(s, "* OK [UIDVALIDITY ");
    imap_out_u32(s, s->view.uidvalidity);
    imap_out_str(s, "] UIDs valid\r\n* OK [UIDNEXT ");
    imap_out_u32(s, s->view.uidnext);
    imap_out_str(s, "] Predicted next UID\r\n");
    imap_out_tagged(s, "OK", s->readonly ? "[READ-ONLY] EXAMINE completed"
                                         : "[READ-WRITE] SELECT completed");
    return IMAP_R_DONE;
}

static int cmd_select(imap_session_t *s, imap_parser_t *p, bool examine)
{
    store_t *st = imap_store(s);
    char name[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t mb;
    int r;

    if (!arg_mailbox(s, p, name, sizeof name) || !imap_p_eol(p))
        return bad(s, "Usage: SELECT mailbox");
    if (s->selected)
        imap_unselect(s);
    r = store_mbox_find(st, s->user_id, name, &mb);
    if (r == STORE_ENOENT)
        return no(s, "[NONEXISTENT] Mailbox does not exist");
    if (r < 0)
        return imap_store_fail(s, r, "SELECT failed");
    memset(&s->view, 0, sizeof s->view);
    r = store_view_open(st, mb.id, !examine, &s->view);
    if (r < 0 || (r = store_commit(st)) < 0)
        return imap_store_fail(s, r, "SELECT failed");
    s->selected = true;
    s->readonly = examine;
    s->nkw = mb.nkeywords;
    s->state = IMAP_ST_SELECTED;
    s->announced = false;
    imap_out_str(s, "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft");
    imap_out_keywords(s, &mb);
    imap_out_str(s, ")\r\n* ");
    imap_out_u32(s, s->view.count);
    imap_out_str(s, " EXISTS\r\n* ");
    imap_out_u32(s, s->view.recent);
    imap_out_str(s, " RECENT\r\n");
    s->u.sel.cur = 0;
    s->u.sel.first_unseen = 0;
    if (mb.unseen == 0)
        s->u.sel.cur = s->view.count;
    s->run = run_select;
    return run_select(s);
}

/* ---- CREATE / DELETE / RENAME ------------------------------------------- */

/* Creates the missing parents of name ("a/b/c": "a", "a/b"). */
static int make_parents(imap_session_t *s, const char *name)
{
    store_t *st = imap_store(s);
    char pre[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t mb;

    for (size_t i = 1; name[i]; i++) {
        if (name[i] != '/')
            continue;
        memcpy(pre, name, i);
        pre[i] = 0;
        int r = store_mbox_find(st, s->user_id, pre, &mb);
        if (r == STORE_ENOENT)
            r = store_mbox_create(st, s->user_id, pre, &mb);
        if (r < 0)
            return r;
    }
    return 0;
}

static int cmd_create(imap_session_t *s, imap_parser_t *p)
{
    store_t *st = imap_store(s);
    char name[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t mb;
    int r;

    if (!arg_mailbox(s, p, name, sizeof name) || !imap_p_eol(p))
        return bad(s, "Usage: CREATE mailbox");
    if (!creatable(name))
        return no(s, "[CANNOT] Invalid mailbox name");
    if (strcmp(name, "INBOX") == 0 ||
        store_mbox_find(st, s->user_id, name, &mb) == 0)
        return no(s, "[ALREADYEXISTS] Mailbox already exists");
    if ((r = make_parents(s, name)) < 0)
        return imap_store_fail(s, r, "CREATE failed");
    r = store_mbox_create(st, s->user_id, name, &mb);
    if (r == STORE_EEXIST)
        return no(s, "[ALREADYEXISTS] Mailbox already exists");
    if (r < 0)
        return imap_store_fail(s, r, "CREATE failed");
    return ok_commit(s, "CREATE completed");
}

/* First mailbox of the user whose name starts with prefix/. */
static bool find_child(imap_session_t *s, const char *prefix, store_mbox_t *out)
{
    uint64_t cur = 0;
    size_t n = strlen(prefix);
    while (store_mbox_next(imap_store(s), s->user_id, &cur, out) == 0)
        if (strncmp(out->name, prefix, n) == 0 && out->name[n] == '/')
            return true;
    return false;
}

static int cmd_delete(imap_session_t *s, imap_parser_t *p)
{
    store_t *st = imap_store(s);
    char name[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t mb, child;
    int r;

    if (!arg_mailbox(s, p, name, sizeof name) || !imap_p_eol(p))
        return bad(s, "Usage: DELETE mailbox");
    if (strcmp(name, "INBOX") == 0)
        return no(s, "[CANNOT] INBOX cannot be deleted");
    r = store_mbox_find(st, s->user_id, name, &mb);
    if (r == STORE_ENOENT)
        return no(s, "[NONEXISTENT] Mailbox does not exist");
    if (r < 0)
        return imap_store_fail(s, r, "DELETE failed");
    if (find_child(s, name, &child))
        return no(s, "[INUSE] Mailbox has children; delete them first");
    if (s->selected && s->view.mbox_id == mb.id)
        imap_unselect(s);
    r = store_mbox_delete(st, mb.id);
    if (r < 0)
        return imap_store_fail(s, r, "DELETE failed");
    return ok_commit(s, "DELETE completed");
}

/* RENAME INBOX: its messages move to the new mailbox; INBOX stays. */
static int rename_inbox(imap_session_t *s, const store_mbox_t *inbox,
                        const char *to)
{
    store_t *st = imap_store(s);
    store_mbox_t dst;
    store_msg_t m;
    uint32_t next = 1, uid;
    int r;

    if ((r = make_parents(s, to)) < 0 ||
        (r = store_mbox_create(st, s->user_id, to, &dst)) < 0)
        return r;
    while (store_msg_next(st, inbox->id, next, &m) == 0) {
        next = m.uid + 1;
        if (m.xmodseq != 0)
            continue;
        if ((r = store_msg_copy(st, inbox->id, &m, dst.id, &uid)) < 0 ||
            (r = store_msg_expunge(st, inbox->id, m.uid)) < 0)
            return r;
        if (next == 0)
            break;
    }
    if ((r = store_commit(st)) < 0)
        return r;
    imap_purge_mbox(s, inbox->id);
    return 0;
}

static int cmd_rename(imap_session_t *s, imap_parser_t *p)
{
    store_t *st = imap_store(s);
    char *from = s->u.ren.from, *to = s->u.ren.to;
    char nn[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t mb, other;
    size_t fl;
    int r;

    if (!arg_mailbox(s, p, from, sizeof s->u.ren.from) ||
        !arg_mailbox(s, p, to, sizeof s->u.ren.to) || !imap_p_eol(p))
        return bad(s, "Usage: RENAME from to");
    if (!creatable(to))
        return no(s, "[CANNOT] Invalid mailbox name");
    r = store_mbox_find(st, s->user_id, from, &mb);
    if (r == STORE_ENOENT)
        return no(s, "[NONEXISTENT] Mailbox does not exist");
    if (r < 0)
        return imap_store_fail(s, r, "RENAME failed");
    if (strcmp(to, "INBOX") == 0 ||
        store_mbox_find(st, s->user_id, to, &other) == 0)
        return no(s, "[ALREADYEXISTS] Target mailbox exists");
    fl = strlen(from);
    if (strncmp(to, from, fl) == 0 && to[fl] == '/')
        return no(s, "[CANNOT] Cannot rename a mailbox into itself");
    if (strcmp(from, "INBOX") == 0) {
        r = rename_inbox(s, &mb, to);
        if (r < 0)
            return imap_store_fail(s, r, "RENAME failed");
        imap_out_tagged(s, "OK", "RENAME completed");
        return IMAP_R_DONE;
    }
    if ((r = make_parents(s, to)) < 0 ||
        (r = store_mbox_rename(st, mb.id, to)) < 0)
        return imap_store_fail(s, r, "RENAME failed");
    /* the children follow their parent */
    for (unsigned guard = 0; guard < 100000 && find_child(s, from, &other);
         guard++) {
        size_t tl = strlen(to);
        if (tl + strlen(other.name + fl) >= sizeof nn)
            return imap_store_fail(s, STORE_ELIMIT, "RENAME failed");
        memcpy(nn, to, tl);
        strcpy(nn + tl, other.name + fl);
        if ((r = store_mbox_rename(st, other.id, nn)) < 0)
            return imap_store_fail(s, r, "RENAME failed");
    }
    return ok_commit(s, "RENAME completed");
}

/* ---- SUBSCRIBE / STATUS -------------------------------------------------- */

static int cmd_sub(imap_session_t *s, imap_parser_t *p, bool on)
{
    char name[IMAP_MAILBOX_NAME_MAX + 1];
    int r;

    if (!arg_mailbox(s, p, name, sizeof name) || !imap_p_eol(p))
        return bad(s, on ? "Usage: SUBSCRIBE mailbox"
                         : "Usage: UNSUBSCRIBE mailbox");
    r = store_sub_set(imap_store(s), s->user_id, name, on);
    if (r == STORE_ENOENT && !on)
        return no(s, "[NONEXISTENT] Not subscribed");
    if (r < 0)
        return imap_store_fail(s, r, "Subscription failed");
    return ok_commit(s, on ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
}

static int cmd_status(imap_session_t *s, imap_parser_t *p)
{
    enum { MSG = 1, REC = 2, UIDN = 4, UIDV = 8, UNS = 16 };
    char name[IMAP_MAILBOX_NAME_MAX + 1];
    store_mbox_t mb;
    unsigned want = 0, order[8], n = 0;
    char *a;
    uint32_t al;
    int r;

    if (!arg_mailbox(s, p, name, sizeof name) || !imap_p_sp(p) ||
        !imap_p_char(p, '('))
        return bad(s, "Usage: STATUS mailbox (items)");
    while (!imap_p_char(p, ')')) {
        unsigned it;
        if (n > 0 && !imap_p_sp(p))
            return bad(s, "Invalid STATUS items");
        if (!imap_p_atom(p, &a, &al, NULL))
            return bad(s, "Invalid STATUS items");
        if (imap_ieq(a, al, "MESSAGES")) it = MSG;
        else if (imap_ieq(a, al, "RECENT")) it = REC;
        else if (imap_ieq(a, al, "UIDNEXT")) it = UIDN;
        else if (imap_ieq(a, al, "UIDVALIDITY")) it = UIDV;
        else if (imap_ieq(a, al, "UNSEEN")) it = UNS;
        else return bad(s, "Unknown STATUS item");
        if (!(want & it) && n < 8)
            order[n++] = it;
        want |= it;
    }
    if (!imap_p_eol(p) || n == 0)
        return bad(s, "Invalid STATUS items");
    r = store_mbox_find(imap_store(s), s->user_id, name, &mb);
    if (r == STORE_ENOENT)
        return no(s, "[NONEXISTENT] Mailbox does not exist");
    if (r < 0)
        return imap_store_fail(s, r, "STATUS failed");
    imap_out_str(s, "* STATUS ");
    imap_out_astring(s, name, strlen(name));
    imap_out_str(s, " (");
    for (unsigned i = 0; i < n; i++) {
        if (i)
            imap_out(s, " ", 1);
        switch (order[i]) {
        case MSG: imap_out_str(s, "MESSAGES "); imap_out_u32(s, mb.messages); break;
        case REC: imap_out_str(s, "RECENT "); imap_out_u32(s, mb.recent); break;
        case UIDN: imap_out_str(s, "UIDNEXT "); imap_out_u32(s, mb.uidnext); break;
        case UIDV: imap_out_str(s, "UIDVALIDITY "); imap_out_u32(s, mb.uidvalidity); break;
        default: imap_out_str(s, "UNSEEN "); imap_out_u32(s, mb.unseen); break;
        }
    }
    imap_out_str(s, ")\r\n");
    imap_out_tagged(s, "OK", "STATUS completed");
    return IMAP_R_DONE;
}

int imap_cmd_mailbox(imap_session_t *s, const char *name, imap_parser_t *p)
{
    s->name_err = false;
    if (strcmp(name, "SELECT") == 0)
        return cmd_select(s, p, false);
    if (strcmp(name, "EXAMINE") == 0)
        return cmd_select(s, p, true);
    if (strcmp(name, "CREATE") == 0)
        return cmd_create(s, p);
    if (strcmp(name, "DELETE") == 0)
        return cmd_delete(s, p);
    if (strcmp(name, "RENAME") == 0)
        return cmd_rename(s, p);
    if (strcmp(name, "SUBSCRIBE") == 0)
        return cmd_sub(s, p, true);
    if (strcmp(name, "UNSUBSCRIBE") == 0)
        return cmd_sub(s, p, false);
    if (strcmp(name, "STATUS") == 0)
        return cmd_status(s, p);
    if (strcmp(name, "UNSELECT") == 0) {
        if (!imap_p_eol(p))
            return bad(s, "UNSELECT takes no arguments");
        imap_unselect(s);
        imap_out_tagged(s, "OK", "UNSELECT completed");
        return IMAP_R_DONE;
    }
    if (strcmp(name, "APPEND") == 0)
        return bad(s, "Usage: APPEND mailbox [(flags)] [date-time] {size}");
    return bad(s, "Unknown command");
}
