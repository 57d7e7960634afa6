/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of "say why" (mm/mm_why.c) and of Xeno's diagnostics
 * hypercall xeno_mm_op (mm/xeno_mm_op.c, public/xeno.h): the refusal
 * record a guest reads back, who may ask about which frame, and the
 * errors of the call itself. Each test ends with the audit (mm_test.h).
 */
#include <public/xeno_stats.h>

#include "mm_test.h"

static struct guest g, hp;

static long xop(struct guest *gu, unsigned int cmd, uint64_t arg)
{
	struct hcall_args h = { { cmd, arg, 0, 0, 0 } };

	guest_enter(gu);
	return do_xeno_mm_op(&h);
}

static long ext1(unsigned int cmd, uint64_t arg1)
{
	struct mmuext_op o = eo(cmd, arg1, 0);
	uint32_t done;

	return ext(&g, &o, 1, &done, DOMID_SELF);
}

static void test_last_refusal(void **state)
{
	struct xeno_mm_refusal r;
	struct mmu_update u[2];
	struct page_info *l1 = NULL, *bad = NULL;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	assert_int_equal(xop(&g, XENO_MM_last_refusal, gva(3, 0)), 0);
	memcpy(&r, gmem(&g, gva(3, 0)), sizeof(r));
	assert_int_equal(r.seq, 0);
	assert_int_equal(r.reason, XENO_WHY_NONE);
	/* A refusal two levels down: an L2 entry naming an L1 that maps
	 * another domain's frame at slot 77. */
	l1 = new_frame(&d1);
	bad = new_frame(&d2);
	tab(l1)[77] = ent(bad, PTE_P | PTE_RW);
	u[0] = mu(ma(g.l1, 60), 0, ent(g.page[0], PTE_P));
	u[1] = mu(ma(g.l2, 8), 0, ent(l1, PTE_P));
	assert_int_equal(mmu(&g, u, 2, &done, DOMID_SELF), -EBUSY);
	assert_int_equal(xop(&g, XENO_MM_last_refusal, gva(3, 0)), 0);
	memcpy(&r, gmem(&g, gva(3, 0)), sizeof(r));
	assert_int_equal(r.seq, 1);
	assert_int_equal(r.hypercall, __HYPERVISOR_mmu_update);
	assert_int_equal(r.cmd, MMU_NORMAL_PT_UPDATE);
	assert_int_equal(r.index, 1);
	assert_int_equal(r.reason, XENO_WHY_L1_NOT_OWNER);
	assert_int_equal(r.error, -EBUSY);
	assert_int_equal(r.value, ent(bad, PTE_P | PTE_RW));
	assert_int_equal(r.table, mfn_x(mfn_of(l1)));
	assert_int_equal(r.slot, 77);
	assert_int_equal(r.mfn, mfn_x(mfn_of(bad)));
	assert_int_equal(r.owner, 2);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.flags, XENO_FRAME_ON_LIST);
	assert_int_equal(r.pad, 0);
	/* A refusal of xeno_mm_op does not replace it. */
	assert_int_equal(xop(&g, 99, 0), -ENOSYS);
	/* The TLB counts moved to xeno_stats_op: 2 is no command now. */
	assert_int_equal(xop(&g, 2, gva(2, 0)), -ENOSYS);
	assert_int_equal(xop(&g, XENO_MM_last_refusal, 0x1000), -EFAULT);
	assert_int_equal(why(&g)->seq, 1);
	/* Success leaves it; the next refusal replaces it. */
	assert_int_equal(mmu(&g, u, 1, &done, DOMID_SELF), 0);
	assert_int_equal(why(&g)->seq, 1);
	u[0].ptr = ma(g.l4, 258);
	assert_int_equal(mmu(&g, u, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->seq, 2);
	assert_int_equal(why(&g)->reason, XENO_WHY_HYPERVISOR_SLOT);
	assert_int_equal(why(&g)->table, ~0ULL);
	assert_int_equal(why(&g)->slot, ~0U);
	assert_int_equal(why(&g)->mfn, mfn_x(mfn_of(g.l4)));
	assert_int_equal(why(&g)->type, XENO_FRAME_L4);
	assert_true(why(&g)->flags & XENO_FRAME_VALIDATED);
}

/* Every reason has a name. */
static void test_reason_names(void **state)
{
	unsigned int i;

	for (i = 0; i < XENO_WHY_NR; i++) {
		assert_string_not_equal(mm_why_name((enum xeno_why)i), "?");
	}
	assert_string_equal(mm_why_name(XENO_WHY_NR), "?");
}

