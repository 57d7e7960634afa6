/* SPDX-License-Identifier: MIT */
/*
 * A PV guest's descriptor tables (interface in asm/descriptor.h): the
 * descriptor rules of pv-abi §9.11, GDT frames (set_gdt, §7.8) and
 * checked descriptor writes (update_descriptor, §7.9).
 *
 * Frames a guest uses as GDT take the page type PGT_seg_desc (mm/ptype.c
 * calls pv_desc_check on all 512 descriptors when a frame first takes
 * it), so the guest cannot map them writable, and a frame mapped writable
 * or used as a page table cannot become one.
 *
 * How the CPU sees a guest's GDT. Each CPU has one GDT of 8192 entries
 * (desc.c); entries 7168 and up are the hypervisor's reserved page with
 * the flat selectors. Instead of mapping the guest's frames into a
 * per-CPU virtual area (which would need per-CPU page-table slots and a
 * TLB flush of them on every switch, across PCIDs), the CPU's guest part
 * holds a copy of the current vCPU's frames. The copy is exact because
 * the guest cannot write those frames: the only writer is
 * update_descriptor, which bumps gdt_gen; every CPU compares its copy's
 * generation and vCPU on each exit to a guest and recopies when either
 * differs. A change is thus seen by the calling vCPU at once and by other
 * vCPUs at their next entry to the hypervisor (a timer tick at most).
 * Copies are whole frames, as the CPU would see mapped frames; unused
 * guest entries are zero (not present).
 *
 * Locks: none. A vCPU's GDT changes only on its own CPU (set_gdt) or
 * while it is off every CPU (VCPUOP_initialise, destruction).
 */
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/descriptor.h>
#include <asm/pv.h>
#include <public/xeno.h>
#include <xeno/arch.h>
#include <xeno/domain.h>
#include <xeno/errno.h>
#include <xeno/exit_work.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/mm_why.h>
#include <xeno/ptype.h>

/* Descriptor fields (Intel SDM vol. 3, 3.4.5). */
#define DESC_S		(1ULL << 44) /* code or data segment */
#define DESC_P		(1ULL << 47)
#define DESC_DPL_SHIFT	45
#define DESC_DPL_MASK	(3ULL << DESC_DPL_SHIFT)
#define DESC_TYPE_SHIFT 40
#define DESC_TYPE_MASK	(0xfULL << DESC_TYPE_SHIFT)
#define SYS_TYPE_NONE	0x0 /* the upper half of a 16-byte descriptor */
#define SYS_TYPE_CALL	0xc /* 64-bit call gate */
#define GATE_SEL_SHIFT	16  /* a gate's target selector, bits 31:16 */
#define GATE_PARAM_MASK (0xffULL << 32) /* must be zero */
#define SEL_TI		4		/* selector names the LDT */

/* Bumped by every change of an installed GDT's or LDT's contents. */
static uint64_t gdt_gen = 1;

/* What this CPU's guest GDT part holds (only its own CPU writes it). */
static struct {
	const struct vcpu *v; /* whose copy, NULL: empty */
	uint64_t gen;	      /* gdt_gen at the copy */
	unsigned int frames;  /* frames copied (to clear) */
} loaded[NR_CPUS];

uint64_t pv_desc_gen(void)
{
	return __atomic_load_n(&gdt_gen, __ATOMIC_SEQ_CST);
}

/*
 * A change every CPU must see at its next exit to a guest: the exit-work
 * bit sends that exit through the full path, which compares generations.
 */
static void gdt_gen_bump(void)
{
	__atomic_fetch_add(&gdt_gen, 1, __ATOMIC_SEQ_CST);
	exit_work_raise_all(EXIT_WORK_GDT);
}

/* ---- the rules ------------------------------------------------------------ */

/* A call gate's target: a guest GDT code selector, the flat one, or LDT. */
static bool gate_target_ok(uint16_t sel)
{
	if (sel & SEL_TI) {
		return true;
	}
	return (sel >> 3) < FIRST_RESERVED_GDT_ENTRY ||
	       (sel & ~3u) == (FLAT_KERNEL_CS & ~3u);
}

