/*
 * board_opts.h - imap_opts.h overrides for the QEMU mps2-an385 board
 * (the lwipopts.h way): 4 sessions with 4 KiB buffers, so the core, lwIP
 * and the stacks fit the 96 KiB RAM budget of issue 7 (docs/BOARD.md).
 */
#ifndef BOARD_OPTS_H
#define BOARD_OPTS_H

#define IMAP_MAX_SESSIONS 4
#define IMAP_INBUF_SIZE   4096
#define IMAP_OUTBUF_SIZE  4096

#endif
