/*
 * board_flash.h - the board's flash chip: the host's image file through
 * semihosting, under the rule-checking simulator (src/flash/flash_sim.h).
 *
 * The file format is port/posix/flash_file.c's: a 4096-byte header (magic
 * "IMAPFLSH", version 1, erase size, program size, flags, device size,
 * little-endian) and the device bytes stored inverted (~b).  So
 * `imapctl format` and `imapctl user add` prepare an image on the host, the
 * firmware serves it, and `imapctl ls`/`fsck` read it afterwards.
 */
#ifndef BOARD_FLASH_H
#define BOARD_FLASH_H

#include "flash/flash.h"
#include "flash/flash_sim.h"

typedef struct board_flash {
    int fd;
    flash_sim_t sim;
    flash_dev_t dev;      /* what the store is given */
} board_flash_t;

/* Opens an image made by imapctl: 0, or a negative FLASH_E* with a reason
 * printed on the console. */
int board_flash_open(board_flash_t *f, const char *path);
void board_flash_close(board_flash_t *f);

#endif
