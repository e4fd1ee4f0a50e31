/*
 * board_uart.c - the console on CMSDK UART0 (QEMU: -serial stdio).
 *
 * QEMU prints only once CTRL.TXEN is set.  Output is polled (the console
 * is for logs and fault reports); input is polled by the main loop.
 */
#include "board.h"

#define UART0_BASE 0x40004000u
#define UART_DATA  (*(volatile uint32_t *)(UART0_BASE + 0x00))
#define UART_STATE (*(volatile uint32_t *)(UART0_BASE + 0x04))
#define UART_CTRL  (*(volatile uint32_t *)(UART0_BASE + 0x08))
#define UART_BAUDDIV (*(volatile uint32_t *)(UART0_BASE + 0x10))

#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u
#define CTRL_TXEN 0x1u
#define CTRL_RXEN 0x2u

void board_uart_init(void)
{
    UART_BAUDDIV = 16;    /* the minimum; QEMU ignores the rate */
    UART_CTRL = CTRL_TXEN | CTRL_RXEN;
}

void board_putc(char c)
{
    while (UART_STATE & STATE_TX_FULL)
        ;
    UART_DATA = (uint8_t)c;
}

void board_puts(const char *s)
{
    while (*s)      /* plain \n: tools/qemu-run reads this through a pipe */
        board_putc(*s++);
}

int board_getc(void)
{
    if (!(UART_STATE & STATE_RX_FULL))
        return -1;
    return (int)(UART_DATA & 0xFFu);
}
