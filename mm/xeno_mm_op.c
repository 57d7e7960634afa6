/* SPDX-License-Identifier: MIT */
/*
 * xeno_mm_op (hypercall 64, public/xeno.h): Xeno's memory diagnostics.
 *
 *   xeno_mm_op(unsigned int cmd, void *arg)
 *
 *   XENO_MM_last_refusal  copy the vCPU's last MMU refusal (mm_why.h)
 *   XENO_MM_frame_info    describe one frame: the caller's own, or any
 *                         frame for a privileged caller
 *
 * Counters (TLB, page types) are xeno_stats_op's (mm/xeno_stats_op.c);
 * commands 2 and 3, which once read some of them, return -ENOSYS.
 *
 * Its own refusals are not recorded as the last refusal: that would
 * replace the record a guest is asking about.
 *
 * Locks: none; the frame description is a snapshot.
 */
#include <public/xen.h>
#include <public/xeno.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/m2p.h>
#include <xeno/mm_vcpu.h>
#include <xeno/ptype.h>

#include "mm_hcall.h"

static uint8_t frame_flags(const struct page_info *pg, uint64_t ti)
{
	return (uint8_t)(((ti & PGT_pinned) ? XENO_FRAME_PINNED : 0) |
			 ((ti & PGT_validated) ? XENO_FRAME_VALIDATED : 0) |
			 ((ti & PGT_partial) ? XENO_FRAME_PARTIAL : 0) |
			 ((ti & PGT_busy) ? XENO_FRAME_BUSY : 0) |
			 (mm_domain_holds(pg) ? XENO_FRAME_ON_LIST : 0));
}

/* Fills in everything but mfn for a domain frame. */
static void describe(struct xeno_mm_frame_info *fi, const struct page_info *pg)
{
	uint64_t ti = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);
	uint32_t n = (uint32_t)(ti & PGT_count_mask);
	bool idle = n == 0 && !(ti & (PGT_busy | PGT_partial));
	uint16_t lin = (uint16_t)((ti & PGT_linear_mask) >> PGT_linear_shift);

	fi->type_info = ti;
	fi->count = page_count(pg);
	fi->type_count = n;
	fi->owner = pg->owner;
	fi->type = (uint8_t)((ti & PGT_type_mask) >> PGT_type_shift);
	fi->flags = frame_flags(pg, ti);
	fi->linear_out = (idle || (ti & PGT_linear_in)) ? 0 : lin;
	fi->linear_in = (!idle && (ti & PGT_linear_in)) ? lin : 0;
}

static long frame_info(struct mm_vcpu *v, uint64_t arg)
{
	struct xeno_mm_frame_info fi;
	const struct page_info *pg;
	mfn_t m;

	if (guest_copy_from(&fi.mfn, arg, sizeof(fi.mfn)) != 0) {
		return -EFAULT;
	}
	m = mfn(fi.mfn);
	if (!mfn_valid(m)) {
		return -EINVAL;
	}
	pg = mfn_to_page(m);
	memset(&fi, 0, sizeof(fi));
	fi.mfn = mfn_x(m);
	fi.m2p = m2p_get(m);
	if (pg->flags & PGF_DOMAIN) {
		if (pg->owner != v->d->domid && !v->d->privileged) {
			return -EPERM;
		}
		describe(&fi, pg);
	} else if (!v->d->privileged) {
		return -EPERM;
	} else {
		fi.owner = (pg->flags & (PGF_RESERVED | PGF_ALLOCATED))
				   ? DOMID_XEN
				   : DOMID_INVALID;
	}
	return guest_copy_to(arg, &fi, sizeof(fi)) != 0 ? -EFAULT : 0;
}

long do_xeno_mm_op(struct hcall_args *h)
{
	struct mm_vcpu *v = mm_hcall_vcpu();

	switch ((unsigned int)h->a[0]) {
	case XENO_MM_last_refusal:
		return guest_copy_to(h->a[1], &v->why.last,
				     sizeof(v->why.last)) != 0
			       ? -EFAULT
			       : 0;
	case XENO_MM_frame_info:
		return frame_info(v, h->a[1]);
	default:
		return -ENOSYS;
	}
}
