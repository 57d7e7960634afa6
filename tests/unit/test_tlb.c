/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the TLB layer (mm/tlb.c): batching into one arch call,
 * the lazy CPU masks and when a full flush cleans them, the flushes a
 * change of type needs (and the ones the clock proves unneeded), the
 * flush before a freed frame is reused, stamps across the 25-bit wrap,
 * and the per-operation counters. Each test ends with the audit
 * (mm_test.h).
 */
#include "mm_test.h"

static struct guest g, h2;

static void test_batching(void **state)
{
	struct tlb_flush f;
	struct tlb_stats st;

	guest_init(&g, &d1, 0, 1);
	host_tlb_reset();
	tlb_flush_init(&f, &d1, TLB_OP_MMUEXT);
	tlb_flush_commit(&f);	      /* nothing noted: nothing done */
	tlb_flush_add(&f, 0, 0x1000); /* no CPUs: nothing */
	tlb_flush_commit(&f);
	assert_int_equal(host_tlb_calls(), 0);
	tlb_flush_add(&f, cpumask_of(1), 0x1234);
	tlb_flush_add(&f, cpumask_of(3), 0x1000);
	tlb_flush_commit(&f);
	assert_int_equal(host_tlb_calls(), 1);
	assert_int_equal(host_tlb_call(0).va, 0x1000);
	assert_int_equal(host_tlb_call(0).mask, cpumask_of(1) | cpumask_of(3));
	tlb_flush_add(&f, cpumask_of(1), 0x1000);
	tlb_flush_add(&f, cpumask_of(1), 0x2000);
	tlb_flush_commit(&f);
	assert_int_equal(host_tlb_call(1).va, ARCH_FLUSH_ALL);
	tlb_stats_read(&st);
	assert_int_equal(st.op[TLB_OP_MMUEXT].commits, 2);
	assert_int_equal(st.op[TLB_OP_MMUEXT].invlpg, 1);
	assert_int_equal(st.op[TLB_OP_MMUEXT].full, 1);
	assert_int_equal(st.op[TLB_OP_MMUEXT].cpus, 3);
	assert_int_equal(st.op[TLB_OP_MMUEXT].ipis, 1); /* CPU 3, from 1 */
}

/* A CPU stays in the masks after switching away, until a full flush. */
static void test_lazy_masks(void **state)
{
	struct tlb_flush f;

	guest_init(&g, &d1, 0, 1);
	assert_int_equal(tlb_vcpu_cpus(&g.v), cpumask_of(1));
	/* vCPU 0 moves to CPU 2. */
	host_set_cpu(1);
	mm_vcpu_switch(&g.v, NULL);
	assert_true(mfn_eq(host_loaded_root(1), INVALID_MFN));
	g.cpu = 2;
	guest_enter(&g);
	assert_int_equal(tlb_domain_cpus(&d1), cpumask_of(1) | cpumask_of(2));
	assert_int_equal(tlb_vcpu_cpus(&g.v), cpumask_of(1) | cpumask_of(2));
	/* A single-address flush cleans nothing. */
	tlb_flush_init(&f, &d1, TLB_OP_OTHER);
	tlb_flush_add(&f, tlb_domain_cpus(&d1), 0x5000);
	tlb_flush_commit(&f);
	assert_int_equal(tlb_domain_cpus(&d1), cpumask_of(1) | cpumask_of(2));
	/* A full one cleans CPU 1, not CPU 2 which runs the vCPU. */
	tlb_flush_add(&f, tlb_domain_cpus(&d1), ARCH_FLUSH_ALL);
	tlb_flush_commit(&f);
	assert_int_equal(tlb_domain_cpus(&d1), cpumask_of(2));
	assert_int_equal(tlb_vcpu_cpus(&g.v), cpumask_of(2));
	/* A second vCPU of the domain on CPU 3. */
	guest_init(&h2, &d1, 1, 3);
	assert_int_equal(tlb_vcpus_cpus(&d1, 3), cpumask_of(2) | cpumask_of(3));
	assert_int_equal(tlb_vcpus_cpus(&d1, 2), cpumask_of(3));
}

