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
 *
 * Another domain's page table: run two copies of this guest (cases.txt).
 * The domain builder lays both out alike, so the peer's L4 sits at the
 * same PFN as ours; the M2P, which every guest can read, gives away the
 * frame holding that PFN in another domain. Each copy attacks the
 * peer's L4 first, then marks "done" in the M2P entry of one of its own
 * frames (MMU_MACHPHYS_UPDATE takes any value), and before exiting waits
 * until the peer is done or gone, so the peer finds it alive.
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
#define SCAN_FRAMES    0x10000ULL      /* QEMU gives the test 256 MiB */
#define PEER_DONE      0x7e57d0e000ULL /* an M2P value no PFN has */
#define SP_FRAMES      512ULL

static uint8_t flag_page[4096] __attribute__((aligned(4096)));

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

	/* flag_page's M2P entry is the done mark, not its PFN. */
	if (mfn == pv_va_to_mfn(flag_page)) {
		return true;
	}

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

/* Whether all 512 frames of the 2 MiB region holding mfn are ours. */
static bool region_owned(uint64_t mfn)
{
	uint64_t first = mfn & ~(SP_FRAMES - 1), i;

	for (i = 0; i < SP_FRAMES; i++) {
		if (!owned(first + i)) {
			return false;
		}
	}
	return true;
}

/* Writes the L2 entry mapping alias_slot; returns the hypercall result. */
static long write_alias_l2e(uint64_t val)
{
	struct mmu_update u = {
		.ptr = l2e_maddr(VA(alias_slot)) | MMU_NORMAL_PT_UPDATE,
		.val = val,
	};

	return HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
}

#define SP_RW (PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_PS)

static void test_superpage_over_table(void)
{
	uint64_t l1_mfn = pv_l1e_maddr(VA(alias_slot)) >> 12;

	pv_test_begin("hostile.superpage_over_page_table");
	/*
	 * The L2 entry of alias_slot rewritten as a 2 MiB superpage over
	 * the 2 MiB that hold its own L1 table. The builder gives us whole
	 * 2 MiB blocks, so the region is ours: refused for the table alone.
	 */
	PV_CHECK(region_owned(l1_mfn), "region of mfn 0x%lx not all ours",
		 (unsigned long)l1_mfn);
	CHECK_REFUSED(write_alias_l2e(((l1_mfn << 12) & ~0x1fffffULL) | SP_RW),
		      E_INVAL, XENO_WHY_SUPERPAGE_HAS_TABLES);
	/* Read-only makes no difference. */
	CHECK_REFUSED(write_alias_l2e(((l1_mfn << 12) & ~0x1fffffULL) |
				      (SP_RW & ~PV_PTE_RW)),
		      E_INVAL, XENO_WHY_SUPERPAGE_HAS_TABLES);
	/* Misaligned: the frame must start a 2 MiB region. */
	CHECK_REFUSED(
		write_alias_l2e((((l1_mfn & ~(SP_FRAMES - 1)) | 2) << 12) |
				SP_RW),
		E_INVAL, XENO_WHY_SUPERPAGE_ALIGN);
	PV_CHECK_EQ(pv_lookup_pte(VA(alias_slot)) & PV_PTE_P, PV_PTE_P);
	pv_test_end();
}

/* A 2 MiB region inside RAM whose first frame is not ours. */
static uint64_t foreign_region(void)
{
	uint64_t r = 0xf000; /* well below the top of the 256 MiB */

	while (owned(r)) {
		r -= SP_FRAMES;
	}
	return r;
}

static void test_superpage_foreign(void)
{
	uint64_t f = foreign_region();

	pv_test_begin("hostile.superpage_over_foreign_memory");
	CHECK_REFUSED(write_alias_l2e((f << 12) | SP_RW), E_INVAL,
		      XENO_WHY_SUPERPAGE_NOT_OWNER);
	CHECK_REFUSED(write_alias_l2e((f << 12) | (SP_RW & ~PV_PTE_RW)),
		      E_INVAL, XENO_WHY_SUPERPAGE_NOT_OWNER);
	/* The hypervisor's own memory (its image at 1 MiB: region 0). */
	CHECK_REFUSED(write_alias_l2e(SP_RW), E_INVAL,
		      XENO_WHY_SUPERPAGE_NOT_OWNER);
	PV_CHECK_EQ(pv_lookup_pte(VA(alias_slot)) & PV_PTE_P, PV_PTE_P);
	pv_test_end();
}

