/* SPDX-License-Identifier: MIT */
/*
 * The scheduler seen from dom0 (docs/domains.md "Scheduling"): CPU
 * shares by weight, idle CPUs stealing, and wake-ups that must never be
 * lost. The same image is dom0 and the domains it creates (from boot
 * module 0); dom0's command line picks the test:
 *
 *   share W1,W2,... [slices=N]
 *                    16 CPU-bound guests with the weights listed (cycled);
 *                    after they ran a while dom0 reads their CPU time
 *                    (getinfo) and checks each share is within 5% of
 *                    weight / sum of weights. Only accounting is compared,
 *                    never a wall-clock time. The least-weighted guest
 *                    gets N (default 60) slices' worth in the window.
 *   steal            three CPU-bound guests all queued on CPU 0 of two;
 *                    CPU 1 is idle, so it must take some (steal counter,
 *                    and the guests' CPUs and CPU time).
 *   race             1000 times each: a timer set just before a block, a
 *                    poll with a timeout, and an event from another domain
 *                    racing our block; every one must wake us. First, the
 *                    runstate area (VCPUOP_register_runstate_memory_area).
 *   runstate         (dom0 with vcpus=2) the runstate areas, virtual and
 *                    physical, seen from vCPU 0 while vCPU 1 sleeps and
 *                    after it went down (written as it leaves a CPU); the
 *                    area kept up to date while vCPU 0 runs in guest user
 *                    mode (written through the kernel's page tables);
 *                    every refusal of the physical form.
 *   churn            (with Xeno's test_move_delay_us) spinners keep the
 *                    CPUs picking and stealing while a victim domain is
 *                    created and destroyed 40 times: a destroy must wait
 *                    for a CPU that has the victim's vCPU off the lists
 *                    (Xeno asserts the vCPU is still alive after the move).
 *   softreset        children that shut down with SHUTDOWN_soft_reset
 *                    (sched_op and sched_op_compat): dom0 gets
 *                    VIRQ_DOM_EXC, reads the reason with getinfo, finds
 *                    them kept with their memory, and destroys them.
 *                    "softreset leave": the last one is left behind as
 *                    dom0 exits (Xeno must then destroy it itself).
 *
 * A child's command line: "spin" (loop on the CPU), "ping PORT N" (bind
 * dom0's PORT, then N times: send, block until dom0 answers),
 * "softreset" / "softreset_compat" (shut down with SHUTDOWN_soft_reset).
 */
#include <libpv.h>
#include <libpv/user.h>

#define MS	   (1000ULL * 1000)
#define SELF	   0
#define CHILD_MEM  (4ULL << 20)
#define NR_SHARE   16
#define TOLERANCE  5  /* percent */
#define MIN_SLICES 60 /* the least-weighted guest runs this many */
#define SLICE_NS   (10 * MS)
#define WAIT_NS	   (60000 * MS) /* liveness bound of every wait */
/*
 * How long (system time) the share test waits for its CPU time, settling
 * and measuring together: on a busy host an emulated CPU may get a tenth
 * of its time charged (the rest is the host's, docs/domains.md
 * "Accounting"). The share cases allow 400 s in all, so the test fails
 * with its own message before that.
 */
#define SHARE_WAIT_NS	  (300000 * MS)
#define SHARE_PROGRESS_NS (20000 * MS) /* a progress line this often */
#define RACE_ROUNDS	  1000

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- small helpers ---------------------------------------------------------- */

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

static struct xeno_domctl_sysinfo sysinfo(void)
{
	struct xeno_domctl_sysinfo s;

	memset(&s, 0, sizeof(s));
	PV_CHECK_OK(pv_domctl_sysinfo(&s));
	return s;
}

static domid_t spawn(const char *name, const char *cmd,
		     const struct pv_domctl_opts *o)
{
	domid_t id = 0;

	PV_CHECK_OK(pv_domctl_create(name, SELF, CHILD_MEM, cmd, o, &id));
	return id;
}

/* ---- share ---------------------------------------------------------------------- */

static uint64_t cpu_times(const domid_t *ids, uint64_t *t, unsigned int n)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		t[i] = pv_domctl_cpu_time(ids[i]);
		sum += t[i];
	}
	return sum;
}

/*
 * Waits until the guests IDS were charged NEED ns of CPU time since the
 * sum BASE, or until UNTIL (system time); a progress line every
 * SHARE_PROGRESS_NS counts what was charged and what was not (since the
 * sysinfo FROM). Returns the sum of their times, left in T.
 */
static uint64_t share_wait(const domid_t *ids, uint64_t *t, uint64_t base,
			   uint64_t need,
			   const struct xeno_domctl_sysinfo *from,
			   uint64_t until)
{
	uint64_t sum, next = pv_now_ns() + SHARE_PROGRESS_NS;
	struct xeno_domctl_sysinfo s;

	do {
		pv_sleep_ns(50 * MS);
		sum = cpu_times(ids, t, NR_SHARE);
		if (pv_now_ns() >= next) {
			s = sysinfo();
			printf("share: %lu of %lu ms charged, %lu ms not "
			       "charged\n",
			       (unsigned long)((sum - base) / MS),
			       (unsigned long)(need / MS),
			       (unsigned long)((s.stalled_ns -
						from->stalled_ns) /
					       MS));
			next += SHARE_PROGRESS_NS;
		}
	} while (sum - base < need && pv_now_ns() < until);
	return sum;
}

