/*
 * board_fault.c - a fault never lets the firmware serve on: HardFault,
 * MemManage, BusFault (the thread stack's guard is a BusFault below RAM),
 * UsageFault and assertions print a reason and the registers on the UART,
 * then stop the emulator with exit status 70.
 */
#include "board.h"
#include "board_semihost.h"

#define SCB_ICSR  (*(volatile uint32_t *)0xE000ED04u)
#define SCB_CFSR  (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR  (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR  (*(volatile uint32_t *)0xE000ED38u)

#define BOARD_FAULT_STATUS 70

extern uint32_t __stack_bottom[];
void board_fault_entry(void);
void board_fault_report(const uint32_t *frame, uint32_t exc_return,
                        uint32_t psp);

static const char *fault_reason(unsigned exc, uint32_t cfsr, uint32_t hfsr)
{
    if (cfsr & (1u << 12))
        return "stack overflow (exception stacking failed)";
    if (cfsr & 0xFF)
        return "memory management fault";
    if (cfsr & 0xFF00)
        return "bus fault";
    if (cfsr & (1u << 25))
        return "divide by zero";
    if (cfsr & (1u << 24))
        return "unaligned access";
    if (cfsr & (1u << 16))
        return "undefined instruction";
    if (cfsr & 0xFFFF0000u)
        return "usage fault";
    if (hfsr & (1u << 1))
        return "vector table read";
    return exc == 2 ? "NMI" : "hard fault";
}

void board_fault_report(const uint32_t *frame, uint32_t exc_return,
                        uint32_t psp)
{
    unsigned exc = SCB_ICSR & 0x1FFu;
    uint32_t cfsr = SCB_CFSR, hfsr = SCB_HFSR;
    const char *why = fault_reason(exc, cfsr, hfsr);
    /* A thread stack pointer at or below the stack's bottom: overflowed. */
    if ((exc_return & 4u) && psp <= (uint32_t)(uintptr_t)__stack_bottom + 32)
        why = "stack overflow (guard below RAM hit)";

    board_printf("\nFAULT: %s (exception %u)\n", why, exc);
    board_printf("  CFSR %08lx HFSR %08lx MMFAR %08lx BFAR %08lx\n",
                 (unsigned long)cfsr, (unsigned long)hfsr,
                 (unsigned long)SCB_MMFAR, (unsigned long)SCB_BFAR);
    board_printf("  EXC_RETURN %08lx PSP %08lx\n", (unsigned long)exc_return,
                 (unsigned long)psp);
    /* The frame may be unreadable when stacking itself failed. */
    if (!(cfsr & ((1u << 12) | (1u << 4))) && frame) {
        board_printf("  r0 %08lx r1 %08lx r2 %08lx r3 %08lx\n",
                     (unsigned long)frame[0], (unsigned long)frame[1],
                     (unsigned long)frame[2], (unsigned long)frame[3]);
        board_printf("  r12 %08lx lr %08lx pc %08lx xpsr %08lx\n",
                     (unsigned long)frame[4], (unsigned long)frame[5],
                     (unsigned long)frame[6], (unsigned long)frame[7]);
    }
    board_puts("stopped.\n");
    sh_exit(BOARD_FAULT_STATUS);
}

/* Picks the stack the CPU saved its frame on (EXC_RETURN bit 2). */
__attribute__((naked)) void board_fault_entry(void)
{
    __asm volatile(
        "mov r1, lr\n"
        "mrs r2, psp\n"
        "tst r1, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "movne r0, r2\n"
        "b board_fault_report\n");
}

void board_panic(const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    board_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    __asm volatile("cpsid i");
    board_printf("\nFAULT: %s\nstopped.\n", msg);
    sh_exit(BOARD_FAULT_STATUS);
}

void board_exit(int status)
{
    sh_exit(status);
}

/* Fault drills for the tests: prove that each kind of fault is caught. */
static volatile uint32_t drill_depth_max = 0xFFFFFFFFu;

static __attribute__((noinline)) uint32_t drill_recurse(uint32_t depth)
{
    volatile uint8_t pad[256];
    pad[0] = (uint8_t)depth;
    if (depth >= drill_depth_max)
        return pad[0];
    return drill_recurse(depth + 1) + pad[0];
}

void board_fault_drill(char kind)
{
    if (kind == '!') {
        board_puts("fault drill: overflowing the thread stack\n");
        (void)drill_recurse(0);
    } else if (kind == '#') {
        board_puts("fault drill: reading unmapped memory\n");
        (void)*(volatile uint32_t *)0xF0000000u;
    }
}
