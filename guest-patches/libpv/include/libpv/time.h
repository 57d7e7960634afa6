/* SPDX-License-Identifier: MIT */
/*
 * System time and the one-shot timer (pv-abi §4.6, §7.12, §8.14).
 *
 * Interface rules:
 *   - pv_now_ns() reads vcpu_info[0].time under its version protocol
 *     (retry while odd or changed) and extrapolates with the TSC:
 *     system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32.
 *   - pv_sleep_ns() binds VIRQ_TIMER on first use, then loops
 *     set_timer_op(deadline) + SCHEDOP_block until the deadline passed;
 *     it restores the caller's event mask. If VIRQ_TIMER cannot be bound
 *     it polls with SCHEDOP_yield instead. It returns -ENOSYS at once if
 *     the hypervisor publishes no time (tsc_to_system_mul == 0).
 */
#ifndef LIBPV_TIME_H
#define LIBPV_TIME_H

#include <stdint.h>

#include <libpv/abi.h>

/* Nanoseconds of system time now. */
uint64_t pv_now_ns(void);

/* Arms the one-shot timer at absolute system time abs_ns (0 cancels). */
long pv_set_timer(uint64_t abs_ns);

/* Sleeps at least ns nanoseconds. 0 or -errno. */
long pv_sleep_ns(uint64_t ns);

/* The VIRQ_TIMER port, bound on first call; 0 if binding failed. */
evtchn_port_t pv_timer_port(void);

/* VIRQ_TIMER events seen since the port was bound. */
uint64_t pv_timer_events(void);

/* TSC ticks per second from the time info, 0 if there is none. */
uint64_t pv_tsc_hz(void);

static inline uint64_t pv_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif
