/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the page-type machine (mm/ptype.c): type references and
 * the change-only-at-zero rule, pin/unpin and their errors, whole trees
 * L4 -> L1 with the hypervisor's L4 slots, linear page tables, preemptible
 * validation (forced every N entries) and its continuation, teardown, and
 * the audit itself. Each test ends with the audit (mm_test.h).
 */
#include "mm_test.h"

/* ---- type references ------------------------------------------------------ */

/* One type at a time; another type only once the count is back to 0. */
static void test_type_change_at_zero(void **state)
{
	struct page_info *pg = new_frame(&d1);
	struct ptype_stats st;

	assert_int_equal(page_get_and_type(pg, &d1, PGT_writable, 0), 0);
	assert_int_equal(page_get_and_type(pg, &d1, PGT_writable, 0), 0);
	assert_int_equal(ptype_count(pg), 2);
	assert_int_equal(page_get_and_type(pg, &d1, PGT_l1, 0), -EINVAL);
	page_put_and_type(pg);
	assert_int_equal(page_get_and_type(pg, &d1, PGT_l1, 0), -EINVAL);
	page_put_and_type(pg);
	assert_int_equal(ptype_count(pg), 0);
	assert_int_equal(page_count(pg), 1);
	/* Writable -> L1 is a change of use: a TLB flush is due. */
	ptype_stats_reset();
	assert_int_equal(page_get_and_type(pg, &d1, PGT_l1, 0), 0);
	assert_true(ptype_validated(pg));
	ptype_stats_read(&st);
	assert_int_equal(st.stale_flushes, 1);
	assert_int_equal(st.validations, 1);
	assert_int_equal(page_get_and_type(pg, &d1, PGT_writable, 0), -EINVAL);
	page_put_and_type(pg);
	ptype_stats_read(&st);
	assert_int_equal(st.devalidations, 1);
	assert_false(ptype_validated(pg));
}

/* The type count refuses to overflow. */
static void test_type_overflow(void **state)
{
	struct page_info *pg = new_frame(&d1);

	assert_int_equal(page_get_and_type(pg, &d1, PGT_writable, 0), 0);
	pg->type_info += PTYPE_COUNT_MAX - 1;
	assert_true(page_get(pg, &d1));
	assert_int_equal(ptype_get(pg, PGT_writable, &d1, 0), -EINVAL);
	page_put(pg);
	pg->type_info -= PTYPE_COUNT_MAX - 1;
	page_put_and_type(pg);
}

/* page_get_and_type needs the domain's own frame. */
static void test_get_and_type_owner(void **state)
{
	struct page_info *pg = new_frame(&d2);

	assert_int_equal(page_get_and_type(pg, &d1, PGT_writable, 0), -EINVAL);
	assert_int_equal(ptype_count(pg), 0);
	assert_int_equal(page_count(pg), 1);
}

/* ---- pin and unpin -------------------------------------------------------- */

static void test_pin_errors(void **state)
{
	struct page_info *t = new_frame(&d1), *other = new_frame(&d2);
	struct page_info *data = new_frame(&d1), *l1 = new_frame(&d1);

	/* Not a table type, not a frame, not ours. */
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_writable, 0), -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_none, 0), -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn(MM_TEST_FRAMES + 1), PGT_l1, 0),
			 -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn(2), PGT_l1, 0), -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn_of(other), PGT_l1, 0), -EINVAL);
	assert_int_equal(ptype_pin(&dp, mfn_of(other), PGT_l1, 0), -EINVAL);
	/* Twice. */
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l2, 0), -EINVAL);
	assert_int_equal(ptype_count(t), 1);
	/* A frame mapped writable cannot be pinned. */
	tab(l1)[0] = ent(data, PTE_P | PTE_RW);
	assert_int_equal(ptype_pin(&d1, mfn_of(l1), PGT_l1, 0), 0);
	assert_int_equal(ptype_pin(&d1, mfn_of(data), PGT_l1, 0), -EINVAL);
	/* A table in use as L1 cannot be pinned as L2. */
	assert_int_equal(ptype_pin(&d1, mfn_of(l1), PGT_l2, 0), -EINVAL);
	assert_int_equal(mm_audit(), 0);
}

static void test_unpin_errors(void **state)
{
	struct page_info *t = new_frame(&d1), *u = new_frame(&d2);

	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), -EINVAL);
	assert_int_equal(ptype_unpin(&d1, mfn(MM_TEST_FRAMES + 1)), -EINVAL);
	assert_int_equal(ptype_pin(&d2, mfn_of(u), PGT_l1, 0), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(u)), -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l3, 0), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), -EINVAL);
	assert_int_equal(page_count(t), 1);
	assert_int_equal(ptype_count(t), 0);
}

