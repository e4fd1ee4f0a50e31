/*
 * store.h - the mailbox store: users, mailboxes, messages on a flash device.
 *
 * Public API of the store module.  The IMAP engine, the admin tool and the
 * tests use only what is declared here.
 *
 * Promises:
 *   - Changes are grouped; store_commit() makes every change since the last
 *     commit durable at once (synced) or none of them.  The engine calls it
 *     before every tagged OK that reports a change.
 *   - RAM is fixed at build time (imap_opts.h): an index node cache and one
 *     write buffer; nothing grows with the number of messages or mailboxes.
 *   - UIDs are never reused; UIDNEXT never goes back; UIDVALIDITY of a
 *     mailbox never changes while it exists.
 *
 * Everything is synchronous and single-threaded: the cooperative loop calls
 * in, the call returns.  No function allocates from the heap.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_opts.h"
#include "flash/flash.h"

/* ---- Errors (negative) -------------------------------------------------- */
enum {
    STORE_OK = 0,
    STORE_ENOENT = -1,    /* no such user / mailbox / message */
    STORE_EEXIST = -2,    /* already exists */
    STORE_ENOSPC = -3,    /* the device is full (reserve aside) */
    STORE_EIO = -4,       /* the flash device failed */
    STORE_ECORRUPT = -5,  /* a CRC or structure check failed */
    STORE_EINVAL = -6,    /* bad argument (name too long, ...) */
    STORE_ELIMIT = -7,    /* a configured limit (keywords, name, size) */
    STORE_ENOTMOUNTED = -8,
    STORE_EAGAIN = -9,    /* not now: a compaction pass under way (or just
                             asked for) will make the room; run
                             store_maintain() steps and try again */
};
const char *store_strerror(int err);

/* ---- System flags, as stored (\Recent is per session, never stored) ----- */
#define STORE_F_SEEN     0x01u
#define STORE_F_ANSWERED 0x02u
#define STORE_F_FLAGGED  0x04u
#define STORE_F_DELETED  0x08u
#define STORE_F_DRAFT    0x10u
#define STORE_F_ALL      0x1Fu

/* ---- Records handed out by value ---------------------------------------- */

typedef struct store_user {
    uint32_t id;
    char name[IMAP_USER_NAME_MAX + 1];
    uint8_t salt[16];
    uint32_t iterations;           /* PBKDF2-HMAC-SHA256 */
    uint8_t hash[32];
} store_user_t;

typedef struct store_mbox {
    uint32_t id;                   /* internal, never reused */
    uint32_t user_id;
    uint32_t uidvalidity;
    uint32_t uidnext;
    uint64_t highestmodseq;        /* of any change in the mailbox */
    uint32_t messages;             /* live messages */
    uint32_t unseen;               /* live messages without \Seen */
    uint32_t recent;               /* live messages with uid >= first_recent_uid */
    uint32_t first_recent_uid;     /* lowest UID not yet claimed as \Recent */
    uint32_t nkeywords;            /* entries in the keyword table */
    char name[IMAP_MAILBOX_NAME_MAX + 1];  /* full path, '/' separated */
} store_mbox_t;

typedef struct store_msg {
    uint32_t uid;
    uint32_t flags;                /* STORE_F_* */
    uint64_t keywords;             /* bit i = keyword i of the mailbox table */
    uint64_t modseq;               /* of the last change to this message */
    int64_t internaldate;          /* seconds since 1970-01-01T00:00:00Z */
    int16_t tz_minutes;            /* zone INTERNALDATE is shown in, e.g. +60 */
    uint32_t size;                 /* RFC822.SIZE: bytes of the message */
    uint32_t hdr_size;             /* bytes of the header incl. the empty line
                                      (== size when there is no empty line) */
    uint64_t data_addr;            /* first data chunk on flash (store-private) */
    uint64_t xmodseq;              /* 0: live; else modseq of its expunge */
} store_msg_t;

typedef struct store_stat {
    uint64_t device_size;
    uint64_t used;                 /* log bytes between tail and head (live
                                      data, and garbage not compacted yet) */
    uint64_t free;                 /* bytes the head may still write */
    uint32_t users, mailboxes;
    uint64_t messages;
    uint64_t ring;                 /* bytes of the log ring */
    uint64_t reserve;              /* kept for compaction, EXPUNGE, DELETE */
    bool compacting;               /* a compaction pass is under way */
    bool recovered;                /* the mount found an unclean shutdown
                                      and dropped an unfinished tail */
    uint64_t live;                 /* live bytes (data and index) as the
                                      last compaction counted them, plus
                                      what was added since: an upper bound */
    uint32_t passes;               /* compaction passes ended since mount */
    uint64_t step_max;             /* most flash bytes one compaction step
                                      wrote since mount */
} store_stat_t;

