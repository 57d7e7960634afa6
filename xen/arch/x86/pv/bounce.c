/* SPDX-License-Identifier: MIT */
/*
 * Entering the guest kernel on its own terms (pv-abi §8.6-8.9): the
 * bounce frame for exceptions, event upcalls and system calls; the iret
 * hypercall that undoes it; and the report printed when a guest fault
 * cannot be delivered.
 */
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/layout.h>
#include <asm/pv.h>
#include <public/xen.h>
#include <xeno/elf_pv.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>

/* RFLAGS bits a bounce clears in the handler's flags (§8.6 rule 6). */
#define BOUNCE_CLEAR (RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM | RFLAGS_AC)

static uint8_t upcall_mask(const struct vcpu *v)
{
	return v->vcpu_info ? v->vcpu_info->evtchn_upcall_mask : 1;
}

static void set_upcall_mask(struct vcpu *v, uint8_t m)
{
	if (v->vcpu_info) {
		v->vcpu_info->evtchn_upcall_mask = m;
	}
}

static uint64_t bounces;

uint64_t pv_bounce_count(void)
{
	return __atomic_load_n(&bounces, __ATOMIC_RELAXED);
}

/* A stack the hypervisor must never build a frame on (§8.3 rule 3). */
static bool stack_in_hypervisor(uint64_t sp)
{
	return sp > HYPERVISOR_VIRT_START && sp < HYPERVISOR_VIRT_END + 64;
}

/*
 * Builds a bounce frame (§8.6) on the guest kernel's stack with n_extra
 * words between R11 and RIP (an error code, or the failsafe callback's
 * four selectors, §8.10) and resumes the guest at handler.
 */
static void bounce_frame(struct vcpu *v, struct cpu_regs *f, uint64_t handler,
			 const uint64_t *extra, unsigned int n_extra,
			 bool mask_events)
{
	bool from_user = v->mm.user_mode;
	uint8_t saved_mask = upcall_mask(v);
	uint64_t cs = from_user ? f->cs : (f->cs & ~3ULL);
	uint64_t ss = from_user ? f->ss : (f->ss & ~3ULL);
	uint64_t rflags = (f->rflags & ~(RFLAGS_IF | RFLAGS_IOPL)) |
			  (saved_mask ? 0 : RFLAGS_IF);
	uint64_t words[11], sp;
	unsigned int n = 0, i;

	if (from_user) {
		if (v->arch.kernel_sp == 0) {
			domain_crash_current("bounce from user mode with no "
					     "kernel stack (stack_switch)");
		}
		pv_set_mode(v, false);
		sp = v->arch.kernel_sp;
	} else {
		sp = f->rsp;
	}
	sp &= ~15ULL;
	words[n++] = f->rcx;
	words[n++] = f->r11;
	for (i = 0; i < n_extra && i < 4; i++) {
		words[n++] = extra[i];
	}
	words[n++] = f->rip;
	words[n++] = cs | ((uint64_t)saved_mask << 32);
	words[n++] = rflags;
	words[n++] = f->rsp;
	words[n++] = ss;
	if (stack_in_hypervisor(sp) ||
	    guest_copy_to(sp - n * 8, words, n * 8) != 0) {
		printk(LOG_WARN,
		       "d%u v%u: cannot write a bounce frame at %#lx\n",
		       v->domain->domid, v->id, sp - n * 8);
		domain_crash_current("bounce frame not writable");
	}
	/* A write the guest's watchpoints would have seen (debugreg.c). */
	pv_debugreg_hv_write(v, sp - n * 8, n * 8);
	f->rsp = sp - n * 8;
	f->rip = handler;
	f->cs = FLAT_KERNEL_CS;
	f->ss = FLAT_KERNEL_SS;
	f->rflags = (f->rflags & ~(BOUNCE_CLEAR | RFLAGS_IOPL)) | RFLAGS_IF | 2;
	if (mask_events) {
		set_upcall_mask(v, 1);
	}
	__atomic_fetch_add(&bounces, 1, __ATOMIC_RELAXED);
}

