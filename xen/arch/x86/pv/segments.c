/* SPDX-License-Identifier: MIT */
/*
 * The guest's data segment selectors across vCPU switches (pv-abi §8.2,
 * §8.10). A guest loads DS, ES, FS and GS itself at CPL 3; the hypervisor
 * never touches them while the vCPU runs, so they are saved when it
 * leaves a CPU and loaded again when it comes back (else the next vCPU
 * would inherit them). A selector that can no longer be loaded at CPL 3
 * is replaced by null and the failsafe callback is made due.
 *
 * What is loadable: null (any RPL), or a GDT selector whose descriptor in
 * this CPU's GDT is present, a data or readable code segment, with DPL 3:
 * one of the guest's own entries (its set_gdt frames are copied in before
 * the selectors are loaded, descriptor.c; entries past them are zero) or
 * of the hypervisor's reserved page (entries 7168 and up); or an LDT
 * selector below the vCPU's LDT entry count whose descriptor in the CPU's
 * LDT copy passes the same test (pv/ldt.c loads the copy before the
 * selectors). The check is done in software before the load, since a
 * faulting load in ring 0 would be a hypervisor exception.
 *
 * Runs with interrupts off, on the CPU that switches.
 */
#include <asm/cpu.h>
#include <asm/descriptor.h>
#include <asm/pv.h>
#include <public/xen.h>

#define DESC_P	   (1ULL << 47)
#define DESC_S	   (1ULL << 44)
#define DESC_CODE  (1ULL << 43)
#define DESC_READ  (1ULL << 41)
#define DESC_DPL_S 45

enum { SEL_DS, SEL_ES, SEL_FS, SEL_GS };

struct gdtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* The descriptor sel names in this CPU's GDT or LDT; false if beyond. */
static bool descriptor_of(uint16_t sel, uint64_t *d)
{
	unsigned int index = sel >> 3, ents;
	const uint64_t *table;
	struct gdtr g;

	if (sel & 4) {
		table = pv_ldt_this_cpu(&ents);
	} else {
		__asm__ volatile("sgdt %0" : "=m"(g));
		table = (const uint64_t *)(uintptr_t)g.base;
		ents = (g.limit + 1U) / 8;
	}
	if (index >= ents) {
		return false;
	}
	*d = table[index];
	return true;
}

static bool loadable(uint16_t sel)
{
	uint64_t d;

	if ((sel & ~3U) == 0) {
		return true;
	}
	if (!descriptor_of(sel, &d)) {
		return false;
	}
	if (!(d & DESC_P) || !(d & DESC_S) ||
	    ((d & DESC_CODE) && !(d & DESC_READ))) {
		return false;
	}
	return ((d >> DESC_DPL_S) & 3) == 3;
}

void pv_save_selectors(struct vcpu *v)
{
	uint16_t *s = v->arch.sel;

	__asm__ volatile("mov %%ds, %0" : "=r"(s[SEL_DS]));
	__asm__ volatile("mov %%es, %0" : "=r"(s[SEL_ES]));
	__asm__ volatile("mov %%fs, %0" : "=r"(s[SEL_FS]));
	__asm__ volatile("mov %%gs, %0" : "=r"(s[SEL_GS]));
}

bool pv_load_selectors(struct vcpu *v)
{
	const uint16_t *s = v->arch.sel;
	uint16_t ds = loadable(s[SEL_DS]) ? s[SEL_DS] : 0;
	uint16_t es = loadable(s[SEL_ES]) ? s[SEL_ES] : 0;
	uint16_t fs = loadable(s[SEL_FS]) ? s[SEL_FS] : 0;
	uint16_t gs = loadable(s[SEL_GS]) ? s[SEL_GS] : 0;
	uint64_t hyp_gs = rdmsr(MSR_GS_BASE);

	__asm__ volatile("mov %0, %%ds" : : "r"(ds));
	__asm__ volatile("mov %0, %%es" : : "r"(es));
	__asm__ volatile("mov %0, %%fs" : : "r"(fs));
	/* Loading GS replaces MSR_GS_BASE, which is the hypervisor's now. */
	__asm__ volatile("mov %0, %%gs" : : "r"(gs));
	wrmsr(MSR_GS_BASE, hyp_gs);
	return ds == s[SEL_DS] && es == s[SEL_ES] && fs == s[SEL_FS] &&
	       gs == s[SEL_GS];
}
