/*
 * imap_cmd_fetch.c - FETCH and UID FETCH.
 *
 * One message at a time, one item at a time: a literal (BODY[], RFC822...)
 * is copied from the store straight into the output buffer as the port
 * drains it, so a message of any size streams through a small buffer.
 * HEADER.FIELDS is filtered twice: once to learn the literal's length,
 * once to send it.
 */
#include <string.h>

#include "imap/imap_int.h"

static int bad(imap_session_t *s, const char *t)
{
    imap_out_tagged(s, "BAD", t);
    return IMAP_R_DONE;
}

/* [A-Za-z0-9.] run: the name of a fetch attribute or a section. */
static uint32_t word(imap_parser_t *p, char **w)
{
    uint32_t st = p->pos;
    while (p->pos < p->end) {
        uint8_t c = p->buf[p->pos];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-'))
            break;
        p->pos++;
    }
    *w = (char *)p->buf + st;
    return p->pos - st;
}

/* "(" name *(SP name) ")": rewritten in place as NUL separated names. */
static bool header_list(imap_parser_t *p, imap_fitem_t *it)
{
    char *w0 = (char *)p->buf + p->pos, *w = w0, *a;
    uint32_t al;
    unsigned n = 0;

    if (!imap_p_char(p, '('))
        return false;
    while (!imap_p_char(p, ')')) {
        if (n > 0 && !imap_p_sp(p))
            return false;
        if (!imap_p_astring(p, &a, &al) || al == 0 || memchr(a, 0, al) ||
            memchr(a, ':', al))
            return false;
        memmove(w, a, al);
        w += al;
        *w++ = 0;
        n++;
    }
    /* the list is echoed in the response: keep it well inside a line */
    if (n == 0 || w - w0 > 512)
        return false;
    it->names = w0;
    it->names_len = (uint16_t)(w - w0);
    it->nnames = (uint8_t)(n > 255 ? 255 : n);
    return true;
}

static int add(imap_fetch_t *f, uint8_t kind, uint8_t sec, bool peek)
{
    imap_fitem_t *it;
    if (f->nitems >= IMAP_FETCH_ITEMS_MAX)
        return -1;
    it = &f->items[f->nitems++];
    memset(it, 0, sizeof *it);
    it->kind = kind;
    it->section = sec;
    it->peek = peek;
    if (kind == IMAP_FI_FLAGS)
        f->has_flags = true;
    if ((kind == IMAP_FI_RFC822 || kind == IMAP_FI_RFC822_TEXT ||
         kind == IMAP_FI_BODY || kind == IMAP_FI_BINARY) && !peek)
        f->want_seen = true;
    return 0;
}

