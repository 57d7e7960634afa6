/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls (pv-abi §5.1): one inline SYSCALL per call, with the number
 * in RAX and arguments in RDI, RSI, RDX, R10, R8. The hardware clobbers
 * RCX and R11; the ABI allows the hypervisor to change every argument
 * register the call uses (a continuation rewrites them), so each one is an
 * in/out operand here. All other registers survive.
 *
 * Interface:
 *   - hypercall0..hypercall5(nr, ...) are the raw calls; every
 *     HYPERVISOR_<name>() below takes Xen's argument order and returns
 *     the hypervisor's RAX: 0 or a count on success, -errno on failure.
 *   - HYPERVISOR_iret() does not return: it is the jump of §7.5.
 *   - hypercall_page_call() calls the same hypercall through the stub the
 *     builder wrote into hypercall_page (§5.2); libpv itself never needs
 *     the page, only tests of the page do.
 *   - Guest pointers are passed as the kernel-mode virtual addresses they
 *     are; the hypervisor reads them in the current address space.
 */
#ifndef LIBPV_HYPERCALL_H
#define LIBPV_HYPERCALL_H

#include <stdint.h>

#include <libpv/abi.h>
#include <public/xen.h>

/* The page the builder fills with stubs (HYPERCALL_PAGE note, image.S). */
extern uint8_t hypercall_page[4096];

static inline long hypercall0(unsigned long nr)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "0"(nr) : "rcx", "r11", "memory");
	return ret;
}

static inline long hypercall1(unsigned long nr, unsigned long a1)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret), "+D"(a1)
		     : "0"(nr)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long hypercall2(unsigned long nr, unsigned long a1,
			      unsigned long a2)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret), "+D"(a1), "+S"(a2)
		     : "0"(nr)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long hypercall3(unsigned long nr, unsigned long a1,
			      unsigned long a2, unsigned long a3)
{
	long ret;

	asm volatile("syscall"
		     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3)
		     : "0"(nr)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long hypercall4(unsigned long nr, unsigned long a1,
			      unsigned long a2, unsigned long a3,
			      unsigned long a4)
{
	long ret;
	register unsigned long r10 asm("r10") = a4;

	asm volatile("syscall"
		     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10)
		     : "0"(nr)
		     : "rcx", "r11", "memory");
	return ret;
}

static inline long hypercall5(unsigned long nr, unsigned long a1,
			      unsigned long a2, unsigned long a3,
			      unsigned long a4, unsigned long a5)
{
	long ret;
	register unsigned long r10 asm("r10") = a4;
	register unsigned long r8 asm("r8") = a5;

	asm volatile("syscall"
		     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10),
		       "+r"(r8)
		     : "0"(nr)
		     : "rcx", "r11", "memory");
	return ret;
}

/*
 * The same call made through the hypercall page: `call` to the 32-byte
 * stub of nr, which saves RCX and R11 itself. Up to three arguments,
 * enough to test that the stubs work. The stub pushes on the stack, which
 * is safe because guests are built with -mno-red-zone.
 */
static inline long hypercall_page_call(unsigned long nr, unsigned long a1,
				       unsigned long a2, unsigned long a3)
{
	long ret;
	void *stub = hypercall_page + nr * 32;

	asm volatile("call *%[stub]"
		     : "=a"(ret), "+D"(a1), "+S"(a2), "+d"(a3)
		     : [stub] "r"(stub)
		     : "r8", "r10", "memory");
	return ret;
}

#define PV_ARG(x) ((unsigned long)(x))

/* ---- memory management (§6) ------------------------------------------- */

static inline long HYPERVISOR_mmu_update(const struct mmu_update *req,
					 unsigned int count, unsigned int *done,
					 unsigned int foreigndom)
{
	return hypercall4(__HYPERVISOR_mmu_update, PV_ARG(req), count,
			  PV_ARG(done), foreigndom);
}

static inline long HYPERVISOR_mmuext_op(const struct mmuext_op *op,
					unsigned int count, unsigned int *done,
					unsigned int foreigndom)
{
	return hypercall4(__HYPERVISOR_mmuext_op, PV_ARG(op), count,
			  PV_ARG(done), foreigndom);
}

static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t val,
						unsigned long flags)
{
	return hypercall3(__HYPERVISOR_update_va_mapping, va, val, flags);
}

static inline long HYPERVISOR_update_va_mapping_otherdomain(unsigned long va,
							    uint64_t val,
							    unsigned long flags,
							    domid_t domid)
{
	return hypercall4(__HYPERVISOR_update_va_mapping_otherdomain, va, val,
			  flags, domid);
}

static inline long HYPERVISOR_memory_op(unsigned long cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_memory_op, cmd, PV_ARG(arg));
}

static inline long HYPERVISOR_grant_table_op(unsigned int cmd, void *uop,
					     unsigned int count)
{
	return hypercall3(__HYPERVISOR_grant_table_op, cmd, PV_ARG(uop), count);
}

static inline long HYPERVISOR_vm_assist(unsigned int cmd, unsigned int type)
{
	return hypercall2(__HYPERVISOR_vm_assist, cmd, type);
}

/* ---- descriptor tables, stacks, callbacks (§7.1-7.9) ------------------ */

static inline long HYPERVISOR_set_trap_table(const struct trap_info *traps)
{
	return hypercall1(__HYPERVISOR_set_trap_table, PV_ARG(traps));
}

