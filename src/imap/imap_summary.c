/*
 * imap_summary.c - a message's structure summary for FETCH and SEARCH: the
 * one stored at APPEND, or (an image from before summaries, a summary
 * larger than this build's buffer, or a damaged one) one parsed now from
 * the message, streaming through a small block.
 *
 * The buffers are the server's, not the sessions': one read slot serves
 * every FETCH and SEARCH (each needs a summary only while it works on one
 * message, and it is loaded again if another message's took its place in
 * between), and IMAP_MIME_PARSERS slots serve the APPENDs in flight.  A
 * host session was 139 KB with its own 96 KiB buffer; 50 of them touched
 * 7 MB.
 */
#include "imap/imap_int.h"

static bool load(imap_session_t *s, const store_msg_t *m, imap_mime_slot_t *r)
{
    size_t l = 0;
    uint8_t blk[512];
    int rc = store_msg_summary_get(imap_store(s), m, r->sum, sizeof r->sum, &l);

    if (rc == STORE_OK && mime_sum_valid(r->sum, (uint32_t)l)) {
        r->len = (uint32_t)l;
        return true;
    }
    /* none, too big for this build, or damaged: the message itself is
     * still there to be parsed */
    mime_parse_init(&r->mp, r->sum, sizeof r->sum);
    for (uint32_t off = 0; off < m->size; ) {
        uint32_t n = m->size - off < sizeof blk ? m->size - off : sizeof blk;
        long k = store_msg_read(imap_store(s), m, off, blk, n);
        if (k <= 0)
            return false;
        mime_parse_feed(&r->mp, blk, (size_t)k);
        off += (uint32_t)k;
    }
    r->len = mime_parse_finish(&r->mp);
    return mime_sum_valid(r->sum, r->len);
}

const uint8_t *imap_summary(imap_session_t *s, const store_msg_t *m,
                            uint32_t *len)
{
    imap_mime_slot_t *r = &s->srv->rd;

    /* a summary depends on the message's data only: whoever loaded it */
    if (!r->valid || r->addr != m->data_addr) {
        r->owner = s;
        r->addr = m->data_addr;
        r->valid = load(s, m, r);
    }
    *len = r->len;
    return r->valid ? r->sum : NULL;
}

imap_mime_slot_t *imap_summary_parser(imap_session_t *s)
{
    imap_server_t *srv = s->srv;

    for (unsigned i = 0; i < IMAP_MIME_PARSERS; i++) {
        imap_mime_slot_t *a = &srv->app[i];
        imap_session_t *o = a->owner;
        /* in use while its owner's APPEND streams (the store's append is
         * active); an APPEND that ended in any way has let it go */
        if (o != NULL && o->open && o->app.active && o->u.app.slot == i)
            continue;
        a->owner = s;
        s->u.app.slot = (uint8_t)i;
        mime_parse_init(&a->mp, a->sum, sizeof a->sum);
        return a;
    }
    return NULL;
}