/* A pin keeps a table validated when its other references go. */
static void test_pin_keeps_validated(void **state)
{
	struct page_info *l1 = new_frame(&d1), *l2 = new_frame(&d1);
	struct ptype_stats st;

	tab(l2)[0] = ent(l1, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(l1), PGT_l1, 0), 0);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, 0), 0);
	assert_int_equal(ptype_count(l1), 2);
	ptype_stats_reset();
	assert_int_equal(ptype_unpin(&d1, mfn_of(l2)), 0);
	assert_true(ptype_validated(l1));
	assert_int_equal(ptype_count(l1), 1);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, 0), 0);
	ptype_stats_read(&st);
	assert_int_equal(st.validations, 1); /* l2 only, l1 was kept */
	assert_int_equal(st.devalidations, 1);
}

/* Releasing a pinned table drops the pin and everything below it. */
static void test_release_pinned(void **state)
{
	struct page_info *t = new_frame(&d1), *data = new_frame(&d1);

	tab(t)[0] = ent(data, PTE_P | PTE_RW);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	assert_int_equal(mm_domain_release(&d1, t), 0);
	assert_int_equal(ptype_count(data), 0);
	assert_int_equal(page_count(data), 1);
	assert_int_equal(frame_free_count(), free_at_start - 1);
	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), -EINVAL);
}

/* Releasing a table whose validation was preempted abandons it. */
static void test_release_partial(void **state)
{
	struct page_info *t = new_frame(&d1), *data = new_frame(&d1);
	unsigned int i;

	for (i = 0; i < 20; i++) {
		tab(t)[i] = ent(data, PTE_P | PTE_RW);
	}
	ptype_set_preempt_interval(5);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, PTYPE_PREEMPTIBLE),
			 -EAGAIN);
	assert_int_equal(ptype_count(data), 5);
	assert_int_equal(mm_domain_release(&d1, t), 0);
	assert_int_equal(ptype_count(data), 0);
	assert_int_equal(frame_free_count(), free_at_start - 1);
}

/*
 * A frame given back but kept alive by a mapping is no longer the
 * domain's: it cannot be pinned, nor start a validation (found by
 * tests/fuzz/fuzz_ptype: the pin or a preempted validation of such a
 * frame was never dropped, since release and teardown only see the page
 * list, and the frame leaked).
 */
static void test_released_frame_not_typed(void **state)
{
	struct page_info *t = new_frame(&d1), *f = new_frame(&d1);
	struct page_info *data = new_frame(&d1), *l2 = new_frame(&d1);
	unsigned int i;

	for (i = 0; i < 20; i++) {
		tab(f)[i] = ent(data, PTE_P | PTE_RW);
	}
	tab(t)[0] = ent(f, PTE_P);
	tab(l2)[0] = ent(f, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	assert_int_equal(mm_domain_release(&d1, f), 0);
	assert_int_equal(page_count(f), 1);
	assert_int_equal(ptype_pin(&d1, mfn_of(f), PGT_l1, 0), -EINVAL);
	ptype_set_preempt_interval(5);
	assert_int_equal(page_get_and_type(f, &d1, PGT_l1, PTYPE_PREEMPTIBLE),
			 -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, PTYPE_PREEMPTIBLE),
			 -EINVAL);
	assert_int_equal(ptype_count(f), 0);
	assert_false(ptype_partial(f));
	assert_int_equal(page_count(data), 1);
	assert_int_equal(mm_audit(), 0);
	/* Unmapping it frees it. */
	assert_int_equal(ptype_unpin(&d1, mfn_of(t)), 0);
	assert_int_equal(frame_free_count(), free_at_start - 3);
}

/* ---- whole trees ---------------------------------------------------------- */

struct tree {
	struct page_info *l4, *l3, *l2, *l1[2], *data[4];
};

/* An L4 -> L3 -> L2 -> two L1s -> four data frames, not yet validated. */
static void build_tree(struct mm_domain *d, struct tree *tr)
{
	unsigned int i;

	tr->l4 = new_frame(d);
	tr->l3 = new_frame(d);
	tr->l2 = new_frame(d);
	for (i = 0; i < 2; i++) {
		tr->l1[i] = new_frame(d);
		tab(tr->l2)[i * 100] = ent(tr->l1[i], PTE_P | PTE_RW);
	}
	for (i = 0; i < 4; i++) {
		tr->data[i] = new_frame(d);
		tab(tr->l1[i / 2])[i] =
			ent(tr->data[i], PTE_P | (i % 2 ? PTE_RW : 0));
	}
	tab(tr->l3)[511] = ent(tr->l2, PTE_P | PTE_RW);
	tab(tr->l4)[0] = ent(tr->l3, PTE_P | PTE_RW);
	tab(tr->l4)[300] = ent(tr->l3, PTE_P | PTE_RW);
}

