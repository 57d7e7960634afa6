/* SPDX-License-Identifier: MIT */
/*
 * Domain control from the control domain: Xeno's xeno_domctl extension
 * (hypercall 66, public/xeno.h, docs/domains.md "Domain control").
 *
 * Interface rules:
 *   - Every function returns 0 (or what it says) or the hypervisor's
 *     -errno; only a privileged domain (dom0) gets anything but -EPERM.
 *   - pv_domctl_create() fills a struct xeno_domctl_create from its
 *     arguments (name and cmdline are truncated to fit), makes the call
 *     and stores the new domain's id in *domid. Use
 *     pv_domctl_create_args() for full control (and hostile tests).
 *   - pv_domctl_getinfo() reads up to max_vcpus vCPU entries into vcpus
 *     (which may be NULL when max_vcpus is 0).
 */
#ifndef LIBPV_DOMCTL_H
#define LIBPV_DOMCTL_H

#include <stdint.h>

#include <libpv/abi.h>
#include <libpv/hypercall.h>
#include <public/xeno.h>

static inline long HYPERVISOR_xeno_domctl(unsigned int cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_xeno_domctl, cmd, PV_ARG(arg));
}

/* Options of pv_domctl_create(); zero means the default. */
struct pv_domctl_opts {
	uint64_t maxmem;     /* bytes; 0: mem */
	unsigned int vcpus;  /* 0: 1 */
	unsigned int weight; /* 0: 256 */
	unsigned int cpu;    /* first CPU + 1; 0: let Xeno place it */
	unsigned int flags;  /* XENO_DOMCTL_CREATE_* */
};

long pv_domctl_create(const char *name, unsigned int module, uint64_t mem,
		      const char *cmdline, const struct pv_domctl_opts *o,
		      domid_t *domid);
long pv_domctl_create_args(struct xeno_domctl_create *c);
long pv_domctl_destroy(domid_t domid);
long pv_domctl_pause(domid_t domid);
long pv_domctl_unpause(domid_t domid);
long pv_domctl_set_weight(domid_t domid, unsigned int weight);
long pv_domctl_getinfo(domid_t domid, struct xeno_domctl_getinfo *info,
		       struct xeno_domctl_vcpuinfo *vcpus,
		       unsigned int max_vcpus);
long pv_domctl_sysinfo(struct xeno_domctl_sysinfo *s);

/* The CPU time domid has used (all vCPUs), or ~0 if getinfo fails. */
uint64_t pv_domctl_cpu_time(domid_t domid);

/*
 * Waits (sleeping 1 ms at a time) until domid is gone (getinfo says
 * -ESRCH). Returns 0, or -ETIMEDOUT after timeout_ns of system time.
 */
long pv_domctl_wait_gone(domid_t domid, uint64_t timeout_ns);

#endif
