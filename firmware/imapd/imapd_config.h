/*
 * imapd_config.h - the daemon's settings: command line over config file.
 */
#ifndef IMAPD_CONFIG_H
#define IMAPD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "posix_loop.h"

typedef struct imapd_config {
    const char *image;
    const char *listen[POSIX_LISTEN_MAX];
    size_t nlisten;
    const char *listen_tls[POSIX_LISTEN_MAX];   /* implicit TLS (993 style) */
    size_t nlisten_tls;
    const char *cert, *key;       /* PEM/DER files; else the image's */
    bool allow_plaintext;
    const char *greeting;         /* name in the greeting */
    int log_level;                /* IMAP_LOG_* */
} imapd_config_t;

/* Fills cfg from argv and the --config file (the command line wins).
 * Returns 0, 1 when --help/--version was handled, or -1 after printing one
 * "imapd: ..." line to stderr. */
int imapd_config_load(imapd_config_t *cfg, int argc, char **argv);

#endif