static void test_frame_info(void **state)
{
	struct xeno_mm_frame_info fi;
	struct page_info *t = NULL, *other = NULL;

	guest_init(&g, &d1, 0, 1);
	guest_init(&hp, &dp, 0, 2);
	t = new_frame(&d1);
	other = new_frame(&d2);
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l2, 0), 0);
	m2p_set(mfn_of(t), 0x99);
	memset(&fi, 0, sizeof(fi));
	fi.mfn = mfn_x(mfn_of(t));
	memcpy(gmem(&g, gva(2, 0)), &fi, sizeof(fi));
	assert_int_equal(xop(&g, XENO_MM_frame_info, gva(2, 0)), 0);
	memcpy(&fi, gmem(&g, gva(2, 0)), sizeof(fi));
	assert_int_equal(fi.owner, 1);
	assert_int_equal(fi.type, XENO_FRAME_L2);
	assert_int_equal(fi.type_count, 1);
	assert_int_equal(fi.count, 2);
	assert_int_equal(fi.flags, XENO_FRAME_PINNED | XENO_FRAME_VALIDATED |
					   XENO_FRAME_ON_LIST);
	assert_int_equal(fi.m2p, 0x99);
	assert_int_equal(fi.linear_out, 0);
	/* Another domain's frame, a free one, one beyond memory. */
	*(uint64_t *)gmem(&g, gva(2, 0)) = mfn_x(mfn_of(other));
	assert_int_equal(xop(&g, XENO_MM_frame_info, gva(2, 0)), -EPERM);
	*(uint64_t *)gmem(&g, gva(2, 0)) = 3;
	assert_int_equal(xop(&g, XENO_MM_frame_info, gva(2, 0)), -EPERM);
	*(uint64_t *)gmem(&g, gva(2, 0)) = MM_TEST_FRAMES;
	assert_int_equal(xop(&g, XENO_MM_frame_info, gva(2, 0)), -EINVAL);
	assert_int_equal(xop(&g, XENO_MM_frame_info, 0x1000), -EFAULT);
	/* The privileged domain may ask about anything. */
	*(uint64_t *)gmem(&hp, gva(2, 0)) = mfn_x(mfn_of(other));
	assert_int_equal(xop(&hp, XENO_MM_frame_info, gva(2, 0)), 0);
	memcpy(&fi, gmem(&hp, gva(2, 0)), sizeof(fi));
	assert_int_equal(fi.owner, 2);
	assert_int_equal(fi.type, XENO_FRAME_NONE);
	*(uint64_t *)gmem(&hp, gva(2, 0)) = 3;
	assert_int_equal(xop(&hp, XENO_MM_frame_info, gva(2, 0)), 0);
	memcpy(&fi, gmem(&hp, gva(2, 0)), sizeof(fi));
	assert_int_equal(fi.owner, DOMID_XEN);
	assert_int_equal(fi.count, 0);
}

/* Linear counts as the guest sees them. */
static void test_frame_info_linear(void **state)
{
	struct xeno_mm_frame_info fi;
	struct page_info *a = NULL, *b = NULL;

	guest_init(&g, &d1, 0, 1);
	a = new_frame(&d1);
	b = new_frame(&d1);
	assert_int_equal(ptype_pin(&d1, mfn_of(a), PGT_l2, 0), 0);
	tab(b)[0] = ent(a, PTE_P);
	assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l2, 0), 0);
	*(uint64_t *)gmem(&g, gva(2, 0)) = mfn_x(mfn_of(a));
	assert_int_equal(xop(&g, XENO_MM_frame_info, gva(2, 0)), 0);
	memcpy(&fi, gmem(&g, gva(2, 0)), sizeof(fi));
	assert_int_equal(fi.linear_in, 1);
	assert_int_equal(fi.linear_out, 0);
	*(uint64_t *)gmem(&g, gva(2, 0)) = mfn_x(mfn_of(b));
	assert_int_equal(xop(&g, XENO_MM_frame_info, gva(2, 0)), 0);
	memcpy(&fi, gmem(&g, gva(2, 0)), sizeof(fi));
	assert_int_equal(fi.linear_out, 1);
	assert_int_equal(fi.linear_in, 0);
}

/* The entry and type checks, each with its own reason, through pins. */
static void expect_pin(unsigned int cmd, struct page_info *t, long rc,
		       enum xeno_why reason)
{
	assert_int_equal(ext1(cmd, mfn_x(mfn_of(t))), rc);
	assert_int_equal(why(&g)->reason, reason);
	assert_int_equal(why(&g)->hypercall, __HYPERVISOR_mmuext_op);
}

