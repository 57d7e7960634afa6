/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the entry rules (mm/pte.c) through the operation a guest
 * uses, pinning a table holding the entry: every flag bit of every level,
 * NX with and without CPU support, cache attributes with and without I/O
 * resources, every kind of target frame, the stored adjustments, and the
 * exact references each accepted entry holds. Each test ends with the
 * audit (mm_test.h).
 */
#include "mm_test.h"

#define SLOT 5

/*
 * Pins a fresh table of the level holding e at SLOT (and junk-free
 * elsewhere). Returns the pin's result; on success *stored is what the
 * table holds at SLOT and the table stays pinned.
 */
static int pin_with(struct mm_domain *d, unsigned int level, uint64_t e,
		    uint64_t *stored, struct page_info **table)
{
	struct page_info *t = new_frame(d);
	int rc;

	tab(t)[SLOT] = e;
	rc = ptype_pin(d, mfn_of(t), (uint64_t)level << PGT_type_shift, 0);
	if (stored != NULL) {
		*stored = tab(t)[SLOT];
	}
	if (table != NULL) {
		*table = t;
	}
	return rc;
}

/* Pins an L1 mapping target with flags; returns the result. */
static int l1_try(struct mm_domain *d, struct page_info *target, uint64_t flags)
{
	return pin_with(d, 1, ent(target, flags), NULL, NULL);
}

/* ---- L1 flags ------------------------------------------------------------ */

/* Every bit §9.5.1 allows in an L1 entry is accepted on its own. */
static void test_l1_allowed_bits(void **state)
{
	static const uint64_t ok[] = {
		0,	    PTE_RW,	PTE_US,
		PTE_A,	    PTE_D,	PTE_G,
		1ULL << 9,  1ULL << 10, 1ULL << 11,
		1ULL << 52, 1ULL << 55, 1ULL << 61,
		1ULL << 62, PTE_NX,	PTE_AVL_HIGH | PTE_AVL,
	};
	struct page_info *data = new_frame(&d1);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		assert_int_equal(l1_try(&d1, data, PTE_P | ok[i]), 0);
	}
	assert_int_equal(ptype_count(data), 1); /* the one RW mapping */
}

/* PWT, PCD and PAT need I/O resources (§9.5.1). */
static void test_l1_cache_bits(void **state)
{
	static const uint64_t cache[] = { PTE_PWT, PTE_PCD, PTE_PAT,
					  PTE_PWT | PTE_PCD };
	struct page_info *data = new_frame(&d1);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cache); i++) {
		assert_int_equal(l1_try(&d1, data, PTE_P | cache[i]), -EINVAL);
	}
	assert_int_equal(page_count(data), 1);
	d1.io_caching = true;
	for (i = 0; i < ARRAY_SIZE(cache); i++) {
		assert_int_equal(l1_try(&d1, data, PTE_P | cache[i]), 0);
	}
	assert_int_equal(page_count(data), 1 + ARRAY_SIZE(cache));
}

/* NX is reserved when the CPU lacks it. */
static void test_l1_nx(void **state)
{
	struct page_info *data = new_frame(&d1);

	pte_configure(false, true);
	assert_int_equal(l1_try(&d1, data, PTE_P | PTE_NX), -EINVAL);
	pte_configure(true, true);
	assert_int_equal(l1_try(&d1, data, PTE_P | PTE_NX), 0);
}

/* Non-present entries are accepted as they are and hold nothing. */
static void test_l1_not_present(void **state)
{
	struct page_info *data = new_frame(&d1);
	uint64_t junk = ~PTE_P, stored;

	assert_int_equal(pin_with(&d1, 1, junk, &stored, NULL), 0);
	assert_int_equal(stored, junk);
	assert_int_equal(pin_with(&d1, 1, ent(data, PTE_RW), &stored, NULL), 0);
	assert_int_equal(page_count(data), 1);
	assert_int_equal(ptype_count(data), 0);
}

/* ---- L1 targets ---------------------------------------------------------- */

/* A read-only mapping holds a general reference, a writable one also a
 * writable type reference; unpinning drops exactly those. */
