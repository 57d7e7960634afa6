/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest against the validated MMU (issue 3; docs/mm.md): each
 * test tries to break one rule, checks the exact error and the reason
 * Xeno records for it (xeno_mm_op XENO_MM_last_refusal), and leaves the
 * guest as it was. Xeno's invariant check runs after the domain is gone.
 *
 * Frames used: our own .bss pages (a data page, an alias slot and a page
 * that becomes a page table), a frame near the top of RAM that is not
 * ours (free or another domain's: either is -EBUSY), and the hypervisor's
 * image at 1 MiB (not RAM a guest may map: -EPERM).
 */
#include <libpv.h>

static uint8_t alias_slot[4096] __attribute__((aligned(4096)));
static uint8_t table_page[4096] __attribute__((aligned(4096)));

#define VA(p)	       ((uint64_t)(p))
#define HYP_IMAGE_MFN  0x100ULL /* Xeno is loaded at 1 MiB */
#define L4_SLOT_DIRECT 262	/* a hypervisor slot (pv-abi §8.3) */
#define E_PERM	       1
#define E_SRCH	       3
#define E_BUSY	       16
#define E_INVAL	       22

static uint64_t alias_mfn;

/* The reason of the last refusal, or ~0 if the record cannot be read. */
static uint64_t last_reason(uint64_t *seq)
{
	struct xeno_mm_refusal r;

	if (HYPERVISOR_xeno_mm_op(XENO_MM_last_refusal, &r) != 0) {
		return ~0ULL;
	}
	if (seq != NULL) {
		*seq = r.seq;
	}
	return r.reason;
}

/* Checks rc == -err and that the refusal was recorded with reason. */
#define CHECK_REFUSED(rc, err, why)                              \
	do {                                                     \
		PV_CHECK_EQ((long)(rc), -(long)(err));           \
		PV_CHECK_EQ(last_reason(NULL), (uint64_t)(why)); \
	} while (0)

static bool owned(uint64_t mfn)
{
	uint64_t pfn = pv_mfn_to_pfn(mfn);

	return pfn < start_info->nr_pages && pv_pfn_to_mfn(pfn) == mfn;
}

/* A RAM frame near the top of memory that is not ours. */
static uint64_t foreign_frame(void)
{
	uint64_t mfn = 0xff00; /* QEMU gives the test 256 MiB */

	while (owned(mfn)) {
		mfn--;
	}
	return mfn;
}

static void test_map_not_owned(void)
{
	pv_test_begin("hostile.map_frame_not_owned");
	CHECK_REFUSED(pv_map_page(VA(alias_slot), foreign_frame(), PV_PTE_DATA),
		      E_BUSY, XENO_WHY_L1_NOT_OWNER);
	CHECK_REFUSED(pv_map_page(VA(alias_slot), foreign_frame(),
				  PV_PTE_P | PV_PTE_A),
		      E_BUSY, XENO_WHY_L1_NOT_OWNER);
	/* Nothing changed: the slot still maps our own frame. */
	PV_CHECK_EQ((pv_lookup_pte(VA(alias_slot)) & PV_PTE_ADDR) >> 12,
		    alias_mfn);
	pv_test_end();
}

static void test_map_hypervisor(void)
{
	uint64_t l4 = pv_current_l4_mfn() << 12;
	unsigned int done = 7;

	pv_test_begin("hostile.map_hypervisor_memory");
	CHECK_REFUSED(
		pv_map_page(VA(alias_slot), HYP_IMAGE_MFN, PV_PTE_P | PV_PTE_A),
		E_PERM, XENO_WHY_L1_NOT_RAM);
	/* Writing one of Xeno's L4 slots is refused too. */
	pv_mmu_queue(l4 + L4_SLOT_DIRECT * 8,
		     (pv_current_l4_mfn() << 12) | PV_PTE_P);
	CHECK_REFUSED(pv_mmu_flush(&done), E_INVAL, XENO_WHY_HYPERVISOR_SLOT);
	PV_CHECK_EQ(done, 0);
	pv_test_end();
}

static void test_writable_alias_of_table(void)
{
	uint64_t l1_mfn = pv_l1e_maddr(VA(alias_slot)) >> 12;

	pv_test_begin("hostile.writable_alias_of_own_page_table");
	CHECK_REFUSED(pv_map_page(VA(alias_slot), l1_mfn, PV_PTE_DATA), E_BUSY,
		      XENO_WHY_TYPE_CONFLICT);
	CHECK_REFUSED(
		pv_map_page(VA(alias_slot), pv_current_l4_mfn(), PV_PTE_DATA),
		E_BUSY, XENO_WHY_TYPE_CONFLICT);
	/* Read-only is the allowed way to look at a table. */
	PV_CHECK_OK(pv_map_page(VA(alias_slot), l1_mfn, PV_PTE_P | PV_PTE_A));
	PV_CHECK_OK(pv_map_page(VA(alias_slot), alias_mfn, PV_PTE_DATA));
	pv_test_end();
}

/* Pins table_page as an L1 (mapped read-only first); its frame. */
static uint64_t make_pinned_l1(void)
{
	uint64_t mfn = pv_va_to_mfn(table_page);

	memset(table_page, 0, sizeof(table_page));
	/* A frame mapped writable cannot become a table. */
	CHECK_REFUSED(pv_pin_table(1, mfn), E_INVAL, XENO_WHY_TYPE_CONFLICT);
	PV_CHECK_OK(pv_map_page(VA(table_page), mfn, PV_PTE_P | PV_PTE_A));
	PV_CHECK_OK(pv_pin_table(1, mfn));
	return mfn;
}

static void drop_pinned_l1(uint64_t mfn)
{
	PV_CHECK_OK(pv_unpin_table(mfn));
	PV_CHECK_OK(pv_map_page(VA(table_page), mfn, PV_PTE_DATA));
}

static void test_pinned_table(void)
{
	uint64_t mfn;

	pv_test_begin("hostile.writable_mapping_of_pinned_table");
	mfn = make_pinned_l1();
	CHECK_REFUSED(pv_map_page(VA(alias_slot), mfn, PV_PTE_DATA), E_BUSY,
		      XENO_WHY_TYPE_CONFLICT);
	CHECK_REFUSED(pv_map_page(VA(table_page), mfn, PV_PTE_DATA), E_BUSY,
		      XENO_WHY_TYPE_CONFLICT);
	CHECK_REFUSED(pv_pin_table(1, mfn), E_INVAL, XENO_WHY_ALREADY_PINNED);
	CHECK_REFUSED(pv_pin_table(2, mfn), E_INVAL, XENO_WHY_ALREADY_PINNED);
	drop_pinned_l1(mfn);
	CHECK_REFUSED(pv_unpin_table(mfn), E_INVAL, XENO_WHY_NOT_PINNED);
	pv_test_end();
}

/*
 * Unpinning the L4 the vCPU runs on is allowed: the base pointer holds
 * its own reference, so the table stays valid and in use.
 */
static void test_unpin_in_use(void)
{
	uint64_t l4 = pv_current_l4_mfn();
	struct xeno_mm_frame_info fi = { .mfn = l4 };

	pv_test_begin("hostile.unpin_table_in_use");
	PV_CHECK_OK(pv_unpin_table(l4));
	PV_CHECK_OK(HYPERVISOR_xeno_mm_op(XENO_MM_frame_info, &fi));
	PV_CHECK_GE(fi.type_count, 1);
	PV_CHECK_EQ(pv_lookup_pte(VA(alias_slot)) & PV_PTE_P, PV_PTE_P);
	CHECK_REFUSED(pv_unpin_table(l4), E_INVAL, XENO_WHY_NOT_PINNED);
	PV_CHECK_OK(pv_pin_table(4, l4));
	pv_test_end();
}

static void test_forge_m2p(void)
{
	struct mmu_update u;
	unsigned int done = 9;
	long rc;

	pv_test_begin("hostile.forge_m2p_entry");
	u.ptr = (foreign_frame() << 12) | MMU_MACHPHYS_UPDATE;
	u.val = 0;
	rc = HYPERVISOR_mmu_update(&u, 1, &done, DOMID_SELF);
	CHECK_REFUSED(rc, E_INVAL, XENO_WHY_M2P_FRAME);
	PV_CHECK_EQ(done, 0);
	/* Our own frame is fine, and we put the entry back. */
	u.ptr = (alias_mfn << 12) | MMU_MACHPHYS_UPDATE;
	u.val = pv_mfn_to_pfn(alias_mfn);
	PV_CHECK_OK(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF));
	PV_CHECK_EQ(pv_mfn_to_pfn(alias_mfn), u.val);
	/* A foreign domain needs privilege; our own id is not DOMID_SELF. */
	rc = HYPERVISOR_mmu_update(&u, 1, NULL, 0);
	PV_CHECK(rc == -E_PERM || rc == -E_SRCH, "rc %ld", rc);
	pv_test_end();
}

