/*
 * imapctl_main.c - the admin tool: command dispatch and usage.
 */
#include <stdio.h>
#include <string.h>

#include "imapctl.h"

static const char imapctl_usage[] =
    "usage: imapctl format IMAGE --size N[K|M|G] [--erase-size N] [--prog-size N] [--nand]\n"
    "       imapctl user add|del|passwd IMAGE NAME   (password: one line on stdin)\n"
    "       imapctl user list IMAGE\n"
    "       imapctl ls IMAGE [USER [MAILBOX]]\n"
    "       imapctl import IMAGE USER MAILBOX FILE [--format mboxrd|mboxo]\n"
    "       imapctl fsck IMAGE   (exit 0 clean, 1 repaired, 2 damaged)\n"
    "       imapctl stat IMAGE\n"
    "       imapctl cert gen IMAGE [--cn NAME]   (self-signed ECDSA P-256)\n"
    "       imapctl cert import IMAGE CERT KEY   (PEM or DER chain and key)\n"
    "       imapctl cert show|del IMAGE\n";

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        { "format", imapctl_cmd_format }, { "user", imapctl_cmd_user },
        { "ls", imapctl_cmd_ls },         { "import", imapctl_cmd_import },
        { "fsck", imapctl_cmd_fsck },     { "stat", imapctl_cmd_stat },     { "cert", imapctl_cmd_cert },
    };

    if (argc < 2)
        return imapctl_fail("no command given (try 'imapctl --help')");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(imapctl_usage, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    return imapctl_fail("unknown command '%s' (try 'imapctl --help')", argv[1]);
}
