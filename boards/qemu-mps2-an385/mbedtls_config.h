/*
 * mbedtls_config.h - mbedTLS 2.28 (Debian's source) for the QEMU board.
 *
 * Plain IMAP needs only PBKDF2-HMAC-SHA256 (password hashes, src/auth).
 * Memory comes from a static buffer (memory_buffer_alloc), never from a
 * libc heap: MBEDTLS_PLATFORM_NO_STD_FUNCTIONS leaves calloc unset until
 * the firmware hands mbedTLS its buffer.  TLS (issue 8) adds its modules
 * here when the firmware serves port 993.
 */
#ifndef BOARD_MBEDTLS_CONFIG_H
#define BOARD_MBEDTLS_CONFIG_H

#define MBEDTLS_HAVE_ASM
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_NO_STD_FUNCTIONS
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C

#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_PKCS5_C

#include "mbedtls/check_config.h"

#endif
