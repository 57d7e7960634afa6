/* SPDX-License-Identifier: MIT */
/*
 * Entering and leaving a user process (libpv/user.h, user.c).
 *
 * pv_user_enter(ctx, arg) saves the kernel's callee-saved registers on
 * the current stack, remembers that stack in pv_user_kernel_rsp, clears
 * the other registers so that no kernel value reaches user mode, puts arg
 * in RDI and issues the iret hypercall on the iret_context ctx, whose CS
 * has RPL 3: the hypervisor switches to the user page tables and GS base
 * (pv-abi §7.5, §8.4). It "returns" only through pv_user_leave(code),
 * which a kernel handler calls from the user-mode kernel stack: it goes
 * back to the saved stack and returns code from pv_user_enter.
 *
 * pv_user_return_stub lives in .user.text: pv_user_run puts its address
 * under the user's first stack frame, so a user function that returns
 * makes the exit system call with its return value.
 */
#include <libpv/entry.h>

#define PV_SYS_exit 2

	.text
	.balign 16
	.globl pv_user_enter
	.type pv_user_enter, @function
pv_user_enter:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, pv_user_kernel_rsp(%rip)
	mov	%rdi, %rsp			/* the iret_context */
	mov	%rsi, %rdi			/* arg */
	xor	%esi, %esi
	xor	%edx, %edx
	xor	%ebx, %ebx
	xor	%ebp, %ebp
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d
	mov	$PV_HYPERCALL_IRET, %eax
	syscall
	ud2					/* iret never returns */
	.size pv_user_enter, . - pv_user_enter

	.balign 16
	.globl pv_user_leave
	.type pv_user_leave, @function
pv_user_leave:
	mov	pv_user_kernel_rsp(%rip), %rsp
	mov	%rdi, %rax
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size pv_user_leave, . - pv_user_leave

	.section .user.text, "ax", @progbits
	.balign 16
	.globl pv_user_return_stub
	.type pv_user_return_stub, @function
pv_user_return_stub:
	mov	%rax, %rdi
	mov	$PV_SYS_exit, %eax
	syscall
	ud2
	.size pv_user_return_stub, . - pv_user_return_stub

	.section .note.GNU-stack, "", @progbits
