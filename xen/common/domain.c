/* SPDX-License-Identifier: MIT */
/*
 * Domains and vCPUs (see xeno/domain.h for the life cycle): creation,
 * lookup by id, shutdown, destruction once no CPU runs the domain any
 * more, and the guest console's line buffer.
 *
 * Destruction is deferred: domain_shutdown() takes the vCPUs off the run
 * queues, and every CPU that leaves a vCPU calls domain_reap(), which
 * destroys each shut-down domain none of whose vCPUs is still on a CPU
 * and that no hypercall holds (refs back to 1).
 *
 * Locks: domains_lock (LOCK_RANK_DOMAIN) over the list and the counts;
 * d->lock (LOCK_RANK_DOMAIN, never nested with domains_lock) over the
 * domain's state and its console buffer.
 */
#include <xeno/cmdline.h>
#include <xeno/domain.h>
#include <xeno/domain_build.h>
#include <xeno/errno.h>
#include <xeno/event.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/ptype.h>
#include <xeno/sched.h>
#include <xeno/vtime.h>
#include <xeno/xmalloc.h>

static struct list_head domains = LIST_HEAD_INIT(domains);
static spinlock_t domains_lock = SPINLOCK_INIT("domains", LOCK_RANK_DOMAIN);
static unsigned int nr_alive;
static unsigned int nr_shut_down; /* shut down, not yet destroyed */
static unsigned int nr_crashed;	  /* shut down with SHUTDOWN_crash */
static unsigned int nr_audits;	  /* invariant checks after destroys */
static unsigned int nr_audit_failures;

static bool id_in_use(domid_t id)
{
	struct list_head *p;

	list_for_each(p, &domains)
	{
		if (list_entry(p, struct domain, link)->domid == id) {
			return true;
		}
	}
	return false;
}

static struct vcpu *vcpu_create(struct domain *d, unsigned int id)
{
	struct vcpu *v = xzalloc(sizeof(*v));

	if (v == NULL) {
		return NULL;
	}
	v->domain = d;
	v->id = id;
	v->alive = VCPU_ALIVE;
	v->state = VCPU_OFFLINE;
	list_init(&v->runq);
	mm_vcpu_init(&v->mm, &d->mm, id);
	if (id < XEN_LEGACY_MAX_VCPUS) {
		v->vcpu_info = &d->shared_info->vcpu_info[id];
		/* Events start masked (pv-abi §3.12). */
		v->vcpu_info->evtchn_upcall_mask = 1;
	}
	vtime_vcpu_init(v);
	sched_add_vcpu(v);
	return v;
}

static void vcpu_destroy(struct vcpu *v)
{
	arch_vcpu_destroy(v);
	vtime_vcpu_fini(v);
	mm_vcpu_fini(&v->mm);
	v->alive = 0;
	xfree(v);
}

/*
 * The shared_info page belongs to the domain (it maps it writable) but
 * the hypervisor keeps a general reference of its own, so the page stays
 * even if the guest gives it back.
 */
static int shared_info_alloc(struct domain *d)
{
	struct page_info *pg;
	int rc = mm_domain_alloc(&d->mm, &pg);

	if (rc != 0) {
		return rc;
	}
	if (!page_get(pg, &d->mm)) {
		return -ENOMEM;
	}
	mm_hold_outside_ref(pg);
	d->shared_info_pg = pg;
	d->shared_info = arch_mfn_to_virt(page_to_mfn(pg));
	return 0;
}

/*
 * Frees everything of d but the structure itself. The page tables go in
 * bounded steps (mm_vcpu_release_step, mm_domain_relinquish_step: a big
 * tree's devalidation continues where the step before stopped), with a
 * park point between steps, so that an invariant check or another CPU's
 * quiesce never waits for a whole teardown.
 */
static void domain_release(struct domain *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		if (d->vcpu[i] == NULL) {
			continue;
		}
		while (mm_vcpu_release_step(&d->vcpu[i]->mm) == -EAGAIN) {
			sched_park_point();
		}
		vcpu_destroy(d->vcpu[i]);
	}
	if (d->evtchn != NULL) {
		evtchn_domain_destroy(d);
	}
	if (d->shared_info_pg != NULL) {
		mm_drop_outside_ref(d->shared_info_pg);
		page_put(d->shared_info_pg);
	}
	while (mm_domain_relinquish_step(&d->mm) == -EAGAIN) {
		sched_park_point();
	}
	mm_domain_fini(&d->mm);
}

