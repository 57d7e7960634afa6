/* SPDX-License-Identifier: MIT */
/*
 * What a guest's SYSCALL, exceptions and INT n turn into (pv-abi §5.1,
 * §8.6-8.8): hypercalls from guest kernel mode, system calls from guest
 * user mode bounced to the guest kernel, exceptions emulated (§8.12) or
 * bounced through the guest's virtual IDT.
 */
#include <asm/cpu.h>
#include <asm/layout.h>
#include <asm/percpu.h>
#include <asm/ptwr.h>
#include <asm/pv.h>
#include <xeno/errno.h>
#include <xeno/exit_work.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>

#define VEC_DB 1
#define VEC_BP 3
#define VEC_OF 4
#define VEC_UD 6
#define VEC_NM 7
#define VEC_GP 13
#define VEC_PF 14

/* entry.S reads these fields of the frame by hand (its FRAME_* offsets). */
_Static_assert(offsetof(struct cpu_regs, r11) == 4 * 8, "FRAME_R11");
_Static_assert(offsetof(struct cpu_regs, rcx) == 12 * 8, "FRAME_RCX");
_Static_assert(offsetof(struct cpu_regs, rip) == 17 * 8, "FRAME_RIP");
_Static_assert(offsetof(struct cpu_regs, ss) == 21 * 8, "FRAME_SS");
_Static_assert(offsetof(struct cpu_regs, rax) == 14 * 8, "FRAME_RAX");
/* The SYSCALL entry's short path reads user_mode as a byte. */
_Static_assert(sizeof(((struct vcpu *)0)->mm.user_mode) == 1,
	       "VCPU_USER_MODE is a byte");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_pending) == 0 &&
		       offsetof(struct vcpu_info, evtchn_upcall_mask) == 1,
	       "vcpu_info: pending, then mask");
_Static_assert(sizeof(struct exit_work) == EXIT_WORK_STRIDE,
	       "EXIT_WORK_STRIDE");

__noreturn void domain_crash_current(const char *why)
{
	struct vcpu *v = current_vcpu();

	printk(LOG_WARN, "d%u v%u: crashed: %s\n", v->domain->domid, v->id,
	       why);
	domain_shutdown(v->domain, SHUTDOWN_crash);
	/* Leave through the exit path, which switches away from v. */
	enter_guest(guest_frame());
}

/* A continuation (xeno/hypercall.h): the guest's SYSCALL runs again. */
void pv_hypercall_restart(struct cpu_regs *f, const struct hcall_args *h)
{
	f->rip -= 2;
	f->rdi = h->a[0];
	f->rsi = h->a[1];
	f->rdx = h->a[2];
	f->r10 = h->a[3];
	f->r8 = h->a[4];
}

static void hypercall(unsigned int cpu, struct vcpu *v, struct cpu_regs *f)
{
	struct hcall_args h = {
		{ f->rdi, f->rsi, f->rdx, f->r10, f->r8 },
	};
	uint64_t nr = f->rax;
	long rc;

	if (nr == __HYPERVISOR_iret) {
		f->rax = (uint64_t)pv_iret(v, f);
		return;
	}
	rc = hypercall_dispatch_on(cpu, nr, &h);
	if (rc == -ERESTART) {
		pv_hypercall_restart(f, &h);
		return;
	}
	f->rax = (uint64_t)rc;
}

/*
 * §8.8: a system call of guest user space goes to the guest kernel:
 * from 64-bit code (entry.S recorded CS 0xe033) to the syscall callback,
 * from compatibility mode (CS 0xe023) to the syscall32 callback, never
 * the other; without the callback, #UD at the SYSCALL. The frame shows
 * the flat selectors of the caller's mode: 0xe033/0xe02b, or
 * 0xe023/0xe02b for 32-bit code (the hypervisor cannot know the real
 * ones).
 */