/* Writable -> L1 with a guest CPU dirty: one flush; then none needed. */
static void test_type_change_flush(void **state)
{
	struct page_info *p = NULL, *q = NULL;
	struct tlb_stats st0, st;

	guest_init(&g, &d1, 0, 1);
	p = new_frame(&d1);
	q = new_frame(&d1);
	assert_int_equal(page_get_and_type(p, &d1, PGT_writable, 0), 0);
	page_put_and_type(p); /* stamped now */
	assert_int_equal(page_get_and_type(q, &d1, PGT_writable, 0), 0);
	page_put_and_type(q); /* stamped now */
	host_tlb_reset();
	tlb_stats_read(&st0);
	assert_int_equal(ptype_pin(&d1, mfn_of(p), PGT_l1, 0), 0);
	assert_int_equal(host_tlb_calls(), 1);
	assert_int_equal(host_tlb_call(0).mask, cpumask_of(1));
	assert_int_equal(host_tlb_call(0).va, ARCH_FLUSH_ALL);
	/* q went idle before that flush: its change needs none. */
	assert_int_equal(ptype_pin(&d1, mfn_of(q), PGT_l1, 0), 0);
	assert_int_equal(host_tlb_calls(), 1);
	tlb_stats_read(&st);
	assert_int_equal(st.stale_checks - st0.stale_checks, 2);
	assert_int_equal(st.stale_skipped - st0.stale_skipped, 1);
	/* L1 -> writable (a former table): flushed too. */
	assert_int_equal(ptype_unpin(&d1, mfn_of(p)), 0);
	assert_int_equal(page_get_and_type(p, &d1, PGT_writable, 0), 0);
	assert_int_equal(host_tlb_calls(), 2);
	page_put_and_type(p);
	/* Same type again: no check at all. */
	assert_int_equal(page_get_and_type(p, &d1, PGT_writable, 0), 0);
	page_put_and_type(p);
	tlb_stats_read(&st);
	assert_int_equal(st.stale_checks - st0.stale_checks, 3);
}

/* Without any guest CPU there is nothing to flush. */
static void test_no_guest_no_flush(void **state)
{
	struct page_info *p = new_frame(&d1);

	host_tlb_reset();
	assert_int_equal(page_get_and_type(p, &d1, PGT_writable, 0), 0);
	page_put_and_type(p);
	assert_int_equal(ptype_pin(&d1, mfn_of(p), PGT_l1, 0), 0);
	assert_int_equal(host_tlb_calls(), 0);
}

/* A frame a guest could cache is flushed before anyone gets it again. */
static void test_freed_frame_reuse(void **state)
{
	struct page_info *p = NULL, *again = NULL;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	p = new_frame(&d1);
	r = mu(ma(g.l1, 50), 0, ent(p, PTE_P | PTE_RW));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	r.val = 0; /* unmapped without a flush: the guest's business */
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	host_set_cpu(0);
	assert_int_equal(mm_domain_release(&d1, p), 0);
	assert_false(p->flags & PGF_DOMAIN);
	host_tlb_reset();
	/* The allocator hands out the frame freed last on this CPU. */
	again = frame_alloc(0, 0);
	assert_ptr_equal(again, p);
	assert_int_equal(host_tlb_calls(), 1);
	assert_int_equal(host_tlb_call(0).mask, cpumask_of(1));
	assert_int_equal(again->type_info, 0);
	frame_free(again, 0, 0);
	/* Once flushed, its reuse needs nothing. */
	again = frame_alloc(0, 0);
	assert_ptr_equal(again, p);
	assert_int_equal(host_tlb_calls(), 1);
	frame_free(again, 0, 0);
}

/* Stamps compare across the wrap of their 25 bits. */
static void test_stamps(void **state)
{
	uint32_t a, b;
	struct tlb_flush f;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	a = tlb_stamp();
	assert_true(a != 0);
	assert_int_equal(tlb_stamp_later(0, a), a);
	assert_int_equal(tlb_stamp_later(a, 0), a);
	tlb_flush_init(&f, &d1, TLB_OP_OTHER);
	for (i = 0; i < 3; i++) {
		tlb_flush_add(&f, cpumask_of(1), ARCH_FLUSH_ALL);
		tlb_flush_commit(&f);
	}
	b = tlb_stamp();
	assert_int_equal(b, a + 3);
	assert_int_equal(tlb_stamp_later(a, b), b);
	assert_int_equal(tlb_stamp_later(b, a), b);
	/* A stamp from before a wrap reads as later than the truth: safe. */
	assert_int_equal(tlb_stamp_later(b, 0x1ffffff), 0x1ffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_batching),
		MM_TEST(test_lazy_masks),
		MM_TEST(test_type_change_flush),
		MM_TEST(test_no_guest_no_flush),
		MM_TEST(test_freed_frame_reuse),
		MM_TEST(test_stamps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
