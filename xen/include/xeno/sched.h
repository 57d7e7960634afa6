/* SPDX-License-Identifier: MIT */
/*
 * The scheduler (xen/common/sched.c): per-CPU run queues ordered by
 * weighted virtual time (proportional share by domain weight), time
 * slices ended by a timer, idle CPUs stealing runnable vCPUs from other
 * queues, and per-vCPU CPU-time accounting.
 *
 * The hypervisor never blocks inside a hypercall: a vCPU that blocks or
 * yields only marks itself, and the switch happens on the way out to the
 * guest (guest_exit_work), where the CPU's guest frame is saved into the
 * old vCPU and loaded from the new one. So there is one hypervisor stack
 * per CPU and no per-vCPU hypervisor stacks.
 *
 * Locks: one run-queue lock per CPU (LOCK_RANK_SCHED); two are taken
 * together only by a stealing CPU, in CPU-index order.
 */
#ifndef XENO_SCHED_H
#define XENO_SCHED_H

#include <xeno/domain.h>

#define SCHED_SLICE_NS	     10000000ULL /* 10 ms */
#define SCHED_WEIGHT_DEFAULT 256

void sched_init(void);

/* Places a new vCPU (offline) on a CPU's queue bookkeeping. */
void sched_add_vcpu(struct vcpu *v);

/*
 * Makes v runnable if it is blocked or offline-but-brought-up (and not
 * paused), and kicks its CPU if that CPU is idle or should preempt.
 */
void vcpu_wake(struct vcpu *v);

/* Brings an initialised vCPU online (VCPUOP_up, domain start). */
void vcpu_up(struct vcpu *v);

/* Makes v's CPU notice pending work for v (an IPI if it is elsewhere). */
void vcpu_kick(struct vcpu *v);

/*
 * The current vCPU blocks at the next exit unless wake_check() says an
 * event is pending (SCHEDOP_block; the check runs again under the run
 * queue lock so a wake-up between check and sleep is never lost).
 */
void sched_block_current(bool (*wake_check)(struct vcpu *));

/* The current vCPU gives up the rest of its slice (SCHEDOP_yield). */
void sched_yield_current(void);

/* Takes every vCPU of d off the CPUs for good (shutdown). */
void sched_remove_domain(struct domain *d);

/* Whether any of d's vCPUs is still on a CPU (destroy waits for none). */
bool sched_domain_running(const struct domain *d);

/*
 * Called on every exit to a guest: switches vCPUs if this CPU should
 * (slice over, current blocked or dead, a better vCPU waiting). Returns
 * the vCPU to run, or NULL to go idle.
 */
struct vcpu *sched_pick_at_exit(void);

/* The idle loop: runs vCPUs as they become runnable. Never returns. */
__noreturn void sched_idle(void);

/*
 * After the arch saved prev's registers (prev may be NULL): prev is off
 * the CPU for good, and shut-down domains may now be destroyed.
 */
void sched_switch_done(struct vcpu *prev);

/* Whether the current vCPU's slice is over or another should run. */
bool sched_preempt_due(void);

/* ---- implemented by the arch ---- */

/* Makes cpu leave its guest or idle wait and re-run its exit work. */
void arch_kick_cpu(unsigned int cpu);

/* Loads v's registers into this CPU's guest frame and enters it. */
__noreturn void arch_enter_vcpu(struct vcpu *v);

/* Waits (interrupts on) for an interrupt, runs posted cross-CPU calls. */
void arch_idle_once(void);

/* Statistics for tests: CPU time of a vCPU, context switches, steals. */
struct sched_stats {
	uint64_t switches, steals, idle_entries;
};
void sched_stats_read(struct sched_stats *out);

#endif
