/* SPDX-License-Identifier: MIT */
/*
 * Reading the multiboot 1 (QEMU -kernel) and multiboot 2 (GRUB) boot
 * information into struct boot_info. Pure parsing, shared by the
 * hypervisor and the host unit tests: the loader's memory is reached only
 * through the caller's map function, which refuses ranges out of reach.
 *
 * Every length and count the loader gives is checked against the
 * structure it lives in. On anything malformed the parse stops, returns
 * -1 and leaves a message naming the problem in boot_info.error.
 */
#include <xeno/bootinfo.h>
#include <xeno/lib.h>

#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS	 (1u << 3)
#define MB1_INFO_MMAP	 (1u << 6)
#define MB1_INFO_BYTES	 52 /* up to and including mmap_addr */

#define MB2_TAG_END	 0
#define MB2_TAG_CMDLINE	 1
#define MB2_TAG_MODULE	 3
#define MB2_TAG_MMAP	 6
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15

#define INFO_MAX_BYTES (1u << 20)

struct parse {
	struct boot_info *bi;
	boot_map_fn map;
};

__printf(2, 3) static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->bi->error, sizeof(p->bi->error), fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t rd32(const void *b, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)b + off, sizeof(v));
	return v;
}

static uint64_t rd64(const void *b, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)b + off, sizeof(v));
	return v;
}

/* Copies a NUL-terminated string; one unreachable byte ends it. */
static void copy_string(struct parse *p, char *dst, size_t size, uint64_t phys)
{
	size_t n = 0;

	while (phys && n + 1 < size) {
		const char *c = p->map(phys + n, 1);

		if (!c || !*c) {
			break;
		}
		dst[n++] = *c;
	}
	dst[n] = '\0';
}

static int add_region(struct parse *p, uint64_t base, uint64_t len,
		      uint32_t type)
{
	struct mem_region *r;

	if (len == 0) {
		return 0;
	}
	if (base + len < base) {
		return fail(p,
			    "memory map entry [%#lx, +%#lx) wraps around "
			    "the address space",
			    base, len);
	}
	if (p->bi->nr_mem == MAX_MEM_REGIONS) {
		return fail(p, "memory map has more than %d entries",
			    MAX_MEM_REGIONS);
	}
	r = &p->bi->mem[p->bi->nr_mem++];
	r->start = base;
	r->end = base + len;
	r->type = type;
	return 0;
}

static int add_module(struct parse *p, uint64_t start, uint64_t end,
		      uint64_t cmdline)
{
	struct boot_module *m;

	if (p->bi->nr_mod == MAX_BOOT_MODULES) {
		return fail(p, "more than %d modules", MAX_BOOT_MODULES);
	}
	if (end < start) {
		return fail(p, "module %u ends (%#lx) before it starts (%#lx)",
			    p->bi->nr_mod, end, start);
	}
	m = &p->bi->mod[p->bi->nr_mod++];
	m->start = start;
	m->end = end;
	copy_string(p, m->cmdline, sizeof(m->cmdline), cmdline);
	return 0;
}

static int parse_mb1_mmap(struct parse *p, uint64_t addr, uint32_t len)
{
	const uint8_t *map = len ? p->map(addr, len) : NULL;
	uint32_t off, size;

	if (!map) {
		return fail(p, "the loader gave no memory map (multiboot "
			       "flag 6)");
	}
	for (off = 0; off < len; off += size + 4) {
		size = off + 4 <= len ? rd32(map, off) : 0;
		if (size < 20 || off + size + 4 > len) {
			return fail(p,
				    "malformed multiboot memory map entry "
				    "at offset %u",
				    off);
		}
		if (add_region(p, rd64(map, off + 4), rd64(map, off + 12),
			       rd32(map, off + 20))) {
			return -1;
		}
	}
	return 0;
}

static int parse_mb1(struct parse *p, uint64_t info_phys)
{
	const uint8_t *info = p->map(info_phys, MB1_INFO_BYTES);
	const uint8_t *mods;
	uint32_t flags, i, n;

	if (!info) {
		return fail(p, "multiboot information at %#lx is out of reach",
			    info_phys);
	}
	flags = rd32(info, 0);
	p->bi->loader = "multiboot1";
	if (flags & MB1_INFO_CMDLINE) {
		copy_string(p, p->bi->cmdline, sizeof(p->bi->cmdline),
			    rd32(info, 16));
	}
	if (!(flags & MB1_INFO_MMAP)) {
		return fail(p, "the loader gave no memory map (multiboot "
			       "flag 6)");
	}
	if (rd32(info, 44) > INFO_MAX_BYTES) {
		return fail(p, "memory map length %u is implausible",
			    rd32(info, 44));
	}
	if (parse_mb1_mmap(p, rd32(info, 48), rd32(info, 44))) {
		return -1;
	}
	n = (flags & MB1_INFO_MODS) ? rd32(info, 20) : 0;
	if (n > MAX_BOOT_MODULES) {
		return fail(p, "more than %d modules", MAX_BOOT_MODULES);
	}
	mods = n ? p->map(rd32(info, 24), n * 16) : NULL;
	if (n && !mods) {
		return fail(p, "module list is out of reach");
	}
	for (i = 0; i < n; i++) {
		if (add_module(p, rd32(mods, i * 16), rd32(mods, i * 16 + 4),
			       rd32(mods, i * 16 + 8))) {
			return -1;
		}
	}
	return 0;
}

