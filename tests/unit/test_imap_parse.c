/*
 * test_imap_parse.c - tokens, sequence sets, literal markers and dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_int.h"

static imap_parser_t P;
static uint8_t buf[512];

static imap_parser_t *parser(const char *s)
{
    size_t n = strlen(s);
    memcpy(buf, s, n);
    imap_p_init(&P, buf, (uint32_t)n);
    return &P;
}

static void test_atoms_and_strings(void **st)
{
    char *a;
    uint32_t al;
    imap_parser_t *p = parser("abc \"q\\\"x\\\\y\" {3}\r\nxyz NIL foo]\r\n");
    (void)st;
    assert_true(imap_p_atom(p, &a, &al, NULL));
    assert_int_equal(al, 3);
    assert_memory_equal(a, "abc", 3);
    assert_true(imap_p_sp(p));
    assert_true(imap_p_astring(p, &a, &al));
    assert_int_equal(al, 5);
    assert_memory_equal(a, "q\"x\\y", 5);
    assert_true(imap_p_sp(p));
    assert_true(imap_p_astring(p, &a, &al));
    assert_int_equal(al, 3);
    assert_memory_equal(a, "xyz", 3);
    assert_true(imap_p_sp(p));
    assert_true(imap_p_nstring(p, &a, &al));
    assert_null(a);
    assert_true(imap_p_sp(p));
    assert_true(imap_p_astring(p, &a, &al));
    assert_int_equal(al, 4);
    assert_true(imap_p_eol(p));
}

static void test_bad_strings(void **st)
{
    char *a;
    uint32_t al;
    (void)st;
    assert_false(imap_p_astring(parser("\"abc\r\n"), &a, &al));
    assert_false(imap_p_astring(parser("\"a\\bc\"\r\n"), &a, &al));
    assert_false(imap_p_astring(parser("{10}\r\nabc\r\n"), &a, &al));
    assert_false(imap_p_astring(parser("{x}\r\n"), &a, &al));
    assert_false(imap_p_astring(parser("(\r\n"), &a, &al));
    assert_true(imap_p_astring(parser("\"\"\r\n"), &a, &al));
    assert_int_equal(al, 0);
    assert_true(imap_p_astring(parser("{0+}\r\n\r\n"), &a, &al));
    assert_int_equal(al, 0);
}

static void test_seqset(void **st)
{
    char *s;
    uint32_t l;
    (void)st;
    assert_true(imap_p_seqset(parser("1,3:5,*"), &s, &l));
    assert_int_equal(l, 7);
    assert_int_equal(imap_seqset_next(s, l, 10, 1), 1);
    assert_int_equal(imap_seqset_next(s, l, 10, 2), 3);
    assert_int_equal(imap_seqset_next(s, l, 10, 6), 10);
    assert_int_equal(imap_seqset_next(s, l, 10, 11), 0);
    assert_true(imap_seqset_has(s, l, 10, 4));
    assert_false(imap_seqset_has(s, l, 10, 2));
    /* reversed range and star below */
    assert_true(imap_p_seqset(parser("7:2"), &s, &l));
    assert_int_equal(imap_seqset_next(s, l, 10, 1), 2);
    assert_true(imap_p_seqset(parser("5:*"), &s, &l));
    assert_int_equal(imap_seqset_next(s, l, 3, 1), 3);
    assert_false(imap_p_seqset(parser("0"), &s, &l));
    assert_false(imap_p_seqset(parser("1:"), &s, &l));
    assert_false(imap_p_seqset(parser(",1"), &s, &l));
    assert_false(imap_p_seqset(parser("99999999999"), &s, &l));
}

static void test_literal_marker(void **st)
{
    uint64_t n;
    bool ns;
    uint32_t mk;
    const uint8_t *b = (const uint8_t *)"a LOGIN {5}\r";
    (void)st;
    assert_true(imap_literal_marker(b, 0, 12, &n, &ns, &mk));
    assert_int_equal(n, 5);
    assert_false(ns);
    assert_int_equal(mk, 8);
    b = (const uint8_t *)"a X {123+}";
    assert_true(imap_literal_marker(b, 0, 10, &n, &ns, &mk));
    assert_int_equal(n, 123);
    assert_true(ns);
    b = (const uint8_t *)"a X {}";
    assert_false(imap_literal_marker(b, 0, 6, &n, &ns, &mk));
    b = (const uint8_t *)"a X 5}";
    assert_false(imap_literal_marker(b, 0, 6, &n, &ns, &mk));
}

static void test_dates(void **st)
{
    int64_t t, d;
    int16_t tz;
    char out[27];
    (void)st;
    assert_true(imap_parse_datetime("17-Jul-1996 02:44:25 -0700", 26, &t, &tz));
    assert_int_equal(tz, -420);
    assert_int_equal(t, 837596665);
    imap_format_datetime(t, tz, out);
    assert_string_equal(out, "17-Jul-1996 02:44:25 -0700");
    assert_true(imap_parse_datetime(" 1-Jan-2000 00:00:00 +0000", 26, &t, &tz));
    imap_format_datetime(t, tz, out);
    assert_string_equal(out, " 1-Jan-2000 00:00:00 +0000");
    assert_false(imap_parse_datetime("31-Feb-2000 00:00:00 +0000", 26, &t, &tz));
    assert_false(imap_parse_datetime("1-Foo-2000 00:00:00 +0000", 25, &t, &tz));
    assert_true(imap_parse_date("1-Feb-1994", 10, &d));
    assert_int_equal(d, imap_days_from_civil(1994, 2, 1));
    assert_true(imap_parse_rfc5322_day("Mon, 7 Feb 1994 21:52:25 -0800", 30, &t));
    assert_int_equal(t, imap_days_from_civil(1994, 2, 7));
    assert_false(imap_parse_date("1-Feb-94", 8, &d));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atoms_and_strings),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_seqset),
        cmocka_unit_test(test_literal_marker),
        cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
