/* SPDX-License-Identifier: MIT */
/*
 * Writable page tables, the memory-manager half (see xeno/ptwr.h): which
 * frame a faulting store writes to, and the store itself, checked like
 * an mmu_update of the entry it changes.
 *
 * A store of fewer than 8 bytes changes part of an entry: the entry
 * checked and stored is the current one with those bytes replaced. The
 * whole update is one compare-exchange against the entry read, so the
 * hardware setting A or D, or another vCPU writing the entry, between
 * the read and the write makes it -EAGAIN (the caller re-runs the
 * instruction, which reads the new value) instead of losing that
 * change. A compare-exchange instruction compares with the same read.
 *
 * The references of the new entry are taken before the swap and given
 * back if the swap fails; those of the old entry are dropped after it,
 * as mm_entry_set() does for mmu_update. The table itself is held (a
 * general and an L1 type reference) throughout, so it stays a validated
 * L1 of the domain while its entry changes.
 *
 * Locks: none; the statistics are atomic counters.
 */
#include <xeno/arch.h>
#include <xeno/atomic.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/mm_vcpu.h>
#include <xeno/mm_why.h>
#include <xeno/pte.h>
#include <xeno/ptwr.h>
#include <xeno/ptype.h>

static struct ptwr_stats stats;

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

void ptwr_stats_read(struct ptwr_stats *out)
{
	out->emulated = __atomic_load_n(&stats.emulated, __ATOMIC_RELAXED);
	out->refused = __atomic_load_n(&stats.refused, __ATOMIC_RELAXED);
	out->retried = __atomic_load_n(&stats.retried, __ATOMIC_RELAXED);
}

int ptwr_l1_at(struct mm_vcpu *v, uint64_t va, mfn_t *l1)
{
	struct page_info *table, *pg;
	unsigned int slot;
	uint64_t e;
	int rc;

	rc = guest_l1_of(v, va, &table, &slot);
	if (rc != 0) {
		return rc;
	}
	e = __atomic_load_n(
		&((uint64_t *)arch_mfn_to_virt(page_to_mfn(table)))[slot],
		__ATOMIC_RELAXED);
	page_put_and_type(table);
	if (!(e & PTE_P) || !mfn_valid(pte_mfn(e))) {
		return -EINVAL;
	}
	pg = mfn_to_page(pte_mfn(e));
	if (ptype_type(pg) != PGT_l1 || !ptype_validated(pg) ||
	    !page_get(pg, v->d)) {
		return -EINVAL;
	}
	rc = mm_domain_holds(pg) ? 0 : -EINVAL;
	page_put(pg);
	*l1 = pte_mfn(e);
	return rc;
}

/* d's validated L1 l1, with a general and a type reference; or NULL. */
static struct page_info *own_l1(struct mm_domain *d, mfn_t l1)
{
	struct page_info *pg;

	if (!mfn_valid(l1)) {
		mm_why_note(XENO_WHY_VA_NOT_L1, mfn_x(l1), INVALID_MFN);
		return NULL;
	}
	pg = mfn_to_page(l1);
	if (!page_get(pg, d)) {
		mm_why_note(XENO_WHY_VA_NOT_L1, mfn_x(l1), l1);
		return NULL;
	}
	if (!mm_domain_holds(pg) || !ptype_get_validated(pg, PGT_l1)) {
		mm_why_note(XENO_WHY_VA_NOT_L1, mfn_x(l1), l1);
		page_put(pg);
		return NULL;
	}
	return pg;
}

/*
 * Entry slot of table pg becomes new if it still holds cur: the rules
 * of one L1 entry, then one compare-exchange. Returns 0, -EAGAIN (the
 * entry holds something else now; nothing changed) or the entry's error.
 */
static int entry_replace(struct mm_domain *d, struct page_info *pg,
			 unsigned int slot, uint64_t cur, uint64_t new)
{
	uint64_t *p = (uint64_t *)arch_mfn_to_virt(page_to_mfn(pg)) + slot;
	struct pte_ctx c = { .d = d, .fd = d, .table = pg, .flags = 0 };
	uint64_t store, seen = cur;
	int rc;

	if (!pte_check_flags(1, new, d)) {
		mm_why_note(XENO_WHY_BAD_FLAGS, new, page_to_mfn(pg));
		mm_why_where(page_to_mfn(pg), slot);
		return -EINVAL;
	}
	store = pte_adjust(1, new);
	if (pte_same_refs(1, cur, new)) {
		/* §9.5.6 rule 1: no reference moves. */
		if (cur == store || atomic_cmpxchg64(p, &seen, store)) {
			return 0;
		}
		return -EAGAIN;
	}
	rc = pte_get(1, new, &c);
	if (rc != 0) {
		mm_why_where(page_to_mfn(pg), slot);
		return rc;
	}
	if (!atomic_cmpxchg64(p, &seen, store)) {
		pte_put(1, store, pg);
		return -EAGAIN;
	}
	pte_put(1, cur, pg);
	return 0;
}

static bool width_ok(unsigned int offset, unsigned int width)
{
	return (width == 1 || width == 2 || width == 4 || width == 8) &&
	       offset < PAGE_SIZE && (offset & (width - 1)) == 0;
}

int ptwr_emulate_store(struct mm_domain *d, mfn_t l1, unsigned int offset,
		       unsigned int width, uint64_t val, bool is_cmpxchg,
		       uint64_t *old)
{
	unsigned int shift = (offset & 7) * 8;
	uint64_t mask, cur, bytes;
	struct page_info *pg;
	int rc;

	if (!width_ok(offset, width)) {
		mm_why_note(XENO_WHY_PTWR_INSN, offset, INVALID_MFN);
		return -EINVAL;
	}
	pg = own_l1(d, l1);
	if (pg == NULL) {
		return -EINVAL;
	}
	mask = (width == 8 ? ~0ULL : (1ULL << (8 * width)) - 1) << shift;
	cur = __atomic_load_n((uint64_t *)arch_mfn_to_virt(l1) + offset / 8,
			      __ATOMIC_SEQ_CST);
	bytes = (cur & mask) >> shift;
	if (is_cmpxchg && bytes != *old) {
		rc = PTWR_CMP_FAILED;
	} else {
		rc = entry_replace(d, pg, offset / 8, cur,
				   (cur & ~mask) | ((val << shift) & mask));
	}
	page_put_and_type(pg);
	*old = bytes;
	count(rc == -EAGAIN ? &stats.retried
	      : rc < 0	    ? &stats.refused
			    : &stats.emulated);
	return rc;
}
