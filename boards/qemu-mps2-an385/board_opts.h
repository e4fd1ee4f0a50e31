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

/* TLS heap: room for full 16 KiB input records in every TLS session (no
 * client has to negotiate max_fragment_length) plus 24 KiB for handshakes
 * and the certificate (measured: the parsed P-256 certificate and key take
 * 3.5 KiB, four sessions after their handshakes 26 KiB in all), instead of
 * the core's 48 KiB margin: the image stays within the 256 KiB TLS budget. */
#define IMAP_TLS_HEAP_SIZE (4UL * (16384 + 4096 + 3072) + 24UL * 1024)

#endif
