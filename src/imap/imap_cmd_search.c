/*
 * imap_cmd_search.c - SEARCH and UID SEARCH.
 *
 * The keys are parsed once into a small array (a tree in prefix order,
 * each node knowing its subtree size); nesting is bounded by
 * IMAP_SEARCH_DEPTH_MAX.  Header and body keys read the message from the
 * store in small blocks, never the whole message.
 */
#include <string.h>

#include "imap/imap_int.h"

enum {
    OP_AND, OP_OR, OP_NOT, OP_ALL, OP_FLAG, OP_NOFLAG, OP_KW, OP_NOKW,
    OP_NEW, OP_OLD, OP_RECENT, OP_LARGER, OP_SMALLER, OP_BEFORE, OP_ON,
    OP_SINCE, OP_SENTBEFORE, OP_SENTON, OP_SENTSINCE, OP_HEADER, OP_BODY,
    OP_TEXT, OP_SEQ, OP_UID, OP_NONE,
};

#define NEEDLE_MAX 256
/* Bytes read from the store at a time: one data chunk (fewer reads). */
#define SEARCH_BLK (STORE_DATA_CHUNK < IMAP_SEARCH_BLOCK ? STORE_DATA_CHUNK \
                                                      : IMAP_SEARCH_BLOCK)

typedef struct sparse {
    imap_session_t *s;
    imap_parser_t *p;
    const char *err;
    bool badcharset;
} sparse_t;

static int parse_key(sparse_t *c, unsigned depth);

static imap_skey_t *node(sparse_t *c, uint8_t op)
{
    imap_search_t *q = &c->s->u.search;
    imap_skey_t *k;
    if (q->nkeys >= IMAP_SEARCH_KEYS_MAX) {
        c->err = "Too many search keys";
        return NULL;
    }
    k = &q->keys[q->nkeys++];
    memset(k, 0, sizeof *k);
    k->op = op;
    k->size = 1;
    return k;
}

static bool arg_string(sparse_t *c, imap_skey_t *k)
{
    char *a;
    uint32_t al;
    if (!imap_p_sp(c->p) || !imap_p_astring(c->p, &a, &al)) {
        c->err = "Missing search string";
        return false;
    }
    if (al > NEEDLE_MAX) {
        c->err = "Search string too long";
        return false;
    }
    /* folded in place: simple folding never makes UTF-8 longer */
    al = mime_fold_utf8((const uint8_t *)a, al, (uint8_t *)a, al);
    k->str = a;
    k->slen = al;
    return true;
}

static bool arg_date(sparse_t *c, imap_skey_t *k)
{
    char *a;
    uint32_t al;
    bool ok;
    if (!imap_p_sp(c->p)) {
        c->err = "Missing date";
        return false;
    }
    if (imap_p_peek(c->p) == '"')
        ok = imap_p_string(c->p, &a, &al);
    else
        ok = imap_p_atom(c->p, &a, &al, NULL);
    if (!ok || !imap_parse_date(a, al, &k->day)) {
        c->err = "Invalid date";
        return false;
    }
    return true;
}

static bool arg_number(sparse_t *c, imap_skey_t *k)
{
    if (!imap_p_sp(c->p) || !imap_p_number(c->p, &k->num)) {
        c->err = "Invalid number";
        return false;
    }
    return true;
}

static const struct { const char *name; uint8_t op; uint32_t flag; } simple[] = {
    { "ALL", OP_ALL, 0 },
    { "ANSWERED", OP_FLAG, STORE_F_ANSWERED }, { "DELETED", OP_FLAG, STORE_F_DELETED },
    { "DRAFT", OP_FLAG, STORE_F_DRAFT }, { "FLAGGED", OP_FLAG, STORE_F_FLAGGED },
    { "SEEN", OP_FLAG, STORE_F_SEEN },
    { "UNANSWERED", OP_NOFLAG, STORE_F_ANSWERED }, { "UNDELETED", OP_NOFLAG, STORE_F_DELETED },
    { "UNDRAFT", OP_NOFLAG, STORE_F_DRAFT }, { "UNFLAGGED", OP_NOFLAG, STORE_F_FLAGGED },
    { "UNSEEN", OP_NOFLAG, STORE_F_SEEN },
    { "NEW", OP_NEW, 0 }, { "OLD", OP_OLD, 0 }, { "RECENT", OP_RECENT, 0 },
};

