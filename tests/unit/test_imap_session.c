/*
 * test_imap_session.c - whole sessions through the engine on a RAM store.
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

static td_t *T;

static int setup(void **st)
{
    (void)st;
    T = calloc(1, sizeof *T);
    td_init(T, true);
    td_open(T, 0);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    td_free(T);
    free(T);
    return 0;
}

/* Sends text and checks that the output contains want (then clears). */
static void expect(int i, const char *text, const char *want)
{
    td_expect(T, i, text, want);
}

static void expect_not(int i, const char *text, const char *unwanted)
{
    td_send(T, i, text);
    if (strstr(td_out(T, i), unwanted) != NULL) {
        fprintf(stderr, "sent: %s\nunwanted: %s\ngot: %s\n", text, unwanted,
                td_out(T, i));
        fail();
    }
    td_clear(T, i);
}

static void login(int i)
{
    if (!T->open[i])
        td_open(T, i);
    td_clear(T, i);
    expect(i, "L1 LOGIN alice secret\r\n", "L1 OK");
}

static void test_greeting_capability(void **st)
{
    (void)st;
    assert_non_null(strstr(td_out(T, 0), "* OK [CAPABILITY IMAP4rev1"));
    td_clear(T, 0);
    expect(0, "a CAPABILITY\r\n", "* CAPABILITY IMAP4rev1");
    expect(0, "b NOOP\r\n", "b OK NOOP");
    expect(0, "c FOO\r\n", "c BAD");
    expect(0, "d SELECT INBOX\r\n", "d BAD");
    expect(0, "e LOGOUT\r\n", "* BYE");
    assert_true(T->closed[0]);
}

static void test_login(void **st)
{
    (void)st;
    td_clear(T, 0);
    uint64_t t0 = T->now;
    expect(0, "a LOGIN alice wrong\r\n", "a NO [AUTHENTICATIONFAILED]");
    assert_true(T->now - t0 >= 500);
    expect(0, "b LOGIN \"alice\" {6}\r\nsecret\r\n", "b OK");
    expect(0, "c LOGIN alice secret\r\n", "c BAD");
    expect(0, "d SELECT INBOX\r\n", "d OK [READ-WRITE]");
}

static void test_auth_plain(void **st)
{
    (void)st;
    td_clear(T, 0);
    /* "\0alice\0secret" */
    expect(0, "a AUTHENTICATE PLAIN\r\n", "+ ");
    expect(0, "*\r\n", "a BAD");
    expect(0, "b AUTHENTICATE PLAIN\r\n", "+ ");
    expect(0, "AGFsaWNlAHNlY3JldA==\r\n", "b OK");
    expect(0, "c NOOP\r\n", "c OK");
}

static void test_auth_overlong_response(void **st)
{
    static char big[IMAP_INBUF_SIZE + 100];
    (void)st;
    td_clear(T, 0);
    expect(0, "a AUTHENTICATE PLAIN\r\n", "+ ");
    memset(big, 'A', sizeof big - 2);
    memcpy(big + sizeof big - 2, "\r\n", 2);
    td_feed(T, 0, big, sizeof big, 0);
    assert_non_null(strstr(td_out(T, 0), "a BAD"));
    td_clear(T, 0);
    expect(0, "b LOGIN alice secret\r\n", "b OK");
}

static void test_auth_plain_ir(void **st)
{
    (void)st;
    td_clear(T, 0);
    expect(0, "a AUTHENTICATE PLAIN AGFsaWNlAHdyb25n\r\n", "a NO [AUTHENTICATIONFAILED]");
    expect(0, "b AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n", "b OK");
}

static void test_logindisabled(void **st)
{
    (void)st;
    td_free(T);
    td_init(T, false);
    td_open(T, 0);
    assert_non_null(strstr(td_out(T, 0), "LOGINDISABLED"));
    assert_null(strstr(td_out(T, 0), "AUTH=PLAIN"));
    td_clear(T, 0);
    expect(0, "a LOGIN alice secret\r\n", "a NO");
    expect(0, "b AUTHENTICATE PLAIN\r\n", "b NO");
}

