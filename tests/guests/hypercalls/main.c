/* SPDX-License-Identifier: MIT */
/*
 * Privileged-instruction emulation and the argument checks of the non-MMU
 * hypercalls (pv-abi §7, §8.12; docs/hypercalls.md): every bad number,
 * bad pointer and bad value returns its exact error, and the emulated
 * instructions give what the ABI says (the Xen CPUID leaves through the
 * forced-emulation prefix, CR3 = the boot L4, the segment-base MSRs),
 * while what is not emulated is reflected as #GP.
 */
#include <libpv.h>

#define HYP_ADDR 0xffff830000000000UL /* inside the hypervisor's hole */

static volatile unsigned int gp_count;

PV_HANDLER static void on_gp(struct pv_regs *r)
{
	gp_count++;
	r->rip += 1; /* every probe (HLT, CLI, STI) is one byte */
}

static void fep_cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("ud2; .ascii \"xen\"; cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(0));
}

static void test_cpuid(void)
{
	uint32_t r[4];

	pv_test_begin("emulate.cpuid_fep");
	fep_cpuid(0x40000000, r);
	PV_CHECK_GE(r[0], 0x40000002);
	PV_CHECK_EQ(r[1], 0x566e6558);
	PV_CHECK_EQ(r[2], 0x65584d4d);
	PV_CHECK_EQ(r[3], 0x4d4d566e);
	fep_cpuid(0x40000002, r);
	PV_CHECK_EQ(r[0], 1);
	PV_CHECK_EQ(r[1], 0x40000000);
	fep_cpuid(1, r);
	PV_CHECK(r[2] & (1u << 31), "no hypervisor bit: ecx %x", r[2]);
	/* XSAVE is exposed with OSXSAVE, never one without the other. */
	PV_CHECK(!(r[2] & (1u << 27)) == !(r[2] & (1u << 26)),
		 "XSAVE and OSXSAVE differ: ecx %x", r[2]);
	pv_test_end();
}

static void test_control_registers(void)
{
	uint64_t cr3, cr0;

	pv_test_begin("emulate.control_registers");
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	PV_CHECK_EQ(cr3, pv_current_l4_mfn() << 12);
	PV_CHECK_OK(HYPERVISOR_fpu_taskswitch(1));
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	PV_CHECK(cr0 & 8, "virtual TS not shown in CR0: %lx",
		 (unsigned long)cr0);
	__asm__ volatile("clts" ::: "memory");
	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	PV_CHECK(!(cr0 & 8), "CLTS did not clear TS: %lx", (unsigned long)cr0);
	pv_test_end();
}

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
			 :
			 : "c"(msr), "a"((uint32_t)v),
			   "d"((uint32_t)(v >> 32)));
}

static uint64_t fs_word;

static void test_msrs(void)
{
	uint64_t v;

	pv_test_begin("emulate.segment_base_msrs");
	fs_word = 0x1122334455667788ULL;
	wrmsr(0xc0000100, (uint64_t)&fs_word);
	PV_CHECK_EQ(rdmsr(0xc0000100), (uint64_t)&fs_word);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	PV_CHECK_EQ(v, fs_word);
	PV_CHECK_OK(HYPERVISOR_set_segment_base(SEGBASE_FS, 0));
	PV_CHECK_EQ(rdmsr(0xc0000100), 0);
	PV_CHECK_OK(HYPERVISOR_set_segment_base(SEGBASE_GS_USER, 0x1000));
	PV_CHECK_EQ(rdmsr(0xc0000102), 0x1000);
	pv_test_end();
}

static void test_not_emulated(void)
{
	pv_trap_handler_t old = pv_trap_set_handler(PV_TRAP_GP, on_gp);

	pv_test_begin("emulate.reflected_as_gp");
	gp_count = 0;
	__asm__ volatile("hlt" ::: "memory");
	PV_CHECK_EQ(gp_count, 1);
	__asm__ volatile("cli" ::: "memory");
	PV_CHECK_EQ(gp_count, 2);
	__asm__ volatile("sti" ::: "memory");
	PV_CHECK_EQ(gp_count, 3);
	pv_trap_set_handler(PV_TRAP_GP, old);
	pv_test_end();
}

