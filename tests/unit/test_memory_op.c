/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of memory_op (mm/memory_op.c, pv-abi §6.4): increase,
 * decrease and populate with their partial results, continuations, the
 * queries, and the rule that frames given back while still mapped keep
 * counting against the domain's limit (docs/mm.md §21). Each test ends
 * with the audit (mm_test.h).
 */
#include <public/memory.h>

#include "mm_test.h"

static struct guest g, hp;

/* The reservation goes to guest page 1, the extent list to page 2. */
#define RES_VA	 gva(1, 0)
#define LIST_VA	 gva(2, 0)
#define DOMID_VA gva(3, 0)

static long memop(struct guest *gu, uint64_t cmd, uint64_t arg)
{
	struct hcall_args h = { { cmd, arg, 0, 0, 0 } };
	long rc;

	guest_enter(gu);
	while ((rc = do_memory_op(&h)) == -ERESTART) {
		last_restarts++;
		assert_int_equal(mm_audit(), 0);
	}
	return rc;
}

/* A reservation call on n extents listed at LIST_VA (list NULL: 0). */
static long resv(struct guest *gu, unsigned int op, const uint64_t *list,
		 uint64_t n, uint32_t order, uint16_t domid)
{
	struct xen_memory_reservation r = {
		.extent_start = list != NULL ? LIST_VA : 0,
		.nr_extents = n,
		.extent_order = order,
		.domid = domid,
	};

	memcpy(gmem(gu, RES_VA), &r, sizeof(r));
	if (list != NULL) {
		memcpy(gmem(gu, LIST_VA), list, n * sizeof(*list));
	}
	last_restarts = 0;
	return memop(gu, op, RES_VA);
}

static uint64_t listed(const struct guest *gu, unsigned int i)
{
	return ((const uint64_t *)gmem(gu, LIST_VA))[i];
}

static long current_res(struct guest *gu)
{
	*(uint16_t *)gmem(gu, DOMID_VA) = DOMID_SELF;
	return memop(gu, XENMEM_current_reservation, DOMID_VA);
}

/* The L1 entry of guest page i, through mmu_update. */
static long set_page_entry(unsigned int i, uint64_t val)
{
	struct mmu_update u = mu(ma(g.l1, i), MMU_NORMAL_PT_UPDATE, val);
	uint32_t done;

	return mmu(&g, &u, 1, &done, DOMID_SELF);
}

/*
 * The hostile sequence: give back a frame the guest still maps, ask for
 * a new one in its place. Until the mapping goes, the old frame counts:
 * the domain stays at its limit.
 */
static void test_give_back_mapped(void **state)
{
	uint64_t list[4];
	struct page_info *victim;
	uint64_t frames;

	guest_init(&g, &d1, 0, 1);
	frames = d1.tot_pages;
	d1.max_pages = frames + 2;
	assert_int_equal(
		resv(&g, XENMEM_increase_reservation, list, 3, 0, DOMID_SELF),
		2);
	assert_int_equal(d1.tot_pages, frames + 2);
	victim = g.page[5];
	list[0] = mfn_x(mfn_of(victim));
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF),
		1);
	assert_int_equal(d1.tot_pages, frames + 1);
	assert_int_equal(d1.released_pages, 1);
	assert_int_equal(current_res(&g), (long)(frames + 2));
	/* Still mapped and usable; and no frame in its place. */
	*(volatile uint8_t *)gmem(&g, gva(5, 0)) = 7;
	assert_int_equal(
		resv(&g, XENMEM_increase_reservation, NULL, 1, 0, DOMID_SELF),
		0);
	assert_int_equal(
		resv(&g, XENMEM_populate_physmap, list, 1, 0, DOMID_SELF), 0);
	/* Given back twice: not ours any more, the call ends there. */
	list[0] = mfn_x(mfn_of(victim));
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF),
		0);
	assert_int_equal(mm_audit(), 0);
	/* Unmapped, it is freed: one frame fits again, and only one. */
	assert_int_equal(set_page_entry(5, 0), 0);
	assert_int_equal(d1.released_pages, 0);
	assert_false(victim->flags & PGF_DOMAIN);
	assert_int_equal(current_res(&g), (long)(frames + 1));
	assert_int_equal(
		resv(&g, XENMEM_increase_reservation, list, 2, 0, DOMID_SELF),
		1);
	assert_int_equal(current_res(&g), (long)(frames + 2));
}

