/* SPDX-License-Identifier: MIT */
/*
 * The page-type machine (see xeno/ptype.h): one type word per frame
 * (page_info.type_info, layout in frame.h), changed only by the
 * transition functions below, each one compare-and-swap.
 *
 * A frame's type state, with n the type count:
 *
 *   IDLE        n = 0. The type field keeps the last type (or none), and
 *               the TLB stamp when that use ended, so that a change of
 *               type flushes the stale TLB entries of the old use where
 *               they may still be (pv-abi §9.1 rule 5, mm/tlb.c).
 *   IN USE      n > 0, validated. Writable frames are always here.
 *   BUSY        a CPU is validating (n = 1, upwards from index) or
 *               devalidating (n = 0, downwards from index) it. Others
 *               wanting it wait; only that CPU changes index or leaves.
 *   PARTIAL     n = 1, work stopped at a preemption point at index.
 *
 * A validation that fails at an entry releases the entries before it as
 * a devalidation from that entry down, so it is preemptible as well; a
 * stopped one is a PARTIAL state like any other, handed to the caller
 * (fail_unwind).
 *
 * PARTIAL is one state for both directions, because it means the same
 * thing either way: entries [0, index) hold their references, entries
 * [index, 512) hold none, and the state itself owns the count and one
 * general reference (so the frame stays allocated). Nobody else holds a
 * type reference on it. Whoever takes it over continues in its own
 * direction: a get of its type validates upwards from index (a pin or a
 * new base pointer of a half-devalidated table revalidates only what was
 * released), a put continuation (ptype_finish_put), release or teardown
 * devalidates downwards from index - 1. Entry index itself may point at
 * an orphan: a lower table whose own validation or devalidation stopped
 * inside that entry, PARTIAL too, holding nothing from us. Devalidation
 * taking over a PARTIAL frame finishes that orphan first (finish_orphan);
 * validation takes it over through the entry's own get.
 *
 * Transition table (T: requested type; L: a page-table type):
 *
 *   from      event                          to        function
 *   IDLE      get writable                   IN USE 1  tr_first
 *   IDLE      get L                          BUSY 1    tr_first
 *   IDLE      get L while a superpage maps   (refused, -EINVAL)  first_ref
 *             the frame's region
 *   IN USE    get T, same type, n < max      IN USE+1  tr_get_more
 *   IN USE    get T, other type              (refused, -EINVAL)
 *   PARTIAL   get its type, on the page list BUSY 1    tr_resume
 *   PARTIAL   get its type, given back       BUSY 0    ptype_finish_put,
 *                                            (then refused)
 *   PARTIAL   get other type                 (refused, -EINVAL)
 *   BUSY      get T, other type, n = 1       (refused, -EINVAL)
 *   BUSY      get T otherwise                (waits)
 *   BUSY 1    all entries valid              IN USE 1  tr_finish
 *   BUSY 1    preemption point, or nested    PARTIAL   tr_preempt
 *             validation preempted
 *   BUSY 1    an entry fails                 BUSY 0 at fail_unwind
 *                                            the entry
 *   IN USE    put, n > 1 or writable         IN USE-1  tr_put_more
 *             (writable 1 -> IDLE)           / IDLE
 *   IN USE    put, n = 1, page table         BUSY 0    tr_start_devalidate
 *             (index 512)
 *   BUSY 0    entry 0 released               IDLE      tr_idle
 *   BUSY 0    preemption point (preemptible  PARTIAL   tr_preempt_down
 *             put), or nested devalidation
 *             preempted
 *   PARTIAL   put continuation, release,     BUSY 0    tr_resume_down
 *             teardown, or the preempting
 *             CPU finding the frame given
 *             back
 *   IN USE    pin (not pinned)               +pinned   tr_pin
 *   IN USE    unpin (pinned), or release     -pinned   tr_unpin,
 *             of a pinned frame                        tr_unpin_from
 *
 * The pinned flag and the linear counts (pte.c) change in any state
 * where the rules allow it; every other transition keeps them.
 *
 * What others see of a table being devalidated: BUSY 0, a wait until the
 * next preemption point (at most one step); PARTIAL, the same as a half
 * validated table: no writable mapping or other type (-EBUSY/-EINVAL),
 * no linear entry to it, and a get of its type revalidates it. Its
 * released entries' frames are idle and may change type meanwhile; a
 * revalidation then fails on them like any validation.
 *
 * Giving a frame back races with pins and validations on other CPUs
 * (mm_domain_release takes it off the page list, then calls
 * ptype_relinquish). Release waits out BUSY, then drops a pin or
 * devalidates a PARTIAL state, each by compare-and-swap. A pin and a
 * preemption of a validation check the page list again after their
 * transition, behind a full fence that pairs with release's
 * (still_held): whichever side's compare-and-swap wins drops the
 * references, so a pin or a partial validation never outlives the
 * frame's place on the list. A preempted devalidation may outlive it:
 * its continuation (a vCPU's or a teardown's pending put) holds a
 * general reference and always finishes it; nothing can take it over
 * for validation once the frame is given back.
 *
 * Locks: none (see the header).
 */
