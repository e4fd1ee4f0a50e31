/*
 * test_imap_space.c - a store near its limit, through the engine: an
 * APPEND the store can take only after the compaction pass under way is
 * held (no "+" yet) and goes in later, never NO; compaction runs in
 * bounded steps (the store's largest step, in flash bytes); a store whose
 * live data does not fit answers NO [OVERQUOTA]; a FETCH streaming one
 * message over many rounds while other sessions churn enough to lap the
 * ring reads the message whole; the finish of an APPEND whose data was
 * written before the pass began is held while that data moves, the
 * other sessions served meanwhile.
 *
 * The device is the driver's small one (1 MiB NOR: a ring of 1016 KiB,
 * a 64 KiB reserve); the churn from a full store also runs on 4 MiB (a
 * store filled while a pass ran was once too full for the next pass).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap/imap_int.h"
#include "imap_test_driver.h"

#define MSG_SIZE 30000u

static td_t *T;

/* The server's log: compaction pass lines counted. */
static unsigned g_started, g_ended;

static void count_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    if (strncmp(msg, "compaction pass ", 16) != 0)
        return;
    assert_int_equal(level, IMAP_LOG_INFO);
    assert_non_null(strstr(msg, " KiB used of "));
    if (strncmp(msg + 16, "started: ", 9) == 0)
        g_started++;
    else if (strncmp(msg + 16, "ended: ", 7) == 0)
        g_ended++;
    else
        fail_msg("log: %s", msg);
}

static int setup_size(uint32_t size)
{
    T = calloc(1, sizeof *T);
    T->keep = true;   /* a small device */
    T->flash_size = size;
    T->mem = malloc(size);
    for (int i = 0; i < TD_SESSIONS; i++)
        T->out[i] = malloc(TD_OUT_MAX + 1);
    td_init(T, true);
    T->srv.cfg.log = count_log;
    g_started = g_ended = 0;
    return 0;
}

static int setup(void **st)
{
    (void)st;
    return setup_size(TD_SCRIPT_FLASH_SIZE);
}

static int setup4(void **st)
{
    (void)st;
    return setup_size(4u << 20);
}

static int teardown(void **st)
{
    (void)st;
    td_free(T);
    free(T->mem);
    for (int i = 0; i < TD_SESSIONS; i++)
        free(T->out[i]);
    free(T);
    return 0;
}

/* Sends text and checks that the output contains want (then clears). */
static void expect(int i, const char *text, const char *want)
{
    td_expect(T, i, text, want);
}

static void login(int i, const char *mbox)
{
    char cmd[64];
    td_open(T, i);
    td_clear(T, i);
    expect(i, "L LOGIN alice secret\r\n", "L OK");
    snprintf(cmd, sizeof cmd, "S SELECT %s\r\n", mbox);
    expect(i, cmd, "S OK");
}

static void body(char *m, size_t n, unsigned seed)
{
    int h = snprintf(m, n, "Subject: m%u\r\n\r\n", seed);
    for (size_t i = (size_t)h; i < n; i++)
        m[i] = (char)('a' + (i * 7 + seed) % 26);
}

/* APPEND of n bytes with a synchronising literal.  Returns 1 when it went
 * in, 0 when refused NO [OVERQUOTA]; *held: the "+" did not come at the
 * first step (the engine held the command for space). */
static int append(int i, const char *mbox, size_t n, unsigned seed, bool *held)
{
    imap_session_t *s = &T->sess[i];
    char cmd[64], *m = malloc(n);
    uint8_t *p;
    body(m, n, seed);
    snprintf(cmd, sizeof cmd, "a APPEND %s {%zu}\r\n", mbox, n);
    assert_true(imap_session_rx_space(s, &p) > strlen(cmd));
    memcpy(p, cmd, strlen(cmd));
    imap_session_rx_commit(s, strlen(cmd));
    unsigned ev = imap_session_step(s, T->now);
    const uint8_t *q;
    size_t qn = imap_session_tx_data(s, &q);
    *held = qn == 0;
    if (*held) {
        assert_true(ev & IMAP_EV_BUSY);   /* the port steps it again */
        assert_true(s->space_wait);
    }
    td_run(T, i);
    if (strstr(td_out(T, i), "a NO [OVERQUOTA]")) {
        td_clear(T, i);
        free(m);
        return 0;
    }
    assert_non_null(strstr(td_out(T, i), "+ Ready"));
    td_clear(T, i);
    td_feed(T, i, m, n, 4096);
    td_send(T, i, "\r\n");
    if (strstr(td_out(T, i), "a OK [APPENDUID") == NULL) {
        fprintf(stderr, "append: %s\n", td_out(T, i));
        fail();
    }
    td_clear(T, i);
    free(m);
    return 1;
}