static void test_entry_reasons(void **state)
{
	struct page_info *t = NULL, *u = NULL, *l2 = NULL;

	guest_init(&g, &d1, 0, 1);
	t = new_frame(&d1);
	u = new_frame(&d1);
	l2 = new_frame(&d1);
	tab(t)[1] = pte_make(mfn(MM_TEST_FRAMES + 9), PTE_P);
	expect_pin(MMUEXT_PIN_L2_TABLE, t, -EINVAL, XENO_WHY_TABLE_NOT_RAM);
	assert_int_equal(why(&g)->slot, 1);
	tab(t)[1] = ent(new_frame(&d2), PTE_P);
	expect_pin(MMUEXT_PIN_L2_TABLE, t, -EINVAL, XENO_WHY_TABLE_NOT_OWNER);
	tab(t)[1] = ent(t, PTE_P | PTE_RW);
	expect_pin(MMUEXT_PIN_L2_TABLE, t, -EINVAL, XENO_WHY_LINEAR_WRITABLE);
	pte_configure(true, false);
	tab(t)[1] = ent(t, PTE_P);
	expect_pin(MMUEXT_PIN_L2_TABLE, t, -EINVAL, XENO_WHY_LINEAR_DISABLED);
	pte_configure(true, true);
	/* A same-level target only partly validated is no linear target. */
	{
		unsigned int i;

		for (i = 0; i < 40; i++) {
			tab(u)[i] = ent(new_frame(&d1), PTE_P);
		}
		ptype_set_preempt_interval(5);
		assert_int_equal(
			ptype_pin(&d1, mfn_of(u), PGT_l2, PTYPE_PREEMPTIBLE),
			-EAGAIN);
		ptype_set_preempt_interval(0);
		tab(l2)[0] = ent(u, PTE_P);
		expect_pin(MMUEXT_PIN_L2_TABLE, l2, -EINVAL,
			   XENO_WHY_LINEAR_NOT_VALIDATED);
		assert_true(why(&g)->flags & XENO_FRAME_PARTIAL);
		tab(l2)[0] = 0;
	}
	tab(t)[1] = 0;
	expect_pin(14, t, -ENOSYS, XENO_WHY_BAD_COMMAND);
	/* Type count at its maximum. */
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	t->type_info += PTYPE_COUNT_MAX - 1;
	tab(l2)[3] = ent(t, PTE_P);
	expect_pin(MMUEXT_PIN_L2_TABLE, l2, -EINVAL, XENO_WHY_TYPE_OVERFLOW);
	t->type_info -= PTYPE_COUNT_MAX - 1;
	tab(l2)[3] = 0;
	/* Given back but still referenced: no pin. */
	assert_true(page_get(u, &d1));
	assert_int_equal(mm_domain_release(&d1, u), 0);
	expect_pin(MMUEXT_PIN_L2_TABLE, u, -EINVAL, XENO_WHY_GIVEN_BACK);
	page_put(u);
	/* A linear target that chains. */
	{
		struct page_info *a = new_frame(&d1), *b = new_frame(&d1);
		struct page_info *c = new_frame(&d1);

		assert_int_equal(ptype_pin(&d1, mfn_of(a), PGT_l2, 0), 0);
		tab(b)[0] = ent(a, PTE_P);
		assert_int_equal(ptype_pin(&d1, mfn_of(b), PGT_l2, 0), 0);
		tab(c)[0] = ent(b, PTE_P);
		expect_pin(MMUEXT_PIN_L2_TABLE, c, -EINVAL,
			   XENO_WHY_LINEAR_CHAIN);
	}
}

/* xeno_stats_op machine-wide, as the guest g reads it. */
static long stats(struct xeno_stats *s)
{
	struct hcall_args h = { { XENO_STATS_read, gva(3, 0), 0, 0, 0 } };
	long rc;

	guest_enter(&g);
	rc = do_xeno_stats_op(&h);
	memcpy(s, gmem(&g, gva(3, 0)), sizeof(*s));
	return rc;
}

/*
 * The page-type counters (in xeno_stats_op): validations, devalidations
 * and their stops; xeno_mm_op's old counter commands are gone.
 */
static void test_ptype_counts(void **state)
{
	struct xeno_stats c;
	struct page_info *l1;
	unsigned int i;
	uint64_t cont;

	guest_init(&g, &d1, 0, 1);
	l1 = new_frame(&d1);
	for (i = 0; i < 100; i++) {
		tab(l1)[i] = ent(g.page[1], PTE_P);
	}
	assert_int_equal(stats(&c), 0);
	cont = c.mmu_continuations;
	ptype_stats_reset();
	ptype_set_preempt_interval(30);
	assert_int_equal(ext1(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(l1))), 0);
	assert_int_equal(ext1(MMUEXT_UNPIN_TABLE, mfn_x(mfn_of(l1))), 0);
	ptype_set_preempt_interval(0);
	assert_int_equal(stats(&c), 0);
	assert_int_equal(c.validations, 1);
	assert_int_equal(c.devalidations, 1);
	/*
	 * Validation: 512 entries looked at, every 30th a stop: 17. An L1's
	 * devalidation is one step (nothing in it cascades): no stop.
	 */
	assert_int_equal(c.validation_stops, 17);
	assert_int_equal(c.devalidation_stops, 0);
	/* Each stop is one continuation. */
	assert_int_equal(c.mmu_continuations - cont, 17);
	assert_int_equal(xop(&g, 2, gva(3, 0)), -ENOSYS);
	assert_int_equal(xop(&g, 3, gva(3, 0)), -ENOSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_last_refusal),  MM_TEST(test_reason_names),
		MM_TEST(test_frame_info),    MM_TEST(test_frame_info_linear),
		MM_TEST(test_entry_reasons), MM_TEST(test_ptype_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
