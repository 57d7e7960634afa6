/* SPDX-License-Identifier: MIT */
/*
 * Offsets of C structures that assembly reads (entry.S). This file is
 * compiled to assembly only; the Makefile turns each "->NAME value" line
 * into a #define of build/.../asm/offsets.h, so the assembly follows the
 * C layout without hand-kept numbers.
 */
#include <asm/cpu.h>
#include <asm/vcpu.h>
#include <xeno/sched.h>

#define OFFSET(name, value) \
	asm volatile("\n.ascii \"->" #name " %c0\"" ::"i"(value))

void asm_offsets(void);

void asm_offsets(void)
{
	OFFSET(VCPU_USER_MODE, __builtin_offsetof(struct vcpu, mm.user_mode));
	OFFSET(VCPU_VCPU_INFO, __builtin_offsetof(struct vcpu, vcpu_info));
	OFFSET(CPU_HAS_SMAP, __builtin_offsetof(struct cpu_features, smap));
}