/* populate: new frames at the PFNs given, their MFNs written back. */
static void test_populate(void **state)
{
	uint64_t list[3] = { 0x100, 0x101, 0x5000 };
	struct page_info *pg;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	assert_int_equal(
		resv(&g, XENMEM_populate_physmap, list, 3, 0, DOMID_SELF), 3);
	for (i = 0; i < 3; i++) {
		pg = mfn_to_page(mfn(listed(&g, i)));
		assert_true(mm_domain_holds(pg));
		assert_int_equal(pg->owner, 1);
		assert_int_equal(m2p_get(mfn_of(pg)), list[i]);
		assert_int_equal(page_count(pg), 1);
	}
	/* Given back, they go (nothing maps them). */
	memcpy(list, gmem(&g, LIST_VA), sizeof(list));
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, list, 3, 0, DOMID_SELF),
		3);
	assert_int_equal(d1.released_pages, 0);
	for (i = 0; i < 3; i++) {
		assert_false(mfn_to_page(mfn(list[i]))->flags & PGF_DOMAIN);
	}
}

/* Partial results: the first extent that cannot be done ends the call. */
static void test_partial(void **state)
{
	struct xen_memory_reservation r = { .extent_start = 0x1000,
					    .nr_extents = 2,
					    .domid = DOMID_SELF };
	uint64_t list[3];
	uint64_t before;

	guest_init(&g, &d1, 0, 1);
	before = d1.tot_pages;
	/* Another domain's frame, beyond memory, the all-ones number. */
	list[0] = mfn_x(mfn_of(new_frame(&d2)));
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF),
		0);
	list[0] = MM_TEST_FRAMES + 5;
	list[1] = ~0ULL;
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, list, 2, 0, DOMID_SELF),
		0);
	/* A list Xeno cannot read or write: nothing kept. */
	memcpy(gmem(&g, RES_VA), &r, sizeof(r));
	assert_int_equal(memop(&g, XENMEM_increase_reservation, RES_VA), 0);
	assert_int_equal(memop(&g, XENMEM_populate_physmap, RES_VA), 0);
	assert_int_equal(d1.tot_pages, before);
	/* Orders above 0 are not supported yet: nothing done. */
	assert_int_equal(
		resv(&g, XENMEM_increase_reservation, list, 1, 9, DOMID_SELF),
		0);
	/* No list: increase only. */
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, NULL, 1, 0, DOMID_SELF),
		0);
	assert_int_equal(d1.tot_pages, before);
}

/* The errors of the call itself. */
static void test_errors(void **state)
{
	struct xen_memory_reservation big = { .extent_start = LIST_VA,
					      .domid = DOMID_SELF };
	uint64_t list[1];

	guest_init(&g, &d1, 0, 1);
	guest_init(&hp, &dp, 0, 2);
	assert_int_equal(memop(&g, XENMEM_increase_reservation, 0x1000),
			 -EFAULT);
	assert_int_equal(resv(&g, XENMEM_increase_reservation, list, 1, 0, 2),
			 -EPERM);
	assert_int_equal(resv(&hp, XENMEM_increase_reservation, list, 1, 0, 1),
			 -ENOSYS);
	assert_int_equal(resv(&g, XENMEM_increase_reservation, list, 1, 0, 1),
			 1);
	big.nr_extents = XENMEM_MAX_EXTENTS + 1;
	memcpy(gmem(&g, RES_VA), &big, sizeof(big));
	assert_int_equal(memop(&g, XENMEM_increase_reservation, RES_VA),
			 -EINVAL);
	big.nr_extents = 2;
	memcpy(gmem(&g, RES_VA), &big, sizeof(big));
	/* A start extent beyond the count. */
	assert_int_equal(
		memop(&g, XENMEM_increase_reservation | (5 << 6), RES_VA),
		-EINVAL);
	assert_int_equal(
		memop(&g, XENMEM_current_reservation | (1 << 6), DOMID_VA),
		-EINVAL);
	assert_int_equal(memop(&g, 2, 0), -ENOSYS);
	assert_int_equal(memop(&g, 11, RES_VA), -ENOSYS);
	*(uint16_t *)gmem(&g, DOMID_VA) = DOMID_SELF;
	assert_int_equal(memop(&g, XENMEM_maximum_reservation, DOMID_VA),
			 (long)d1.max_pages);
	assert_int_equal(memop(&g, XENMEM_current_reservation, 0x1000),
			 -EFAULT);
}

