/*
 * board_clock.c - wall clock from the host at boot, then SysTick at 1 kHz.
 *
 * QEMU's mps2-an385 runs the CPU clock (SysTick's source) at 25 MHz.
 */
#include "board.h"
#include "board_semihost.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define BOARD_CPU_HZ 25000000u

static volatile uint32_t clock_ticks;
static uint64_t clock_boot_ms;

void board_systick_isr(void);
void board_systick_isr(void)
{
    clock_ticks++;
}

void board_clock_init(void)
{
    clock_boot_ms = (uint64_t)sh_time() * 1000u;
    SYST_RVR = BOARD_CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 0x7u;      /* processor clock, interrupt, enable */
}

uint32_t board_ticks_ms(void)
{
    return clock_ticks;
}

uint64_t board_now_ms(void)
{
    return clock_boot_ms + clock_ticks;
}

void board_idle(void)
{
    __asm volatile("wfi");
}