static inline long HYPERVISOR_set_gdt(const uint64_t *frames,
				      unsigned int entries)
{
	return hypercall2(__HYPERVISOR_set_gdt, PV_ARG(frames), entries);
}

static inline long HYPERVISOR_stack_switch(unsigned long ss, unsigned long rsp)
{
	return hypercall2(__HYPERVISOR_stack_switch, ss, rsp);
}

static inline long HYPERVISOR_set_callbacks(unsigned long event,
					    unsigned long failsafe,
					    unsigned long syscall)
{
	return hypercall3(__HYPERVISOR_set_callbacks, event, failsafe, syscall);
}

static inline long HYPERVISOR_callback_op(int cmd, const void *arg)
{
	return hypercall2(__HYPERVISOR_callback_op, (unsigned long)(long)cmd,
			  PV_ARG(arg));
}

static inline long HYPERVISOR_fpu_taskswitch(int set)
{
	return hypercall1(__HYPERVISOR_fpu_taskswitch,
			  (unsigned long)(long)set);
}

static inline long HYPERVISOR_set_debugreg(int reg, unsigned long value)
{
	return hypercall2(__HYPERVISOR_set_debugreg, (unsigned long)(long)reg,
			  value);
}

static inline unsigned long HYPERVISOR_get_debugreg(int reg)
{
	return (unsigned long)hypercall1(__HYPERVISOR_get_debugreg,
					 (unsigned long)(long)reg);
}

static inline long HYPERVISOR_update_descriptor(uint64_t ma, uint64_t desc)
{
	return hypercall2(__HYPERVISOR_update_descriptor, ma, desc);
}

static inline long HYPERVISOR_set_segment_base(unsigned int which,
					       unsigned long base)
{
	return hypercall2(__HYPERVISOR_set_segment_base, which, base);
}

static inline long HYPERVISOR_nmi_op(unsigned int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_nmi_op, cmd, PV_ARG(arg));
}

/*
 * The iret hypercall (§7.5): RSP is pointed at ctx, which must stay
 * readable until the call, and SYSCALL is made with RAX = 23. Whatever
 * lies below ctx may be overwritten afterwards, so ctx is normally on the
 * current stack. The hypervisor resumes at ctx->rip and never comes back.
 */
static inline __attribute__((noreturn)) void
HYPERVISOR_iret(const struct iret_context *ctx)
{
	asm volatile("mov %0, %%rsp\n\t"
		     "syscall"
		     :
		     : "r"(ctx), "a"((unsigned long)__HYPERVISOR_iret)
		     : "memory");
	__builtin_unreachable();
}

/* ---- scheduling, time, events (§7.10-7.13) ---------------------------- */

static inline long HYPERVISOR_sched_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_sched_op, (unsigned long)(long)cmd,
			  PV_ARG(arg));
}

static inline long HYPERVISOR_sched_op_compat(int cmd, unsigned long arg)
{
	return hypercall2(__HYPERVISOR_sched_op_compat,
			  (unsigned long)(long)cmd, arg);
}

static inline long HYPERVISOR_set_timer_op(uint64_t timeout)
{
	return hypercall1(__HYPERVISOR_set_timer_op, timeout);
}

static inline long HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_event_channel_op,
			  (unsigned long)(long)cmd, PV_ARG(arg));
}

/* The legacy form (§7.18): op points to {u32 cmd; 24-byte argument}. */
static inline long HYPERVISOR_event_channel_op_compat(void *op)
{
	return hypercall1(__HYPERVISOR_event_channel_op_compat, PV_ARG(op));
}

static inline long HYPERVISOR_vcpu_op(int cmd, unsigned int vcpuid, void *extra)
{
	return hypercall3(__HYPERVISOR_vcpu_op, (unsigned long)(long)cmd,
			  vcpuid, PV_ARG(extra));
}

static inline long HYPERVISOR_multicall(struct multicall_entry *calls,
					unsigned int nr)
{
	return hypercall2(__HYPERVISOR_multicall, PV_ARG(calls), nr);
}

/* ---- information, console, devices (§7.14-7.17) ------------------------ */

static inline long HYPERVISOR_xen_version(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_xen_version, (unsigned long)(long)cmd,
			  PV_ARG(arg));
}

static inline long HYPERVISOR_console_io(int cmd, unsigned int count,
					 const char *buf)
{
	return hypercall3(__HYPERVISOR_console_io, (unsigned long)(long)cmd,
			  count, PV_ARG(buf));
}

static inline long HYPERVISOR_physdev_op(int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_physdev_op, (unsigned long)(long)cmd,
			  PV_ARG(arg));
}

/* The legacy form (§7.16): op points to {u32 cmd; pad; 16-byte union}. */
static inline long HYPERVISOR_physdev_op_compat(void *op)
{
	return hypercall1(__HYPERVISOR_physdev_op_compat, PV_ARG(op));
}

/* ---- Xeno extensions --------------------------------------------------- */

static inline long HYPERVISOR_xeno_mm_op(unsigned int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_xeno_mm_op, cmd, PV_ARG(arg));
}

/* cmd XENO_STATS_read (the machine) or XENO_STATS_read_cpu (this CPU). */
static inline long HYPERVISOR_xeno_stats_op(unsigned int cmd,
					    struct xeno_stats *s)
{
	return hypercall2(__HYPERVISOR_xeno_stats_op, cmd, PV_ARG(s));
}

#endif