static void assert_tree_validated(const struct tree *tr)
{
	unsigned int i;

	assert_int_equal(ptype_type(tr->l4), PGT_l4);
	assert_int_equal(ptype_count(tr->l4), 1);
	assert_int_equal(ptype_type(tr->l3), PGT_l3);
	assert_int_equal(ptype_count(tr->l3), 2);
	assert_int_equal(page_count(tr->l3), 3);
	assert_int_equal(ptype_type(tr->l2), PGT_l2);
	assert_int_equal(ptype_count(tr->l2), 1);
	for (i = 0; i < 2; i++) {
		assert_int_equal(ptype_type(tr->l1[i]), PGT_l1);
		assert_true(ptype_validated(tr->l1[i]));
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(page_count(tr->data[i]), 2);
		assert_int_equal(ptype_count(tr->data[i]), i % 2);
	}
}

static void assert_tree_idle(const struct tree *tr)
{
	unsigned int i;

	assert_int_equal(ptype_count(tr->l4), 0);
	assert_int_equal(ptype_count(tr->l3), 0);
	assert_int_equal(ptype_count(tr->l2), 0);
	assert_int_equal(page_count(tr->l3), 1);
	for (i = 0; i < 2; i++) {
		assert_int_equal(ptype_count(tr->l1[i]), 0);
		assert_false(ptype_validated(tr->l1[i]));
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(page_count(tr->data[i]), 1);
		assert_int_equal(ptype_count(tr->data[i]), 0);
	}
}

/* Pinning the L4 validates the tree; unpinning releases all of it. */
static void test_tree_pin_unpin(void **state)
{
	struct tree tr;

	build_tree(&d1, &tr);
	assert_int_equal(ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, 0), 0);
	assert_tree_validated(&tr);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(tr.l4)), 0);
	assert_tree_idle(&tr);
}

/* The guest's slots 256-271 are ignored, then the template is installed;
 * devalidation clears them again. */
static void test_l4_hypervisor_slots(void **state)
{
	struct page_info *l4 = new_frame(&d1), *other = new_frame(&d2);
	unsigned int i;

	for (i = L4_HYP_FIRST; i < L4_HYP_FIRST + L4_HYP_SLOTS; i++) {
		tab(l4)[i] = ent(other, PTE_P | PTE_PCD); /* invalid twice */
	}
	assert_int_equal(ptype_pin(&d1, mfn_of(l4), PGT_l4, 0), 0);
	assert_int_equal(page_count(other), 1);
	for (i = 0; i < L4_HYP_SLOTS; i++) {
		uint64_t want = host_l4_template[i];

		if (L4_HYP_FIRST + i == L4_SELF_SLOT) {
			want = ent(l4, PTE_P | PTE_RW | PTE_A | PTE_D);
		}
		assert_int_equal(tab(l4)[L4_HYP_FIRST + i], want);
	}
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(l4)), 0);
	for (i = L4_HYP_FIRST; i < L4_HYP_FIRST + L4_HYP_SLOTS; i++) {
		assert_int_equal(tab(l4)[i], 0);
	}
	/* Guest slots on either side are still checked. */
	tab(l4)[255] = ent(other, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(l4), PGT_l4, 0), -EINVAL);
	tab(l4)[255] = 0;
	tab(l4)[272] = ent(other, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(l4), PGT_l4, 0), -EINVAL);
}

/* The same data frame shared by two trees of one domain. */
static void test_two_trees_share(void **state)
{
	struct tree a, b;

	build_tree(&d1, &a);
	build_tree(&d1, &b);
	tab(b.l1[0])[9] = ent(a.data[1], PTE_P | PTE_RW);
	assert_int_equal(ptype_pin(&d1, mfn_of(a.l4), PGT_l4, 0), 0);
	assert_int_equal(ptype_pin(&d1, mfn_of(b.l4), PGT_l4, 0), 0);
	assert_int_equal(ptype_count(a.data[1]), 2);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(a.l4)), 0);
	assert_int_equal(ptype_count(a.data[1]), 1);
}

/* ---- linear page tables (§9.7) ----------------------------------------- */