bool pv_bounce(struct vcpu *v, struct cpu_regs *f, uint64_t handler,
	       bool has_error, uint64_t error, bool mask_events)
{
	uint64_t e = error & 0xffffffffULL;

	bounce_frame(v, f, handler, &e, has_error ? 1 : 0, mask_events);
	return true;
}

void pv_failsafe(struct vcpu *v, struct cpu_regs *f, const uint16_t sel[4])
{
	const struct pv_callback *cb = &v->arch.failsafe_cb;
	uint64_t words[4] = { sel[0], sel[1], sel[2], sel[3] };

	if (cb->address == 0) {
		printk(LOG_WARN,
		       "d%u v%u: selectors ds %04x es %04x fs %04x gs %04x "
		       "cannot be restored and there is no failsafe "
		       "callback\n",
		       v->domain->domid, v->id, sel[0], sel[1], sel[2], sel[3]);
		domain_crash_current("bad segment selector, no failsafe "
				     "callback");
	}
	bounce_frame(v, f, cb->address, words, 4, cb->mask_events);
}

static bool vector_has_error(unsigned int v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 ||
	       v == 29 || v == 30;
}

void pv_inject(struct vcpu *v, struct cpu_regs *f, unsigned int vector,
	       bool has_error, uint64_t error)
{
	const struct trap_info *t = &v->arch.traps[vector];

	if (t->address == 0) {
		pv_dump_guest(v, f, vector, error, v->arch.cr2);
		domain_crash_current("exception with no handler");
	}
	pv_bounce(v, f, t->address, has_error && vector_has_error(vector),
		  error, (t->flags & TI_MASK_EVENTS) != 0);
}

void pv_deliver_events(struct vcpu *v, struct cpu_regs *f)
{
	if (v == NULL || v->vcpu_info == NULL ||
	    v->arch.event_cb.address == 0) {
		return;
	}
	if (__atomic_load_n(&v->vcpu_info->evtchn_upcall_pending,
			    __ATOMIC_ACQUIRE) &&
	    !v->vcpu_info->evtchn_upcall_mask) {
		pv_bounce(v, f, v->arch.event_cb.address, false, 0, true);
	}
}

/* The selectors a guest may return to (the flat ones; no guest GDT yet). */
static bool return_cs_ok(uint64_t cs)
{
	return cs == FLAT_RING3_CS64 || cs == FLAT_RING3_CS32;
}

long pv_iret(struct vcpu *v, struct cpu_regs *f)
{
	struct iret_context c;
	uint64_t cs, ss;

	if (guest_copy_from(&c, f->rsp, sizeof(c)) != 0) {
		domain_crash_current("iret: frame not readable");
	}
	cs = (c.cs & 0xffff) | 3;
	ss = (c.ss & 0xffff) | 3;
	if (!return_cs_ok(cs) || ss != FLAT_RING3_SS64 ||
	    !is_canonical(c.rip) || !is_canonical(c.rsp)) {
		printk(LOG_WARN,
		       "d%u v%u: iret to %04lx:%016lx ss %04lx rsp %016lx "
		       "refused\n",
		       v->domain->domid, v->id, c.cs, c.rip, c.ss, c.rsp);
		domain_crash_current("iret: bad return context");
	}
	if ((c.cs & 3) == 3) {
		if (mfn_eq(v->mm.user_root, INVALID_MFN)) {
			domain_crash_current("iret to user mode with no user "
					     "page table");
		}
		pv_set_mode(v, true);
	}
	f->rip = c.rip;
	f->cs = cs;
	f->rsp = c.rsp;
	f->ss = ss;
	f->rflags = (c.rflags & ~(RFLAGS_IOPL | RFLAGS_VM | RFLAGS_NT)) |
		    RFLAGS_IF | 2;
	if (c.flags & VGCF_in_syscall) {
		/*
		 * The SYSRET-style return (§7.5 rule 5): RCX and R11 are what
		 * SYSRET leaves, never the guest kernel's values.
		 */
		f->rcx = f->rip;
		f->r11 = f->rflags;
	} else {
		f->rcx = c.rcx;
		f->r11 = c.r11;
	}
	set_upcall_mask(v, (c.rflags & RFLAGS_IF) ? 0 : 1);
	return (long)c.rax;
}

