/* SPDX-License-Identifier: MIT */
/*
 * One page-table entry at a time (see xeno/pte.h): which bits a present
 * entry of each level may have, what its frame must be, which references
 * it holds, and what Xeno stores instead of what the guest wrote.
 *
 * The references an entry holds (pv-abi §9.1):
 *   L1, read-only, RAM      one general reference on the frame
 *   L1, writable, RAM       a general and a writable type reference
 *   L1, not RAM (MMIO)      none (refused until I/O permissions exist)
 *   L2/L3/L4 → lower table  a general and a type reference of level - 1
 *   L2/L3/L4 → same level   linear: a general and a type reference of the
 *                           same level, plus the linear counts on both
 *                           tables; none if it points at its own table
 *   L2/L3 with PS           a superpage: one map reference on its region's
 *                           record, none on the frames (mm/superpage.c)
 *   not present             none
 *
 * Adjustments (§9.6) change only US, G and bit 52, which no rule above
 * looks at, so entries are checked as the guest wrote them and adjusted
 * once the whole table has passed. A superpage entry is a leaf and is
 * adjusted like an L1 entry.
 *
 * Interface rules and locks: see the header. The configuration and the
 * L4 template are written at boot only.
 */
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/lib.h>
#include <xeno/mm_why.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/superpage.h>
#include <xeno/writable_ref.h>

static struct {
	bool nx;
	bool linear_pt;
	uint64_t l4_template[L4_HYP_SLOTS];
} cfg = { .nx = true, .linear_pt = true };

/* Bits a present entry may have at every level (§9.5.1). */
#define PTE_BASE_OK                                                         \
	(PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_AVL | PTE_AVL_HIGH | \
	 PTE_ADDR)
#define PTE_CACHE (PTE_PWT | PTE_PCD | PTE_PAT)

void pte_configure(bool nx, bool linear_pt)
{
	cfg.nx = nx;
	cfg.linear_pt = linear_pt;
}

void pte_set_l4_template(const uint64_t slots[L4_HYP_SLOTS])
{
	memcpy(cfg.l4_template, slots, sizeof(cfg.l4_template));
}

void pte_l4_install(uint64_t *l4, mfn_t self)
{
	unsigned int i;

	for (i = 0; i < L4_HYP_SLOTS; i++) {
		l4[L4_HYP_FIRST + i] = cfg.l4_template[i];
	}
	/* Read-write and supervisor-only: for the hypervisor's eyes. */
	l4[L4_SELF_SLOT] = pte_make(self, PTE_P | PTE_RW | PTE_A | PTE_D);
}

void pte_l4_clear(uint64_t *l4)
{
	memset(&l4[L4_HYP_FIRST], 0, L4_HYP_SLOTS * sizeof(*l4));
}

bool pte_l4_set_m2p(uint64_t *l4, bool present)
{
	uint64_t want =
		present ? cfg.l4_template[L4_M2P_SLOT - L4_HYP_FIRST] : 0;
	uint64_t old =
		__atomic_exchange_n(&l4[L4_M2P_SLOT], want, __ATOMIC_SEQ_CST);

	return old != want;
}

/* Bit 12 of a superpage entry is its PAT bit (the frame is aligned). */
#define PTE_PS_PAT (1ULL << 12)

/* Whether a present entry of the level is a superpage (L2, L3 with PS). */
static bool is_superpage(unsigned int level, uint64_t e)
{
	return (level == 2 || level == 3) && (e & PTE_PS);
}

static uint64_t allowed_bits(unsigned int level, const struct mm_domain *d)
{
	uint64_t ok = PTE_BASE_OK | (cfg.nx ? PTE_NX : 0);

	if (level == 1) {
		ok |= PTE_G | (d->io_caching ? PTE_CACHE : 0);
	}
	return ok;
}

/*
 * A superpage is a leaf: the bits of an L1 entry, with PS in bit 7 and
 * the PAT bit moved to bit 12 (allowed only with I/O resources, as in
 * L1). The alignment of the frame is superpage.c's check.
 */
static bool superpage_flags_ok(uint64_t e, const struct mm_domain *d)
{
	uint64_t ok = PTE_BASE_OK | PTE_PS | PTE_G | (cfg.nx ? PTE_NX : 0) |
		      (d->io_caching ? PTE_PWT | PTE_PCD : 0);

	return (e & ~ok) == 0 && (d->io_caching || !(e & PTE_PS_PAT));
}

static bool flags_ok(unsigned int level, uint64_t e, const struct mm_domain *d)
{
	if (is_superpage(level, e)) {
		return superpage_flags_ok(e, d);
	}
	return (e & ~allowed_bits(level, d)) == 0;
}

uint64_t pte_adjust(unsigned int level, uint64_t e)
{
	if (!(e & PTE_P)) {
		return e;
	}
	if (is_superpage(level, e)) {
		level = 1;
	}
	switch (level) {
	case 1:
		if (!(e & PTE_US)) {
			e |= PTE_US | PTE_GUEST_KERNEL;
		}
		if (!(e & PTE_GUEST_KERNEL)) {
			e |= PTE_US | PTE_G;
		}
		return e;
	case 4:
		return e | PTE_US | PTE_A;
	default:
		return e | PTE_US;
	}
}