#include <xeno/arch.h>
#include <xeno/atomic.h>
#include <xeno/errno.h>
#include <xeno/lib.h>
#include <xeno/mm_why.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/superpage.h>
#include <xeno/tlb.h>

static unsigned int preempt_interval;
static unsigned int preempt_left[NR_CPUS];
static bool budget_on[NR_CPUS];
static unsigned int budget_left[NR_CPUS];
static unsigned int arch_left[NR_CPUS];

/*
 * Entries looked at between two questions to the arch: asking reads the
 * clock, which costs more than an entry (under TCG, several times an L1
 * entry's release), and 64 entries take microseconds.
 */
#define ARCH_CHECK_EVERY 64
static struct ptype_stats stats;

static void count_event(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* ---- the type word ---------------------------------------------------- */

static uint64_t ti_type(uint64_t x)
{
	return x & PGT_type_mask;
}

static uint32_t ti_count(uint64_t x)
{
	return (uint32_t)(x & PGT_count_mask);
}

static unsigned int ti_index(uint64_t x)
{
	return (unsigned int)((x & PGT_index_mask) >> PGT_index_shift);
}

static uint64_t ti_with_index(uint64_t x, unsigned int i)
{
	return (x & ~PGT_index_mask) | ((uint64_t)i << PGT_index_shift);
}

static bool is_table_type(uint64_t type)
{
	return type >= PGT_l1 && type <= PGT_l4;
}

/* Types whose first reference checks the frame's contents. */
static bool is_validated_type(uint64_t type)
{
	return is_table_type(type) || type == PGT_seg_desc;
}

static unsigned int type_level(uint64_t type)
{
	return (unsigned int)(type >> PGT_type_shift);
}

/*
 * For a CPU that owns the BUSY state: sets the bits of set and clears
 * those of clear, leaving what others may change (pinned, linear).
 */
static void ti_update(struct page_info *pg, uint64_t clear, uint64_t set)
{
	uint64_t x = atomic_read64(&pg->type_info);

	while (!atomic_cmpxchg64(&pg->type_info, &x, (x & ~clear) | set)) {
	}
}

uint64_t ptype_type(const struct page_info *pg)
{
	return ti_type(atomic_read64(&pg->type_info));
}

uint32_t ptype_count(const struct page_info *pg)
{
	return ti_count(atomic_read64(&pg->type_info));
}

bool ptype_validated(const struct page_info *pg)
{
	return (atomic_read64(&pg->type_info) & PGT_validated) != 0;
}

bool ptype_pinned(const struct page_info *pg)
{
	return (atomic_read64(&pg->type_info) & PGT_pinned) != 0;
}

bool ptype_partial(const struct page_info *pg)
{
	return (atomic_read64(&pg->type_info) & PGT_partial) != 0;
}

/* ---- transitions ------------------------------------------------------ */

/* The TLB stamp an idle frame keeps in its type word (frame.h). */
static uint32_t ti_stamp(uint64_t x)
{
	return (uint32_t)((x & PGT_stamp_mask) >> PGT_stamp_shift);
}

static uint64_t stamp_now(void)
{
	return (uint64_t)tlb_stamp() << PGT_stamp_shift;
}

/*
 * Superpage hooks (mm/superpage.c): a frame may take a page-table or
 * descriptor type only while no superpage maps its region, and its
 * region counts it from then until it goes idle again (tr_idle for
 * tables, sp_type_ended for a descriptor page).
 */
static bool sp_counted(uint64_t type)
{
	return is_table_type(type) || type == PGT_seg_desc;
}

static void sp_type_ended(struct page_info *pg, uint64_t type)
{
	if (type == PGT_seg_desc) {
		superpage_table_end(pg);
	}
}

/*
 * IDLE -> IN USE 1 (writable) or BUSY 1 at index 0 (a table type). A
 * change of use first flushes the CPUs that may still cache the old one
 * (pv-abi §9.1 rule 5): a writable translation of a frame about to be
 * validated, or a cached pointer to a former table about to be written.
 * The frame is ours at that point, so no new use of the old type can
 * appear meanwhile.
 */
static bool tr_first(struct page_info *pg, uint64_t x, uint64_t type)
{
	uint64_t n = type | 1;

	ASSERT(ti_count(x) == 0 && !(x & (PGT_busy | PGT_partial)));
	n |= is_validated_type(type) ? PGT_busy : PGT_validated;
	if (!atomic_cmpxchg64(&pg->type_info, &x, n)) {
		return false;
	}
	if (ti_type(x) != PGT_none && ti_type(x) != type) {
		count_event(&stats.stale_flushes);
		if (ti_stamp(x) != 0) {
			tlb_flush_stale(ti_stamp(x));
		}
	}
	return true;
}

static bool tr_get_more(struct page_info *pg, uint64_t x)
{
	ASSERT((x & PGT_validated) && ti_count(x) < PTYPE_COUNT_MAX);
	return atomic_cmpxchg64(&pg->type_info, &x, x + 1);
}

/* PARTIAL -> BUSY: the caller continues at the saved index. */
static bool tr_resume(struct page_info *pg, uint64_t x)
{
	ASSERT((x & PGT_partial) && ti_count(x) == 1);
	return atomic_cmpxchg64(&pg->type_info, &x,
				(x & ~PGT_partial) | PGT_busy);
}

static void tr_finish(struct page_info *pg)
{
	ti_update(pg, PGT_busy | PGT_index_mask, PGT_validated);
}

static void tr_preempt(struct page_info *pg, unsigned int index)
{
	ti_update(pg, PGT_busy | PGT_index_mask,
		  PGT_partial | ti_with_index(0, index));
	count_event(&stats.preemptions);
}

/*
 * BUSY -> IDLE: the count becomes 0, the type stays as a stale type, and
 * the TLB stamp says when its last use ended.
 */
static void tr_idle(struct page_info *pg)
{
	ASSERT((atomic_read64(&pg->type_info) & PGT_linear_mask) == 0);
	ti_update(pg,
		  PGT_busy | PGT_validated | PGT_pinned | PGT_count_mask |
			  PGT_stamp_mask,
		  stamp_now());
	superpage_table_end(pg);
}

/* Drops one reference; returns false if this is a table's last one. */
static bool tr_put_more(struct page_info *pg, uint64_t x)
{
	ASSERT(ti_count(x) > 0 && !(x & (PGT_busy | PGT_partial)));
	if (ti_count(x) == 1) {
		ASSERT(!(x & PGT_pinned));
		if (is_table_type(ti_type(x))) {
			return false;
		}
		if (!atomic_cmpxchg64(
			    &pg->type_info, &x,
			    ((x - 1) & ~(PGT_validated | PGT_stamp_mask)) |
				    stamp_now())) {
			return false;
		}
		sp_type_ended(pg, ti_type(x));
		return true;
	}
	return atomic_cmpxchg64(&pg->type_info, &x, x - 1);
}

/* IN USE 1 -> BUSY 0, devalidating downwards from the last entry. */
static bool tr_start_devalidate(struct page_info *pg, uint64_t x)
{
	uint64_t n = (x & ~(PGT_validated | PGT_count_mask)) | PGT_busy;

	return atomic_cmpxchg64(&pg->type_info, &x,
				ti_with_index(n, PT_ENTRIES));
}

/* BUSY 0 -> PARTIAL at index: entries [0, index) still hold references. */
static void tr_preempt_down(struct page_info *pg, unsigned int index)
{
	ti_update(pg, PGT_busy | PGT_index_mask | PGT_count_mask,
		  PGT_partial | ti_with_index(0, index) | 1);
	count_event(&stats.devalidation_preemptions);
}

/* PARTIAL -> BUSY 0: the caller devalidates downwards from index. */
static bool tr_resume_down(struct page_info *pg, uint64_t x)
{
	ASSERT((x & PGT_partial) && ti_count(x) == 1);
	return atomic_cmpxchg64(&pg->type_info, &x,
				(x & ~(PGT_partial | PGT_count_mask)) |
					PGT_busy);
}

static bool tr_pin(struct page_info *pg)
{
	uint64_t x = atomic_read64(&pg->type_info);

	do {
		if (x & PGT_pinned) {
			return false;
		}
		ASSERT((x & PGT_validated) && ti_count(x) > 0);
	} while (!atomic_cmpxchg64(&pg->type_info, &x, x | PGT_pinned));
	return true;
}

static bool tr_unpin(struct page_info *pg)
{
	uint64_t x = atomic_read64(&pg->type_info);

	do {
		if (!(x & PGT_pinned)) {
			return false;
		}
	} while (!atomic_cmpxchg64(&pg->type_info, &x, x & ~PGT_pinned));
	return true;
}

/* IN USE pinned -> unpinned, if the word is still x: one CPU wins. */
static bool tr_unpin_from(struct page_info *pg, uint64_t x)
{
	ASSERT(x & PGT_pinned);
	return atomic_cmpxchg64(&pg->type_info, &x, x & ~PGT_pinned);
}

/* ---- linear counts (§9.7) --------------------------------------------- */

/* Adds to the linear count in direction dir (0 or PGT_linear_in). */
static bool linear_inc(struct page_info *pg, uint64_t dir)
{
	uint64_t x = atomic_read64(&pg->type_info);
	uint64_t cnt;

	do {
		cnt = (x & PGT_linear_mask) >> PGT_linear_shift;
		if ((cnt != 0 && (x & PGT_linear_in) != dir) ||
		    cnt == (PGT_linear_mask >> PGT_linear_shift)) {
			return false;
		}
	} while (!atomic_cmpxchg64(&pg->type_info, &x,
				   ((x & ~PGT_linear_in) | dir) +
					   (1ULL << PGT_linear_shift)));
	return true;
}

static void linear_dec(struct page_info *pg, uint64_t dir)
{
	uint64_t x = atomic_read64(&pg->type_info);
	uint64_t n;

	do {
		BUG_ON((x & PGT_linear_mask) == 0 ||
		       (x & PGT_linear_in) != dir);
		n = x - (1ULL << PGT_linear_shift);
		if ((n & PGT_linear_mask) == 0) {
			n &= ~PGT_linear_in;
		}
	} while (!atomic_cmpxchg64(&pg->type_info, &x, n));
}

bool ptype_linear_out_inc(struct page_info *table)
{
	return linear_inc(table, 0);
}

void ptype_linear_out_dec(struct page_info *table)
{
	linear_dec(table, 0);
}

bool ptype_linear_in_inc(struct page_info *target)
{
	return linear_inc(target, PGT_linear_in);
}

void ptype_linear_in_dec(struct page_info *target)
{
	linear_dec(target, PGT_linear_in);
}

bool ptype_get_validated(struct page_info *pg, uint64_t type)
{
	uint64_t x = atomic_read64(&pg->type_info);

	do {
		if (ti_type(x) != type || !(x & PGT_validated) ||
		    ti_count(x) == 0 || ti_count(x) == PTYPE_COUNT_MAX) {
			return false;
		}
	} while (!atomic_cmpxchg64(&pg->type_info, &x, x + 1));
	return true;
}

/* ---- whole tables ----------------------------------------------------- */

void ptype_set_preempt_interval(unsigned int n)
{
	unsigned int i;

	preempt_interval = n;
	for (i = 0; i < NR_CPUS; i++) {
		preempt_left[i] = n;
	}
}

void ptype_budget_begin(unsigned int entries)
{
	unsigned int cpu = arch_cpu_id();

	budget_on[cpu] = true;
	budget_left[cpu] = entries;
}

bool ptype_budget_end(void)
{
	unsigned int cpu = arch_cpu_id();

	budget_on[cpu] = false;
	return budget_left[cpu] == 0;
}

/*
 * A preemption point: whether the current operation should stop now,
 * because the arch says so (in a hypercall; asked every
 * ARCH_CHECK_EVERY points) or the step's budget is spent (teardown,
 * ptype_budget_begin), or the forced interval (tests) ran out. A spent
 * budget stops every later point of the step too.
 */
static bool preempt_check(void)
{
	unsigned int cpu = arch_cpu_id();

	if (budget_on[cpu]) {
		if (budget_left[cpu] == 0) {
			return true;
		}
		budget_left[cpu]--;
	} else if (arch_left[cpu] > 1) {
		arch_left[cpu]--;
	} else {
		arch_left[cpu] = ARCH_CHECK_EVERY;
		if (arch_hypercall_preempt_check()) {
			return true;
		}
	}
	if (preempt_interval == 0 || --preempt_left[cpu] != 0) {
		return false;
	}
	preempt_left[cpu] = preempt_interval;
	return true;
}

/*
 * n entries done without a preemption point (an L1's release): they
 * count towards the step's budget and the next question to the arch.
 */
static void preempt_note(unsigned int n)
{
	unsigned int cpu = arch_cpu_id();

	if (budget_on[cpu]) {
		budget_left[cpu] -= MIN(n, budget_left[cpu]);
	} else {
		arch_left[cpu] -= MIN(n, arch_left[cpu]);
	}
}

static uint64_t *table_map(struct page_info *pg)
{
	return arch_mfn_to_virt(page_to_mfn(pg));
}

/*
 * The table passed: stores every entry as adjusted (§9.6) and, in an L4,
 * the hypervisor's slots. Nothing is written before, so a table that
 * fails is left as the guest wrote it (but for an L4's hypervisor slots,
 * which its release clears).
 */
static void table_adjust(struct page_info *pg, unsigned int level)
{
	uint64_t *t = table_map(pg);
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++) {
		if (!(level == 4 && l4_slot_is_hyp(i))) {
			t[i] = pte_adjust(level, t[i]);
		}
	}
	if (level == 4) {
		pte_l4_install(t, page_to_mfn(pg));
	}
}