static void test_bad_numbers(void)
{
	struct callback_register cb = { .type = 6, .address = 0x1000 };
	struct callback_unregister un = { .type = CALLBACKTYPE_event };
	uint32_t iopl = 4;

	pv_test_begin("hostile.bad_numbers");
	PV_CHECK_EQ(hypercall0(60), -ENOSYS);
	PV_CHECK_EQ(hypercall0(200), -ENOSYS);
	PV_CHECK_EQ(hypercall0(~0UL), -ENOSYS);
	PV_CHECK_EQ(HYPERVISOR_xen_version(99, NULL), -ENOSYS);
	PV_CHECK_EQ(HYPERVISOR_console_io(7, 0, NULL), -ENOSYS);
	PV_CHECK_EQ(HYPERVISOR_vm_assist(2, 2), -ENOSYS);
	PV_CHECK_EQ(HYPERVISOR_vm_assist(0, 6), -EINVAL);
	PV_CHECK_EQ(HYPERVISOR_vm_assist(0, 64), -EINVAL);
	PV_CHECK_EQ(HYPERVISOR_callback_op(CALLBACKOP_register, &cb), -ENOSYS);
	PV_CHECK_EQ(HYPERVISOR_callback_op(7, &cb), -ENOSYS);
	PV_CHECK_EQ(HYPERVISOR_callback_op(CALLBACKOP_unregister, &un),
		    -EINVAL);
	PV_CHECK_EQ(HYPERVISOR_set_segment_base(4, 0), -EINVAL);
	PV_CHECK_EQ(HYPERVISOR_get_debugreg(8), (unsigned long)-ENODEV);
	PV_CHECK_EQ(HYPERVISOR_set_debugreg(7, 1u << 13), -EPERM);
	PV_CHECK_EQ(HYPERVISOR_set_debugreg(6, 1ULL << 40), -EINVAL);
	PV_CHECK_EQ(HYPERVISOR_set_debugreg(0, HYP_ADDR), -EPERM);
	PV_CHECK_EQ(HYPERVISOR_physdev_op(6, &iopl), -EINVAL);
	PV_CHECK_EQ(HYPERVISOR_sched_op(99, NULL), -ENOSYS);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_is_up, 7, NULL), -ENOENT);
	pv_test_end();
}

static void test_bad_values(void)
{
	struct callback_register cb = { .type = CALLBACKTYPE_syscall,
					.address = 0x0000800000000000ULL };
	struct trap_info bad[2] = {
		{ .vector = 200, .address = 0x0000900000000000ULL },
		{ 0 },
	};

	pv_test_begin("hostile.bad_values");
	PV_CHECK_EQ(HYPERVISOR_callback_op(CALLBACKOP_register, &cb), -EINVAL);
	PV_CHECK_EQ(HYPERVISOR_set_trap_table(bad), -EINVAL);
	PV_CHECK_EQ(
		HYPERVISOR_set_segment_base(SEGBASE_FS, 0x0000800000000000ULL),
		-EINVAL);
	pv_test_end();
}

static void test_bad_pointers(void)
{
	struct multicall_entry mc[2];

	pv_test_begin("hostile.bad_pointers");
	PV_CHECK_EQ(HYPERVISOR_console_io(CONSOLEIO_write, 8, (char *)HYP_ADDR),
		    -EFAULT);
	PV_CHECK_EQ(HYPERVISOR_console_io(CONSOLEIO_write, 8, (char *)16),
		    -EFAULT);
	PV_CHECK_EQ(HYPERVISOR_xen_version(XENVER_get_features, NULL), -EFAULT);
	PV_CHECK_EQ(
		HYPERVISOR_xen_version(XENVER_extraversion, (void *)HYP_ADDR),
		-EFAULT);
	PV_CHECK_EQ(HYPERVISOR_set_trap_table((void *)HYP_ADDR), -EFAULT);
	PV_CHECK_EQ(HYPERVISOR_multicall((void *)HYP_ADDR, 1), -EFAULT);
	PV_CHECK_EQ(
		HYPERVISOR_event_channel_op(EVTCHNOP_send, (void *)HYP_ADDR),
		-EFAULT);
	/* The boot L4 is mapped read-only: a result cannot be written. */
	PV_CHECK_EQ(HYPERVISOR_xen_version(XENVER_extraversion,
					   (void *)start_info->pt_base),
		    -EFAULT);
	/* A nested multicall fails in its own result only. */
	memset(mc, 0, sizeof(mc));
	mc[0].op = __HYPERVISOR_multicall;
	mc[1].op = __HYPERVISOR_xen_version;
	mc[1].args[0] = XENVER_version;
	PV_CHECK_OK(HYPERVISOR_multicall(mc, 2));
	PV_CHECK_EQ(mc[0].result, -EINVAL);
	PV_CHECK_GT(mc[1].result, 0);
	pv_test_end();
}

int main(void)
{
	test_cpuid();
	test_control_registers();
	test_msrs();
	test_not_emulated();
	test_bad_numbers();
	test_bad_values();
	test_bad_pointers();
	return 0;
}
