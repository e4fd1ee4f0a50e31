/*
 * main.c - imapd on lwIP: the core + port/lwip, lwIP running in-process on
 * a libslirp wire.  The same command line and steps as firmware/imapd
 * (imapd_daemon.c, imapd_config.c and imapd_tls.c are shared); --listen
 * ADDR:PORT is the host port forwarded to the server's socket inside lwIP.
 *
 * The network starts after the image and TLS: lwIP, its DHCP lease, the
 * statistics baseline.  At the end every lwIP socket is closed and lwIP's
 * statistics must show nothing left behind: a leak makes the exit code 3.
 */
#include <stdbool.h>
#include <stddef.h>

#include "imapd_daemon.h"
#include "lwport_loop.h"
#include "lwport_stack.h"

static int lwipd_start(char *msg, size_t cap)
{
    if (lwport_stack_start(msg, cap) != 0)
        return -1;
    lwport_stats_baseline();
    return 0;
}

static int lwipd_stop(bool check)
{
    int rc = check ? lwport_stats_check() : 0;
    lwport_stack_stop();
    return rc;
}

static const imapd_net_t imapd_lwip = {
    .name = "lwIP",
    .listen_max = LWPORT_LISTEN_MAX,
    .init = lwport_loop_init,
    .start = lwipd_start,
    .listen = lwport_stack_listen,
    .sock = &lwport_loop_net,
    .stop = lwipd_stop,
};

int main(int argc, char **argv)
{
    return imapd_main(argc, argv, &imapd_lwip);
}
