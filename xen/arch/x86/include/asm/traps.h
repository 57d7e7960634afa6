/* SPDX-License-Identifier: MIT */
/* Interrupt and exception frames, vectors and the trap entry points. */
#ifndef ASM_TRAPS_H
#define ASM_TRAPS_H

#include <xeno/types.h>

/* Vectors Xeno uses beyond the 32 exceptions. */
#define VEC_TIMER    0xf0 /* local APIC timer */
#define VEC_IPI_CALL 0xf1 /* run the function posted to this CPU */
#define VEC_IPI_STOP 0xf2 /* stop this CPU (panic, halt) */
#define VEC_KICK     0xf3 /* re-run the exit work (scheduler, events) */
#define VEC_FLUSH    0xf4 /* TLB shootdown (tlb.c) */

/* Serves a TLB shootdown aimed at this CPU (tlb.c). */
void tlb_flush_interrupt(void);

/*
 * This CPU idles on the hypervisor's tables from now on, using no guest
 * translation: shootdowns do not interrupt it (tlb.c). Leaving, just
 * before it switches to a vCPU, it serves the ones raised meanwhile.
 */
void arch_tlb_idle_enter(void);
void arch_tlb_idle_leave(void);
#define VEC_SPURIOUS 0xff

/* The frame entry.S builds; order matches its pushes. */
struct cpu_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/*
 * The general register with x86 encoding n (0 RAX, 1 RCX, ... 15 R15; the
 * ModRM/REX numbering) in a frame, for instruction emulation.
 */
static inline uint64_t *regs_gpr(struct cpu_regs *f, unsigned int n)
{
	uint64_t *const map[16] = {
		&f->rax, &f->rcx, &f->rdx, &f->rbx, &f->rsp, &f->rbp,
		&f->rsi, &f->rdi, &f->r8,  &f->r9,  &f->r10, &f->r11,
		&f->r12, &f->r13, &f->r14, &f->r15,
	};

	return map[n & 15];
}

void do_trap(struct cpu_regs *regs);

/*
 * A handler for #PF raised by the hypervisor itself, consulted before
 * such a fault is fatal (the native page-fault benchmark, bench.c):
 * returns true if it dealt with the fault (the instruction is retried).
 * NULL outside that benchmark.
 */
extern bool (*hyp_page_fault_hook)(struct cpu_regs *regs);

/* Prints registers and a backtrace starting at the frame. */
void dump_regs(const struct cpu_regs *regs);
void dump_backtrace(uint64_t rip, uint64_t rbp);

/* entry.S: the 256 entry stubs, each TRAP_STUB_SIZE bytes apart. */
extern const char trap_stubs[];
#define TRAP_STUB_SIZE 16

#endif
