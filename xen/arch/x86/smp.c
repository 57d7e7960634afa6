/* SPDX-License-Identifier: MIT */
/*
 * Cross-CPU calls and the idle loop (asm/smp.h). A call is posted in the
 * target's percpu slot and the target is woken by VEC_IPI_CALL; the
 * interrupt handler does nothing but wake the CPU, and the idle loop runs
 * the call with interrupts off.
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <asm/smp.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/sched.h>

static volatile unsigned int calls_pending;

void smp_run_posted_call(void)
{
	struct percpu *pc = this_cpu_info()->pc;
	smp_fn_t fn = pc->call_fn;

	if (!fn) {
		return;
	}
	fn(pc->call_arg);
	__atomic_store_n(&pc->call_fn, NULL, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&calls_pending, 1, __ATOMIC_RELEASE);
}

void smp_call_all(smp_fn_t fn, void *arg)
{
	unsigned int self = arch_cpu_id(), cpu;

	__atomic_store_n(&calls_pending, nr_cpus_online - 1, __ATOMIC_RELEASE);
	for (cpu = 0; cpu < nr_cpus_online; cpu++) {
		if (cpu == self) {
			continue;
		}
		percpu[cpu].call_arg = arg;
		__atomic_store_n(&percpu[cpu].call_fn, fn, __ATOMIC_RELEASE);
		apic_send_ipi(percpu[cpu].apic_id, VEC_IPI_CALL);
	}
	fn(arg);
	while (__atomic_load_n(&calls_pending, __ATOMIC_ACQUIRE)) {
		cpu_pause();
	}
}

void smp_call_interrupt(void)
{
	/* Waking the CPU is all: idle_loop runs the call. */
}

/*
 * The scheduler's idle loop (it runs posted calls in arch_idle_once), on
 * a stack below the guest frame: entering a guest fills that frame.
 */
void idle_loop(void)
{
	idle_below_frame(guest_frame());
}

void smp_stop_others(void)
{
	unsigned int self = arch_cpu_id(), cpu;

	for (cpu = 0; cpu < nr_cpus_online; cpu++) {
		if (cpu != self && percpu[cpu].online) {
			apic_send_ipi(percpu[cpu].apic_id, VEC_IPI_STOP);
		}
	}
}

void smp_stop_self(void)
{
	for (;;) {
		irq_disable();
		halt();
	}
}

unsigned int arch_cpu_id(void)
{
	return this_cpu_info()->cpu_id;
}

unsigned int arch_nr_cpus(void)
{
	return nr_cpus_online;
}