static const struct { const char *name; uint8_t op; } dates[] = {
    { "BEFORE", OP_BEFORE }, { "ON", OP_ON }, { "SINCE", OP_SINCE },
    { "SENTBEFORE", OP_SENTBEFORE }, { "SENTON", OP_SENTON },
    { "SENTSINCE", OP_SENTSINCE },
};

static const char *const hdrkeys[] = { "FROM", "TO", "CC", "BCC", "SUBJECT" };
static const char *const hdrnames[] = { "From", "To", "Cc", "Bcc", "Subject" };

static int parse_key(sparse_t *c, unsigned depth)
{
    imap_search_t *q = &c->s->u.search;
    imap_parser_t *p = c->p;
    uint16_t at = q->nkeys;
    imap_skey_t *k;
    char *w;
    uint32_t wl;

    if (depth > IMAP_SEARCH_DEPTH_MAX) {
        c->err = "Search keys nested too deeply";
        return -1;
    }
    if (imap_p_char(p, '(')) {
        if ((k = node(c, OP_AND)) == NULL)
            return -1;
        do {
            if (parse_key(c, depth + 1) < 0)
                return -1;
            q->keys[at].num++;
        } while (imap_p_sp(p));
        if (!imap_p_char(p, ')')) {
            c->err = "Missing )";
            return -1;
        }
        q->keys[at].size = (uint16_t)(q->nkeys - at);
        return 0;
    }
    int ch = imap_p_peek(p);
    if (ch == '*' || (ch >= '1' && ch <= '9')) {
        if ((k = node(c, OP_SEQ)) == NULL)
            return -1;
        if (!imap_p_seqset(p, &k->str, &k->slen)) {
            c->err = "Invalid sequence set";
            return -1;
        }
        return 0;
    }
    if (!imap_p_atom(p, &w, &wl, NULL)) {
        c->err = "Invalid search key";
        return -1;
    }
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (imap_ieq(w, wl, simple[i].name)) {
            if ((k = node(c, simple[i].op)) == NULL)
                return -1;
            k->num = simple[i].flag;
            return 0;
        }
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        if (imap_ieq(w, wl, dates[i].name)) {
            if ((k = node(c, dates[i].op)) == NULL)
                return -1;
            return arg_date(c, k) ? 0 : -1;
        }
    for (size_t i = 0; i < sizeof hdrkeys / sizeof hdrkeys[0]; i++)
        if (imap_ieq(w, wl, hdrkeys[i])) {
            if ((k = node(c, OP_HEADER)) == NULL)
                return -1;
            k->str2 = hdrnames[i];
            k->s2len = (uint32_t)strlen(hdrnames[i]);
            return arg_string(c, k) ? 0 : -1;
        }
    if (imap_ieq(w, wl, "HEADER")) {
        char *a;
        uint32_t al;
        if ((k = node(c, OP_HEADER)) == NULL)
            return -1;
        if (!imap_p_sp(p) || !imap_p_astring(p, &a, &al) || al == 0) {
            c->err = "Invalid header name";
            return -1;
        }
        k->str2 = a;
        k->s2len = al;
        return arg_string(c, k) ? 0 : -1;
    }
    if (imap_ieq(w, wl, "BODY") || imap_ieq(w, wl, "TEXT")) {
        if ((k = node(c, w[0] == 'B' || w[0] == 'b' ? OP_BODY : OP_TEXT)) == NULL)
            return -1;
        return arg_string(c, k) ? 0 : -1;
    }
    if (imap_ieq(w, wl, "LARGER") || imap_ieq(w, wl, "SMALLER")) {
        if ((k = node(c, w[0] == 'L' || w[0] == 'l' ? OP_LARGER : OP_SMALLER)) == NULL)
            return -1;
        return arg_number(c, k) ? 0 : -1;
    }
    if (imap_ieq(w, wl, "KEYWORD") || imap_ieq(w, wl, "UNKEYWORD")) {
        char *a, name[IMAP_KEYWORD_LEN_MAX + 1];
        uint32_t al;
        unsigned idx;
        bool un = w[0] == 'U' || w[0] == 'u';
        if ((k = node(c, un ? OP_NOKW : OP_KW)) == NULL)
            return -1;
        if (!imap_p_sp(p) || !imap_p_atom(p, &a, &al, NULL)) {
            c->err = "Invalid keyword";
            return -1;
        }
        k->num = 64;   /* unknown keyword: no message has it */
        if (imap_p_copy(a, al, name, sizeof name) &&
            store_keyword_find(imap_store(c->s), c->s->view.mbox_id, name,
                               false, &idx) == 0 && idx < 64)
            k->num = idx;
        return 0;
    }
    if (imap_ieq(w, wl, "NOT")) {
        if ((k = node(c, OP_NOT)) == NULL)
            return -1;
        if (!imap_p_sp(p) || parse_key(c, depth + 1) < 0) {
            if (!c->err)
                c->err = "NOT needs a key";
            return -1;
        }
        q->keys[at].size = (uint16_t)(q->nkeys - at);
        return 0;
    }
    if (imap_ieq(w, wl, "OR")) {
        if ((k = node(c, OP_OR)) == NULL)
            return -1;
        if (!imap_p_sp(p) || parse_key(c, depth + 1) < 0 ||
            !imap_p_sp(p) || parse_key(c, depth + 1) < 0) {
            if (!c->err)
                c->err = "OR needs two keys";
            return -1;
        }
        q->keys[at].size = (uint16_t)(q->nkeys - at);
        return 0;
    }
    if (imap_ieq(w, wl, "UID")) {
        if ((k = node(c, OP_UID)) == NULL)
            return -1;
        if (!imap_p_sp(p) || !imap_p_seqset(p, &k->str, &k->slen)) {
            c->err = "Invalid UID set";
            return -1;
        }
        return 0;
    }
    c->err = "Unknown search key";
    return -1;
}

