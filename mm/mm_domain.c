/* SPDX-License-Identifier: MIT */
/*
 * Domain frames and general references (see xeno/mm_domain.h for the
 * rules): which frames a domain owns, the allocation reference each of
 * them carries while it is on the domain's page list, page_get/page_put,
 * and the domain's memory teardown.
 *
 * A frame's count, owner and flags share one 64-bit word (frame.h), so
 * every change to the general count of a domain frame is one
 * compare-and-swap that also re-checks ownership.
 *
 * Released frames still alive (mapped, held by a superpage, used by
 * another domain) move from the page list to the released list, marked
 * PGO_RELEASED, and count against max_pages until their last reference
 * goes: the put that frees one finds its domain by the owner id and takes
 * it off that list (released_forget). So page_put may take the registry
 * lock and then a domain lock: never call it holding either.
 *
 * Locks: d->lock (LOCK_RANK_DOMAIN) over d's page list, released list,
 * tot_pages and released_pages; the frame allocator's locks nest inside
 * it. registry_lock (LOCK_RANK_DOMAIN) over the registry; it is never
 * held together with a domain lock.
 */
#include <xeno/atomic.h>
#include <xeno/errno.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/m2p.h>
#include <xeno/mm_domain.h>
#include <xeno/ptype.h>
#include <xeno/superpage.h>
#include <xeno/tlb.h>

static struct list_head registry = LIST_HEAD_INIT(registry);
static spinlock_t registry_lock =
	SPINLOCK_INIT("mm domain registry", LOCK_RANK_DOMAIN);

static uint8_t cw_flags(uint64_t w)
{
	return (uint8_t)(w >> PCW_FLAGS_SHIFT);
}

static domid_t cw_owner(uint64_t w)
{
	return (domid_t)(w >> PCW_OWNER_SHIFT);
}

static uint32_t cw_count(uint64_t w)
{
	return (uint32_t)(w & PCW_COUNT_MASK);
}

static uint8_t cw_order(uint64_t w)
{
	return (uint8_t)(w >> PCW_ORDER_SHIFT);
}

/* Sets or clears PGO_RELEASED in pg's order byte (part of count_word). */
static void mark_released(struct page_info *pg, bool on)
{
	uint64_t bit = (uint64_t)PGO_RELEASED << PCW_ORDER_SHIFT;
	uint64_t x = atomic_read64(&pg->count_word);

	do {
		BUG_ON(((x & bit) != 0) == on);
	} while (!atomic_cmpxchg64(&pg->count_word, &x,
				   on ? x | bit : x & ~bit));
}

/* Under d->lock: pg leaves d's released list, no longer counted. */
static void released_unlink(struct mm_domain *d, struct page_info *pg)
{
	list_del(&pg->list);
	mark_released(pg, false);
	BUG_ON(d->released_pages == 0);
	d->released_pages--;
}

/* ---- domains ------------------------------------------------------------ */

void mm_domain_registry_init(void)
{
	list_init(&registry);
	if (superpage_records_init() != 0) {
		panic("mm: no memory for the superpage region records");
	}
}

void mm_domain_init(struct mm_domain *d, domid_t domid, uint64_t max_pages)
{
	static uint64_t next_serial = 1;

	memset(d, 0, sizeof(*d));
	d->serial = __atomic_fetch_add(&next_serial, 1, __ATOMIC_RELAXED);
	d->domid = domid;
	d->max_pages = max_pages;
	spin_lock_init(&d->lock, "mm domain", LOCK_RANK_DOMAIN);
	list_init(&d->page_list);
	list_init(&d->released_list);
	spin_lock(&registry_lock);
	list_add_tail(&d->link, &registry);
	spin_unlock(&registry_lock);
}

void mm_domain_fini(struct mm_domain *d)
{
	BUG_ON(d->tot_pages != 0 || !list_empty(&d->page_list));
	BUG_ON(d->nr_vcpus != 0 || d->put_pending != NULL);
	/*
	 * Before unregistering: a free racing with us either finds d and
	 * waits for the lock (then sees the flag gone), or finds no d and
	 * the flag already gone (see released_forget).
	 */
	spin_lock(&d->lock);
	while (!list_empty(&d->released_list)) {
		struct page_info *pg = list_first_entry(&d->released_list,
							struct page_info, list);

		released_unlink(d, pg);
	}
	spin_unlock(&d->lock);
	spin_lock(&registry_lock);
	list_del(&d->link);
	spin_unlock(&registry_lock);
	/* No new find can succeed now; the ones held end with their call. */
	while (__atomic_load_n(&d->finds, __ATOMIC_SEQ_CST) != 0) {
		arch_cpu_relax();
	}
}

