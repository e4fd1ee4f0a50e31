/*
 * flash_file.c - the host's flash chip: a file medium under the simulator.
 *
 * Layout of an image file:
 *   [0, FLASH_FILE_HDR)        header: magic, version, geometry (plain bytes)
 *   [FLASH_FILE_HDR, +size)    device bytes, stored inverted (~b)
 * Inversion makes a hole in a sparse file read as erased flash, so erasing
 * a block punches a hole instead of writing 0xFF: a big image only costs
 * what holds data.  The image is locked (flock) while open, so the admin
 * tool and the daemon never write it at the same time.
 */
#include "flash_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define FLASH_FILE_HDR 4096u        /* keeps device bytes page-aligned */
#define FLASH_FILE_VERSION 1u
#define FLASH_FILE_IO_STEP 4096u    /* bytes inverted per pread/pwrite */

static const char flash_file_magic[8] = { 'I', 'M', 'A', 'P', 'F', 'L', 'S', 'H' };

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int is_pow2(uint32_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

static int geometry_ok(const flash_geometry_t *g)
{
    return is_pow2(g->erase_size) && is_pow2(g->prog_size) &&
           g->prog_size <= g->erase_size && g->size > 0 &&
           g->size % g->erase_size == 0 && (g->flags & ~FLASH_F_PROG_ONCE) == 0;
}

/* ---- The medium: inverted bytes at an offset ---------------------------- */

/* The file stores flash bytes inverted; eight at a time, since every
 * index node and message read passes here. */
static void invert(uint8_t *p, size_t len)
{
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w = ~w;
        memcpy(p + i, &w, 8);
    }
    for (; i < len; i++)
        p[i] = (uint8_t)~p[i];
}

static int ff_pread(flash_file_t *f, uint64_t addr, uint8_t *out, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(f->fd, out + done, len - done,
                          (off_t)(FLASH_FILE_HDR + addr + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0) {            /* past the end of a short file: erased */
            memset(out + done, 0, len - done);
            break;
        }
        done += (size_t)n;
    }
    return 0;
}

/* The read cache: a few aligned windows of the file as stored (inverted).
 * The store's reads are small (a 12-byte record header, a 1 KiB index
 * node, a 2 KiB data chunk) and close together, so FETCH of 10,000
 * summaries made 7,500 preads; with four 16 KiB windows it makes about
 * 550.  A write or an erase drops the windows it touches. */
static flash_file_win_t *ff_window(flash_file_t *f, uint64_t base)
{
    flash_file_win_t *w = NULL;
    for (unsigned i = 0; i < FLASH_FILE_RC_N; i++) {
        flash_file_win_t *c = &f->rc[i];
        if (c->valid && c->base == base) {
            c->used = ++f->rc_clock;
            return c;
        }
        if (w == NULL || !c->valid || (w->valid && c->used < w->used))
            w = c;
    }
    uint64_t size = f->sim.geo.size;
    size_t n = size - base < FLASH_FILE_RC_WIN ? (size_t)(size - base)
                                               : FLASH_FILE_RC_WIN;
    w->valid = false;
    if (ff_pread(f, base, w->buf, n) != 0)
        return NULL;
    w->base = base;
    w->valid = true;
    w->used = ++f->rc_clock;
    return w;
}

/* A write or an erase reached the file: the windows it overlaps get the
 * same bytes (data NULL: erased, a hole reads as zeros), so the reads that
 * check a unit is erased before it is programmed keep hitting. */
static void ff_update(flash_file_t *f, uint64_t addr, const uint8_t *data,
                      size_t len)
{
    for (unsigned i = 0; i < FLASH_FILE_RC_N; i++) {
        flash_file_win_t *w = &f->rc[i];
        if (!w->valid || addr >= w->base + FLASH_FILE_RC_WIN ||
            w->base >= addr + len)
            continue;
        uint64_t lo = addr > w->base ? addr : w->base;
        uint64_t hi = addr + len < w->base + FLASH_FILE_RC_WIN
                          ? addr + len : w->base + FLASH_FILE_RC_WIN;
        uint8_t *dst = w->buf + (lo - w->base);
        if (data == NULL) {
            memset(dst, 0, (size_t)(hi - lo));
        } else {
            memcpy(dst, data + (lo - addr), (size_t)(hi - lo));
            invert(dst, (size_t)(hi - lo));
        }
    }
}

static void ff_forget(flash_file_t *f, uint64_t addr, size_t len)
{
    for (unsigned i = 0; i < FLASH_FILE_RC_N; i++)
        if (f->rc[i].valid && addr < f->rc[i].base + FLASH_FILE_RC_WIN &&
            f->rc[i].base < addr + len)
            f->rc[i].valid = false;
}