/*
 * Runs NR_SHARE spinners with the weights (cycled) and checks their
 * shares of the CPU time they got between two readings of the
 * accounting: long enough for the least-weighted one to get MIN_SLICES
 * slices by its share, whatever the number of CPUs.
 */
static void test_share(const unsigned int *w, unsigned int nw,
		       unsigned int min_slices)
{
	struct pv_domctl_opts o = { .flags = XENO_DOMCTL_CREATE_PAUSED };
	domid_t ids[NR_SHARE];
	uint64_t t0[NR_SHARE], t1[NR_SHARE], sum0, sum1, need, wsum = 0;
	struct xeno_domctl_sysinfo s0, s1;
	unsigned int i, wmin = ~0u, worst = 0;
	uint64_t until;
	char name[16];

	pv_test_begin("sched.share");
	for (i = 0; i < NR_SHARE; i++) {
		o.weight = w[i % nw];
		wsum += o.weight;
		wmin = o.weight < wmin ? o.weight : wmin;
		snprintf(name, sizeof(name), "s%u", i);
		ids[i] = spawn(name, "spin", &o);
	}
	for (i = 0; i < NR_SHARE; i++) {
		PV_CHECK_OK(pv_domctl_unpause(ids[i]));
	}
	/*
	 * Let them settle first (they were unpaused one after the other):
	 * a third of the measured window's CPU time.
	 */
	need = min_slices * SLICE_NS * wsum / wmin;
	until = pv_now_ns() + SHARE_WAIT_NS;
	s0 = sysinfo();
	sum0 = share_wait(ids, t0, 0, need / 3, &s0, until);
	s0 = sysinfo();
	sum0 = cpu_times(ids, t0, NR_SHARE);
	sum1 = share_wait(ids, t1, sum0, need, &s0, until);
	s1 = sysinfo();
	/*
	 * Time a CPU was held up by its host (the emulator's thread not
	 * running) is not charged to the vCPU on it (docs/domains.md), so
	 * the accounting stays exact even on a busy host.
	 */
	printf("share: window had %lu late interrupts, %lu ms not charged, "
	       "%u late slices\n",
	       (unsigned long)(s1.stalls - s0.stalls),
	       (unsigned long)((s1.stalled_ns - s0.stalled_ns) / MS),
	       s1.late_slices - s0.late_slices);
	PV_CHECK(sum1 - sum0 >= need,
		 "only %lu of %lu ms charged in %lu s: the host held the "
		 "CPUs up too long",
		 (unsigned long)((sum1 - sum0) / MS),
		 (unsigned long)(need / MS),
		 (unsigned long)(SHARE_WAIT_NS / MS / 1000));
	for (i = 0; i < NR_SHARE; i++) {
		uint64_t got = t1[i] - t0[i];
		uint64_t want = (sum1 - sum0) * w[i % nw] / wsum;
		uint64_t dev = got > want ? got - want : want - got;
		unsigned int permille = (unsigned int)(dev * 1000 / want);

		struct xeno_domctl_getinfo info;
		struct xeno_domctl_vcpuinfo v;
		long rc = pv_domctl_getinfo(ids[i], &info, &v, 1);

		printf("share: d%u weight %u got %lu ms, ideal %lu ms, off "
		       "%u.%u%% (rc %ld state %u cpu %u runnable %lu ms)\n",
		       ids[i], w[i % nw], (unsigned long)(got / MS),
		       (unsigned long)(want / MS), permille / 10, permille % 10,
		       rc, v.state, v.cpu,
		       (unsigned long)(v.runstate_time[1] / MS));
		worst = permille > worst ? permille : worst;
		PV_CHECK(dev * 100 <= want * TOLERANCE,
			 "d%u (weight %u) got %lu ns, ideal %lu ns", ids[i],
			 w[i % nw], (unsigned long)got, (unsigned long)want);
	}
	printf("share: %u guests, %lu ms of CPU measured, worst %u.%u%% "
	       "off\n",
	       NR_SHARE, (unsigned long)((sum1 - sum0) / MS), worst / 10,
	       worst % 10);
	for (i = 0; i < NR_SHARE; i++) {
		PV_CHECK_OK(pv_domctl_destroy(ids[i]));
	}
	PV_CHECK_EQ(sysinfo().nr_domains, 1);
	pv_test_end();
}

static void run_share(const char *args)
{
	unsigned int w[NR_SHARE], n = 0, slices = MIN_SLICES;

	while (*args != '\0' && n < NR_SHARE) {
		w[n] = parse_uint(&args);
		if (w[n] == 0) {
			break;
		}
		n++;
		if (*args == ',') {
			args++;
		}
	}
	if (n == 0) {
		pv_crash("share: no weights in '%s'", args);
	}
	if (strncmp(args, " slices=", 8) == 0) {
		args += 8;
		slices = parse_uint(&args);
	}
	test_share(w, n, slices);
}

/* ---- steal ------------------------------------------------------------------------ */

/*
 * Three spinners all start on CPU 0's queue, dom0 sleeps: CPU 1 has
 * nothing of its own and must take vCPUs from CPU 0. Over the window the
 * three then get more CPU time than one CPU could give.
 */
