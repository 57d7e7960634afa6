/* SPDX-License-Identifier: MIT */
/*
 * The FPU state of PV vCPUs (interface in asm/fpu.h).
 *
 * Lazy restore, save on switch-out. A vCPU's state is either in its
 * area (v->arch.fpu) or live in the registers of the CPU it runs on
 * (fpu_live). Switching to a vCPU sets the real CR0.TS and loads
 * nothing; its first FPU/SSE/AVX instruction raises #NM, and if its
 * virtual TS is clear the hypervisor restores its area, clears TS and
 * retries the instruction without the guest noticing. Switching away
 * from a vCPU whose state is live saves it (and only then). A vCPU that
 * does not touch the FPU during a time slice costs neither. The guest's
 * own virtual TS (fpu_taskswitch, CLTS, MOV to CR0) is layered on top:
 * while it is set, real TS is set too and the #NM goes to the guest,
 * with virtual TS cleared first (pv-abi §7.6).
 *
 * State format. With XSAVE, XCR0 is x87|SSE, plus AVX when the CPU has
 * it, on every CPU and for every guest (an XSETBV to anything else is
 * refused), and areas are saved with XSAVE/XRSTOR in the standard
 * format; without it FXSAVE/FXRSTOR. An area's XSAVE header is only
 * ever written by the CPU or by this file.
 *
 * Counters per vCPU (saves, restores, lazy and bounced #NMs, switches
 * in) are printed at the debug level when the vCPU is destroyed.
 *
 * Locks: none; everything is per CPU or per vCPU on its own CPU, with
 * interrupts off.
 */
#include <asm/cpu.h>
#include <asm/fpu.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <xeno/domain.h>
#include <xeno/lib.h>

#define FXSAVE_FCW	 0
#define FXSAVE_MXCSR	 24
#define XSAVE_HDR	 512 /* xstate_bv, xcomp_bv, reserved: 64 bytes */
#define XFEATURE_X87	 (1ULL << 0)
#define XFEATURE_SSE	 (1ULL << 1)
#define XFEATURE_YMM	 (1ULL << 2)
#define XFEATURES_GUEST	 (XFEATURE_X87 | XFEATURE_SSE | XFEATURE_YMM)
#define CPUID_XSAVE_LEAF 0xd

static uint64_t xcr0;		     /* 0: FXSAVE only */
static uint32_t xsave_size = 512;    /* bytes of an area */
static uint32_t mxcsr_mask = 0xffbf; /* MXCSR bits FXRSTOR accepts */
static bool ts_set[NR_CPUS];	     /* the real CR0.TS, as last written */
static bool cpu_ready[NR_CPUS];	     /* pv_fpu_init_cpu ran here */
static unsigned int probe_state;     /* 0 not yet, 1 running, 2 done */

/* ---- the machine --------------------------------------------------------- */

static void set_ts(bool ts)
{
	unsigned int cpu = arch_cpu_id();

	if (ts_set[cpu] == ts) {
		return;
	}
	if (ts) {
		write_cr0(read_cr0() | CR0_TS);
	} else {
		__asm__ volatile("clts" ::: "memory");
	}
	ts_set[cpu] = ts;
}

static void xsetbv(uint32_t reg, uint64_t val)
{
	__asm__ volatile("xsetbv" ::"c"(reg), "a"((uint32_t)val),
			 "d"((uint32_t)(val >> 32)));
}

static void area_save(struct vcpu *v)
{
	if (xcr0 != 0) {
		__asm__ volatile("xsave64 %0"
				 : "=m"(v->arch.fpu)
				 : "a"(~0u), "d"(~0u)
				 : "memory");
	} else {
		__asm__ volatile("fxsave64 %0" : "=m"(v->arch.fpu));
	}
	v->arch.fpu_saves++;
}

static void area_restore(struct vcpu *v)
{
	if (xcr0 != 0) {
		__asm__ volatile("xrstor64 %0"
				 :
				 : "m"(v->arch.fpu), "a"(~0u), "d"(~0u)
				 : "memory");
	} else {
		__asm__ volatile("fxrstor64 %0" : : "m"(v->arch.fpu));
	}
	v->arch.fpu_restores++;
}

/* The features XCR0 gets: the guest set the CPU supports. */
static uint64_t pick_xcr0(void)
{
	uint32_t a, b, c, d;

	cpuid_count(CPUID_XSAVE_LEAF, 0, &a, &b, &c, &d);
	return (((uint64_t)d << 32) | a) & XFEATURES_GUEST;
}

static void probe_mxcsr_mask(void)
{
	static uint8_t area[512] __aligned(16);
	uint32_t m;

	__asm__ volatile("fxsave64 %0" : "=m"(area));
	memcpy(&m, area + 28, sizeof(m));
	if (m != 0) {
		mxcsr_mask = m;
	}
}

/*
 * Decides XCR0 and the area size once, on whichever CPU first needs them
 * (the first domain built); the CPU features are known by then.
 */
