/* SPDX-License-Identifier: MIT */
/*
 * Symbol lookup for backtraces. The table is generated at link time by
 * tools/gensyms.sh from the image's own function symbols (sorted by
 * address) and linked into the .syms section.
 */
#include <asm/symbols.h>
#include <xeno/lib.h>

extern const uint64_t symtab_nr;
extern const uint64_t symtab_addr[];
extern const uint32_t symtab_off[];
extern const char symtab_names[];
extern const char __image_start[], __load_end[];

const char *symbol_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = symtab_nr;

	if (!symtab_nr || addr < symtab_addr[0] ||
	    addr >= (uint64_t)(uintptr_t)__load_end) {
		return NULL;
	}
	/* The last symbol whose address is <= addr. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (symtab_addr[mid] <= addr) {
			lo = mid;
		} else {
			hi = mid;
		}
	}
	*offset = addr - symtab_addr[lo];
	return &symtab_names[symtab_off[lo]];
}

void symbol_format(uint64_t addr, char *buf, size_t size)
{
	uint64_t off;
	const char *name = symbol_lookup(addr, &off);

	if (name) {
		snprintf(buf, size, "%s+0x%lx", name, off);
	} else {
		snprintf(buf, size, "?");
	}
}