/* The store itself: one per device, its RAM fixed at build time. */
typedef struct store store_t;

/* A chunked copy of a message's data under way (compaction: the walk's
 * copy, a COPY's held move, an APPEND's finish): RAM only, a few chunks a
 * call (st_chunks_move); a power cut leaves the partial region dead. */
typedef struct store_chunk_move {
    uint64_t mark;                 /* the pass it belongs to, 0: none */
    uint64_t src, dst;             /* old data address, reserved region */
    uint32_t size;                 /* message bytes */
    uint32_t done;                 /* chunks copied so far */
} store_chunk_move_t;

/* An APPEND in progress (lives in the session, a few dozen bytes). */
typedef struct store_append {
    uint32_t mbox_id;
    uint32_t size, written;
    uint32_t flags;
    uint64_t keywords;
    int64_t internaldate;
    int16_t tz_minutes;
    uint64_t data_addr;            /* reserved region */
    uint32_t hdr_size;             /* found while streaming */
    uint8_t hdr_state;             /* CRLF CRLF scanner */
    bool hdr_done;
    bool active;
    /* the finish's move of data written before a compaction pass began
     * (st_gc_move_append) */
    store_chunk_move_t move;
} store_append_t;

/* A session's view of one selected mailbox (RFC 3501 message numbers).
 *
 * The view holds back what the session has not been told yet: messages
 * with uid >= uidnext are not in it, and a message expunged by anybody
 * stays in it (with its sequence number) until the session announces the
 * expunge with store_view_expunges().  Flag changes with modseq > fsync
 * are reported by store_view_changes(). */
typedef struct store_view {
    uint32_t mbox_id;
    uint32_t uidvalidity;
    uint32_t uidnext;              /* view contains uids < uidnext */
    uint32_t count;                /* messages in the view (EXISTS) */
    uint64_t xsync;                /* expunges with xmodseq <= xsync are out */
    uint64_t fsync;                /* changes with modseq <= fsync are known */
    uint32_t recent_lo, recent_hi; /* this session's \Recent UIDs: [lo, hi) */
    uint32_t recent;               /* \Recent messages in the view */
    bool claims_recent;            /* SELECT (true) or EXAMINE (false) */
    /* iteration state of store_view_expunges / store_view_changes */
    uint64_t it_target;
    uint64_t it_cursor;
    bool it_active;
} store_view_t;

/* ---- Device life cycle -------------------------------------------------- */

/* Erase what is needed and write an empty store.  now_unix seeds the
 * UIDVALIDITY counter. */
int store_format(const flash_dev_t *dev, uint32_t now_unix);

/* Mount an existing store: find the last checkpoint, replay the commits
 * after it, write a fresh checkpoint.  st is caller memory (static). */
int store_mount(store_t *st, const flash_dev_t *dev);
/* Commit what is pending, checkpoint, forget the device. */
int store_unmount(store_t *st);

/* Make every change since the last commit durable, atomically. */
int store_commit(store_t *st);
/* Throw away every change since the last commit (after an error). */
void store_rollback(store_t *st);

int store_get_stat(store_t *st, store_stat_t *out);

/* Compaction in bounded steps (store_gc.c): reclaims the space of expunged
 * messages and deleted mailboxes, and moves long-lived data around the
 * device (wear levelling).  Call it when idle: it does at most about
 * budget bytes of copying (0: a default), commits what it did, and
 * returns 1 when more work remains, 0 when there is none, < 0 on error.
 * It does nothing while changes are pending (returns 1).  The store also
 * runs steps itself after commits when space runs short. */
int store_maintain(store_t *st, unsigned budget);

/* Admission of APPEND and COPY when space is short.  Blocking (the default
 * after store_mount, for host tools): store_append_begin/store_msg_copy
 * run the rest of a compaction pass on the spot, then answer OK or
 * STORE_ENOSPC.  Non-blocking (the IMAP engine, a cooperative loop): they
 * answer STORE_EAGAIN, changing nothing, when a pass under way or about to
 * start will make the room; the caller holds the command and tries again
 * after store_maintain() steps.  STORE_ENOSPC only when no pass could. */
void store_set_nonblocking(store_t *st, bool on);

/* Erase counts of the ring's blocks as their BLOCK records tell them
 * (blocks inside message data regions carry none and are skipped). */
typedef struct store_wear {
    uint32_t min, max;
    uint64_t sum;                  /* mean = sum / blocks */
    uint64_t blocks;               /* blocks counted */
} store_wear_t;
int store_get_wear(store_t *st, store_wear_t *out);

/* Checks the image (fsck): the log from its first block (every record's
 * CRC, commits in sequence up to the last one), the index (every node,
 * key order, subtree counts) and every message's data chunks.  report (may
 * be NULL) is called once per problem found.  Returns the number of
 * problems (0: clean) or a negative error.  Read-only. */