/* APPEND with a non-synchronising literal (LITERAL+): line and message
 * are sent at once; a held APPEND leaves them in the input buffer (and
 * the rest outside: rx space runs out) until the store has room. */
static void append_nonsync(int i, size_t n, unsigned seed)
{
    char *m = malloc(n + 64);
    int h = snprintf(m, 64, "p APPEND INBOX {%zu+}\r\n", n);
    body(m + h, n, seed);
    memcpy(m + h + n, "\r\n", 2);
    td_feed(T, i, m, (size_t)h + n + 2, 4096);
    if (strstr(td_out(T, i), "p OK [APPENDUID") == NULL) {
        fprintf(stderr, "append: %s\n", td_out(T, i));
        fail();
    }
    td_clear(T, i);
    free(m);
}

static void expunge_first(int i)
{
    expect(i, "d STORE 1 +FLAGS.SILENT (\\Deleted)\r\n", "d OK");
    expect(i, "e EXPUNGE\r\n", "e OK");
}

/* 11 messages of 30 KB live (with the one APPEND adds, 12: about what a
 * store of this ring holds),
 * then 200 rounds of APPEND + EXPUNGE (six times the ring): every APPEND
 * goes in, some after being held, and no compaction step writes more than
 * its bound. */
static void test_churn_held_not_refused(void **st)
{
    (void)st;
    unsigned holds = 0;
    bool held;
    login(0, "INBOX");
    for (unsigned i = 0; i < 11; i++) {
        assert_int_equal(append(0, "INBOX", MSG_SIZE, i, &held), 1);
        holds += held;
    }
    for (unsigned r = 0; r < 200; r++) {
        assert_int_equal(append(0, "INBOX", MSG_SIZE, 100 + r, &held), 1);
        holds += held;
        expunge_first(0);
    }
    store_stat_t sst;
    assert_int_equal(store_get_stat(&T->store, &sst), STORE_OK);
    fprintf(stderr, "held %u of 211 APPENDs, %u passes, largest step %llu "
            "bytes, longest session step %.2f ms (RAM flash)\n", holds,
            sst.passes, (unsigned long long)sst.step_max,
            (double)T->step_max_ns / 1e6);
    assert_true(holds > 0);
    assert_true(sst.passes >= 4);
    /* every pass logged its start and its end (one may be under way) */
    assert_int_equal(g_ended, sst.passes);
    assert_int_equal(g_started, sst.passes + sst.compacting);
    /* a step: at most its budget (64 KiB) of work, plus the message that
     * crosses it, plus the index paths it rewrote (node cache: 8 KiB a
     * flush) and its commit */
    assert_true(sst.step_max <= 64u * 1024 + 16u * 2048 + 64u * 1024);
    expect(0, "s STATUS INBOX (MESSAGES)\r\n", "(MESSAGES 11)");
}

/* Live data beyond what the store holds: NO [OVERQUOTA], after at most a
 * pass of waiting, and the refused APPEND changes nothing. */
static void test_full_refused(void **st)
{
    (void)st;
    bool held;
    unsigned n = 0;
    login(0, "INBOX");
    while (append(0, "INBOX", MSG_SIZE, n, &held) == 1) {
        n++;
        assert_true(n < 40);   /* 40 x 30 KB is more than the ring */
    }
    /* half the ring, less the reserve and the room a power cut during a
     * pass may waste (st_cut_waste: about 100 KiB here) */
    fprintf(stderr, "full store: %u messages of 30 KB\n", n);
    assert_true(n >= 12);
    char want[40];
    snprintf(want, sizeof want, "(MESSAGES %u)", n);
    expect(0, "s STATUS INBOX (MESSAGES)\r\n", want);
    /* EXPUNGE still works on the full store; with room made (live counts
     * are upper bounds: a few messages' worth), APPEND goes in again */
    for (int i = 0; i < 4; i++)
        expunge_first(0);
    assert_int_equal(append(0, "INBOX", MSG_SIZE, 999, &held), 1);
}