/* Preempted between extents and continued: the total comes out. */
static void test_continued(void **state)
{
	uint64_t list[40];
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	host_preempt_every(3);
	assert_int_equal(
		resv(&g, XENMEM_increase_reservation, list, 40, 0, DOMID_SELF),
		40);
	host_preempt_every(0);
	assert_true(last_restarts >= 10);
	for (i = 0; i < 40; i++) {
		list[i] = listed(&g, i);
		assert_true(mm_domain_holds(mfn_to_page(mfn(list[i]))));
	}
	host_preempt_every(3);
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, list, 40, 0, DOMID_SELF),
		40);
	host_preempt_every(0);
	for (i = 0; i < 40; i++) {
		assert_false(mfn_to_page(mfn(list[i]))->flags & PGF_DOMAIN);
	}
}

/*
 * Giving back a pinned table of a big tree: its devalidation stops and
 * is continued before the next extent (and after the last one), each
 * part passing the audit with the pending put counted.
 */
static void test_give_back_pinned_tree(void **state)
{
	struct page_info *l2, *l1s[6], *other;
	uint64_t list[2];
	unsigned int i, j;

	guest_init(&g, &d1, 0, 1);
	l2 = new_frame(&d1);
	for (i = 0; i < 6; i++) {
		l1s[i] = new_frame(&d1);
		tab(l2)[i * 7] = ent(l1s[i], PTE_P | PTE_RW);
		for (j = 0; j < 80; j++) {
			tab(l1s[i])[j] = ent(g.page[j % GUEST_PAGES], PTE_P);
		}
	}
	other = new_frame(&d1);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, 0), 0);
	list[0] = mfn_x(mfn_of(l2));
	list[1] = mfn_x(mfn_of(other));
	ptype_set_preempt_interval(40);
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, list, 2, 0, DOMID_SELF),
		2);
	ptype_set_preempt_interval(0);
	assert_true(last_restarts >= 10);
	assert_null(g.v.put_pending);
	assert_false(l2->flags & PGF_DOMAIN);
	assert_false(other->flags & PGF_DOMAIN);
	for (i = 0; i < 6; i++) {
		assert_int_equal(ptype_count(l1s[i]), 0);
		assert_int_equal(page_count(l1s[i]), 1);
	}
	assert_int_equal(page_count(g.page[1]), 2);
	/* The same with the table last: a final part finishes it. */
	l2 = new_frame(&d1);
	tab(l2)[3] = ent(l1s[0], PTE_P | PTE_RW);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, 0), 0);
	list[0] = mfn_x(mfn_of(l2));
	ptype_set_preempt_interval(100);
	assert_int_equal(
		resv(&g, XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF),
		1);
	ptype_set_preempt_interval(0);
	assert_true(last_restarts >= 1);
	assert_null(g.v.put_pending);
	assert_int_equal(ptype_count(l1s[0]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_give_back_mapped),
		MM_TEST(test_populate),
		MM_TEST(test_partial),
		MM_TEST(test_errors),
		MM_TEST(test_continued),
		MM_TEST(test_give_back_pinned_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
