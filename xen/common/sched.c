/* SPDX-License-Identifier: MIT */
/*
 * The scheduler (see xeno/sched.h). Each CPU has a run queue of runnable
 * vCPUs sorted by weighted virtual time: running for t ns adds
 * t * SCHED_WEIGHT_DEFAULT / weight to a vCPU's vtime, so over time each
 * domain's vCPUs get CPU in proportion to its weight. The CPU always runs
 * the queue's smallest vtime next; a slice lasts SCHED_SLICE_NS. A vCPU
 * that wakes up starts no more than one of its slices below the level:
 * the smallest vtime any CPU runs or has queued (vtime_floor), so
 * sleeping (or being created late) earns no unbounded credit; nor does
 * time its CPU was held up (account()).
 *
 * Balancing: whenever a CPU picks (a slice ended, its vCPU blocked), it
 * also looks at the other queues' heads, published in head_vtime, and
 * pulls one that is more than SCHED_SLICE_NS of vtime behind what it
 * would run otherwise; a CPU with nothing to run pulls any. So the
 * smallest vtimes run everywhere, and weights hold across CPUs, not only
 * within one queue. A CPU that queues a vCPU on a busy CPU wakes an idle
 * CPU (idle_mask) to come and take it.
 *
 * Invariants, under the lock of rq[v->cpu]:
 *  - v is on rq's list iff v->state == VCPU_RUNNABLE and v is not being
 *    moved by a picking or stealing CPU (then it is on no list, and its
 *    state says RUNNABLE; nothing but the mover takes it, and anyone else
 *    may only change its state, which the mover checks when it is done).
 *    v->moving is true while it is moved: like on_cpu it keeps its domain
 *    from being destroyed (sched_domain_running), since the mover still
 *    reads v after anyone may have shut the domain down.
 *  - rq->curr is the vCPU whose registers this CPU's guest frame holds
 *    (state RUNNING, or any state until the exit path switches away).
 *  - v->on_cpu stays true until the CPU has saved v's registers, so a
 *    domain is not destroyed under a CPU still switching away from it,
 *    and no other CPU takes v from a queue while it is set.
 *  - rq->head_vtime is the vtime of the first vCPU on the list, or
 *    NO_VTIME for an empty list (written under the lock, read by anyone).
 *  - The fast path (sched_pick_at_exit): rq->need_resched is cleared only
 *    by this CPU, under the lock, as it decides what to run. Everyone who
 *    afterwards changes what this CPU should decide (queues a vCPU on rq,
 *    changes rq->curr's state, blocks or yields it, ends its slice, asks
 *    every CPU to stop) stores need_resched = true (under the lock where
 *    one protects the change) before kicking the CPU. So a CPU that
 *    reads need_resched false with a current vCPU would decide to keep it
 *    and may skip the lock and the clock.
 *
 * Locks: rq->lock (LOCK_RANK_SCHED); a CPU holds only one at a time (a
 * thief trylocks the victim while holding none of its own).
 */
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/exit_work.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/sched.h>
#include <xeno/timer.h>
#include <xeno/vtime.h>

#define NO_VTIME UINT64_MAX

/*
 * How far (in vtime) another queue's head must be behind what a CPU
 * would run before the CPU takes it: a little, so that vCPUs of equal
 * vtime do not move for nothing.
 */
#define BALANCE_MARGIN_NS (SCHED_SLICE_NS / 4)

struct runq {
	spinlock_t lock;
	struct list_head queue; /* RUNNABLE vCPUs, ascending vtime */
	struct vcpu *curr;	/* running vCPU, NULL when idle */
	bool need_resched;	/* take the slow path at the next exit */
	bool yield;		/* curr yielded: switch even if it is best */
	uint64_t head_vtime;	/* see the invariants */
	uint64_t curr_vtime;	/* curr's vtime (as of its last charge), or
				   NO_VTIME when idle; read by anyone */
	uint64_t stall_ns;	/* curr's run so far: time the CPU was held
				   up (sched_timer_irq_end), atomic */
	uint64_t irq_since;	/* in the timer interrupt: held up since
				   (sched_timer_irq_begin), else 0; atomic */
	uint64_t slice_end;
	struct timer slice_timer;
} __aligned(64);

static struct runq rqs[NR_CPUS];
static struct sched_stats stats;
static unsigned int next_cpu; /* round-robin placement of new vCPUs */
static uint64_t idle_mask;    /* CPUs idling (bit per CPU), atomic */

/*
 * CPUs in the idle loop that will look at the queues again before they
 * halt or run anything (zeroing a piece of memory meanwhile): a kick
 * needs no IPI to reach them. A CPU clears its bit before it looks and
 * before it halts (then looks once more); a kicker publishes its work
 * before it reads the mask: both sequentially consistent, so either the
 * kicker sees the bit clear and interrupts, or the CPU sees the work.
 */