static void user_syscall(struct vcpu *v, struct cpu_regs *f)
{
	bool compat = f->cs == FLAT_RING3_CS32;
	const struct pv_callback *cb =
		compat ? &v->arch.syscall32_cb : &v->arch.syscall_cb;

	if (cb->address == 0) {
		f->rip -= 2;
		if (compat) {
			f->rip = (uint32_t)f->rip;
		}
		pv_inject(v, f, VEC_UD, false, 0);
		return;
	}
	if (!compat) {
		f->cs = FLAT_KERNEL_CS;
	}
	f->ss = FLAT_KERNEL_SS;
	pv_bounce(v, f, cb->address, false, 0, cb->mask_events);
	f->rflags &= ~RFLAGS_DF;
}

/*
 * The SYSCALLs entry.S's short path does not take: from guest user
 * space, iret, numbers without a table entry (-ENOSYS). The full exit
 * path follows.
 */
void do_guest_syscall(struct cpu_regs *f)
{
	const struct cpu_info *ci = this_cpu_info();
	struct vcpu *v = ci->vcpu;

	ASSERT(v == current_vcpu());
	if (v->mm.user_mode) {
		user_syscall(v, f);
	} else {
		hypercall(ci->cpu_id, v, f);
	}
}

/*
 * INT n from the guest arrives as #GP with error (n << 3) | 2 because the
 * real gate is DPL 0 (§8.7): deliver it if the guest's virtual DPL
 * allows the current mode, else reflect the #GP.
 */
static bool soft_interrupt(struct vcpu *v, struct cpu_regs *f, uint64_t error)
{
	unsigned int n = (unsigned int)(error >> 3) & 0xff;
	const struct trap_info *t = &v->arch.traps[n];
	unsigned int cpl = v->mm.user_mode ? 3 : 1;
	uint8_t insn[2];

	if ((error & 7) != 2 || guest_copy_from(insn, f->rip, 2) != 0 ||
	    insn[0] != 0xcd || insn[1] != n) {
		return false;
	}
	if (t->address == 0 || (t->flags & TI_DPL_MASK) < cpl) {
		return false;
	}
	f->rip += 2;
	pv_bounce(v, f, t->address, false, 0, (t->flags & TI_MASK_EVENTS) != 0);
	return true;
}

static void guest_page_fault(struct vcpu *v, struct cpu_regs *f)
{
	uint64_t cr2 = read_cr2();
	uint64_t error = f->error_code & ~4ULL;

	/* A store into one of its L1 tables may be emulated (§9.10). */
	if (pv_ptwr_fault(v, f, cr2)) {
		return;
	}
	/* The U/S bit tells the guest's mode, not the hardware CPL (§8.6). */
	if (v->mm.user_mode) {
		error |= 4;
	}
	v->arch.cr2 = cr2;
	if (v->vcpu_info != NULL) {
		v->vcpu_info->arch.cr2 = cr2;
	}
	pv_inject(v, f, VEC_PF, true, error);
}

void pv_guest_trap(struct cpu_regs *f)
{
	struct vcpu *v = current_vcpu();
	unsigned int vec = (unsigned int)f->vector;

	switch (vec) {
	case VEC_PF:
		guest_page_fault(v, f);
		return;
	case VEC_GP:
		if (f->error_code != 0) {
			if (soft_interrupt(v, f, f->error_code)) {
				return;
			}
		} else if (pv_emulate(v, f, vec)) {
			return;
		}
		break;
	case VEC_UD:
		if (pv_emulate(v, f, vec)) {
			return;
		}
		break;
	case VEC_NM:
		/* §8.13: virtual TS is cleared before the guest sees #NM. */
		v->arch.virtual_ts = false;
		break;
	case 0x80:
		if (v->arch.traps[0x80].address != 0) {
			const struct trap_info *t = &v->arch.traps[0x80];

			pv_bounce(v, f, t->address, false, 0,
				  (t->flags & TI_MASK_EVENTS) != 0);
			return;
		}
		/* No handler: #GP at the instruction (§8.7). */
		f->rip -= 2;
		pv_inject(v, f, VEC_GP, true, 0x402);
		return;
	default:
		break;
	}
	pv_inject(v, f, vec, true, f->error_code);
}
