/*
 * imapctl_image.c - opening an image, error lines, small parsers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imapctl.h"

store_t imapctl_store;
static flash_file_t imapctl_flash;
static const char *imapctl_path;

int imapctl_fail(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* Exactly one line, whatever the message holds. */
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    fprintf(stderr, "imapctl: %s\n", buf);
    return 1;
}

int imapctl_open(const char *path)
{
    int rc = flash_file_open(&imapctl_flash, path);
    if (rc == FLASH_EINVAL)
        return imapctl_fail("%s is not an imapd image", path);
    if (rc != FLASH_OK) {
        if (errno == EBUSY)
            return imapctl_fail("%s is in use (is imapd running on it?)", path);
        return imapctl_fail("cannot open %s: %s", path, strerror(errno));
    }
    rc = store_mount(&imapctl_store, &imapctl_flash.dev);
    if (rc != STORE_OK) {
        flash_file_close(&imapctl_flash);
        return imapctl_fail("cannot mount %s: %s", path, store_strerror(rc));
    }
    imapctl_path = path;
    return 0;
}

int imapctl_commit(const char *what)
{
    int rc = store_commit(&imapctl_store);
    if (rc != STORE_OK) {
        store_rollback(&imapctl_store);
        return imapctl_fail("%s: commit failed: %s", what, store_strerror(rc));
    }
    return 0;
}

int imapctl_close(bool report)
{
    int rc = store_unmount(&imapctl_store);
    flash_file_close(&imapctl_flash);
    if (rc != STORE_OK && !report)
        return 1;
    if (rc != STORE_OK)
        return imapctl_fail("unmount of %s failed: %s", imapctl_path,
                            store_strerror(rc));
    return 0;
}

int imapctl_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || *s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (shift && (!strcasecmp(end, "iB") || !strcasecmp(end, "B")))
        end += strlen(end);
    if (*end != '\0' || v == 0 || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

const char *imapctl_mbox_name(const char *name)
{
    return strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;
}

int imapctl_user(const char *name, store_user_t *out)
{
    int rc = store_user_find(&imapctl_store, name, out);
    if (rc == STORE_ENOENT)
        return imapctl_fail("no user '%s'", name);
    if (rc != STORE_OK)
        return imapctl_fail("user '%s': %s", name, store_strerror(rc));
    return 0;
}