/* A read-only self-map at every level holds nothing; RW is refused. */
static void test_linear_self(void **state)
{
	unsigned int level;

	for (level = 2; level <= 4; level++) {
		struct page_info *t = new_frame(&d1);
		uint64_t type = (uint64_t)level << PGT_type_shift;

		tab(t)[1] = ent(t, PTE_P | PTE_RW);
		assert_int_equal(ptype_pin(&d1, mfn_of(t), type, 0), -EINVAL);
		tab(t)[1] = ent(t, PTE_P);
		assert_int_equal(ptype_pin(&d1, mfn_of(t), type, 0), 0);
		assert_int_equal(page_count(t), 2);
		assert_int_equal(ptype_count(t), 1);
		assert_int_equal(mm_audit(), 0);
		assert_int_equal(ptype_unpin(&d1, mfn_of(t)), 0);
		assert_int_equal(page_count(t), 1);
	}
}

/* Linear to another validated table of the same level: a type reference,
 * read-only only, and refused when the option is off. */
static void test_linear_other(void **state)
{
	struct page_info *a = new_frame(&d1), *b = new_frame(&d1);

	assert_int_equal(ptype_pin(&d1, mfn_of(a), PGT_l2, 0), 0);
	tab(b)[4] = ent(a, PTE_P | PTE_RW);
	assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l2, 0), -EINVAL);
	pte_configure(true, false);
	tab(b)[4] = ent(a, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l2, 0), -EINVAL);
	pte_configure(true, true);
	assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l2, 0), 0);
	assert_int_equal(ptype_count(a), 2);
	assert_int_equal(page_count(a), 3);
	assert_int_equal(mm_audit(), 0);
	/* a stays an L2 while the linear entry holds it. */
	assert_int_equal(ptype_unpin(&d1, mfn_of(a)), 0);
	assert_true(ptype_validated(a));
	assert_int_equal(ptype_unpin(&d1, mfn_of(b)), 0);
	assert_int_equal(ptype_count(a), 0);
	assert_int_equal(page_count(a), 1);
}

/* Linear targets must be validated already: an idle table of the same
 * level is validated as the level below instead, a foreign one refused. */
static void test_linear_target_state(void **state)
{
	struct page_info *a = new_frame(&d1), *b = new_frame(&d1);
	struct page_info *f = new_frame(&d2);

	assert_int_equal(ptype_pin(&d2, mfn_of(f), PGT_l3, 0), 0);
	tab(b)[0] = ent(f, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l3, 0), -EINVAL);
	tab(b)[0] = ent(a, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l3, 0), 0);
	assert_int_equal(ptype_type(a), PGT_l2);
}

/* Only one level of linear-ness (§9.7 rule 4), through validation. */
static void test_linear_one_level(void **state)
{
	struct page_info *a = new_frame(&d1), *b = new_frame(&d1);
	struct page_info *c = new_frame(&d1), *e = new_frame(&d1);

	assert_int_equal(ptype_pin(&d1, mfn_of(a), PGT_l2, 0), 0);
	tab(b)[0] = ent(a, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l2, 0), 0);
	/* b holds a linear entry: it cannot be a linear target. */
	tab(c)[0] = ent(b, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(c), PGT_l2, 0), -EINVAL);
	/* a may be the target of several linear entries. */
	tab(e)[0] = ent(a, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(e), PGT_l2, 0), 0);
	assert_int_equal(ptype_count(a), 3);
	assert_int_equal(mm_audit(), 0);
	/* A table may self-map and hold a linear entry. */
	tab(c)[0] = ent(c, PTE_P);
	tab(c)[1] = ent(a, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(c), PGT_l2, 0), 0);
}

/* The linear counts themselves: out and in exclude each other, and the
 * 14-bit count refuses to overflow. (Through whole-table validation the
 * "holder is a target" case cannot arise; single-entry updates need it.) */
static void test_linear_counts(void **state)
{
	struct page_info *a = new_frame(&d1), *b = new_frame(&d1);
	unsigned int i,
		max = (unsigned int)(PGT_linear_mask >> PGT_linear_shift);

	assert_true(ptype_linear_in_inc(a));
	assert_false(ptype_linear_out_inc(a));
	assert_true(ptype_linear_out_inc(b));
	assert_false(ptype_linear_in_inc(b));
	ptype_linear_in_dec(a);
	ptype_linear_out_dec(b);
	assert_true(ptype_linear_out_inc(a));
	assert_true(ptype_linear_in_inc(b));
	ptype_linear_out_dec(a);
	ptype_linear_in_dec(b);
	for (i = 0; i < max; i++) {
		assert_true(ptype_linear_in_inc(a));
	}
	assert_false(ptype_linear_in_inc(a));
	for (i = 0; i < max; i++) {
		ptype_linear_in_dec(a);
	}
	assert_int_equal(a->type_info, 0);
	assert_int_equal(b->type_info, 0);
}