static void test_too_many_failures(void **st)
{
    (void)st;
    for (int i = 0; i < 20 && T->open[0]; i++)
        td_send(T, 0, "a LOGIN alice wrong\r\n");
    assert_true(T->closed[0]);
    assert_non_null(strstr(td_out(T, 0), "* BYE"));
}

static const char msg1[] =
    "From: Alice <alice@example.org>\r\n"
    "To: Bob <bob@example.org>\r\n"
    "Subject: Hello there\r\n"
    "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
    "\r\n"
    "Body line one\r\n"
    "needle in the body\r\n";

static void append_msg(int i, const char *mbox, const char *flags, const char *m)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ap APPEND %s %s{%zu}\r\n", mbox, flags, strlen(m));
    td_send(T, i, cmd);
    assert_non_null(strstr(td_out(T, i), "+ "));
    td_clear(T, i);
    td_send(T, i, m);
    td_send(T, i, "\r\n");
    if (strstr(td_out(T, i), "ap OK [APPENDUID") == NULL) {
        fprintf(stderr, "append: %s\n", td_out(T, i));
        fail();
    }
    td_clear(T, i);
}

static void test_mail_flow(void **st)
{
    char want[256];
    (void)st;
    login(0);
    append_msg(0, "INBOX", "(\\Flagged) ", msg1);
    append_msg(0, "INBOX", "", msg1);
    expect(0, "s SELECT INBOX\r\n", "* 2 EXISTS");
    expect(0, "f FETCH 1 (FLAGS RFC822.SIZE UID)\r\n", "RFC822.SIZE");
    snprintf(want, sizeof want, "BODY[] {%zu}\r\n%s)", strlen(msg1), msg1);
    expect(0, "f FETCH 1 BODY.PEEK[]\r\n", want);
    expect(0, "f FETCH 1 BODY[TEXT]\r\n", "BODY[TEXT] {35}\r\nBody line one\r\nneedle in the body\r\n FLAGS (\\Seen");
    expect(0, "f FETCH 1 BODY.PEEK[HEADER.FIELDS (subject to)]\r\n",
           "BODY[HEADER.FIELDS (subject to)] {51}\r\nTo: Bob <bob@example.org>\r\nSubject: Hello there\r\n\r\n)");
    expect(0, "f FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (subject to date)]\r\n",
           "{35}\r\nFrom: Alice <alice@example.org>\r\n\r\n)");
    expect(0, "f FETCH 1 BODY.PEEK[]<5.6>\r\n", "BODY[]<5> {6}\r\n Alice)");
    expect(0, "f FETCH 2 RFC822.HEADER\r\n", "RFC822.HEADER {");
    expect(0, "f UID FETCH 1:* FLAGS\r\n", "* 2 FETCH (UID 2 FLAGS (\\Recent))");
    expect(0, "f FETCH 1 ENVELOPE\r\n", "ENVELOPE (\"Mon, 7 Feb 1994 21:52:25 -0800\" \"Hello there\"");
    expect(0, "x SEARCH FLAGGED\r\n", "* SEARCH 1\r\n");
    expect(0, "x SEARCH BODY needle\r\n", "* SEARCH 1 2\r\n");
    expect(0, "x SEARCH SUBJECT \"hello THERE\" NOT SEEN\r\n", "* SEARCH 2\r\n");
    expect(0, "x SEARCH OR SEEN FLAGGED\r\n", "* SEARCH 1\r\n");
    expect(0, "x SEARCH SENTON 7-Feb-1994\r\n", "* SEARCH 1 2\r\n");
    expect(0, "x SEARCH SENTBEFORE 7-Feb-1994\r\n", "* SEARCH\r\n");
    expect(0, "x UID SEARCH 2\r\n", "* SEARCH 2\r\n");
    expect(0, "x SEARCH CHARSET KOI8-R ALL\r\n", "x NO [BADCHARSET");
    expect(0, "x SEARCH LARGER 10 SMALLER 100000 RECENT\r\n", "* SEARCH 1 2\r\n");
    expect(0, "t STORE 2 +FLAGS (\\Deleted $Junk)\r\n",
           "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk)\r\n"
           "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Junk \\*)] Flags permitted\r\n"
           "* 2 FETCH (FLAGS (\\Deleted $Junk \\Recent))");
    expect(0, "x SEARCH KEYWORD $junk\r\n", "* SEARCH 2\r\n");
    expect_not(0, "n NOOP\r\n", "FETCH");
    expect(0, "t STORE 1 FLAGS.SILENT (\\Seen)\r\n", "t OK");
    expect(0, "c CREATE Archive\r\n", "c OK");
    expect(0, "c COPY 1:2 Archive\r\n", "c OK [COPYUID ");
    expect(0, "c COPY 1 Nope\r\n", "c NO [TRYCREATE]");
    expect(0, "e EXPUNGE\r\n", "* 2 EXPUNGE\r\ne OK");
    expect(0, "s STATUS Archive (MESSAGES UNSEEN UIDNEXT)\r\n",
           "* STATUS \"Archive\" (MESSAGES 2 UNSEEN 1 UIDNEXT 3)");
    expect(0, "l LIST \"\" *\r\n", "* LIST (\\HasNoChildren) \"/\" \"Archive\"");
    expect(0, "l LIST \"\" \"\"\r\n", "* LIST (\\Noselect) \"/\" \"\"");
    expect(0, "c CLOSE\r\n", "c OK");
    expect(0, "e EXAMINE Archive\r\n", "[READ-ONLY]");
    expect(0, "t STORE 1 +FLAGS (\\Deleted)\r\n", "t NO");
}

