/* SPDX-License-Identifier: MIT */
/*
 * Secondary vCPUs (pv-abi §7.13) in a domain started with vcpus=2: vCPU 1
 * is initialised and brought up on its own stack, runs code there, plays
 * ping-pong with vCPU 0 over two IPI event channels (each bound to its
 * vCPU), takes itself down, and is brought up again. Then the
 * VCPUOP_initialise errors a well-behaved guest can meet.
 */
#include <libpv.h>

#define PINGS 20

static uint8_t stack1[16384] __attribute__((aligned(16)));

static volatile unsigned int ran_on;	 /* pv_smp_id() seen by vCPU 1 */
static volatile uint64_t ran_sp;	 /* a stack address seen there */
static volatile unsigned int runs;	 /* functions vCPU 1 finished */
static volatile unsigned int pings;	 /* events vCPU 1 handled */
static volatile unsigned int pongs;	 /* events vCPU 0 handled */
static volatile unsigned int wrong_vcpu; /* handlers on the wrong vCPU */
static volatile unsigned int ready1;
static evtchn_port_t port0, port1;

static void yield(void)
{
	(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

/* Waits (yielding, so it works on one CPU) until *flag reaches want. */
static bool wait_for(volatile unsigned int *flag, unsigned int want)
{
	unsigned int i;

	for (i = 0; i < 1000000 && *flag < want; i++) {
		yield();
	}
	return *flag >= want;
}

static volatile uint64_t word;

static void first_fn(void *arg)
{
	uint64_t local = 0;

	ran_on = pv_smp_id();
	ran_sp = (uint64_t)&local;
	word = (uint64_t)arg;
	runs = runs + 1;
}

PV_HANDLER static void on_ping(evtchn_port_t port, struct pv_regs *regs,
			       void *arg)
{
	if (pv_smp_id() != 1) {
		wrong_vcpu = wrong_vcpu + 1;
	}
	pings = pings + 1;
	(void)pv_evtchn_send(port0);
}

PV_HANDLER static void on_pong(evtchn_port_t port, struct pv_regs *regs,
			       void *arg)
{
	if (pv_smp_id() != 0) {
		wrong_vcpu = wrong_vcpu + 1;
	}
	pongs = pongs + 1;
}

/* vCPU 1: binds its IPI port, then handles pings until all came. */
static void ping_fn(void *arg)
{
	if (pv_evtchn_bind_ipi(1, &port1) != 0 ||
	    pv_evtchn_bind(port1, on_ping, NULL) != 0) {
		return;
	}
	pv_irq_enable();
	ready1 = 1;
	while (pings < PINGS) {
		(void)HYPERVISOR_sched_op(SCHEDOP_block, NULL);
	}
	pv_irq_disable();
	runs = runs + 1;
}

static void test_start(void)
{
	pv_test_begin("smp.start");
	PV_CHECK_EQ(pv_vcpu_is_up(1), 0);
	PV_CHECK_OK(pv_vcpu_start(1, first_fn, (void *)0x5eca0dUL, stack1,
				  sizeof(stack1)));
	PV_CHECK(wait_for(&runs, 1), "vCPU 1 did not run");
	PV_CHECK_EQ(ran_on, 1);
	PV_CHECK(ran_sp >= (uint64_t)stack1 &&
			 ran_sp < (uint64_t)stack1 + sizeof(stack1),
		 "vCPU 1 ran on %lx, not its stack", ran_sp);
	PV_CHECK_EQ(word, 0x5eca0d);
	PV_CHECK_EQ(pv_smp_id(), 0);
	pv_test_end();
}

/* The function returned: vCPU 1 takes itself down. */
static void test_down(void)
{
	unsigned int i;

	pv_test_begin("smp.down");
	for (i = 0; i < 100000 && pv_vcpu_is_up(1) != 0; i++) {
		yield();
	}
	PV_CHECK_EQ(pv_vcpu_is_up(1), 0);
	pv_test_end();
}

static void test_ipi(void)
{
	unsigned int i;

	pv_test_begin("smp.ipi");
	if (!PV_CHECK_OK(pv_evtchn_bind_ipi(0, &port0)) ||
	    !PV_CHECK_OK(pv_evtchn_bind(port0, on_pong, NULL))) {
		pv_test_end();
		return;
	}
	PV_CHECK_OK(pv_vcpu_restart(1, ping_fn, NULL));
	PV_CHECK(wait_for(&ready1, 1), "vCPU 1 not ready");
	for (i = 0; i < PINGS; i++) {
		PV_CHECK_OK(pv_evtchn_send(port1));
		if (!PV_CHECK(wait_for(&pongs, i + 1), "no pong %u", i)) {
			break;
		}
	}
	PV_CHECK_EQ(pongs, PINGS);
	PV_CHECK(wait_for(&runs, 2), "vCPU 1 did not finish");
	PV_CHECK_EQ(pings, PINGS);
	PV_CHECK_EQ(wrong_vcpu, 0);
	pv_test_end();
}

/* What VCPUOP_initialise and VCPUOP_up answer a guest that errs. */
static void test_errors(void)
{
	static struct vcpu_guest_context ctx;

	pv_test_begin("smp.errors");
	pv_vcpu_context(&ctx, (uint64_t)first_fn, (uint64_t)stack1 + 4096);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 0, &ctx), -EEXIST);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx), -EEXIST);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 2, &ctx), -ENOENT);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_up, 2, NULL), -ENOENT);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, NULL), -EEXIST);
	PV_CHECK_EQ(pv_vcpu_is_up(1), 0);
	pv_test_end();
}

int main(void)
{
	test_start();
	test_down();
	test_ipi();
	test_down();
	test_errors();
	return 0;
}
