/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the vCPU state (mm/mm_vcpu.c), of what mm_domain gained
 * for it (registration, finding a domain by id, dying), of the audit's
 * new holders (roots, registered outside references) and of the M2P
 * (mm/m2p.c). Each test ends with the audit (mm_test.h).
 */
#include <pthread.h>

#include "mm_test.h"

static struct mm_vcpu v0, v1;

static void test_init_fini(void **state)
{
	mm_vcpu_init(&v0, &d1, 0);
	mm_vcpu_init(&v1, &d1, 5);
	assert_ptr_equal(d1.vcpus[0], &v0);
	assert_ptr_equal(d1.vcpus[5], &v1);
	assert_int_equal(d1.nr_vcpus, 2);
	assert_int_equal(v1.id, 5);
	assert_int_equal(v0.cpu, -1);
	assert_true(mfn_eq(v0.kernel_root, INVALID_MFN));
	assert_true(mfn_eq(mm_vcpu_active_root(&v0), INVALID_MFN));
	mm_vcpu_fini(&v1);
	assert_null(d1.vcpus[5]);
	assert_int_equal(d1.nr_vcpus, 1);
	mm_vcpu_fini(&v0);
}

/* Roots hold references; new before old; fini drops them. */
static void test_roots(void **state)
{
	struct page_info *a = new_frame(&d1), *b = new_frame(&d1);

	mm_vcpu_init(&v0, &d1, 0);
	assert_int_equal(mm_vcpu_set_root(&v0, false, mfn_of(a), 0), 0);
	assert_int_equal(page_count(a), 2);
	assert_int_equal(ptype_count(a), 1);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(mm_vcpu_set_root(&v0, true, mfn_of(a), 0), 0);
	assert_int_equal(ptype_count(a), 2);
	assert_int_equal(mm_vcpu_set_root(&v0, false, mfn_of(b), 0), 0);
	assert_int_equal(ptype_count(a), 1);
	assert_int_equal(mm_audit(), 0);
	/* Refused: nothing changes. */
	assert_int_equal(
		mm_vcpu_set_root(&v0, false, mfn_of(new_frame(&d2)), 0),
		-EINVAL);
	assert_int_equal(mm_vcpu_set_root(&v0, false, mfn(~0ULL >> 1), 0),
			 -EINVAL);
	assert_int_equal(mm_vcpu_set_root(&v0, false, mfn(0), 0), -EINVAL);
	assert_true(mfn_eq(v0.kernel_root, mfn_of(b)));
	/* The user root 0: none. */
	assert_int_equal(mm_vcpu_set_root(&v0, true, mfn(0), 0), 0);
	assert_int_equal(ptype_count(a), 0);
	/* An uncounted root is an audit failure. */
	b->count--;
	assert_int_equal(mm_audit(), -1);
	b->count++;
	mm_vcpu_fini(&v0);
	assert_int_equal(page_count(b), 1);
	assert_int_equal(ptype_count(b), 0);
}

/* Switching: current, the CPU, loaded roots, mode changes. */
/*
 * An address space not yet validated: an L4 over an L3 over 4 L2s over
 * 64 L1s, each mapping 60 data frames read-only (about 4,000 entries).
 */
static struct page_info *big_space(void)
{
	struct page_info *l4 = new_frame(&d1), *l3 = new_frame(&d1);
	struct page_info *data = new_frame(&d1);
	unsigned int i, j, k;

	tab(l4)[0] = ent(l3, PTE_P | PTE_RW);
	for (i = 0; i < 4; i++) {
		struct page_info *l2 = new_frame(&d1);

		tab(l3)[i] = ent(l2, PTE_P | PTE_RW);
		for (j = 0; j < 16; j++) {
			struct page_info *l1 = new_frame(&d1);

			tab(l2)[j] = ent(l1, PTE_P | PTE_RW);
			for (k = 0; k < 60; k++) {
				tab(l1)[k] = ent(data, PTE_P);
			}
		}
	}
	return l4;
}

/* Calls fn until it stops saying -EAGAIN, auditing between; the parts. */
static unsigned int parts_of(int (*fn)(struct mm_vcpu *, bool, mfn_t),
			     bool user, mfn_t m, int *rc)
{
	unsigned int parts = 1;

	while ((*rc = fn(&v0, user, m)) == -EAGAIN) {
		parts++;
		assert_int_equal(mm_audit(), 0);
	}
	return parts;
}

static int drop_all(struct mm_vcpu *v, bool user, mfn_t m)
{
	(void)user;
	(void)m;
	return mm_vcpu_drop_prepared(v);
}

/*
 * VCPUOP_initialise's roots (mm_vcpu_prepare_root): validated in parts,
 * kept once done (asked again, nothing is validated), a different root
 * drops the old one in parts first, and mm_vcpu_drop_prepared lets go of
 * everything in parts; the audit counts prepared roots at every step.
 */