static void test_mailboxes(void **st)
{
    (void)st;
    login(0);
    expect(0, "a CREATE a/b/c\r\n", "a OK");
    expect(0, "a CREATE a/b/c\r\n", "a NO [ALREADYEXISTS]");
    expect(0, "l LIST \"\" %\r\n", "* LIST (\\HasChildren) \"/\" \"a\"");
    expect(0, "l LIST \"\" a/%\r\n", "\"a/b\"\r\nl OK");
    expect(0, "r RENAME a x\r\n", "r OK");
    expect(0, "l LIST \"\" *\r\n", "\"x/b/c\"");
    expect(0, "d DELETE x\r\n", "d NO");
    expect(0, "d DELETE x/b/c\r\n", "d OK");
    expect(0, "s SUBSCRIBE x\r\n", "s OK");
    expect(0, "s LSUB \"\" *\r\n", "* LSUB () \"/\" \"x\"");
    expect(0, "s UNSUBSCRIBE x\r\n", "s OK");
    expect_not(0, "s LSUB \"\" *\r\n", "* LSUB");
    append_msg(0, "INBOX", "", msg1);
    expect(0, "r RENAME INBOX Old\r\n", "r OK");
    expect(0, "s STATUS INBOX (MESSAGES)\r\n", "(MESSAGES 0)");
    expect(0, "s STATUS Old (MESSAGES)\r\n", "(MESSAGES 1)");
    expect(0, "d DELETE INBOX\r\n", "d NO");
    expect(0, "n NAMESPACE\r\n", "* NAMESPACE ((\"\" \"/\")) NIL NIL");
    char longname[400] = "c CREATE ";
    memset(longname + 9, 'n', 300);
    strcpy(longname + 309, "\r\n");
    expect(0, longname, "c NO [CANNOT]");
    expect(0, "c CREATE {3}\r\nx\xc3\xa9\r\n", "c NO [CANNOT]");
    expect(0, "c SELECT\r\n", "c BAD");
}