static int ff_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    flash_file_t *f = ctx;
    uint8_t *out = buf;

    if (len > FLASH_FILE_RC_WIN / 4) {   /* a big read gains nothing */
        if (ff_pread(f, addr, out, len) != 0)
            return -1;
        invert(out, len);
        return 0;
    }
    while (len > 0) {
        uint64_t base = addr & ~(uint64_t)(FLASH_FILE_RC_WIN - 1);
        size_t off = (size_t)(addr - base);
        size_t n = FLASH_FILE_RC_WIN - off < len ? FLASH_FILE_RC_WIN - off : len;
        flash_file_win_t *w = ff_window(f, base);
        if (w == NULL)
            return -1;
        memcpy(out, w->buf + off, n);
        invert(out, n);
        out += n;
        addr += n;
        len -= n;
    }
    return 0;
}

static int all_ff(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != 0xFF)
            return 0;
    return 1;
}

static int ff_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    flash_file_t *f = ctx;
    const uint8_t *in = buf;
    uint8_t tmp[FLASH_FILE_IO_STEP];

    /* Erased bytes are zeros in the file: a hole says that for free. */
    if (all_ff(in, len) &&
        fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)(FLASH_FILE_HDR + addr), (off_t)len) == 0) {
        ff_update(f, addr, NULL, len);
        return 0;
    }
    for (size_t off = 0; off < len; ) {
        size_t n = len - off < sizeof(tmp) ? len - off : sizeof(tmp);
        for (size_t i = 0; i < n; i++)
            tmp[i] = (uint8_t)~in[off + i];
        size_t done = 0;
        while (done < n) {
            ssize_t w = pwrite(f->fd, tmp + done, n - done,
                               (off_t)(FLASH_FILE_HDR + addr + off + done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                ff_forget(f, addr, len);   /* what the file holds now? */
                return -1;
            }
            done += (size_t)w;
        }
        off += n;
    }
    ff_update(f, addr, in, len);
    return 0;
}

static int ff_sync(void *ctx)
{
    flash_file_t *f = ctx;
    return fdatasync(f->fd) == 0 ? 0 : -1;
}

/* Everything but the cache windows' bytes (64 KiB nobody has read yet). */
static void clear(flash_file_t *f)
{
    memset(f, 0, offsetof(flash_file_t, rc));
    for (unsigned i = 0; i < FLASH_FILE_RC_N; i++)
        f->rc[i].valid = false;
    f->fd = -1;
}

static void attach(flash_file_t *f, const flash_geometry_t *geo)
{
    flash_medium_t m = { ff_read, ff_write, ff_sync, f };
    flash_sim_init(&f->sim, geo, &m);
    flash_sim_dev(&f->sim, &f->dev);
}

/* An exclusive lock, so a second writer gets a clear error, not a mess. */
static int lock_image(int fd)
{
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno == EWOULDBLOCK)
        errno = EBUSY;
    return -1;
}

int flash_file_create(flash_file_t *f, const char *path,
                      const flash_geometry_t *geo)
{
    uint8_t hdr[64];
    clear(f);
    if (!geometry_ok(geo)) {
        errno = EINVAL;
        return FLASH_EINVAL;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return FLASH_EIO;
    if (lock_image(fd) != 0 || ftruncate(fd, 0) != 0 ||
        ftruncate(fd, (off_t)(FLASH_FILE_HDR + geo->size)) != 0)
        goto fail;

    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, flash_file_magic, 8);
    put32(hdr + 8, FLASH_FILE_VERSION);
    put32(hdr + 12, geo->erase_size);
    put32(hdr + 16, geo->prog_size);
    put32(hdr + 20, geo->flags);
    put64(hdr + 24, geo->size);
    if (pwrite(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
        fsync(fd) != 0)
        goto fail;
    f->fd = fd;
    attach(f, geo);
    return FLASH_OK;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return FLASH_EIO;
}

int flash_file_open(flash_file_t *f, const char *path)
{
    uint8_t hdr[64];
    flash_geometry_t geo;
    struct stat sb;

    clear(f);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return FLASH_EIO;
    if (lock_image(fd) != 0 || fstat(fd, &sb) != 0)
        goto fail;
    if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
        memcmp(hdr, flash_file_magic, 8) != 0 ||
        get32(hdr + 8) != FLASH_FILE_VERSION) {
        errno = EINVAL;    /* not an image of ours */
        goto bad;
    }
    geo.erase_size = get32(hdr + 12);
    geo.prog_size = get32(hdr + 16);
    geo.flags = get32(hdr + 20);
    geo.size = get64(hdr + 24);
    if (!geometry_ok(&geo) ||
        (uint64_t)sb.st_size < FLASH_FILE_HDR + geo.size) {
        errno = EINVAL;
        goto bad;
    }
    f->fd = fd;
    attach(f, &geo);
    return FLASH_OK;
bad:
    close(fd);
    errno = EINVAL;
    return FLASH_EINVAL;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return FLASH_EIO;
}

void flash_file_close(flash_file_t *f)
{
    if (f->fd >= 0) {
        fsync(f->fd);
        close(f->fd);   /* drops the lock */
    }
    f->fd = -1;
}
