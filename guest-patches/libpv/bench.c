/* SPDX-License-Identifier: MIT */
/* Medians of timed rounds for the benchmark guests (libpv/bench.h). */
#include <libpv.h>
#include <libpv/bench.h>

uint64_t pv_bench_median(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		for (unsigned int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	}
	return v[n / 2];
}

uint64_t pv_bench_ps(void (*fn)(void), unsigned int ops, unsigned int rounds)
{
	uint64_t ps[PV_BENCH_MAX_ROUNDS];

	if (rounds > PV_BENCH_MAX_ROUNDS) {
		rounds = PV_BENCH_MAX_ROUNDS;
	}
	for (unsigned int r = 0; r < rounds; r++) {
		uint64_t t0 = pv_now_ns();

		for (unsigned int i = 0; i < ops; i++) {
			fn();
		}
		ps[r] = (pv_now_ns() - t0) * 1000 / ops;
	}
	return pv_bench_median(ps, rounds);
}