/*
 * Validates entries from *index on. Returns 0 when all are valid (and
 * stored adjusted); -EAGAIN with *index the next entry to do; or the bad
 * entry's error with *index at it (entries before it still hold their
 * references: fail_unwind releases them).
 */
static int table_validate(struct page_info *pg, unsigned int level,
			  struct mm_domain *d, unsigned int flags,
			  unsigned int *index)
{
	struct pte_ctx c = {
		.d = d, .fd = d, .table = pg, .flags = flags | PTYPE_NESTED
	};
	uint64_t *t = table_map(pg);
	unsigned int i, start = *index;
	int rc;

	for (i = start; i < PT_ENTRIES; i++) {
		if (level == 4 && l4_slot_is_hyp(i)) {
			continue;
		}
		if (i > start && (flags & PTYPE_PREEMPTIBLE) &&
		    preempt_check()) {
			*index = i;
			return -EAGAIN;
		}
		rc = pte_get(level, t[i], &c);
		if (rc == -EAGAIN) {
			*index = i;
			return rc;
		}
		if (rc != 0) {
			mm_why_where(page_to_mfn(pg), i);
			*index = i;
			return rc;
		}
	}
	table_adjust(pg, level);
	return 0;
}

static int devalidate(struct page_info *pg, unsigned int level,
		      unsigned int flags, bool own_ref);

