/* SPDX-License-Identifier: MIT */
/*
 * Running vCPUs on a CPU: the CPU's guest frame, switching the frame
 * between vCPUs, and the work done on every exit to a guest.
 *
 * Each CPU has one place where a guest's registers live while it runs:
 * the struct cpu_regs just below struct cpu_info at the top of the CPU's
 * stack block (entry.S builds it there on every entry from a guest).
 * Switching vCPUs copies that frame into the old vCPU and the new vCPU's
 * registers into it, together with the data segment selectors and bases
 * and the page-table root, and the debug registers if either vCPU uses
 * them (pv/debugreg.c; the FPU state follows lazily: pv/fpu.c; a
 * selector that cannot be restored makes the failsafe callback due,
 * segments.c); then the normal exit path returns to the new one.
 *
 * Everything here runs with interrupts off.
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/descriptor.h>
#include <asm/fpu.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <asm/smp.h>
#include <asm/traps.h>
#include <xeno/exit_work.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/sched.h>
#include <xeno/vtime.h>

struct cpu_regs *guest_frame(void)
{
	struct cpu_info *ci = this_cpu_info();

	return (struct cpu_regs *)(uintptr_t)ci->self - 1;
}

static uint64_t *active_gs(struct vcpu *v)
{
	return v->mm.user_mode ? &v->arch.gs_base_user
			       : &v->arch.gs_base_kernel;
}

/*
 * Saves what the CPU holds of v. While in the hypervisor the guest's
 * active GS base sits in MSR_KERNEL_GS_BASE (entry swapped it out).
 */
static void save_vcpu(struct vcpu *v, const struct cpu_regs *frame)
{
	v->arch.regs = *frame;
	pv_save_selectors(v);
	v->arch.fs_base = rdmsr(MSR_FS_BASE);
	*active_gs(v) = rdmsr(MSR_KERNEL_GS_BASE);
}

static void load_vcpu(struct vcpu *v, struct cpu_regs *frame)
{
	*frame = v->arch.regs;
	/*
	 * Its GDT and LDT before its selectors, which may name the guest's
	 * own entries; selectors before the bases, as loading FS and GS
	 * replaces them.
	 */
	pv_gdt_load(v);
	pv_ldt_load(v);
	if (!pv_load_selectors(v)) {
		v->arch.failsafe = true;
	}
	wrmsr(MSR_FS_BASE, v->arch.fs_base);
	wrmsr(MSR_KERNEL_GS_BASE, *active_gs(v));
}

void pv_vcpu_fpu_init(struct vcpu *v)
{
	pv_fpu_init_vcpu(v);
}

/* The guest's active GS base changes with its mode (bounce, iret). */
void pv_set_mode(struct vcpu *v, bool user)
{
	if (v->mm.user_mode == user) {
		return;
	}
	*active_gs(v) = rdmsr(MSR_KERNEL_GS_BASE);
	mm_vcpu_set_mode(&v->mm, user);
	wrmsr(MSR_KERNEL_GS_BASE, *active_gs(v));
}

/* Puts next (or nothing) on this CPU in place of prev. */
static void context_switch(struct vcpu *prev, struct vcpu *next,
			   struct cpu_regs *frame)
{
	if (prev != NULL) {
		save_vcpu(prev, frame);
	} else if (next != NULL) {
		/* Flushes skipped while idle are done before any guest table. */
		arch_tlb_idle_leave();
	}
	/* The FPU state follows lazily (pv/fpu.c). */
	pv_fpu_switch(prev, next);
	mm_vcpu_switch(prev ? &prev->mm : NULL, next ? &next->mm : NULL);
	if (next == NULL) {
		arch_tlb_idle_enter();
	}
	/* Only the running vCPU's breakpoints may be armed (debugreg.c). */
	pv_debugreg_switch(next);
	if (next != NULL) {
		load_vcpu(next, frame);
		vtime_publish(next);
	}
	this_cpu_info()->vcpu = next;
	sched_switch_done(prev);
}

void guest_exit_work(struct cpu_regs *frame)
{
	struct vcpu *prev = current_vcpu();
	struct vcpu *next;

	/* Before looking at anything (xeno/exit_work.h). */
	exit_work_take(arch_cpu_id());
	next = sched_pick_at_exit();

	if (next != prev) {
		context_switch(prev, next, frame);
		if (next == NULL) {
			sched_idle();
		}
	}
	/*
	 * A selector could not be restored (§8.10): by the switch above, or
	 * by the one arch_enter_vcpu() made before coming here.
	 */
	if (next->arch.failsafe) {
		next->arch.failsafe = false;
		pv_failsafe(next, frame, next->arch.sel);
	}
	/* Its GDT and LDT copies: after a switch, or a change meanwhile. */
	pv_gdt_load(next);
	pv_ldt_load(next);
	pv_deliver_events(next, frame);
}

__noreturn void arch_enter_vcpu(struct vcpu *v)
{
	struct cpu_regs *frame = guest_frame();

	context_switch(NULL, v, frame);
	enter_guest(frame);
}

void arch_kick_cpu(unsigned int cpu)
{
	apic_send_ipi(percpu[cpu].apic_id, VEC_KICK);
}

/*
 * One round of idling: a piece of memory zeroed ahead of time if there is
 * any to do (the caller looks at its run queue again right after), else
 * halt until an interrupt.
 */
void arch_idle_once(void)
{
	/* No vCPU here (a CPU fresh from boot has not switched to none). */
	arch_tlb_idle_enter();
	smp_run_posted_call();
	if (frame_scrub_idle() || !sched_idle_may_halt()) {
		return;
	}
	safe_halt();
	irq_disable();
}
