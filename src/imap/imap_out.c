/*
 * imap_out.c - the response writer: bytes into the session's output buffer.
 *
 * Callers check imap_out_free() (or hold IMAP_LINE_RESERVE) before they
 * start a response line; what does not fit is a bug and is dropped rather
 * than overrunning the buffer.
 */
#include <string.h>

#include "imap/imap_int.h"

uint32_t imap_out_free(imap_session_t *s)
{
    return IMAP_OUTBUF_SIZE - (s->out_len - s->out_head);
}

uint8_t *imap_out_reserve(imap_session_t *s, uint32_t *cap)
{
    if (s->out_head > 0) {
        memmove(s->out, s->out + s->out_head, s->out_len - s->out_head);
        s->out_len -= s->out_head;
        s->out_head = 0;
    }
    *cap = IMAP_OUTBUF_SIZE - s->out_len;
    return s->out + s->out_len;
}

void imap_out_commit(imap_session_t *s, uint32_t n)
{
    s->out_len += n;
}

void imap_out(imap_session_t *s, const void *p, size_t n)
{
    uint32_t cap;
    uint8_t *d;

    if (n == 0)
        return;
    if (IMAP_OUTBUF_SIZE - s->out_len < n)
        d = imap_out_reserve(s, &cap);
    else {
        d = s->out + s->out_len;
        cap = IMAP_OUTBUF_SIZE - s->out_len;
    }
    if (n > cap)
        n = cap;
    memcpy(d, p, n);
    s->out_len += (uint32_t)n;
}

void imap_out_str(imap_session_t *s, const char *str)
{
    imap_out(s, str, strlen(str));
}

void imap_out_u64(imap_session_t *s, uint64_t v)
{
    char b[24];
    int i = (int)sizeof b;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    imap_out(s, b + i, sizeof b - (size_t)i);
}

void imap_out_u32(imap_session_t *s, uint32_t v)
{
    imap_out_u64(s, v);
}

void imap_out_quoted(imap_session_t *s, const char *str, size_t n)
{
    imap_out(s, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        if (str[i] == '"' || str[i] == '\\')
            imap_out(s, "\\", 1);
        imap_out(s, str + i, 1);
    }
    imap_out(s, "\"", 1);
}

void imap_out_astring(imap_session_t *s, const char *str, size_t n)
{
    bool quotable = true;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)str[i];
        if (c == 0 || c == '\r' || c == '\n' || c >= 0x80)
            quotable = false;
    }
    if (quotable) {
        imap_out_quoted(s, str, n);
        return;
    }
    imap_out(s, "{", 1);
    imap_out_u64(s, n);
    imap_out(s, "}\r\n", 3);
    imap_out(s, str, n);
}

void imap_out_tagged(imap_session_t *s, const char *status, const char *text)
{
    imap_out_str(s, s->tag[0] ? s->tag : "*");
    imap_out(s, " ", 1);
    imap_out_str(s, status);
    imap_out(s, " ", 1);
    imap_out_str(s, text);
    imap_out(s, "\r\n", 2);
}

static const char *const sysflags[] = {
    "\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft",
};

void imap_out_flags(imap_session_t *s, uint32_t mbox, uint32_t flags,
                    uint64_t kw, bool recent)
{
    bool first = true;

    imap_out(s, "(", 1);
    for (unsigned i = 0; i < 5; i++) {
        if (flags & (1u << i)) {
            if (!first)
                imap_out(s, " ", 1);
            imap_out_str(s, sysflags[i]);
            first = false;
        }
    }
    for (unsigned i = 0; i < 64 && kw; i++) {
        char name[IMAP_KEYWORD_LEN_MAX + 1];
        if (!(kw & ((uint64_t)1 << i)))
            continue;
        kw &= ~((uint64_t)1 << i);
        if (store_keyword_name(imap_store(s), mbox, i, name, sizeof name) < 0)
            continue;
        if (!first)
            imap_out(s, " ", 1);
        imap_out_str(s, name);
        first = false;
    }
    if (recent) {
        if (!first)
            imap_out(s, " ", 1);
        imap_out_str(s, "\\Recent");
    }
    imap_out(s, ")", 1);
}

void imap_sb_str(imap_sb_t *b, const char *str)
{
    while (*str && b->len + 1 < b->cap)
        b->p[b->len++] = *str++;
    if (b->cap)
        b->p[b->len] = 0;
}

void imap_sb_u64(imap_sb_t *b, uint64_t v)
{
    char t[24];
    int i = (int)sizeof t - 1;
    t[i] = 0;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    imap_sb_str(b, t + i);
}
