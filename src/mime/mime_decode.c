/*
 * mime_decode.c - Content-Transfer-Encoding decoders (base64, quoted-
 * printable) that resume at any input byte, and RFC 2047 encoded words.
 */
#include <string.h>

#include "mime/mime.h"

int mime_cte_of(const char *v, uint32_t vl)
{
    uint32_t s = 0;
    if (v == NULL)
        return MIME_CTE_7BIT;
    while (s < vl && (v[s] == ' ' || v[s] == '\t'))
        s++;
    while (vl > s && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
        vl--;
    v += s;
    vl -= s;
    if (vl == 0 || mime_ieq(v, vl, "7bit"))
        return MIME_CTE_7BIT;
    if (mime_ieq(v, vl, "8bit"))
        return MIME_CTE_8BIT;
    if (mime_ieq(v, vl, "binary"))
        return MIME_CTE_BINARY;
    if (mime_ieq(v, vl, "base64"))
        return MIME_CTE_B64;
    if (mime_ieq(v, vl, "quoted-printable"))
        return MIME_CTE_QP;
    return MIME_CTE_UNKNOWN;
}

void mime_dec_init(mime_dec_t *d, int cte)
{
    memset(d, 0, sizeof *d);
    d->cte = (uint8_t)cte;
}

static int b64v(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static int hexv(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

uint32_t mime_dec_run(mime_dec_t *d, const uint8_t *in, uint32_t n,
                      uint32_t *used, uint8_t *out, uint32_t cap)
{
    uint32_t i = 0, w = 0;

    if (d->cte == MIME_CTE_B64) {
        for (; i < n; i++) {
            int v = b64v(in[i]);
            if (v < 0) {
                if (in[i] == '=') {   /* padding: flush what is whole */
                    if (d->n == 2 || d->n == 3) {
                        if (cap - w < 2)
                            break;
                        if (d->n == 2)
                            out[w++] = (uint8_t)(d->acc >> 4);
                        else {
                            out[w++] = (uint8_t)(d->acc >> 10);
                            out[w++] = (uint8_t)(d->acc >> 2);
                        }
                    }
                    d->n = 0;
                    d->acc = 0;
                }
                continue;
            }
            if (d->n == 3 && cap - w < 3)
                break;
            d->acc = d->acc << 6 | (uint32_t)v;
            if (++d->n == 4) {
                out[w++] = (uint8_t)(d->acc >> 16);
                out[w++] = (uint8_t)(d->acc >> 8);
                out[w++] = (uint8_t)d->acc;
                d->n = 0;
                d->acc = 0;
            }
        }
    } else if (d->cte == MIME_CTE_QP) {
        for (; i < n; i++) {
            uint8_t c = in[i];
            if (cap - w < 3)
                break;
            if (d->n == 0) {
                if (c == '=') {
                    d->n = 1;
                    continue;
                }
                out[w++] = c;
                continue;
            }
            if (d->n == 1) {
                if (c == '\n') {          /* soft line break */
                    d->n = 0;
                    continue;
                }
                if (c == '\r' || c == ' ' || c == '\t') {
                    d->pend[0] = c;       /* "=\r\n" or "= \r\n": wait */
                    d->n = 3;
                    continue;
                }
                d->pend[0] = c;
                d->n = 2;
                continue;
            }
            if (d->n == 3) {              /* after "=<ws>" */
                if (c == '\n') {
                    d->n = 0;
                    continue;
                }
                if (c == '\r' || c == ' ' || c == '\t')
                    continue;
                out[w++] = '=';
                d->n = 0;
                i--;                      /* look at c again */
                continue;
            }
            int h = hexv(d->pend[0]), l = hexv(c);
            if (h >= 0 && l >= 0) {
                out[w++] = (uint8_t)(h << 4 | l);
            } else {                      /* not an escape: as written */
                out[w++] = '=';
                out[w++] = d->pend[0];
                out[w++] = c;
            }
            d->n = 0;
        }
    } else {
        uint32_t m = n < cap ? n : cap;
        memcpy(out, in, m);
        i = w = m;
    }
    *used = i;
    return w;
}

/* ---- RFC 2047 ------------------------------------------------------------- */

/* Latin-1 byte -> UTF-8 */
static uint32_t put_latin1(uint8_t c, char *out, uint32_t w, uint32_t cap)
{
    if (c < 0x80) {
        if (w < cap)
            out[w++] = (char)c;
    } else if (w + 2 <= cap) {
        out[w++] = (char)(0xC0 | c >> 6);
        out[w++] = (char)(0x80 | (c & 0x3F));
    }
    return w;
}

/* One "=?cs?e?text?=" at in[0..n): decoded into out; false when it is not
 * a well-formed word of a charset we know. */
static bool word_2047(const char *in, uint32_t n, char *out, uint32_t *w,
                      uint32_t cap)
{
    uint32_t q1, q2, i;
    bool latin1, b64;
    if (n < 8 || in[0] != '=' || in[1] != '?' || in[n - 2] != '?' ||
        in[n - 1] != '=')
        return false;
    for (q1 = 2; q1 < n && in[q1] != '?'; q1++)
        ;
    if (q1 + 3 >= n || in[q1 + 2] != '?')
        return false;
    q2 = q1 + 2;
    /* charset*language (RFC 2231 section 5) */
    uint32_t csl = q1 - 2;
    for (i = 2; i < q1; i++)
        if (in[i] == '*') {
            csl = i - 2;
            break;
        }
    if (mime_ieq(in + 2, csl, "utf-8") || mime_ieq(in + 2, csl, "us-ascii"))
        latin1 = false;
    else if (mime_ieq(in + 2, csl, "iso-8859-1") ||
             mime_ieq(in + 2, csl, "windows-1252"))
        latin1 = true;
    else
        return false;
    if (in[q1 + 1] == 'B' || in[q1 + 1] == 'b')
        b64 = true;
    else if (in[q1 + 1] == 'Q' || in[q1 + 1] == 'q')
        b64 = false;
    else
        return false;
    const char *t = in + q2 + 1;
    uint32_t tl = n - 2 - (q2 + 1), o = *w;
    if (b64) {
        mime_dec_t d;
        uint8_t tmp[3];
        mime_dec_init(&d, MIME_CTE_B64);
        for (i = 0; i < tl; ) {
            uint32_t used = 0, k = mime_dec_run(&d, (const uint8_t *)t + i,
                                                1, &used, tmp, sizeof tmp);
            i += used ? used : 1;
            for (uint32_t j = 0; j < k; j++)
                o = latin1 ? put_latin1(tmp[j], out, o, cap)
                           : (o < cap ? (out[o] = (char)tmp[j], o + 1) : o);
        }
    } else {
        for (i = 0; i < tl; i++) {
            uint8_t c = (uint8_t)t[i];
            if (c == '_')
                c = ' ';
            else if (c == '=' && i + 2 < tl && hexv((uint8_t)t[i + 1]) >= 0 &&
                     hexv((uint8_t)t[i + 2]) >= 0) {
                c = (uint8_t)(hexv((uint8_t)t[i + 1]) << 4 | hexv((uint8_t)t[i + 2]));
                i += 2;
            }
            o = latin1 ? put_latin1(c, out, o, cap)
                       : (o < cap ? (out[o] = (char)c, o + 1) : o);
        }
    }
    *w = o;
    return true;
}

uint32_t mime_2047_decode(const char *in, uint32_t n, char *out, uint32_t cap)
{
    uint32_t i = 0, w = 0, gap_start = 0;
    bool last_word = false;

    while (i < n) {
        if (in[i] == '=' && i + 1 < n && in[i + 1] == '?') {
            /* find the end "?=": cs ? e ? text ?= */
            uint32_t j = i + 2, q = 0;
            while (j + 1 < n && !(q >= 2 && in[j] == '?' && in[j + 1] == '=')) {
                if (in[j] == '?')
                    q++;
                if (in[j] == ' ' || in[j] == '\t')
                    break;
                j++;
            }
            if (j + 1 < n && in[j] == '?' && in[j + 1] == '=') {
                uint32_t save = w;
                if (last_word)   /* white space between words is dropped */
                    w = gap_start;
                if (word_2047(in + i, j + 2 - i, out, &w, cap)) {
                    i = j + 2;
                    last_word = true;
                    gap_start = w;
                    continue;
                }
                w = save;
            }
        }
        if (in[i] != ' ' && in[i] != '\t')
            last_word = false;
        if (w < cap)
            out[w++] = in[i];
        i++;
    }
    return w;
}
