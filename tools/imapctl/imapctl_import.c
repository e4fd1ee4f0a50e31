/*
 * imapctl_import.c - "imapctl import IMAGE USER MAILBOX FILE": mbox -> store.
 *
 * A message starts after a "From " line at the start of the file or after
 * an empty line; the empty line before the next "From " belongs to the mbox,
 * not the message.  mboxrd (the default) quotes body lines matching
 * /^>*From / with one more '>', which is taken off here; mboxo quotes only
 * "From " and cannot be undone, so its lines are kept.  Lines end in CRLF
 * in the store whatever they ended in.  The From_ line's date becomes the
 * INTERNALDATE; Status:/X-Status: headers become flags.
 *
 * The store wants a message's size before its bytes, so each message is
 * read twice: once to measure, once to stream into the store.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>

#include "imapctl.h"
#include "mime/mime.h"

#define IMPORT_BUF (64u * 1024)      /* bytes handed to the store at a time */
#define IMPORT_COMMIT_EVERY 64       /* messages per commit */

typedef struct import_ctx {
    FILE *f;
    bool mboxrd;
    char *line;                      /* getline buffer */
    size_t line_cap;
    /* measuring pass */
    uint64_t size;
    uint32_t flags;
    /* writing pass */
    store_append_t app;
    uint8_t buf[IMPORT_BUF];
    size_t fill;
    int err;                         /* store error while writing */
    /* the structure summary, made while the message streams to the store */
    mime_parser_t mp;
    uint8_t sum[IMAP_MIME_SUMMARY_MAX];
} import_ctx_t;

typedef void (*import_sink)(import_ctx_t *c, const char *p, size_t n);

static bool is_from_line(const char *l, size_t n)
{
    return n >= 5 && memcmp(l, "From ", 5) == 0;
}

/* ---- From_ line date: "From addr Www Mmm dd hh:mm:ss [zone] yyyy" ------- */

static int month_of(const char *tok)
{
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
        "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    for (int i = 0; i < 12; i++)
        if (!strncasecmp(tok, months[i], 3) && (tok[3] == '\0'))
            return i;
    return -1;
}

/* A zone token "+0100" / "-0530": minutes east of UTC, or false. */
static bool zone_minutes(const char *tok, int *out)
{
    if ((tok[0] != '+' && tok[0] != '-') || strlen(tok) != 5)
        return false;
    for (int i = 1; i < 5; i++)
        if (tok[i] < '0' || tok[i] > '9')
            return false;
    int hh = (tok[1] - '0') * 10 + (tok[2] - '0');
    int mm = (tok[3] - '0') * 10 + (tok[4] - '0');
    if (hh > 23 || mm > 59)
        return false;
    *out = (tok[0] == '-' ? -1 : 1) * (hh * 60 + mm);
    return true;
}

/* Seconds since the epoch (UTC) and the zone shown, or -1 when the line
 * has no usable date.  Without a zone the time is taken as UTC. */
static int64_t from_line_date(const char *line, int16_t *tz_out)
{
    char copy[512];
    char *tok[16];
    int ntok = 0;
    *tz_out = 0;
    snprintf(copy, sizeof(copy), "%s", line + 5);
    for (char *save, *t = strtok_r(copy, " \t\r\n", &save); t && ntok < 16;
         t = strtok_r(NULL, " \t\r\n", &save))
        tok[ntok++] = t;
    for (int i = 1; i + 3 < ntok; i++) {
        int mon = month_of(tok[i]);
        if (mon < 0)
            continue;
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        tm.tm_mon = mon;
        char *end;
        tm.tm_mday = (int)strtol(tok[i + 1], &end, 10);
        if (*end || tm.tm_mday < 1 || tm.tm_mday > 31)
            return -1;
        if (sscanf(tok[i + 2], "%d:%d:%d", &tm.tm_hour, &tm.tm_min,
                   &tm.tm_sec) < 2)
            return -1;
        /* The year comes next, or after a zone ("+0100"). */
        int zone = 0;
        for (int k = i + 3; k < ntok && k <= i + 4; k++) {
            if (zone_minutes(tok[k], &zone))
                continue;
            long y = strtol(tok[k], &end, 10);
            if (*end == '\0' && y >= 1970 && y <= 9999) {
                tm.tm_year = (int)y - 1900;
                *tz_out = (int16_t)zone;
                return (int64_t)timegm(&tm) - (int64_t)zone * 60;
            }
        }
        return -1;
    }
    return -1;
}

/* ---- Flags from Status: and X-Status: headers ---------------------------- */

