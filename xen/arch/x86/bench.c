/* SPDX-License-Identifier: MIT */
/*
 * In-hypervisor benchmarks (bench=alloc,pf,syscall): frame allocator
 * throughput on one CPU, on all CPUs at once, and for 2 MiB blocks; the
 * native page-fault round trip that guest demand faults are compared with
 * (pf, below); the native SYSCALL/SYSRET round trip (syscall,
 * bench_syscall.c). Figures are printed
 * as XENO-BENCH lines; bench/run.sh collects them (docs/testing.md).
 * Times come from the TSC, so under TCG they are emulator time: compare
 * them only with other figures taken in the same QEMU.
 */
#include <asm/bench.h>
#include <asm/cpu.h>
#include <asm/mm.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/selftest.h>

/* Formats v/1000 with three decimals (printk has no floating point). */
static void milli(char *buf, size_t size, uint64_t v)
{
	snprintf(buf, size, "%lu.%03lu", v / 1000, v % 1000);
}

struct alloc_run {
	unsigned int order;
	uint64_t ops;
	uint64_t ns[NR_CPUS];
};

static void alloc_loop(void *arg)
{
	struct alloc_run *r = arg;
	uint64_t i, t0;

	t0 = rdtsc();
	for (i = 0; i < r->ops; i++) {
		struct page_info *pg = frame_alloc(r->order, 0);

		BUG_ON(!pg);
		frame_free(pg, r->order, 0);
	}
	r->ns[arch_cpu_id()] = tsc_to_ns(rdtsc() - t0);
}

/*
 * The native reference in the same QEMU: the least an allocator of single
 * frames can do, a pop and a push on a plain stack of free frames with no
 * lock, no per-frame state and no statistics. The ratio of the real
 * allocator to it is the cost of everything the real one guarantees.
 */
static uint64_t bare_stack_ns_milli(uint64_t ops)
{
	static void *stack[256];
	static volatile unsigned int top;
	uint64_t i, t0;

	for (top = 0; top < ARRAY_SIZE(stack); top++) {
		stack[top] = (void *)(uintptr_t)(top * PAGE_SIZE);
	}
	t0 = rdtsc();
	for (i = 0; i < ops; i++) {
		void *p = stack[--top];

		__asm__ volatile("" : : "r"(p) : "memory");
		stack[top++] = p;
	}
	return tsc_to_ns(rdtsc() - t0) * 1000 / ops;
}

static void report(const char *name, struct alloc_run *r, unsigned int cpus,
		   const struct frame_stats *s0, const struct frame_stats *s1)
{
	uint64_t total = 0, locks_milli, ns_milli, bare;
	char ns[32], locks[32], ratio[32];
	unsigned int c;

	for (c = 0; c < cpus; c++) {
		total += r->ns[c];
	}
	/* Mean over CPUs of each CPU's time per alloc+free pair. */
	ns_milli = total * 1000 / cpus / r->ops;
	milli(ns, sizeof(ns), ns_milli);
	locks_milli =
		(s1->heap_locks - s0->heap_locks) * 1000 / (r->ops * cpus);
	milli(locks, sizeof(locks), locks_milli);
	bare = bare_stack_ns_milli(r->ops);
	milli(ratio, sizeof(ratio), bare ? ns_milli * 1000 / bare : 0);
	printk(LOG_ERR,
	       "XENO-BENCH %s ns_per_op=%s ops=%lu cpus=%u "
	       "heap_locks_per_op=%s native_ratio=%s\n",
	       name, ns, r->ops, cpus, locks, ratio);
}

static void bench_one(const char *name, unsigned int order, bool all)
{
	static struct alloc_run r;
	struct frame_stats s0, s1;
	unsigned int cpus = all ? nr_cpus_online : 1;

	memset(&r, 0, sizeof(r));
	r.order = order;
	r.ops = order ? opt.bench_ops / 10 + 1 : opt.bench_ops;
	frame_alloc_stats(&s0);
	if (all) {
		smp_call_all(alloc_loop, &r);
	} else {
		alloc_loop(&r);
	}
	frame_alloc_stats(&s1);
	report(name, &r, cpus, &s0, &s1);
}

static void bench_alloc(void)
{
	char name[48];

	bench_one("alloc_order0_1cpu", 0, false);
	if (nr_cpus_online > 1) {
		snprintf(name, sizeof(name), "alloc_order0_%ucpu",
			 nr_cpus_online);
		bench_one(name, 0, true);
	}
	bench_one("alloc_order9_1cpu", 9, false);
}

