/* SPDX-License-Identifier: MIT */
/*
 * Xeno extension: event counters for benchmarks (docs/testing.md,
 * docs/hypercalls.md). Rules as in xeno.h: pure C, fixed-width fields,
 * (H) = written by the hypervisor.
 *
 * xeno_stats_op(unsigned int cmd, void *arg), hypercall 65:
 *   XENO_STATS_read: writes a struct xeno_stats to arg. Returns 0,
 *   -EFAULT if arg cannot be written, -ENOSYS for another cmd.
 *
 * The counts are machine-wide (every CPU and domain) and only ever grow;
 * a benchmark reads them before and after a loop that runs alone and
 * divides the differences by its operations.
 */
#ifndef XEN_PUBLIC_XENO_STATS_H
#define XEN_PUBLIC_XENO_STATS_H

#include <stdint.h>

#define __HYPERVISOR_xeno_stats_op 65

#define XENO_STATS_read 0

struct xeno_stats {
	uint64_t cr3_loads;   /* (H) page-table root loads (CR3 writes) */
	uint64_t tlb_flushes; /* (H) full TLB flushes on one CPU */
	uint64_t tlb_invlpgs; /* (H) single-address invalidations */
	uint64_t flush_ipis;  /* (H) TLB shootdown IPIs sent */
	uint64_t hypercalls;  /* (H) hypercalls dispatched (iret excluded) */
	uint64_t bounces;     /* (H) frames built on guest kernel stacks:
				 exceptions, events, user system calls */
};

_Static_assert(sizeof(struct xeno_stats) == 48, "xeno_stats");

#endif
