/*
 * imap_struct.h - the engine's session and server state, declared so that
 * a port can place them in static memory.  Only src/imap/ looks inside.
 */
#ifndef IMAP_STRUCT_H
#define IMAP_STRUCT_H

#include "mime/mime.h"

#define IMAP_TAG_MAX 64
#define IMAP_SECTION_PATH_MAX 8    /* numbers in a section part (1.2.3...) */
#define IMAP_HF_NAMES_MAX 16   /* field names in one HEADER.FIELDS list */

/* A structure summary and the parser that makes one: the server owns
 * them, not each session (imap_summary.c).  FETCH and SEARCH need the
 * summary only while they work on one message, so one serves them all
 * (a session whose summary another one replaced loads it again); an
 * APPEND keeps one for as long as its literal streams in. */
typedef struct imap_mime_slot {
    imap_session_t *owner;         /* who loaded (or is parsing) it */
    uint64_t addr;                 /* read slot: the message's data address */
    bool valid;                    /* read slot: sum holds that summary */
    uint32_t len;
    mime_parser_t mp;
    uint8_t sum[IMAP_MIME_SUMMARY_MAX];
} imap_mime_slot_t;

struct imap_server {
    store_t *store;
    imap_config_t cfg;
    imap_session_t *sessions;      /* intrusive list of open sessions */
    bool maint_err;                /* the last store_maintain failed */
    bool gc_running;               /* a compaction pass was under way and */
    uint32_t gc_passes;            /* this many had ended, when last seen */
    imap_mime_slot_t rd;           /* FETCH and SEARCH */
    imap_mime_slot_t app[IMAP_MIME_PARSERS];   /* APPENDs being parsed */
};

/* One FETCH attribute or body section. */
typedef struct imap_fitem {
    uint8_t kind;                  /* IMAP_FI_* */
    uint8_t section;               /* IMAP_SEC_* */
    bool peek;
    bool partial;
    uint32_t p_off, p_len;
    char *names;                   /* HEADER.FIELDS names, NUL separated */
    uint16_t names_len;            /* bytes incl. the NULs */
    uint8_t nnames;
    uint8_t npath;                 /* section part numbers (0: the message) */
    uint32_t path[IMAP_SECTION_PATH_MAX];
} imap_fitem_t;

/* Streaming state of a HEADER.FIELDS filter over a raw header. */
typedef struct imap_hfilt {
    uint32_t raw;                  /* next raw header byte to read */
    uint32_t lim;                  /* end of the header (a part's too) */
    uint32_t vpos;                 /* filtered bytes produced so far */
    uint8_t mode;                  /* 0 line start, 1 copy line, 2 skip line,
                                      3..6 the line ends after the last one */
    bool prev_incl;                /* decision of the last field (folding) */
    bool blank;                    /* the header's blank line was seen */
    bool open;                     /* last copied line lacks its line end */
    bool done;
} imap_hfilt_t;

typedef struct imap_fetch {
    imap_fitem_t items[IMAP_FETCH_ITEMS_MAX];
    uint8_t nitems;
    bool want_seen;                /* some item sets \Seen */
    bool has_flags;                /* FLAGS requested */
    /* iteration */
    uint32_t cur;                  /* last seq/uid done */
    uint32_t star;                 /* value of '*' */
    store_msg_t msg;
    uint32_t seq;
    bool in_msg;
    bool add_flags;                /* \Seen set now: report FLAGS */
    bool failed;                   /* some message could not be read */
    uint8_t item;                  /* next item of the current message */
    bool in_lit;                   /* streaming a literal */
    bool in_count;                 /* counting a HEADER.FIELDS result */
    uint32_t lit_src;              /* raw offset of the next literal byte */
    uint32_t lit_rem;              /* literal bytes still to send */
    imap_hfilt_t hf;
    bool corrupt;                  /* pad the rest of the literal */
    bool dirty;                    /* \Seen set, not yet committed */
    /* structure (imap_fetch_mime.c) */
    bool in_render;                /* ENVELOPE/BODYSTRUCTURE being written */
    uint32_t rpos;                 /* its bytes already written */
    uint32_t sec_hs, sec_he;       /* header range of the current section */
    bool bin;                      /* the literal is decoded (BINARY) */
    bool unknown_cte;              /* some BINARY part could not be decoded */
    bool bin8, lit8;               /* decoded part is not 7-bit: literal8 */
    mime_dec_t dec;
    uint32_t draw, dend;           /* raw range being decoded */
    uint32_t dvpos;                /* decoded bytes produced */
} imap_fetch_t;

/* APPEND: the server's structure parser the message streams through. */
typedef struct imap_appcmd {
    uint8_t slot;                  /* index in srv->app */
} imap_appcmd_t;

typedef struct imap_skey {
    uint8_t op;
    uint16_t size;                 /* nodes in this subtree, itself included */
    uint32_t num;
    int64_t day;
    char *str;                     /* argument (NUL terminated, in inbuf) */
    uint32_t slen;
    const char *str2;              /* HEADER field name */
    uint32_t s2len;
} imap_skey_t;

