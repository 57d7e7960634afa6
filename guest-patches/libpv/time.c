/* SPDX-License-Identifier: MIT */
/*
 * System time from vcpu_info[0].time and the one-shot timer with
 * VIRQ_TIMER (interface in libpv/time.h; pv-abi §4.6, §7.12).
 *
 * The timer port is bound once, lazily, by the first pv_timer_port() or
 * pv_sleep_ns(); its handler only counts. A failed bind is remembered
 * so pv_sleep_ns() falls back to polling instead of blocking forever.
 */
#include <libpv/atomic.h>
#include <libpv/errno.h>
#include <libpv/events.h>
#include <libpv/hypercall.h>
#include <libpv/start.h>
#include <libpv/time.h>

static evtchn_port_t timer_port;
static bool timer_tried;
static uint64_t timer_events;

/* A consistent copy of the time info, taken under its version counter. */
struct time_snapshot {
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
	uint64_t tsc; /* the TSC read inside the same version window */
};

static void read_time(struct time_snapshot *t)
{
	const struct vcpu_time_info *ti = &pv_vcpu_info()->time;
	uint32_t v;

	do {
		v = PV_READ_ONCE(ti->version);
		pv_barrier();
		t->tsc_timestamp = PV_READ_ONCE(ti->tsc_timestamp);
		t->system_time = PV_READ_ONCE(ti->system_time);
		t->mul = PV_READ_ONCE(ti->tsc_to_system_mul);
		t->shift = PV_READ_ONCE(ti->tsc_shift);
		t->tsc = pv_rdtsc();
		pv_barrier();
	} while ((v & 1) || v != PV_READ_ONCE(ti->version));
}

static uint64_t scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift >= 0) {
		delta <<= shift;
	} else {
		delta >>= -shift;
	}
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t pv_now_ns(void)
{
	struct time_snapshot t;
	uint64_t delta = 0;

	if (!HYPERVISOR_shared_info) {
		return 0;
	}
	read_time(&t);
	/* A TSC read just before the stamp counts as no time passed. */
	if (t.tsc > t.tsc_timestamp) {
		delta = t.tsc - t.tsc_timestamp;
	}
	return t.system_time + scale_delta(delta, t.mul, t.shift);
}

uint64_t pv_tsc_hz(void)
{
	struct time_snapshot t;
	uint64_t hz;

	if (!HYPERVISOR_shared_info) {
		return 0;
	}
	read_time(&t);
	if (t.mul == 0) {
		return 0;
	}
	/*
	 * ns = (ticks << shift) * mul / 2^32, so ticks per second is
	 * (10^9 << 32) / mul, shifted back. 10^9 << 32 < 2^63: no overflow.
	 */
	hz = (1000000000ULL << 32) / t.mul;
	return t.shift >= 0 ? hz >> t.shift : hz << -t.shift;
}

long pv_set_timer(uint64_t abs_ns)
{
	return HYPERVISOR_set_timer_op(abs_ns);
}

static void timer_handler(evtchn_port_t port, struct pv_regs *regs, void *arg)
{
	(void)port;
	(void)regs;
	(void)arg;
	timer_events++;
}

evtchn_port_t pv_timer_port(void)
{
	evtchn_port_t port;

	if (!timer_tried) {
		timer_tried = true;
		if (pv_evtchn_bind_virq(VIRQ_TIMER, 0, &port) == 0 &&
		    pv_evtchn_bind(port, timer_handler, NULL) == 0) {
			timer_port = port;
		}
	}
	return timer_port;
}

uint64_t pv_timer_events(void)
{
	return PV_READ_ONCE(timer_events);
}

long pv_sleep_ns(uint64_t ns)
{
	uint64_t deadline;
	unsigned int mask;
	bool have_timer;

	if (!HYPERVISOR_shared_info ||
	    PV_READ_ONCE(pv_vcpu_info()->time.tsc_to_system_mul) == 0) {
		return -ENOSYS;
	}
	deadline = pv_now_ns() + ns;
	have_timer = pv_timer_port() != 0;
	mask = pv_irq_save();
	while (pv_now_ns() < deadline) {
		if (!have_timer) {
			(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
			continue;
		}
		(void)HYPERVISOR_set_timer_op(deadline);
		/*
		 * Block clears the upcall mask atomically with going to
		 * sleep, so an event that is already pending wakes us at
		 * once; the upcall runs as block returns. Mask again before
		 * looking at the time.
		 */
		(void)HYPERVISOR_sched_op(SCHEDOP_block, NULL);
		pv_irq_disable();
	}
	pv_irq_restore(mask);
	return 0;
}
