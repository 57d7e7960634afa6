/* SPDX-License-Identifier: MIT */
/*
 * TLB shootdowns for the memory manager (mm/tlb.c): batched, lazy, and
 * the only caller of arch_flush_tlb_mask().
 *
 * Interface rules:
 *  - A hypercall keeps one struct tlb_flush for its batch. Each element
 *    notes what must be flushed where (tlb_flush_add with a CPU mask
 *    from tlb_domain_cpus / tlb_vcpu_cpus / tlb_vcpus_cpus) and nothing
 *    is flushed until tlb_flush_commit(), which issues at most ONE
 *    arch_flush_tlb_mask: one address if every note named the same one,
 *    otherwise a full flush, to the union of the masks. A hypercall
 *    commits before it returns, continuations included.
 *  - Lazy: the masks are the CPUs that ran the domain (or vCPU) since
 *    their last full flush, not the ones running it now (address spaces
 *    carry PCIDs, so a CPU keeps a guest's entries after switching away).
 *    A full flush removes the CPUs it covered from the masks of the
 *    batch's domain and its vCPUs, unless they ran it meanwhile.
 *  - Type changes: a frame stamped when it went idle (tlb_stamp, kept in
 *    its type word or through the free pool) gets tlb_flush_stale()
 *    before its new use, which flushes at once every CPU that ran a guest
 *    and has not fully flushed since the stamp. It cannot wait for the
 *    batch: the new use (a writable mapping, a validated table) becomes
 *    visible to the guest's other vCPUs as soon as it is stored.
 *
 * Locks: none; masks and clocks are atomic words.
 */
#ifndef XENO_TLB_H
#define XENO_TLB_H

#include <xeno/arch.h>
#include <xeno/cpumask.h>
#include <xeno/types.h>

struct mm_domain;
struct mm_vcpu;

/* What a flush was for, for the statistics. */
enum tlb_op {
	TLB_OP_MMU_UPDATE, /* mmu_update: L2-L4 changes */
	TLB_OP_MMUEXT,	   /* mmuext_op: the guest's TLB commands */
	TLB_OP_UVM,	   /* update_va_mapping flags */
	TLB_OP_STALE,	   /* a frame changing type or being reused */
	TLB_OP_OTHER,	   /* root changes and the rest */
	TLB_OP_NR
};

/* tlb_flush.va before anything was noted. */
#define TLB_VA_NONE 0x1ULL

/* One batch's pending flush. */
struct tlb_flush {
	struct mm_domain *d; /* whose masks a full flush may clean */
	enum tlb_op op;
	cpumask_t mask; /* CPUs to flush */
	uint64_t va;	/* TLB_VA_NONE, one address, or ARCH_FLUSH_ALL */
};

void tlb_flush_init(struct tlb_flush *f, struct mm_domain *d, enum tlb_op op);

/* Notes that the CPUs in mask must drop va (ARCH_FLUSH_ALL: everything). */
void tlb_flush_add(struct tlb_flush *f, cpumask_t mask, uint64_t va);

/* Issues what was noted (at most one arch call) and empties f. */
void tlb_flush_commit(struct tlb_flush *f);

/* Where a domain's, a vCPU's, or some of d's vCPUs' entries may be. */
cpumask_t tlb_domain_cpus(const struct mm_domain *d);
cpumask_t tlb_vcpu_cpus(const struct mm_vcpu *v);
cpumask_t tlb_vcpus_cpus(const struct mm_domain *d, uint64_t vcpu_bitmap);

/* mm_vcpu_switch(): v now runs on cpu; marks cpu in its masks. */
void tlb_vcpu_running(struct mm_vcpu *v, unsigned int cpu);

/*
 * Global entries (docs/mm.md §14). A domain with global leaf entries
 * (mm_domain.globals) leaves them in a CPU's TLB across CR3 loads, so:
 *  - tlb_switch_globals(), from mm_vcpu_switch() on the switching CPU
 *    before it loads next's root: if a vCPU with global entries ran here
 *    last (prev, or one before an idle spell) and next is another vCPU,
 *    this CPU drops everything, globals included. A vCPU of a domain
 *    without global entries costs nothing.
 *  - tlb_root_changed(): v (with global entries) installed a new base
 *    pointer, another address space of its own: the CPUs where v's
 *    translations may live drop everything (a guest process switch;
 *    kernel/user mode switches keep the globals, which is their point).
 */
void tlb_switch_globals(struct mm_vcpu *prev, struct mm_vcpu *next,
			unsigned int cpu);
void tlb_root_changed(struct mm_vcpu *v);

/* The TLB clock now, as a nonzero stamp for a frame's type word. */
uint32_t tlb_stamp(void);

/* The later of two stamps (0: none). */
uint32_t tlb_stamp_later(uint32_t a, uint32_t b);

/*
 * A frame stamped stamp (nonzero) gets a new use: flushes, now, every CPU
 * that may still cache entries for it from before the stamp.
 */
void tlb_flush_stale(uint32_t stamp);

/* Counters per operation kind, since boot or tlb_reset(). */
struct tlb_op_stats {
	uint64_t commits; /* batches that flushed something */
	uint64_t full;	  /* full flushes issued (arch calls) */
	uint64_t invlpg;  /* single-address flushes issued (arch calls) */
	uint64_t cpus;	  /* CPUs asked to flush, summed */
	uint64_t ipis;	  /* of which other CPUs than the caller */
};
struct tlb_stats {
	struct tlb_op_stats op[TLB_OP_NR];
	uint64_t stale_checks;	 /* tlb_flush_stale calls */
	uint64_t stale_skipped;	 /* of which needed no flush */
	uint64_t switch_globals; /* vCPU switches that flushed globals */
	uint64_t switch_kept;	 /* vCPU switches that needed no flush */
	uint64_t root_globals;	 /* base pointer changes that flushed */
};
void tlb_stats_read(struct tlb_stats *out);

/* Forgets all state: clock, masks, counters (host tests, boot). */
void tlb_reset(void);

#endif