static uint64_t polling_mask;

/* need_resched, then the CPU's exit-work word (xeno/exit_work.h). */
static void request_resched(struct runq *rq)
{
	__atomic_store_n(&rq->need_resched, true, __ATOMIC_SEQ_CST);
	exit_work_raise((unsigned int)(rq - rqs), EXIT_WORK_SCHED);
}

static void slice_expired(void *data)
{
	request_resched(data);
}

void sched_init(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		spin_lock_init(&rqs[cpu].lock, "runq", LOCK_RANK_SCHED);
		list_init(&rqs[cpu].queue);
		rqs[cpu].head_vtime = NO_VTIME;
		rqs[cpu].curr_vtime = NO_VTIME;
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

int sched_runstate_of(enum vcpu_state s)
{
	switch (s) {
	case VCPU_RUNNING:
		return RUNSTATE_running;
	case VCPU_RUNNABLE:
		return RUNSTATE_runnable;
	case VCPU_BLOCKED:
		return RUNSTATE_blocked;
	default:
		return RUNSTATE_offline; /* offline, paused, dead */
	}
}

static void set_state(struct vcpu *v, enum vcpu_state s, uint64_t now)
{
	v->state_time[sched_runstate_of(v->state)] += now - v->state_entry;
	__atomic_store_n(&v->state_entry, now, __ATOMIC_RELEASE);
	__atomic_store_n(&v->state, s, __ATOMIC_RELEASE);
}

static void publish_head(struct runq *rq)
{
	uint64_t h = list_empty(&rq->queue)
			     ? NO_VTIME
			     : list_first_entry(&rq->queue, struct vcpu, runq)
				       ->vtime;

	__atomic_store_n(&rq->head_vtime, h, __ATOMIC_SEQ_CST);
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
	publish_head(rq);
}

static void dequeue(struct runq *rq, struct vcpu *v)
{
	list_del(&v->runq);
	publish_head(rq);
}

void sched_add_vcpu(struct vcpu *v)
{
	unsigned int n = arch_nr_cpus();

	v->cpu = __atomic_fetch_add(&next_cpu, 1, __ATOMIC_RELAXED) % n;
	v->state_entry = arch_now_ns();
}

int sched_place_vcpu(struct vcpu *v, unsigned int cpu)
{
	struct runq *rq;
	int rc = 0;

	if (cpu >= arch_nr_cpus()) {
		return -1;
	}
	rq = lock_vcpu_rq(v);
	if (v->state == VCPU_OFFLINE && !v->on_cpu) {
		__atomic_store_n(&v->cpu, cpu, __ATOMIC_RELEASE);
	} else {
		rc = -1;
	}
	spin_unlock(&rq->lock);
	if (rc == 0) {
		vtime_vcpu_migrate(v, cpu);
	}
	return rc;
}

/*
 * Makes cpu re-run its exit work. The fence orders the caller's stores
 * (need_resched, the queue) before the interrupt on every APIC mode.
 */
static void kick_cpu(unsigned int cpu)
{
	if (cpu == arch_cpu_id()) {
		request_resched(&rqs[cpu]);
	} else {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&polling_mask, __ATOMIC_SEQ_CST) &
		    (1ULL << cpu)) {
			return;
		}
		arch_kick_cpu(cpu);
	}
}

/* Wakes an idle CPU other than busy to pull work, if there is one. */
static void kick_idle_cpu(unsigned int busy)
{
	uint64_t idle =
		__atomic_load_n(&idle_mask, __ATOMIC_SEQ_CST) & ~(1ULL << busy);

	if (idle != 0) {
		kick_cpu((unsigned int)__builtin_ctzll(idle));
	}
}

/*
 * The level: the smallest vtime any CPU runs or has queued, v itself
 * aside (NO_VTIME if there is none). Read without the locks: a moment's
 * picture is enough for a floor.
 */
static uint64_t vtime_level(const struct vcpu *v)
{
	unsigned int n = arch_nr_cpus(), i;
	uint64_t level = NO_VTIME;

	for (i = 0; i < n; i++) {
		uint64_t h =
			__atomic_load_n(&rqs[i].head_vtime, __ATOMIC_ACQUIRE);
		uint64_t c =
			__atomic_load_n(&rqs[i].curr_vtime, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&rqs[i].curr, __ATOMIC_RELAXED) == v) {
			c = NO_VTIME;
		}
		level = MIN(level, MIN(h, c));
	}
	return level;
}

