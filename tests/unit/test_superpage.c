/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of guest superpages (mm/superpage.c, docs/mm.md §13): a
 * valid 2 MiB and 1 GiB mapping, the refusals with their exact error and
 * reason (over a page table of each level or a descriptor page, over a
 * foreign, unowned or partly owned region, misaligned, beyond memory,
 * switched off, bad flags), a frame refused as a page table under a live
 * superpage, a frame released under one (held, then freed when the last
 * superpage goes), teardown in the worst order, the stale-TLB flushes
 * and the adjustments. Each test ends with the audit (mm_test.h), which
 * recounts the region records from scratch.
 */
#include <xeno/atomic.h>
#include <xeno/superpage.h>

#include "mm_test.h"

static struct guest g;

#define SP2	 (1ULL << 21)
#define SP_SLOT	 5			   /* g.l2 slot of the 2 MiB tests */
#define SP_VA	 ((uint64_t)SP_SLOT << 21) /* what it maps */
#define SP_FLAGS (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_PS)

/* A fresh, wholly owned 2 MiB region of d: its first frame. */
static struct page_info *new_region(struct mm_domain *d)
{
	struct page_info *pg = frame_alloc(9, FA_DOMAIN);
	unsigned int i;

	assert_non_null(pg);
	for (i = 0; i < 512; i++) {
		assert_int_equal(mm_domain_assign(d, &pg[i]), 0);
	}
	return pg;
}

/* mmu_update of one entry of g's tables; returns the hypercall's result. */
static long set_entry(struct page_info *table, unsigned int slot, uint64_t e)
{
	struct mmu_update r = mu(ma(table, slot), MMU_NORMAL_PT_UPDATE, e);

	return mmu(&g, &r, 1, NULL, DOMID_SELF);
}

/* Expects set_entry to fail with err and reason. */
static void refused(struct page_info *table, unsigned int slot, uint64_t e,
		    long err, enum xeno_why reason)
{
	assert_int_equal(set_entry(table, slot, e), err);
	assert_int_equal(why(&g)->reason, reason);
	assert_int_equal(tab(table)[slot], 0);
}

static uint64_t maps_of(unsigned int level, const struct page_info *pg)
{
	return (atomic_read64(&superpage_region(level, mfn_of(pg))->use) >>
		20) &
	       0xffffffffULL;
}

static uint64_t tables_of(unsigned int level, const struct page_info *pg)
{
	return atomic_read64(&superpage_region(level, mfn_of(pg))->use) &
	       0xfffff;
}

/* ---- valid mappings ---------------------------------------------------------- */

/* A 2 MiB mapping of the domain's own region: no frame reference moves. */
static void test_map_2m(void **state)
{
	struct page_info *r;
	uint64_t free_before;

	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	free_before = frame_free_count();
	assert_int_equal(set_entry(g.l2, SP_SLOT, ent(r, SP_FLAGS)), 0);
	/* Stored like an L1 user entry: G added. */
	assert_int_equal(tab(g.l2)[SP_SLOT], ent(r, SP_FLAGS | PTE_G));
	assert_int_equal(maps_of(2, r), 1);
	assert_int_equal(page_count(&r[0]), 1);
	assert_int_equal(page_count(&r[511]), 1);
	assert_int_equal(ptype_count(&r[7]), 0);
	assert_int_equal(mm_audit(), 0);
	/* The guest reads and writes through it (last frame, last byte). */
	assert_int_equal(guest_copy_to(SP_VA + SP2 - 2, "sp", 2), 0);
	assert_memory_equal((char *)tab(&r[511]) + PAGE_SIZE - 2, "sp", 2);
	/* Unmapped: the region's count goes back. */
	assert_int_equal(set_entry(g.l2, SP_SLOT, 0), 0);
	assert_int_equal(maps_of(2, r), 0);
	assert_int_equal(frame_free_count(), free_before);
}

/* Kernel-only superpages get the guest-kernel marker, as L1 entries do. */
static void test_adjust_kernel(void **state)
{
	struct page_info *r;

	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	assert_int_equal(set_entry(g.l2, SP_SLOT, ent(r, PTE_P | PTE_PS)), 0);
	assert_int_equal(tab(g.l2)[SP_SLOT],
			 ent(r, PTE_P | PTE_PS | PTE_US | PTE_GUEST_KERNEL));
	/* The same region twice: two map references. */
	assert_int_equal(set_entry(g.l2, SP_SLOT + 1, ent(r, PTE_P | PTE_PS)),
			 0);
	assert_int_equal(maps_of(2, r), 2);
}

