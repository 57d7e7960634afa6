/* SPDX-License-Identifier: MIT */
/*
 * Atomic loads, stores and compare-and-swap on naturally aligned 32- and
 * 64-bit words, for counters that several CPUs update without a lock.
 * They are the compiler's __atomic built-ins, which need no library and
 * compile to LOCK CMPXCHG / plain MOV on x86. All are sequentially
 * consistent: full barriers, as the reference-count code wants.
 */
#ifndef XENO_ATOMIC_H
#define XENO_ATOMIC_H

#include <xeno/types.h>

static inline uint64_t atomic_read64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline void atomic_write64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/*
 * If *p equals *old, stores new and returns true; otherwise loads the
 * current value into *old and returns false.
 */
static inline bool atomic_cmpxchg64(uint64_t *p, uint64_t *old, uint64_t new)
{
	return __atomic_compare_exchange_n(p, old, new, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}

#endif
