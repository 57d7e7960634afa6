/* SPDX-License-Identifier: MIT */
/*
 * Entry and exit. Every way into the hypervisor builds one struct
 * cpu_regs (asm/traps.h):
 *
 *  - Exceptions and interrupts: 256 stubs of TRAP_STUB_SIZE bytes, one
 *    per vector, push a zero error code where the CPU pushes none, then
 *    the vector, and join trap_common.
 *  - SYSCALL from a guest (hypercall, or a system call of guest user
 *    space): syscall_entry (64-bit code) and syscall32_entry
 *    (compatibility mode) build the same frame by hand, with vector
 *    VEC_SYSCALL and the flat CS of the mode, and call do_guest_syscall.
 *
 * From a guest (saved CS with RPL 3) the CPU switches to TSS.RSP0, the
 * top of its stack block below struct cpu_info, so the guest's frame is
 * always at the same place on a CPU (guest_frame()); SYSCALL switches to
 * that place itself. GS: while a guest runs, MSR_GS_BASE is the guest's
 * and MSR_KERNEL_GS_BASE points to this CPU's struct cpu_info; every
 * entry from a guest swaps them and every exit to a guest swaps back.
 * The hypervisor's own code never uses %gs except in syscall_entry.
 * #DB enters through db_entry on an IST stack (see there).
 *
 * Exits to a guest go through exit_to_guest: guest_exit_work() (C, with
 * interrupts off) handles rescheduling and event delivery and may replace
 * the frame's contents with another vCPU's, then the frame is restored
 * and SYSRET (when equivalent) or IRETQ returns to the guest. A frame of a hypervisor context (the
 * idle loop) returns with a plain IRETQ.
 */
#include <asm/layout.h>
#include <asm/offsets.h>
#include <xeno/errno.h>
#include <xeno/hypercall.h>

/* Exceptions for which the CPU pushes an error code. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || \
		      (v) == 21 || (v) == 29 || (v) == 30)

/* Offsets in the frame (struct cpu_regs) once the GPRs are pushed. */
#define FRAME_R11    (4 * 8)
#define FRAME_RAX    (14 * 8)
#define FRAME_RCX    (12 * 8)
#define FRAME_RIP    (15 * 8 + 2 * 8)
#define FRAME_CS     (FRAME_RIP + 8)
#define FRAME_RFLAGS (FRAME_RIP + 16)
#define FRAME_SS     (FRAME_RIP + 32)

#define RFLAGS_RF_BIT 0x10000
#define RFLAGS_VM_BIT 0x20000

.macro SAVE_GPRS
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro RESTORE_GPRS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
.endm

	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if !HAS_ERROR(vec)
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	/* Vector and error code are pushed: CS is at 24(%rsp). */
	testb $3, 24(%rsp)
	jz 1f
	swapgs
1:	cld
	/*
	 * A guest may run with RFLAGS.AC set, and a gate does not clear it:
	 * clear it, or SMAP would not guard Xeno while it handles the trap
	 * (IRETQ restores the interrupted context's AC, so this is right
	 * for a trap inside a guest copy's STAC window too).
	 */
	testb $1, cpu_has+CPU_HAS_SMAP(%rip)
	jz 2f
	clac
2:
	SAVE_GPRS
	mov %rsp, %rdi
	call do_trap
	testb $3, FRAME_CS(%rsp)
	jnz exit_to_guest
	RESTORE_GPRS
	add $16, %rsp
	iretq

/*
 * #DB (vector 1) has its own gate, not a trap stub, and runs on its own
 * IST stack (desc.c). Why (CVE-2018-8897): a data breakpoint on the
 * operand of a guest's MOV SS (or POP SS) is delivered only after the
 * next instruction. If that is SYSCALL, the #DB arrives in ring 0 at the
 * first instruction of syscall_entry/syscall32_entry, before they have
 * switched to the hypervisor's stack or swapped GS: RSP and the GS base
 * are still the guest's. After INT n (INT3, INT $0x80) it arrives at
 * the first instruction of the stub, on the hypervisor's stack but with
 * the guest's GS. Without IST the CPU would push the #DB frame on the
 * guest's RSP in ring 0.
 *
 * So a #DB with a ring-0 CS stays on the IST stack, does not swapgs
 * (trap_common decides by the interrupted CS, which is the hypervisor's,
 * and the C code never uses %gs: this_cpu_info() works from the IST
 * stack, which lies in the CPU's stack block), folds DR6 and returns to
 * the interrupted instruction (pv/debugreg.c). It touches no guest
 * memory and cannot fault, so nothing can raise a second #DB while the
 * IST frame is live, which a nested #DB would overwrite.
 *
 * A #DB with a guest CS (RPL 3) is an ordinary guest exception and must
 * be handled like one: it may bounce into the guest, write the guest's
 * stack (which a guest breakpoint may watch), switch vCPUs. Before any
 * of that the frame moves to where a non-IST gate would have put it,
 * the CPU's guest-frame place (TSS.RSP0, found from the IST stack
 * pointer: both lie in the CPU's stack block), which is free while a
 * guest runs; from there on the IST stack is free for a nested #DB.
 * The move uses only RAX and RCX, saved on the IST stack and restored
 * before trap_common.
 */
	.balign 16
	.globl db_entry
