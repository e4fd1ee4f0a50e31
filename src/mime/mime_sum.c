/*
 * mime_sum.c - reading a structure summary: records, fields, sections,
 * Content-Type and parameters.  Every offset is checked against the
 * summary's length: a damaged summary gives "no such part", never a read
 * outside it.
 */
#include <string.h>

#include "mime/mime.h"

static uint32_t get16(const uint8_t *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8; }
static uint32_t get32(const uint8_t *b)
{ return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }

bool mime_sum_valid(const uint8_t *sum, uint32_t len)
{
    return sum != NULL && len >= MIME_SUM_HDR + MIME_REC_FIXED &&
           sum[0] == 'M' && sum[1] == MIME_SUM_VERSION;
}

bool mime_part_at(const uint8_t *sum, uint32_t len, uint32_t rec,
                  mime_part_t *o)
{
    const uint8_t *r;
    if (rec < MIME_SUM_HDR || rec > len || len - rec < MIME_REC_FIXED)
        return false;
    r = sum + rec;
    o->rec = rec;
    o->kind = r[0];
    o->message = r[1] != 0;
    o->nchildren = (uint16_t)get16(r + 2);
    o->hdr_off = get32(r + 4);
    o->body_off = get32(r + 8);
    o->body_end = get32(r + 12);
    o->lines = get32(r + 16);
    o->fields_len = get32(r + 20);
    o->subtree_len = get32(r + 24);
    if (o->fields_len > len - rec - MIME_REC_FIXED)
        return false;
    if (o->subtree_len < MIME_REC_FIXED + o->fields_len ||
        o->subtree_len > len - rec)
        o->subtree_len = MIME_REC_FIXED + o->fields_len;   /* still open */
    if (o->body_off < o->hdr_off)
        o->body_off = o->hdr_off;
    if (o->body_end < o->body_off)
        o->body_end = o->body_off;
    if (o->kind > MIME_K_MESSAGE)
        o->kind = MIME_K_LEAF;
    return true;
}

bool mime_part_field(const uint8_t *sum, const mime_part_t *pt, unsigned id,
                     const char **v, uint32_t *vl)
{
    uint32_t at = pt->rec + MIME_REC_FIXED, end = at + pt->fields_len;
    while (at + 3 <= end) {
        uint32_t l = get16(sum + at + 1);
        if (l > end - at - 3)
            return false;
        if (sum[at] == id) {
            *v = (const char *)sum + at + 3;
            *vl = l;
            return true;
        }
        at += 3 + l;
    }
    return false;
}

/* Child number n (1-based) of a part. */
static bool child(const uint8_t *sum, uint32_t len, const mime_part_t *pt,
                  uint32_t n, mime_part_t *out)
{
    uint32_t at = pt->rec + MIME_REC_FIXED + pt->fields_len,
             end = pt->rec + pt->subtree_len;
    if (n == 0 || n > pt->nchildren)
        return false;
    for (uint32_t i = 1; at < end; i++) {
        if (!mime_part_at(sum, len, at, out))
            return false;
        if (i == n)
            return true;
        at += out->subtree_len;
    }
    return false;
}

bool mime_section(const uint8_t *sum, uint32_t len, const uint32_t *path,
                  unsigned n, mime_part_t *part, mime_part_t *inner)
{
    mime_part_t cur, c;

    if (!mime_sum_valid(sum, len) || !mime_part_at(sum, len, MIME_SUM_HDR, &cur))
        return false;
    for (unsigned i = 0; i < n; i++) {
        if (cur.kind == MIME_K_MULTI) {
            if (!child(sum, len, &cur, path[i], &c))
                return false;
            cur = c;
        } else if (path[i] != 1 ||
                   (i + 1 < n && cur.kind != MIME_K_MESSAGE)) {
            /* a non-multipart has only part 1 (itself), and nothing below
             * it unless it is a message/rfc822 */
            return false;
        }
        /* more numbers below a message/rfc822 part: those of the
         * encapsulated message */
        if (i + 1 < n && cur.kind == MIME_K_MESSAGE) {
            if (!child(sum, len, &cur, 1, &c))
                return false;
            cur = c;
        }
    }
    *part = cur;
    *inner = cur;
    if (n > 0 && cur.kind == MIME_K_MESSAGE && !child(sum, len, &cur, 1, inner))
        *inner = cur;
    return true;
}

/* ---- Content-Type and parameters ----------------------------------------- */

static bool wsp(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void mime_ctype_parse(const char *v, uint32_t vl, mime_ctype_t *ct)
{
    uint32_t i = 0, s;
    while (i < vl && wsp(v[i]))
        i++;
    s = i;
    while (i < vl && v[i] != '/' && v[i] != ';' && !wsp(v[i]))
        i++;
    ct->type = v + s;
    ct->tlen = i - s;
    while (i < vl && wsp(v[i]))
        i++;
    ct->sub = v + i;
    ct->slen = 0;
    if (i < vl && v[i] == '/') {
        i++;
        while (i < vl && wsp(v[i]))
            i++;
        s = i;
        while (i < vl && v[i] != ';' && !wsp(v[i]) && v[i] != '(')
            i++;
        ct->sub = v + s;
        ct->slen = i - s;
    }
    while (i < vl && v[i] != ';')
        i++;
    if (i < vl)
        i++;
    ct->params = v + i;
    ct->plen = vl - i;
}

/* Iterates "name=value" (value token or quoted string) in a ';' list. */
bool mime_param_next(const char *p, uint32_t pl, uint32_t *at,
                     const char **name, uint32_t *nl,
                     const char **val, uint32_t *vl, bool *quoted)
{
    uint32_t i = *at, s;
    for (;;) {
        while (i < pl && (wsp(p[i]) || p[i] == ';'))
            i++;
        if (i >= pl) {
            *at = i;
            return false;
        }
        s = i;
        while (i < pl && p[i] != '=' && p[i] != ';' && !wsp(p[i]))
            i++;
        *name = p + s;
        *nl = i - s;
        while (i < pl && wsp(p[i]))
            i++;
        if (i >= pl || p[i] != '=') {   /* not a parameter: skip it */
            while (i < pl && p[i] != ';')
                i++;
            continue;
        }
        i++;
        while (i < pl && wsp(p[i]))
            i++;
        if (i < pl && p[i] == '"') {
            s = ++i;
            while (i < pl && p[i] != '"') {
                if (p[i] == '\\' && i + 1 < pl)
                    i++;
                i++;
            }
            *val = p + s;
            *vl = i - s;
            *quoted = true;
            if (i < pl)
                i++;
        } else {
            s = i;
            while (i < pl && p[i] != ';' && !wsp(p[i]))
                i++;
            *val = p + s;
            *vl = i - s;
            *quoted = false;
        }
        while (i < pl && p[i] != ';')
            i++;
        *at = i;
        if (*nl > 0)
            return true;
    }
}

bool mime_param_get(const char *params, uint32_t plen, const char *name,
                    char *buf, uint32_t cap, uint32_t *len)
{
    uint32_t at = 0, nl, vl;
    const char *n, *v;
    bool q;
    while (mime_param_next(params, plen, &at, &n, &nl, &v, &vl, &q)) {
        if (!mime_ieq(n, nl, name))
            continue;
        uint32_t o = 0;
        for (uint32_t i = 0; i < vl; i++) {
            if (q && v[i] == '\\' && i + 1 < vl)
                i++;
            if (o == cap)
                return false;
            buf[o++] = v[i];
        }
        if (o < cap)
            buf[o] = 0;
        *len = o;
        return true;
    }
    return false;
}
