/*
 * main.c - imapd on lwIP: the core + port/lwip, lwIP running in-process on
 * a libslirp wire.  The same command line as firmware/imapd (its config
 * code is shared); --listen ADDR:PORT is the host port forwarded to the
 * server's socket inside lwIP.
 *
 * Order matters: signals first (lwIP's threads start with them blocked),
 * then the image, lwIP and its DHCP lease, the stats baseline, the
 * listeners (plain, then implicit TLS), the loop.  TLS is the same layer
 * and set-up code as the POSIX daemon's (firmware/imapd/imapd_tls.c).  At the end every lwIP socket is closed and lwIP's
 * statistics must show nothing left behind: a leak makes the exit code 3.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lwip/sockets.h"

#include "flash_file.h"
#include "imap/imap.h"
#include "imapd_config.h"
#include "imapd_tls.h"
#include "lwport_loop.h"
#include "lwport_stack.h"
#include "posix_sys.h"
#include "store/store.h"
#include "tls/tls.h"

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

static void close_image(void)
{
    store_unmount(&imapd_store);
    flash_file_close(&imapd_flash);
}

int main(int argc, char **argv)
{
    imapd_config_t cfg;
    int fds[LWPORT_LISTEN_MAX];
    size_t nfds = 0;
    char msg[256];

    int rc = imapd_config_load(&cfg, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (cfg.nlisten + cfg.nlisten_tls > LWPORT_LISTEN_MAX) {
        fprintf(stderr, "imapd: too many listen addresses (at most %d on lwIP)\n",
                LWPORT_LISTEN_MAX);
        return 2;
    }
    imapd_log_level = cfg.log_level;
    posix_log_set_level(cfg.log_level);

    if (lwport_loop_init() != 0)
        return 1;
    if (open_image(cfg.image) != 0)
        return 1;
    bool tls = false;
    if (imapd_tls_setup(&cfg, &imapd_store, &tls) != 0 ||
        (cfg.nlisten_tls > 0 && !tls)) {
        if (cfg.nlisten_tls > 0 && !tls)
            fprintf(stderr, "imapd: TLS listener needs a certificate: none "
                            "given (--cert/--key) nor in the image (imapctl "
                            "cert gen)\n");
        close_image();
        return 1;
    }
    if (lwport_stack_start(msg, sizeof(msg)) != 0) {
        fprintf(stderr, "imapd: %s\n", msg);
        close_image();
        return 1;
    }
    lwport_stats_baseline();

    for (size_t i = 0; i < cfg.nlisten + cfg.nlisten_tls; i++) {
        bool implicit = i >= cfg.nlisten;
        const char *addr = implicit ? cfg.listen_tls[i - cfg.nlisten]
                                    : cfg.listen[i];
        int fd = lwport_stack_listen(addr, msg, sizeof(msg));
        if (fd < 0) {
            fprintf(stderr, "imapd: %s\n", msg);
            for (size_t k = 0; k < nfds; k++)
                lwip_close(fds[k]);
            lwport_stack_stop();
            close_image();
            return 1;
        }
        fds[nfds++] = fd;
        if (implicit)
            lwport_loop_tls_listener(fd);
        /* Scripts and tests wait for this line. */
        fprintf(stderr, "imapd: listening on %s%s\n", msg,
                implicit ? " (TLS)" : "");
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

    rc = lwport_loop_run(&imapd_server, fds, nfds);

    for (size_t k = 0; k < nfds; k++)
        lwip_close(fds[k]);
    tls_server_free();
    int urc = store_unmount(&imapd_store);
    flash_file_close(&imapd_flash);
    int src = lwport_stats_check();
    lwport_stack_stop();
    if (urc != STORE_OK) {
        fprintf(stderr, "imapd: unmount failed: %s\n", store_strerror(urc));
        return 1;
    }
    posix_logf(IMAP_LOG_INFO, "stopped, image consistent");
    if (src != 0)
        return 3;
    return rc == 0 ? 0 : 1;
}
