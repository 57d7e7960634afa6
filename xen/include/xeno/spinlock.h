/* SPDX-License-Identifier: MIT */
/*
 * Ticket spinlocks with a lock-order check.
 *
 * Hypervisor code runs with interrupts off (DESIGN §1.3), so locks never
 * need to save interrupt state. Every lock has a rank; a CPU may only take
 * a lock whose rank is higher than every lock it already holds. Debug
 * builds check this on every acquire and panic naming both locks. The
 * global ranks are listed here, lowest (taken first) to highest.
 */
#ifndef XENO_SPINLOCK_H
#define XENO_SPINLOCK_H

#include <xeno/types.h>

enum lock_rank {
	LOCK_RANK_DOMAIN = 10,	 /* per-domain state */
	LOCK_RANK_SCHED = 20,	 /* run queues */
	LOCK_RANK_XMALLOC = 30,	 /* xmalloc size classes */
	LOCK_RANK_HEAP = 40,	 /* the buddy allocator */
	LOCK_RANK_CONSOLE = 100, /* console output: taken inside anything */
	LOCK_RANK_LEAF = 200,	 /* locks that never nest (tests) */
};

typedef struct spinlock {
	volatile uint32_t next;	   /* next ticket to hand out */
	volatile uint32_t serving; /* ticket now holding the lock */
	uint16_t rank;
	uint16_t holder; /* CPU holding it, debug only */
	const char *name;
} spinlock_t;

#define SPINLOCK_INIT(nm, rk)            \
	{                                \
		0, 0, (rk), 0xffff, (nm) \
	}

void spin_lock_init(spinlock_t *l, const char *name, enum lock_rank rank);
void spin_lock(spinlock_t *l);
bool spin_trylock(spinlock_t *l);
void spin_unlock(spinlock_t *l);
bool spin_is_locked(const spinlock_t *l);

/* How many locks this CPU holds (debug builds; 0 otherwise). */
unsigned int spin_locks_held(void);

#endif
