/*
 * test_imap_mime.c - FETCH structure, sections, BINARY and SEARCH with
 * decoding, through whole sessions on a RAM store (expected texts are
 * what Debian's Dovecot answers for the same message).
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

static const char MSG[] =
    "From: =?UTF-8?Q?Ren=C3=A9e?= <renee@example.fr>\r\n"
    "To: Bob <bob@example.net>\r\n"
    "Subject: =?UTF-8?B?w6l0w6kgY2hhdWQ=?=\r\n"
    "Date: Tue, 1 Mar 2022 10:00:00 +0100\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "cr=C3=A8me br=C3=BBl=C3=A9e, soft=\r\nbreak\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "\r\n"
    "inner body\r\n"
    "--XX\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "aGVsbG8gd29ybGQhIFRoaXMgaXMgYmluYXJ5IGRhdGEu\r\nAAEC/w==\r\n"
    "--XX--\r\n";

static void expect(const char *text, const char *want)
{
    td_send(T, 0, text);
    if (strstr(td_out(T, 0), want) == NULL) {
        fprintf(stderr, "sent: %s\nwanted: %s\ngot: %s\n", text, want,
                td_out(T, 0));
        fail();
    }
    td_clear(T, 0);
}

/* One step of session i, its output collected; returns the step's events. */
static unsigned step1(int i)
{
    const uint8_t *q;
    size_t k;
    unsigned ev = imap_session_step(&T->sess[i], T->now);
    while ((k = imap_session_tx_data(&T->sess[i], &q)) > 0) {
        assert_true(T->out_len[i] + k <= TD_OUT_MAX);
        memcpy(T->out[i] + T->out_len[i], q, k);
        T->out_len[i] += k;
        T->out[i][T->out_len[i]] = 0;
        imap_session_tx_consume(&T->sess[i], k);
    }
    return ev;
}

static char *dup(const char *t)
{
    char *c = malloc(strlen(t) + 1);
    assert_non_null(c);
    memcpy(c, t, strlen(t) + 1);
    return c;
}

/* Puts a command in session i's input without stepping it. */
static void put(int i, const char *cmd)
{
    uint8_t *p;
    assert_true(imap_session_rx_space(&T->sess[i], &p) >= strlen(cmd));
    memcpy(p, cmd, strlen(cmd));
    imap_session_rx_commit(&T->sess[i], strlen(cmd));
}

static int setup(void **st)
{
    char head[64];
    (void)st;
    T = calloc(1, sizeof *T);
    td_init(T, true);
    td_open(T, 0);
    expect("a LOGIN alice secret\r\n", "a OK");
    snprintf(head, sizeof head, "b APPEND INBOX {%zu+}\r\n", strlen(MSG));
    td_send(T, 0, head);
    td_feed(T, 0, MSG, strlen(MSG), 7);   /* the parser sees small pieces */
    expect("\r\n", "b OK");
    expect("c SELECT INBOX\r\n", "c OK");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    td_free(T);
    free(T);
    return 0;
}

static void test_structure(void **st)
{
    (void)st;
    expect("f1 FETCH 1 BODY\r\n",
           "BODY ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
           "\"quoted-printable\" 41 1)(\"message\" \"rfc822\" NIL NIL NIL "
           "\"7bit\" 28 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) "
           "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0) 2)"
           "(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 54) \"mixed\")");
    expect("f2 FETCH 1 BODYSTRUCTURE\r\n", "\"mixed\" (\"boundary\" \"XX\") NIL NIL NIL))");
    expect("f3 FETCH 1 ENVELOPE\r\n",
           "ENVELOPE (\"Tue, 1 Mar 2022 10:00:00 +0100\" "
           "\"=?UTF-8?B?w6l0w6kgY2hhdWQ=?=\" "
           "((\"=?UTF-8?Q?Ren=C3=A9e?=\" NIL \"renee\" \"example.fr\"))");
    /* a small output window: the structure is written in pieces */
    T->max_tx_chunk = 5;
    expect("f4 FETCH 1 (BODYSTRUCTURE ENVELOPE)\r\n", "f4 OK");
    T->max_tx_chunk = 0;
}

