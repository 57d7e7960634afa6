/* SPDX-License-Identifier: MIT */
/*
 * The demo of `make run` (docs/domains.md): dom0 and two guests talking
 * over event channels.
 *
 * dom0 offers one unbound port to each of domains 1 and 2 and answers
 * every "ping" notification with a "pong". Each guest finds the port
 * offered to it (binding to dom0's ports in turn until one accepts it:
 * there is no XenStore to publish the number), then plays DEMO_ROUNDS
 * rounds and powers off. dom0 powers off when both guests are done, or
 * after DEMO_TIMEOUT_NS.
 */
#include <libpv.h>

#define DEMO_ROUNDS	5
#define DEMO_GUESTS	2
#define DEMO_TIMEOUT_NS (20ULL * 1000 * 1000 * 1000)
#define MAX_PORT_PROBE	64

static volatile unsigned int pings[DEMO_GUESTS + 1];
static volatile unsigned int pongs;
static evtchn_port_t dom0_port[DEMO_GUESTS + 1];

PV_HANDLER static void on_ping(evtchn_port_t port, struct pv_regs *regs,
			       void *arg)
{
	unsigned int d = (unsigned int)(uintptr_t)arg;

	pings[d]++;
	printf("dom0: ping %u from d%u, pong\n", pings[d], d);
	pv_evtchn_send(port);
	(void)regs;
}

PV_HANDLER static void on_pong(evtchn_port_t port, struct pv_regs *regs,
			       void *arg)
{
	pongs++;
	(void)port;
	(void)regs;
	(void)arg;
}

static int run_dom0(void)
{
	uint64_t deadline = pv_now_ns() + DEMO_TIMEOUT_NS;
	unsigned int d, done;

	for (d = 1; d <= DEMO_GUESTS; d++) {
		if (pv_evtchn_alloc_unbound((domid_t)d, &dom0_port[d]) != 0 ||
		    pv_evtchn_bind(dom0_port[d], on_ping,
				   (void *)(uintptr_t)d) != 0) {
			printf("dom0: cannot offer a port to d%u\n", d);
			return 1;
		}
	}
	printf("dom0: waiting for %u guests\n", DEMO_GUESTS);
	do {
		pv_sleep_ns(10 * 1000 * 1000);
		for (done = 0, d = 1; d <= DEMO_GUESTS; d++) {
			done += pings[d] >= DEMO_ROUNDS;
		}
	} while (done < DEMO_GUESTS && pv_now_ns() < deadline);
	printf("dom0: %u of %u guests finished their rounds\n", done,
	       DEMO_GUESTS);
	return done == DEMO_GUESTS ? 0 : 1;
}

/* Binds to the port dom0 offered us; 0 if none accepted in time. */
static evtchn_port_t find_dom0_port(void)
{
	uint64_t deadline = pv_now_ns() + DEMO_TIMEOUT_NS;
	evtchn_port_t local, p;

	while (pv_now_ns() < deadline) {
		for (p = 1; p < MAX_PORT_PROBE; p++) {
			if (pv_evtchn_bind_interdomain(0, p, &local) == 0) {
				return local;
			}
		}
		pv_sleep_ns(5 * 1000 * 1000);
	}
	return 0;
}

static int run_guest(void)
{
	evtchn_port_t port = find_dom0_port();
	unsigned int round;

	if (port == 0 || pv_evtchn_bind(port, on_pong, NULL) != 0) {
		printf("%s: no port from dom0\n", start_info->cmd_line);
		return 1;
	}
	/* Binding delivered the pending bit bind_interdomain sets. */
	pongs = 0;
	for (round = 1; round <= DEMO_ROUNDS; round++) {
		uint64_t until = pv_now_ns() + DEMO_TIMEOUT_NS;

		printf("ping %u to dom0\n", round);
		pv_evtchn_send(port);
		while (pongs < round && pv_now_ns() < until) {
			pv_sleep_ns(1000 * 1000);
		}
		if (pongs < round) {
			printf("no pong for ping %u\n", round);
			return 1;
		}
	}
	printf("%u pongs received, powering off\n", pongs);
	return 0;
}

int main(void)
{
	if (start_info->flags & SIF_INITDOMAIN) {
		return run_dom0();
	}
	return run_guest();
}
