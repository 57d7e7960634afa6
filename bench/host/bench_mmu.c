/* SPDX-License-Identifier: MIT */
/*
 * Host benchmark of the MMU hypercalls (mm/mmu_update.c,
 * mm/update_va_mapping.c, mm/mmuext_op.c), called as a guest calls them:
 * a domain with one vCPU running on CPU 0, whose own four-level tables
 * map the request arrays, so every figure includes reading the arrays
 * through the guest's tables.
 *
 * The guest's address space (all validated through its kernel root):
 *   L4[0] -> L3[0] -> L2[2] -> L1 "g.l1"  GUEST_PAGES pages at GUEST_VA,
 *                                        holding the request arrays
 *                     L2[3] -> L1 "g.target"  512 writable data pages,
 *                                        the entries the benchmark rewrites
 *
 * Figures, each the median of REPEATS rounds:
 *   host_mmu_update_b<N>   mmu_update with N MMU_NORMAL_PT_UPDATE requests
 *                          (N = 1, 16, 512) rewriting entries 0..N-1 of
 *                          g.target; calls alternate between two arrays
 *                          mapping frame a[i] and frame b[i], both
 *                          writable, so each update takes a general and a
 *                          writable type reference and drops the old ones.
 *   host_mmu_update_same_b512  512 requests all storing entry 0's
 *                          current value again, as the PV guest benchmark
 *                          does (pv_mmu_update_b512): no reference moves.
 *   host_update_va_mapping one entry of g.target, alternating the same
 *                          way, with UVMF_INVLPG (this vCPU).
 *   host_pin_l4_1gib       MMUEXT_PIN_L4_TABLE of a separate address space
 *   host_unpin_l4_1gib     mapping 1 GiB with 4 KiB pages (an L4, an L3,
 *                          an L2 and 512 L1s over 262,144 writable
 *                          frames), and its MMUEXT_UNPIN_TABLE: one
 *                          validation and one devalidation of the tree.
 *
 * Usage: bench_mmu [NAME...]   only the figures named (all without a
 * name; "host_pin_l4_1gib" and "host_unpin_l4_1gib" come together), so
 * that one can be profiled alone (perf record bench_mmu
 * host_mmu_update_b512).
 *
 * Output, one line per figure:
 *   XENO-BENCH <name> ns_per_op=<x.y> <rate>_per_sec=<n> <event>_per_op=..
 * where an op is one update (mmu_update, update_va_mapping) or one pin or
 * unpin. The events are TLB flushes and IPIs the arch was asked for
 * (arch_tlb_stats) and validations / devalidations (ptype_stats), per op,
 * over all rounds. min/max go to stderr. The run ends with mm_audit() and
 * a check of the entries, so a figure from a broken build is not printed
 * as if it were good.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <host.h>
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/frame.h>
#include <xeno/hypercall.h>
#include <xeno/m2p.h>
#include <xeno/mm_domain.h>
#include <xeno/mm_vcpu.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/tlb.h>

#define REPEATS	       7
#define BIG_L1S	       512 /* 1 GiB of 4 KiB pages */
#define BIG_PAGES      (BIG_L1S * PT_ENTRIES)
#define MACHINE_FRAMES (BIG_PAGES + 8192ULL) /* arena mapped lazily */
#define MACHINE_CPUS   2
#define DOMAIN_PAGES   (BIG_PAGES + 4096ULL)

#define GUEST_VA    0x400000ULL /* L2 slot 2 */
#define GUEST_PAGES 8
#define TARGET_VA   0x600000ULL		       /* L2 slot 3 */
#define ARRAY_A_VA  GUEST_VA		       /* 2 pages */
#define ARRAY_B_VA  (GUEST_VA + 2 * PAGE_SIZE) /* 2 pages */
#define EXT_VA	    (GUEST_VA + 4 * PAGE_SIZE) /* mmuext ops */
#define ARRAY_S_VA  (GUEST_VA + 5 * PAGE_SIZE) /* 2 pages */
#define DATA_FLAGS  (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)

static struct mm_domain dom;

static struct {
	struct mm_vcpu v;
	struct page_info *l4, *l3, *l2, *l1, *target;
	struct page_info *page[GUEST_PAGES];
	struct page_info *a[PT_ENTRIES], *b[PT_ENTRIES];
} g;

/* The address space pinned and unpinned: only its L4 is kept. */
static struct page_info *big_l4;

/* ---- set-up --------------------------------------------------------------- */

static void fail(const char *what, long rc)
{
	fprintf(stderr, "bench_mmu: %s failed (%ld)\n", what, rc);
	exit(1);
}

static struct page_info *new_frame(void)
{
	struct page_info *pg = NULL;

	if (mm_domain_alloc(&dom, &pg) != 0) {
		fail("mm_domain_alloc", -1);
	}
	return pg;
}

