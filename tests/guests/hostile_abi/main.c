/* SPDX-License-Identifier: MIT */
/*
 * A hostile guest against the descriptor-table and vCPU-context rules
 * (pv-abi §7.8, §7.9, §7.13, §9.11; docs/hypercalls.md, docs/mm.md
 * "Segment-descriptor pages"): set_gdt, update_descriptor and
 * VCPUOP_initialise with every kind of bad argument, each with its exact
 * error (and, for the descriptor-frame refusals, the recorded reason),
 * then the same calls done right. Runs with vcpus=2; vCPU 1 is left
 * uninitialised until the last test. Xeno's invariant check runs after
 * the domain is gone.
 */
#include <libpv.h>

static uint8_t gdt_page[4096] __attribute__((aligned(4096)));
static uint8_t bad_page[4096] __attribute__((aligned(4096)));
static uint8_t data_page[4096] __attribute__((aligned(4096)));
static uint8_t stack1[8192] __attribute__((aligned(16)));

#define VA(p)	      ((uint64_t)(p))
#define E_NOENT	      2
#define E_FAULT	      14
#define E_BUSY	      16
#define E_EXIST	      17
#define E_INVAL	      22
#define HYP_IMAGE_MFN 0x100ULL

/* Descriptors (Intel SDM vol. 3, 3.4.5 and 6.14). */
#define D_DATA_DPL0   0x00cf92000000ffffULL
#define D_DATA_DPL3   0x00cff2000000ffffULL
#define D_CODE64_DPL0 0x00af9a000000ffffULL
#define D_CODE64_DPL3 0x00affa000000ffffULL
#define D_TSS	      0x0000890000000067ULL
#define D_LDT	      0x0000820000000fffULL
#define D_INTGATE     0x00008e0000100000ULL
#define D_TRAPGATE    0x00008f0000100000ULL
#define D_TSS_ABSENT  0x0000090000000067ULL /* not present: accepted */
/* Call gates to selector sel with DPL dpl. */
#define D_CALLGATE(sel, dpl)                               \
	(0x00008c0000000000ULL | ((uint64_t)(dpl) << 45) | \
	 ((uint64_t)(sel) << 16))

static uint64_t l4_mfn;

#define CHECK_REFUSED(rc, err, why)                                     \
	do {                                                            \
		PV_CHECK_EQ((long)(rc), -(long)(err));                  \
		PV_CHECK_EQ(pv_last_refusal_reason(), (uint64_t)(why)); \
	} while (0)

static uint64_t mfn_of(const void *p)
{
	return pv_va_to_mfn(p);
}

static long set_ro(void *p)
{
	return pv_map_page(VA(p), mfn_of(p), PV_PTE_P | PV_PTE_A);
}

static long set_rw(void *p)
{
	return pv_map_page(VA(p), mfn_of(p), PV_PTE_DATA);
}

static long set_gdt_page(void *p, unsigned int ents)
{
	uint64_t f = mfn_of(p);

	return HYPERVISOR_set_gdt(&f, ents);
}

static uint64_t *descs(void *p)
{
	return (uint64_t *)p;
}

/* Loads selector sel into DS and back to null; true if it loaded. */
static void load_ds(uint16_t sel)
{
	asm volatile("mov %0, %%ds\n\t"
		     "mov %1, %%ds" ::"r"(sel),
		     "r"((uint16_t)0)
		     : "memory");
}

/* A GDT page with a code and a data descriptor at indices 1 and 2. */
static void fill_good(void *p)
{
	memset(p, 0, 4096);
	descs(p)[1] = D_CODE64_DPL0;
	descs(p)[2] = D_DATA_DPL0;
	descs(p)[4] = D_CALLGATE(0x0008, 3);
	descs(p)[6] = D_TSS_ABSENT;
}