static void test_l1_references(void **state)
{
	struct page_info *ro = new_frame(&d1), *rw = new_frame(&d1), *t;

	assert_int_equal(pin_with(&d1, 1, ent(ro, PTE_P), NULL, &t), 0);
	assert_int_equal(page_count(ro), 2);
	assert_int_equal(ptype_count(ro), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), 0);
	assert_int_equal(page_count(ro), 1);

	assert_int_equal(pin_with(&d1, 1, ent(rw, PTE_P | PTE_RW), NULL, &t),
			 0);
	assert_int_equal(page_count(rw), 2);
	assert_int_equal(ptype_type(rw), PGT_writable);
	assert_int_equal(ptype_count(rw), 1);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), 0);
	assert_int_equal(page_count(rw), 1);
	assert_int_equal(ptype_count(rw), 0);
}

/* The same frame mapped many times counts every mapping. */
static void test_l1_many_mappings(void **state)
{
	struct page_info *data = new_frame(&d1), *t = new_frame(&d1);
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++) {
		tab(t)[i] = ent(data, PTE_P | (i % 2 ? PTE_RW : 0));
	}
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	assert_int_equal(page_count(data), 1 + PT_ENTRIES);
	assert_int_equal(ptype_count(data), PT_ENTRIES / 2);
}

/* Frames not RAM: MMIO/reserved -EPERM, the all-ones frame -EINVAL. */
static void test_l1_not_ram(void **state)
{
	uint64_t beyond = pte_make(mfn(MM_TEST_FRAMES + 5), PTE_P);
	uint64_t reserved = pte_make(mfn(3), PTE_P);
	uint64_t ones = PTE_ADDR | PTE_P;

	assert_int_equal(pin_with(&d1, 1, beyond, NULL, NULL), -EPERM);
	assert_int_equal(pin_with(&d1, 1, reserved, NULL, NULL), -EPERM);
	assert_int_equal(pin_with(&d1, 1, ones, NULL, NULL), -EINVAL);
	assert_int_equal(pin_with(&dp, 1, beyond, NULL, NULL), -EPERM);
}

/* RAM the domain does not own: -EBUSY (free, xmalloc, another domain). */
static void test_l1_not_owned(void **state)
{
	struct page_info *fr = frame_alloc(0, 0), *other = new_frame(&d2);
	void *keep;
	struct page_info *xm = xmalloc_frame(&keep);

	struct page_info *t = new_frame(&d1);

	/* Freed after the table is allocated, so it stays free. */
	frame_free(fr, 0, 0);
	tab(t)[0] = ent(fr, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), -EBUSY);
	assert_int_equal(l1_try(&d1, xm, PTE_P), -EBUSY);
	assert_int_equal(l1_try(&dp, xm, PTE_P), -EBUSY);
	assert_int_equal(l1_try(&d1, other, PTE_P), -EBUSY);
	assert_int_equal(l1_try(&d1, other, PTE_P | PTE_RW), -EBUSY);
	assert_int_equal(page_count(other), 1);
	xfree(keep);
}

/* A privileged domain may map other domains' frames, with references. */
static void test_l1_privileged_foreign(void **state)
{
	struct page_info *other = new_frame(&d2);

	assert_int_equal(l1_try(&dp, other, PTE_P | PTE_RW), 0);
	assert_int_equal(page_count(other), 2);
	assert_int_equal(ptype_count(other), 1);
	/* The owner's teardown leaves the mapped frame allocated. */
	mm_domain_relinquish(&d2);
	assert_int_equal(page_count(other), 1);
	assert_int_equal(frame_free_count(), free_at_start - 1 - 1);
	assert_int_equal(mm_audit(), 0);
}

/* Page tables may be mapped read-only, never writable (-EBUSY). */
static void test_l1_table_writable(void **state)
{
	struct page_info *l1, *data = new_frame(&d1);

	assert_int_equal(pin_with(&d1, 1, ent(data, PTE_P), NULL, &l1), 0);
	assert_int_equal(l1_try(&d1, l1, PTE_P | PTE_RW), -EBUSY);
	assert_int_equal(l1_try(&d1, l1, PTE_P), 0);
	assert_int_equal(ptype_count(l1), 1);
}

