/*
 * mime_parse.c - the streaming structure parser.
 *
 * Summary layout: a 4-byte header ('M', version, flags, 0), then one record
 * per entity in preorder.  A record is MIME_REC_FIXED bytes
 *   kind u8, message u8, nchildren u16, hdr_off u32, body_off u32,
 *   body_end u32, lines u32, fields_len u32, subtree_len u32
 * followed by fields_len bytes of header fields (id u8, length u16, the
 * unfolded value) and then its children's records.  A message/rfc822 part
 * has one child: the encapsulated message.  Offsets are from the start of
 * the top-level message.
 *
 * The parse is line by line but fed byte by byte: only the first bytes of
 * a line (enough to recognise a boundary) and the header field being
 * unfolded are kept.  Open entities are an explicit stack of
 * IMAP_MIME_DEPTH frames.
 */
#include <string.h>

#include "mime/mime.h"

static void put16(uint8_t *b, uint32_t v) { b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *b, uint32_t v)
{ for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get16(const uint8_t *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8; }
static uint32_t get32(const uint8_t *b)
{ return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24; }

static const char *const fnames[MIME_F_COUNT] = {
    NULL, "content-type", "content-transfer-encoding", "content-id",
    "content-description", "content-md5", "content-disposition",
    "content-language", "content-location",
    "date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc",
    "in-reply-to", "message-id",
};

bool mime_ieq(const char *a, uint32_t al, const char *b)
{
    uint32_t i;
    for (i = 0; i < al; i++) {
        char x = a[i], y = b[i];
        if (y == 0)
            return false;
        if (x >= 'A' && x <= 'Z')
            x = (char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (char)(y + 32);
        if (x != y)
            return false;
    }
    return b[i] == 0;
}

void mime_parse_init(mime_parser_t *p, uint8_t *sum, uint32_t cap)
{
    memset(p, 0, offsetof(mime_parser_t, field));
    p->sum = sum;
    p->cap = cap;
    p->prev_eol = 0;
    if (cap < MIME_SUM_HDR + MIME_REC_FIXED) {
        p->cap = 0;
        return;
    }
    sum[0] = 'M';
    sum[1] = MIME_SUM_VERSION;
    sum[2] = 0;
    sum[3] = 0;
    p->len = MIME_SUM_HDR;
    /* the message itself */
    memset(sum + p->len, 0, MIME_REC_FIXED);
    sum[p->len + 1] = 1;
    memset(&p->fr[0], 0, sizeof p->fr[0]);
    p->fr[0].rec = p->len;
    p->fr[0].kind = MIME_K_LEAF;
    p->len += MIME_REC_FIXED;
    p->depth = 1;
    p->in_header = true;
}

static void mark_trunc(mime_parser_t *p) { p->sum[2] |= MIME_SUM_F_TRUNC; }

/* A new entity whose header starts at hdr_off; false when it cannot be
 * recorded (too deep, or no room). */
static bool open_entity(mime_parser_t *p, uint32_t hdr_off, bool message,
                        bool digest)
{
    mime_frame_t *f;
    uint8_t *r;

    if (p->depth >= IMAP_MIME_DEPTH)
        return false;
    if (p->len + MIME_REC_FIXED + 64 > p->cap) {
        mark_trunc(p);
        return false;
    }
    r = p->sum + p->fr[p->depth - 1].rec;
    put16(r + 2, get16(r + 2) + 1);
    r = p->sum + p->len;
    memset(r, 0, MIME_REC_FIXED);
    r[1] = message;
    put32(r + 4, hdr_off);
    f = &p->fr[p->depth++];
    memset(f, 0, offsetof(mime_frame_t, boundary));
    f->rec = p->len;
    f->kind = MIME_K_LEAF;
    f->digest = digest;   /* here: the parent is a digest */
    p->len += MIME_REC_FIXED;
    p->in_header = true;
    p->flen = 0;
    return true;
}

static void field_done(mime_parser_t *p)
{
    mime_frame_t *f = &p->fr[p->depth - 1];
    uint32_t c = 0, n, v, e;
    unsigned id;

    if (p->flen == 0)
        return;
    while (c < p->flen && p->field[c] != ':')
        c++;
    n = c;
    while (n > 0 && (p->field[n - 1] == ' ' || p->field[n - 1] == '\t'))
        n--;
    if (c == p->flen || n == 0)
        goto out;
    for (id = 1; id < MIME_F_COUNT; id++)
        if (mime_ieq(p->field, n, fnames[id]))
            break;
    if (id == MIME_F_COUNT || (id >= MIME_F_DATE && !p->sum[f->rec + 1]) ||
        (f->seen >> id) & 1)
        goto out;
    f->seen |= 1u << id;
    v = c + 1;
    e = p->flen;
    while (v < e && (p->field[v] == ' ' || p->field[v] == '\t' ||
                     p->field[v] == '\n'))
        v++;
    while (e > v && (p->field[e - 1] == ' ' || p->field[e - 1] == '\t' ||
                     p->field[e - 1] == '\n'))
        e--;
    if (p->len + 3 + (e - v) > p->cap) {
        mark_trunc(p);
        goto out;
    }
    p->sum[p->len] = (uint8_t)id;
    put16(p->sum + p->len + 1, e - v);
    memcpy(p->sum + p->len + 3, p->field + v, e - v);
    p->len += 3 + (e - v);
out:
    p->flen = 0;
}

/* The header of the innermost entity ends; its body starts at body_off.
 * open_nested: a message/rfc822 body is parsed as a message. */
static void header_end(mime_parser_t *p, uint32_t body_off, uint32_t body_nl,
                       bool open_nested)
{
    mime_frame_t *f = &p->fr[p->depth - 1];
    uint8_t *r = p->sum + f->rec;
    const char *v = NULL;
    uint32_t vl = 0;
    mime_part_t pt;
    mime_ctype_t ct;
    bool digest_parent = f->digest;

    field_done(p);
    p->in_header = false;
    put32(r + 8, body_off);
    put32(r + 20, p->len - f->rec - MIME_REC_FIXED);
    f->body_nl = body_nl;
    f->digest = false;
    if (!mime_part_at(p->sum, p->len, f->rec, &pt))
        return;
    if (mime_part_field(p->sum, &pt, MIME_F_CTYPE, &v, &vl)) {
        mime_ctype_parse(v, vl, &ct);
    } else if (digest_parent) {
        ct.type = "message"; ct.tlen = 7; ct.sub = "rfc822"; ct.slen = 6;
        ct.params = ""; ct.plen = 0;
    } else {
        return;   /* text/plain */
    }
    if (mime_ieq(ct.type, ct.tlen, "multipart")) {
        char b[MIME_BOUNDARY_MAX + 1];
        uint32_t bl;
        if (p->depth >= IMAP_MIME_DEPTH)
            return;
        /* no usable boundary: a multipart without parts (Dovecot too) */
        if (!mime_param_get(ct.params, ct.plen, "boundary", b, sizeof b, &bl) ||
            bl > MIME_BOUNDARY_MAX)
            bl = 0;
        f->kind = MIME_K_MULTI;
        memcpy(f->boundary, b, bl);
        f->blen = (uint8_t)bl;
        f->digest = mime_ieq(ct.sub, ct.slen, "digest");
        r[0] = MIME_K_MULTI;
    } else if (mime_ieq(ct.type, ct.tlen, "message") &&
               mime_ieq(ct.sub, ct.slen, "rfc822") && open_nested) {
        if (open_entity(p, body_off, true, false)) {
            f->kind = MIME_K_MESSAGE;
            r[0] = MIME_K_MESSAGE;
        }
    }
}

/* Closes the innermost frame: its body ends at end, nl_end LFs before. */
static void close_top(mime_parser_t *p, uint32_t end, uint32_t nl_end)
{
    mime_frame_t *f = &p->fr[p->depth - 1];
    uint8_t *r = p->sum + f->rec;

    if (end < get32(r + 4))
        end = get32(r + 4);
    if (p->in_header)
        header_end(p, end, nl_end, false);
    if (end < get32(r + 8))
        end = get32(r + 8);
    if (nl_end < f->body_nl)
        nl_end = f->body_nl;
    put32(r + 12, end);
    put32(r + 16, nl_end - f->body_nl);
    put32(r + 24, p->len - f->rec);
    p->depth--;
    p->in_header = false;
}

static void line_end(mime_parser_t *p)
{
    uint32_t ll = p->line_len, cl;
    uint32_t next = p->pos + 1;
    uint8_t eol = ll >= 2 && p->prev_cr ? 2 : 1;

    cl = ll - eol;
    if (cl >= 2 && p->lbuf[0] == '-' && p->lbuf[1] == '-') {
        for (int i = p->depth - 1; i >= 0; i--) {
            mime_frame_t *f = &p->fr[i];
            if (f->kind != MIME_K_MULTI || f->epilogue || f->blen == 0 ||
                cl < 2u + f->blen ||
                memcmp(p->lbuf + 2, f->boundary, f->blen) != 0)
                continue;
            bool close = cl >= 4u + f->blen && p->lbuf[2 + f->blen] == '-' &&
                         p->lbuf[3 + f->blen] == '-';
            uint32_t end = p->line_start, nle = p->nl;
            /* the line end before a boundary belongs to it, unless that
             * line was a boundary line itself (Dovecot does the same) */
            if (end >= p->prev_eol && p->line_start > 0 && !p->prev_bnd) {
                end -= p->prev_eol;
                nle--;
            }
            p->flen = 0;
            while (p->depth > (unsigned)i + 1)
                close_top(p, end, nle);
            if (close)
                f->epilogue = true;
            else
                open_entity(p, next, false, f->digest);
            p->prev_eol = eol;
            p->prev_bnd = true;
            return;
        }
    }
    if (p->in_header && cl == 0)
        header_end(p, next, p->nl + 1, true);
    p->prev_eol = eol;
    p->prev_bnd = false;
}

void mime_parse_feed(mime_parser_t *p, const void *data, size_t n)
{
    const uint8_t *d = data;

    if (p->cap == 0)
        return;
    for (size_t i = 0; i < n; i++, p->pos++) {
        uint8_t c = d[i];
        if (p->line_len == 0)
            p->line_start = p->pos;
        if (p->in_header) {
            if (p->line_len == 0) {
                if (c != ' ' && c != '\t')
                    field_done(p);
                else if (p->flen > 0 && p->flen < IMAP_MIME_FIELD_MAX)
                    p->field[p->flen++] = '\n';   /* a fold (see below) */
                p->field_cont = c == ' ' || c == '\t';
            }
            /* a fold and the white space after it are kept as one '\n' */
            if (p->field_cont && (c == ' ' || c == '\t'))
                ;
            else if (c != '\r' && c != '\n') {
                p->field_cont = false;
                if (p->flen < IMAP_MIME_FIELD_MAX)
                    p->field[p->flen++] = (char)c;
            }
        }
        if (p->line_len < sizeof p->lbuf)
            p->lbuf[p->line_len] = c;
        p->line_len++;
        if (c == '\n') {
            line_end(p);
            p->nl++;
            p->line_len = 0;
        }
        p->prev_cr = c == '\r';
    }
}

uint32_t mime_parse_finish(mime_parser_t *p)
{
    if (p->cap == 0)
        return 0;
    if (p->line_len > 0 && p->in_header && p->flen > 0)
        field_done(p);
    while (p->depth > 0)
        close_top(p, p->pos, p->nl);
    return p->len;
}