/*
 * Time off the CPUs earns at most one slice of credit: v's vtime is
 * raised to one of its own slices (in vtime) below the level. Used when
 * a vCPU wakes and when its CPU was held up (account()). The level is
 * global because vtimes are compared across CPUs when they balance, so
 * a CPU's own level would give a vCPU waking there credit against the
 * vCPUs of busier CPUs; and it is the smallest vtime, not the largest,
 * because one slice of a light domain moves its vtime far ahead.
 */
static void vtime_floor(struct vcpu *v)
{
	unsigned int w = v->domain->weight ? v->domain->weight : 1;
	uint64_t credit = SCHED_SLICE_NS * SCHED_WEIGHT_DEFAULT / w;
	uint64_t level = vtime_level(v);

	if (level != NO_VTIME && level > credit && v->vtime < level - credit) {
		v->vtime = level - credit;
	}
}

/* Makes v runnable on its queue; the caller holds that queue's lock. */
static void make_runnable(struct runq *rq, struct vcpu *v, uint64_t now)
{
	vtime_floor(v);
	set_state(v, VCPU_RUNNABLE, now);
	enqueue(rq, v);
	request_resched(rq);
	if (rq->curr == NULL || rq->curr->vtime > v->vtime + SCHED_SLICE_NS) {
		kick_cpu(v->cpu);
	} else {
		kick_idle_cpu(v->cpu);
	}
}

void vcpu_wake(struct vcpu *v)
{
	struct runq *rq = lock_vcpu_rq(v);

	if (v->state == VCPU_BLOCKED) {
		if (v->pause) {
			set_state(v, VCPU_PAUSED, arch_now_ns());
		} else {
			make_runnable(rq, v, arch_now_ns());
		}
	}
	spin_unlock(&rq->lock);
}

void vcpu_up(struct vcpu *v)
{
	struct runq *rq = lock_vcpu_rq(v);

	if (v->state == VCPU_OFFLINE && v->domain->state == DOMAIN_RUNNING) {
		if (v->pause) {
			set_state(v, VCPU_PAUSED, arch_now_ns());
		} else {
			make_runnable(rq, v, arch_now_ns());
		}
	}
	spin_unlock(&rq->lock);
}

/* Takes v off its queue (if on it) and puts it in state s. Lock held. */
static void take_off(struct runq *rq, struct vcpu *v, enum vcpu_state s)
{
	if (v->state == VCPU_RUNNABLE && !list_empty(&v->runq)) {
		dequeue(rq, v);
	}
	set_state(v, s, arch_now_ns());
	if (rq->curr == v) {
		request_resched(rq);
		kick_cpu(v->cpu);
	}
}

void vcpu_down(struct vcpu *v)
{
	struct runq *rq = lock_vcpu_rq(v);

	if (v->state != VCPU_DEAD) {
		take_off(rq, v, VCPU_OFFLINE);
	}
	spin_unlock(&rq->lock);
}

void sched_pause_vcpu(struct vcpu *v)
{
	struct runq *rq = lock_vcpu_rq(v);

	v->pause = true;
	if (v->state == VCPU_RUNNABLE || v->state == VCPU_RUNNING) {
		take_off(rq, v, VCPU_PAUSED);
	}
	spin_unlock(&rq->lock);
}

void sched_unpause_vcpu(struct vcpu *v)
{
	struct runq *rq = lock_vcpu_rq(v);

	v->pause = false;
	if (v->state == VCPU_PAUSED) {
		make_runnable(rq, v, arch_now_ns());
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
	request_resched(rq);
}

void sched_yield_current(void)
{
	struct runq *rq = &rqs[arch_cpu_id()];

	rq->yield = true;
	request_resched(rq);
}

void sched_remove_domain(struct domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpu[i];
		struct runq *rq = lock_vcpu_rq(v);

		take_off(rq, v, VCPU_DEAD);
		spin_unlock(&rq->lock);
	}
}

bool sched_domain_running(const struct domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		const struct vcpu *v = d->vcpu[i];

		if (__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&v->moving, __ATOMIC_ACQUIRE)) {
			return true;
		}
	}
	return false;
}

void sched_wait_domain_off(const struct domain *d)
{
	while (sched_domain_running(d)) {
		sched_park_point();
		arch_cpu_relax();
	}
}

/* sched_vcpu_times() with rq, v's queue, locked. */
static void vcpu_times_locked(struct runq *rq, struct vcpu *v,
			      struct sched_vcpu_times *t)
{
	uint64_t now = arch_now_ns(), stolen = v->stolen_ns;
	unsigned int i;

