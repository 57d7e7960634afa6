/* SPDX-License-Identifier: MIT */
/*
 * The counts of xeno_stats_op (mm/xeno_stats_op.c) that live outside
 * mm/: hypercalls dispatched (on the CPU asked about, or on all) and
 * bounce frames built (machine-wide).
 */
#include <asm/pv.h>
#include <public/xeno_stats.h>
#include <xeno/hypercall.h>

/* Hypercall numbers counted (the hypercall page's range). */
#define COUNTED_HYPERCALLS 128

static void events(struct xeno_stats *s)
{
	uint64_t n = 0;

	for (uint64_t nr = 0; nr < COUNTED_HYPERCALLS; nr++) {
		n += s->cpu == XENO_STATS_ALL_CPUS
			     ? hypercall_count(nr)
			     : hypercall_cpu_count(s->cpu, nr);
	}
	s->hypercalls = n;
	s->bounces = pv_bounce_count();
}

void pv_stats_init(void)
{
	xeno_stats_set_events(events);
}
