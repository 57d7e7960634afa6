/* SPDX-License-Identifier: MIT */
/*
 * Where the hypervisor bounces to (pv-abi §8.6, §8.9, §8.10): one stub per
 * exception vector 0-31, the event callback and the failsafe callback,
 * and the common return path.
 *
 * On entry RSP points at the bounce frame: RCX, R11, [error code], RIP,
 * CS, RFLAGS, RSP, SS. A stub pops RCX and R11 back into their registers,
 * pushes a 0 error code where the CPU supplies none, pushes the vector,
 * then the general registers, which yields a struct pv_regs
 * (libpv/entry.h has the offsets) on a 16-byte aligned stack: the
 * hypervisor aligns the frame base, and 7 frame words + 15 registers make
 * 176 bytes either way. The C part gets &regs in RDI.
 *
 * The return path (pv_regs_return) restores every register from pv_regs,
 * drops vector and error code and leaves the hardware-shaped frame; it
 * then pushes a flags word of 0 plus RCX, R11 and RAX, which completes an
 * iret_context, and issues the iret hypercall (§7.5). With
 * pv_native_return set, kernel-mode contexts return with IRETQ instead
 * (RPL 3 ORed into CS and SS), see traps.h.
 */
#include <libpv/entry.h>

.macro SAVE_REGS
	push	%rdi
	push	%rsi
	push	%rdx
	push	%rcx
	push	%rax
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%rbx
	push	%rbp
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.endm

.macro RESTORE_REGS
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbp
	pop	%rbx
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rax
	pop	%rcx
	pop	%rdx
	pop	%rsi
	pop	%rdi
.endm

/*
 * Calls fn(regs) with RSP 16-byte aligned and DF clear (the bounce keeps
 * the interrupted DF). RBX, already saved in pv_regs, keeps the old RSP.
 */
.macro CALL_C fn
	mov	%rsp, %rdi
	mov	%rsp, %rbx
	and	$-16, %rsp
	cld
	call	\fn
	mov	%rbx, %rsp
.endm

.macro TRAP_STUB vec, has_error
	.balign 16
pv_trap_stub_\vec:
	pop	%rcx
	pop	%r11
	.if \has_error == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	pv_trap_common
.endm

	.text

/* The vectors whose bounce frame carries an error code (§8.6). */
.irp vec, 8, 10, 11, 12, 13, 14, 17, 21, 29, 30
	TRAP_STUB \vec, 1
.endr
.irp vec, 0, 1, 2, 3, 4, 5, 6, 7, 9, 15, 16, 18, 19, 20, 22, 23, 24, 25, 26, 27, 28, 31
	TRAP_STUB \vec, 0
.endr

	.balign 16
pv_trap_common:
	SAVE_REGS
	CALL_C	pv_trap_dispatch
	jmp	pv_regs_return

	.balign 16
	.globl pv_event_entry
	.type pv_event_entry, @function
pv_event_entry:
	pop	%rcx
	pop	%r11
	pushq	$0
	pushq	$PV_VECTOR_EVENT
	SAVE_REGS
	CALL_C	pv_evtchn_upcall
	jmp	pv_regs_return
	.size pv_event_entry, . - pv_event_entry

/*
 * System calls of guest user space (libpv/user.h). The syscall callback
 * (§8.8) gets a frame without error code whose RCX and R11 words are the
 * return RIP and RFLAGS; it returns with VGCF_in_syscall, so the
 * hypervisor leaves RCX/R11 as SYSRET would. INT $0x80 (§8.7) returns
 * through pv_regs_return, which restores every register.
 */
	.balign 16
	.globl pv_syscall_entry
	.type pv_syscall_entry, @function
pv_syscall_entry:
	pop	%rcx
	pop	%r11
	pushq	$0
	pushq	$PV_VECTOR_SYSCALL
	SAVE_REGS
	CALL_C	pv_user_syscall
	movzwl	PV_REGS_CS(%rsp), %eax		/* drop the saved mask */
	mov	%rax, PV_REGS_CS(%rsp)
	RESTORE_REGS
	add	$16, %rsp			/* vector, error code */
	pushq	$PV_VGCF_IN_SYSCALL		/* iret_context.flags */
	push	%rcx
	push	%r11
	push	%rax
	mov	$PV_HYPERCALL_IRET, %eax
	syscall
	ud2
	.size pv_syscall_entry, . - pv_syscall_entry

	.balign 16
	.globl pv_int80_entry
	.type pv_int80_entry, @function
