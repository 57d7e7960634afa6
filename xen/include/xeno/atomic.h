/* SPDX-License-Identifier: MIT */
/*
 * Atomic loads, stores and compare-and-swap on naturally aligned 32- and
 * 64-bit words, for counters that several CPUs update without a lock.
 * They are the compiler's __atomic built-ins, which need no library and
 * compile to LOCK CMPXCHG / plain MOV on x86. All are sequentially
 * consistent: full barriers, as the reference-count code wants.
 *
 * atomic_cmpxchg128() swaps two adjacent words at once (LOCK CMPXCHG16B,
 * which every CPU Xeno boots on has: cpu.c checks). It is atomic with
 * respect to the 64-bit operations on either word.
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

/*
 * atomic_cmpxchg64() of the 16-byte aligned pair p[0], p[1]: if both
 * equal old[0], old[1], stores new[0], new[1] and returns true;
 * otherwise loads the pair into old and returns false. Inline assembly:
 * the compiler's 16-byte built-in would call a library.
 */
static inline bool atomic_cmpxchg128(uint64_t p[2], uint64_t old[2],
				     const uint64_t new[2])
{
	bool ok;

	asm volatile("lock cmpxchg16b %1"
		     : "=@ccz"(ok), "+m"(*(uint64_t(*)[2])p), "+a"(old[0]),
		       "+d"(old[1])
		     : "b"(new[0]), "c"(new[1])
		     : "memory");
	return ok;
}

#endif