/* One fetch-att; returns NULL or the reason it is refused. */
static const char *att(imap_parser_t *p, imap_fetch_t *f)
{
    char *w, *sw;
    uint32_t wl = word(p, &w), sl;
    bool peek;

    if (imap_ieq(w, wl, "FLAGS"))
        return add(f, IMAP_FI_FLAGS, 0, true) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "UID"))
        return add(f, IMAP_FI_UID, 0, true) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "INTERNALDATE"))
        return add(f, IMAP_FI_INTERNALDATE, 0, true) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "RFC822.SIZE"))
        return add(f, IMAP_FI_SIZE, 0, true) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "RFC822"))
        return add(f, IMAP_FI_RFC822, IMAP_SEC_ALL, false) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "RFC822.HEADER"))
        return add(f, IMAP_FI_RFC822_HEADER, IMAP_SEC_HEADER, true) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "RFC822.TEXT"))
        return add(f, IMAP_FI_RFC822_TEXT, IMAP_SEC_TEXT, false) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "ENVELOPE"))
        return add(f, IMAP_FI_ENVELOPE, 0, true) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "BODYSTRUCTURE"))
        return add(f, IMAP_FI_BODYSTRUCTURE, 0, true) ? "Too many items" : NULL;
    if (imap_ieq(w, wl, "BODY") && imap_p_peek(p) != '[')
        return add(f, IMAP_FI_BODYSIMPLE, 0, true) ? "Too many items" : NULL;
    uint8_t kind = IMAP_FI_BODY;
    if (imap_ieq(w, wl, "BINARY") || imap_ieq(w, wl, "BINARY.PEEK"))
        kind = IMAP_FI_BINARY;
    else if (imap_ieq(w, wl, "BINARY.SIZE"))
        kind = IMAP_FI_BINARY_SIZE;
    else if (!imap_ieq(w, wl, "BODY") && !imap_ieq(w, wl, "BODY.PEEK"))
        return "Unknown FETCH item";
    peek = wl == 9 || wl == 11;
    if (!imap_p_char(p, '['))
        return "Invalid section";
    sl = word(p, &sw);
    uint32_t path[IMAP_SECTION_PATH_MAX];
    unsigned np = 0;
    /* section-part: nz-number *("." nz-number), then "." and a text part */
    while (sl > 0 && sw[0] >= '0' && sw[0] <= '9') {
        uint32_t v = 0;
        if (sw[0] == '0')
            return "Invalid section";
        while (sl > 0 && sw[0] >= '0' && sw[0] <= '9') {
            if (v > 100000000u)
                return "Invalid section";
            v = v * 10 + (uint32_t)(sw[0] - '0');
            sw++;
            sl--;
        }
        if (np == IMAP_SECTION_PATH_MAX)
            return "Section nested too deeply";
        path[np++] = v;
        if (sl == 0)
            break;
        if (sw[0] != '.' || sl == 1)
            return "Invalid section";
        sw++;
        sl--;
    }
    uint8_t sec;
    if (sl == 0)
        sec = IMAP_SEC_ALL;
    else if (kind != IMAP_FI_BODY)
        return "Invalid section";
    else if (imap_ieq(sw, sl, "HEADER"))
        sec = IMAP_SEC_HEADER;
    else if (imap_ieq(sw, sl, "TEXT"))
        sec = IMAP_SEC_TEXT;
    else if (imap_ieq(sw, sl, "HEADER.FIELDS"))
        sec = IMAP_SEC_HF;
    else if (imap_ieq(sw, sl, "HEADER.FIELDS.NOT"))
        sec = IMAP_SEC_HF_NOT;
    else if (imap_ieq(sw, sl, "MIME") && np > 0)
        sec = IMAP_SEC_MIME;
    else
        return "Invalid section";
    if (add(f, kind, sec, peek || kind == IMAP_FI_BINARY_SIZE))
        return "Too many items";
    imap_fitem_t *it = &f->items[f->nitems - 1];
    it->npath = (uint8_t)np;
    memcpy(it->path, path, np * sizeof path[0]);
    if (sec == IMAP_SEC_HF || sec == IMAP_SEC_HF_NOT) {
        if (!imap_p_sp(p) || !header_list(p, it))
            return "Invalid header list";
    }
    if (!imap_p_char(p, ']'))
        return "Invalid section";
    if (kind != IMAP_FI_BINARY_SIZE && imap_p_char(p, '<')) {
        if (!imap_p_number(p, &it->p_off) || !imap_p_char(p, '.') ||
            !imap_p_number(p, &it->p_len) || it->p_len == 0 ||
            !imap_p_char(p, '>'))
            return "Invalid partial";
        it->partial = true;
    }
    return NULL;
}

/* ---- HEADER.FIELDS filter ----------------------------------------------- */

static bool name_listed(const imap_fitem_t *it, const uint8_t *n, uint32_t nl)
{
    const char *p = it->names, *end = it->names + it->names_len;
    while (p < end) {
        size_t l = strlen(p);
        if (l == nl && imap_ieq((const char *)n, nl, p))
            return true;
        p += l + 1;
    }
    return false;
}

/* Filtered header bytes into dst; bytes before skip_to are only counted.
 * dst NULL: count only (h->vpos is the length at the end). */
