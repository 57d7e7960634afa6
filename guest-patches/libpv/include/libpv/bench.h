/* SPDX-License-Identifier: MIT */
/*
 * Measuring from inside a guest (the bench_* guests, docs/testing.md):
 * rounds of a repeated operation timed with the guest's clock, reduced to
 * their median.
 */
#ifndef LIBPV_BENCH_H
#define LIBPV_BENCH_H

#include <stdint.h>

/* The most rounds pv_bench_ps() takes. */
#define PV_BENCH_MAX_ROUNDS 16

/* Sorts v[0..n) in place and returns its median (n > 0). */
uint64_t pv_bench_median(uint64_t *v, unsigned int n);

/*
 * Calls fn ops times per round, rounds rounds (at most
 * PV_BENCH_MAX_ROUNDS), and returns the median round's picoseconds per
 * call.
 */
uint64_t pv_bench_ps(void (*fn)(void), unsigned int ops, unsigned int rounds);

#endif