db_entry:
	pushq $0
	pushq $1
	testb $3, 24(%rsp)
	jz trap_common
	push %rax
	push %rcx
	/* The guest-frame place: block top - CPU_INFO_SIZE - 7 words. */
	mov %rsp, %rax
	or $(STACK_SIZE - 1), %rax
	sub $(CPU_INFO_SIZE + 7 * 8 - 1), %rax
	.irp i, 0, 1, 2, 3, 4, 5, 6
	mov (16 + \i * 8)(%rsp), %rcx
	mov %rcx, (\i * 8)(%rax)
	.endr
	mov (%rsp), %rcx
	xchg %rax, %rsp
	mov 8(%rax), %rax
	jmp trap_common

/*
 * SYSCALL from a guest: RCX holds its RIP, R11 its RFLAGS; interrupts
 * are off (MSR_FMASK). Build the frame at the CPU's guest-frame place.
 * The CPU does not say which mode the guest was in, so there are two
 * entries: syscall_entry (MSR_LSTAR, 64-bit code) records the flat
 * 64-bit CS, syscall32_entry (MSR_CSTAR, compatibility mode) the flat
 * 32-bit one; do_guest_syscall tells them apart by it (pv-abi §8.8).
 * All fifteen registers are saved even for a hypercall: the full exit
 * path may switch vCPUs or bounce, and needs the whole frame.
 *
 * The short path (64-bit entry only; a compatibility-mode caller must
 * not leave by a 64-bit SYSRET): a hypercall from guest kernel mode
 * whose number has a handler in hypercall_table is dispatched and
 * counted here exactly as hypercall_dispatch_on() would (arguments RDI,
 * RSI, RDX, R10, R8 as a struct hcall_args on the stack). Handlers in
 * the table write only RAX of the frame; a continuation (-ERESTART)
 * goes through pv_hypercall_restart. When this CPU has no exit work
 * (xeno/exit_work.h), the vCPU no deliverable event (pending and not
 * masked) and the return RIP in RCX is canonical (SYSRET to a
 * non-canonical RCX faults in ring 0 on the guest's stack on some
 * CPUs: a guest kernel could put SYSCALL in the last bytes of the lower
 * half), it returns with SYSRET at once: RCX, R11 and RSP in the frame
 * are still what SYSCALL gave, and CS/SS are the flat selectors SYSRET
 * loads, so the guest sees what the full exit path would give it.
 * Everything else (guest user mode, iret, an unknown number, exit work,
 * an event) goes through do_guest_syscall and exit_to_guest.
 */
.macro SYSCALL_ENTRY cs
	swapgs
	mov %rsp, %gs:CPU_INFO_SCRATCH
	mov %gs:CPU_INFO_SELF, %rsp
	pushq $GUEST_DS
	pushq %gs:CPU_INFO_SCRATCH
	push %r11
	pushq $\cs
	push %rcx
	pushq $0
	pushq $VEC_SYSCALL
	cld
	SAVE_GPRS