static long hf_produce(imap_session_t *s, imap_hfilt_t *h,
                       const imap_fitem_t *it, const store_msg_t *m,
                       uint32_t skip_to, uint8_t *dst, uint32_t cap,
                       unsigned max_reads)
{
    uint8_t blk[256];
    uint32_t w = 0;
    unsigned reads = 0;
    bool neg = it->section == IMAP_SEC_HF_NOT;

#define EMIT(c) do { \
        if (h->vpos >= skip_to) { \
            if (dst != NULL) { if (w == cap) return (long)w; dst[w++] = (c); } \
        } \
        h->vpos++; \
    } while (0)

    while (!h->done) {
        if (h->mode == 5) { EMIT('\r'); h->mode = 6; continue; }
        if (h->mode == 6) { EMIT('\n'); h->mode = 3; h->open = false; continue; }
        if (h->mode == 3 && h->open) { h->mode = 5; continue; }
        if (h->mode == 3 && !h->blank) { h->done = true; break; }
        if (h->mode == 3) { EMIT('\r'); h->mode = 4; continue; }
        if (h->mode == 4) { EMIT('\n'); h->done = true; break; }
        if (h->raw >= h->lim) {
            h->mode = 3;
            continue;
        }
        uint32_t n = h->lim - h->raw, i = 0;
        if (n > sizeof blk)
            n = sizeof blk;
        if (max_reads && reads++ == max_reads)
            return (long)w;   /* enough for this slice */
        long r = store_msg_read(imap_store(s), m, h->raw, blk, n);
        if (r <= 0)
            return r < 0 ? r : STORE_ECORRUPT;
        if (h->mode == 0) {
            if (blk[0] == '\r' || blk[0] == '\n') {
                h->raw = h->lim;   /* the blank line ends the header */
                h->blank = true;
                continue;
            }
            if (blk[0] == ' ' || blk[0] == '\t') {
                h->mode = h->prev_incl ? 1 : 2;
            } else {
                uint32_t c = 0;
                while (c < (uint32_t)r && blk[c] != ':' && blk[c] != '\n')
                    c++;
                uint32_t nl = c;
                while (nl > 0 && (blk[nl - 1] == ' ' || blk[nl - 1] == '\t'))
                    nl--;
                bool match = c < (uint32_t)r && blk[c] == ':' &&
                             name_listed(it, blk, nl);
                h->prev_incl = match != neg;
                h->mode = h->prev_incl ? 1 : 2;
            }
        }
        while (i < (uint32_t)r) {
            uint8_t c = blk[i];
            if (h->mode == 1) {
                if (h->vpos >= skip_to && dst != NULL && w == cap) {
                    h->raw += i;
                    return (long)w;
                }
                EMIT(c);
                h->open = c != '\n';   /* a last line without its CRLF */
            }
            i++;
            if (c == '\n') {
                h->mode = 0;
                break;
            }
        }
        h->raw += i;
    }
#undef EMIT
    return (long)w;
}

/* ---- the command ---------------------------------------------------------- */

static void item_name(imap_session_t *s, const imap_fitem_t *it)
{
    static const char *const secs[] = { "", "HEADER", "TEXT", "HEADER.FIELDS",
                                        "HEADER.FIELDS.NOT", "MIME" };
    switch (it->kind) {
    case IMAP_FI_RFC822: imap_out_str(s, "RFC822"); return;
    case IMAP_FI_RFC822_HEADER: imap_out_str(s, "RFC822.HEADER"); return;
    case IMAP_FI_RFC822_TEXT: imap_out_str(s, "RFC822.TEXT"); return;
    case IMAP_FI_BINARY: imap_out_str(s, "BINARY["); break;
    case IMAP_FI_BINARY_SIZE: imap_out_str(s, "BINARY.SIZE["); break;
    default: imap_out_str(s, "BODY["); break;
    }
    for (unsigned i = 0; i < it->npath; i++) {
        if (i > 0)
            imap_out(s, ".", 1);
        imap_out_u32(s, it->path[i]);
    }
    if (it->npath > 0 && it->section != IMAP_SEC_ALL)
        imap_out(s, ".", 1);
    imap_out_str(s, secs[it->section]);
    if (it->names != NULL) {
        const char *p = it->names, *end = it->names + it->names_len;
        imap_out_str(s, " (");
        while (p < end) {
            size_t l = strlen(p);
            bool atom = l > 0;
            for (size_t i = 0; i < l; i++)
                if ((uint8_t)p[i] <= 0x20 || (uint8_t)p[i] >= 0x7f ||
                    strchr("(){%*\"\\]", p[i]))
                    atom = false;
            if (p != it->names)
                imap_out(s, " ", 1);
            if (atom)
                imap_out(s, p, l);
            else
                imap_out_astring(s, p, l);
            p += l + 1;
        }
        imap_out(s, ")", 1);
    }
    imap_out(s, "]", 1);
    if (it->partial) {
        imap_out(s, "<", 1);
        imap_out_u32(s, it->p_off);
        imap_out(s, ">", 1);
    }
}

static void lit_header(imap_session_t *s, const imap_fitem_t *it,
                       uint32_t base, uint32_t total);

/* The current message's structure summary (the server's buffer: asked
 * for again after every pause, another session may have used it). */
static const uint8_t *need_summary(imap_session_t *s, uint32_t *len)
{
    return imap_summary(s, &s->u.fetch.msg, len);
}

/* ---- BINARY: decoding on the fly ----------------------------------------- */

/* Decoded bytes of [draw, dend) into dst; bytes before skip are only
 * counted (f->dvpos).  dst NULL: count only. */
