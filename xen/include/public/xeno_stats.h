/* SPDX-License-Identifier: MIT */
/*
 * Xeno extension: event counters for benchmarks and tests (docs/mm.md
 * §10 and §15, docs/hypercalls.md). Rules as in xeno.h: pure C,
 * fixed-width fields, (H) = written by the hypervisor.
 *
 * xeno_stats_op(unsigned int cmd, void *arg), hypercall 65; any domain:
 *   XENO_STATS_read      the whole machine: every CPU's counts summed
 *                        (cpu = XENO_STATS_ALL_CPUS)
 *   XENO_STATS_read_cpu  the CPU running the caller (cpu = its index);
 *                        a vCPU that may move between CPUs checks that
 *                        cpu is the same before and after
 * Both write a struct xeno_stats to arg and return 0; -EFAULT if arg
 * cannot be written, -ENOSYS for another cmd.
 *
 * The counts only ever grow; a benchmark reads them before and after a
 * loop that runs alone and divides the differences by its operations.
 */
#ifndef XEN_PUBLIC_XENO_STATS_H
#define XEN_PUBLIC_XENO_STATS_H

#include <stddef.h>
#include <stdint.h>

#define __HYPERVISOR_xeno_stats_op 65

#define XENO_STATS_read	    0
#define XENO_STATS_read_cpu 1

/* xeno_stats.cpu of the machine-wide form. */
#define XENO_STATS_ALL_CPUS 0xffffffffU

/* xeno_stats.flags: root loads use address-space tags (PCIDs). */
#define XENO_STATS_PCID (1U << 0)

struct xeno_stats {
	uint32_t cpu;		 /* (H) the CPU counted, or ALL_CPUS */
	uint32_t flags;		 /* (H) XENO_STATS_PCID or 0 */
	uint64_t cr3_loads;	 /* (H) page-table root loads (CR3 writes) */
	uint64_t cr3_flushes;	 /* (H) of those, the ones that dropped TLB
				    entries: all of them without PCIDs */
	uint64_t tlb_flushes;	 /* (H) full TLB flushes on one CPU */
	uint64_t global_flushes; /* (H) of those, the ones that also dropped
				    global entries */
	uint64_t tlb_invlpgs;	 /* (H) single-address invalidations */
	uint64_t flush_ipis;	 /* (H) TLB shootdown IPIs sent */
	uint64_t hypercalls;	 /* (H) hypercalls dispatched (iret
				    excluded) on the CPU, or on all */
	uint64_t bounces;	 /* (H) frames built on guest kernel stacks:
				    exceptions, events, user system calls;
				    machine-wide in both forms */
	/* The page-type machine (docs/mm.md §7), machine-wide in both forms: */
	uint64_t validations;	     /* (H) page-table validations started */
	uint64_t devalidations;	     /* (H) page tables devalidated */
	uint64_t validation_stops;   /* (H) validations stopped (preempted) */
	uint64_t devalidation_stops; /* (H) devalidations stopped */
	uint64_t mmu_continuations;  /* (H) mmu_update/mmuext_op continued */
};

_Static_assert(sizeof(struct xeno_stats) == 112, "xeno_stats");
_Static_assert(offsetof(struct xeno_stats, cr3_loads) == 8, "cr3_loads");
_Static_assert(offsetof(struct xeno_stats, hypercalls) == 56, "hypercalls");
_Static_assert(offsetof(struct xeno_stats, validations) == 72, "validations");

#endif
