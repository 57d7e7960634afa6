/* SPDX-License-Identifier: MIT */
/*
 * Ticket spinlocks (see xeno/spinlock.h for the rank rule).
 *
 * Debug builds keep, per CPU, the stack of locks it holds; an acquire of a
 * lock whose rank is not above the top of that stack is a lock-order
 * violation and panics. Locks are released in any order.
 */
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/spinlock.h>

#define MAX_HELD 16

#ifndef NDEBUG
static struct {
	const spinlock_t *held[MAX_HELD];
	unsigned int n;
} held_locks[NR_CPUS];

static void order_check(const spinlock_t *l)
{
	unsigned int cpu = arch_cpu_id();
	unsigned int i;

	for (i = 0; i < held_locks[cpu].n; i++) {
		const spinlock_t *h = held_locks[cpu].held[i];

		if (h == l) {
			panic("cpu%u: recursive acquire of lock '%s'", cpu,
			      l->name);
		}
		if (h->rank >= l->rank) {
			panic("cpu%u: lock order: '%s' (rank %u) taken while "
			      "holding '%s' (rank %u)",
			      cpu, l->name, l->rank, h->name, h->rank);
		}
	}
}

static void held_push(spinlock_t *l)
{
	unsigned int cpu = arch_cpu_id();

	BUG_ON(held_locks[cpu].n == MAX_HELD);
	held_locks[cpu].held[held_locks[cpu].n++] = l;
	l->holder = (uint16_t)cpu;
}

static void held_pop(spinlock_t *l)
{
	unsigned int cpu = arch_cpu_id();
	unsigned int i, n = held_locks[cpu].n;

	for (i = 0; i < n; i++) {
		if (held_locks[cpu].held[i] == l) {
			held_locks[cpu].held[i] = held_locks[cpu].held[n - 1];
			held_locks[cpu].n = n - 1;
			l->holder = 0xffff;
			return;
		}
	}
	panic("cpu%u: releasing lock '%s' it does not hold", cpu, l->name);
}

unsigned int spin_locks_held(void)
{
	return held_locks[arch_cpu_id()].n;
}
#else
static void order_check(const spinlock_t *l)
{
	(void)l;
}

static void held_push(spinlock_t *l)
{
	(void)l;
}

static void held_pop(spinlock_t *l)
{
	(void)l;
}

unsigned int spin_locks_held(void)
{
	return 0;
}
#endif

void spin_lock_init(spinlock_t *l, const char *name, enum lock_rank rank)
{
	l->next = 0;
	l->serving = 0;
	l->rank = (uint16_t)rank;
	l->holder = 0xffff;
	l->name = name;
}

void spin_lock(spinlock_t *l)
{
	uint32_t ticket;

	order_check(l);
	ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket) {
		arch_cpu_relax();
	}
	held_push(l);
}

bool spin_trylock(spinlock_t *l)
{
	uint32_t cur = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	uint32_t want = cur;

	order_check(l);
	if (!__atomic_compare_exchange_n(&l->next, &want, cur + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		return false;
	}
	held_push(l);
	return true;
}

void spin_unlock(spinlock_t *l)
{
	held_pop(l);
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

bool spin_is_locked(const spinlock_t *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
}
