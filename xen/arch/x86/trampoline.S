/* SPDX-License-Identifier: MIT */
/*
 * Where application processors start: copied to TRAMPOLINE_PHYS (below
 * 1 MiB), entered in real mode by the STARTUP IPI, it switches to
 * protected mode, then to long mode on the boot page tables (boot.S),
 * and jumps to ap_entry64 in the image, which takes the stack the boot
 * CPU prepared for this AP.
 */
#include <asm/layout.h>

#define TRAMP(x) ((x) - trampoline_start + TRAMPOLINE_PHYS)
#define PHYS(x) ((x) - DIRECTMAP_BASE)

	.section .trampoline, "ax"
	.code16
	.globl trampoline_start
trampoline_start:
	cli
	cld
	xor %ax, %ax
	mov %ax, %ds
	lgdtl TRAMP(tramp_gdt_ptr)
	mov %cr0, %eax
	or $1, %eax
	mov %eax, %cr0
	ljmpl $0x18, $TRAMP(tramp32)

	.code32
tramp32:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %cr4, %eax
	or $(1 << 5), %eax
	mov %eax, %cr4
	mov $PHYS(boot_pml4), %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	mov TRAMP(tramp_efer), %eax
	xor %edx, %edx
	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax
	mov %eax, %cr0
	ljmp $0x08, $TRAMP(tramp64)

	.code64
tramp64:
	movabs $ap_entry64, %rax
	jmp *%rax

	.balign 8
tramp_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data */
	.quad 0x00cf9a000000ffff /* 0x18: 32-bit code */
tramp_gdt_ptr:
	.short tramp_gdt_ptr - tramp_gdt - 1
	.long TRAMP(tramp_gdt)
	.globl tramp_efer
tramp_efer:
	.long 0
	.globl trampoline_end
trampoline_end:

	.text
ap_entry64:
	mov $BOOT_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	/* The final tables first: the stack may be above 4 GiB. */
	mov ap_cr3(%rip), %rax
	mov %rax, %cr3
	mov ap_boot_stack(%rip), %rsp
	xor %ebp, %ebp
	call ap_start
1:	cli
	hlt
	jmp 1b