static long bin_produce(imap_session_t *s, uint32_t skip, uint8_t *dst,
                        uint32_t cap, unsigned max_reads, bool *nul)
{
    imap_fetch_t *f = &s->u.fetch;
    uint8_t raw[512], tmp[512];
    uint32_t w = 0;
    unsigned reads = 0;

    while (f->draw < f->dend) {
        uint32_t n = f->dend - f->draw, used = 0, k, ocap = sizeof tmp;
        bool out = dst != NULL && f->dvpos >= skip;
        if (out && w == cap)
            break;
        if (max_reads && reads++ == max_reads)
            break;
        if (n > sizeof raw)
            n = sizeof raw;
        if (out && cap - w < 3) {
            /* the literal's last bytes: one input byte at a time; what
             * it decodes to beyond cap is past the literal's end */
            n = 1;
            ocap = 3;
        } else if (out) {
            ocap = cap - w < sizeof tmp ? cap - w : sizeof tmp;
        } else if (dst != NULL && skip - f->dvpos < sizeof tmp) {
            if (skip - f->dvpos < 3)
                n = 1;   /* step over the skip point a byte at a time */
            else
                ocap = skip - f->dvpos;
        }
        long r = store_msg_read(imap_store(s), &f->msg, f->draw, raw, n);
        if (r <= 0)
            return r < 0 ? r : STORE_ECORRUPT;
        k = mime_dec_run(&f->dec, raw, (uint32_t)r, &used, tmp, ocap);
        if (used == 0 && k == 0)
            break;
        f->draw += used;
        for (uint32_t i = 0; i < k; i++, f->dvpos++) {
            if (nul != NULL && (tmp[i] == 0 || tmp[i] >= 0x80))
                *nul = true;
            if (dst != NULL && f->dvpos >= skip && w < cap)
                dst[w++] = tmp[i];
        }
    }
    return (long)w;
}

/* Sets up f->draw/dend/dec for the part a BINARY item names; false: the
 * part does not exist (NIL).  Unknown encoding: unknown_cte. */
static bool bin_setup(imap_session_t *s, const imap_fitem_t *it, bool *unknown)
{
    imap_fetch_t *f = &s->u.fetch;
    mime_part_t pt, in;
    const char *v = NULL;
    uint32_t vl = 0, sl;
    int cte;
    const uint8_t *sum = need_summary(s, &sl);

    *unknown = false;
    if (sum == NULL || !mime_section(sum, sl, it->path, it->npath, &pt, &in))
        return false;
    if (it->npath == 0) {   /* the whole message: nothing to decode */
        f->draw = 0;
        f->dend = f->msg.size;
        mime_dec_init(&f->dec, MIME_CTE_BINARY);
    } else {
        cte = mime_part_field(sum, &pt, MIME_F_CTE, &v, &vl)
                  ? mime_cte_of(v, vl) : MIME_CTE_7BIT;
        if (cte == MIME_CTE_UNKNOWN || (pt.kind != MIME_K_LEAF &&
            (cte == MIME_CTE_B64 || cte == MIME_CTE_QP))) {
            *unknown = true;
            return false;
        }
        f->draw = pt.body_off;
        f->dend = pt.body_end;
        mime_dec_init(&f->dec, cte);
    }
    if (f->dend > f->msg.size)
        f->dend = f->msg.size;
    if (f->draw > f->dend)
        f->draw = f->dend;
    f->dvpos = 0;
    return true;
}

/* Starts item it of the current message: small items are written whole,
 * literals get their header and the streaming state. */
