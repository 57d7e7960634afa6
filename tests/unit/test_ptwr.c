/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the writable page-table store (mm/ptwr.c, pv-abi §9.10):
 * full and partial stores, XCHG's old value, compare-exchange success
 * and failure, the same entry rules as mmu_update with the same errors
 * and reasons (foreign frame, writable mapping of a page table, memory
 * that is not RAM or is the hypervisor's, bad flags), refusals of the
 * table itself (not an L1, not the domain's, given back) and of bad
 * widths, references moving exactly as with mmu_update, no TLB flush,
 * and ptwr_l1_at() finding the table behind a guest address. Each test
 * ends with the audit (mm_test.h).
 */
#include <xeno/mm_why.h>
#include <xeno/ptwr.h>

#include "mm_test.h"

static struct guest g, hp;

/* Where the guest maps its extra L1 read-only (an L1 slot of g). */
#define TABLE_SLOT 20

/* A pinned L1 of d, empty. */
static struct page_info *new_l1(struct mm_domain *d)
{
	struct page_info *t = new_frame(d);

	assert_int_equal(ptype_pin(d, mfn_of(t), PGT_l1, 0), 0);
	return t;
}

/* ptwr_emulate_store with a refusal record completed, as the fault does. */
static int store(struct guest *gu, struct page_info *t, unsigned int off,
		 unsigned int width, uint64_t val, bool cmpxchg, uint64_t *old)
{
	int rc;

	guest_enter(gu);
	mm_why_begin();
	rc = ptwr_emulate_store(gu->v.d, mfn_of(t), off, width, val, cmpxchg,
				old);
	if (rc < 0) {
		mm_why_fail(rc, XENO_MM_PTWR_FAULT, 3, 0);
	}
	return rc;
}

static void test_store_full(void **state)
{
	struct page_info *t, *data, *data2;
	struct ptwr_stats s0, s1;
	uint64_t old = 1;

	guest_init(&g, &d1, 0, 1);
	t = new_l1(&d1);
	data = new_frame(&d1);
	data2 = new_frame(&d1);
	host_tlb_reset();
	ptwr_stats_read(&s0);
	assert_int_equal(
		store(&g, t, 5 * 8, 8, ent(data, PTE_P | PTE_RW), false, &old),
		0);
	assert_int_equal(old, 0);
	assert_int_equal(tab(t)[5],
			 ent(data, PTE_P | PTE_RW | PTE_US | PTE_GUEST_KERNEL));
	assert_int_equal(page_count(data), 2);
	assert_int_equal(ptype_count(data), 1);
	/* Another frame: the old one's references go. */
	assert_int_equal(store(&g, t, 5 * 8, 8, ent(data2, PTE_P), false, &old),
			 0);
	assert_int_equal(old,
			 ent(data, PTE_P | PTE_RW | PTE_US | PTE_GUEST_KERNEL));
	assert_int_equal(page_count(data), 1);
	assert_int_equal(ptype_count(data), 0);
	assert_int_equal(page_count(data2), 2);
	/* Only harmless bits: the fast path, no reference moves. */
	assert_int_equal(store(&g, t, 5 * 8, 8,
			       ent(data2, PTE_P | PTE_A | PTE_D | PTE_NX),
			       false, &old),
			 0);
	assert_int_equal(page_count(data2), 2);
	assert_true(tab(t)[5] & PTE_NX);
	/* Unmapped. */
	assert_int_equal(store(&g, t, 5 * 8, 8, 0, false, &old), 0);
	assert_int_equal(page_count(data2), 1);
	assert_int_equal(tab(t)[5], 0);
	/* As for mmu_update of an L1 entry, Xeno flushes nothing. */
	assert_int_equal(host_tlb_calls(), 0);
	ptwr_stats_read(&s1);
	assert_int_equal(s1.emulated - s0.emulated, 4);
	assert_int_equal(s1.refused, s0.refused);
}

/* 4-, 2- and 1-byte stores change their part of the entry only. */
static void test_store_partial(void **state)
{
	struct page_info *t, *data;
	uint64_t old = 0, e;

	guest_init(&g, &d1, 0, 1);
	t = new_l1(&d1);
	data = new_frame(&d1);
	/* High half first: not present, nothing is checked or taken. */
	e = ent(data, PTE_P | PTE_RW);
	assert_int_equal(store(&g, t, 8 * 7 + 4, 4, e >> 32, false, &old), 0);
	assert_int_equal(tab(t)[7], e & 0xffffffff00000000ULL);
	assert_int_equal(page_count(data), 1);
	/* Low half: now it maps data, writable. */
	assert_int_equal(store(&g, t, 8 * 7, 4, e & 0xffffffff, false, &old),
			 0);
	assert_int_equal(old, 0);
	assert_int_equal(tab(t)[7] & ~(PTE_US | PTE_GUEST_KERNEL), e);
	assert_int_equal(page_count(data), 2);
	assert_int_equal(ptype_count(data), 1);
	/* NX through the top byte, RW off through the low byte. */
	assert_int_equal(store(&g, t, 8 * 7 + 7, 1, 0x80, false, &old), 0);
	assert_int_equal(old, 0);
	assert_true(tab(t)[7] & PTE_NX);
	assert_int_equal(store(&g, t, 8 * 7, 1, (uint8_t)(e & ~PTE_RW) | PTE_US,
			       false, &old),
			 0);
	assert_int_equal(old, (uint8_t)(e | PTE_US));
	assert_int_equal(ptype_count(data), 0);
	assert_int_equal(page_count(data), 2);
	/* A 2-byte store of the low bits clears P: unmapped. */
	assert_int_equal(store(&g, t, 8 * 7, 2, 0, false, &old), 0);
	assert_int_equal(page_count(data), 1);
	assert_int_equal(tab(t)[7] & 0xffff, 0);
}

static void test_cmpxchg(void **state)
{
	struct page_info *t, *data;
	uint64_t want, old;

	guest_init(&g, &d1, 0, 1);
	t = new_l1(&d1);
	data = new_frame(&d1);
	/* Expecting 0 where 0 is: written. */
	old = 0;
	assert_int_equal(store(&g, t, 0, 8, ent(data, PTE_P), true, &old), 0);
	assert_int_equal(old, 0);
	want = ent(data, PTE_P | PTE_US | PTE_GUEST_KERNEL);
	assert_int_equal(tab(t)[0], want);
	/* Expecting the value as written, not as stored: fails. */
	old = ent(data, PTE_P);
	assert_int_equal(store(&g, t, 0, 8, 0, true, &old), PTWR_CMP_FAILED);
	assert_int_equal(old, want);
	assert_int_equal(tab(t)[0], want);
	assert_int_equal(page_count(data), 2);
	/* A failed compare is not a refusal, even with a bad new value. */
	old = 5;
	assert_int_equal(
		store(&g, t, 0, 8, ent(new_frame(&d2), PTE_P), true, &old),
		PTWR_CMP_FAILED);
	/* Expecting what is stored: written. */
	old = want;
	assert_int_equal(store(&g, t, 0, 8, 0, true, &old), 0);
	assert_int_equal(page_count(data), 1);
	/* 4 bytes compare 4 bytes. */
	tab(t)[1] = 0x1234ULL << 32;
	old = 0x1234;
	assert_int_equal(store(&g, t, 12, 4, 0x5678, true, &old), 0);
	assert_int_equal(tab(t)[1], 0x5678ULL << 32);
	old = 0x1234;
	assert_int_equal(store(&g, t, 12, 4, 0, true, &old), PTWR_CMP_FAILED);
	assert_int_equal(old, 0x5678);
}

/* The entry rules of mmu_update, with their errors and reasons. */
static void test_entry_refusals(void **state)
{
	struct page_info *t, *other, *data;
	struct ptwr_stats s0, s1;
	uint64_t old = 0;
	void *keep;

	guest_init(&g, &d1, 0, 1);
	t = new_l1(&d1);
	other = new_frame(&d2);
	data = new_frame(&d1);
	tab(t)[3] = 0;
	ptwr_stats_read(&s0);
	/* A frame of another domain. */
	assert_int_equal(store(&g, t, 24, 8, ent(other, PTE_P), false, &old),
			 -EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_OWNER);
	assert_int_equal(why(&g)->mfn, mfn_x(mfn_of(other)));
	assert_int_equal(why(&g)->owner, 2);
	assert_int_equal(why(&g)->table, mfn_x(mfn_of(t)));
	assert_int_equal(why(&g)->slot, 3);
	assert_int_equal(why(&g)->hypercall, XENO_MM_PTWR_FAULT);
	assert_int_equal(why(&g)->cmd, 3);
	assert_int_equal(why(&g)->error, -EBUSY);
	assert_int_equal(why(&g)->value, ent(other, PTE_P));
	/* Half of such an entry: the merged entry is what is checked. */
	assert_int_equal(store(&g, t, 24, 4, ent(other, PTE_P) & 0xffffffff,
			       false, &old),
			 -EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_OWNER);
	/* Writable mappings of page tables: this one, the guest's own. */
	assert_int_equal(
		store(&g, t, 24, 8, ent(t, PTE_P | PTE_RW), false, &old),
		-EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_TYPE_CONFLICT);
	assert_int_equal(why(&g)->type, XENO_FRAME_L1);
	assert_int_equal(
		store(&g, t, 24, 8, ent(g.l4, PTE_P | PTE_RW), false, &old),
		-EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_TYPE_CONFLICT);
	assert_int_equal(why(&g)->type, XENO_FRAME_L4);
	/* Read-only is allowed. */
	assert_int_equal(store(&g, t, 24, 8, ent(g.l4, PTE_P), false, &old), 0);
	assert_int_equal(store(&g, t, 24, 8, 0, false, &old), 0);
	/* The hypervisor's memory: RAM it holds; reserved frames. */
	assert_int_equal(store(&g, t, 24, 8, ent(xmalloc_frame(&keep), PTE_P),
			       false, &old),
			 -EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_OWNER);
	assert_int_equal(why(&g)->owner, DOMID_XEN);
	xfree(keep);
	assert_int_equal(
		store(&g, t, 24, 8, pte_make(mfn(3), PTE_P), false, &old),
		-EPERM);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_RAM);
	assert_int_equal(store(&g, t, 24, 8,
			       pte_make(mfn(MM_TEST_FRAMES + 5), PTE_P), false,
			       &old),
			 -EPERM);
	assert_int_equal(store(&g, t, 24, 8,
			       pte_make(mfn(PTE_MFN_ALL_ONES), PTE_P), false,
			       &old),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_ALL_ONES);
	/* Bits not allowed: cache attributes without I/O resources. */
	assert_int_equal(
		store(&g, t, 24, 8, ent(data, PTE_P | PTE_PCD), false, &old),
		-EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_BAD_FLAGS);
	assert_int_equal(why(&g)->slot, 3);
	/* A compare-exchange that matches is checked the same way. */
	old = 0;
	assert_int_equal(store(&g, t, 24, 8, ent(other, PTE_P), true, &old),
			 -EBUSY);
	/* Nothing changed, nothing leaked. */
	assert_int_equal(tab(t)[3], 0);
	assert_int_equal(page_count(other), 1);
	assert_int_equal(page_count(data), 1);
	ptwr_stats_read(&s1);
	assert_int_equal(s1.refused - s0.refused, 10);
}

/* The table must be a validated L1 the domain holds; widths. */
static void test_table_refusals(void **state)
{
	struct page_info *t, *theirs, *plain, *l2, *data;
	uint64_t old = 0;

	guest_init(&g, &d1, 0, 1);
	t = new_l1(&d1);
	data = new_frame(&d1);
	theirs = new_l1(&d2);
	plain = new_frame(&d1);
	l2 = new_frame(&d1);
	assert_int_equal(ptype_pin(&d1, mfn_of(l2), PGT_l2, 0), 0);
	assert_int_equal(store(&g, theirs, 0, 8, 0, false, &old), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_VA_NOT_L1);
	assert_int_equal(why(&g)->value, mfn_x(mfn_of(theirs)));
	assert_int_equal(store(&g, plain, 0, 8, ent(data, PTE_P), false, &old),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_VA_NOT_L1);
	assert_int_equal(tab(plain)[0], 0);
	assert_int_equal(store(&g, l2, 0, 8, 0, false, &old), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_VA_NOT_L1);
	guest_enter(&g);
	mm_why_begin();
	assert_int_equal(ptwr_emulate_store(&d1, mfn(MM_TEST_FRAMES + 1), 0, 8,
					    0, false, &old),
			 -EINVAL);
	/* Widths and alignment. */
	assert_int_equal(store(&g, t, 4, 8, 0, false, &old), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_PTWR_INSN);
	assert_int_equal(why(&g)->value, 4);
	assert_int_equal(store(&g, t, 6, 4, 0, false, &old), -EINVAL);
	assert_int_equal(store(&g, t, 1, 2, 0, false, &old), -EINVAL);
	assert_int_equal(store(&g, t, 0, 3, 0, false, &old), -EINVAL);
	assert_int_equal(store(&g, t, 0, 16, 0, false, &old), -EINVAL);
	assert_int_equal(store(&g, t, PAGE_SIZE, 8, 0, false, &old), -EINVAL);
	assert_int_equal(
		store(&g, t, PAGE_SIZE - 8, 8, ent(data, PTE_P), false, &old),
		0);
	assert_int_equal(tab(t)[511] & PTE_ADDR, ent(data, 0));
	/* A table given back is no longer the domain's to write. */
	assert_true(page_get(t, &d1));
	assert_int_equal(mm_domain_release(&d1, t), 0);
	assert_int_equal(store(&g, t, 0, 8, 0, false, &old), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_VA_NOT_L1);
	page_put(t);
}

/* A privileged domain's own L1 may map any domain's frames, as with
 * mmu_update and FD = self. */
static void test_privileged(void **state)
{
	struct page_info *t, *theirs;
	uint64_t old = 0;

	guest_init(&hp, &dp, 0, 2);
	t = new_l1(&dp);
	theirs = new_frame(&d2);
	assert_int_equal(
		store(&hp, t, 0, 8, ent(theirs, PTE_P | PTE_RW), false, &old),
		0);
	assert_int_equal(page_count(theirs), 2);
	assert_int_equal(ptype_count(theirs), 1);
	assert_int_equal(store(&hp, t, 0, 8, 0, false, &old), 0);
	assert_int_equal(page_count(theirs), 1);
}

/* update_va_mapping as g: maps va to val. */
static void map(struct guest *gu, uint64_t va, uint64_t val)
{
	struct hcall_args h = { { va, val, 0, 0, 0 } };

	guest_enter(gu);
	assert_int_equal(do_update_va_mapping(&h), 0);
}

/* ptwr_l1_at: the L1 that a guest address lies in, through the kernel
 * tables of the vCPU. */
static void test_l1_at(void **state)
{
	struct page_info *t, *theirs;
	uint64_t va = gva(TABLE_SLOT, 0);
	mfn_t m = INVALID_MFN;

	guest_init(&g, &d1, 0, 1);
	t = new_l1(&d1);
	/* Not mapped yet. */
	assert_int_equal(ptwr_l1_at(&g.v, va, &m), -EINVAL);
	map(&g, va, ent(t, PTE_P));
	assert_int_equal(ptwr_l1_at(&g.v, va + 0x7f8, &m), 0);
	assert_true(mfn_eq(m, mfn_of(t)));
	/* A data page is not a table; nor is the address of no L1. */
	assert_int_equal(ptwr_l1_at(&g.v, gva(0, 0), &m), -EINVAL);
	assert_int_equal(ptwr_l1_at(&g.v, 1ULL << 30, &m), -EINVAL);
	assert_int_equal(ptwr_l1_at(&g.v, HYPERVISOR_VIRT_START, &m), -EINVAL);
	/* The L1 of g's own tables. */
	map(&g, gva(TABLE_SLOT + 1, 0), ent(g.l1, PTE_P));
	assert_int_equal(ptwr_l1_at(&g.v, gva(TABLE_SLOT + 1, 8), &m), 0);
	assert_true(mfn_eq(m, mfn_of(g.l1)));
	/* An upper-level table is not an L1. */
	map(&g, gva(TABLE_SLOT + 1, 0), ent(g.l2, PTE_P));
	assert_int_equal(ptwr_l1_at(&g.v, gva(TABLE_SLOT + 1, 8), &m), -EINVAL);
	/* An L1 of another domain (a privileged guest could map it) is
	 * not ours to emulate. */
	theirs = new_l1(&d2);
	guest_init(&hp, &dp, 0, 2);
	map(&hp, va, ent(theirs, PTE_P));
	assert_int_equal(ptwr_l1_at(&hp.v, va, &m), -EINVAL);
	map(&hp, va, ent(hp.l1, PTE_P));
	assert_int_equal(ptwr_l1_at(&hp.v, va, &m), 0);
	assert_true(mfn_eq(m, mfn_of(hp.l1)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_store_full),     MM_TEST(test_store_partial),
		MM_TEST(test_cmpxchg),	      MM_TEST(test_entry_refusals),
		MM_TEST(test_table_refusals), MM_TEST(test_privileged),
		MM_TEST(test_l1_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
