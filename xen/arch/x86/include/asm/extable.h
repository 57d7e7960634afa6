/* SPDX-License-Identifier: MIT */
/*
 * The exception table (xen/arch/x86/extable.c): pairs of (instruction
 * that may fault, where to resume instead) in the __ex_table section.
 *
 * Interface rules:
 *  - Only instructions that touch guest memory on purpose (the direct
 *    guest copies, guest_copy.S) have entries; a fault anywhere else in
 *    the hypervisor stays fatal.
 *  - The fixup runs with the registers the fault left (for REP MOVS: the
 *    count still to do) and the flags of the faulting instruction.
 */
#ifndef ASM_EXTABLE_H
#define ASM_EXTABLE_H

#ifdef __ASSEMBLY__

/* An entry: a fault at insn resumes at fixup. */
#define EXTABLE(insn, fixup)          \
	.pushsection __ex_table, "a"; \
	.balign 8;                    \
	.quad insn, fixup;            \
	.popsection

#else

#include <asm/traps.h>

struct extable_entry {
	uint64_t insn;
	uint64_t fixup;
};

/*
 * A fault of the hypervisor at regs->rip: if the table has the
 * instruction, moves regs->rip to its fixup and returns true (the fault
 * is handled); otherwise false.
 */
bool extable_fixup(struct cpu_regs *regs);

#endif
#endif
