/* SPDX-License-Identifier: MIT */
/*
 * Time for guests (see xeno/vtime.h): the system time each vCPU reads
 * from its vcpu_info (pv-abi §4.6), the wall clock in shared_info (§4.8),
 * and the vCPU timers that raise VIRQ_TIMER (§7.12, §7.13, §8.14).
 *
 * System time is arch_now_ns(): nanoseconds since boot from the TSC,
 * the same on every CPU (the TSC is treated as stable, and the flag
 * says so). A guest extrapolates from the last published pair
 * (tsc_timestamp, system_time) with tsc_to_system_mul and tsc_shift, so
 * the hypervisor republishes only when a vCPU goes onto a CPU.
 *
 * The timers of a vCPU live on the CPU that last ran it (vtime_publish
 * moves them there), so set_timer_op and VCPUOP timer calls by the vCPU
 * itself stay on one CPU. A timer's data is not a vCPU pointer but the
 * vCPU's (domain id, vCPU id): its fn looks the vCPU up with
 * domain_find(), which fails once the domain shuts down. So a fn that was
 * already running on one CPU while another CPU destroyed the domain never
 * touches freed memory, and a dying domain's periodic timer stops
 * re-arming itself.
 *
 * Locks: none of its own; it calls into the event channels and the timer
 * code, and domain_find (see xeno/vtime.h for what callers may hold).
 */
#include <public/pv_ops.h>
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/domain.h>
#include <xeno/event.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/sched.h>
#include <xeno/timer.h>
#include <xeno/vtime.h>

#define NS_PER_SEC 1000000000ULL

/* §7.12: how far ahead set_timer_op accepts, and what replaces the rest. */
#define SET_TIMER_MAX_AHEAD_NS (1ULL << 50)
#define SET_TIMER_FALLBACK_NS  100000000ULL /* 100 ms */

/* a + b, saturating, so that no deadline wraps into the past. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* ---- publishing time ------------------------------------------------------ */

/*
 * The pvclock scale for a TSC of hz (§4.6): ns = ((delta << shift) * mul)
 * >> 32, with shift negative meaning a right shift. We scale the
 * frequency by powers of two into (1e9, 2e9], which puts mul in
 * [2^31, 2^32): as many significant bits as the 32-bit field holds.
 */
static void tsc_scale(uint64_t hz, uint32_t *mul, int8_t *shift)
{
	uint64_t f = hz != 0 ? hz : NS_PER_SEC;
	int s = 0;

	while (f > 2 * NS_PER_SEC) {
		f >>= 1;
		s--;
	}
	while (f <= NS_PER_SEC) {
		f <<= 1;
		s++;
	}
	*mul = (uint32_t)((NS_PER_SEC << 32) / f);
	*shift = (int8_t)s;
}

/*
 * Writes v's vcpu_time_info under its version protocol: odd while the
 * fields change, even again after, with release ordering between the
 * steps so a guest that sees an even, unchanged version saw consistent
 * fields. The version is derived from what the page holds, so even a
 * guest that scribbled on it gets a correct odd/even sequence.
 */
static void time_write(struct vcpu_time_info *t)
{
	uint64_t tsc, now;
	uint32_t mul, odd;
	int8_t shift;

	arch_time_sample(&tsc, &now);
	tsc_scale(arch_tsc_hz(), &mul, &shift);
	odd = (__atomic_load_n(&t->version, __ATOMIC_RELAXED) + 1) | 1;
	__atomic_store_n(&t->version, odd, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&t->tsc_timestamp, tsc, __ATOMIC_RELAXED);
	__atomic_store_n(&t->system_time, now, __ATOMIC_RELAXED);
	__atomic_store_n(&t->tsc_to_system_mul, mul, __ATOMIC_RELAXED);
	__atomic_store_n(&t->tsc_shift, shift, __ATOMIC_RELAXED);
	__atomic_store_n(&t->flags, (uint8_t)XEN_PVCLOCK_TSC_STABLE_BIT,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&t->version, odd + 1, __ATOMIC_RELEASE);
}

/*
 * The copy at a guest address: version odd, then the fields, then the
 * version even, each a separate store through v's kernel tables, so a
 * guest reader following the protocol never takes a torn copy. A copy
 * the tables do not map writable is skipped.
 */