static void test_prepare_root(void **state)
{
	struct page_info *big = big_space(), *small = new_frame(&d1);
	struct ptype_stats st;
	int rc;

	mm_vcpu_init(&v0, &d1, 0);
	ptype_set_preempt_interval(50);
	assert_true(parts_of(mm_vcpu_prepare_root, false, mfn_of(big), &rc) >=
		    10);
	assert_int_equal(rc, 0);
	assert_true(mfn_eq(v0.prepared[0], mfn_of(big)));
	assert_true(ptype_validated(big));
	assert_int_equal(ptype_count(big), 1);
	assert_true(mfn_eq(v0.kernel_root, INVALID_MFN)); /* not installed */
	ptype_stats_reset();
	assert_int_equal(mm_vcpu_prepare_root(&v0, false, mfn_of(big)), 0);
	ptype_stats_read(&st);
	assert_int_equal(st.validations, 0);
	/* Another root: the big one is dropped first, in parts. */
	assert_true(parts_of(mm_vcpu_prepare_root, false, mfn_of(small), &rc) >=
		    10);
	assert_int_equal(rc, 0);
	assert_int_equal(ptype_count(big), 0);
	assert_false(ptype_partial(big));
	assert_true(mfn_eq(v0.prepared[0], mfn_of(small)));
	/* The big one as the user root, then everything dropped in parts. */
	assert_true(parts_of(mm_vcpu_prepare_root, true, mfn_of(big), &rc) >=
		    10);
	assert_int_equal(rc, 0);
	assert_true(parts_of(drop_all, false, INVALID_MFN, &rc) >= 10);
	assert_int_equal(rc, 0);
	assert_true(mfn_eq(v0.prepared[0], INVALID_MFN));
	assert_true(mfn_eq(v0.prepared[1], INVALID_MFN));
	assert_int_equal(ptype_count(big), 0);
	assert_int_equal(ptype_count(small), 0);
	assert_int_equal(page_count(big), 1);
	assert_null(v0.put_pending);
	/* Refusals: not an L4 of d1. */
	assert_int_equal(mm_vcpu_prepare_root(&v0, false, mfn(MM_TEST_FRAMES)),
			 -EINVAL);
	ptype_set_preempt_interval(0);
	mm_vcpu_fini(&v0);
}

/*
 * A vCPU torn down in the middle: one root prepared, the other half
 * validated. The bounded teardown steps release everything.
 */
