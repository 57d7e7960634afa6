/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of domain frames and general references (mm/mm_domain.c):
 * assignment and the allocation reference, the page limit, release with
 * and without other references, page_get's ownership and overflow checks,
 * teardown, and the audit of the page lists.
 */
#include "mm_test.h"

/* An assigned frame: owner, PGF_DOMAIN, count 1, on the list. */
static void test_assign(void **state)
{
	struct page_info *pg = new_frame(&d1);

	assert_int_equal(pg->owner, 1);
	assert_true(pg->flags & PGF_DOMAIN);
	assert_int_equal(page_count(pg), 1);
	assert_true(mm_domain_holds(pg));
	assert_int_equal(d1.tot_pages, 1);
	assert_int_equal(frame_free_count(), free_at_start - 1);
	assert_int_equal(mm_audit(), 0);
}

/* Releasing the only reference frees the frame at once. */
static void test_release_frees(void **state)
{
	struct page_info *pg = new_frame(&d1);

	assert_int_equal(mm_domain_release(&d1, pg), 0);
	assert_int_equal(d1.tot_pages, 0);
	assert_int_equal(frame_free_count(), free_at_start);
	assert_false(pg->flags & PGF_DOMAIN);
}

/* Release of a frame the domain does not hold: -EINVAL, no change. */
static void test_release_not_held(void **state)
{
	struct page_info *a = new_frame(&d1);
	struct page_info *b = new_frame(&d2);

	assert_int_equal(mm_domain_release(&d1, b), -EINVAL);
	assert_int_equal(mm_domain_release(&d1, a), 0);
	assert_int_equal(mm_domain_release(&d1, a), -EINVAL);
	assert_int_equal(page_count(b), 1);
	assert_int_equal(d2.tot_pages, 1);
}

/* At max_pages assignment fails with -ENOMEM and leaves the frame alone. */
static void test_max_pages(void **state)
{
	struct page_info *pg = NULL, *extra;
	unsigned int i;

	d1.max_pages = 3;
	for (i = 0; i < 3; i++) {
		new_frame(&d1);
	}
	assert_int_equal(mm_domain_alloc(&d1, &pg), -ENOMEM);
	assert_null(pg);
	assert_int_equal(frame_free_count(), free_at_start - 3);
	extra = frame_alloc(0, 0);
	assert_int_equal(mm_domain_assign(&d1, extra), -ENOMEM);
	assert_int_equal(extra->owner, 0);
	assert_int_equal(extra->count, 0);
	assert_false(extra->flags & PGF_DOMAIN);
	frame_free(extra, 0, 0);
	assert_int_equal(d1.tot_pages, 3);
}

/* page_get takes references only on live frames of the domain. */
static void test_page_get_owner(void **state)
{
	struct page_info *a = new_frame(&d1);
	struct page_info *b = new_frame(&d2);

	assert_true(page_get(a, &d1));
	assert_int_equal(page_count(a), 2);
	assert_false(page_get(b, &d1));
	assert_int_equal(page_count(b), 1);
	assert_true(page_get_foreign(b));
	page_put(b);
	page_put(a);
	assert_int_equal(page_count(a), 1);
}

/* Free, reserved and xmalloc frames never give a reference. */
static void test_page_get_not_domain(void **state)
{
	struct page_info *fr = frame_alloc(0, 0);
	struct page_info *rsv = mfn_to_page(mfn(1));
	void *keep;
	struct page_info *xm = xmalloc_frame(&keep);
	uint32_t xm_count = xm->count;

	frame_free(fr, 0, 0);
	assert_false(page_get(fr, &dp));
	assert_false(page_get_foreign(fr));
	assert_false(page_get(rsv, &dp));
	assert_false(page_get_foreign(rsv));
	/* owner 0 is dp's id too: PGF_DOMAIN is what tells them apart. */
	assert_false(page_get(xm, &dp));
	assert_false(page_get_foreign(xm));
	assert_int_equal(xm->count, xm_count);
	xfree(keep);
}

/* At PAGE_COUNT_MAX page_get refuses instead of wrapping. */
static void test_page_get_overflow(void **state)
{
	struct page_info *pg = new_frame(&d1);

	pg->count = PAGE_COUNT_MAX - 1;
	assert_true(page_get(pg, &d1));
	assert_int_equal(page_count(pg), PAGE_COUNT_MAX);
	assert_false(page_get(pg, &d1));
	assert_false(page_get_foreign(pg));
	assert_int_equal(page_count(pg), PAGE_COUNT_MAX);
	pg->count = 1;
}

/* A released frame another holder still references lives until put. */
static void test_release_while_referenced(void **state)
{
	struct page_info *pg = new_frame(&d1);

	assert_true(page_get(pg, &d1));
	assert_int_equal(mm_domain_release(&d1, pg), 0);
	assert_int_equal(d1.tot_pages, 0);
	assert_false(mm_domain_holds(pg));
	assert_int_equal(frame_free_count(), free_at_start - 1);
	/* Still d1's frame: more references may be taken. */
	assert_true(page_get(pg, &d1));
	page_put(pg);
	assert_int_equal(mm_audit(), -1); /* our reference is unexplained */
	page_put(pg);
	assert_int_equal(frame_free_count(), free_at_start);
}

