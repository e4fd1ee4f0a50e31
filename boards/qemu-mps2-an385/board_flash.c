/*
 * board_flash.c - a semihosted file as the flash medium (see board_flash.h).
 *
 * Durability: every write is a write() by QEMU on the host file, so once a
 * prog() returned the bytes survive the emulator being killed; sync() has
 * nothing more to do (semihosting has no fsync).  An erase writes zeros
 * (inverted 0xFF) only where the file does not already hold them, so a
 * sparse image stays mostly sparse.
 */
#include "board_flash.h"

#include <string.h>

#include "board.h"
#include "board_semihost.h"

#define FLASH_FILE_HDR 4096u
#define FLASH_FILE_VERSION 1u
#define BF_STEP 512u            /* bytes inverted per semihosting call */

static uint8_t bf_tmp[BF_STEP];

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static int is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static int bf_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    board_flash_t *f = ctx;
    uint8_t *out = buf;
    long n = sh_read_some(f->fd, out, len, (uint32_t)(FLASH_FILE_HDR + addr));
    if (n < 0)
        return -1;
    memset(out + n, 0, len - (size_t)n);     /* past the end: erased */
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)~out[i];
    return 0;
}

static int all_value(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static int bf_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    board_flash_t *f = ctx;
    const uint8_t *in = buf;
    while (len > 0) {
        size_t n = len < BF_STEP ? len : BF_STEP;
        uint32_t off = (uint32_t)(FLASH_FILE_HDR + addr);
        if (all_value(in, n, 0xFF)) {
            /* Erasing: skip what already reads as erased (zeros or hole). */
            long got = sh_read_some(f->fd, bf_tmp, n, off);
            if (got < 0)
                return -1;
            if (!all_value(bf_tmp, (size_t)got, 0)) {
                memset(bf_tmp, 0, n);
                if (sh_pwrite(f->fd, bf_tmp, n, off) != 0)
                    return -1;
            }
        } else {
            for (size_t i = 0; i < n; i++)
                bf_tmp[i] = (uint8_t)~in[i];
            if (sh_pwrite(f->fd, bf_tmp, n, off) != 0)
                return -1;
        }
        in += n;
        addr += n;
        len -= n;
    }
    return 0;
}

static int bf_sync(void *ctx)
{
    (void)ctx;
    return 0;
}

int board_flash_open(board_flash_t *f, const char *path)
{
    uint8_t hdr[64];
    flash_geometry_t geo;

    memset(f, 0, sizeof(*f));
    f->fd = sh_open(path, SH_MODE_RPLUSB);
    if (f->fd < 0) {
        board_printf("imapd: cannot open image %s\n", path);
        return FLASH_EIO;
    }
    if (sh_pread(f->fd, hdr, sizeof(hdr), 0) != 0 ||
        memcmp(hdr, "IMAPFLSH", 8) != 0 || get32(hdr + 8) != FLASH_FILE_VERSION)
        goto bad;
    geo.erase_size = get32(hdr + 12);
    geo.prog_size = get32(hdr + 16);
    geo.flags = get32(hdr + 20);
    geo.size = (uint64_t)get32(hdr + 24) | (uint64_t)get32(hdr + 28) << 32;
    if (!is_pow2(geo.erase_size) || !is_pow2(geo.prog_size) ||
        geo.prog_size > geo.erase_size || geo.size == 0 ||
        geo.size % geo.erase_size != 0 || (geo.flags & ~FLASH_F_PROG_ONCE))
        goto bad;
    if (geo.size + FLASH_FILE_HDR > 0x7FFFFFFFull) {
        board_printf("imapd: %s: semihosting reaches 2 GiB at most\n", path);
        goto fail;
    }
    long flen = sh_flen(f->fd);
    if (flen < 0 || (uint64_t)flen < FLASH_FILE_HDR + geo.size)
        goto bad;

    flash_medium_t m = { bf_read, bf_write, bf_sync, f };
    flash_sim_init(&f->sim, &geo, &m);
    flash_sim_dev(&f->sim, &f->dev);
    return FLASH_OK;
bad:
    board_printf("imapd: %s is not an imapd image (make one with "
                 "'imapctl format')\n", path);
fail:
    sh_close(f->fd);
    f->fd = -1;
    return FLASH_EINVAL;
}

void board_flash_close(board_flash_t *f)
{
    if (f->fd >= 0)
        sh_close(f->fd);
    f->fd = -1;
}