	t->cpu_time_ns = v->runtime_ns;
	if (rq->curr == v && v->state == VCPU_RUNNING) {
		uint64_t ran = now - v->run_start;
		uint64_t stall =
			__atomic_load_n(&rq->stall_ns, __ATOMIC_SEQ_CST);
		uint64_t since =
			__atomic_load_n(&rq->irq_since, __ATOMIC_SEQ_CST);
		uint64_t ongoing = timer_overdue(v->cpu, now);

		if (since != 0 && now - since > ongoing) {
			ongoing = now - since;
		}
		/* A stall still going on, as its interrupt will count it. */
		if (ongoing >= SCHED_STALL_MIN_NS) {
			stall += ongoing;
		}
		stall = stall < ran ? stall : ran;
		t->cpu_time_ns += ran - stall;
		stolen += stall;
	}
	/*
	 * A stall is seen only once it is SCHED_STALL_MIN_NS old: never
	 * report less than before because the part before that was.
	 */
	if (t->cpu_time_ns < v->cpu_time_seen) {
		t->cpu_time_ns = v->cpu_time_seen;
	}
	v->cpu_time_seen = t->cpu_time_ns;
	for (i = 0; i < 4; i++) {
		t->state_time[i] = v->state_time[i];
	}
	t->state = sched_runstate_of(v->state);
	t->state_time[t->state] += now - v->state_entry;
	/* Stalled time was never the vCPU's: it waited for its CPU. */
	if (stolen > t->state_time[RUNSTATE_running]) {
		stolen = t->state_time[RUNSTATE_running];
	}
	t->state_time[RUNSTATE_running] -= stolen;
	t->state_time[RUNSTATE_runnable] += stolen;
	/*
	 * The same for the running time (the guest's runstate areas and
	 * get_runstate_info): a stall found after some of it was reported
	 * as running moves only the unreported part to runnable.
	 */
	if (t->state_time[RUNSTATE_running] < v->running_seen) {
		uint64_t back =
			v->running_seen - t->state_time[RUNSTATE_running];

		back = MIN(back, t->state_time[RUNSTATE_runnable]);
		t->state_time[RUNSTATE_running] += back;
		t->state_time[RUNSTATE_runnable] -= back;
	}
	v->running_seen = t->state_time[RUNSTATE_running];
	t->cpu = v->cpu;
}

void sched_vcpu_times(struct vcpu *v, struct sched_vcpu_times *t)
{
	struct runq *rq = lock_vcpu_rq(v);

	vcpu_times_locked(rq, v, t);
	spin_unlock(&rq->lock);
}

/*
 * Charges curr for the time since it went on the CPU, less the time the
 * CPU was held up meanwhile (see sched_timer_irq_end; and now, if this
 * CPU's timer interrupt is overdue), which becomes curr's stolen time.
 * A vCPU that lost time that way is not paid it back later beyond one
 * slice (vtime_floor): whether it was held up or ran while the
 * interrupt was late cannot be told apart under an emulator, and paying
 * back time it in fact used would starve the others for as long.
 */
static void account(struct runq *rq, struct vcpu *curr, uint64_t now)
{
	uint64_t ran = now - curr->run_start;
	uint64_t stall =
		__atomic_exchange_n(&rq->stall_ns, 0, __ATOMIC_SEQ_CST);
	uint64_t overdue = timer_overdue(arch_cpu_id(), now);
	unsigned int w = curr->domain->weight ? curr->domain->weight : 1;

	/* The timer interrupt has not even come yet: held up until now. */
	if (overdue >= SCHED_STALL_MIN_NS) {
		stall += overdue;
	}
	if (stall > ran) {
		stall = ran;
	}
	ran -= stall;
	curr->stolen_ns += stall;
	curr->runtime_ns += ran;
	curr->vtime += ran * SCHED_WEIGHT_DEFAULT / w;
	curr->run_start = now;
	if (stall != 0) {
		vtime_floor(curr);
		__atomic_fetch_add(&stats.stalled_ns, stall, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&rq->curr_vtime, curr->vtime, __ATOMIC_RELEASE);
}

void sched_timer_irq_begin(uint64_t since)
{
	__atomic_store_n(&rqs[arch_cpu_id()].irq_since, since,
			 __ATOMIC_SEQ_CST);
}

void sched_timer_irq_end(void)
{
	struct runq *rq = &rqs[arch_cpu_id()];
	struct vcpu *curr = rq->curr;
	uint64_t now = arch_now_ns();
	uint64_t held = now - __atomic_load_n(&rq->irq_since, __ATOMIC_RELAXED);
	uint64_t ran, had;

	if (held >= SCHED_STALL_MIN_NS && curr != NULL &&
	    curr->state == VCPU_RUNNING) {
		ran = now - curr->run_start;
		had = __atomic_load_n(&rq->stall_ns, __ATOMIC_RELAXED);
		held = MIN(held, had < ran ? ran - had : 0);
		__atomic_fetch_add(&rq->stall_ns, held, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&stats.stalls, 1, __ATOMIC_RELAXED);
	}
	/* After the add: a reader meanwhile may count it twice, never not. */
	__atomic_store_n(&rq->irq_since, 0, __ATOMIC_SEQ_CST);
}

/* ---- stopping the other CPUs ------------------------------------------- */

/*
 * sched_quiesce_run: one CPU at a time (quiesce_owner) makes quiesce_gen
 * odd, asks every other CPU to re-run its exit work, and waits until all
 * of them have counted themselves in quiesce_parked at a park point
 * (where a CPU holds no lock and is between guest runs), runs fn, and
 * makes the generation even again. A CPU that wants to be the owner
 * while another is parks meanwhile, so two never wait for each other.
 */
static unsigned int quiesce_gen;
static unsigned int quiesce_parked;
static int quiesce_owner = -1;

static bool quiesce_pending(void)
{
	return __atomic_load_n(&quiesce_gen, __ATOMIC_SEQ_CST) & 1;
}

void sched_park_point(void)
{
	unsigned int gen = __atomic_load_n(&quiesce_gen, __ATOMIC_SEQ_CST);

	if (!(gen & 1) || __atomic_load_n(&quiesce_owner, __ATOMIC_SEQ_CST) ==
				  (int)arch_cpu_id()) {
		return;
	}
	__atomic_fetch_add(&quiesce_parked, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&quiesce_gen, __ATOMIC_SEQ_CST) == gen) {
		arch_cpu_relax();
	}
}

