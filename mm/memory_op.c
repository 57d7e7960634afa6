/* SPDX-License-Identifier: MIT */
/*
 * memory_op (hypercall 12, pv-abi §6.4): the reservation commands a
 * balloon driver needs, on the caller's own memory.
 *
 *   memory_op(unsigned long cmd, void *arg)
 *
 *   XENMEM_increase_reservation  new frames; their MFNs written back
 *   XENMEM_decrease_reservation  frames given back (freed once unmapped)
 *   XENMEM_populate_physmap      new frames at the PFNs given (M2P set)
 *   XENMEM_current_reservation   frames allocated to the domain
 *   XENMEM_maximum_reservation   its limit
 *
 * The three reservation commands take a struct xen_memory_reservation
 * and return how many extents they handled; an extent they cannot handle
 * (a frame that is not the caller's, no memory or the domain's limit, an
 * unreadable or unwritable list) ends the call, whose result then says
 * how far it got. Only order-0 extents and DOMID_SELF (or the caller's
 * own id) are supported yet. Long calls stop between extents when the
 * arch asks and are continued: bits 63:6 of cmd carry the next extent.
 * Giving back a pinned page table devalidates it preemptibly: a stopped
 * devalidation is the vCPU's pending put (mm_vcpu.h), which the
 * continuation finishes before the next extent.
 *
 * A frame given back while the domain's own tables still map it stays
 * allocated, and counted against the domain's limit, until the last
 * mapping goes (mm_domain.h, docs/mm.md §21): giving back and asking
 * again cannot take a domain past max_pages.
 *
 * Locks: none of its own (mm_domain.c's).
 */
#include <public/memory.h>
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/m2p.h>
#include <xeno/mm_vcpu.h>
#include <xeno/ptype.h>

#include "mm_hcall.h"

/* One extent of a reservation command: 0, or 1 to end the call there. */
typedef int (*extent_fn)(struct mm_vcpu *v, uint64_t at);

/*
 * decrease: the frame at *at (an MFN) leaves v's domain. A pinned table's
 * devalidation may stop: it becomes v's pending put, finished before the
 * next extent (the call is continued).
 */
static int give_back(struct mm_vcpu *v, uint64_t at)
{
	uint64_t m;

	if (guest_copy_from(&m, at, sizeof(m)) != 0 || !mfn_valid(mfn(m))) {
		return 1;
	}
	return mm_domain_release_deferred(v->d, mfn_to_page(mfn(m)),
					  &v->put_pending) != 0;
}

/*
 * increase (pfn NULL: the M2P entry stays invalid) and populate (the
 * PFN read from *at): a new frame, whose MFN is written to *at.
 */
static int take_frame(struct mm_domain *d, uint64_t at, bool populate)
{
	struct page_info *pg;
	uint64_t pfn = 0, m;

	if (populate && guest_copy_from(&pfn, at, sizeof(pfn)) != 0) {
		return 1;
	}
	if (mm_domain_alloc(d, &pg) != 0) {
		return 1;
	}
	m = mfn_x(page_to_mfn(pg));
	if (at != 0 && guest_copy_to(at, &m, sizeof(m)) != 0) {
		(void)mm_domain_release(d, pg);
		return 1;
	}
	if (populate) {
		(void)m2p_set(page_to_mfn(pg), pfn);
	}
	return 0;
}

static int increase_one(struct mm_vcpu *v, uint64_t at)
{
	return take_frame(v->d, at, false);
}

static int populate_one(struct mm_vcpu *v, uint64_t at)
{
	return take_frame(v->d, at, true);
}

/* The domain a reservation names: only the caller itself for now. */
static long target(struct mm_vcpu *v, uint16_t domid)
{
	if (domid == DOMID_SELF || domid == v->d->domid) {
		return 0;
	}
	return v->d->privileged ? -ENOSYS : -EPERM;
}

static long reservation(struct hcall_args *h, struct mm_vcpu *v,
			unsigned int op, uint64_t start)
{
	static const extent_fn fns[] = {
		[XENMEM_increase_reservation] = increase_one,
		[XENMEM_decrease_reservation] = give_back,
		[XENMEM_populate_physmap] = populate_one,
	};
	struct xen_memory_reservation r;
	uint64_t i;
	long rc;

	if (guest_copy_from(&r, h->a[1], sizeof(r)) != 0) {
		return -EFAULT;
	}
	rc = target(v, r.domid);
	if (rc != 0) {
		return rc;
	}
	if (r.nr_extents > XENMEM_MAX_EXTENTS || start > r.nr_extents) {
		return -EINVAL;
	}
	if (r.extent_order != 0) {
		return (long)start; /* ends at the first extent */
	}
	if (op != XENMEM_increase_reservation && r.extent_start == 0) {
		return (long)start;
	}
	for (i = start; i < r.nr_extents; i++) {
		uint64_t at = r.extent_start == 0 ? 0 : r.extent_start + i * 8;

		if (v->put_pending != NULL ||
		    (i > start && arch_hypercall_preempt_check())) {
			h->a[0] = op | (i << XENMEM_EXTENT_SHIFT);
			return -ERESTART;
		}
		if (fns[op](v, at) != 0) {
			break;
		}
	}
	if (v->put_pending != NULL) {
		/* The last extent's devalidation: finished by a last part. */
		h->a[0] = op | (i << XENMEM_EXTENT_SHIFT);
		return -ERESTART;
	}
	return (long)i;
}

/* current/maximum_reservation: arg points at a domid_t. */
static long query(struct hcall_args *h, struct mm_vcpu *v, unsigned int op)
{
	uint16_t domid;
	long rc;

	if (guest_copy_from(&domid, h->a[1], sizeof(domid)) != 0) {
		return -EFAULT;
	}
	rc = target(v, domid);
	if (rc != 0) {
		return rc;
	}
	if (op == XENMEM_maximum_reservation) {
		return (long)v->d->max_pages;
	}
	/* Frames given back but still alive are still allocated to it. */
	return (long)(__atomic_load_n(&v->d->tot_pages, __ATOMIC_RELAXED) +
		      __atomic_load_n(&v->d->released_pages, __ATOMIC_RELAXED));
}

long do_memory_op(struct hcall_args *h)
{
	struct mm_vcpu *v = mm_hcall_vcpu();
	unsigned int op = (unsigned int)(h->a[0] & XENMEM_CMD_MASK);
	uint64_t start = h->a[0] >> XENMEM_EXTENT_SHIFT;

	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		/* A devalidation the previous part left: finish it first. */
		if (mm_vcpu_finish_put(v, PTYPE_PREEMPTIBLE) != 0) {
			return -ERESTART;
		}
		return reservation(h, v, op, start);
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		return start != 0 ? -EINVAL : query(h, v, op);
	default:
		return -ENOSYS;
	}
}