static int item_start(imap_session_t *s, const imap_fitem_t *it)
{
    imap_fetch_t *f = &s->u.fetch;
    const store_msg_t *m = &f->msg;
    uint32_t base = 0, total = 0, sl;
    const uint8_t *sum;
    char d[27];

    switch (it->kind) {
    case IMAP_FI_FLAGS:
        imap_out_str(s, "FLAGS ");
        imap_out_flags(s, s->view.mbox_id, m->flags, m->keywords,
                       imap_msg_is_recent(s, m));
        return 0;
    case IMAP_FI_UID:
        imap_out_str(s, "UID ");
        imap_out_u32(s, m->uid);
        return 0;
    case IMAP_FI_INTERNALDATE:
        imap_format_datetime(m->internaldate, m->tz_minutes, d);
        imap_out_str(s, "INTERNALDATE \"");
        imap_out_str(s, d);
        imap_out_str(s, "\"");
        return 0;
    case IMAP_FI_SIZE:
        imap_out_str(s, "RFC822.SIZE ");
        imap_out_u32(s, m->size);
        return 0;
    case IMAP_FI_ENVELOPE:
    case IMAP_FI_BODYSTRUCTURE:
    case IMAP_FI_BODYSIMPLE:
        imap_out_str(s, it->kind == IMAP_FI_ENVELOPE ? "ENVELOPE " :
                        it->kind == IMAP_FI_BODY ? "BODY " :
                        it->kind == IMAP_FI_BODYSTRUCTURE ? "BODYSTRUCTURE " :
                        "BODY ");
        if (need_summary(s, &sl) == NULL) {
            imap_out_str(s, "NIL");
            f->failed = true;
            return 0;
        }
        f->in_render = true;
        f->rpos = 0;
        return 0;
    case IMAP_FI_BINARY:
    case IMAP_FI_BINARY_SIZE: {
        bool unknown;
        if (!bin_setup(s, it, &unknown)) {
            if (unknown)
                f->unknown_cte = true;
            item_name(s, it);
            if (unknown)
                imap_out_str(s, " NIL");
            else if (it->kind == IMAP_FI_BINARY_SIZE)
                imap_out_str(s, " 0");
            else
                imap_out_str(s, " {0}\r\n");
            return 0;
        }
        f->in_count = true;
        f->bin = false;
        f->bin8 = false;
        return 0;
    }
    default:
        break;
    }
    f->sec_hs = 0;
    f->sec_he = m->hdr_size < m->size ? m->hdr_size : m->size;
    if (it->npath > 0) {
        mime_part_t pt, in;
        if ((sum = need_summary(s, &sl)) == NULL ||
            !mime_section(sum, sl, it->path, it->npath, &pt, &in)) {
            lit_header(s, it, 0, 0);   /* no such part: empty (as Dovecot) */
            return 0;
        }
        if (it->section != IMAP_SEC_ALL && it->section != IMAP_SEC_MIME &&
            pt.kind != MIME_K_MESSAGE) {
            /* HEADER/TEXT of a part that is no message/rfc822: empty */
            lit_header(s, it, 0, 0);
            return 0;
        }
        switch (it->section) {
        case IMAP_SEC_ALL:
            base = pt.body_off;
            total = pt.body_end - pt.body_off;
            break;
        case IMAP_SEC_MIME:
            base = pt.hdr_off;
            total = pt.body_off - pt.hdr_off;
            break;
        case IMAP_SEC_HEADER:
            base = in.hdr_off;
            total = in.body_off - in.hdr_off;
            break;
        case IMAP_SEC_TEXT:
            base = in.body_off;
            total = in.body_end - in.body_off;
            break;
        default:
            f->sec_hs = in.hdr_off;
            f->sec_he = in.body_off;
            break;
        }
        if (base > m->size || total > m->size - base)
            base = total = 0;
    } else {
        switch (it->section) {
        case IMAP_SEC_ALL: total = m->size; break;
        case IMAP_SEC_HEADER: total = m->hdr_size; break;
        case IMAP_SEC_TEXT: base = m->hdr_size; total = m->size - m->hdr_size; break;
        default: break;
        }
        if (m->hdr_size > m->size)
            total = base = 0;
    }
    if (it->section == IMAP_SEC_HF || it->section == IMAP_SEC_HF_NOT) {
        /* the filtered length is counted first, over several slices */
        memset(&f->hf, 0, sizeof f->hf);
        f->hf.raw = f->sec_hs;
        f->hf.lim = f->sec_he;
        f->in_count = true;
        return 0;
    }
    lit_header(s, it, base, total);
    return 0;
}

/* Writes ENVELOPE/BODYSTRUCTURE/BODY text as the output buffer drains:
 * the renderer is run again for each piece, skipping what was sent. */
static int render_step(imap_session_t *s, const imap_fitem_t *it)
{
    imap_fetch_t *f = &s->u.fetch;
    mime_part_t root;
    uint32_t sl;
    const uint8_t *sum = need_summary(s, &sl);

    if (sum == NULL || !mime_part_at(sum, sl, MIME_SUM_HDR, &root)) {
        f->in_render = false;
        imap_out_str(s, "NIL");
        return IMAP_R_DONE;
    }
    for (;;) {
        uint32_t cap, total;
        uint8_t *d;
        if (s->budget == 0)
            return IMAP_R_MORE;
        d = imap_out_reserve(s, &cap);
        if (cap < IMAP_LINE_RESERVE)
            return IMAP_R_WAIT;
        cap -= IMAP_LINE_RESERVE / 2;
        mime_sink_t o = { d, cap, f->rpos, 0, 0 };
        if (it->kind == IMAP_FI_ENVELOPE)
            total = mime_render_envelope(sum, sl, &root, &o);
        else
            total = mime_render_body(sum, sl, &root,
                                     it->kind == IMAP_FI_BODYSTRUCTURE, &o);
        imap_out_commit(s, o.w);
        f->rpos += o.w;
        if (f->rpos >= total)
            break;
        s->budget--;
    }
    f->in_render = false;
    return IMAP_R_DONE;
}