static void test_sections(void **st)
{
    (void)st;
    expect("s1 FETCH 1 BODY.PEEK[1]\r\n",
           "BODY[1] {41}\r\ncr=C3=A8me br=C3=BBl=C3=A9e, soft=\r\nbreak)");
    expect("s2 FETCH 1 BODY.PEEK[2.HEADER]\r\n", "BODY[2.HEADER] {18}\r\nSubject: inner\r\n\r\n)");
    expect("s3 FETCH 1 BODY.PEEK[2.TEXT]\r\n", "BODY[2.TEXT] {10}\r\ninner body)");
    expect("s4 FETCH 1 BODY.PEEK[2.1]\r\n", "BODY[2.1] {10}\r\ninner body)");
    expect("s5 FETCH 1 BODY.PEEK[3.MIME]\r\n",
           "BODY[3.MIME] {77}\r\nContent-Type: application/octet-stream\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n)");
    expect("s6 FETCH 1 BODY.PEEK[2.HEADER.FIELDS (SUBJECT)]<2.5>\r\n",
           "BODY[2.HEADER.FIELDS (SUBJECT)]<2> {5}\r\nbject)");
    expect("s7 FETCH 1 BODY.PEEK[9]\r\n", "BODY[9] {0}\r\n)");
    expect("s8 FETCH 1 BODY.PEEK[1.2]\r\n", "BODY[1.2] {0}\r\n)");
    expect("s9 FETCH 1 BODY[0]\r\n", "s9 BAD");
    expect("sa FETCH 1 BODY[1.MIME.TEXT]\r\n", "sa BAD");
}

static void test_binary(void **st)
{
    (void)st;
    expect("b1 FETCH 1 BINARY.PEEK[1]\r\n",
           "BINARY[1] ~{26}\r\ncr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e, softbreak)");
    expect("b2 FETCH 1 BINARY.SIZE[3]\r\n", "BINARY.SIZE[3] 37)");
    expect("b3 FETCH 1 BINARY.PEEK[3]<34.10>\r\n", "BINARY[3]<34> ~{3}\r\n\x01\x02\xff)");
    expect("b4 FETCH 1 BINARY.PEEK[2]\r\n", "BINARY[2] {28}\r\n");
    expect("b5 FETCH 1 FLAGS\r\n", "FLAGS (\\Recent))");
    expect("b6 FETCH 1 BINARY[1]<0.2>\r\n", "FLAGS (\\Seen \\Recent)");
}

static void test_search(void **st)
{
    (void)st;
    /* 8-bit strings as literals */
    expect("q1 SEARCH CHARSET UTF-8 SUBJECT {5+}\r\n\xc3\x89T\xc3\x89\r\n",
           "* SEARCH 1\r\n");
    expect("q2 SEARCH CHARSET UTF-8 FROM {6+}\r\nren\xc3\xa9" "e\r\n",
           "* SEARCH 1\r\n");
    expect("q3 SEARCH CHARSET UTF-8 BODY {15+}\r\nCR\xc3\x88ME BR\xc3\x9bL\xc3\x89" "E\r\n",
           "* SEARCH 1\r\n");
    expect("q4 SEARCH BODY softbreak\r\n", "* SEARCH 1\r\n");
    expect("q5 SEARCH BODY aGVsbG8\r\n", "* SEARCH\r\n");   /* not text */
    expect("q6 SEARCH BODY preamble\r\n", "* SEARCH\r\n");
    expect("q7 SEARCH TEXT \"subject: inner\"\r\n", "* SEARCH 1\r\n");
    expect("q8 SEARCH SENTON 1-Mar-2022\r\n", "* SEARCH 1\r\n");
    expect("q9 SEARCH CHARSET ISO-8859-2 ALL\r\n", "q9 NO [BADCHARSET");
    expect("qa SEARCH HEADER Content-Type \"\"\r\n", "* SEARCH 1\r\n");
}

/* A message stored without a summary (an image from before summaries):
 * its structure is parsed on the fly and answered the same way. */
