/* SPDX-License-Identifier: MIT */
/*
 * Secondary vCPUs (pv-abi §7.13): starting a function on another vCPU of
 * the domain with VCPUOP_initialise + VCPUOP_up, and finding out which
 * vCPU runs the current code.
 *
 * Interface rules:
 *   - The domain needs the vCPUs (domain option vcpus=N); vCPU 0 runs
 *     main(). pv_vcpu_start(id, fn, arg, stack, size) starts vCPU id in
 *     guest kernel mode at fn(arg) on [stack, stack + size), with the
 *     current kernel page tables, libpv's trap table and event and
 *     failsafe callbacks, and events masked (its upcall mask as the
 *     builder left it: 1). When fn returns, the vCPU takes itself down
 *     (VCPUOP_down) and can be started again with pv_vcpu_restart().
 *   - A vCPU is known by the stack it runs on: pv_smp_id() compares RSP
 *     with the stacks given to pv_vcpu_start(); anything else is vCPU 0.
 *     So code on a secondary must stay on its stack (handlers do: they
 *     run on the interrupted stack in kernel mode).
 *   - pv_vcpu_info() (start.h), the event upcall and pv_irq_*() use the
 *     vcpu_info of the vCPU running them. Ports are handled by the vCPU
 *     that bound their handler (pv_evtchn_bind); bind a port on the vCPU
 *     the hypervisor notifies (EVTCHNOP_bind_ipi/bind_virq's vcpu).
 *   - pv_vcpu_context() fills a context the way pv_vcpu_start() does,
 *     for callers (tests) that want to change it before
 *     HYPERVISOR_vcpu_op(VCPUOP_initialise, ...).
 *   - The native IRETQ return path (pv_trap_set_native_return) reads
 *     vCPU 0's upcall mask: SMP guests must not enable it.
 */
#ifndef LIBPV_SMP_H
#define LIBPV_SMP_H

#include <stddef.h>
#include <stdint.h>

#include <public/vcpu_context.h>

#define PV_SMP_MAX_VCPUS 8

typedef void (*pv_vcpu_fn_t)(void *arg);

/* The vCPU running the caller (by its stack), 0 if not a secondary's. */
unsigned int pv_smp_id(void);

/*
 * Initialises vCPU id (1 .. PV_SMP_MAX_VCPUS - 1) to run fn(arg) on the
 * given stack and brings it up. Returns 0 or the -errno of
 * VCPUOP_initialise / VCPUOP_up (-EINVAL for a bad id or stack).
 */
long pv_vcpu_start(unsigned int id, pv_vcpu_fn_t fn, void *arg, void *stack,
		   size_t size);

/*
 * pv_vcpu_start() with l4_mfn as the vCPU's kernel root instead of the
 * current one (it must map the kernel as the current one does).
 */
long pv_vcpu_start_root(unsigned int id, pv_vcpu_fn_t fn, void *arg,
			void *stack, size_t size, uint64_t l4_mfn);

/*
 * Starts an initialised vCPU that went down again (its function
 * returned): it runs fn(arg) afresh on the same stack. VCPUOP_up's
 * result.
 */
long pv_vcpu_restart(unsigned int id, pv_vcpu_fn_t fn, void *arg);

/* VCPUOP_is_up: 1 if up, 0 if down, -errno. */
long pv_vcpu_is_up(unsigned int id);

/* Fills c for a kernel-mode vCPU starting at rip with rsp (see above). */
void pv_vcpu_context(struct vcpu_guest_context *c, uint64_t rip, uint64_t rsp);

/* Takes the calling secondary vCPU down; returns if it is brought up. */
void pv_vcpu_down_self(void);

#endif
