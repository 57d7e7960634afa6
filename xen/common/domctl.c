/* SPDX-License-Identifier: MIT */
/*
 * xeno_domctl (hypercall 65, public/xeno.h): the control domain creates,
 * destroys, pauses and resumes domains, sets their weights and reads
 * their accounting. Each command decodes and checks its whole argument
 * first (nothing changes on a refusal), then acts.
 *
 * Rules:
 *  - Only a privileged domain may call it (-EPERM, before arg is read).
 *  - A domain id is DOMID_SELF or an ordinary id (< DOMID_FIRST_RESERVED)
 *    of a domain that exists; anything else is -ESRCH.
 *  - Creation is serialised (create_busy): the id is chosen and used by
 *    one creator at a time. A creator waits for another at a park point,
 *    so a CPU stopping the others for an invariant check is never held
 *    up by the wait.
 *  - Destruction, pause and creation with a CPU placement all happen
 *    before the hypercall returns (docs/domains.md "Domain control").
 *
 * Locks: none held here; domain.c and sched.c take theirs.
 */
#include <public/xeno.h>
#include <xeno/arch.h>
#include <xeno/domain.h>
#include <xeno/domain_build.h>
#include <xeno/errno.h>
#include <xeno/frame_alloc.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/sched.h>
#include <xeno/xmalloc.h>

#define MIN_MEM	   (1ULL << 20)
#define MAX_MAXMEM (1ULL << 40)
#define MAX_WEIGHT 65535

static unsigned int create_busy;

/* ---- domain ids ------------------------------------------------------- */

/* The domain id names, with a reference; -ESRCH if none. */
static long find_target(struct domain *caller, uint16_t id, bool shut_down_too,
			struct domain **out)
{
	if (id == DOMID_SELF) {
		id = caller->domid;
	}
	if (id >= DOMID_FIRST_RESERVED) {
		return -ESRCH;
	}
	*out = shut_down_too ? domain_find_any(id) : domain_find(id);
	if (*out != NULL) {
		return 0;
	}
	/* -ESRCH promises the domain's frames are back: wait for that. */
	while (domain_dying(id)) {
		sched_park_point();
		arch_cpu_relax();
	}
	return -ESRCH;
}

/* ---- create ------------------------------------------------------------ */

static bool string_ok(const char *s, size_t size, size_t min_len)
{
	size_t n = strnlen(s, size);
	size_t i;

	if (n == size || n < min_len) {
		return false;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			return false;
		}
	}
	return true;
}

/* Every check of XENO_DOMCTL_create that needs no memory. */
static long create_check(const struct xeno_domctl_create *c)
{
	uint64_t maxmem = c->maxmem ? c->maxmem : c->mem;

	if (c->pad != 0 || (c->flags & ~XENO_DOMCTL_CREATE_PAUSED) != 0) {
		return -EINVAL;
	}
	if (c->module >= dom0less_nr_images()) {
		return -EINVAL;
	}
	if (!string_ok(c->name, sizeof(c->name), 1) ||
	    !string_ok(c->cmdline, sizeof(c->cmdline), 0)) {
		return -EINVAL;
	}
	if (c->mem < MIN_MEM || maxmem < c->mem || maxmem > MAX_MAXMEM) {
		return -EINVAL;
	}
	if (c->vcpus == 0 || c->vcpus > MAX_VCPUS || c->weight > MAX_WEIGHT) {
		return -EINVAL;
	}
	if (c->cpu != XENO_DOMCTL_CPU_ANY && c->cpu >= arch_nr_cpus()) {
		return -EINVAL;
	}
	/* More than the machine has can never be built. */
	if ((c->mem >> PAGE_SHIFT) > frame_total_count()) {
		return -ENOMEM;
	}
	return 0;
}

static void config_from(struct domain_config *cfg,
			const struct xeno_domctl_create *c)
{
	const void *image;
	size_t size;

	memset(cfg, 0, sizeof(*cfg));
	strlcpy(cfg->name, c->name, sizeof(cfg->name));
	strlcpy(cfg->cmdline, c->cmdline, sizeof(cfg->cmdline));
	cfg->mem = c->mem;
	cfg->maxmem = c->maxmem ? c->maxmem : c->mem;
	cfg->vcpus = c->vcpus;
	cfg->weight = c->weight ? c->weight : SCHED_WEIGHT_DEFAULT;
	BUG_ON(dom0less_image(c->module, &image, &size) != 0);
	cfg->image = image;
	cfg->image_size = size;
}

