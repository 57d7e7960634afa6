/* SPDX-License-Identifier: MIT */
/*
 * The first instructions: multiboot headers (1 for QEMU -kernel, 2 for
 * GRUB), the 32-bit entry, the switch to long mode on boot page tables,
 * and the jump into the direct map where the image is linked.
 *
 * The boot page tables map the first 4 GiB twice with 2 MiB pages: at 0
 * (so the switch itself keeps running) and at DIRECTMAP_BASE. They stay
 * in use by APs while they start (smpboot.c), so they are never changed.
 */
#include <asm/layout.h>

#define PHYS(x) ((x) - DIRECTMAP_BASE)

#define MB1_MAGIC 0x1badb002
#define MB1_FLAGS 0x00010003 /* page-align modules, memory map, addresses */
#define MB2_MAGIC 0xe85250d6

	.section .multiboot, "a"
	.balign 8
mb1_header:
	.long MB1_MAGIC
	.long MB1_FLAGS
	.long -(MB1_MAGIC + MB1_FLAGS)
	.long PHYS(mb1_header)
	.long PHYS(__image_start)
	.long PHYS(__load_end)
	.long PHYS(__bss_end)
	.long PHYS(_start32)

	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long 0
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + (mb2_header_end - mb2_header))
	/* Address tag: load the file from the header on, like multiboot 1. */
	.balign 8
	.short 2, 0
	.long 24
	.long PHYS(mb2_header)
	.long PHYS(__image_start)
	.long PHYS(__load_end)
	.long PHYS(__bss_end)
	/* Entry address tag. */
	.balign 8
	.short 3, 0
	.long 12
	.long PHYS(_start32)
	/* End tag. */
	.balign 8
	.short 0, 0
	.long 8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	/* The TSC at the first instruction, for the banner's boot time. */
	mov %eax, %edi
	rdtsc
	mov %eax, PHYS(boot_tsc)
	mov %edx, PHYS(boot_tsc) + 4
	mov %edi, %eax
	mov %eax, PHYS(boot_magic)
	mov %ebx, PHYS(boot_info_phys)
	mov $PHYS(boot_stack) + STACK_SIZE, %esp

	/* Long mode must exist; say so on COM1 if it does not. */
	mov $0x80000000, %eax
	cpuid
	cmp $0x80000001, %eax
	jb no_long_mode
	mov $0x80000001, %eax
	cpuid
	bt $29, %edx
	jnc no_long_mode
	mov %edx, %ebp  /* keep the NX bit (20) for EFER below */

	/* PAE and the boot page tables. */
	mov %cr4, %eax
	or $(1 << 5), %eax
	mov %eax, %cr4
	mov $PHYS(boot_pml4), %eax
	mov %eax, %cr3

	/* EFER: long mode, and no-execute when the CPU has it. */
	mov $0xc0000080, %ecx
	rdmsr
	or $(1 << 8), %eax
	bt $20, %ebp
	jnc 1f
	or $(1 << 11), %eax
1:	wrmsr

	/* Paging on, with write protection honoured in ring 0. */
	mov %cr0, %eax
	or $0x80010001, %eax
	mov %eax, %cr0

	lgdt PHYS(boot_gdt_ptr)
	ljmp $BOOT_CS, $PHYS(start64_low)

no_long_mode:
	mov $PHYS(no_lm_msg), %esi
	mov $0x3f8, %dx
2:	lodsb
	test %al, %al
	jz 3f
	out %al, %dx
	jmp 2b
3:	/* isa-debug-exit: XENO_EXIT_BAD_BOOT */
	mov $0xf4, %dx
	mov $4, %eax
	out %eax, %dx
4:	hlt
	jmp 4b

	.code64
start64_low:
	movabs $start64_high, %rax
	jmp *%rax

	.text
start64_high:
	mov $BOOT_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs

	/* Zero .bss (the boot stack is in it, so before using the stack). */
	movabs $__bss_start, %rdi
	movabs $__bss_end, %rcx
	sub %rdi, %rcx
	xor %eax, %eax
	rep stosb

	movabs $boot_stack + STACK_SIZE - CPU_INFO_SIZE, %rsp
	xor %ebp, %ebp
	mov boot_magic(%rip), %edi
	mov boot_info_phys(%rip), %esi
	call start_xeno
5:	cli
	hlt
	jmp 5b

	.section .rodata
no_lm_msg:
	.asciz "xeno: this CPU has no 64-bit long mode; cannot boot\r\n"

	.data
	.balign 8
	.globl boot_tsc
boot_tsc:
	.quad 0
boot_magic:
	.long 0
boot_info_phys:
	.long 0

	/* A GDT good for the switch and for APs starting (trampoline.S). */
	.balign 16
	.globl boot_gdt
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data */
	.quad 0x00cf9a000000ffff /* 0x18: 32-bit code */
boot_gdt_end:
	.globl boot_gdt_ptr
boot_gdt_ptr:
	.short boot_gdt_end - boot_gdt - 1
	.quad PHYS(boot_gdt)

	.section .data.page_aligned, "aw"
	.balign 4096
	.globl boot_pml4
boot_pml4:
	.quad PHYS(boot_pdpt) + 0x3
	.fill DIRECTMAP_SLOT - 1, 8, 0
	.quad PHYS(boot_pdpt) + 0x3
	.fill 511 - DIRECTMAP_SLOT, 8, 0
boot_pdpt:
	.quad PHYS(boot_pd) + 0x3
	.quad PHYS(boot_pd) + 0x1003
	.quad PHYS(boot_pd) + 0x2003
	.quad PHYS(boot_pd) + 0x3003
	.fill 508, 8, 0
boot_pd:
	.set i, 0
	.rept 2048
	.quad (i << 21) | 0x83
	.set i, i + 1
	.endr

	/* xeno.lds aligns this to STACK_SIZE (an alignment here would raise
	 * the segment's alignment and push the multiboot header too far into
	 * the file). */
	.section .bss.stack, "aw", @nobits
	.globl boot_stack
boot_stack:
	.skip STACK_SIZE
