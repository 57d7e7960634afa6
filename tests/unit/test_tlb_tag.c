/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the address-space tags (mm/tlb_tag.c, docs/mm.md §15)
 * as mm_vcpu.c uses them: without tags every root load is tag 0 and
 * drops entries (the fallback); with tags a (vCPU, root) pair gets its
 * own tag per CPU and a load keeps its entries, unless a single-address
 * flush on that CPU missed them, the vCPU installed a root since (a
 * guest CR3 write), or the tag was recycled for another pair meanwhile.
 */
#include <xeno/tlb_tag.h>

#include "mm_test.h"

static struct guest a, b, c;

/* A guest whose pages are kernel-only: no global entries (test_globals). */
static void guest_init_kernel(struct guest *g, struct mm_domain *d,
			      unsigned int id, unsigned int cpu)
{
	unsigned int i;

	guest_init(g, d, id, cpu);
	for (i = 0; i < GUEST_PAGES; i++) {
		tab(g->l1)[i] = (tab(g->l1)[i] & ~PTE_G) | PTE_GUEST_KERNEL;
	}
	d->globals = false;
}

/* Puts next (NULL: idle) on cpu in place of whatever runs there. */
static void run_on(unsigned int cpu, struct mm_vcpu *next)
{
	host_set_cpu(cpu);
	mm_vcpu_switch(mm_vcpu_current(), next);
}

static void assert_load(unsigned int cpu, unsigned int tag, bool keep)
{
	struct host_tag_load ld = host_loaded_tag(cpu);

	assert_int_equal(ld.tag, tag);
	assert_int_equal(ld.keep, keep);
}

static struct arch_tlb_stats cpu_stats(unsigned int cpu)
{
	struct arch_tlb_stats st;

	arch_tlb_cpu_stats_read(cpu, &st);
	return st;
}

/* An empty L4 of d as g's user root. */
static void give_user_root(struct guest *g, struct mm_domain *d)
{
	guest_enter(g);
	assert_int_equal(mm_vcpu_set_root(&g->v, true, mfn_of(new_frame(d)), 0),
			 0);
}

/* No tags: tag 0, every load drops entries, as before PCIDs. */
static void test_fallback(void **state)
{
	struct arch_tlb_stats s0, s1;

	assert_int_equal(tlb_tag_count(), 0);
	guest_init_kernel(&a, &d1, 0, 1);
	guest_init_kernel(&b, &d2, 0, 1);
	s0 = cpu_stats(1);
	run_on(1, &a.v);
	assert_load(1, 0, false);
	run_on(1, &b.v);
	assert_load(1, 0, false);
	run_on(1, NULL);
	assert_load(1, 0, false);
	s1 = cpu_stats(1);
	assert_int_equal(s1.cr3_loads - s0.cr3_loads, 3);
	assert_int_equal(s1.cr3_flushes - s0.cr3_flushes, 3);
	assert_int_equal(s1.local_flushes, s0.local_flushes);
}

/* Each pair gets its own tag; switching back keeps the entries. */
static void test_alloc_and_reuse(void **state)
{
	struct arch_tlb_stats s0, s1;

	host_set_tlb_tags(8);
	assert_int_equal(tlb_tag_count(), 8);
	guest_init_kernel(&a, &d1, 0, 1);
	assert_load(1, 1, false);
	guest_init_kernel(&b, &d2, 0, 1);
	assert_load(1, 2, false);
	s0 = cpu_stats(1);
	run_on(1, &a.v);
	assert_load(1, 1, true);
	run_on(1, &b.v);
	assert_load(1, 2, true);
	/* The hypervisor's tables: tag 0, never stale. */
	run_on(1, NULL);
	assert_load(1, 0, true);
	run_on(1, &a.v);
	assert_load(1, 1, true);
	s1 = cpu_stats(1);
	assert_int_equal(s1.cr3_loads - s0.cr3_loads, 4);
	assert_int_equal(s1.cr3_flushes, s0.cr3_flushes);
	assert_int_equal(s1.local_flushes, s0.local_flushes);
	/* Another CPU has its own table: a is new there. */
	run_on(1, NULL);
	run_on(2, &a.v);
	assert_load(2, 1, false);
	run_on(2, NULL);
	run_on(1, &a.v);
	assert_load(1, 1, true);
	/* The limit is the arch's or the table's, whichever is smaller. */
	host_set_tlb_tags(5000);
	assert_int_equal(tlb_tag_count(), TLB_TAGS_MAX);
}

/* Kernel and user roots have a tag each; mode switches keep both. */
static void test_kernel_user(void **state)
{
	struct arch_tlb_stats s0, s1;

	host_set_tlb_tags(8);
	guest_init_kernel(&a, &d1, 0, 1);
	give_user_root(&a, &d1);
	mm_vcpu_set_mode(&a.v, true);
	assert_load(1, 2, false);
	/* The user root's install made the kernel tag's entries go. */
	mm_vcpu_set_mode(&a.v, false);
	assert_load(1, 1, false);
	s0 = cpu_stats(1);
	mm_vcpu_set_mode(&a.v, true);
	assert_load(1, 2, true);
	mm_vcpu_set_mode(&a.v, false);
	assert_load(1, 1, true);
	s1 = cpu_stats(1);
	assert_int_equal(s1.cr3_loads - s0.cr3_loads, 2);
	assert_int_equal(s1.cr3_flushes, s0.cr3_flushes);
}

