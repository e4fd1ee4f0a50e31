/*
 * imapctl_ls.c - "imapctl ls IMAGE [USER [MAILBOX]]": users, mailboxes with
 * counts, or messages with uid, flags, size, date and subject.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "imapctl.h"

#define LS_HDR_SCAN_MAX (64u * 1024)   /* header bytes searched for Subject */

static int ls_users(void)
{
    store_user_t u;
    uint64_t cur = 0;
    int rc;
    while ((rc = store_user_next(&imapctl_store, &cur, &u)) == STORE_OK) {
        store_mbox_t mb;
        uint64_t mcur = 0;
        unsigned boxes = 0;
        unsigned long long msgs = 0;
        while (store_mbox_next(&imapctl_store, u.id, &mcur, &mb) == STORE_OK) {
            boxes++;
            msgs += mb.messages;
        }
        printf("%-24s %u mailbox%s, %llu message%s\n", u.name, boxes,
               boxes == 1 ? "" : "es", msgs, msgs == 1 ? "" : "s");
    }
    if (rc != STORE_ENOENT)
        return imapctl_fail("listing users: %s", store_strerror(rc));
    return 0;
}

static int ls_mailboxes(const char *user)
{
    store_user_t u;
    store_mbox_t mb;
    uint64_t cur = 0;
    int rc;
    if (imapctl_user(user, &u))
        return 1;
    printf("%-32s %8s %8s %8s %10s %10s\n", "MAILBOX", "MESSAGES", "UNSEEN",
           "RECENT", "UIDNEXT", "UIDVALIDITY");
    while ((rc = store_mbox_next(&imapctl_store, u.id, &cur, &mb)) == STORE_OK)
        printf("%-32s %8u %8u %8u %10u %10u\n", mb.name, mb.messages,
               mb.unseen, mb.recent, mb.uidnext, mb.uidvalidity);
    if (rc != STORE_ENOENT)
        return imapctl_fail("listing mailboxes of %s: %s", user,
                            store_strerror(rc));
    return 0;
}

/* The (unfolded, truncated) Subject header of a message, or "". */
static void msg_subject(const store_msg_t *m, char *out, size_t cap)
{
    char buf[4096];
    size_t o = 0;
    int in_subject = 0;      /* 1: copying Subject (and its folded lines) */
    int bol = 1;             /* at the beginning of a line */
    uint32_t limit = m->hdr_size < LS_HDR_SCAN_MAX ? m->hdr_size : LS_HDR_SCAN_MAX;
    char field[9];
    size_t flen = 0;

    out[0] = '\0';
    for (uint32_t off = 0; off < limit;) {
        size_t want = limit - off < sizeof(buf) ? limit - off : sizeof(buf);
        long n = store_msg_read(&imapctl_store, m, off, buf, want);
        if (n <= 0)
            break;
        for (long i = 0; i < n; i++) {
            char c = buf[i];
            if (bol) {
                bol = 0;
                if (in_subject && c != ' ' && c != '\t')
                    goto done;          /* the next field starts */
                if (!in_subject)
                    flen = 0;
            }
            if (c == '\n') {
                bol = 1;
                continue;
            }
            if (c == '\r')
                continue;
            if (in_subject) {
                if (c == '\t')
                    c = ' ';
                if (o + 1 < cap && (o > 0 || c != ' ') && isprint((unsigned char)c))
                    out[o++] = c;
                continue;
            }
            if (flen < sizeof(field)) {
                field[flen++] = c;
                if (flen == 8 && !strncasecmp(field, "subject:", 8))
                    in_subject = 1;
            }
        }
        off += (uint32_t)n;
    }
done:
    out[o] = '\0';
}

static void msg_flags(uint32_t mbox_id, const store_msg_t *m, char *out,
                      size_t cap)
{
    static const struct { uint32_t bit; const char *name; } sys[] = {
        { STORE_F_SEEN, "\\Seen" }, { STORE_F_ANSWERED, "\\Answered" },
        { STORE_F_FLAGGED, "\\Flagged" }, { STORE_F_DELETED, "\\Deleted" },
        { STORE_F_DRAFT, "\\Draft" },
    };
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
        if (m->flags & sys[i].bit)
            o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s",
                                  o ? " " : "", sys[i].name);
    for (unsigned k = 0; k < 64 && o < cap; k++) {
        char kw[IMAP_KEYWORD_LEN_MAX + 1];
        if (!(m->keywords & (1ull << k)) ||
            store_keyword_name(&imapctl_store, mbox_id, k, kw, sizeof(kw)) < 0)
            continue;
        o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, "%s%s",
                              o ? " " : "", kw);
    }
    if (o == 0)
        snprintf(out, cap, "-");
}

static int ls_messages(const char *user, const char *name)
{
    store_user_t u;
    store_mbox_t mb;
    store_msg_t m;
    int rc;
    if (imapctl_user(user, &u))
        return 1;
    name = imapctl_mbox_name(name);
    rc = store_mbox_find(&imapctl_store, u.id, name, &mb);
    if (rc == STORE_ENOENT)
        return imapctl_fail("user %s has no mailbox '%s'", user, name);
    if (rc != STORE_OK)
        return imapctl_fail("mailbox '%s': %s", name, store_strerror(rc));
    printf("%8s  %-24s %10s  %-25s %s\n", "UID", "FLAGS", "SIZE", "DATE",
           "SUBJECT");
    uint32_t from = 1;
    while ((rc = store_msg_next(&imapctl_store, mb.id, from, &m)) == STORE_OK) {
        char flags[256], date[40], subject[80];
        from = m.uid + 1;
        if (m.xmodseq != 0) {      /* expunged, not yet forgotten */
            if (m.uid == UINT32_MAX)
                break;
            continue;
        }
        time_t t = (time_t)(m.internaldate + (int64_t)m.tz_minutes * 60);
        struct tm tm;
        gmtime_r(&t, &tm);
        int tz = m.tz_minutes < 0 ? -m.tz_minutes : m.tz_minutes;
        size_t dl = strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(date + dl, sizeof(date) - dl, " %c%02d%02d",
                 m.tz_minutes < 0 ? '-' : '+', tz / 60, tz % 60);
        msg_flags(mb.id, &m, flags, sizeof(flags));
        msg_subject(&m, subject, sizeof(subject));
        printf("%8u  %-24s %10u  %-25s %s\n", m.uid, flags, m.size, date,
               subject);
        if (m.uid == UINT32_MAX)
            break;
    }
    if (rc != STORE_OK && rc != STORE_ENOENT)
        return imapctl_fail("listing %s: %s", name, store_strerror(rc));
    return 0;
}

int imapctl_cmd_ls(int argc, char **argv)
{
    if (argc < 2 || argc > 4)
        return imapctl_fail("ls: usage: ls IMAGE [USER [MAILBOX]]");
    if (imapctl_open(argv[1]))
        return 1;
    int rc = argc == 2 ? ls_users()
           : argc == 3 ? ls_mailboxes(argv[2])
                       : ls_messages(argv[2], argv[3]);
    /* ls changes nothing; still unmount cleanly (mount may checkpoint). */
    int crc = imapctl_close(rc == 0);
    return rc ? rc : crc;
}
