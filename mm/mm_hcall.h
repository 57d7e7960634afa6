/* SPDX-License-Identifier: MIT */
/*
 * What the MMU hypercalls of mm/ share (mm/mm_hcall.c), private to mm/:
 * resolving a foreign-domain argument, the batch protocol of mmu_update
 * and mmuext_op (pdone, preemption, continuations), and the update of one
 * entry of a validated page table.
 *
 * The batch protocol (pv-abi §6.1, §6.2; Xen's encoding). Arguments:
 * a[0] the guest array, a[1] the count, a[2] pdone (0: none), a[3] the
 * foreign domain. Bit 31 of the count (MMU_UPDATE_PREEMPTED) marks a
 * continuation: the elements done by the earlier parts are then read
 * back from *pdone, so that *pdone ends up with the total. A batch stops
 * at its first failing element, or, between two elements, when the arch
 * asks for preemption, or when an element's nested validation is
 * preempted (that element is redone by the continuation). Stopping for
 * preemption rewrites a[0] and a[1] to the rest and returns -ERESTART.
 * pdone is checked writable before the first element (validate, then
 * act).
 *
 * Locks: none.
 */
#ifndef MM_HCALL_H
#define MM_HCALL_H

#include <xeno/arch.h>
#include <xeno/frame.h>
#include <xeno/hypercall.h>
#include <xeno/mm_domain.h>
#include <xeno/types.h>

struct mm_vcpu;

/* ---- foreign domains --------------------------------------------------- */

/*
 * A domain named by a hypercall argument: the caller itself, a found
 * domain (holding a find reference), or one of the pseudo-domains
 * DOMID_IO and DOMID_XEN, which own no frame Xeno lets guests map yet.
 */
struct mm_fd {
	struct mm_domain *d;
	bool found; /* d holds a find reference (mm_domain_unfind) */
};

/*
 * Resolves id as a foreign domain of caller (pv-abi §6.1 foreigndom):
 * DOMID_SELF is the caller; the caller's own numeric id and unknown ids
 * are -ESRCH; another domain, DOMID_IO and DOMID_XEN need a privileged
 * caller (-EPERM). Notes why on failure.
 */
int mm_fd_get(struct mm_fd *fd, struct mm_domain *caller, domid_t id);

/* The page-table owner of mmu_update (PFD + 1 in bits 31:16, 0: caller). */
int mm_pfd_get(struct mm_fd *fd, struct mm_domain *caller, uint32_t pfd);

void mm_fd_put(struct mm_fd *fd);

/* ---- batches --------------------------------------------------------------- */

struct mm_batch {
	unsigned int hypercall; /* __HYPERVISOR_* (for the refusal record) */
	size_t size;		/* bytes per element */
	uint64_t list;		/* guest address of element 0 of this part */
	uint32_t count;		/* elements in this part */
	uint64_t pdone;		/* guest address, 0 if none */
	uint32_t before;	/* elements done by earlier parts */
	uint32_t done;		/* elements done by this part */
};

/*
 * Decodes a[0..2] into b and checks pdone. Returns 0, or -EFAULT (noted)
 * if *pdone cannot be read (continuation) or written.
 */
int mm_batch_begin(struct mm_batch *b, const struct hcall_args *h,
		   unsigned int hypercall, size_t size);

/*
 * Reads the next elements into buf (room for max): as many as are left,
 * fit and lie in the same guest page as the first. Returns how many (at
 * least 1), or -EFAULT (noted) if the first cannot be read.
 */
int mm_batch_read(struct mm_batch *b, void *buf, unsigned int max);

/*
 * Whether to stop for preemption before the next element. Inline: it
 * runs once per element, and a call costs more than the test.
 */
static inline bool mm_batch_preempt(const struct mm_batch *b)
{
	return b->done > 0 && b->done < b->count &&
	       arch_hypercall_preempt_check();
}

/*
 * One element of a batch: acts on elem (b->size bytes) and returns 0,
 * -EAGAIN (preempted inside the element: it is redone), its error, or
 * MM_BATCH_DONE_STOP (done, but stop for a continuation now: it left
 * work the continuation finishes first), with *cmd set to the element's
 * command for the refusal record.
 */
