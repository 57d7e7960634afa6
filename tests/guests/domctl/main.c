/* SPDX-License-Identifier: MIT */
/*
 * Domain control from dom0 (xeno_domctl, docs/domains.md "Domain
 * control"): create, destroy mid-run, pause and unpause, weights,
 * getinfo and sysinfo, and every bad input with its exact error.
 *
 * The same image is dom0 (SIF_INITDOMAIN: runs the tests) and every
 * domain dom0 creates (built from boot module 0, this image); a child's
 * command line says what it does:
 *
 *   spin    loop on the CPU until destroyed
 *   tick    sleep 1 ms at a time, forever (blocks, wakes on its timer)
 *   dirty   fill every page after the boot stack with PATTERN, power off
 *   scan    check no page after the boot stack holds PATTERN, power off
 *   noperm  check that xeno_domctl refuses a domU (-EPERM), power off
 *
 * The case boots a second module that is not a PV image (module 1) for
 * the builder's refusal. Xeno checks the invariants after every destroy
 * (debug builds) and after the last domain.
 */
#include <libpv.h>

#define MiB	       (1024ULL * 1024)
#define MS	       (1000ULL * 1000)
#define SELF_MODULE    0
#define BAD_MODULE     1
#define CHILD_MEM      (4 * MiB)
#define WAIT_NS	       (20000 * MS) /* liveness bound of every wait */
#define PATTERN	       0x5a17c0de5a17c0deULL
#define NO_SUCH_DOMAIN 777

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static uint8_t window[4096] __attribute__((aligned(4096)));

/* ---- children ------------------------------------------------------------ */

static void child_spin(void)
{
	for (;;) {
		__asm__ volatile("pause");
	}
}

static void child_tick(void)
{
	for (;;) {
		pv_sleep_ns(1 * MS);
	}
}

/* The first pfn after the bootstrap page tables and the boot stack. */
static uint64_t first_free_pfn(void)
{
	return pv_va_to_pfn((const void *)start_info->pt_base) +
	       start_info->nr_pt_frames + 1;
}

/*
 * Maps each free page at window in turn and runs fn on it. Returns the
 * number of pages fn returned true for.
 */
static uint64_t for_each_free_page(bool (*fn)(uint64_t *page))
{
	uint64_t own = pv_va_to_mfn(window), pfn, hits = 0;

	for (pfn = first_free_pfn(); pfn < start_info->nr_pages; pfn++) {
		if (pv_map_page((uint64_t)window, pv_pfn_to_mfn(pfn),
				PV_PTE_DATA) != 0) {
			pv_crash("cannot map pfn %lu", (unsigned long)pfn);
		}
		hits += fn((uint64_t *)window);
	}
	pv_map_page((uint64_t)window, own, PV_PTE_DATA);
	return hits;
}

static bool fill(uint64_t *page)
{
	unsigned int i;

	for (i = 0; i < 512; i++) {
		page[i] = PATTERN;
	}
	return true;
}

static bool holds_pattern(uint64_t *page)
{
	unsigned int i;

	for (i = 0; i < 512; i++) {
		if (page[i] == PATTERN) {
			return true;
		}
	}
	return false;
}

static void child_dirty(void)
{
	uint64_t n = for_each_free_page(fill);

	printf("dirty: %lu pages filled\n", (unsigned long)n);
}

static void child_scan(void)
{
	uint64_t n;

	pv_test_begin("domctl.scan_no_leak");
	n = for_each_free_page(holds_pattern);
	PV_CHECK_EQ(n, 0);
	pv_test_end();
}

