/* SPDX-License-Identifier: MIT */
/*
 * Reading the multiboot 1 (QEMU -kernel) and multiboot 2 (GRUB) boot
 * information into struct boot_info. Every length and count the loader
 * gives is checked against the structure it lives in; anything malformed
 * is reported by name and stops the boot with XENO_EXIT_BAD_BOOT.
 */
#include <asm/boot.h>
#include <asm/layout.h>
#include <xeno/arch.h>
#include <xeno/bootinfo.h>
#include <xeno/lib.h>

#define MB1_BOOT_MAGIC 0x2badb002
#define MB2_BOOT_MAGIC 0x36d76289

#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS	 (1u << 3)
#define MB1_INFO_MMAP	 (1u << 6)

#define MB2_TAG_END	 0
#define MB2_TAG_CMDLINE	 1
#define MB2_TAG_MODULE	 3
#define MB2_TAG_MMAP	 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

#define INFO_MAX_BYTES (1u << 20)

struct boot_info boot_info;

/* Loader structures are below 4 GiB, which the boot map covers. */
static const void *lowmem(uint64_t phys)
{
	return (const void *)(uintptr_t)(DIRECTMAP_BASE + phys);
}

static __noreturn void bad(const char *what)
{
	printk(LOG_ERR, "boot: %s\n", what);
	arch_halt(XENO_EXIT_BAD_BOOT);
}

static void copy_string(char *dst, size_t size, uint64_t phys)
{
	const char *s;
	size_t n;

	if (!phys || phys >= (4ULL << 30)) {
		dst[0] = '\0';
		return;
	}
	s = lowmem(phys);
	n = strnlen(s, size - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void add_region(uint64_t base, uint64_t len, uint32_t type)
{
	struct mem_region *r;

	if (len == 0) {
		return;
	}
	if (base + len < base) {
		bad("memory map entry wraps around the address space");
	}
	if (boot_info.nr_mem == MAX_MEM_REGIONS) {
		bad("memory map has more than 128 entries");
	}
	r = &boot_info.mem[boot_info.nr_mem++];
	r->start = base;
	r->end = base + len;
	r->type = type;
}

static void add_module(uint64_t start, uint64_t end, uint64_t cmdline)
{
	struct boot_module *m;

	if (boot_info.nr_mod == MAX_BOOT_MODULES) {
		printk(LOG_ERR, "boot: more than %d modules\n",
		       MAX_BOOT_MODULES);
		arch_halt(XENO_EXIT_BAD_BOOT);
	}
	if (end < start) {
		printk(LOG_ERR,
		       "boot: module %u ends (%#lx) before it starts "
		       "(%#lx)\n",
		       boot_info.nr_mod, end, start);
		arch_halt(XENO_EXIT_BAD_BOOT);
	}
	m = &boot_info.mod[boot_info.nr_mod++];
	m->start = start;
	m->end = end;
	copy_string(m->cmdline, sizeof(m->cmdline), cmdline);
}

static void parse_mb1(uint32_t info_phys)
{
	const uint32_t *info = lowmem(info_phys);
	uint32_t flags = info[0], off;

	boot_info.loader = "multiboot1";
	if (flags & MB1_INFO_CMDLINE) {
		copy_string(boot_info.cmdline, sizeof(boot_info.cmdline),
			    info[4]);
	}
	if (!(flags & MB1_INFO_MMAP) || info[11] == 0) {
		bad("the loader gave no memory map (multiboot flag 6)");
	}
	if (info[11] > INFO_MAX_BYTES) {
		bad("memory map length is implausible");
	}
	for (off = 0; off < info[11];) {
		const uint8_t *e = lowmem((uint64_t)info[12] + off);
		uint32_t size = *(const uint32_t *)e;

		if (size < 20 || off + size + 4 > info[11]) {
			bad("malformed multiboot memory map entry");
		}
		add_region(*(const uint64_t *)(e + 4),
			   *(const uint64_t *)(e + 12),
			   *(const uint32_t *)(e + 20));
		off += size + 4;
	}
	if ((flags & MB1_INFO_MODS) && info[5]) {
		const uint32_t *mods = lowmem(info[6]);
		uint32_t i;

		for (i = 0; i < info[5]; i++) {
			add_module(mods[i * 4], mods[i * 4 + 1],
				   mods[i * 4 + 2]);
		}
	}
}

static void parse_mb2_mmap(const uint8_t *tag, uint32_t size)
{
	uint32_t esize = *(const uint32_t *)(tag + 8);
	uint32_t off;

	if (esize < 24 || size < 16) {
		bad("malformed multiboot2 memory map tag");
	}
	for (off = 16; off + esize <= size; off += esize) {
		add_region(*(const uint64_t *)(tag + off),
			   *(const uint64_t *)(tag + off + 8),
			   *(const uint32_t *)(tag + off + 16));
	}
}

static void parse_mb2(uint32_t info_phys)
{
	const uint8_t *info = lowmem(info_phys);
	uint32_t total = *(const uint32_t *)info, off;
	bool have_mmap = false;

	boot_info.loader = "multiboot2";
	if (total < 16 || total > INFO_MAX_BYTES) {
		bad("multiboot2 information has an implausible size");
	}
	for (off = 8; off + 8 <= total; off = ROUND_UP(off + 0u, 8u)) {
		const uint8_t *tag = info + off;
		uint32_t type = *(const uint32_t *)tag;
		uint32_t size = *(const uint32_t *)(tag + 4);

		if (type == MB2_TAG_END) {
			break;
		}
		if (size < 8 || off + size > total) {
			bad("malformed multiboot2 tag");
		}
		switch (type) {
		case MB2_TAG_CMDLINE:
			copy_string(boot_info.cmdline,
				    MIN(sizeof(boot_info.cmdline), size - 7),
				    info_phys + off + 8);
			break;
		case MB2_TAG_MODULE:
			add_module(*(const uint32_t *)(tag + 8),
				   *(const uint32_t *)(tag + 12),
				   size > 16 ? info_phys + off + 16 : 0);
			break;
		case MB2_TAG_MMAP:
			parse_mb2_mmap(tag, size);
			have_mmap = true;
			break;
		case MB2_TAG_ACPI_OLD:
		case MB2_TAG_ACPI_NEW:
			if (!boot_info.has_rsdp || type == MB2_TAG_ACPI_NEW) {
				memcpy(boot_info.rsdp, tag + 8,
				       MIN(size - 8, sizeof(boot_info.rsdp)));
				boot_info.has_rsdp = true;
			}
			break;
		default:
			break;
		}
		off += size;
	}
	if (!have_mmap) {
		bad("the loader gave no memory map (multiboot2 tag 6)");
	}
}

void multiboot_parse(uint32_t magic, uint32_t info_phys)
{
	if (info_phys == 0) {
		bad("no boot information (null multiboot pointer)");
	}
	if (magic == MB1_BOOT_MAGIC) {
		parse_mb1(info_phys);
	} else if (magic == MB2_BOOT_MAGIC) {
		parse_mb2(info_phys);
	} else {
		printk(LOG_ERR,
		       "boot: not started by a multiboot loader "
		       "(magic %#x)\n",
		       magic);
		arch_halt(XENO_EXIT_BAD_BOOT);
	}
}
