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
 *   mount        how long the mount took and how many bytes it read
 *                (checkpoint, then the log written since)
 * then one line per mailbox: user/name, messages, unseen, UIDNEXT.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flash_file.h"
#include "imapctl.h"

/* stat opens the image itself, to time the mount and count what it read */
static flash_file_t stat_flash;

static void kib(const char *what, uint64_t v)
{
    printf("%-13s %llu KiB\n", what, (unsigned long long)(v / 1024));
}

int imapctl_cmd_stat(int argc, char **argv)
{
    if (argc != 2)
        return imapctl_fail("stat: usage: stat IMAGE");
    if (flash_file_open(&stat_flash, argv[1]) != FLASH_OK)
        return imapctl_fail("cannot open %s", argv[1]);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int mrc = store_mount(&imapctl_store, &stat_flash.dev);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    flash_sim_stats_t ms = stat_flash.sim.stats;
    if (mrc != STORE_OK) {
        flash_file_close(&stat_flash);
        return imapctl_fail("cannot mount %s: %s", argv[1], store_strerror(mrc));
    }
    store_stat_t s;
    store_wear_t w;
    int rc = store_get_stat(&imapctl_store, &s);
    if (rc == STORE_OK)
        rc = store_get_wear(&imapctl_store, &w);
    if (rc != STORE_OK) {
        store_unmount(&imapctl_store);
        flash_file_close(&stat_flash);
        return imapctl_fail("stat %s: %s", argv[1], store_strerror(rc));
    }
    printf("%-13s %.1f ms, %llu bytes read in %llu reads\n", "mount",
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
           (unsigned long long)ms.read_bytes, (unsigned long long)ms.reads);
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
    int urc = store_unmount(&imapctl_store);
    flash_file_close(&stat_flash);
    if (rc != STORE_ENOENT)
        return imapctl_fail("stat %s: %s", argv[1], store_strerror(rc));
    if (urc != STORE_OK)
        return imapctl_fail("stat %s: unmount: %s", argv[1], store_strerror(urc));
    return 0;
}
