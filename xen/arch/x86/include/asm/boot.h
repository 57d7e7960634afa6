/* SPDX-License-Identifier: MIT */
/* Boot-time steps of the x86 start-up (setup.c calls them in order). */
#ifndef ASM_BOOT_H
#define ASM_BOOT_H

#include <xeno/types.h>

/*
 * Reserves the image, modules and firmware areas, builds the frame table
 * and the final direct map, and hands all other RAM to the frame
 * allocator (memory.c).
 */
void memory_init(void);

/* Memory figures for the banner, in frames. */
struct memory_stats {
	uint64_t ram;	   /* RAM the map reports (after mem=) */
	uint64_t reserved; /* RAM the hypervisor keeps for itself */
	uint64_t max_mfn;  /* one past the highest RAM frame */
};
extern struct memory_stats mem_stats;

/* ACPI: finds the CPUs' APIC ids and the local APIC (acpi.c). */
void acpi_init(void);
extern uint32_t acpi_cpu_apic_ids[];
extern unsigned int acpi_nr_cpus;

#endif
