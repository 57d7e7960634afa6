/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the LDT (mm/mm_ldt.c through MMUEXT_SET_LDT, pv-abi
 * §6.2): the frames under the LDT's address become descriptor pages held
 * by the vCPU, each validated; refusals (entries, base, unmapped, not the
 * caller's, mapped writable, a page table, a bad descriptor) keep the old
 * LDT; while installed a frame can be neither mapped writable nor made a
 * table; replacing, removing and destroying the vCPU drop the references.
 * Each test ends with the audit and the leak check (mm_test.h).
 */
#include "mm_test.h"

static struct guest g, hp;

/* The descriptor a test writes to be refused by the stand-in rules. */
#define BAD_DESC 0x0000890000000000ULL /* a present TSS descriptor */

/* Stand-in for the arch's rules: refuses BAD_DESC, raises DPLs to 3. */
static int fake_desc_check(uint64_t *descs)
{
	unsigned int i;

	for (i = 0; i < 512; i++) {
		if (descs[i] == BAD_DESC) {
			mm_why_note(XENO_WHY_BAD_DESCRIPTOR, descs[i],
				    INVALID_MFN);
			return -EINVAL;
		}
	}
	for (i = 0; i < 512; i++) {
		if (descs[i] & (1ULL << 47)) {
			descs[i] |= 3ULL << 45;
		}
	}
	return 0;
}

static long set_ldt(struct guest *gu, uint64_t base, unsigned int ents)
{
	struct mmuext_op o = { .cmd = MMUEXT_SET_LDT };
	uint32_t done;

	o.arg1.linear_addr = base;
	o.arg2.nr_ents = ents;
	return ext(gu, &o, 1, &done, DOMID_SELF);
}

/* Maps pg at guest page slot of gu's L1 with flags, through mmu_update. */
static long map_at(struct guest *gu, unsigned int slot, struct page_info *pg,
		   uint64_t flags, uint32_t fd)
{
	struct mmu_update u = mu(ma(gu->l1, slot), MMU_NORMAL_PT_UPDATE,
				 pg != NULL ? ent(pg, flags) : 0);

	return mmu(gu, &u, 1, NULL, fd);
}

#define RO (PTE_P | PTE_US)
#define RW (PTE_P | PTE_RW | PTE_US)

/* n fresh frames of d mapped read-only from guest page slot on. */
static void map_ro_frames(struct guest *gu, struct mm_domain *d,
			  unsigned int slot, struct page_info **f,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		f[i] = new_frame(d);
		assert_int_equal(map_at(gu, slot + i, f[i], RO, DOMID_SELF), 0);
	}
}

static void setup(struct guest *gu)
{
	ptype_set_seg_desc_check(fake_desc_check);
	guest_init(gu, &d1, 0, 1);
}

/* One page and two: the frames become descriptor pages the vCPU holds. */
static void test_install(void **state)
{
	struct page_info *f[2];

	setup(&g);
	map_ro_frames(&g, &d1, 20, f, 2);
	tab(f[0])[3] = 0x00cf92000000ffffULL; /* data, DPL 0 */
	assert_int_equal(set_ldt(&g, gva(20, 0), 512), 0);
	assert_int_equal(g.v.ldt.ents, 512);
	assert_int_equal(g.v.ldt.base, gva(20, 0));
	assert_int_equal(g.v.ldt.nr_frames, 1);
	assert_true(mfn_eq(g.v.ldt.frames[0], mfn_of(f[0])));
	assert_int_equal(ptype_type(f[0]), PGT_seg_desc);
	assert_int_equal(ptype_count(f[0]), 1);
	assert_true(ptype_validated(f[0]));
	/* Validation fixed the DPL up. */
	assert_int_equal(tab(f[0])[3], 0x00cff2000000ffffULL);
	assert_int_equal(ptype_count(f[1]), 0);
	assert_int_equal(mm_audit(), 0);

	/* 513 entries need the second page; the first is taken again. */
	assert_int_equal(set_ldt(&g, gva(20, 0), 513), 0);
	assert_int_equal(g.v.ldt.nr_frames, 2);
	assert_int_equal(ptype_count(f[0]), 1);
	assert_int_equal(ptype_count(f[1]), 1);
	assert_int_equal(ptype_type(f[1]), PGT_seg_desc);
	assert_int_equal(mm_audit(), 0);

	/* The whole 8192 entries: 16 pages. Teardown drops them. */
	map_ro_frames(&g, &d1, 40, f, 1);
	{
		struct page_info *more[15];

		map_ro_frames(&g, &d1, 41, more, 15);
		assert_int_equal(set_ldt(&g, gva(40, 0), 8192), 0);
		assert_int_equal(g.v.ldt.nr_frames, 16);
		assert_int_equal(ptype_count(more[14]), 1);
	}
	assert_int_equal(ptype_count(f[0]), 1);
}

/* Two pages of the LDT over one frame: two type references. */
static void test_same_frame_twice(void **state)
{
	struct page_info *f = NULL;

	setup(&g);
	f = new_frame(&d1);
	assert_int_equal(map_at(&g, 20, f, RO, DOMID_SELF), 0);
	assert_int_equal(map_at(&g, 21, f, RO, DOMID_SELF), 0);
	assert_int_equal(set_ldt(&g, gva(20, 0), 1024), 0);
	assert_int_equal(ptype_count(f), 2);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(set_ldt(&g, 0, 0), 0);
	assert_int_equal(ptype_count(f), 0);
}