static void test_list_noselect_levels(void **st)
{
    store_user_t u;
    store_mbox_t mb;
    (void)st;
    store_user_find(&T->store, "alice", &u);
    store_mbox_create(&T->store, u.id, "x/y/z", &mb);
    store_mbox_create(&T->store, u.id, "x/y/w", &mb);
    store_commit(&T->store);
    login(0);
    expect(0, "a LIST \"\" %\r\n",
           "* LIST (\\Noselect \\HasChildren) \"/\" \"x\"\r\na OK");
    td_send(T, 0, "b LIST \"\" *\r\n");
    const char *o = td_out(T, 0), *first = strstr(o, "\"x/y\"\r\n");
    assert_non_null(first);
    assert_null(strstr(first + 1, "\"x/y\"\r\n"));   /* once */
    td_clear(T, 0);
}

static void test_bad_input(void **st)
{
    char big[20000];
    (void)st;
    login(0);
    memset(big, 'x', sizeof big);
    memcpy(big, "a1 NOOP ", 8);
    td_feed(T, 0, big, sizeof big, 0);
    td_send(T, 0, "\r\n");
    assert_non_null(strstr(td_out(T, 0), "a1 BAD"));
    td_clear(T, 0);
    expect(0, "b NOOP\r\n", "b OK");
    expect(0, "c LOGIN {99999}\r\n", "c BAD");
    expect(0, "d NOOP\r\n", "d OK");
    expect(0, "e APPEND INBOX {99999999999}\r\n", "e NO [TOOBIG]");
    expect(0, "e2 APPEND INBOX {2+}\r\nab\r\n", "e2 OK");
    expect(0, "e3 APPEND INBOX {5+}\r\nabcde junk\r\n", "e3 BAD");
    expect(0, "f NOOP\r\n", "f OK");
    td_feed(T, 0, "g \0\x01\xff\r\n", 7, 0);
    assert_non_null(strstr(td_out(T, 0), "g BAD"));
    td_clear(T, 0);
    expect(0, "\r\n", "BAD");
    expect(0, "h FETCH 1 FLAGS\r\n", "h BAD");
    expect(0, "i SELECT INBOX\r\n", "i OK");
    expect(0, "j FETCH 1:* (FLAGS\r\n", "j BAD");
    expect(0, "j FETCH 0 FLAGS\r\n", "j BAD");
    expect(0, "k STORE 1 +FLAGS (\\Bogus)\r\n", "k BAD");
    expect(0, "k SEARCH NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT ALL\r\n", "k BAD");
    expect(0, "k SEARCH (((((((((((ALL)))))))))))\r\n", "k BAD");
    expect(0, "l LOGIN a b\r\n", "l BAD");
    expect(0, "m NOOP\r\n", "m OK");
}

static void test_two_sessions(void **st)
{
    (void)st;
    login(0);
    login(1);
    append_msg(0, "INBOX", "", msg1);
    append_msg(0, "INBOX", "", msg1);
    expect(0, "s SELECT INBOX\r\n", "* 2 EXISTS");
    expect(1, "s SELECT INBOX\r\n", "* 0 RECENT");
    append_msg(1, "INBOX", "", msg1);
    td_clear(T, 1);
    expect(0, "n NOOP\r\n", "* 3 EXISTS\r\n* 2 RECENT\r\nn OK");
    expect(1, "t STORE 1 +FLAGS (\\Deleted)\r\n", "t OK");
    expect(0, "n NOOP\r\n", "* 1 FETCH (UID 1 FLAGS (\\Deleted \\Recent))");
    expect(1, "e EXPUNGE\r\n", "* 1 EXPUNGE");
    /* no EXPUNGE during FETCH; numbers stay */
    expect_not(0, "f FETCH 1:* FLAGS\r\n", "EXPUNGE");
    expect(0, "n NOOP\r\n", "* 1 EXPUNGE");
    expect(0, "f FETCH 1:* UID\r\n", "* 2 FETCH (UID 3)");
}

static void test_idle(void **st)
{
    (void)st;
    login(0);
    login(1);
    expect(0, "s SELECT INBOX\r\n", "s OK");
    expect(0, "i IDLE\r\n", "+ idling");
    append_msg(1, "INBOX", "", msg1);
    td_run(T, 0);
    assert_non_null(strstr(td_out(T, 0), "* 1 EXISTS"));
    td_clear(T, 0);
    expect(0, "DONE\r\n", "i OK");
}