/*
 * Takes a PARTIAL pg (still as x) over and devalidates it to the end,
 * without preemption: release and teardown giving up a preempted
 * validation or devalidation. Returns false if another CPU took the state
 * over first (it then does the work).
 */
static bool abandon_partial(struct page_info *pg, uint64_t x)
{
	if (!tr_resume_down(pg, x)) {
		return false;
	}
	(void)devalidate(pg, type_level(ti_type(x)), 0, true);
	return true;
}

/*
 * Whether pg is still on its domain's page list, checked after a
 * transition that release must see (pin, preemption). The full fence
 * pairs with the one in mm_domain_release() between taking the frame off
 * the list and ptype_relinquish(): either release sees our transition
 * and undoes it, or we see the frame gone and undo it ourselves.
 */
static bool still_held(const struct page_info *pg)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return mm_domain_holds(pg);
}

/*
 * A validation failed at entry index of BUSY 1 pg (validate's general
 * reference held): entries [0, index) hold their references, and entry
 * index may point at an orphan, a lower table whose own failed
 * validation stopped while releasing. Releases them as a devalidation
 * from index down (BUSY 0), which takes validate's reference along.
 * Preemptible, that may stop with pg PARTIAL: nested in another table's
 * validation, pg is then that table's orphan, finished by its release;
 * at the top it goes to *failed, with a general reference of its own,
 * for the caller to finish like a pending put. With nowhere to go
 * (failed NULL or taken), the release runs to the end now.
 */