/* Teardown releases every reference of linear webs and self-maps. */
static void test_linear_teardown(void **state)
{
	struct page_info *t[6];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		t[i] = new_frame(&d1);
		tab(t[i])[0] = ent(t[i], PTE_P);
	}
	assert_int_equal(ptype_pin(&d1, mfn_of(t[0]), PGT_l4, 0), 0);
	for (i = 1; i < 6; i++) {
		tab(t[i])[1] = ent(t[0], PTE_P);
		assert_int_equal(ptype_pin(&d1, mfn_of(t[i]), PGT_l4, 0), 0);
	}
	assert_int_equal(ptype_count(t[0]), 6);
	assert_int_equal(mm_audit(), 0);
	mm_domain_relinquish(&d1);
	assert_int_equal(frame_free_count(), free_at_start);
}

/* ---- preemption ------------------------------------------------------------ */

/* Fills an L2 with n L1s, each mapping a few data frames. */
static struct page_info *big_l2(struct mm_domain *d, unsigned int n)
{
	struct page_info *l2 = new_frame(d);
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		struct page_info *l1 = new_frame(d);

		tab(l2)[i * 3] = ent(l1, PTE_P | PTE_RW);
		for (j = 0; j < 3; j++) {
			tab(l1)[j * 50] =
				ent(new_frame(d), PTE_P | (j ? PTE_RW : 0));
		}
	}
	return l2;
}

/* Repeats a preemptible pin until it is done, auditing every stop. */
static int pin_to_completion(struct mm_domain *d, mfn_t m, uint64_t type,
			     unsigned int *stops)
{
	int rc;

	*stops = 0;
	while ((rc = ptype_pin(d, m, type, PTYPE_PREEMPTIBLE)) == -EAGAIN) {
		(*stops)++;
		assert_int_equal(mm_audit(), 0);
	}
	return rc;
}

/* Whatever the interval, the result is the non-preempted one. */
static void test_preempt_intervals(void **state)
{
	static const unsigned int every[] = { 1, 2, 7, 50, 511, 600 };
	struct page_info *l2 = big_l2(&d1, 40);
	uint64_t want[PT_ENTRIES];
	unsigned int i, stops;

	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, 0), 0);
	memcpy(want, tab(l2), sizeof(want));
	assert_int_equal(ptype_unpin(&d1, mfn_of(l2)), 0);
	for (i = 0; i < ARRAY_SIZE(every); i++) {
		ptype_set_preempt_interval(every[i]);
		assert_int_equal(
			pin_to_completion(&d1, mfn_of(l2), PGT_l2, &stops), 0);
		assert_true(every[i] > 511 || stops > 0);
		assert_memory_equal(want, tab(l2), sizeof(want));
		assert_true(ptype_pinned(l2));
		assert_false(ptype_partial(l2));
		assert_int_equal(mm_audit(), 0);
		assert_int_equal(ptype_unpin(&d1, mfn_of(l2)), 0);
	}
}

/* Preemption inside nested validations of a whole tree. */
static void test_preempt_tree(void **state)
{
	struct tree tr;
	unsigned int stops;
	struct ptype_stats st;

	build_tree(&d1, &tr);
	ptype_set_preempt_interval(3);
	assert_int_equal(pin_to_completion(&d1, mfn_of(tr.l4), PGT_l4, &stops),
			 0);
	assert_true(stops > 10);
	ptype_stats_read(&st);
	/* Every stop preempts the L4 and each table below it on the way. */
	assert_true(st.preemptions > stops);
	assert_tree_validated(&tr);
	assert_int_equal(mm_audit(), 0);
}

/* A preempted table that then fails releases everything it took. */
static void test_preempt_then_fail(void **state)
{
	struct page_info *l2 = big_l2(&d1, 30);
	unsigned int stops;

	tab(l2)[500] = ent(new_frame(&d2), PTE_P);
	ptype_set_preempt_interval(5);
	assert_int_equal(pin_to_completion(&d1, mfn_of(l2), PGT_l2, &stops),
			 -EINVAL);
	assert_true(stops > 0);
	assert_int_equal(ptype_count(l2), 0);
	assert_false(ptype_partial(l2));
	assert_int_equal(mm_audit(), 0);
}

/* While partial, the frame refuses other types; another caller wanting
 * the same type finishes the work. */
