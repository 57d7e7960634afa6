/* SPDX-License-Identifier: MIT */
/*
 * Barriers and atomic bit operations on memory shared with the hypervisor
 * (shared_info bitmaps, vcpu_info). x86-64 only; the atomic operations
 * are lock-prefixed read-modify-writes and imply a full barrier.
 */
#ifndef LIBPV_ATOMIC_H
#define LIBPV_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

/* Stops the compiler from moving memory accesses across it. */
#define pv_barrier() asm volatile("" ::: "memory")

/* Full barrier: orders earlier stores before later loads too. */
static inline void pv_mb(void)
{
	asm volatile("mfence" ::: "memory");
}

#define PV_READ_ONCE(x)	    (*(const volatile __typeof__(x) *)&(x))
#define PV_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* Bit b of the bitmap of 64-bit words at map. */
static inline bool pv_test_bit(const uint64_t *map, unsigned int b)
{
	return (PV_READ_ONCE(map[b / 64]) >> (b % 64)) & 1;
}

static inline void pv_set_bit(uint64_t *map, unsigned int b)
{
	__atomic_fetch_or(&map[b / 64], 1UL << (b % 64), __ATOMIC_SEQ_CST);
}

static inline void pv_clear_bit(uint64_t *map, unsigned int b)
{
	__atomic_fetch_and(&map[b / 64], ~(1UL << (b % 64)), __ATOMIC_SEQ_CST);
}

/* Clears bit b and returns whether it was set. */
static inline bool pv_test_and_clear_bit(uint64_t *map, unsigned int b)
{
	uint64_t bit = 1UL << (b % 64);

	return __atomic_fetch_and(&map[b / 64], ~bit, __ATOMIC_SEQ_CST) & bit;
}

static inline uint64_t pv_xchg64(uint64_t *p, uint64_t v)
{
	return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}

#endif
