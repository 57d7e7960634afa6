/* SPDX-License-Identifier: MIT */
/*
 * Software timers (see xeno/timer.h): each CPU keeps its active timers in
 * one list sorted by deadline, and its hardware one-shot timer is armed
 * for the head of that list. The timer interrupt runs every expired timer
 * of its CPU and re-arms the hardware for whatever is left.
 *
 * Invariants, under the lock of timer_cpus[t->cpu]:
 *  - t is on that CPU's list iff t->active, and the list is sorted by
 *    deadline (ties keep insertion order).
 *  - t->cpu changes only while that lock is held (timer_migrate), so a
 *    CPU that locked timer_cpus[c] and then finds t->cpu == c owns t.
 *  - Whenever a timer becomes the head of a list, the hardware of that
 *    CPU is (re)armed: directly on the same CPU, through
 *    arch_timer_kick() (an interrupt that re-runs timer_run_expired) on
 *    another one. Stopping a timer does not disarm the hardware; the
 *    interrupt that follows finds nothing expired and re-arms for the new
 *    head, which is cheaper than reprogramming on every stop.
 *  - due is when this CPU's hardware was last armed to interrupt, so an
 *    interrupt that comes much later tells how long the CPU was held up
 *    (timer_overdue(); interrupts are on whenever a guest runs, so only
 *    the CPU's host or a long hypervisor path can delay one).
 *
 * Concurrency rules for users: calls on one timer may come from any CPU
 * but must not race with each other, except that a timer's own fn may
 * re-arm it (timer_set) while another CPU moves it; the retry in
 * lock_timer_cpu() makes that safe. timer_stop does not wait for a fn
 * that already started on another CPU: fn must not rely on its data
 * still being alive unless the owner guarantees it (vtime.c looks its
 * vCPU up by id for that reason).
 *
 * Locks: one per CPU, rank LOCK_RANK_LEAF - 1, so timers can be set and
 * stopped while holding any other lock (the scheduler sets its slice
 * timer under the run-queue lock). Nothing is called with it held but
 * arch_timer_program(); fn always runs with it dropped.
 */
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/spinlock.h>
#include <xeno/timer.h>
#include <xeno/vtime.h>

#define TIMER_LOCK_RANK ((enum lock_rank)(LOCK_RANK_LEAF - 1))

#define NOT_DUE UINT64_MAX

/*
 * due: when the hardware was last armed to interrupt (what
 * arch_timer_program() returned), NOT_DUE once that interrupt came or
 * while nothing is armed.
 */
struct timer_cpu {
	spinlock_t lock;
	struct list_head list; /* active timers, ascending deadline */
	uint64_t due;
} __aligned(64);

/*
 * The lists start zeroed and are made empty on first use under their
 * lock: there is no boot hook for timers, and sched_init() already calls
 * timer_init() before anything could be set.
 */
#define TIMER_CPU_INIT                                           \
	{                                                        \
		.lock = SPINLOCK_INIT("timer", TIMER_LOCK_RANK), \
		.due = NOT_DUE,                                  \
	}
static struct timer_cpu timer_cpus[NR_CPUS] = {
	[0 ... NR_CPUS - 1] = TIMER_CPU_INIT,
};

static struct timer_cpu *lock_cpu(unsigned int cpu)
{
	struct timer_cpu *tc = &timer_cpus[cpu];

	spin_lock(&tc->lock);
	if (tc->list.next == NULL) {
		list_init(&tc->list);
	}
	return tc;
}

/* Locks the CPU t belongs to; see the invariants for why this loops. */
static struct timer_cpu *lock_timer_cpu(struct timer *t, unsigned int *cpu)
{
	for (;;) {
		unsigned int c = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
		struct timer_cpu *tc = lock_cpu(c);

		if (__atomic_load_n(&t->cpu, __ATOMIC_RELAXED) == c) {
			*cpu = c;
			return tc;
		}
		spin_unlock(&tc->lock);
	}
}

