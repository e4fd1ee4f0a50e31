/*
 * imapctl_stat.c - "imapctl stat IMAGE": what the store holds and how
 * worn the flash is.
 *
 *   used         log bytes between the ring's tail and head
 *   free         what the head may still write
 *   reclaimable  used minus the live estimate (what compaction frees)
 *   reserve      kept for compaction, EXPUNGE, DELETE, STORE
 *   erase counts min / mean / max over the ring's blocks (their BLOCK
 *                records; blocks inside message data carry none)
 * then one line per mailbox: user/name, messages, unseen, UIDNEXT.
 */
#include <stdio.h>
#include <string.h>

#include "imapctl.h"

static void kib(const char *what, uint64_t v)
{
    printf("%-13s %llu KiB\n", what, (unsigned long long)(v / 1024));
}

int imapctl_cmd_stat(int argc, char **argv)
{
    if (argc != 2)
        return imapctl_fail("stat: usage: stat IMAGE");
    if (imapctl_open(argv[1]))
        return 1;
    store_stat_t s;
    store_wear_t w;
    int rc = store_get_stat(&imapctl_store, &s);
    if (rc == STORE_OK)
        rc = store_get_wear(&imapctl_store, &w);
    if (rc != STORE_OK) {
        imapctl_close(false);
        return imapctl_fail("stat %s: %s", argv[1], store_strerror(rc));
    }
    kib("device", s.device_size);
    kib("ring", s.ring);
    kib("used", s.used);
    kib("free", s.free);
    kib("live", s.live);
    kib("reclaimable", s.used - s.live);
    kib("reserve", s.reserve);
    printf("%-13s %s\n", "compaction", s.compacting ? "pass under way" : "idle");
    if (w.blocks)
        printf("%-13s min %u mean %.1f max %u (%llu blocks)\n", "erase counts",
               w.min, (double)w.sum / (double)w.blocks, w.max,
               (unsigned long long)w.blocks);
    printf("%-13s %u users, %u mailboxes, %llu messages\n", "contents",
           s.users, s.mailboxes, (unsigned long long)s.messages);
    store_user_t u;
    uint64_t uc = 0;
    while ((rc = store_user_next(&imapctl_store, &uc, &u)) == STORE_OK) {
        store_mbox_t mb;
        uint64_t mc = 0;
        while ((rc = store_mbox_next(&imapctl_store, u.id, &mc, &mb)) == STORE_OK)
            printf("  %s/%s: %u messages, %u unseen, uidnext %u\n", u.name,
                   mb.name, mb.messages, mb.unseen, mb.uidnext);
        if (rc != STORE_ENOENT)
            break;
    }
    if (rc != STORE_ENOENT) {
        imapctl_close(false);
        return imapctl_fail("stat %s: %s", argv[1], store_strerror(rc));
    }
    return imapctl_close(true);
}