struct mm_domain *mm_domain_find(domid_t id)
{
	struct mm_domain *found = NULL;
	struct list_head *p;

	spin_lock(&registry_lock);
	list_for_each(p, &registry)
	{
		struct mm_domain *d = list_entry(p, struct mm_domain, link);

		if (d->domid == id) {
			__atomic_fetch_add(&d->finds, 1, __ATOMIC_SEQ_CST);
			found = d;
			break;
		}
	}
	spin_unlock(&registry_lock);
	return found;
}

void mm_domain_unfind(struct mm_domain *d)
{
	uint32_t old = __atomic_fetch_sub(&d->finds, 1, __ATOMIC_SEQ_CST);

	BUG_ON(old == 0);
}

/* Panics unless pg is a frame fresh from the allocator. */
static uint64_t check_fresh(const struct page_info *pg)
{
	uint64_t w = atomic_read64(&pg->count_word);

	BUG_ON(cw_flags(w) & (PGF_XMALLOC | PGF_CACHE | PGF_DOMAIN));
	BUG_ON(!(cw_flags(w) & PGF_ALLOCATED) || cw_count(w) != 0);
	BUG_ON(pg->type_info != 0 || !list_empty(&pg->list));
	return w;
}

/* Under d->lock: pg, checked fresh with count word w, joins d's list. */
static void join(struct mm_domain *d, struct page_info *pg, uint64_t w)
{
	/* The order byte becomes ours (PGO_* flags, none set). */
	w = (w & ~(PCW_COUNT_MASK | (0xffffULL << PCW_OWNER_SHIFT) |
		   (0xffULL << PCW_ORDER_SHIFT))) |
	    ((uint64_t)d->domid << PCW_OWNER_SHIFT) |
	    ((uint64_t)PGF_DOMAIN << PCW_FLAGS_SHIFT) | 1;
	atomic_write64(&pg->count_word, w);
	list_add_tail(&pg->list, &d->page_list);
}

int mm_domain_assign(struct mm_domain *d, struct page_info *pg)
{
	return mm_domain_assign_n(d, pg, 1);
}

int mm_domain_assign_n(struct mm_domain *d, struct page_info *pg, uint64_t n)
{
	uint64_t i, done;

	/* Only frames fresh from the allocator: anything else is a bug. */
	for (i = 0; i < n; i++) {
		(void)check_fresh(&pg[i]);
	}
	spin_lock(&d->lock);
	if (d->tot_pages + d->released_pages + n > d->max_pages || d->dying) {
		spin_unlock(&d->lock);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		join(d, &pg[i], atomic_read64(&pg[i].count_word));
	}
	d->tot_pages += n;
	/* The ownership counts, once per 2 MiB region. */
	for (i = 0; i < n; i += done) {
		uint64_t m = mfn_x(page_to_mfn(&pg[i]));

		done = MIN(n - i, SP_FRAMES(2) - (m & (SP_FRAMES(2) - 1)));
		superpage_assign_n(&pg[i], done, d->domid);
	}
	spin_unlock(&d->lock);
	for (i = 0; i < n; i++) {
		m2p_set(page_to_mfn(&pg[i]), M2P_INVALID);
	}
	return 0;
}

int mm_domain_alloc(struct mm_domain *d, struct page_info **out)
{
	struct page_info *pg = frame_alloc(0, FA_DOMAIN);
	int rc;

	if (pg == NULL) {
		return -ENOMEM;
	}
	rc = mm_domain_assign(d, pg);
	if (rc != 0) {
		frame_free(pg, 0, 0);
		return rc;
	}
	*out = pg;
	return 0;
}

bool mm_domain_holds(const struct page_info *pg)
{
	/*
	 * Read once each: release changes the list on another CPU. It marks
	 * the frame released before moving it, so a frame on the released
	 * list always reads as released.
	 */
	const struct list_head *next =
		__atomic_load_n(&pg->list.next, __ATOMIC_RELAXED);
	uint64_t w = atomic_read64(&pg->count_word);

	return (cw_flags(w) & PGF_DOMAIN) && !(cw_order(w) & PGO_RELEASED) &&
	       next != &pg->list;
}

static void put_released(struct mm_domain *d, struct page_info *pg);

