/* SPDX-License-Identifier: MIT */
/*
 * Switching between two domains' address spaces (make bench, docs/mm.md
 * §15). Two copies of this guest run on one CPU and yield to each other
 * (SCHEDOP_yield); each of our yields is two switches, to the peer and
 * back. Per switch it reports the time and what the CPU did, from
 * xeno_stats_op XENO_STATS_read_cpu: CR3 loads, full TLB flushes and
 * those that also dropped global entries, CR3 loads that dropped the
 * TLB entries (all of them without PCIDs), and pcid=1 when Xeno tags
 * address spaces with PCIDs (docs/mm.md §15).
 *
 *   pv_domain_switch          no global entries in either domain: a
 *                             switch is one CR3 load and no full flush;
 *                             with PCIDs the load keeps the entries
 *   pv_domain_switch_globals  both have user (global) mappings: each
 *                             switch also flushes the globals
 *
 * Rounds where the peer was not yielding too (it started late or already
 * finished: fewer than two CR3 loads per yield) are not counted; the
 * median of the others is printed.
 */
#include <libpv.h>
#include <libpv/bench.h>

#define YIELDS 500
#define ROUNDS 9

static uint8_t user_page[4096] __attribute__((aligned(4096)));

struct sample {
	uint64_t ps;	      /* picoseconds per switch */
	uint64_t cr3;	      /* per 1000 switches */
	uint64_t full;	      /* per 1000 switches */
	uint64_t globals;     /* per 1000 switches */
	uint64_t cr3_flushes; /* per 1000 switches */
};

static void counts(struct xeno_stats *c)
{
	if (HYPERVISOR_xeno_stats_op(XENO_STATS_read_cpu, c) != 0) {
		memset(c, 0, sizeof(*c));
	}
}

static void yield(void)
{
	HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

/* One round of YIELDS yields; false if the peer was not there. */
static bool round_once(struct sample *s)
{
	struct xeno_stats c0, c1;
	uint64_t t0, t1, n = 2 * YIELDS;
	unsigned int i;

	counts(&c0);
	t0 = pv_now_ns();
	for (i = 0; i < YIELDS; i++) {
		yield();
	}
	t1 = pv_now_ns();
	counts(&c1);
	if (c1.cpu != c0.cpu || c1.cr3_loads - c0.cr3_loads < n) {
		printf("round: %lu CR3 loads for %lu switches\n",
		       (unsigned long)(c1.cr3_loads - c0.cr3_loads),
		       (unsigned long)n);
		return false;
	}
	s->ps = (t1 - t0) * 1000 / n;
	s->cr3 = (c1.cr3_loads - c0.cr3_loads) * 1000 / n;
	s->full = (c1.tlb_flushes - c0.tlb_flushes) * 1000 / n;
	s->globals = (c1.global_flushes - c0.global_flushes) * 1000 / n;
	s->cr3_flushes = (c1.cr3_flushes - c0.cr3_flushes) * 1000 / n;
	return true;
}

static uint64_t median_of(struct sample *s, unsigned int n, size_t off)
{
	uint64_t v[ROUNDS];
	unsigned int i;

	for (i = 0; i < n; i++) {
		v[i] = *(uint64_t *)((char *)&s[i] + off);
	}
	return pv_bench_median(v, n);
}

static void thousandths(const char *key, uint64_t v)
{
	printf(" %s=%lu.%03lu", key, (unsigned long)(v / 1000),
	       (unsigned long)(v % 1000));
}

static void bench(const char *name)
{
	struct sample s[ROUNDS];
	unsigned int r, n = 0;
	struct xeno_stats now;

	for (r = 0; r < ROUNDS; r++) {
		if (round_once(&s[n])) {
			n++;
		}
	}
	if (n == 0) {
		printf("%s: the peer never yielded back\n", name);
		return;
	}
	printf("XENO-BENCH %s", name);
	thousandths("ns_per_op", median_of(s, n, offsetof(struct sample, ps)));
	thousandths("cr3_loads_per_op",
		    median_of(s, n, offsetof(struct sample, cr3)));
	thousandths("full_flushes_per_op",
		    median_of(s, n, offsetof(struct sample, full)));
	thousandths("global_flushes_per_op",
		    median_of(s, n, offsetof(struct sample, globals)));
	thousandths("cr3_flushes_per_op",
		    median_of(s, n, offsetof(struct sample, cr3_flushes)));
	counts(&now);
	printf(" pcid=%u hypercalls_per_op=0.500 ops=%u rounds=%u\n",
	       (now.flags & XENO_STATS_PCID) ? 1 : 0, 2 * YIELDS, n);
}

int main(void)
{
	unsigned int i;

	/* Let the peer start. */
	for (i = 0; i < 50; i++) {
		yield();
	}
	bench("pv_domain_switch");
	/* A user mapping: stored global, so the domain has globals now. */
	pv_map_page((uint64_t)user_page, pv_va_to_mfn(user_page),
		    PV_PTE_DATA | PV_PTE_US);
	for (i = 0; i < 50; i++) {
		yield();
	}
	bench("pv_domain_switch_globals");
	/* Keep yielding a while so the peer finishes its rounds with us. */
	for (i = 0; i < 4 * YIELDS; i++) {
		yield();
	}
	return 0;
}
