/*
 * mime.h - RFC 5322 / MIME message structure in fixed RAM.
 *
 * Public API of the mime module.  The engine (FETCH, SEARCH, APPEND) and
 * imapctl import use only what is declared here.
 *
 * The parser is fed the message bytes in pieces of any size (APPEND's
 * literal as it streams) and writes a "structure summary": one record per
 * entity (the message, each MIME part, each encapsulated message) in
 * preorder, with the entity's offsets, its body's line count and the raw
 * unfolded header fields that ENVELOPE and BODYSTRUCTURE need.  The summary
 * is stored beside the message (store_msg_summary_set) so FETCH ENVELOPE
 * and BODYSTRUCTURE never read the message again.
 *
 * RAM: the parser is a fixed struct (IMAP_MIME_DEPTH frames, one header
 * field buffer) writing into a caller buffer of IMAP_MIME_SUMMARY_MAX.
 * Nesting beyond IMAP_MIME_DEPTH: the part is an opaque leaf.  Parts that
 * do not fit the summary are not separated (their bytes stay in the part
 * before).  Nothing is recursive: renderers walk the summary with a stack
 * bounded by IMAP_MIME_DEPTH.
 */
#ifndef MIME_H
#define MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_opts.h"

#ifndef IMAP_MIME_DEPTH
#define IMAP_MIME_DEPTH 8            /* open entities (nesting levels) */
#endif
#ifndef IMAP_MIME_SUMMARY_MAX
#define IMAP_MIME_SUMMARY_MAX 2048   /* bytes of one message's summary */
#endif
#ifndef IMAP_MIME_FIELD_MAX
#define IMAP_MIME_FIELD_MAX 512      /* bytes of one unfolded header field */
#endif
/* APPENDs whose structure is parsed at the same time, server-wide (each
 * holds a parser and a summary buffer while its literal streams in); one
 * more APPEND is held before its "+" until one ends. */
#ifndef IMAP_MIME_PARSERS
#define IMAP_MIME_PARSERS 2
#endif
#define MIME_BOUNDARY_MAX 76

/* Summary layout (little-endian), see mime_parse.c. */
#define MIME_SUM_VERSION 1
#define MIME_SUM_HDR 4               /* 'M', version, flags, 0 */
#define MIME_SUM_F_TRUNC 0x01        /* some parts or fields did not fit */
#define MIME_REC_FIXED 28

enum { MIME_K_LEAF, MIME_K_MULTI, MIME_K_MESSAGE };

/* Header fields kept in the summary. */
enum {
    MIME_F_CTYPE = 1, MIME_F_CTE, MIME_F_CID, MIME_F_CDESC, MIME_F_CMD5,
    MIME_F_CDISP, MIME_F_CLANG, MIME_F_CLOC,
    MIME_F_DATE, MIME_F_SUBJECT, MIME_F_FROM, MIME_F_SENDER, MIME_F_REPLYTO,
    MIME_F_TO, MIME_F_CC, MIME_F_BCC, MIME_F_INREPLYTO, MIME_F_MSGID,
    MIME_F_COUNT
};

typedef struct mime_frame {
    uint32_t rec;                    /* summary offset of its record */
    uint32_t body_nl;                /* line count at its body's start */
    uint8_t kind;                    /* MIME_K_* */
    uint8_t blen;                    /* boundary length (multipart) */
    bool epilogue;                   /* close delimiter seen */
    bool digest;                     /* multipart/digest: children default */
    uint32_t seen;                   /* fields already recorded (bits) */
    char boundary[MIME_BOUNDARY_MAX];
} mime_frame_t;

typedef struct mime_parser {
    uint8_t *sum;
    uint32_t cap, len;
    uint32_t pos;                    /* offset of the next byte */
    uint32_t nl;                     /* LFs so far */
    uint32_t line_start;
    uint32_t line_len;
    uint8_t prev_eol;                /* 1 (LF) or 2 (CRLF) of the line before */
    bool in_header;
    bool field_cont;                 /* the current line continues a field */
    bool prev_cr;
    bool prev_bnd;                   /* the line before was a boundary */
    uint8_t depth;                   /* open frames */
    uint8_t lbuf[MIME_BOUNDARY_MAX + 4];   /* line start, for boundaries */
    uint32_t flen;
    char field[IMAP_MIME_FIELD_MAX];
    mime_frame_t fr[IMAP_MIME_DEPTH];
} mime_parser_t;

/* Starts a parse writing the summary into sum (cap bytes). */
void mime_parse_init(mime_parser_t *p, uint8_t *sum, uint32_t cap);
void mime_parse_feed(mime_parser_t *p, const void *data, size_t n);
/* Closes every part; returns the summary's length. */
uint32_t mime_parse_finish(mime_parser_t *p);

/* ---- reading a summary (mime_sum.c) -------------------------------------- */

typedef struct mime_part {
    uint32_t rec;                    /* offset of the record */
    uint8_t kind;
    bool message;                    /* a message entity (has an envelope) */
    uint16_t nchildren;
    uint32_t hdr_off, body_off, body_end, lines;
    uint32_t fields_len, subtree_len;
} mime_part_t;

bool mime_sum_valid(const uint8_t *sum, uint32_t len);
bool mime_part_at(const uint8_t *sum, uint32_t len, uint32_t rec,
                  mime_part_t *out);