int pv_desc_check(uint64_t *desc)
{
	uint64_t d = *desc;
	unsigned int type =
		(unsigned int)((d & DESC_TYPE_MASK) >> DESC_TYPE_SHIFT);
	uint16_t sel;

	if (!(d & DESC_P)) {
		return 0;
	}
	if ((d & DESC_S) || type == SYS_TYPE_NONE) {
		*desc = d | DESC_DPL_MASK;
		return 0;
	}
	if (type != SYS_TYPE_CALL) {
		return -EINVAL; /* TSS, LDT, interrupt and trap gates */
	}
	sel = (uint16_t)(d >> GATE_SEL_SHIFT);
	if (!gate_target_ok(sel) || (d & GATE_PARAM_MASK)) {
		return -EINVAL;
	}
	/* DPL 0, so every use traps; the guest's DPL moves to the RPL. */
	sel = (uint16_t)((sel & ~3u) | ((d & DESC_DPL_MASK) >> DESC_DPL_SHIFT));
	d &= ~(DESC_DPL_MASK | (0xffffULL << GATE_SEL_SHIFT));
	*desc = d | ((uint64_t)sel << GATE_SEL_SHIFT);
	return 0;
}

/*
 * The page-type machine's check of a whole frame: all 512 must pass
 * before any is rewritten, so a refused frame stays as the guest wrote it.
 */
static int check_frame(uint64_t *descs)
{
	unsigned int i;

	for (i = 0; i < GDT_ENTRIES_PER_FRAME; i++) {
		uint64_t d = descs[i];

		if (pv_desc_check(&d) != 0) {
			mm_why_note(XENO_WHY_BAD_DESCRIPTOR, descs[i],
				    INVALID_MFN);
			return -EINVAL;
		}
	}
	for (i = 0; i < GDT_ENTRIES_PER_FRAME; i++) {
		uint64_t d = descs[i];

		(void)pv_desc_check(&d);
		if (d != descs[i]) {
			descs[i] = d;
		}
	}
	return 0;
}

struct audit_walk {
	mm_audit_add_fn add;
};

/* The audit's count of the GDT references every vCPU holds. */
static void audit_domain(struct mm_domain *d, void *arg)
{
	mm_audit_add_fn add = ((struct audit_walk *)arg)->add;
	unsigned int i, j;

	for (i = 0; i < MM_MAX_VCPUS; i++) {
		const struct pv_gdt *g;

		if (d->vcpus[i] == NULL) {
			continue;
		}
		g = &vcpu_of_mm(d->vcpus[i])->arch.gdt;
		for (j = 0; j < g->nr_frames; j++) {
			add(mfn(g->frames[j]), 1, 1);
		}
	}
}

static void audit_walk(mm_audit_add_fn add)
{
	struct audit_walk w = { add };

	mm_domain_for_each(audit_domain, &w);
}

void pv_desc_init(void)
{
	ptype_set_seg_desc_check(check_frame);
	mm_audit_set_walker(audit_walk);
}

/* ---- GDT frames ------------------------------------------------------------ */

static void frame_put(uint64_t m)
{
	struct page_info *pg = mfn_to_page(mfn(m));

	page_put_and_type(pg);
}

static int frame_get(struct domain *d, uint64_t m)
{
	struct page_info *pg;
	int rc;

	if (!mfn_valid(mfn(m))) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, m, INVALID_MFN);
		return -EINVAL;
	}
	pg = mfn_to_page(mfn(m));
	rc = page_get_and_type(pg, &d->mm, PGT_seg_desc, 0);
	if (rc != 0) {
		return -EINVAL;
	}
	return 0;
}

void pv_gdt_release(struct pv_gdt *g)
{
	unsigned int i;

	for (i = 0; i < g->nr_frames; i++) {
		frame_put(g->frames[i]);
	}
	if (g->nr_frames != 0) {
		gdt_gen_bump();
	}
	g->nr_frames = 0;
	g->ents = 0;
}

int pv_gdt_prepare(struct domain *d, const uint64_t *frames, unsigned int ents,
		   struct pv_gdt *out)
{
	unsigned int i,
		n = (ents + GDT_ENTRIES_PER_FRAME - 1) / GDT_ENTRIES_PER_FRAME;

	out->nr_frames = 0;
	out->ents = 0;
	if (ents > FIRST_RESERVED_GDT_ENTRY) {
		mm_why_note(XENO_WHY_GDT_ENTRIES, ents, INVALID_MFN);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (frame_get(d, frames[i]) != 0) {
			mm_why_where(mfn(frames[i]), i);
			pv_gdt_release(out);
			return -EINVAL;
		}
		out->frames[out->nr_frames++] = frames[i];
	}
	out->ents = ents;
	return 0;
}

void pv_gdt_install(struct vcpu *v, struct pv_gdt *g)
{
	struct pv_gdt old = v->arch.gdt;

	v->arch.gdt = *g;
	g->nr_frames = 0;
	g->ents = 0;
	gdt_gen_bump();
	if (current_vcpu() == v) {
		pv_gdt_load(v);
	}
	pv_gdt_release(&old);
}