/* Filled until NO, three expunged, then churn (every other APPEND with
 * LITERAL+): every APPEND goes in. */
static void test_churn_from_full(void **st)
{
    (void)st;
    bool held;
    unsigned n = 0;
    login(0, "INBOX");
    while (append(0, "INBOX", MSG_SIZE, n, &held) == 1)
        n++;
    expect(0, "d STORE 1:3 +FLAGS.SILENT (\\Deleted)\r\n", "d OK");
    expect(0, "e EXPUNGE\r\n", "e OK");
    for (unsigned r = 0; r < 100; r++) {
        unsigned s0 = T->steps;
        if (r % 2)
            append_nonsync(0, MSG_SIZE, 500 + r);
        else
            assert_int_equal(append(0, "INBOX", MSG_SIZE, 500 + r, &held), 1);
        assert_true(T->steps - s0 < 5000);
        expunge_first(0);
    }
}

/* COPY into a store near its limit is held, not refused. */
static void test_copy_held(void **st)
{
    (void)st;
    bool held;
    login(0, "INBOX");
    expect(0, "c CREATE Other\r\n", "c OK");
    for (unsigned i = 0; i < 11; i++)
        assert_int_equal(append(0, "INBOX", MSG_SIZE, i, &held), 1);
    /* churn in Other fills the log with garbage; COPY shares data, so it
     * needs only index room: it goes in, held or not */
    for (unsigned r = 0; r < 40; r++) {
        assert_int_equal(append(0, "Other", MSG_SIZE, 200 + r, &held), 1);
        expect(0, "s SELECT Other\r\n", "s OK");
        expunge_first(0);
        expect(0, "s SELECT INBOX\r\n", "s OK");
        expect(0, "c COPY 1:2 Other\r\n", "c OK [COPYUID");
        expect(0, "s SELECT Other\r\n", "s OK");
        expect(0, "d STORE 1:* +FLAGS.SILENT (\\Deleted)\r\n", "d OK");
        expect(0, "e EXPUNGE\r\n", "e OK");
        expect(0, "s SELECT INBOX\r\n", "s OK");
    }
}

/* Session 0 streams a 200 KB message slowly (its output drained a little
 * at a time); meanwhile session 1 appends and expunges 3 MiB in another
 * mailbox, so passes move the message and the head comes round the ring
 * over its old place.  The literal arrives whole and the FETCH says OK. */
static void test_fetch_across_passes(void **st)
{
    (void)st;
    const size_t big = 200000;
    bool held;
    char *m = malloc(big);
    body(m, big, 7);
    login(0, "INBOX");
    assert_int_equal(append(0, "INBOX", big, 7, &held), 1);
    td_open(T, 1);
    td_clear(T, 1);
    expect(1, "L LOGIN alice secret\r\n", "L OK");
    expect(1, "c CREATE Churn\r\n", "c OK");
    expect(1, "s SELECT Churn\r\n", "s OK");

    imap_session_t *s = &T->sess[0];
    const char *cmd = "f FETCH 1 BODY.PEEK[]\r\n";
    uint8_t *p;
    assert_true(imap_session_rx_space(s, &p) > strlen(cmd));
    memcpy(p, cmd, strlen(cmd));
    imap_session_rx_commit(s, strlen(cmd));
    store_stat_t a, b;
    assert_int_equal(store_get_stat(&T->store, &a), STORE_OK);
    size_t got = 0;
    char *out = malloc(big + 4096);
    for (unsigned round = 0; round < 100000 && T->open[0]; round++) {
        unsigned ev = imap_session_step(s, T->now);
        const uint8_t *q;
        size_t n = imap_session_tx_data(s, &q);
        if (n > 1000)
            n = 1000;   /* a slow reader */
        assert_true(got + n <= big + 4096);
        memcpy(out + got, q, n);
        got += n;
        imap_session_tx_consume(s, n);
        if (n == 0 && !(ev & IMAP_EV_BUSY))
            break;
        /* the other session churns between the reader's rounds */
        if (round % 4 == 0 && round < 400) {
            assert_int_equal(append(1, "Churn", MSG_SIZE, round, &held), 1);
            expunge_first(1);
        }
    }
    assert_int_equal(store_get_stat(&T->store, &b), STORE_OK);
    fprintf(stderr, "passes during the FETCH: %u\n", b.passes - a.passes);
    assert_true(b.passes - a.passes >= 3);   /* the ring was lapped */
    out[got] = 0;
    const char *lit = strstr(out, "{200000}\r\n");
    assert_non_null(lit);
    assert_true((size_t)(lit - out) + 10 + big <= got);
    assert_memory_equal(lit + 10, m, big);
    assert_non_null(strstr(lit + 10 + big, "f OK"));
    free(out);
    free(m);
}