static void domain_free(struct domain *d)
{
	domain_release(d);
	xfree(d);
}

struct domain *domain_create(domid_t id, const char *name, uint64_t max_pages,
			     unsigned int nr_vcpus, bool privileged,
			     const char **why)
{
	struct domain *d;
	unsigned int i;

	if (nr_vcpus == 0 || nr_vcpus > MAX_VCPUS) {
		*why = "vcpus must be 1..64";
		return NULL;
	}
	d = xzalloc(sizeof(*d));
	if (d == NULL) {
		*why = "no memory for the domain structure";
		return NULL;
	}
	mm_domain_init(&d->mm, id, max_pages);
	d->mm.privileged = privileged;
	d->domid = id;
	d->privileged = privileged;
	d->weight = SCHED_WEIGHT_DEFAULT;
	d->shutdown_code = -1;
	d->refs = 1;
	d->nr_vcpus = nr_vcpus;
	strlcpy(d->name, name, sizeof(d->name));
	spin_lock_init(&d->lock, "domain", LOCK_RANK_DOMAIN);
	spin_lock_init(&d->evtchn_lock, "evtchn", LOCK_RANK_DOMAIN + 1);
	d->created_ns = arch_now_ns();
	if (shared_info_alloc(d) != 0) {
		*why = "no memory for shared_info";
		goto fail;
	}
	vtime_domain_init(d);
	if (evtchn_domain_init(d) != 0) {
		*why = "no memory for event channels";
		goto fail;
	}
	for (i = 0; i < nr_vcpus; i++) {
		d->vcpu[i] = vcpu_create(d, i);
		if (d->vcpu[i] == NULL) {
			*why = "no memory for a vCPU";
			goto fail;
		}
	}
	spin_lock(&domains_lock);
	if (id_in_use(id)) {
		spin_unlock(&domains_lock);
		*why = "domain id in use";
		goto fail;
	}
	list_add_tail(&d->link, &domains);
	nr_alive++;
	spin_unlock(&domains_lock);
	return d;
fail:
	domain_free(d);
	return NULL;
}

void domain_start(struct domain *d)
{
	/* Idle CPUs zero free memory from now on (xeno/frame_alloc.h). */
	frame_scrub_set_test_delay(opt.test_scrub_delay_us * 1000);
	frame_scrub_enable();
	/* vCPU 0 starts; the guest brings the others up (VCPUOP_up). */
	vcpu_up(d->vcpu[0]);
}

static const char *reason_name(unsigned int reason)
{
	static const char *const names[] = {
		"poweroff", "reboot",	"suspend",
		"crash",    "watchdog", "soft_reset",
	};

	if (reason == SHUTDOWN_XENO_DESTROYED) {
		return "destroyed";
	}
	return reason < ARRAY_SIZE(names) ? names[reason] : "unknown";
}

/*
 * Whether a control domain other than d is running (domains_lock held):
 * a domain that asked for a soft reset is kept, with its memory, only
 * for one, which alone could act on it (Xeno has no reset operation: it
 * destroys it with xeno_domctl).
 */
static bool control_domain_other_than(const struct domain *d)
{
	struct list_head *p;

	list_for_each(p, &domains)
	{
		const struct domain *o = list_entry(p, struct domain, link);

		if (o != d && o->privileged && o->state == DOMAIN_RUNNING) {
			return true;
		}
	}
	return false;
}

void domain_shutdown(struct domain *d, unsigned int reason)
{
	bool first;

	spin_lock(&d->lock);
	first = d->state == DOMAIN_RUNNING;
	if (first) {
		/* A code recorded earlier is what the domain reports. */
		if (d->shutdown_code >= 0) {
			reason = (unsigned int)d->shutdown_code;
		}
		d->state = DOMAIN_SHUTDOWN;
		d->shutdown_reason = reason;
		d->held = reason == SHUTDOWN_soft_reset && !d->privileged;
	}
	spin_unlock(&d->lock);
	if (!first) {
		return;
	}
	/* Flush a partial console line so nothing the guest said is lost. */
	domain_console_write(d, "", 0);
	if (d->con_len != 0) {
		domain_console_write(d, "\n", 1);
	}
	printk(LOG_INFO, "xeno: domain %u (%s) shut down: %s\n", d->domid,
	       d->name, reason_name(reason));
	printk(LOG_ERR, "XENO-DOMAIN d%u %s reason=%s\n", d->domid, d->name,
	       reason_name(reason));
	spin_lock(&domains_lock);
	nr_shut_down++;
	nr_crashed += reason == SHUTDOWN_crash;
	spin_unlock(&domains_lock);
	sched_remove_domain(d);
	send_global_virq(VIRQ_DOM_EXC);
}