static void time_copy_out(struct vcpu *v, uint64_t gva)
{
	struct vcpu_time_info t = { 0 };
	uint32_t odd = v->time_gva_version + 1;

	time_write(&t);
	v->time_gva_version += 2;
	if (guest_copy_to_kernel(&v->mm, gva, &odd, sizeof(odd)) != 0) {
		return;
	}
	__atomic_thread_fence(__ATOMIC_RELEASE);
	(void)guest_copy_to_kernel(
		&v->mm, gva + offsetof(struct vcpu_time_info, tsc_timestamp),
		&t.tsc_timestamp,
		sizeof(t) - offsetof(struct vcpu_time_info, tsc_timestamp));
	__atomic_thread_fence(__ATOMIC_RELEASE);
	odd++;
	(void)guest_copy_to_kernel(&v->mm, gva, &odd, sizeof(odd));
}

void vtime_refresh(struct vcpu *v)
{
	uint64_t gva = __atomic_load_n(&v->time_gva, __ATOMIC_ACQUIRE);

	if (v->vcpu_info != NULL) {
		time_write(&v->vcpu_info->time);
	}
	spin_lock(&v->time_lock);
	if (v->time_phys != NULL) {
		time_write(v->time_phys);
	}
	spin_unlock(&v->time_lock);
	if (gva != 0) {
		time_copy_out(v, gva);
	}
}

struct vcpu_time_info *vtime_set_phys(struct vcpu *v,
				      struct vcpu_time_info *area)
{
	struct vcpu_time_info *old;

	spin_lock(&v->time_lock);
	old = v->time_phys;
	v->time_phys = area;
	if (area != NULL) {
		time_write(area);
	}
	spin_unlock(&v->time_lock);
	return old;
}

/* §4.8: the wall-clock time at system time 0, under wc_version. */
void vtime_domain_init(struct domain *d)
{
	struct shared_info *s = d->shared_info;
	uint64_t wc = arch_wallclock_at_boot_ns();
	uint64_t sec = wc / NS_PER_SEC;
	uint32_t odd =
		(__atomic_load_n(&s->wc_version, __ATOMIC_RELAXED) + 1) | 1;

	__atomic_store_n(&s->wc_version, odd, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&s->wc_sec, (uint32_t)sec, __ATOMIC_RELAXED);
	__atomic_store_n(&s->wc_sec_hi, (uint32_t)(sec >> 32),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->wc_nsec, (uint32_t)(wc % NS_PER_SEC),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->wc_version, odd + 1, __ATOMIC_RELEASE);
}

/* ---- the timers' callbacks --------------------------------------------------- */

static void *timer_key(const struct vcpu *v)
{
	return (void *)(((uintptr_t)v->domain->domid << 8) | v->id);
}

/*
 * The vCPU a timer key names, with a reference on its domain that the
 * caller drops with domain_put(); NULL once the domain is shutting down.
 */
static struct vcpu *key_vcpu(void *key)
{
	uintptr_t k = (uintptr_t)key;
	struct domain *d = domain_find((domid_t)(k >> 8));
	unsigned int id = k & 0xff;

	if (d == NULL) {
		return NULL;
	}
	if (id >= d->nr_vcpus || d->vcpu[id] == NULL) {
		domain_put(d);
		return NULL;
	}
	return d->vcpu[id];
}

static bool vcpu_online(const struct vcpu *v)
{
	enum vcpu_state s = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);

	return s != VCPU_OFFLINE && s != VCPU_DEAD;
}

static void sshot_fire(void *key)
{
	struct vcpu *v = key_vcpu(key);

	if (v != NULL) {
		send_virq(v, VIRQ_TIMER);
		domain_put(v->domain);
	}
}

/*
 * The periodic timer re-arms itself one period after its last deadline
 * (or a period from now if it fell behind, so missed ticks are not made
 * up in a burst). It stays quiet and unarmed while the vCPU is offline
 * and when the period was set to 0 meanwhile; vtime_publish() restarts
 * it when the vCPU runs again.
 */
static void periodic_fire(void *key)
{
	struct vcpu *v = key_vcpu(key);
	uint64_t period, next, now;

	if (v == NULL) {
		return;
	}
	period = __atomic_load_n(&v->periodic_ns, __ATOMIC_ACQUIRE);
	if (period != 0 && vcpu_online(v)) {
		send_virq(v, VIRQ_TIMER);
		now = arch_now_ns();
		next = add_sat(v->periodic_timer.deadline, period);
		if (next <= now) {
			next = add_sat(now, period);
		}
		timer_set(&v->periodic_timer, next);
	}
	domain_put(v->domain);
}

