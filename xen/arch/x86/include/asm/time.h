/* SPDX-License-Identifier: MIT */
/* The TSC clock and per-CPU one-shot timers. */
#ifndef ASM_TIME_H
#define ASM_TIME_H

#include <xeno/types.h>

extern uint64_t tsc_khz;
extern uint64_t boot_tsc; /* TSC at the first instruction (boot.S) */

/* Measures the TSC frequency against the PIT. */
void tsc_calibrate(void);

uint64_t ns_to_tsc(uint64_t ns);
uint64_t tsc_to_ns(uint64_t tsc);

/* Busy-waits the given number of microseconds. */
void udelay(uint64_t us);

/* Arms this CPU's timer to fire after ns nanoseconds. */
void timer_arm_ns(uint64_t ns);

/* Timer interrupts this CPU has taken. */
uint64_t timer_ticks(unsigned int cpu);

/* Called by do_trap on VEC_TIMER. */
void timer_interrupt(void);

#endif
