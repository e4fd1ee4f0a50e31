/*
 * imapctl_fsck.c - "imapctl fsck IMAGE": mount the image and read all of it.
 *
 * Mounting replays the log; store_check() then verifies the log, the index
 * and every data chunk on flash.  On top of that every user, mailbox and
 * message is visited through the public API (what a client would see) and
 * each message's bytes are read; counts are compared with what the mailbox
 * records say.  Problems go to stdout, one per line; the exit code is 1
 * when there is any.
 */
#include <stdio.h>
#include <string.h>

#include "imapctl.h"

typedef struct fsck_totals {
    unsigned long users, mailboxes, problems;
    unsigned long long messages, bytes;
} fsck_totals_t;

static void problem(fsck_totals_t *t, const char *user, const char *mbox,
                    uint32_t uid, const char *what)
{
    t->problems++;
    printf("problem: %s/%s uid %u: %s\n", user, mbox, uid, what);
}

static void check_message(fsck_totals_t *t, const store_user_t *u,
                          const store_mbox_t *mb, const store_msg_t *m)
{
    static char buf[64 * 1024];
    if (m->hdr_size > m->size)
        problem(t, u->name, mb->name, m->uid, "header larger than message");
    if (m->uid >= mb->uidnext)
        problem(t, u->name, mb->name, m->uid, "uid not below UIDNEXT");
    if (m->modseq > mb->highestmodseq)
        problem(t, u->name, mb->name, m->uid, "modseq above HIGHESTMODSEQ");
    for (uint32_t off = 0; off < m->size;) {
        size_t want = m->size - off < sizeof(buf) ? m->size - off : sizeof(buf);
        long n = store_msg_read(&imapctl_store, m, off, buf, want);
        if (n <= 0) {
            char what[96];
            snprintf(what, sizeof(what), "data unreadable at byte %u: %s", off,
                     n < 0 ? store_strerror((int)n) : "short read");
            problem(t, u->name, mb->name, m->uid, what);
            return;
        }
        off += (uint32_t)n;
    }
    t->bytes += m->size;
}

static int check_mailbox(fsck_totals_t *t, const store_user_t *u,
                         const store_mbox_t *mb)
{
    store_msg_t m;
    uint32_t from = 1, live = 0, unseen = 0;
    int rc;
    while ((rc = store_msg_next(&imapctl_store, mb->id, from, &m)) == STORE_OK) {
        if (m.uid < from)
            problem(t, u->name, mb->name, m.uid, "uids out of order");
        if (m.xmodseq == 0) {
            live++;
            unseen += !(m.flags & STORE_F_SEEN);
            check_message(t, u, mb, &m);
        }
        if (m.uid == UINT32_MAX)
            break;
        from = m.uid + 1;
    }
    if (rc != STORE_OK && rc != STORE_ENOENT)
        return imapctl_fail("reading %s/%s: %s", u->name, mb->name,
                            store_strerror(rc));
    if (live != mb->messages)
        problem(t, u->name, mb->name, 0, "message count differs from index");
    if (unseen != mb->unseen)
        problem(t, u->name, mb->name, 0, "unseen count differs from index");
    t->messages += live;
    return 0;
}

static void check_report(void *ctx, const char *what, uint64_t where)
{
    fsck_totals_t *t = ctx;
    t->problems++;
    printf("problem: %s (at byte %llu)\n", what, (unsigned long long)where);
}

int imapctl_cmd_fsck(int argc, char **argv)
{
    fsck_totals_t t;
    store_user_t u;
    uint64_t ucur = 0;
    int rc;

    if (argc != 2)
        return imapctl_fail("fsck: usage: fsck IMAGE");
    if (imapctl_open(argv[1]))
        return 2;
    memset(&t, 0, sizeof(t));
    rc = store_check(&imapctl_store, check_report, &t);
    if (rc < 0) {
        imapctl_close(false);
        imapctl_fail("checking %s: %s", argv[1], store_strerror(rc));
        return 2;
    }
    while ((rc = store_user_next(&imapctl_store, &ucur, &u)) == STORE_OK) {
        store_mbox_t mb;
        uint64_t mcur = 0;
        t.users++;
        while ((rc = store_mbox_next(&imapctl_store, u.id, &mcur, &mb)) == STORE_OK) {
            t.mailboxes++;
            if (check_mailbox(&t, &u, &mb)) {
                imapctl_close(false);
                return 2;
            }
        }
        if (rc != STORE_ENOENT)
            break;
        rc = STORE_OK;
    }
    if (rc != STORE_OK && rc != STORE_ENOENT) {
        imapctl_close(false);
        imapctl_fail("walking the image: %s", store_strerror(rc));
        return 2;
    }
    store_stat_t st;
    bool recovered = false;
    if (store_get_stat(&imapctl_store, &st) == STORE_OK) {
        printf("%s: %llu of %llu bytes used\n", argv[1],
               (unsigned long long)st.used, (unsigned long long)st.device_size);
        recovered = st.recovered;
        if (recovered)
            printf("%s: repaired: not unmounted cleanly, an unfinished tail "
                   "of the log was dropped\n", argv[1]);
    }
    printf("%s: %lu users, %lu mailboxes, %llu messages, %llu bytes of mail, "
           "%lu problems\n", argv[1], t.users, t.mailboxes, t.messages, t.bytes,
           t.problems);
    if (imapctl_close(true))
        return 2;
    if (t.problems) {
        imapctl_fail("%s has %lu problem%s", argv[1], t.problems,
                     t.problems == 1 ? "" : "s");
        return 2;
    }
    return recovered ? 1 : 0;
}
