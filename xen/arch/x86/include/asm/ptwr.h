/* SPDX-License-Identifier: MIT */
/*
 * Writable page tables, the arch half (xen/arch/x86/pv/ptwr.c, pv-abi
 * §9.10, docs/mm.md "Writable page tables"): the guest #PF handler asks
 * it first whether a fault is a store into one of the guest's L1 tables
 * that Xeno emulates.
 */
#ifndef ASM_PTWR_H
#define ASM_PTWR_H

#include <asm/traps.h>
#include <xeno/domain.h>

/*
 * Called for every #PF of v's guest with the hardware frame f and the
 * faulting address cr2. Returns true if the fault was consumed: the
 * store was emulated (f advanced past it), or must run again (the entry
 * changed meanwhile; f unchanged). Returns false to deliver the #PF to
 * the guest unchanged: the fault is not such a store, or the emulation
 * refused it (then the reason is recorded, xeno_mm_op).
 */
bool pv_ptwr_fault(struct vcpu *v, struct cpu_regs *f, uint64_t cr2);

#endif