static void run_steal(void)
{
	struct pv_domctl_opts o = { .cpu = 1, /* CPU 0 */
				    .flags = XENO_DOMCTL_CREATE_PAUSED };
	struct xeno_domctl_getinfo info;
	struct xeno_domctl_vcpuinfo v;
	struct xeno_domctl_sysinfo s0, s1;
	domid_t ids[3];
	uint64_t t0[3], t1[3], sum0, sum1, w0, w1, given;
	struct xeno_domctl_sysinfo sa;
	unsigned int i, on_cpu1 = 0;

	pv_test_begin("sched.steal");
	PV_CHECK_EQ(sysinfo().nr_cpus, 2);
	for (i = 0; i < N_OF(ids); i++) {
		ids[i] = spawn("stolen", "spin", &o);
		PV_CHECK_OK(pv_domctl_getinfo(ids[i], &info, &v, 1));
		PV_CHECK_EQ(v.cpu, 0);
	}
	s0 = sysinfo();
	for (i = 0; i < N_OF(ids); i++) {
		PV_CHECK_OK(pv_domctl_unpause(ids[i]));
	}
	pv_sleep_ns(5 * SLICE_NS);
	sum0 = cpu_times(ids, t0, 3);
	w0 = pv_now_ns();
	sa = sysinfo();
	pv_sleep_ns(40 * SLICE_NS);
	sum1 = cpu_times(ids, t1, 3);
	w1 = pv_now_ns();
	s1 = sysinfo();
	/*
	 * The time the CPUs were given to them: what they were charged,
	 * and what their CPUs were held up by the host meanwhile (not
	 * charged, docs/domains.md "Accounting"; we sleep, so it was
	 * theirs).
	 */
	given = sum1 - sum0 + (s1.stalled_ns - sa.stalled_ns);
	for (i = 0; i < N_OF(ids); i++) {
		PV_CHECK_OK(pv_domctl_getinfo(ids[i], &info, &v, 1));
		on_cpu1 += v.cpu == 1;
		PV_CHECK_GT(t1[i], t0[i]);
	}
	printf("steal: %lu steals, %u of 3 on CPU 1, %lu ms of CPU (and "
	       "%lu ms held up) in %lu ms\n",
	       (unsigned long)(s1.steals - s0.steals), on_cpu1,
	       (unsigned long)((sum1 - sum0) / MS),
	       (unsigned long)((s1.stalled_ns - sa.stalled_ns) / MS),
	       (unsigned long)((w1 - w0) / MS));
	PV_CHECK_GT(s1.steals, s0.steals);
	PV_CHECK_GE(on_cpu1, 1);
	/* Two CPUs ran them: far more than one CPU's worth of time. */
	PV_CHECK_GT(given * 10, (w1 - w0) * 15);
	for (i = 0; i < N_OF(ids); i++) {
		PV_CHECK_OK(pv_domctl_destroy(ids[i]));
	}
	pv_test_end();
}

/* ---- race ---------------------------------------------------------------------------- */

/*
 * The guest extrapolates system time from the last published sample, so
 * its clock may read a little behind the hypervisor's, which fires the
 * timer; a wake-up this much before the deadline by our clock is on
 * time.
 */
#define CLOCK_SKEW_NS 10000

/* A timer set just before blocking, with deadlines from 0 to 63 us. */
static void race_timer_block(void)
{
	uint64_t before = pv_timer_events(), skew = 0;
	unsigned int i, early = 0;

	pv_test_begin("sched.race_timer_block");
	PV_CHECK_NE(pv_timer_port(), 0);
	/* Only our one-shot timer may raise VIRQ_TIMER while we count. */
	PV_CHECK_OK(HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL));
	before = pv_timer_events();
	for (i = 0; i < RACE_ROUNDS; i++) {
		uint64_t deadline = pv_now_ns() + (i % 64) * 1000;
		uint64_t seen = pv_timer_events(), now;

		pv_irq_disable();
		HYPERVISOR_set_timer_op(deadline);
		HYPERVISOR_sched_op(SCHEDOP_block, NULL); /* unmasks */
		/* The upcall ran as block returned: the timer fired. */
		early += pv_timer_events() == seen;
		while (pv_timer_events() == seen) {
			pv_irq_disable();
			HYPERVISOR_sched_op(SCHEDOP_block, NULL);
		}
		now = pv_now_ns();
		if (now < deadline && deadline - now > skew) {
			skew = deadline - now;
		}
	}
	pv_irq_enable();
	PV_CHECK_EQ(pv_timer_events() - before, RACE_ROUNDS);
	PV_CHECK_LE(skew, CLOCK_SKEW_NS);
	printf("race: %u timer blocks, %u woken by something else first, "
	       "clock %lu ns behind at worst\n",
	       RACE_ROUNDS, early, (unsigned long)skew);
	pv_test_end();
}

/* SCHEDOP_poll with a timeout and no port: returns after the timeout. */
static void race_poll_timeout(void)
{
	struct sched_poll p;
	unsigned int i;

	pv_test_begin("sched.race_poll_timeout");
	memset(&p, 0, sizeof(p));
	pv_irq_disable();
	for (i = 0; i < RACE_ROUNDS; i++) {
		p.timeout = pv_now_ns() + (i % 32) * 1000;
		PV_CHECK_OK(HYPERVISOR_sched_op(SCHEDOP_poll, &p));
		PV_CHECK_GE(pv_now_ns() + CLOCK_SKEW_NS, p.timeout);
	}
	pv_irq_enable();
	pv_test_end();
}