static struct timer *head_of(struct timer_cpu *tc)
{
	return list_empty(&tc->list)
		       ? NULL
		       : list_first_entry(&tc->list, struct timer, link);
}

/* Inserts t behind every timer with a deadline not later than its own. */
static void insert_sorted(struct timer_cpu *tc, struct timer *t)
{
	struct list_head *p;

	list_for_each(p, &tc->list)
	{
		if (list_entry(p, struct timer, link)->deadline > t->deadline) {
			break;
		}
	}
	list_add_tail(&t->link, p);
	t->active = true;
}

static void remove_active(struct timer *t)
{
	if (t->active) {
		list_del(&t->link);
		t->active = false;
	}
}

void timer_init(struct timer *t, void (*fn)(void *), void *data,
		unsigned int cpu)
{
	BUG_ON(cpu >= NR_CPUS || fn == NULL);
	t->deadline = 0;
	t->fn = fn;
	t->data = data;
	t->cpu = cpu;
	t->active = false;
	list_init(&t->link);
}

void timer_set(struct timer *t, uint64_t deadline)
{
	unsigned int cpu;
	struct timer_cpu *tc = lock_timer_cpu(t, &cpu);
	bool is_head;

	remove_active(t);
	t->deadline = deadline;
	insert_sorted(tc, t);
	is_head = head_of(tc) == t;
	if (is_head && cpu == arch_cpu_id()) {
		__atomic_store_n(&tc->due, arch_timer_program(deadline),
				 __ATOMIC_RELEASE);
	}
	spin_unlock(&tc->lock);
	if (is_head && cpu != arch_cpu_id()) {
		arch_timer_kick(cpu);
	}
}

void timer_stop(struct timer *t)
{
	unsigned int cpu;
	struct timer_cpu *tc = lock_timer_cpu(t, &cpu);

	remove_active(t);
	spin_unlock(&tc->lock);
}

/*
 * The header allows moving inactive timers only; an active one is moved
 * with its deadline kept, because a caller racing with the timer's own
 * re-arming cannot always know which it has.
 */
void timer_migrate(struct timer *t, unsigned int cpu)
{
	unsigned int old;
	struct timer_cpu *tc;
	bool was_active;

	BUG_ON(cpu >= NR_CPUS);
	tc = lock_timer_cpu(t, &old);
	if (old == cpu) {
		spin_unlock(&tc->lock);
		return;
	}
	was_active = t->active;
	remove_active(t);
	__atomic_store_n(&t->cpu, cpu, __ATOMIC_RELEASE);
	spin_unlock(&tc->lock);
	if (was_active) {
		timer_set(t, t->deadline);
	}
}

/*
 * Takes the first expired timer off this CPU's list, or returns NULL.
 * The caller holds the lock.
 */
static struct timer *pop_expired(struct timer_cpu *tc, uint64_t now)
{
	struct timer *t = head_of(tc);

	if (t == NULL || t->deadline > now) {
		return NULL;
	}
	remove_active(t);
	return t;
}

uint64_t timer_overdue(unsigned int cpu, uint64_t now)
{
	uint64_t due = __atomic_load_n(&timer_cpus[cpu].due, __ATOMIC_ACQUIRE);

	return due != NOT_DUE && now > due ? now - due : 0;
}

void timer_run_expired(void)
{
	struct timer_cpu *tc = lock_cpu(arch_cpu_id());
	struct timer *t;

	while ((t = pop_expired(tc, arch_now_ns())) != NULL) {
		void (*fn)(void *) = t->fn;
		void *data = t->data;

		/* After this unlock t may be re-armed, moved or freed. */
		spin_unlock(&tc->lock);
		fn(data);
		spin_lock(&tc->lock);
	}
	t = head_of(tc);
	__atomic_store_n(&tc->due,
			 t != NULL ? arch_timer_program(t->deadline) : NOT_DUE,
			 __ATOMIC_RELEASE);
	spin_unlock(&tc->lock);
}
