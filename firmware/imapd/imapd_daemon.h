/*
 * imapd_daemon.h - the host daemons' main, one piece for firmware/imapd
 * (the kernel's sockets) and firmware/imapd-lwip (lwIP's): command line,
 * image, TLS, listeners and their announcement, the server, the loop, the
 * unmount.  What differs between the two comes in an imapd_net_t.
 */
#ifndef IMAPD_DAEMON_H
#define IMAPD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "port_loop.h"

typedef struct imapd_net {
    const char *name;       /* the network, in "at most N on <name>" */
    size_t listen_max;      /* listeners it serves at most */
    /* First of all (signals): 0, or -1 after logging. */
    int (*init)(void);
    /* After the image and TLS, before listening: brings the network up;
     * 0, or -1 with a reason in msg.  NULL: nothing to start. */
    int (*start)(char *msg, size_t cap);
    /* A listening socket on addr, its bound address in msg; or -1 with a
     * reason in msg. */
    int (*listen)(const char *addr, char *msg, size_t cap);
    /* The sockets the shared loop (port_loop_run) serves them with. */
    const port_net_t *sock;
    /* After every socket is closed: takes the network down; with check,
     * returns non-zero if it shows something left behind (exit code 3).
     * NULL: nothing to stop. */
    int (*stop)(bool check);
} imapd_net_t;

/* The whole daemon; returns main()'s exit code: 0, 1 (failure), 2 (bad
 * command line), 3 (the network's check failed). */
int imapd_main(int argc, char **argv, const imapd_net_t *net);

#endif
