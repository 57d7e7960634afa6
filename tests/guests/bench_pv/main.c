/* SPDX-License-Identifier: MIT */
/*
 * PV benchmarks measured from inside a guest (make bench; docs/testing.md):
 * each operation runs BENCH_OPS times, BENCH_REPEATS rounds, and the
 * median round is printed as a XENO-BENCH line with ns per operation and
 * the hypercalls each operation makes:
 *
 *   pv_null_hypercall   xen_version(XENVER_version): entry, dispatch, exit
 *   pv_guest_copy8      xen_version(XENVER_get_features): the null hypercall
 *                       plus an 8-byte copy from the guest and one back
 *   pv_guest_copy1k     xen_version(XENVER_capabilities): plus a 1 KiB copy
 *                       to the guest
 *   pv_exception_bounce INT3 bounced to the guest's handler, back by iret
 *   pv_event_loopback   send on a loopback channel, upcall, iret
 *   pv_update_va_mapping one PTE rewritten, with UVMF_INVLPG
 *   pv_mmu_update_b1/b16/b512  validated L1 updates per batch
 *   pv_native_call      a plain function call, the floor of the clock
 */
#include <libpv.h>
#include <libpv/bench.h>

#define BENCH_OPS     2000
#define BENCH_REPEATS 5

static uint8_t slot[4096] __attribute__((aligned(4096)));
static struct mmu_update batch[512];
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

PV_HANDLER static void on_bp(struct pv_regs *regs)
{
	(void)regs;
}

__attribute__((noinline)) static void native_call(void)
{
	__asm__ volatile("" ::: "memory");
}

static void op_null(void)
{
	HYPERVISOR_xen_version(XENVER_version, NULL);
}

static struct xen_feature_info features;
static char capabilities[1024];

static void op_copy8(void)
{
	HYPERVISOR_xen_version(XENVER_get_features, &features);
}

static void op_copy1k(void)
{
	HYPERVISOR_xen_version(XENVER_capabilities, capabilities);
}

static void op_bounce(void)
{
	__asm__ volatile("int3" ::: "memory");
}

static void op_event(void)
{
	pv_evtchn_send(port_b);
}

static void op_uvm(void)
{
	HYPERVISOR_update_va_mapping((uint64_t)slot,
				     (pv_va_to_mfn(slot) << 12) | PV_PTE_DATA,
				     UVMF_INVLPG);
}

static unsigned int batch_n;

static void op_batch(void)
{
	HYPERVISOR_mmu_update(batch, batch_n, NULL, DOMID_SELF);
}

/* Median picoseconds per call of fn over the rounds. */
static uint64_t measure_ps(void (*fn)(void), unsigned int ops)
{
	return pv_bench_ps(fn, ops, BENCH_REPEATS);
}

static void report(const char *name, uint64_t ps, unsigned int hcalls,
		   unsigned int items)
{
	printf("XENO-BENCH %s ns_per_op=%lu.%03lu hypercalls_per_op=%u "
	       "items_per_op=%u ops=%u\n",
	       name, (unsigned long)(ps / 1000), (unsigned long)(ps % 1000),
	       hcalls, items, BENCH_OPS);
}

static void bench_batches(void)
{
	static const unsigned int sizes[3] = { 1, 16, 512 };
	uint64_t ma = pv_l1e_maddr((uint64_t)slot);
	uint64_t val = (pv_va_to_mfn(slot) << 12) | PV_PTE_DATA;
	unsigned int i, s;
	char name[32];

	for (i = 0; i < 512; i++) {
		batch[i].ptr = ma | MMU_NORMAL_PT_UPDATE;
		batch[i].val = val;
	}
	for (s = 0; s < 3; s++) {
		uint64_t ps;

		batch_n = sizes[s];
		ps = measure_ps(op_batch, sizes[s] >= 512 ? 20 : BENCH_OPS);
		snprintf(name, sizeof(name), "pv_mmu_update_b%u", sizes[s]);
		printf("XENO-BENCH %s ns_per_op=%lu.%03lu "
		       "updates_per_sec=%lu hypercalls_per_op=1 items_per_op=%u\n",
		       name, (unsigned long)(ps / 1000),
		       (unsigned long)(ps % 1000),
		       (unsigned long)(sizes[s] * 1000000000000ULL / ps),
		       sizes[s]);
	}
}

int main(void)
{
	pv_trap_set_handler(PV_TRAP_BP, on_bp);
	if (pv_evtchn_alloc_unbound(DOMID_SELF, &port_a) != 0 ||
	    pv_evtchn_bind_interdomain(DOMID_SELF, port_a, &port_b) != 0 ||
	    pv_evtchn_bind(port_a, on_event, NULL) != 0 ||
	    pv_evtchn_bind(port_b, on_event, NULL) != 0) {
		printf("bench: cannot set up the loopback channel\n");
		return 1;
	}
	report("pv_native_call", measure_ps(native_call, BENCH_OPS), 0, 1);
	report("pv_null_hypercall", measure_ps(op_null, BENCH_OPS), 1, 1);
	report("pv_guest_copy8", measure_ps(op_copy8, BENCH_OPS), 1, 1);
	report("pv_guest_copy1k", measure_ps(op_copy1k, BENCH_OPS), 1, 1);
	report("pv_exception_bounce", measure_ps(op_bounce, BENCH_OPS), 1, 1);
	upcalls = 0;
	report("pv_event_loopback", measure_ps(op_event, BENCH_OPS), 2, 1);
	printf("bench: %u upcalls for %u sends\n", upcalls,
	       BENCH_OPS * BENCH_REPEATS);
	report("pv_update_va_mapping", measure_ps(op_uvm, BENCH_OPS), 1, 1);
	bench_batches();
	return 0;
}