/* A single-address flush here leaves every other tag of the CPU stale. */
static void test_stale_after_invlpg(void **state)
{
	struct mmuext_op o = eo(MMUEXT_INVLPG_LOCAL, gva(1, 0), 0);

	host_set_tlb_tags(8);
	guest_init_kernel(&a, &d1, 0, 1);
	give_user_root(&a, &d1);
	guest_init_kernel(&b, &d2, 0, 1);
	/* a: kernel tag 1, user tag 3; b: tag 2. */
	run_on(1, &a.v);
	assert_load(1, 1, false);
	mm_vcpu_set_mode(&a.v, true);
	assert_load(1, 3, false);
	mm_vcpu_set_mode(&a.v, false);
	assert_load(1, 1, true);
	/* a's INVLPG reached its kernel tag (loaded) only. */
	assert_int_equal(ext(&a, &o, 1, NULL, DOMID_SELF), 0);
	assert_int_equal(host_tlb_call(host_tlb_calls() - 1).va, gva(1, 0));
	mm_vcpu_set_mode(&a.v, true);
	assert_load(1, 3, false);
	mm_vcpu_set_mode(&a.v, false);
	assert_load(1, 1, true);
	run_on(1, &b.v);
	assert_load(1, 2, false);
	run_on(1, &a.v);
	assert_load(1, 1, true);
	/* A full flush empties every tag: nothing stale afterwards. */
	assert_int_equal(ext(&a, &o, 1, NULL, DOMID_SELF), 0);
	o = eo(MMUEXT_TLB_FLUSH_LOCAL, 0, 0);
	assert_int_equal(ext(&a, &o, 1, NULL, DOMID_SELF), 0);
	run_on(1, &b.v);
	assert_load(1, 2, true);
	/* A flush of one address while idle: every tag is stale. */
	run_on(1, NULL);
	arch_flush_tlb_mask(cpumask_of(1), GUEST_VA);
	run_on(1, &b.v);
	assert_load(1, 2, false);
}

/*
 * A root install is a guest CR3 write: the vCPU's entries go on every
 * CPU, lazily, also for the same root.
 */
static void test_root_install_drops(void **state)
{
	struct mmuext_op o;

	host_set_tlb_tags(8);
	guest_init_kernel(&a, &d1, 0, 1);
	guest_init_kernel(&b, &d2, 0, 1);
	run_on(1, &a.v);
	assert_load(1, 1, true);
	o = eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(a.l4)), 0);
	assert_int_equal(ext(&a, &o, 1, NULL, DOMID_SELF), 0);
	assert_load(1, 1, false);
	/* a moves to CPU 2 and installs its root there. */
	run_on(1, &b.v);
	run_on(2, &a.v);
	a.cpu = 2;
	assert_load(2, 1, false);
	run_on(2, NULL);
	run_on(2, &a.v);
	assert_load(2, 1, true);
	assert_int_equal(ext(&a, &o, 1, NULL, DOMID_SELF), 0);
	/* Back on CPU 1 its old tag there is not kept. */
	run_on(2, NULL);
	run_on(1, &a.v);
	a.cpu = 1;
	assert_load(1, 1, false);
	run_on(1, &b.v);
	assert_load(1, 2, true);
}

/* Out of tags: the least recently loaded one is given away, flushed. */
static void test_recycling(void **state)
{
	host_set_tlb_tags(2);
	guest_init_kernel(&a, &d1, 0, 1);
	guest_init_kernel(&b, &d2, 0, 1);
	assert_load(1, 2, false);
	guest_init_kernel(&c, &d1, 1, 1);
	/* a's tag 1 was the older. */
	assert_load(1, 1, false);
	run_on(1, &b.v);
	assert_load(1, 2, true);
	run_on(1, &a.v);
	assert_load(1, 1, false);
	run_on(1, &b.v);
	assert_load(1, 2, true);
	run_on(1, &c.v);
	assert_load(1, 1, false);
	run_on(1, &b.v);
	assert_load(1, 2, true);
	/* One tag only: every other pair takes it, flushed. */
	host_set_tlb_tags(1);
	run_on(1, &a.v);
	assert_load(1, 1, false);
	run_on(1, &b.v);
	assert_load(1, 1, false);
	run_on(1, NULL);
	run_on(1, &b.v);
	assert_load(1, 1, true);
}

/*
 * Switching away from a vCPU with global entries still drops everything
 * (one full flush, docs/mm.md §14); tags stay fresh, as they are empty.
 */
static void test_globals_with_tags(void **state)
{
	struct arch_tlb_stats s0, s1;

	host_set_tlb_tags(8);
	guest_init(&a, &d1, 0, 1);
	guest_init_kernel(&b, &d2, 0, 1);
	d1.globals = true;
	run_on(1, &a.v);
	s0 = cpu_stats(1);
	run_on(1, &b.v);
	assert_load(1, 2, true);
	s1 = cpu_stats(1);
	assert_int_equal(s1.global_flushes - s0.global_flushes, 1);
	assert_int_equal(s1.cr3_flushes, s0.cr3_flushes);
	run_on(1, &a.v);
	assert_load(1, 1, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_fallback),
		MM_TEST(test_alloc_and_reuse),
		MM_TEST(test_kernel_user),
		MM_TEST(test_stale_after_invlpg),
		MM_TEST(test_root_install_drops),
		MM_TEST(test_recycling),
		MM_TEST(test_globals_with_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
