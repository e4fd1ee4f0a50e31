/*
 * board.h - what the firmware needs from the QEMU mps2-an385 board:
 * start-up, console, clock, entropy, faults and stack statistics.
 *
 * Memory map (QEMU 7.2): SSRAM1 at 0 (code), SSRAM2 at 0x20000000 (RAM),
 * CMSDK UART0 at 0x40004000, LAN9118 at 0x40200000.  No flash, RTC or TRNG:
 * the flash image, the wall clock and the entropy seed come from the host
 * through semihosting (board_semihost.h).
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* Console (UART0): output, and one byte of input if there is one (-1). */
void board_uart_init(void);
void board_putc(char c);
void board_puts(const char *s);
int board_getc(void);
void board_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A small vsnprintf: %s %c %d %u %x %X %p %% with l/ll/z, width, 0 flag. */
size_t board_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
size_t board_snprintf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clock: Unix time from the host at boot, then SysTick (1 kHz). */
void board_clock_init(void);
uint64_t board_now_ms(void);       /* wall clock, ms since 1970 */
uint32_t board_ticks_ms(void);     /* monotonic ms since boot (wraps) */
/* Sleeps until the next interrupt (SysTick at the latest: 1 ms). */
void board_idle(void);

/* Entropy: seeded from the host's /dev/urandom through semihosting.  A
 * real board must use its TRNG here.  0, or -1 without a source. */
int board_entropy(void *buf, size_t len);
int board_entropy_ok(void);
uint32_t board_rand32(void);       /* for lwIP (ports, ISNs): not for keys */

/* Faults: print a reason (and registers, for a CPU fault) and stop. */
void board_panic(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
/* Fault drills (console '!' stack overflow, '#' bus fault): each must end
 * in a fault report, never in serving on.  Used by the tests. */
void board_fault_drill(char kind);
/* Stops the emulator with an exit status (semihosting). */
void board_exit(int status) __attribute__((noreturn));

/* Stack high-water mark: bytes of the thread stack ever used (painted). */
size_t board_stack_used(void);
size_t board_stack_size(void);
/* Static RAM of the image: .data + .bss (stacks and heap apart). */
size_t board_ram_static(void);
/* The exception (MSP) stack: its size and high-water mark (painted). */
size_t board_mstack_size(void);
size_t board_mstack_used(void);
/* The heap region the linker script leaves between .bss and the
 * exception stack (BOARD_HEAP_SIZE): mbedTLS's allocator runs over it. */
void *board_heap(size_t *len);

#endif
