/* SPDX-License-Identifier: MIT */
/*
 * The entry point (pv-abi §3.12): the builder starts vCPU 0 here in guest
 * kernel mode with RSI = VA of start_info, RSP = top of its one-page boot
 * stack, events masked and no trap table. _start moves to libpv's own
 * larger stack and calls pv_start() (start.c), which never returns.
 * Nothing is cleared: the builder zeroed .bss already.
 */
#define PV_STACK_SIZE (64 * 1024)

	.section .text.entry, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	lea	pv_stack_top(%rip), %rsp
	xor	%ebp, %ebp		/* ends frame-pointer backtraces */
	mov	%rsi, %rdi
	call	pv_start
	ud2
	.size _start, . - _start

	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl pv_stack_bottom, pv_stack_top
pv_stack_bottom:
	.skip PV_STACK_SIZE
pv_stack_top:

	.section .note.GNU-stack, "", @progbits
