/*
 * imap_seqset.c - sequence sets evaluated from their text.
 *
 * A set is kept as the text the client sent (it lives in the input buffer
 * while the command runs), so a set of any length costs no RAM.  Iteration
 * asks for the smallest member >= x: ascending order, duplicates and
 * overlapping or reversed ranges fall out naturally.
 */
#include "imap/imap_int.h"

static uint32_t num_at(const char *s, uint32_t len, uint32_t *i, uint32_t star)
{
    uint64_t v = 0;
    if (*i < len && s[*i] == '*') {
        (*i)++;
        return star;
    }
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (uint64_t)(s[*i] - '0');
        if (v > 0xFFFFFFFFu)
            v = 0xFFFFFFFFu;
        (*i)++;
    }
    return (uint32_t)v;
}

uint32_t imap_seqset_next(const char *set, uint32_t len, uint32_t star,
                          uint32_t from)
{
    uint32_t i = 0, best = 0;
    bool found = false;

    while (i < len) {
        uint32_t a = num_at(set, len, &i, star), b = a;
        if (i < len && set[i] == ':') {
            i++;
            b = num_at(set, len, &i, star);
        }
        if (a > b) {
            uint32_t t = a;
            a = b;
            b = t;
        }
        if (b >= from) {
            uint32_t c = a > from ? a : from;
            if (c != 0 && (!found || c < best)) {
                best = c;
                found = true;
            }
        }
        if (i < len && set[i] == ',')
            i++;
        else if (i < len)
            break;   /* not a set: the parser checked it, stay safe */
    }
    return found ? best : 0;
}

bool imap_seqset_has(const char *set, uint32_t len, uint32_t star, uint32_t v)
{
    return v != 0 && imap_seqset_next(set, len, star, v) == v;
}
