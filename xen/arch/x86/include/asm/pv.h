/* SPDX-License-Identifier: MIT */
/*
 * The 64-bit PV execution model (xen/arch/x86/pv/, pv-abi §8): guest
 * frames, bounces into the guest kernel, guest exceptions and system
 * calls, privileged-instruction emulation and the x86 hypercalls.
 */
#ifndef ASM_PV_H
#define ASM_PV_H

#include <asm/traps.h>
#include <xeno/domain.h>

/* The M2P table and the L4 template for guest address spaces (mm.c). */
void pv_mm_init(void);

/* This CPU's guest frame (context.c). */
struct cpu_regs *guest_frame(void);

/* entry.S: leaves hypervisor context for the guest frame at frame. */
__noreturn void enter_guest(struct cpu_regs *frame);

/* entry.S: runs sched_idle on a stack starting below frame. */
__noreturn void idle_below_frame(struct cpu_regs *frame);

/* Kernel <-> user mode of v (its page-table root and GS base). */
void pv_set_mode(struct vcpu *v, bool user);

/* Initial FPU/SSE state of a new vCPU. */
void pv_vcpu_fpu_init(struct vcpu *v);

/* Called on every exit to a guest (entry.S). */
void guest_exit_work(struct cpu_regs *frame);

/* SYSCALL from a guest (entry.S). */
void do_guest_syscall(struct cpu_regs *f);
struct hcall_args;
void pv_hypercall_restart(struct cpu_regs *f, const struct hcall_args *h);

/* An exception or INT n the guest caused (from do_trap). */
void pv_guest_trap(struct cpu_regs *f);

/*
 * Bounces into the guest kernel (bounce.c): builds the frame of §8.6 on
 * the guest's kernel stack and resumes at handler. Returns false after
 * crashing the domain if the frame cannot be written.
 */
bool pv_bounce(struct vcpu *v, struct cpu_regs *f, uint64_t handler,
	       bool has_error, uint64_t error, bool mask_events);

/*
 * The failsafe callback (§8.10): sel holds the vCPU's saved DS, ES, FS,
 * GS, at least one of which could not be loaded (null is loaded instead).
 * Bounces to the callback with them in the frame, or crashes the domain
 * if it has none.
 */
void pv_failsafe(struct vcpu *v, struct cpu_regs *f, const uint16_t sel[4]);

/*
 * Data segment selectors across vCPU switches (segments.c): saves DS, ES,
 * FS and GS into v->arch.sel; loads v's, putting null in place of any
 * that cannot be loaded at CPL 3 now, and returns false if one could not.
 * Loading restores MSR_GS_BASE (the hypervisor's); the caller restores
 * the guest's FS and GS bases after it.
 */
void pv_save_selectors(struct vcpu *v);
bool pv_load_selectors(struct vcpu *v);

/* Bounce frames built since boot, all CPUs (xeno_stats_op). */
uint64_t pv_bounce_count(void);

/* Registers the hypercall and bounce counts with xeno_stats_op. */
void pv_stats_init(void);

/* Delivers guest exception vector (with its error code) or crashes. */
void pv_inject(struct vcpu *v, struct cpu_regs *f, unsigned int vector,
	       bool has_error, uint64_t error);

/* Delivers a pending event upcall, if one is due (§8.9). */
void pv_deliver_events(struct vcpu *v, struct cpu_regs *f);

/* The iret hypercall (§7.5); returns the value for RAX. */
long pv_iret(struct vcpu *v, struct cpu_regs *f);

/*
 * Tries to emulate the instruction at f->rip that raised vector (#GP or
 * #UD): the privileged instructions of §8.12 and the forced-emulation
 * CPUID. Returns true if it did (f advanced), false to reflect the fault.
 */
bool pv_emulate(struct vcpu *v, struct cpu_regs *f, unsigned int vector);

/* Prints the guest's state and the page walk of addr (unhandled fault). */
void pv_dump_guest(struct vcpu *v, const struct cpu_regs *f,
		   unsigned int vector, uint64_t error, uint64_t cr2);

/* Whether a virtual address is canonical. */
static inline bool is_canonical(uint64_t va)
{
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* The x86 hypercalls (pv/hypercalls.c). */
struct hcall_args;
long do_set_trap_table(struct hcall_args *h);
long do_set_callbacks(struct hcall_args *h);
long do_callback_op(struct hcall_args *h);
long do_stack_switch(struct hcall_args *h);
long do_set_segment_base(struct hcall_args *h);
long do_fpu_taskswitch(struct hcall_args *h);
long do_nmi_op(struct hcall_args *h);
long do_physdev_op(struct hcall_args *h);
long do_set_debugreg(struct hcall_args *h);
long do_get_debugreg(struct hcall_args *h);

#endif
