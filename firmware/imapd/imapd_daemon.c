/*
 * imapd_daemon.c - the host daemons' main (see imapd_daemon.h).
 *
 * Order matters: signals first (lwIP's threads start with them blocked),
 * then the image, TLS, the network, the listeners (plain, then implicit
 * TLS), the loop.  All large state is static: what the build report shows
 * is what the daemon uses.
 */
#include "imapd_daemon.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "flash_file.h"
#include "imapd_config.h"
#include "imapd_tls.h"
#include "port_loop.h"
#include "posix_sys.h"
#include "store/store.h"
#include "tls/tls.h"

#define DAEMON_MSG 256      /* a bound address or a reason */

static flash_file_t imapd_flash;
static store_t imapd_store;
static imap_server_t imapd_server;
static int imapd_log_level;

static int open_image(const char *path)
{
    int rc = flash_file_open(&imapd_flash, path);
    if (rc == FLASH_EINVAL) {
        fprintf(stderr, "imapd: %s is not an imapd image (make one with "
                        "'imapctl format')\n", path);
        return -1;
    }
    if (rc != FLASH_OK) {
        if (errno == EBUSY)
            fprintf(stderr, "imapd: %s is in use by another process\n", path);
        else
            fprintf(stderr, "imapd: cannot open image %s: %s\n", path,
                    strerror(errno));
        return -1;
    }
    rc = store_mount(&imapd_store, &imapd_flash.dev);
    if (rc != STORE_OK) {
        fprintf(stderr, "imapd: cannot mount %s: %s\n", path,
                store_strerror(rc));
        flash_file_close(&imapd_flash);
        return -1;
    }
    return 0;
}

static int close_image(void)
{
    int rc = store_unmount(&imapd_store);
    flash_file_close(&imapd_flash);
    return rc;
}

static int stop_net(const imapd_net_t *net, bool check)
{
    return net->stop ? net->stop(check) : 0;
}

/* Image, TLS and network are up: opens and announces every listener.
 * Returns how many; on a failure, -1 with the ones opened closed. */
static long open_listeners(const imapd_net_t *net, const imapd_config_t *cfg,
                           int *fds)
{
    size_t nfds = 0;
    for (size_t i = 0; i < cfg->nlisten + cfg->nlisten_tls; i++) {
        char msg[DAEMON_MSG];
        bool implicit = i >= cfg->nlisten;
        const char *addr = implicit ? cfg->listen_tls[i - cfg->nlisten]
                                    : cfg->listen[i];
        int fd = net->listen(addr, msg, sizeof(msg));
        if (fd < 0) {
            fprintf(stderr, "imapd: %s\n", msg);
            for (size_t k = 0; k < nfds; k++)
                net->sock->close(fds[k]);
            return -1;
        }
        fds[nfds++] = fd;
        if (implicit)
            port_loop_tls_listener(fd);
        /* Scripts and tests wait for this line. */
        fprintf(stderr, "imapd: listening on %s%s\n", msg,
                implicit ? " (TLS)" : "");
    }
    return (long)nfds;
}

/* Everything before the listeners: image, TLS, network.  0 or -1 (said
 * why, and closed what it opened). */
static int start_up(const imapd_net_t *net, const imapd_config_t *cfg,
                    bool *tls)
{
    char msg[DAEMON_MSG];

    if (open_image(cfg->image) != 0)
        return -1;
    if (imapd_tls_setup(cfg, &imapd_store, tls) != 0 ||
        (cfg->nlisten_tls > 0 && !*tls)) {
        if (cfg->nlisten_tls > 0 && !*tls)
            fprintf(stderr, "imapd: TLS listener needs a certificate: none "
                            "given (--cert/--key) nor in the image (imapctl "
                            "cert gen)\n");
        close_image();
        return -1;
    }
    if (net->start && net->start(msg, sizeof(msg)) != 0) {
        fprintf(stderr, "imapd: %s\n", msg);
        close_image();
        return -1;
    }
    return 0;
}

int imapd_main(int argc, char **argv, const imapd_net_t *net)
{
    imapd_config_t cfg;
    int fds[PORT_LISTEN_MAX];

    int rc = imapd_config_load(&cfg, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (cfg.nlisten + cfg.nlisten_tls > net->listen_max) {
        fprintf(stderr, "imapd: too many listen addresses (at most %zu on %s)\n",
                net->listen_max, net->name);
        return 2;
    }
    imapd_log_level = cfg.log_level;
    posix_log_set_level(cfg.log_level);

    bool tls = false;
    if (net->init() != 0 || start_up(net, &cfg, &tls) != 0)
        return 1;
    long nfds = open_listeners(net, &cfg, fds);
    if (nfds < 0) {
        stop_net(net, false);
        close_image();
        return 1;
    }

    imap_config_t icfg = {
        .greeting_name = cfg.greeting,
        .allow_plaintext = cfg.allow_plaintext,
        .log = posix_log,
        .log_ctx = &imapd_log_level,
    };
    imap_server_init(&imapd_server, &imapd_store, &icfg);
    if (!cfg.allow_plaintext)
        posix_logf(IMAP_LOG_INFO, "plaintext login disabled%s",
                   tls ? ": log in after STARTTLS or on a TLS port"
                       : " and no certificate (no TLS): use --allow-plaintext "
                         "on a trusted network");

    rc = port_loop_run(net->sock, &imapd_server, fds, (size_t)nfds);

    for (long k = 0; k < nfds; k++)
        net->sock->close(fds[k]);
    tls_server_free();
    int urc = close_image();
    int nrc = stop_net(net, true);
    if (urc != STORE_OK) {
        fprintf(stderr, "imapd: unmount failed: %s\n", store_strerror(urc));
        return 1;
    }
    posix_logf(IMAP_LOG_INFO, "stopped, image consistent");
    if (nrc != 0)
        return 3;
    return rc == 0 ? 0 : 1;
}