void pv_gdt_load(struct vcpu *v)
{
	unsigned int cpu = arch_cpu_id(), i;
	uint64_t gen = __atomic_load_n(&gdt_gen, __ATOMIC_SEQ_CST);
	uint64_t *gdt = desc_this_gdt();
	unsigned int nr = v != NULL ? v->arch.gdt.nr_frames : 0;

	if (loaded[cpu].v == v && loaded[cpu].gen == gen) {
		return;
	}
	for (i = 0; i < nr; i++) {
		memcpy(gdt + i * GDT_ENTRIES_PER_FRAME,
		       arch_mfn_to_virt(mfn(v->arch.gdt.frames[i])), 4096);
	}
	if (loaded[cpu].frames > nr) {
		memset(gdt + nr * GDT_ENTRIES_PER_FRAME, 0,
		       (loaded[cpu].frames - nr) * 4096);
	}
	loaded[cpu].v = v;
	loaded[cpu].gen = gen;
	loaded[cpu].frames = nr;
}

/* ---- the hypercalls ----------------------------------------------------------- */

/* set_gdt(frame_list, entries): §7.8. The old GDT stays on failure. */
long do_set_gdt(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	uint64_t frames[FIRST_RESERVED_GDT_PAGE];
	uint64_t ents = h->a[1];
	struct pv_gdt g;
	unsigned int n;
	int rc;

	mm_why_begin();
	if (ents > FIRST_RESERVED_GDT_ENTRY) {
		mm_why_note(XENO_WHY_GDT_ENTRIES, ents, INVALID_MFN);
		return mm_why_fail(-EINVAL, __HYPERVISOR_set_gdt, 0, 0);
	}
	n = ((unsigned int)ents + GDT_ENTRIES_PER_FRAME - 1) /
	    GDT_ENTRIES_PER_FRAME;
	if (guest_copy_from(frames, h->a[0], n * sizeof(frames[0])) != 0) {
		mm_why_note(XENO_WHY_UNREADABLE, h->a[0], INVALID_MFN);
		return mm_why_fail(-EFAULT, __HYPERVISOR_set_gdt, 0, 0);
	}
	rc = pv_gdt_prepare(v->domain, frames, (unsigned int)ents, &g);
	if (rc != 0) {
		return mm_why_fail(rc, __HYPERVISOR_set_gdt, 0, 0);
	}
	pv_gdt_install(v, &g);
	return 0;
}

/*
 * The type update_descriptor writes under (§7.9): a descriptor frame
 * stays one (and is validated again if it was idle); any other frame
 * must be able to be writable.
 */
static int take_for_write(struct domain *d, struct page_info *pg,
			  uint64_t *type)
{
	*type = ptype_type(pg) == PGT_seg_desc ? PGT_seg_desc : PGT_writable;
	return page_get_and_type(pg, &d->mm, *type, 0);
}

long do_update_descriptor(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	uint64_t ma = h->a[0], desc = h->a[1], type;
	struct page_info *pg;
	volatile uint64_t *slot;

	mm_why_begin();
	if ((ma & 7) != 0) {
		mm_why_note(XENO_WHY_BAD_VA, ma, INVALID_MFN);
		return mm_why_fail(-EINVAL, __HYPERVISOR_update_descriptor, 0,
				   0);
	}
	if (pv_desc_check(&desc) != 0) {
		mm_why_note(XENO_WHY_BAD_DESCRIPTOR, h->a[1], INVALID_MFN);
		return mm_why_fail(-EINVAL, __HYPERVISOR_update_descriptor, 0,
				   0);
	}
	if (!mfn_valid(mfn(ma >> 12))) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, ma >> 12, INVALID_MFN);
		return mm_why_fail(-EINVAL, __HYPERVISOR_update_descriptor, 0,
				   0);
	}
	pg = mfn_to_page(mfn(ma >> 12));
	if (take_for_write(v->domain, pg, &type) != 0) {
		return mm_why_fail(-EINVAL, __HYPERVISOR_update_descriptor, 0,
				   0);
	}
	slot = (volatile uint64_t *)((uint8_t *)arch_mfn_to_virt(
					     mfn(ma >> 12)) +
				     (ma & 4095));
	*slot = desc;
	if (type == PGT_seg_desc) {
		gdt_gen_bump();
		pv_gdt_load(v);
	}
	page_put_and_type(pg);
	return 0;
}
