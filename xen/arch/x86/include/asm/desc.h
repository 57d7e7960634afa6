/* SPDX-License-Identifier: MIT */
/* GDT, IDT and TSS: per-CPU descriptor tables (desc.c). */
#ifndef ASM_DESC_H
#define ASM_DESC_H

#include <xeno/types.h>

struct tss {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __packed;
_Static_assert(sizeof(struct tss) == 104, "TSS size");

#include <asm/layout.h>

/* Builds the IDT once (boot CPU). */
void idt_init(void);

/*
 * Loads the IDT and this CPU's GDT and TSS. stack_block is the base of the
 * CPU's STACK_SIZE stack block (its IST stacks live there).
 */
void desc_load_cpu(unsigned int cpu, void *stack_block);

/*
 * This CPU's GDT. Entries [0, 7168) are the current guest's, filled by
 * pv/descriptor.c; the rest are the hypervisor's.
 */
uint64_t *desc_this_gdt(void);

/*
 * Points this CPU's LDT descriptor (LDT_SEL) at bytes bytes from base and
 * loads it into LDTR; bytes 0 loads the null LDT.
 */
void desc_load_ldt(const void *base, unsigned int bytes);

/* Sets up SYSCALL and the GS bases for this CPU (from desc_load_cpu). */
void syscall_init_cpu(uint64_t stack_block);

#endif
