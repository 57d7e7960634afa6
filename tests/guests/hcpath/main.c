/* SPDX-License-Identifier: MIT */
/*
 * The hypercall entry's short path (docs/domains.md, "Scheduling"): with
 * events masked, so that no upcall makes hypercalls of its own,
 *
 *   hcpath.count         N null hypercalls are counted exactly N times
 *                        on our CPU (xeno_stats_op's per-CPU form,
 *                        counted by the short path): never fewer, and
 *                        exactly once we were not moved and no other
 *                        vCPU ran on the CPU meanwhile (retried);
 *   hcpath.continuation  mmu_update batches of 512 for several slices:
 *                        the batch is preempted at slice ends and the
 *                        guest's SYSCALL re-executed with the arguments
 *                        Xeno rewrote (more hypercalls counted than
 *                        made), yet every call succeeds with all 512
 *                        done;
 *   hcpath.multicall     the same with multicalls of 256 xen_version
 *                        entries: every entry's result is right after
 *                        the continuations;
 *   hcpath.masked_event  an event sent while the upcall mask is set is
 *                        not delivered on the way back, and is delivered
 *                        by the next hypercall once the mask is cleared.
 */
#include <libpv.h>
#include <public/xeno_stats.h>

#define NULL_CALLS  1000
#define MIN_TIME_NS (60ULL * 1000 * 1000) /* six 10 ms slices */
#define MC_ENTRIES  256

static uint8_t slot[4096] __attribute__((aligned(4096)));
static struct mmu_update batch[512];
static struct multicall_entry mc[MC_ENTRIES];
static volatile unsigned int upcalls;
static evtchn_port_t port_a, port_b;

PV_HANDLER static void on_event(evtchn_port_t port, struct pv_regs *regs,
				void *arg)
{
	upcalls++;
	(void)port;
	(void)regs;
	(void)arg;
}

/* The machine's hypercall count. */
static uint64_t hypercalls(void)
{
	struct xeno_stats s;

	if (hypercall2(__HYPERVISOR_xeno_stats_op, XENO_STATS_read,
		       (unsigned long)&s) != 0) {
		return 0;
	}
	return s.hypercalls;
}

/* This CPU's hypercall count, and which CPU that was (~0: failed). */
static uint64_t cpu_hypercalls(uint32_t *cpu)
{
	struct xeno_stats s;

	if (hypercall2(__HYPERVISOR_xeno_stats_op, XENO_STATS_read_cpu,
		       (unsigned long)&s) != 0) {
		*cpu = ~0U;
		return 0;
	}
	*cpu = s.cpu;
	return s.hypercalls;
}

#define COUNT_TRIES 20

static void test_count(void)
{
	uint64_t h0, h1, exact = 0, short_of = 0;
	uint32_t cpu0, cpu1;
	unsigned int i, t;

	pv_test_begin("hcpath.count");
	for (t = 0; t < COUNT_TRIES && exact == 0; t++) {
		h0 = cpu_hypercalls(&cpu0);
		for (i = 0; i < NULL_CALLS; i++) {
			HYPERVISOR_xen_version(XENVER_version, NULL);
		}
		h1 = cpu_hypercalls(&cpu1);
		if (cpu0 != cpu1 || cpu0 == ~0U) {
			continue; /* moved: the counts are two CPUs' */
		}
		/* The second read counts itself; another vCPU adds more. */
		exact += h1 - h0 == NULL_CALLS + 1;
		short_of += h1 - h0 < NULL_CALLS + 1;
	}
	PV_CHECK_EQ(short_of, 0);
	PV_CHECK_EQ(exact, 1);
	pv_test_end();
}

static void test_continuation(void)
{
	uint64_t ma = pv_l1e_maddr((uint64_t)slot);
	uint64_t val = (pv_va_to_mfn(slot) << 12) | PV_PTE_DATA;
	uint64_t t0, h0, made = 0, bad = 0;
	unsigned int i;

	pv_test_begin("hcpath.continuation");
	for (i = 0; i < 512; i++) {
		batch[i].ptr = ma | MMU_NORMAL_PT_UPDATE;
		batch[i].val = val;
	}
	h0 = hypercalls();
	t0 = pv_now_ns();
	while (pv_now_ns() - t0 < MIN_TIME_NS) {
		unsigned int done = 0;
		long rc = HYPERVISOR_mmu_update(batch, 512, &done, DOMID_SELF);

		if (rc != 0 || done != 512) {
			bad++;
		}
		made++;
	}
	PV_CHECK_EQ(bad, 0);
	/* made calls, the reads, and one more per continuation. */
	PV_CHECK_GT(hypercalls() - h0, made + 1);
	PV_CHECK_EQ(slot[0], slot[0]); /* still mapped: readable */
	pv_test_end();
}

static void test_multicall(void)
{
	uint64_t t0, h0, calls = 0, bad = 0;
	unsigned int i;

	pv_test_begin("hcpath.multicall");
	h0 = hypercalls();
	t0 = pv_now_ns();
	while (pv_now_ns() - t0 < MIN_TIME_NS) {
		long rc;

		for (i = 0; i < MC_ENTRIES; i++) {
			mc[i].op = __HYPERVISOR_xen_version;
			mc[i].result = 0;
			mc[i].args[0] = XENVER_version;
			mc[i].args[1] = 0;
		}
		rc = HYPERVISOR_multicall(mc, MC_ENTRIES);
		for (i = 0; i < MC_ENTRIES; i++) {
			if (mc[i].result != ((4UL << 16) | 17)) {
				bad++;
			}
		}
		if (rc != 0) {
			bad++;
		}
		calls++;
	}
	PV_CHECK_EQ(bad, 0);
	/* Each multicall counts itself and its entries, plus restarts. */
	PV_CHECK_GT(hypercalls() - h0, calls * (MC_ENTRIES + 1) + 1);
	pv_test_end();
}

static void test_masked_event(void)
{
	struct vcpu_info *vi = pv_vcpu_info();
	unsigned int u0;

	pv_test_begin("hcpath.masked_event");
	u0 = upcalls;
	PV_CHECK_OK(pv_evtchn_send(port_b));
	PV_CHECK_EQ(upcalls, u0);
	PV_CHECK_NE(vi->evtchn_upcall_pending, 0);
	/* Clear the mask by hand; the next hypercall must deliver. */
	pv_barrier();
	PV_WRITE_ONCE(vi->evtchn_upcall_mask, 0);
	pv_mb();
	HYPERVISOR_xen_version(XENVER_version, NULL);
	PV_CHECK_EQ(upcalls, u0 + 1);
	pv_irq_disable();
	pv_test_end();
}

int main(void)
{
	if (pv_evtchn_alloc_unbound(DOMID_SELF, &port_a) != 0 ||
	    pv_evtchn_bind_interdomain(DOMID_SELF, port_a, &port_b) != 0 ||
	    pv_evtchn_bind(port_a, on_event, NULL) != 0 ||
	    pv_evtchn_bind(port_b, on_event, NULL) != 0) {
		printf("hcpath: cannot set up the loopback channel\n");
		return 1;
	}
	pv_irq_disable();
	test_count();
	test_continuation();
	test_multicall();
	test_masked_event();
	pv_irq_enable();
	return 0;
}