/* Counts the HEADER.FIELDS or BINARY result, then writes the literal's
 * header (or BINARY.SIZE). */
static int count_step(imap_session_t *s, const imap_fitem_t *it)
{
    imap_fetch_t *f = &s->u.fetch;
    uint32_t total;
    bool bin = it->kind == IMAP_FI_BINARY || it->kind == IMAP_FI_BINARY_SIZE;

    if (bin) {
        while (f->draw < f->dend) {
            if (s->budget == 0)
                return IMAP_R_MORE;
            s->budget--;
            if (bin_produce(s, 0, NULL, 0, 8, &f->bin8) < 0) {
                f->corrupt = true;
                f->failed = true;
                break;
            }
        }
    } else {
        while (!f->hf.done) {
            if (s->budget == 0)
                return IMAP_R_MORE;
            s->budget--;
            if (hf_produce(s, &f->hf, it, &f->msg, 0, NULL, 0, 8) < 0) {
                f->corrupt = true;
                f->failed = true;
                break;
            }
        }
    }
    if (imap_out_free(s) < IMAP_LINE_RESERVE)
        return IMAP_R_WAIT;
    f->in_count = false;
    if (bin) {
        bool unknown;
        total = f->dvpos;
        if (it->kind == IMAP_FI_BINARY_SIZE) {
            item_name(s, it);
            imap_out(s, " ", 1);
            imap_out_u32(s, total);
            return IMAP_R_DONE;
        }
        bin_setup(s, it, &unknown);   /* again from the start */
        f->bin = true;
        /* Dovecot sends a literal8 only for decoded 8-bit content */
        f->lit8 = f->bin8 && (f->dec.cte == MIME_CTE_B64 ||
                              f->dec.cte == MIME_CTE_QP);
        lit_header(s, it, 0, total);
        return IMAP_R_DONE;
    }
    total = f->hf.vpos;
    memset(&f->hf, 0, sizeof f->hf);
    f->hf.raw = f->sec_hs;
    f->hf.lim = f->sec_he;
    lit_header(s, it, 0, total);
    return IMAP_R_DONE;
}

static void lit_header(imap_session_t *s, const imap_fitem_t *it,
                       uint32_t base, uint32_t total)
{
    imap_fetch_t *f = &s->u.fetch;
    uint32_t off = 0, n = total;

    if (it->partial) {
        off = it->p_off < total ? it->p_off : total;
        n = total - off;
        if (n > it->p_len)
            n = it->p_len;
    }
    item_name(s, it);
    /* BINARY of 8-bit or NUL content: a literal8 (RFC 3516) */
    imap_out_str(s, f->lit8 ? " ~{" : " {");
    f->lit8 = false;
    imap_out_u32(s, n);
    imap_out_str(s, "}\r\n");
    f->in_lit = true;
    f->lit_src = base + off;
    f->lit_rem = n;
    f->hf.vpos = 0;
}

/* Streams the current literal; IMAP_R_DONE when it is all out. */
static int item_stream(imap_session_t *s, const imap_fitem_t *it)
{
    imap_fetch_t *f = &s->u.fetch;
    bool hf = it->kind == IMAP_FI_BODY &&
              (it->section == IMAP_SEC_HF || it->section == IMAP_SEC_HF_NOT);

    while (f->lit_rem > 0) {
        uint32_t cap;
        uint8_t *d;
        long r;
        if (s->budget == 0)
            return IMAP_R_MORE;
        d = imap_out_reserve(s, &cap);
        if (cap < 512 && cap < f->lit_rem)
            return IMAP_R_WAIT;
        if (cap > f->lit_rem)
            cap = f->lit_rem;
        s->budget--;
        if (f->corrupt) {
            memset(d, ' ', cap);
            r = cap;
        } else if (f->bin) {
            uint32_t skip = it->partial ? it->p_off : 0;
            r = bin_produce(s, skip, d, cap, 0, NULL);
            if (r == 0)
                r = STORE_ECORRUPT;
        } else if (hf) {
            uint32_t skip = it->partial ? it->p_off : 0;
            r = hf_produce(s, &f->hf, it, &f->msg, skip, d, cap, 0);
            if (r == 0 && f->hf.done)
                r = STORE_ECORRUPT;
        } else {
            r = store_msg_read(imap_store(s), &f->msg, f->lit_src, d, cap);
            if (r == 0)
                r = STORE_ECORRUPT;
        }
        if (r < 0) {   /* keep the stream in sync: pad, report NO at the end */
            char w[64];
            imap_sb_t sb = { w, sizeof w, 0 };
            imap_sb_str(&sb, "mailbox ");
            imap_sb_u64(&sb, s->view.mbox_id);
            imap_sb_str(&sb, " uid ");
            imap_sb_u64(&sb, f->msg.uid);
            imap_sb_str(&sb, ": ");
            imap_sb_str(&sb, store_strerror((int)r));
            imap_log(s, IMAP_LOG_ERR, "FETCH: message unreadable,", w);
            f->corrupt = true;
            f->failed = true;
            continue;
        }
        imap_out_commit(s, (uint32_t)r);
        f->lit_src += (uint32_t)r;
        f->lit_rem -= (uint32_t)r;
    }
    f->in_lit = false;
    f->corrupt = false;
    f->bin = false;
    return IMAP_R_DONE;
}

