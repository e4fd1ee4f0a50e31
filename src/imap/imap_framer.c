/*
 * imap_framer.c - cuts the input stream into commands.
 *
 * Bytes accumulate in the session's input buffer until one whole command
 * is there: its line plus the inline literals announced at the end of each
 * line segment ("{n}" gets a "+" continuation, "{n+}" does not).  Only then
 * does the parser see it, so parsing is resumable at any byte for free and
 * a command split anywhere gives the same responses.
 *
 * APPEND's message literal is not buffered: it is handed to the APPEND code
 * which streams it to the store.  A line that does not fit gets a BAD and is
 * discarded to its end (passing over non-synchronising literals).
 */
#include <string.h>

#include "imap/imap_int.h"

/* Bytes a discarded line may have before the stream is given up. */
#define IMAP_DISCARD_MAX (1024UL * 1024)

void imap_framer_drop(imap_session_t *s, uint32_t n)
{
    if (n > s->in_len)
        n = s->in_len;
    memmove(s->in, s->in + n, s->in_len - n);
    s->in_len -= n;
    s->scan = 0;
    s->seg = 0;
    s->lit_rem = 0;
}

static void tail_push(imap_session_t *s, uint8_t c)
{
    if (s->tail_len == sizeof s->tail) {
        memmove(s->tail, s->tail + 1, sizeof s->tail - 1);
        s->tail_len--;
    }
    s->tail[s->tail_len++] = c;
}

void imap_framer_discard(imap_session_t *s, uint64_t skip, bool append_tail)
{
    s->fmode = IMAP_FM_DISCARD;
    s->skip = skip;
    s->disc_count = 0;
    s->disc_nonempty = false;
    s->disc_append_tail = append_tail;
    s->tail_len = 0;
}

/* The tag at the start of the buffer, for a response to a command that was
 * never parsed (too long). */
static void take_tag(imap_session_t *s)
{
    uint32_t i = 0;
    while (i < s->in_len && i < IMAP_TAG_MAX) {
        uint8_t c = s->in[i];
        if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\+", c))
            break;
        i++;
    }
    if (i == 0 || i >= s->in_len || s->in[i] != ' ') {
        strcpy(s->tag, "*");
        return;
    }
    memcpy(s->tag, s->in, i);
    s->tag[i] = 0;
}

/* Is the literal at mark the message of an APPEND (not its mailbox)? */
static bool append_message(imap_session_t *s, uint32_t mark)
{
    uint32_t i = 0;
    while (i < mark && s->in[i] != ' ')
        i++;
    if (i == 0 || i + 8 > mark || s->in[i] != ' ')
        return false;
    if (!imap_ieq((char *)s->in + i + 1, 6, "APPEND") || s->in[i + 7] != ' ')
        return false;
    return i + 8 != mark;
}

static bool discard_run(imap_session_t *s)
{
    uint32_t i = 0;
    bool end = false;

    while (i < s->in_len) {
        if (s->skip) {
            uint64_t take = s->in_len - i;
            if (take > s->skip)
                take = s->skip;
            i += (uint32_t)take;
            s->skip -= take;
            continue;
        }
        uint8_t c = s->in[i++];
        if (c == '\n') {
            uint64_t n;
            bool ns;
            uint32_t mk;
            if (imap_literal_marker(s->tail, 0, s->tail_len, &n, &ns, &mk) &&
                ns) {
                if (n > IMAP_LITERAL_MAX) {   /* not worth reading through */
                    s->in_len = 0;
                    if (s->disc_append_tail)
                        imap_append_tail(s, true);
                    imap_set_bye(s, "Literal too large");
                    return false;
                }
                s->skip = n;
                s->tail_len = 0;
                s->disc_nonempty = true;
                continue;
            }
            end = true;
            break;
        }
        if (c != '\r') {
            s->disc_nonempty = true;
            tail_push(s, c);
        }
        if (++s->disc_count > IMAP_DISCARD_MAX) {
            s->in_len = 0;
            if (s->disc_append_tail)
                imap_append_tail(s, true);
            imap_set_bye(s, "Line too long");
            return false;
        }
    }
    imap_framer_drop(s, i);
    if (!end)
        return false;
    s->fmode = IMAP_FM_LINE;
    if (s->disc_append_tail) {
        s->disc_append_tail = false;
        imap_append_tail(s, s->disc_nonempty);
        return false;
    }
    return true;
}

