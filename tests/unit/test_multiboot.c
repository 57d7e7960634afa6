/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the boot-information parser (xen/common/multiboot.c):
 * well-formed multiboot 1 and 2 information, and every malformed input it
 * must refuse with a message naming the problem. The loader's "physical
 * memory" is a small buffer; the map function refuses anything outside
 * it, so a parser read out of bounds fails the test (and ASan watches).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <xeno/bootinfo.h>
#include <xeno/lib.h>

#define LOW_BYTES 0x10000
#define INFO	  0x1000 /* the information structure */
#define MMAP	  0x2000 /* multiboot 1 memory map */
#define MODS	  0x3000 /* multiboot 1 module list */
#define STRINGS	  0x4000 /* command lines */

static uint8_t low[LOW_BYTES];
static struct boot_info bi;

static const void *map(uint64_t phys, uint64_t len)
{
	if (phys >= LOW_BYTES || len > LOW_BYTES - phys) {
		return NULL;
	}
	return low + phys;
}

static void put32(uint64_t at, uint32_t v)
{
	memcpy(low + at, &v, 4);
}

static void put64(uint64_t at, uint64_t v)
{
	memcpy(low + at, &v, 8);
}

static uint64_t put_string(uint64_t at, const char *s)
{
	memcpy(low + at, s, strlen(s) + 1);
	return at;
}

static int reset(void **state)
{
	memset(low, 0, sizeof(low));
	memset(&bi, 0xa5, sizeof(bi));
	return 0;
}

/* One multiboot 1 memory-map entry (size field 20) at index i. */
static void mb1_entry(unsigned int i, uint64_t base, uint64_t len,
		      uint32_t type)
{
	uint64_t at = MMAP + i * 24;

	put32(at, 20);
	put64(at + 4, base);
	put64(at + 12, len);
	put32(at + 20, type);
}

static void mb1_info(uint32_t flags, unsigned int nr_entries,
		     unsigned int nr_mods)
{
	put32(INFO, flags);
	put32(INFO + 16, (uint32_t)put_string(STRINGS, "/xeno loglvl=3"));
	put32(INFO + 20, nr_mods);
	put32(INFO + 24, MODS);
	put32(INFO + 44, nr_entries * 24);
	put32(INFO + 48, MMAP);
}

static int mb1(void)
{
	return multiboot_read(MULTIBOOT1_BOOT_MAGIC, INFO, map, &bi);
}

static void assert_error(int rc, const char *needle)
{
	assert_int_equal(rc, -1);
	if (!strstr(bi.error, needle)) {
		fail_msg("error '%s' does not say '%s'", bi.error, needle);
	}
}

static void test_mb1_ok(void **state)
{
	mb1_entry(0, 0, 0x9fc00, 1);
	mb1_entry(1, 0xf0000, 0x10000, 2);
	mb1_entry(2, 0x100000, 0x7f00000, 1);
	put32(MODS, 0x200000);
	put32(MODS + 4, 0x201000);
	put32(MODS + 8, (uint32_t)put_string(STRINGS + 0x100, "name=dom1"));
	mb1_info(0x4c, 3, 1);
	assert_int_equal(mb1(), 0);
	assert_string_equal(bi.loader, "multiboot1");
	assert_string_equal(bi.cmdline, "/xeno loglvl=3");
	assert_int_equal(bi.nr_mem, 3);
	assert_int_equal(bi.mem[2].start, 0x100000);
	assert_int_equal(bi.mem[2].end, 0x8000000);
	assert_int_equal(bi.mem[1].type, MEM_RESERVED);
	assert_int_equal(bi.nr_mod, 1);
	assert_int_equal(bi.mod[0].end, 0x201000);
	assert_string_equal(bi.mod[0].cmdline, "name=dom1");
	assert_false(bi.has_rsdp);
}

static void test_mb1_no_mmap(void **state)
{
	mb1_entry(0, 0x100000, 0x7f00000, 1);
	mb1_info(0x0c, 1, 0); /* flag 6 missing */
	assert_error(mb1(), "no memory map");
	mb1_info(0x4c, 0, 0); /* flag set, empty map */
	assert_error(mb1(), "no memory map");
}

static void test_mb1_bad_entry(void **state)
{
	mb1_entry(0, 0x100000, 0x7f00000, 1);
	put32(MMAP, 8); /* entry size below 20 */
	mb1_info(0x4c, 1, 0);
	assert_error(mb1(), "malformed multiboot memory map entry");
	/* An entry running past the map's stated length. */
	mb1_entry(0, 0x100000, 0x7f00000, 1);
	put32(MMAP, 40);
	assert_error(mb1(), "malformed multiboot memory map entry");
}