/*
 * Takes pg off d's list and gives up its pin or partial state and its
 * allocation reference. With pending, devalidation is preemptible: a
 * stopped one leaves *pending = pg (with a general reference).
 */
static int release(struct mm_domain *d, struct page_info *pg,
		   struct page_info **pending)
{
	spin_lock(&d->lock);
	if (!mm_domain_holds(pg) || pg->owner != d->domid) {
		spin_unlock(&d->lock);
		return -EINVAL;
	}
	/* Released first (mm_domain_holds), then moved: see there. */
	mark_released(pg, true);
	list_del(&pg->list);
	d->tot_pages--;
	list_add_tail(&pg->list, &d->released_list);
	d->released_pages++;
	superpage_unassign(pg, d->domid);
	spin_unlock(&d->lock);
	/*
	 * Off the list, nothing would ever drop a pin or finish a preempted
	 * validation: give those up now, as teardown would. A pin or a
	 * preemption racing with us on another CPU checks the list again
	 * after its transition (ptype.c, still_held); the fence orders our
	 * list_del before our look at the type word, so one of the two sides
	 * always sees the other.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (pending != NULL) {
		(void)ptype_relinquish_deferred(pg, pending);
	} else {
		ptype_relinquish(pg);
	}
	/* Under a live superpage the region keeps the reference instead. */
	if (!superpage_hold(pg)) {
		put_released(d, pg);
	}
	return 0;
}

int mm_domain_release(struct mm_domain *d, struct page_info *pg)
{
	return release(d, pg, NULL);
}

int mm_domain_release_deferred(struct mm_domain *d, struct page_info *pg,
			       struct page_info **pending)
{
	*pending = NULL;
	return release(d, pg, pending);
}

/* d's first listed frame, or NULL. */
static struct page_info *first_frame(struct mm_domain *d)
{
	struct page_info *pg;

	spin_lock(&d->lock);
	pg = list_empty(&d->page_list)
		     ? NULL
		     : list_first_entry(&d->page_list, struct page_info, list);
	spin_unlock(&d->lock);
	return pg;
}

/* ---- teardown ------------------------------------------------------------ */

/* Type bits that hold references: a frame with none of them is idle. */
#define TYPE_HELD (PGT_count_mask | PGT_busy | PGT_partial | PGT_pinned)

/* Page-list entries the first pass looks at per step, at most. */
#define SCAN_PER_STEP 4096

/*
 * First pass: the next pinned, partly validated or busy frame of d's
 * page list, or NULL once every frame listed when the teardown began
 * was looked at. Frames passed over move to the back, so the list keeps
 * its order. Looks at most *budget entries, counting them down.
 */
static struct page_info *scan_for_tables(struct mm_domain *d,
					 unsigned int *budget)
{
	struct page_info *pg;

	spin_lock(&d->lock);
	while (d->scan_left != 0 && *budget != 0) {
		if (list_empty(&d->page_list)) {
			d->scan_left = 0;
			break;
		}
		pg = list_first_entry(&d->page_list, struct page_info, list);
		d->scan_left--;
		(*budget)--;
		if (atomic_read64(&pg->type_info) &
		    (PGT_pinned | PGT_partial | PGT_busy)) {
			spin_unlock(&d->lock);
			return pg;
		}
		list_del(&pg->list);
		list_add_tail(&pg->list, &d->page_list);
	}
	spin_unlock(&d->lock);
	return NULL;
}

/*
 * Under d->lock: takes pg, on d's page list, if its allocation reference
 * is the only reference and its type holds none: its count goes to 0 (so
 * nothing can take a reference any more) and it leaves the list. Returns
 * false, changing nothing, for any other frame.
 */
static bool take_idle(struct mm_domain *d, struct page_info *pg)
{
	uint64_t w = atomic_read64(&pg->count_word);

	if (cw_count(w) != 1 || cw_owner(w) != d->domid ||
	    (cw_order(w) & (PGO_SP_HELD | PGO_RELEASED)) ||
	    (atomic_read64(&pg->type_info) & TYPE_HELD) ||
	    !atomic_cmpxchg64(&pg->count_word, &w, w - 1)) {
		return false;
	}
	list_del(&pg->list);
	d->tot_pages--;
	return true;
}

/* The 2 MiB region a frame lies in. */
static uint64_t region_of(const struct page_info *pg)
{
	return mfn_x(page_to_mfn(pg)) >> SP_ORDER(2);
}