/* ---- the report of an undeliverable fault ------------------------------ */

static void dump_level(unsigned int level, uint64_t table_mfn, unsigned int i,
		       uint64_t e)
{
	struct page_info *pg = (e & PTE_P) && mfn_valid(pte_mfn(e))
				       ? mfn_to_page(pte_mfn(e))
				       : NULL;

	printk(LOG_WARN,
	       "  L%u[%3u] in mfn %#lx = %016lx  (mfn %#lx%s%s%s%s) type %lu "
	       "tcount %u count %u owner %u\n",
	       level, i, table_mfn, e, mfn_x(pte_mfn(e)),
	       (e & PTE_P) ? " P" : " not-present", (e & PTE_RW) ? " RW" : "",
	       (e & PTE_US) ? " US" : "",
	       (e & PTE_PS) && level > 1 ? " PS" : "",
	       pg ? ptype_type(pg) >> PGT_type_shift : 0,
	       pg ? ptype_count(pg) : 0, pg ? page_count(pg) : 0,
	       pg ? pg->owner : 0);
}

static void dump_walk(const struct vcpu *v, uint64_t va)
{
	mfn_t m = mm_vcpu_active_root(&v->mm);
	unsigned int level;

	printk(LOG_WARN, "Page walk of %016lx from root mfn %#lx:\n", va,
	       mfn_x(m));
	for (level = 4; level >= 1; level--) {
		unsigned int i = (va >> (12 + 9 * (level - 1))) & 511;
		const uint64_t *t;
		uint64_t e;

		if (mfn_eq(m, INVALID_MFN) || !mfn_valid(m)) {
			return;
		}
		t = arch_mfn_to_virt(m);
		e = t[i];
		dump_level(level, mfn_x(m), i, e);
		if (!(e & PTE_P) || (level > 1 && level < 4 && (e & PTE_PS))) {
			return;
		}
		m = pte_mfn(e);
	}
}

static const char *guest_symbol(const struct vcpu *v, uint64_t va,
				uint64_t *off);

void pv_dump_guest(struct vcpu *v, const struct cpu_regs *f,
		   unsigned int vector, uint64_t error, uint64_t cr2)
{
	uint64_t off = 0;
	const char *sym = guest_symbol(v, f->rip, &off);

	printk(LOG_WARN,
	       "d%u v%u: unhandled guest exception %u error %#lx in %s "
	       "mode at %04lx:%016lx %s%s+%#lx\n",
	       v->domain->domid, v->id, vector, error,
	       v->mm.user_mode ? "user" : "kernel", f->cs, f->rip,
	       sym ? "" : "(no symbol)", sym ? sym : "", off);
	printk(LOG_WARN,
	       "  RSP %016lx RFLAGS %016lx CR2 %016lx\n"
	       "  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n"
	       "  RSI %016lx RDI %016lx RBP %016lx R8  %016lx\n"
	       "  R9  %016lx R10 %016lx R11 %016lx R12 %016lx\n"
	       "  R13 %016lx R14 %016lx R15 %016lx\n",
	       f->rsp, f->rflags, cr2, f->rax, f->rbx, f->rcx, f->rdx, f->rsi,
	       f->rdi, f->rbp, f->r8, f->r9, f->r10, f->r11, f->r12, f->r13,
	       f->r14, f->r15);
	dump_walk(v, vector == 14 ? cr2 : f->rip);
}

static const char *guest_symbol(const struct vcpu *v, uint64_t va,
				uint64_t *off)
{
	struct elf_pv_image img;
	const char *why;

	if (v->domain->image == NULL ||
	    elf_pv_parse(&img, v->domain->image, v->domain->image_size, &why) !=
		    0) {
		return NULL;
	}
	return elf_pv_symbol(&img, va, off);
}