static void test_partial_state(void **state)
{
	struct page_info *l2 = big_l2(&d1, 20), *l3 = new_frame(&d1);

	ptype_set_preempt_interval(4);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, PTYPE_PREEMPTIBLE),
			 -EAGAIN);
	assert_true(ptype_partial(l2));
	assert_false(ptype_validated(l2));
	assert_int_equal(ptype_count(l2), 1);
	assert_int_equal(mm_audit(), 0);
	/* Not writable, not another type, not a linear target. */
	assert_int_equal(page_get_and_type(l2, &d1, PGT_writable, 0), -EINVAL);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l1, 0), -EINVAL);
	tab(l3)[0] = ent(l2, PTE_P);
	/* An L3 referencing it completes it (not preemptible here). */
	ptype_set_preempt_interval(0);
	assert_int_equal(ptype_pin(&d1, mfn_of(l3), PGT_l3, 0), 0);
	assert_true(ptype_validated(l2));
	assert_int_equal(ptype_count(l2), 1);
	/* The guest's continuation of the first pin now just pins. */
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, PTYPE_PREEMPTIBLE),
			 0);
	assert_int_equal(ptype_count(l2), 2);
	assert_int_equal(mm_audit(), 0);
}

/* A guest that never continues: teardown abandons the partial tables. */
static void test_partial_abandoned(void **state)
{
	struct tree tr;

	build_tree(&d1, &tr);
	ptype_set_preempt_interval(2);
	assert_int_equal(
		ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, PTYPE_PREEMPTIBLE),
		-EAGAIN);
	assert_int_equal(
		ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, PTYPE_PREEMPTIBLE),
		-EAGAIN);
	assert_int_equal(mm_audit(), 0);
	mm_domain_relinquish(&d1);
	assert_int_equal(frame_free_count(), free_at_start);
}

/* ---- preemptible devalidation ---------------------------------------------- */

/*
 * Unpins tr's L4 with a preemptible devalidation; returns the pending
 * frame (NULL if it finished), registered with the audit as the
 * outside reference it is.
 */
static struct page_info *unpin_deferred(struct mm_domain *d, mfn_t m)
{
	struct page_info *pending = (struct page_info *)1;

	assert_int_equal(ptype_unpin_deferred(d, m, &pending), 0);
	if (pending != NULL) {
		mm_hold_outside_ref(pending);
	}
	return pending;
}

/* Continues a pending put to the end, auditing every stop. */
static unsigned int finish_pending(struct page_info *pending)
{
	unsigned int stops = 0;

	while (ptype_finish_put(pending, PTYPE_PREEMPTIBLE) == -EAGAIN) {
		stops++;
		assert_true(ptype_partial(pending));
		assert_int_equal(mm_audit(), 0);
	}
	mm_drop_outside_ref(pending);
	page_put(pending);
	return stops;
}

/*
 * The first preemption point at every possible place of the whole
 * tree's devalidation (the L4's entries, the L3's, the L2's, both L1s'):
 * the stopped state passes the audit, the continuation ends with every
 * count back to idle, and the stats count each stop.
 */
static void test_devalidate_preempt_everywhere(void **state)
{
	struct ptype_stats st;
	struct page_info *pending;
	struct tree tr;
	unsigned int k, stops, stopped_somewhere = 0;

	build_tree(&d1, &tr);
	for (k = 1; k < 2700; k += (k < 600 ? 1 : 7)) {
		ptype_set_preempt_interval(0);
		assert_int_equal(ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, 0), 0);
		assert_tree_validated(&tr);
		ptype_stats_reset();
		ptype_set_preempt_interval(k);
		pending = unpin_deferred(&d1, mfn_of(tr.l4));
		stops = 0;
		if (pending != NULL) {
			assert_ptr_equal(pending, tr.l4);
			assert_true(ptype_partial(tr.l4));
			assert_false(ptype_pinned(tr.l4));
			assert_int_equal(ptype_count(tr.l4), 1);
			assert_int_equal(mm_audit(), 0);
			stops = 1 + finish_pending(pending);
			stopped_somewhere++;
		}
		ptype_stats_read(&st);
		/* Each stop stops the L4 and the tables below it on the way. */
		assert_true(st.devalidation_preemptions >= stops);
		assert_int_equal(st.devalidations, 5);
		assert_tree_idle(&tr);
		assert_int_equal(page_count(tr.l4), 1);
		assert_int_equal(mm_audit(), 0);
	}
	/* Beyond the tree's ~2500 points nothing stops any more. */
	assert_true(stopped_somewhere > 600);
}

/*
 * The guest pins the table again while its devalidation is stopped, at
 * every place: the pin revalidates only what was released (adopting
 * the orphaned lower tables), and the pending put then finds nothing to
 * do. The table is exactly as validated before.
 */
