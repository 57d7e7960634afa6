/* SPDX-License-Identifier: MIT */
/*
 * A general and a writable type reference in one step (see
 * xeno/writable_ref.h): one 16-byte compare-and-swap of a frame's
 * count_word and type_info, which lie together (frame.h), instead of one
 * on each. Every writable L1 entry holds such a pair, so an update
 * remapping one takes a pair and drops a pair: two atomic operations
 * where there were four, the larger part of its cost.
 *
 * The states where it acts, with the two-step transitions it stands for
 * (page_get and get_if_live in mm_domain.c, ptype_get, tr_first,
 * tr_get_more and tr_put_more in ptype.c, page_put):
 *
 *   count_word                      type_info               new type_info
 *   get: a domain frame (of d,      writable, IN USE,       + 1
 *   unless d is NULL), count        count below max
 *   neither 0 nor max; + 1          IDLE, no type or        writable,
 *                                   writable (no flush      validated, 1
 *                                   due: the use stays)
 *   put: a domain frame, count      writable, count > 1     - 1
 *   above 1 (not the last           writable, count 1       IDLE: count 0,
 *   reference: nothing to free);                            not validated,
 *   - 1                                                     the TLB stamp
 *
 * In any other state (BUSY or PARTIAL, another type or a stale one that
 * needs a flush, a count at a limit, the last general reference) they
 * do nothing and the caller's two steps decide, noting any refusal.
 * Neither word has to be read atomically with the other: a pair read
 * torn across another CPU's change fails the swap, which reads again.
 *
 * Locks: none.
 */
#include <xeno/atomic.h>
#include <xeno/lib.h>
#include <xeno/mm_domain.h>
#include <xeno/ptype.h>
#include <xeno/tlb.h>
#include <xeno/writable_ref.h>

/* The pair, as atomic_cmpxchg128() wants it: count_word, type_info. */
static uint64_t *pair_of(struct page_info *pg)
{
	return &pg->count_word;
}

/* Whether count_word w allows one more general reference for d. */
static bool general_can_get(uint64_t w, const struct mm_domain *d)
{
	uint32_t count = (uint32_t)(w & PCW_COUNT_MASK);

	return ((w >> PCW_FLAGS_SHIFT) & PGF_DOMAIN) && count != 0 &&
	       count != PAGE_COUNT_MAX &&
	       (d == NULL || (domid_t)(w >> PCW_OWNER_SHIFT) == d->domid);
}

/* Whether count_word w may lose a general reference that is not its last. */
static bool general_can_put(uint64_t w)
{
	return ((w >> PCW_FLAGS_SHIFT) & PGF_DOMAIN) &&
	       (uint32_t)(w & PCW_COUNT_MASK) > 1;
}

/*
 * type_info x with one more writable reference, or 0 if not here (a
 * result is never 0: its type field is writable).
 */
static uint64_t writable_got(uint64_t x)
{
	uint64_t type = x & PGT_type_mask;
	uint32_t count = (uint32_t)(x & PGT_count_mask);

	if (x & (PGT_busy | PGT_partial)) {
		return 0;
	}
	if (count == 0) {
		return type == PGT_none || type == PGT_writable
			       ? PGT_writable | PGT_validated | 1
			       : 0;
	}
	return type == PGT_writable && count != PTYPE_COUNT_MAX ? x + 1 : 0;
}

/* type_info x with one writable reference less, or 0 if not here (ditto). */
static uint64_t writable_put(uint64_t x)
{
	uint32_t count = (uint32_t)(x & PGT_count_mask);

	if ((x & PGT_type_mask) != PGT_writable || count == 0 ||
	    (x & (PGT_busy | PGT_partial))) {
		return 0;
	}
	if (count > 1) {
		return x - 1;
	}
	return ((x - 1) & ~(PGT_validated | PGT_stamp_mask)) |
	       ((uint64_t)tlb_stamp() << PGT_stamp_shift);
}

bool page_get_writable_fast(struct page_info *pg, const struct mm_domain *d)
{
	uint64_t *p = pair_of(pg);
	uint64_t old[2] = { atomic_read64(&p[0]), atomic_read64(&p[1]) };
	uint64_t new[2];

	do {
		if (!general_can_get(old[0], d)) {
			return false;
		}
		new[0] = old[0] + 1;
		new[1] = writable_got(old[1]);
		if (new[1] == 0) {
			return false;
		}
	} while (!atomic_cmpxchg128(p, old, new));
	return true;
}

bool page_put_writable_fast(struct page_info *pg)
{
	uint64_t *p = pair_of(pg);
	uint64_t old[2] = { atomic_read64(&p[0]), atomic_read64(&p[1]) };
	uint64_t new[2];

	do {
		if (!general_can_put(old[0])) {
			return false;
		}
		new[0] = old[0] - 1;
		new[1] = writable_put(old[1]);
		if (new[1] == 0) {
			return false;
		}
	} while (!atomic_cmpxchg128(p, old, new));
	return true;
}