/* Flags: G allowed, PAT (bit 12) and PWT/PCD only with I/O resources. */
static void test_flags(void **state)
{
	struct page_info *r;

	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	refused(g.l2, SP_SLOT, ent(r, SP_FLAGS | PTE_PCD), -EINVAL,
		XENO_WHY_BAD_FLAGS);
	refused(g.l2, SP_SLOT, ent(r, SP_FLAGS) | (1ULL << 12), -EINVAL,
		XENO_WHY_BAD_FLAGS);
	assert_int_equal(set_entry(g.l2, SP_SLOT, ent(r, SP_FLAGS | PTE_G)), 0);
	d1.io_caching = true;
	assert_int_equal(set_entry(g.l2, SP_SLOT + 1,
				   ent(r, SP_FLAGS | PTE_PCD) | (1ULL << 12)),
			 0);
	assert_int_equal(maps_of(2, r), 2);
	d1.io_caching = false;
	/* PS in an L4 is still just a bad bit. */
	refused(g.l4, 3, ent(g.l3, PTE_P | PTE_PS), -EINVAL,
		XENO_WHY_BAD_FLAGS);
}

/* ---- refusals --------------------------------------------------------------------- */

/* A frame of the region in use as an L1..L4: refused, nothing held. */
static void test_over_page_tables(void **state)
{
	struct page_info *r;
	uint64_t level;

	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	for (level = 1; level <= 4; level++) {
		uint64_t type = level << PGT_type_shift;

		assert_int_equal(ptype_pin(&d1, mfn_of(&r[100]), type, 0), 0);
		assert_int_equal(tables_of(2, r), 1);
		refused(g.l2, SP_SLOT, ent(r, SP_FLAGS), -EINVAL,
			XENO_WHY_SUPERPAGE_HAS_TABLES);
		assert_int_equal(why(&g)->mfn, mfn_x(mfn_of(r)));
		/* Read-only makes no difference. */
		refused(g.l2, SP_SLOT, ent(r, SP_FLAGS & ~PTE_RW), -EINVAL,
			XENO_WHY_SUPERPAGE_HAS_TABLES);
		assert_int_equal(maps_of(2, r), 0);
		/* Once it is no table, the superpage is fine. */
		assert_int_equal(ptype_unpin(&d1, mfn_of(&r[100])), 0);
		assert_int_equal(tables_of(2, r), 0);
		assert_int_equal(set_entry(g.l2, SP_SLOT, ent(r, SP_FLAGS)), 0);
		assert_int_equal(set_entry(g.l2, SP_SLOT, 0), 0);
	}
}

/*
 * A descriptor page (the GDT/LDT code takes the type through the same
 * hooks): refused as a page table is.
 */