static void overflow(imap_session_t *s)
{
    uint32_t from;

    if (s->await_line) {
        /* an AUTHENTICATE response or IDLE's DONE that does not fit: the
         * waiting command ends with it */
        imap_out_tagged(s, "BAD", "Line too long");
        s->run = NULL;
        s->await_line = false;
        s->line_ready = false;
        s->idling = false;
    } else {
        take_tag(s);
        imap_out_tagged(s, "BAD", "Command line too long");
    }
    imap_framer_discard(s, s->lit_rem, false);
    s->disc_nonempty = true;
    /* the end of the buffer may hold the start of a literal marker */
    from = s->in_len > sizeof s->tail ? s->in_len - sizeof s->tail : 0;
    if (s->lit_rem == 0) {
        if (from < s->seg)
            from = s->seg;
        for (uint32_t i = from; i < s->in_len; i++)
            if (s->in[i] != '\r')
                tail_push(s, s->in[i]);
    }
    s->in_len = 0;
    imap_framer_drop(s, 0);
    s->tag[0] = 0;
}

bool imap_framer_poll(imap_session_t *s)
{
    for (;;) {
        if (s->closing)
            return false;
        if (s->fmode == IMAP_FM_APPEND) {
            imap_append_data(s);
            if (s->fmode == IMAP_FM_APPEND || s->run != NULL)
                return false;
            continue;
        }
        if (s->fmode == IMAP_FM_DISCARD) {
            if (!discard_run(s))
                return false;
            continue;
        }
        while (s->scan < s->in_len) {
            if (s->lit_rem) {
                uint32_t take = s->in_len - s->scan;
                if (take > s->lit_rem)
                    take = s->lit_rem;
                s->scan += take;
                s->lit_rem -= take;
                if (s->lit_rem == 0)
                    s->seg = s->scan;
                continue;
            }
            uint8_t *lf = memchr(s->in + s->scan, '\n', s->in_len - s->scan);
            if (lf == NULL) {
                s->scan = s->in_len;
                break;
            }
            uint32_t p = (uint32_t)(lf - s->in);
            uint64_t n;
            bool ns;
            uint32_t mk;
            if (!s->await_line &&
                imap_literal_marker(s->in, s->seg, p, &n, &ns, &mk)) {
                if (append_message(s, mk)) {
                    imap_append_start(s, mk, n, ns, p + 1);
                    if (s->space_wait || s->parser_wait) {
                        s->scan = p;   /* held: this line again next time */
                        return false;
                    }
                    break;  /* the mode changed: go round again */
                }
                if (n + p + 3 > IMAP_INBUF_SIZE) {
                    take_tag(s);
                    imap_out_tagged(s, "BAD", "Literal too large for a command");
                    s->tag[0] = 0;
                    imap_framer_drop(s, p + 1);
                    if (ns && n > IMAP_LITERAL_MAX)
                        imap_set_bye(s, "Literal too large");
                    else if (ns)
                        imap_framer_discard(s, n, false);
                    break;
                }
                if (!ns) {
                    if (imap_out_free(s) < 64)
                        return false;   /* the "+" waits for tx room */
                    imap_out_str(s, "+ Ready for literal data\r\n");
                }
                s->scan = p + 1;
                s->lit_rem = (uint32_t)n;
                if (n == 0)
                    s->seg = s->scan;
                continue;
            }
            s->cmd_len = p + 1;
            s->scan = p + 1;
            return true;
        }
        if (s->fmode != IMAP_FM_LINE)
            continue;
        if (s->scan < s->in_len)
            continue;
        if (s->in_len == IMAP_INBUF_SIZE) {
            overflow(s);
            continue;
        }
        return false;
    }
}
