/*
 * firmware_tls.h - TLS on the board: the certificate and key from the
 * image (imapctl cert gen|import), entropy from the board.  Without an
 * entropy source TLS is refused, never run unsafe.
 */
#ifndef FIRMWARE_TLS_H
#define FIRMWARE_TLS_H

#include <stdbool.h>

#include "store/store.h"

/* True when TLS is ready (STARTTLS offered, port 993 can listen); false
 * when the image has no certificate (nothing logged), or with a logged
 * reason: no entropy, a certificate mbedTLS refused. */
bool fw_tls_setup(store_t *st);

#endif
