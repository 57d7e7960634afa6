/* SPDX-License-Identifier: MIT */
/*
 * Hypercall handlers and their calling convention (docs/pv-abi.md §5).
 *
 * The dispatcher (xen/common/hypercall.c) decodes RAX and copies the five
 * argument registers (RDI, RSI, RDX, R10, R8) into a struct hcall_args;
 * a handler returns the value for RAX (0 or a result, or -errno).
 *
 * Continuations: a handler that stops at a preemption point rewrites
 * h->a[] so that running the hypercall again with them finishes the work,
 * and returns -ERESTART. The dispatcher copies h->a[] back into the
 * registers and rewinds RIP by 2, so the guest's SYSCALL executes again
 * when the vCPU next runs (after any pending event is delivered).
 *
 * Handlers act on the vCPU current on this CPU (mm_vcpu_current() for
 * mm/, current_vcpu() for xen/common) and read guest memory only through
 * guest_copy_from()/guest_copy_to() (xeno/guest_access.h).
 */
#ifndef XENO_HYPERCALL_H
#define XENO_HYPERCALL_H

/* Entries of hypercall_table (below); entry.S includes this much. */
#define HYPERCALL_SLOTS 72

#ifndef __ASSEMBLER__
#include <xeno/types.h>

struct hcall_args {
	uint64_t a[5];
};

/*
 * Runs hypercall nr for the current vCPU. Returns its result, -ENOSYS
 * for an unknown number, or -ERESTART (see above).
 */
long hypercall_dispatch(uint64_t nr, struct hcall_args *h);

/* The same, by the entry path that already knows its CPU's index. */
long hypercall_dispatch_on(unsigned int cpu, uint64_t nr, struct hcall_args *h);

/*
 * The table and the per-CPU counts, also read by the SYSCALL entry's
 * short path (entry.S), which dispatches and counts exactly as
 * hypercall_dispatch_on() does: hypercall_table[nr] for nr below
 * HYPERCALL_SLOTS (NULL: not a hypercall the table handles), and
 * hypercall_counts[cpu * HYPERCALL_SLOTS + nr] incremented by CPU cpu
 * only.
 */
typedef long (*hcall_fn)(struct hcall_args *h);
extern const hcall_fn hypercall_table[HYPERCALL_SLOTS];
extern uint64_t hypercall_counts[];

/* How many times hypercall nr ran since boot: on cpu, or on every CPU. */
uint64_t hypercall_cpu_count(unsigned int cpu, uint64_t nr);
uint64_t hypercall_count(uint64_t nr);

/* mm/ (issue 3): pv-abi §6.1-6.3. */
long do_mmu_update(struct hcall_args *h);
long do_mmuext_op(struct hcall_args *h);
long do_update_va_mapping(struct hcall_args *h);
long do_update_va_mapping_otherdomain(struct hcall_args *h);

/* mm/memory_op.c: the reservation part of memory_op (pv-abi §6.4). */
long do_memory_op(struct hcall_args *h);

/* mm/: Xeno's diagnostics extension (docs/mm.md). */
long do_xeno_mm_op(struct hcall_args *h);

/*
 * mm/xeno_stats_op.c: Xeno's event counters (public/xeno_stats.h). The
 * hypervisor registers, once at boot, the function that adds the counts
 * kept outside mm/ (hypercalls, bounces) to a struct xeno_stats.
 */
struct xeno_stats;
long do_xeno_stats_op(struct hcall_args *h);
void xeno_stats_set_events(void (*fn)(struct xeno_stats *s));

/* xen/common/domctl.c: Xeno's domain control (docs/domains.md). */
long do_xeno_domctl(struct hcall_args *h);

#endif /* __ASSEMBLER__ */
#endif
