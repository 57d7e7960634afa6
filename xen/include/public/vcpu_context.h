/* SPDX-License-Identifier: MIT */
/*
 * The initial state of a vCPU (pv-abi §7.13): struct vcpu_guest_context,
 * the argument of VCPUOP_initialise, with the register block struct
 * cpu_user_regs inside it. Same conventions as xen.h: pure C, fixed-width
 * fields, a _Static_assert on every size and offset the ABI fixes. The
 * guest writes every field; the hypervisor only reads the structure.
 *
 * Descriptor-table limits (§2.2, §7.8) live here too, since both set_gdt
 * and the context use them.
 */
#ifndef XEN_PUBLIC_VCPU_CONTEXT_H
#define XEN_PUBLIC_VCPU_CONTEXT_H

#include <public/pv_ops.h>

/* GDT geometry: guest entries 0..7167 in at most 14 frames (§2.2). */
#define FIRST_RESERVED_GDT_PAGE	 14
#define FIRST_RESERVED_GDT_BYTE	 (FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_BYTE / 8)
#define GDT_ENTRIES_PER_FRAME	 512

/* The LDT's largest entry count (MMUEXT_SET_LDT, §6.2). */
#define LDT_ENTRIES_MAX 8192

/* vcpu_guest_context.flags. */
#define VGCF_i387_valid		      (1u << 0) /* fpu_ctxt is loaded */
#define VGCF_in_kernel		      (1u << 2) /* starts in kernel mode */
#define VGCF_failsafe_disables_events (1u << 3)
#define VGCF_syscall_disables_events  (1u << 4)
#define VGCF_online		      (1u << 5)

struct cpu_user_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint32_t error_code;   /* private */
	uint32_t entry_vector; /* private */
	uint64_t rip;
	uint16_t cs;
	uint16_t _pad0;
	uint8_t saved_upcall_mask;
	uint8_t _pad1[3];
	uint64_t rflags;
	uint64_t rsp;
	uint16_t ss;
	uint16_t _pad2[3];
	uint16_t es;
	uint16_t _pad3[3];
	uint16_t ds;
	uint16_t _pad4[3];
	uint16_t fs;
	uint16_t _pad5[3];
	uint16_t gs;
	uint16_t _pad6[3];
};

struct vcpu_guest_context {
	uint8_t fpu_ctxt[512]; /* FXSAVE image, with VGCF_i387_valid */
	uint64_t flags;	       /* VGCF_* */
	struct cpu_user_regs user_regs;
	struct trap_info trap_ctxt[256]; /* the virtual IDT, 0 = no handler */
	uint64_t ldt_base, ldt_ents;	 /* as MMUEXT_SET_LDT */
	uint64_t gdt_frames[16];	 /* as set_gdt (at most 14 used) */
	uint64_t gdt_ents;
	uint64_t kernel_ss, kernel_sp; /* as stack_switch */
	/*
	 * ctrlreg[3]: kernel L4 as mfn << 12; ctrlreg[1]: user L4 (0 =
	 * none); ctrlreg[0]: only TS is used; the others are ignored.
	 */
	uint64_t ctrlreg[8];
	uint64_t debugreg[8];
	uint64_t event_callback_eip;
	uint64_t failsafe_callback_eip;
	uint64_t syscall_callback_eip;
	uint64_t vm_assist; /* ignored: vm_assist is per domain */
	uint64_t fs_base;
	uint64_t gs_base_kernel;
	uint64_t gs_base_user;
};

_Static_assert(sizeof(struct cpu_user_regs) == 200, "cpu_user_regs");
PV_ABI_CHECK(cpu_user_regs, rax, 80);
PV_ABI_CHECK(cpu_user_regs, rdi, 112);
PV_ABI_CHECK(cpu_user_regs, error_code, 120);
PV_ABI_CHECK(cpu_user_regs, rip, 128);
PV_ABI_CHECK(cpu_user_regs, cs, 136);
PV_ABI_CHECK(cpu_user_regs, saved_upcall_mask, 140);
PV_ABI_CHECK(cpu_user_regs, rflags, 144);
PV_ABI_CHECK(cpu_user_regs, rsp, 152);
PV_ABI_CHECK(cpu_user_regs, ss, 160);
PV_ABI_CHECK(cpu_user_regs, es, 168);
PV_ABI_CHECK(cpu_user_regs, ds, 176);
PV_ABI_CHECK(cpu_user_regs, fs, 184);
PV_ABI_CHECK(cpu_user_regs, gs, 192);

_Static_assert(sizeof(struct vcpu_guest_context) == 5168, "vcpu_context");
PV_ABI_CHECK(vcpu_guest_context, flags, 512);
PV_ABI_CHECK(vcpu_guest_context, user_regs, 520);
PV_ABI_CHECK(vcpu_guest_context, trap_ctxt, 720);
PV_ABI_CHECK(vcpu_guest_context, ldt_base, 4816);
PV_ABI_CHECK(vcpu_guest_context, ldt_ents, 4824);
PV_ABI_CHECK(vcpu_guest_context, gdt_frames, 4832);
PV_ABI_CHECK(vcpu_guest_context, gdt_ents, 4960);
PV_ABI_CHECK(vcpu_guest_context, kernel_ss, 4968);
PV_ABI_CHECK(vcpu_guest_context, kernel_sp, 4976);
PV_ABI_CHECK(vcpu_guest_context, ctrlreg, 4984);
PV_ABI_CHECK(vcpu_guest_context, debugreg, 5048);
PV_ABI_CHECK(vcpu_guest_context, event_callback_eip, 5112);
PV_ABI_CHECK(vcpu_guest_context, failsafe_callback_eip, 5120);
PV_ABI_CHECK(vcpu_guest_context, syscall_callback_eip, 5128);
PV_ABI_CHECK(vcpu_guest_context, vm_assist, 5136);
PV_ABI_CHECK(vcpu_guest_context, fs_base, 5144);
PV_ABI_CHECK(vcpu_guest_context, gs_base_kernel, 5152);
PV_ABI_CHECK(vcpu_guest_context, gs_base_user, 5160);

#endif
