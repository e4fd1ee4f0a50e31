/*
 * test_imap_corpus.c - every script in tests/corpus/ fed whole, split in
 * two at every byte position, and one byte at a time: the server's
 * responses must be the same each time (the parser and framer are
 * resumable at any byte).  Script lines end in LF; they are sent as CRLF.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <cmocka.h>

#include "imap_test_driver.h"

static char *load(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *raw, *out;
    long len;
    size_t o = 0;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    raw = malloc((size_t)len + 1);
    out = malloc(2 * (size_t)len + 1);
    if (fread(raw, 1, (size_t)len, f) != (size_t)len)
        len = 0;
    fclose(f);
    for (long i = 0; i < len; i++) {
        if (raw[i] == '\n')
            out[o++] = '\r';
        out[o++] = raw[i];
    }
    free(raw);
    *n = o;
    return out;
}

static void check_script(const char *path)
{
    size_t n = 0, ref_len = 0, len = 0;
    char *script = load(path, &n);
    char *ref, *got;

    assert_non_null(script);
    ref = td_script(script, n, n, &ref_len);
    /* sanity: every tagged command got an answer, the session ended */
    assert_non_null(strstr(ref, "* BYE"));
    for (size_t split = 0; split <= n; split++) {
        got = td_script(script, n, split, &len);
        if (len != ref_len || memcmp(got, ref, len) != 0) {
            fprintf(stderr, "%s: split at %zu differs\n--- whole:\n%s\n--- split:\n%s\n",
                    path, split, ref, got);
            fail();
        }
        free(got);
    }
    got = td_script(script, n, SIZE_MAX, &len);
    if (len != ref_len || memcmp(got, ref, len) != 0) {
        fprintf(stderr, "%s: byte at a time differs\n--- whole:\n%s\n--- bytes:\n%s\n",
                path, ref, got);
        fail();
    }
    free(got);
    if (getenv("IMAPD_CORPUS_SHOW"))
        fprintf(stderr, "%s\n", ref);
    free(ref);
    free(script);
}

static void test_corpus(void **st)
{
    const char *dir = getenv("IMAPD_TEST_CORPUS");
    char path[1024];
    struct dirent *e;
    DIR *d;
    int count = 0;

    (void)st;
    if (dir == NULL)
        dir = "tests/corpus";
    d = opendir(dir);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".imap") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        check_script(path);
        count++;
    }
    closedir(d);
    assert_true(count > 0);
}

/* A line longer than the input buffer, then a good command. */
static void test_overlong_line(void **st)
{
    size_t n = IMAP_INBUF_SIZE * 3 + 200, len, ref_len;
    char *s = malloc(n + 64), *ref, *got;
    (void)st;
    memcpy(s, "a1 NOOP ", 8);
    memset(s + 8, 'x', n - 8);
    memcpy(s + n, "\r\na2 NOOP\r\na3 LOGOUT\r\n", 22);
    n += 22;
    ref = td_script(s, n, n, &ref_len);
    assert_non_null(strstr(ref, "a1 BAD"));
    assert_non_null(strstr(ref, "a2 OK"));
    for (size_t split = 1; split < n; split += 97) {
        got = td_script(s, n, split, &len);
        assert_int_equal(len, ref_len);
        assert_memory_equal(got, ref, len);
        free(got);
    }
    free(ref);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_overlong_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
