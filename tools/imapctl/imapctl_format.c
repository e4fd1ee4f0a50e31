/*
 * imapctl_format.c - "imapctl format IMAGE --size N": a fresh, empty image.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imapctl.h"

int imapctl_cmd_format(int argc, char **argv)
{
    const char *path = NULL;
    uint64_t size = 0, erase = 4096, prog = 256;   /* NOR-like */
    bool nand = false, erase_set = false, prog_set = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        uint64_t *dst = NULL;
        if (!strcmp(a, "--size"))
            dst = &size;
        else if (!strcmp(a, "--erase-size"))
            dst = &erase, erase_set = true;
        else if (!strcmp(a, "--prog-size"))
            dst = &prog, prog_set = true;
        else if (!strcmp(a, "--nand"))
            nand = true;
        else if (a[0] == '-' && a[1] != '\0')
            return imapctl_fail("format: unknown option '%s'", a);
        else if (!path)
            path = a;
        else
            return imapctl_fail("format: unexpected argument '%s'", a);
        if (dst) {
            if (i + 1 >= argc)
                return imapctl_fail("format: %s needs a value", a);
            if (imapctl_parse_size(argv[++i], dst) != 0)
                return imapctl_fail("format: bad size '%s' for %s (e.g. 64M)",
                                    argv[i], a);
        }
    }
    if (!path)
        return imapctl_fail("format: no IMAGE given");
    if (!size)
        return imapctl_fail("format: --size is required (e.g. --size 64M)");
    if (nand) {   /* NAND-like: big blocks, pages programmed once */
        if (!erase_set)
            erase = 128 * 1024;
        if (!prog_set)
            prog = 2048;
    }
    if (erase > UINT32_MAX || (erase & (erase - 1)) != 0)
        return imapctl_fail("format: --erase-size must be a power of two");
    if (prog > erase || (prog & (prog - 1)) != 0)
        return imapctl_fail("format: --prog-size must be a power of two "
                            "no larger than the erase size");
    if (size % erase != 0)
        return imapctl_fail("format: --size must be a multiple of the erase "
                            "size (%llu)", (unsigned long long)erase);

    flash_geometry_t geo = { size, (uint32_t)erase, (uint32_t)prog,
                             nand ? FLASH_F_PROG_ONCE : 0 };
    static flash_file_t ff;
    int rc = flash_file_create(&ff, path, &geo);
    if (rc != FLASH_OK) {
        if (errno == EBUSY)
            return imapctl_fail("%s is in use (is imapd running on it?)", path);
        return imapctl_fail("cannot create %s: %s", path, strerror(errno));
    }
    rc = store_format(&ff.dev, (uint32_t)time(NULL));
    flash_file_close(&ff);
    if (rc != STORE_OK) {
        unlink(path);   /* half an image is worse than none */
        return imapctl_fail("format of %s failed: %s", path, store_strerror(rc));
    }
    printf("formatted %s: %llu bytes, erase block %llu, program unit %llu%s\n",
           path, (unsigned long long)size, (unsigned long long)erase,
           (unsigned long long)prog, nand ? ", program once (NAND)" : "");
    return 0;
}
