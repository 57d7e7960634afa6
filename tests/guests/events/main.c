/* SPDX-License-Identifier: MIT */
/*
 * Event channels and time (pv-abi §4.6, §7.10-7.12, §8.9) on one domain:
 * a loopback interdomain channel (alloc_unbound + bind_interdomain with
 * DOMID_SELF), delivery with events enabled, held while the upcall mask
 * or the port mask is set and delivered when they are cleared, channel
 * status and close; then the time info, the one-shot timer with
 * VIRQ_TIMER and SCHEDOP_block.
 */
#include <libpv.h>

struct port_count {
	volatile unsigned int hits;
	volatile evtchn_port_t last_port;
	volatile bool masked_inside; /* events were masked in the handler */
};

static struct port_count count_a, count_b;

PV_HANDLER static void on_event(evtchn_port_t port, struct pv_regs *regs,
				void *arg)
{
	struct port_count *c = arg;

	c->hits++;
	c->last_port = port;
	c->masked_inside = !pv_irq_enabled();
	(void)regs;
}

static evtchn_port_t port_a, port_b;

/* Sets up the two ends; false if that failed (already reported). */
static bool test_loopback_setup(void)
{
	bool ok;

	pv_test_begin("events.loopback_setup");
	ok = PV_CHECK_OK(pv_evtchn_alloc_unbound(DOMID_SELF, &port_a));
	if (ok) {
		ok = PV_CHECK_OK(pv_evtchn_bind_interdomain(DOMID_SELF, port_a,
							    &port_b));
	}
	if (ok) {
		PV_CHECK_NE(port_a, 0);
		PV_CHECK_NE(port_b, 0);
		PV_CHECK_NE(port_a, port_b);
		PV_CHECK_OK(pv_evtchn_bind(port_a, on_event, &count_a));
		/*
		 * bind_interdomain marks the new local port pending; libpv
		 * kept it masked, so binding (which unmasks) delivers it.
		 */
		PV_CHECK_OK(pv_evtchn_bind(port_b, on_event, &count_b));
		PV_CHECK_EQ(count_b.hits, 1);
		PV_CHECK_EQ(count_a.hits, 0);
	}
	pv_test_end();
	return ok;
}

static void test_send(void)
{
	unsigned int a0 = count_a.hits, b0 = count_b.hits;

	pv_test_begin("events.send");
	PV_CHECK_OK(pv_evtchn_send(port_b));
	PV_CHECK_EQ(count_a.hits, a0 + 1);
	PV_CHECK_EQ(count_a.last_port, port_a);
	PV_CHECK(count_a.masked_inside, "events enabled inside a handler");
	PV_CHECK_OK(pv_evtchn_send(port_a));
	PV_CHECK_EQ(count_b.hits, b0 + 1);
	PV_CHECK_EQ(count_b.last_port, port_b);
	PV_CHECK(pv_irq_enabled(), "events masked after the upcall");
	PV_CHECK(!pv_evtchn_is_pending(port_a), "port a still pending");
	pv_test_end();
}

static void test_upcall_mask(void)
{
	unsigned int a0 = count_a.hits;

	pv_test_begin("events.upcall_mask");
	pv_irq_disable();
	PV_CHECK_OK(pv_evtchn_send(port_b));
	/* Pending, but held back while the upcall mask is set. */
	PV_CHECK_EQ(count_a.hits, a0);
	PV_CHECK(pv_evtchn_is_pending(port_a), "port a not pending");
	PV_CHECK_NE(pv_vcpu_info()->evtchn_upcall_pending, 0);
	/* Enabling must notice the pending upcall (§8.9 rule 4). */
	pv_irq_enable();
	PV_CHECK_EQ(count_a.hits, a0 + 1);
	pv_test_end();
}

static void test_port_mask(void)
{
	unsigned int a0 = count_a.hits;

	pv_test_begin("events.port_mask");
	pv_evtchn_mask(port_a);
	PV_CHECK_OK(pv_evtchn_send(port_b));
	PV_CHECK_EQ(count_a.hits, a0);
	PV_CHECK(pv_evtchn_is_pending(port_a), "port a not pending");
	/* EVTCHNOP_unmask re-raises a pending port. */
	PV_CHECK_OK(pv_evtchn_unmask(port_a));
	PV_CHECK_EQ(count_a.hits, a0 + 1);
	PV_CHECK(!pv_evtchn_is_masked(port_a), "port a still masked");
	pv_test_end();
}

