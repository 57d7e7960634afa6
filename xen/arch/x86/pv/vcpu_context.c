/* SPDX-License-Identifier: MIT */
/*
 * VCPUOP_initialise for 64-bit PV vCPUs (pv-abi §7.13): checks a struct
 * vcpu_guest_context (public/vcpu_context.h) and makes it the state of a
 * vCPU that was never initialised; and what a vCPU holds that must be
 * released when it is destroyed.
 *
 * Decode, prepare, commit. Every field is checked first, with nothing
 * changed (check_context). Then everything that can fail is taken: the
 * roots, validated preemptibly, then the GDT frames' and the LDT frames'
 * descriptor references. Only then is the state written, the kernel root
 * last: a vCPU counts as initialised (VCPUOP_up accepts it) from the
 * moment it has a kernel root, so by then everything else is in place.
 *
 * Long validations (docs/mm.md §7). A root may be a whole address space
 * that no table references yet. Its validation stops at preemption
 * points; the call then returns -ERESTART and runs again with the same
 * arguments. What was validated stays: a root done is held in
 * v->mm.prepared (mm_vcpu_prepare_root), a root half done in its frame's
 * PARTIAL state, which the next part's get takes over. If the call fails
 * after that, its roots are dropped the same way: the error is kept in
 * v->arch.init_error while the continuations devalidate them, and is
 * returned by the part that finishes, so a failing call is not
 * validated again and again. Another call arriving in between (another
 * vCPU, another context) finishes that drop and goes on as itself.
 *
 * Choices where the ABI leaves room (documented in docs/hypercalls.md):
 *  - CS must be a flat code selector (0xe033 or 0xe023) and SS the flat
 *    stack selector 0xe02b, each with its RPL forced to 3: the iret
 *    hypercall accepts no others either. DS/ES/FS/GS are not loaded by
 *    Xeno (a 64-bit PV kernel runs with null data selectors) and are
 *    ignored.
 *  - At most 14 GDT frames (7168 entries), as set_gdt allows: frames 15
 *    and 16 of the context would overlay the hypervisor's entries.
 *  - VGCF_online is ignored: the vCPU stays down until VCPUOP_up.
 *  - vm_assist is per domain in Xeno and ignored here.
 *  - Of ctrlreg[4] only DE is taken (the guest-controllable bit of the
 *    virtual CR4, pv/emulate.c); the debug registers are checked
 *    against it as set_debugreg would.
 *  - Any refused field gives -EINVAL; a vCPU that already has a state
 *    (or is being initialised by another call right now) -EEXIST.
 */
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/descriptor.h>
#include <asm/fpu.h>
#include <asm/pv.h>
#include <public/vcpu_context.h>
#include <xeno/domain.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/ptype.h>
#include <xeno/vtime.h>
#include <xeno/xmalloc.h>

/* RFLAGS bits a guest context may set (arithmetic, TF, DF, AC, ID). */
#define RFLAGS_GUEST 0x00240dd5ULL
#define RFLAGS_ONE   0x2ULL

/* A guest address (§7 preamble): not inside the hypervisor's range. */
static bool guest_addr_ok(uint64_t va)
{
	return va < (1ULL << 47) || va >= HYPERVISOR_VIRT_END;
}

static bool traps_ok(const struct trap_info *t)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		if (t[i].address != 0 && !is_canonical(t[i].address)) {
			return false;
		}
	}
	return true;
}

static bool selectors_ok(const struct cpu_user_regs *r)
{
	uint16_t cs = r->cs | 3, ss = r->ss | 3;

	return (cs == FLAT_RING3_CS64 || cs == FLAT_RING3_CS32) &&
	       ss == FLAT_RING3_SS64;
}

/*
 * DR0-3, DR6 and DR7 by the rules of set_debugreg (pv/debugreg.c), I/O
 * breakpoints against the context's CR4.DE; DR4 and DR5 are ignored.
 */
static bool debugregs_ok(const struct vcpu_guest_context *c)
{
	static const unsigned int regs[] = { 0, 1, 2, 3, 6, 7 };
	unsigned int i, slot;
	uint64_t out;

	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		if (pv_debugreg_check(regs[i], c->debugreg[regs[i]],
				      c->ctrlreg[4] & CR4_DE, &slot,
				      &out) != 0) {
			return false;
		}
	}
	return true;
}

static bool ldt_ok(const struct vcpu_guest_context *c)
{
	if (c->ldt_ents == 0) {
		return true;
	}
	return c->ldt_ents <= LDT_ENTRIES_MAX && (c->ldt_base & 4095) == 0 &&
	       guest_addr_ok(c->ldt_base) && is_canonical(c->ldt_base);
}