void sched_quiesce_run(void (*fn)(void *), void *arg)
{
	unsigned int self = arch_cpu_id(), n = arch_nr_cpus(), cpu;
	int none = -1;

	while (!__atomic_compare_exchange_n(&quiesce_owner, &none, (int)self,
					    false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST)) {
		none = -1;
		sched_park_point();
		arch_cpu_relax();
	}
	__atomic_store_n(&quiesce_parked, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&quiesce_gen, 1, __ATOMIC_SEQ_CST);
	for (cpu = 0; cpu < n; cpu++) {
		if (cpu != self) {
			request_resched(&rqs[cpu]);
			kick_cpu(cpu);
		}
	}
	while (__atomic_load_n(&quiesce_parked, __ATOMIC_SEQ_CST) < n - 1) {
		arch_cpu_relax();
	}
	fn(arg);
	__atomic_fetch_add(&quiesce_gen, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&quiesce_owner, -1, __ATOMIC_SEQ_CST);
}

/* ---- picking ----------------------------------------------------------- */

/*
 * Takes a runnable vCPU from another CPU's queue for this one: the
 * first not on a CPU (a CPU's own current vCPU may sit on its queue
 * until its registers are saved) of the queue whose head is furthest
 * behind, if that is more than a slice of vtime below limit. The vCPU
 * is off every list while it moves; see the invariants.
 */
static struct vcpu *steal(unsigned int self, uint64_t limit)
{
	unsigned int n = arch_nr_cpus(), i, best = self;
	uint64_t best_vtime = limit;
	struct runq *other;
	struct list_head *p;

	for (i = 0; i < n; i++) {
		uint64_t h =
			__atomic_load_n(&rqs[i].head_vtime, __ATOMIC_ACQUIRE);

		if (i != self && h != NO_VTIME &&
		    (limit == NO_VTIME || h + BALANCE_MARGIN_NS < limit) &&
		    h <= best_vtime) {
			best = i;
			best_vtime = h;
		}
	}
	if (best == self) {
		return NULL;
	}
	other = &rqs[best];
	if (!spin_trylock(&other->lock)) {
		return NULL;
	}
	list_for_each(p, &other->queue)
	{
		struct vcpu *v = list_entry(p, struct vcpu, runq);

		if (limit != NO_VTIME &&
		    v->vtime + BALANCE_MARGIN_NS >= limit) {
			break;
		}
		if (__atomic_load_n(&v->on_cpu, __ATOMIC_ACQUIRE)) {
			continue;
		}
		dequeue(other, v);
		v->moving = true;
		__atomic_store_n(&v->cpu, self, __ATOMIC_RELEASE);
		spin_unlock(&other->lock);
		__atomic_fetch_add(&stats.steals, 1, __ATOMIC_RELAXED);
		vtime_vcpu_migrate(v, self);
		return v;
	}
	spin_unlock(&other->lock);
	return NULL;
}

/*
 * Whether curr keeps the CPU for the rest of its slice; decides
 * blocking under the lock.
 */
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
	if (curr->state != VCPU_RUNNING || rq->yield || now >= rq->slice_end) {
		return false;
	}
	if (list_empty(&rq->queue)) {
		return true;
	}
	/* A vCPU far behind in virtual time preempts at once. */
	return list_first_entry(&rq->queue, struct vcpu, runq)->vtime +
		       SCHED_SLICE_NS >=
	       curr->vtime;
}

