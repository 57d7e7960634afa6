/* SPDX-License-Identifier: MIT */
/*
 * Building a PV domain from a kernel image (xen/common/domain_build.c,
 * pv-abi §3): parse the ELF, lay the boot elements out, allocate the
 * domain's memory, load the image and module, write the P2M, start_info,
 * the rings and the bootstrap page tables, fill the hypercall page, pin
 * the L4 and set vCPU 0 up. The domain is left ready but not running.
 */
#ifndef XENO_DOMAIN_BUILD_H
#define XENO_DOMAIN_BUILD_H

#include <public/xen.h>
#include <xeno/types.h>

struct domain;

struct domain_config {
	domid_t id;
	char name[32];
	uint64_t mem;	 /* bytes of RAM at boot */
	uint64_t maxmem; /* most bytes it may grow to (>= mem) */
	unsigned int vcpus;
	unsigned int weight; /* scheduler weight, default 256 */
	uint64_t cache;	     /* buffer-cache quota in bytes */
	bool privileged;     /* dom0 */
	char cmdline[MAX_GUEST_CMDLINE];
	const void *image; /* the kernel's ELF bytes */
	size_t image_size;
	const void *module; /* initrd, or NULL */
	size_t module_size;
};

/*
 * Builds the domain c describes. Returns 0 and the domain (paused: start
 * it with domain_start), or -errno with *why naming the problem: -EINVAL
 * for an image or a configuration that cannot be built (too little
 * memory for the image's boot layout included), -ENOMEM when memory ran
 * out. On failure nothing is left allocated.
 */
int domain_build(const struct domain_config *c, struct domain **out,
		 const char **why);

/* Longest key=value word of a module command line. */
#define MODULE_WORD_MAX 64

/*
 * Fills c from a boot module's command line (xen/common/domcfg.c):
 * defaults (16 MiB, 1 vCPU, weight 256, maxmem = mem), then the options.
 * Returns 0, or -1 with *why and the offending key copied to bad.
 */
int domain_config_parse(struct domain_config *c, const char *line,
			const char **why, char *bad, size_t bad_size);

/* Destroys a domain that was built but never started. */
void domain_destroy_unstarted(struct domain *d);

#endif