static void test_mb1_wrap(void **state)
{
	mb1_entry(0, 0xfffffffffffff000ULL, 0x2000, 1);
	mb1_info(0x4c, 1, 0);
	assert_error(mb1(), "wraps around");
}

static void test_mb1_out_of_reach(void **state)
{
	mb1_info(0x4c, 1, 0);
	put32(INFO + 48, LOW_BYTES - 8); /* map runs off the end */
	assert_error(mb1(), "no memory map");
	assert_int_equal(
		multiboot_read(MULTIBOOT1_BOOT_MAGIC, LOW_BYTES + 64, map, &bi),
		-1);
	assert_non_null(strstr(bi.error, "out of reach"));
}

static void test_mb1_modules(void **state)
{
	unsigned int i;

	mb1_entry(0, 0x100000, 0x7f00000, 1);
	put32(MODS, 0x300000);
	put32(MODS + 4, 0x200000); /* ends before it starts */
	mb1_info(0x4c, 1, 1);
	assert_error(mb1(), "module 0 ends");
	for (i = 0; i < 40; i++) {
		put32(MODS + i * 16, 0x200000);
		put32(MODS + i * 16 + 4, 0x201000);
	}
	mb1_info(0x4c, 1, MAX_BOOT_MODULES + 1);
	assert_error(mb1(), "more than 32 modules");
	mb1_info(0x4c, 1, MAX_BOOT_MODULES);
	assert_int_equal(mb1(), 0);
	assert_int_equal(bi.nr_mod, MAX_BOOT_MODULES);
}

static void test_mb1_too_many_regions(void **state)
{
	unsigned int i;

	for (i = 0; i < MAX_MEM_REGIONS + 1; i++) {
		mb1_entry(i, (uint64_t)i << 24, 0x1000, 1);
	}
	mb1_info(0x4c, MAX_MEM_REGIONS + 1, 0);
	assert_error(mb1(), "more than 128 entries");
}

/* A command line that runs to the end of reachable memory is cut there. */
static void test_mb1_unterminated_cmdline(void **state)
{
	mb1_entry(0, 0x100000, 0x7f00000, 1);
	mb1_info(0x4c, 1, 0);
	memset(low + LOW_BYTES - 4, 'x', 4);
	put32(INFO + 16, LOW_BYTES - 4);
	assert_int_equal(mb1(), 0);
	assert_string_equal(bi.cmdline, "xxxx");
}

/* Appends a multiboot 2 tag at *off; returns the tag's offset. */
static uint32_t mb2_tag(uint32_t *off, uint32_t type, const void *body,
			uint32_t len)
{
	uint32_t at = *off;

	put32(INFO + at, type);
	put32(INFO + at + 4, 8 + len);
	memcpy(low + INFO + at + 8, body, len);
	*off = (at + 8 + len + 7) & ~7u;
	return at;
}

static void mb2_mmap(uint32_t *off, unsigned int n)
{
	uint8_t body[8 + 24 * 4] = { 0 };
	uint32_t esize = 24, ver = 0;
	unsigned int i;

	memcpy(body, &esize, 4);
	memcpy(body + 4, &ver, 4);
	for (i = 0; i < n; i++) {
		uint64_t base = 0x100000 * (i + 1), len = 0x100000;
		uint32_t type = 1;

		memcpy(body + 8 + i * 24, &base, 8);
		memcpy(body + 16 + i * 24, &len, 8);
		memcpy(body + 24 + i * 24, &type, 4);
	}
	mb2_tag(off, 6, body, 8 + 24 * n);
}

static int mb2_finish(uint32_t off)
{
	uint32_t end[2] = { 0, 8 };

	memcpy(low + INFO + off, end, 8);
	put32(INFO, off + 8);
	return multiboot_read(MULTIBOOT2_BOOT_MAGIC, INFO, map, &bi);
}

