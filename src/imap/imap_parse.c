/*
 * imap_parse.c - tokens of one complete command held in the input buffer.
 *
 * The framer hands the parser only whole commands (line plus inline
 * literals), so the parser never has to stop in the middle of a token:
 * resumability lives in the framer.  Quoted strings are unescaped in place.
 */
#include <string.h>

#include "imap/imap_int.h"

void imap_p_init(imap_parser_t *p, uint8_t *buf, uint32_t len)
{
    p->buf = buf;
    p->pos = 0;
    /* the command ends with CRLF (or a bare LF): parse up to it */
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    p->end = len;
}

bool imap_p_eol(const imap_parser_t *p) { return p->pos >= p->end; }

int imap_p_peek(const imap_parser_t *p)
{
    return p->pos < p->end ? p->buf[p->pos] : -1;
}

bool imap_p_char(imap_parser_t *p, char c)
{
    if (p->pos < p->end && p->buf[p->pos] == (uint8_t)c) {
        p->pos++;
        return true;
    }
    return false;
}

bool imap_p_sp(imap_parser_t *p) { return imap_p_char(p, ' '); }

static bool is_atom_char(uint8_t c)
{
    if (c <= 0x20 || c >= 0x7f)
        return false;
    return strchr("(){%*\"\\]", c) == NULL;
}

bool imap_p_atom(imap_parser_t *p, char **s, uint32_t *len, const char *extra)
{
    uint32_t start = p->pos;

    while (p->pos < p->end) {
        uint8_t c = p->buf[p->pos];
        if (!is_atom_char(c) &&
            !(extra != NULL && c > 0x20 && c < 0x7f && strchr(extra, c)))
            break;
        p->pos++;
    }
    *s = (char *)p->buf + start;
    *len = p->pos - start;
    return *len > 0;
}

static bool p_quoted(imap_parser_t *p, char **s, uint32_t *len)
{
    uint32_t w;

    if (!imap_p_char(p, '"'))
        return false;
    w = p->pos;
    *s = (char *)p->buf + w;
    while (p->pos < p->end) {
        uint8_t c = p->buf[p->pos++];
        if (c == '"') {
            *len = w - (uint32_t)((uint8_t *)*s - p->buf);
            return true;
        }
        if (c == '\\') {
            if (p->pos >= p->end)
                return false;
            c = p->buf[p->pos++];
            if (c != '"' && c != '\\')
                return false;
        } else if (c == '\r' || c == '\n' || c == 0) {
            return false;
        }
        p->buf[w++] = c;
    }
    return false;
}

static bool p_literal(imap_parser_t *p, char **s, uint32_t *len)
{
    uint64_t n = 0;
    uint32_t digits = 0;

    if (!imap_p_char(p, '{'))
        return false;
    while (p->pos < p->end && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9') {
        n = n * 10 + (uint64_t)(p->buf[p->pos++] - '0');
        if (++digits > 10)
            return false;
    }
    if (digits == 0)
        return false;
    imap_p_char(p, '+');
    if (!imap_p_char(p, '}'))
        return false;
    imap_p_char(p, '\r');
    if (!imap_p_char(p, '\n'))
        return false;
    if (n > p->end - p->pos)
        return false;
    *s = (char *)p->buf + p->pos;
    *len = (uint32_t)n;
    p->pos += (uint32_t)n;
    return true;
}

bool imap_p_string(imap_parser_t *p, char **s, uint32_t *len)
{
    int c = imap_p_peek(p);
    if (c == '"')
        return p_quoted(p, s, len);
    if (c == '{')
        return p_literal(p, s, len);
    return false;
}

bool imap_p_astring(imap_parser_t *p, char **s, uint32_t *len)
{
    int c = imap_p_peek(p);
    if (c == '"' || c == '{')
        return imap_p_string(p, s, len);
    return imap_p_atom(p, s, len, "]");
}

bool imap_p_nstring(imap_parser_t *p, char **s, uint32_t *len)
{
    int c = imap_p_peek(p);
    if (c == '"' || c == '{')
        return imap_p_string(p, s, len);
    if (p->end - p->pos >= 3 && imap_ieq((char *)p->buf + p->pos, 3, "NIL")) {
        uint32_t save = p->pos;
        char *a;
        uint32_t al;
        if (imap_p_atom(p, &a, &al, NULL) && al == 3) {
            *s = NULL;
            *len = 0;
            return true;
        }
        p->pos = save;
    }
    return false;
}

bool imap_p_number(imap_parser_t *p, uint32_t *n)
{
    uint64_t v = 0;
    uint32_t digits = 0;

    while (p->pos < p->end && p->buf[p->pos] >= '0' && p->buf[p->pos] <= '9') {
        v = v * 10 + (uint64_t)(p->buf[p->pos++] - '0');
        if (v > 0xFFFFFFFFu)
            return false;
        digits++;
    }
    *n = (uint32_t)v;
    return digits > 0;
}

bool imap_p_copy(const char *s, uint32_t len, char *dst, size_t cap)
{
    if (len >= cap || memchr(s, 0, len) != NULL)
        return false;
    memcpy(dst, s, len);
    dst[len] = 0;
    return true;
}

bool imap_ieq(const char *a, uint32_t alen, const char *b)
{
    uint32_t i;
    for (i = 0; i < alen; i++) {
        char x = a[i], y = b[i];
        if (y == 0)
            return false;
        if (x >= 'a' && x <= 'z')
            x = (char)(x - 32);
        if (y >= 'a' && y <= 'z')
            y = (char)(y - 32);
        if (x != y)
            return false;
    }
    return b[i] == 0;
}

static bool p_seqnum(imap_parser_t *p)
{
    uint32_t n;
    if (imap_p_char(p, '*'))
        return true;
    if (imap_p_peek(p) == '0')
        return false;
    return imap_p_number(p, &n) && n > 0;
}

bool imap_p_seqset(imap_parser_t *p, char **s, uint32_t *len)
{
    uint32_t start = p->pos;

    for (;;) {
        if (!p_seqnum(p))
            return false;
        if (imap_p_char(p, ':') && !p_seqnum(p))
            return false;
        if (!imap_p_char(p, ','))
            break;
    }
    *s = (char *)p->buf + start;
    *len = p->pos - start;
    return true;
}

bool imap_literal_marker(const uint8_t *b, uint32_t start, uint32_t end,
                         uint64_t *n, bool *nonsync, uint32_t *mark)
{
    uint32_t i = end, digits = 0;
    uint64_t v = 0, mul = 1;

    if (i > start && b[i - 1] == '\r')
        i--;
    if (i <= start || b[i - 1] != '}')
        return false;
    i--;
    *nonsync = false;
    if (i > start && b[i - 1] == '+') {
        *nonsync = true;
        i--;
    }
    while (i > start && b[i - 1] >= '0' && b[i - 1] <= '9') {
        if (++digits > 19)
            return false;
        v += (uint64_t)(b[i - 1] - '0') * mul;
        mul *= 10;
        i--;
    }
    if (digits == 0 || i <= start || b[i - 1] != '{')
        return false;
    *n = v;
    *mark = i - 1;
    return true;
}
