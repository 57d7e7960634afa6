/* SPDX-License-Identifier: MIT */
/*
 * The exception table (asm/extable.h): the linker gathers every
 * EXTABLE() entry between __ex_table_start and __ex_table_end. There are
 * a handful, so a fault looks them up one by one; faults through the
 * table are the rare case (a guest passing a bad pointer).
 *
 * Locks: none; the table is read-only.
 */
#include <asm/extable.h>

extern const struct extable_entry __ex_table_start[], __ex_table_end[];

bool extable_fixup(struct cpu_regs *regs)
{
	const struct extable_entry *e;

	for (e = __ex_table_start; e < __ex_table_end; e++) {
		if (e->insn == regs->rip) {
			regs->rip = e->fixup;
			return true;
		}
	}
	return false;
}