/* SCHEDOP_poll's timeout: end the poll and let the vCPU run. */
static void poll_fire(void *key)
{
	struct vcpu *v = key_vcpu(key);

	if (v == NULL) {
		return;
	}
	if (sched_poll_end(v)) {
		vcpu_wake(v);
	}
	domain_put(v->domain);
}

/* ---- vCPU life cycle --------------------------------------------------------- */

void vtime_vcpu_init(struct vcpu *v)
{
	void *key = timer_key(v);

	_Static_assert(MAX_VCPUS <= 256, "timer keys hold 8 bits of vCPU id");
	timer_init(&v->sshot_timer, sshot_fire, key, v->cpu);
	timer_init(&v->periodic_timer, periodic_fire, key, v->cpu);
	timer_init(&v->poll_timer, poll_fire, key, v->cpu);
	spin_lock_init(&v->time_lock, "vcpu time areas", LOCK_RANK_LEAF);
	/* §8.14: armed when the vCPU first runs (vtime_publish). */
	v->periodic_ns = VTIME_DEFAULT_PERIOD_NS;
}

void vtime_vcpu_fini(struct vcpu *v)
{
	timer_stop(&v->sshot_timer);
	timer_stop(&v->periodic_timer);
	timer_stop(&v->poll_timer);
	sched_poll_fini(v);
	vcpu_info_release(v);
	vcpu_areas_release(v);
}

void vtime_vcpu_migrate(struct vcpu *v, unsigned int cpu)
{
	timer_migrate(&v->sshot_timer, cpu);
	timer_migrate(&v->periodic_timer, cpu);
	timer_migrate(&v->poll_timer, cpu);
}

/* Starts the periodic timer of a vCPU that has a period but no tick due. */
static void periodic_ensure(struct vcpu *v)
{
	uint64_t period = __atomic_load_n(&v->periodic_ns, __ATOMIC_ACQUIRE);

	if (period != 0 &&
	    !__atomic_load_n(&v->periodic_timer.active, __ATOMIC_ACQUIRE)) {
		timer_set(&v->periodic_timer, add_sat(arch_now_ns(), period));
	}
}

void vtime_publish(struct vcpu *v)
{
	vtime_vcpu_migrate(v, arch_cpu_id());
	sched_poll_end(v);
	periodic_ensure(v);
	vtime_refresh(v);
}

/* ---- arming the timers -------------------------------------------------------- */

void vtime_set_singleshot(struct vcpu *v, uint64_t deadline_ns)
{
	timer_set(&v->sshot_timer, deadline_ns);
}

void vtime_stop_singleshot(struct vcpu *v)
{
	timer_stop(&v->sshot_timer);
}

/*
 * The period is stored before the timer changes: a periodic_fire()
 * running at the same moment on v's CPU then re-arms with at most one
 * stale tick, which finds the new period (or 0) and follows it.
 */
void vtime_set_periodic(struct vcpu *v, uint64_t period_ns)
{
	__atomic_store_n(&v->periodic_ns, period_ns, __ATOMIC_RELEASE);
	if (period_ns == 0) {
		timer_stop(&v->periodic_timer);
	} else {
		timer_set(&v->periodic_timer,
			  add_sat(arch_now_ns(), period_ns));
	}
}

/*
 * set_timer_op (§7.12): 0 cancels; a deadline that is negative as a
 * signed value, or more than 2^50 ns ahead, becomes now + 100 ms (what
 * guests built against Xen expect); a deadline in the past fires at once.
 */
long do_set_timer_op(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	uint64_t timeout = h->a[0];
	uint64_t now;

	if (timeout == 0) {
		vtime_stop_singleshot(v);
		return 0;
	}
	now = arch_now_ns();
	if ((int64_t)timeout < 0 ||
	    (timeout > now && timeout - now > SET_TIMER_MAX_AHEAD_NS)) {
		timeout = now + SET_TIMER_FALLBACK_NS;
	}
	vtime_set_singleshot(v, timeout);
	return 0;
}