/* ---- L1 ------------------------------------------------------------------ */

/* A frame the frame table does not describe as RAM: MMIO, a hole... */
static bool frame_is_io(mfn_t m)
{
	return !mfn_valid(m) || (mfn_to_page(m)->flags & PGF_RESERVED);
}

/*
 * Whose frames c allows an L1 entry to map: the FD's, or any domain's
 * (NULL) when a privileged domain validates its own table.
 */
static const struct mm_domain *l1_owner(const struct pte_ctx *c)
{
	return c->fd == c->d && c->d->privileged ? NULL : c->fd;
}

/* The frame's general reference, if c allows mapping it. */
static bool l1_get_frame(struct page_info *t, const struct pte_ctx *c)
{
	const struct mm_domain *owner = l1_owner(c);

	return owner == NULL ? page_get_foreign(t) : page_get(t, owner);
}

static int l1_get(uint64_t e, const struct pte_ctx *c)
{
	mfn_t m = pte_mfn(e);
	struct page_info *t;

	if (mfn_x(m) == PTE_MFN_ALL_ONES) {
		mm_why_note(XENO_WHY_L1_ALL_ONES, e, INVALID_MFN);
		return -EINVAL;
	}
	if (frame_is_io(m)) {
		/* No domain has I/O memory permissions yet (§9.5.2.2). */
		mm_why_note(XENO_WHY_L1_NOT_RAM, e,
			    mfn_valid(m) ? m : INVALID_MFN);
		return -EPERM;
	}
	t = mfn_to_page(m);
	/* The common case, both references at once (writable_ref.c). */
	if ((e & PTE_RW) && page_get_writable_fast(t, l1_owner(c))) {
		return 0;
	}
	if (!l1_get_frame(t, c)) {
		mm_why_note(XENO_WHY_L1_NOT_OWNER, e, m);
		return -EBUSY;
	}
	if ((e & PTE_RW) && ptype_get(t, PGT_writable, NULL, 0) != 0) {
		page_put(t);
		return -EBUSY;
	}
	return 0;
}

static void l1_put(uint64_t e)
{
	mfn_t m = pte_mfn(e);
	struct page_info *t;

	if (frame_is_io(m)) {
		return;
	}
	t = mfn_to_page(m);
	if (e & PTE_RW) {
		if (page_put_writable_fast(t)) {
			return;
		}
		ptype_put(t);
	}
	page_put(t);
}

/* ---- L2, L3, L4 ----------------------------------------------------------- */

static uint64_t level_type(unsigned int level)
{
	return (uint64_t)level << PGT_type_shift;
}

/* §9.7 rules 1 and 2, with the reason noted: whether e may not be linear. */
static bool linear_refused(uint64_t e, mfn_t target)
{
	if (!cfg.linear_pt) {
		mm_why_note(XENO_WHY_LINEAR_DISABLED, e, target);
		return true;
	}
	if (e & PTE_RW) {
		mm_why_note(XENO_WHY_LINEAR_WRITABLE, e, target);
		return true;
	}
	return false;
}

/*
 * §9.7 rule 4: an entry of table c->table pointing read-only at another
 * validated table t of the same level. The caller holds t's general
 * reference, which the entry keeps on success.
 */
static int linear_get(unsigned int level, uint64_t e, struct page_info *t,
		      const struct pte_ctx *c)
{
	if (linear_refused(e, page_to_mfn(t))) {
		return -EINVAL;
	}
	if (!ptype_get_validated(t, level_type(level))) {
		mm_why_note(XENO_WHY_LINEAR_NOT_VALIDATED, e, page_to_mfn(t));
		return -EINVAL;
	}
	if (!ptype_linear_out_inc(c->table)) {
		ptype_put(t);
		mm_why_note(XENO_WHY_LINEAR_CHAIN, e, page_to_mfn(c->table));
		return -EINVAL;
	}
	if (!ptype_linear_in_inc(t)) {
		ptype_linear_out_dec(c->table);
		ptype_put(t);
		mm_why_note(XENO_WHY_LINEAR_CHAIN, e, page_to_mfn(t));
		return -EINVAL;
	}
	return 0;
}

static int upper_get(unsigned int level, uint64_t e, const struct pte_ctx *c)
{
	mfn_t m = pte_mfn(e);
	struct page_info *t;
	int rc;

	if (is_superpage(level, e)) {
		return superpage_get(level, e, c->d);
	}
	if (!mfn_valid(m)) {
		mm_why_note(XENO_WHY_TABLE_NOT_RAM, e, INVALID_MFN);
		return -EINVAL;
	}
	t = mfn_to_page(m);
	if (!page_get(t, c->d)) {
		mm_why_note(XENO_WHY_TABLE_NOT_OWNER, e, m);
		return -EINVAL;
	}
	if (t == c->table) {
		/* §9.7 rule 3: a self-map holds nothing. */
		page_put(t);
		return linear_refused(e, m) ? -EINVAL : 0;
	}
	if (ptype_type(t) == level_type(level) && ptype_count(t) != 0) {
		rc = linear_get(level, e, t, c);
	} else {
		rc = ptype_get_deferred(t, level_type(level - 1), c->d,
					c->flags, c->failed);
	}
	if (rc != 0) {
		page_put(t);
	}
	return rc;
}

