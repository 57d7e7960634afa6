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

int mm_domain_assign(struct mm_domain *d, struct page_info *pg)
{
	uint64_t w = atomic_read64(&pg->count_word);

	/* Only a frame fresh from the allocator: anything else is a bug. */
	BUG_ON(cw_flags(w) & (PGF_XMALLOC | PGF_CACHE | PGF_DOMAIN));
	BUG_ON(!(cw_flags(w) & PGF_ALLOCATED) || cw_count(w) != 0);
	BUG_ON(pg->type_info != 0 || !list_empty(&pg->list));

	spin_lock(&d->lock);
	if (d->tot_pages + d->released_pages >= d->max_pages || d->dying) {
		spin_unlock(&d->lock);
		return -ENOMEM;
	}
	/* The order byte becomes ours (PGO_* flags, none set). */
	w = (w & ~(PCW_COUNT_MASK | (0xffffULL << PCW_OWNER_SHIFT) |
		   (0xffULL << PCW_ORDER_SHIFT))) |
	    ((uint64_t)d->domid << PCW_OWNER_SHIFT) |
	    ((uint64_t)PGF_DOMAIN << PCW_FLAGS_SHIFT) | 1;
	atomic_write64(&pg->count_word, w);
	list_add_tail(&pg->list, &d->page_list);
	d->tot_pages++;
	superpage_assign(pg, d->domid);
	spin_unlock(&d->lock);
	m2p_set(page_to_mfn(pg), M2P_INVALID);
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

/*
 * One step of the teardown, with the budget running: first the pending
 * devalidation of the step before, then frame by frame, as a release.
 * Another domain may release or pin d's frames meanwhile (the control
 * domain), so the list is only ever looked at under the lock, and a
 * release that loses the race to another is simply skipped.
 */
static int relinquish_some(struct mm_domain *d)
{
	struct page_info *pg;
	unsigned int n;

	if (d->put_pending != NULL) {
		if (ptype_finish_put(d->put_pending, PTYPE_PREEMPTIBLE) != 0) {
			return -EAGAIN;
		}
		page_put(d->put_pending);
		d->put_pending = NULL;
	}
	for (n = 0; n < MM_RELINQUISH_FRAMES; n++) {
		pg = first_frame(d);
		if (pg == NULL) {
			return 0;
		}
		(void)release(d, pg, &d->put_pending);
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
	d->dying = true;
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