static uint32_t status_flags(const char *l, size_t n)
{
    uint32_t fl = 0;
    const char *v = NULL;
    bool x = false;
    if (n >= 7 && !strncasecmp(l, "Status:", 7))
        v = l + 7;
    else if (n >= 9 && !strncasecmp(l, "X-Status:", 9))
        v = l + 9, x = true;
    if (!v)
        return 0;
    for (; v < l + n; v++) {
        if (!x && *v == 'R')
            fl |= STORE_F_SEEN;
        if (x && *v == 'A')
            fl |= STORE_F_ANSWERED;
        if (x && *v == 'F')
            fl |= STORE_F_FLAGGED;
        if (x && *v == 'T')
            fl |= STORE_F_DRAFT;
    }
    return fl;
}

/* ---- One message --------------------------------------------------------- */

/* Reads the message at the current file position up to the next From_ line
 * or the end, handing its bytes (unquoted, CRLF) to sink.  *next gets the
 * offset of the next From_ line, or -1 at the end of the file. */
static int walk_message(import_ctx_t *c, import_sink sink, off_t *next)
{
    bool blank_pending = false, in_header = true;
    ssize_t n;

    c->flags = 0;
    for (;;) {
        off_t at = ftello(c->f);
        n = getline(&c->line, &c->line_cap, c->f);
        if (n < 0) {
            if (ferror(c->f))
                return -1;
            *next = -1;
            return 0;              /* the trailing empty line is the mbox's */
        }
        const char *l = c->line;
        size_t len = (size_t)n;
        bool nl = len > 0 && l[len - 1] == '\n';
        if (nl)
            len--;
        if (nl && len > 0 && l[len - 1] == '\r')
            len--;
        if (blank_pending && is_from_line(l, len)) {
            *next = at;
            return 0;
        }
        if (blank_pending)
            sink(c, "\r\n", 2);
        blank_pending = false;
        if (len == 0 && nl) {
            blank_pending = true;  /* message text or separator: see next */
            in_header = false;
            continue;
        }
        if (in_header)
            c->flags |= status_flags(l, len);
        if (c->mboxrd && len >= 6 && l[0] == '>') {
            size_t q = 0;
            while (q < len && l[q] == '>')
                q++;
            if (is_from_line(l + q, len - q)) {
                l++;
                len--;
            }
        }
        sink(c, l, len);
        if (nl)
            sink(c, "\r\n", 2);
    }
}

static void sink_count(import_ctx_t *c, const char *p, size_t n)
{
    (void)p;
    c->size += n;
}

/* Offers the buffer to the store; it takes whole chunks (or the rest). */
static void flush_buf(import_ctx_t *c)
{
    while (c->err == 0 && c->fill > 0) {
        long took = store_append_write(&imapctl_store, &c->app, c->buf, c->fill);
        if (took < 0) {
            c->err = (int)took;
            return;
        }
        if (took == 0)
            return;        /* wants more bytes first */
        memmove(c->buf, c->buf + took, c->fill - (size_t)took);
        c->fill -= (size_t)took;
    }
}

static void sink_store(import_ctx_t *c, const char *p, size_t n)
{
    mime_parse_feed(&c->mp, p, n);
    while (n > 0 && c->err == 0) {
        size_t room = sizeof(c->buf) - c->fill;
        size_t k = n < room ? n : room;
        memcpy(c->buf + c->fill, p, k);
        c->fill += k;
        p += k;
        n -= k;
        if (c->fill == sizeof(c->buf)) {
            flush_buf(c);
            if (c->fill == sizeof(c->buf) && c->err == 0)
                c->err = STORE_EINVAL;   /* a full buffer refused: no progress */
        }
    }
}

/* Measures and stores the message starting at the current position. */
static int import_one(import_ctx_t *c, uint32_t mbox_id, int64_t date,
                      int16_t tz, off_t *next, bool *stored)
{
    off_t start = ftello(c->f);
    c->size = 0;
    *stored = false;
    if (walk_message(c, sink_count, next))
        return imapctl_fail("reading the mbox: %s", strerror(errno));
    if (c->size == 0)
        return 0;          /* nothing between two From_ lines: skip it */
    if (c->size > IMAP_LITERAL_MAX || c->size > UINT32_MAX)
        return imapctl_fail("message at byte %lld is %llu bytes, over the "
                            "limit of %lu", (long long)start,
                            (unsigned long long)c->size,
                            (unsigned long)IMAP_LITERAL_MAX);
    uint32_t flags = c->flags;
    int rc = store_append_begin(&imapctl_store, &c->app, mbox_id,
                                (uint32_t)c->size, flags, 0, date, tz);
    if (rc != STORE_OK)
        return imapctl_fail("storing a message: %s", store_strerror(rc));
    c->fill = 0;
    c->err = 0;
    mime_parse_init(&c->mp, c->sum, sizeof c->sum);
    fseeko(c->f, start, SEEK_SET);
    if (walk_message(c, sink_store, next)) {
        store_append_abort(&imapctl_store, &c->app);
        return imapctl_fail("reading the mbox: %s", strerror(errno));
    }
    flush_buf(c);
    uint32_t uid;
    if (c->err == 0 && c->fill != 0)
        c->err = STORE_EINVAL;
    if (c->err == 0)
        c->err = store_append_finish(&imapctl_store, &c->app, &uid);
    if (c->err == 0) {
        store_msg_t m;
        uint32_t sl = mime_parse_finish(&c->mp);
        if (sl > 0 && store_msg_get(&imapctl_store, mbox_id, uid, &m) == STORE_OK)
            c->err = store_msg_summary_set(&imapctl_store, &m, c->sum, sl);
    } else
        store_append_abort(&imapctl_store, &c->app);
    if (c->err != 0)
        return imapctl_fail("storing a message: %s", store_strerror(c->err));
    *stored = true;
    return 0;
}

