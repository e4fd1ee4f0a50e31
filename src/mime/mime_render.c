/*
 * mime_render.c - ENVELOPE, BODY and BODYSTRUCTURE text from a summary
 * (RFC 3501 section 7.4.2).
 *
 * The walk over nested parts keeps its own stack (at most IMAP_MIME_DEPTH
 * deep, the summary's own bound); addresses are parsed from the raw field
 * value each time, with small fixed buffers.
 */
#include <string.h>

#include "mime/mime.h"

/* ---- sink ----------------------------------------------------------------- */

/* Bytes [vpos, vpos + n) of the text: the part inside the window
 * [skip, skip + cap) is copied in one piece. */
void mime_sink_put(mime_sink_t *o, const void *p, uint32_t n)
{
    uint32_t from = 0, k;
    if (o->vpos < o->skip) {
        if (o->skip - o->vpos >= n) {
            o->vpos += n;
            return;
        }
        from = o->skip - o->vpos;
    }
    k = n - from;
    if (k > o->cap - o->w)
        k = o->cap - o->w;
    if (k > 0)            /* a measuring sink has no dst */
        memcpy(o->dst + o->w, (const uint8_t *)p + from, k);
    o->w += k;
    o->vpos += n;
}

void mime_sink_str(mime_sink_t *o, const char *s)
{
    mime_sink_put(o, s, (uint32_t)strlen(s));
}

void mime_sink_u32(mime_sink_t *o, uint32_t v)
{
    char b[12];
    int i = (int)sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    mime_sink_put(o, b + i, (uint32_t)(sizeof b - (size_t)i));
}

void mime_sink_nstring(mime_sink_t *o, const char *v, uint32_t vl)
{
    bool lit = false;
    if (v == NULL) {
        mime_sink_str(o, "NIL");
        return;
    }
    /* a folded value is stored with '\n' where it was folded: sent as a
     * literal with a space there (what Dovecot does) */
    uint32_t n = 0;
    for (uint32_t i = 0; i < vl; i++)
        if ((uint8_t)v[i] < 0x20 || (uint8_t)v[i] >= 0x7f || v[i] == '"' ||
            v[i] == '\\')
            lit = true;
    if (lit) {
        n = vl;
        mime_sink_str(o, "{");
        mime_sink_u32(o, n);
        mime_sink_str(o, "}\r\n");
        for (uint32_t i = 0, run = 0; i <= vl; i++) {
            if (i < vl && v[i] != '\n')
                continue;
            mime_sink_put(o, v + run, i - run);
            if (i < vl)
                mime_sink_put(o, " ", 1);
            run = i + 1;
        }
        return;
    }
    /* no '"' or '\\' here (those make a literal): the value as it is */
    mime_sink_put(o, "\"", 1);
    mime_sink_put(o, v, vl);
    mime_sink_put(o, "\"", 1);
}

/* ---- addresses ------------------------------------------------------------ */

enum { T_END, T_WORD, T_QSTR, T_SPEC };

typedef struct lex {
    const char *v;
    uint32_t n, i;
    const char *t;
    uint32_t tl;
    char c;
} lex_t;

static bool is_special(char c)
{
    return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' ||
           c == ':' || c == '"' || c == '(' || c == ')';
}

static int lex_next(lex_t *x)
{
    for (;;) {
        while (x->i < x->n && (x->v[x->i] == ' ' || x->v[x->i] == '\t' ||
                               x->v[x->i] == '\r' || x->v[x->i] == '\n'))
            x->i++;
        if (x->i >= x->n)
            return T_END;
        if (x->v[x->i] != '(')
            break;
        unsigned depth = 0;   /* comments nest: counted, not recursed */
        while (x->i < x->n) {
            char c = x->v[x->i++];
            if (c == '\\' && x->i < x->n)
                x->i++;
            else if (c == '(')
                depth++;
            else if (c == ')' && --depth == 0)
                break;
        }
    }
    char c = x->v[x->i];
    if (c == '"') {
        uint32_t s = ++x->i;
        while (x->i < x->n && x->v[x->i] != '"') {
            if (x->v[x->i] == '\\' && x->i + 1 < x->n)
                x->i++;
            x->i++;
        }
        x->t = x->v + s;
        x->tl = x->i - s;
        if (x->i < x->n)
            x->i++;
        return T_QSTR;
    }
    if (is_special(c)) {
        x->c = c;
        x->i++;
        return T_SPEC;
    }
    uint32_t s = x->i;
    while (x->i < x->n && !is_special(x->v[x->i]) && x->v[x->i] != ' ' &&
           x->v[x->i] != '\t' && x->v[x->i] != '\r' && x->v[x->i] != '\n')
        x->i++;
    x->t = x->v + s;
    x->tl = x->i - s;
    return T_WORD;
}

