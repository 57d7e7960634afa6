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
 * Finding a domain by id (mm_domain_find) takes a find reference that
 * keeps the struct alive until mm_domain_unfind(); mm_domain_fini()
 * unregisters the domain first, so no new find succeeds, then waits for
 * the last one to go. A found domain may be dying (its memory being
 * returned): operations on it fail the way they fail on frames it no
 * longer owns.
 *
 * Locks: d->lock (LOCK_RANK_DOMAIN) protects the page list and tot_pages,
 * the released list and released_pages; the frame allocator's locks may
 * be taken inside it. Counts are atomic and need no lock. A registry lock
 * (same rank, never held with a domain lock) protects the list of
 * domains. The put freeing a released frame takes the registry lock,
 * then the owner's lock: page_put must not be called under either.
 */
#ifndef XENO_MM_DOMAIN_H
#define XENO_MM_DOMAIN_H

#include <xeno/cpumask.h>
#include <xeno/frame.h>
#include <xeno/list.h>
#include <xeno/spinlock.h>
#include <xeno/types.h>

/* The largest general count a frame may reach; page_get fails beyond. */
#define PAGE_COUNT_MAX 0xffffffffU

/* The most vCPUs a domain has (ids 0..63: one 64-bit vcpumask word). */
#define MM_MAX_VCPUS 64

/*
 * The vm_assist types (pv-abi §6.6) the memory manager looks at, as bit
 * numbers in mm_domain.vm_assist; the hypercall that sets them is the
 * domain code's.
 */
#define MM_VMASST_writable_pagetables 2
#define MM_VMASST_m2p_strict	      32

struct mm_vcpu;

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

	/*
	 * Under lock: frames the domain released that are still allocated
	 * because something still references them (its own mappings or
	 * tables, a superpage over them, another domain): PGO_RELEASED, off
	 * page_list, on this list until the last reference goes (or the
	 * domain is finished, mm_domain_fini). They count against max_pages
	 * with tot_pages, so releasing a frame and allocating another while
	 * keeping the first mapped gains nothing.
	 */
	struct list_head released_list;
	uint64_t released_pages;

	/* Most frames the domain may own; set at creation. */
	uint64_t max_pages;

	/* Link in the registry of all mm domains (mm_domain_audit). */
	struct list_head link;

	/*
	 * Its vCPUs by id, NULL where none (mm_vcpu_init/fini, at vCPU
	 * creation and destruction only), and how many there are.
	 */
	struct mm_vcpu *vcpus[MM_MAX_VCPUS];
	unsigned int nr_vcpus;

	/*
	 * CPUs that ran one of its vCPUs since their last full TLB flush:
	 * where its translations may be cached (mm/tlb.c).
	 */
	cpumask_t dirty_cpus;

	/* VMASST types enabled: bit n is type n (vm_assist). */
	uint64_t vm_assist;

	/* mm_domain_find references held (atomic). */
	uint32_t finds;

	/* Under lock: its memory is being returned; no frame may join. */
	bool dying;

	/*
	 * Teardown (mm_domain_relinquish_step, one CPU at a time): the
	 * frame whose devalidation the last step left unfinished, with a
	 * general reference the teardown holds; NULL if none.
	 */
	struct page_info *put_pending;

	/*
	 * Teardown, first pass (under lock): how many frames of the page
	 * list are still to be looked at for pinned or partly validated
	 * tables, which are released before the rest (mm_domain.c).
	 */
	uint64_t scan_left;

	/*
	 * Some validated leaf entry (L1 or superpage) of the domain is
	 * global, so its translations survive CR3 loads: mm/tlb.c flushes
	 * them when a CPU switches away. Set (atomically, never cleared)
	 * by pte.c before such an entry is stored.
	 */
	bool globals;

	/* Unique over the machine's life: identifies it after it is gone. */
	uint64_t serial;
};

/* Forgets every registered domain (host tests recreating the machine). */
void mm_domain_registry_init(void);