static uint64_t *tab(const struct page_info *pg)
{
	return arch_mfn_to_virt(page_to_mfn(pg));
}

static uint64_t ent(const struct page_info *pg, uint64_t flags)
{
	return pte_make(page_to_mfn(pg), flags);
}

/* The machine address of entry slot of table t. */
static uint64_t ma(const struct page_info *t, unsigned int slot)
{
	return (mfn_x(page_to_mfn(t)) << PAGE_SHIFT) + slot * 8ULL;
}

/* The host address of guest address va (one of the guest's pages). */
static void *gmem(uint64_t va)
{
	uint64_t i = (va - GUEST_VA) >> PAGE_SHIFT;

	if (va < GUEST_VA || i >= GUEST_PAGES) {
		fail("gmem", (long)va);
	}
	return (char *)tab(g.page[i]) + (va & (PAGE_SIZE - 1));
}

/* Builds the guest's tables, makes them its root and runs it on CPU 0. */
static void guest_init(void)
{
	struct mmu_update *ra, *rb, *rs;
	unsigned int i;

	g.l4 = new_frame();
	g.l3 = new_frame();
	g.l2 = new_frame();
	g.l1 = new_frame();
	g.target = new_frame();
	tab(g.l4)[0] = ent(g.l3, PTE_P | PTE_RW | PTE_US);
	tab(g.l3)[0] = ent(g.l2, PTE_P | PTE_RW | PTE_US);
	tab(g.l2)[2] = ent(g.l1, PTE_P | PTE_RW | PTE_US);
	tab(g.l2)[3] = ent(g.target, PTE_P | PTE_RW | PTE_US);
	for (i = 0; i < GUEST_PAGES; i++) {
		g.page[i] = new_frame();
		tab(g.l1)[i] = ent(g.page[i], DATA_FLAGS);
	}
	for (i = 0; i < PT_ENTRIES; i++) {
		g.a[i] = new_frame();
		g.b[i] = new_frame();
		tab(g.target)[i] = ent(g.a[i], DATA_FLAGS);
	}
	mm_vcpu_init(&g.v, &dom, 0);
	if (mm_vcpu_set_root(&g.v, false, page_to_mfn(g.l4), 0) != 0) {
		fail("mm_vcpu_set_root", -1);
	}
	host_set_cpu(0);
	mm_vcpu_switch(NULL, &g.v);

	/*
	 * Array A maps a[i] at slot i, array B b[i], array S a[0] at slot
	 * 0 in every element (each over 2 pages).
	 */
	for (i = 0; i < PT_ENTRIES; i++) {
		ra = gmem(ARRAY_A_VA + i * sizeof(*ra));
		rb = gmem(ARRAY_B_VA + i * sizeof(*rb));
		rs = gmem(ARRAY_S_VA + i * sizeof(*rs));
		rs->ptr = ma(g.target, 0) | MMU_NORMAL_PT_UPDATE;
		rs->val = ent(g.a[0], DATA_FLAGS);
		ra->ptr = ma(g.target, i) | MMU_NORMAL_PT_UPDATE;
		ra->val = ent(g.a[i], DATA_FLAGS);
		rb->ptr = ma(g.target, i) | MMU_NORMAL_PT_UPDATE;
		rb->val = ent(g.b[i], DATA_FLAGS);
	}
}

/* The 1 GiB address space, not validated until pinned. */
static void big_init(void)
{
	struct page_info *l3 = new_frame(), *l2 = new_frame();
	unsigned int i, j;

	big_l4 = new_frame();
	tab(big_l4)[0] = ent(l3, PTE_P | PTE_RW | PTE_US);
	tab(l3)[0] = ent(l2, PTE_P | PTE_RW | PTE_US);
	for (i = 0; i < BIG_L1S; i++) {
		struct page_info *l1 = new_frame();

		tab(l2)[i] = ent(l1, PTE_P | PTE_RW | PTE_US);
		for (j = 0; j < PT_ENTRIES; j++) {
			tab(l1)[j] = ent(new_frame(), DATA_FLAGS);
		}
	}
}

/* ---- measuring ------------------------------------------------------------- */

static char **wanted_names; /* NULL-terminated; empty: every figure */

/* Whether the figure name was asked for. */
static bool wanted(const char *name)
{
	char **w;

	if (wanted_names[0] == NULL) {
		return true;
	}
	for (w = wanted_names; *w != NULL; w++) {
		if (strcmp(*w, name) == 0) {
			return true;
		}
	}
	return false;
}

struct counters {
	struct arch_tlb_stats arch;
	struct ptype_stats pt;
};

static void counters_read(struct counters *c)
{
	arch_tlb_stats_read(&c->arch);
	ptype_stats_read(&c->pt);
}

