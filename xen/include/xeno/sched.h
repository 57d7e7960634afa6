/* SPDX-License-Identifier: MIT */
/*
 * The scheduler (xen/common/sched.c): per-CPU run queues ordered by
 * weighted virtual time (proportional share by domain weight, kept
 * across CPUs by pulling vCPUs that fall behind), time slices ended by a
 * timer, idle CPUs stealing runnable vCPUs from other queues, per-vCPU
 * CPU-time accounting, pausing, and stopping every other CPU while one
 * checks invariants.
 *
 * The hypervisor never blocks inside a hypercall: a vCPU that blocks or
 * yields only marks itself, and the switch happens on the way out to the
 * guest (guest_exit_work), where the CPU's guest frame is saved into the
 * old vCPU and loaded from the new one. So there is one hypervisor stack
 * per CPU and no per-vCPU hypervisor stacks.
 *
 * Locks: one run-queue lock per CPU (LOCK_RANK_SCHED); a CPU never holds
 * two (a stealing CPU trylocks the other queue holding none of its own).
 */
#ifndef XENO_SCHED_H
#define XENO_SCHED_H

#include <xeno/domain.h>

#define SCHED_SLICE_NS	     10000000ULL /* 10 ms */
#define SCHED_WEIGHT_DEFAULT 256

void sched_init(void);

/* The RUNSTATE_* value (public/pv_ops.h) a vCPU in state s reports. */
int sched_runstate_of(enum vcpu_state s);

/* Places a new vCPU (offline) on a CPU's queue bookkeeping. */
void sched_add_vcpu(struct vcpu *v);

/*
 * Moves an offline vCPU that never ran to cpu's queue, where it will
 * start. Returns 0, or -1 if cpu is not online or v is not offline.
 */
int sched_place_vcpu(struct vcpu *v, unsigned int cpu);

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
 * Waits until none of d's vCPUs is on a CPU (after they were taken off:
 * shut down or paused), parking meanwhile if another CPU asks.
 */
void sched_wait_domain_off(const struct domain *d);

/*
 * Pausing (XENO_DOMCTL_pause): a paused vCPU that would run is in state
 * VCPU_PAUSED, off every queue; one that blocks stays VCPU_BLOCKED, and
 * a wake-up moves it to VCPU_PAUSED. Unpausing makes VCPU_PAUSED vCPUs
 * runnable. A running vCPU leaves its CPU at its next exit (it is
 * kicked).
 */
void sched_pause_vcpu(struct vcpu *v);
void sched_unpause_vcpu(struct vcpu *v);

/* v's accounting now, the part of the current run not charged included. */
struct sched_vcpu_times {
	uint64_t cpu_time_ns;
	uint64_t state_time[4]; /* ns in each RUNSTATE_* */
	unsigned int state;	/* RUNSTATE_* */
	unsigned int cpu;
};
void sched_vcpu_times(struct vcpu *v, struct sched_vcpu_times *t);

/* v's runstate (pv-abi §4.11) as VCPUOP_get_runstate_info reports it. */
void sched_runstate_fill(struct vcpu *v, struct vcpu_runstate_info *r);

/*
 * Writes v's registered runstate areas now (at registration; the
 * scheduler rewrites them whenever v goes onto or off a CPU). The
 * virtual-address area is written through v's kernel page tables, so v
 * must be the caller or not running.
 */
void sched_runstate_write(struct vcpu *v);

/*
 * Makes area (in the direct map, its frame referenced by the caller, or
 * NULL) v's physical runstate area, writes it at once, and returns the
 * previous one: no CPU writes that any more, its reference may go.
 */
struct vcpu_runstate_info *
sched_runstate_set_phys(struct vcpu *v, struct vcpu_runstate_info *area);

/*
 * Runs fn(arg) on this CPU while every other CPU waits at a park point:
 * between two runs of a guest, holding no lock (the invariant checks of
 * domain destruction need nothing to change frames meanwhile). The
 * caller must hold no lock. Only one CPU at a time runs fn; a CPU that
 * asks while another does parks for it first.
 */
void sched_quiesce_run(void (*fn)(void *), void *arg);

/*
 * Parks this CPU if another runs sched_quiesce_run. Called on every
 * exit to a guest and by every wait in the hypervisor that may wait for
 * another CPU's exit (e.g. sched_wait_domain_off); the caller must hold
 * no lock.
 */
void sched_park_point(void);

/*
 * Called on every exit to a guest: switches vCPUs if this CPU should
 * (slice over, current blocked or dead, a better vCPU waiting). Returns
 * the vCPU to run, or NULL to go idle. When nothing changed since the
 * last decision it returns the current vCPU without taking a lock or
 * reading the clock (the invariant is in sched.c).
 */
struct vcpu *sched_pick_at_exit(void);

/* The idle loop: runs vCPUs as they become runnable. Never returns. */
__noreturn void sched_idle(void);

/*
 * After the arch saved prev's registers (prev may be NULL) and loaded
 * the new current vCPU's: prev is off the CPU for good, both ones'
 * registered runstate areas are rewritten, and
 * shut-down domains may now be destroyed.
 */
void sched_switch_done(struct vcpu *prev);

/*
 * The timer interrupt, around its work (interrupts off): since is when
 * the hardware was due to raise it (when it arrived, if it was not
 * late). Interrupts are on whenever a guest runs, so from then until
 * the handling is done the CPU did not run its vCPU: its host held it
 * up (under an emulator: the vCPU's thread was not scheduled, or the
 * emulator delivered the interrupt late, or an APIC access waited).
 * When that is SCHED_STALL_MIN_NS or more, that time (at most the
 * vCPU's run so far) is not charged to the vCPU on the CPU: it is
 * stolen time, reported as RUNSTATE_runnable (docs/domains.md
 * "Accounting").
 */
#define SCHED_STALL_MIN_NS 1000000ULL /* 1 ms */
void sched_timer_irq_begin(uint64_t since);
void sched_timer_irq_end(void);

/* Whether the current vCPU's slice is over or another should run. */
bool sched_preempt_due(void);

/* ---- implemented by the arch ---- */

/* Makes cpu leave its guest or idle wait and re-run its exit work. */
void arch_kick_cpu(unsigned int cpu);

/* Loads v's registers into this CPU's guest frame and enters it. */
__noreturn void arch_enter_vcpu(struct vcpu *v);

/*
 * One round of idling (interrupts off): runs posted cross-CPU calls and
 * either does a piece of idle work (zeroing memory, frame_scrub_idle)
 * or, if sched_idle_may_halt() agrees, waits with interrupts on for one.
 */
void arch_idle_once(void);

/*
 * Called by arch_idle_once right before it halts: kicks to this CPU
 * need an IPI from now on; returns false if work came meanwhile (then
 * it must not halt).
 */
bool sched_idle_may_halt(void);

/* Statistics for tests: CPU time of a vCPU, context switches, steals. */
struct sched_stats {
	uint64_t switches, steals, idle_entries;
	uint64_t late_slices; /* slices that ended over two slices late */
	uint64_t stalls;      /* timer interrupts that came held up */
	uint64_t stalled_ns;  /* vCPU time not charged for it (stolen) */
};
void sched_stats_read(struct sched_stats *out);

#endif
