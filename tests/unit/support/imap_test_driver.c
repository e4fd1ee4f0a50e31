/*
 * imap_test_driver.c - see imap_test_driver.h.
 */
#include "imap_test_driver.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/auth.h"
#include "imap/imap_int.h"

static void add_user(td_t *t, const char *name, const char *pw)
{
    store_user_t u;
    uint8_t salt[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    uint32_t id;
    memset(&u, 0, sizeof u);
    strcpy(u.name, name);
    auth_set_password(&u, pw, strlen(pw), salt, 2);
    store_user_add(&t->store, &u, &id);
    store_commit(&t->store);
}

void td_init(td_t *t, bool allow_plaintext)
{
    flash_geometry_t geo = { t->keep ? TD_SCRIPT_FLASH_SIZE : TD_FLASH_SIZE,
                             4096, 256, 0 };
    imap_config_t cfg = { "imapd", allow_plaintext, NULL, NULL };

    uint8_t *mem = t->keep ? t->mem : NULL;
    char *outs[TD_SESSIONS];
    bool keep = t->keep;
    for (int i = 0; i < TD_SESSIONS; i++)
        outs[i] = keep ? t->out[i] : NULL;
    memset(t, 0, sizeof *t);
    t->keep = keep;
    t->now = 1700000000000ull;
    t->mem = mem ? mem : malloc(geo.size);
    flash_ram_init(&t->ram, t->mem, &geo, true);
    store_format(&t->ram.dev, (uint32_t)(t->now / 1000));
    store_mount(&t->store, &t->ram.dev);
    add_user(t, "alice", "secret");
    add_user(t, "bob", "hunter2");
    imap_server_init(&t->srv, &t->store, &cfg);
    for (int i = 0; i < TD_SESSIONS; i++) {
        t->out[i] = outs[i] ? outs[i] : malloc(TD_OUT_MAX + 1);
        t->out[i][0] = 0;
    }
}

void td_free(td_t *t)
{
    for (int i = 0; i < TD_SESSIONS; i++) {
        if (t->open[i])
            imap_session_close(&t->sess[i]);
        t->open[i] = false;
        if (!t->keep)
            free(t->out[i]);
    }
    store_unmount(&t->store);
    if (!t->keep)
        free(t->mem);
}

static size_t drain(td_t *t, int i)
{
    size_t total = 0;
    const uint8_t *p;
    size_t n;
    while ((n = imap_session_tx_data(&t->sess[i], &p)) > 0) {
        if (t->max_tx_chunk && n > t->max_tx_chunk)
            n = t->max_tx_chunk;
        size_t room = TD_OUT_MAX - t->out_len[i];
        memcpy(t->out[i] + t->out_len[i], p, n < room ? n : room);
        t->out_len[i] += n < room ? n : room;
        t->out[i][t->out_len[i]] = 0;
        imap_session_tx_consume(&t->sess[i], n);
        total += n;
    }
    return total;
}

void td_run(td_t *t, int i)
{
    imap_session_t *s = &t->sess[i];
    for (unsigned guard = 0; guard < 10000000 && t->open[i]; guard++) {
        unsigned ev = imap_session_step(s, t->now);
        t->steps++;
        size_t sent = drain(t, i);
        if (ev & IMAP_EV_CLOSE) {
            t->closed[i] = true;
            imap_session_close(s);
            t->open[i] = false;
            return;
        }
        if (ev & IMAP_EV_BUSY)
            continue;
        if (sent > 0)   /* room again: like a port, step once more */
            continue;
        if (s->delayed) {   /* a held failed-login answer: let time pass */
            t->now = imap_session_deadline(s);
            continue;
        }
        return;
    }
}

void td_open(td_t *t, int i)
{
    imap_session_open(&t->srv, &t->sess[i], t->now, "test");
    t->open[i] = true;
    t->closed[i] = false;
    td_run(t, i);
}

void td_feed(td_t *t, int i, const void *data, size_t n, size_t chunk)
{
    const uint8_t *d = data;
    unsigned stuck = 0;
    if (chunk == 0)
        chunk = n ? n : 1;
    while (n > 0 && t->open[i]) {
        uint8_t *p;
        size_t room = imap_session_rx_space(&t->sess[i], &p);
        size_t k = n < chunk ? n : chunk;
        if (k > room)
            k = room;
        if (k == 0) {
            if (++stuck > 1000)
                return;
        } else {
            stuck = 0;
        }
        memcpy(p, d, k);
        imap_session_rx_commit(&t->sess[i], k);
        d += k;
        n -= k;
        td_run(t, i);
    }
}

void td_send(td_t *t, int i, const char *text)
{
    td_feed(t, i, text, strlen(text), 0);
}

const char *td_out(td_t *t, int i) { return t->out[i]; }

void td_clear(td_t *t, int i)
{
    t->out_len[i] = 0;
    t->out[i][0] = 0;
}

void td_expect(td_t *t, int i, const char *text, const char *want)
{
    td_send(t, i, text);
    if (strstr(td_out(t, i), want) == NULL) {
        fprintf(stderr, "sent: %s\nwanted: %s\ngot: %s\n", text, want,
                td_out(t, i));
        fail();
    }
    td_clear(t, i);
}

char *td_script(const char *script, size_t n, size_t split, size_t *out_len)
{
    static td_t *t;   /* reused: scripts run thousands of times */
    char *r;

    if (t == NULL) {
        t = calloc(1, sizeof *t);
        t->keep = true;   /* the small device, buffers kept */
        t->mem = malloc(TD_SCRIPT_FLASH_SIZE);
        for (int i = 0; i < TD_SESSIONS; i++)
            t->out[i] = malloc(TD_OUT_MAX + 1);
    }
    td_init(t, true);
    td_open(t, 0);
    if (split == SIZE_MAX) {
        td_feed(t, 0, script, n, 1);
    } else {
        if (split > n)
            split = n;
        td_feed(t, 0, script, split, 0);
        td_feed(t, 0, script + split, n - split, 0);
    }
    if (t->open[0]) {
        imap_session_rx_eof(&t->sess[0]);
        td_run(t, 0);
    }
    r = malloc(t->out_len[0] + 1);
    memcpy(r, t->out[0], t->out_len[0] + 1);
    *out_len = t->out_len[0];
    td_free(t);
    return r;
}
