/*
 * imap_maintain.c - the store's idle-time work, driven by the port.
 *
 * Compaction runs in bounded steps (store_maintain); the port calls
 * imap_server_maintain() when its loop is idle, and again while it says
 * more work remains.  The store also runs steps after commits when space
 * runs short, so a server that is never idle still stays within its space.
 * The start and the end of each pass are logged (INFO), whichever call
 * ran them: the operator of a filling store sees how often passes run and
 * what they give back.
 */
#include <string.h>

#include "imap/imap_int.h"

static void log_pass(imap_server_t *srv, const char *what,
                     const store_stat_t *st)
{
    char t[120];
    imap_sb_t b = { t, sizeof t, 0 };
    imap_sb_str(&b, "compaction pass ");
    imap_sb_str(&b, what);
    imap_sb_str(&b, ": ");
    imap_sb_u64(&b, st->used / 1024);
    imap_sb_str(&b, " KiB used of ");
    imap_sb_u64(&b, st->ring / 1024);
    imap_sb_str(&b, ", ");
    imap_sb_u64(&b, st->live / 1024);
    imap_sb_str(&b, " KiB live");
    srv->cfg.log(srv->cfg.log_ctx, IMAP_LOG_INFO, t);
}

void imap_server_watch_store(imap_server_t *srv)
{
    store_stat_t st;
    if (srv->cfg.log == NULL || srv->store == NULL ||
        store_get_stat(srv->store, &st) != STORE_OK ||
        (st.compacting == srv->gc_running && st.passes == srv->gc_passes))
        return;
    if (st.passes != srv->gc_passes)
        log_pass(srv, "ended", &st);
    if (st.compacting)
        log_pass(srv, "started", &st);
    srv->gc_running = st.compacting;
    srv->gc_passes = st.passes;
}

int imap_server_maintain(imap_server_t *srv, unsigned budget)
{
    if (srv == NULL || srv->store == NULL)
        return 0;
    int rc = store_maintain(srv->store, budget);
    if (rc < 0 && rc != STORE_ENOTMOUNTED && srv->cfg.log != NULL &&
        !srv->maint_err) {
        char msg[80] = "store maintenance: ";
        size_t n = strlen(msg);
        const char *e = store_strerror(rc);
        while (*e && n + 1 < sizeof msg)
            msg[n++] = *e++;
        msg[n] = 0;
        srv->cfg.log(srv->cfg.log_ctx, IMAP_LOG_ERR, msg);
    }
    srv->maint_err = rc < 0;  /* one line per failure, not per call */
    imap_server_watch_store(srv);
    return rc > 0 ? 1 : 0;
}
