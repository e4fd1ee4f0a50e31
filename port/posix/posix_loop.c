/*
 * posix_loop.c - the shared loop (port/common/port_loop.c) on the kernel's
 * sockets: port/common/port_sock.h compiled against them, accept4() of
 * non-blocking sockets, and ppoll() as the wait.
 *
 * SIGTERM/SIGINT are blocked except inside ppoll(), so a signal can never
 * slip in between the flag check and the wait.
 */
#include "posix_loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "posix_net.h"
#include "posix_signal.h"
#include "posix_sys.h"

_Static_assert(POSIX_LISTEN_MAX <= PORT_LISTEN_MAX, "listener table");
_Static_assert(POSIX_ADDR_STR <= PORT_PEER_STR, "peer address");

static sigset_t loop_wait_mask;    /* the mask inside ppoll(): signals open */

static int sock_accept(int lfd, char *peer)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int fd = accept4(lfd, (struct sockaddr *)&ss, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            posix_addr_str((struct sockaddr *)&ss, peer, PORT_PEER_STR);
            return fd;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return PORT_IO_AGAIN;
        posix_logf(IMAP_LOG_WARN, "accept: %s", strerror(errno));
        return PORT_IO_PAUSE;    /* EMFILE and friends */
    }
}

static int sock_poll(struct pollfd *pfds, size_t n, uint64_t ms)
{
    struct timespec ts, *tsp = NULL;
    if (ms != UINT64_MAX) {
        ts.tv_sec = (time_t)(ms / 1000);
        ts.tv_nsec = (long)(ms % 1000) * 1000000L;
        tsp = &ts;
    }
    int rc = ppoll(pfds, (nfds_t)n, tsp, &loop_wait_mask);
    if (rc < 0 && errno == EINTR)
        return PORT_IO_AGAIN;       /* a signal: the loop looks at it */
    if (rc < 0) {
        posix_logf(IMAP_LOG_ERR, "poll: %s", strerror(errno));
        return PORT_IO_ERR;
    }
    return rc;
}

#define PORT_SOCK_NET posix_loop_net
#define PORT_SOCK(f) f
#define PORT_SOCK_SEND_FLAGS (MSG_NOSIGNAL | MSG_DONTWAIT)
#include "port_sock.h"   /* the rest of port_net_t */

int posix_loop_init(void)
{
    return posix_signal_init(&loop_wait_mask);
}
