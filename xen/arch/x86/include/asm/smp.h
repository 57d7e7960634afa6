/* SPDX-License-Identifier: MIT */
/*
 * CPU bring-up and cross-CPU calls. Other CPUs wait in the idle loop; a
 * call posts a function to a CPU and wakes it with an IPI, and the CPU
 * runs it from the idle loop with interrupts off (not in the interrupt
 * handler), so called functions may take locks.
 */
#ifndef ASM_SMP_H
#define ASM_SMP_H

#include <xeno/types.h>

typedef void (*smp_fn_t)(void *arg);

struct percpu {
	unsigned int cpu_id;
	uint32_t apic_id;
	void *stack_block; /* STACK_SIZE block, aligned */
	volatile bool online;
	volatile smp_fn_t call_fn; /* posted call, NULL when none */
	void *volatile call_arg;
};

extern struct percpu percpu[];
extern unsigned int nr_cpus_online;

/* Starts every CPU the MADT lists, up to maxcpus= (smpboot.c). */
void smp_boot_cpus(void);

/*
 * Runs fn(arg) on every online CPU, this one included, and returns when
 * all have finished.
 */
void smp_call_all(smp_fn_t fn, void *arg);

/* The idle loop: wait for interrupts and run posted calls. */
__noreturn void idle_loop(void);

void smp_call_interrupt(void);

/* Runs the cross-CPU call posted to this CPU, if any. */
void smp_run_posted_call(void);
void smp_stop_others(void);
__noreturn void smp_stop_self(void);

#endif
