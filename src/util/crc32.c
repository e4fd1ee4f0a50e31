#include "util/crc32.h"
#include "imap_opts.h"

#ifndef IMAP_CRC32_SLICE8
/* Nibble table: a compromise between the 1 KiB byte table and bitwise. */
static const uint32_t crc32_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ crc32_nibble[crc & 15];
        crc = (crc >> 4) ^ crc32_nibble[crc & 15];
    }
    return ~crc;
}
#else
/* Slicing-by-8 (8 KiB of tables, built on first use): for hosts, where
 * checking every index node read costs more than the 8 KiB. */
static uint32_t crc32_t8[8][256];
static int crc32_ready;

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
        crc32_t8[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc32_t8[t][i] = (crc32_t8[t - 1][i] >> 8) ^
                             crc32_t8[0][crc32_t8[t - 1][i] & 0xFF];
    crc32_ready = 1;
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!crc32_ready)
        crc32_init();
    crc = ~crc;
    while (len >= 8) {
        uint32_t a = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
                            (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t b = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
                     (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = crc32_t8[7][a & 0xFF] ^ crc32_t8[6][(a >> 8) & 0xFF] ^
              crc32_t8[5][(a >> 16) & 0xFF] ^ crc32_t8[4][a >> 24] ^
              crc32_t8[3][b & 0xFF] ^ crc32_t8[2][(b >> 8) & 0xFF] ^
              crc32_t8[1][(b >> 16) & 0xFF] ^ crc32_t8[0][b >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ crc32_t8[0][(crc ^ *p++) & 0xFF];
    return ~crc;
}
#endif