/* Makes d an empty domain with the id and limit, and registers it. */
void mm_domain_init(struct mm_domain *d, domid_t domid, uint64_t max_pages);

/*
 * Unregisters d, which must own no frame any more, and waits until no
 * find reference is left. Released frames still alive (other domains'
 * references) leave its released list first: nobody counts them now.
 */
void mm_domain_fini(struct mm_domain *d);

/*
 * The registered domain with the id, with a find reference, or NULL.
 * Drop the reference with mm_domain_unfind() before the hypercall ends.
 */
struct mm_domain *mm_domain_find(domid_t id);
void mm_domain_unfind(struct mm_domain *d);

/*
 * Gives d a frame frame_alloc() just returned (count 0, untyped), with
 * the allocation reference, and sets its M2P entry to ~0 (no PFN until
 * the domain builder or the guest says). Returns 0, or -ENOMEM if d is
 * dying or at max_pages: tot_pages + released_pages, so frames it
 * released but still keeps alive count too (the frame is then untouched).
 */
int mm_domain_assign(struct mm_domain *d, struct page_info *pg);

/*
 * The same for the n contiguous frames from pg on, under one lock: all
 * of them join, or (-ENOMEM, over max_pages or dying) none.
 */
int mm_domain_assign_n(struct mm_domain *d, struct page_info *pg, uint64_t n);

/*
 * Allocates a zeroed frame and assigns it to d. Returns 0 and stores the
 * frame, or -ENOMEM (no free frame, or d is at its limit).
 */
int mm_domain_alloc(struct mm_domain *d, struct page_info **out);

/*
 * Takes pg from d, drops its pin or preempted validation if it has one
 * (ptype_relinquish), and drops the allocation reference; the frame is
 * freed now or when its last other reference goes, and until then stays
 * on d's released list, counted against max_pages. Returns 0, or -EINVAL
 * if pg is not on d's page list.
 */
int mm_domain_release(struct mm_domain *d, struct page_info *pg);

/*
 * The same with a preemptible devalidation of a pinned or partly
 * (de)validated table: on 0, *pending is NULL or pg, whose devalidation
 * stopped, with a general reference for the caller to finish it
 * (ptype_finish_put) and then drop.
 */
int mm_domain_release_deferred(struct mm_domain *d, struct page_info *pg,
			       struct page_info **pending);

/*
 * Tears down d's memory: marks it dying (no frame joins any more), then
 * releases every frame, dropping its pin or abandoning its preempted
 * validation. Frames other domains still reference stay allocated until
 * those references go. d's own vCPUs must be gone (their roots dropped);
 * other domains may still work on its frames concurrently.
 */
void mm_domain_relinquish(struct mm_domain *d);

/*
 * mm_domain_relinquish in bounded steps: each releases at most
 * MM_RELINQUISH_FRAMES frames, looks at most 4096 page-list entries for
 * pinned tables (released first) and at most PTYPE_STEP_ENTRIES table
 * entries (a devalidation that runs out stops and is continued by the
 * next step). Frames nothing else holds go back in aligned blocks. Returns -EAGAIN while work is left, 0 when every frame
 * is released. Steps of one domain must not run on two CPUs at once.
 */
#define MM_RELINQUISH_FRAMES 256
int mm_domain_relinquish_step(struct mm_domain *d);

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
 * is tot_pages; the same for the released list (PGO_RELEASED frames,
 * released_pages); tot_pages + released_pages is at most max_pages, and
 * every PGO_RELEASED frame is on a registered domain's released list.
 * Must run while nothing changes the lists. Returns 0, or -1 after
 * printing the first mismatch.
 */
int mm_domain_audit(void);

/*
 * Whether pg is on its owner's page list (holds the allocation ref); a
 * released frame (on the released list) is not.
 */
bool mm_domain_holds(const struct page_info *pg);

/*
 * Calls fn for every registered domain, under the registry lock: fn must
 * not take a domain lock or register domains (mm_audit uses it).
 */
void mm_domain_for_each(void (*fn)(struct mm_domain *d, void *arg), void *arg);

#endif
