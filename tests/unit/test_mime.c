/* test_mime.c - the mime module: structure parse, ENVELOPE/BODYSTRUCTURE
 * text, sections, decoders, case folding, matching across pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include "mime/mime.h"

static mime_parser_t mp;
static uint8_t sum[IMAP_MIME_SUMMARY_MAX];
static uint32_t sumlen;
static char out[65536];

/* Parses msg fed in pieces of step bytes. */
static void parse(const char *msg, size_t step)
{
    size_t n = strlen(msg);
    mime_parse_init(&mp, sum, sizeof sum);
    for (size_t i = 0; i < n; i += step)
        mime_parse_feed(&mp, msg + i, n - i < step ? n - i : step);
    sumlen = mime_parse_finish(&mp);
    assert_true(mime_sum_valid(sum, sumlen));
}

static const char *render(bool env, bool ext)
{
    mime_part_t root;
    mime_sink_t o = { (uint8_t *)out, sizeof out - 1, 0, 0, 0 };
    assert_true(mime_part_at(sum, sumlen, MIME_SUM_HDR, &root));
    if (env)
        mime_render_envelope(sum, sumlen, &root, &o);
    else
        mime_render_body(sum, sumlen, &root, ext, &o);
    out[o.w] = 0;
    return out;
}

static const char simple[] =
    "From: \"Joe Q. Public\" <john.q.public@example.com>\r\n"
    "To: Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>\r\n"
    "Cc: undisclosed-recipients:;\r\n"
    "Subject: Hello\r\n"
    "Date: Fri, 21 Nov 1997 09:55:06 -0600\r\n"
    "Message-ID: <1234@local.machine.example>\r\n"
    "\r\n"
    "Body line 1\r\nline 2\r\n";

static void test_envelope(void **state)
{
    (void)state;
    for (size_t step = 1; step < 8; step++) {
        parse(simple, step);
        assert_string_equal(render(true, false),
            "(\"Fri, 21 Nov 1997 09:55:06 -0600\" \"Hello\" "
            "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
            "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
            "((\"Joe Q. Public\" NIL \"john.q.public\" \"example.com\")) "
            "((\"Mary Smith\" NIL \"mary\" \"x.test\")"
            "(NIL NIL \"jdoe\" \"example.org\")(\"Who?\" NIL \"one\" \"y.test\")) "
            "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
            "NIL NIL \"<1234@local.machine.example>\")");
        assert_string_equal(render(false, false),
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 21 2)");
    }
}

static const char multi[] =
    "From: a@b.c\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=YY\r\n"
    "\r\n"
    "--YY\r\n"
    "\r\n"
    "plain\r\n"
    "--YY\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<b>x</b>\r\n"
    "--YY--\r\n"
    "--XX\r\n"
    "Content-Type: application/octet-stream; name=\"a b\"\r\n"
    "Content-Disposition: attachment; filename=\"a b\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "aGVsbG8=\r\n"
    "--XX--\r\n"
    "epilogue\r\n";

static void test_multipart(void **state)
{
    (void)state;
    for (size_t step = 1; step < 6; step += 4) {
        parse(multi, step);
        const char *b = render(false, false);
        assert_non_null(strstr(b, "\"mixed\")"));
        assert_non_null(strstr(b, "\"alternative\")"));
        assert_non_null(strstr(b, "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 9 0)"));
        b = render(false, true);
        assert_non_null(strstr(b, "(\"attachment\" (\"filename\" \"a b\"))"));
    }
    /* sections */
    uint32_t path[3];
    mime_part_t pt, in;
    path[0] = 1;
    assert_true(mime_section(sum, sumlen, path, 1, &pt, &in));
    assert_memory_equal(multi + pt.body_off, "caf=C3=A9", 9);
    assert_int_equal(pt.body_end - pt.body_off, 9);
    path[0] = 2; path[1] = 2;
    assert_true(mime_section(sum, sumlen, path, 2, &pt, &in));
    assert_memory_equal(multi + pt.body_off, "<b>x</b>\r\n--YY--", 16);
    assert_int_equal(pt.body_end - pt.body_off, 8);
    path[0] = 2;
    assert_true(mime_section(sum, sumlen, path, 1, &pt, &in));
    assert_memory_equal(multi + in.hdr_off, "Subject: inner", 14);
    assert_true(in.message);
    path[0] = 3;
    assert_true(mime_section(sum, sumlen, path, 1, &pt, &in));
    assert_memory_equal(multi + pt.body_off, "aGVsbG8=", 8);
    path[0] = 4;
    assert_false(mime_section(sum, sumlen, path, 1, &pt, &in));
}

static void test_broken(void **state)
{
    (void)state;
    /* no closing boundary, bare LF, empty message, header only, NULs */
    parse("Content-Type: multipart/mixed; boundary=a\n\n--a\nx\n--a\n", 3);
    render(false, true);
    parse("", 1);
    assert_string_equal(render(false, false),
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0)");
    parse("Subject: x", 1);
    render(true, false);
    parse("Content-Type: multipart/mixed; boundary=a\r\n\r\nno parts\r\n", 2);
    assert_non_null(strstr(render(false, false), "0 0) \"mixed\")"));
    /* nesting beyond the frames: opaque, never a crash */
    char deep[8192];
    size_t n = 0;
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n,
            "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
    parse(deep, 7);
    render(false, true);
}

