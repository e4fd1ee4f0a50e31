/*
 * main.c - imapd, the host daemon: core + POSIX port.
 *
 * Opens the flash image, mounts the store, listens, and hands everything to
 * the poll loop until SIGTERM/SIGINT; then unmounts so the image is
 * consistent.  The steps are imapd_daemon.c's, shared with the lwIP
 * daemon; here are the kernel's sockets they run on.
 */
#include "imapd_daemon.h"
#include "posix_loop.h"
#include "posix_net.h"

static const imapd_net_t imapd_posix = {
    .name = "POSIX",
    .listen_max = POSIX_LISTEN_MAX,
    .init = posix_loop_init,
    .listen = posix_listen,
    .sock = &posix_loop_net,
};

int main(int argc, char **argv)
{
    return imapd_main(argc, argv, &imapd_posix);
}