/*
 * A frame released while the domain's own L1 still maps it stays
 * allocated and keeps counting against max_pages: the domain cannot
 * release-and-reallocate its way past its limit. Unmapping frees it and
 * the count drops.
 */
static void test_released_mapped_counts(void **state)
{
	struct page_info *a, *b, *data[2], *pg = NULL;

	d1.max_pages = 6;
	a = new_frame(&d1);
	b = new_frame(&d1);
	data[0] = new_frame(&d1);
	data[1] = new_frame(&d1);
	tab(a)[0] = ent(data[0], PTE_P);
	tab(b)[9] = ent(data[1], PTE_P | PTE_RW);
	assert_int_equal(ptype_pin(&d1, mfn_of(a), PGT_l1, 0), 0);
	assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l1, 0), 0);
	/* Release both mapped frames (one mapped writable). */
	assert_int_equal(mm_domain_release(&d1, data[0]), 0);
	assert_int_equal(mm_domain_release(&d1, data[1]), 0);
	assert_int_equal(d1.tot_pages, 2);
	assert_int_equal(d1.released_pages, 2);
	assert_int_equal(page_count(data[0]), 1);
	assert_true(data[0]->order & PGO_RELEASED);
	assert_false(mm_domain_holds(data[0]));
	assert_int_equal(mm_audit(), 0);
	/* 2 + 2 of 6: two more, then the limit, with the exact error. */
	new_frame(&d1);
	new_frame(&d1);
	assert_int_equal(mm_domain_alloc(&d1, &pg), -ENOMEM);
	assert_null(pg);
	assert_int_equal(frame_free_count(), free_at_start - 6);
	/* Released frames are not the domain's: no pin, no release. */
	assert_int_equal(mm_domain_release(&d1, data[0]), -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn_of(data[0]), PGT_l1, 0), -EINVAL);
	/* Unmapping one frees it: the count drops, one frame fits again. */
	assert_int_equal(ptype_unpin(&d1, mfn_of(a)), 0);
	assert_int_equal(d1.released_pages, 1);
	assert_false(data[0]->flags & PGF_DOMAIN);
	assert_int_equal(frame_free_count(), free_at_start - 5);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(mm_domain_alloc(&d1, &pg), 0);
	assert_int_equal(mm_domain_alloc(&d1, &pg), -ENOMEM);
	/* The domain's teardown frees the other with its table. */
	mm_domain_relinquish(&d1);
	assert_int_equal(d1.released_pages, 0);
	assert_int_equal(frame_free_count(), free_at_start);
}

/*
 * A released frame another domain still maps outlives its domain: the
 * domain's end forgets it, and its last unmap later frees it without
 * touching a new domain that took the same id.
 */
static void test_released_outlives_domain(void **state)
{
	struct page_info *pg = new_frame(&d1), *l1 = new_frame(&dp);

	tab(l1)[4] = ent(pg, PTE_P);
	assert_int_equal(ptype_pin(&dp, mfn_of(l1), PGT_l1, 0), 0);
	assert_int_equal(mm_domain_release(&d1, pg), 0);
	assert_int_equal(d1.released_pages, 1);
	mm_domain_relinquish(&d1);
	assert_int_equal(d1.released_pages, 1);
	assert_int_equal(mm_audit(), 0);
	mm_domain_fini(&d1);
	assert_false(pg->order & PGO_RELEASED);
	assert_true(pg->flags & PGF_DOMAIN);
	mm_domain_init(&d1, 1, 1000);
	new_frame(&d1);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(ptype_unpin(&dp, mfn_of(l1)), 0);
	assert_false(pg->flags & PGF_DOMAIN);
	assert_int_equal(d1.released_pages, 0);
	assert_int_equal(d1.tot_pages, 1);
	assert_int_equal(mm_audit(), 0);
}

/* The audit notices a released frame off its list or miscounted. */
static void test_audit_released(void **state)
{
	struct page_info *pg = new_frame(&d1);

	assert_true(page_get(pg, &d1));
	mm_hold_outside_ref(pg);
	assert_int_equal(mm_domain_release(&d1, pg), 0);
	assert_int_equal(mm_audit(), 0);
	d1.released_pages++;
	assert_int_equal(mm_domain_audit(), -1);
	d1.released_pages--;
	pg->order &= (uint8_t)~PGO_RELEASED;
	assert_int_equal(mm_domain_audit(), -1);
	pg->order |= PGO_RELEASED;
	assert_int_equal(mm_domain_audit(), 0);
	mm_drop_outside_ref(pg);
	page_put(pg);
	assert_int_equal(d1.released_pages, 0);
}

/* Relinquish releases everything; a domain can then be reused. */
static void test_relinquish(void **state)
{
	unsigned int i;

	for (i = 0; i < 50; i++) {
		new_frame(i % 2 ? &d1 : &d2);
	}
	mm_domain_relinquish(&d1);
	assert_int_equal(d1.tot_pages, 0);
	assert_int_equal(d2.tot_pages, 25);
	assert_int_equal(frame_free_count(), free_at_start - 25);
	assert_int_equal(mm_audit(), 0);
}