/* Bad arguments and bad pages: -EINVAL with the reason, old LDT kept. */
static void test_refused(void **state)
{
	struct page_info *f[2], *w = NULL;

	setup(&g);
	map_ro_frames(&g, &d1, 20, f, 2);
	assert_int_equal(set_ldt(&g, gva(20, 0), 16), 0);

	assert_int_equal(set_ldt(&g, gva(20, 0), 8193), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LDT_ENTRIES);
	assert_int_equal(set_ldt(&g, gva(20, 8), 1), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LDT_BASE);
	assert_int_equal(set_ldt(&g, HYPERVISOR_VIRT_START, 1), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LDT_BASE);
	assert_int_equal(set_ldt(&g, (1ULL << 47) - 4096, 1024), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LDT_BASE);

	/* The second page is not mapped. */
	assert_int_equal(set_ldt(&g, gva(21, 0), 1024), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LDT_UNMAPPED);
	assert_int_equal(why(&g)->value, gva(22, 0));
	/* The first was taken and given back. */
	assert_int_equal(ptype_count(f[1]), 0);

	/* Mapped writable: the type conflict. */
	w = new_frame(&d1);
	assert_int_equal(map_at(&g, 30, w, RW, DOMID_SELF), 0);
	assert_int_equal(set_ldt(&g, gva(30, 0), 1), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_TYPE_CONFLICT);
	assert_int_equal(why(&g)->type, XENO_FRAME_WRITABLE);

	/* A page table (the guest's own L1, mapped read-only). */
	assert_int_equal(map_at(&g, 31, g.l1, RO, DOMID_SELF), 0);
	assert_int_equal(set_ldt(&g, gva(31, 0), 1), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_TYPE_CONFLICT);

	/* A refused descriptor anywhere in the page. */
	tab(f[1])[511] = BAD_DESC;
	assert_int_equal(set_ldt(&g, gva(21, 0), 1), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_BAD_DESCRIPTOR);
	assert_int_equal(why(&g)->value, BAD_DESC);
	assert_int_equal(ptype_count(f[1]), 0);
	assert_int_equal(tab(f[1])[511], BAD_DESC);

	/* A foreign FD is refused before anything is looked at. */
	{
		struct mmuext_op o = { .cmd = MMUEXT_SET_LDT };
		uint32_t done;

		o.arg1.linear_addr = gva(20, 0);
		o.arg2.nr_ents = 1;
		assert_int_equal(ext(&g, &o, 1, &done, 2), -EPERM);
	}

	/* Through it all the old LDT stayed. */
	assert_int_equal(g.v.ldt.ents, 16);
	assert_true(mfn_eq(g.v.ldt.frames[0], mfn_of(f[0])));
	assert_int_equal(ptype_count(f[0]), 1);
}

/* A frame the caller maps but does not own (a privileged mapping). */
static void test_not_own_frame(void **state)
{
	struct page_info *other = NULL;

	ptype_set_seg_desc_check(fake_desc_check);
	guest_init(&hp, &dp, 0, 2);
	other = new_frame(&d1);
	assert_int_equal(map_at(&hp, 20, other, RO, 1), 0);
	assert_int_equal(set_ldt(&hp, gva(20, 0), 1), -EINVAL);
	assert_int_equal(why(&hp)->reason, XENO_WHY_NOT_OWN_FRAME);
	assert_int_equal(ptype_count(other), 0);
	assert_int_equal(hp.v.ldt.ents, 0);
}

/* While installed the frame cannot become writable or a table. */
static void test_in_use(void **state)
{
	struct page_info *f[1];

	setup(&g);
	map_ro_frames(&g, &d1, 20, f, 1);
	assert_int_equal(set_ldt(&g, gva(20, 0), 8), 0);
	assert_int_equal(map_at(&g, 20, f[0], RW, DOMID_SELF), -EBUSY);
	assert_int_equal(map_at(&g, 21, f[0], RW, DOMID_SELF), -EBUSY);
	assert_int_equal(ptype_pin(&d1, mfn_of(f[0]), PGT_l1, 0), -EINVAL);
	/* Unmapping the address does not move the LDT. */
	assert_int_equal(map_at(&g, 20, NULL, 0, DOMID_SELF), 0);
	assert_int_equal(ptype_count(f[0]), 1);
	assert_int_equal(mm_audit(), 0);
	/* Removed: the frame is free to be writable again. */
	assert_int_equal(set_ldt(&g, 0, 0), 0);
	assert_int_equal(g.v.ldt.ents, 0);
	assert_int_equal(g.v.ldt.nr_frames, 0);
	assert_int_equal(ptype_count(f[0]), 0);
	assert_int_equal(map_at(&g, 20, f[0], RW, DOMID_SELF), 0);
}

/* Each install has a new generation; the vCPU's end drops the frames. */
static void test_generation_and_fini(void **state)
{
	struct page_info *f[1];
	uint64_t g1, g2;

	setup(&g);
	map_ro_frames(&g, &d1, 20, f, 1);
	assert_int_equal(set_ldt(&g, gva(20, 0), 8), 0);
	g1 = g.v.ldt.gen;
	assert_int_equal(set_ldt(&g, gva(20, 0), 8), 0);
	g2 = g.v.ldt.gen;
	assert_true(g2 != g1);
	assert_int_equal(ptype_count(f[0]), 1);
	/* Left installed: mm_test_teardown's mm_vcpu_fini releases it and
	 * checks every frame came back. */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_install), MM_TEST(test_same_frame_twice),
		MM_TEST(test_refused), MM_TEST(test_not_own_frame),
		MM_TEST(test_in_use),  MM_TEST(test_generation_and_fini),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
