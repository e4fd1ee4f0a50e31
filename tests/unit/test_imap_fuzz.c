/*
 * test_imap_fuzz.c - random commands and bytes against a logged-in session
 * (deterministic PRNG): nothing may crash (ASan/UBSan build), the session
 * must keep answering, and a final NOOP must get its OK.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap_test_driver.h"

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static const char *const words[] = {
    "FETCH", "STORE", "SEARCH", "COPY", "UID", "SELECT", "EXAMINE", "LIST",
    "LSUB", "STATUS", "APPEND", "CREATE", "DELETE", "RENAME", "NOOP", "CHECK",
    "EXPUNGE", "CLOSE", "UNSELECT", "SUBSCRIBE", "NAMESPACE", "ID", "IDLE",
    "INBOX", "Box", "a/b", "*", "%", "1", "2", "1:*", "*:1", "3,1:2", "0",
    "4294967295", "4294967296", "(", ")", "[", "]", "<", ">", "<0.5>",
    "BODY[]", "BODY.PEEK[HEADER.FIELDS (From To)]", "BODY[TEXT]<2.3>",
    "RFC822", "FLAGS", "+FLAGS", "-FLAGS.SILENT", "(\\Seen \\Deleted kw)",
    "\\Flagged", "\"quoted\"", "\"esc\\\"aped\"", "\"bad\\x\"", "{3}\r\nabc",
    "{0}\r\n", "{2+}\r\nxy", "NIL", "OR", "NOT", "HEADER", "Subject", "TEXT",
    "SINCE", "1-Jan-2020", "31-Feb-2020", "LARGER", "CHARSET", "UTF-8",
    "(MESSAGES UNSEEN)", "ALL", "FAST", "FULL", "ENVELOPE", "\x01", "\xff",
    "DONE", "", " ", "  ",
};

static void test_random_commands(void **st)
{
    td_t *t = calloc(1, sizeof *t);
    char cmd[512];
    (void)st;
    td_init(t, true);
    td_open(t, 0);
    td_send(t, 0, "a LOGIN alice secret\r\n");
    td_send(t, 0, "b APPEND INBOX {30}\r\nSubject: x\r\nFrom: y\r\n\r\nbody\r\n\r\n");
    td_send(t, 0, "c SELECT INBOX\r\n");
    for (int i = 0; i < 20000 && t->open[0]; i++) {
        size_t n = 0;
        n += (size_t)snprintf(cmd + n, sizeof cmd - n, "t%d", i);
        if (rnd() % 4)   /* mostly a real command name first */
            n += (size_t)snprintf(cmd + n, sizeof cmd - n, " %s",
                                  words[rnd() % 23]);
        unsigned k = 1 + rnd() % 7;
        for (unsigned j = 0; j < k && n < sizeof cmd - 64; j++) {
            const char *w = words[rnd() % (sizeof words / sizeof words[0])];
            n += (size_t)snprintf(cmd + n, sizeof cmd - n, "%s%s",
                                  rnd() % 5 ? " " : "", w);
        }
        if (rnd() % 10 == 0 && n < sizeof cmd - 8)
            cmd[rnd() % n] = (char)(rnd() & 0xff);
        n += (size_t)snprintf(cmd + n, sizeof cmd - n, "\r\n");
        td_feed(t, 0, cmd, n, 1 + rnd() % 16);
        if (getenv("FUZZ_SHOW") && i % 300 == 0)
            fprintf(stderr, "%s", td_out(t, 0));
        if (t->out_len[0] > 256 * 1024)
            td_clear(t, 0);
        if (!t->open[0])   /* LOGOUT, or BYE: start a new session */
            td_open(t, 0), td_send(t, 0, "a LOGIN alice secret\r\n"),
                td_send(t, 0, "c SELECT INBOX\r\n");
    }
    if (getenv("FUZZ_SHOW"))
        fprintf(stderr, "steps %u\n", t->steps);
    /* a cancelled IDLE or continuation may be pending: settle it */
    td_send(t, 0, "DONE\r\n*\r\n");
    td_clear(t, 0);
    td_send(t, 0, "zz NOOP\r\n");
    assert_non_null(strstr(td_out(t, 0), "zz "));
    td_free(t);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