/* Session 0 sends half of a 400 KB APPEND literal; session 1 churns until
 * a compaction pass is under way; then the rest and the CRLF.  The data
 * written before the pass must move above the pass's mark: the finish is
 * held (space_wait, no tagged answer yet) and moves it a step at a time
 * while session 1 is served; then OK, and the message reads back whole. */
static void test_append_finish_held(void **st)
{
    (void)st;
    const size_t big = 400000;   /* the FETCH fits TD_OUT_MAX */
    bool held;
    char *m = malloc(big), cmd[64];
    body(m, big, 11);
    login(0, "INBOX");
    login(1, "INBOX");
    expect(1, "c CREATE Churn\r\n", "c OK");
    snprintf(cmd, sizeof cmd, "a APPEND INBOX {%zu}\r\n", big);
    expect(0, cmd, "+ Ready");
    td_feed(T, 0, m, big / 2, 4096);
    store_stat_t sst;
    for (unsigned r = 0;; r++) {
        assert_int_equal(store_get_stat(&T->store, &sst), STORE_OK);
        if (sst.compacting)
            break;
        assert_true(r < 1000);
        assert_int_equal(append(1, "Churn", MSG_SIZE, r, &held), 1);
        expect(1, "s SELECT Churn\r\n", "s OK");
        expunge_first(1);
        expect(1, "s SELECT INBOX\r\n", "s OK");
    }
    td_feed(T, 0, m + big / 2, big - big / 2, 4096);
    imap_session_t *s = &T->sess[0];
    assert_true(s->app.active && s->app.written == big);
    assert_true(s->app.data_addr < T->store.cur.mark);
    uint8_t *p;
    assert_true(imap_session_rx_space(s, &p) >= 2);
    memcpy(p, "\r\n", 2);
    imap_session_rx_commit(s, 2);
    unsigned rounds = 0;
    for (;;) {
        unsigned ev = imap_session_step(s, T->now);
        const uint8_t *q;
        size_t n = imap_session_tx_data(s, &q);
        if (n > 0)
            break;
        assert_true(ev & IMAP_EV_BUSY);   /* the port steps it again */
        assert_true(s->space_wait && s->app.active);
        rounds++;
        assert_true(rounds < 1000);
        expect(1, "n NOOP\r\n", "n OK");   /* served meanwhile */
    }
    td_run(T, 0);
    assert_non_null(strstr(td_out(T, 0), "a OK [APPENDUID"));
    td_clear(T, 0);
    fprintf(stderr, "APPEND finish held %u rounds\n", rounds);
    assert_true(rounds >= big / (64u * 1024));
    expect(0, "n NOOP\r\n", "n OK");
    td_send(T, 0, "f FETCH 1 BODY.PEEK[]\r\n");
    const char *lit = strstr(td_out(T, 0), "{400000}\r\n");
    assert_non_null(lit);
    assert_memory_equal(lit + 10, m, big);
    assert_non_null(strstr(lit + 10 + big, "f OK"));
    td_clear(T, 0);
    assert_int_equal(store_check(&T->store, NULL, NULL), 0);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_churn_held_not_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_churn_from_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_churn_from_full, setup4, teardown),
        cmocka_unit_test_setup_teardown(test_copy_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_across_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_finish_held, setup4, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