static void test_repin_during_devalidation(void **state)
{
	uint64_t want[PT_ENTRIES];
	struct page_info *pending;
	struct tree tr;
	unsigned int k, stops;

	build_tree(&d1, &tr);
	assert_int_equal(ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, 0), 0);
	memcpy(want, tab(tr.l4), sizeof(want));
	for (k = 1; k < 2600; k += (k < 300 ? 1 : 13)) {
		ptype_set_preempt_interval(k);
		pending = unpin_deferred(&d1, mfn_of(tr.l4));
		if (pending == NULL) {
			ptype_set_preempt_interval(0);
			assert_tree_idle(&tr);
			assert_int_equal(
				ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, 0), 0);
			continue;
		}
		/* Half-devalidated: no other use, no writable mapping. */
		assert_int_equal(page_get_and_type(tr.l4, &d1, PGT_writable, 0),
				 -EINVAL);
		assert_int_equal(ptype_pin(&d1, mfn_of(tr.l4), PGT_l3, 0),
				 -EINVAL);
		assert_int_equal(
			pin_to_completion(&d1, mfn_of(tr.l4), PGT_l4, &stops),
			0);
		assert_true(ptype_pinned(tr.l4));
		assert_tree_validated(&tr);
		assert_memory_equal(want, tab(tr.l4), sizeof(want));
		assert_int_equal(mm_audit(), 0);
		/* The continuation of the unpin has nothing left to do. */
		assert_int_equal(finish_pending(pending), 0);
		assert_tree_validated(&tr);
		assert_int_equal(mm_audit(), 0);
	}
	ptype_set_preempt_interval(0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(tr.l4)), 0);
	assert_tree_idle(&tr);
}

/*
 * A revalidation that fails on a table released meanwhile (the guest
 * mapped it writable once it was idle) releases what the stopped
 * devalidation had kept, and the continuation finds nothing to do.
 */
static void test_repin_after_change_fails(void **state)
{
	struct page_info *pending = NULL;
	struct tree tr;
	unsigned int k;

	build_tree(&d1, &tr);
	/* Find a stop with L1[1] idle but the L2 above it still partial. */
	for (k = 1; k < 2600; k++) {
		ptype_set_preempt_interval(0);
		assert_int_equal(ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, 0), 0);
		ptype_set_preempt_interval(k);
		pending = unpin_deferred(&d1, mfn_of(tr.l4));
		if (pending != NULL && ptype_partial(tr.l2) &&
		    ptype_count(tr.l1[1]) == 0 && !ptype_partial(tr.l1[1])) {
			break;
		}
		ptype_set_preempt_interval(0);
		if (pending != NULL) {
			(void)finish_pending(pending);
		}
	}
	assert_true(k < 2600);
	ptype_set_preempt_interval(0);
	assert_int_equal(page_get_and_type(tr.l1[1], &d1, PGT_writable, 0), 0);
	mm_hold_outside_typed_ref(tr.l1[1]);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, 0), -EINVAL);
	assert_false(ptype_partial(tr.l4));
	assert_false(ptype_partial(tr.l2));
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(finish_pending(pending), 0);
	mm_drop_outside_typed_ref(tr.l1[1]);
	page_put_and_type(tr.l1[1]);
	assert_tree_idle(&tr);
}

/*
 * The domain is torn down while a devalidation is stopped (its
 * continuation still holds the frame): teardown finishes the tree, the
 * continuation then has nothing to do, and every frame comes back.
 */
static void test_teardown_half_devalidated(void **state)
{
	struct page_info *pending;
	struct tree tr;
	unsigned int k;

	for (k = 1; k < 1500; k += 37) {
		build_tree(&d1, &tr);
		assert_int_equal(ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, 0), 0);
		ptype_set_preempt_interval(k);
		pending = unpin_deferred(&d1, mfn_of(tr.l4));
		assert_int_equal(mm_audit(), 0);
		ptype_set_preempt_interval(0);
		mm_domain_relinquish(&d1);
		assert_int_equal(mm_audit(), 0);
		if (pending != NULL) {
			assert_false(ptype_partial(pending));
			assert_int_equal(page_count(pending), 1);
			assert_int_equal(finish_pending(pending), 0);
		}
		assert_int_equal(frame_free_count(), free_at_start);
		mm_domain_fini(&d1);
		mm_domain_init(&d1, 1, 1000);
	}
}

/*
 * A "1 GiB" tree (L4 -> L3 -> L2 -> 512 L1s of 512 entries, all mapping
 * one data frame) pinned at teardown: the teardown goes in bounded steps,
 * each passing the audit, and counts back to nothing.
 */