typedef struct imap_search {
    imap_skey_t keys[IMAP_SEARCH_KEYS_MAX];
    uint16_t nkeys;
    uint32_t cur;                  /* last seq examined */
    uint32_t star_seq, star_uid;
    bool started;                  /* "* SEARCH" written */
    int64_t sent_day;              /* Date: of the message being tested */
    mime_match_t mm;
    /* BODY/TEXT scan of message cur, resumable: a step scans a bounded
     * number of chunks, then the message is evaluated again next step
     * (keys already decided keep their answer in done/hit) */
    bool in_msg;                   /* cur is being evaluated */
    uint32_t keys_done, keys_hit;  /* bit per key: decided, matched */
    bool scan_on;                  /* scan_key's scan is paused */
    uint8_t scan_phase;            /* 0: the part's header, 1: its body */
    bool scan_latin1;
    uint16_t scan_key;
    uint32_t scan_at;              /* summary record of the part */
    uint32_t scan_pos;             /* next raw body byte */
    mime_dec_t scan_dec;
    mime_match_t scan_mm;          /* its matcher (mm serves header keys) */
} imap_search_t;

typedef struct imap_storecmd {
    uint32_t flags;
    uint64_t keywords;
    int8_t mode;                   /* 0 replace, 1 add, -1 remove */
    bool silent;
    uint32_t cur, star;
    bool pending;                  /* a FETCH line still to write */
    store_msg_t msg;
    uint32_t seq;
    uint64_t expect_modseq;        /* to know nobody else changed flags */
    bool own_only;
} imap_storecmd_t;

typedef struct imap_copycmd {
    uint32_t dst_id, dst_validity;
    uint32_t cur, star;
    char src_set[160], dst_set[160];
    uint16_t src_len, dst_len;
    uint32_t s_lo, s_hi, d_lo, d_hi;  /* open ranges */
    bool have, overflow;
    bool move;
} imap_copycmd_t;

typedef struct imap_listcmd {
    uint64_t cursor;
    char pattern[2 * IMAP_MAILBOX_NAME_MAX + 2];
    bool lsub;
    bool delim_only;
} imap_listcmd_t;

typedef struct imap_xcmd {         /* EXPUNGE, UID EXPUNGE, CLOSE */
    uint32_t cur, star;
    bool use_set;
    bool silent_close;
} imap_xcmd_t;

typedef struct imap_selcmd {
    uint32_t cur;                  /* scan for the first unseen */
    uint32_t first_unseen;
} imap_selcmd_t;

typedef struct imap_renamecmd {
    uint64_t cursor;
    char from[IMAP_MAILBOX_NAME_MAX + 1];
    char to[IMAP_MAILBOX_NAME_MAX + 1];
} imap_renamecmd_t;

typedef int (*imap_run_fn)(imap_session_t *s);

struct imap_session {
    imap_session_t *next;
    imap_server_t *srv;
    bool open, closing, eof, bye_sent;
    bool shutdown;                 /* BYE once the running command ends */
    char bye_reason[48];
    uint8_t state;                 /* IMAP_ST_* */
    char peer[48];
    uint64_t now, last_active;
    bool rx_new;                   /* bytes arrived since the last step */

    /* authentication */
    uint32_t user_id;
    char user[IMAP_USER_NAME_MAX + 1];
    uint8_t fails;
    bool delayed;                  /* a failed-auth answer is held */
    uint64_t delay_until;

    /* framer */
    uint32_t in_len, scan, seg;    /* bytes held, scanned, segment start */
    uint32_t lit_rem;              /* inline literal bytes to pass over */
    uint8_t fmode;                 /* IMAP_FM_* */
    uint64_t skip;                 /* discard: literal bytes to drop */
    uint32_t disc_count;
    bool disc_nonempty, disc_append_tail;
    uint8_t tail[24];
    uint8_t tail_len;
    uint64_t app_rem;

    /* the command in progress */
    uint32_t cmd_len;              /* inbuf bytes it occupies */
    char tag[IMAP_TAG_MAX + 1];
    bool uid;
    bool name_err;                 /* mailbox argument too long */
    imap_run_fn run;
    bool await_line;               /* run() wants the next input line */
    bool line_ready;
    uint32_t budget;

    /* selected mailbox */
    bool selected, readonly;
    uint32_t nkw;                  /* keywords the client was told of */
    store_view_t view;
    uint64_t own_expect;           /* highestmodseq if only we changed flags */
    bool own_ok;

    store_append_t app;
    uint32_t app_uid, app_validity;
    bool space_wait;               /* APPEND/COPY held: the store will have
                                      room once its compaction pass ends */
    bool parser_wait;              /* APPEND held: every structure parser
                                      is busy (tried again on a timer) */
    bool announced;                /* EXPUNGE sent: purge may advance */
    bool idling;

    union {
        imap_fetch_t fetch;
        imap_search_t search;
        imap_storecmd_t store;
        imap_copycmd_t copy;
        imap_listcmd_t list;
        imap_xcmd_t xp;
        imap_selcmd_t sel;
        imap_renamecmd_t ren;
        imap_appcmd_t app;
    } u;

    /* TLS (imap_tls.c): NULL while plaintext */
    struct tls_conn *tls;
    struct tls_conn *tls_next;     /* STARTTLS: taken once the OK is sent */
    bool tls_starting;             /* STARTTLS answered: no more commands */
    bool tls_in_blocked;           /* plaintext waits in mbedTLS for room */
    uint64_t tls_deadline;         /* the handshake must end by then */

    uint32_t out_head, out_len;
    uint8_t in[IMAP_INBUF_SIZE];
    uint8_t out[IMAP_OUTBUF_SIZE];
};

#endif /* IMAP_STRUCT_H */
