/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the frame table (mm/frame_table.c, xeno/frame.h): its
 * layout, its initial state and the frame <-> page_info conversions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <host.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>

static int teardown(void **state)
{
	host_machine_fini();
	return 0;
}

/* page_info is 32 bytes with the fields where the comments put them. */
static void test_layout(void **state)
{
	assert_int_equal(sizeof(struct page_info), 32);
	assert_int_equal(offsetof(struct page_info, list), 0);
	assert_int_equal(offsetof(struct page_info, count), 16);
	assert_int_equal(offsetof(struct page_info, owner), 20);
	assert_int_equal(offsetof(struct page_info, order), 22);
	assert_int_equal(offsetof(struct page_info, flags), 23);
	assert_int_equal(offsetof(struct page_info, type_info), 24);
}

/* The table is sized in whole pages, 128 entries per page. */
static void test_bytes(void **state)
{
	assert_int_equal(frame_table_bytes(0), 0);
	assert_int_equal(frame_table_bytes(1), PAGE_SIZE);
	assert_int_equal(frame_table_bytes(128), PAGE_SIZE);
	assert_int_equal(frame_table_bytes(129), 2 * PAGE_SIZE);
	assert_int_equal(frame_table_bytes(1ULL << 20), 32ULL << 20);
}

/* Whatever the memory held, every frame starts reserved and clean. */
static void test_init_all_reserved(void **state)
{
	uint64_t nr = 1000, i;
	size_t bytes = frame_table_bytes(nr);
	void *mem = aligned_alloc(PAGE_SIZE, bytes);

	assert_non_null(mem);
	memset(mem, 0xa5, bytes);
	frame_table_init(mem, nr);
	assert_ptr_equal(frame_table, mem);
	assert_int_equal(frame_table_nr, nr);
	for (i = 0; i < nr; i++) {
		const struct page_info *pg = &frame_table[i];

		assert_int_equal(pg->flags, PGF_RESERVED);
		assert_int_equal(pg->count, 0);
		assert_int_equal(pg->owner, 0);
		assert_int_equal(pg->type_info, 0);
		assert_true(list_empty(&pg->list));
	}
	host_machine_fini();
	free(mem);
}

/* mfn_valid stops exactly at the end; the conversions are inverses. */
static void test_conversions(void **state)
{
	uint64_t nr = 300, i;

	host_machine_init_empty(nr, 1);
	assert_true(mfn_valid(mfn(0)));
	assert_true(mfn_valid(mfn(nr - 1)));
	assert_false(mfn_valid(mfn(nr)));
	assert_false(mfn_valid(INVALID_MFN));
	for (i = 0; i < nr; i++) {
		struct page_info *pg = mfn_to_page(mfn(i));

		assert_ptr_equal(pg, &frame_table[i]);
		assert_int_equal(mfn_x(page_to_mfn(pg)), i);
	}
}

/* Type values are distinct, inside the type mask, apart from the rest. */
static void test_type_constants(void **state)
{
	const uint64_t types[] = { PGT_none, PGT_l1,	   PGT_l2,	PGT_l3,
				   PGT_l4,   PGT_seg_desc, PGT_writable };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		assert_int_equal(types[i] & ~PGT_type_mask, 0);
		for (j = i + 1; j < ARRAY_SIZE(types); j++) {
			assert_true(types[i] != types[j]);
		}
	}
	assert_int_equal(PGT_type_mask & (PGT_pinned | PGT_validated), 0);
	assert_int_equal(PGT_count_mask &
				 (PGT_type_mask | PGT_pinned | PGT_validated),
			 0);
	assert_true(PGT_pinned != PGT_validated);
}

/* The flags are distinct single bits that fit the 8-bit field. */
static void test_flag_constants(void **state)
{
	const unsigned int flags[] = { PGF_FREE,  PGF_RESERVED, PGF_ALLOCATED,
				       PGF_SCRUB, PGF_XMALLOC,	PGF_CACHE,
				       PGF_PERCPU };
	unsigned int i, all = 0;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		assert_int_equal(flags[i] & (flags[i] - 1), 0);
		assert_int_equal(all & flags[i], 0);
		assert_true(flags[i] <= 0x80);
		all |= flags[i];
	}
}

/* The host machine hands out frames only above its reserved low frames. */
static void test_host_machine_reserves_low_frames(void **state)
{
	uint64_t i;

	host_machine_init(256, 1);
	for (i = 0; i < HOST_RESERVED_FRAMES; i++) {
		assert_int_equal(frame_table[i].flags, PGF_RESERVED);
	}
	assert_int_equal(frame_total_count(), 256 - HOST_RESERVED_FRAMES);
	for (i = HOST_RESERVED_FRAMES; i < 256; i++) {
		assert_int_equal(frame_table[i].flags & PGF_RESERVED, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_init_all_reserved),
		cmocka_unit_test_teardown(test_conversions, teardown),
		cmocka_unit_test(test_type_constants),
		cmocka_unit_test(test_flag_constants),
		cmocka_unit_test_teardown(test_host_machine_reserves_low_frames,
					  teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
