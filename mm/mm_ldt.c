/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's LDT (see xeno/mm_ldt.h): MMUEXT_SET_LDT's argument checks,
 * finding the frames under the LDT's guest address, and the descriptor
 * page references the vCPU holds on them.
 *
 * Why eagerly. Xen maps LDT pages lazily, on the first fault a selector
 * load takes in its per-vCPU LDT area, and leaves an unmappable page to
 * that fault. Xeno takes the frames when the LDT is set: a refusal is
 * then an error code and a recorded reason at the hypercall, not a fault
 * later, and the CPU's copy of the LDT (the arch keeps one per CPU, as
 * it does for the GDT) is always whole. The price is that set_ldt walks
 * ents * 8 / 4096 pages (16 at most) and validates them at once.
 *
 * Invariant: an installed LDT's frames are descriptor pages with one type
 * reference per page of the LDT, so they cannot be made writable (the L1
 * rules refuse with -EBUSY) nor become page tables until the vCPU drops
 * them: at the next set_ldt, VCPUOP_initialise or the vCPU's end.
 *
 * Locks: none (see the header).
 */
#include <xeno/errno.h>
#include <xeno/exit_work.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/mm_ldt.h>
#include <xeno/mm_vcpu.h>
#include <xeno/mm_why.h>
#include <xeno/ptype.h>

/* Gives every install a generation no other LDT had. */
static uint64_t ldt_gen;

static int check_args(uint64_t base, unsigned int ents)
{
	if (ents > MM_LDT_MAX_ENTS) {
		mm_why_note(XENO_WHY_LDT_ENTRIES, ents, INVALID_MFN);
		return -EINVAL;
	}
	if ((base & (PAGE_SIZE - 1)) != 0 ||
	    !guest_range_ok(base, (size_t)ents * 8)) {
		mm_why_note(XENO_WHY_LDT_BASE, base, INVALID_MFN);
		return -EINVAL;
	}
	return 0;
}

/* The frame under va as one of d's descriptor pages, or an error. */
static int take_page(struct mm_domain *d, mfn_t root, uint64_t va, mfn_t *out)
{
	struct page_info *pg = guest_frame_in(d, root, va);
	int rc;

	if (pg == NULL) {
		mm_why_note(XENO_WHY_LDT_UNMAPPED, va, INVALID_MFN);
		return -EINVAL;
	}
	/* Checks the owner, then the type (validating the descriptors). */
	rc = page_get_and_type(pg, d, PGT_seg_desc, 0);
	*out = page_to_mfn(pg);
	page_put(pg);
	return rc != 0 ? -EINVAL : 0;
}

int mm_ldt_prepare(struct mm_domain *d, mfn_t root, uint64_t base,
		   unsigned int ents, struct mm_ldt *out)
{
	unsigned int i, n;
	int rc = check_args(base, ents);

	memset(out, 0, sizeof(*out));
	if (rc != 0) {
		return rc;
	}
	n = (unsigned int)(((uint64_t)ents * 8 + PAGE_SIZE - 1) / PAGE_SIZE);
	for (i = 0; i < n; i++) {
		rc = take_page(d, root, base + (uint64_t)i * PAGE_SIZE,
			       &out->frames[i]);
		if (rc != 0) {
			mm_ldt_release(out);
			return rc;
		}
		out->nr_frames++;
	}
	out->base = ents != 0 ? base : 0;
	out->ents = ents;
	return 0;
}

void mm_ldt_release(struct mm_ldt *l)
{
	unsigned int i;

	for (i = 0; i < l->nr_frames; i++) {
		page_put_and_type(mfn_to_page(l->frames[i]));
	}
	l->nr_frames = 0;
	l->ents = 0;
	l->base = 0;
}

void mm_ldt_install(struct mm_vcpu *v, struct mm_ldt *l)
{
	struct mm_ldt old = v->ldt;

	v->ldt = *l;
	v->ldt.gen = __atomic_add_fetch(&ldt_gen, 1, __ATOMIC_SEQ_CST);
	memset(l, 0, sizeof(*l));
	/* Its CPU loads the new LDT on the full exit path (pv/ldt.c). */
	if (v->cpu >= 0) {
		exit_work_raise((unsigned int)v->cpu, EXIT_WORK_LDT);
	}
	mm_ldt_release(&old);
}