static void test_over_descriptor_page(void **state)
{
	struct page_info *r, *desc;

	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	desc = &r[3];
	assert_int_equal(superpage_table_begin(desc, PGT_seg_desc), 0);
	desc->type_info = PGT_seg_desc | PGT_validated | 1;
	assert_true(page_get(desc, &d1));
	mm_hold_outside_typed_ref(desc);
	refused(g.l2, SP_SLOT, ent(r, SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_HAS_TABLES);
	assert_int_equal(mm_audit(), 0);
	mm_drop_outside_typed_ref(desc);
	desc->type_info = PGT_seg_desc;
	superpage_table_end(desc);
	page_put(desc);
	assert_int_equal(set_entry(g.l2, SP_SLOT, ent(r, SP_FLAGS)), 0);
	/* And a descriptor page cannot appear under it. */
	assert_int_equal(superpage_table_begin(desc, PGT_seg_desc), -EINVAL);
}

/* Another domain's region; a region partly another's; one partly free. */
static void test_not_owner(void **state)
{
	struct page_info *r2, *mixed;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	r2 = new_region(&d2);
	refused(g.l2, SP_SLOT, ent(r2, SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_NOT_OWNER);
	assert_int_equal(why(&g)->mfn, mfn_x(mfn_of(r2)));
	assert_int_equal(maps_of(2, r2), 0);

	mixed = frame_alloc(9, FA_DOMAIN);
	assert_non_null(mixed);
	for (i = 0; i < 512; i++) {
		assert_int_equal(
			mm_domain_assign(i < 256 ? &d1 : &d2, &mixed[i]), 0);
	}
	refused(g.l2, SP_SLOT, ent(mixed, SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_NOT_OWNER);
	/* d2's half given back (freed): still not wholly d1's. */
	for (i = 256; i < 512; i++) {
		assert_int_equal(mm_domain_release(&d2, &mixed[i]), 0);
	}
	refused(g.l2, SP_SLOT, ent(mixed, SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_NOT_OWNER);

	/* A region with hypervisor (reserved) frames: region 0. */
	refused(g.l2, SP_SLOT, pte_make(mfn(0), SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_NOT_OWNER);
}

static void test_region_checks(void **state)
{
	struct page_info *r;

	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	/* Not 2 MiB aligned. */
	refused(g.l2, SP_SLOT, ent(&r[2], SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_ALIGN);
	/* Beyond the end of memory. */
	refused(g.l2, SP_SLOT, pte_make(mfn(MM_TEST_FRAMES), SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_NOT_RAM);
	/* Switched off (boot option or CPU). */
	superpage_configure(false, false);
	refused(g.l2, SP_SLOT, ent(r, SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_UNSUPPORTED);
	refused(g.l3, 1, ent(r, SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_UNSUPPORTED);
	superpage_configure(true, true);
	/* A 1 GiB superpage needs a 1 GiB region this machine lacks. */
	refused(g.l3, 1, pte_make(mfn(0), SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_NOT_RAM);
}

/* ---- tables under superpages ---------------------------------------------------- */

/* No frame under a live superpage can become a table: pin, entry, root. */
static void test_table_under_superpage(void **state)
{
	struct page_info *r;
	struct mmuext_op o;

	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	assert_int_equal(set_entry(g.l2, SP_SLOT, ent(r, SP_FLAGS)), 0);
	o = eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(&r[9])), 0);
	assert_int_equal(ext(&g, &o, 1, NULL, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_UNDER_SUPERPAGE);
	assert_int_equal(why(&g)->mfn, mfn_x(mfn_of(&r[9])));
	assert_int_equal(why(&g)->value, PGT_l1);
	/* As the target of an L2 entry (an L1 to be). */
	refused(g.l2, SP_SLOT + 1, ent(&r[9], PTE_P | PTE_RW), -EINVAL,
		XENO_WHY_UNDER_SUPERPAGE);
	o = eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(&r[10])), 0);
	assert_int_equal(ext(&g, &o, 1, NULL, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_UNDER_SUPERPAGE);
	assert_int_equal(tables_of(2, r), 0);
	assert_int_equal(ptype_count(&r[9]), 0);
	/* Writable 4 KiB mappings of its frames are fine. */
	assert_int_equal(set_entry(g.l1, 30, ent(&r[9], PTE_P | PTE_RW)), 0);
	/* Unmapped: the frame may become a table again. */
	assert_int_equal(set_entry(g.l1, 30, 0), 0);
	assert_int_equal(set_entry(g.l2, SP_SLOT, 0), 0);
	o = eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(&r[9])), 0);
	assert_int_equal(ext(&g, &o, 1, NULL, DOMID_SELF), 0);
	assert_int_equal(tables_of(2, r), 1);
}

/*
 * Stale TLB entries: a table going idle stamps its region, so a writable
 * superpage over it flushes; a superpage going stamps it, so a table
 * appearing under it flushes.
 */
static void test_stale_flushes(void **state)
{
	struct page_info *r;
	struct tlb_stats before, after;

	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	assert_int_equal(ptype_pin(&d1, mfn_of(&r[1]), PGT_l1, 0), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(&r[1])), 0);
	tlb_stats_read(&before);
	assert_int_equal(set_entry(g.l2, SP_SLOT, ent(r, SP_FLAGS)), 0);
	tlb_stats_read(&after);
	assert_int_equal(after.stale_checks, before.stale_checks + 1);
	assert_int_equal(set_entry(g.l2, SP_SLOT, 0), 0);
	tlb_stats_read(&before);
	assert_int_equal(ptype_pin(&d1, mfn_of(&r[2]), PGT_l1, 0), 0);
	tlb_stats_read(&after);
	/* r[2] was never a table: only the superpage's stamp counts. */
	assert_int_equal(after.stale_checks, before.stale_checks + 1);
}

/* ---- releasing frames under superpages -------------------------------------------- */

/* A frame given back under a live superpage stays allocated until it goes. */
static void test_release_under_superpage(void **state)
{
	struct page_info *r;
	struct superpage_stats st;
	uint64_t free_before;

	superpage_stats_reset();
	guest_init(&g, &d1, 0, 1);
	r = new_region(&d1);
	assert_int_equal(set_entry(g.l2, SP_SLOT, ent(r, SP_FLAGS)), 0);
	free_before = frame_free_count();
	assert_int_equal(mm_domain_release(&d1, &r[42]), 0);
	assert_int_equal(frame_free_count(), free_before);
	assert_int_equal(page_count(&r[42]), 1);
	assert_true(r[42].order & PGO_SP_HELD);
	assert_false(mm_domain_holds(&r[42]));
	assert_int_equal(superpage_region(2, mfn_of(r))->held, 1);
	/* Still counted against the domain's limit until it is freed. */
	assert_int_equal(d1.released_pages, 1);
	assert_true(r[42].order & PGO_RELEASED);
	assert_int_equal(mm_audit(), 0);
	/* Still mapped: the guest can use it. */
	assert_int_equal(guest_copy_to(SP_VA + 42 * PAGE_SIZE, "x", 1), 0);
	/* No new superpage over a region no longer wholly ours. */
	refused(g.l2, SP_SLOT + 1, ent(r, SP_FLAGS), -EINVAL,
		XENO_WHY_SUPERPAGE_NOT_OWNER);
	/* Nor can it become a table: it was given back. */
	assert_int_equal(ptype_pin(&d1, mfn_of(&r[42]), PGT_l1, 0), -EINVAL);
	/* The last superpage goes: so does the frame. */
	assert_int_equal(set_entry(g.l2, SP_SLOT, 0), 0);
	assert_int_equal(frame_free_count(), free_before + 1);
	assert_int_equal(superpage_region(2, mfn_of(r))->held, 0);
	assert_int_equal(d1.released_pages, 0);
	superpage_stats_read(&st);
	assert_int_equal(st.holds, 1);
	assert_int_equal(st.hold_drops, 1);
}

/* A pinned tree whose L2 maps region r twice with superpages. */
static void pin_sp_tree(struct page_info *r)
{
	struct page_info *l2, *l3, *l4;

	l4 = new_frame(&d1);
	l3 = new_frame(&d1);
	l2 = new_frame(&d1);
	tab(l4)[0] = ent(l3, PTE_P | PTE_RW);
	tab(l3)[0] = ent(l2, PTE_P | PTE_RW);
	tab(l2)[0] = ent(r, PTE_P | PTE_RW | PTE_PS);
	tab(l2)[1] = ent(r, PTE_P | PTE_PS);
	assert_int_equal(ptype_pin(&d1, mfn_of(l4), PGT_l4, 0), 0);
	assert_int_equal(maps_of(2, r), 2);
	assert_int_equal(mm_audit(), 0);
}

/*
 * Teardown releases the pinned tables first, although the region's
 * frames come first on the page list: the superpages are gone before
 * the frames go, so none is held, and everything balances.
 */
static void test_teardown_tables_first(void **state)
{
	struct page_info *r;
	struct superpage_stats st;

	superpage_stats_reset();
	r = new_region(&d1);
	pin_sp_tree(r);
	mm_domain_relinquish(&d1);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(frame_free_count(), free_at_start);
	superpage_stats_read(&st);
	assert_int_equal(st.holds, 0);
	assert_int_equal(maps_of(2, r), 0);
}

/*
 * The worst order: the guest gives the region's frames back while the
 * superpages still map them, then the domain is torn down. The region
 * holds each frame until its last superpage goes.
 */
static void test_teardown_balance(void **state)
{
	struct page_info *r;
	struct superpage_stats st;
	unsigned int i;

	superpage_stats_reset();
	r = new_region(&d1);
	pin_sp_tree(r);
	for (i = 0; i < 512; i++) {
		assert_int_equal(mm_domain_release(&d1, &r[i]), 0);
	}
	assert_int_equal(mm_audit(), 0);
	mm_domain_relinquish(&d1);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(frame_free_count(), free_at_start);
	superpage_stats_read(&st);
	assert_int_equal(st.holds, 512);
	assert_int_equal(st.hold_drops, 512);
	assert_int_equal(maps_of(2, r), 0);
}

/* The audit notices a region record that disagrees with the frames. */
static void test_audit_catches(void **state)
{
	struct page_info *r;
	struct sp_region *rec;

	r = new_region(&d1);
	rec = superpage_region(2, mfn_of(r));
	rec->use += 1ULL << 20;
	assert_int_equal(mm_audit(), -1);
	rec->use -= 1ULL << 20;
	rec->use += 1;
	assert_int_equal(mm_audit(), -1);
	rec->use -= 1;
	rec->own -= 1ULL << 16;
	assert_int_equal(mm_audit(), -1);
	rec->own += 1ULL << 16;
	assert_int_equal(mm_audit(), 0);
}

/* The fast path: changing RW of a superpage is never reference-free. */
static void test_same_refs(void **state)
{
	uint64_t e = pte_make(mfn(512), PTE_P | PTE_PS);

	pte_configure(true, false);
	assert_false(pte_same_refs(2, e, e | PTE_RW));
	assert_true(pte_same_refs(2, e, e | PTE_A | PTE_G));
	assert_false(pte_same_refs(2, e, e & ~PTE_PS));
	assert_true(pte_same_refs(2, e & ~PTE_PS, (e & ~PTE_PS) | PTE_RW));
	pte_configure(true, true);
}

/* ---- 1 GiB ------------------------------------------------------------------------ */

#define BIG_FRAMES (2ULL << 18) /* 2 GiB: frames 2^18.. form a free 1 GiB */

static int big_setup(void **state)
{
	host_set_cpu(0);
	host_machine_init(BIG_FRAMES, MM_TEST_CPUS);
	assert_int_equal(m2p_init(BIG_FRAMES), 0);
	mm_domain_registry_init();
	pte_configure(true, true);
	pte_set_l4_template(host_l4_template);
	ptype_set_preempt_interval(0);
	mm_domain_init(&d1, 1, 300000);
	mm_domain_init(&d2, 2, 1000);
	mm_domain_init(&dp, 0, 1000);
	free_at_start = frame_free_count();
	return 0;
}

/*
 * A 1 GiB superpage over a whole region of d1: one count on the 1 GiB
 * record; a table under it is refused; a frame released under it is held
 * by its 2 MiB record until the superpage goes.
 */
static void test_map_1g(void **state)
{
	struct page_info *r = frame_alloc(18, 0), *l3;
	uint64_t i, free_before;

	assert_non_null(r);
	assert_int_equal(mfn_x(mfn_of(r)), 1ULL << 18);
	for (i = 0; i < (1ULL << 18); i++) {
		assert_int_equal(mm_domain_assign(&d1, &r[i]), 0);
	}
	l3 = new_frame(&d1);
	tab(l3)[0] = ent(r, PTE_P | PTE_RW | PTE_PS);
	assert_int_equal(ptype_pin(&d1, mfn_of(l3), PGT_l3, 0), 0);
	assert_int_equal(maps_of(3, r), 1);
	assert_int_equal(maps_of(2, r), 0);
	assert_int_equal(ptype_pin(&d1, mfn_of(&r[4096]), PGT_l1, 0), -EINVAL);
	assert_int_equal(tables_of(2, &r[4096]), 0);
	assert_int_equal(tables_of(3, r), 0);
	free_before = frame_free_count();
	assert_int_equal(mm_domain_release(&d1, &r[70000]), 0);
	assert_true(r[70000].order & PGO_SP_HELD);
	assert_int_equal(frame_free_count(), free_before);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(l3)), 0);
	assert_int_equal(maps_of(3, r), 0);
	assert_false(r[70000].order & PGO_SP_HELD);
	assert_int_equal(frame_free_count(), free_before + 1);
	/* Now a table may appear, and then no 1 GiB superpage. */
	assert_int_equal(ptype_pin(&d1, mfn_of(&r[4096]), PGT_l1, 0), 0);
	tab(l3)[0] = ent(r, PTE_P | PTE_PS);
	assert_int_equal(ptype_pin(&d1, mfn_of(l3), PGT_l3, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_map_2m),
		MM_TEST(test_adjust_kernel),
		MM_TEST(test_flags),
		MM_TEST(test_over_page_tables),
		MM_TEST(test_over_descriptor_page),
		MM_TEST(test_not_owner),
		MM_TEST(test_region_checks),
		MM_TEST(test_table_under_superpage),
		MM_TEST(test_stale_flushes),
		MM_TEST(test_release_under_superpage),
		MM_TEST(test_teardown_tables_first),
		MM_TEST(test_teardown_balance),
		MM_TEST(test_audit_catches),
		MM_TEST(test_same_refs),
		cmocka_unit_test_setup_teardown(test_map_1g, big_setup,
						mm_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
