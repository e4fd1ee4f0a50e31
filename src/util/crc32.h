/* crc32.h - CRC-32 (IEEE 802.3, reflected, as zlib), used for every record
 * the store writes.  Table-free nibble version: 64 bytes of rodata. */
#ifndef UTIL_CRC32_H
#define UTIL_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Start with crc = 0; feed pieces in order; the result is the CRC. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