static void upper_put(unsigned int level, uint64_t e, struct page_info *table)
{
	struct page_info *t;

	if (is_superpage(level, e)) {
		superpage_put(level, e);
		return;
	}
	t = mfn_to_page(pte_mfn(e));
	if (t == table) {
		return;
	}
	if (ptype_type(t) == level_type(level)) {
		ptype_linear_in_dec(t);
		ptype_linear_out_dec(table);
	}
	ptype_put(t);
	page_put(t);
}

/* ---- any level ------------------------------------------------------------ */

/* Bits an update may change without touching references (§9.5.6). */
#define PTE_NO_REFS \
	(PTE_A | PTE_D | PTE_G | PTE_US | PTE_NX | PTE_AVL | PTE_AVL_HIGH)

bool pte_same_refs(unsigned int level, uint64_t old, uint64_t new)
{
	uint64_t free_bits = PTE_NO_REFS;

	if (!(old & PTE_P) || !(new &PTE_P)) {
		return !(old & PTE_P) && !(new &PTE_P);
	}
	if (level > 1 && !cfg.linear_pt && !is_superpage(level, old)) {
		/*
		 * RW matters only to linear entries (§9.7 rule 5), and to
		 * superpages (a writable one may need a stale flush).
		 */
		free_bits |= PTE_RW;
	}
	return ((old ^ new) & ~free_bits) == 0;
}

/*
 * A leaf entry is stored global if it is a user mapping (§9.6) or asks
 * for G: the domain's translations then outlive CR3 loads (mm/tlb.c).
 * Noted before the entry is stored, so a CPU that may cache it sees it.
 */
static void note_global(unsigned int level, uint64_t e, struct mm_domain *d)
{
	if ((level == 1 || is_superpage(level, e)) && (e & (PTE_US | PTE_G)) &&
	    !__atomic_load_n(&d->globals, __ATOMIC_RELAXED)) {
		__atomic_store_n(&d->globals, true, __ATOMIC_SEQ_CST);
	}
}

bool pte_check_flags(unsigned int level, uint64_t e, struct mm_domain *d)
{
	if (!(e & PTE_P)) {
		return true;
	}
	if (!flags_ok(level, e, d)) {
		return false;
	}
	note_global(level, e, d);
	return true;
}

int pte_get(unsigned int level, uint64_t e, const struct pte_ctx *c)
{
	ASSERT(level >= 1 && level <= 4);
	if (!(e & PTE_P)) {
		return 0;
	}
	if (!flags_ok(level, e, c->d)) {
		mm_why_note(XENO_WHY_BAD_FLAGS, e,
			    c->table != NULL ? page_to_mfn(c->table)
					     : INVALID_MFN);
		return -EINVAL;
	}
	note_global(level, e, c->d);
	return level == 1 ? l1_get(e, c) : upper_get(level, e, c);
}

int pte_get_checked(unsigned int level, uint64_t e, const struct pte_ctx *c)
{
	ASSERT(level >= 1 && level <= 4);
	ASSERT(!(e & PTE_P) || flags_ok(level, e, c->d));
	if (!(e & PTE_P)) {
		return 0;
	}
	return level == 1 ? l1_get(e, c) : upper_get(level, e, c);
}

void pte_put(unsigned int level, uint64_t e, struct page_info *table)
{
	if (!(e & PTE_P)) {
		return;
	}
	if (level == 1) {
		l1_put(e);
	} else {
		upper_put(level, e, table);
	}
}

int pte_put_flags(unsigned int level, uint64_t e, struct page_info *table,
		  unsigned int flags)
{
	struct page_info *t;
	int rc;

	if (!(flags & PTYPE_PREEMPTIBLE) || level == 1 || !(e & PTE_P) ||
	    is_superpage(level, e) || mfn_to_page(pte_mfn(e)) == table) {
		pte_put(level, e, table);
		return 0;
	}
	t = mfn_to_page(pte_mfn(e));
	if (ptype_type(t) == level_type(level)) {
		ptype_linear_in_dec(t);
		ptype_linear_out_dec(table);
	}
	rc = ptype_put_preemptible(t);
	page_put(t);
	return rc;
}

void pte_put_deferred(unsigned int level, uint64_t e, struct page_info *table,
		      struct page_info **pending)
{
	struct page_info *t;

	*pending = NULL;
	if (level == 1 || !(e & PTE_P) || is_superpage(level, e) ||
	    mfn_to_page(pte_mfn(e)) == table) {
		pte_put(level, e, table);
		return;
	}
	t = mfn_to_page(pte_mfn(e));
	if (ptype_type(t) == level_type(level)) {
		ptype_linear_in_dec(t);
		ptype_linear_out_dec(table);
	}
	ptype_put_deferred(t, pending);
}