/* Places every vCPU of the new, unstarted d on cpu's queue. */
static void place(struct domain *d, uint32_t cpu)
{
	unsigned int i;

	if (cpu == XENO_DOMCTL_CPU_ANY) {
		return;
	}
	for (i = 0; i < d->nr_vcpus; i++) {
		BUG_ON(sched_place_vcpu(d->vcpu[i], cpu) != 0);
	}
}

/* Builds and starts the domain; under create_busy. */
static long create_locked(struct domain_config *cfg,
			  const struct xeno_domctl_create *c, domid_t *id)
{
	struct domain *d;
	const char *why;
	unsigned int i;
	long rc;

	cfg->id = domain_free_id();
	if (cfg->id >= DOMID_FIRST_RESERVED) {
		return -ENOSPC;
	}
	rc = domain_build(cfg, &d, &why);
	if (rc != 0) {
		printk(LOG_DEBUG, "domctl: create %s: %s\n", cfg->name, why);
		return rc == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	place(d, c->cpu);
	if (c->flags & XENO_DOMCTL_CREATE_PAUSED) {
		d->paused = true;
		for (i = 0; i < d->nr_vcpus; i++) {
			sched_pause_vcpu(d->vcpu[i]);
		}
	}
	printk(LOG_INFO, "xeno: domain %u (%s) created by dom0: %lu KiB\n",
	       d->domid, d->name, cfg->mem >> 10);
	*id = d->domid;
	domain_start(d);
	return 0;
}

static long domctl_create(uint64_t arg)
{
	struct xeno_domctl_create c;
	struct domain_config *cfg;
	domid_t id = DOMID_INVALID;
	long rc;

	if (guest_copy_from(&c, arg, sizeof(c)) != 0 ||
	    guest_copy_to(arg, &c, sizeof(c)) != 0) {
		return -EFAULT;
	}
	rc = create_check(&c);
	if (rc != 0) {
		return rc;
	}
	cfg = xmalloc(sizeof(*cfg));
	if (cfg == NULL) {
		return -ENOMEM;
	}
	config_from(cfg, &c);
	while (__atomic_exchange_n(&create_busy, 1, __ATOMIC_ACQUIRE) != 0) {
		sched_park_point();
		arch_cpu_relax();
	}
	rc = create_locked(cfg, &c, &id);
	__atomic_store_n(&create_busy, 0, __ATOMIC_RELEASE);
	xfree(cfg);
	if (rc != 0) {
		return rc;
	}
	c.domid = id;
	return guest_copy_to(arg, &c, sizeof(c)) ? -EFAULT : 0;
}

/* ---- destroy, pause, unpause, set_weight ------------------------------- */

static long read_domain_arg(uint64_t arg, struct xeno_domctl_domain *a,
			    bool has_value)
{
	if (guest_copy_from(a, arg, sizeof(*a)) != 0) {
		return -EFAULT;
	}
	if (a->pad != 0 || (!has_value && a->value != 0)) {
		return -EINVAL;
	}
	return 0;
}

static long domctl_destroy(struct domain *caller, uint64_t arg)
{
	struct xeno_domctl_domain a;
	struct domain *d;
	long rc = read_domain_arg(arg, &a, false);

	if (rc == 0) {
		rc = find_target(caller, a.domid, true, &d);
	}
	if (rc != 0) {
		return rc;
	}
	if (d == caller || d->privileged) {
		domain_put(d);
		return d == caller ? -EINVAL : -EPERM;
	}
	return domain_destroy(d);
}

static long domctl_pause(struct domain *caller, uint64_t arg, bool pause)
{
	struct xeno_domctl_domain a;
	struct domain *d;
	long rc = read_domain_arg(arg, &a, false);

	if (rc == 0) {
		rc = find_target(caller, a.domid, false, &d);
	}
	if (rc != 0) {
		return rc;
	}
	if (d == caller) {
		rc = -EINVAL;
	} else {
		rc = pause ? domain_pause(d) : domain_resume(d);
	}
	domain_put(d);
	return rc;
}

static long domctl_set_weight(struct domain *caller, uint64_t arg)
{
	struct xeno_domctl_domain a;
	struct domain *d;
	long rc = read_domain_arg(arg, &a, true);

	if (rc == 0 && (a.value == 0 || a.value > MAX_WEIGHT)) {
		rc = -EINVAL;
	}
	if (rc == 0) {
		rc = find_target(caller, a.domid, false, &d);
	}
	if (rc != 0) {
		return rc;
	}
	__atomic_store_n(&d->weight, a.value, __ATOMIC_RELAXED);
	domain_put(d);
	return 0;
}

/* ---- getinfo, sysinfo ---------------------------------------------------- */

static uint32_t dom_state(const struct domain *d)
{
	if (d->state != DOMAIN_RUNNING) {
		return XENO_DOMSTATE_shutdown;
	}
	return d->paused ? XENO_DOMSTATE_paused : XENO_DOMSTATE_running;
}

/* Writes the vCPU entries and sums their CPU time into info. */
static long put_vcpus(struct domain *d, struct xeno_domctl_getinfo *info)
{
	unsigned int i;

	info->cpu_time_ns = 0;
	for (i = 0; i < d->nr_vcpus; i++) {
		struct sched_vcpu_times t;
		struct xeno_domctl_vcpuinfo vi;

		sched_vcpu_times(d->vcpu[i], &t);
		info->cpu_time_ns += t.cpu_time_ns;
		if (i >= info->max_vcpus) {
			continue;
		}
		vi.cpu_time_ns = t.cpu_time_ns;
		memcpy(vi.runstate_time, t.state_time,
		       sizeof(vi.runstate_time));
		vi.state = t.state;
		vi.cpu = t.cpu;
		if (guest_copy_to(info->vcpus + i * sizeof(vi), &vi,
				  sizeof(vi)) != 0) {
			return -EFAULT;
		}
	}
	return 0;
}

static long domctl_getinfo(struct domain *caller, uint64_t arg)
{
	struct xeno_domctl_getinfo info;
	struct domain *d;
	long rc;

	if (guest_copy_from(&info, arg, sizeof(info)) != 0) {
		return -EFAULT;
	}
	if (info.pad != 0) {
		return -EINVAL;
	}
	rc = find_target(caller, info.domid, true, &d);
	if (rc != 0) {
		return rc;
	}
	info.state = dom_state(d);
	info.shutdown_reason =
		info.state == XENO_DOMSTATE_shutdown ? d->shutdown_reason : 0;
	info.nr_vcpus = d->nr_vcpus;
	info.weight = d->weight;
	info.tot_pages = d->mm.tot_pages;
	info.max_pages = d->mm.max_pages;
	info.created_ns = d->created_ns;
	info.flags = d->privileged ? XENO_DOMINFO_PRIVILEGED : 0;
	info.pad2 = 0;
	memset(info.name, 0, sizeof(info.name));
	strlcpy(info.name, d->name, sizeof(info.name));
	rc = put_vcpus(d, &info);
	domain_put(d);
	if (rc == 0 && guest_copy_to(arg, &info, sizeof(info)) != 0) {
		rc = -EFAULT;
	}
	return rc;
}

static long domctl_sysinfo(uint64_t arg)
{
	struct xeno_domctl_sysinfo s;
	struct sched_stats st;

	sched_stats_read(&st);
	memset(&s, 0, sizeof(s));
	s.free_frames = frame_free_count();
	s.total_frames = frame_total_count();
	s.heap_frames = xmalloc_slab_frames();
	s.steals = st.steals;
	s.switches = st.switches;
	s.nr_cpus = arch_nr_cpus();
	s.nr_domains = domains_alive();
	s.nr_modules = dom0less_nr_images();
	s.audits = domain_audits();
	s.late_slices = (uint32_t)st.late_slices;
	s.stalled_ns = st.stalled_ns;
	s.stalls = st.stalls;
#ifdef XENO_DEBUG
	s.flags = XENO_SYSINFO_DEBUG;
#endif
	return guest_copy_to(arg, &s, sizeof(s)) ? -EFAULT : 0;
}

/* ---- the hypercall -------------------------------------------------------- */

long do_xeno_domctl(struct hcall_args *h)
{
	struct domain *caller = current_vcpu()->domain;
	uint64_t arg = h->a[1];

	if (!caller->privileged) {
		return -EPERM;
	}
	switch (h->a[0]) {
	case XENO_DOMCTL_create:
		return domctl_create(arg);
	case XENO_DOMCTL_destroy:
		return domctl_destroy(caller, arg);
	case XENO_DOMCTL_pause:
		return domctl_pause(caller, arg, true);
	case XENO_DOMCTL_unpause:
		return domctl_pause(caller, arg, false);
	case XENO_DOMCTL_set_weight:
		return domctl_set_weight(caller, arg);
	case XENO_DOMCTL_getinfo:
		return domctl_getinfo(caller, arg);
	case XENO_DOMCTL_sysinfo:
		return domctl_sysinfo(arg);
	default:
		return -ENOSYS;
	}
}
