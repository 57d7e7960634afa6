/* SPDX-License-Identifier: MIT */
/*
 * Xeno's virtual memory layout on x86-64 (docs/boot.md has the table).
 *
 * Everything the hypervisor maps lives inside the range the PV ABI
 * reserves for it, L4 slots 256..271 (0xffff800000000000 to
 * 0xffff880000000000), so that every guest L4 can carry the hypervisor's
 * slots unchanged.
 *
 *   slot 256  0xffff800000000000  read-only machine-to-phys table (guests)
 *   slot 262  0xffff830000000000  direct map of all machine memory (2 TiB);
 *                                 the hypervisor image runs inside it at
 *                                 DIRECTMAP_BASE + XENO_LOAD_PHYS
 *
 * The image is loaded at physical XENO_LOAD_PHYS and linked at the same
 * offset in the direct map, so "virtual = DIRECTMAP_BASE + physical"
 * holds for the image and for every frame.
 */
#ifndef ASM_LAYOUT_H
#define ASM_LAYOUT_H

/* HYPERVISOR_VIRT_START/END (the hole) are in public/xen.h. */
#define DIRECTMAP_BASE 0xffff830000000000
#define DIRECTMAP_SLOT 262
#define DIRECTMAP_SIZE 0x20000000000 /* 2 TiB: 4 L4 slots */
#define XENO_LOAD_PHYS 0x100000

/* The AP start-up code is copied here (below 1 MiB, page aligned). */
#define TRAMPOLINE_PHYS 0x8000

/*
 * Each CPU's stack block: STACK_SIZE bytes, aligned to STACK_SIZE. The IST
 * stacks for double fault, NMI, machine check and debug (#DB, see
 * entry.S db_entry) take the first four pages; the primary stack takes
 * the rest, with struct cpu_info at its top so that any stack pointer in
 * the block finds its CPU.
 */
#define STACK_ORDER 3
#define STACK_SIZE  (4096 << STACK_ORDER)
#define IST_DF_TOP  0x1000
#define IST_NMI_TOP 0x2000
#define IST_MCE_TOP 0x3000
#define IST_DB_TOP  0x4000

/* Selectors of the boot GDTs (boot.S, trampoline.S). */
#define BOOT_CS 0x08
#define BOOT_DS 0x10

/*
 * Selectors of the running GDT (desc.c). They sit in its reserved page
 * (entries 7168 and up, pv-abi §2.2), where the guest's flat selectors
 * live too: SYSCALL loads HYP_CS/HYP_DS, and SYSRET's base 0xe023 gives
 * the guest's 64-bit CS 0xe033 and SS 0xe02b.
 */
#define HYP_CS	    0xe008
#define HYP_DS	    0xe010
#define GUEST_CS32  0xe023
#define GUEST_DS    0xe02b
#define GUEST_CS64  0xe033
#define TSS_SEL	    0xe040
#define LDT_SEL	    0xe050 /* the current vCPU's LDT (pv/ldt.c) */
#define GDT_ENTRIES 8192

/*
 * struct cpu_info fields that assembly reaches through %gs while a guest
 * runs (SYSCALL entry): a scratch slot for the guest's RSP and the stack
 * top where the guest's register frame is built.
 */
/* The pseudo-vector of frames built by SYSCALL entry. */
#define VEC_SYSCALL 0x100

#define CPU_INFO_ID	 0
#define CPU_INFO_SCRATCH 16
#define CPU_INFO_SELF	 24
#define CPU_INFO_VCPU	 32

/*
 * The stride of struct exit_work the SYSCALL entry's short path reads
 * (its offsets in struct vcpu come from the generated asm/offsets.h).
 */
#define EXIT_WORK_STRIDE 64

/* sizeof(struct cpu_info) (percpu.h checks it). */
#define CPU_INFO_SIZE 64
#endif
