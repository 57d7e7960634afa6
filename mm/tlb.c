/* SPDX-License-Identifier: MIT */
/*
 * TLB shootdowns (see xeno/tlb.h for the interface rules): per-batch
 * flush states, the lazy CPU masks, and the TLB clock behind the flushes
 * a change of type or the reuse of a freed frame needs.
 *
 * The masks. A CPU joins a vCPU's, its domain's and the global "ran a
 * guest" mask when it switches the vCPU in (tlb_vcpu_running) and stays
 * there after switching away, as its TLB keeps the entries. A full flush
 * takes it out again, but only if it provably ran nothing of the kind
 * since before the flush: the flush snapshots each target CPU's switch
 * counter (mm_vcpu_switches) first, and afterwards clears the bit only
 * if the counter did not move and the CPU is not running the domain (or
 * vCPU, or any guest); after clearing it re-reads the counter and sets
 * the bit back if it moved. A switch increments the counter before it
 * sets the bits, all with sequentially consistent atomics, so either the
 * flusher sees the switch and keeps the bit, or the switch sets the bit
 * after the flusher cleared it.
 *
 * The clock. tlb_clock ticks once per full flush, just before the flush is
 * sent; when the flush returns, each target CPU's clean time becomes at
 * least that tick. A frame whose last use ended (its last typed
 * reference or its last general one went) records the clock then as its
 * stamp. A CPU whose clean time is later than the stamp started a full
 * flush after that use ended, so it caches nothing from it. Stamps are
 * stored in 25 bits (frame.h); tlb_flush_stale() takes the latest time
 * not after now with the same low bits, which is never earlier than the
 * real stamp, so a wrapped stamp costs a needless flush, never a missed
 * one. The clock skips values whose low 25 bits are 0, so a stamp is
 * never 0 (0 means "never used").
 *
 * Locks: none; every shared word is atomic.
 */
#include <xeno/arch.h>
#include <xeno/atomic.h>
#include <xeno/lib.h>
#include <xeno/mm_domain.h>
#include <xeno/mm_vcpu.h>
#include <xeno/tlb.h>

#define STAMP_MASK (PGT_stamp_mask >> PGT_stamp_shift)

static uint64_t tlb_clock = 1;
static uint64_t cpu_clean[NR_CPUS];

/*
 * Per CPU: the vCPU whose global entries this CPU's TLB may hold, as
 * its mm_vcpu_key(), or 0 for none. Written by its own
 * CPU only (in tlb_switch_globals).
 */
static uint64_t cpu_globals[NR_CPUS];
static cpumask_t ran_guest; /* CPUs that ran any vCPU since a full flush */
static struct tlb_stats stats;

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static unsigned int popcount(cpumask_t m)
{
	unsigned int n = 0;

	/* Not __builtin_popcountll: the hypervisor links no libgcc. */
	for (; m != 0; m &= m - 1) {
		n++;
	}
	return n;
}

/* The lowest CPU in *m, removed from it. */
static unsigned int next_cpu(cpumask_t *m)
{
	unsigned int c = (unsigned int)__builtin_ctzll(*m);

	*m &= *m - 1;
	return c;
}

void tlb_reset(void)
{
	atomic_write64(&tlb_clock, 1);
	memset(cpu_clean, 0, sizeof(cpu_clean));
	memset(cpu_globals, 0, sizeof(cpu_globals));
	atomic_write64(&ran_guest, 0);
	memset(&stats, 0, sizeof(stats));
}

void tlb_stats_read(struct tlb_stats *out)
{
	const uint64_t *src = (const uint64_t *)&stats;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(stats) / sizeof(uint64_t); i++) {
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
}

/* ---- masks -------------------------------------------------------------- */

void tlb_vcpu_running(struct mm_vcpu *v, unsigned int cpu)
{
	cpumask_set_atomic(&v->dirty_cpus, cpu);
	cpumask_set_atomic(&v->d->dirty_cpus, cpu);
	cpumask_set_atomic(&ran_guest, cpu);
}