static void test_big_append_fetch(void **st)
{
    size_t n = 300000;
    char *m = malloc(n), cmd[64];
    (void)st;
    login(0);
    memcpy(m, "Subject: big\r\n\r\n", 16);
    for (size_t i = 16; i < n; i++)
        m[i] = (char)('a' + i % 26);
    snprintf(cmd, sizeof cmd, "a APPEND INBOX {%zu+}\r\n", n);
    td_send(T, 0, cmd);
    td_feed(T, 0, m, n, 1000);
    expect(0, "\r\n", "a OK");
    expect(0, "s SELECT INBOX\r\n", "s OK");
    T->max_tx_chunk = 777;
    td_send(T, 0, "f FETCH 1 BODY.PEEK[]\r\n");
    const char *o = td_out(T, 0);
    const char *lit = strstr(o, "{300000}\r\n");
    assert_non_null(lit);
    assert_memory_equal(lit + 10, m, n);
    assert_non_null(strstr(lit + 10 + n, "f OK"));
    free(m);
}

static void test_autologout(void **st)
{
    (void)st;
    td_clear(T, 0);
    uint64_t dl = imap_session_deadline(&T->sess[0]);
    assert_true(dl <= T->now + IMAP_PREAUTH_TIMEOUT_MS);
    T->now = dl;
    td_run(T, 0);
    assert_non_null(strstr(td_out(T, 0), "* BYE Autologout"));
    assert_true(T->closed[0]);
    /* after login the limit is the long one */
    td_open(T, 1);
    login(1);
    assert_true(imap_session_deadline(&T->sess[1]) >= T->now + 30u * 60 * 1000);
}

static void test_shutdown_and_busy(void **st)
{
    char b[64];
    size_t n = imap_server_busy_bye(b, sizeof b);
    (void)st;
    assert_int_equal(n, strlen("* BYE Too many connections\r\n"));
    assert_memory_equal(b, "* BYE Too many connections\r\n", n);
    login(0);
    td_clear(T, 0);
    imap_session_shutdown(&T->sess[0], "Server shutting down");
    td_run(T, 0);
    assert_non_null(strstr(td_out(T, 0), "* BYE Server shutting down"));
    assert_true(T->closed[0]);
    /* during a long FETCH the BYE waits for the command to finish */
    td_open(T, 1);
    login(1);
    for (int i = 0; i < 100; i++)
        append_msg(1, "INBOX", "", msg1);
    expect(1, "s SELECT INBOX\r\n", "s OK");
    uint8_t *p;
    const char *cmd = "f FETCH 1:* BODY.PEEK[]\r\n";
    imap_session_rx_space(&T->sess[1], &p);
    memcpy(p, cmd, strlen(cmd));
    imap_session_rx_commit(&T->sess[1], strlen(cmd));
    /* still running: out of slice budget, or (small-buffer builds) out of
     * output space */
    assert_true(imap_session_step(&T->sess[1], T->now) &
                (IMAP_EV_BUSY | IMAP_EV_WANT_WRITE));
    assert_null(strstr(td_out(T, 1), "f OK"));
    imap_session_shutdown(&T->sess[1], "Server shutting down");
    td_run(T, 1);
    assert_non_null(strstr(td_out(T, 1), "f OK FETCH completed\r\n* BYE Server shutting down\r\n"));
    assert_true(T->closed[1]);
}

