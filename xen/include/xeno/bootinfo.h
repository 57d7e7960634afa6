/* SPDX-License-Identifier: MIT */
/*
 * What the boot loader told Xeno, copied out of the loader's structures
 * early so that low memory can be reused: the command line, the memory
 * map, the boot modules and (if given) the ACPI root pointer.
 */
#ifndef XENO_BOOTINFO_H
#define XENO_BOOTINFO_H

#include <xeno/types.h>

#define MAX_MEM_REGIONS	   128
#define MAX_BOOT_MODULES   32
#define BOOT_CMDLINE_MAX   1024
#define MODULE_CMDLINE_MAX 256

enum mem_type {
	MEM_RAM = 1,
	MEM_RESERVED = 2,
	MEM_ACPI = 3,
	MEM_NVS = 4,
	MEM_BAD = 5,
};

struct mem_region {
	uint64_t start, end; /* [start, end) bytes */
	uint32_t type;	     /* enum mem_type; anything else is reserved */
};

struct boot_module {
	uint64_t start, end; /* [start, end) bytes */
	char cmdline[MODULE_CMDLINE_MAX];
};

struct boot_info {
	const char *loader; /* "multiboot1" or "multiboot2" */
	char cmdline[BOOT_CMDLINE_MAX];
	struct mem_region mem[MAX_MEM_REGIONS];
	unsigned int nr_mem;
	struct boot_module mod[MAX_BOOT_MODULES];
	unsigned int nr_mod;
	uint8_t rsdp[36]; /* copy of the ACPI RSDP if the loader gave one */
	bool has_rsdp;
};

extern struct boot_info boot_info;

#endif
