/* SPDX-License-Identifier: MIT */
/*
 * FPU, SSE and AVX state (pv-abi §7.6, §8.12, §8.13) with lazy switching:
 * the XSAVE features CPUID and XGETBV show agree with each other, XSETBV
 * is emulated only for the enabled set, fpu_taskswitch and MOV to CR0
 * make the next FPU instruction raise #NM in the guest (virtual TS
 * cleared first) whose handler's CLTS lets it continue, and two vCPUs
 * (started with vcpus=2) keep distinct x87, XMM and YMM values across
 * many yields to each other. Run two of these domains on one CPU and the
 * state also crosses domains.
 */
#include <libpv.h>

#define ROUNDS 200

struct fpu_regs {
	uint8_t vec[16][32]; /* ymm0-15 (xmm in the low 16 bytes) */
	double st[2];	     /* two x87 stack values */
} __attribute__((aligned(32)));

static bool has_avx;
static uint8_t stack1[16384] __attribute__((aligned(16)));
static volatile unsigned int mismatches[2], rounds_done[2];

static void fep_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile(".byte 0x0f, 0x0b, 0x78, 0x65, 0x6e\n\tcpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

/* ---- CPUID and XCR0 ---------------------------------------------------- */

static void test_cpuid(void)
{
	uint32_t r1[4], d0[4], d1[4], d[4];
	uint64_t xcr0;
	unsigned int i;

	pv_test_begin("fpu.cpuid_xsave");
	fep_cpuid(1, 0, r1);
	if (!PV_CHECK(r1[2] & (1u << 26), "no XSAVE: ecx %x", r1[2]) ||
	    !PV_CHECK(r1[2] & (1u << 27), "no OSXSAVE: ecx %x", r1[2])) {
		pv_test_end();
		return;
	}
	fep_cpuid(0xd, 0, d0);
	fep_cpuid(0xd, 1, d1);
	xcr0 = xgetbv0();
	PV_CHECK_EQ(xcr0, ((uint64_t)d0[3] << 32) | d0[0]);
	PV_CHECK_EQ(xcr0 & 3, 3);
	PV_CHECK_EQ(d1[3] | d1[2], 0);	   /* no supervisor components */
	PV_CHECK_EQ(d1[0] & (1u << 3), 0); /* no XSAVES */
	PV_CHECK_GE(d0[1], 576);	   /* legacy area + header */
	PV_CHECK_EQ(d0[1], d0[2]);
	for (i = 2; i < 63; i++) {
		fep_cpuid(0xd, i, d);
		if (xcr0 & (1ULL << i)) {
			PV_CHECK_NE(d[0], 0);
			PV_CHECK_LE(d[1] + d[0], d0[1]);
		} else {
			PV_CHECK_EQ(d[0], 0);
		}
	}
	has_avx = (xcr0 & 4) != 0;
	PV_CHECK_EQ(has_avx, (r1[2] & (1u << 28)) != 0);
	if (has_avx) {
		fep_cpuid(0xd, 2, d);
		PV_CHECK_EQ(d[0], 256);
		PV_CHECK_EQ(d[1], 576);
	}
	printf("fpu: xcr0 %lx xsave size %u avx %d\n", (unsigned long)xcr0,
	       d0[1], has_avx);
	pv_test_end();
}

static volatile unsigned int gp_count;

PV_HANDLER static void on_gp(struct pv_regs *regs)
{
	gp_count = gp_count + 1;
	regs->rip += 3; /* skip the XSETBV */
}

static void xsetbv(uint32_t reg, uint64_t val)
{
	__asm__ volatile("xsetbv" ::"c"(reg), "a"((uint32_t)val),
			 "d"((uint32_t)(val >> 32)));
}

static void test_xsetbv(void)
{
	pv_trap_handler_t old;
	uint64_t xcr0 = xgetbv0();

	pv_test_begin("fpu.xsetbv");
	old = pv_trap_set_handler(PV_TRAP_GP, on_gp);
	xsetbv(0, xcr0); /* the enabled set: emulated */
	PV_CHECK_EQ(gp_count, 0);
	xsetbv(0, 1); /* x87 only: refused */
	PV_CHECK_EQ(gp_count, 1);
	xsetbv(1, xcr0); /* another register */
	PV_CHECK_EQ(gp_count, 2);
	PV_CHECK_EQ(xgetbv0(), xcr0);
	pv_trap_set_handler(PV_TRAP_GP, old);
	pv_test_end();
}

/* ---- virtual CR0.TS ----------------------------------------------------- */

static volatile unsigned int nm_count;
static volatile uint64_t nm_cr0;

PV_HANDLER static void on_nm(struct pv_regs *regs)
{
	uint64_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	nm_cr0 = cr0;
	nm_count = nm_count + 1;
	__asm__ volatile("clts" ::: "memory");
}

static double sse_add(double a, double b)
{
	__asm__ volatile("addsd %1, %0" : "+x"(a) : "x"(b));
	return a;
}

static void test_taskswitch(void)
{
	pv_trap_handler_t old = pv_trap_set_handler(PV_TRAP_NM, on_nm);
	volatile double x = 1.5, y = 2.25;
	uint64_t cr0;
	double z;

	pv_test_begin("fpu.taskswitch_nm");
	z = sse_add(x, y); /* TS clear: no #NM for the guest */
	PV_CHECK_EQ(nm_count, 0);
	PV_CHECK_OK(HYPERVISOR_fpu_taskswitch(1));
	z = sse_add(z, y);
	PV_CHECK_EQ(nm_count, 1);
	PV_CHECK_EQ(nm_cr0 & 8, 0); /* cleared before delivery (§7.6) */
	PV_CHECK(z == 6.0, "sum %d/4", (int)(z * 4));
	z = sse_add(z, y);
	PV_CHECK_EQ(nm_count, 1);
	/* The same through MOV to CR0. */
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	cr0 |= 8;
	__asm__ volatile("mov %0, %%cr0" ::"r"(cr0) : "memory");
	z = sse_add(z, x);
	PV_CHECK_EQ(nm_count, 2);
	PV_CHECK(z == 9.75, "sum %d/4", (int)(z * 4));
	pv_trap_set_handler(PV_TRAP_NM, old);
	pv_test_end();
}

/* ---- values across switches ------------------------------------------- */

static void fill(struct fpu_regs *r, unsigned int vcpu, unsigned int round)
{
	unsigned int i, j;

	for (i = 0; i < 16; i++) {
		for (j = 0; j < 32; j++) {
			r->vec[i][j] =
				(uint8_t)(vcpu * 101 + round * 7 + i * 13 + j);
		}
	}
	r->st[0] = vcpu * 1000.0 + round;
	r->st[1] = -(vcpu * 1000.0 + round) / 8;
}

/* Loads in into the registers, yields, stores them into out. */
static void hold_across_yield(const struct fpu_regs *in, struct fpu_regs *out)
{
	if (has_avx) {
		__asm__ volatile(
			".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			"vmovdqu \\n*32(%[in]), %%ymm\\n\n\t"
			".endr\n\t"
			"fldl 512(%[in])\n\tfldl 520(%[in])\n\t"
			"mov $29, %%eax\n\txor %%edi, %%edi\n\t"
			"xor %%esi, %%esi\n\tsyscall\n\t"
			"fstpl 520(%[out])\n\tfstpl 512(%[out])\n\t"
			".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			"vmovdqu %%ymm\\n, \\n*32(%[out])\n\t"
			".endr\n\t"
			"vzeroupper"
			:
			: [in] "r"(in), [out] "r"(out)
			: "rax", "rcx", "r11", "rdi", "rsi", "memory", "xmm0",
			  "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
			  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
		return;
	}
	__asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			 "movdqu \\n*32(%[in]), %%xmm\\n\n\t"
			 ".endr\n\t"
			 "fldl 512(%[in])\n\tfldl 520(%[in])\n\t"
			 "mov $29, %%eax\n\txor %%edi, %%edi\n\t"
			 "xor %%esi, %%esi\n\tsyscall\n\t"
			 "fstpl 520(%[out])\n\tfstpl 512(%[out])\n\t"
			 ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
			 "movdqu %%xmm\\n, \\n*32(%[out])\n\t"
			 ".endr"
			 :
			 : [in] "r"(in), [out] "r"(out)
			 : "rax", "rcx", "r11", "rdi", "rsi", "memory", "xmm0",
			   "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
			   "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			   "xmm13", "xmm14", "xmm15");
}

/* The part of fpu_regs the registers carried (YMM only with AVX). */
static bool same(const struct fpu_regs *a, const struct fpu_regs *b)
{
	unsigned int i, n = has_avx ? 32 : 16;

	for (i = 0; i < 16; i++) {
		if (memcmp(a->vec[i], b->vec[i], n) != 0) {
			return false;
		}
	}
	return a->st[0] == b->st[0] && a->st[1] == b->st[1];
}

static void churn(unsigned int vcpu)
{
	static struct fpu_regs in[2], out[2];
	unsigned int round;

	for (round = 0; round < ROUNDS; round++) {
		fill(&in[vcpu], vcpu, round);
		memset(&out[vcpu], 0, sizeof(out[vcpu]));
		hold_across_yield(&in[vcpu], &out[vcpu]);
		if (!same(&in[vcpu], &out[vcpu])) {
			mismatches[vcpu] = mismatches[vcpu] + 1;
		}
		rounds_done[vcpu] = round + 1;
	}
}

static void vcpu1_churn(void *arg)
{
	churn(1);
}

static void test_switch_values(void)
{
	unsigned int i;

	pv_test_begin("fpu.values_across_switches");
	PV_CHECK_OK(
		pv_vcpu_start(1, vcpu1_churn, NULL, stack1, sizeof(stack1)));
	churn(0);
	for (i = 0; i < 1000000 && rounds_done[1] < ROUNDS; i++) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	PV_CHECK_EQ(rounds_done[0], ROUNDS);
	PV_CHECK_EQ(rounds_done[1], ROUNDS);
	PV_CHECK_EQ(mismatches[0], 0);
	PV_CHECK_EQ(mismatches[1], 0);
	pv_test_end();
}

int main(void)
{
	test_cpuid();
	test_xsetbv();
	test_taskswitch();
	test_switch_values();
	return 0;
}
