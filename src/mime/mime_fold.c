/*
 * mime_fold.c - Unicode simple case folding (the scripts mail is mostly
 * written in: Latin, Greek, Cyrillic, Armenian, fullwidth Latin) and a
 * substring matcher that folds the haystack as it streams (KMP, so a match
 * straddling two pieces is found without keeping them).
 */
#include <string.h>

#include "mime/mime.h"

uint32_t mime_fold_cp(uint32_t c)
{
    if (c < 0x80)
        return c >= 'A' && c <= 'Z' ? c + 32 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return c + 32;
    if (c == 0xB5)
        return 0x3BC;
    if (c >= 0x100 && c <= 0x17F) {
        if ((c <= 0x12F || (c >= 0x132 && c <= 0x137) ||
             (c >= 0x14A && c <= 0x177)) && !(c & 1))
            return c + 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && (c & 1))
            return c + 1;
        if (c == 0x178)
            return 0xFF;
        if (c == 0x17F)
            return 's';
        return c;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return c + 32;
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 37;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 63;
    if (c == 0x3C2) return 0x3C3;
    if (c >= 0x410 && c <= 0x42F) return c + 32;
    if (c >= 0x400 && c <= 0x40F) return c + 80;
    if (((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF)) && !(c & 1))
        return c + 1;
    if (c >= 0x531 && c <= 0x556) return c + 48;
    if (((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) && !(c & 1))
        return c + 1;
    if (c >= 0xFF21 && c <= 0xFF3A) return c + 32;
    return c;
}

static uint32_t enc(uint32_t c, uint8_t *o)
{
    if (c < 0x80) { o[0] = (uint8_t)c; return 1; }
    if (c < 0x800) { o[0] = (uint8_t)(0xC0 | c >> 6); o[1] = (uint8_t)(0x80 | (c & 0x3F)); return 2; }
    if (c < 0x10000) {
        o[0] = (uint8_t)(0xE0 | c >> 12); o[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (uint8_t)(0x80 | (c & 0x3F)); return 3;
    }
    o[0] = (uint8_t)(0xF0 | c >> 18); o[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)); o[3] = (uint8_t)(0x80 | (c & 0x3F));
    return 4;
}

/* Length of the UTF-8 sequence a lead byte starts (1 for a stray byte). */
static unsigned seqlen(uint8_t b)
{
    if (b >= 0xC2 && b <= 0xDF) return 2;
    if (b >= 0xE0 && b <= 0xEF) return 3;
    if (b >= 0xF0 && b <= 0xF4) return 4;
    return 1;
}

/* Folds one complete sequence s[0..n) into o; returns bytes written. */
static uint32_t fold_seq(const uint8_t *s, unsigned n, uint8_t *o)
{
    uint32_t c;
    if (n == 1)
        c = s[0] < 0x80 ? mime_fold_cp(s[0]) : s[0];
    else {
        c = s[0] & (0x7F >> n);
        for (unsigned i = 1; i < n; i++) {
            if ((s[i] & 0xC0) != 0x80) {   /* broken: bytes as they are */
                memcpy(o, s, n);
                return n;
            }
            c = c << 6 | (s[i] & 0x3F);
        }
        if (n == 1 || c > 0x10FFFF) {
            memcpy(o, s, n);
            return n;
        }
        c = mime_fold_cp(c);
    }
    if (n == 1 && s[0] >= 0x80) {
        o[0] = s[0];
        return 1;
    }
    return enc(c, o);
}

uint32_t mime_fold_utf8(const uint8_t *in, uint32_t n, uint8_t *out,
                        uint32_t cap)
{
    uint32_t i = 0, w = 0;
    uint8_t t[4];
    while (i < n) {
        unsigned l = seqlen(in[i]);
        if (i + l > n)
            l = 1;
        uint32_t k = fold_seq(in + i, l, t);
        if (w + k > cap)
            break;
        memcpy(out + w, t, k);
        w += k;
        i += l;
    }
    return w;
}

bool mime_match_init(mime_match_t *m, const uint8_t *folded, uint32_t n)
{
    memset(m, 0, offsetof(mime_match_t, fail));
    if (n > MIME_NEEDLE_MAX)
        return false;
    m->needle = folded;
    m->nlen = (uint16_t)n;
    m->found = n == 0;
    if (n > 0)
        m->fail[0] = 0;
    for (uint32_t i = 1, k = 0; i < n; i++) {
        while (k > 0 && folded[i] != folded[k])
            k = m->fail[k - 1];
        if (folded[i] == folded[k])
            k++;
        m->fail[i] = (uint16_t)k;
    }
    return true;
}

static void kmp(mime_match_t *m, const uint8_t *b, uint32_t n)
{
    uint32_t k = m->have;
    for (uint32_t i = 0; i < n && !m->found; i++) {
        while (k > 0 && b[i] != m->needle[k])
            k = m->fail[k - 1];
        if (b[i] == m->needle[k])
            k++;
        if (k == m->nlen)
            m->found = true;
    }
    m->have = (uint16_t)k;
}

bool mime_match_feed(mime_match_t *m, const uint8_t *in, uint32_t n)
{
    uint8_t t[4];
    for (uint32_t i = 0; i < n && !m->found; i++) {
        uint8_t c = in[i];
        if (m->have == 0 && m->ncarry == 0 && m->nlen > 0) {
            /* nothing matched: pass over the ASCII bytes that cannot
             * start the needle (ASCII folds to ASCII) without the KMP
             * step, which made a body search cost ~10 ns a byte */
            uint8_t first = m->needle[0];
            while (c < 0x80 && (c >= 'A' && c <= 'Z' ? c + 32 : c) != first) {
                if (++i == n)
                    return false;
                c = in[i];
            }
        }
        if (m->ncarry == 0) {
            if (c < 0x80) {
                c = (uint8_t)mime_fold_cp(c);
                kmp(m, &c, 1);
                continue;
            }
            if (seqlen(c) == 1) {
                kmp(m, &c, 1);
                continue;
            }
            m->carry[m->ncarry++] = c;
            continue;
        }
        if ((c & 0xC0) != 0x80) {   /* broken sequence: flush it, redo c */
            kmp(m, m->carry, m->ncarry);
            m->ncarry = 0;
            i--;
            continue;
        }
        m->carry[m->ncarry++] = c;
        if (m->ncarry == seqlen(m->carry[0])) {
            uint32_t k = fold_seq(m->carry, m->ncarry, t);
            kmp(m, t, k);
            m->ncarry = 0;
        }
    }
    return m->found;
}