/* A domU may not use xeno_domctl at all: -EPERM before arg is read. */
static void child_noperm(void)
{
	struct xeno_domctl_sysinfo s;
	struct xeno_domctl_getinfo info;
	unsigned int cmd;

	pv_test_begin("domctl.noperm");
	for (cmd = XENO_DOMCTL_create; cmd <= XENO_DOMCTL_sysinfo; cmd++) {
		PV_CHECK_EQ(HYPERVISOR_xeno_domctl(cmd, NULL), -EPERM);
	}
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(1000, NULL), -EPERM);
	PV_CHECK_EQ(pv_domctl_sysinfo(&s), -EPERM);
	PV_CHECK_EQ(pv_domctl_getinfo(DOMID_SELF, &info, NULL, 0), -EPERM);
	PV_CHECK_EQ(pv_domctl_destroy(0), -EPERM);
	PV_CHECK_EQ(pv_domctl_pause(0), -EPERM);
	PV_CHECK_EQ(pv_domctl_create("x", SELF_MODULE, CHILD_MEM, "spin", NULL,
				     NULL),
		    -EPERM);
	pv_test_end();
}

static int run_child(const char *what)
{
	if (strcmp(what, "spin") == 0) {
		child_spin();
	} else if (strcmp(what, "tick") == 0) {
		child_tick();
	} else if (strcmp(what, "dirty") == 0) {
		child_dirty();
	} else if (strcmp(what, "scan") == 0) {
		child_scan();
	} else if (strcmp(what, "noperm") == 0) {
		child_noperm();
	} else {
		printf("unknown child command '%s'\n", what);
		return 1;
	}
	return 0;
}

/* ---- dom0's helpers ---------------------------------------------------------- */

static struct xeno_domctl_sysinfo sysinfo(void)
{
	struct xeno_domctl_sysinfo s;

	memset(&s, 0, sizeof(s));
	PV_CHECK_OK(pv_domctl_sysinfo(&s));
	return s;
}

static uint64_t free_frames(void)
{
	return sysinfo().free_frames;
}

static domid_t spawn(const char *name, const char *cmd)
{
	domid_t id = 0;

	PV_CHECK_OK(
		pv_domctl_create(name, SELF_MODULE, CHILD_MEM, cmd, NULL, &id));
	return id;
}

/* Waits until id has used at least ns of CPU time; false on timeout. */
static bool wait_cpu_time(domid_t id, uint64_t ns)
{
	uint64_t until = pv_now_ns() + WAIT_NS, t;

	while ((t = pv_domctl_cpu_time(id)) < ns || t == ~0ULL) {
		if (t == ~0ULL || pv_now_ns() >= until) {
			return false;
		}
		pv_sleep_ns(1 * MS);
	}
	return true;
}

/* ---- dom0's tests ----------------------------------------------------------- */

static void test_sysinfo(void)
{
	struct xeno_domctl_sysinfo s;

	pv_test_begin("domctl.sysinfo");
	s = sysinfo();
	PV_CHECK_GE(s.nr_cpus, 1);
	PV_CHECK_EQ(s.nr_domains, 1);
	PV_CHECK_EQ(s.nr_modules, 2);
	PV_CHECK_GT(s.free_frames, 0);
	PV_CHECK_LT(s.free_frames, s.total_frames);
	pv_test_end();
}

static void test_getinfo_self(void)
{
	struct xeno_domctl_getinfo info;
	struct xeno_domctl_vcpuinfo v[2];

	pv_test_begin("domctl.getinfo_self");
	memset(v, 0xff, sizeof(v));
	PV_CHECK_OK(pv_domctl_getinfo(DOMID_SELF, &info, v, 2));
	PV_CHECK_EQ(info.domid, DOMID_SELF); /* as asked; not rewritten */
	PV_CHECK_EQ(info.state, XENO_DOMSTATE_running);
	PV_CHECK_EQ(info.flags, XENO_DOMINFO_PRIVILEGED);
	PV_CHECK_EQ(info.nr_vcpus, 1);
	PV_CHECK_EQ(info.weight, 256);
	PV_CHECK_EQ(info.tot_pages, start_info->nr_pages + 1);
	PV_CHECK_STREQ(info.name, "dom0");
	PV_CHECK_EQ(v[0].state, RUNSTATE_running);
	PV_CHECK_GT(v[0].cpu_time_ns, 0);
	PV_CHECK_GT(v[0].runstate_time[RUNSTATE_running], 0);
	PV_CHECK_EQ(info.cpu_time_ns, v[0].cpu_time_ns);
	/* Only max_vcpus entries are written. */
	PV_CHECK_EQ(v[1].state, 0xffffffffu);
	pv_test_end();
}

