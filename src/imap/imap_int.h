/*
 * imap_int.h - what the engine's files share (never included by ports).
 */
#ifndef IMAP_INT_H
#define IMAP_INT_H

#include "imap/imap.h"

/* Session states (RFC 3501 section 3). */
enum { IMAP_ST_NOTAUTH, IMAP_ST_AUTH, IMAP_ST_SELECTED, IMAP_ST_LOGOUT };

/* Framer modes. */
enum { IMAP_FM_LINE, IMAP_FM_DISCARD, IMAP_FM_APPEND };

/* What a command's run() returns. */
enum {
    IMAP_R_DONE,   /* tagged response written */
    IMAP_R_MORE,   /* slice budget spent: step again */
    IMAP_R_WAIT,   /* output buffer full: wait for the port to drain it */
    IMAP_R_LINE,   /* waiting for the next input line (await_line) */
};

/* FETCH item kinds and sections. */
enum { IMAP_FI_FLAGS, IMAP_FI_UID, IMAP_FI_INTERNALDATE, IMAP_FI_SIZE,
       IMAP_FI_RFC822, IMAP_FI_RFC822_HEADER, IMAP_FI_RFC822_TEXT,
       IMAP_FI_BODY, IMAP_FI_ENVELOPE, IMAP_FI_BODYSTRUCTURE,
       IMAP_FI_BODYSIMPLE, IMAP_FI_BINARY, IMAP_FI_BINARY_SIZE };
enum { IMAP_SEC_ALL, IMAP_SEC_HEADER, IMAP_SEC_TEXT, IMAP_SEC_HF,
       IMAP_SEC_HF_NOT, IMAP_SEC_MIME };

/* Output reserve a response line needs before it is started. */
#define IMAP_LINE_RESERVE 1400u
/* SELECT writes FLAGS and PERMANENTFLAGS (up to IMAP_KEYWORDS_MAX each) in
 * one go: the output buffer must hold two reserved lines. */
#if IMAP_OUTBUF_SIZE < 2 * 1400
#error "IMAP_OUTBUF_SIZE must be at least 2 * IMAP_LINE_RESERVE (2800)"
#endif

/* ---- parser (imap_parse.c) ---------------------------------------------- */
typedef struct imap_parser {
    uint8_t *buf;
    uint32_t pos, end;
} imap_parser_t;

void imap_p_init(imap_parser_t *p, uint8_t *buf, uint32_t len);
bool imap_p_eol(const imap_parser_t *p);
bool imap_p_sp(imap_parser_t *p);
bool imap_p_char(imap_parser_t *p, char c);
int imap_p_peek(const imap_parser_t *p);
/* Atom (no atom-specials); with extra, also accepts chars in extra. */
bool imap_p_atom(imap_parser_t *p, char **s, uint32_t *len, const char *extra);
/* Quoted or literal string, unescaped in place, NUL terminated when there
 * is room (the caller copies otherwise). */
bool imap_p_string(imap_parser_t *p, char **s, uint32_t *len);
bool imap_p_astring(imap_parser_t *p, char **s, uint32_t *len);
/* NIL gives *s == NULL. */
bool imap_p_nstring(imap_parser_t *p, char **s, uint32_t *len);
bool imap_p_number(imap_parser_t *p, uint32_t *n);
/* Copies a string into a NUL terminated buffer; false when too long or
 * when it holds a NUL. */
bool imap_p_copy(const char *s, uint32_t len, char *dst, size_t cap);
bool imap_ieq(const char *a, uint32_t alen, const char *b);
/* A sequence set: checks the syntax and returns its span. */
bool imap_p_seqset(imap_parser_t *p, char **s, uint32_t *len);
/* Parses "{n}" / "{n+}" at the end of [start, end) (before the CRLF). */
bool imap_literal_marker(const uint8_t *b, uint32_t start, uint32_t end,
                         uint64_t *n, bool *nonsync, uint32_t *mark);

/* ---- sequence sets (imap_seqset.c) -------------------------------------- */
/* Smallest member >= from (star is the value of '*'); 0 when none. */
uint32_t imap_seqset_next(const char *set, uint32_t len, uint32_t star,
                          uint32_t from);
