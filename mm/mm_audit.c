/* SPDX-License-Identifier: MIT */
/*
 * The reference-count audit (mm_audit, declared in xeno/ptype.h): DESIGN
 * §1.5's invariant checker for domain frames.
 *
 * It recomputes, from nothing but the frame table, the domains' page lists
 * and the contents of the tables, what every domain frame's general count,
 * type count and linear counts must be, and compares them with the running
 * values. It decodes entries on its own, without pte.c, so that a bug in
 * the reference taking code shows up as a mismatch rather than being
 * repeated here. Holders it knows:
 *
 *   allocation reference   1 general while the frame is on its domain's list
 *   pin                    1 general + 1 type
 *   partial state          1 general + 1 type, and entries [0, index)
 *                          (a preempted validation or devalidation)
 *   pending put            1 general (a vCPU's or a teardown's
 *                          continuation of a stopped devalidation)
 *   validated table        its entries, as listed at the top of mm/pte.c
 *   vCPU root              1 general + 1 type (L4) per installed root
 *   vCPU LDT               1 general + 1 type (descriptor page) per page
 *                          of an installed LDT (xeno/mm_ldt.h)
 *   superpage hold         1 general on a frame released under a
 *                          superpage (PGO_SP_HELD, mm/superpage.c)
 *   outside reference      what mm_hold_outside_ref() and friends
 *                          registered (the hypervisor's own uses, test
 *                          harnesses)
 *   walked holder          what the walker (mm_audit_set_walker) reports
 *                          (vCPUs' GDT frames)
 *
 * Superpage entries hold nothing on their frames: they are counted per
 * region and handed to superpage_audit(), which recounts the region
 * records (ownership, table frames, held frames) from the frame table.
 *
 * It also keeps that registry of outside references: a small table of
 * (frame, general, type), looked up by a linear scan: it holds a handful
 * of long-lived references (one shared_info page per domain, a fuzzer's
 * few temporary ones).
 *
 * Locks: outside_lock (LOCK_RANK_LEAF) over the registry; nothing is
 * taken inside it. The audit itself takes none otherwise and must run
 * while nothing changes frames or tables.
 */
#include <xeno/arch.h>
#include <xeno/frame.h>
#include <xeno/lib.h>
#include <xeno/mm_domain.h>
#include <xeno/mm_vcpu.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/spinlock.h>
#include <xeno/superpage.h>
#include <xeno/xmalloc.h>

/* What the audit expects of one frame. */
struct expect {
	uint32_t general;
	uint32_t type;
	uint16_t lin_out; /* linear entries in this table */
	uint16_t lin_in;  /* linear entries elsewhere pointing here */
};

/* ---- outside references --------------------------------------------------- */

struct outside_ref {
	uint64_t mfn;
	uint32_t general, type;
};

static struct outside_ref outside[MM_OUTSIDE_REFS];
static unsigned int nr_outside;
static spinlock_t outside_lock =
	SPINLOCK_INIT("mm outside refs", LOCK_RANK_LEAF);

void mm_outside_refs_reset(void)
{
	nr_outside = 0;
}

/* Adds general and type (each +1, 0 or -1) to pg's registered counts. */
static void outside_adjust(struct page_info *pg, int general, int type)
{
	uint64_t m = mfn_x(page_to_mfn(pg));
	unsigned int i;

	spin_lock(&outside_lock);
	for (i = 0; i < nr_outside && outside[i].mfn != m; i++) {
	}
	if (i == nr_outside) {
		BUG_ON(general < 0 || nr_outside == MM_OUTSIDE_REFS);
		outside[nr_outside++] = (struct outside_ref){ m, 0, 0 };
	}
	BUG_ON((general < 0 && outside[i].general == 0) ||
	       (type < 0 && outside[i].type == 0));
	outside[i].general += (uint32_t)general;
	outside[i].type += (uint32_t)type;
	if (outside[i].general == 0) {
		outside[i] = outside[--nr_outside];
	}
	spin_unlock(&outside_lock);
}

void mm_hold_outside_ref(struct page_info *pg)
{
	outside_adjust(pg, 1, 0);
}

void mm_drop_outside_ref(struct page_info *pg)
{
	outside_adjust(pg, -1, 0);
}

void mm_hold_outside_typed_ref(struct page_info *pg)
{
	outside_adjust(pg, 1, 1);
}

void mm_drop_outside_typed_ref(struct page_info *pg)
{
	outside_adjust(pg, -1, -1);
}

/* ---- recounting ---------------------------------------------------------- */

/* Superpage entries found per region, [0]: 2 MiB, [1]: 1 GiB (mm_audit). */
static uint32_t *found_maps[2];