static int run_fetch(imap_session_t *s);

static int fetch_finish(imap_session_t *s)
{
    imap_fetch_t *f = &s->u.fetch;

    /* no untagged news about others during FETCH (RFC 3501 7.4.1 forbids
     * EXPUNGE; we hold EXISTS and FETCH too, for the next command) */
    imap_own_end(s);
    if (imap_out_free(s) < 128)
        return IMAP_R_WAIT;
    if (f->dirty) {
        f->dirty = false;
        if (store_commit(imap_store(s)) < 0) {
            store_rollback(imap_store(s));
            f->failed = true;
        }
    }
    if (f->unknown_cte)
        imap_out_tagged(s, "NO", "[UNKNOWN-CTE] Cannot decode a part's content transfer encoding");
    else if (f->failed)
        imap_out_tagged(s, "NO", "[SERVERBUG] Some messages could not be read");
    else
        imap_out_tagged(s, "OK", s->uid ? "UID FETCH completed" : "FETCH completed");
    return IMAP_R_DONE;
}

static int fetch_body(imap_session_t *s, const char *set, uint32_t setlen)
{
    imap_fetch_t *f = &s->u.fetch;
    store_t *st = imap_store(s);
    int r;

    imap_own_slice(s);
    /* a message streamed over many rounds: a compaction pass may have
     * moved its data meanwhile (a failure shows as a read error below) */
    if (f->in_msg)
        (void)store_msg_follow(st, s->view.mbox_id, &f->msg);
    for (;;) {
        if (!f->in_msg) {
            if (s->budget == 0)
                return IMAP_R_MORE;
            if (imap_out_free(s) < IMAP_LINE_RESERVE)
                return IMAP_R_WAIT;
            r = imap_set_next(s, set, setlen, s->uid, f->star, &f->cur, &f->seq,
                              &f->msg);
            if (r == 0)
                break;
            s->budget--;
            if (r < 0) {
                f->failed = true;
                continue;
            }
            f->in_msg = true;
            f->item = 0;
            f->add_flags = false;
            if (f->want_seen && !s->readonly && !(f->msg.flags & STORE_F_SEEN)) {
                uint64_t ms = 0;
                bool needs = false;
                for (unsigned i = 0; i < f->nitems; i++) {
                    const imap_fitem_t *it = &f->items[i];
                    if (!it->peek && it->kind != IMAP_FI_RFC822_HEADER &&
                        (it->kind == IMAP_FI_RFC822 ||
                         it->kind == IMAP_FI_RFC822_TEXT ||
                         it->kind == IMAP_FI_BODY ||
                         it->kind == IMAP_FI_BINARY))
                        needs = true;
                }
                if (needs &&
                    store_msg_set_flags(st, s->view.mbox_id, f->msg.uid,
                                        f->msg.flags | STORE_F_SEEN,
                                        f->msg.keywords, &ms) >= 0) {
                    f->msg.flags |= STORE_F_SEEN;
                    imap_own_note(s, ms);
                    f->add_flags = !f->has_flags;
                    f->dirty = true;   /* committed when the slice ends */
                }
            }
            imap_out_str(s, "* ");
            imap_out_u32(s, f->seq);
            imap_out_str(s, " FETCH (");
        }
        while (f->item < f->nitems) {
            const imap_fitem_t *it = &f->items[f->item];
            if (f->in_count) {
                if ((r = count_step(s, it)) != IMAP_R_DONE)
                    return r;
                if (!f->in_lit) {   /* BINARY.SIZE: written whole */
                    f->item++;
                    continue;
                }
            }
            if (f->in_render) {
                if ((r = render_step(s, it)) != IMAP_R_DONE)
                    return r;
                f->item++;
                continue;
            }
            if (f->in_lit) {
                r = item_stream(s, it);
                if (r != IMAP_R_DONE)
                    return r;
                f->item++;
                continue;
            }
            if (imap_out_free(s) < IMAP_LINE_RESERVE)
                return IMAP_R_WAIT;
            if (f->item > 0)
                imap_out(s, " ", 1);
            item_start(s, it);
            if (!f->in_lit && !f->in_count && !f->in_render)
                f->item++;
        }
        if (imap_out_free(s) < IMAP_LINE_RESERVE)
            return IMAP_R_WAIT;
        if (f->add_flags) {
            imap_out_str(s, " FLAGS ");
            imap_out_flags(s, s->view.mbox_id, f->msg.flags, f->msg.keywords,
                           imap_msg_is_recent(s, &f->msg));
        }
        imap_out_str(s, ")\r\n");
        f->in_msg = false;
    }
    return fetch_finish(s);
}