/* Create a guest, let it run, destroy it mid-run: nothing is lost. */
static void test_create_destroy(void)
{
	struct xeno_domctl_getinfo info;
	struct xeno_domctl_vcpuinfo v;
	struct xeno_domctl_sysinfo s0, s1;
	domid_t id;

	pv_test_begin("domctl.create_destroy_midrun");
	s0 = sysinfo();
	id = spawn("spinner", "spin");
	PV_CHECK_EQ(id, 1);
	PV_CHECK_OK(pv_domctl_getinfo(id, &info, &v, 1));
	PV_CHECK_EQ(info.state, XENO_DOMSTATE_running);
	PV_CHECK_EQ(info.tot_pages, CHILD_MEM / 4096 + 1);
	PV_CHECK_EQ(info.max_pages, CHILD_MEM / 4096 + 1);
	PV_CHECK_EQ(info.flags, 0);
	PV_CHECK_STREQ(info.name, "spinner");
	PV_CHECK_EQ(sysinfo().nr_domains, 2);
	PV_CHECK(wait_cpu_time(id, 30 * MS), "the guest never ran 30 ms");
	PV_CHECK_OK(pv_domctl_getinfo(id, &info, &v, 1));
	PV_CHECK(v.state == RUNSTATE_running || v.state == RUNSTATE_runnable,
		 "spinner state %u", v.state);
	PV_CHECK_OK(pv_domctl_destroy(id));
	PV_CHECK_EQ(pv_domctl_getinfo(id, &info, NULL, 0), -ESRCH);
	PV_CHECK_EQ(pv_domctl_destroy(id), -ESRCH);
	s1 = sysinfo();
	PV_CHECK_EQ(s1.free_frames, s0.free_frames);
	PV_CHECK_EQ(s1.nr_domains, 1);
	if (s0.flags & XENO_SYSINFO_DEBUG) {
		PV_CHECK_EQ(s1.audits, s0.audits + 1);
	}
	pv_test_end();
}

/* The same, ten times over, with ids reused and a 2-vCPU guest. */
static void test_create_destroy_repeat(void)
{
	struct pv_domctl_opts o = { .vcpus = 2, .weight = 100 };
	struct xeno_domctl_getinfo info;
	uint64_t free0;
	unsigned int i;
	domid_t id;

	pv_test_begin("domctl.create_destroy_x10");
	free0 = free_frames();
	for (i = 0; i < 10; i++) {
		id = 0;
		PV_CHECK_OK(pv_domctl_create("again", SELF_MODULE, 8 * MiB,
					     "spin", &o, &id));
		PV_CHECK_EQ(id, 1);
		PV_CHECK_OK(pv_domctl_getinfo(id, &info, NULL, 0));
		PV_CHECK_EQ(info.nr_vcpus, 2);
		PV_CHECK_EQ(info.weight, 100);
		pv_sleep_ns(i * MS);
		PV_CHECK_OK(pv_domctl_destroy(id));
		PV_CHECK_EQ(free_frames(), free0);
	}
	pv_test_end();
}

/*
 * A paused vCPU is offline, unless it was blocked waiting for an event
 * when the pause came (then it stays blocked, as in Xen).
 */
static void check_paused(domid_t id, bool may_block)
{
	struct xeno_domctl_getinfo info;
	struct xeno_domctl_vcpuinfo v;

	PV_CHECK_OK(pv_domctl_getinfo(id, &info, &v, 1));
	PV_CHECK_EQ(info.state, XENO_DOMSTATE_paused);
	PV_CHECK(v.state == RUNSTATE_offline ||
			 (may_block && v.state == RUNSTATE_blocked),
		 "paused vCPU in state %u", v.state);
}