/*
 * Under d->lock: pg was taken (take_idle) but a superpage maps its
 * region: it gets its allocation reference back and goes the way of a
 * release instead (superpage_hold).
 */
static void untake(struct mm_domain *d, struct page_info *pg)
{
	atomic_write64(&pg->count_word, atomic_read64(&pg->count_word) + 1);
	mark_released(pg, true);
	list_add_tail(&pg->list, &d->released_list);
	d->released_pages++;
}

/*
 * Frees n frames from first on, taken by take_idle: as free_last does
 * for one, then in the largest aligned blocks the run allows, so a
 * domain's 2 MiB chunk goes back in one piece.
 */
static void free_run(struct page_info *first, uint64_t n)
{
	uint64_t stamp = (uint64_t)tlb_stamp() << PGT_stamp_shift;
	uint64_t i, m;

	for (i = 0; i < n; i++) {
		struct page_info *pg = &first[i];

		BUG_ON(!list_empty(&pg->list));
		pg->type_info = stamp;
		pg->owner = 0;
		pg->flags &= (uint8_t)~PGF_DOMAIN;
		m2p_set(page_to_mfn(pg), M2P_INVALID);
	}
	m = mfn_x(page_to_mfn(first));
	while (n != 0) {
		unsigned int k = 0;

		while (k < FRAME_MAX_ORDER && (m & (1ULL << k)) == 0 &&
		       (2ULL << k) <= n) {
			k++;
		}
		frame_free(&frame_table[m], k, FF_SCRUB);
		m += 1ULL << k;
		n -= 1ULL << k;
	}
}

/*
 * Second pass: takes up to max idle frames from the front of d's page
 * list under one lock and frees them, run by run of contiguous frames.
 * Returns how many it took; 0 if the first frame is not idle (or the
 * list is empty), which the caller then releases one by one.
 */
#define TAKE_RUNS 16
static unsigned int take_and_free(struct mm_domain *d, unsigned int max)
{
	struct page_info *first[TAKE_RUNS], *back = NULL, *in = NULL;
	uint64_t len[TAKE_RUNS], more = 0;
	unsigned int runs = 0, taken = 0, i;

	spin_lock(&d->lock);
	while (taken < max && !list_empty(&d->page_list)) {
		struct page_info *pg =
			list_first_entry(&d->page_list, struct page_info, list);
		bool extends =
			runs != 0 && pg == first[runs - 1] + len[runs - 1];

		if ((!extends && runs == TAKE_RUNS) || !take_idle(d, pg)) {
			break;
		}
		/*
		 * The region's ownership counts drop once per region: the
		 * first frame's right away, which stops new superpages over
		 * it (so one look at the maps does for the region), the
		 * others' together.
		 */
		if (in != NULL && region_of(pg) == region_of(in)) {
			more++;
		} else {
			if (more != 0) {
				superpage_unassign_n(in, more, d->domid);
			}
			in = pg;
			more = 0;
			superpage_unassign(pg, d->domid);
			if (superpage_covered(pg)) {
				untake(d, pg);
				back = pg;
				break;
			}
		}
		if (extends) {
			len[runs - 1]++;
		} else {
			first[runs] = pg;
			len[runs++] = 1;
		}
		taken++;
	}
	if (more != 0) {
		superpage_unassign_n(in, more, d->domid);
	}
	spin_unlock(&d->lock);
	for (i = 0; i < runs; i++) {
		free_run(first[i], len[i]);
	}
	if (back != NULL && !superpage_hold(back)) {
		put_released(d, back);
	}
	return taken + (back != NULL);
}

/*
 * One step of the teardown, with the budget running: first the pending
 * devalidation of the step before; then the first pass releases the
 * pinned and partly validated tables, whose devalidation drops the
 * references their entries held; then the second pass frees the frames
 * nothing holds any more in whole runs (take_and_free), and releases
 * the others one by one. Another domain may release or pin d's frames
 * meanwhile (the control domain), so the list is only ever looked at
 * under the lock, and a release that loses the race to another is
 * simply skipped.
 */
