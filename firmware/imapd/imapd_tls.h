/*
 * imapd_tls.h - the daemon's TLS set-up (certificate source, entropy).
 */
#ifndef IMAPD_TLS_H
#define IMAPD_TLS_H

#include <stdbool.h>

#include "imapd_config.h"
#include "store/store.h"

/* Loads the certificate (files, else the image) and starts the TLS layer.
 * *ready tells whether TLS is available.  0, or -1 after printing one
 * "imapd: ..." line (a certificate that was given but is unusable). */
int imapd_tls_setup(const imapd_config_t *cfg, store_t *st, bool *ready);

#endif
