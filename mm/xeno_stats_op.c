/* SPDX-License-Identifier: MIT */
/*
 * xeno_stats_op (hypercall 65, public/xeno_stats.h): the event counters
 * a benchmark or test reads around its loop, for one CPU or the whole
 * machine. The TLB counts come from the arch (arch_tlb_*stats_read), the
 * page-type counts from mm/ptype.c and mm/mm_hcall.c; the hypercall and
 * bounce counts, which live outside mm/, from the source
 * the hypervisor registers at boot (none in host tests: 0). Nothing here
 * changes state.
 *
 * Locks: none; every count is read atomically, the set as a snapshot.
 */
#include <public/xeno_stats.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/ptype.h>

#include "mm_hcall.h"

/* Registered once at boot before any guest runs; read-only afterwards. */
static void (*events_source)(struct xeno_stats *s);

void xeno_stats_set_events(void (*fn)(struct xeno_stats *s))
{
	events_source = fn;
}

/* Fills s for cpu, or for the machine with XENO_STATS_ALL_CPUS. */
static void fill(struct xeno_stats *s, unsigned int cpu)
{
	struct arch_tlb_stats t;
	struct ptype_stats p;

	memset(s, 0, sizeof(*s));
	if (cpu == XENO_STATS_ALL_CPUS) {
		arch_tlb_stats_read(&t);
	} else {
		arch_tlb_cpu_stats_read(cpu, &t);
	}
	s->cpu = cpu;
	s->flags = arch_tlb_tags() != 0 ? XENO_STATS_PCID : 0;
	s->cr3_loads = t.cr3_loads;
	s->cr3_flushes = t.cr3_flushes;
	s->tlb_flushes = t.local_flushes;
	s->global_flushes = t.global_flushes;
	s->tlb_invlpgs = t.local_invlpgs;
	s->flush_ipis = t.ipis;
	ptype_stats_read(&p);
	s->validations = p.validations;
	s->devalidations = p.devalidations;
	s->validation_stops = p.preemptions;
	s->devalidation_stops = p.devalidation_preemptions;
	s->mmu_continuations = mm_batch_continuations();
	if (events_source != NULL) {
		events_source(s);
	}
}

long do_xeno_stats_op(struct hcall_args *h)
{
	struct xeno_stats s;

	switch (h->a[0]) {
	case XENO_STATS_read:
		fill(&s, XENO_STATS_ALL_CPUS);
		break;
	case XENO_STATS_read_cpu:
		fill(&s, arch_cpu_id());
		break;
	default:
		return -ENOSYS;
	}
	return guest_copy_to(h->a[1], &s, sizeof(s)) != 0 ? -EFAULT : 0;
}