static int import_file(import_ctx_t *c, uint32_t mbox_id, const char *file,
                       unsigned long *count)
{
    ssize_t n;
    /* The first non-empty line must be a From_ line. */
    while ((n = getline(&c->line, &c->line_cap, c->f)) > 0 &&
           (c->line[0] == '\n' || !strcmp(c->line, "\r\n")))
        ;
    if (n <= 0)
        return ferror(c->f) ? imapctl_fail("reading %s: %s", file, strerror(errno))
                            : 0;   /* an empty mbox holds no messages */
    if (!is_from_line(c->line, (size_t)n))
        return imapctl_fail("%s is not an mbox file (it does not start "
                            "with a 'From ' line)", file);
    for (;;) {
        int16_t tz;
        int64_t date = from_line_date(c->line, &tz);
        if (date < 0)
            date = (int64_t)time(NULL);
        off_t next;
        bool stored;
        if (import_one(c, mbox_id, date, tz, &next, &stored))
            return 1;
        if (stored && ++*count % IMPORT_COMMIT_EVERY == 0 &&
            imapctl_commit("import"))
            return 1;
        if (next < 0)
            return 0;
        fseeko(c->f, next, SEEK_SET);
        if (getline(&c->line, &c->line_cap, c->f) <= 0)
            return imapctl_fail("reading %s: %s", file, strerror(errno));
    }
}

int imapctl_cmd_import(int argc, char **argv)
{
    const char *pos[4];
    int npos = 0;
    bool mboxrd = true;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format")) {
            if (i + 1 >= argc)
                return imapctl_fail("import: --format needs mboxrd or mboxo");
            const char *v = argv[++i];
            if (!strcmp(v, "mboxrd"))
                mboxrd = true;
            else if (!strcmp(v, "mboxo"))
                mboxrd = false;
            else
                return imapctl_fail("import: unknown format '%s' "
                                    "(mboxrd or mboxo)", v);
        } else if (npos < 4) {
            pos[npos++] = argv[i];
        } else {
            return imapctl_fail("import: unexpected argument '%s'", argv[i]);
        }
    }
    if (npos != 4)
        return imapctl_fail("import: usage: import IMAGE USER MAILBOX FILE "
                            "[--format mboxrd|mboxo]");
    const char *image = pos[0], *user = pos[1], *file = pos[3];
    const char *mbox = imapctl_mbox_name(pos[2]);

    static import_ctx_t ctx;      /* 64 KiB buffer: not on the stack */
    import_ctx_t *c = &ctx;
    memset(c, 0, sizeof(*c));
    c->mboxrd = mboxrd;
    c->f = fopen(file, "rb");
    if (!c->f)
        return imapctl_fail("cannot read %s: %s", file, strerror(errno));
    if (imapctl_open(image)) {
        fclose(c->f);
        return 1;
    }

    store_user_t u;
    store_mbox_t mb;
    unsigned long count = 0;
    int rc = imapctl_user(user, &u);
    if (rc == 0) {
        int src = store_mbox_find(&imapctl_store, u.id, mbox, &mb);
        if (src == STORE_ENOENT)
            src = store_mbox_create(&imapctl_store, u.id, mbox, &mb);
        if (src != STORE_OK)
            rc = imapctl_fail("mailbox '%s': %s", mbox, store_strerror(src));
    }
    if (rc == 0)
        rc = import_file(c, mb.id, file, &count);
    if (rc == 0)
        rc = imapctl_commit("import");
    else
        store_rollback(&imapctl_store);   /* the batch since the last commit */
    fclose(c->f);
    free(c->line);
    int crc = imapctl_close(rc == 0);
    if (rc == 0 && crc == 0)
        printf("imported %lu message%s into %s/%s\n", count,
               count == 1 ? "" : "s", user, mbox);
    return rc ? rc : crc;
}
