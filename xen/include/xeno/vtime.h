/* SPDX-License-Identifier: MIT */
/*
 * Time as guests see it (xen/common/vtime.c) and the vCPU operations
 * (xen/common/vcpu_op.c): system time published in each vcpu_info
 * (pv-abi §4.6), the wall clock in shared_info (§4.8), the three timers
 * of a vCPU (single-shot, periodic, SCHEDOP_poll timeout), set_timer_op
 * (§7.12) and vcpu_op (§7.13).
 *
 * Interface rules:
 *  - vtime_domain_init() runs once at domain creation, after the
 *    shared_info page exists; vtime_vcpu_init() once per vCPU after
 *    v->vcpu_info is set (it may be NULL for vCPUs >= 32), before
 *    sched_add_vcpu(); vtime_vcpu_fini() before the vCPU is freed.
 *  - vtime_publish(v) runs on the CPU that is about to run v, whenever v
 *    goes onto a CPU. Besides the time it moves v's timers to that CPU,
 *    starts the periodic timer if it is due and ends a finished
 *    SCHEDOP_poll, so every timer of a running vCPU fires on its CPU.
 *  - vtime_vcpu_migrate(v, cpu) may be called by the scheduler when it
 *    moves v; it is optional given the rule above, but moves the timers
 *    of a vCPU that waits (blocked) on another CPU's queue.
 *  - None of these may be called with an event-channel lock or a
 *    run-queue lock held (they take them), nor with d->lock held.
 */
#ifndef XENO_VTIME_H
#define XENO_VTIME_H

#include <xeno/types.h>

struct domain;
struct vcpu;
struct hcall_args;

/* The period of the periodic timer a new vCPU starts with (§8.14). */
#define VTIME_DEFAULT_PERIOD_NS 10000000ULL

void vtime_domain_init(struct domain *d);
void vtime_vcpu_init(struct vcpu *v);
void vtime_vcpu_fini(struct vcpu *v);
void vtime_vcpu_migrate(struct vcpu *v, unsigned int cpu);
void vtime_publish(struct vcpu *v);

/*
 * Rewrites v's vcpu_time_info and its registered copies (after its
 * vcpu_info moved, or a copy was registered).
 */
void vtime_refresh(struct vcpu *v);

/*
 * Makes area (direct map, or NULL) v's physical time copy and writes it;
 * returns the previous one for the caller to release (vcpu_op.c).
 */
struct vcpu_time_info *vtime_set_phys(struct vcpu *v,
				      struct vcpu_time_info *area);

/* Arms or stops v's timers (vcpu_op.c, set_timer_op). */
void vtime_set_singleshot(struct vcpu *v, uint64_t deadline_ns);
void vtime_stop_singleshot(struct vcpu *v);
void vtime_set_periodic(struct vcpu *v, uint64_t period_ns);

/* Hypercalls: set_timer_op (15) and vcpu_op (24). */
long do_set_timer_op(struct hcall_args *h);
long do_vcpu_op(struct hcall_args *h);

/*
 * vcpu_op.c: drops the frame reference taken by
 * VCPUOP_register_vcpu_info, if any (from vtime_vcpu_fini).
 */
void vcpu_info_release(struct vcpu *v);

/*
 * Drops v's physical runstate and time areas, if any (vcpu_op.c; at
 * vCPU destroy).
 */
void vcpu_areas_release(struct vcpu *v);

/* ---- provided by the lead's code (sched.c, arch) ---- */

/*
 * VCPUOP_initialise (§7.13): checks and loads the vcpu_guest_context at
 * ctxt_gva into v, which is not running. Returns 0, -EEXIST if v is
 * already initialised, -EFAULT or -EINVAL.
 */
int arch_vcpu_initialise(struct vcpu *v, uint64_t ctxt_gva);

/*
 * Releases what the arch state of v holds (GDT frames) when v is
 * destroyed; v is off every CPU.
 */
void arch_vcpu_destroy(struct vcpu *v);

/*
 * VCPUOP_down: takes v off the CPUs until vcpu_up(); v->state must read
 * VCPU_OFFLINE when it returns (the last-vCPU check counts on it). If v
 * is current, the switch happens at the next exit. (Belongs in sched.h.)
 */
void vcpu_down(struct vcpu *v);

/* ---- arch time (x86: xen/arch/x86/time.c) ---- */

/*
 * Reads the TSC and the system time (arch_now_ns()) that corresponds to
 * that very TSC value, so the pair can be published together.
 */
void arch_time_sample(uint64_t *tsc, uint64_t *now_ns);

/* The calibrated TSC frequency in Hz. */
uint64_t arch_tsc_hz(void);

/*
 * Wall-clock time (ns since the Unix epoch, UTC) that corresponds to
 * system time 0, from the machine's real-time clock; 0 if unknown.
 */
uint64_t arch_wallclock_at_boot_ns(void);

/*
 * Makes cpu run timer_run_expired() soon (an interrupt), so that it
 * re-arms its hardware timer after another CPU changed the head of its
 * timer list. (Belongs in timer.h next to arch_timer_program.)
 */
void arch_timer_kick(unsigned int cpu);

#endif
