/* SPDX-License-Identifier: MIT */
/*
 * Boot-time memory set-up: turn the loader's memory map into the frame
 * table, the hypervisor's final page tables (a direct map of all memory
 * at DIRECTMAP_BASE) and a frame allocator holding every free frame.
 *
 * Reserved, never given to the allocator: the first MiB (firmware, the
 * AP trampoline), the hypervisor image, the boot modules, and the "early"
 * range holding the frame table and the page tables built here.
 */
#include <asm/boot.h>
#include <asm/cpu.h>
#include <asm/layout.h>
#include <asm/mm.h>
#include <xeno/arch.h>
#include <xeno/bootinfo.h>
#include <xeno/cmdline.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>

#define MIN_RAM	     (32ULL << 20)
#define LOW_RESERVED (1ULL << 20)
#define GIB	     (1ULL << 30)
#define PTE_P	     0x1ULL
#define PTE_W	     0x2ULL
#define PTE_PS	     0x80ULL
#define PTE_G	     0x100ULL
#define PTE_NX	     (1ULL << 63)

extern char __image_start[], __image_end[];

struct memory_stats mem_stats;
uint64_t *idle_pml4;

struct range {
	uint64_t start, end;
};

static struct range reserved[MAX_BOOT_MODULES + 4];
static unsigned int nr_reserved;
static struct range early; /* [start, cur) handed out by early_alloc */
static uint64_t early_cur;

static uint64_t phys_of(const void *p)
{
	return (uint64_t)(uintptr_t)p - DIRECTMAP_BASE;
}

static void reserve(uint64_t start, uint64_t end)
{
	struct range r = { ROUND_DOWN(start, PAGE_SIZE),
			   ROUND_UP(end, PAGE_SIZE) };
	unsigned int i = nr_reserved++;

	/* Keep the list sorted by start (insertion sort; it is short). */
	while (i > 0 && reserved[i - 1].start > r.start) {
		reserved[i] = reserved[i - 1];
		i--;
	}
	reserved[i] = r;
}

/* Applies mem= and counts RAM; stops the boot if there is too little. */
static void clip_ram(void)
{
	uint64_t left = opt.mem ? opt.mem : UINT64_MAX, total = 0, top = 0;
	unsigned int i;

	for (i = 0; i < boot_info.nr_mem; i++) {
		struct mem_region *r = &boot_info.mem[i];
		uint64_t len;

		if (r->type != MEM_RAM) {
			continue;
		}
		r->start = ROUND_UP(r->start, PAGE_SIZE);
		r->end = ROUND_DOWN(r->end, PAGE_SIZE);
		if (r->end <= r->start) {
			r->type = MEM_RESERVED;
			continue;
		}
		len = MIN(r->end - r->start, left);
		r->end = r->start + len;
		left -= len;
		total += len;
		top = MAX(top, r->end);
	}
	mem_stats.ram = total >> PAGE_SHIFT;
	mem_stats.max_mfn = top >> PAGE_SHIFT;
	if (total < MIN_RAM) {
		printk(LOG_ERR,
		       "boot: not enough memory: %lu MiB of RAM, Xeno "
		       "needs at least %llu MiB\n",
		       total >> 20, MIN_RAM >> 20);
		arch_halt(XENO_EXIT_NO_MEMORY);
	}
}

static void reserve_boot_areas(void)
{
	uint64_t img_s = phys_of(__image_start), img_e = phys_of(__image_end);
	unsigned int i;

	reserve(0, LOW_RESERVED);
	reserve(img_s, img_e);
	i = (unsigned int)bootinfo_module_overlap(&boot_info, img_s, img_e);
	if (i < boot_info.nr_mod) {
		printk(LOG_ERR,
		       "boot: module %u [%#lx, %#lx) overlaps the hypervisor "
		       "image [%#lx, %#lx)\n",
		       i, boot_info.mod[i].start, boot_info.mod[i].end, img_s,
		       img_e);
		arch_halt(XENO_EXIT_BAD_BOOT);
	}
	for (i = 0; i < boot_info.nr_mod; i++) {
		const struct boot_module *m = &boot_info.mod[i];

		reserve(m->start, m->end);
	}
}