static int relinquish_some(struct mm_domain *d)
{
	unsigned int budget = SCAN_PER_STEP, n = 0, k;
	struct page_info *pg;

	if (d->put_pending != NULL) {
		if (ptype_finish_put(d->put_pending, PTYPE_PREEMPTIBLE) != 0) {
			return -EAGAIN;
		}
		page_put(d->put_pending);
		d->put_pending = NULL;
	}
	while (n < MM_RELINQUISH_FRAMES) {
		pg = scan_for_tables(d, &budget);
		if (pg == NULL) {
			break;
		}
		(void)release(d, pg, &d->put_pending);
		n++;
		if (d->put_pending != NULL) {
			return -EAGAIN;
		}
	}
	if (d->scan_left != 0) {
		return -EAGAIN;
	}
	while (n < MM_RELINQUISH_FRAMES) {
		k = take_and_free(d, MM_RELINQUISH_FRAMES - n);
		if (k != 0) {
			n += k;
			continue;
		}
		pg = first_frame(d);
		if (pg == NULL) {
			return 0;
		}
		(void)release(d, pg, &d->put_pending);
		n++;
		if (d->put_pending != NULL) {
			return -EAGAIN;
		}
	}
	return first_frame(d) != NULL ? -EAGAIN : 0;
}

int mm_domain_relinquish_step(struct mm_domain *d)
{
	int rc;

	spin_lock(&d->lock);
	if (!d->dying) {
		d->dying = true;
		d->scan_left = d->tot_pages;
	}
	spin_unlock(&d->lock);
	ptype_budget_begin(PTYPE_STEP_ENTRIES);
	rc = relinquish_some(d);
	(void)ptype_budget_end();
	return rc;
}

void mm_domain_relinquish(struct mm_domain *d)
{
	while (mm_domain_relinquish_step(d) == -EAGAIN) {
	}
}

/* ---- general references ------------------------------------------------- */

/* Takes a reference if pg is a live domain frame (of owner, unless any). */
static bool get_if_live(struct page_info *pg, bool any, domid_t owner)
{
	uint64_t old = atomic_read64(&pg->count_word);

	do {
		if (!(cw_flags(old) & PGF_DOMAIN) || cw_count(old) == 0 ||
		    cw_count(old) == PAGE_COUNT_MAX ||
		    (!any && cw_owner(old) != owner)) {
			return false;
		}
	} while (!atomic_cmpxchg64(&pg->count_word, &old, old + 1));
	return true;
}

bool page_get(struct page_info *pg, const struct mm_domain *d)
{
	return get_if_live(pg, false, d->domid);
}

bool page_get_foreign(struct page_info *pg)
{
	return get_if_live(pg, true, 0);
}

/* The last reference is gone: the frame is off every list; free it. */
static void free_last(struct page_info *pg)
{
	uint64_t ti = atomic_read64(&pg->type_info);

	BUG_ON(!list_empty(&pg->list));
	BUG_ON(ti & (PGT_count_mask | PGT_busy | PGT_partial | PGT_pinned));
	BUG_ON(pg->order & PGO_SP_HELD);
	/*
	 * Guests may still cache translations of it: the stamp goes with it
	 * through the free pool, and its next allocation flushes them.
	 */
	pg->type_info = (uint64_t)tlb_stamp() << PGT_stamp_shift;
	pg->owner = 0;
	pg->flags &= (uint8_t)~PGF_DOMAIN;
	m2p_set(page_to_mfn(pg), M2P_INVALID);
	frame_free(pg, 0, FF_SCRUB);
}

/*
 * pg, released and now without references, leaves its domain's released
 * list. The domain is found by the frame's owner id; mm_domain_fini
 * empties the list (under the lock) before it unregisters, so if no
 * domain is found, or the one found (perhaps a later one with the same
 * id) no longer has the flag set under its lock, there is nothing to do.
 */
static void released_forget(struct page_info *pg)
{
	struct mm_domain *d = mm_domain_find(pg->owner);

	if (d != NULL) {
		spin_lock(&d->lock);
		if (pg->order & PGO_RELEASED) {
			released_unlink(d, pg);
		}
		spin_unlock(&d->lock);
		mm_domain_unfind(d);
	}
	BUG_ON(pg->order & PGO_RELEASED);
}

void page_put(struct page_info *pg)
{
	uint64_t old = atomic_read64(&pg->count_word);

	do {
		BUG_ON(!(cw_flags(old) & PGF_DOMAIN) || cw_count(old) == 0);
	} while (!atomic_cmpxchg64(&pg->count_word, &old, old - 1));
	if (cw_count(old) == 1) {
		if (cw_order(old) & PGO_RELEASED) {
			released_forget(pg);
		}
		free_last(pg);
	}
}

/*
 * The release's own put of the allocation reference: when it is the
 * last, d is at hand, so no lookup is needed.
 */