/* A yielding vCPU goes behind every vCPU now queued (SCHEDOP_yield). */
static void yield_behind(struct runq *rq, struct vcpu *curr)
{
	if (!list_empty(&rq->queue)) {
		struct vcpu *last =
			list_entry(rq->queue.prev, struct vcpu, runq);

		if (curr->vtime <= last->vtime) {
			curr->vtime = last->vtime + 1;
		}
	}
}

static void start_running(struct runq *rq, struct vcpu *v, uint64_t now)
{
	set_state(v, VCPU_RUNNING, now);
	__atomic_store_n(&rq->curr_vtime, v->vtime, __ATOMIC_RELEASE);
	v->run_start = now;
	__atomic_store_n(&rq->stall_ns, 0, __ATOMIC_SEQ_CST);
	v->on_cpu = true;
	rq->curr = v;
	rq->slice_end = now + SCHED_SLICE_NS;
	timer_set(&rq->slice_timer, rq->slice_end);
}

/*
 * test_move_delay_us (a test option): the mover holds a vCPU it took off
 * the lists, other than its own current one (whose on_cpu still guards
 * it), a while, so that a destroy racing with it is likely.
 */
static void test_move_delay(void)
{
	uint64_t until = arch_now_ns() + opt.test_move_delay_us * 1000;

	while (arch_now_ns() < until) {
		arch_cpu_relax();
	}
}

/*
 * Ends this CPU's move of v (off every list, v->moving; see the
 * invariants): back on this queue if still runnable, else (shut down,
 * paused or taken down meanwhile) left off. Clearing moving is the last
 * access: once none of a domain's vCPUs is moving or on a CPU it may be
 * destroyed. The caller holds rq's lock.
 */
static void end_move(struct runq *rq, struct vcpu *v)
{
	if (v->state == VCPU_RUNNABLE) {
		enqueue(rq, v);
	}
	__atomic_store_n(&v->moving, false, __ATOMIC_RELEASE);
}

/*
 * Runs next (taken off this CPU's queue, or NULL) unless another queue
 * holds a vCPU far enough behind it; then next goes back to the queue.
 * Either may have been shut down or paused while off the lists.
 */
static struct vcpu *start_next(unsigned int self, struct vcpu *next)
{
	struct runq *rq = &rqs[self];
	struct vcpu *better = steal(self, next ? next->vtime : NO_VTIME);
	uint64_t now;

	if (opt.test_move_delay_us != 0 &&
	    ((next != NULL && next != rq->curr) || better != NULL)) {
		test_move_delay();
	}
	spin_lock(&rq->lock);
	/* Nobody destroyed them while they moved (v->moving). */
	ASSERT(next == NULL || next->alive == VCPU_ALIVE);
	ASSERT(better == NULL || better->alive == VCPU_ALIVE);
	/* Its run starts now: waiting for locks was no vCPU's time. */
	now = arch_now_ns();
	/*
	 * Only the CPU that holds a vCPU's registers can find it on_cpu on
	 * a queue (its own, until its switch is done): thieves skip on_cpu
	 * vCPUs, and a CPU's switch_done comes before its next pick.
	 */
	ASSERT(next == NULL || next == rq->curr || !next->on_cpu);
	ASSERT(better == NULL || !better->on_cpu);
	if (better != NULL && better->state != VCPU_RUNNABLE) {
		end_move(rq, better);
		better = NULL;
	}
	if (better != NULL) {
		if (next != NULL) {
			end_move(rq, next);
		}
		next = better;
	}
	rq->curr = NULL;
	__atomic_store_n(&rq->curr_vtime, NO_VTIME, __ATOMIC_RELEASE);
	if (next != NULL && next->state == VCPU_RUNNABLE) {
		start_running(rq, next, now);
		__atomic_store_n(&next->moving, false, __ATOMIC_RELEASE);
	} else if (next != NULL) {
		end_move(rq, next);
		next = NULL;
	}
	spin_unlock(&rq->lock);
	if (next != NULL) {
		__atomic_fetch_and(&idle_mask, ~(1ULL << self),
				   __ATOMIC_SEQ_CST);
	} else {
		__atomic_fetch_or(&idle_mask, 1ULL << self, __ATOMIC_SEQ_CST);
	}
	return next;
}

/* The locked decision, when the fast path could not keep curr. */
static struct vcpu *pick_slow(unsigned int self, struct vcpu *curr)
{
	struct runq *rq = &rqs[self];
	uint64_t now = arch_now_ns();
	struct vcpu *next = NULL;