static void test_mb2_ok(void **state)
{
	uint32_t off = 8;
	uint8_t mod[16] = { 0 };
	uint8_t rsdp[36] = "RSD PTR ";
	uint32_t start = 0x400000, end = 0x402000;

	mb2_tag(&off, 1, "loglvl=1", 9);
	memcpy(mod, &start, 4);
	memcpy(mod + 4, &end, 4);
	memcpy(mod + 8, "dom0", 5);
	mb2_tag(&off, 3, mod, 13);
	mb2_mmap(&off, 3);
	mb2_tag(&off, 15, rsdp, sizeof(rsdp));
	mb2_tag(&off, 99, "unknown", 8); /* ignored */
	assert_int_equal(mb2_finish(off), 0);
	assert_string_equal(bi.loader, "multiboot2");
	assert_string_equal(bi.cmdline, "loglvl=1");
	assert_int_equal(bi.nr_mod, 1);
	assert_int_equal(bi.mod[0].start, 0x400000);
	assert_string_equal(bi.mod[0].cmdline, "dom0");
	assert_int_equal(bi.nr_mem, 3);
	assert_int_equal(bi.mem[2].start, 0x300000);
	assert_true(bi.has_rsdp);
	assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
}

static void test_mb2_no_mmap(void **state)
{
	uint32_t off = 8;

	mb2_tag(&off, 1, "x", 2);
	assert_error(mb2_finish(off), "no memory map");
}

static void test_mb2_bad_tags(void **state)
{
	uint32_t off = 8, at;

	mb2_mmap(&off, 1);
	at = mb2_tag(&off, 1, "abc", 4);
	put32(INFO + at + 4, 0x800); /* runs past the end */
	assert_error(mb2_finish(off), "malformed multiboot2 tag");
	put32(INFO + at + 4, 4); /* smaller than a tag header */
	assert_error(mb2_finish(off), "malformed multiboot2 tag");

	off = 8;
	at = mb2_tag(&off, 6, "\x10\0\0\0\0\0\0\0", 8); /* entry size 16 */
	assert_error(mb2_finish(off), "malformed multiboot2 memory map");

	off = 8;
	mb2_mmap(&off, 1);
	mb2_tag(&off, 3, "\0\0\0", 4); /* module tag too short */
	assert_error(mb2_finish(off), "malformed multiboot2 module tag");
}

static void test_mb2_bad_size(void **state)
{
	put32(INFO, 8);
	assert_error(multiboot_read(MULTIBOOT2_BOOT_MAGIC, INFO, map, &bi),
		     "implausible size");
	put32(INFO, 2u << 20);
	assert_error(multiboot_read(MULTIBOOT2_BOOT_MAGIC, INFO, map, &bi),
		     "implausible size");
	put32(0xc000, 0x8000); /* larger than what is reachable */
	assert_error(multiboot_read(MULTIBOOT2_BOOT_MAGIC, 0xc000, map, &bi),
		     "out of reach");
}

static void test_bad_magic_and_pointer(void **state)
{
	assert_error(multiboot_read(0x12345678, INFO, map, &bi),
		     "not started by a multiboot loader");
	assert_error(multiboot_read(MULTIBOOT1_BOOT_MAGIC, 0, map, &bi),
		     "null multiboot pointer");
}

static void test_module_overlap(void **state)
{
	memset(&bi, 0, sizeof(bi));
	bi.nr_mod = 2;
	bi.mod[0].start = 0x200000;
	bi.mod[0].end = 0x300000;
	bi.mod[1].start = 0x100000;
	bi.mod[1].end = 0x180000;
	assert_int_equal(bootinfo_module_overlap(&bi, 0x300000, 0x400000), -1);
	assert_int_equal(bootinfo_module_overlap(&bi, 0x2ff000, 0x400000), 0);
	assert_int_equal(bootinfo_module_overlap(&bi, 0x17f000, 0x180000), 1);
	assert_int_equal(bootinfo_module_overlap(&bi, 0x180000, 0x200000), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_mb1_ok, reset),
		cmocka_unit_test_setup(test_mb1_no_mmap, reset),
		cmocka_unit_test_setup(test_mb1_bad_entry, reset),
		cmocka_unit_test_setup(test_mb1_wrap, reset),
		cmocka_unit_test_setup(test_mb1_out_of_reach, reset),
		cmocka_unit_test_setup(test_mb1_modules, reset),
		cmocka_unit_test_setup(test_mb1_too_many_regions, reset),
		cmocka_unit_test_setup(test_mb1_unterminated_cmdline, reset),
		cmocka_unit_test_setup(test_mb2_ok, reset),
		cmocka_unit_test_setup(test_mb2_no_mmap, reset),
		cmocka_unit_test_setup(test_mb2_bad_tags, reset),
		cmocka_unit_test_setup(test_mb2_bad_size, reset),
		cmocka_unit_test_setup(test_bad_magic_and_pointer, reset),
		cmocka_unit_test_setup(test_module_overlap, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