static void test_gdt_good(void)
{
	pv_test_begin("hostile_abi.set_gdt_good");
	fill_good(gdt_page);
	PV_CHECK_OK(set_ro(gdt_page));
	PV_CHECK_OK(set_gdt_page(gdt_page, 512));
	/* Accepted with DPL raised to 3; the call gate DPL 0, RPL 3. */
	PV_CHECK_EQ(descs(gdt_page)[1], D_CODE64_DPL3);
	PV_CHECK_EQ(descs(gdt_page)[2], D_DATA_DPL3);
	PV_CHECK_EQ(descs(gdt_page)[4], D_CALLGATE(0x000b, 0));
	PV_CHECK_EQ(descs(gdt_page)[6], D_TSS_ABSENT);
	load_ds(0x13); /* index 2, RPL 3: faults if not installed */
	/* In use: no writable mapping, no page-table type. */
	CHECK_REFUSED(set_rw(gdt_page), E_BUSY, XENO_WHY_TYPE_CONFLICT);
	CHECK_REFUSED(pv_pin_table(1, mfn_of(gdt_page)), E_INVAL,
		      XENO_WHY_TYPE_CONFLICT);
	pv_test_end();
}

static void test_gdt_limits(void)
{
	uint64_t f[15];
	unsigned int i;

	pv_test_begin("hostile_abi.set_gdt_limits");
	for (i = 0; i < 15; i++) {
		f[i] = mfn_of(gdt_page);
	}
	CHECK_REFUSED(HYPERVISOR_set_gdt(f, 7169), E_INVAL,
		      XENO_WHY_GDT_ENTRIES);
	CHECK_REFUSED(HYPERVISOR_set_gdt(f, 0xffffffffu), E_INVAL,
		      XENO_WHY_GDT_ENTRIES);
	PV_CHECK_EQ(HYPERVISOR_set_gdt((const uint64_t *)0x10, 1), -E_FAULT);
	/* The old GDT stayed: DS still loads from it. */
	load_ds(0x13);
	pv_test_end();
}

static void test_gdt_bad_frames(void)
{
	uint64_t f;

	pv_test_begin("hostile_abi.set_gdt_bad_frames");
	f = HYP_IMAGE_MFN;
	CHECK_REFUSED(HYPERVISOR_set_gdt(&f, 1), E_INVAL,
		      XENO_WHY_NOT_OWN_FRAME);
	f = 0xfffffffffULL;
	CHECK_REFUSED(HYPERVISOR_set_gdt(&f, 1), E_INVAL,
		      XENO_WHY_NOT_OWN_FRAME);
	f = l4_mfn; /* a page table */
	CHECK_REFUSED(HYPERVISOR_set_gdt(&f, 1), E_INVAL,
		      XENO_WHY_TYPE_CONFLICT);
	/* Mapped writable. */
	CHECK_REFUSED(set_gdt_page(data_page, 16), E_INVAL,
		      XENO_WHY_TYPE_CONFLICT);
	/* The second of two frames fails: the first is released again. */
	{
		uint64_t two[2] = { mfn_of(gdt_page), mfn_of(data_page) };

		CHECK_REFUSED(HYPERVISOR_set_gdt(two, 600), E_INVAL,
			      XENO_WHY_TYPE_CONFLICT);
	}
	load_ds(0x13);
	pv_test_end();
}

/* One descriptor the rules refuse, alone in an otherwise empty frame. */
static void check_bad_desc(uint64_t d, unsigned int at)
{
	PV_CHECK_OK(set_rw(bad_page));
	memset(bad_page, 0, 4096);
	descs(bad_page)[at] = d;
	PV_CHECK_OK(set_ro(bad_page));
	CHECK_REFUSED(set_gdt_page(bad_page, 512), E_INVAL,
		      XENO_WHY_BAD_DESCRIPTOR);
	/* Refused before anything was rewritten. */
	PV_CHECK_EQ(descs(bad_page)[at], d);
}

