/* SPDX-License-Identifier: MIT */
/*
 * Page-table entries of 64-bit PV guests (mm/pte.c): the bits
 * (docs/pv-abi.md §2.4), the validity rules for one entry of each level
 * (§9.5), the adjustments the hypervisor stores (§9.6), linear entries
 * (§9.7) and the hypervisor's L4 slots (§9.8).
 *
 * Interface rules:
 *  - pte_get() checks every bit of an entry before it takes anything; on
 *    success the entry holds exactly the references pte_put() drops
 *    (nothing for a non-present entry or a table's reference to itself).
 *    pte_adjust() gives the value to store once the table is valid.
 *  - pte_put() must be given the entry as stored, while the references it
 *    holds are still held.
 *  - The L4 template and the configuration are set at boot, before any
 *    table is validated.
 *
 * Locks: none of its own; references are atomic (mm_domain.h, ptype.h).
 */
#ifndef XENO_PTE_H
#define XENO_PTE_H

#include <xeno/frame.h>
#include <xeno/mm_domain.h>
#include <xeno/types.h>

#define PTE_P		 (1ULL << 0)	       /* present */
#define PTE_RW		 (1ULL << 1)	       /* writable */
#define PTE_US		 (1ULL << 2)	       /* user (forced on for PV) */
#define PTE_PWT		 (1ULL << 3)	       /* write-through */
#define PTE_PCD		 (1ULL << 4)	       /* cache disable */
#define PTE_A		 (1ULL << 5)	       /* accessed */
#define PTE_D		 (1ULL << 6)	       /* dirty */
#define PTE_PAT		 (1ULL << 7)	       /* PAT index bit, L1 only */
#define PTE_PS		 (1ULL << 7)	       /* superpage, L2/L3 */
#define PTE_G		 (1ULL << 8)	       /* global, L1 only */
#define PTE_AVL		 (7ULL << 9)	       /* free for the guest */
#define PTE_ADDR	 0x000ffffffffff000ULL /* bits 12-51: the frame */
#define PTE_GUEST_KERNEL (1ULL << 52)	       /* set by Xeno: kernel-only L1 */
#define PTE_AVL_HIGH	 (0x7ffULL << 52) /* bits 52-62: free for the guest */
#define PTE_NX		 (1ULL << 63)	  /* no execute */

#define PT_ENTRIES 512

/* The hypervisor's L4 slots (§9.8); slot 258 maps the L4 itself. */
#define L4_HYP_FIRST 256
#define L4_HYP_SLOTS 16
#define L4_SELF_SLOT 258
#define L4_M2P_SLOT  256 /* the read-only M2P (§8.5) */

/* The frame number in an entry with all address bits set. */
#define PTE_MFN_ALL_ONES (PTE_ADDR >> PAGE_SHIFT)

static inline mfn_t pte_mfn(uint64_t e)
{
	return mfn((e & PTE_ADDR) >> PAGE_SHIFT);
}

static inline uint64_t pte_make(mfn_t m, uint64_t flags)
{
	return (mfn_x(m) << PAGE_SHIFT) | flags;
}

/* Whether slot i of an L4 belongs to the hypervisor. */
static inline bool l4_slot_is_hyp(unsigned int i)
{
	return i >= L4_HYP_FIRST && i < L4_HYP_FIRST + L4_HYP_SLOTS;
}

/* Where an entry being validated lives and whose frames it may map. */
struct pte_ctx {
	struct mm_domain *d;	 /* owner of the table */
	struct mm_domain *fd;	 /* owner of L1 targets: d, or a foreign FD */
	struct page_info *table; /* the table holding the entry */
	unsigned int flags;	 /* PTYPE_PREEMPTIBLE for nested validation */
	/* A failed validation's stopped release (ptype_get_deferred). */
	struct page_info **failed;
};

/*
 * Checks entry e of a level-level table (1..4) and takes its references.
 * Returns 0, -EAGAIN if a nested validation was preempted (nothing
 * taken), or the error of §9.12.
 */
int pte_get(unsigned int level, uint64_t e, const struct pte_ctx *c);

/*
 * pte_get() of an entry that pte_check_flags() has just passed for
 * c->d (single-entry updates): the same, without checking the flags
 * again.
 */
int pte_get_checked(unsigned int level, uint64_t e, const struct pte_ctx *c);

/*
 * The value Xeno stores for a valid entry (§9.6): US everywhere, A in
 * L4s, and in L1s the guest-kernel marker or G. Idempotent.
 */
uint64_t pte_adjust(unsigned int level, uint64_t e);

/* Drops the references entry e of the level-level table holds. */
void pte_put(unsigned int level, uint64_t e, struct page_info *table);

/*
 * pte_put, with PTYPE_PREEMPTIBLE in flags letting the devalidation of
 * the table below stop (ptype_put_preemptible): returns -EAGAIN then,
 * with every reference of the entry dropped all the same and that table
 * left PARTIAL on its own (an orphan, see mm/ptype.c). Returns 0 else.
 */
int pte_put_flags(unsigned int level, uint64_t e, struct page_info *table,
		  unsigned int flags);

/*
 * pte_put of an entry an update replaced (mmu_update), with the
 * devalidation of the table below (or the linear target) preemptible
 * as a pending put: *pending is NULL when every reference is gone, or
 * that table, left PARTIAL, when its devalidation stopped; the entry's
 * general reference on it then stays with *pending, for
 * ptype_finish_put and a page_put at the end (ptype_put_deferred). L1
 * entries and superpages never cascade and are dropped at once.
 */
void pte_put_deferred(unsigned int level, uint64_t e, struct page_info *table,
		      struct page_info **pending);

/*
 * Boot settings: whether the CPU has NX (bit 63 allowed) and whether
 * linear page tables are allowed (pv-linear-pt, default on).
 */
void pte_configure(bool nx, bool linear_pt);

/* The hypervisor's 16 values for L4 slots 256-271 (258 is replaced). */
void pte_set_l4_template(const uint64_t slots[L4_HYP_SLOTS]);

/* Writes the hypervisor slots into a validated L4 / clears them. */
void pte_l4_install(uint64_t *l4, mfn_t self);
void pte_l4_clear(uint64_t *l4);

/*
 * m2p_strict (§8.5): gives a validated L4 the template's M2P slot back
 * (present) or empties it. Returns whether the slot changed.
 */
bool pte_l4_set_m2p(uint64_t *l4, bool present);

/*
 * The fast path of single-entry updates (§9.5.6 rule 1): whether a
 * present entry may become new without taking or dropping references,
 * because both map the same frame and differ only in bits that no rule
 * looks at (A, D, G, US, NX, the AVL bits; RW too in L2-L4 while linear
 * page tables are off). new must still pass pte_check_flags().
 */
bool pte_same_refs(unsigned int level, uint64_t old, uint64_t new);

/*
 * Whether an entry's flags are allowed at the level (§9.5.1; a
 * superpage's in docs/mm.md §13). An allowed leaf entry that will be
 * stored global (user, or G) marks d as having global entries
 * (mm_domain.globals): call it before storing the entry.
 */
bool pte_check_flags(unsigned int level, uint64_t e, struct mm_domain *d);

#endif