/* ---- matching -------------------------------------------------------------
 * Strings are compared after Unicode simple case folding (the needle is
 * folded once when parsed, the text as it streams through mime_match_t).
 * Header values are unfolded and their RFC 2047 words decoded; bodies are
 * the text parts, base64 and quoted-printable decoded, ISO-8859-1 turned
 * into UTF-8 (what Dovecot searches). */

/* Feeds text to the matcher; latin1: bytes >= 0x80 are ISO-8859-1. */
static bool feed(mime_match_t *mm, const uint8_t *b, uint32_t n, bool latin1)
{
    if (!latin1)
        return mime_match_feed(mm, b, n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t u[2];
        if (b[i] < 0x80) {
            if (mime_match_feed(mm, b + i, 1))
                return true;
            continue;
        }
        u[0] = (uint8_t)(0xC0 | b[i] >> 6);
        u[1] = (uint8_t)(0x80 | (b[i] & 0x3F));
        if (mime_match_feed(mm, u, 2))
            return true;
    }
    return false;
}

static bool match_str(imap_session_t *s, const imap_skey_t *k, const char *v,
                      uint32_t vl)
{
    mime_match_t *mm = &s->u.search.mm;
    static char dec[2048];   /* static: the loop is single-threaded */
    uint32_t dl = mime_2047_decode(v, vl, dec, sizeof dec);
    mime_match_init(mm, (const uint8_t *)k->str, k->slen);
    return feed(mm, (const uint8_t *)dec, dl, false);
}