static void put_released(struct mm_domain *d, struct page_info *pg)
{
	uint64_t w = atomic_read64(&pg->count_word);

	if (cw_count(w) == 1 && atomic_cmpxchg64(&pg->count_word, &w, w - 1)) {
		spin_lock(&d->lock);
		released_unlink(d, pg);
		spin_unlock(&d->lock);
		free_last(pg);
		return;
	}
	page_put(pg);
}

uint32_t page_count(const struct page_info *pg)
{
	return cw_count(atomic_read64(&pg->count_word));
}

/* ---- audit -------------------------------------------------------------- */

/* d's released list: its frames and released_pages (see the header). */
static int audit_released(struct mm_domain *d, uint64_t *flagged)
{
	struct list_head *p;
	uint64_t n = 0;

	list_for_each(p, &d->released_list)
	{
		const struct page_info *pg =
			list_entry(p, struct page_info, list);

		if (!(pg->flags & PGF_DOMAIN) || pg->owner != d->domid ||
		    page_count(pg) == 0 || !(pg->order & PGO_RELEASED)) {
			printk(LOG_ERR,
			       "mm audit: d%u's released list has mfn %#llx "
			       "(flags %#x, order %#x, owner %u, count %u)\n",
			       d->domid,
			       (unsigned long long)mfn_x(page_to_mfn(pg)),
			       pg->flags, pg->order, pg->owner, page_count(pg));
			return -1;
		}
		n++;
	}
	*flagged += n;
	if (n != d->released_pages || d->tot_pages + n > d->max_pages) {
		printk(LOG_ERR,
		       "mm audit: d%u lists %llu released frames, "
		       "released_pages %llu, tot_pages %llu, max_pages %llu\n",
		       d->domid, (unsigned long long)n,
		       (unsigned long long)d->released_pages,
		       (unsigned long long)d->tot_pages,
		       (unsigned long long)d->max_pages);
		return -1;
	}
	return 0;
}

/* Every PGO_RELEASED frame is on some registered domain's list. */
static int audit_flagged(uint64_t listed)
{
	uint64_t m, n = 0;

	for (m = 0; m < frame_table_nr; m++) {
		const struct page_info *pg = &frame_table[m];

		if ((pg->flags & PGF_DOMAIN) && (pg->order & PGO_RELEASED)) {
			n++;
		}
	}
	if (n != listed) {
		printk(LOG_ERR,
		       "mm audit: %llu released frames, %llu on released "
		       "lists\n",
		       (unsigned long long)n, (unsigned long long)listed);
		return -1;
	}
	return 0;
}

static int audit_one(struct mm_domain *d)
{
	struct list_head *p;
	uint64_t n = 0;

	list_for_each(p, &d->page_list)
	{
		const struct page_info *pg =
			list_entry(p, struct page_info, list);

		if (!(pg->flags & PGF_DOMAIN) || pg->owner != d->domid ||
		    page_count(pg) == 0) {
			printk(LOG_ERR,
			       "mm audit: d%u lists mfn %#llx (flags %#x, "
			       "owner %u, count %u)\n",
			       d->domid,
			       (unsigned long long)mfn_x(page_to_mfn(pg)),
			       pg->flags, pg->owner, page_count(pg));
			return -1;
		}
		n++;
	}
	if (n != d->tot_pages || n > d->max_pages) {
		printk(LOG_ERR,
		       "mm audit: d%u lists %llu frames, tot_pages %llu, "
		       "max_pages %llu\n",
		       d->domid, (unsigned long long)n,
		       (unsigned long long)d->tot_pages,
		       (unsigned long long)d->max_pages);
		return -1;
	}
	return 0;
}

void mm_domain_for_each(void (*fn)(struct mm_domain *d, void *arg), void *arg)
{
	struct list_head *p;

	spin_lock(&registry_lock);
	list_for_each(p, &registry)
	{
		fn(list_entry(p, struct mm_domain, link), arg);
	}
	spin_unlock(&registry_lock);
}

int mm_domain_audit(void)
{
	struct list_head *p;
	uint64_t flagged = 0;
	int rc = 0;

	spin_lock(&registry_lock);
	list_for_each(p, &registry)
	{
		struct mm_domain *d = list_entry(p, struct mm_domain, link);

		rc = audit_one(d);
		if (rc == 0) {
			rc = audit_released(d, &flagged);
		}
		if (rc != 0) {
			break;
		}
	}
	spin_unlock(&registry_lock);
	return rc != 0 ? rc : audit_flagged(flagged);
}