/* ---- global entries ----------------------------------------------------- */

void tlb_switch_globals(struct mm_vcpu *prev, struct mm_vcpu *next,
			unsigned int cpu)
{
	/* prev is still alive here; its flag was set before any entry. */
	if (prev != NULL &&
	    __atomic_load_n(&prev->d->globals, __ATOMIC_SEQ_CST)) {
		cpu_globals[cpu] = mm_vcpu_key(prev);
	}
	if (next == NULL) {
		return;
	}
	if (cpu_globals[cpu] == 0 || cpu_globals[cpu] == mm_vcpu_key(next)) {
		count(&stats.switch_kept, 1);
		return;
	}
	arch_flush_tlb_mask(cpumask_of(cpu), ARCH_FLUSH_ALL);
	count(&stats.switch_globals, 1);
	cpu_globals[cpu] = 0;
}

void tlb_root_changed(struct mm_vcpu *v)
{
	struct tlb_flush f;

	if (!__atomic_load_n(&v->d->globals, __ATOMIC_SEQ_CST)) {
		return;
	}
	count(&stats.root_globals, 1);
	tlb_flush_init(&f, v->d, TLB_OP_OTHER);
	tlb_flush_add(&f, tlb_vcpu_cpus(v), ARCH_FLUSH_ALL);
	tlb_flush_commit(&f);
}

cpumask_t tlb_domain_cpus(const struct mm_domain *d)
{
	return cpumask_read(&d->dirty_cpus);
}

cpumask_t tlb_vcpu_cpus(const struct mm_vcpu *v)
{
	return cpumask_read(&v->dirty_cpus);
}

cpumask_t tlb_vcpus_cpus(const struct mm_domain *d, uint64_t vcpu_bitmap)
{
	cpumask_t m = 0;

	while (vcpu_bitmap != 0) {
		unsigned int i = next_cpu(&vcpu_bitmap);
		const struct mm_vcpu *v =
			__atomic_load_n(&d->vcpus[i], __ATOMIC_ACQUIRE);

		if (v != NULL) {
			m |= tlb_vcpu_cpus(v);
		}
	}
	return m;
}

/* Clears cpu in *m unless it switched since snap (see the top). */
static void clear_unless_switched(cpumask_t *m, unsigned int cpu, uint64_t snap)
{
	if (!cpumask_test(cpumask_read(m), cpu)) {
		return;
	}
	cpumask_clear_atomic(m, cpu);
	if (mm_vcpu_switches(cpu) != snap) {
		cpumask_set_atomic(m, cpu);
	}
}

/*
 * After a full flush of cpu: takes it out of the masks it no longer
 * belongs in. d's vCPUs' masks are cleaned only for the running vCPU's
 * own domain, whose vCPUs cannot go away under us; a foreign d keeps
 * its vCPUs' bits (merely more flushing later).
 */
static void clean_cpu(unsigned int cpu, uint64_t snap, struct mm_domain *d)
{
	struct mm_vcpu *cur = mm_vcpu_current_on(cpu);
	struct mm_vcpu *self = mm_vcpu_current();
	unsigned int i;

	if (mm_vcpu_switches(cpu) != snap) {
		return;
	}
	if (cur == NULL) {
		clear_unless_switched(&ran_guest, cpu, snap);
	}
	if (d == NULL || (cur != NULL && cur->d == d)) {
		return;
	}
	clear_unless_switched(&d->dirty_cpus, cpu, snap);
	if (self == NULL || self->d != d) {
		return;
	}
	for (i = 0; i < MM_MAX_VCPUS; i++) {
		struct mm_vcpu *v =
			__atomic_load_n(&d->vcpus[i], __ATOMIC_ACQUIRE);

		if (v != NULL && v != cur) {
			clear_unless_switched(&v->dirty_cpus, cpu, snap);
		}
	}
}

/* ---- the clock ------------------------------------------------------------ */

