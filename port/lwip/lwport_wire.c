/*
 * lwport_wire.c - libslirp as lwIP's Ethernet peer, in a thread of its own.
 *
 * libslirp is not thread-safe: every call into it holds wire_lock.  The
 * wire thread sleeps in poll() on slirp's host sockets and an eventfd
 * (woken by wire_tx, slirp's notify and wire_stop), then lets slirp handle
 * what is ready; frames slirp emits go to lwIP through the rx callback,
 * which only queues them (tcpip_input), so no lock is ever taken the other
 * way round.
 */
#define _GNU_SOURCE
#include "lwport_wire.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libslirp.h>

#include "imap/imap.h"

#include "posix_net.h"
#include "posix_sys.h"

#define WIRE_POLL_MAX 512        /* host sockets slirp may have open */
#define WIRE_TIMERS 4            /* slirp asks for one (IPv6 RA) at most */
#define WIRE_MAX_WAIT_MS 1000
#define WIRE_BACKLOG 64

typedef struct wire_timer {
    bool used;
    int64_t expire_ms;           /* -1: not armed */
    SlirpTimerCb cb;
    void *cb_opaque;
} wire_timer_t;

static Slirp *wire_slirp;
static pthread_mutex_t wire_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t wire_thread;
static int wire_event_fd = -1;
static volatile bool wire_stopping;
static wire_rx_fn wire_rx;
static void *wire_rx_ctx;
static wire_timer_t wire_timers[WIRE_TIMERS];
static struct pollfd wire_pfds[WIRE_POLL_MAX];
static nfds_t wire_npfds;

/* $IMAPD_WIRE_PCAP names a file that gets every frame in pcap format
 * (read it with tcpdump -r or Wireshark): the wire's packet capture. */
static FILE *wire_pcap;

static void pcap_open(void)
{
    const char *path = getenv("IMAPD_WIRE_PCAP");
    if (path == NULL || *path == '\0')
        return;
    wire_pcap = fopen(path, "wb");
    if (wire_pcap == NULL)
        return;
    const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
    fwrite(hdr, sizeof(hdr), 1, wire_pcap);
}

static void pcap_frame(const void *frame, size_t len)
{
    if (wire_pcap == NULL)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint32_t rec[4] = { (uint32_t)ts.tv_sec, (uint32_t)(ts.tv_nsec / 1000),
                        (uint32_t)len, (uint32_t)len };
    fwrite(rec, sizeof(rec), 1, wire_pcap);
    fwrite(frame, 1, len, wire_pcap);
    fflush(wire_pcap);
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void wire_kick(void)
{
    uint64_t one = 1;
    (void)!write(wire_event_fd, &one, sizeof(one));
}

/* ---- slirp's callbacks (wire_lock held) ------------------------------------ */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    (void)opaque;
    pcap_frame(buf, len);
    wire_rx((const uint8_t *)buf, len, wire_rx_ctx);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    (void)opaque;
    posix_logf(IMAP_LOG_WARN, "slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return mono_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    (void)opaque;
    for (int i = 0; i < WIRE_TIMERS; i++)
        if (!wire_timers[i].used) {
            wire_timers[i] = (wire_timer_t){ true, -1, cb, cb_opaque };
            return &wire_timers[i];
        }
    posix_logf(IMAP_LOG_ERR, "slirp: out of timers");
    abort();
}

static void cb_timer_free(void *timer, void *opaque)
{
    (void)opaque;
    ((wire_timer_t *)timer)->used = false;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    ((wire_timer_t *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;
}

static void cb_notify(void *opaque)
{
    (void)opaque;
    wire_kick();
}

static const SlirpCb wire_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_register_poll_fd,
    .notify = cb_notify,
};

static int cb_add_poll(int fd, int events, void *opaque)
{
    (void)opaque;
    if (wire_npfds == WIRE_POLL_MAX)
        return -1;
    short ev = 0;
    if (events & SLIRP_POLL_IN)
        ev |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        ev |= POLLPRI;
    wire_pfds[wire_npfds] = (struct pollfd){ fd, ev, 0 };
    return (int)wire_npfds++;
}

static int cb_get_revents(int idx, void *opaque)
{
    (void)opaque;
    if (idx < 0 || (nfds_t)idx >= wire_npfds)
        return 0;
    short re = wire_pfds[idx].revents;
    int out = 0;
    if (re & POLLIN)
        out |= SLIRP_POLL_IN;
    if (re & POLLOUT)
        out |= SLIRP_POLL_OUT;
    if (re & POLLPRI)
        out |= SLIRP_POLL_PRI;
    if (re & POLLERR)
        out |= SLIRP_POLL_ERR;
    if (re & POLLHUP)
        out |= SLIRP_POLL_HUP;
    return out;
}

/* ---- the wire thread --------------------------------------------------------- */

static void *wire_main(void *arg)
{
    (void)arg;
    while (!wire_stopping) {
        uint32_t timeout = WIRE_MAX_WAIT_MS;
        int64_t now_ms = mono_ns() / 1000000;

        pthread_mutex_lock(&wire_lock);
        for (int i = 0; i < WIRE_TIMERS; i++) {
            wire_timer_t *t = &wire_timers[i];
            if (t->used && t->expire_ms >= 0) {
                int64_t left = t->expire_ms - now_ms;
                if (left < (int64_t)timeout)
                    timeout = left > 0 ? (uint32_t)left : 0;
            }
        }
        wire_npfds = 0;
        wire_pfds[wire_npfds++] = (struct pollfd){ wire_event_fd, POLLIN, 0 };
        slirp_pollfds_fill(wire_slirp, &timeout, cb_add_poll, NULL);
        pthread_mutex_unlock(&wire_lock);

        int rc = poll(wire_pfds, wire_npfds, (int)timeout);
        if (rc > 0 && (wire_pfds[0].revents & POLLIN)) {
            uint64_t v;
            (void)!read(wire_event_fd, &v, sizeof(v));
        }

        pthread_mutex_lock(&wire_lock);
        slirp_pollfds_poll(wire_slirp, rc < 0, cb_get_revents, NULL);
        now_ms = mono_ns() / 1000000;
        for (int i = 0; i < WIRE_TIMERS; i++) {
            wire_timer_t *t = &wire_timers[i];
            if (t->used && t->expire_ms >= 0 && t->expire_ms <= now_ms) {
                t->expire_ms = -1;
                t->cb(t->cb_opaque);
            }
        }
        pthread_mutex_unlock(&wire_lock);
    }
    return NULL;
}

int wire_start(wire_rx_fn rx, void *ctx, char *err, size_t cap)
{
    SlirpConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.version = 4;
    cfg.restricted = 1;          /* lwIP reaches nothing but the forwards */
    cfg.in_enabled = true;
    inet_pton(AF_INET, WIRE_NET, &cfg.vnetwork);
    inet_pton(AF_INET, "255.255.255.0", &cfg.vnetmask);
    inet_pton(AF_INET, WIRE_GATEWAY, &cfg.vhost);
    inet_pton(AF_INET, WIRE_GUEST_IP, &cfg.vdhcp_start);
    inet_pton(AF_INET, "10.0.2.3", &cfg.vnameserver);
    cfg.disable_dns = true;

    wire_rx = rx;
    wire_rx_ctx = ctx;
    pcap_open();
    wire_event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wire_event_fd < 0) {
        snprintf(err, cap, "eventfd: %s", strerror(errno));
        return -1;
    }
    wire_slirp = slirp_new(&cfg, &wire_callbacks, NULL);
    if (wire_slirp == NULL) {
        snprintf(err, cap, "slirp_new failed");
        return -1;
    }
    /* The wire thread takes no signals: the application thread handles
     * SIGTERM and SIGINT. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&wire_thread, NULL, wire_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, cap, "wire thread: %s", strerror(rc));
        return -1;
    }
    return 0;
}

void wire_tx(const uint8_t *frame, size_t len)
{
    pthread_mutex_lock(&wire_lock);
    pcap_frame(frame, len);
    slirp_input(wire_slirp, frame, (int)len);
    pthread_mutex_unlock(&wire_lock);
    wire_kick();     /* slirp's timers and poll set may have changed */
}

/* The host socket slirp opened for the forward to guest_port: its fd is in
 * slirp's connection table (the API has no other way to learn a port 0). */
static int forward_fd(uint16_t guest_port)
{
    char *info = slirp_connection_info(wire_slirp);
    int fd = -1;
    for (char *line = info; line && *line; ) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        int f, sport, dport;
        char src[64], dst[64];
        if (strstr(line, "TCP[HOST_FORWARD]") &&
            sscanf(strstr(line, "]") + 1, "%d %63s %d %63s %d",
                   &f, src, &sport, dst, &dport) == 5 &&
            dport == guest_port && strcmp(dst, WIRE_GUEST_IP) == 0)
            fd = f;
        line = nl ? nl + 1 : NULL;
    }
    free(info);
    return fd;
}