/* ---- another domain's page table -------------------------------------------- */

/* A frame of another domain at the PFN our L4 has: the peer's L4. */
static uint64_t find_peer_l4(void)
{
	uint64_t pfn = pv_mfn_to_pfn(pv_current_l4_mfn()), mfn;

	for (mfn = 0; mfn < SCAN_FRAMES; mfn++) {
		if (pv_mfn_to_pfn(mfn) == pfn && !owned(mfn)) {
			return mfn;
		}
	}
	return PV_INVALID_FRAME;
}

/* Whether a frame not ours carries the peer's "done" mark. */
static bool peer_done(void)
{
	uint64_t mfn;

	for (mfn = 0; mfn < SCAN_FRAMES; mfn++) {
		if (pv_mfn_to_pfn(mfn) == PEER_DONE && !owned(mfn)) {
			return true;
		}
	}
	return false;
}

static void mark_done(void)
{
	struct mmu_update u = {
		.ptr = (pv_va_to_mfn(flag_page) << 12) | MMU_MACHPHYS_UPDATE,
		.val = PEER_DONE,
	};

	PV_CHECK_OK(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF));
}

static void test_peer_page_table(void)
{
	uint64_t peer = find_peer_l4(), l4 = pv_current_l4_mfn();
	struct xeno_mm_frame_info fi = { .mfn = peer };
	struct mmu_update u;

	pv_test_begin("hostile.map_other_domains_page_table");
	PV_CHECK(peer != PV_INVALID_FRAME, "no peer domain found");
	if (peer == PV_INVALID_FRAME) {
		pv_test_end();
		return;
	}
	/* Xeno tells us nothing about it. */
	PV_CHECK_EQ(HYPERVISOR_xeno_mm_op(XENO_MM_frame_info, &fi), -E_PERM);
	/* Neither read-only nor writable, nor as a superpage. */
	CHECK_REFUSED(pv_map_page(VA(alias_slot), peer, PV_PTE_P | PV_PTE_A),
		      E_BUSY, XENO_WHY_L1_NOT_OWNER);
	CHECK_REFUSED(pv_map_page(VA(alias_slot), peer, PV_PTE_DATA), E_BUSY,
		      XENO_WHY_L1_NOT_OWNER);
	CHECK_REFUSED(write_alias_l2e(((peer << 12) & ~0x1fffffULL) | SP_RW),
		      E_INVAL, XENO_WHY_SUPERPAGE_NOT_OWNER);
	/* Not as a table of ours, a pin or a root. */
	u.ptr = (l4 << 12) + 300 * 8;
	u.val = (peer << 12) | PV_PTE_P | PV_PTE_A;
	CHECK_REFUSED(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF), E_INVAL,
		      XENO_WHY_TABLE_NOT_OWNER);
	CHECK_REFUSED(pv_pin_table(4, peer), E_INVAL, XENO_WHY_NOT_OWN_FRAME);
	CHECK_REFUSED(pv_new_baseptr(peer), E_INVAL, XENO_WHY_NOT_OWN_FRAME);
	PV_CHECK_EQ((pv_lookup_pte(VA(alias_slot)) & PV_PTE_ADDR) >> 12,
		    alias_mfn);
	pv_test_end();
}

/* Before exiting: the peer must find us alive until it is done. */
static void wait_for_peer(void)
{
	uint64_t until = pv_now_ns() + 20000000000ULL;

	while (find_peer_l4() != PV_INVALID_FRAME && !peer_done() &&
	       pv_now_ns() < until) {
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
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
	test_peer_page_table();
	mark_done();
	test_map_not_owned();
	test_map_hypervisor();
	test_writable_alias_of_table();
	test_pinned_table();
	test_unpin_in_use();
	test_forge_m2p();
	test_superpage_over_table();
	test_superpage_foreign();
	test_linear_self_map();
	test_bad_batch_middle();
	wait_for_peer();
	return 0;
}