static struct domain *find(domid_t id, bool shut_down_too)
{
	struct list_head *p;
	struct domain *found = NULL;

	spin_lock(&domains_lock);
	list_for_each(p, &domains)
	{
		struct domain *d = list_entry(p, struct domain, link);

		if (d->domid == id &&
		    (d->state == DOMAIN_RUNNING ||
		     (shut_down_too && d->state == DOMAIN_SHUTDOWN))) {
			__atomic_fetch_add(&d->refs, 1, __ATOMIC_ACQ_REL);
			found = d;
			break;
		}
	}
	spin_unlock(&domains_lock);
	return found;
}

struct domain *domain_find(domid_t id)
{
	return find(id, false);
}

struct domain *domain_find_any(domid_t id)
{
	return find(id, true);
}

bool domain_dying(domid_t id)
{
	struct list_head *p;
	bool dying = false;

	spin_lock(&domains_lock);
	list_for_each(p, &domains)
	{
		struct domain *d = list_entry(p, struct domain, link);

		if (d->domid == id && d->state == DOMAIN_DEAD) {
			dying = true;
		}
	}
	spin_unlock(&domains_lock);
	return dying;
}

void domain_put(struct domain *d)
{
	unsigned int left = __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL);

	BUG_ON(left == 0);
}

/* A shut-down domain nothing runs or holds any more, taken off the list. */
static struct domain *take_reapable(void)
{
	struct list_head *p;

	spin_lock(&domains_lock);
	list_for_each(p, &domains)
	{
		struct domain *d = list_entry(p, struct domain, link);

		if (d->state == DOMAIN_SHUTDOWN &&
		    !(d->held && control_domain_other_than(d)) &&
		    __atomic_load_n(&d->refs, __ATOMIC_ACQUIRE) == 1 &&
		    !sched_domain_running(d)) {
			d->state = DOMAIN_DEAD;
			nr_shut_down--;
			spin_unlock(&domains_lock);
			return d;
		}
	}
	spin_unlock(&domains_lock);
	return NULL;
}

#ifdef XENO_DEBUG
/* Runs with every other CPU parked (sched_quiesce_run). */
static void audit_all(void *arg)
{
	int *rc = arg;

	frame_cache_drain_all();
	*rc = frame_alloc_audit();
	if (*rc == 0) {
		*rc = mm_audit();
	}
}
#endif

/*
 * Debug builds check the invariants (frame allocator and reference
 * counts recomputed from scratch) after every destruction, with the
 * other CPUs parked so that nothing changes frames meanwhile. A failure
 * is counted; domains_all_gone() then ends the run as failed.
 */
static void audit_after_destroy(domid_t id)
{
#ifdef XENO_DEBUG
	int rc = 0;

	sched_quiesce_run(audit_all, &rc);
	__atomic_fetch_add(&nr_audits, 1, __ATOMIC_RELAXED);
	if (rc != 0) {
		__atomic_fetch_add(&nr_audit_failures, 1, __ATOMIC_RELAXED);
	}
	printk(rc ? LOG_ERR : LOG_INFO,
	       "XENO-CHECK destroy d%u invariants %s free=%lu\n", id,
	       rc ? "FAIL" : "PASS", frame_free_count());
#else
	(void)id;
#endif
}

/*
 * Frees a domain marked DOMAIN_DEAD (no CPU runs it, no reference left
 * but the list's). It stays on the list, where domain_find() skips it
 * but its id stays taken and domain_dying() sees it, until its frames
 * are back in the free pool. Returns whether it was the last domain.
 */
static bool destroy_dead(struct domain *d)
{
	uint64_t frames = d->mm.tot_pages;
	domid_t id = d->domid;
	bool last;

	domain_release(d);
	spin_lock(&domains_lock);
	list_del(&d->link);
	nr_alive--;
	last = nr_alive == 0;
	spin_unlock(&domains_lock);
	xfree(d);
	printk(LOG_INFO, "xeno: domain %u destroyed, %lu frames returned\n", id,
	       frames);
	audit_after_destroy(id);
	return last;
}