static volatile unsigned int pongs, pings;
static evtchn_port_t peer_port;

PV_HANDLER static void on_ping(evtchn_port_t port, struct pv_regs *regs,
			       void *arg)
{
	pings++;
	(void)port;
	(void)regs;
	(void)arg;
}

/*
 * Another domain (on another CPU when there is one) sends an event
 * while we are on our way to block: RACE_ROUNDS round trips, each one
 * blocking until the event came. A lost wake-up would hang us (and the
 * case times out).
 */
static void race_event_block(void)
{
	char cmd[48];
	domid_t id;
	unsigned int i;

	pv_test_begin("sched.race_event_block");
	PV_CHECK_OK(pv_evtchn_alloc_unbound(1, &peer_port));
	PV_CHECK_OK(pv_evtchn_bind(peer_port, on_ping, NULL));
	snprintf(cmd, sizeof(cmd), "ping %u %u", peer_port, RACE_ROUNDS);
	id = spawn("pinger", cmd, NULL);
	PV_CHECK_EQ(id, 1);
	for (i = 1; i <= RACE_ROUNDS; i++) {
		pv_irq_disable();
		while (pings < i) {
			HYPERVISOR_sched_op(SCHEDOP_block, NULL);
			pv_irq_disable();
		}
		pv_irq_enable();
		pv_evtchn_send(peer_port);
	}
	PV_CHECK_EQ(pings, RACE_ROUNDS);
	PV_CHECK_OK(pv_domctl_wait_gone(id, WAIT_NS));
	pv_test_end();
}

PV_HANDLER static void on_pong(evtchn_port_t port, struct pv_regs *regs,
			       void *arg)
{
	pongs++;
	(void)port;
	(void)regs;
	(void)arg;
}

/* The child of race_event_block (and of bench_dom's ping-pong). */
static int child_ping(const char *args)
{
	unsigned int port = parse_uint(&args), n = parse_uint(&args), i;
	evtchn_port_t local;

	if (pv_evtchn_bind_interdomain(0, port, &local) != 0 ||
	    pv_evtchn_bind(local, on_pong, NULL) != 0) {
		printf("ping: cannot bind dom0's port %u\n", port);
		return 1;
	}
	pongs = 0;
	for (i = 1; i <= n; i++) {
		pv_evtchn_send(local);
		pv_irq_disable();
		while (pongs < i) {
			HYPERVISOR_sched_op(SCHEDOP_block, NULL);
			pv_irq_disable();
		}
		pv_irq_enable();
	}
	return 0;
}

static struct vcpu_runstate_info runstate_area;

/*
 * VCPUOP_register_runstate_memory_area: Xeno rewrites the area whenever
 * we go onto a CPU, so while we read it we are running, and the times
 * have grown across a sleep (blocked) in between.
 */
static void test_runstate_area(void)
{
	volatile struct vcpu_runstate_info *r = &runstate_area;
	uint64_t addr = (uint64_t)(uintptr_t)&runstate_area, bad;
	uint64_t entry0, running0, blocked0, until;

	pv_test_begin("sched.runstate_area");
	bad = 0xffff800000000000ULL;
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
				       &bad),
		    -EFAULT);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
				       (void *)8),
		    -EFAULT);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 7,
				       &addr),
		    -ENOENT);
	PV_CHECK_OK(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
				       &addr));
	PV_CHECK_EQ(r->state, RUNSTATE_running);
	PV_CHECK_GT(r->time[RUNSTATE_running], 0);
	PV_CHECK_LE(r->state_entry_time, pv_now_ns());
	entry0 = r->state_entry_time;
	running0 = r->time[RUNSTATE_running];
	blocked0 = r->time[RUNSTATE_blocked];
	/*
	 * Sleep until we have been blocked a while: on a busy host a 5 ms
	 * sleep may be over before we ever get to block.
	 */
	until = pv_now_ns() + WAIT_NS;
	do {
		pv_sleep_ns(5 * MS);
	} while (r->time[RUNSTATE_blocked] < blocked0 + 1 * MS &&
		 pv_now_ns() < until);
	PV_CHECK_EQ(r->state, RUNSTATE_running);
	PV_CHECK_GT(r->state_entry_time, entry0);
	PV_CHECK_GE(r->time[RUNSTATE_blocked], blocked0 + 1 * MS);
	PV_CHECK_GE(r->time[RUNSTATE_running], running0);
	/* Address 0 stops the updates. */
	addr = 0;
	PV_CHECK_OK(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
				       &addr));
	entry0 = r->state_entry_time;
	pv_sleep_ns(2 * MS);
	PV_CHECK_EQ(r->state_entry_time, entry0);
	pv_test_end();
}

static void run_race(void)
{
	test_runstate_area();
	race_timer_block();
	race_poll_timeout();
	race_event_block();
}

/* ---- runstate ------------------------------------------------------------------ */

#define RS_OFFSET 64 /* where in rs_page the physical area lies */

