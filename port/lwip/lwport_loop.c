/*
 * lwport_loop.c - the shared loop (port/common/port_loop.c) on lwIP's
 * socket API: port/common/port_sock.h compiled against it, lwip_accept of
 * sockets made non-blocking, and lwip_poll() as the wait.
 *
 * lwip_poll() cannot be interrupted by a signal, so the wait is capped at
 * LOOP_SIGNAL_CHECK_MS and the stop flag is checked each round.  A full
 * lwIP send buffer (or an empty heap) is EWOULDBLOCK: back-pressure, as on
 * Linux.  An exhausted PCB pool refuses connections inside lwIP itself.
 */
#include "lwport_loop.h"

#include <stdio.h>

#include "lwip/sockets.h"

#include "posix_signal.h"
#include "posix_sys.h"

#define LOOP_SIGNAL_CHECK_MS 100     /* longest wait: the stop flag is seen */

_Static_assert(LWPORT_LISTEN_MAX <= PORT_LISTEN_MAX, "listener table");


static void peer_str(const struct sockaddr_in *sa, char *buf, size_t cap)
{
    char ip[IP4ADDR_STRLEN_MAX];
    ip4_addr_t a;
    inet_addr_to_ip4addr(&a, &sa->sin_addr);
    ip4addr_ntoa_r(&a, ip, sizeof(ip));
    snprintf(buf, cap, "%s:%u", ip, (unsigned)lwip_ntohs(sa->sin_port));
}

static int sock_accept(int lfd, char *peer)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = lwip_accept(lfd, (struct sockaddr *)&sa, &len);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
            errno != ECONNABORTED)
            posix_logf(IMAP_LOG_WARN, "accept: lwIP error %d", errno);
        return PORT_IO_AGAIN;     /* no pause: the next round tries again */
    }
    peer_str(&sa, peer, PORT_PEER_STR);
    int on = 1;
    lwip_ioctl(fd, FIONBIO, &on);
    lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return fd;
}

/* lwIP leaves revents alone on a timeout: port_sock.h reads them only
 * when some are ready. */
static int sock_poll(struct pollfd *pfds, size_t n, uint64_t ms)
{
    if (ms > LOOP_SIGNAL_CHECK_MS)
        ms = LOOP_SIGNAL_CHECK_MS;
    int rc = lwip_poll(pfds, (nfds_t)n, (int)ms);
    if (rc < 0 && errno == EINTR)
        return PORT_IO_AGAIN;
    if (rc < 0) {
        posix_logf(IMAP_LOG_ERR, "lwip_poll: error %d", errno);
        return PORT_IO_ERR;
    }
    return rc;
}

#define PORT_SOCK_NET lwport_loop_net
#define PORT_SOCK(f) lwip_##f
#define PORT_SOCK_SEND_FLAGS MSG_DONTWAIT
#include "port_sock.h"   /* the rest of port_net_t */

int lwport_loop_init(void)
{
    /* Nothing blocked: lwip_poll() has no ppoll(); SIGPIPE is ignored
     * because libslirp writes to host sockets. */
    return posix_signal_init(NULL);
}
