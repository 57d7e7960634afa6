/* SPDX-License-Identifier: MIT */
/*
 * The scheduler (see xeno/sched.h). Each CPU has a run queue of runnable
 * vCPUs sorted by weighted virtual time: running for t ns adds
 * t * SCHED_WEIGHT_DEFAULT / weight to a vCPU's vtime, so over time each
 * domain's vCPUs get CPU in proportion to its weight. The CPU always runs
 * the queue's smallest vtime next; a slice lasts SCHED_SLICE_NS. A vCPU
 * that wakes up starts no lower than the queue's minimum minus one
 * slice, so sleeping earns no unbounded credit. A CPU whose queue is
 * empty steals the largest-vtime vCPU of another queue before idling.
 *
 * Invariants, under the lock of rq[v->cpu]:
 *  - v is on rq's list iff v->state == VCPU_RUNNABLE and v is not being
 *    moved by a stealing CPU (then it is on no list, and its state says
 *    RUNNABLE; nothing but the thief touches it).
 *  - rq->curr is the vCPU whose registers this CPU's guest frame holds
 *    (state RUNNING, or any state until the exit path switches away).
 *  - v->on_cpu stays true until the CPU has saved v's registers, so a
 *    domain is not destroyed under a CPU still switching away from it.
 *
 * Locks: rq->lock (LOCK_RANK_SCHED); a thief holds only one at a time.
 */
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/sched.h>
#include <xeno/vtime.h>

struct runq {
	spinlock_t lock;
	struct list_head queue; /* RUNNABLE vCPUs, ascending vtime */
	struct vcpu *curr;	/* running vCPU, NULL when idle */
	bool need_resched;	/* switch at the next exit */
	uint64_t min_vtime;	/* vtime of the last vCPU picked */
	uint64_t slice_end;
	struct timer slice_timer;
} __aligned(64);

static struct runq rqs[NR_CPUS];
static struct sched_stats stats;
static unsigned int next_cpu; /* round-robin placement of new vCPUs */

static void slice_expired(void *data)
{
	struct runq *rq = data;

	rq->need_resched = true;
}

void sched_init(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		spin_lock_init(&rqs[cpu].lock, "runq", LOCK_RANK_SCHED);
		list_init(&rqs[cpu].queue);
		timer_init(&rqs[cpu].slice_timer, slice_expired, &rqs[cpu],
			   cpu);
	}
}

struct vcpu *current_vcpu(void)
{
	return rqs[arch_cpu_id()].curr;
}

/* Locks the run queue v is on; v->cpu only changes under that lock. */
static struct runq *lock_vcpu_rq(struct vcpu *v)
{
	for (;;) {
		unsigned int cpu = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE);
		struct runq *rq = &rqs[cpu];

		spin_lock(&rq->lock);
		if (v->cpu == cpu) {
			return rq;
		}
		spin_unlock(&rq->lock);
	}
}

static void set_state(struct vcpu *v, enum vcpu_state s, uint64_t now)
{
	static const int runstate[] = {
		[VCPU_OFFLINE] = RUNSTATE_offline,
		[VCPU_RUNNABLE] = RUNSTATE_runnable,
		[VCPU_RUNNING] = RUNSTATE_running,
		[VCPU_BLOCKED] = RUNSTATE_blocked,
		[VCPU_DEAD] = RUNSTATE_offline,
	};

	v->state_time[runstate[v->state]] += now - v->state_entry;
	v->state_entry = now;
	v->state = s;
}

static void enqueue(struct runq *rq, struct vcpu *v)
{
	struct list_head *p;

	list_for_each(p, &rq->queue)
	{
		if (list_entry(p, struct vcpu, runq)->vtime > v->vtime) {
			break;
		}
	}
	/* Insert before p (or at the tail when p is the head). */
	list_add_tail(&v->runq, p);
}

void sched_add_vcpu(struct vcpu *v)
{
	unsigned int n = arch_nr_cpus();

	v->cpu = __atomic_fetch_add(&next_cpu, 1, __ATOMIC_RELAXED) % n;
	v->state_entry = arch_now_ns();
}

static void kick_cpu(unsigned int cpu)
{
	if (cpu == arch_cpu_id()) {
		rqs[cpu].need_resched = true;
	} else {
		arch_kick_cpu(cpu);
	}
}