static struct vcpu_runstate_info rs1_va, rs0_va;
static uint8_t rs_page[4096] __attribute__((aligned(4096)));
static uint8_t stack1[16384] __attribute__((aligned(16)));
static volatile long rs1_rc_va = 1, rs1_rc_phys = 1;
static volatile unsigned int rs1_ready, rs1_woke;
static volatile uint64_t rs1_sleep_until;

static volatile struct vcpu_runstate_info *rs1_phys(void)
{
	return (volatile struct vcpu_runstate_info *)(rs_page + RS_OFFSET);
}

/* vCPU 1: registers both areas, sleeps in SCHEDOP_poll, goes down. */
static void rs_vcpu1(void *arg)
{
	uint64_t va = (uint64_t)(uintptr_t)&rs1_va;
	uint64_t pa = pv_va_to_mfn(rs_page) << 12 | RS_OFFSET;
	struct sched_poll p;

	(void)arg;
	rs1_rc_va = HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 1,
				       &va);
	rs1_rc_phys =
		HYPERVISOR_vcpu_op(VCPUOP_register_runstate_phys_area, 1, &pa);
	memset(&p, 0, sizeof(p));
	p.timeout = rs1_sleep_until;
	rs1_ready = 1;
	while (pv_now_ns() < p.timeout) {
		(void)HYPERVISOR_sched_op(SCHEDOP_poll, &p);
	}
	rs1_woke = 1;
}

static bool wait_flag(volatile unsigned int *flag)
{
	uint64_t until = pv_now_ns() + WAIT_NS;

	while (!*flag && pv_now_ns() < until) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	return *flag != 0;
}

/*
 * While vCPU 1 sleeps, both its areas say blocked since it went to
 * sleep: only the update as it left its CPU can have written that.
 * Once it is down they say offline.
 */
static void test_runstate_off_cpu(void)
{
	volatile struct vcpu_runstate_info *va = &rs1_va, *pa = rs1_phys();
	uint64_t t_start, until;

	pv_test_begin("sched.runstate_off_cpu");
	PV_CHECK_OK(HYPERVISOR_vm_assist(VMASST_CMD_enable,
					 VMASST_TYPE_runstate_update_flag));
	t_start = pv_now_ns();
	rs1_sleep_until = t_start + 300 * MS;
	PV_CHECK_OK(pv_vcpu_start(1, rs_vcpu1, NULL, stack1, sizeof(stack1)));
	PV_CHECK(wait_flag(&rs1_ready), "vCPU 1 never ran");
	PV_CHECK_OK(rs1_rc_va);
	PV_CHECK_OK(rs1_rc_phys);
	pv_sleep_ns(100 * MS);
	if (!rs1_woke) {
		PV_CHECK_EQ(va->state, RUNSTATE_blocked);
		PV_CHECK_EQ(pa->state, RUNSTATE_blocked);
		PV_CHECK_GT(va->state_entry_time, t_start);
		PV_CHECK_LE(va->state_entry_time, pv_now_ns() + CLOCK_SKEW_NS);
		PV_CHECK_EQ(va->state_entry_time & XEN_RUNSTATE_UPDATE, 0);
		PV_CHECK_EQ(pa->state_entry_time, va->state_entry_time);
		/* It ran (or was held up by the host, runnable: stolen). */
		PV_CHECK_GT(va->time[RUNSTATE_running] +
				    va->time[RUNSTATE_runnable],
			    0);
	} else {
		printf("runstate: vCPU 1 woke before we looked (host "
		       "stall); blocked state not checked\n");
	}
	PV_CHECK(wait_flag(&rs1_woke), "vCPU 1 never woke");
	until = pv_now_ns() + WAIT_NS;
	while (pv_vcpu_is_up(1) != 0 && pv_now_ns() < until) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	PV_CHECK_EQ(pv_vcpu_is_up(1), 0);
	pv_sleep_ns(5 * MS);
	PV_CHECK_EQ(va->state, RUNSTATE_offline);
	PV_CHECK_EQ(pa->state, RUNSTATE_offline);
	PV_CHECK_GE(va->time[RUNSTATE_blocked], 100 * MS);
	PV_CHECK_EQ(pa->time[RUNSTATE_blocked], va->time[RUNSTATE_blocked]);
	pv_test_end();
}

/* Spins in user mode until the TSC passes deadline. */
PV_USER static long u_wait(uint64_t deadline)
{
	uint32_t lo, hi;

	do {
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	} while (((uint64_t)hi << 32 | lo) < deadline);
	return 0;
}

/*
 * vCPU 0 spins in guest user mode, where the kernel's data (our area)
 * is not mapped, while spinners take turns with it on every CPU: the
 * area is still rewritten each time it goes back onto a CPU.
 */
