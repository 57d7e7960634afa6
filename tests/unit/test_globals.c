/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the global-entry policy (mm/tlb.c, docs/mm.md §14): a
 * domain gets global entries with its first user (or G) leaf mapping; a
 * CPU switching from a vCPU with global entries to another vCPU drops
 * them (one full flush), and only then; a new base pointer drops them
 * where the vCPU ran; a kernel/user mode switch keeps them. The CR3
 * loads and flushes are counted per CPU (arch_tlb_cpu_stats_read).
 */
#include <public/xeno_stats.h>

#include "mm_test.h"

static struct guest a, b;

/*
 * A guest like guest_init's whose pages are all kernel-only: stored with
 * the kernel marker instead of G, as Xeno adjusts such entries.
 */
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

static uint64_t cpu_flushes(unsigned int cpu)
{
	struct arch_tlb_stats st;

	arch_tlb_cpu_stats_read(cpu, &st);
	return st.global_flushes;
}

static uint64_t cpu_cr3(unsigned int cpu)
{
	struct arch_tlb_stats st;

	arch_tlb_cpu_stats_read(cpu, &st);
	return st.cr3_loads;
}

/* Puts next on cpu in place of whatever runs there. */
static void run_on(unsigned int cpu, struct mm_vcpu *next)
{
	host_set_cpu(cpu);
	mm_vcpu_switch(mm_vcpu_current(), next);
}

/* Domains without global entries switch with a CR3 load and no flush. */
static void test_no_globals_no_flush(void **state)
{
	uint64_t f0, c0;

	guest_init_kernel(&a, &d1, 0, 1);
	guest_init_kernel(&b, &d2, 0, 2);
	assert_false(d1.globals);
	f0 = cpu_flushes(3);
	c0 = cpu_cr3(3);
	run_on(3, &a.v);
	run_on(3, &b.v);
	run_on(3, &a.v);
	assert_int_equal(cpu_flushes(3), f0);
	assert_int_equal(cpu_cr3(3), c0 + 3);
	run_on(3, NULL);
	run_on(a.cpu, &a.v);
	run_on(b.cpu, &b.v);
}

/* A user mapping marks the domain; switching away then flushes once. */
static void test_globals_flushed_on_switch(void **state)
{
	struct tlb_stats st0, st1;
	struct mmu_update r;
	uint64_t f0;

	guest_init_kernel(&a, &d1, 0, 1);
	guest_init_kernel(&b, &d2, 0, 2);
	/* While a runs, it maps a user page: stored with G. */
	r = mu(ma(a.l1, 30), MMU_NORMAL_PT_UPDATE,
	       ent(new_frame(&d1), PTE_P | PTE_US));
	assert_int_equal(mmu(&a, &r, 1, NULL, DOMID_SELF), 0);
	assert_true(tab(a.l1)[30] & PTE_G);
	assert_true(d1.globals);
	tlb_stats_read(&st0);
	f0 = cpu_flushes(1);
	/* a leaves CPU 1 for b: a's globals go. */
	run_on(1, &b.v);
	assert_int_equal(cpu_flushes(1), f0 + 1);
	/* b (no globals) leaves for idle and comes back: nothing. */
	run_on(1, NULL);
	run_on(1, &b.v);
	assert_int_equal(cpu_flushes(1), f0 + 1);
	tlb_stats_read(&st1);
	assert_int_equal(st1.switch_globals, st0.switch_globals + 1);
	/* a itself after an idle spell: its own globals may stay. */
	run_on(1, &a.v);
	f0 = cpu_flushes(1);
	run_on(1, NULL);
	run_on(1, &a.v);
	assert_int_equal(cpu_flushes(1), f0);
	run_on(2, &b.v);
}