static void fail_unwind(struct page_info *pg, unsigned int level,
			unsigned int flags, unsigned int index,
			struct page_info **failed)
{
	bool nested = (flags & PTYPE_NESTED) != 0;

	if (!nested && (failed == NULL || *failed != NULL)) {
		flags &= ~PTYPE_PREEMPTIBLE;
	}
	ti_update(pg, PGT_count_mask | PGT_index_mask, ti_with_index(0, index));
	count_event(&stats.failed_validations);
	if (devalidate(pg, level, flags, true) != -EAGAIN || nested) {
		return;
	}
	if (page_get_foreign(pg)) {
		*failed = pg;
	} else {
		(void)ptype_finish_put(pg, 0);
	}
}

/*
 * Runs (or continues) the validation of a BUSY frame and leaves BUSY.
 * The validation holds a general reference of its own from its start
 * until it finishes or fails, so a PARTIAL frame stays allocated.
 */
static int validate(struct page_info *pg, uint64_t type, struct mm_domain *d,
		    unsigned int flags, bool resumed, struct page_info **failed)
{
	uint64_t x = atomic_read64(&pg->type_info);
	unsigned int index = ti_index(x);
	int rc;

	ASSERT(d != NULL && pg->owner == d->domid);
	if (!resumed) {
		count_event(&stats.validations);
		/*
		 * A frame the domain gave back (alive only through other
		 * references) is off its page list, where neither release
		 * nor teardown would abandon a preempted validation: it
		 * cannot become a table.
		 */
		if (!mm_domain_holds(pg) || !page_get_foreign(pg)) {
			tr_idle(pg);
			mm_why_note(XENO_WHY_GIVEN_BACK, type, page_to_mfn(pg));
			return -EINVAL;
		}
	}
	rc = table_validate(pg, type_level(type), d, flags, &index);
	if (rc == -EAGAIN) {
		tr_preempt(pg, index);
		if (!still_held(pg)) {
			/* Given back meanwhile: nobody would resume it. */
			x = atomic_read64(&pg->type_info);
			if (x & PGT_partial) {
				(void)abandon_partial(pg, x);
			}
			mm_why_note(XENO_WHY_GIVEN_BACK, type, page_to_mfn(pg));
			return -EINVAL;
		}
		return rc;
	}
	if (rc != 0) {
		fail_unwind(pg, type_level(type), flags, index, failed);
		return rc;
	}
	tr_finish(pg);
	page_put(pg);
	return 0;
}

/*
 * Releases entries *index - 1 down to 0 of a BUSY 0 table. Returns 0, or
 * -EAGAIN at a preemption point or when a nested devalidation stopped,
 * with *index the new boundary: entries below it still hold references.
 * In the second case entry *index's table is an orphan (see the top).
 * Preemption points are between the entries of L2-L4 tables only.
 */
static int table_unwind(struct page_info *pg, unsigned int level,
			unsigned int flags, unsigned int *index)
{
	uint64_t *t = table_map(pg);
	unsigned int i = *index, start = *index;

	if (level == 1 || !(flags & PTYPE_PREEMPTIBLE)) {
		/*
		 * Without preemption points: an L1's entries hold nothing
		 * that cascades, so its at most 512 releases are one step.
		 */
		while (i > 0) {
			i--;
			if (!(level == 4 && l4_slot_is_hyp(i))) {
				pte_put(level, t[i], pg);
			}
		}
		if (flags & PTYPE_PREEMPTIBLE) {
			preempt_note(start);
		}
		*index = 0;
		return 0;
	}
	while (i > 0) {
		if (i < start && (flags & PTYPE_PREEMPTIBLE) &&
		    preempt_check()) {
			*index = i;
			return -EAGAIN;
		}
		i--;
		if (level == 4 && l4_slot_is_hyp(i)) {
			continue;
		}
		if (pte_put_flags(level, t[i], pg, flags) == -EAGAIN) {
			*index = i;
			return -EAGAIN;
		}
	}
	*index = 0;
	return 0;
}

