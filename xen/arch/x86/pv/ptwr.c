/* SPDX-License-Identifier: MIT */
/*
 * Writable page tables, the arch half (see asm/ptwr.h; pv-abi §9.10,
 * docs/mm.md "Writable page tables"). A guest's store into one of its
 * own L1 tables faults, because the guest may map its tables read-only
 * only; with VMASST_TYPE_writable_pagetables on, Xeno performs the store
 * with the checks of mmu_update and resumes the guest after it.
 *
 * Which faults (pv-abi §9.10, all must hold, else the #PF goes to the
 * guest as it is and nothing is recorded):
 *   1. the domain enabled the assist;
 *   2. guest kernel mode, a write to a present page, no reserved bit,
 *      not an instruction fetch;
 *   3. the address lies in a validated L1 of the domain, mapped by a
 *      present L1 entry of the vCPU's kernel tables (mm/ptwr.c).
 * Then (validate, then act): the instruction is read through the
 * guest's tables (up to 15 bytes, fewer at the end of a readable page),
 * decoded (ptwr_decode.c), and must write exactly at the faulting
 * address; the store goes through ptwr_emulate_store(); the registers,
 * flags and RIP are updated last. A refusal at any of these steps
 * delivers the original #PF (error code and CR2 unchanged) and records
 * why, as a refusal of XENO_MM_PTWR_FAULT (public/xeno.h).
 *
 * Locks: none.
 */
#include <asm/cpu.h>
#include <asm/ptwr.h>
#include <asm/pv.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/mm_why.h>
#include <xeno/ptwr.h>

#include "ptwr_decode.h"

#define PFEC_PRESENT (1ULL << 0)
#define PFEC_WRITE   (1ULL << 1)
#define PFEC_USER    (1ULL << 2)
#define PFEC_RSVD    (1ULL << 3)
#define PFEC_INSN    (1ULL << 4)

/* Conditions 1 and 2 of the top comment. */
static bool is_candidate(const struct vcpu *v, const struct cpu_regs *f)
{
	uint64_t e = f->error_code;

	return !v->mm.user_mode &&
	       (e & (PFEC_PRESENT | PFEC_WRITE | PFEC_RSVD | PFEC_INSN)) ==
		       (PFEC_PRESENT | PFEC_WRITE) &&
	       (v->domain->mm.vm_assist &
		(1ULL << MM_VMASST_writable_pagetables));
}

/*
 * Reads the instruction at rip into code: PTWR_INSN_MAX bytes, or what
 * is left of its page if the next page cannot be read. Returns how many
 * bytes, 0 if none.
 */
static size_t fetch(uint64_t rip, uint8_t code[PTWR_INSN_MAX])
{
	size_t in_page = PAGE_SIZE - (rip & (PAGE_SIZE - 1));

	if (guest_copy_from(code, rip, PTWR_INSN_MAX) == 0) {
		return PTWR_INSN_MAX;
	}
	if (in_page < PTWR_INSN_MAX &&
	    guest_copy_from(code, rip, in_page) == 0) {
		return in_page;
	}
	return 0;
}

/* The first 8 bytes of code (the refusal's value). */
static uint64_t head(const uint8_t *code, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n && i < 8; i++) {
		v |= (uint64_t)code[i] << (8 * i);
	}
	return v;
}

/*
 * Fetches and decodes the store at f->rip, which faulted at cr2.
 * Returns 0, -EFAULT (cannot be read) or -EINVAL (not an emulable
 * store), noted.
 */
static int decode(struct cpu_regs *f, uint64_t cr2, struct ptwr_gprs *g,
		  struct ptwr_insn *in)
{
	uint8_t code[PTWR_INSN_MAX];
	size_t n = fetch(f->rip, code);
	unsigned int i;

	if (n == 0) {
		mm_why_note(XENO_WHY_PTWR_FETCH, f->rip, INVALID_MFN);
		return -EFAULT;
	}
	for (i = 0; i < 16; i++) {
		g->r[i] = *regs_gpr(f, i);
	}
	if (ptwr_decode(code, n, g, f->rip, in) != PTWR_DECODED ||
	    in->addr != cr2 || (in->addr & (in->width - 1)) != 0) {
		mm_why_note(XENO_WHY_PTWR_INSN, head(code, n), INVALID_MFN);
		return -EINVAL;
	}
	return 0;
}

/* Writes the results back into the frame and moves past the store. */
static void complete(struct cpu_regs *f, const struct ptwr_insn *in,
		     struct ptwr_gprs *g, uint64_t old)
{
	unsigned int i;

	ptwr_complete(in, old, g, &f->rflags);
	for (i = 0; i < 16; i++) {
		*regs_gpr(f, i) = g->r[i];
	}
	f->rip += in->len;
}

bool pv_ptwr_fault(struct vcpu *v, struct cpu_regs *f, uint64_t cr2)
{
	struct ptwr_insn in;
	struct ptwr_gprs g;
	uint64_t old;
	mfn_t l1;
	int rc;

	if (!is_candidate(v, f) || ptwr_l1_at(&v->mm, cr2, &l1) != 0) {
		return false;
	}
	mm_why_begin();
	rc = decode(f, cr2, &g, &in);
	if (rc == 0) {
		old = in.expect;
		rc = ptwr_emulate_store(&v->domain->mm, l1,
					(unsigned int)(cr2 & (PAGE_SIZE - 1)),
					in.width, in.src,
					in.kind == PTWR_CMPXCHG, &old);
	}
	if (rc == -EAGAIN) {
		return true; /* the store runs again and faults again */
	}
	if (rc < 0) {
		/* The error code as the guest will see it (§8.6). */
		mm_why_fail(rc, XENO_MM_PTWR_FAULT,
			    (unsigned int)(f->error_code & ~PFEC_USER), 0);
		return false;
	}
	complete(f, &in, &g, old);
	return true;
}