#define MM_BATCH_DONE_STOP 1
typedef int (*mm_batch_fn)(void *ctx, const void *elem, unsigned int *cmd);

/*
 * Runs the batch's elements until done, refused or preempted, reading
 * them chunk by chunk into buf (room for max elements) and calling one
 * for each. Returns 0, -EAGAIN or the refused element's error (recorded
 * with its command and index); pass the result to mm_batch_end.
 */
int mm_batch_run(struct mm_batch *b, void *buf, unsigned int max,
		 mm_batch_fn one, void *ctx);

/*
 * Ends the part with rc: 0 (all done), -EAGAIN (stop for preemption,
 * rewriting h for the continuation) or an element's error. Writes
 * *pdone. Returns the hypercall's value (0, -ERESTART or rc).
 */
long mm_batch_end(struct mm_batch *b, struct hcall_args *h, int rc);

/* How many batches mm_batch_end continued since boot (xeno_mm_op). */
uint64_t mm_batch_continuations(void);

/*
 * First thing of a batch hypercall: finishes the devalidation an earlier
 * part or call of v left (its pending put), before the call's domains or
 * arguments are looked at, so a call that is refused at once (its foreign
 * domain gone meanwhile, say) still finishes it. Returns 0, or -ERESTART
 * when it stopped again: the same call then runs again, its arguments
 * unchanged (counted as a continuation).
 */
long mm_batch_finish_pending(struct mm_vcpu *v);

/* ---- one entry ------------------------------------------------------------ */

/*
 * A validated page table on which the caller holds a general and a type
 * reference, with its entries mapped: what an entry update needs of it.
 * A caller writing many entries of one table (mmu_update) keeps one
 * across them instead of looking the frame up for each.
 */
struct mm_table_ref {
	struct page_info *pg;
	uint64_t *entries;  /* arch_mfn_to_virt of pg */
	unsigned int level; /* 1-4 */
};

/*
 * Sets entry slot of table t (owned by d) to val, checked with fd as
 * the owner of L1 targets: takes the new entry's references, stores the
 * adjusted value atomically (OR-ing in the A and D bits the old one has
 * if preserve_ad), then drops the old entry's references. An update that
 * keeps the same references (pte_same_refs) only stores, and not even
 * that if the entry already holds the value. L4 slots of the hypervisor
 * must have been refused by the caller. flags: PTYPE_PREEMPTIBLE for
 * nested validation. Returns 0, -EAGAIN or the entry's error (noted).
 */
int mm_entry_set(const struct mm_table_ref *t, unsigned int slot, uint64_t val,
		 struct mm_domain *d, struct mm_domain *fd, bool preserve_ad,
		 unsigned int flags);

/*
 * mm_entry_set whose release of the old entry's references may stop
 * (docs/mm.md §7): if that drops the last type reference of the table
 * below (or of a linear target) and its devalidation stops at a
 * preemption point, the update is still done (returns 0) and *pending
 * is that table, left PARTIAL with the entry's general reference on it,
 * for the caller to finish (ptype_finish_put, then page_put). Else
 * *pending is NULL.
 */
int mm_entry_set_deferred(const struct mm_table_ref *t, unsigned int slot,
			  uint64_t val, struct mm_domain *d,
			  struct mm_domain *fd, bool preserve_ad,
			  unsigned int flags, struct page_info **pending);

/* mm_entry_set of table, a validated table of level level. */
int mm_entry_update(struct page_info *table, unsigned int level,
		    unsigned int slot, uint64_t val, struct mm_domain *d,
		    struct mm_domain *fd, bool preserve_ad, unsigned int flags);

/*
 * The level (1-4) of a page-table type word, 0 for any other type.
 * Inline: mmu_update asks once per request.
 */
static inline unsigned int mm_table_level(uint64_t type)
{
	if (type < PGT_l1 || type > PGT_l4) {
		return 0;
	}
	return (unsigned int)(type >> PGT_type_shift);
}

/* The running vCPU of the calling guest (hypercalls have one). */
struct mm_vcpu *mm_hcall_vcpu(void);

#endif