	spin_lock(&rq->lock);
	__atomic_store_n(&rq->need_resched, false, __ATOMIC_SEQ_CST);
	if (curr != NULL) {
		if (now > rq->slice_end + 2 * SCHED_SLICE_NS) {
			/* This CPU did not get here for two slices. */
			__atomic_fetch_add(&stats.late_slices, 1,
					   __ATOMIC_RELAXED);
		}
		account(rq, curr, now);
		if (keep_current(rq, curr, now)) {
			/* Waiting for the lock was not its time either. */
			curr->run_start = arch_now_ns();
			spin_unlock(&rq->lock);
			return curr;
		}
		if (curr->state == VCPU_RUNNING) {
			set_state(curr, VCPU_RUNNABLE, now);
			if (rq->yield) {
				yield_behind(rq, curr);
			}
			enqueue(rq, curr);
		}
		rq->yield = false;
	}
	if (!list_empty(&rq->queue)) {
		next = list_first_entry(&rq->queue, struct vcpu, runq);
		dequeue(rq, next);
		next->moving = true;
	}
	spin_unlock(&rq->lock);
	next = start_next(self, next);
	if (next != curr) {
		__atomic_fetch_add(&stats.switches, 1, __ATOMIC_RELAXED);
	}
	return next;
}

/*
 * The fast path: with need_resched clear nothing has changed since this
 * CPU last decided to run curr, and curr's slice has not ended (its
 * timer would have set need_resched), so curr runs on without the lock
 * or the clock (see the invariants at the top). Its CPU time is charged
 * at the next slow pick; sched_vcpu_times() adds the part not charged
 * yet.
 */
struct vcpu *sched_pick_at_exit(void)
{
	unsigned int self = arch_cpu_id();
	struct vcpu *curr = rqs[self].curr;

	if (curr != NULL &&
	    !__atomic_load_n(&rqs[self].need_resched, __ATOMIC_SEQ_CST) &&
	    !quiesce_pending() && arch_now_ns() < rqs[self].slice_end) {
		return curr;
	}
	sched_park_point();
	return pick_slow(self, curr);
}

bool sched_preempt_due(void)
{
	struct runq *rq = &rqs[arch_cpu_id()];

	return __atomic_load_n(&rq->need_resched, __ATOMIC_RELAXED) ||
	       arch_now_ns() >= rq->slice_end;
}

/* ---- the runstate areas (VCPUOP_register_runstate_*) -------------------- */

static void runstate_fill_locked(struct runq *rq, struct vcpu *v,
				 struct vcpu_runstate_info *r)
{
	struct sched_vcpu_times t;

	vcpu_times_locked(rq, v, &t);
	memset(r, 0, sizeof(*r));
	r->state = (int32_t)t.state;
	r->state_entry_time = v->state_entry;
	memcpy(r->time, t.state_time, sizeof(r->time));
}

void sched_runstate_fill(struct vcpu *v, struct vcpu_runstate_info *r)
{
	struct runq *rq = lock_vcpu_rq(v);

	runstate_fill_locked(rq, v, r);
	spin_unlock(&rq->lock);
}

/* Whether v's domain asked for XEN_RUNSTATE_UPDATE (pv-abi §4.11, §6.6). */
static bool runstate_flagged(const struct vcpu *v)
{
	uint64_t assists =
		__atomic_load_n(&v->domain->mm.vm_assist, __ATOMIC_RELAXED);

	return (assists >> VMASST_TYPE_runstate_update_flag) & 1;
}

/*
 * Writes r into the physical-address area (in the direct map). With the
 * update flag, state_entry_time carries XEN_RUNSTATE_UPDATE while the
 * other fields change, so a guest that reads the area on another vCPU
 * can tell a torn copy.
 */
static void runstate_store(struct vcpu_runstate_info *area,
			   const struct vcpu_runstate_info *r, bool flag)
{
	if (flag) {
		__atomic_store_n(&area->state_entry_time,
				 r->state_entry_time | XEN_RUNSTATE_UPDATE,
				 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_RELEASE);
	}
	area->state = r->state;
	memcpy(area->time, r->time, sizeof(area->time));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&area->state_entry_time, r->state_entry_time,
			 __ATOMIC_RELAXED);
}

/*
 * The same into the virtual-address area, through v's kernel page
 * tables whatever mode v is in (the address is the guest kernel's). An
 * area that is not mapped there, or not writable, misses the update.
 */
