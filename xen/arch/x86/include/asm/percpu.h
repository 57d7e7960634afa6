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
	uint64_t scratch;  /* CPU_INFO_SCRATCH: guest RSP at SYSCALL */
	uint64_t self;	   /* CPU_INFO_SELF: this structure's address */
	/*
	 * The vCPU whose registers the guest frame holds (the scheduler's
	 * current one once the exit path has switched to it; NULL while
	 * idle): written by context_switch only, read by the hypercall
	 * entry, so it needs no call into the scheduler.
	 */
	struct vcpu *vcpu;
	uint64_t pad[3];
};
_Static_assert(sizeof(struct cpu_info) == CPU_INFO_SIZE, "cpu_info size");
_Static_assert(offsetof(struct cpu_info, scratch) == CPU_INFO_SCRATCH,
	       "cpu_info scratch");
_Static_assert(offsetof(struct cpu_info, self) == CPU_INFO_SELF,
	       "cpu_info self");
_Static_assert(offsetof(struct cpu_info, cpu_id) == CPU_INFO_ID,
	       "cpu_info cpu_id");
_Static_assert(offsetof(struct cpu_info, vcpu) == CPU_INFO_VCPU,
	       "cpu_info vcpu");

static inline struct cpu_info *this_cpu_info(void)
{
	unsigned long sp;

	__asm__("mov %%rsp, %0" : "=r"(sp));
	return (struct cpu_info *)((sp | (STACK_SIZE - 1)) + 1) - 1;
}

#endif