/* A paused guest uses no CPU; unpaused, it runs again. */
static void test_pause(const char *what)
{
	bool blocks = strcmp(what, "tick") == 0;
	char name[40];
	uint64_t t1;
	domid_t id;

	snprintf(name, sizeof(name), "domctl.pause_%s", what);
	pv_test_begin(name);
	id = spawn(what, what);
	PV_CHECK(wait_cpu_time(id, 5 * MS), "the guest never ran");
	PV_CHECK_OK(pv_domctl_pause(id));
	check_paused(id, blocks);
	t1 = pv_domctl_cpu_time(id);
	pv_sleep_ns(30 * MS);
	PV_CHECK_EQ(pv_domctl_cpu_time(id), t1);
	check_paused(id, blocks);
	PV_CHECK_OK(pv_domctl_pause(id)); /* pauses do not nest */
	PV_CHECK_OK(pv_domctl_unpause(id));
	PV_CHECK(wait_cpu_time(id, t1 + 2 * MS), "no CPU after unpause");
	PV_CHECK_OK(pv_domctl_unpause(id)); /* not paused: nothing to do */
	PV_CHECK_OK(pv_domctl_destroy(id));
	pv_test_end();
}

/* Created paused: it does not run until unpaused. */
static void test_create_paused(void)
{
	struct pv_domctl_opts o = { .flags = XENO_DOMCTL_CREATE_PAUSED };
	domid_t id = 0;

	pv_test_begin("domctl.create_paused");
	PV_CHECK_OK(pv_domctl_create("later", SELF_MODULE, CHILD_MEM, "spin",
				     &o, &id));
	check_paused(id, false);
	pv_sleep_ns(20 * MS);
	PV_CHECK_EQ(pv_domctl_cpu_time(id), 0);
	PV_CHECK_OK(pv_domctl_unpause(id));
	PV_CHECK(wait_cpu_time(id, 2 * MS), "no CPU after unpause");
	PV_CHECK_OK(pv_domctl_destroy(id));
	pv_test_end();
}

static void test_set_weight(void)
{
	struct xeno_domctl_getinfo info;
	domid_t id;

	pv_test_begin("domctl.set_weight");
	id = spawn("weighty", "tick");
	PV_CHECK_OK(pv_domctl_set_weight(id, 1));
	PV_CHECK_OK(pv_domctl_getinfo(id, &info, NULL, 0));
	PV_CHECK_EQ(info.weight, 1);
	PV_CHECK_OK(pv_domctl_set_weight(id, 65535));
	PV_CHECK_OK(pv_domctl_getinfo(id, &info, NULL, 0));
	PV_CHECK_EQ(info.weight, 65535);
	PV_CHECK_EQ(pv_domctl_set_weight(id, 0), -EINVAL);
	PV_CHECK_EQ(pv_domctl_set_weight(id, 65536), -EINVAL);
	PV_CHECK_OK(pv_domctl_getinfo(id, &info, NULL, 0));
	PV_CHECK_EQ(info.weight, 65535);
	PV_CHECK_OK(pv_domctl_destroy(id));
	pv_test_end();
}

/* Ids that name no domain, and the caller itself. */
static void test_bad_ids(void)
{
	static const domid_t bad[] = { NO_SUCH_DOMAIN, DOMID_IO, DOMID_XEN,
				       DOMID_INVALID,  0x7fff,	 0xffff };
	struct xeno_domctl_getinfo info;
	unsigned int i;

	pv_test_begin("domctl.bad_ids");
	for (i = 0; i < N_OF(bad); i++) {
		PV_CHECK_EQ(pv_domctl_getinfo(bad[i], &info, NULL, 0), -ESRCH);
		PV_CHECK_EQ(pv_domctl_destroy(bad[i]), -ESRCH);
		PV_CHECK_EQ(pv_domctl_pause(bad[i]), -ESRCH);
		PV_CHECK_EQ(pv_domctl_unpause(bad[i]), -ESRCH);
		PV_CHECK_EQ(pv_domctl_set_weight(bad[i], 5), -ESRCH);
	}
	/* dom0 cannot destroy or pause itself, by id or as DOMID_SELF. */
	PV_CHECK_EQ(pv_domctl_destroy(0), -EINVAL);
	PV_CHECK_EQ(pv_domctl_destroy(DOMID_SELF), -EINVAL);
	PV_CHECK_EQ(pv_domctl_pause(0), -EINVAL);
	PV_CHECK_EQ(pv_domctl_pause(DOMID_SELF), -EINVAL);
	PV_CHECK_EQ(pv_domctl_unpause(DOMID_SELF), -EINVAL);
	PV_CHECK_OK(pv_domctl_getinfo(0, &info, NULL, 0));
	PV_CHECK_EQ(info.state, XENO_DOMSTATE_running);
	pv_test_end();
}