typedef void (*store_check_cb)(void *ctx, const char *what, uint64_t where);
int store_check(store_t *st, store_check_cb report, void *ctx);

/* ---- Named blobs (store_blob.c): a few KiB of configuration kept in the
 * image, e.g. "tls.cert" and "tls.key".  Pending until store_commit(). --- */

#define STORE_BLOB_MAX (255u * 240u)   /* bytes per blob */
/* Replaces the blob (EINVAL for a bad name, ELIMIT when too big). */
int store_blob_set(store_t *st, const char *name, const void *data, size_t len);
/* Copies it into buf; *len_out gets its length (also when cap is too small:
 * then STORE_ELIMIT).  STORE_ENOENT when there is none. */
int store_blob_get(store_t *st, const char *name, void *buf, size_t cap,
                   size_t *len_out);
int store_blob_del(store_t *st, const char *name);

/* ---- Users -------------------------------------------------------------- */

int store_user_add(store_t *st, const store_user_t *u, uint32_t *id_out);
int store_user_find(store_t *st, const char *name, store_user_t *out);
int store_user_set_secret(store_t *st, const store_user_t *u); /* by name */
/* Deletes the user, all its mailboxes, messages and subscriptions. */
int store_user_del(store_t *st, const char *name);
/* Iterate users: *cursor starts at 0; returns STORE_ENOENT at the end. */
int store_user_next(store_t *st, uint64_t *cursor, store_user_t *out);

/* ---- Mailboxes (names are full paths, case-sensitive, except "INBOX"
 *      which callers normalise before calling) ----------------------------- */

int store_mbox_create(store_t *st, uint32_t user_id, const char *name,
                      store_mbox_t *out);
int store_mbox_find(store_t *st, uint32_t user_id, const char *name,
                    store_mbox_t *out);
int store_mbox_get(store_t *st, uint32_t mbox_id, store_mbox_t *out);
/* Deletes the mailbox and all its messages. */
int store_mbox_delete(store_t *st, uint32_t mbox_id);
/* Renames one mailbox (not its children); keeps id, UIDs, UIDVALIDITY. */
int store_mbox_rename(store_t *st, uint32_t mbox_id, const char *new_name);
int store_mbox_next(store_t *st, uint32_t user_id, uint64_t *cursor,
                    store_mbox_t *out);
/* Sets first_recent_uid to uidnext; *lo_out gets the old value, so the
 * caller's session holds \Recent for uids in [*lo_out, uidnext). */
int store_mbox_claim_recent(store_t *st, uint32_t mbox_id, uint32_t *lo_out,
                            uint32_t *hi_out);
/* Forget expunged messages with xmodseq <= upto (no session still shows
 * them).  They move to the expunge history (for QRESYNC). */
int store_mbox_purge(store_t *st, uint32_t mbox_id, uint64_t upto);

/* Keyword table of a mailbox: index <-> name. */
int store_keyword_name(store_t *st, uint32_t mbox_id, unsigned idx,
                       char *buf, size_t cap);
/* Finds a keyword (ASCII case-insensitive); adds it when add is true and
 * there is room (else STORE_ELIMIT). */
int store_keyword_find(store_t *st, uint32_t mbox_id, const char *name,
                       bool add, unsigned *idx_out);

/* ---- Subscriptions (by name; the mailbox need not exist) --------------- */
int store_sub_set(store_t *st, uint32_t user_id, const char *name, bool on);
int store_sub_next(store_t *st, uint32_t user_id, uint64_t *cursor,
                   char *name, size_t cap);

/* ---- Messages ----------------------------------------------------------- */

/* Starts an APPEND of exactly size bytes into mbox_id. */
int store_append_begin(store_t *st, store_append_t *a, uint32_t mbox_id,
                       uint32_t size, uint32_t flags, uint64_t keywords,
                       int64_t internaldate, int16_t tz_minutes);
/* Offers len bytes of the message.  Returns how many were taken (>= 0):
 * whole data chunks only, or everything that is left of the message; the
 * caller keeps the rest and offers it again with more.  Negative: error.
 * (A chunk holds at most STORE_DATA_CHUNK bytes: 2044 with the defaults,
 * the rest of the stride is its CRC; a message that fits one chunk is
 * taken whole, in one call, so offer at least STORE_DATA_CHUNK bytes or
 * all that is left.) */
long store_append_write(store_t *st, store_append_t *a, const void *data,
                        size_t len);
/* All size bytes written: publish the message (pending until commit).
 * STORE_EAGAIN (non-blocking store, nothing visible changed, the append
 * still active): the data was written before a compaction pass began and
 * is moving above the pass's mark a step's budget of chunks per call; call
 * it again (a later loop round) until it answers something else. */