/* The set's text stays in the input buffer while the command runs. */
static int run_fetch_slice(imap_session_t *s);

static int run_fetch(imap_session_t *s)
{
    int r = run_fetch_slice(s);
    if (s->u.fetch.dirty) {   /* \Seen set in this slice: make it durable */
        s->u.fetch.dirty = false;
        if (store_commit(imap_store(s)) < 0)
            store_rollback(imap_store(s));
    }
    return r;
}

static int run_fetch_slice(imap_session_t *s)
{
    imap_parser_t p;
    char *set;
    uint32_t sl;

    imap_p_init(&p, s->in, s->cmd_len);
    /* re-find the set: tag SP [UID SP] FETCH SP set */
    while (p.pos < p.end && p.buf[p.pos] != ' ')
        p.pos++;
    p.pos++;
    if (s->uid)
        p.pos += 4;
    p.pos += 6;
    if (!imap_p_seqset(&p, &set, &sl))
        return fetch_finish(s);
    return fetch_body(s, set, sl);
}

int imap_cmd_fetch(imap_session_t *s, imap_parser_t *p)
{
    imap_fetch_t *f = &s->u.fetch;
    const char *why = NULL;
    char *set, *w;
    uint32_t sl, wl;

    memset(f, 0, offsetof(imap_fetch_t, cur));
    if (!imap_p_sp(p) || !imap_p_seqset(p, &set, &sl) || !imap_p_sp(p))
        return bad(s, "Usage: FETCH sequence-set items");
    if (imap_p_char(p, '(')) {
        do {
            if ((why = att(p, f)) != NULL)
                return bad(s, why);
        } while (imap_p_sp(p));
        if (!imap_p_char(p, ')'))
            return bad(s, "Invalid FETCH item list");
    } else {
        uint32_t save = p->pos;
        wl = word(p, &w);
        if (imap_ieq(w, wl, "FAST")) {
            add(f, IMAP_FI_FLAGS, 0, true);
            add(f, IMAP_FI_INTERNALDATE, 0, true);
            add(f, IMAP_FI_SIZE, 0, true);
        } else if (imap_ieq(w, wl, "ALL") || imap_ieq(w, wl, "FULL")) {
            add(f, IMAP_FI_FLAGS, 0, true);
            add(f, IMAP_FI_INTERNALDATE, 0, true);
            add(f, IMAP_FI_SIZE, 0, true);
            add(f, IMAP_FI_ENVELOPE, 0, true);
            if (wl == 4)
                add(f, IMAP_FI_BODYSIMPLE, 0, true);
        } else {
            p->pos = save;
            if ((why = att(p, f)) != NULL)
                return bad(s, why);
        }
    }
    if (!imap_p_eol(p))
        return bad(s, "Invalid characters after FETCH items");
    if (s->uid) {
        bool has = false;
        for (unsigned i = 0; i < f->nitems; i++)
            if (f->items[i].kind == IMAP_FI_UID)
                has = true;
        if (!has) {
            if (f->nitems >= IMAP_FETCH_ITEMS_MAX)
                return bad(s, "Too many items");
            memmove(&f->items[1], &f->items[0], f->nitems * sizeof f->items[0]);
            memset(&f->items[0], 0, sizeof f->items[0]);
            f->items[0].kind = IMAP_FI_UID;
            f->items[0].peek = true;
            f->nitems++;
        }
    }
    f->cur = 0;
    f->in_msg = false;
    f->in_lit = false;
    f->in_count = false;
    f->failed = false;
    f->corrupt = false;
    f->dirty = false;
    f->in_render = false;
    f->lit8 = false;
    f->unknown_cte = false;
    f->bin = false;
    f->star = imap_star(s, s->uid);
    imap_own_begin(s);
    s->run = run_fetch;
    return run_fetch(s);
}