/* Unknown commands, unreadable arguments, reserved fields. */
static void test_bad_args(void)
{
	static const uint64_t bad_ptr[] = { 0, 0xffff800000000000ULL,
					    0x0000800000000000ULL - 8 };
	struct xeno_domctl_domain a = { .domid = 0 };
	struct xeno_domctl_getinfo info;
	unsigned int cmd, i;

	pv_test_begin("domctl.bad_args");
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(7, &a), -ENOSYS);
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(1000, &a), -ENOSYS);
	PV_CHECK_EQ(hypercall2(__HYPERVISOR_xeno_domctl, 1ULL << 32, 0),
		    -ENOSYS);
	for (i = 0; i < N_OF(bad_ptr); i++) {
		for (cmd = 0; cmd <= XENO_DOMCTL_sysinfo; cmd++) {
			PV_CHECK_EQ(hypercall2(__HYPERVISOR_xeno_domctl, cmd,
					       bad_ptr[i]),
				    -EFAULT);
		}
	}
	/* getinfo's vCPU array is written through a bad pointer. */
	memset(&info, 0, sizeof(info));
	info.domid = DOMID_SELF;
	info.max_vcpus = 1;
	info.vcpus = 0xffff800000000000ULL;
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(XENO_DOMCTL_getinfo, &info),
		    -EFAULT);
	info.vcpus = 0;
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(XENO_DOMCTL_getinfo, &info),
		    -EFAULT);
	info.max_vcpus = 0;
	info.pad = 1;
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(XENO_DOMCTL_getinfo, &info),
		    -EINVAL);
	/* Reserved fields of the domain argument. */
	a.domid = NO_SUCH_DOMAIN;
	a.pad = 1;
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(XENO_DOMCTL_pause, &a), -EINVAL);
	a.pad = 0;
	a.value = 1;
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(XENO_DOMCTL_destroy, &a), -EINVAL);
	PV_CHECK_EQ(HYPERVISOR_xeno_domctl(XENO_DOMCTL_unpause, &a), -EINVAL);
	pv_test_end();
}

static struct xeno_domctl_create good_create(void)
{
	struct xeno_domctl_create c;

	memset(&c, 0, sizeof(c));
	c.mem = CHILD_MEM;
	c.module = SELF_MODULE;
	c.vcpus = 1;
	c.cpu = XENO_DOMCTL_CPU_ANY;
	memcpy(c.name, "bad", 4);
	memcpy(c.cmdline, "spin", 5);
	return c;
}

#define CREATE_REFUSED(field_change, err)                                      \
	do {                                                                   \
		struct xeno_domctl_create c = good_create();                   \
		field_change;                                                  \
		long rc_ = pv_domctl_create_args(&c);                          \
		PV_CHECK(rc_ == -(err), "%s: %s, expected -%s", #field_change, \
			 pv_errname(rc_), pv_errname(err));                    \
	} while (0)