pv_int80_entry:
	pop	%rcx
	pop	%r11
	pushq	$0
	pushq	$PV_VECTOR_INT80
	SAVE_REGS
	CALL_C	pv_user_syscall
	jmp	pv_regs_return
	.size pv_int80_entry, . - pv_int80_entry

/*
 * The failsafe frame (§8.10) has four selector words before RIP, so it is
 * not a pv_regs; libpv only reports it and crashes.
 */
	.balign 16
	.globl pv_failsafe_entry
	.type pv_failsafe_entry, @function
pv_failsafe_entry:
	/*
	 * Frame (pv-abi §8.10): RCX R11 DS ES FS GS, then RIP CS RFLAGS RSP
	 * SS. pv_failsafe() returns only if the guest's handler wants to
	 * resume; the four selector words then become the iret hypercall's
	 * RAX R11 RCX flags in front of the same RIP..SS.
	 */
	push	%rax				/* C may clobber them */
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%rbx
	mov	%rsp, %rbx
	lea	64(%rsp), %rdi
	and	$-16, %rsp
	cld
	call	pv_failsafe
	mov	%rbx, %rsp
	pop	%rbx
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rax
	mov	0(%rsp), %rcx
	mov	8(%rsp), %r11
	add	$16, %rsp
	mov	%rax, 0(%rsp)
	mov	%r11, 8(%rsp)
	mov	%rcx, 16(%rsp)
	movq	$0, 24(%rsp)			/* iret_context.flags */
	mov	$PV_HYPERCALL_IRET, %eax
	syscall
	ud2					/* iret never returns */
	.size pv_failsafe_entry, . - pv_failsafe_entry

	.balign 16
	.globl pv_regs_return
	.type pv_regs_return, @function
pv_regs_return:
	/*
	 * The CS word holds the saved upcall mask in bits 39:32; give the
	 * hypervisor and IRETQ a plain selector. RAX is restored below.
	 */
	movzwl	PV_REGS_CS(%rsp), %eax
	mov	%rax, PV_REGS_CS(%rsp)
	cmpb	$0, pv_native_return(%rip)
	je	.Lhypercall_return
	testb	$3, PV_REGS_CS(%rsp)
	jnz	.Lhypercall_return		/* user mode: only iret can */
	testl	$PV_RFLAGS_IF, PV_REGS_RFLAGS(%rsp)
	jz	.Lnative_return			/* events stay masked */
	/*
	 * Events are to be enabled: clear the upcall mask, then look for an
	 * upcall that became pending while it was set (§8.9 rule 4). If
	 * there is one, mask again and let the iret hypercall unmask and
	 * deliver it. An upcall arriving after the clear nests on this
	 * stack below the frame and returns here.
	 */
	mov	HYPERVISOR_shared_info(%rip), %rax
	movb	$0, PV_VCPU_UPCALL_MASK(%rax)
	mfence
	cmpb	$0, PV_VCPU_UPCALL_PENDING(%rax)
	je	.Lnative_return
	movb	$1, PV_VCPU_UPCALL_MASK(%rax)
	jmp	.Lhypercall_return

.Lnative_return:
	orq	$3, PV_REGS_CS(%rsp)
	orq	$3, PV_REGS_SS(%rsp)
	RESTORE_REGS
	add	$16, %rsp			/* vector, error code */
	iretq

.Lhypercall_return:
	RESTORE_REGS
	add	$16, %rsp			/* vector, error code */
	pushq	$0				/* iret_context.flags */
	push	%rcx
	push	%r11
	push	%rax
	mov	$PV_HYPERCALL_IRET, %eax
	syscall
	ud2					/* iret never returns */
	.size pv_regs_return, . - pv_regs_return

	.section .rodata
	.balign 8
	.globl pv_trap_stubs
pv_trap_stubs:
.irp vec, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	.quad	pv_trap_stub_\vec
.endr

	.section .note.GNU-stack, "", @progbits