static unsigned int level_of(uint64_t ti)
{
	return (unsigned int)((ti & PGT_type_mask) >> PGT_type_shift);
}

/* Counts what entry e of a level-level table at mfn tm holds. */
static void count_entry(struct expect *ex, unsigned int level, uint64_t e,
			uint64_t tm)
{
	uint64_t m = (e & PTE_ADDR) >> PAGE_SHIFT;
	const struct page_info *t;

	if (!(e & PTE_P)) {
		return;
	}
	if ((level == 2 || level == 3) && (e & PTE_PS)) {
		m >>= SP_ORDER(level);
		if (m < superpage_nr_regions(level)) {
			found_maps[level - 2][m]++;
		}
		return;
	}
	if (m >= frame_table_nr) {
		return;
	}
	t = &frame_table[m];
	if ((t->flags & PGF_RESERVED) || (level > 1 && m == tm)) {
		return;
	}
	ex[m].general++;
	if (level == 1) {
		ex[m].type += (e & PTE_RW) ? 1 : 0;
		return;
	}
	ex[m].type++;
	if (level_of(t->type_info) == level) {
		ex[tm].lin_out++;
		ex[m].lin_in++;
	}
}

/* Adds up the holders of frame m (see the table at the top). */
static void count_holders(struct expect *ex, uint64_t m)
{
	const struct page_info *pg = &frame_table[m];
	uint64_t ti = pg->type_info;
	unsigned int i, end = 0, level = level_of(ti);
	const uint64_t *t;

	if (mm_domain_holds(pg) || (pg->order & PGO_SP_HELD)) {
		ex[m].general++;
	}
	if (ti & (PGT_pinned | PGT_partial)) {
		ex[m].general++;
		ex[m].type++;
	}
	if (level >= 1 && level <= 4) {
		if (ti & PGT_partial) {
			end = (unsigned int)((ti & PGT_index_mask) >>
					     PGT_index_shift);
		} else if ((ti & PGT_validated) && (ti & PGT_count_mask)) {
			end = PT_ENTRIES;
		}
	}
	t = arch_mfn_to_virt(mfn(m));
	for (i = 0; i < end; i++) {
		if (!(level == 4 && l4_slot_is_hyp(i))) {
			count_entry(ex, level, t[i], m);
		}
	}
}

static int mismatch(uint64_t m, const char *what, uint64_t have, uint64_t want)
{
	printk(LOG_ERR,
	       "mm audit: mfn %#llx: %s is %llu, expected %llu "
	       "(type_info %#llx)\n",
	       (unsigned long long)m, what, (unsigned long long)have,
	       (unsigned long long)want,
	       (unsigned long long)frame_table[m].type_info);
	return -1;
}

/* The type word's own rules (ptype.c's state table). */
static int check_state(uint64_t m)
{
	uint64_t ti = frame_table[m].type_info;
	uint32_t n = (uint32_t)(ti & PGT_count_mask);
	unsigned int level = level_of(ti);

	if (ti & PGT_busy) {
		return mismatch(m, "busy flag", 1, 0);
	}
	if (n == 0 && (ti & (PGT_validated | PGT_pinned | PGT_partial))) {
		return mismatch(m, "flags of an unused type", ti >> 57, 0);
	}
	if ((ti & PGT_partial) && (n != 1 || (ti & PGT_validated))) {
		return mismatch(m, "partial state count", n, 1);
	}
	if ((ti & PGT_pinned) && (level < 1 || level > 4)) {
		return mismatch(m, "pinned type", level, 1);
	}
	if (n != 0 && !(ti & (PGT_validated | PGT_partial))) {
		return mismatch(m, "validated flag", 0, 1);
	}
	return 0;
}

static int compare(const struct expect *ex, uint64_t m)
{
	const struct page_info *pg = &frame_table[m];
	uint64_t ti = pg->type_info;
	/* An idle frame keeps its TLB stamp where the linear counts were. */
	bool idle =
		(ti & PGT_count_mask) == 0 && !(ti & (PGT_busy | PGT_partial));
	uint64_t lin = idle ? 0 : (ti & PGT_linear_mask) >> PGT_linear_shift;
	bool in = !idle && (ti & PGT_linear_in) != 0;

	if (!(pg->flags & PGF_DOMAIN)) {
		if (ex[m].general != 0) {
			return mismatch(m, "references to a non-domain frame",
					ex[m].general, 0);
		}
		return 0;
	}
	if (page_count(pg) != ex[m].general) {
		return mismatch(m, "general count", page_count(pg),
				ex[m].general);
	}
	if ((ti & PGT_count_mask) != ex[m].type) {
		return mismatch(m, "type count", ti & PGT_count_mask,
				ex[m].type);
	}
	if ((in ? 0 : lin) != ex[m].lin_out) {
		return mismatch(m, "linear entries", in ? 0 : lin,
				ex[m].lin_out);
	}
	if ((in ? lin : 0) != ex[m].lin_in) {
		return mismatch(m, "linear references", in ? lin : 0,
				ex[m].lin_in);
	}
	return check_state(m);
}

