/* SPDX-License-Identifier: MIT */
/*
 * The x86 part of a vCPU of a 64-bit PV guest (pv-abi §8): its registers
 * while it is not on a CPU, segment bases, virtual IDT, callbacks, kernel
 * stack for bounces, virtual control registers and FPU state.
 */
#ifndef ASM_VCPU_H
#define ASM_VCPU_H

#include <asm/descriptor.h>
#include <asm/fpu.h>
#include <asm/traps.h>
#include <public/pv_ops.h>
#include <xeno/types.h>

struct pv_callback {
	uint64_t address; /* 0: none */
	bool mask_events;
};

struct arch_vcpu {
	/*
	 * The guest's registers. While the vCPU runs they live in the
	 * CPU's guest frame (guest_frame()); the scheduler copies them here
	 * when it takes the vCPU off the CPU and back when it puts it on.
	 */
	struct cpu_regs regs;

	/* Segment bases (§8.2); the active GS base follows the mode. */
	uint64_t fs_base, gs_base_kernel, gs_base_user;

	/* VCPUOP_initialise is running for this vCPU (pv/vcpu_context.c). */
	bool initialising;
	/*
	 * A VCPUOP_initialise that failed after its roots were validated
	 * (pv/vcpu_context.c): its error, its caller and context address,
	 * kept while its continuations drop those roots; init_error 0: none.
	 */
	int init_error;
	const struct vcpu *init_caller;
	uint64_t init_gva;
	/*
	 * DS, ES, FS, GS while off the CPU (pv/segments.c); failsafe: one
	 * of them could not be reloaded, the failsafe callback is due.
	 */
	uint16_t sel[4];
	bool failsafe;

	/* Virtual IDT (§7.1) and callbacks (§7.2). */
	struct trap_info traps[256];
	struct pv_callback event_cb, failsafe_cb, syscall_cb, syscall32_cb,
		sysenter_cb, nmi_cb;

	/* GDT frames (set_gdt, VCPUOP_initialise; pv/descriptor.c). */
	struct pv_gdt gdt;

	/* Stack for bounces taken in user mode (stack_switch, §7.3). */
	uint64_t kernel_ss, kernel_sp;

	uint64_t cr2;	 /* virtual CR2 (§8.6) */
	uint64_t cr4;	 /* virtual CR4: only DE is the guest's (emulate.c) */
	bool virtual_ts; /* virtual CR0.TS (fpu_taskswitch) */
	uint8_t iopl;	 /* virtual IOPL (PHYSDEVOP_set_iopl) */
	/*
	 * Debug registers (pv/debugreg.c): DR0-3, DR6 and DR7 as the guest
	 * set them (dr[4], dr[5] unused); DR6 also collects the status of
	 * every #DB. Counts: switches onto a CPU and guest writes that
	 * wrote a real debug register, #DBs bounced to the guest, #DBs
	 * taken in the hypervisor on its behalf (folded into DR6 only).
	 */
	uint64_t dr[8];
	uint64_t dr_writes, db_bounced, db_ring0;

	/*
	 * FPU/SSE/AVX state (pv/fpu.c): the XSAVE (or FXSAVE) area, valid
	 * unless fpu_live says the state is in the registers of the CPU
	 * the vCPU runs on. Counters for statistics.
	 */
	uint8_t fpu[PV_FPU_AREA_SIZE] __aligned(64);
	bool fpu_live;
	uint64_t fpu_switches, fpu_saves, fpu_restores;
	uint64_t fpu_nm_lazy, fpu_nm_bounced;
};

#endif