.if \cs == GUEST_CS64
	mov %gs:CPU_INFO_VCPU, %rbx
	cmpb $0, VCPU_USER_MODE(%rbx)
	jne .Lsyscall_slow\@
	cmp $HYPERCALL_SLOTS, %rax
	jae .Lsyscall_slow\@
	lea hypercall_table(%rip), %rcx
	mov (%rcx,%rax,8), %rcx
	test %rcx, %rcx
	jz .Lsyscall_slow\@
	/* hypercall_counts[cpu * HYPERCALL_SLOTS + nr]++ */
	mov %gs:CPU_INFO_ID, %r9d
	imul $(HYPERCALL_SLOTS * 8), %r9, %r9
	lea hypercall_counts(%rip), %r11
	add %r9, %r11
	incq (%r11,%rax,8)
	/* struct hcall_args, and a pad to keep the stack 16-byte aligned */
	sub $8, %rsp
	push %r8
	push %r10
	push %rdx
	push %rsi
	push %rdi
	mov %rsp, %rdi
	call *%rcx
	cmp $-ERESTART, %rax
	je .Lsyscall_restart
	add $48, %rsp
	mov %rax, FRAME_RAX(%rsp)
	/* Exit work on this CPU? */
	mov %gs:CPU_INFO_ID, %ecx
	shl $6, %rcx
	lea exit_work(%rip), %rdx
	cmpl $0, (%rdx,%rcx)
	jne exit_to_guest
	/* An event to deliver (pending, not masked)? */
	mov VCPU_VCPU_INFO(%rbx), %rcx
	test %rcx, %rcx
	jz 1f
	movzwl (%rcx), %ecx
	test %cl, %cl
	jz 1f
	test %ch, %ch
	jz exit_to_guest
	/* A canonical return RIP? */
1:	mov FRAME_RCX(%rsp), %rcx
	mov %rcx, %rdx
	shl $16, %rdx
	sar $16, %rdx
	cmp %rcx, %rdx
	jne exit_to_guest
	RESTORE_GPRS
	mov 40(%rsp), %rsp		/* vector, error, RIP, CS, RFLAGS, RSP */
	swapgs
	sysretq
.endif
.Lsyscall_slow\@:
	mov %rsp, %rdi
	call do_guest_syscall
	jmp exit_to_guest
.endm

	.balign 16
	.globl syscall32_entry
syscall32_entry:
	SYSCALL_ENTRY GUEST_CS32

	.balign 16
	.globl syscall_entry
syscall_entry:
	SYSCALL_ENTRY GUEST_CS64

/* A continuation from the short path: the hcall_args are at %rsp. */
.Lsyscall_restart:
	lea 48(%rsp), %rdi
	mov %rsp, %rsi
	call pv_hypercall_restart
	add $48, %rsp
	jmp exit_to_guest

/*
 * Returns to the guest whose frame is at %rsp (the CPU's guest-frame
 * place). Entered with interrupts off.
 */
	.globl exit_to_guest
exit_to_guest:
	mov %rsp, %rdi
	call guest_exit_work
	/*
	 * SYSRET when it gives exactly the state IRETQ would: RCX equal to
	 * the return RIP (canonical, or SYSRET faults in ring 0), R11 equal
	 * to the return RFLAGS without RF and VM (which SYSRET clears), and
	 * CS/SS the flat selectors SYSRET loads from MSR_STAR. That is the
	 * case after every hypercall and after an iret with VGCF_in_syscall
	 * (pv-abi §7.5), and never changes what the guest sees. Interrupts
	 * stay off until SYSRET; NMI and #MC use IST stacks, so the user RSP
	 * loaded just before it is never used in ring 0.
	 */
	mov FRAME_RIP(%rsp), %rax
	cmp %rax, FRAME_RCX(%rsp)
	jne .Liret_exit
	mov %rax, %rdx
	shl $16, %rdx
	sar $16, %rdx
	cmp %rax, %rdx
	jne .Liret_exit
	mov FRAME_RFLAGS(%rsp), %rax
	cmp %rax, FRAME_R11(%rsp)
	jne .Liret_exit
	test $(RFLAGS_RF_BIT | RFLAGS_VM_BIT), %eax
	jnz .Liret_exit
	cmpq $GUEST_CS64, FRAME_CS(%rsp)
	jne .Liret_exit
	cmpq $GUEST_DS, FRAME_SS(%rsp)
	jne .Liret_exit
	RESTORE_GPRS
	mov 40(%rsp), %rsp		/* vector, error, RIP, CS, RFLAGS, RSP */
	swapgs
	sysretq
.Liret_exit:
	RESTORE_GPRS
	add $16, %rsp
	swapgs
	iretq

/*
 * Leaves hypervisor context (the idle loop, or boot) for a guest: the
 * caller has filled the guest frame at frame (guest_frame()).
 * void enter_guest(struct cpu_regs *frame)
 */
	.globl enter_guest
enter_guest:
	cli
	mov %rdi, %rsp
	jmp exit_to_guest

/*
 * Runs the scheduler's idle loop on a stack that starts just below the
 * CPU's guest frame (the boot and AP start-up stacks begin at the very
 * top, where the frame goes). void idle_below_frame(struct cpu_regs *f)
 */
	.globl idle_below_frame
idle_below_frame:
	cli
	mov %rdi, %rsp
	and $-16, %rsp
	xor %ebp, %ebp
	call sched_idle
	ud2
