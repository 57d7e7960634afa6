/* SPDX-License-Identifier: MIT */
/*
 * CPU features: detected once on the boot CPU, enabled on every CPU.
 * Xeno uses global pages, SMEP and SMAP and FSGSBASE where present, and
 * PCIDs where the CPU has them with global pages (a full flush of every
 * PCID is a CR4.PGE toggle) unless pcid=off (docs/mm.md §15); INVPCID,
 * 1 GiB pages and XSAVE are detected for the MMU and vCPU code.
 */
#include <asm/cpu.h>
#include <xeno/cmdline.h>
#include <xeno/lib.h>

struct cpu_features cpu_has;

static bool bit(uint32_t reg, unsigned int n)
{
	return (reg >> n) & 1;
}

static void read_brand(void)
{
	uint32_t r[12], max, i;
	uint32_t a, b, c, d;

	cpuid_count(0x80000000, 0, &max, &b, &c, &d);
	if (max < 0x80000004) {
		snprintf(cpu_has.model, sizeof(cpu_has.model), "unknown");
		return;
	}
	for (i = 0; i < 3; i++) {
		cpuid_count(0x80000002 + i, 0, &r[i * 4], &r[i * 4 + 1],
			    &r[i * 4 + 2], &r[i * 4 + 3]);
	}
	memcpy(cpu_has.model, r, 48);
	cpu_has.model[48] = '\0';
	(void)a;
}

void cpu_features_detect(void)
{
	uint32_t max, a, b, c, d, ext;

	cpuid_count(0, 0, &max, &b, &c, &d);
	memcpy(cpu_has.vendor, &b, 4);
	memcpy(cpu_has.vendor + 4, &d, 4);
	memcpy(cpu_has.vendor + 8, &c, 4);
	cpu_has.vendor[12] = '\0';

	cpuid_count(1, 0, &a, &b, &c, &d);
	/* The reference counts need it (xeno/atomic.h). */
	if (!bit(c, 13)) {
		panic("this CPU has no CMPXCHG16B");
	}
	cpu_has.pcid = bit(c, 17);
	cpu_has.x2apic = bit(c, 21);
	cpu_has.tsc_deadline = bit(c, 24);
	cpu_has.xsave = bit(c, 26);
	cpu_has.pge = bit(d, 13);
	if (max >= 7) {
		cpuid_count(7, 0, &a, &b, &c, &d);
		cpu_has.fsgsbase = bit(b, 0);
		cpu_has.smep = bit(b, 7);
		cpu_has.invpcid = bit(b, 10);
		cpu_has.smap = bit(b, 20);
	}
	cpuid_count(0x80000000, 0, &ext, &b, &c, &d);
	if (ext >= 0x80000001) {
		cpuid_count(0x80000001, 0, &a, &b, &c, &d);
		cpu_has.nx = bit(d, 20);
		cpu_has.page1g = bit(d, 26);
	}
	if (ext >= 0x80000007) {
		cpuid_count(0x80000007, 0, &a, &b, &c, &d);
		cpu_has.invariant_tsc = bit(d, 8);
	}
	cpu_has.use_pcid = cpu_has.pcid && cpu_has.pge && opt.pcid;
	read_brand();
}

void cpu_features_enable(void)
{
	unsigned long cr4 = read_cr4();

	if (cpu_has.pge) {
		cr4 |= CR4_PGE;
	}
	if (cpu_has.smep) {
		cr4 |= CR4_SMEP;
	}
	if (cpu_has.smap) {
		cr4 |= CR4_SMAP;
	}
	if (cpu_has.fsgsbase) {
		cr4 |= CR4_FSGSBASE;
	}
	/* CR3 names PCID 0 here (its low 12 bits are 0), as PCIDE needs. */
	if (cpu_has.use_pcid) {
		cr4 |= CR4_PCIDE;
	}
	/* Guests use SSE: FXSAVE/FXRSTOR and SIMD exceptions on. */
	cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	write_cr4(cr4);
	if (cpu_has.nx) {
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	}
	/* The PAT layout PV guests expect (docs/pv-abi.md §2.5). */
	wrmsr(MSR_PAT, 0x0000050100070406ULL);
}

void cpu_features_describe(char *buf, size_t size)
{
	static const struct {
		const char *name;
		const bool *has;
	} list[] = {
		{ "pcid", &cpu_has.pcid },
		{ "invpcid", &cpu_has.invpcid },
		{ "pge", &cpu_has.pge },
		{ "1g-pages", &cpu_has.page1g },
		{ "xsave", &cpu_has.xsave },
		{ "smep", &cpu_has.smep },
		{ "smap", &cpu_has.smap },
		{ "nx", &cpu_has.nx },
		{ "tsc-deadline", &cpu_has.tsc_deadline },
		{ "fsgsbase", &cpu_has.fsgsbase },
	};
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(list) && n < size; i++) {
		if (*list[i].has) {
			n += (size_t)snprintf(buf + n, size - n, "%s%s",
					      n ? " " : "", list[i].name);
		}
	}
}