static void test_slices(void **st)
{
    char cmd[64];
    (void)st;
    login(0);
    for (int i = 0; i < 150; i++)
        append_msg(0, "INBOX", "", "Subject: s\r\n\r\nx\r\n");
    expect(0, "s SELECT INBOX\r\n", "* 150 EXISTS");
    snprintf(cmd, sizeof cmd, "f FETCH 1:* (UID FLAGS)\r\n");
    uint8_t *p;
    size_t room = imap_session_rx_space(&T->sess[0], &p);
    assert_true(room > strlen(cmd));
    memcpy(p, cmd, strlen(cmd));
    imap_session_rx_commit(&T->sess[0], strlen(cmd));
    unsigned ev = imap_session_step(&T->sess[0], T->now);
    assert_true(ev & IMAP_EV_BUSY);   /* 150 messages > one slice */
    td_run(T, 0);
    assert_non_null(strstr(td_out(T, 0), "* 150 FETCH (UID 150 FLAGS (\\Recent))\r\nf OK"));
    td_clear(T, 0);
    expect(0, "t STORE 1:* +FLAGS.SILENT (\\Deleted)\r\n", "t OK");
    expect(0, "x SEARCH DELETED\r\n", " 150\r\nx OK");
    expect(0, "e EXPUNGE\r\n", "* 1 EXPUNGE\r\ne OK");
    expect(0, "s STATUS INBOX (MESSAGES)\r\n", "(MESSAGES 0)");
}

static void test_corrupt_chunk(void **st)
{
    store_user_t u;
    store_mbox_t mb;
    store_msg_t m;
    (void)st;
    login(0);
    append_msg(0, "INBOX", "", msg1);
    append_msg(0, "INBOX", "", msg1);
    assert_int_equal(store_user_find(&T->store, "alice", &u), 0);
    assert_int_equal(store_mbox_find(&T->store, u.id, "INBOX", &mb), 0);
    assert_int_equal(store_msg_get(&T->store, mb.id, 1, &m), 0);
    /* (the top bit marks a small message kept inline in a record) */
    T->mem[(m.data_addr & 0x7FFFFFFFFFFFFFFFull) + 40] ^= 0x55;
    expect(0, "s SELECT INBOX\r\n", "s OK");
    td_send(T, 0, "f FETCH 1:2 BODY.PEEK[]\r\n");
    const char *o = td_out(T, 0);
    assert_non_null(strstr(o, "f NO"));
    assert_non_null(strstr(o, "* 2 FETCH (BODY[] {"));
    assert_non_null(strstr(o, "needle in the body\r\n)\r\nf NO"));
    td_clear(T, 0);
    expect(0, "n NOOP\r\n", "n OK");
    /* a bigger message: the second data chunk is damaged, the literal
     * keeps its announced length */
    static char big[6000];
    memset(big, 'b', sizeof big);
    memcpy(big, "Subject: big\r\n\r\n", 16);
    big[sizeof big - 1] = 0;
    append_msg(0, "INBOX", "", big);
    assert_int_equal(store_msg_get(&T->store, mb.id, 3, &m), 0);
    assert_true(m.data_addr < 0x8000000000000000ull);
    T->mem[m.data_addr + 3000] ^= 0x55;
    td_send(T, 0, "f FETCH 3 BODY.PEEK[]\r\n");
    o = td_out(T, 0);
    const char *lit = strstr(o, "{5999}\r\n");
    assert_non_null(lit);
    if (strstr(lit + 8 + 5999, ")\r\nf NO") == NULL) {
        fprintf(stderr, "%s\n", lit + 8 + 5999);
        fail();
    }
    td_clear(T, 0);
    expect(0, "n NOOP\r\n", "n OK");
}

static void test_expunge_purge(void **st)
{
    store_user_t u;
    store_mbox_t mb;
    store_msg_t m;
    (void)st;
    login(0);
    login(1);
    append_msg(0, "INBOX", "", msg1);
    append_msg(0, "INBOX", "", msg1);
    expect(0, "s SELECT INBOX\r\n", "s OK");
    expect(1, "s SELECT INBOX\r\n", "s OK");
    expect(0, "t STORE 1 +FLAGS.SILENT (\\Deleted)\r\n", "t OK");
    expect(0, "e EXPUNGE\r\n", "* 1 EXPUNGE");
    store_user_find(&T->store, "alice", &u);
    store_mbox_find(&T->store, u.id, "INBOX", &mb);
    /* session 1 still shows message 1: its data is still there */
    assert_int_equal(store_msg_next(&T->store, mb.id, 1, &m), 0);
    assert_int_equal(m.uid, 1);
    expect(1, "f FETCH 1 BODY.PEEK[TEXT]\r\n", "needle in the body");
    expect(1, "n NOOP\r\n", "* 1 EXPUNGE");
    /* everybody has announced it: purged */
    assert_int_equal(store_msg_next(&T->store, mb.id, 1, &m), 0);
    assert_int_equal(m.uid, 2);
}

