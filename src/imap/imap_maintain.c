/*
 * imap_maintain.c - the store's idle-time work, driven by the port.
 *
 * Compaction runs in bounded steps (store_maintain); the port calls
 * imap_server_maintain() when its loop is idle, and again while it says
 * more work remains.  The store also runs steps after commits when space
 * runs short, so a server that is never idle still stays within its space.
 */
#include <string.h>

#include "imap/imap_int.h"

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
    return rc > 0 ? 1 : 0;
}
