/*
 * imapctl.h - the admin tool's shared pieces: one image open at a time,
 * errors as exactly one "imapctl: ..." line, argument helpers.
 */
#ifndef IMAPCTL_H
#define IMAPCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "flash_file.h"
#include "store/store.h"

/* The image currently open (static: the store is big). */
extern store_t imapctl_store;

/* Prints "imapctl: <message>" on stderr and returns 1 (the exit code). */
int imapctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens and mounts path; prints the error and returns 1 on failure. */
int imapctl_open(const char *path);
/* Unmounts (which commits) and closes; 1 on failure, with an error line
 * when report is true (false: an error was already printed). */
int imapctl_close(bool report);
/* Commits; 1 with an error line on failure (the image stays open). */
int imapctl_commit(const char *what);

/* "64M", "4096", "1G", "512K" -> bytes; -1 on a bad number. */
int imapctl_parse_size(const char *s, uint64_t *out);
/* Mailbox name as the store keeps it: "inbox" in any case -> "INBOX". */
const char *imapctl_mbox_name(const char *name);
/* Finds a user; 1 with an error line when missing. */
int imapctl_user(const char *name, store_user_t *out);

/* Command groups; argv[0] is the command word ("format", "user", ...). */
int imapctl_cmd_format(int argc, char **argv);
int imapctl_cmd_user(int argc, char **argv);
int imapctl_cmd_ls(int argc, char **argv);
int imapctl_cmd_import(int argc, char **argv);
int imapctl_cmd_fsck(int argc, char **argv);
int imapctl_cmd_stat(int argc, char **argv);
int imapctl_cmd_cert(int argc, char **argv);

#endif