static void test_deleted_under_other(void **st)
{
    (void)st;
    login(0);
    login(1);
    expect(0, "c CREATE Tmp\r\n", "c OK");
    append_msg(0, "Tmp", "", msg1);
    expect(1, "s SELECT Tmp\r\n", "s OK");
    expect(0, "d DELETE Tmp\r\n", "d OK");
    expect(1, "n NOOP\r\n", "* BYE");
}

/* A 200 KB header: HEADER.FIELDS counts it over several slices. */
static void test_big_header_fields(void **st)
{
    size_t n = 0, cap = 220000;
    char *m = malloc(cap), cmd[64];
    (void)st;
    login(0);
    while (n < 200000)
        n += (size_t)snprintf(m + n, cap - n, "X-Filler-%06zu: %s\r\n", n,
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    n += (size_t)snprintf(m + n, cap - n, "Subject: found\r\n\r\nbody\r\n");
    snprintf(cmd, sizeof cmd, "a APPEND INBOX {%zu+}\r\n", n);
    td_send(T, 0, cmd);
    td_feed(T, 0, m, n, 0);
    expect(0, "\r\n", "a OK");
    expect(0, "s SELECT INBOX\r\n", "s OK");
    unsigned steps = T->steps;
    expect(0, "f FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]\r\n",
           "BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: found\r\n\r\n)\r\nf OK");
    assert_true(T->steps - steps > 3);   /* sliced */
    expect(0, "f FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]<9.100>\r\n",
           "BODY[HEADER.FIELDS (SUBJECT)]<9> {9}\r\nfound\r\n\r\n)");
    free(m);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Output drained a little at a time: every long response pauses and
 * resumes without losing or repeating a byte. */
static void test_output_pressure(void **st)
{
    char cmd[64];
    (void)st;
    login(0);
    for (int i = 0; i < 60; i++) {
        snprintf(cmd, sizeof cmd, "c CREATE box%03d\r\n", i);
        expect(0, cmd, "c OK");
    }
    for (int i = 0; i < 300; i++)
        append_msg(0, "INBOX", "", "Subject: p\r\n\r\nx\r\n");
    T->max_tx_chunk = 97;
    expect(0, "s SELECT INBOX\r\n", "s OK");
    td_send(T, 0, "l LIST \"\" *\r\n");
    assert_int_equal(count(td_out(T, 0), "* LIST "), 61);
    td_clear(T, 0);
    td_send(T, 0, "x SEARCH ALL\r\n");
    assert_non_null(strstr(td_out(T, 0), " 299 300\r\nx OK"));
    td_clear(T, 0);
    td_send(T, 0, "f FETCH 1:* (UID FLAGS RFC822.SIZE)\r\n");
    assert_int_equal(count(td_out(T, 0), " FETCH (UID "), 300);
    td_clear(T, 0);
    td_send(T, 0, "t STORE 1:* +FLAGS (\\Deleted)\r\n");
    assert_int_equal(count(td_out(T, 0), " FETCH (FLAGS (\\Deleted \\Recent))"), 300);
    td_clear(T, 0);
    td_send(T, 0, "e EXPUNGE\r\n");
    assert_int_equal(count(td_out(T, 0), " EXPUNGE\r\n"), 300);
    assert_non_null(strstr(td_out(T, 0), "e OK"));
    td_clear(T, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_greeting_capability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_plain_ir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth_overlong_response, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logindisabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mail_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mailboxes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_noselect_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_append_fetch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_autologout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_and_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expunge_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_under_other, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_pressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_header_fields, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