static void test_no_summary(void **st)
{
    store_user_t u;
    store_mbox_t mb;
    store_append_t app;
    uint32_t uid;
    size_t n = strlen(MSG), off = 0;
    char first[4096], second[4096];
    (void)st;
    assert_int_equal(store_user_find(&T->store, "alice", &u), 0);
    assert_int_equal(store_mbox_find(&T->store, u.id, "INBOX", &mb), 0);
    assert_int_equal(store_append_begin(&T->store, &app, mb.id, (uint32_t)n,
                                        0, 0, 0, 0), 0);
    while (off < n) {
        long w = store_append_write(&T->store, &app, MSG + off, n - off);
        assert_true(w > 0);
        off += (size_t)w;
    }
    assert_int_equal(store_append_finish(&T->store, &app, &uid), 0);
    assert_int_equal(store_commit(&T->store), 0);
    expect("n NOOP\r\n", "n OK");
    td_send(T, 0, "x FETCH 1 (BODYSTRUCTURE ENVELOPE BODY.PEEK[2.1])\r\n");
    snprintf(first, sizeof first, "%s", strchr(td_out(T, 0), '('));
    td_clear(T, 0);
    td_send(T, 0, "y FETCH 2 (BODYSTRUCTURE ENVELOPE BODY.PEEK[2.1])\r\n");
    snprintf(second, sizeof second, "%s", strchr(td_out(T, 0), '('));
    td_clear(T, 0);
    assert_non_null(strstr(first, "\r\nx OK"));
    assert_non_null(strstr(second, "\r\ny OK"));
    *strstr(first, "\r\nx OK") = 0;
    *strstr(second, "\r\ny OK") = 0;
    assert_string_equal(first, second);
    expect("z SEARCH BODY softbreak\r\n", "* SEARCH 1 2\r\n");
}

/* SEARCH over a big body runs in slices: each step scans a bounded number
 * of chunks, another session is served between them, and the needle is
 * found across chunk boundaries with the matcher's state kept between
 * steps. */
static void test_search_slices(void **st)
{
    enum { BODY = 1536 * 1024, AT = 6 * 131072 - 5 };
    static const char needle[] = "zebra-Needle";
    char head[96];
    char *msg = malloc(BODY + 64);
    size_t hl, n;
    unsigned steps = 0, busy = 0;
    (void)st;
    hl = (size_t)snprintf(msg, 64, "Subject: big\r\n\r\n");
    for (size_t i = 0; i < BODY; i++)   /* 63 letters and CRLF per line */
        msg[hl + i] = (i % 65 == 63) ? '\r' : (i % 65 == 64) ? '\n'
                                     : (char)('a' + i % 23);
    memcpy(msg + hl + AT, needle, sizeof needle - 1);
    n = hl + BODY;
    snprintf(head, sizeof head, "b APPEND INBOX {%zu+}\r\n", n);
    td_send(T, 0, head);
    td_feed(T, 0, msg, n, 65536);
    expect("\r\n", "b OK");
    free(msg);
    td_open(T, 1);
    td_send(T, 1, "a LOGIN bob hunter2\r\n");
    td_clear(T, 1);

    /* the SEARCH, stepped by hand; a NOOP of session 1 in between */
    put(0, "s SEARCH BODY ZEBRA-NEEDLE\r\n");
    for (;;) {
        unsigned ev = step1(0);
        steps++;
        if (!(ev & IMAP_EV_BUSY))
            break;
        busy++;
        if (steps == 2) {
            assert_null(strstr(td_out(T, 0), "s OK"));
            td_send(T, 1, "n NOOP\r\n");
            assert_non_null(strstr(td_out(T, 1), "n OK"));
        }
        assert_true(steps < 1000);
    }
    /* 6 x 64 chunks of 2 KiB before the needle: at least 5 steps */
    assert_true(busy >= 5);
    assert_non_null(strstr(td_out(T, 0), "* SEARCH 2\r\ns OK"));
    td_clear(T, 0);
    /* a key before the body key is evaluated again each step; NOT, OR
     * and a second body key keep their answers */
    expect("t SEARCH SUBJECT big NOT BODY zebra-needlf\r\n", "* SEARCH 2\r\n");
    expect("u SEARCH OR BODY nothere TEXT \"subject: big\"\r\n",
           "* SEARCH 2\r\n");
    expect("v SEARCH BODY zebra-needle BODY needle\r\n", "* SEARCH 2\r\n");
    expect("w SEARCH BODY softbreak\r\n", "* SEARCH 1\r\n");
}

/* The summary buffer and the APPEND parsers are the server's: three
 * APPENDs at once with two parsers (the third waits for its "+"), and a
 * BODYSTRUCTURE larger than the output buffer written over several steps
 * while another session's FETCH takes the buffer in between. */