#define ABUF 256
typedef struct abuf { char b[ABUF]; uint32_t n; } abuf_t;

static void ab_put(abuf_t *a, const char *s, uint32_t n, bool unquote)
{
    for (uint32_t i = 0; i < n; i++) {
        if (unquote && s[i] == '\\' && i + 1 < n)
            i++;
        if (a->n < ABUF)
            a->b[a->n++] = s[i];
    }
}

typedef struct addr {
    abuf_t name, adl, mbox, host;
    bool angle, at;
} addr_t;

static void addr_out(mime_sink_t *o, const char *n, uint32_t nl, const char *a,
                     uint32_t al, const char *m, uint32_t ml, const char *h,
                     uint32_t hl)
{
    mime_sink_put(o, "(", 1);
    mime_sink_nstring(o, nl ? n : NULL, nl);
    mime_sink_put(o, " ", 1);
    mime_sink_nstring(o, al ? a : NULL, al);
    mime_sink_put(o, " ", 1);
    mime_sink_nstring(o, m, ml);
    mime_sink_put(o, " ", 1);
    mime_sink_nstring(o, h, hl);
    mime_sink_put(o, ")", 1);
}

/* Writes the addresses of one field value; returns how many. */
static unsigned addr_list(mime_sink_t *o, const char *v, uint32_t vl)
{
    lex_t x = { v, vl, 0, NULL, 0, 0 };
    addr_t a;
    unsigned count = 0;
    bool group = false;
    int t;
    /* where the words go: 0 phrase, 1 local part (angle), 2 domain, 3 route */
    int dst = 0;

    memset(&a, 0, sizeof a);
    for (;;) {
        t = lex_next(&x);
        if (t == T_WORD || t == T_QSTR) {
            abuf_t *b = dst == 0 ? &a.name : dst == 1 ? &a.mbox :
                        dst == 2 ? &a.host : &a.adl;
            if (dst == 0 && b->n > 0) {
                /* "a.b" atoms keep their dots; words get one space */
                char prev = b->b[b->n - 1];
                if (prev != '.' && x.t[0] != '.')
                    ab_put(b, " ", 1, false);
            }
            ab_put(b, x.t, x.tl, t == T_QSTR);
            continue;
        }
        char c = t == T_SPEC ? x.c : ',';
        if (c == '<' && dst == 0) {
            a.angle = true;
            dst = 1;
            continue;
        }
        if (c == '@') {
            if (dst == 3 || (dst == 1 && a.mbox.n == 0)) {   /* route: @a,@b: */
                dst = 3;
                ab_put(&a.adl, "@", 1, false);
                continue;
            }
            if (dst == 0) {   /* addr-spec: the words were the local part */
                a.mbox = a.name;
                a.name.n = 0;
                /* the local part has no spaces between words */
                uint32_t k = 0;
                for (uint32_t i = 0; i < a.mbox.n; i++)
                    if (a.mbox.b[i] != ' ')
                        a.mbox.b[k++] = a.mbox.b[i];
                a.mbox.n = k;
            }
            a.at = true;
            dst = 2;
            continue;
        }
        if (dst == 3 && (c == ',' && t == T_SPEC)) {
            ab_put(&a.adl, ",", 1, false);
            continue;
        }
        if (dst == 3 && c == ':') {
            dst = 1;
            continue;
        }
        if (c == '>' && a.angle) {
            dst = 4;   /* ignore anything up to the next ',' */
            continue;
        }
        if (c == ':' && dst == 0 && !group) {
            addr_out(o, NULL, 0, NULL, 0, a.name.b, a.name.n, NULL, 0);
            count++;
            group = true;
            memset(&a, 0, sizeof a);
            continue;
        }
        if (c == ',' || c == ';' || t == T_END) {
            if (a.angle || a.at) {
                if (a.angle && a.mbox.n == 0 && !a.at) {
                    /* <> : no address at all */
                } else {
                    addr_out(o, a.name.b, a.name.n, a.adl.b, a.adl.n,
                             a.mbox.b, a.mbox.n,
                             a.at ? a.host.b : "MISSING_DOMAIN",
                             a.at ? a.host.n : 14);
                    count++;
                }
            } else if (a.name.n > 0) {
                addr_out(o, NULL, 0, NULL, 0, a.name.b, a.name.n,
                         "MISSING_DOMAIN", 14);
                count++;
            }
            memset(&a, 0, sizeof a);
            dst = 0;
            if (group && (c == ';' || t == T_END)) {
                addr_out(o, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
                count++;
                group = false;
            }
            if (t == T_END)
                return count;
            continue;
        }
        /* a stray special: part of the text */
        if (dst < 4) {
            abuf_t *b = dst == 0 ? &a.name : dst == 1 ? &a.mbox :
                        dst == 2 ? &a.host : &a.adl;
            ab_put(b, &c, 1, false);
        }
    }
}

static void addr_field(mime_sink_t *o, const char *v, uint32_t vl, bool have)
{
    mime_sink_t count = { NULL, 0, 0, 0, 0 };
    if (!have || addr_list(&count, v, vl) == 0) {
        mime_sink_str(o, "NIL");
        return;
    }
    mime_sink_put(o, "(", 1);
    addr_list(o, v, vl);
    mime_sink_put(o, ")", 1);
}

uint32_t mime_render_envelope(const uint8_t *sum, uint32_t len,
                              const mime_part_t *m, mime_sink_t *o)
{
    static const uint8_t ids[] = { MIME_F_DATE, MIME_F_SUBJECT, MIME_F_FROM,
        MIME_F_SENDER, MIME_F_REPLYTO, MIME_F_TO, MIME_F_CC, MIME_F_BCC,
        MIME_F_INREPLYTO, MIME_F_MSGID };
    const char *fv = NULL, *v;
    uint32_t fl = 0, vl;
    bool hf;

    (void)len;
    hf = mime_part_field(sum, m, MIME_F_FROM, &fv, &fl);
    mime_sink_put(o, "(", 1);
    for (unsigned i = 0; i < sizeof ids; i++) {
        bool have = mime_part_field(sum, m, ids[i], &v, &vl);
        if (i > 0)
            mime_sink_put(o, " ", 1);
        switch (ids[i]) {
        case MIME_F_FROM: case MIME_F_TO: case MIME_F_CC: case MIME_F_BCC:
            addr_field(o, v, vl, have);
            break;
        case MIME_F_SENDER: case MIME_F_REPLYTO: {
            /* RFC 3501: defaults to From when absent (or empty) */
            mime_sink_t count = { NULL, 0, 0, 0, 0 };
            if (!have || addr_list(&count, v, vl) == 0)
                addr_field(o, fv, fl, hf);
            else
                addr_field(o, v, vl, true);
            break;
        }
        default:
            mime_sink_nstring(o, have ? v : NULL, have ? vl : 0);
        }
    }
    mime_sink_put(o, ")", 1);
    return o->vpos;
}

/* ---- body structure ------------------------------------------------------- */

/* Unquoted value appended to b (bounded). */
static void val_add(char *b, uint32_t *k, uint32_t cap, const char *v,
                    uint32_t vl, bool q)
{
    for (uint32_t i = 0; i < vl && *k < cap; i++) {
        if (q && v[i] == '\\' && i + 1 < vl)
            i++;
        b[(*k)++] = v[i];
    }
}

/* "name*3*" -> base length and section number; false for a plain name. */
static bool sect_name(const char *n, uint32_t nl, uint32_t *base, int *num,
                      bool *ext)
{
    uint32_t i = 0;
    while (i < nl && n[i] != '*')
        i++;
    if (i == nl)
        return false;
    *base = i;
    *num = -1;
    *ext = false;
    i++;
    if (i < nl && n[i] >= '0' && n[i] <= '9') {
        int v = 0;
        while (i < nl && n[i] >= '0' && n[i] <= '9' && v < 100000)
            v = v * 10 + (n[i++] - '0');
        *num = v;
    }
    if (i < nl && n[i] == '*') {
        *ext = true;
        i++;
    }
    return i == nl;
}

/* ("name" "value" ...) or NIL, as Dovecot writes them: plain parameters
 * first, then RFC 2231 ones (continuations joined, an extended value kept
 * encoded under "name*"), and for text a charset "us-ascii" last when the
 * header names none. */
static void params_out(mime_sink_t *o, const char *p, uint32_t pl, bool text)
{
    uint32_t at = 0, nl, vl, cnt = 0, bl;
    const char *n, *v;
    bool q, ext, cs = false;
    int num;
    char b[512];

    while (mime_param_next(p, pl, &at, &n, &nl, &v, &vl, &q)) {
        if (mime_ieq(n, nl, "charset"))
            cs = true;
        if (sect_name(n, nl, &bl, &num, &ext))
            continue;
        mime_sink_put(o, cnt++ ? " " : "(", 1);
        mime_sink_nstring(o, n, nl);
        mime_sink_put(o, " ", 1);
        uint32_t k = 0;
        val_add(b, &k, sizeof b, v, vl, q);
        mime_sink_nstring(o, b, k);
    }
    at = 0;
    while (mime_param_next(p, pl, &at, &n, &nl, &v, &vl, &q)) {
        uint32_t at2 = 0, nl2, vl2, bl2, k = 0;
        const char *n2, *v2;
        bool q2, ext2, first = true, anyext = false;
        int num2;
        if (!sect_name(n, nl, &bl, &num, &ext))
            continue;
        /* only at the first parameter of its base name */
        while (mime_param_next(p, pl, &at2, &n2, &nl2, &v2, &vl2, &q2) &&
               n2 != n)
            if (sect_name(n2, nl2, &bl2, &num2, &ext2) && bl2 == bl &&
                memcmp(n2, n, bl) == 0 && ((num < 0) == (num2 < 0)))
                first = false;
        if (!first)
            continue;
        if (num < 0) {   /* name*=charset'lang'value: as it is */
            mime_sink_put(o, cnt++ ? " " : "(", 1);
            mime_sink_nstring(o, n, nl);
            mime_sink_put(o, " ", 1);
            val_add(b, &k, sizeof b, v, vl, q);
            mime_sink_nstring(o, b, k);
            continue;
        }
        for (int want = 0; want < 1000; want++) {
            bool found = false;
            at2 = 0;
            while (mime_param_next(p, pl, &at2, &n2, &nl2, &v2, &vl2, &q2))
                if (sect_name(n2, nl2, &bl2, &num2, &ext2) && bl2 == bl &&
                    num2 == want && memcmp(n2, n, bl) == 0) {
                    val_add(b, &k, sizeof b, v2, vl2, q2);
                    anyext |= ext2;
                    found = true;
                    break;
                }
            if (!found)
                break;
        }
        mime_sink_put(o, cnt++ ? " " : "(", 1);
        mime_sink_nstring(o, n, bl + (anyext ? 1 : 0));
        mime_sink_put(o, " ", 1);
        mime_sink_nstring(o, b, k);
    }
    if (text && !cs) {
        mime_sink_put(o, cnt++ ? " " : "(", 1);
        mime_sink_str(o, "\"charset\" \"us-ascii\"");
    }
    mime_sink_str(o, cnt ? ")" : "NIL");
}

static void field_or_nil(mime_sink_t *o, const uint8_t *sum,
                         const mime_part_t *pt, unsigned id)
{
    const char *v;
    uint32_t vl;
    if (mime_part_field(sum, pt, id, &v, &vl))
        mime_sink_nstring(o, v, vl);
    else
        mime_sink_str(o, "NIL");
}

static void ext_common(mime_sink_t *o, const uint8_t *sum, const mime_part_t *pt)
{
    const char *v;
    uint32_t vl;

    mime_sink_put(o, " ", 1);
    if (mime_part_field(sum, pt, MIME_F_CDISP, &v, &vl)) {
        mime_ctype_t d;
        mime_ctype_parse(v, vl, &d);   /* "type; params" has the same shape */
        mime_sink_put(o, "(", 1);
        mime_sink_nstring(o, d.type, d.tlen);
        mime_sink_put(o, " ", 1);
        params_out(o, d.params, d.plen, false);
        mime_sink_put(o, ")", 1);
    } else {
        mime_sink_str(o, "NIL");
    }
    mime_sink_put(o, " ", 1);
    if (mime_part_field(sum, pt, MIME_F_CLANG, &v, &vl)) {
        /* "en, de" -> ("en" "de") */
        uint32_t i = 0, cnt = 0;
        mime_sink_put(o, "(", 1);
        while (i < vl) {
            while (i < vl && (v[i] == ' ' || v[i] == ',' || v[i] == '\t'))
                i++;
            uint32_t s = i;
            while (i < vl && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
                i++;
            if (i > s) {
                if (cnt++)
                    mime_sink_put(o, " ", 1);
                mime_sink_nstring(o, v + s, i - s);
            }
        }
        mime_sink_put(o, ")", 1);
    } else {
        mime_sink_str(o, "NIL");
    }
    mime_sink_put(o, " ", 1);
    field_or_nil(o, sum, pt, MIME_F_CLOC);
}

typedef struct walk {
    mime_part_t pt;
    uint32_t next;                  /* next child record */
    uint32_t end;                   /* end of its subtree */
    uint16_t done;                  /* children written */
} walk_t;

static bool part_type(const uint8_t *sum, const mime_part_t *pt, mime_ctype_t *ct)
{
    const char *v;
    uint32_t vl;
    if (mime_part_field(sum, pt, MIME_F_CTYPE, &v, &vl)) {
        mime_ctype_parse(v, vl, ct);
        if (ct->tlen > 0)
            return true;
    }
    return false;
}

/* Everything of a non-multipart up to and including its size. */
static void leaf_head(mime_sink_t *o, const uint8_t *sum, const mime_part_t *pt,
                      bool digest_child, mime_ctype_t *ct)
{
    const char *v;
    uint32_t vl;

    mime_sink_put(o, "(", 1);
    if (part_type(sum, pt, ct)) {
        mime_sink_nstring(o, ct->type, ct->tlen);
        mime_sink_put(o, " ", 1);
        mime_sink_nstring(o, ct->sub, ct->slen);
        mime_sink_put(o, " ", 1);
        params_out(o, ct->params, ct->plen, mime_ieq(ct->type, ct->tlen, "text"));
    } else if (digest_child) {
        ct->type = "message"; ct->tlen = 7; ct->sub = "rfc822"; ct->slen = 6;
        mime_sink_str(o, "\"message\" \"rfc822\" NIL");
    } else {
        ct->type = "text"; ct->tlen = 4; ct->sub = "plain"; ct->slen = 5;
        mime_sink_str(o, "\"text\" \"plain\" (\"charset\" \"us-ascii\")");
    }
    mime_sink_put(o, " ", 1);
    field_or_nil(o, sum, pt, MIME_F_CID);
    mime_sink_put(o, " ", 1);
    field_or_nil(o, sum, pt, MIME_F_CDESC);
    mime_sink_put(o, " ", 1);
    if (mime_part_field(sum, pt, MIME_F_CTE, &v, &vl))
        mime_sink_nstring(o, v, vl);
    else
        mime_sink_str(o, "\"7bit\"");
    mime_sink_put(o, " ", 1);
    mime_sink_u32(o, pt->body_end - pt->body_off);
}

static void leaf_tail(mime_sink_t *o, const uint8_t *sum, const mime_part_t *pt,
                      const mime_ctype_t *ct, bool ext, bool lines)
{
    if (lines) {
        mime_sink_put(o, " ", 1);
        mime_sink_u32(o, pt->lines);
    }
    (void)ct;
    if (ext) {
        mime_sink_put(o, " ", 1);
        field_or_nil(o, sum, pt, MIME_F_CMD5);
        ext_common(o, sum, pt);
    }
    mime_sink_put(o, ")", 1);
}

static void empty_body(mime_sink_t *o, bool ext)
{
    mime_sink_str(o, "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0");
    mime_sink_str(o, ext ? " NIL NIL NIL NIL)" : ")");
}

uint32_t mime_render_body(const uint8_t *sum, uint32_t len,
                          const mime_part_t *root, bool ext, mime_sink_t *o)
{
    walk_t st[IMAP_MIME_DEPTH + 1];
    unsigned sp = 0;
    mime_part_t pt = *root;
    bool digest = false;
    mime_ctype_t ct;

    for (;;) {
        /* open pt */
        if (pt.kind == MIME_K_MULTI && sp < IMAP_MIME_DEPTH) {
            mime_sink_put(o, "(", 1);
            st[sp].pt = pt;
            st[sp].next = pt.rec + MIME_REC_FIXED + pt.fields_len;
            st[sp].end = pt.rec + pt.subtree_len;
            st[sp].done = 0;
            sp++;
        } else if (pt.kind == MIME_K_MESSAGE && sp < IMAP_MIME_DEPTH &&
                   pt.nchildren > 0) {
            mime_part_t in;
            leaf_head(o, sum, &pt, digest, &ct);
            mime_sink_put(o, " ", 1);
            if (mime_part_at(sum, len, pt.rec + MIME_REC_FIXED + pt.fields_len, &in))
                mime_render_envelope(sum, len, &in, o);
            else
                mime_sink_str(o, "NIL");
            mime_sink_put(o, " ", 1);
            st[sp].pt = pt;
            st[sp].next = pt.rec + MIME_REC_FIXED + pt.fields_len;
            st[sp].end = pt.rec + pt.subtree_len;
            st[sp].done = 0;
            sp++;
        } else {
            leaf_head(o, sum, &pt, digest, &ct);
            bool text = mime_ieq(ct.type, ct.tlen, "text");
            bool msg = mime_ieq(ct.type, ct.tlen, "message") &&
                       mime_ieq(ct.sub, ct.slen, "rfc822");
            if (msg) {   /* not parsed (too deep): no envelope to give */
                mime_sink_str(o, " NIL ");
                empty_body(o, ext);
            }
            leaf_tail(o, sum, &pt, &ct, ext, text || msg);
        }
        /* next: a child of the top of the stack, or close it */
        for (;;) {
            if (sp == 0)
                return o->vpos;
            walk_t *w = &st[sp - 1];
            if (w->next < w->end && w->done < w->pt.nchildren &&
                mime_part_at(sum, len, w->next, &pt)) {
                w->next += pt.subtree_len;
                w->done++;
                digest = false;
                if (w->pt.kind == MIME_K_MULTI) {
                    mime_ctype_t pc;
                    digest = part_type(sum, &w->pt, &pc) &&
                             mime_ieq(pc.sub, pc.slen, "digest");
                }
                break;
            }
            sp--;
            if (w->pt.kind == MIME_K_MULTI) {
                if (w->done == 0)
                    empty_body(o, ext);
                part_type(sum, &w->pt, &ct);
                mime_sink_put(o, " ", 1);
                mime_sink_nstring(o, ct.sub, ct.slen);
                if (ext) {
                    mime_sink_put(o, " ", 1);
                    params_out(o, ct.params, ct.plen, false);
                    ext_common(o, sum, &w->pt);
                }
                mime_sink_put(o, ")", 1);
            } else {
                mime_ctype_t mc;
                part_type(sum, &w->pt, &mc);
                if (w->done == 0)
                    empty_body(o, ext);
                leaf_tail(o, sum, &w->pt, &mc, ext, true);
            }
        }
    }
}
