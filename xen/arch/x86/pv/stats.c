/* SPDX-License-Identifier: MIT */
/*
 * xeno_stats_op (public/xeno_stats.h): the event counters a benchmark
 * guest reads around its loop. Nothing here changes state.
 */
#include <asm/pv.h>
#include <public/xeno_stats.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>

/* Hypercall numbers counted (the hypercall page's range). */
#define COUNTED_HYPERCALLS 128

static uint64_t hypercalls_total(void)
{
	uint64_t n = 0;

	for (uint64_t nr = 0; nr < COUNTED_HYPERCALLS; nr++) {
		n += hypercall_count(nr);
	}
	return n;
}

long do_xeno_stats_op(struct hcall_args *h)
{
	struct arch_tlb_stats t;
	struct xeno_stats s;

	if (h->a[0] != XENO_STATS_read) {
		return -ENOSYS;
	}
	arch_tlb_stats_read(&t);
	s.cr3_loads = t.cr3_loads;
	s.tlb_flushes = t.local_flushes;
	s.tlb_invlpgs = t.local_invlpgs;
	s.flush_ipis = t.ipis;
	s.hypercalls = hypercalls_total();
	s.bounces = pv_bounce_count();
	return guest_copy_to(h->a[1], &s, sizeof(s)) ? -EFAULT : 0;
}
