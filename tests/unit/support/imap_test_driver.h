/*
 * imap_test_driver.h - runs IMAP sessions in memory for unit tests: a RAM
 * flash device, a formatted store with one user, a fake clock, and the
 * bytes each session sent back.
 */
#ifndef IMAP_TEST_DRIVER_H
#define IMAP_TEST_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flash/flash_ram.h"
#include "imap/imap.h"

#define TD_SESSIONS 3
#define TD_FLASH_SIZE (8u * 1024 * 1024)
#define TD_SCRIPT_FLASH_SIZE (1024u * 1024)   /* td_script: run thousands of times */
#define TD_OUT_MAX (512u * 1024)

typedef struct td {
    flash_ram_t ram;
    uint8_t *mem;
    store_t store;
    imap_server_t srv;
    imap_session_t sess[TD_SESSIONS];
    bool open[TD_SESSIONS];
    bool closed[TD_SESSIONS];      /* the engine asked for a close */
    char *out[TD_SESSIONS];
    size_t out_len[TD_SESSIONS];
    uint64_t now;
    unsigned steps;                /* step() calls so far */
    unsigned max_tx_chunk;         /* 0: take all tx data at once */
    bool keep;                     /* td_free keeps the buffers */
} td_t;

/* Fresh RAM device, store formatted and mounted, user "alice" with
 * password "secret" (and "bob"/"hunter2"); allow_plaintext as given. */
void td_init(td_t *t, bool allow_plaintext);
void td_free(td_t *t);
void td_open(td_t *t, int i);
/* Feeds n bytes in pieces of at most chunk bytes, stepping after each one
 * until the session is quiet (auth delays are waited out on the clock). */
void td_feed(td_t *t, int i, const void *data, size_t n, size_t chunk);
void td_send(td_t *t, int i, const char *text);   /* whole string */
/* Steps until quiet. */
void td_run(td_t *t, int i);
/* Output collected so far (NUL terminated); td_take also clears it. */
const char *td_out(td_t *t, int i);
void td_clear(td_t *t, int i);
/* Sends text, fails the test unless the output then contains want (the
 * output is cleared after). */
void td_expect(td_t *t, int i, const char *text, const char *want);
/* Runs a whole client script through a fresh server, fed in two pieces
 * split at split (SIZE_MAX: one byte at a time); returns malloc'd output. */
char *td_script(const char *script, size_t n, size_t split, size_t *out_len);

#endif