static void test_gdt_bad_descriptors(void)
{
	pv_test_begin("hostile_abi.set_gdt_bad_descriptors");
	check_bad_desc(D_TSS, 3);
	check_bad_desc(D_LDT, 4);
	check_bad_desc(D_INTGATE, 5);
	check_bad_desc(D_TRAPGATE, 511);
	check_bad_desc(D_CALLGATE(0xe008, 3), 7);    /* hypervisor CS */
	check_bad_desc(D_CALLGATE(7168 << 3, 3), 7); /* reserved entry */
	check_bad_desc(D_CALLGATE(0x0008, 3) | (1ULL << 32), 8); /* params */
	PV_CHECK_OK(set_rw(bad_page));
	load_ds(0x13);
	pv_test_end();
}

static uint64_t ma_of(void *p, unsigned int index)
{
	return (mfn_of(p) << 12) + index * 8;
}

static void test_update_descriptor(void)
{
	pv_test_begin("hostile_abi.update_descriptor");
	CHECK_REFUSED(HYPERVISOR_update_descriptor(ma_of(gdt_page, 3) + 4,
						   D_DATA_DPL0),
		      E_INVAL, XENO_WHY_BAD_VA);
	CHECK_REFUSED(HYPERVISOR_update_descriptor(ma_of(gdt_page, 3), D_TSS),
		      E_INVAL, XENO_WHY_BAD_DESCRIPTOR);
	CHECK_REFUSED(HYPERVISOR_update_descriptor(ma_of(gdt_page, 3),
						   D_CALLGATE(0xe008, 0)),
		      E_INVAL, XENO_WHY_BAD_DESCRIPTOR);
	CHECK_REFUSED(HYPERVISOR_update_descriptor(l4_mfn << 12, D_DATA_DPL0),
		      E_INVAL, XENO_WHY_TYPE_CONFLICT);
	CHECK_REFUSED(
		HYPERVISOR_update_descriptor(HYP_IMAGE_MFN << 12, D_DATA_DPL0),
		E_INVAL, XENO_WHY_NOT_OWN_FRAME);
	PV_CHECK_EQ(descs(gdt_page)[3], 0);
	/* Into the live GDT: written with DPL 3, loadable at once. */
	PV_CHECK_OK(
		HYPERVISOR_update_descriptor(ma_of(gdt_page, 3), D_DATA_DPL0));
	PV_CHECK_EQ(descs(gdt_page)[3], D_DATA_DPL3);
	load_ds(0x1b);
	/* Into an ordinary writable page. */
	PV_CHECK_OK(HYPERVISOR_update_descriptor(ma_of(data_page, 9),
						 D_CODE64_DPL0));
	PV_CHECK_EQ(descs(data_page)[9], D_CODE64_DPL3);
	pv_test_end();
}

/* ---- VCPUOP_initialise ---------------------------------------------- */

static volatile unsigned int vcpu1_ran;

static void vcpu1_fn(void)
{
	vcpu1_ran = 1;
	load_ds(0x13); /* vCPU 1 has the same GDT */
	vcpu1_ran = 2;
	for (;;) {
		(void)HYPERVISOR_vcpu_op(VCPUOP_down, 1, NULL);
	}
}

static struct vcpu_guest_context ctx;

static void good_ctx(void)
{
	pv_vcpu_context(&ctx, (uint64_t)vcpu1_fn,
			(uint64_t)stack1 + sizeof(stack1) - 8);
}

static long init1(void)
{
	return HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, &ctx);
}