/* Per-op event counts between two snapshots. */
struct events {
	double flushes, ipis, validations, devalidations;
};

static struct events events_between(const struct counters *c0,
				    const struct counters *c1, double ops)
{
	return (struct events){
		.flushes = (double)(c1->arch.local_flushes -
				    c0->arch.local_flushes +
				    c1->arch.local_invlpgs -
				    c0->arch.local_invlpgs) /
			   ops,
		.ipis = (double)(c1->arch.ipis - c0->arch.ipis) / ops,
		.validations =
			(double)(c1->pt.validations - c0->pt.validations) / ops,
		.devalidations =
			(double)(c1->pt.devalidations - c0->pt.devalidations) /
			ops,
	};
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Sorts t and returns its median. */
static double median(double *t)
{
	qsort(t, REPEATS, sizeof(t[0]), cmp_double);
	return t[REPEATS / 2];
}

static void call(long (*fn)(struct hcall_args *), struct hcall_args h,
		 const char *what)
{
	long rc;

	while ((rc = fn(&h)) == -ERESTART) {
	}
	if (rc != 0) {
		fail(what, rc);
	}
}

/*
 * One round of calls mmu_update calls of batch n, alternating between
 * the arrays at first and second: ns per update.
 */
static double mmu_round(unsigned int n, unsigned int calls, uint64_t first,
			uint64_t second)
{
	struct hcall_args h1 = { { first, n, 0, DOMID_SELF, 0 } };
	struct hcall_args h2 = { { second, n, 0, DOMID_SELF, 0 } };
	uint64_t t0 = arch_now_ns();
	unsigned int i;

	/* Pairwise: the entries map a[] before and after each pair. */
	for (i = 0; i < calls; i += 2) {
		call(do_mmu_update, h1, "mmu_update");
		call(do_mmu_update, h2, "mmu_update");
	}
	return (double)(arch_now_ns() - t0) / ((double)calls * n);
}

static void bench_mmu_update(const char *what, unsigned int n,
			     unsigned int calls, uint64_t first,
			     uint64_t second)
{
	struct counters c0, c1;
	struct events e;
	double t[REPEATS], med;
	unsigned int r;
	char name[64];

	snprintf(name, sizeof(name), "host_mmu_update%s_b%u", what, n);
	if (!wanted(name)) {
		return;
	}
	mmu_round(n, calls / 10 + 2, first, second); /* warm up */
	counters_read(&c0);
	for (r = 0; r < REPEATS; r++) {
		t[r] = mmu_round(n, calls, first, second);
	}
	counters_read(&c1);
	e = events_between(&c0, &c1, (double)calls * n * REPEATS);
	med = median(t);
	printf("XENO-BENCH %s ns_per_op=%.1f updates_per_sec=%.0f "
	       "tlb_flushes_per_op=%.4f ipis_per_op=%.4f "
	       "validations_per_op=%.4f batch=%u\n",
	       name, med, 1e9 / med, e.flushes, e.ipis, e.validations, n);
	fprintf(stderr, "bench_mmu: %s: min %.1f max %.1f ns/update\n", name,
		t[0], t[REPEATS - 1]);
	fflush(stdout);
}

/* One round of update_va_mapping calls (an even number): ns per call. */
static double uvm_round(unsigned int calls)
{
	struct hcall_args to_a = { { TARGET_VA, ent(g.a[0], DATA_FLAGS),
				     UVMF_INVLPG, 0, 0 } };
	struct hcall_args to_b = { { TARGET_VA, ent(g.b[0], DATA_FLAGS),
				     UVMF_INVLPG, 0, 0 } };
	uint64_t t0 = arch_now_ns();
	unsigned int i;

	for (i = 0; i < calls; i += 2) {
		call(do_update_va_mapping, to_b, "update_va_mapping");
		call(do_update_va_mapping, to_a, "update_va_mapping");
	}
	return (double)(arch_now_ns() - t0) / (double)calls;
}

static void bench_uvm(unsigned int calls)
{
	struct counters c0, c1;
	struct events e;
	double t[REPEATS], med;
	unsigned int r;

	if (!wanted("host_update_va_mapping")) {
		return;
	}
	uvm_round(calls / 10 + 2);
	counters_read(&c0);
	for (r = 0; r < REPEATS; r++) {
		t[r] = uvm_round(calls);
	}
	counters_read(&c1);
	e = events_between(&c0, &c1, (double)calls * REPEATS);
	med = median(t);
	printf("XENO-BENCH host_update_va_mapping ns_per_op=%.1f "
	       "updates_per_sec=%.0f tlb_flushes_per_op=%.4f "
	       "ipis_per_op=%.4f\n",
	       med, 1e9 / med, e.flushes, e.ipis);
	fprintf(stderr,
		"bench_mmu: host_update_va_mapping: min %.1f max %.1f ns\n",
		t[0], t[REPEATS - 1]);
	fflush(stdout);
}

/* One mmuext_op with a single op, from the guest's page EXT_VA. */
static void ext1(unsigned int cmd, struct page_info *pg, const char *what)
{
	struct mmuext_op *op = gmem(EXT_VA);
	struct hcall_args h = { { EXT_VA, 1, 0, DOMID_SELF, 0 } };

	memset(op, 0, sizeof(*op));
	op->cmd = cmd;
	op->arg1.mfn = mfn_x(page_to_mfn(pg));
	call(do_mmuext_op, h, what);
}

static void bench_pin(void)
{
	double tp[REPEATS], tu[REPEATS], mp, mu;
	struct counters c0, c1, c2;
	struct events ep, eu;
	uint64_t t0, t1, t2;
	unsigned int r;

	if (!wanted("host_pin_l4_1gib") && !wanted("host_unpin_l4_1gib")) {
		return;
	}
	ext1(MMUEXT_PIN_L4_TABLE, big_l4, "pin"); /* warm up */
	ext1(MMUEXT_UNPIN_TABLE, big_l4, "unpin");
	memset(&ep, 0, sizeof(ep));
	memset(&eu, 0, sizeof(eu));
	for (r = 0; r < REPEATS; r++) {
		counters_read(&c0);
		t0 = arch_now_ns();
		ext1(MMUEXT_PIN_L4_TABLE, big_l4, "pin");
		t1 = arch_now_ns();
		counters_read(&c1);
		ext1(MMUEXT_UNPIN_TABLE, big_l4, "unpin");
		t2 = arch_now_ns();
		counters_read(&c2);
		tp[r] = (double)(t1 - t0);
		tu[r] = (double)(t2 - t1);
		ep = events_between(&c0, &c1, 1);
		eu = events_between(&c1, &c2, 1);
	}
	mp = median(tp);
	mu = median(tu);
	printf("XENO-BENCH host_pin_l4_1gib ns_per_op=%.0f "
	       "entries_per_sec=%.0f validations_per_op=%.0f "
	       "tlb_flushes_per_op=%.0f pages=%u\n",
	       mp, (double)BIG_PAGES * 1e9 / mp, ep.validations, ep.flushes,
	       BIG_PAGES);
	printf("XENO-BENCH host_unpin_l4_1gib ns_per_op=%.0f "
	       "entries_per_sec=%.0f devalidations_per_op=%.0f "
	       "tlb_flushes_per_op=%.0f pages=%u\n",
	       mu, (double)BIG_PAGES * 1e9 / mu, eu.devalidations, eu.flushes,
	       BIG_PAGES);
	fprintf(stderr,
		"bench_mmu: pin min %.0f max %.0f ns, unpin min %.0f max "
		"%.0f ns\n",
		tp[0], tp[REPEATS - 1], tu[0], tu[REPEATS - 1]);
	fflush(stdout);
}

/* ---- checks --------------------------------------------------------------- */

/* The entries are back at a[] and every count adds up. */
static void check(void)
{
	unsigned int i;

	for (i = 0; i < PT_ENTRIES; i++) {
		uint64_t want = pte_adjust(1, ent(g.a[i], DATA_FLAGS));

		if (tab(g.target)[i] != want) {
			fail("entry check", (long)i);
		}
	}
	if (mm_audit() != 0) {
		fail("mm_audit", -1);
	}
}

int main(int argc, char **argv)
{
	(void)argc;
	wanted_names = argv + 1;
	host_set_cpu(0);
	host_machine_init(MACHINE_FRAMES, MACHINE_CPUS);
	if (m2p_init(MACHINE_FRAMES) != 0) {
		fail("m2p_init", -1);
	}
	mm_domain_registry_init();
	pte_configure(true, true);
	pte_set_l4_template(host_l4_template);
	ptype_set_preempt_interval(0);
	mm_domain_init(&dom, 1, DOMAIN_PAGES);
	guest_init();
	big_init();

	bench_mmu_update("", 1, 400000, ARRAY_B_VA, ARRAY_A_VA);
	bench_mmu_update("", 16, 40000, ARRAY_B_VA, ARRAY_A_VA);
	bench_mmu_update("", 512, 1200, ARRAY_B_VA, ARRAY_A_VA);
	bench_mmu_update("_same", 512, 2400, ARRAY_S_VA, ARRAY_S_VA);
	bench_uvm(400000);
	bench_pin();
	check();

	mm_vcpu_switch(&g.v, NULL);
	mm_vcpu_fini(&g.v);
	mm_domain_relinquish(&dom);
	if (mm_audit() != 0) {
		fail("mm_audit after teardown", -1);
	}
	mm_domain_fini(&dom);
	host_machine_fini();
	return 0;
}