static int parse_mb2_mmap(struct parse *p, const uint8_t *tag, uint32_t size)
{
	uint32_t esize = size >= 16 ? rd32(tag, 8) : 0;
	uint32_t off;

	if (esize < 24) {
		return fail(p, "malformed multiboot2 memory map tag");
	}
	for (off = 16; off + esize <= size; off += esize) {
		if (add_region(p, rd64(tag, off), rd64(tag, off + 8),
			       rd32(tag, off + 16))) {
			return -1;
		}
	}
	return 0;
}

static int parse_mb2_tag(struct parse *p, const uint8_t *tag, uint32_t size,
			 uint64_t phys)
{
	struct boot_info *bi = p->bi;
	uint32_t type = rd32(tag, 0);

	switch (type) {
	case MB2_TAG_CMDLINE:
		copy_string(p, bi->cmdline,
			    MIN(sizeof(bi->cmdline), (size_t)size - 7),
			    phys + 8);
		return 0;
	case MB2_TAG_MODULE:
		if (size < 16) {
			return fail(p, "malformed multiboot2 module tag");
		}
		return add_module(p, rd32(tag, 8), rd32(tag, 12),
				  size > 16 ? phys + 16 : 0);
	case MB2_TAG_MMAP:
		return parse_mb2_mmap(p, tag, size);
	case MB2_TAG_ACPI_OLD:
	case MB2_TAG_ACPI_NEW:
		if (!bi->has_rsdp || type == MB2_TAG_ACPI_NEW) {
			memset(bi->rsdp, 0, sizeof(bi->rsdp));
			memcpy(bi->rsdp, tag + 8,
			       MIN((size_t)size - 8, sizeof(bi->rsdp)));
			bi->has_rsdp = true;
		}
		return 0;
	default:
		return 0;
	}
}

static int parse_mb2(struct parse *p, uint64_t info_phys)
{
	const uint8_t *info = p->map(info_phys, 8);
	uint32_t total = info ? rd32(info, 0) : 0, off, size;

	p->bi->loader = "multiboot2";
	if (total < 16 || total > INFO_MAX_BYTES) {
		return fail(p,
			    "multiboot2 information has an implausible "
			    "size (%u bytes)",
			    total);
	}
	info = p->map(info_phys, total);
	if (!info) {
		return fail(p, "multiboot2 information is out of reach");
	}
	for (off = 8; off + 8 <= total; off = ROUND_UP(off + size, 8u)) {
		size = rd32(info, off + 4);
		if (rd32(info, off) == MB2_TAG_END) {
			break;
		}
		if (size < 8 || off + size > total) {
			return fail(p,
				    "malformed multiboot2 tag (type %u, "
				    "size %u) at offset %u",
				    rd32(info, off), size, off);
		}
		if (parse_mb2_tag(p, info + off, size, info_phys + off)) {
			return -1;
		}
	}
	if (p->bi->nr_mem == 0) {
		return fail(p, "the loader gave no memory map (multiboot2 "
			       "tag 6)");
	}
	return 0;
}

int multiboot_read(uint32_t magic, uint64_t info_phys, boot_map_fn map,
		   struct boot_info *bi)
{
	struct parse p = { bi, map };

	memset(bi, 0, sizeof(*bi));
	bi->loader = "?";
	if (info_phys == 0) {
		return fail(&p, "no boot information (null multiboot pointer)");
	}
	if (magic == MULTIBOOT1_BOOT_MAGIC) {
		return parse_mb1(&p, info_phys);
	}
	if (magic == MULTIBOOT2_BOOT_MAGIC) {
		return parse_mb2(&p, info_phys);
	}
	return fail(&p, "not started by a multiboot loader (magic %#x)", magic);
}

int bootinfo_module_overlap(const struct boot_info *bi, uint64_t start,
			    uint64_t end)
{
	unsigned int i;

	for (i = 0; i < bi->nr_mod; i++) {
		if (bi->mod[i].start < end && bi->mod[i].end > start) {
			return (int)i;
		}
	}
	return -1;
}