/* Makes v runnable on its queue; the caller holds that queue's lock. */
static void make_runnable(struct runq *rq, struct vcpu *v, uint64_t now)
{
	uint64_t floor = rq->min_vtime > SCHED_SLICE_NS
				 ? rq->min_vtime - SCHED_SLICE_NS
				 : 0;

	if (v->vtime < floor) {
		v->vtime = floor;
	}
	set_state(v, VCPU_RUNNABLE, now);
	enqueue(rq, v);
	if (rq->curr == NULL || rq->curr->vtime > v->vtime + SCHED_SLICE_NS) {
		kick_cpu(v->cpu);
	}
}

void vcpu_wake(struct vcpu *v)
{
	struct runq *rq = lock_vcpu_rq(v);

	if (v->state == VCPU_BLOCKED && !v->pause) {
		make_runnable(rq, v, arch_now_ns());
	}
	spin_unlock(&rq->lock);
}

void vcpu_up(struct vcpu *v)
{
	struct runq *rq = lock_vcpu_rq(v);

	if (v->state == VCPU_OFFLINE && v->domain->state == DOMAIN_RUNNING) {
		make_runnable(rq, v, arch_now_ns());
	}
	spin_unlock(&rq->lock);
}

void vcpu_down(struct vcpu *v)
{
	struct runq *rq = lock_vcpu_rq(v);

	if (v->state == VCPU_RUNNABLE && !list_empty(&v->runq)) {
		list_del(&v->runq);
	}
	if (v->state != VCPU_DEAD) {
		set_state(v, VCPU_OFFLINE, arch_now_ns());
	}
	if (rq->curr == v) {
		kick_cpu(v->cpu);
	}
	spin_unlock(&rq->lock);
}

void vcpu_kick(struct vcpu *v)
{
	unsigned int cpu = __atomic_load_n(&v->cpu, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE) &&
	    cpu != arch_cpu_id()) {
		arch_kick_cpu(cpu);
	}
}

void sched_block_current(bool (*wake_check)(struct vcpu *))
{
	struct runq *rq = &rqs[arch_cpu_id()];

	rq->curr->block_check = wake_check;
	rq->need_resched = true;
}

void sched_yield_current(void)
{
	struct runq *rq = &rqs[arch_cpu_id()];

	/* Go behind every vCPU now queued. */
	if (!list_empty(&rq->queue)) {
		struct vcpu *last =
			list_entry(rq->queue.prev, struct vcpu, runq);

		if (rq->curr->vtime <= last->vtime) {
			rq->curr->vtime = last->vtime + 1;
		}
	}
	rq->need_resched = true;
}

void sched_remove_domain(struct domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpu[i];
		struct runq *rq = lock_vcpu_rq(v);

		if (v->state == VCPU_RUNNABLE && !list_empty(&v->runq)) {
			list_del(&v->runq);
		}
		set_state(v, VCPU_DEAD, arch_now_ns());
		if (rq->curr == v) {
			kick_cpu(v->cpu);
		}
		spin_unlock(&rq->lock);
	}
}

bool sched_domain_running(const struct domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		if (__atomic_load_n(&d->vcpu[i]->on_cpu, __ATOMIC_ACQUIRE)) {
			return true;
		}
	}
	return false;
}

/* Charges curr for the time since it went on the CPU. */
static void account(struct vcpu *curr, uint64_t now)
{
	uint64_t ran = now - curr->run_start;
	unsigned int w = curr->domain->weight ? curr->domain->weight : 1;

	curr->runtime_ns += ran;
	curr->vtime += ran * SCHED_WEIGHT_DEFAULT / w;
	curr->run_start = now;
}

/*
 * Takes a runnable vCPU from another CPU's queue for this one. The
 * vCPU is off every list while it moves; see the invariants.
 */
static struct vcpu *steal(unsigned int self)
{
	unsigned int n = arch_nr_cpus(), i;

	for (i = 1; i < n; i++) {
		struct runq *other = &rqs[(self + i) % n];
		struct vcpu *v;

		if (list_empty(&other->queue) || !spin_trylock(&other->lock)) {
			continue;
		}
		if (list_empty(&other->queue)) {
			spin_unlock(&other->lock);
			continue;
		}
		v = list_entry(other->queue.prev, struct vcpu, runq);
		list_del(&v->runq);
		__atomic_store_n(&v->cpu, self, __ATOMIC_RELEASE);
		spin_unlock(&other->lock);
		__atomic_fetch_add(&stats.steals, 1, __ATOMIC_RELAXED);
		vtime_vcpu_migrate(v, self);
		return v;
	}
	return NULL;
}