/* Advances the clock for a full flush about to be sent; returns it. */
static uint64_t clock_tick(void)
{
	uint64_t old = atomic_read64(&tlb_clock), n;

	do {
		n = old + 1;
		if ((n & STAMP_MASK) == 0) {
			n++;
		}
	} while (!atomic_cmpxchg64(&tlb_clock, &old, n));
	return n;
}

uint32_t tlb_stamp(void)
{
	return (uint32_t)(atomic_read64(&tlb_clock) & STAMP_MASK);
}

/* The latest clock value not after now whose low bits are the stamp. */
static uint64_t stamp_time(uint32_t stamp)
{
	uint64_t now = atomic_read64(&tlb_clock);

	return now - ((now - stamp) & STAMP_MASK);
}

uint32_t tlb_stamp_later(uint32_t a, uint32_t b)
{
	if (a == 0 || b == 0) {
		return a | b;
	}
	return stamp_time(a) >= stamp_time(b) ? a : b;
}

static void clean_time_at_least(unsigned int cpu, uint64_t t)
{
	uint64_t old = atomic_read64(&cpu_clean[cpu]);

	while (old < t && !atomic_cmpxchg64(&cpu_clean[cpu], &old, t)) {
	}
}

/* ---- flushing ------------------------------------------------------------- */

static void count_flush(enum tlb_op op, cpumask_t mask, bool full)
{
	struct tlb_op_stats *s = &stats.op[op];

	count(full ? &s->full : &s->invlpg, 1);
	count(&s->cpus, popcount(mask));
	count(&s->ipis, popcount(mask & ~cpumask_of(arch_cpu_id())));
}

/* A full flush of mask, then the masks and clean times it earned. */
static void flush_full(cpumask_t mask, struct mm_domain *d, enum tlb_op op)
{
	uint64_t snap[NR_CPUS], t;
	cpumask_t m = mask;

	while (m != 0) {
		unsigned int c = next_cpu(&m);

		snap[c] = mm_vcpu_switches(c);
	}
	t = clock_tick();
	arch_flush_tlb_mask(mask, ARCH_FLUSH_ALL);
	count_flush(op, mask, true);
	m = mask;
	while (m != 0) {
		unsigned int c = next_cpu(&m);

		clean_time_at_least(c, t);
		clean_cpu(c, snap[c], d);
	}
}

void tlb_flush_init(struct tlb_flush *f, struct mm_domain *d, enum tlb_op op)
{
	f->d = d;
	f->op = op;
	f->mask = 0;
	f->va = TLB_VA_NONE;
}

void tlb_flush_add(struct tlb_flush *f, cpumask_t mask, uint64_t va)
{
	if (mask == 0) {
		return;
	}
	if (va != ARCH_FLUSH_ALL) {
		va &= PAGE_MASK;
	}
	if (f->va == TLB_VA_NONE) {
		f->va = va;
	} else if (f->va != va) {
		f->va = ARCH_FLUSH_ALL;
	}
	f->mask |= mask;
}

void tlb_flush_commit(struct tlb_flush *f)
{
	if (f->va != TLB_VA_NONE && f->mask != 0) {
		count(&stats.op[f->op].commits, 1);
		if (f->va == ARCH_FLUSH_ALL) {
			flush_full(f->mask, f->d, f->op);
		} else {
			arch_flush_tlb_mask(f->mask, f->va);
			count_flush(f->op, f->mask, false);
		}
	}
	f->mask = 0;
	f->va = TLB_VA_NONE;
}

void tlb_flush_stale(uint32_t stamp)
{
	uint64_t t = stamp_time(stamp);
	cpumask_t dirty = cpumask_read(&ran_guest), mask = 0;

	ASSERT(stamp != 0);
	count(&stats.stale_checks, 1);
	while (dirty != 0) {
		unsigned int c = next_cpu(&dirty);

		if (atomic_read64(&cpu_clean[c]) <= t) {
			mask |= cpumask_of(c);
		}
	}
	if (mask == 0) {
		count(&stats.stale_skipped, 1);
		return;
	}
	count(&stats.op[TLB_OP_STALE].commits, 1);
	flush_full(mask, NULL, TLB_OP_STALE);
}