/*
 * Entry index of pg, a table being devalidated from index down, may
 * point at an orphan: a table left PARTIAL when its own devalidation (or
 * validation) stopped inside that entry, which holds nothing from us.
 * If it is still PARTIAL (nobody took it over), devalidate it now: the
 * put that orphaned it must not leave it behind. Returns 0 or -EAGAIN.
 * The owner check keeps us away from a frame reused meanwhile (whose
 * work we would only have redone, never corrupted: a PARTIAL state is
 * taken over by compare-and-swap with the reference it owns).
 */
static int finish_orphan(struct page_info *pg, unsigned int level,
			 unsigned int index, unsigned int flags)
{
	struct page_info *c;
	uint64_t e, x;

	if (level == 1 || index >= PT_ENTRIES ||
	    (level == 4 && l4_slot_is_hyp(index))) {
		return 0;
	}
	e = table_map(pg)[index];
	if (!(e & PTE_P) || (level < 4 && (e & PTE_PS)) ||
	    !mfn_valid(pte_mfn(e))) {
		return 0;
	}
	c = mfn_to_page(pte_mfn(e));
	x = atomic_read64(&c->type_info);
	if (c == pg || !(c->flags & PGF_DOMAIN) || c->owner != pg->owner ||
	    !(x & PGT_partial) || !is_table_type(ti_type(x)) ||
	    !tr_resume_down(c, x)) {
		return 0;
	}
	return devalidate(c, type_level(ti_type(x)), flags, true);
}

/*
 * Runs (or continues) the devalidation of a BUSY 0 table from its index
 * down, then leaves it IDLE. own_ref: it took over a PARTIAL state and
 * with it that state's general reference (dropped at the end). Stopped
 * (preemptible only), it goes PARTIAL owning a general reference (taken
 * now if it had none) and returns -EAGAIN.
 */
static int devalidate(struct page_info *pg, unsigned int level,
		      unsigned int flags, bool own_ref)
{
	unsigned int index = ti_index(atomic_read64(&pg->type_info));
	int rc = 0;

	if (own_ref) {
		rc = finish_orphan(pg, level, index, flags);
	}
	if (rc == 0) {
		rc = table_unwind(pg, level, flags, &index);
	}
	if (rc == -EAGAIN) {
		if (own_ref || page_get_foreign(pg)) {
			tr_preempt_down(pg, index);
			return rc;
		}
		/* The general count is full: finish in one go instead. */
		(void)finish_orphan(pg, level, index, 0);
		(void)table_unwind(pg, level, 0, &index);
	}
	if (level == 4) {
		pte_l4_clear(table_map(pg));
	}
	tr_idle(pg);
	count_event(&stats.devalidations);
	if (own_ref) {
		page_put(pg);
	}
	return 0;
}

/* ---- segment-descriptor frames ------------------------------------------ */

/*
 * A descriptor frame (GDT/LDT, pv-abi §9.11) holds no references, so its
 * validation only checks (and fixes up) its 512 descriptors, in one go,
 * and dropping its last reference leaves it IDLE like a writable frame.
 * The rules are the arch's: it registers them with
 * ptype_set_seg_desc_check(); without them no frame takes the type.
 */
static int (*seg_desc_check)(uint64_t *descs);

void ptype_set_seg_desc_check(int (*check)(uint64_t *descs))
{
	seg_desc_check = check;
}

/* BUSY 1 -> IN USE 1, or IDLE if a descriptor is refused. */
static int validate_seg_desc(struct page_info *pg)
{
	int rc = -EINVAL;

	count_event(&stats.validations);
	if (seg_desc_check != NULL) {
		rc = seg_desc_check(table_map(pg));
	} else {
		mm_why_note(XENO_WHY_BAD_DESCRIPTOR, 0, page_to_mfn(pg));
	}
	if (rc == 0) {
		tr_finish(pg);
	} else {
		tr_idle(pg);
	}
	return rc;
}

/* ---- type references ---------------------------------------------------- */

/*
 * IDLE -> the first reference (tr_first), with the region's consent for
 * a counted type. Returns 0, 1 if the word changed meanwhile (retry), or
 * the region's refusal.
 */
static int first_ref(struct page_info *pg, uint64_t x, uint64_t type)
{
	if (sp_counted(type)) {
		int rc = superpage_table_begin(pg, type);

		if (rc != 0) {
			return rc;
		}
	}
	if (!tr_first(pg, x, type)) {
		if (sp_counted(type)) {
			superpage_table_abort(pg);
		}
		return 1;
	}
	return 0;
}

/* The refusal of a type the frame cannot take now. */
static int conflict(struct page_info *pg, uint64_t type)
{
	mm_why_note(XENO_WHY_TYPE_CONFLICT, type, page_to_mfn(pg));
	return -EINVAL;
}

/*
 * A PARTIAL frame given back (a devalidation stopped after the release;
 * its continuation holds it): it cannot become a table again, and
 * whoever finds it helps its devalidation along before refusing.
 */
