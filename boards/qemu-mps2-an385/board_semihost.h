/*
 * board_semihost.h - ARM semihosting: the host's files, clock and exit
 * status, reached with "bkpt 0xab" (QEMU: -semihosting-config
 * enable=on,target=native).  Offsets and lengths are 32-bit signed: images under 2 GiB.
 * Without a debugger or QEMU a bkpt faults: a real board replaces these
 * (its flash driver, RTC and TRNG instead).
 */
#ifndef BOARD_SEMIHOST_H
#define BOARD_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* SYS_OPEN modes (ISO C fopen modes in this order). */
enum { SH_MODE_RB = 1, SH_MODE_RPLUSB = 3 };

int sh_open(const char *path, int mode);               /* handle or -1 */
int sh_close(int fd);
/* Whole transfers at an offset: 0, or -1 (short or failed). */
int sh_pread(int fd, void *buf, size_t len, uint32_t off);
/* Reads what is there; returns bytes read (short at end of file), or -1. */
long sh_read_some(int fd, void *buf, size_t len, uint32_t off);
int sh_pwrite(int fd, const void *buf, size_t len, uint32_t off);
long sh_flen(int fd);
uint32_t sh_time(void);                                /* Unix seconds */
/* The command line (-semihosting-config arg=...); 0 or -1. */
int sh_cmdline(char *buf, size_t cap);
void sh_exit(int status) __attribute__((noreturn));

#endif
