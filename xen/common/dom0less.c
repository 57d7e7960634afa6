/* SPDX-License-Identifier: MIT */
/*
 * Building domains from boot modules ("dom0less", DESIGN §3): every
 * module whose command line has name= becomes a domain with the options
 * of domcfg.c; the first module without a name is dom0 (id 0, named
 * "dom0", privileged). A bad image or option is reported with the module's
 * number and skips that domain only. Later modules without a name are
 * images only: the control domain may build domains from them at run time
 * (XENO_DOMCTL_create, docs/domains.md). Every module stays in memory for
 * that (memory.c never frees them), so any module's image can be used.
 */
#include <asm/mm.h>
#include <xeno/bootinfo.h>
#include <xeno/domain.h>
#include <xeno/domain_build.h>
#include <xeno/lib.h>
#include <xeno/sched.h>

static void report(unsigned int i, const char *what, const char *why)
{
	printk(LOG_ERR, "xeno: module %u: %s: %s; domain skipped\n", i, what,
	       why);
}

static struct domain *build_one(unsigned int i, struct domain_config *c)
{
	const struct boot_module *m = &boot_info.mod[i];
	struct domain *d;
	const char *why;
	int rc;

	c->image = phys_to_virt(m->start);
	c->image_size = m->end - m->start;
	rc = domain_build(c, &d, &why);
	if (rc != 0) {
		report(i, c->name, why);
		return NULL;
	}
	printk(LOG_INFO,
	       "xeno: domain %u (%s) built: %lu MiB, %u vCPU%s, weight %u\n",
	       c->id, c->name, c->mem >> 20, c->vcpus, c->vcpus > 1 ? "s" : "",
	       c->weight);
	return d;
}

unsigned int dom0less_build(void)
{
	struct domain *built[MAX_BOOT_MODULES];
	unsigned int i, n = 0;
	domid_t next_id = 1;
	bool have_dom0 = false;

	for (i = 0; i < boot_info.nr_mod; i++) {
		static struct domain_config c;
		char bad[MODULE_WORD_MAX];
		const char *why;

		if (domain_config_parse(&c, boot_info.mod[i].cmdline, &why, bad,
					sizeof(bad)) != 0) {
			printk(LOG_ERR,
			       "xeno: module %u: option %s: %s; domain "
			       "skipped\n",
			       i, bad, why);
			continue;
		}
		if (c.name[0] == '\0') {
			if (have_dom0) {
				printk(LOG_INFO,
				       "xeno: module %u: no name=, kept as an "
				       "image for domain control\n",
				       i);
				continue;
			}
			have_dom0 = true;
			strlcpy(c.name, "dom0", sizeof(c.name));
			c.id = 0;
			c.privileged = true;
		} else {
			c.id = next_id++;
		}
		built[n] = build_one(i, &c);
		if (built[n] != NULL) {
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		domain_start(built[i]);
	}
	return n;
}

int dom0less_image(unsigned int index, const void **image, size_t *size)
{
	const struct boot_module *m;

	if (index >= boot_info.nr_mod) {
		return -1;
	}
	m = &boot_info.mod[index];
	*image = phys_to_virt(m->start);
	*size = m->end - m->start;
	return 0;
}

unsigned int dom0less_nr_images(void)
{
	return boot_info.nr_mod;
}
