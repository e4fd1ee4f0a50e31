/*
 * posix_signal.c - SIGTERM/SIGINT as a flag, SIGPIPE ignored.
 */
#include "posix_signal.h"

#include <errno.h>
#include <string.h>

#include "imap/imap.h"
#include "posix_sys.h"

static volatile sig_atomic_t signal_caught;

static void signal_on_stop(int sig)
{
    signal_caught = sig;
}

int posix_signal_init(sigset_t *wait_mask)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = signal_on_stop;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
        goto fail;
    if (!wait_mask)
        return 0;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    if (sigprocmask(SIG_BLOCK, &block, wait_mask) != 0)
        goto fail;
    sigdelset(wait_mask, SIGTERM);
    sigdelset(wait_mask, SIGINT);
    return 0;
fail:
    posix_logf(IMAP_LOG_ERR, "signals: %s", strerror(errno));
    return -1;
}

int posix_signal_caught(void)
{
    return (int)signal_caught;
}