typedef bool (*line_fn)(imap_session_t *s, const imap_skey_t *k, char *line,
                        uint32_t ll);

/* Unfolded header lines of [from, to) to fn (a fold and the white space
 * after it become one space); 1 when fn said so. */
static int hdr_scan(imap_session_t *s, const store_msg_t *m, uint32_t from,
                    uint32_t to, const imap_skey_t *k, line_fn fn)
{
    static char line[1024];
    static uint8_t blk[SEARCH_BLK];
    uint32_t ll = 0, pos = from;
    bool have = false, bol = true, fold = false;

    if (to > m->size)
        to = m->size;
    /* a header beyond this is not searched (it would hold the loop) */
    if (to - from > 256u * 1024)
        to = from + 256u * 1024;
    while (pos < to) {
        uint32_t want = to - pos;
        if (s->budget > 0 && (pos - from) % 2048 == 0)
            s->budget--;
        if (want > sizeof blk)
            want = sizeof blk;
        long r = store_msg_read(imap_store(s), m, pos, blk, want);
        if (r <= 0)
            return r < 0 ? (int)r : STORE_ECORRUPT;
        for (long i = 0; i < r; i++) {
            uint8_t c = blk[i];
            if (bol && c != ' ' && c != '\t') {
                if (have && fn(s, k, line, ll))
                    return 1;
                ll = 0;
                have = true;
                if (c == '\r' || c == '\n')
                    return 0;
            } else if (bol) {
                fold = true;
                if (ll < sizeof line)
                    line[ll++] = ' ';
            }
            bol = false;
            if (c == '\n') {
                bol = true;
                continue;
            }
            if (c == '\r')
                continue;
            if (fold && (c == ' ' || c == '\t'))
                continue;
            fold = false;
            if (ll < sizeof line)
                line[ll++] = (char)c;
        }
        pos += (uint32_t)r;
    }
    return have && fn(s, k, line, ll) ? 1 : 0;
}