static void test_status_close(void)
{
	struct evtchn_status st = { .dom = DOMID_SELF, .port = port_a };

	pv_test_begin("events.status_close");
	if (PV_CHECK_OK(pv_evtchn_status(&st))) {
		PV_CHECK_EQ(st.status, EVTCHNSTAT_interdomain);
		PV_CHECK_EQ(st.u.interdomain.port, port_b);
		PV_CHECK_EQ(st.vcpu, 0);
	}
	PV_CHECK_OK(pv_evtchn_close(port_b));
	/* The peer's end falls back to unbound. */
	st = (struct evtchn_status){ .dom = DOMID_SELF, .port = port_a };
	if (PV_CHECK_OK(pv_evtchn_status(&st))) {
		PV_CHECK_EQ(st.status, EVTCHNSTAT_unbound);
	}
	PV_CHECK_OK(pv_evtchn_close(port_a));
	st = (struct evtchn_status){ .dom = DOMID_SELF, .port = port_a };
	if (PV_CHECK_OK(pv_evtchn_status(&st))) {
		PV_CHECK_EQ(st.status, EVTCHNSTAT_closed);
	}
	/* Sending on a closed port is refused. */
	PV_CHECK(pv_evtchn_send(port_a) < 0, "send on a closed port worked");
	pv_test_end();
}

static void test_time(void)
{
	const struct vcpu_time_info *ti = &pv_vcpu_info()->time;
	uint64_t prev, now;
	bool monotonic = true;

	pv_test_begin("events.time_info");
	PV_CHECK_EQ(PV_READ_ONCE(ti->version) & 1, 0);
	PV_CHECK_NE(PV_READ_ONCE(ti->tsc_to_system_mul), 0);
	prev = pv_now_ns();
	PV_CHECK_GT(prev, 0);
	for (int i = 0; i < 1000; i++) {
		now = pv_now_ns();
		if (now < prev) {
			monotonic = false;
			PV_CHECK(false, "time went back from %lu to %lu",
				 (unsigned long)prev, (unsigned long)now);
			break;
		}
		prev = now;
	}
	PV_CHECK(monotonic, "system time is not monotonic");
	PV_CHECK_GT(pv_tsc_hz(), 0);
	pv_test_end();
}

static void test_sleep(void)
{
	const uint64_t ms = 1000000;
	uint64_t t0, t1, ev0;

	pv_test_begin("events.timer_sleep");
	PV_CHECK_NE(pv_timer_port(), 0);
	ev0 = pv_timer_events();
	t0 = pv_now_ns();
	PV_CHECK_OK(pv_sleep_ns(2 * ms));
	t1 = pv_now_ns();
	PV_CHECK_GE(t1 - t0, 2 * ms);
	/* A wake-up that long after the deadline means a lost timer. */
	PV_CHECK_LT(t1 - t0, 2000 * ms);
	PV_CHECK_GT(pv_timer_events(), ev0);
	PV_CHECK(pv_irq_enabled(), "sleep left events masked");
	pv_test_end();
}

static void test_timer_past(void)
{
	uint64_t ev0 = pv_timer_events();
	int spins = 0;

	pv_test_begin("events.timer_past");
	if (!PV_CHECK_NE(pv_timer_port(), 0)) {
		pv_test_end(); /* blocking without a timer would hang */
		return;
	}
	/* A deadline already passed fires at once (§7.12). */
	PV_CHECK_OK(pv_set_timer(pv_now_ns() - 1));
	while (pv_timer_events() == ev0 && spins++ < 100) {
		pv_irq_disable();
		if (pv_timer_events() == ev0) {
			(void)HYPERVISOR_sched_op(SCHEDOP_block, NULL);
		}
		pv_irq_enable();
	}
	PV_CHECK_GT(pv_timer_events(), ev0);
	pv_test_end();
}

int main(void)
{
	if (test_loopback_setup()) {
		test_send();
		test_upcall_mask();
		test_port_mask();
		test_status_close();
	}
	test_time();
	test_sleep();
	test_timer_past();
	return 0;
}
