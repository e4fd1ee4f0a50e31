/*
 * mbedtls_config.h - mbedTLS on the QEMU board: the project's feature set
 * (boards/host/mbedtls_config.h: PBKDF2 for passwords, the TLS 1.2 server
 * of issue 8) with the board's platform hooks, so that nothing pulls in
 * newlib's heap or stdio:
 *   - calloc/free stay unset (NULL / no-op) until the core installs its
 *     static buffer allocator: no malloc() can be reached;
 *   - the allocator's diagnostics (MBEDTLS_MEMORY_DEBUG) and exit go to
 *     the board's console and fault handler, snprintf (OIDs, X.509
 *     names) to the board's own formatter.
 */
#ifndef BOARD_MBEDTLS_CONFIG_H
#define BOARD_MBEDTLS_CONFIG_H

#include <stddef.h>

void *board_mbedtls_calloc_unset(size_t n, size_t size);
void board_mbedtls_free_unset(void *p);
int board_mbedtls_fprintf(void *stream, const char *fmt, ...);
void board_mbedtls_exit(int status);
int board_mbedtls_snprintf(char *buf, size_t cap, const char *fmt, ...);

#define MBEDTLS_PLATFORM_STD_CALLOC board_mbedtls_calloc_unset
#define MBEDTLS_PLATFORM_STD_FREE board_mbedtls_free_unset
#define MBEDTLS_PLATFORM_FPRINTF_MACRO board_mbedtls_fprintf
#define MBEDTLS_PLATFORM_EXIT_MACRO board_mbedtls_exit
#define MBEDTLS_PLATFORM_SNPRINTF_MACRO board_mbedtls_snprintf

/* No TRNG on this machine: besides the host's random bytes (semihosting),
 * mbedTLS's NV seed, kept in the flash image ("tls.seed", renewed at every
 * boot by the firmware's hooks, firmware_tls.c), goes into the entropy
 * accumulator, so two boots never start from the same DRBG state. */
#define MBEDTLS_ENTROPY_NV_SEED
#define MBEDTLS_PLATFORM_NV_SEED_ALT

#include "../host/mbedtls_config.h"

#endif