/* Raw value of a field of the part; false when absent. */
bool mime_part_field(const uint8_t *sum, const mime_part_t *pt, unsigned id,
                     const char **v, uint32_t *vl);
/* The part a section path names (numbers, n of them; 0: the message).
 * For HEADER/TEXT/HEADER.FIELDS of a message/rfc822 part, *inner is the
 * encapsulated message (else the part itself).  False: no such part. */
bool mime_section(const uint8_t *sum, uint32_t len, const uint32_t *path,
                  unsigned n, mime_part_t *part, mime_part_t *inner);

/* Content-Type pieces: type and subtype (lowercase compare helpers). */
typedef struct mime_ctype {
    const char *type, *sub;
    uint32_t tlen, slen;
    const char *params;              /* after the first ';' (or end) */
    uint32_t plen;
} mime_ctype_t;
void mime_ctype_parse(const char *v, uint32_t vl, mime_ctype_t *ct);
/* Finds a parameter (case-insensitive name) in a ';' list; the value is
 * unquoted into buf (cap).  False when absent. */
bool mime_param_get(const char *params, uint32_t plen, const char *name,
                    char *buf, uint32_t cap, uint32_t *len);
/* Iterates the parameters of a ';' list; *at starts at 0.  The value is
 * raw (a quoted one without its quotes, escapes still in). */
bool mime_param_next(const char *p, uint32_t pl, uint32_t *at,
                     const char **name, uint32_t *nl,
                     const char **val, uint32_t *vl, bool *quoted);
bool mime_ieq(const char *a, uint32_t al, const char *b);

/* ---- rendering (mime_render.c) -------------------------------------------
 * Renderers are resumable: they produce the whole text every time but copy
 * only bytes [skip, skip + cap) into dst; the return value is the text's
 * total length (call again with skip += copied until skip == total). */
typedef struct mime_sink {
    uint8_t *dst;
    uint32_t cap, skip, w;
    uint32_t vpos;
} mime_sink_t;

uint32_t mime_render_envelope(const uint8_t *sum, uint32_t len,
                              const mime_part_t *msg, mime_sink_t *o);
/* ext: BODYSTRUCTURE (extension data) rather than BODY. */
uint32_t mime_render_body(const uint8_t *sum, uint32_t len,
                          const mime_part_t *root, bool ext, mime_sink_t *o);
void mime_sink_put(mime_sink_t *o, const void *p, uint32_t n);
void mime_sink_str(mime_sink_t *o, const char *s);
void mime_sink_u32(mime_sink_t *o, uint32_t v);
/* IMAP string: NIL (v NULL), quoted, or literal (CR, LF, 8-bit, long). */
void mime_sink_nstring(mime_sink_t *o, const char *v, uint32_t vl);

/* ---- decoders (mime_decode.c) -------------------------------------------- */

enum { MIME_CTE_7BIT, MIME_CTE_8BIT, MIME_CTE_BINARY, MIME_CTE_B64,
       MIME_CTE_QP, MIME_CTE_UNKNOWN };
int mime_cte_of(const char *v, uint32_t vl);   /* NULL: 7bit */

typedef struct mime_dec {
    uint8_t cte;
    uint8_t n;                       /* pending bits/chars */
    uint32_t acc;
    uint8_t pend[3];                 /* QP: "=X" pending */
} mime_dec_t;
void mime_dec_init(mime_dec_t *d, int cte);
/* Decodes in; writes at most cap bytes to out; *used gets the input bytes
 * consumed.  Returns bytes written. */
uint32_t mime_dec_run(mime_dec_t *d, const uint8_t *in, uint32_t n,
                      uint32_t *used, uint8_t *out, uint32_t cap);

/* RFC 2047 encoded words of a header value decoded to UTF-8 (charsets
 * UTF-8, US-ASCII and ISO-8859-1; others are left encoded).  Returns the
 * output length (at most cap). */
uint32_t mime_2047_decode(const char *in, uint32_t n, char *out,
                          uint32_t cap);

/* ---- UTF-8 simple case folding (mime_fold.c) ----------------------------- */
uint32_t mime_fold_cp(uint32_t cp);
/* Folds UTF-8 text (invalid bytes pass as themselves); returns bytes out. */
uint32_t mime_fold_utf8(const uint8_t *in, uint32_t n, uint8_t *out,
                        uint32_t cap);

/* Substring search across pieces: needle folded; feed folded haystack. */
#define MIME_NEEDLE_MAX 256
typedef struct mime_match {
    const uint8_t *needle;           /* folded (the caller keeps it) */
    uint16_t nlen;
    uint16_t have;                   /* bytes of the needle matched (KMP) */
    bool found;
    uint8_t carry[4];                /* an incomplete UTF-8 char */
    uint8_t ncarry;
    uint16_t fail[MIME_NEEDLE_MAX];
} mime_match_t;
/* n <= MIME_NEEDLE_MAX (else false). */
bool mime_match_init(mime_match_t *m, const uint8_t *folded, uint32_t n);
/* Feeds raw (unfolded) bytes; true when the needle has been found. */
bool mime_match_feed(mime_match_t *m, const uint8_t *in, uint32_t n);

#endif /* MIME_H */