/* Each bad field of a create alone: the exact error, nothing built. */
static void test_bad_create(void)
{
	struct xeno_domctl_sysinfo s0 = sysinfo(), s1;

	pv_test_begin("domctl.bad_create");
	CREATE_REFUSED(c.module = 2, EINVAL);
	CREATE_REFUSED(c.module = ~0u, EINVAL);
	CREATE_REFUSED(c.module = BAD_MODULE, EINVAL); /* not a PV image */
	CREATE_REFUSED(c.name[0] = 0, EINVAL);
	CREATE_REFUSED(memset(c.name, 'n', sizeof(c.name)), EINVAL);
	CREATE_REFUSED(c.name[1] = '\n', EINVAL);
	CREATE_REFUSED(memset(c.cmdline, 'c', sizeof(c.cmdline)), EINVAL);
	CREATE_REFUSED(c.mem = 0, EINVAL);
	CREATE_REFUSED(c.mem = MiB - 4096, EINVAL);
	CREATE_REFUSED(c.maxmem = MiB, EINVAL);
	CREATE_REFUSED(c.maxmem = 1ULL << 41, EINVAL);
	CREATE_REFUSED(c.vcpus = 0, EINVAL);
	CREATE_REFUSED(c.vcpus = 65, EINVAL);
	CREATE_REFUSED(c.weight = 65536, EINVAL);
	CREATE_REFUSED(c.cpu = 64, EINVAL);
	CREATE_REFUSED(c.cpu = s0.nr_cpus, EINVAL);
	CREATE_REFUSED(c.flags = 2, EINVAL);
	CREATE_REFUSED(c.pad = 1, EINVAL);
	/* Too small for the image and its boot layout. */
	CREATE_REFUSED(c.mem = MiB, EINVAL);
	s1 = sysinfo();
	PV_CHECK_EQ(s1.free_frames, s0.free_frames);
	PV_CHECK_EQ(s1.nr_domains, 1);
	pv_test_end();
}

/* Out of memory: refused with -ENOMEM, and nothing of it is left. */
static void test_enomem(void)
{
	struct xeno_domctl_sysinfo s0 = sysinfo(), s1;

	pv_test_begin("domctl.enomem");
	/* More than the machine has: refused before anything is built. */
	CREATE_REFUSED(c.mem = (s0.total_frames + 1) * 4096, ENOMEM);
	/* More than is free: the builder runs out midway and undoes. */
	CREATE_REFUSED(c.mem = (s0.free_frames + 256) * 4096, ENOMEM);
	s1 = sysinfo();
	/* The heap may keep a slab it needed meanwhile; that is not lost. */
	PV_CHECK_EQ(s1.free_frames + s1.heap_frames,
		    s0.free_frames + s0.heap_frames);
	printf("enomem: free %lu -> %lu, heap slabs %lu -> %lu\n",
	       (unsigned long)s0.free_frames, (unsigned long)s1.free_frames,
	       (unsigned long)s0.heap_frames, (unsigned long)s1.heap_frames);
	PV_CHECK_EQ(s1.nr_domains, 1);
	/* The memory is usable again. */
	PV_CHECK_OK(pv_domctl_destroy(spawn("after", "spin")));
	PV_CHECK_EQ(free_frames(), s0.free_frames);
	pv_test_end();
}

/* A domU calling xeno_domctl gets -EPERM (the child checks it). */
static void test_noperm(void)
{
	pv_test_begin("domctl.noperm_child");
	PV_CHECK_OK(pv_domctl_wait_gone(spawn("noperm", "noperm"), WAIT_NS));
	pv_test_end();
}

/*
 * A destroyed guest's frames are scrubbed: a second guest finds none of
 * the first one's data (the child reports domctl.scan_no_leak).
 */
static void test_scrub(void)
{
	uint64_t free0;

	pv_test_begin("domctl.scrub_children");
	free0 = free_frames();
	PV_CHECK_OK(pv_domctl_wait_gone(spawn("dirty", "dirty"), WAIT_NS));
	PV_CHECK_EQ(free_frames(), free0);
	PV_CHECK_OK(pv_domctl_wait_gone(spawn("scan", "scan"), WAIT_NS));
	PV_CHECK_EQ(free_frames(), free0);
	pv_test_end();
}

static int run_dom0(void)
{
	test_sysinfo();
	test_getinfo_self();
	test_create_destroy();
	test_create_destroy_repeat();
	test_pause("spin");
	test_pause("tick");
	test_create_paused();
	test_set_weight();
	test_bad_ids();
	test_bad_args();
	test_bad_create();
	test_enomem();
	test_noperm();
	test_scrub();
	return 0;
}

int main(void)
{
	if (start_info->flags & SIF_INITDOMAIN) {
		return run_dom0();
	}
	return run_child(start_info->cmd_line);
}