/* A chunk joins under one lock: all of it, or at max_pages none of it. */
static void test_assign_n(void **state)
{
	struct page_info *pg = frame_alloc(9, FA_DOMAIN);
	unsigned int i;

	assert_non_null(pg);
	d1.max_pages = 511;
	assert_int_equal(mm_domain_assign_n(&d1, pg, 512), -ENOMEM);
	assert_int_equal(d1.tot_pages, 0);
	assert_false(pg[0].flags & PGF_DOMAIN);
	assert_false(pg[511].flags & PGF_DOMAIN);
	d1.max_pages = 512;
	assert_int_equal(mm_domain_assign_n(&d1, pg, 512), 0);
	assert_int_equal(d1.tot_pages, 512);
	for (i = 0; i < 512; i++) {
		assert_int_equal(pg[i].owner, 1);
		assert_int_equal(page_count(&pg[i]), 1);
		assert_true(mm_domain_holds(&pg[i]));
	}
	assert_int_equal(mm_audit(), 0);
}

/*
 * Teardown gives a chunk nothing else holds back in one piece (a free
 * 2 MiB block again); a frame someone else still references stays,
 * released, until that reference goes.
 */
static void test_relinquish_whole_blocks(void **state)
{
	struct page_info *a = frame_alloc(9, FA_DOMAIN);
	struct page_info *b = frame_alloc(9, FA_DOMAIN);
	struct frame_stats before, after;
	uint64_t blocks;

	assert_non_null(a);
	assert_non_null(b);
	d1.max_pages = 1024;
	assert_int_equal(mm_domain_assign_n(&d1, a, 512), 0);
	assert_int_equal(mm_domain_assign_n(&d1, b, 512), 0);
	assert_true(page_get_foreign(&b[100]));
	mm_hold_outside_ref(&b[100]);
	frame_cache_drain_all();
	blocks = frame_free_blocks(9) + 2 * frame_free_blocks(10);
	frame_alloc_stats(&before);
	mm_domain_relinquish(&d1);
	frame_alloc_stats(&after);
	/* Aligned blocks, not 1023 single frames. */
	assert_true(after.frees - before.frees <= 32);
	frame_cache_drain_all();
	assert_int_equal(d1.tot_pages, 0);
	assert_int_equal(d1.released_pages, 1);
	assert_int_equal(page_count(&b[100]), 1);
	assert_true(b[100].flags & PGF_DOMAIN);
	assert_false(a[0].flags & PGF_DOMAIN);
	assert_true(a[0].flags & PGF_SCRUB);
	assert_true(b[101].flags & PGF_SCRUB);
	assert_int_equal(frame_free_count(), free_at_start - 1);
	/* a came back whole; b's other 511 frames wait for their buddy. */
	assert_true(frame_free_blocks(9) + 2 * frame_free_blocks(10) > blocks);
	assert_int_equal(mm_audit(), 0);
	mm_drop_outside_ref(&b[100]);
	page_put(&b[100]);
	assert_int_equal(d1.released_pages, 0);
	assert_int_equal(frame_free_count(), free_at_start);
	assert_int_equal(mm_audit(), 0);
}

/* The audit notices a corrupted list or count. */
static void test_audit_detects(void **state)
{
	struct page_info *pg = new_frame(&d1);

	d1.tot_pages++;
	assert_int_equal(mm_domain_audit(), -1);
	d1.tot_pages--;
	pg->count = 2;
	assert_int_equal(mm_audit(), -1);
	pg->count = 1;
	assert_int_equal(mm_audit(), 0);
}

/* Freed domain frames are scrubbed before another domain gets them. */
static void test_scrubbed(void **state)
{
	struct page_info *pg = new_frame(&d1);
	mfn_t m = mfn_of(pg);
	uint64_t i;

	memset(tab(pg), 0x5a, PAGE_SIZE);
	assert_int_equal(mm_domain_release(&d1, pg), 0);
	frame_cache_drain_all();
	for (i = 0; i < free_at_start; i++) {
		struct page_info *q = new_frame(&d2);

		if (mfn_eq(mfn_of(q), m)) {
			break;
		}
	}
	assert_int_equal(tab(mfn_to_page(m))[7], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_assign),
		MM_TEST(test_release_frees),
		MM_TEST(test_release_not_held),
		MM_TEST(test_max_pages),
		MM_TEST(test_page_get_owner),
		MM_TEST(test_page_get_not_domain),
		MM_TEST(test_page_get_overflow),
		MM_TEST(test_release_while_referenced),
		MM_TEST(test_released_mapped_counts),
		MM_TEST(test_released_outlives_domain),
		MM_TEST(test_audit_released),
		MM_TEST(test_relinquish),
		MM_TEST(test_assign_n),
		MM_TEST(test_relinquish_whole_blocks),
		MM_TEST(test_audit_detects),
		MM_TEST(test_scrubbed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
