/* SPDX-License-Identifier: MIT */
/*
 * Sets of CPUs. NR_CPUS is 64, so a set is one 64-bit word: bit i is CPU i.
 * Updates that other CPUs may race with use the atomic helpers.
 */
#ifndef XENO_CPUMASK_H
#define XENO_CPUMASK_H

#include <xeno/arch.h>
#include <xeno/types.h>

typedef uint64_t cpumask_t;

_Static_assert(NR_CPUS == 64, "cpumask_t is one 64-bit word");

static inline cpumask_t cpumask_of(unsigned int cpu)
{
	return 1ULL << cpu;
}

static inline bool cpumask_test(cpumask_t m, unsigned int cpu)
{
	return (m >> cpu) & 1;
}

static inline void cpumask_set_atomic(cpumask_t *m, unsigned int cpu)
{
	__atomic_fetch_or(m, cpumask_of(cpu), __ATOMIC_SEQ_CST);
}

static inline void cpumask_clear_atomic(cpumask_t *m, unsigned int cpu)
{
	__atomic_fetch_and(m, ~cpumask_of(cpu), __ATOMIC_SEQ_CST);
}

static inline cpumask_t cpumask_read(const cpumask_t *m)
{
	return __atomic_load_n(m, __ATOMIC_SEQ_CST);
}

#endif