static void test_runstate_user_mode(void)
{
	volatile struct vcpu_runstate_info *r = &rs0_va;
	uint64_t addr = (uint64_t)(uintptr_t)&rs0_va, t_user, t_back, until;
	uint64_t runnable0;
	unsigned int i, n = sysinfo().nr_cpus;
	domid_t ids[8];

	pv_test_begin("sched.runstate_user_mode");
	PV_CHECK_OK(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
				       &addr));
	if (!PV_CHECK_OK(pv_user_init())) {
		pv_test_end();
		return;
	}
	n = n < N_OF(ids) ? n : N_OF(ids);
	for (i = 0; i < n; i++) {
		ids[i] = spawn("rspin", "spin", NULL);
	}
	pv_sleep_ns(20 * MS);
	runnable0 = r->time[RUNSTATE_runnable];
	/*
	 * 50 ms at a time in user mode until the spinners took the CPU from
	 * us meanwhile (on a busy host, held-up time is not charged, so we
	 * may keep the CPU longer).
	 */
	until = pv_now_ns() + WAIT_NS;
	do {
		t_user = pv_now_ns();
		PV_CHECK_EQ(pv_user_run(u_wait, pv_rdtsc() + pv_tsc_hz() / 20,
					pv_user_page(4)),
			    0);
		t_back = pv_now_ns();
	} while (r->state_entry_time <= t_user && t_back < until);
	/* Rewritten while in user mode: as it came back onto a CPU. */
	PV_CHECK_GT(r->state_entry_time, t_user);
	PV_CHECK_LE(r->state_entry_time, t_back);
	PV_CHECK_EQ(r->state, RUNSTATE_running);
	PV_CHECK_GT(r->time[RUNSTATE_runnable], runnable0);
	PV_CHECK_EQ(r->state_entry_time & XEN_RUNSTATE_UPDATE, 0);
	for (i = 0; i < n; i++) {
		PV_CHECK_OK(pv_domctl_destroy(ids[i]));
	}
	pv_test_end();
}

/* Every refusal of VCPUOP_register_runstate_phys_area, exact errors. */
static void test_runstate_phys_refusals(void)
{
	uint64_t mfn = pv_va_to_mfn(rs_page), a;

	pv_test_begin("sched.runstate_phys_refusals");
#define PHYS_RC(addr) \
	(a = (addr),  \
	 HYPERVISOR_vcpu_op(VCPUOP_register_runstate_phys_area, 0, &a))
	PV_CHECK_EQ(PHYS_RC(mfn << 12 | (4096 - 40)), -EINVAL); /* crosses */
	PV_CHECK_EQ(PHYS_RC(mfn << 12 | 4), -EINVAL);		/* unaligned */
	PV_CHECK_EQ(PHYS_RC(1ULL << 51), -EINVAL); /* no such frame */
	PV_CHECK_EQ(PHYS_RC(0), -EINVAL);	   /* not ours */
	PV_CHECK_EQ(PHYS_RC(start_info->shared_info), -EINVAL);
	PV_CHECK_EQ(PHYS_RC(pv_current_l4_mfn() << 12), -EINVAL);
	PV_CHECK_EQ(
		HYPERVISOR_vcpu_op(VCPUOP_register_runstate_phys_area, 0, NULL),
		-EFAULT);
	a = mfn << 12;
	PV_CHECK_EQ(
		HYPERVISOR_vcpu_op(VCPUOP_register_runstate_phys_area, 7, &a),
		-ENOENT);
	/* Registered, written at once, then given up again. */
	PV_CHECK_OK(PHYS_RC(mfn << 12 | 256));
	PV_CHECK_EQ(
		((volatile struct vcpu_runstate_info *)(rs_page + 256))->state,
		RUNSTATE_running);
	PV_CHECK_OK(PHYS_RC(~0ULL));
#undef PHYS_RC
	pv_test_end();
}

/* ---- time areas ------------------------------------------------------------------ */

static uint8_t time_page[4096] __attribute__((aligned(4096)));
static struct vcpu_time_info time_copy __attribute__((aligned(64)));

/* The general and type counts of the frame under p. */
static uint64_t frame_counts(const void *p)
{
	struct xeno_mm_frame_info fi = { .mfn = pv_va_to_mfn(p) };

	if (HYPERVISOR_xeno_mm_op(XENO_MM_frame_info, &fi) != 0) {
		return ~0ULL;
	}
	return (uint64_t)fi.count << 32 | fi.type_count;
}

/* A copy read under the version protocol; its version, 0 if never even. */
static uint32_t time_read(const volatile struct vcpu_time_info *t,
			  struct vcpu_time_info *out)
{
	uint32_t v0, v1;
	unsigned int i;

	for (i = 0; i < 1000; i++) {
		v0 = t->version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		out->version = v0;
		out->tsc_timestamp = t->tsc_timestamp;
		out->system_time = t->system_time;
		out->tsc_to_system_mul = t->tsc_to_system_mul;
		out->tsc_shift = t->tsc_shift;
		out->flags = t->flags;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		v1 = t->version;
		if (v0 == v1 && (v0 & 1) == 0) {
			return v0;
		}
	}
	return 0;
}

/*
 * Sleeps until we have really been off the CPU (our blocked time grew):
 * on a busy host a short sleep may be over before we ever get to block.
 */
static void sleep_off_cpu(void)
{
	struct vcpu_runstate_info r;
	uint64_t blocked0, until = pv_now_ns() + WAIT_NS;

	PV_CHECK_OK(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r));
	blocked0 = r.time[RUNSTATE_blocked];
	do {
		pv_sleep_ns(2 * MS);
		PV_CHECK_OK(
			HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r));
	} while (r.time[RUNSTATE_blocked] == blocked0 && pv_now_ns() < until);
	PV_CHECK_GT(r.time[RUNSTATE_blocked], blocked0);
}