/* A new base pointer drops the old address space's globals. */
static void test_new_root_flushes_globals(void **state)
{
	struct page_info *l4;
	struct mmuext_op o;
	struct tlb_stats st0, st1;
	uint64_t f0;

	guest_init(&a, &d1, 0, 1);
	assert_true(d1.globals);
	l4 = new_frame(&d1);
	tab(l4)[0] = tab(a.l4)[0]; /* the same L3: another address space */
	tlb_stats_read(&st0);
	f0 = cpu_flushes(1);
	/* Installing the same root again only reloads. */
	o = eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(a.l4)), 0);
	assert_int_equal(ext(&a, &o, 1, NULL, DOMID_SELF), 0);
	assert_int_equal(cpu_flushes(1), f0);
	o = eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(l4)), 0);
	assert_int_equal(ext(&a, &o, 1, NULL, DOMID_SELF), 0);
	assert_int_equal(cpu_flushes(1), f0 + 1);
	tlb_stats_read(&st1);
	assert_int_equal(st1.root_globals, st0.root_globals + 1);
	/* Kernel/user mode switches keep them. */
	o = eo(MMUEXT_NEW_USER_BASEPTR, mfn_x(mfn_of(a.l4)), 0);
	assert_int_equal(ext(&a, &o, 1, NULL, DOMID_SELF), 0);
	f0 = cpu_flushes(1);
	mm_vcpu_set_mode(&a.v, true);
	mm_vcpu_set_mode(&a.v, false);
	assert_int_equal(cpu_flushes(1), f0);
}

static void fake_events(struct xeno_stats *s)
{
	s->hypercalls = 7;
	s->bounces = 9;
}

/*
 * xeno_stats_op: the caller's CPU's counts (XENO_STATS_read_cpu) and the
 * machine's (XENO_STATS_read); the counts kept outside mm/ come from the
 * registered source.
 */
static void test_stats_op(void **state)
{
	struct hcall_args h = { { XENO_STATS_read_cpu, gva(2, 0) } };
	struct arch_tlb_stats all;
	struct xeno_stats s;
	uint64_t c0;

	guest_init(&a, &d1, 0, 3);
	c0 = cpu_cr3(3);
	guest_enter(&a);
	assert_int_equal(do_xeno_stats_op(&h), 0);
	memcpy(&s, gmem(&a, gva(2, 0)), sizeof(s));
	assert_int_equal(s.cpu, 3);
	assert_int_equal(s.cr3_loads, c0);
	assert_int_equal(s.cr3_flushes, c0);
	assert_int_equal(s.flags, 0);
	assert_int_equal(s.hypercalls, 0);
	/* The machine: every CPU summed, and the registered counts. */
	host_set_cpu(1);
	mm_vcpu_switch(NULL, NULL);
	guest_enter(&a);
	xeno_stats_set_events(fake_events);
	host_set_tlb_tags(4);
	h.a[0] = XENO_STATS_read;
	assert_int_equal(do_xeno_stats_op(&h), 0);
	xeno_stats_set_events(NULL);
	memcpy(&s, gmem(&a, gva(2, 0)), sizeof(s));
	arch_tlb_stats_read(&all);
	assert_int_equal(s.cpu, XENO_STATS_ALL_CPUS);
	assert_int_equal(s.flags, XENO_STATS_PCID);
	assert_int_equal(s.cr3_loads, all.cr3_loads);
	assert_int_equal(s.cr3_loads,
			 cpu_cr3(0) + cpu_cr3(1) + cpu_cr3(2) + cpu_cr3(3));
	assert_int_equal(cpu_cr3(1), 1);
	assert_int_equal(s.tlb_flushes, all.local_flushes);
	assert_int_equal(s.hypercalls, 7);
	assert_int_equal(s.bounces, 9);
	/* An unwritable argument; an unknown command. */
	h.a[1] = 0x1000;
	assert_int_equal(do_xeno_stats_op(&h), -EFAULT);
	h.a[0] = XENO_STATS_read_cpu;
	assert_int_equal(do_xeno_stats_op(&h), -EFAULT);
	h.a[0] = 2;
	h.a[1] = gva(2, 0);
	assert_int_equal(do_xeno_stats_op(&h), -ENOSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_no_globals_no_flush),
		MM_TEST(test_globals_flushed_on_switch),
		MM_TEST(test_new_root_flushes_globals),
		MM_TEST(test_stats_op),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