static void test_initialise_bad(void)
{
	pv_test_begin("hostile_abi.initialise_bad");
	good_ctx();
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 2, &ctx), -E_NOENT);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 99, &ctx), -E_NOENT);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 0, &ctx), -E_EXIST);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 1, (void *)0x10),
		    -E_FAULT);

	ctx.ctrlreg[3] = 0;
	PV_CHECK_EQ(init1(), -E_INVAL);
	ctx.ctrlreg[3] = HYP_IMAGE_MFN << 12;
	PV_CHECK_EQ(init1(), -E_INVAL);
	ctx.ctrlreg[3] = mfn_of(data_page) << 12; /* writable, not an L4 */
	PV_CHECK_EQ(init1(), -E_INVAL);
	ctx.ctrlreg[3] = (l4_mfn << 12) | 8;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.ctrlreg[1] = mfn_of(data_page) << 12; /* bad user root */
	PV_CHECK_EQ(init1(), -E_INVAL);

	good_ctx();
	ctx.user_regs.cs = 0xe008; /* the hypervisor's code selector */
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.user_regs.cs = 0x0008;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.user_regs.ss = 0;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.user_regs.ss = 0xe010; /* the hypervisor's data selector */
	PV_CHECK_EQ(init1(), -E_INVAL);

	good_ctx();
	ctx.user_regs.rip = 0x0000800000000000ULL;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.kernel_sp = 0x8000000000000000ULL;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.trap_ctxt[14].address = 0x1234000000000000ULL;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.event_callback_eip = 0x00f0000000000000ULL;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.flags = 0; /* user mode without a user root */
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.ldt_ents = 8193;
	ctx.ldt_base = 0x100000;
	PV_CHECK_EQ(init1(), -E_INVAL);
	ctx.ldt_ents = 16;
	ctx.ldt_base = 0x100008;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.debugreg[7] = 1ULL << 32;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.debugreg[0] = HYPERVISOR_VIRT_START;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.debugreg[7] = 1ULL << 13; /* GD */
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.debugreg[6] = 1ULL << 40;
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	/* An I/O breakpoint (L0, R/W0 = 10b) without ctrlreg[4].DE. */
	ctx.debugreg[7] = 1 | (2ULL << 16);
	PV_CHECK_EQ(init1(), -E_INVAL);
	good_ctx();
	ctx.flags |= VGCF_i387_valid;
	ctx.fpu_ctxt[24 + 2] = 1; /* MXCSR bit 17: reserved */
	PV_CHECK_EQ(init1(), -E_INVAL);

	good_ctx();
	ctx.gdt_ents = 7169;
	PV_CHECK_EQ(init1(), -E_INVAL);
	ctx.gdt_ents = 16;
	ctx.gdt_frames[0] = mfn_of(data_page); /* writable */
	PV_CHECK_EQ(init1(), -E_INVAL);
	ctx.gdt_frames[0] = l4_mfn;
	PV_CHECK_EQ(init1(), -E_INVAL);
	ctx.gdt_frames[0] = HYP_IMAGE_MFN;
	PV_CHECK_EQ(init1(), -E_INVAL);

	/* Nothing stuck: vCPU 1 is still uninitialised. */
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL), -E_INVAL);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
	pv_test_end();
}

static void test_initialise_good(void)
{
	unsigned int i;

	pv_test_begin("hostile_abi.initialise_good");
	good_ctx();
	ctx.gdt_frames[0] = mfn_of(gdt_page);
	ctx.gdt_ents = 512;
	PV_CHECK_OK(init1());
	PV_CHECK_EQ(init1(), -E_EXIST);
	PV_CHECK_OK(HYPERVISOR_vcpu_op(VCPUOP_up, 1, NULL));
	for (i = 0; i < 100000 && vcpu1_ran < 2; i++) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	PV_CHECK_EQ(vcpu1_ran, 2);
	PV_CHECK_EQ(init1(), -E_EXIST);
	for (i = 0; i < 100000 && HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL);
	     i++) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_is_up, 1, NULL), 0);
	pv_test_end();
}

/* Giving the GDT up makes the frame an ordinary page again. */
static void test_gdt_release(void)
{
	pv_test_begin("hostile_abi.set_gdt_release");
	PV_CHECK_OK(HYPERVISOR_set_gdt(NULL, 0));
	/* vCPU 1 (down) still holds the frame as its GDT. */
	CHECK_REFUSED(set_rw(gdt_page), E_BUSY, XENO_WHY_TYPE_CONFLICT);
	pv_test_end();
}

int main(void)
{
	l4_mfn = pv_current_l4_mfn();
	test_gdt_good();
	test_gdt_limits();
	test_gdt_bad_frames();
	test_gdt_bad_descriptors();
	test_update_descriptor();
	test_initialise_bad();
	test_initialise_good();
	test_gdt_release();
	return 0;
}