static struct page_info *gig_tree(struct mm_domain *d, struct page_info **data)
{
	struct page_info *l4 = new_frame(d), *l3 = new_frame(d);
	struct page_info *l2 = new_frame(d);
	unsigned int i, j;

	*data = new_frame(d);
	for (i = 0; i < PT_ENTRIES; i++) {
		struct page_info *l1 = new_frame(d);

		for (j = 0; j < PT_ENTRIES; j++) {
			tab(l1)[j] = ent(*data, PTE_P | PTE_RW);
		}
		tab(l2)[i] = ent(l1, PTE_P | PTE_RW);
	}
	tab(l3)[0] = ent(l2, PTE_P | PTE_RW);
	tab(l4)[0] = ent(l3, PTE_P | PTE_RW);
	return l4;
}

static void test_teardown_steps(void **state)
{
	struct page_info *data, *l4;
	struct ptype_stats st;
	unsigned int steps = 0;

	mm_domain_fini(&d1);
	mm_domain_init(&d1, 1, 2000);
	l4 = gig_tree(&d1, &data);
	assert_int_equal(ptype_pin(&d1, mfn_of(l4), PGT_l4, 0), 0);
	assert_int_equal(page_count(data), 1 + PT_ENTRIES * PT_ENTRIES);
	assert_int_equal(ptype_count(data), PT_ENTRIES * PT_ENTRIES);
	ptype_stats_reset();
	while (mm_domain_relinquish_step(&d1) == -EAGAIN) {
		steps++;
		assert_int_equal(mm_audit(), 0);
	}
	ptype_stats_read(&st);
	/* 262144 L1 entries at most 4096 per step. */
	assert_true(steps >= PT_ENTRIES * PT_ENTRIES / PTYPE_STEP_ENTRIES);
	assert_true(st.devalidation_preemptions >= steps);
	assert_int_equal(st.devalidations, PT_ENTRIES + 3);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(frame_free_count(), free_at_start);
}

/* ---- the audit ------------------------------------------------------------- */

/* The audit catches a wrong general count, type count, linear count, and
 * a flag without a count. */
static void test_audit_detects(void **state)
{
	struct tree tr;

	build_tree(&d1, &tr);
	assert_int_equal(ptype_pin(&d1, mfn_of(tr.l4), PGT_l4, 0), 0);
	assert_int_equal(mm_audit(), 0);
	tr.data[0]->count++;
	assert_int_equal(mm_audit(), -1);
	tr.data[0]->count--;
	tr.data[1]->type_info++;
	assert_int_equal(mm_audit(), -1);
	tr.data[1]->type_info--;
	tr.l2->type_info += 1ULL << PGT_linear_shift;
	assert_int_equal(mm_audit(), -1);
	tr.l2->type_info -= 1ULL << PGT_linear_shift;
	tr.data[2]->type_info |= PGT_pinned;
	assert_int_equal(mm_audit(), -1);
	tr.data[2]->type_info &= ~PGT_pinned;
	/* An entry changed behind the machine's back. */
	tab(tr.l1[0])[0] = 0;
	assert_int_equal(mm_audit(), -1);
	tab(tr.l1[0])[0] = ent(tr.data[0], PTE_P | PTE_US | PTE_GUEST_KERNEL);
	assert_int_equal(mm_audit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_type_change_at_zero),
		MM_TEST(test_type_overflow),
		MM_TEST(test_get_and_type_owner),
		MM_TEST(test_pin_errors),
		MM_TEST(test_unpin_errors),
		MM_TEST(test_pin_keeps_validated),
		MM_TEST(test_release_pinned),
		MM_TEST(test_release_partial),
		MM_TEST(test_released_frame_not_typed),
		MM_TEST(test_tree_pin_unpin),
		MM_TEST(test_l4_hypervisor_slots),
		MM_TEST(test_two_trees_share),
		MM_TEST(test_linear_self),
		MM_TEST(test_linear_other),
		MM_TEST(test_linear_target_state),
		MM_TEST(test_linear_one_level),
		MM_TEST(test_linear_counts),
		MM_TEST(test_linear_teardown),
		MM_TEST(test_preempt_intervals),
		MM_TEST(test_preempt_tree),
		MM_TEST(test_preempt_then_fail),
		MM_TEST(test_partial_state),
		MM_TEST(test_partial_abandoned),
		MM_TEST(test_devalidate_preempt_everywhere),
		MM_TEST(test_repin_during_devalidation),
		MM_TEST(test_repin_after_change_fails),
		MM_TEST(test_teardown_half_devalidated),
		MM_TEST(test_teardown_steps),
		MM_TEST(test_audit_detects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