/* An L1 mapping itself: read-only is fine, writable is -EBUSY. */
static void test_l1_maps_itself(void **state)
{
	struct page_info *t = new_frame(&d1);

	tab(t)[0] = ent(t, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	assert_int_equal(page_count(t), 3); /* alloc, pin, self-mapping */
	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), 0);
	tab(t)[0] = ent(t, PTE_P | PTE_RW);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), -EBUSY);
	assert_int_equal(page_count(t), 1);
}

/* A failing entry releases every entry before it. */
static void test_l1_failure_releases(void **state)
{
	struct page_info *t = new_frame(&d1), *data = new_frame(&d1);
	unsigned int i;

	for (i = 0; i < 100; i++) {
		tab(t)[i] = ent(data, PTE_P | PTE_RW);
	}
	tab(t)[100] = ent(data, PTE_P | PTE_PCD);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), -EINVAL);
	assert_int_equal(page_count(data), 1);
	assert_int_equal(ptype_count(data), 0);
	assert_int_equal(ptype_count(t), 0);
	assert_false(ptype_validated(t));
	assert_int_equal(tab(t)[0], ent(data, PTE_P | PTE_RW)); /* untouched */
}

/* ---- adjustments (§9.6) --------------------------------------------------- */

static void test_l1_adjust(void **state)
{
	struct page_info *data = new_frame(&d1);
	uint64_t s;

	/* Kernel-only: US and the guest-kernel marker. */
	assert_int_equal(pin_with(&d1, 1, ent(data, PTE_P), &s, NULL), 0);
	assert_int_equal(s, ent(data, PTE_P | PTE_US | PTE_GUEST_KERNEL));
	/* User: US kept, G added. */
	assert_int_equal(pin_with(&d1, 1, ent(data, PTE_P | PTE_US), &s, NULL),
			 0);
	assert_int_equal(s, ent(data, PTE_P | PTE_US | PTE_G));
	/* A kernel-only global entry keeps G. */
	assert_int_equal(pin_with(&d1, 1, ent(data, PTE_P | PTE_G), &s, NULL),
			 0);
	assert_int_equal(s,
			 ent(data, PTE_P | PTE_US | PTE_G | PTE_GUEST_KERNEL));
	/* Other bits survive. */
	assert_int_equal(pin_with(&d1, 1,
				  ent(data, PTE_P | PTE_NX | PTE_A | PTE_D |
						    (1ULL << 9)),
				  &s, NULL),
			 0);
	assert_int_equal(s, ent(data, PTE_P | PTE_NX | PTE_A | PTE_D |
					      (1ULL << 9) | PTE_US |
					      PTE_GUEST_KERNEL));
}

/* Revalidating an adjusted table changes nothing more. */
static void test_adjust_idempotent(void **state)
{
	struct page_info *t = new_frame(&d1), *data = new_frame(&d1);
	uint64_t first[3];

	tab(t)[0] = ent(data, PTE_P);
	tab(t)[1] = ent(data, PTE_P | PTE_US);
	tab(t)[2] = ent(data, PTE_P | PTE_G);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	memcpy(first, tab(t), sizeof(first));
	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), 0);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	assert_memory_equal(first, tab(t), sizeof(first));
}

/* ---- L2, L3, L4 flags ------------------------------------------------------ */

/*
 * Bits refused above L1: PWT, PCD, PS, G (and NX without CPU support).
 * PS in an L2 or L3 asks for a superpage, refused here because one 4 KiB
 * frame is no whole region of the domain (test_superpage.c).
 */
static void test_upper_refused_bits(void **state)
{
	static const uint64_t bad[] = { PTE_PWT, PTE_PCD, PTE_PS, PTE_G };
	unsigned int level, i;

	for (level = 2; level <= 4; level++) {
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			struct page_info *lower = new_frame(&d1);

			assert_int_equal(pin_with(&d1, level,
						  ent(lower, PTE_P | bad[i]),
						  NULL, NULL),
					 -EINVAL);
			assert_int_equal(page_count(lower), 1);
			assert_int_equal(ptype_count(lower), 0);
		}
	}
	pte_configure(false, true);
	assert_int_equal(pin_with(&d1, 2, ent(new_frame(&d1), PTE_P | PTE_NX),
				  NULL, NULL),
			 -EINVAL);
}