/* The machine address of the L2 entry that maps va (bootstrap tables). */
static uint64_t l2e_maddr(uint64_t va)
{
	uint64_t mfn = pv_current_l4_mfn();
	int level;

	for (level = 4; level > 2; level--) {
		const uint64_t *t = pv_pfn_to_va(pv_mfn_to_pfn(mfn));
		uint64_t e = t[(va >> (12 + 9 * (level - 1))) & 511];

		mfn = (e & PV_PTE_ADDR) >> 12;
	}
	return (mfn << 12) + ((va >> 21) & 511) * 8;
}

static void test_superpage_over_table(void)
{
	uint64_t l1_mfn = pv_l1e_maddr(VA(alias_slot)) >> 12;
	struct mmu_update u;

	pv_test_begin("hostile.superpage_over_page_table");
	/* The L2 entry of alias_slot rewritten as a 2 MiB superpage over
	 * the 2 MiB that hold its own L1 table. */
	u.ptr = l2e_maddr(VA(alias_slot)) | MMU_NORMAL_PT_UPDATE;
	u.val = ((l1_mfn << 12) & ~0x1fffffULL) | PV_PTE_P | PV_PTE_RW |
		PV_PTE_A | PV_PTE_PS;
	CHECK_REFUSED(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), E_INVAL,
		      XENO_WHY_BAD_FLAGS);
	PV_CHECK_EQ(pv_lookup_pte(VA(alias_slot)) & PV_PTE_P, PV_PTE_P);
	pv_test_end();
}