/* Whether curr keeps the CPU; decides blocking under the lock. */
static bool keep_current(struct runq *rq, struct vcpu *curr, uint64_t now)
{
	if (curr->block_check != NULL) {
		bool (*check)(struct vcpu *) = curr->block_check;

		curr->block_check = NULL;
		if (!check(curr)) {
			set_state(curr, VCPU_BLOCKED, now);
			return false;
		}
	}
	if (curr->state != VCPU_RUNNING) {
		return false;
	}
	if (list_empty(&rq->queue)) {
		return true;
	}
	if (rq->need_resched || now >= rq->slice_end) {
		return false;
	}
	/* A vCPU far behind in virtual time preempts at once. */
	return list_entry(rq->queue.next, struct vcpu, runq)->vtime +
		       SCHED_SLICE_NS >=
	       curr->vtime;
}

static void start_running(struct runq *rq, struct vcpu *v, uint64_t now)
{
	set_state(v, VCPU_RUNNING, now);
	v->run_start = now;
	v->on_cpu = true;
	rq->curr = v;
	rq->min_vtime = v->vtime;
	rq->slice_end = now + SCHED_SLICE_NS;
	timer_set(&rq->slice_timer, rq->slice_end);
}

struct vcpu *sched_pick_at_exit(void)
{
	unsigned int self = arch_cpu_id();
	struct runq *rq = &rqs[self];
	struct vcpu *curr = rq->curr, *next = NULL;
	uint64_t now = arch_now_ns();

	spin_lock(&rq->lock);
	if (curr != NULL) {
		account(curr, now);
		if (keep_current(rq, curr, now)) {
			rq->need_resched = false;
			if (now >= rq->slice_end) {
				/*
				 * Alone on the CPU: a new slice, or every
				 * preemption check would fire from now on.
				 */
				rq->slice_end = now + SCHED_SLICE_NS;
				timer_set(&rq->slice_timer, rq->slice_end);
			}
			spin_unlock(&rq->lock);
			return curr;
		}
		if (curr->state == VCPU_RUNNING) {
			set_state(curr, VCPU_RUNNABLE, now);
			enqueue(rq, curr);
		}
	}
	rq->need_resched = false;
	if (!list_empty(&rq->queue)) {
		next = list_entry(rq->queue.next, struct vcpu, runq);
		list_del(&next->runq);
	}
	spin_unlock(&rq->lock);
	if (next == NULL) {
		next = steal(self);
	}
	spin_lock(&rq->lock);
	rq->curr = NULL;
	if (next != NULL) {
		if (next->state == VCPU_RUNNABLE) {
			start_running(rq, next, now);
		} else {
			/* Shut down while moving: nothing to run. */
			next = NULL;
		}
	}
	spin_unlock(&rq->lock);
	if (next != curr) {
		__atomic_fetch_add(&stats.switches, 1, __ATOMIC_RELAXED);
	}
	return next;
}

bool sched_preempt_due(void)
{
	struct runq *rq = &rqs[arch_cpu_id()];

	return rq->need_resched || arch_now_ns() >= rq->slice_end;
}

void sched_switch_done(struct vcpu *prev)
{
	if (prev != NULL && prev != current_vcpu()) {
		__atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
	}
	domain_reap();
}

__noreturn void sched_idle(void)
{
	for (;;) {
		struct vcpu *v;

		domain_reap();
		v = sched_pick_at_exit();
		if (v != NULL) {
			arch_enter_vcpu(v);
		}
		__atomic_fetch_add(&stats.idle_entries, 1, __ATOMIC_RELAXED);
		arch_idle_once();
	}
}

void sched_stats_read(struct sched_stats *out)
{
	out->switches = __atomic_load_n(&stats.switches, __ATOMIC_RELAXED);
	out->steals = __atomic_load_n(&stats.steals, __ATOMIC_RELAXED);
	out->idle_entries =
		__atomic_load_n(&stats.idle_entries, __ATOMIC_RELAXED);
}
