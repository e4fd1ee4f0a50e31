/*
 * imapctl_user.c - "imapctl user add|del|passwd|list IMAGE [NAME]".
 *
 * Passwords come from stdin (one line), never from argv where any user of
 * the machine could read them in the process list.
 */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "auth/auth.h"
#include "imapctl.h"
#include "posix_sys.h"

/* Reads one line from stdin (no echo on a terminal) into buf. */
static int read_password(char *buf, size_t cap, size_t *len)
{
    struct termios old, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        fputs("Password: ", stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(buf, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (!got)
        return imapctl_fail("no password on stdin (one line expected)");
    size_t n = strlen(buf);
    if (n == cap - 1 && buf[n - 1] != '\n')
        return imapctl_fail("password too long (at most %d bytes)",
                            IMAP_PASSWORD_MAX);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (n == 0)
        return imapctl_fail("empty password");
    *len = n;
    return 0;
}

/* Fills u's hash from a password read on stdin, with a fresh salt. */
static int new_secret(store_user_t *u)
{
    char pw[IMAP_PASSWORD_MAX + 2];
    uint8_t salt[16];
    size_t len = 0;

    if (read_password(pw, sizeof(pw), &len))
        return 1;
    if (posix_entropy(salt, sizeof(salt)) != 0) {
        memset(pw, 0, sizeof(pw));
        return imapctl_fail("no entropy for a salt (getrandom failed)");
    }
    int rc = auth_set_password(u, pw, len, salt, STORE_PBKDF2_ITERATIONS);
    memset(pw, 0, sizeof(pw));
    if (rc != 0)
        return imapctl_fail("password hashing failed");
    return 0;
}

static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > IMAP_USER_NAME_MAX)
        return imapctl_fail("user name must be 1 to %d bytes", IMAP_USER_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        /* What LOGIN can carry as an atom or a quoted string, simply. */
        if (c <= ' ' || c >= 0x7F || c == '"' || c == '\\')
            return imapctl_fail("user name '%s' may hold only printable "
                                "ASCII without spaces, quotes or backslashes",
                                name);
    }
    return 0;
}

static int user_add(const char *name)
{
    store_user_t u;
    store_mbox_t mb;
    uint32_t id;

    if (valid_name(name))
        return 1;
    if (store_user_find(&imapctl_store, name, &u) == STORE_OK)
        return imapctl_fail("user '%s' exists already", name);
    memset(&u, 0, sizeof(u));
    memcpy(u.name, name, strlen(name) + 1);
    if (new_secret(&u))
        return 1;
    int rc = store_user_add(&imapctl_store, &u, &id);
    if (rc == STORE_OK)
        rc = store_mbox_create(&imapctl_store, id, "INBOX", &mb);
    if (rc != STORE_OK) {
        store_rollback(&imapctl_store);
        return imapctl_fail("adding user '%s': %s", name, store_strerror(rc));
    }
    if (imapctl_commit("user add"))
        return 1;
    printf("added user %s\n", name);
    return 0;
}

static int user_del(const char *name)
{
    int rc = store_user_del(&imapctl_store, name);
    if (rc == STORE_ENOENT)
        return imapctl_fail("no user '%s'", name);
    if (rc != STORE_OK) {
        store_rollback(&imapctl_store);
        return imapctl_fail("deleting user '%s': %s", name, store_strerror(rc));
    }
    if (imapctl_commit("user del"))
        return 1;
    printf("deleted user %s\n", name);
    return 0;
}

static int user_passwd(const char *name)
{
    store_user_t u;
    if (imapctl_user(name, &u) || new_secret(&u))
        return 1;
    int rc = store_user_set_secret(&imapctl_store, &u);
    if (rc != STORE_OK) {
        store_rollback(&imapctl_store);
        return imapctl_fail("setting the password of '%s': %s", name,
                            store_strerror(rc));
    }
    if (imapctl_commit("user passwd"))
        return 1;
    printf("password of %s changed\n", name);
    return 0;
}

static int user_list(void)
{
    store_user_t u;
    uint64_t cursor = 0;
    int rc;
    while ((rc = store_user_next(&imapctl_store, &cursor, &u)) == STORE_OK)
        printf("%s\n", u.name);
    if (rc != STORE_ENOENT)
        return imapctl_fail("listing users: %s", store_strerror(rc));
    return 0;
}

int imapctl_cmd_user(int argc, char **argv)
{
    if (argc < 3)
        return imapctl_fail("user: usage: user add|del|passwd IMAGE NAME, "
                            "user list IMAGE");
    const char *sub = argv[1], *path = argv[2];
    bool list = !strcmp(sub, "list");
    if (!list && strcmp(sub, "add") && strcmp(sub, "del") &&
        strcmp(sub, "passwd"))
        return imapctl_fail("user: unknown subcommand '%s' "
                            "(add, del, passwd, list)", sub);
    if (list && argc != 3)
        return imapctl_fail("user list: usage: user list IMAGE");
    if (!list && argc != 4)
        return imapctl_fail("user %s: usage: user %s IMAGE NAME", sub, sub);
    if (imapctl_open(path))
        return 1;
    int rc;
    if (list)
        rc = user_list();
    else if (!strcmp(sub, "add"))
        rc = user_add(argv[3]);
    else if (!strcmp(sub, "del"))
        rc = user_del(argv[3]);
    else
        rc = user_passwd(argv[3]);
    /* One error line only: a failed close after a failed command is moot. */
    int crc = imapctl_close(rc == 0);
    return rc ? rc : crc;
}
