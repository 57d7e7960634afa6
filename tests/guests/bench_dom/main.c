/* SPDX-License-Identifier: MIT */
/*
 * Domain benchmarks run by dom0 (make bench; docs/testing.md): the same
 * image is dom0 and every domain it creates (boot module 0).
 *
 *   dom_create_destroy   create a 4 MiB PV guest and destroy it, one at a
 *                        time: median of BENCH_DOMS pairs (and of each half)
 *   dom_max_small        create 4 MiB guests that only block until
 *                        -ENOMEM: how many were alive at once, and the MiB
 *                        of memory each one took (free frames before and
 *                        after, over the count)
 *   evtchn_pingpong_1cpu / _2cpu
 *                        an event to a guest and its event back, both
 *                        blocking in between: ns per round trip with the
 *                        guest on dom0's CPU and on another CPU
 *
 * Children: "idle" (stop the periodic timer, block forever), "ping PORT
 * N" (bind dom0's PORT, then N times: send, block until answered).
 */
#include <libpv.h>
#include <libpv/bench.h>

#define MS	   (1000ULL * 1000)
#define SELF	   0
#define SMALL_MEM  (4ULL << 20)
#define BENCH_DOMS 100
#define MAX_DOMS   4000
#define PP_ROUNDS  2000
#define WAIT_NS	   (60000 * MS)

static domid_t doms[MAX_DOMS];

static uint64_t free_frames(void)
{
	struct xeno_domctl_sysinfo s;

	return pv_domctl_sysinfo(&s) == 0 ? s.free_frames : 0;
}

/* ---- create + destroy ------------------------------------------------------ */

static void bench_create_destroy(void)
{
	static uint64_t both[BENCH_DOMS], create[BENCH_DOMS],
		destroy[BENCH_DOMS];
	unsigned int i;

	for (i = 0; i < BENCH_DOMS; i++) {
		uint64_t t0 = pv_now_ns(), t1, t2;
		domid_t id;

		if (pv_domctl_create("bench", SELF, SMALL_MEM, "idle", NULL,
				     &id) != 0) {
			printf("bench_dom: create failed\n");
			return;
		}
		t1 = pv_now_ns();
		pv_domctl_destroy(id);
		t2 = pv_now_ns();
		create[i] = t1 - t0;
		destroy[i] = t2 - t1;
		both[i] = t2 - t0;
	}
	printf("XENO-BENCH dom_create_destroy ns_per_op=%lu create_ns=%lu "
	       "destroy_ns=%lu mem_mib=4 ops=%u\n",
	       (unsigned long)pv_bench_median(both, BENCH_DOMS),
	       (unsigned long)pv_bench_median(create, BENCH_DOMS),
	       (unsigned long)pv_bench_median(destroy, BENCH_DOMS), BENCH_DOMS);
}

/* ---- as many small domains as fit -------------------------------------------- */

static void bench_max_small(void)
{
	struct xeno_domctl_sysinfo s;
	uint64_t free0 = free_frames(), used, total;
	unsigned int n = 0, i;
	long rc = 0;

	pv_domctl_sysinfo(&s);
	total = s.total_frames;
	while (n < MAX_DOMS) {
		rc = pv_domctl_create("small", SELF, SMALL_MEM, "idle", NULL,
				      &doms[n]);
		if (rc != 0) {
			break;
		}
		n++;
	}
	used = free0 - free_frames();
	printf("bench_dom: %u domains of 4 MiB alive, then %s\n", n,
	       pv_errname(rc));
	printf("XENO-BENCH dom_max_small domains=%u kib_per_domain=%lu "
	       "machine_mib=%lu\n",
	       n, (unsigned long)(n ? used * 4 / n : 0),
	       (unsigned long)(total / 256));
	for (i = 0; i < n; i++) {
		pv_domctl_destroy(doms[i]);
	}
	if (free_frames() != free0) {
		printf("bench_dom: %lu frames not back after destroying\n",
		       (unsigned long)(free0 - free_frames()));
	}
}

/* ---- event-channel ping-pong -------------------------------------------------- */

static volatile unsigned int pings, pongs;