/* One installed root: a general and an L4 type reference. */
static void count_root(struct expect *ex, mfn_t r)
{
	if (!mfn_eq(r, INVALID_MFN) && mfn_x(r) < frame_table_nr) {
		ex[mfn_x(r)].general++;
		ex[mfn_x(r)].type++;
	}
}

static void count_roots(struct mm_domain *d, void *arg)
{
	struct expect *ex = arg;
	unsigned int i;

	for (i = 0; i < MM_MAX_VCPUS; i++) {
		const struct mm_vcpu *v = d->vcpus[i];

		if (v != NULL) {
			unsigned int j;

			count_root(ex, v->kernel_root);
			count_root(ex, v->user_root);
			count_root(ex, v->prepared[0]);
			count_root(ex, v->prepared[1]);
			/* The LDT: a general and a descriptor-page type each. */
			for (j = 0; j < v->ldt.nr_frames; j++) {
				count_root(ex, v->ldt.frames[j]);
			}
		}
	}
}

/* A pending put (vCPU or teardown): one general reference. */
static void count_pending(struct expect *ex, const struct page_info *pg)
{
	if (pg != NULL) {
		ex[mfn_x(page_to_mfn(pg))].general++;
	}
}

/* The pending puts of d's vCPUs and of d's teardown. */
static void count_pendings(struct mm_domain *d, void *arg)
{
	struct expect *ex = arg;
	unsigned int i;

	for (i = 0; i < MM_MAX_VCPUS; i++) {
		if (d->vcpus[i] != NULL) {
			count_pending(ex, d->vcpus[i]->put_pending);
		}
	}
	count_pending(ex, d->put_pending);
}

/* ---- holders with their own records --------------------------------------- */

static void (*walker)(mm_audit_add_fn add);
static struct expect *walk_ex; /* the audit running (it runs alone) */

void mm_audit_set_walker(void (*walk)(mm_audit_add_fn add))
{
	walker = walk;
}

static void walk_add(mfn_t m, uint32_t general, uint32_t type)
{
	if (mfn_x(m) < frame_table_nr) {
		walk_ex[mfn_x(m)].general += general;
		walk_ex[mfn_x(m)].type += type;
	}
}

static void count_walked(struct expect *ex)
{
	if (walker != NULL) {
		walk_ex = ex;
		walker(walk_add);
		walk_ex = NULL;
	}
}

static void count_outside(struct expect *ex)
{
	unsigned int i;

	spin_lock(&outside_lock);
	for (i = 0; i < nr_outside; i++) {
		if (outside[i].mfn < frame_table_nr) {
			ex[outside[i].mfn].general += outside[i].general;
			ex[outside[i].mfn].type += outside[i].type;
		}
	}
	spin_unlock(&outside_lock);
}

int mm_audit(void)
{
	struct expect *ex;
	uint64_t m;
	int rc = mm_domain_audit();

	if (rc != 0) {
		return rc;
	}
	/* One block: the frames' expectations, then the region counts. */
	ex = xzalloc(frame_table_nr * sizeof(*ex) +
		     (superpage_nr_regions(2) + superpage_nr_regions(3)) *
			     sizeof(uint32_t));
	if (ex == NULL) {
		printk(LOG_ERR, "mm audit: no memory for %llu frames\n",
		       (unsigned long long)frame_table_nr);
		return -1;
	}
	found_maps[0] = (uint32_t *)(ex + frame_table_nr);
	found_maps[1] = found_maps[0] + superpage_nr_regions(2);
	for (m = 0; m < frame_table_nr; m++) {
		if (frame_table[m].flags & PGF_DOMAIN) {
			count_holders(ex, m);
		}
	}
	mm_domain_for_each(count_roots, ex);
	mm_domain_for_each(count_pendings, ex);
	count_outside(ex);
	count_walked(ex);
	for (m = 0; m < frame_table_nr && rc == 0; m++) {
		rc = compare(ex, m);
	}
	if (rc == 0) {
		rc = superpage_audit(found_maps[0], found_maps[1]);
	}
	xfree(ex);
	return rc;
}