static void runstate_copy(struct vcpu *v, uint64_t gva,
			  const struct vcpu_runstate_info *r, bool flag)
{
	uint64_t at =
		gva + offsetof(struct vcpu_runstate_info, state_entry_time);
	struct vcpu_runstate_info busy = *r;

	if (flag) {
		busy.state_entry_time |= XEN_RUNSTATE_UPDATE;
		if (guest_copy_to_kernel(&v->mm, at, &busy.state_entry_time,
					 sizeof(uint64_t)) != 0) {
			return;
		}
		__atomic_thread_fence(__ATOMIC_RELEASE);
	}
	if (guest_copy_to_kernel(&v->mm, gva, &busy, sizeof(busy)) != 0 ||
	    !flag) {
		return;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	(void)guest_copy_to_kernel(&v->mm, at, &r->state_entry_time,
				   sizeof(uint64_t));
}

/*
 * Rewrites v's registered runstate areas: as it goes onto a CPU and as
 * it leaves one (then it is not running anywhere, so its page tables
 * stay put while they are walked). The physical area is written under
 * the run-queue lock, which is what its (un)registration takes: the
 * frame is never written after its reference was dropped.
 */
static void runstate_update(struct vcpu *v)
{
	uint64_t gva = __atomic_load_n(&v->runstate_gva, __ATOMIC_ACQUIRE);
	bool flag = runstate_flagged(v);
	struct vcpu_runstate_info r;
	struct runq *rq;

	if (gva == 0 && v->runstate_phys == NULL) {
		return;
	}
	rq = lock_vcpu_rq(v);
	runstate_fill_locked(rq, v, &r);
	if (v->runstate_phys != NULL) {
		runstate_store(v->runstate_phys, &r, flag);
	}
	spin_unlock(&rq->lock);
	if (gva != 0) {
		runstate_copy(v, gva, &r, flag);
	}
}

void sched_runstate_write(struct vcpu *v)
{
	runstate_update(v);
}

struct vcpu_runstate_info *
sched_runstate_set_phys(struct vcpu *v, struct vcpu_runstate_info *area)
{
	struct runq *rq = lock_vcpu_rq(v);
	struct vcpu_runstate_info *old = v->runstate_phys;
	struct vcpu_runstate_info r;

	v->runstate_phys = area;
	if (area != NULL) {
		runstate_fill_locked(rq, v, &r);
		runstate_store(area, &r, runstate_flagged(v));
	}
	spin_unlock(&rq->lock);
	return old;
}

void sched_switch_done(struct vcpu *prev)
{
	struct vcpu *next = current_vcpu();

	if (prev != NULL && prev != next) {
		/* While on_cpu still holds its domain off the reaper. */
		if (__atomic_load_n(&prev->state, __ATOMIC_ACQUIRE) !=
		    VCPU_DEAD) {
			runstate_update(prev);
		}
		__atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
	}
	if (next != NULL && next != prev) {
		runstate_update(next);
	}
	domain_reap();
}

/*
 * Whether a queue holds work (an idle CPU then spins and picks again
 * rather than halting: what it saw may be a vCPU whose CPU is still
 * saving it). A CPU sets its idle_mask bit before it looks, and a CPU
 * that queues work publishes the head before it reads idle_mask, so one
 * of the two always sees the other.
 */
static bool work_queued(void)
{
	unsigned int n = arch_nr_cpus(), i;

	for (i = 0; i < n; i++) {
		if (__atomic_load_n(&rqs[i].head_vtime, __ATOMIC_SEQ_CST) !=
		    NO_VTIME) {
			return true;
		}
	}
	return false;
}

bool sched_idle_may_halt(void)
{
	unsigned int self = arch_cpu_id();

	__atomic_fetch_and(&polling_mask, ~(1ULL << self), __ATOMIC_SEQ_CST);
	return !work_queued() &&
	       !__atomic_load_n(&rqs[self].need_resched, __ATOMIC_SEQ_CST) &&
	       !quiesce_pending();
}

__noreturn void sched_idle(void)
{
	unsigned int self = arch_cpu_id();

	for (;;) {
		struct vcpu *v;

		__atomic_fetch_and(&polling_mask, ~(1ULL << self),
				   __ATOMIC_SEQ_CST);
		domain_reap();
		v = sched_pick_at_exit();
		if (v != NULL) {
			arch_enter_vcpu(v);
		}
		if (work_queued()) {
			arch_cpu_relax();
			continue;
		}
		__atomic_fetch_add(&stats.idle_entries, 1, __ATOMIC_RELAXED);
		__atomic_fetch_or(&polling_mask, 1ULL << self,
				  __ATOMIC_SEQ_CST);
		arch_idle_once();
	}
}

void sched_stats_read(struct sched_stats *out)
{
	out->switches = __atomic_load_n(&stats.switches, __ATOMIC_RELAXED);
	out->steals = __atomic_load_n(&stats.steals, __ATOMIC_RELAXED);
	out->idle_entries =
		__atomic_load_n(&stats.idle_entries, __ATOMIC_RELAXED);
	out->stalls = __atomic_load_n(&stats.stalls, __ATOMIC_RELAXED);
	out->stalled_ns = __atomic_load_n(&stats.stalled_ns, __ATOMIC_RELAXED);
	out->late_slices =
		__atomic_load_n(&stats.late_slices, __ATOMIC_RELAXED);
}
