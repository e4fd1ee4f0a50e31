/*
 * board_opts.h - imap_opts.h overrides for the QEMU mps2-an385 board
 * (the lwipopts.h way): 4 sessions with small buffers, so the core, lwIP
 * and the stacks fit the 96 KiB RAM budget of issue 7 (docs/BOARD.md).
 */
#ifndef BOARD_OPTS_H
#define BOARD_OPTS_H

#define IMAP_MAX_SESSIONS 4
#define IMAP_INBUF_SIZE   4096
/* The least the engine works with: two lines of 32 keywords (FLAGS and
 * PERMANENTFLAGS) must fit at once. */
#define IMAP_OUTBUF_SIZE  3072
/* Search keys in one SEARCH (mail clients send a handful). */
#define IMAP_SEARCH_KEYS_MAX 16
/* SEARCH reads bodies 1 KiB at a time (three shared buffers). */
#define IMAP_SEARCH_BLOCK 1024

/* No static TLS heap: the firmware hands the TLS layer the board's heap
 * region (mps2_an385.ld, 128 KiB: four sessions with full 16 KiB input
 * records, their contexts and a handshake), so plain sessions hold none of
 * it and the run-time report counts it by its high-water mark. */
#define IMAP_TLS_HEAP_SIZE 0

#endif