int wire_forward(const char *spec, uint16_t guest_port, char *name, size_t cap)
{
    struct sockaddr_storage host;
    struct sockaddr_in guest;
    socklen_t hlen;

    if (posix_parse_addr(spec, &host, &hlen, name, cap) != 0)
        return -1;
    /* libslirp 4.7 does not relay an IPv6 host socket to an IPv4 guest */
    if (host.ss_family != AF_INET) {
        snprintf(name, cap, "cannot listen on %s: the lwIP build forwards "
                 "IPv4 host addresses only", spec);
        return -1;
    }
    memset(&guest, 0, sizeof(guest));
    guest.sin_family = AF_INET;
    guest.sin_port = htons(guest_port);
    inet_pton(AF_INET, WIRE_GUEST_IP, &guest.sin_addr);

    pthread_mutex_lock(&wire_lock);
    int rc = slirp_add_hostxfwd(wire_slirp, (struct sockaddr *)&host, hlen,
                                (struct sockaddr *)&guest, sizeof(guest), 0);
    int fd = rc == 0 ? forward_fd(guest_port) : -1;
    pthread_mutex_unlock(&wire_lock);
    if (rc != 0) {
        snprintf(name, cap, "cannot listen on %s: %s", spec, strerror(errno));
        return -1;
    }
    hlen = sizeof(host);
    if (fd >= 0) {
        getsockname(fd, (struct sockaddr *)&host, &hlen);
        /* slirp listens with a backlog of 1: a burst of connections
         * overflows the kernel's queue and clients wait for SYN-ACK
         * resends (seconds, a minute).  Listening again sets the
         * backlog the POSIX daemon uses. */
        listen(fd, WIRE_BACKLOG);
    }
    posix_addr_str((struct sockaddr *)&host, name, cap);
    wire_kick();
    return 0;
}

int wire_spec_port(const char *spec, char *err, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (posix_parse_addr(spec, &ss, &len, err, cap) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

void wire_stop(void)
{
    if (wire_slirp == NULL)
        return;
    wire_stopping = true;
    wire_kick();
    pthread_join(wire_thread, NULL);
    slirp_cleanup(wire_slirp);
    wire_slirp = NULL;
    close(wire_event_fd);
    wire_event_fd = -1;
}
