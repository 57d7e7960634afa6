/* SPDX-License-Identifier: MIT */
/*
 * A general and a writable type reference in one step (mm/writable_ref.c):
 * what a writable L1 entry holds (docs/pv-abi.md §9.1), so what most
 * page-table updates take and drop.
 *
 * Interface rules:
 *  - Both functions are fast paths: they act only in the common states,
 *    in one atomic operation, and otherwise return false having done
 *    nothing, for the caller to take the ordinary two steps
 *    (page_get/page_get_foreign then ptype_get, ptype_put then
 *    page_put), which decide and note any refusal.
 *  - Where they act, the frame ends exactly as after those two steps.
 *
 * Locks: none.
 */
#ifndef XENO_WRITABLE_REF_H
#define XENO_WRITABLE_REF_H

#include <xeno/frame.h>
#include <xeno/mm_domain.h>

/*
 * page_get(pg, d) (or page_get_foreign(pg) if d is NULL) and
 * ptype_get(pg, PGT_writable), if both succeed at once without a stale
 * TLB flush; false (nothing taken) if the two steps must decide.
 */
bool page_get_writable_fast(struct page_info *pg, const struct mm_domain *d);

/*
 * ptype_put(pg) and page_put(pg) of a writable reference, if this is not
 * the frame's last general reference; false (nothing dropped) otherwise.
 */
bool page_put_writable_fast(struct page_info *pg);

#endif