/* A copy agrees with the vcpu_info's own: same scale, time not behind. */
static void check_copy(const volatile struct vcpu_time_info *t)
{
	struct vcpu_time_info c, own;

	PV_CHECK_NE(time_read(t, &c), 0);
	PV_CHECK_NE(time_read(&pv_vcpu_info()->time, &own), 0);
	PV_CHECK_EQ(c.tsc_to_system_mul, own.tsc_to_system_mul);
	PV_CHECK_EQ(c.tsc_shift, own.tsc_shift);
	PV_CHECK_GT(c.system_time, 0);
	PV_CHECK_LE(c.system_time, pv_now_ns());
	PV_CHECK_EQ(c.flags & XEN_PVCLOCK_TSC_STABLE_BIT,
		    XEN_PVCLOCK_TSC_STABLE_BIT);
}

/*
 * VCPUOP_register_vcpu_time_memory_area and _phys_area: both copies are
 * written at once and again whenever we come back onto a CPU; every
 * refusal with its exact error.
 */
static void test_time_areas(void)
{
	volatile struct vcpu_time_info *phys =
		(volatile struct vcpu_time_info *)(time_page + 512);
	uint64_t mfn = pv_va_to_mfn(time_page), a;
	struct vcpu_time_info c;
	uint64_t sys_v, counts0 = frame_counts(time_page);
	uint32_t ver_v, ver_p;

	pv_test_begin("sched.time_areas");
#define TIME_RC(op, addr) (a = (addr), HYPERVISOR_vcpu_op(op, 0, &a))
	/* Refusals. */
	PV_CHECK_EQ(TIME_RC(VCPUOP_register_vcpu_time_memory_area,
			    0xffff800000000000ULL),
		    -EFAULT);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_time_memory_area, 0,
				       (void *)8),
		    -EFAULT);
	a = (uint64_t)(uintptr_t)&time_copy;
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_time_memory_area, 7,
				       &a),
		    -ENOENT);
	PV_CHECK_EQ(TIME_RC(VCPUOP_register_vcpu_time_phys_area,
			    mfn << 12 | (4096 - 16)),
		    -EINVAL); /* crosses the frame */
	PV_CHECK_EQ(TIME_RC(VCPUOP_register_vcpu_time_phys_area, mfn << 12 | 4),
		    -EINVAL); /* unaligned */
	PV_CHECK_EQ(TIME_RC(VCPUOP_register_vcpu_time_phys_area, 0),
		    -EINVAL); /* not ours */
	PV_CHECK_EQ(TIME_RC(VCPUOP_register_vcpu_time_phys_area,
			    start_info->shared_info),
		    -EINVAL);
	PV_CHECK_EQ(TIME_RC(VCPUOP_register_vcpu_time_phys_area,
			    pv_current_l4_mfn() << 12),
		    -EINVAL); /* a page table */
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_time_phys_area, 0,
				       NULL),
		    -EFAULT);
	/* Both registered: written at once. */
	PV_CHECK_OK(TIME_RC(VCPUOP_register_vcpu_time_memory_area,
			    (uint64_t)(uintptr_t)&time_copy));
	PV_CHECK_OK(
		TIME_RC(VCPUOP_register_vcpu_time_phys_area, mfn << 12 | 512));
	check_copy(&time_copy);
	check_copy(phys);
	/* The physical area holds one general and one type reference. */
	PV_CHECK_EQ(frame_counts(time_page), counts0 + (1ULL << 32) + 1);
	ver_v = time_read(&time_copy, &c);
	sys_v = c.system_time;
	ver_p = time_read(phys, &c);
	/* Off the CPU and back: both rewritten, later. */
	sleep_off_cpu();
	check_copy(&time_copy);
	check_copy(phys);
	PV_CHECK_GT(time_read(&time_copy, &c), ver_v);
	PV_CHECK_GT(c.system_time, sys_v);
	PV_CHECK_GT(time_read(phys, &c), ver_p);
	/* Given up: no longer written. */
	PV_CHECK_OK(TIME_RC(VCPUOP_register_vcpu_time_memory_area, 0));
	PV_CHECK_OK(TIME_RC(VCPUOP_register_vcpu_time_phys_area, ~0ULL));
	ver_v = time_read(&time_copy, &c);
	ver_p = time_read(phys, &c);
	sleep_off_cpu();
	PV_CHECK_EQ(time_copy.version, ver_v);
	PV_CHECK_EQ(phys->version, ver_p);
	/* And its references are gone. */
	PV_CHECK_EQ(frame_counts(time_page), counts0);
#undef TIME_RC
	pv_test_end();
}

static void run_runstate(void)
{
	test_time_areas();
	test_runstate_phys_refusals();
	test_runstate_off_cpu();
	test_runstate_user_mode();
}

/* ---- churn ----------------------------------------------------------------------- */

#define CHURN_SPINNERS 6
#define CHURN_ROUNDS   40

