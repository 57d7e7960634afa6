/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the one-step general + writable type reference
 * (mm/writable_ref.c): in every state where it acts, the frame ends with
 * exactly the words of the two-step path (page_get + ptype_get, ptype_put
 * + page_put) run on a twin frame in the same state; in every other
 * state it declines and changes nothing.
 */
#include "mm_test.h"

#include <xeno/writable_ref.h>

/* Both words of a frame, to compare or to check unchanged. */
struct words {
	uint64_t cw, ti;
};

static struct words words_of(const struct page_info *pg)
{
	return (struct words){ pg->count_word, pg->type_info };
}

static void assert_words_equal(struct words a, struct words b)
{
	/* The owner differs between twins of two domains: never here. */
	assert_int_equal(a.cw, b.cw);
	assert_int_equal(a.ti, b.ti);
}

static void two_step_get(struct page_info *pg, struct mm_domain *d)
{
	assert_true(d != NULL ? page_get(pg, d) : page_get_foreign(pg));
	assert_int_equal(ptype_get(pg, PGT_writable, NULL, 0), 0);
}

/* Fresh frames (no type), then IN USE, then IDLE with a stale writable
 * type: the fast get and put match the two steps at every stage. */
static void test_matches_two_steps(void **state)
{
	struct page_info *a = new_frame(&d1), *b = new_frame(&d1);
	unsigned int i;

	for (i = 0; i < 2; i++) {
		assert_true(page_get_writable_fast(a, &d1));
		two_step_get(b, &d1);
		assert_words_equal(words_of(a), words_of(b));
		assert_int_equal(ptype_type(a), PGT_writable);
		assert_true(ptype_validated(a));
		assert_true(page_get_writable_fast(a, &d1));
		two_step_get(b, &d1);
		assert_words_equal(words_of(a), words_of(b));
		assert_int_equal(page_count(a), 3);
		assert_int_equal(ptype_count(a), 2);
		/* Down to IDLE: count 0, not validated, the same stamp. */
		assert_true(page_put_writable_fast(a));
		ptype_put(b);
		page_put(b);
		assert_words_equal(words_of(a), words_of(b));
		assert_true(page_put_writable_fast(a));
		ptype_put(b);
		page_put(b);
		assert_words_equal(words_of(a), words_of(b));
		assert_int_equal(ptype_count(a), 0);
		assert_false(ptype_validated(a));
		assert_int_equal(ptype_type(a), PGT_writable);
		assert_int_equal(page_count(a), 1);
	}
}

/* The owner: d's frames only, any domain's with NULL. */
static void test_owner(void **state)
{
	struct page_info *pg = new_frame(&d2);
	struct words w = words_of(pg);

	assert_false(page_get_writable_fast(pg, &d1));
	assert_words_equal(words_of(pg), w);
	assert_true(page_get_writable_fast(pg, NULL));
	assert_int_equal(page_count(pg), 2);
	assert_int_equal(ptype_count(pg), 1);
	assert_true(page_put_writable_fast(pg));
	assert_int_equal(page_count(pg), 1);
}

/* Frames that are not live domain frames are left to page_get. */
static void test_not_domain_frames(void **state)
{
	void *keep;
	struct page_info *x = xmalloc_frame(&keep);
	struct words w = words_of(x);

	assert_false(page_get_writable_fast(x, NULL));
	assert_false(page_put_writable_fast(x));
	assert_words_equal(words_of(x), w);
	xfree(keep);
}

/*
 * Other types, in use or stale (a change of use needs a flush), and a
 * page table being validated: declined, unchanged.
 */
static void test_other_types(void **state)
{
	struct page_info *l1 = new_frame(&d1);
	struct words w;

	assert_int_equal(page_get_and_type(l1, &d1, PGT_l1, 0), 0);
	w = words_of(l1);
	assert_false(page_get_writable_fast(l1, &d1));
	assert_false(page_put_writable_fast(l1));
	assert_words_equal(words_of(l1), w);
	page_put_and_type(l1);
	/* IDLE with a stale L1 type: the two steps flush, not us. */
	assert_int_equal(ptype_type(l1), PGT_l1);
	w = words_of(l1);
	assert_false(page_get_writable_fast(l1, &d1));
	assert_words_equal(words_of(l1), w);
	two_step_get(l1, &d1);
	assert_int_equal(ptype_type(l1), PGT_writable);
	/* Now writable: the fast put takes it back. */
	assert_true(page_put_writable_fast(l1));
	assert_int_equal(ptype_count(l1), 0);
}

/* The last general reference is page_put's (it frees the frame). */
static void test_last_reference(void **state)
{
	struct page_info *pg = new_frame(&d1);
	struct words w;

	assert_true(page_get_writable_fast(pg, &d1));
	/* Give the frame back: only the writable reference keeps it. */
	assert_int_equal(mm_domain_release(&d1, pg), 0);
	assert_int_equal(page_count(pg), 1);
	w = words_of(pg);
	assert_false(page_put_writable_fast(pg));
	assert_words_equal(words_of(pg), w);
	ptype_put(pg);
	page_put(pg);
}

/* A type count at its maximum: declined, as ptype_get refuses it. */
static void test_type_count_max(void **state)
{
	struct page_info *pg = new_frame(&d1);
	struct words w;

	assert_true(page_get_writable_fast(pg, &d1));
	pg->type_info += PTYPE_COUNT_MAX - 1; /* the test's own frame */
	w = words_of(pg);
	assert_false(page_get_writable_fast(pg, &d1));
	assert_words_equal(words_of(pg), w);
	pg->type_info -= PTYPE_COUNT_MAX - 1;
	assert_true(page_put_writable_fast(pg));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_matches_two_steps), MM_TEST(test_owner),
		MM_TEST(test_not_domain_frames), MM_TEST(test_other_types),
		MM_TEST(test_last_reference),	 MM_TEST(test_type_count_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
