/*
 * posix_signal.h - the daemons' stop signals: SIGTERM and SIGINT set a
 * flag the loop reads, SIGPIPE is ignored (a peer gone mid-send is an
 * error return, not a death).  Used by port/posix and port/lwip.
 */
#ifndef POSIX_SIGNAL_H
#define POSIX_SIGNAL_H

#include <signal.h>

/* Installs the handlers.  With wait_mask, SIGTERM/SIGINT are also blocked
 * and *wait_mask gets the mask that opens them again, for ppoll(): then a
 * signal can never slip in between the flag check and the wait.  0, or -1
 * (logged). */
int posix_signal_init(sigset_t *wait_mask);

/* The stop signal caught so far, or 0. */
int posix_signal_caught(void);

#endif
