/* SPDX-License-Identifier: MIT */
/*
 * User-mode system call benchmarks (make bench; docs/testing.md): a user
 * process (libpv/user.h) times BENCH_OPS calls with RDTSC, BENCH_REPEATS
 * rounds, and the median round is printed as a XENO-BENCH line with ns
 * per call and the events each call caused, from Xeno's counters
 * (xeno_stats_op XENO_STATS_read, public/xeno_stats.h): CR3 loads, of
 * those the ones that dropped TLB entries (all without PCIDs), full
 * flushes plus invalidations, hypercalls, bounces; pcid=1 when Xeno tags
 * address spaces with PCIDs (docs/mm.md §15):
 *
 *   user_syscall       SYSCALL from user mode -> guest kernel (getpid)
 *                      -> iret with VGCF_in_syscall
 *   user_int80         INT $0x80 -> guest kernel -> iret (full restore)
 *   pv_null_hypercall  xen_version from guest kernel mode, timed the
 *                      same way, for comparison within the same boot
 *
 * bench/report.py divides the ns figures by native_syscall (bench=syscall,
 * the hypervisor's own ring-3 SYSCALL/SYSRET in the same QEMU).
 */
#include <libpv.h>
#include <libpv/bench.h>
#include <libpv/user.h>

#define BENCH_OPS     20000
#define BENCH_REPEATS 5

/* TSC cycles of the user loop, written by user code. */
static uint64_t user_cycles PV_USER_DATA;

static inline __attribute__((always_inline)) uint64_t rdtsc_user(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

PV_USER static long u_syscalls(uint64_t n)
{
	uint64_t t0 = rdtsc_user();

	for (uint64_t i = 0; i < n; i++) {
		pv_sys0(PV_SYS_getpid);
	}
	user_cycles = rdtsc_user() - t0;
	return 0;
}

PV_USER static long u_int80s(uint64_t n)
{
	uint64_t t0 = rdtsc_user();

	for (uint64_t i = 0; i < n; i++) {
		pv_sys_int80(PV_SYS_getpid, 0);
	}
	user_cycles = rdtsc_user() - t0;
	return 0;
}

/* The kernel-mode comparison: the same loop around a null hypercall. */
static long k_hypercalls(uint64_t n)
{
	uint64_t t0 = rdtsc_user();

	for (uint64_t i = 0; i < n; i++) {
		HYPERVISOR_xen_version(XENVER_version, NULL);
	}
	user_cycles = rdtsc_user() - t0;
	return 0;
}

static long read_stats(struct xeno_stats *s)
{
	return HYPERVISOR_xeno_stats_op(XENO_STATS_read, s);
}

/* x * 1000 / ops as "int.milli". */
static void per_op(char *buf, size_t n, uint64_t x, uint64_t ops)
{
	uint64_t m = x * 1000 / ops;

	snprintf(buf, n, "%lu.%03lu", (unsigned long)(m / 1000),
		 (unsigned long)(m % 1000));
}

static void bench(const char *name, pv_user_fn fn, bool user)
{
	uint64_t rounds[BENCH_REPEATS], hz = pv_tsc_hz(), ps;
	struct xeno_stats s0, s1;
	char cr3[24], cr3_flushes[24], flushes[24], hcalls[24], bounces[24];
	uint64_t ops = (uint64_t)BENCH_OPS * BENCH_REPEATS;

	if (hz == 0 || read_stats(&s0) != 0) {
		printf("bench: %s: no TSC frequency or no xeno_stats_op\n",
		       name);
		return;
	}
	for (unsigned int r = 0; r < BENCH_REPEATS; r++) {
		long rc = user ? pv_user_run(fn, BENCH_OPS, pv_user_page(4))
			       : fn(BENCH_OPS);

		if (rc != 0) {
			printf("bench: %s: run failed: %ld\n", name, rc);
			return;
		}
		rounds[r] = user_cycles * 1000000ULL / (hz / 1000000ULL) /
			    BENCH_OPS; /* picoseconds per op */
	}
	read_stats(&s1);
	ps = pv_bench_median(rounds, BENCH_REPEATS);
	per_op(cr3, sizeof(cr3), s1.cr3_loads - s0.cr3_loads, ops);
	per_op(cr3_flushes, sizeof(cr3_flushes),
	       s1.cr3_flushes - s0.cr3_flushes, ops);
	per_op(flushes, sizeof(flushes),
	       (s1.tlb_flushes - s0.tlb_flushes) +
		       (s1.tlb_invlpgs - s0.tlb_invlpgs),
	       ops);
	/* The read_stats call itself is one hypercall. */
	per_op(hcalls, sizeof(hcalls), s1.hypercalls - s0.hypercalls - 1, ops);
	per_op(bounces, sizeof(bounces), s1.bounces - s0.bounces, ops);
	printf("XENO-BENCH %s ns_per_op=%lu.%03lu cr3_loads_per_op=%s "
	       "tlb_flushes_per_op=%s hypercalls_per_op=%s bounces_per_op=%s "
	       "cr3_flushes_per_op=%s pcid=%u ops=%u\n",
	       name, (unsigned long)(ps / 1000), (unsigned long)(ps % 1000),
	       cr3, flushes, hcalls, bounces, cr3_flushes,
	       (s1.flags & XENO_STATS_PCID) ? 1 : 0, BENCH_OPS);
}

int main(void)
{
	long rc = pv_user_init();

	if (rc != 0) {
		printf("bench: pv_user_init: %ld (%s)\n", rc, pv_errname(rc));
		return 1;
	}
	bench("user_syscall", u_syscalls, true);
	bench("user_int80", u_int80s, true);
	bench("pv_null_hypercall", k_hypercalls, false);
	return 0;
}