/* The value of "Name: value" when Name is k->str2. */
static bool field_value(const imap_skey_t *k, char *line, uint32_t ll,
                        char **v, uint32_t *vl)
{
    uint32_t c = 0, nl, i;
    while (c < ll && line[c] != ':')
        c++;
    if (c == ll)
        return false;
    nl = c;
    while (nl > 0 && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
        nl--;
    if (nl != k->s2len)
        return false;
    for (i = 0; i < nl; i++) {
        uint8_t a = (uint8_t)line[i], b = (uint8_t)k->str2[i];
        if (a >= 'A' && a <= 'Z') a = (uint8_t)(a + 32);
        if (b >= 'A' && b <= 'Z') b = (uint8_t)(b + 32);
        if (a != b)
            return false;
    }
    i = c + 1;
    while (i < ll && (line[i] == ' ' || line[i] == '\t'))
        i++;
    *v = line + i;
    *vl = ll - i;
    return true;
}

static bool line_field(imap_session_t *s, const imap_skey_t *k, char *line,
                       uint32_t ll)
{
    char *v;
    uint32_t vl;
    return field_value(k, line, ll, &v, &vl) && match_str(s, k, v, vl);
}

static bool line_any(imap_session_t *s, const imap_skey_t *k, char *line,
                     uint32_t ll)
{
    return match_str(s, k, line, ll);
}

/* The Date: field's own day; the first one found. */
static bool line_date(imap_session_t *s, const imap_skey_t *k, char *line,
                      uint32_t ll)
{
    char *v;
    uint32_t vl;
    int64_t d;
    if (!field_value(k, line, ll, &v, &vl))
        return false;
    if (imap_parse_rfc5322_day(v, vl, &d))
        s->u.search.sent_day = d;
    return true;
}

/* A part whose body BODY searches: text (or no Content-Type), with an
 * encoding we can decode. */
static bool text_part(const uint8_t *sum, const mime_part_t *pt, int *cte,
                      bool *latin1)
{
    const char *v;
    uint32_t vl;
    mime_ctype_t ct;
    char cs[32];
    uint32_t cl;

    *latin1 = false;
    *cte = mime_part_field(sum, pt, MIME_F_CTE, &v, &vl) ? mime_cte_of(v, vl)
                                                         : MIME_CTE_7BIT;
    if (*cte == MIME_CTE_UNKNOWN)
        return false;
    if (!mime_part_field(sum, pt, MIME_F_CTYPE, &v, &vl))
        return true;
    mime_ctype_parse(v, vl, &ct);
    if (!mime_ieq(ct.type, ct.tlen, "text"))
        return false;
    if (mime_param_get(ct.params, ct.plen, "charset", cs, sizeof cs, &cl) &&
        (mime_ieq(cs, cl, "iso-8859-1") || mime_ieq(cs, cl, "windows-1252") ||
         mime_ieq(cs, cl, "latin1")))
        *latin1 = true;
    return true;
}

/* eval(): the message's answer needs another step (a body scan paused) */
#define PENDING 2

_Static_assert(IMAP_SEARCH_KEYS_MAX <= 32, "keys_done is a 32-bit mask");

/* Scans the body of the current part from q->scan_pos: 1 found, 0 at its
 * end, PENDING when the step's budget is spent (the decoder and matcher
 * states stay in q for the next step), negative on error. */
static int part_body_step(imap_session_t *s, const store_msg_t *m,
                          const mime_part_t *pt)
{
    imap_search_t *q = &s->u.search;
    static uint8_t raw[SEARCH_BLK], out[SEARCH_BLK];
    uint32_t end = pt->body_end;

    if (end > m->size)
        end = m->size;
    while (q->scan_pos < end) {
        uint32_t n = end - q->scan_pos, used = 0;
        if (s->budget == 0)
            return PENDING;
        s->budget--;             /* one unit per chunk read */
        if (n > sizeof raw)
            n = sizeof raw;
        long r = store_msg_read(imap_store(s), m, q->scan_pos, raw, n);
        if (r <= 0)
            return r < 0 ? (int)r : STORE_ECORRUPT;
        uint32_t w = mime_dec_run(&q->scan_dec, raw, (uint32_t)r, &used, out,
                                  sizeof out);
        if (used == 0)
            break;
        q->scan_pos += used;
        if (feed(&q->scan_mm, out, w, q->scan_latin1))
            return 1;
    }
    return 0;
}

/* BODY (text parts) or TEXT (every header too) of key ki, in slices: the
 * parts in preorder, each header scanned whole (bounded by hdr_scan), each
 * body a budget of chunks per step.  The needle may straddle chunks and
 * steps: the matcher carries its state. */
static int body_scan(imap_session_t *s, const store_msg_t *m,
                     const imap_skey_t *k, uint16_t ki, bool text)
{
    imap_search_t *q = &s->u.search;
    mime_part_t pt;
    int r = 0, cte;
    uint32_t sl;
    /* the server's buffer: asked for again each step (see imap_summary) */
    const uint8_t *sum = imap_summary(s, m, &sl);

    if (sum == NULL)
        return STORE_ECORRUPT;
    if (!q->scan_on || q->scan_key != ki) {
        q->scan_on = true;
        q->scan_key = ki;
        q->scan_at = MIME_SUM_HDR;
        q->scan_phase = 0;
    }
    while (q->scan_at < sl && mime_part_at(sum, sl, q->scan_at, &pt)) {
        if (q->scan_phase == 0) {
            if (s->budget == 0)
                return PENDING;
            if (text) {
                r = hdr_scan(s, m, pt.hdr_off, pt.body_off, k, line_any);
                if (r != 0)
                    break;
            }
            q->scan_phase = 1;
            q->scan_pos = pt.body_end;   /* nothing to scan */
            if (pt.kind == MIME_K_LEAF &&
                text_part(sum, &pt, &cte, &q->scan_latin1)) {
                q->scan_pos = pt.body_off;
                mime_dec_init(&q->scan_dec, cte);
                mime_match_init(&q->scan_mm, (const uint8_t *)k->str, k->slen);
                if (q->scan_mm.found) {   /* the empty string */
                    r = 1;
                    break;
                }
            }
        }
        r = part_body_step(s, m, &pt);
        if (r == PENDING)
            return PENDING;
        if (r != 0)
            break;
        q->scan_phase = 0;
        q->scan_at += MIME_REC_FIXED + pt.fields_len;   /* preorder: next */
    }
    q->scan_on = false;
    if (r >= 0) {
        q->keys_done |= 1u << ki;
        if (r > 0)
            q->keys_hit |= 1u << ki;
    }
    return r;
}

/* A key's answer for this message, when a step before decided it. */
static int body_search(imap_session_t *s, const store_msg_t *m,
                       const imap_skey_t *k, uint16_t ki, bool text)
{
    imap_search_t *q = &s->u.search;
    if (q->keys_done & (1u << ki))
        return (q->keys_hit >> ki) & 1;
    return body_scan(s, m, k, ki, text);
}

static int64_t internal_day(const store_msg_t *m)
{
    int64_t l = m->internaldate + (int64_t)m->tz_minutes * 60;
    return l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
}

/* 1 match, 0 not, PENDING (BODY/TEXT paused: evaluate the message again
 * next step), negative error.  Depth is bounded by the parser. */
static int eval(imap_session_t *s, uint16_t i, const store_msg_t *m,
                uint32_t seq)
{
    imap_search_t *q = &s->u.search;
    const imap_skey_t *k = &q->keys[i];
    int r;

    switch (k->op) {
    case OP_AND: {
        uint16_t c = (uint16_t)(i + 1);
        for (uint32_t n = 0; n < k->num; n++) {
            r = eval(s, c, m, seq);
            if (r != 1)
                return r;
            c = (uint16_t)(c + q->keys[c].size);
        }
        return 1;
    }
    case OP_OR:
        r = eval(s, (uint16_t)(i + 1), m, seq);
        if (r != 0)
            return r;
        return eval(s, (uint16_t)(i + 1 + q->keys[i + 1].size), m, seq);
    case OP_NOT:
        r = eval(s, (uint16_t)(i + 1), m, seq);
        return r < 0 || r == PENDING ? r : !r;
    case OP_ALL: return 1;
    case OP_FLAG: return (m->flags & k->num) != 0;
    case OP_NOFLAG: return (m->flags & k->num) == 0;
    case OP_KW: return k->num < 64 && (m->keywords >> k->num) & 1;
    case OP_NOKW: return !(k->num < 64 && (m->keywords >> k->num) & 1);
    case OP_NEW: return imap_msg_is_recent(s, m) && !(m->flags & STORE_F_SEEN);
    case OP_OLD: return !imap_msg_is_recent(s, m);
    case OP_RECENT: return imap_msg_is_recent(s, m);
    case OP_LARGER: return m->size > k->num;
    case OP_SMALLER: return m->size < k->num;
    case OP_BEFORE: return internal_day(m) < k->day;
    case OP_ON: return internal_day(m) == k->day;
    case OP_SINCE: return internal_day(m) >= k->day;
    case OP_SENTBEFORE: case OP_SENTON: case OP_SENTSINCE: {
        imap_skey_t d = *k;
        d.str2 = "Date";
        d.s2len = 4;
        q->sent_day = 0;   /* no (valid) Date: 1970-01-01, as Dovecot */
        r = hdr_scan(s, m, 0, m->hdr_size, &d, line_date);
        if (r < 0)
            return r;
        if (k->op == OP_SENTBEFORE)
            return q->sent_day < k->day;
        if (k->op == OP_SENTON)
            return q->sent_day == k->day;
        return q->sent_day >= k->day;
    }
    case OP_HEADER:
        return hdr_scan(s, m, 0, m->hdr_size, k, line_field);
    case OP_BODY: return body_search(s, m, k, i, false);
    case OP_TEXT: return body_search(s, m, k, i, true);
    case OP_SEQ: return imap_seqset_has(k->str, k->slen, q->star_seq, seq);
    case OP_UID: return imap_seqset_has(k->str, k->slen, q->star_uid, m->uid);
    default: return 0;
    }
}

static int run_search(imap_session_t *s)
{
    imap_search_t *q = &s->u.search;
    store_msg_t m;
    int r;

    if (!q->started) {
        if (imap_out_free(s) < 64)
            return IMAP_R_WAIT;
        imap_out_str(s, "* SEARCH");
        q->started = true;
    }
    while (q->in_msg || q->cur < s->view.count) {
        if (s->budget == 0)
            return IMAP_R_MORE;
        if (imap_out_free(s) < 64)
            return IMAP_R_WAIT;
        s->budget--;
        if (!q->in_msg) {
            q->cur++;
            q->in_msg = true;
            q->keys_done = q->keys_hit = 0;
            q->scan_on = false;
        }
        if (store_view_get(imap_store(s), &s->view, q->cur, &m) < 0) {
            q->in_msg = false;
            continue;
        }
        r = eval(s, 0, &m, q->cur);
        if (r == PENDING)
            return IMAP_R_MORE;   /* the same message, next step */
        q->in_msg = false;
        if (r > 0) {
            imap_out(s, " ", 1);
            imap_out_u32(s, s->uid ? m.uid : q->cur);
        }
    }
    if (q->started) {
        imap_out_str(s, "\r\n");
        q->started = false;
        q->cur = UINT32_MAX;
    }
    if (imap_out_free(s) < 128)
        return IMAP_R_WAIT;
    imap_out_tagged(s, "OK", s->uid ? "UID SEARCH completed" : "SEARCH completed");
    return IMAP_R_DONE;
}

int imap_cmd_search(imap_session_t *s, imap_parser_t *p)
{
    imap_search_t *q = &s->u.search;
    sparse_t c = { s, p, NULL, false };
    uint32_t save;
    char *w;
    uint32_t wl;

    memset(q, 0, offsetof(imap_search_t, keys));
    q->nkeys = 0;
    q->cur = 0;
    q->started = false;
    q->in_msg = false;
    q->scan_on = false;
    if (!imap_p_sp(p)) {
        imap_out_tagged(s, "BAD", "Usage: SEARCH keys");
        return IMAP_R_DONE;
    }
    save = p->pos;
    if (imap_p_atom(p, &w, &wl, NULL) && imap_ieq(w, wl, "CHARSET")) {
        char *cs;
        uint32_t cl;
        if (!imap_p_sp(p) || !imap_p_astring(p, &cs, &cl) || !imap_p_sp(p)) {
            imap_out_tagged(s, "BAD", "Invalid CHARSET");
            return IMAP_R_DONE;
        }
        if (!imap_ieq(cs, cl, "US-ASCII") && !imap_ieq(cs, cl, "UTF-8")) {
            imap_out_tagged(s, "NO", "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
            return IMAP_R_DONE;
        }
    } else {
        p->pos = save;
    }
    /* the whole key list is an implicit AND */
    if (node(&c, OP_AND) == NULL)
        return IMAP_R_DONE;
    do {
        if (parse_key(&c, 1) < 0)
            break;
        q->keys[0].num++;
    } while (imap_p_sp(p));
    if (c.err == NULL && !imap_p_eol(p))
        c.err = "Invalid characters after search keys";
    if (c.err != NULL) {
        imap_out_tagged(s, "BAD", c.err);
        return IMAP_R_DONE;
    }
    q->keys[0].size = q->nkeys;
    q->star_seq = s->view.count;
    q->star_uid = imap_star(s, true);
    s->run = run_search;
    return run_search(s);
}
