/*
 * arch/cc.h - lwIP's compiler/platform port for the QEMU board:
 * diagnostics go to the UART, an assertion is a fault that stops.
 */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <stdint.h>

#include "board.h"

#define BYTE_ORDER LITTLE_ENDIAN
#define LWIP_PLATFORM_DIAG(x) do { board_printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) \
    board_panic("lwIP assertion \"%s\" at %s:%d", x, __FILE__, __LINE__)
/* newlib has no <sys/errno> clash here; lwIP uses its own err_t only. */
#define LWIP_NO_UNISTD_H 1

#endif
