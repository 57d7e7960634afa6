/* SPDX-License-Identifier: MIT */
/* The hypervisor's own address space on x86. */
#ifndef ASM_MM_H
#define ASM_MM_H

#include <asm/layout.h>
#include <xeno/types.h>

/* The hypervisor's page tables (direct map only), built by memory.c. */
extern uint64_t *idle_pml4;

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(DIRECTMAP_BASE + pa);
}

static inline uint64_t virt_to_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p - DIRECTMAP_BASE;
}

#endif