/* Every check that needs no reference: true if c may be installed. */
static bool check_context(const struct vcpu_guest_context *c)
{
	const struct cpu_user_regs *r = &c->user_regs;
	const uint64_t addrs[] = {
		r->rip,
		r->rsp,
		c->kernel_sp,
		c->fs_base,
		c->gs_base_kernel,
		c->gs_base_user,
		c->event_callback_eip,
		c->failsafe_callback_eip,
		c->syscall_callback_eip,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		if (!is_canonical(addrs[i])) {
			return false;
		}
	}
	if (!selectors_ok(r) || !traps_ok(c->trap_ctxt) || !ldt_ok(c) ||
	    !debugregs_ok(c)) {
		return false;
	}
	if (c->gdt_ents > FIRST_RESERVED_GDT_ENTRY) {
		return false;
	}
	/* User mode needs a user root to run on (§8.4). */
	if (!(c->flags & VGCF_in_kernel) && c->ctrlreg[1] == 0) {
		return false;
	}
	return (c->flags & VGCF_i387_valid) == 0 ||
	       pv_fpu_image_ok(c->fpu_ctxt);
}

/* The root named by cr (mfn << 12; 0 for none if optional), or -EINVAL. */
static int root_of(uint64_t cr, bool optional, mfn_t *out)
{
	*out = mfn(cr >> 12);
	if (cr == 0 && optional) {
		*out = INVALID_MFN;
		return 0;
	}
	return (cr & 4095) != 0 || !mfn_valid(*out) ? -EINVAL : 0;
}

static void set_callback(struct pv_callback *cb, uint64_t address, bool mask)
{
	cb->address = address;
	cb->mask_events = mask;
}

/* Writes everything but the roots and the GDT; cannot fail. */
static void commit_state(struct vcpu *v, const struct vcpu_guest_context *c)
{
	const struct cpu_user_regs *r = &c->user_regs;
	struct arch_vcpu *a = &v->arch;
	struct cpu_regs *f = &a->regs;
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->r15 = r->r15, f->r14 = r->r14, f->r13 = r->r13, f->r12 = r->r12;
	f->r11 = r->r11, f->r10 = r->r10, f->r9 = r->r9, f->r8 = r->r8;
	f->rbp = r->rbp, f->rdi = r->rdi, f->rsi = r->rsi, f->rdx = r->rdx;
	f->rcx = r->rcx, f->rbx = r->rbx, f->rax = r->rax;
	f->rip = r->rip;
	f->cs = r->cs | 3;
	f->ss = r->ss | 3;
	f->rsp = r->rsp;
	f->rflags = (r->rflags & RFLAGS_GUEST) | RFLAGS_IF | RFLAGS_ONE;
	a->iopl = (uint8_t)((r->rflags & RFLAGS_IOPL) >> 12);

	memset(a->traps, 0, sizeof(a->traps));
	for (i = 0; i < 256; i++) {
		if (c->trap_ctxt[i].address != 0) {
			a->traps[i] = c->trap_ctxt[i];
			a->traps[i].vector = (uint8_t)i;
		}
	}
	set_callback(&a->event_cb, c->event_callback_eip, true);
	set_callback(&a->failsafe_cb, c->failsafe_callback_eip,
		     (c->flags & VGCF_failsafe_disables_events) != 0);
	set_callback(&a->syscall_cb, c->syscall_callback_eip,
		     (c->flags & VGCF_syscall_disables_events) != 0);
	a->kernel_ss = c->kernel_ss | 3;
	a->kernel_sp = c->kernel_sp;
	a->fs_base = c->fs_base;
	a->gs_base_kernel = c->gs_base_kernel;
	a->gs_base_user = c->gs_base_user;
	/* Checked: every register lands where the context put it. */
	a->cr4 = c->ctrlreg[4] & CR4_DE;
	memset(a->dr, 0, sizeof(a->dr));
	for (i = 0; i < 8; i++) {
		unsigned int slot;
		uint64_t out;

		if (i != 4 && i != 5 &&
		    pv_debugreg_check(i, c->debugreg[i], a->cr4, &slot, &out) ==
			    0) {
			a->dr[slot] = out;
		}
	}
	if (c->flags & VGCF_i387_valid) {
		pv_fpu_set_image(v, c->fpu_ctxt);
	} else {
		pv_vcpu_fpu_init(v);
	}
	pv_fpu_set_virtual_ts(v, (c->ctrlreg[0] & CR0_TS) != 0);
	v->mm.user_mode = (c->flags & VGCF_in_kernel) == 0;
}

/*
 * Validates the roots into v->mm.prepared (preemptibly, kept across
 * parts), prepares the GDT and the LDT, then commits. c is checked.
 * Returns 0; -EAGAIN (run again); or -EINVAL with v's state unchanged
 * (the prepared roots are the caller's to drop).
 */