static int given_back_partial(struct page_info *pg, uint64_t type,
			      unsigned int flags)
{
	if (ptype_finish_put(pg, flags) == -EAGAIN) {
		return -EAGAIN;
	}
	mm_why_note(XENO_WHY_GIVEN_BACK, type, page_to_mfn(pg));
	return -EINVAL;
}

int ptype_get(struct page_info *pg, uint64_t type, struct mm_domain *d,
	      unsigned int flags)
{
	return ptype_get_deferred(pg, type, d, flags, NULL);
}

int ptype_get_deferred(struct page_info *pg, uint64_t type, struct mm_domain *d,
		       unsigned int flags, struct page_info **failed)
{
	uint64_t x;

	ASSERT(type == PGT_writable || is_validated_type(type));
	ASSERT(page_count(pg) > 0);
	for (;;) {
		x = atomic_read64(&pg->type_info);
		if ((x & PGT_busy) && ti_count(x) != 0 && ti_type(x) != type) {
			/*
			 * Never wait for a table being validated as another
			 * type: it may be our own (an L1 mapping itself).
			 */
			return conflict(pg, type);
		}
		if (x & PGT_busy) {
			arch_cpu_relax();
			continue;
		}
		if (ti_count(x) == 0) {
			int rc = first_ref(pg, x, type);

			if (rc > 0) {
				continue;
			}
			if (rc < 0) {
				return rc;
			}
			if (type == PGT_seg_desc) {
				return validate_seg_desc(pg);
			}
			return is_table_type(type)
				       ? validate(pg, type, d, flags, false,
						  failed)
				       : 0;
		}
		if (ti_type(x) != type) {
			return conflict(pg, type);
		}
		if (x & PGT_partial) {
			if (!mm_domain_holds(pg)) {
				return given_back_partial(pg, type, flags);
			}
			if (!tr_resume(pg, x)) {
				continue;
			}
			return validate(pg, type, d, flags, true, failed);
		}
		if (ti_count(x) == PTYPE_COUNT_MAX) {
			mm_why_note(XENO_WHY_TYPE_OVERFLOW, type,
				    page_to_mfn(pg));
			return -EINVAL;
		}
		if (tr_get_more(pg, x)) {
			return 0;
		}
	}
}

static int put_flags(struct page_info *pg, unsigned int flags)
{
	uint64_t x;

	for (;;) {
		x = atomic_read64(&pg->type_info);
		if (tr_put_more(pg, x)) {
			return 0;
		}
		if (ti_count(x) == 1 && is_table_type(ti_type(x)) &&
		    tr_start_devalidate(pg, x)) {
			return devalidate(pg, type_level(ti_type(x)), flags,
					  false);
		}
	}
}

void ptype_put(struct page_info *pg)
{
	(void)put_flags(pg, 0);
}

int ptype_put_preemptible(struct page_info *pg)
{
	return put_flags(pg, PTYPE_PREEMPTIBLE);
}

int ptype_finish_put(struct page_info *pg, unsigned int flags)
{
	uint64_t x;

	for (;;) {
		x = atomic_read64(&pg->type_info);
		if (!(x & PGT_partial)) {
			/* Done, or taken over by someone who finishes it. */
			return 0;
		}
		if (tr_resume_down(pg, x)) {
			return devalidate(pg, type_level(ti_type(x)), flags,
					  true);
		}
	}
}

int page_get_and_type(struct page_info *pg, struct mm_domain *d, uint64_t type,
		      unsigned int flags)
{
	int rc;

	if (!page_get(pg, d)) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, mfn_x(page_to_mfn(pg)),
			    page_to_mfn(pg));
		return -EINVAL;
	}
	rc = ptype_get(pg, type, d, flags);
	if (rc != 0) {
		page_put(pg);
	}
	return rc;
}

void page_put_and_type(struct page_info *pg)
{
	ptype_put(pg);
	page_put(pg);
}

/* ---- pinning ------------------------------------------------------------ */

/*
 * d's frame m with a temporary general reference, or NULL. It must still
 * be on d's page list: a pin of a frame d gave back would never be
 * dropped, as release and teardown only see the list.
 */
static struct page_info *get_own_frame(struct mm_domain *d, mfn_t m)
{
	struct page_info *pg;

	if (!mfn_valid(m)) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, mfn_x(m), INVALID_MFN);
		return NULL;
	}
	pg = mfn_to_page(m);
	if (!page_get(pg, d)) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, mfn_x(m), m);
		return NULL;
	}
	if (!mm_domain_holds(pg)) {
		page_put(pg);
		mm_why_note(XENO_WHY_GIVEN_BACK, mfn_x(m), m);
		return NULL;
	}
	return pg;
}

/*
 * The pin keeps the general and type references taken here; the early
 * pinned check only spares a validation, tr_pin() decides.
 */
int ptype_pin(struct mm_domain *d, mfn_t m, uint64_t type, unsigned int flags)
{
	return ptype_pin_deferred(d, m, type, flags, NULL);
}