int store_append_finish(store_t *st, store_append_t *a, uint32_t *uid_out);
/* Drop an unfinished append (client gone, literal refused). */
void store_append_abort(store_t *st, store_append_t *a);

int store_msg_get(store_t *st, uint32_t mbox_id, uint32_t uid,
                  store_msg_t *out);
/* First message (live or pending expunge) with uid >= from. */
int store_msg_next(store_t *st, uint32_t mbox_id, uint32_t from,
                   store_msg_t *out);
/* Reads message bytes [offset, offset+len).  Returns the byte count, or
 * STORE_ECORRUPT if a chunk fails its CRC. */
long store_msg_read(store_t *st, const store_msg_t *m, uint32_t offset,
                    void *buf, size_t len);
/* A reader holding *m across loop rounds (a FETCH streaming a literal)
 * calls this before it reads on: the data stays where *m says until a
 * compaction pass has moved it and ended (the old copy then lies below
 * the ring's tail and the head may reuse it); then *m's data address is
 * brought up to date from the message's record.  STORE_ENOENT: the
 * message is gone (its mailbox was deleted). */
int store_msg_follow(store_t *st, uint32_t mbox_id, store_msg_t *m);
/* Replaces flags and keywords; bumps modseq when anything changed. */
int store_msg_set_flags(store_t *st, uint32_t mbox_id, uint32_t uid,
                        uint32_t flags, uint64_t keywords, uint64_t *modseq_out);
/* Marks the message expunged (it stays visible to views until announced). */
int store_msg_expunge(store_t *st, uint32_t mbox_id, uint32_t uid);
/* Copies a message (data is shared, flags kept; keywords are re-mapped by
 * name into the destination's table).  *uid_out: the new UID. */
int store_msg_copy(store_t *st, uint32_t src_mbox_id, const store_msg_t *m,
                   uint32_t dst_mbox_id, uint32_t *uid_out);

/* ---- Structure summaries (store_summary.c): what the mime parser found
 * at APPEND (src/mime/mime.h), kept in the index beside the message's data
 * and shared by its copies (keyed by the data, not the UID).  Pending until
 * store_commit(), like the message itself. ---------------------------------- */

#define STORE_SUMMARY_MAX (65535u * 240u)
/* Attaches (replaces) the summary of message m (after store_append_finish
 * or store_msg_get).  STORE_ELIMIT when too big. */
int store_msg_summary_set(store_t *st, const store_msg_t *m, const void *data,
                          size_t len);
/* Copies it into buf; *len_out gets its length (also when cap is too small:
 * then STORE_ELIMIT).  STORE_ENOENT: the message has none (an image from
 * before summaries): the caller computes it from the message. */
int store_msg_summary_get(store_t *st, const store_msg_t *m, void *buf,
                          size_t cap, size_t *len_out);

/* ---- Views (message sequence numbers of one session) ------------------- */

/* Opens a view on the mailbox as it is now.  With claim_recent, the
 * session claims \Recent (store_mbox_claim_recent) for what is new. */
int store_view_open(store_t *st, uint32_t mbox_id, bool claim_recent,
                    store_view_t *v);
/* seq (1..count) -> message */
int store_view_get(store_t *st, const store_view_t *v, uint32_t seq,
                   store_msg_t *out);
/* First message of the view with uid >= from, and its seq. */
int store_view_next_uid(store_t *st, const store_view_t *v, uint32_t from,
                        store_msg_t *out, uint32_t *seq_out);
/* uid -> seq; STORE_ENOENT when the uid is not in the view. */
int store_view_seq_of(store_t *st, const store_view_t *v, uint32_t uid,
                      uint32_t *seq_out);
/* Announces expunges: returns 1 and sets *seq for each message to report
 * with "* n EXPUNGE", highest first (so no number shifts under the next),
 * 0 when there are no more (the view then no longer holds them).
 * Negative: error. */
int store_view_expunges(store_t *st, store_view_t *v, uint32_t *seq_out);
/* Takes in messages appended since the view was opened or last updated;
 * returns the new count (for "* n EXISTS"); claims \Recent for them when
 * the view claims recent. */
int store_view_grow(store_t *st, store_view_t *v);
/* Reports flag changes by others: returns 1 with the message and its seq
 * for each message whose modseq is above fsync, 0 when done.  Only flag
 * changes are reported: messages appended since are announced by
 * store_view_grow (their modseq may be above fsync too). */
int store_view_changes(store_t *st, store_view_t *v, store_msg_t *out,
                       uint32_t *seq_out);

/* The struct's contents are the store's own business; it is declared here
 * so that a port can place it in static memory. */
#include "store/store_struct.h"

#endif /* STORE_H */