static int install(struct vcpu *v, const struct vcpu_guest_context *c)
{
	struct domain *d = v->domain;
	mfn_t kroot, uroot;
	struct pv_gdt g;
	struct mm_ldt ldt = { 0 };
	uint64_t frames[FIRST_RESERVED_GDT_PAGE];
	int rc;

	rc = root_of(c->ctrlreg[3], false, &kroot);
	if (rc == 0) {
		rc = root_of(c->ctrlreg[1], true, &uroot);
	}
	if (rc == 0) {
		rc = mm_vcpu_prepare_root(&v->mm, false, kroot);
	}
	if (rc == 0) {
		rc = mm_vcpu_prepare_root(&v->mm, true, uroot);
	}
	if (rc == -EAGAIN) {
		return rc;
	}
	if (rc != 0) {
		return -EINVAL;
	}
	memcpy(frames, c->gdt_frames, sizeof(frames));
	rc = pv_gdt_prepare(d, frames, (unsigned int)c->gdt_ents, &g);
	if (rc != 0) {
		return -EINVAL;
	}
	/* The LDT's pages as the new kernel root maps them (mm_ldt.h). */
	rc = mm_ldt_prepare(&d->mm, kroot, c->ldt_ents != 0 ? c->ldt_base : 0,
			    (unsigned int)c->ldt_ents, &ldt);
	if (rc != 0) {
		pv_gdt_release(&g);
		return -EINVAL;
	}
	/*
	 * Commit. The roots are validated and held, so installing them only
	 * adds references (no validation, nothing to stop).
	 */
	commit_state(v, c);
	pv_gdt_install(v, &g);
	mm_ldt_install(&v->mm, &ldt);
	rc = 0;
	if (!mfn_eq(uroot, INVALID_MFN)) {
		rc = mm_vcpu_set_root(&v->mm, true, uroot, 0);
	}
	/* Everything above must be seen before the vCPU counts. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (rc == 0) {
		rc = mm_vcpu_set_root(&v->mm, false, kroot, 0);
		if (rc != 0) {
			(void)mm_vcpu_set_root(&v->mm, true, mfn(0), 0);
		}
	}
	if (rc != 0) {
		pv_gdt_release(&v->arch.gdt);
		mm_ldt_release(&v->mm.ldt);
		return -EINVAL;
	}
	/*
	 * The prepared references go; the installed roots hold their own,
	 * so none is the last and nothing is devalidated here.
	 */
	(void)mm_vcpu_drop_prepared(&v->mm);
	return 0;
}

/*
 * A failed call's roots are being dropped (v->arch.init_error): drop the
 * rest. Returns -EAGAIN (run again); the failed call's error if this is
 * that call's continuation (same caller, same context); else 0, and the
 * call goes on as a new one.
 */
static int finish_failed(struct vcpu *v, uint64_t ctxt_gva)
{
	int rc = v->arch.init_error;

	if (rc == 0) {
		return 0;
	}
	if (mm_vcpu_drop_prepared(&v->mm) != 0) {
		return -EAGAIN;
	}
	v->arch.init_error = 0;
	if (v->arch.init_caller == current_vcpu() &&
	    v->arch.init_gva == ctxt_gva) {
		return rc;
	}
	return 0;
}

/*
 * install() failed after roots may have been validated: drops them,
 * preemptibly, remembering the error for the continuations.
 */
static int fail(struct vcpu *v, uint64_t ctxt_gva, int error)
{
	v->arch.init_error = error;
	v->arch.init_caller = current_vcpu();
	v->arch.init_gva = ctxt_gva;
	return finish_failed(v, ctxt_gva);
}

int arch_vcpu_initialise(struct vcpu *v, uint64_t ctxt_gva)
{
	struct vcpu_guest_context *c;
	int rc;

	if (!mfn_eq(v->mm.kernel_root, INVALID_MFN) ||
	    __atomic_exchange_n(&v->arch.initialising, true,
				__ATOMIC_ACQ_REL)) {
		return -EEXIST;
	}
	c = NULL;
	if (!mfn_eq(v->mm.kernel_root, INVALID_MFN)) {
		rc = -EEXIST; /* initialised just before we claimed it */
	} else {
		rc = finish_failed(v, ctxt_gva);
	}
	if (rc == 0) {
		c = xmalloc(sizeof(*c));
		if (c == NULL) {
			rc = -ENOMEM;
		} else if (guest_copy_from(c, ctxt_gva, sizeof(*c)) != 0) {
			rc = -EFAULT;
		} else if (!check_context(c)) {
			rc = -EINVAL;
		} else {
			rc = install(v, c);
		}
		/* Nothing of a failed call stays held, roots included. */
		if (rc != 0 && rc != -EAGAIN) {
			rc = fail(v, ctxt_gva, rc);
		}
	}
	xfree(c);
	__atomic_store_n(&v->arch.initialising, false, __ATOMIC_RELEASE);
	return rc == -EAGAIN ? -ERESTART : rc;
}

void arch_vcpu_destroy(struct vcpu *v)
{
	pv_fpu_report(v);
	pv_debugreg_report(v);
	pv_gdt_release(&v->arch.gdt);
}