int ptype_pin_deferred(struct mm_domain *d, mfn_t m, uint64_t type,
		       unsigned int flags, struct page_info **failed)
{
	struct page_info *pg;
	int rc;

	if (!is_table_type(type)) {
		mm_why_note(XENO_WHY_NOT_TABLE_TYPE, type, INVALID_MFN);
		return -EINVAL;
	}
	pg = get_own_frame(d, m);
	if (pg == NULL) {
		return -EINVAL;
	}
	if (ptype_pinned(pg)) {
		mm_why_note(XENO_WHY_ALREADY_PINNED, mfn_x(m), m);
		page_put(pg);
		return -EINVAL;
	}
	rc = ptype_get_deferred(pg, type, d, flags, failed);
	if (rc != 0) {
		page_put(pg);
		return rc;
	}
	if (!tr_pin(pg)) {
		mm_why_note(XENO_WHY_ALREADY_PINNED, mfn_x(m), m);
		page_put_and_type(pg);
		return -EINVAL;
	}
	if (!still_held(pg)) {
		/*
		 * Released between get_own_frame() and tr_pin(): the pin
		 * must not outlive the page list. Whoever clears the flag
		 * (we, or release) drops the pin's references.
		 */
		if (tr_unpin(pg)) {
			page_put_and_type(pg);
		}
		mm_why_note(XENO_WHY_GIVEN_BACK, mfn_x(m), m);
		return -EINVAL;
	}
	return 0;
}

/*
 * Drops the type reference of a pin or root, and its general one unless
 * pending is given and the devalidation this starts stops: then the
 * general reference stays for the continuation, in *pending.
 */
static void put_deferred(struct page_info *pg, struct page_info **pending)
{
	if (pending != NULL && ptype_put_preemptible(pg) == -EAGAIN) {
		*pending = pg;
		return;
	}
	if (pending == NULL) {
		ptype_put(pg);
	}
	page_put(pg);
}

static int unpin(struct mm_domain *d, mfn_t m, struct page_info **pending)
{
	struct page_info *pg = get_own_frame(d, m);

	if (pg == NULL) {
		return -EINVAL;
	}
	if (!tr_unpin(pg)) {
		mm_why_note(XENO_WHY_NOT_PINNED, mfn_x(m), m);
		page_put(pg);
		return -EINVAL;
	}
	put_deferred(pg, pending);
	page_put(pg);
	return 0;
}

int ptype_unpin(struct mm_domain *d, mfn_t m)
{
	return unpin(d, m, NULL);
}

int ptype_unpin_deferred(struct mm_domain *d, mfn_t m,
			 struct page_info **pending)
{
	*pending = NULL;
	return unpin(d, m, pending);
}

void ptype_put_deferred(struct page_info *pg, struct page_info **pending)
{
	*pending = NULL;
	put_deferred(pg, pending);
}

/* ---- teardown ------------------------------------------------------------ */

/*
 * Gives up pg's pin or PARTIAL state (see ptype_relinquish). With
 * pending, a devalidation this starts or continues may stop: it returns
 * -EAGAIN with *pending = pg holding a general reference of its own.
 */
static int relinquish(struct page_info *pg, struct page_info **pending)
{
	unsigned int flags = pending != NULL ? PTYPE_PREEMPTIBLE : 0;
	uint64_t x;

	for (;;) {
		x = atomic_read64(&pg->type_info);
		if (x & PGT_busy) {
			/*
			 * Another CPU is validating or devalidating it: that
			 * ends at the table's last entry or at the next
			 * preemption point, and never waits for us.
			 */
			arch_cpu_relax();
			continue;
		}
		if (x & PGT_pinned) {
			if (!tr_unpin_from(pg, x)) {
				continue;
			}
			put_deferred(pg, pending);
			return pending != NULL && *pending != NULL ? -EAGAIN
								   : 0;
		}
		if (!(x & PGT_partial)) {
			return 0;
		}
		if (!tr_resume_down(pg, x)) {
			continue;
		}
		if (devalidate(pg, type_level(ti_type(x)), flags, true) == 0) {
			return 0;
		}
		/* The release's reference is not gone yet: count > 0. */
		if (!page_get_foreign(pg)) {
			/* The general count is full: finish in one go. */
			(void)ptype_finish_put(pg, 0);
			return 0;
		}
		*pending = pg;
		return -EAGAIN;
	}
}

void ptype_relinquish(struct page_info *pg)
{
	(void)relinquish(pg, NULL);
}

int ptype_relinquish_deferred(struct page_info *pg, struct page_info **pending)
{
	*pending = NULL;
	return relinquish(pg, pending);
}

/* ---- statistics ---------------------------------------------------------- */

void ptype_stats_read(struct ptype_stats *out)
{
	out->validations =
		__atomic_load_n(&stats.validations, __ATOMIC_RELAXED);
	out->devalidations =
		__atomic_load_n(&stats.devalidations, __ATOMIC_RELAXED);
	out->preemptions =
		__atomic_load_n(&stats.preemptions, __ATOMIC_RELAXED);
	out->devalidation_preemptions = __atomic_load_n(
		&stats.devalidation_preemptions, __ATOMIC_RELAXED);
	out->stale_flushes =
		__atomic_load_n(&stats.stale_flushes, __ATOMIC_RELAXED);
	out->failed_validations =
		__atomic_load_n(&stats.failed_validations, __ATOMIC_RELAXED);
}

void ptype_stats_reset(void)
{
	memset(&stats, 0, sizeof(stats));
}