bool imap_seqset_has(const char *set, uint32_t len, uint32_t star,
                     uint32_t v);

/* ---- dates (imap_date.c) ------------------------------------------------ */
int64_t imap_days_from_civil(int y, unsigned m, unsigned d);
/* "dd-Mon-yyyy hh:mm:ss +zzzz" */
bool imap_parse_datetime(const char *s, uint32_t len, int64_t *t,
                         int16_t *tz);
/* "d-Mon-yyyy" -> day number */
bool imap_parse_date(const char *s, uint32_t len, int64_t *day);
/* Date: header value (RFC 5322) -> day number of its own date */
bool imap_parse_rfc5322_day(const char *s, uint32_t len, int64_t *day);
/* Writes 26 chars + NUL. */
void imap_format_datetime(int64_t t, int16_t tz, char out[27]);

/* ---- output (imap_out.c) ------------------------------------------------ */
uint32_t imap_out_free(imap_session_t *s);
void imap_out(imap_session_t *s, const void *p, size_t n);
void imap_out_str(imap_session_t *s, const char *str);
void imap_out_u32(imap_session_t *s, uint32_t v);
void imap_out_u64(imap_session_t *s, uint64_t v);
/* A string as atom, quoted or literal, whichever fits it. */
void imap_out_astring(imap_session_t *s, const char *str, size_t n);
void imap_out_quoted(imap_session_t *s, const char *str, size_t n);
/* Contiguous free space at the end (compacts first). */
uint8_t *imap_out_reserve(imap_session_t *s, uint32_t *cap);
void imap_out_commit(imap_session_t *s, uint32_t n);
void imap_out_tagged(imap_session_t *s, const char *status, const char *text);
void imap_out_flags(imap_session_t *s, uint32_t mbox, uint32_t flags,
                    uint64_t kw, bool recent);
/* Small formatting helper into a char buffer. */
typedef struct imap_sb { char *p; size_t cap, len; } imap_sb_t;
void imap_sb_str(imap_sb_t *b, const char *s);
void imap_sb_u64(imap_sb_t *b, uint64_t v);

/* ---- session (imap_session.c) ------------------------------------------- */
void imap_log(imap_session_t *s, int level, const char *a, const char *b);
/* Logs a compaction pass that started or ended since the last call. */
void imap_server_watch_store(imap_server_t *srv);
store_t *imap_store(imap_session_t *s);
void imap_unselect(imap_session_t *s);
void imap_set_bye(imap_session_t *s, const char *text);
/* Untagged EXPUNGE/EXISTS/RECENT/FETCH for the selected mailbox. */
int imap_updates(imap_session_t *s, bool allow_expunge);
void imap_capability(imap_session_t *s, imap_sb_t *b);
void imap_purge_check(imap_session_t *s);
void imap_purge_mbox(imap_session_t *s, uint32_t mbox);
/* Store error -> tagged NO with a reason (rolls back). */
int imap_store_fail(imap_session_t *s, int err, const char *what);
/* " kw1 kw2" for every keyword of the mailbox. */
void imap_out_keywords(imap_session_t *s, const store_mbox_t *mb);
/* "* FLAGS" and PERMANENTFLAGS again when the keyword table grew. */
int imap_flags_update(imap_session_t *s);
bool imap_norm_mailbox(const char *in, uint32_t len, char *out, size_t cap);

/* ---- TLS in the pipeline (imap_tls.c) ----------------------------------- */
/* LOGIN/AUTHENTICATE allowed: TLS is on, or plaintext is allowed. */
bool imap_plain_ok(const imap_session_t *s);
bool imap_tls_offer(const imap_session_t *s);   /* STARTTLS advertised */
int imap_cmd_starttls(imap_session_t *s, imap_parser_t *p);
void imap_tls_attach(imap_session_t *s, bool implicit);
size_t imap_tls_rx_space(imap_session_t *s, uint8_t **p);
void imap_tls_rx_commit(imap_session_t *s, size_t n);
void imap_tls_rx_eof(imap_session_t *s);
size_t imap_tls_tx_data(imap_session_t *s, const uint8_t **p);
void imap_tls_tx_consume(imap_session_t *s, size_t n);
/* Plaintext output drained: a pending STARTTLS switches to TLS now. */
void imap_tls_plain_drained(imap_session_t *s);
/* Before the engine's work: handshake, decrypt input.  False when the
 * engine must not run this step (handshake in progress, or closing). */