static void run_churn(void)
{
	domid_t spin[CHURN_SPINNERS], victim;
	struct xeno_domctl_sysinfo s0 = sysinfo(), s1;
	unsigned int i;

	pv_test_begin("sched.churn");
	for (i = 0; i < CHURN_SPINNERS; i++) {
		spin[i] = spawn("churn", "spin", NULL);
	}
	for (i = 0; i < CHURN_ROUNDS; i++) {
		victim = spawn("victim", "spin", NULL);
		pv_sleep_ns(3 * SLICE_NS);
		PV_CHECK_OK(pv_domctl_destroy(victim));
	}
	s1 = sysinfo();
	printf("churn: %u victims destroyed, %lu steals, %lu switches\n",
	       CHURN_ROUNDS, (unsigned long)(s1.steals - s0.steals),
	       (unsigned long)(s1.switches - s0.switches));
	PV_CHECK_GT(s1.steals, s0.steals);
	PV_CHECK_EQ(s1.nr_domains, 1 + CHURN_SPINNERS);
	for (i = 0; i < CHURN_SPINNERS; i++) {
		PV_CHECK_OK(pv_domctl_destroy(spin[i]));
	}
	pv_test_end();
}

/* ---- soft reset ---------------------------------------------------------------- */

static volatile unsigned int dom_exc_events;

PV_HANDLER static void on_dom_exc(evtchn_port_t port, struct pv_regs *regs,
				  void *arg)
{
	dom_exc_events++;
	(void)port;
	(void)regs;
	(void)arg;
}

/* The child: the shutdown must not return. */
static int child_soft_reset(bool compat)
{
	struct sched_shutdown r = { .reason = SHUTDOWN_soft_reset };
	long rc = compat ? HYPERVISOR_sched_op_compat(SCHEDOP_shutdown,
						      SHUTDOWN_soft_reset)
			 : HYPERVISOR_sched_op(SCHEDOP_shutdown, &r);

	printf("softreset: shutdown returned %ld\n", rc);
	return 1;
}

static void check_soft_reset(const char *cmd, bool leave)
{
	struct xeno_domctl_getinfo info;
	struct xeno_domctl_vcpuinfo v;
	unsigned int seen = dom_exc_events;
	uint64_t until, pages;
	domid_t id = spawn("softrst", cmd, NULL);

	until = pv_now_ns() + WAIT_NS;
	do {
		pv_sleep_ns(5 * MS);
		PV_CHECK_OK(pv_domctl_getinfo(id, &info, &v, 1));
	} while (info.state != XENO_DOMSTATE_shutdown && pv_now_ns() < until);
	PV_CHECK_EQ(info.state, XENO_DOMSTATE_shutdown);
	PV_CHECK_EQ(info.shutdown_reason, SHUTDOWN_soft_reset);
	while (dom_exc_events == seen && pv_now_ns() < until) {
		pv_sleep_ns(MS);
	}
	PV_CHECK_GT(dom_exc_events, seen);
	pages = info.tot_pages;
	PV_CHECK_GT(pages, 0);
	/* Kept, memory and all, until we act. */
	pv_sleep_ns(50 * MS);
	PV_CHECK_OK(pv_domctl_getinfo(id, &info, &v, 1));
	PV_CHECK_EQ(info.state, XENO_DOMSTATE_shutdown);
	PV_CHECK_EQ(info.shutdown_reason, SHUTDOWN_soft_reset);
	PV_CHECK_EQ(info.tot_pages, pages);
	PV_CHECK_EQ(v.state, RUNSTATE_offline);
	if (leave) {
		return;
	}
	PV_CHECK_OK(pv_domctl_destroy(id));
	PV_CHECK_EQ(pv_domctl_getinfo(id, &info, &v, 1), -ESRCH);
}

static void run_soft_reset(bool leave)
{
	evtchn_port_t port;

	pv_test_begin("sched.soft_reset");
	if (PV_CHECK_OK(pv_evtchn_bind_virq(VIRQ_DOM_EXC, 0, &port)) &&
	    PV_CHECK_OK(pv_evtchn_bind(port, on_dom_exc, NULL))) {
		check_soft_reset("softreset", false);
		check_soft_reset("softreset_compat", leave);
	}
	PV_CHECK_EQ(sysinfo().nr_domains, leave ? 2 : 1);
	pv_test_end();
}

/* ---- main ---------------------------------------------------------------------- */

int main(void)
{
	const char *cmd = start_info->cmd_line;

	if (!(start_info->flags & SIF_INITDOMAIN)) {
		if (strcmp(cmd, "spin") == 0) {
			for (;;) {
				__asm__ volatile("pause");
			}
		}
		if (strncmp(cmd, "ping ", 5) == 0) {
			return child_ping(cmd + 5);
		}
		if (strcmp(cmd, "softreset") == 0 ||
		    strcmp(cmd, "softreset_compat") == 0) {
			return child_soft_reset(cmd[9] != '\0');
		}
		printf("unknown child command '%s'\n", cmd);
		return 1;
	}
	if (strncmp(cmd, "share ", 6) == 0) {
		run_share(cmd + 6);
	} else if (strcmp(cmd, "steal") == 0) {
		run_steal();
	} else if (strcmp(cmd, "race") == 0) {
		run_race();
	} else if (strcmp(cmd, "runstate") == 0) {
		run_runstate();
	} else if (strcmp(cmd, "churn") == 0) {
		run_churn();
	} else if (strcmp(cmd, "softreset") == 0 ||
		   strcmp(cmd, "softreset leave") == 0) {
		run_soft_reset(cmd[9] != '\0');
	} else {
		printf("dom0: unknown test '%s'\n", cmd);
		return 1;
	}
	return 0;
}