static void probe_once(void)
{
	unsigned int expect = 0;
	uint32_t a, b, c, d;

	if (__atomic_load_n(&probe_state, __ATOMIC_ACQUIRE) == 2) {
		return;
	}
	if (!__atomic_compare_exchange_n(&probe_state, &expect, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&probe_state, __ATOMIC_ACQUIRE) != 2) {
			cpu_pause();
		}
		return;
	}
	probe_mxcsr_mask();
	if (cpu_has.xsave) {
		uint64_t x = pick_xcr0();

		write_cr4(read_cr4() | CR4_OSXSAVE);
		xsetbv(0, x);
		cpuid_count(CPUID_XSAVE_LEAF, 0, &a, &b, &c, &d);
		BUG_ON(b > PV_FPU_AREA_SIZE);
		xsave_size = b;
		xcr0 = x;
	}
	__atomic_store_n(&probe_state, 2, __ATOMIC_RELEASE);
}

void pv_fpu_init_cpu(void)
{
	unsigned int cpu = arch_cpu_id();

	probe_once();
	if (xcr0 != 0) {
		write_cr4(read_cr4() | CR4_OSXSAVE);
		xsetbv(0, xcr0);
	}
	/* No vCPU's state is live here yet. */
	write_cr0(read_cr0() | CR0_TS);
	ts_set[cpu] = true;
	cpu_ready[cpu] = true;
}

uint64_t pv_fpu_xcr0(void)
{
	return xcr0;
}

uint32_t pv_fpu_xsave_size(void)
{
	return xsave_size;
}

/* ---- areas ------------------------------------------------------------------ */

/* x87 and SSE come from the legacy image; AVX starts in its init state. */
static void area_header_legacy(struct vcpu *v)
{
	uint64_t bv = XFEATURE_X87 | XFEATURE_SSE;

	memset(v->arch.fpu + XSAVE_HDR, 0, sizeof(v->arch.fpu) - XSAVE_HDR);
	if (xcr0 != 0) {
		memcpy(v->arch.fpu + XSAVE_HDR, &bv, sizeof(bv));
	}
}

void pv_fpu_init_vcpu(struct vcpu *v)
{
	uint16_t fcw = 0x037f;	 /* all x87 exceptions masked */
	uint32_t mxcsr = 0x1f80; /* all SIMD exceptions masked */

	probe_once();
	BUG_ON(((uintptr_t)v->arch.fpu & 63) != 0);

	memset(v->arch.fpu, 0, 512);
	memcpy(v->arch.fpu + FXSAVE_FCW, &fcw, sizeof(fcw));
	memcpy(v->arch.fpu + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
	area_header_legacy(v);
	v->arch.fpu_live = false;
}

bool pv_fpu_image_ok(const uint8_t *fxsave)
{
	uint32_t mxcsr;

	memcpy(&mxcsr, fxsave + FXSAVE_MXCSR, sizeof(mxcsr));
	return (mxcsr & ~mxcsr_mask) == 0;
}

void pv_fpu_set_image(struct vcpu *v, const uint8_t *fxsave)
{
	probe_once();
	memcpy(v->arch.fpu, fxsave, 512);
	area_header_legacy(v);
	v->arch.fpu_live = false;
}

/* ---- switching ------------------------------------------------------------- */

/* Real TS for v running here: clear only with its state live, TS off. */
static void sync_ts(const struct vcpu *v)
{
	set_ts(!(v->arch.fpu_live && !v->arch.virtual_ts));
}

void pv_fpu_set_virtual_ts(struct vcpu *v, bool ts)
{
	v->arch.virtual_ts = ts;
	if (v == current_vcpu()) {
		sync_ts(v);
	}
}

void pv_fpu_switch(struct vcpu *prev, struct vcpu *next)
{
	if (!cpu_ready[arch_cpu_id()]) {
		pv_fpu_init_cpu();
	}
	if (prev != NULL && prev->arch.fpu_live) {
		set_ts(false); /* FXSAVE/XSAVE fault with TS set */
		area_save(prev);
		prev->arch.fpu_live = false;
	}
	if (next != NULL) {
		next->arch.fpu_switches++;
	}
	set_ts(true);
}

bool pv_fpu_nm(struct vcpu *v)
{
	if (v->arch.virtual_ts) {
		v->arch.fpu_nm_bounced++;
		return false;
	}
	set_ts(false);
	if (!v->arch.fpu_live) {
		area_restore(v);
		v->arch.fpu_live = true;
	}
	v->arch.fpu_nm_lazy++;
	return true;
}

bool pv_fpu_xsetbv(uint32_t reg, uint64_t val)
{
	return xcr0 != 0 && reg == 0 && val == xcr0;
}

void pv_fpu_report(const struct vcpu *v)
{
	const struct arch_vcpu *a = &v->arch;

	printk(LOG_DEBUG,
	       "fpu: d%u v%u switches-in %llu saves %llu restores %llu "
	       "lazy-nm %llu guest-nm %llu\n",
	       v->domain->domid, v->id, (unsigned long long)a->fpu_switches,
	       (unsigned long long)a->fpu_saves,
	       (unsigned long long)a->fpu_restores,
	       (unsigned long long)a->fpu_nm_lazy,
	       (unsigned long long)a->fpu_nm_bounced);
}
