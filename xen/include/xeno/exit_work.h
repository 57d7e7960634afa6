/* SPDX-License-Identifier: MIT */
/*
 * Exit work: one word per CPU that tells the exit path to a guest whether
 * it has anything to do besides delivering events. A hypercall that finds
 * its CPU's word zero (and no event to deliver) returns straight to the
 * guest with SYSRET; otherwise the full exit path (guest_exit_work) runs:
 * the scheduler's decision, the GDT copy, the failsafe check, events.
 *
 * Invariant: whoever changes something the full exit path of CPU c must
 * act on (the scheduler's need_resched of c's run queue, which also
 * covers a slice ending and a quiesce request; a guest GDT generation;
 * the LDT of the vCPU running on c)
 * makes the change first and then sets a bit of c's word. Only CPU c
 * clears its word, by an atomic exchange at the start of its full exit
 * path, before it looks at anything. So a bit set after the exchange is
 * seen at the next exit, and a word read as zero means that nothing the
 * full path looks at has changed since this CPU last ran it.
 *
 * The word is read with one plain load on every hypercall; setting it is
 * rare (a slice end, a wake-up, a GDT change).
 */
#ifndef XENO_EXIT_WORK_H
#define XENO_EXIT_WORK_H

#include <xeno/arch.h>
#include <xeno/types.h>

#define EXIT_WORK_SCHED (1u << 0) /* the scheduler must decide again */
#define EXIT_WORK_GDT	(1u << 1) /* a guest GDT changed somewhere */
#define EXIT_WORK_LDT	(1u << 2) /* the running vCPU's LDT changed */

struct exit_work {
	uint32_t bits;
} __aligned(64);

extern struct exit_work exit_work[NR_CPUS];

static inline void exit_work_raise(unsigned int cpu, uint32_t bits)
{
	__atomic_fetch_or(&exit_work[cpu].bits, bits, __ATOMIC_SEQ_CST);
}

/* Sets bits on every CPU (no interrupt: each sees them at its next exit). */
void exit_work_raise_all(uint32_t bits);

/* This CPU's word, nonzero when the full exit path must run. */
static inline uint32_t exit_work_peek(unsigned int cpu)
{
	return __atomic_load_n(&exit_work[cpu].bits, __ATOMIC_RELAXED);
}

/* Clears this CPU's word and returns what it held (full exit path only). */
static inline uint32_t exit_work_take(unsigned int cpu)
{
	return __atomic_exchange_n(&exit_work[cpu].bits, 0, __ATOMIC_SEQ_CST);
}

#endif
