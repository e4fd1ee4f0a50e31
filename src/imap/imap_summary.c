/*
 * imap_summary.c - a message's structure summary for FETCH and SEARCH: the
 * one stored at APPEND, or (an image from before summaries, a summary
 * larger than this build's buffer, or a damaged one) one parsed now from
 * the message,
 * streaming through a small block.
 */
#include "imap/imap_int.h"

bool imap_msg_summary(imap_session_t *s, const store_msg_t *m,
                      mime_parser_t *mp, uint8_t *buf, uint32_t cap,
                      uint32_t *len)
{
    size_t l = 0;
    uint8_t blk[512];
    int rc = store_msg_summary_get(imap_store(s), m, buf, cap, &l);

    if (rc == STORE_OK && mime_sum_valid(buf, (uint32_t)l)) {
        *len = (uint32_t)l;
        return true;
    }
    /* none, too big for this build, or damaged: the message itself is
     * still there to be parsed */
    (void)rc;
    mime_parse_init(mp, buf, cap);
    for (uint32_t off = 0; off < m->size; ) {
        uint32_t n = m->size - off < sizeof blk ? m->size - off : sizeof blk;
        long r = store_msg_read(imap_store(s), m, off, blk, n);
        if (r <= 0)
            return false;
        mime_parse_feed(mp, blk, (size_t)r);
        off += (uint32_t)r;
    }
    *len = mime_parse_finish(mp);
    return mime_sum_valid(buf, *len);
}