static void test_linear_self_map(void)
{
	uint64_t l4 = pv_current_l4_mfn();
	uint64_t slot = l4 * 4096 + 300 * 8; /* a free guest slot */
	struct mmu_update u = { .ptr = slot | MMU_NORMAL_PT_UPDATE };

	pv_test_begin("hostile.writable_linear_self_map");
	u.val = (l4 << 12) | PV_PTE_P | PV_PTE_RW | PV_PTE_A;
	CHECK_REFUSED(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), E_INVAL,
		      XENO_WHY_LINEAR_WRITABLE);
	/* Read-only, the same self-map is allowed; then removed. */
	u.val = (l4 << 12) | PV_PTE_P | PV_PTE_A;
	PV_CHECK_OK(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF));
	u.val = 0;
	PV_CHECK_OK(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF));
	pv_tlb_flush_local();
	pv_test_end();
}

static void test_bad_batch_middle(void)
{
	uint64_t own = pv_va_to_mfn(table_page);
	struct mmu_update u[3];
	unsigned int done = 99;
	uint64_t seq0 = 0, seq1 = 0;

	pv_test_begin("hostile.batch_bad_element_in_middle");
	last_reason(&seq0);
	u[0].ptr = pv_l1e_maddr(VA(alias_slot));
	u[0].val = (own << 12) | PV_PTE_DATA;
	u[1].ptr = pv_l1e_maddr(VA(alias_slot));
	u[1].val = (foreign_frame() << 12) | PV_PTE_DATA;
	u[2].ptr = pv_l1e_maddr(VA(alias_slot));
	u[2].val = (HYP_IMAGE_MFN << 12) | PV_PTE_P;
	CHECK_REFUSED(HYPERVISOR_mmu_update(u, 3, &done, DOMID_SELF), E_BUSY,
		      XENO_WHY_L1_NOT_OWNER);
	PV_CHECK_EQ(done, 1);
	last_reason(&seq1);
	PV_CHECK_EQ(seq1, seq0 + 1);
	/* The first element was applied, the third was not. */
	PV_CHECK_EQ((pv_lookup_pte(VA(alias_slot)) & PV_PTE_ADDR) >> 12, own);
	PV_CHECK_OK(pv_map_page(VA(alias_slot), alias_mfn, PV_PTE_DATA));
	pv_test_end();
}

int main(void)
{
	alias_mfn = pv_va_to_mfn(alias_slot);
	test_map_not_owned();
	test_map_hypervisor();
	test_writable_alias_of_table();
	test_pinned_table();
	test_unpin_in_use();
	test_forge_m2p();
	test_superpage_over_table();
	test_linear_self_map();
	test_bad_batch_middle();
	return 0;
}
