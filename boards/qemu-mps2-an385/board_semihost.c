/*
 * board_semihost.c - semihosting calls (ARM "Semihosting for AArch32 and
 * AArch64", operations SYS_OPEN .. SYS_EXIT_EXTENDED).
 */
#include "board_semihost.h"

#include <string.h>

enum {
    SYS_OPEN = 0x01, SYS_CLOSE = 0x02, SYS_WRITE = 0x05, SYS_READ = 0x06,
    SYS_SEEK = 0x0A, SYS_FLEN = 0x0C, SYS_TIME = 0x11, SYS_GET_CMDLINE = 0x15,
    SYS_EXIT = 0x18, SYS_EXIT_EXTENDED = 0x20,
};
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static long sh_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (long)(int32_t)r0;
}

int sh_open(const char *path, int mode)
{
    uint32_t a[3] = { (uint32_t)(uintptr_t)path, (uint32_t)mode,
                      (uint32_t)strlen(path) };
    long h = sh_call(SYS_OPEN, a);
    return h < 0 ? -1 : (int)h;
}

int sh_close(int fd)
{
    uint32_t a[1] = { (uint32_t)fd };
    return sh_call(SYS_CLOSE, a) == 0 ? 0 : -1;
}

static int sh_seek(int fd, uint32_t off)
{
    uint32_t a[2] = { (uint32_t)fd, off };
    return sh_call(SYS_SEEK, a) == 0 ? 0 : -1;
}

long sh_read_some(int fd, void *buf, size_t len, uint32_t off)
{
    if (sh_seek(fd, off) != 0)
        return -1;
    uint32_t a[3] = { (uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len };
    long left = sh_call(SYS_READ, a);     /* bytes NOT read */
    if (left < 0 || (size_t)left > len)
        return -1;
    return (long)(len - (size_t)left);
}

int sh_pread(int fd, void *buf, size_t len, uint32_t off)
{
    return sh_read_some(fd, buf, len, off) == (long)len ? 0 : -1;
}

int sh_pwrite(int fd, const void *buf, size_t len, uint32_t off)
{
    if (sh_seek(fd, off) != 0)
        return -1;
    uint32_t a[3] = { (uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len };
    return sh_call(SYS_WRITE, a) == 0 ? 0 : -1;
}

long sh_flen(int fd)
{
    uint32_t a[1] = { (uint32_t)fd };
    return sh_call(SYS_FLEN, a);
}

uint32_t sh_time(void)
{
    return (uint32_t)sh_call(SYS_TIME, NULL);
}

int sh_cmdline(char *buf, size_t cap)
{
    uint32_t a[2] = { (uint32_t)(uintptr_t)buf, (uint32_t)cap };
    if (sh_call(SYS_GET_CMDLINE, a) != 0)
        return -1;
    buf[cap - 1] = '\0';
    return 0;
}

void sh_exit(int status)
{
    uint32_t a[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status };
    sh_call(SYS_EXIT_EXTENDED, a);
    /* An older host without SYS_EXIT_EXTENDED: plain exit. */
    sh_call(SYS_EXIT, (const void *)(uintptr_t)ADP_STOPPED_APPLICATION_EXIT);
    for (;;)
        ;
}
