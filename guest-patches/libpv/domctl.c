/* SPDX-License-Identifier: MIT */
/* Domain control wrappers (see libpv/domctl.h). */
#include <libpv/domctl.h>
#include <libpv/errno.h>
#include <libpv/string.h>
#include <libpv/time.h>

static void copy_str(char *dst, const char *src, size_t size)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n >= size) {
		n = size - 1;
	}
	memset(dst, 0, size);
	if (n > 0) {
		memcpy(dst, src, n);
	}
}

long pv_domctl_create(const char *name, unsigned int module, uint64_t mem,
		      const char *cmdline, const struct pv_domctl_opts *o,
		      domid_t *domid)
{
	static const struct pv_domctl_opts none;
	struct xeno_domctl_create c;
	long rc;

	if (o == NULL) {
		o = &none;
	}
	memset(&c, 0, sizeof(c));
	c.mem = mem;
	c.maxmem = o->maxmem;
	c.module = module;
	c.vcpus = o->vcpus ? o->vcpus : 1;
	c.weight = o->weight;
	c.cpu = o->cpu ? o->cpu - 1 : XENO_DOMCTL_CPU_ANY;
	c.flags = o->flags;
	copy_str(c.name, name, sizeof(c.name));
	copy_str(c.cmdline, cmdline, sizeof(c.cmdline));
	rc = pv_domctl_create_args(&c);
	if (rc == 0 && domid != NULL) {
		*domid = c.domid;
	}
	return rc;
}

long pv_domctl_create_args(struct xeno_domctl_create *c)
{
	return HYPERVISOR_xeno_domctl(XENO_DOMCTL_create, c);
}

static long on_domain(unsigned int cmd, domid_t domid, uint32_t value)
{
	struct xeno_domctl_domain a = { .domid = domid, .value = value };

	return HYPERVISOR_xeno_domctl(cmd, &a);
}

long pv_domctl_destroy(domid_t domid)
{
	return on_domain(XENO_DOMCTL_destroy, domid, 0);
}

long pv_domctl_pause(domid_t domid)
{
	return on_domain(XENO_DOMCTL_pause, domid, 0);
}

long pv_domctl_unpause(domid_t domid)
{
	return on_domain(XENO_DOMCTL_unpause, domid, 0);
}

long pv_domctl_set_weight(domid_t domid, unsigned int weight)
{
	return on_domain(XENO_DOMCTL_set_weight, domid, weight);
}

long pv_domctl_getinfo(domid_t domid, struct xeno_domctl_getinfo *info,
		       struct xeno_domctl_vcpuinfo *vcpus,
		       unsigned int max_vcpus)
{
	memset(info, 0, sizeof(*info));
	info->domid = domid;
	info->max_vcpus = max_vcpus;
	info->vcpus = (uint64_t)(uintptr_t)vcpus;
	return HYPERVISOR_xeno_domctl(XENO_DOMCTL_getinfo, info);
}

long pv_domctl_sysinfo(struct xeno_domctl_sysinfo *s)
{
	return HYPERVISOR_xeno_domctl(XENO_DOMCTL_sysinfo, s);
}

uint64_t pv_domctl_cpu_time(domid_t domid)
{
	struct xeno_domctl_getinfo info;

	if (pv_domctl_getinfo(domid, &info, NULL, 0) != 0) {
		return ~0ULL;
	}
	return info.cpu_time_ns;
}

long pv_domctl_wait_gone(domid_t domid, uint64_t timeout_ns)
{
	uint64_t until = pv_now_ns() + timeout_ns;
	struct xeno_domctl_getinfo info;

	while (pv_domctl_getinfo(domid, &info, NULL, 0) != -ESRCH) {
		if (pv_now_ns() >= until) {
			return -ETIMEDOUT;
		}
		pv_sleep_ns(1000 * 1000);
	}
	return 0;
}
