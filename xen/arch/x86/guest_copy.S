/* SPDX-License-Identifier: MIT */
/*
 * The one routine that touches guest memory through the guest's own
 * page tables (guest_copy.c says when that is allowed). Each instruction
 * that reaches guest memory has an exception-table entry: a fault there
 * (not present, read-only for a write) resumes at the fixup, which
 * returns how many bytes were left, instead of being fatal.
 *
 * size_t guest_copy_raw(void *dst, const void *src, size_t n)
 * Returns 0 when all n bytes were copied, else the bytes not copied:
 * every byte before the first inaccessible one is copied. Quadwords
 * first, then the last 0-7 bytes; DF is clear (the ABI).
 */
#include <asm/extable.h>

	.text
	.globl guest_copy_raw
	.type guest_copy_raw, @function
guest_copy_raw:
	mov %rdx, %rcx
	shr $3, %rcx
.Lquads:
	rep movsq
	mov %edx, %ecx
	and $7, %ecx
.Lbytes:
	rep movsb
	xor %eax, %eax
	ret

	/*
	 * A fault among the quadwords: the quadword that faulted may have
	 * begun on a page that is fine. Finish byte by byte (RCX quadwords
	 * and the tail left; RSI and RDI point at the quadword), so that the
	 * copy stops exactly at the first byte that cannot be accessed,
	 * like the software walk.
	 */
.Lquads_fault:
	and $7, %edx
	lea (%rdx, %rcx, 8), %rcx
	jmp .Lbytes

	/* A fault in the tail: RCX bytes left. */
.Lbytes_fault:
	mov %rcx, %rax
	ret
	.size guest_copy_raw, . - guest_copy_raw

	EXTABLE(.Lquads, .Lquads_fault)
	EXTABLE(.Lbytes, .Lbytes_fault)