bool imap_tls_pre_step(imap_session_t *s);
/* After it: encrypt output, and the events the port acts on. */
unsigned imap_tls_post_step(imap_session_t *s, unsigned ev);
uint64_t imap_tls_deadline(const imap_session_t *s, uint64_t dl);
void imap_tls_release(imap_session_t *s);

/* ---- framer (imap_framer.c) --------------------------------------------- */
/* Runs the framer; returns true when a complete line/command is at in[0,
 * cmd_len). */
bool imap_framer_poll(imap_session_t *s);
void imap_framer_drop(imap_session_t *s, uint32_t n);
void imap_framer_discard(imap_session_t *s, uint64_t skip, bool append_tail);

/* ---- commands ----------------------------------------------------------- */
typedef struct imap_cmdctx {
    imap_session_t *s;
    imap_parser_t *p;
} imap_cmdctx_t;

void imap_dispatch(imap_session_t *s);
int imap_cmd_auth(imap_session_t *s, const char *name, imap_parser_t *p);
int imap_cmd_mailbox(imap_session_t *s, const char *name, imap_parser_t *p);
int imap_cmd_fetch(imap_session_t *s, imap_parser_t *p);
int imap_cmd_store(imap_session_t *s, imap_parser_t *p);
int imap_cmd_copy(imap_session_t *s, imap_parser_t *p, bool move);
int imap_cmd_expunge(imap_session_t *s, imap_parser_t *p, bool uid,
                     bool close);
int imap_cmd_search(imap_session_t *s, imap_parser_t *p);
int imap_cmd_list(imap_session_t *s, imap_parser_t *p, bool lsub);
/* APPEND: head parsed when the message literal is announced. */
void imap_append_start(imap_session_t *s, uint32_t mark, uint64_t n,
                       bool nonsync, uint32_t consumed);
void imap_append_data(imap_session_t *s);
void imap_append_tail(imap_session_t *s, bool junk);
/* Flag list parser shared by APPEND and STORE. */
int imap_parse_flags(imap_session_t *s, imap_parser_t *p, uint32_t mbox,
                     bool add_kw, uint32_t *flags, uint64_t *kw,
                     bool *paren);
/* The sequence set of the running command, found again in its line:
 * tag SP [UID SP] NAME SP set (namelen: length of NAME). */
bool imap_cmd_set(imap_session_t *s, uint32_t namelen, char **set,
                  uint32_t *len);
/* Resolves the value of '*' for the selected view. */
uint32_t imap_star(imap_session_t *s, bool uid);
/* Iterates a set: next message (seq, msg) after cur; 0 at the end. */
int imap_set_next(imap_session_t *s, const char *set, uint32_t len,
                  bool uid, uint32_t star, uint32_t *cur, uint32_t *seq,
                  store_msg_t *m);
/* Own flag changes (STORE, FETCH setting \Seen) are reported by the
 * command itself; these keep store_view_changes() from repeating them. */
void imap_own_begin(imap_session_t *s);
void imap_own_slice(imap_session_t *s);
void imap_own_note(imap_session_t *s, uint64_t modseq);
void imap_own_end(imap_session_t *s);
/* The structure summary of message m (from the store, or parsed from the
 * message when it has none) in the server's shared buffer: loaded unless
 * s was the last to load this one.  Valid until s's next step; NULL when
 * it cannot be had. */
const uint8_t *imap_summary(imap_session_t *s, const store_msg_t *m,
                            uint32_t *len);
/* APPEND: a free parser slot of the server for s (mime_parse_init done),
 * or NULL when every one is in use. */
imap_mime_slot_t *imap_summary_parser(imap_session_t *s);
/* Message reading helpers for SEARCH and FETCH. */
bool imap_msg_is_recent(imap_session_t *s, const store_msg_t *m);

#endif /* IMAP_INT_H */
