/* SPDX-License-Identifier: MIT */
/*
 * What the memory manager knows about a domain (mm/mm_domain.c): its id,
 * the frames it owns, its limit, and the two properties the page-table
 * rules depend on. The domain code proper (later) embeds a struct
 * mm_domain; until then tests use it on its own.
 *
 * Ownership and the general reference count (docs/pv-abi.md §9.1):
 *  - A frame belongs to a domain when it carries PGF_DOMAIN and its owner
 *    field is the domain's id. Assigning it gives it count 1: the
 *    allocation reference, held by the domain for as long as the frame
 *    is on the domain's page list.
 *  - Every other use (a mapping, a table entry, a pin, a root) holds a
 *    general reference of its own, taken with page_get() or
 *    page_get_foreign() and dropped with page_put().
 *  - Releasing a frame takes it off the list and drops the allocation
 *    reference. Whoever drops the last reference frees the frame (scrubbed),
 *    so a frame another domain still maps stays allocated until unmapped.
 *  - page_get() never resurrects a frame: it fails on a count of 0, and it
 *    checks owner, PGF_DOMAIN and the count in one compare-and-swap, so it
 *    cannot take a reference on a frame that was freed and reused.
 *
 * Locks: d->lock (LOCK_RANK_DOMAIN) protects the page list and tot_pages;
 * the frame allocator's locks may be taken inside it. Counts are atomic
 * and need no lock. A registry lock (same rank, never held with a domain
 * lock) protects the list of domains.
 */
#ifndef XENO_MM_DOMAIN_H
#define XENO_MM_DOMAIN_H

#include <xeno/frame.h>
#include <xeno/list.h>
#include <xeno/spinlock.h>
#include <xeno/types.h>

/* The largest general count a frame may reach; page_get fails beyond. */
#define PAGE_COUNT_MAX 0xffffffffU

struct mm_domain {
	domid_t domid;

	/*
	 * May map frames of any domain in its L1 tables (the control
	 * domain's foreign mappings, pv-abi §9.5.2). Set at creation.
	 */
	bool privileged;

	/*
	 * Has I/O resources (ports, MMIO or a device), which allows the
	 * cache-attribute bits PWT, PCD and PAT in L1 entries (§9.5.1).
	 */
	bool io_caching;

	spinlock_t lock;

	/* Under lock: the frames whose allocation reference we hold. */
	struct list_head page_list;
	uint64_t tot_pages;

	/* Most frames the domain may own; set at creation. */
	uint64_t max_pages;

	/* Link in the registry of all mm domains (mm_domain_audit). */
	struct list_head link;
};

/* Forgets every registered domain (host tests recreating the machine). */
void mm_domain_registry_init(void);

/* Makes d an empty domain with the id and limit, and registers it. */
void mm_domain_init(struct mm_domain *d, domid_t domid, uint64_t max_pages);

/* Unregisters d, which must own no frame any more. */
void mm_domain_fini(struct mm_domain *d);

/*
 * Gives d a frame frame_alloc() just returned (count 0, untyped), with
 * the allocation reference. Returns 0, or -ENOMEM if d is at max_pages
 * (the frame is then untouched).
 */
int mm_domain_assign(struct mm_domain *d, struct page_info *pg);

/*
 * Allocates a zeroed frame and assigns it to d. Returns 0 and stores the
 * frame, or -ENOMEM (no free frame, or d is at its limit).
 */
int mm_domain_alloc(struct mm_domain *d, struct page_info **out);

/*
 * Takes pg from d, drops its pin or preempted validation if it has one
 * (ptype_relinquish), and drops the allocation reference; the frame is
 * freed now or when its last other reference goes. Returns 0, or -EINVAL
 * if pg is not on d's page list.
 */
int mm_domain_release(struct mm_domain *d, struct page_info *pg);

/*
 * Tears down d's memory: drops every pin, abandons every preempted
 * validation and releases every frame. Frames other domains still
 * reference stay allocated until those references go. d must be dead:
 * no CPU works on its page tables any more.
 */
void mm_domain_relinquish(struct mm_domain *d);

/*
 * Takes a general reference on pg if it is a live frame of d (or, for the
 * _foreign variant, of any domain). Returns whether it did; false also
 * when the count is at PAGE_COUNT_MAX.
 */
bool page_get(struct page_info *pg, const struct mm_domain *d);
bool page_get_foreign(struct page_info *pg);

/* Drops a general reference; the last one frees the frame. */
void page_put(struct page_info *pg);

/* The frame's general count (a snapshot). */
uint32_t page_count(const struct page_info *pg);

/*
 * Checks every registered domain's page list: each frame on it is a
 * domain frame of that domain with a nonzero count, and the list's length
 * is tot_pages, at most max_pages. Must run while nothing changes the
 * lists. Returns 0, or -1 after printing the first mismatch.
 */
int mm_domain_audit(void);

/* Whether pg is on its owner's page list (holds the allocation ref). */
bool mm_domain_holds(const struct page_info *pg);

#endif