PV_HANDLER static void on_event(evtchn_port_t port, struct pv_regs *regs,
				void *arg)
{
	(*(volatile unsigned int *)arg)++;
	(void)port;
	(void)regs;
}

static void wait_count(volatile unsigned int *c, unsigned int n)
{
	pv_irq_disable();
	while (*c < n) {
		HYPERVISOR_sched_op(SCHEDOP_block, NULL);
		pv_irq_disable();
	}
	pv_irq_enable();
}

/* Round trips with the guest's vCPU queued first on cpu (0-based). */
static void bench_pingpong(const char *name, unsigned int cpu)
{
	struct pv_domctl_opts o = { .cpu = cpu + 1 };
	evtchn_port_t port;
	uint64_t t0, t1;
	char cmd[48];
	unsigned int i;
	domid_t id;

	if (pv_evtchn_alloc_unbound(1, &port) != 0 ||
	    pv_evtchn_bind(port, on_event, (void *)(uintptr_t)&pings) != 0) {
		printf("bench_dom: no port\n");
		return;
	}
	pings = 0;
	snprintf(cmd, sizeof(cmd), "ping %u %u", port, PP_ROUNDS + 1);
	if (pv_domctl_create("pong", SELF, SMALL_MEM, cmd, &o, &id) != 0 ||
	    id != 1) {
		printf("bench_dom: cannot create the ping guest\n");
		return;
	}
	/* One round to get going, then the timed ones. */
	wait_count(&pings, 1);
	pv_evtchn_send(port);
	t0 = pv_now_ns();
	for (i = 2; i <= PP_ROUNDS + 1; i++) {
		wait_count(&pings, i);
		pv_evtchn_send(port);
	}
	t1 = pv_now_ns();
	printf("XENO-BENCH %s ns_per_op=%lu hypercalls_per_op=4 ops=%u\n", name,
	       (unsigned long)((t1 - t0) / PP_ROUNDS), PP_ROUNDS);
	pv_domctl_wait_gone(id, WAIT_NS);
	pv_evtchn_close(port);
}

static unsigned int own_cpu(void)
{
	struct xeno_domctl_getinfo info;
	struct xeno_domctl_vcpuinfo v;

	return pv_domctl_getinfo(DOMID_SELF, &info, &v, 1) == 0 ? v.cpu : 0;
}

/* ---- children ----------------------------------------------------------------- */

static unsigned int parse_uint(const char **p)
{
	unsigned int n = 0;

	while (**p == ' ') {
		(*p)++;
	}
	while (**p >= '0' && **p <= '9') {
		n = n * 10 + (unsigned int)(**p - '0');
		(*p)++;
	}
	return n;
}

static int child_ping(const char *args)
{
	unsigned int port = parse_uint(&args), n = parse_uint(&args), i;
	evtchn_port_t local;

	if (pv_evtchn_bind_interdomain(0, port, &local) != 0 ||
	    pv_evtchn_bind(local, on_event, (void *)(uintptr_t)&pongs) != 0) {
		return 1;
	}
	pongs = 0; /* binding raised one */
	for (i = 1; i <= n; i++) {
		pv_evtchn_send(local);
		wait_count(&pongs, i);
	}
	return 0;
}

int main(void)
{
	const char *cmd = start_info->cmd_line;
	struct xeno_domctl_sysinfo s;

	if (!(start_info->flags & SIF_INITDOMAIN)) {
		if (strcmp(cmd, "idle") == 0) {
			HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
			pv_irq_disable();
			for (;;) {
				HYPERVISOR_sched_op(SCHEDOP_block, NULL);
			}
		}
		if (strncmp(cmd, "ping ", 5) == 0) {
			return child_ping(cmd + 5);
		}
		return 1;
	}
	if (pv_domctl_sysinfo(&s) != 0) {
		printf("bench_dom: not the control domain\n");
		return 1;
	}
	bench_create_destroy();
	bench_pingpong("evtchn_pingpong_1cpu", own_cpu());
	if (s.nr_cpus > 1) {
		bench_pingpong("evtchn_pingpong_2cpu", (own_cpu() + 1) % 2);
	}
	bench_max_small();
	return 0;
}
