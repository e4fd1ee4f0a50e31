/*
 * main.c - imapd, the host daemon: core + POSIX port.
 *
 * Opens the flash image, mounts the store, listens, and hands everything to
 * the poll loop until SIGTERM/SIGINT; then unmounts so the image is
 * consistent.  All large state is static: what the build report shows is
 * what the daemon uses.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flash_file.h"
#include "imap/imap.h"
#include "imapd_config.h"
#include "imapd_tls.h"
#include "posix_loop.h"
#include "posix_net.h"
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

int main(int argc, char **argv)
{
    imapd_config_t cfg;
    int fds[POSIX_LISTEN_MAX];
    size_t nfds = 0;

    int rc = imapd_config_load(&cfg, argc, argv);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    imapd_log_level = cfg.log_level;
    posix_log_set_level(cfg.log_level);

    if (open_image(cfg.image) != 0)
        return 1;
    if (posix_loop_init() != 0) {
        store_unmount(&imapd_store);
        flash_file_close(&imapd_flash);
        return 1;
    }

    bool tls = false;
    if (imapd_tls_setup(&cfg, &imapd_store, &tls) != 0 ||
        (cfg.nlisten_tls > 0 && !tls)) {
        if (cfg.nlisten_tls > 0 && !tls)
            fprintf(stderr, "imapd: TLS listener needs a certificate: none "
                            "given (--cert/--key) nor in the image (imapctl "
                            "cert gen)\n");
        store_unmount(&imapd_store);
        flash_file_close(&imapd_flash);
        return 1;
    }

    for (size_t i = 0; i < cfg.nlisten + cfg.nlisten_tls; i++) {
        char name[POSIX_ADDR_STR + 128];
        bool implicit = i >= cfg.nlisten;
        const char *addr = implicit ? cfg.listen_tls[i - cfg.nlisten]
                                    : cfg.listen[i];
        int fd = posix_listen(addr, name, sizeof(name));
        if (fd < 0) {
            fprintf(stderr, "imapd: %s\n", name);
            for (size_t k = 0; k < nfds; k++)
                close(fds[k]);
            store_unmount(&imapd_store);
            flash_file_close(&imapd_flash);
            return 1;
        }
        fds[nfds++] = fd;
        if (implicit)
            posix_loop_tls_listener(fd);
        /* Scripts and tests wait for this line. */
        fprintf(stderr, "imapd: listening on %s%s\n", name,
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

    rc = posix_loop_run(&imapd_server, fds, nfds);

    for (size_t k = 0; k < nfds; k++)
        close(fds[k]);
    tls_server_free();
    int urc = store_unmount(&imapd_store);
    flash_file_close(&imapd_flash);
    if (urc != STORE_OK) {
        fprintf(stderr, "imapd: unmount failed: %s\n", store_strerror(urc));
        return 1;
    }
    posix_logf(IMAP_LOG_INFO, "stopped, image consistent");
    return rc == 0 ? 0 : 1;
}