void domain_reap(void)
{
	struct domain *d;
	bool last = false;

	if (__atomic_load_n(&nr_shut_down, __ATOMIC_ACQUIRE) == 0) {
		return;
	}
	while ((d = take_reapable()) != NULL) {
		last = destroy_dead(d);
	}
	if (last) {
		domains_all_gone();
	}
}

/*
 * The domain control destroy: shut d down, wait until no CPU runs it and
 * no one else holds it, and destroy it here, so that its frames are free
 * when the caller's hypercall returns. The caller's reference (from
 * domain_find_any) keeps the reaper away meanwhile.
 */
int domain_destroy(struct domain *d)
{
	bool first;

	spin_lock(&d->lock);
	first = !d->destroying;
	d->destroying = true;
	spin_unlock(&d->lock);
	if (!first) {
		domain_put(d);
		return -ESRCH; /* another caller destroys it */
	}
	domain_shutdown(d, SHUTDOWN_XENO_DESTROYED);
	sched_wait_domain_off(d);
	while (__atomic_load_n(&d->refs, __ATOMIC_ACQUIRE) != 2) {
		sched_park_point();
		arch_cpu_relax();
	}
	spin_lock(&domains_lock);
	BUG_ON(d->state != DOMAIN_SHUTDOWN);
	d->state = DOMAIN_DEAD;
	nr_shut_down--;
	spin_unlock(&domains_lock);
	domain_put(d);
	if (destroy_dead(d)) {
		domains_all_gone();
	}
	return 0;
}

int domain_pause(struct domain *d)
{
	unsigned int i;

	spin_lock(&d->lock);
	if (d->state != DOMAIN_RUNNING) {
		spin_unlock(&d->lock);
		return -EINVAL;
	}
	d->paused = true;
	spin_unlock(&d->lock);
	for (i = 0; i < d->nr_vcpus; i++) {
		sched_pause_vcpu(d->vcpu[i]);
	}
	sched_wait_domain_off(d);
	return 0;
}

int domain_resume(struct domain *d)
{
	unsigned int i;

	spin_lock(&d->lock);
	if (d->state != DOMAIN_RUNNING) {
		spin_unlock(&d->lock);
		return -EINVAL;
	}
	d->paused = false;
	spin_unlock(&d->lock);
	for (i = 0; i < d->nr_vcpus; i++) {
		sched_unpause_vcpu(d->vcpu[i]);
	}
	return 0;
}

domid_t domain_free_id(void)
{
	domid_t id;

	spin_lock(&domains_lock);
	for (id = 1; id < DOMID_FIRST_RESERVED && id_in_use(id); id++) {
	}
	spin_unlock(&domains_lock);
	return id;
}

unsigned int domain_audits(void)
{
	return __atomic_load_n(&nr_audits, __ATOMIC_RELAXED);
}

unsigned int domain_audit_failures(void)
{
	return __atomic_load_n(&nr_audit_failures, __ATOMIC_RELAXED);
}

unsigned int domains_crashed(void)
{
	return __atomic_load_n(&nr_crashed, __ATOMIC_ACQUIRE);
}

unsigned int domains_alive(void)
{
	return __atomic_load_n(&nr_alive, __ATOMIC_ACQUIRE);
}

/* ---- the guest console ------------------------------------------------ */

static void con_flush(struct domain *d)
{
	d->con_buf[d->con_len] = '\0';
	printk(LOG_ERR, "(d%u) %s\n", d->domid, d->con_buf);
	d->con_len = 0;
}

/*
 * Printable characters and tabs are kept; a newline ends a line; other
 * control characters are dropped so a guest cannot drive the terminal.
 * Lines longer than the buffer are split.
 */
void domain_console_write(struct domain *d, const char *s, size_t n)
{
	size_t i;

	spin_lock(&d->lock);
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\n') {
			con_flush(d);
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			continue;
		}
		d->con_buf[d->con_len++] = c;
		if (d->con_len == sizeof(d->con_buf) - 1) {
			con_flush(d);
		}
	}
	spin_unlock(&d->lock);
}

void domain_destroy_unstarted(struct domain *d)
{
	spin_lock(&domains_lock);
	list_del(&d->link);
	nr_alive--;
	spin_unlock(&domains_lock);
	domain_free(d);
}