/* Finds size bytes of free RAM below 4 GiB (mapped by the boot tables). */
static uint64_t find_free(uint64_t size)
{
	unsigned int i, j;

	for (i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];
		uint64_t at = MAX(r->start, LOW_RESERVED);

		if (r->type != MEM_RAM) {
			continue;
		}
		for (j = 0; j < nr_reserved; j++) {
			if (at + size <= reserved[j].start) {
				break;
			}
			if (reserved[j].end > at) {
				at = reserved[j].end;
			}
		}
		if (at + size <= r->end && at + size <= 4 * GIB) {
			return at;
		}
	}
	return 0;
}

/* Zeroed pages from the early range. */
static void *early_alloc(uint64_t pages)
{
	uint64_t p = early_cur;

	BUG_ON(p + pages * PAGE_SIZE > early.end);
	early_cur += pages * PAGE_SIZE;
	memset((void *)(uintptr_t)(DIRECTMAP_BASE + p), 0, pages * PAGE_SIZE);
	return (void *)(uintptr_t)(DIRECTMAP_BASE + p);
}

static uint64_t *next_table(uint64_t *table, unsigned int idx)
{
	if (!(table[idx] & PTE_P)) {
		table[idx] = phys_of(early_alloc(1)) | PTE_P | PTE_W;
	}
	return (uint64_t *)(uintptr_t)(DIRECTMAP_BASE +
				       (table[idx] & 0x000ffffffffff000ULL));
}

/* Maps [0, end) at DIRECTMAP_BASE with the largest pages the CPU has. */
static void build_direct_map(uint64_t end)
{
	uint64_t flags = PTE_P | PTE_W | PTE_PS | (cpu_has.nx ? PTE_NX : 0);
	uint64_t pa;

	idle_pml4 = early_alloc(1);
	for (pa = 0; pa < end; pa += GIB) {
		uint64_t va = DIRECTMAP_BASE + pa;
		uint64_t *l3 = next_table(idle_pml4, (va >> 39) & 511);
		/* The image runs from the first GiB: keep that executable. */
		uint64_t f = pa < GIB ? flags & ~PTE_NX : flags;
		unsigned int i;

		if (cpu_has.page1g) {
			l3[(va >> 30) & 511] = pa | f;
			continue;
		}
		for (i = 0; i < 512; i++) {
			uint64_t *l2 = next_table(l3, (va >> 30) & 511);

			l2[i] = (pa + i * (2ULL << 20)) | f;
		}
	}
	write_cr3(phys_of(idle_pml4));
}

static void free_ram(void)
{
	unsigned int i, j;

	for (i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_region *r = &boot_info.mem[i];
		uint64_t cur = r->start;

		if (r->type != MEM_RAM) {
			continue;
		}
		for (j = 0; j < nr_reserved && cur < r->end; j++) {
			uint64_t s = reserved[j].start, e = reserved[j].end;

			if (e <= cur || s >= r->end) {
				continue;
			}
			if (s > cur) {
				frame_add_free_range(mfn(cur >> PAGE_SHIFT),
						     (s - cur) >> PAGE_SHIFT);
			}
			cur = MAX(cur, e);
		}
		if (cur < r->end) {
			frame_add_free_range(mfn(cur >> PAGE_SHIFT),
					     (r->end - cur) >> PAGE_SHIFT);
		}
	}
}

void memory_init(void)
{
	uint64_t map_end, ft_bytes, pt_pages, size;

	clip_ram();
	reserve_boot_areas();
	map_end = ROUND_UP(MAX(4 * GIB, mem_stats.max_mfn << PAGE_SHIFT), GIB);
	ft_bytes = ROUND_UP(frame_table_bytes(mem_stats.max_mfn), PAGE_SIZE);
	/* PML4, PDPTs, and one PD per GiB when 1 GiB pages are missing. */
	pt_pages = 1 + 4 + (cpu_has.page1g ? 0 : map_end / GIB) + 8;
	size = ft_bytes + pt_pages * PAGE_SIZE;
	early.start = find_free(size);
	if (!early.start) {
		printk(LOG_ERR,
		       "boot: not enough memory: no %lu KiB below "
		       "4 GiB for the frame table\n",
		       size >> 10);
		arch_halt(XENO_EXIT_NO_MEMORY);
	}
	early.end = early.start + size;
	early_cur = early.start;
	reserve(early.start, early.end);

	frame_table_init(early_alloc(ft_bytes >> PAGE_SHIFT),
			 mem_stats.max_mfn);
	build_direct_map(map_end);
	frame_alloc_init();
	free_ram();
	mem_stats.reserved = mem_stats.ram - frame_free_count();
}