static void test_decode(void **state)
{
    (void)state;
    mime_dec_t d;
    uint8_t o[64];
    uint32_t used, w = 0;
    const char *b64 = "aGVs\r\nbG8gd29y\nbGQ=";
    mime_dec_init(&d, MIME_CTE_B64);
    for (size_t i = 0; i < strlen(b64); i++)
        w += mime_dec_run(&d, (const uint8_t *)b64 + i, 1, &used, o + w, 8);
    assert_int_equal(w, 11);
    assert_memory_equal(o, "hello world", 11);
    const char *qp = "caf=C3=A9 soft=\r\nbreak =ZZ";
    mime_dec_init(&d, MIME_CTE_QP);
    w = 0;
    for (size_t i = 0; i < strlen(qp); i++)
        w += mime_dec_run(&d, (const uint8_t *)qp + i, 1, &used, o + w, 8);
    assert_int_equal(w, strlen("caf\xc3\xa9 softbreak =ZZ"));
    assert_memory_equal(o, "caf\xc3\xa9 softbreak =ZZ", w);
    char t[128];
    const char *e = "=?UTF-8?Q?caf=C3=A9?= =?ISO-8859-1?B?5Q==?= x";
    uint32_t l = mime_2047_decode(e, (uint32_t)strlen(e), t, sizeof t);
    assert_int_equal(l, strlen("caf\xc3\xa9\xc3\xa5 x"));
    assert_memory_equal(t, "caf\xc3\xa9\xc3\xa5 x", l);
}

static void test_fold_match(void **state)
{
    (void)state;
    uint8_t n[64];
    mime_match_t m;
    const char *needle = "\xc3\x89T\xc3\x89";   /* ÉTÉ */
    uint32_t nl = mime_fold_utf8((const uint8_t *)needle, (uint32_t)strlen(needle), n, sizeof n);
    assert_true(mime_match_init(&m, n, nl));
    const char *hay = "un \xc3\xa9t\xc3\xa9 chaud";
    for (size_t i = 0; i < strlen(hay); i++)
        mime_match_feed(&m, (const uint8_t *)hay + i, 1);
    assert_true(m.found);
    nl = mime_fold_utf8((const uint8_t *)"ABAB", 4, n, sizeof n);
    mime_match_init(&m, n, nl);
    assert_true(mime_match_feed(&m, (const uint8_t *)"xxaba", 5) ||
                mime_match_feed(&m, (const uint8_t *)"bab", 3));
}

/* Random messages made of MIME-ish pieces, parsed in random pieces:
 * every renderer and section must stay inside the summary (ASan). */
static void test_random(void **state)
{
    static const char *const bits[] = {
        "Content-Type: multipart/mixed; boundary=a\r\n",
        "Content-Type: multipart/digest; boundary=\"b\"\r\n",
        "Content-Type: message/rfc822\r\n", "Content-Type: text/plain; x*0=\"a\"; x*1*=b\r\n",
        "Content-Transfer-Encoding: base64\r\n", "Subject: =?utf-8?q?x=C3?=\r\n",
        "From: a <b@c>, (c) \"d\" <@e,@f:g@h>, grp: ; <>\r\n", "\r\n", "\n",
        "--a\r\n", "--a--\r\n", "--b\r\n", "--b--\n", " folded\r\n",
        "body line\r\n", "\x00\xff\x80", "To: \"unterminated\r\n", "(((((\r\n",
        "Content-Disposition: attachment; filename*=utf-8''%41\r\n",
        "Content-Language: en, de\r\n",
    };
    static char msg[16384];
    uint32_t seed = 12345;
    (void)state;
    for (int round = 0; round < 400; round++) {
        size_t n = 0;
        int pieces = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 120;
        for (int i = 0; i < pieces; i++) {
            const char *b = bits[((seed = seed * 1103515245u + 12345u) >> 16) %
                                 (sizeof bits / sizeof bits[0])];
            size_t l = strlen(b) ? strlen(b) : 3;
            if (n + l >= sizeof msg)
                break;
            memcpy(msg + n, b, l);
            n += l;
        }
        mime_parse_init(&mp, sum, (round & 1) ? sizeof sum : 300);
        for (size_t i = 0; i < n; ) {
            size_t k = 1 + ((seed = seed * 1103515245u + 12345u) >> 16) % 50;
            if (k > n - i)
                k = n - i;
            mime_parse_feed(&mp, msg + i, k);
            i += k;
        }
        sumlen = mime_parse_finish(&mp);
        if (!mime_sum_valid(sum, sumlen))
            continue;
        render(false, true);
        render(true, false);
        for (uint32_t a = 0; a < 4; a++)
            for (uint32_t b = 0; b < 4; b++) {
                uint32_t path[3] = { a + 1, b + 1, 1 };
                mime_part_t pt, in;
                if (mime_section(sum, sumlen, path, 3, &pt, &in)) {
                    assert_true(pt.body_off <= pt.body_end);
                    assert_true(pt.hdr_off <= pt.body_off);
                }
            }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_fold_match),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
