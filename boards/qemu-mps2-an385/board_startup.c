/*
 * board_startup.c - vector table and reset: the first code that runs.
 *
 * Reset runs on the exception stack (MSP, the top of RAM), switches thread
 * mode to its own stack (PSP, placed at the bottom of RAM by the linker
 * script so an overflow faults), copies .data, zeroes .bss, paints the
 * unused stack for the high-water mark, and calls main().
 */
#include <stdint.h>
#include <string.h>

#include "board.h"

extern uint32_t __stack_bottom[], __stack_top[], __mstack_bottom[], __mstack_top[];
extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];

int main(void);
void board_reset(void);
void board_fault_entry(void);
void board_systick_isr(void);
void board_start(void);

#define STACK_PAINT 0xC5C5C5C5u

static void unused_isr(void)
{
    board_panic("unexpected interrupt");
}

typedef void (*vector_t)(void);

/* 16 system exceptions + the CMSDK/MPS2 interrupts we might see. */
__attribute__((section(".vectors"), used))
static const vector_t board_vectors[16 + 32] = {
    (vector_t)(uintptr_t)__mstack_top,
    board_reset,
    board_fault_entry,   /* NMI */
    board_fault_entry,   /* HardFault */
    board_fault_entry,   /* MemManage */
    board_fault_entry,   /* BusFault */
    board_fault_entry,   /* UsageFault */
    0, 0, 0, 0,
    unused_isr,          /* SVCall */
    unused_isr,          /* DebugMon */
    0,
    unused_isr,          /* PendSV */
    board_systick_isr,   /* SysTick */
    [16 ... 47] = unused_isr,
};

/* Thread mode moves to the PSP stack before any C code uses a frame. */
__attribute__((naked, noreturn)) void board_reset(void)
{
    __asm volatile(
        "ldr r0, =__stack_top\n"
        "msr psp, r0\n"
        "movs r0, #2\n"          /* CONTROL.SPSEL: thread mode uses PSP */
        "msr control, r0\n"
        "isb\n"
        "bl board_start\n"
        "b .\n");
}

void board_start(void)
{
    /* Enable the configurable faults, so each reports its own reason, and
     * trap divide by zero and unaligned accesses to be safe. */
    volatile uint32_t *shcsr = (uint32_t *)0xE000ED24;
    volatile uint32_t *ccr = (uint32_t *)0xE000ED14;
    *shcsr |= (1u << 16) | (1u << 17) | (1u << 18);
    *ccr |= (1u << 4);    /* DIV_0_TRP */

    size_t n = (size_t)((char *)__data_end - (char *)__data_start);
    if (n > 0 && (uintptr_t)__data_load != (uintptr_t)__data_start)
        memcpy(__data_start, __data_load, n);
    memset(__bss_start, 0, (size_t)((char *)__bss_end - (char *)__bss_start));

    /* Paint the thread stack below the current frame. */
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *p = __stack_bottom; (uintptr_t)p < sp - 64; p++)
        *p = STACK_PAINT;
    /* ... and the whole exception stack: no exception is active yet (the
     * reset handler left it for the thread stack above). */
    for (uint32_t *p = __mstack_bottom; p < __mstack_top; p++)
        *p = STACK_PAINT;

    int rc = main();
    board_exit(rc);
}

/* Bytes of a painted stack ever used: from its top down to the first
 * word still holding the paint. */
static size_t painted_used(const uint32_t *bottom, const uint32_t *top)
{
    const uint32_t *p = bottom;
    while (p < top && *p == STACK_PAINT)
        p++;
    return (size_t)((const char *)top - (const char *)p);
}

size_t board_stack_size(void)
{
    return (size_t)((char *)__stack_top - (char *)__stack_bottom);
}

size_t board_stack_used(void)
{
    return painted_used(__stack_bottom, __stack_top);
}

size_t board_mstack_size(void)
{
    return (size_t)((char *)__mstack_top - (char *)__mstack_bottom);
}

size_t board_mstack_used(void)
{
    return painted_used(__mstack_bottom, __mstack_top);
}

size_t board_ram_static(void)
{
    return (size_t)((char *)__bss_end - (char *)__data_start);
}

void *board_heap(size_t *len)
{
    extern char __heap_start[], __heap_end[];
    *len = (size_t)(__heap_end - __heap_start);
    return __heap_start;
}