static void test_shared_summary(void **st)
{
    char head[64], *one, *two;
    size_t n = strlen(MSG), half = n / 2;
    (void)st;
    for (int i = 1; i < 3; i++) {
        td_open(T, i);
        td_send(T, i, "a LOGIN alice secret\r\nb SELECT INBOX\r\n");
        td_clear(T, i);
    }
    snprintf(head, sizeof head, "p APPEND INBOX {%zu}\r\n", n);
    for (int i = 0; i < 3; i++)
        td_send(T, i, head);
    assert_non_null(strstr(td_out(T, 0), "+ "));
    assert_non_null(strstr(td_out(T, 1), "+ "));
    assert_null(strstr(td_out(T, 2), "+ "));     /* held: no parser free */
    /* held without spinning the loop: not busy, stepped again on a timer */
    assert_false(step1(2) & IMAP_EV_BUSY);
    assert_true(imap_session_deadline(&T->sess[2]) <= T->now + 1000);
    td_feed(T, 0, MSG, half, 5);                  /* two parses interleaved */
    td_feed(T, 1, MSG, half, 3);
    td_feed(T, 0, MSG + half, n - half, 5);
    td_run(T, 2);
    assert_null(strstr(td_out(T, 2), "+ "));
    expect("\r\n", "p OK");                     /* session 0's ends */
    td_run(T, 2);
    assert_non_null(strstr(td_out(T, 2), "+ "));  /* its parser is free */
    td_feed(T, 2, MSG, n, 11);
    td_feed(T, 1, MSG + half, n - half, 3);
    td_send(T, 1, "\r\n");
    td_send(T, 2, "\r\n");
    assert_non_null(strstr(td_out(T, 1), "p OK"));
    assert_non_null(strstr(td_out(T, 2), "p OK"));
    td_clear(T, 1);
    td_clear(T, 2);
    /* every copy has the structure of the first */
    expect("q NOOP\r\n", "q OK");
    td_send(T, 0, "r FETCH 1:4 BODYSTRUCTURE\r\n");
    one = dup(strstr(td_out(T, 0), "* 1 FETCH (") + 11);
    *strstr(one, "\r\n") = 0;
    for (int k = 2; k <= 4; k++) {
        char tag[32];
        snprintf(tag, sizeof tag, "* %d FETCH (", k);
        assert_non_null(strstr(td_out(T, 0), tag));
        assert_memory_equal(strstr(td_out(T, 0), tag) + strlen(tag), one,
                            strlen(one));
    }
    free(one);
    td_clear(T, 0);

    /* a message of 300 parts: its BODYSTRUCTURE is larger than the
     * output buffer */
    size_t cap = 300 * 80 + 256, l = 0;
    char *big = malloc(cap);
    l += (size_t)snprintf(big + l, cap - l,
                          "Subject: parts\r\nContent-Type: multipart/mixed; "
                          "boundary=\"B\"\r\n\r\n");
    for (int k = 0; k < 300; k++)
        l += (size_t)snprintf(big + l, cap - l, "--B\r\nContent-Type: text/"
                              "plain; name=\"p%03d.txt\"\r\n\r\nx\r\n", k);
    l += (size_t)snprintf(big + l, cap - l, "--B--\r\n");
    snprintf(head, sizeof head, "b APPEND INBOX {%zu+}\r\n", l);
    td_send(T, 0, head);
    td_feed(T, 0, big, l, 4096);
    expect("\r\n", "b OK");
    free(big);
    td_send(T, 0, "c FETCH 5 BODYSTRUCTURE\r\n");
    assert_true(strlen(td_out(T, 0)) > IMAP_OUTBUF_SIZE);
    one = dup(td_out(T, 0));
    td_clear(T, 0);
    td_send(T, 1, "d NOOP\r\n");
    td_clear(T, 1);
    put(0, "c FETCH 5 BODYSTRUCTURE\r\n");
    unsigned steps = 0;
    while (strstr(td_out(T, 0), "c OK") == NULL) {
        /* step session 0 with its output left undrained: it pauses */
        imap_session_step(&T->sess[0], T->now);
        steps++;
        /* session 1 loads message 1's summary into the shared buffer */
        td_send(T, 1, "e FETCH 1 BODYSTRUCTURE\r\n");
        assert_non_null(strstr(td_out(T, 1), "e OK"));
        td_clear(T, 1);
        step1(0);
        assert_true(steps < 100);
    }
    assert_true(steps >= 2);
    two = dup(td_out(T, 0));
    assert_string_equal(one, two);
    free(one);
    free(two);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_slices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shared_summary, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