/* Allowed bits above L1, and the adjustments: US (L2, L3), US|A (L4). */
static void test_upper_allowed_and_adjust(void **state)
{
	uint64_t extra = PTE_RW | PTE_D | PTE_NX | PTE_AVL | PTE_AVL_HIGH;
	unsigned int level;

	for (level = 2; level <= 4; level++) {
		struct page_info *lower = new_frame(&d1);
		uint64_t s, want = ent(lower, PTE_P | extra | PTE_US);

		want |= level == 4 ? PTE_A : 0;
		assert_int_equal(pin_with(&d1, level, ent(lower, PTE_P | extra),
					  &s, NULL),
				 0);
		assert_int_equal(s, want);
		assert_int_equal(ptype_type(lower), (uint64_t)(level - 1)
							    << PGT_type_shift);
		assert_int_equal(ptype_count(lower), 1);
		assert_int_equal(page_count(lower), 2);
		assert_true(ptype_validated(lower));
	}
}

/* Above L1 the target must be the domain's own RAM: -EINVAL otherwise. */
static void test_upper_targets(void **state)
{
	struct page_info *other = new_frame(&d2);
	uint64_t beyond = pte_make(mfn(MM_TEST_FRAMES + 5), PTE_P);

	assert_int_equal(pin_with(&d1, 2, ent(other, PTE_P), NULL, NULL),
			 -EINVAL);
	assert_int_equal(pin_with(&dp, 2, ent(other, PTE_P), NULL, NULL),
			 -EINVAL);
	assert_int_equal(pin_with(&d1, 3, beyond, NULL, NULL), -EINVAL);
	assert_int_equal(pin_with(&d1, 4, pte_make(mfn(2), PTE_P), NULL, NULL),
			 -EINVAL);
	assert_int_equal(page_count(other), 1);
}

/* Above L1 a target in use as another type: -EINVAL. */
static void test_upper_type_conflict(void **state)
{
	struct page_info *data = new_frame(&d1), *l2;

	/* data is mapped writable, so it cannot become an L1. */
	assert_int_equal(l1_try(&d1, data, PTE_P | PTE_RW), 0);
	assert_int_equal(pin_with(&d1, 2, ent(data, PTE_P), NULL, NULL),
			 -EINVAL);
	/* An L2 cannot serve as an L2's L1... */
	assert_int_equal(pin_with(&d1, 2, 0, NULL, &l2), 0);
	assert_int_equal(pin_with(&d1, 3, ent(l2, PTE_P), NULL, NULL), 0);
	/* ...nor an L2 as an L4's L3. */
	assert_int_equal(pin_with(&d1, 4, ent(l2, PTE_P), NULL, NULL), -EINVAL);
}

/* A failing lower table fails the entry with its error. */
static void test_nested_error(void **state)
{
	struct page_info *l1 = new_frame(&d1), *other = new_frame(&d2);
	struct page_info *l2 = new_frame(&d1);

	tab(l1)[7] = ent(other, PTE_P);
	tab(l2)[3] = ent(new_frame(&d1), PTE_P); /* fine */
	tab(l2)[4] = ent(l1, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, 0), -EBUSY);
	assert_int_equal(ptype_count(l1), 0);
	assert_false(ptype_validated(l1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_l1_allowed_bits),
		MM_TEST(test_l1_cache_bits),
		MM_TEST(test_l1_nx),
		MM_TEST(test_l1_not_present),
		MM_TEST(test_l1_references),
		MM_TEST(test_l1_many_mappings),
		MM_TEST(test_l1_not_ram),
		MM_TEST(test_l1_not_owned),
		MM_TEST(test_l1_privileged_foreign),
		MM_TEST(test_l1_table_writable),
		MM_TEST(test_l1_maps_itself),
		MM_TEST(test_l1_failure_releases),
		MM_TEST(test_l1_adjust),
		MM_TEST(test_adjust_idempotent),
		MM_TEST(test_upper_refused_bits),
		MM_TEST(test_upper_allowed_and_adjust),
		MM_TEST(test_upper_targets),
		MM_TEST(test_upper_type_conflict),
		MM_TEST(test_nested_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
