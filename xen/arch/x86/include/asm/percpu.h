/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU state. struct cpu_info sits at the top of each CPU's stack
 * block (layout.h), so the current CPU is found from the stack pointer
 * alone, with no segment register: guests will own FS and GS.
 */
#ifndef ASM_PERCPU_H
#define ASM_PERCPU_H

#include <asm/layout.h>
#include <xeno/types.h>

struct cpu_info {
	uint32_t cpu_id;   /* index 0..NR_CPUS-1 */
	uint32_t apic_id;  /* local APIC id */
	struct percpu *pc; /* the rest of the CPU's state */
	uint64_t pad[6];
};
_Static_assert(sizeof(struct cpu_info) == CPU_INFO_SIZE, "cpu_info size");

static inline struct cpu_info *this_cpu_info(void)
{
	unsigned long sp;

	__asm__("mov %%rsp, %0" : "=r"(sp));
	return (struct cpu_info *)((sp | (STACK_SIZE - 1)) + 1) - 1;
}

#endif