static void test_prepare_root_teardown(void **state)
{
	struct page_info *a = big_space(), *b = big_space();
	unsigned int steps;
	int rc;

	mm_vcpu_init(&v0, &d1, 0);
	ptype_set_preempt_interval(50);
	(void)parts_of(mm_vcpu_prepare_root, false, mfn_of(a), &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(mm_vcpu_prepare_root(&v0, true, mfn_of(b)), -EAGAIN);
	assert_true(ptype_partial(b));
	assert_int_equal(mm_audit(), 0);
	steps = release_in_steps(&v0);
	ptype_set_preempt_interval(0);
	assert_true(steps >= 2);
	assert_true(mfn_eq(v0.prepared[0], INVALID_MFN));
	assert_int_equal(ptype_count(a), 0);
	assert_int_equal(page_count(a), 1);
	mm_vcpu_fini(&v0);
	/* b's half validation belongs to nobody; the domain's teardown
	 * (mm_test_teardown) releases it. */
	assert_true(ptype_partial(b));
	assert_int_equal(mm_audit(), 0);
}

static void test_switch_and_mode(void **state)
{
	struct page_info *k = new_frame(&d1), *u = new_frame(&d1);
	struct arch_tlb_stats st;

	mm_vcpu_init(&v0, &d1, 0);
	mm_vcpu_init(&v1, &d1, 1);
	assert_int_equal(mm_vcpu_set_root(&v0, false, mfn_of(k), 0), 0);
	assert_int_equal(mm_vcpu_set_root(&v0, true, mfn_of(u), 0), 0);
	host_tlb_reset();
	host_set_cpu(2);
	mm_vcpu_switch(NULL, &v0);
	assert_ptr_equal(mm_vcpu_current(), &v0);
	assert_ptr_equal(mm_vcpu_current_on(2), &v0);
	assert_int_equal(v0.cpu, 2);
	assert_true(mfn_eq(host_loaded_root(2), mfn_of(k)));
	mm_vcpu_set_mode(&v0, true);
	assert_true(mfn_eq(host_loaded_root(2), mfn_of(u)));
	/* The inactive (kernel) root changes: nothing is loaded. */
	assert_int_equal(mm_vcpu_set_root(&v0, false, mfn_of(u), 0), 0);
	assert_true(mfn_eq(host_loaded_root(2), mfn_of(u)));
	mm_vcpu_set_mode(&v0, false);
	mm_vcpu_switch(&v0, &v1);
	assert_int_equal(v0.cpu, -1);
	assert_true(mfn_eq(host_loaded_root(2), INVALID_MFN)); /* no root */
	assert_true(mm_vcpu_switches(2) >= 2);
	mm_vcpu_switch(&v1, NULL);
	assert_null(mm_vcpu_current());
	arch_tlb_stats_read(&st);
	assert_int_equal(st.cr3_loads, 5);
	mm_vcpu_fini(&v0);
	mm_vcpu_fini(&v1);
	host_set_cpu(0);
}

/* Outside references: registered ones are counted, others are not. */
static void test_outside_refs(void **state)
{
	struct page_info *p = new_frame(&d1);

	assert_true(page_get(p, &d1));
	assert_int_equal(mm_audit(), -1);
	mm_hold_outside_ref(p);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(ptype_get(p, PGT_writable, &d1, 0), 0);
	assert_true(page_get(p, &d1));
	mm_hold_outside_typed_ref(p);
	assert_int_equal(mm_audit(), 0);
	mm_drop_outside_typed_ref(p);
	page_put_and_type(p);
	mm_drop_outside_ref(p);
	page_put(p);
	assert_int_equal(mm_audit(), 0);
}

/* Finding domains by id, and fini waiting for the last find. */
static void *unfind_later(void *arg)
{
	struct mm_domain *d = arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	host_set_cpu(3);
	nanosleep(&ts, NULL);
	mm_domain_unfind(d);
	return NULL;
}

static void test_find(void **state)
{
	static struct mm_domain d9;
	struct mm_domain *f;
	pthread_t t;

	assert_ptr_equal(mm_domain_find(2), &d2);
	mm_domain_unfind(&d2);
	assert_null(mm_domain_find(42));
	mm_domain_init(&d9, 9, 10);
	f = mm_domain_find(9);
	assert_ptr_equal(f, &d9);
	assert_int_equal(pthread_create(&t, NULL, unfind_later, f), 0);
	mm_domain_fini(&d9); /* returns once the thread let go */
	assert_int_equal(d9.finds, 0);
	pthread_join(t, NULL);
	assert_null(mm_domain_find(9));
}

/* A dying domain gets no frame. */
static void test_dying(void **state)
{
	struct page_info *p;

	(void)new_frame(&d1);
	mm_domain_relinquish(&d1);
	assert_true(d1.dying);
	assert_int_equal(mm_domain_alloc(&d1, &p), -ENOMEM);
	assert_int_equal(d1.tot_pages, 0);
}

/* The M2P: entries, table frames, what assignment and freeing do. */
static void test_m2p(void **state)
{
	struct page_info *p = NULL;
	uint64_t i;

	assert_int_equal(m2p_nr_entries(), MM_TEST_FRAMES);
	assert_int_equal(m2p_nr_table_frames(), MM_TEST_FRAMES / 512);
	for (i = 0; i < m2p_nr_table_frames(); i++) {
		mfn_t f = m2p_table_frame(i);

		assert_false(mfn_eq(f, INVALID_MFN));
		assert_true(mfn_to_page(f)->flags & PGF_ALLOCATED);
		assert_false(mfn_to_page(f)->flags & PGF_DOMAIN);
	}
	assert_true(mfn_eq(m2p_table_frame(i), INVALID_MFN));
	assert_int_equal(m2p_get(mfn(5)), M2P_INVALID);
	assert_false(m2p_set(mfn(MM_TEST_FRAMES), 1));
	assert_int_equal(m2p_get(mfn(MM_TEST_FRAMES)), M2P_INVALID);
	p = new_frame(&d1);
	assert_true(m2p_set(mfn_of(p), 77));
	assert_int_equal(m2p_get(mfn_of(p)), 77);
	/* Entry 8m of the table, as guests read it. */
	{
		uint64_t m = mfn_x(mfn_of(p));
		uint64_t *t = arch_mfn_to_virt(m2p_table_frame(m / 512));

		assert_int_equal(t[m % 512], 77);
	}
	assert_int_equal(mm_domain_release(&d1, p), 0);
	assert_int_equal(m2p_get(mfn_of(p)), M2P_INVALID);
	/* A table that does not fit the allocator. */
	assert_int_equal(m2p_init(1ULL << 40), -ENOMEM);
	assert_int_equal(m2p_nr_entries(), 0);
	assert_int_equal(m2p_get(mfn(5)), M2P_INVALID);
	assert_false(m2p_set(mfn(5), 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_init_fini),
		MM_TEST(test_roots),
		MM_TEST(test_prepare_root),
		MM_TEST(test_prepare_root_teardown),
		MM_TEST(test_switch_and_mode),
		MM_TEST(test_outside_refs),
		MM_TEST(test_find),
		MM_TEST(test_dying),
		MM_TEST(test_m2p),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
