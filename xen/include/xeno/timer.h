/* SPDX-License-Identifier: MIT */
/*
 * Software timers (xen/common/timer.c): per-CPU lists of deadlines in
 * system time (arch_now_ns()), run by the CPU they were set on from its
 * timer interrupt, with interrupts off. The CPU's one-shot hardware
 * timer is always armed for the earliest deadline.
 *
 * Interface rules: a timer belongs to one CPU (set at timer_init, may be
 * moved with timer_migrate while inactive); fn runs on that CPU with
 * interrupts off and must not block; timer_set on an active timer moves
 * its deadline; timer_stop may be called on an inactive timer.
 *
 * Locks: one per CPU (LOCK_RANK_LEAF - 1 ... see timer.c); fn runs
 * without it held.
 */
#ifndef XENO_TIMER_H
#define XENO_TIMER_H

#include <xeno/list.h>
#include <xeno/types.h>

struct timer {
	uint64_t deadline;
	void (*fn)(void *data);
	void *data;
	unsigned int cpu;
	bool active;
	struct list_head link;
};

void timer_init(struct timer *t, void (*fn)(void *), void *data,
		unsigned int cpu);
void timer_set(struct timer *t, uint64_t deadline);
void timer_stop(struct timer *t);
void timer_migrate(struct timer *t, unsigned int cpu);

/* Runs this CPU's expired timers and re-arms the hardware (from the IRQ). */
void timer_run_expired(void);

/*
 * How long cpu's hardware timer has been overdue at now (0 if it is not):
 * its interrupt has not been handled yet, so the CPU is held up right
 * now, or was when the interrupt arrived at now (read without a lock,
 * by any CPU). Interrupts are on whenever a guest runs, so only the
 * CPU's host or a long hypervisor path can delay one.
 */
uint64_t timer_overdue(unsigned int cpu, uint64_t now);

/*
 * Arch: arms this CPU's hardware one-shot timer for the absolute time.
 * Returns when the interrupt is due: the deadline, or now if it has
 * passed, or an earlier time if the hardware cannot wait that long.
 */
uint64_t arch_timer_program(uint64_t deadline_ns);

#endif