/* ---- pf: the native page-fault round trip ------------------------------- */

/*
 * The reference for a guest's demand fault (tests/guests/bench_ptwr): a
 * ring-0 #PF on a not-present page of a scratch mapping, whose handler
 * (through the hypervisor's ordinary trap entry and exit) maps the page
 * by writing its L1 entry and returns with IRETQ; the load then runs
 * again and succeeds. Each operation then unmaps the page (entry cleared,
 * INVLPG) for the next one, as the guest loop does with
 * update_va_mapping. The scratch mapping lives in an unused hypervisor
 * L4 slot of the running tables for the duration of the benchmark.
 */
#define PF_L4_SLOT 270 /* unused: 256 M2P, 262-265 direct map */
#define PF_VA	   (0xffff000000000000ULL | ((uint64_t)PF_L4_SLOT << 39))
#define PF_P	   0x1ULL
#define PF_RW	   0x2ULL

static struct {
	uint64_t *l1;  /* the scratch L1 */
	uint64_t data; /* physical address of the page faulted in */
	uint64_t faults;
} pf;

static bool pf_hook(struct cpu_regs *regs)
{
	if (read_cr2() != PF_VA || (regs->error_code & 1)) {
		return false;
	}
	pf.l1[0] = pf.data | PF_P | PF_RW;
	pf.faults++;
	return true;
}

/* A zeroed frame for the scratch tables, with its address. */
static uint64_t *pf_table(struct page_info **pg)
{
	*pg = frame_alloc(0, FA_ZERO);
	BUG_ON(*pg == NULL);
	return arch_mfn_to_virt(page_to_mfn(*pg));
}

static uint64_t pa_of(struct page_info *pg)
{
	return mfn_x(page_to_mfn(pg)) << PAGE_SHIFT;
}

static void bench_pf(void)
{
	uint64_t *l4 = phys_to_virt(read_cr3() & 0x000ffffffffff000ULL);
	struct page_info *pl3, *pl2, *pl1, *pdata;
	uint64_t *l3 = pf_table(&pl3), *l2 = pf_table(&pl2);
	uint64_t i, t0, ns_milli, ops = opt.bench_ops;
	volatile uint64_t *p = (volatile uint64_t *)PF_VA;
	char ns[32];

	if (l4[PF_L4_SLOT] != 0) {
		printk(LOG_ERR, "bench: pf: L4 slot %u in use\n", PF_L4_SLOT);
		return;
	}
	pf.l1 = pf_table(&pl1);
	(void)pf_table(&pdata);
	pf.data = pa_of(pdata);
	pf.faults = 0;
	l2[0] = pa_of(pl1) | PF_P | PF_RW;
	l3[0] = pa_of(pl2) | PF_P | PF_RW;
	l4[PF_L4_SLOT] = pa_of(pl3) | PF_P | PF_RW;
	hyp_page_fault_hook = pf_hook;
	t0 = rdtsc();
	for (i = 0; i < ops; i++) {
		(void)*p; /* faults; the handler maps the page */
		pf.l1[0] = 0;
		__asm__ volatile("invlpg (%0)" : : "r"(PF_VA) : "memory");
	}
	ns_milli = tsc_to_ns(rdtsc() - t0) * 1000 / ops;
	hyp_page_fault_hook = NULL;
	l4[PF_L4_SLOT] = 0;
	write_cr3(read_cr3());
	frame_free(pdata, 0, 0);
	frame_free(pl1, 0, 0);
	frame_free(pl2, 0, 0);
	frame_free(pl3, 0, 0);
	milli(ns, sizeof(ns), ns_milli);
	printk(LOG_ERR,
	       "XENO-BENCH native_pf_roundtrip ns_per_op=%s ops=%lu "
	       "faults_per_op=%lu.%03lu invlpg_per_op=1\n",
	       ns, ops, pf.faults / ops, (pf.faults * 1000 / ops) % 1000);
}

void bench_run_list(const char *list)
{
	char name[32];

	while (list_next(&list, name, sizeof(name))) {
		if (!strcmp(name, "alloc")) {
			bench_alloc();
		} else if (!strcmp(name, "pf")) {
			bench_pf();
		} else if (!strcmp(name, "syscall")) {
			bench_syscall();
		} else {
			printk(LOG_ERR, "bench: no benchmark '%s'\n", name);
		}
	}
}
