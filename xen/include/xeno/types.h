/* SPDX-License-Identifier: MIT */
/*
 * Basic types shared by all generic code (mm/, cache/, shmem/, xen/common)
 * and by both arch implementations (x86 and host).
 *
 * Machine frame numbers and physical addresses are distinct one-field
 * structs so the compiler refuses to mix them; convert only through the
 * helpers below.
 */
#ifndef XENO_TYPES_H
#define XENO_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

#define ARRAY_SIZE(a)	 (sizeof(a) / sizeof((a)[0]))
#define ROUND_UP(x, a)	 (((x) + (a)-1) & ~((__typeof__(x))(a)-1))
#define ROUND_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define MAX(a, b)	 ((a) > (b) ? (a) : (b))
#define likely(x)	 __builtin_expect(!!(x), 1)
#define unlikely(x)	 __builtin_expect(!!(x), 0)
#define container_of(p, type, member) \
	((type *)((char *)(p)-offsetof(type, member)))
#define __packed       __attribute__((packed))
#define __aligned(n)   __attribute__((aligned(n)))
#define __noreturn     __attribute__((noreturn))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __unused       __attribute__((unused))

/* A machine frame number: a host-physical address >> PAGE_SHIFT. */
typedef struct {
	uint64_t m;
} mfn_t;

/* A machine (host-physical) byte address. */
typedef struct {
	uint64_t p;
} paddr_t;

#define INVALID_MFN ((mfn_t){ ~0ULL })

static inline mfn_t mfn(uint64_t m)
{
	return (mfn_t){ m };
}

static inline uint64_t mfn_x(mfn_t m)
{
	return m.m;
}

static inline bool mfn_eq(mfn_t a, mfn_t b)
{
	return a.m == b.m;
}

static inline mfn_t mfn_add(mfn_t m, uint64_t n)
{
	return (mfn_t){ m.m + n };
}

static inline paddr_t paddr(uint64_t p)
{
	return (paddr_t){ p };
}

static inline uint64_t paddr_x(paddr_t p)
{
	return p.p;
}

static inline paddr_t mfn_to_paddr(mfn_t m)
{
	return (paddr_t){ m.m << PAGE_SHIFT };
}

/* The frame that contains the address (rounds down). */
static inline mfn_t paddr_to_mfn(paddr_t p)
{
	return (mfn_t){ p.p >> PAGE_SHIFT };
}

typedef uint16_t domid_t;

#endif
