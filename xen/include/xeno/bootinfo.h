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
	char error[160]; /* why multiboot_read failed */
};

extern struct boot_info boot_info;

#define MULTIBOOT1_BOOT_MAGIC 0x2badb002
#define MULTIBOOT2_BOOT_MAGIC 0x36d76289

/*
 * Returns a pointer through which len bytes at the loader's physical
 * address phys can be read, or NULL if any of them is out of reach.
 */
typedef const void *(*boot_map_fn)(uint64_t phys, uint64_t len);

/*
 * Fills bi from the loader's information (magic and pointer as the loader
 * passed them in EAX and EBX). Returns 0, or -1 with bi->error naming the
 * problem: unknown magic, no or malformed memory map, malformed tags or
 * module entries, more than the limits above.
 */
int multiboot_read(uint32_t magic, uint64_t info_phys, boot_map_fn map,
		   struct boot_info *bi);

/* The index of the first module overlapping [start, end), or -1. */
int bootinfo_module_overlap(const struct boot_info *bi, uint64_t start,
			    uint64_t end);

#endif
