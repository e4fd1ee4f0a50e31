/*
 * flash_file.h - a flash device kept in a host file (the host "chip").
 *
 * The file holds the bytes of the device inverted (~b), so that a fresh
 * sparse file reads as erased flash (0xFF) and a 16 GiB image costs only
 * what has been written.  Flash rules are enforced by the same simulator
 * core as the RAM device used by the tests (src/flash/flash_sim.h).
 */
#ifndef FLASH_FILE_H
#define FLASH_FILE_H

#include "flash/flash.h"
#include "flash/flash_sim.h"

#define FLASH_FILE_RC_WIN 16384u    /* bytes per read-cache window */
#define FLASH_FILE_RC_N 4u          /* windows */

typedef struct flash_file_win {
    uint64_t base;                  /* device address, window-aligned */
    uint32_t used;                  /* clock of the last hit (LRU) */
    bool valid;
    uint8_t buf[FLASH_FILE_RC_WIN]; /* the file's bytes (still inverted) */
} flash_file_win_t;

typedef struct flash_file {
    int fd;
    flash_sim_t sim;   /* rule checking over the file medium */
    flash_dev_t dev;   /* what the store is given */
    uint32_t rc_clock;
    flash_file_win_t rc[FLASH_FILE_RC_N];   /* read cache (flash_file.c) */
} flash_file_t;

/* Creates (or truncates) path as an erased device of geo->size bytes. */
int flash_file_create(flash_file_t *f, const char *path,
                      const flash_geometry_t *geo);
/* Opens an existing image; the geometry is read from the image header that
 * flash_file_create wrote (a small header block before the device bytes). */
int flash_file_open(flash_file_t *f, const char *path);
void flash_file_close(flash_file_t *f);

#endif
