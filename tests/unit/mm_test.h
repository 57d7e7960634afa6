/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the unit tests of mm/ (test_mm_domain.c, test_pte.c,
 * test_ptype.c, the hypercall tests...): a fresh machine with three
 * domains, frames to build tables in, test guests (a vCPU with its own
 * small address space, running on a CPU of its own, whose memory holds
 * the hypercalls' request arrays), hypercall wrappers that re-execute
 * continuations as the dispatcher does, and a teardown that checks
 * nothing leaked.
 *
 * Every test ends in mm_test_teardown(), which runs mm_audit() with the
 * tables as the test left them (roots included), takes the test guests
 * off their CPUs and drops their roots, then relinquishes every domain
 * and checks the audit again and that every frame went back to the
 * allocator.
 */
#ifndef MM_TEST_H
#define MM_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <host.h>
#include <public/xen.h>
#include <public/xeno.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/m2p.h>
#include <xeno/mm_domain.h>
#include <xeno/mm_vcpu.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/tlb.h>
#include <xeno/xmalloc.h>

#define MM_TEST_FRAMES 2048ULL
#define MM_TEST_CPUS   4

/* d1 and d2 are ordinary domains; dp is privileged (like dom0). */
static struct mm_domain d1, d2, dp;
static uint64_t free_at_start;

static __unused int mm_test_setup(void **state)
{
	host_set_cpu(0);
	host_machine_init(MM_TEST_FRAMES, MM_TEST_CPUS);
	assert_int_equal(m2p_init(MM_TEST_FRAMES), 0);
	mm_domain_registry_init();
	pte_configure(true, true);
	pte_set_l4_template(host_l4_template);
	ptype_set_preempt_interval(0);
	ptype_stats_reset();
	mm_domain_init(&d1, 1, 1000);
	mm_domain_init(&d2, 2, 1000);
	mm_domain_init(&dp, 0, 1000);
	dp.privileged = true;
	free_at_start = frame_free_count();
	return 0;
}

/* A new zeroed frame of d. */
static __unused struct page_info *new_frame(struct mm_domain *d)
{
	struct page_info *pg = NULL;

	assert_int_equal(mm_domain_alloc(d, &pg), 0);
	assert_non_null(pg);
	return pg;
}

static __unused mfn_t mfn_of(const struct page_info *pg)
{
	return page_to_mfn(pg);
}

/* The frame's contents as a table. */
static __unused uint64_t *tab(const struct page_info *pg)
{
	return arch_mfn_to_virt(page_to_mfn(pg));
}

/* An entry mapping pg with the flags. */
static __unused uint64_t ent(const struct page_info *pg, uint64_t flags)
{
	return pte_make(page_to_mfn(pg), flags);
}

/* A frame outside the domains: free, reserved, xmalloc's. */
static __unused struct page_info *xmalloc_frame(void **keep)
{
	*keep = xmalloc(PAGE_SIZE);
	assert_non_null(*keep);
	return mfn_to_page(arch_virt_to_mfn(*keep));
}

/* ---- test guests ---------------------------------------------------------- */

/*
 * A test guest's address space: GUEST_PAGES pages mapped read-write and
 * user-accessible from GUEST_VA (L4 slot 0 -> L3 slot 0 -> L2 slot 2 ->
 * L1 slots 0..), with its tables validated through the kernel root.
 */
#define GUEST_VA    0x400000ULL
#define GUEST_PAGES 8
#define GUEST_L2    2 /* the L2 slot of the L1 */

struct guest {
	struct mm_vcpu v;
	unsigned int cpu;
	struct page_info *l4, *l3, *l2, *l1;
	struct page_info *page[GUEST_PAGES];
};

static struct guest *guests[8];
static unsigned int nr_guests;

/* Makes g current on its CPU and the calling thread that CPU. */
static __unused void guest_enter(struct guest *g)
{
	host_set_cpu(g->cpu);
	if (mm_vcpu_current() != &g->v) {
		mm_vcpu_switch(mm_vcpu_current(), &g->v);
	}
}

/* A guest of d as vCPU id, running on cpu, its tables built and loaded. */
static __unused void guest_init(struct guest *g, struct mm_domain *d,
				unsigned int id, unsigned int cpu)
{
	unsigned int i;

	memset(g, 0, sizeof(*g));
	g->cpu = cpu;
	g->l4 = new_frame(d);
	g->l3 = new_frame(d);
	g->l2 = new_frame(d);
	g->l1 = new_frame(d);
	tab(g->l4)[0] = ent(g->l3, PTE_P | PTE_RW | PTE_US);
	tab(g->l3)[0] = ent(g->l2, PTE_P | PTE_RW | PTE_US);
	tab(g->l2)[GUEST_L2] = ent(g->l1, PTE_P | PTE_RW | PTE_US);
	for (i = 0; i < GUEST_PAGES; i++) {
		g->page[i] = new_frame(d);
		tab(g->l1)[i] = ent(g->page[i], PTE_P | PTE_RW | PTE_US);
	}
	mm_vcpu_init(&g->v, d, id);
	assert_int_equal(mm_vcpu_set_root(&g->v, false, mfn_of(g->l4), 0), 0);
	guests[nr_guests++] = g;
	guest_enter(g);
}

static __unused void guest_fini(struct guest *g)
{
	host_set_cpu(g->cpu);
	if (mm_vcpu_current() == &g->v) {
		mm_vcpu_switch(&g->v, NULL);
	}
	mm_vcpu_fini(&g->v);
}

/* The host address of guest address va (one of the guest's pages). */
static __unused void *gmem(const struct guest *g, uint64_t va)
{
	uint64_t i = (va - GUEST_VA) >> PAGE_SHIFT;

	assert_true(va >= GUEST_VA && i < GUEST_PAGES);
	return (char *)tab(g->page[i]) + (va & (PAGE_SIZE - 1));
}

/* The guest address of byte off of guest page i. */
static __unused uint64_t gva(unsigned int i, unsigned int off)
{
	return GUEST_VA + (uint64_t)i * PAGE_SIZE + off;
}

/* Where the wrappers below put request arrays and pdone. */
#define REQ_VA	 gva(0, 0)
#define PDONE_VA gva(GUEST_PAGES - 1, 0)

/* Calls fn as the dispatcher would, re-executing continuations. */
static __unused long hc_run(long (*fn)(struct hcall_args *),
			    struct hcall_args *h, unsigned int *restarts)
{
	long rc;

	*restarts = 0;
	while ((rc = fn(h)) == -ERESTART) {
		(*restarts)++;
		assert_int_equal(mm_audit(), 0);
	}
	return rc;
}

static unsigned int last_restarts;

/*
 * Tears v (running nowhere) down in bounded steps, auditing after each
 * step that stopped; returns how many stopped.
 */
static __unused unsigned int release_in_steps(struct mm_vcpu *v)
{
	unsigned int steps = 0;

	while (mm_vcpu_release_step(v) == -EAGAIN) {
		steps++;
		assert_int_equal(mm_audit(), 0);
	}
	return steps;
}

/*
 * mmu_update / mmuext_op as guest g: the n requests go to REQ_VA, pdone
 * (set to 0xdead first) to PDONE_VA; *done gets what pdone says.
 */
static __unused long mmu(struct guest *g, const struct mmu_update *r,
			 unsigned int n, uint32_t *done, uint32_t fd)
{
	struct hcall_args h = { { REQ_VA, n, PDONE_VA, fd, 0 } };
	long rc;

	guest_enter(g);
	memcpy(gmem(g, REQ_VA), r, n * sizeof(*r));
	*(uint32_t *)gmem(g, PDONE_VA) = 0xdead;
	rc = hc_run(do_mmu_update, &h, &last_restarts);
	if (done != NULL) {
		*done = *(uint32_t *)gmem(g, PDONE_VA);
	}
	return rc;
}

static __unused long ext(struct guest *g, const struct mmuext_op *o,
			 unsigned int n, uint32_t *done, uint32_t fd)
{
	struct hcall_args h = { { REQ_VA, n, PDONE_VA, fd, 0 } };
	long rc;

	guest_enter(g);
	memcpy(gmem(g, REQ_VA), o, n * sizeof(*o));
	*(uint32_t *)gmem(g, PDONE_VA) = 0xdead;
	rc = hc_run(do_mmuext_op, &h, &last_restarts);
	if (done != NULL) {
		*done = *(uint32_t *)gmem(g, PDONE_VA);
	}
	return rc;
}

/* One request / op. */
static __unused struct mmu_update mu(uint64_t ptr, unsigned int cmd,
				     uint64_t val)
{
	return (struct mmu_update){ ptr | cmd, val };
}

static __unused struct mmuext_op eo(unsigned int cmd, uint64_t arg1,
				    uint64_t arg2)
{
	struct mmuext_op o = { .cmd = cmd };

	o.arg1.mfn = arg1;
	o.arg2.src_mfn = arg2;
	return o;
}

/* The machine address of entry slot of a table. */
static __unused uint64_t ma(const struct page_info *t, unsigned int slot)
{
	return (mfn_x(mfn_of(t)) << PAGE_SHIFT) + slot * 8ULL;
}

/* g's last refusal. */
static __unused const struct xeno_mm_refusal *why(const struct guest *g)
{
	return &g->v.why.last;
}

static __unused int mm_test_teardown(void **state)
{
	unsigned int i;

	ptype_set_preempt_interval(0);
	host_preempt_every(0);
	assert_int_equal(mm_audit(), 0);
	for (i = 0; i < nr_guests; i++) {
		guest_fini(guests[i]);
	}
	nr_guests = 0;
	host_set_cpu(0);
	assert_int_equal(mm_audit(), 0);
	mm_domain_relinquish(&d1);
	mm_domain_relinquish(&d2);
	mm_domain_relinquish(&dp);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(frame_free_count(), free_at_start);
	mm_domain_fini(&d1);
	mm_domain_fini(&d2);
	mm_domain_fini(&dp);
	host_machine_fini();
	return 0;
}

#define MM_TEST(f) \
	cmocka_unit_test_setup_teardown(f, mm_test_setup, mm_test_teardown)

#endif
