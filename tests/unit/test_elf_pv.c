/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the PV kernel image parser (xen/common/elf_pv.c). The
 * images are built in memory by the small ELF writer below; each parse
 * gets an exact-size heap copy, so a read past the end is caught by ASan.
 *
 * The images are laid out like this (file offsets):
 *   0x0000 ELF header       0x0040 program headers (up to 16)
 *   0x0400 notes (3 KiB)    0x1000 segment bytes (8 KiB, a known pattern)
 *   0x3000 section headers  0x3400 section names
 *   0x3600 other section contents (symbols, __xen_guest)
 *   0x8000 a 32 KiB note area for the note-count tests
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <xeno/elf_pv.h>
#include <xeno/errno.h>
#include <xeno/lib.h>

#define IMG_MAX	     0x10000
#define PH_OFF	     0x40
#define PH_MAX	     16
#define NOTE_OFF     0x400
#define NOTE_MAX     0xc00
#define BIG_NOTE_OFF 0x8000
#define BIG_NOTE_MAX 0x8000
#define TEXT_OFF     0x1000
#define TEXT_SIZE    0x2000
#define SH_OFF	     0x3000
#define SH_MAX	     16
#define SHSTR_OFF    0x3400
#define EXTRA_OFF    0x3600
#define EXTRA_END    0x8000

#define PT_LOAD	   1
#define PT_NOTE	   4
#define PF_X	   1
#define PF_W	   2
#define PF_R	   4
#define SHT_SYMTAB 2
#define SHT_STRTAB 3
#define SHT_NOTE   7
#define STT_OBJECT 1
#define STT_FUNC   2

/* Xen note types. */
#define N_ENTRY		 1
#define N_HYPERCALL_PAGE 2
#define N_VIRT_BASE	 3
#define N_PADDR_OFFSET	 4
#define N_XEN_VERSION	 5
#define N_GUEST_OS	 6
#define N_GUEST_VERSION	 7
#define N_LOADER	 8
#define N_PAE_MODE	 9
#define N_FEATURES	 10
#define N_BSD_SYMTAB	 11
#define N_SUSPEND_CANCEL 14
#define N_INIT_P2M	 15
#define N_MOD_START_PFN	 16
#define N_SUPPORTED	 17

#define LINUX_BASE 0xffffffff80000000ULL

/* ---- the ELF writer ------------------------------------------------------ */

static uint8_t buf[IMG_MAX];
static size_t buf_len;		   /* bytes of buf that form the image */
static unsigned int nph, nsh;	   /* program and section headers */
static size_t note_base, note_cap; /* where notes go */
static size_t note_len;
static size_t shstr_len, extra_len;

static uint8_t *copy; /* the parser's exact-size copy */
static struct elf_pv_image img;
static const char *why;

static void put16(size_t at, uint16_t v)
{
	memcpy(buf + at, &v, 2);
}

static void put32(size_t at, uint32_t v)
{
	memcpy(buf + at, &v, 4);
}

static void put64(size_t at, uint64_t v)
{
	memcpy(buf + at, &v, 8);
}

static void grow(size_t end)
{
	assert_true(end <= IMG_MAX);
	if (end > buf_len) {
		buf_len = end;
	}
}

/* An ELF64 x86-64 executable with no headers yet, entry 0x100000. */
static void begin(void)
{
	size_t i;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "\177ELF", 4);
	buf[4] = 2;    /* ELFCLASS64 */
	buf[5] = 1;    /* little-endian */
	buf[6] = 1;    /* EV_CURRENT */
	put16(16, 2);  /* ET_EXEC */
	put16(18, 62); /* EM_X86_64 */
	put32(20, 1);
	put64(24, 0x100000);
	put64(32, PH_OFF);
	put16(52, 64);
	put16(54, 56);
	put16(58, 64);
	for (i = 0; i < TEXT_SIZE; i++) {
		buf[TEXT_OFF + i] = (uint8_t)(i * 7 + 1);
	}
	buf_len = TEXT_OFF + TEXT_SIZE;
	nph = nsh = 0;
	note_base = NOTE_OFF;
	note_cap = NOTE_MAX;
	note_len = shstr_len = extra_len = 0;
}

static unsigned int add_phdr(uint32_t type, uint32_t flags, uint64_t off,
			     uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	size_t at = PH_OFF + nph * 56;

	assert_true(nph < PH_MAX);
	put32(at, type);
	put32(at + 4, flags);
	put64(at + 8, off);
	put64(at + 16, paddr); /* p_vaddr, unused by the parser */
	put64(at + 24, paddr);
	put64(at + 32, filesz);
	put64(at + 40, memsz);
	put64(at + 48, 0x1000);
	return nph++;
}

/* A read-execute segment of the pattern bytes at TEXT_OFF. */
static void add_load(uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	add_phdr(PT_LOAD, PF_R | PF_X, TEXT_OFF, paddr, filesz, memsz);
}

/* Changes one 64-bit field of program header i (offset within it). */
static void ph_set64(unsigned int i, size_t field, uint64_t v)
{
	put64(PH_OFF + i * 56 + field, v);
}

static void use_big_note_area(void)
{
	note_base = BIG_NOTE_OFF;
	note_cap = BIG_NOTE_MAX;
	note_len = 0;
}

/* Appends a note with any name; namesz and descsz as given. */
static void note_raw(const void *name, uint32_t namesz, uint32_t type,
		     const void *desc, uint32_t descsz)
{
	size_t at = note_base + note_len;
	size_t n = 12 + ROUND_UP((size_t)namesz, 4u) +
		   ROUND_UP((size_t)descsz, 4u);

	assert_true(note_len + n <= note_cap);
	put32(at, namesz);
	put32(at + 4, descsz);
	put32(at + 8, type);
	memcpy(buf + at + 12, name, namesz);
	memcpy(buf + at + 12 + ROUND_UP((size_t)namesz, 4u), desc, descsz);
	note_len += n;
	grow(note_base + note_len);
}

static void note(uint32_t type, const void *desc, uint32_t descsz)
{
	note_raw("Xen", 4, type, desc, descsz);
}

static void note_str(uint32_t type, const char *s)
{
	note(type, s, (uint32_t)strlen(s) + 1);
}

static void note_num(uint32_t type, uint64_t v, uint32_t size)
{
	note(type, &v, size);
}

/* The notes every accepted image needs (XTF's). */
static void std_notes(void)
{
	note_str(N_GUEST_OS, "XTF");
	note_str(N_LOADER, "generic");
	note_str(N_XEN_VERSION, "xen-3.0");
}

/* A PT_NOTE over the notes written so far from byte from of the area. */
static void notes_as_phdr_from(size_t from)
{
	add_phdr(PT_NOTE, PF_R, note_base + from, 0, note_len - from,
		 note_len - from);
}

static void notes_as_phdr(void)
{
	notes_as_phdr_from(0);
}

static unsigned int add_section(const char *name, uint32_t type, uint64_t off,
				uint64_t size, uint32_t link, uint64_t entsize)
{
	size_t at;

	if (nsh == 0) {
		nsh = 1; /* section 0 is the null section */
		buf[SHSTR_OFF] = 0;
		shstr_len = 1;
	}
	assert_true(nsh < SH_MAX - 1);
	at = SH_OFF + nsh * 64;
	put32(at, (uint32_t)shstr_len);
	put32(at + 4, type);
	put64(at + 24, off);
	put64(at + 32, size);
	put32(at + 40, link);
	put64(at + 56, entsize);
	memcpy(buf + SHSTR_OFF + shstr_len, name, strlen(name) + 1);
	shstr_len += strlen(name) + 1;
	return nsh++;
}

/* Changes one 64-bit field of section header i. */
static void sh_set64(unsigned int i, size_t field, uint64_t v)
{
	put64(SH_OFF + i * 64 + field, v);
}

static void notes_as_section_from(size_t from)
{
	add_section(".note.Xen", SHT_NOTE, note_base + from, note_len - from, 0,
		    0);
}

/* Copies bytes into the extra area; returns their file offset. */
static size_t add_extra(const void *data, size_t len)
{
	size_t at = EXTRA_OFF + extra_len;

	assert_true(at + len <= EXTRA_END);
	memcpy(buf + at, data, len);
	extra_len += ROUND_UP(len, 8u);
	grow(at + len);
	return at;
}

/* Writes the header counts and the section-name table. */
static void finish(void)
{
	unsigned int strndx;

	put16(56, (uint16_t)nph);
	if (nsh) {
		strndx = nsh;
		add_section(".shstrtab", SHT_STRTAB, SHSTR_OFF, 0, 0, 0);
		sh_set64(strndx, 32, shstr_len);
		put64(40, SH_OFF);
		put16(60, (uint16_t)nsh);
		put16(62, (uint16_t)strndx);
		grow(SHSTR_OFF + shstr_len);
	}
}

/* The usual valid image: one segment at 1 MiB, XTF's notes in PT_NOTE. */
static void build_xtf(void)
{
	begin();
	add_load(0x100000, TEXT_SIZE, 0x3000);
	std_notes();
	notes_as_phdr();
	finish();
}

/* Parses the first size bytes of buf through an exact-size heap copy. */
static int parse_size(size_t size)
{
	free(copy);
	copy = malloc(size ? size : 1);
	assert_non_null(copy);
	memcpy(copy, buf, size);
	return elf_pv_parse(&img, copy, size, &why);
}

static int parse(void)
{
	return parse_size(buf_len);
}

static void assert_refused(int rc, const char *needle)
{
	assert_int_equal(rc, -EINVAL);
	assert_non_null(why);
	if (!strstr(why, needle)) {
		fail_msg("reason '%s' does not say '%s'", why, needle);
	}
}

static void assert_accepted(int rc)
{
	if (rc) {
		fail_msg("refused (%d): %s", rc, why ? why : "(no reason)");
	}
	assert_null(why);
}

static int setup(void **state)
{
	memset(&img, 0xa5, sizeof(img));
	why = "stale";
	return 0;
}

static int teardown(void **state)
{
	free(copy);
	copy = NULL;
	return 0;
}

/* ---- accepted images ----------------------------------------------------- */

static void test_xtf_ok(void **state)
{
	build_xtf();
	assert_accepted(parse());
	assert_ptr_equal(img.data, copy);
	assert_int_equal(img.size, buf_len);
	assert_int_equal(img.virt_base, 0);
	assert_int_equal(img.paddr_offset, 0);
	assert_int_equal(img.virt_offset, 0);
	assert_int_equal(img.kstart, 0x100000);
	assert_int_equal(img.kend, 0x103000);
	assert_int_equal(img.entry, 0x100000);
	assert_string_equal(img.guest_os, "XTF");
	assert_string_equal(img.loader, "generic");
	assert_string_equal(img.xen_version, "xen-3.0");
	assert_string_equal(img.guest_version, "");
	assert_false(img.legacy);
	assert_false(img.has_hypercall_page);
	assert_false(img.has_init_p2m);
	assert_false(img.mod_start_pfn);
	assert_false(img.bsd_symtab);
	assert_int_equal(img.features_supported, 0);
	assert_int_equal(img.features_required, 0);
	assert_int_equal(img.nr_syms, 0);
}

static void test_linux_ok(void **state)
{
	uint32_t words[2] = { (1u << 0) | (1u << 11) | (1u << 15), 0xffff };

	begin();
	/* Linked at __START_KERNEL_map + 16 MiB, loaded at p_paddr 16 MiB. */
	add_load(0x1000000, TEXT_SIZE, 0x5000);
	add_phdr(PT_LOAD, PF_R | PF_W, TEXT_OFF, 0x1006000, 0x100, 0x2000);
	note_str(N_GUEST_OS, "linux");
	note_str(N_GUEST_VERSION, "2.6");
	note_str(N_XEN_VERSION, "xen-3.0");
	note_num(N_VIRT_BASE, LINUX_BASE, 8);
	note_num(N_PADDR_OFFSET, 0, 8);
	note_num(N_ENTRY, LINUX_BASE + 0x1000040, 8);
	note_num(N_HYPERCALL_PAGE, LINUX_BASE + 0x1001000, 8);
	note_num(N_INIT_P2M, 0x8000000000ULL, 8);
	note_num(N_MOD_START_PFN, 1, 4);
	note_num(N_SUSPEND_CANCEL, 1, 4);
	note_str(N_PAE_MODE, "yes");
	note_str(N_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb");
	note(N_SUPPORTED, words, sizeof(words));
	notes_as_phdr();
	finish();
	assert_accepted(parse());
	assert_int_equal(img.virt_base, LINUX_BASE);
	assert_int_equal(img.paddr_offset, 0);
	assert_int_equal(img.virt_offset, LINUX_BASE);
	assert_int_equal(img.kstart, 0xffffffff81000000ULL);
	assert_int_equal(img.kend, 0xffffffff81008000ULL);
	assert_int_equal(img.entry, 0xffffffff81000040ULL);
	assert_true(img.has_hypercall_page);
	assert_int_equal(img.hypercall_page, 0xffffffff81001000ULL);
	assert_true(img.has_init_p2m);
	assert_int_equal(img.init_p2m, 0x8000000000ULL);
	assert_true(img.mod_start_pfn);
	assert_true(img.suspend_cancel);
	assert_string_equal(img.guest_os, "linux");
	assert_string_equal(img.guest_version, "2.6");
	assert_string_equal(img.loader, "");
	/* FEATURES gives bits 0 and 4, SUPPORTED_FEATURES word 0 the rest;
	 * the second word is beyond XENFEAT_NR_SUBMAPS and ignored. */
	assert_int_equal(img.features_supported,
			 (1u << 0) | (1u << 4) | (1u << 11) | (1u << 15));
	assert_int_equal(img.features_required, 1u << 0);
}

static void test_et_dyn_ok(void **state)
{
	build_xtf();
	put16(16, 3);
	assert_accepted(parse());
}

/* ---- the ELF header ------------------------------------------------------ */

static void test_not_elf(void **state)
{
	size_t n;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, "MZ\x90", 3);
	buf_len = 0x1000;
	assert_refused(parse(), "not an ELF image");
	for (n = 0; n < 4; n++) {
		build_xtf();
		assert_refused(parse_size(n), "not an ELF image");
	}
}

static void test_bzimage(void **state)
{
	memset(buf, 0, sizeof(buf));
	buf[0x1f1] = 27;
	memcpy(buf + 0x202, "HdrS", 4);
	put16(0x206, 0x20f);
	buf_len = 0x4000;
	assert_refused(parse(), "bzImage is not supported yet");
	/* Too short to hold the magic: just not an ELF image. */
	assert_refused(parse_size(0x205), "not an ELF image");
}

static void test_ident(void **state)
{
	build_xtf();
	buf[4] = 1;
	assert_refused(parse(), "not ELF64 (32-bit");
	buf[4] = 3;
	assert_refused(parse(), "not ELF64");
	buf[4] = 2;
	buf[5] = 2;
	assert_refused(parse(), "not little-endian");
	buf[5] = 1;
	buf[6] = 0;
	assert_refused(parse(), "unknown ELF version");
	buf[6] = 1;
	put16(18, 3); /* EM_386 */
	assert_refused(parse(), "e_machine is not x86-64");
	put16(18, 62);
	put16(16, 1); /* ET_REL */
	assert_refused(parse(), "not an executable (e_type)");
	put16(16, 4); /* ET_CORE */
	assert_refused(parse(), "not an executable (e_type)");
	put16(16, 2);
	assert_accepted(parse());
}

static void test_header_truncated(void **state)
{
	size_t n;

	build_xtf();
	for (n = 4; n < 64; n++) {
		assert_refused(parse_size(n), "ELF header truncated");
	}
}

static void test_program_headers(void **state)
{
	build_xtf();
	put16(56, 0);
	assert_refused(parse(), "no program headers");
	build_xtf();
	put16(54, 32);
	assert_refused(parse(), "e_phentsize is not 56");
	build_xtf();
	put64(32, buf_len - 56); /* the table runs past the end */
	assert_refused(parse(), "program header beyond the file");
	put64(32, UINT64_MAX - 8); /* offset + size wraps */
	assert_refused(parse(), "program header beyond the file");
	put64(32, PH_OFF);
	put16(56, 0xffff);
	assert_refused(parse(), "program header beyond the file");
	/* A table ending exactly at the end of the file is fine. */
	build_xtf();
	memcpy(buf + buf_len, buf + PH_OFF, 2 * 56);
	put64(32, buf_len);
	buf_len += 2 * 56;
	assert_accepted(parse());
	assert_refused(parse_size(buf_len - 1),
		       "program header beyond the file");
}

static void test_section_headers(void **state)
{
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	notes_as_phdr();
	add_section(".text", 1, TEXT_OFF, TEXT_SIZE, 0, 0);
	finish();
	assert_accepted(parse());
	put16(58, 40);
	assert_refused(parse(), "e_shentsize is not 64");
	put16(58, 64);
	put64(40, buf_len - 64);
	assert_refused(parse(), "section header beyond the file");
	put64(40, UINT64_MAX - 63);
	assert_refused(parse(), "section header beyond the file");
	/* No sections at all is fine whatever the other fields say. */
	put16(60, 0);
	put16(58, 1);
	assert_accepted(parse());
}

/* ---- segments ------------------------------------------------------------ */

static void test_segment_checks(void **state)
{
	build_xtf();
	ph_set64(0, 32, 0x4000); /* filesz > memsz */
	assert_refused(parse(), "p_filesz > p_memsz");

	build_xtf();
	ph_set64(0, 8, buf_len - 0x100); /* runs past the end */
	assert_refused(parse(), "segment beyond the file");
	ph_set64(0, 8, UINT64_MAX - 0x10); /* offset + filesz wraps */
	assert_refused(parse(), "segment beyond the file");

	build_xtf();
	ph_set64(0, 24, UINT64_MAX - 0x1000); /* paddr + memsz wraps */
	assert_refused(parse(), "wraps around the address space");

	/* Without R, W or X a PT_LOAD is not loaded, nor checked. */
	build_xtf();
	put32(PH_OFF + 4, 0);
	assert_refused(parse(), "no loadable segment");
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	add_phdr(PT_LOAD, 0, UINT64_MAX, 0x200000, 0x1000, 0);
	std_notes();
	notes_as_phdr();
	finish();
	assert_accepted(parse());
	assert_int_equal(img.kend, 0x102000);
}

struct seg {
	uint64_t va, filesz, memsz;
	const void *src;
};

struct seg_log {
	struct seg seg[8];
	unsigned int n, stop_at;
};

static int log_segment(void *arg, uint64_t va, const void *src, uint64_t filesz,
		       uint64_t memsz)
{
	struct seg_log *log = arg;

	assert_true(log->n < 8);
	log->seg[log->n].va = va;
	log->seg[log->n].src = src;
	log->seg[log->n].filesz = filesz;
	log->seg[log->n].memsz = memsz;
	return ++log->n == log->stop_at ? 42 : 0;
}

static void test_segment_iteration(void **state)
{
	struct seg_log log = { .n = 0 };

	begin();
	add_phdr(PT_LOAD, PF_R | PF_X, TEXT_OFF, 0x1000000, 0x1000, 0x1000);
	add_phdr(PT_NOTE, PF_R, NOTE_OFF, 0, 0, 0); /* empty, skipped */
	add_phdr(PT_LOAD, 0, TEXT_OFF, 0x3000000, 0x10, 0x10);
	add_phdr(PT_LOAD, PF_R | PF_W, TEXT_OFF + 0x1000, 0x1001000, 0x800,
		 0x3000);
	add_phdr(PT_LOAD, PF_R | PF_W, TEXT_OFF, 0x1004000, 0, 0x1000);
	note_num(N_VIRT_BASE, LINUX_BASE, 8);
	note_num(N_PADDR_OFFSET, 0, 8);
	note_str(N_GUEST_OS, "linux");
	note_str(N_XEN_VERSION, "xen-3.0");
	note_num(N_ENTRY, LINUX_BASE + 0x1000000, 8);
	notes_as_phdr();
	finish();
	assert_accepted(parse());
	assert_int_equal(img.kstart, LINUX_BASE + 0x1000000);
	assert_int_equal(img.kend, LINUX_BASE + 0x1005000);

	assert_int_equal(elf_pv_for_each_segment(&img, log_segment, &log), 0);
	assert_int_equal(log.n, 3);
	assert_int_equal(log.seg[0].va, LINUX_BASE + 0x1000000);
	assert_ptr_equal(log.seg[0].src, copy + TEXT_OFF);
	assert_int_equal(log.seg[0].filesz, 0x1000);
	assert_int_equal(log.seg[0].memsz, 0x1000);
	assert_int_equal(log.seg[1].va, LINUX_BASE + 0x1001000);
	assert_ptr_equal(log.seg[1].src, copy + TEXT_OFF + 0x1000);
	assert_int_equal(log.seg[1].filesz, 0x800);
	assert_int_equal(log.seg[1].memsz, 0x3000);
	assert_memory_equal(log.seg[1].src, buf + TEXT_OFF + 0x1000, 0x800);
	assert_int_equal(log.seg[2].filesz, 0);
	assert_int_equal(log.seg[2].memsz, 0x1000);

	/* The callback's first nonzero result stops the walk. */
	log.n = 0;
	log.stop_at = 2;
	assert_int_equal(elf_pv_for_each_segment(&img, log_segment, &log), 42);
	assert_int_equal(log.n, 2);
}

/* ---- where the notes are found ------------------------------------------- */

static void test_notes_in_sections(void **state)
{
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	notes_as_section_from(0);
	finish();
	assert_accepted(parse());
	assert_string_equal(img.guest_os, "XTF");
	assert_false(img.legacy);

	/* A note section reaching past the end of the file. */
	sh_set64(1, 32, buf_len);
	assert_refused(parse(), "note section beyond the file");
}

static void test_pt_note_wins(void **state)
{
	size_t second;

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	notes_as_phdr();
	second = note_len;
	note_str(N_GUEST_OS, "linux");
	note_str(N_XEN_VERSION, "xen-3.0");
	note_str(N_GUEST_VERSION, "from-section");
	notes_as_section_from(second);
	finish();
	assert_accepted(parse());
	assert_string_equal(img.guest_os, "XTF");
	assert_string_equal(img.guest_version, "");
}

static void test_pt_note_at_offset_zero_skipped(void **state)
{
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	/* Offset 0 (the ELF header) with a huge size: skipped unchecked. */
	add_phdr(PT_NOTE, PF_R, 0, 0, UINT64_MAX, UINT64_MAX);
	std_notes();
	notes_as_section_from(0);
	finish();
	assert_accepted(parse());

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	add_phdr(PT_NOTE, PF_R, 0, 0, 0x40, 0x40);
	finish();
	assert_refused(parse(), "no Xen notes");
}

static void test_non_xen_notes_ignored(void **state)
{
	static const uint8_t build_id[20] = { 1, 2, 3 };
	size_t second;

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	note_raw("GNU", 4, 3, build_id, sizeof(build_id));
	note_raw("Xen", 3, N_GUEST_OS, "linux", 6);  /* namesz without NUL */
	note_raw("XenX", 5, N_GUEST_OS, "linux", 6); /* another name */
	note_raw("", 0, 0, "", 0);
	notes_as_phdr();
	second = note_len;
	std_notes();
	notes_as_section_from(second);
	finish();
	/* The PT_NOTE held no Xen note, so the sections are read. */
	assert_accepted(parse());
	assert_string_equal(img.guest_os, "XTF");

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	note_raw("GNU", 4, 3, build_id, sizeof(build_id));
	notes_as_phdr();
	finish();
	assert_refused(parse(), "no Xen notes");
}

static void test_note_bounds(void **state)
{
	uint8_t desc[8] = { 0 };
	size_t last;

	/* descsz runs past the PT_NOTE. */
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	last = note_base + note_len;
	note(N_INIT_P2M, desc, 8);
	notes_as_phdr();
	finish();
	assert_accepted(parse());
	put32(last + 4, 9);
	assert_refused(parse(), "ELF note runs past its note area");
	put32(last + 4, 0xffffffff);
	assert_refused(parse(), "ELF note runs past its note area");
	/* namesz runs past it. */
	put32(last + 4, 8);
	put32(last, 5);
	assert_refused(parse(), "ELF note runs past its note area");
	put32(last, 0xfffffffd);
	assert_refused(parse(), "ELF note runs past its note area");

	/* The PT_NOTE itself past the end of the file, or wrapping. */
	build_xtf();
	ph_set64(1, 32, buf_len);
	assert_refused(parse(), "note segment beyond the file");
	ph_set64(1, 8, UINT64_MAX - 4);
	ph_set64(1, 32, 16);
	assert_refused(parse(), "note segment beyond the file");
}

static void test_note_tails(void **state)
{
	/* A last note without its padding, then a short tail: accepted. */
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	note_str(N_LOADER, "generic");
	note_str(N_XEN_VERSION, "xen-3.0");
	note(N_GUEST_OS, "XTF!x", 5); /* descsz 5: 3 bytes of padding */
	add_phdr(PT_NOTE, PF_R, note_base, 0, note_len - 3, note_len - 3);
	finish();
	assert_accepted(parse());
	assert_string_equal(img.guest_os, "XTF!x");

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	add_phdr(PT_NOTE, PF_R, note_base, 0, note_len + 11, note_len + 11);
	finish();
	assert_accepted(parse());
}

static void test_note_count_cap(void **state)
{
	unsigned int i;

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	use_big_note_area();
	std_notes();
	for (i = 3; i < ELF_PV_MAX_NOTES; i++) {
		note_raw("", 0, 0, "", 0);
	}
	notes_as_phdr();
	finish();
	assert_accepted(parse());

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	use_big_note_area();
	std_notes();
	for (i = 3; i <= ELF_PV_MAX_NOTES; i++) {
		note_raw("", 0, 0, "", 0);
	}
	notes_as_phdr();
	finish();
	assert_refused(parse(), "more than 2048 ELF notes");
}

/* ---- descriptors --------------------------------------------------------- */

static uint64_t init_p2m_of_size(uint32_t size)
{
	uint8_t v[16] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08,
			  0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x10 };

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	note(N_INIT_P2M, v, size);
	notes_as_phdr();
	finish();
	assert_accepted(parse());
	assert_true(img.has_init_p2m);
	return img.init_p2m;
}

static void test_numeric_sizes(void **state)
{
	assert_int_equal(init_p2m_of_size(1), 0x11);
	assert_int_equal(init_p2m_of_size(2), 0x2211);
	assert_int_equal(init_p2m_of_size(4), 0x44332211);
	assert_int_equal(init_p2m_of_size(8), 0x0877665544332211ULL);
	assert_int_equal(init_p2m_of_size(0), 0);
	assert_int_equal(init_p2m_of_size(3), 0);
	assert_int_equal(init_p2m_of_size(16), 0);

	/* An ENTRY of an odd size reads as 0, which is outside the image. */
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	note(N_ENTRY, "\0\0\x10\0\0\0", 6);
	notes_as_phdr();
	finish();
	assert_refused(parse(), "entry outside the image");
}

static void test_strings(void **state)
{
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	/* No NUL: the end of the descriptor ends the string, even though
	 * the padding after it is not zero. */
	note(N_GUEST_OS, "linux", 5);
	buf[note_base + note_len - 3] = 'Z';
	note(N_XEN_VERSION, "xen-3.0", 7);
	buf[note_base + note_len - 1] = 'Z';
	note_str(N_GUEST_VERSION, "0123456789abcdef0123456789ABCDEFxyz");
	note(N_LOADER, "gen\x01ric\0junk", 12);
	notes_as_phdr();
	finish();
	assert_accepted(parse()); /* GUEST_OS linux, LOADER is not generic */
	assert_string_equal(img.guest_os, "linux");
	assert_string_equal(img.xen_version, "xen-3.0");
	assert_string_equal(img.guest_version,
			    "0123456789abcdef0123456789ABCDE");
	assert_string_equal(img.loader, "gen?ric");
}

static void test_flags_notes(void **state)
{
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	note(N_BSD_SYMTAB, "yes", 3);
	note_num(N_MOD_START_PFN, 0, 4);
	note_num(N_SUSPEND_CANCEL, 0, 1);
	notes_as_phdr();
	finish();
	assert_accepted(parse());
	assert_true(img.bsd_symtab);
	assert_false(img.mod_start_pfn);
	assert_false(img.suspend_cancel);

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	note_str(N_BSD_SYMTAB, "yesno");
	notes_as_phdr();
	finish();
	assert_accepted(parse());
	assert_false(img.bsd_symtab);
}

/* ---- acceptance ---------------------------------------------------------- */

static int parse_with(const char *guest_os, const char *loader,
		      const char *xen_version)
{
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	if (guest_os) {
		note_str(N_GUEST_OS, guest_os);
	}
	if (loader) {
		note_str(N_LOADER, loader);
	}
	if (xen_version) {
		note_str(N_XEN_VERSION, xen_version);
	}
	notes_as_phdr();
	finish();
	return parse();
}

static void test_acceptance(void **state)
{
	assert_accepted(parse_with("linux", NULL, "xen-3.0"));
	assert_accepted(parse_with("linux-custom", NULL, "xen-3.0"));
	assert_accepted(parse_with(NULL, "generic", "xen-3.0"));
	assert_accepted(parse_with("Mini-OS", "generic", "xen-3.0-x86_64"));
	assert_refused(parse_with("Mini-OS", NULL, "xen-3.0"),
		       "neither LOADER generic nor GUEST_OS linux");
	assert_refused(parse_with("Linux", "gen", "xen-3.0"),
		       "neither LOADER generic nor GUEST_OS linux");
	assert_refused(parse_with("linux", NULL, NULL),
		       "XEN_VERSION is not xen-3.0");
	assert_refused(parse_with("linux", NULL, "xen-3.1"),
		       "XEN_VERSION is not xen-3.0");
	assert_refused(parse_with("linux", NULL, "xen-3"),
		       "XEN_VERSION is not xen-3.0");
}

static int parse_features_note(const char *features, uint32_t len)
{
	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	note(N_FEATURES, features, len);
	notes_as_phdr();
	finish();
	return parse();
}

static int parse_features(const char *features)
{
	return parse_features_note(features, (uint32_t)strlen(features) + 1);
}

static void test_features(void **state)
{
	assert_accepted(parse_features("writable_page_tables|!dom0|bogus||"
				       "!pae_pgdir_above_4gb|"
				       "writable_descriptor_tables|"
				       "hvm_callback_vector"));
	assert_int_equal(img.features_supported, (1u << 0) | (1u << 1) |
							 (1u << 4) | (1u << 8) |
							 (1u << 11));
	assert_int_equal(img.features_required, (1u << 4) | (1u << 11));

	/* Names match exactly. */
	assert_accepted(parse_features("dom|dom0x|DOM0"));
	assert_int_equal(img.features_supported, 0);
	assert_refused(parse_features("dom0|!dom"),
		       "required feature 'dom' unknown");
	assert_refused(parse_features("!mmu_pt_update_preserve_ad"),
		       "required feature 'mmu_pt_update_preserve_ad' unknown");
	assert_accepted(parse_features("!"));
	assert_accepted(parse_features(""));

	/* Required features a PV guest cannot have. */
	assert_refused(parse_features("!auto_translated_physmap"),
		       "requires auto_translated_physmap");
	assert_accepted(parse_features("auto_translated_physmap"));
	assert_refused(parse_features("!supervisor_mode_kernel"),
		       "requires supervisor_mode_kernel");

	/* Unterminated: the descriptor's end ends the last name, so this is
	 * "!dom" and not "!dom0" with the padding byte. */
	assert_refused(parse_features_note("!dom0", 4),
		       "required feature 'dom' unknown");
	assert_accepted(parse_features_note("!dom0|!x", 5));
	assert_int_equal(img.features_required, 1u << 11);

	/* A long unknown name is cut in the reason, not overflowed. */
	assert_refused(
		parse_features("!aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		"required feature 'aaaaaaaa");
	assert_true(strlen(why) < sizeof(img.why_buf));
}

/* ---- the legacy __xen_guest section -------------------------------------- */

static int parse_legacy(const char *s, size_t len, uint64_t paddr)
{
	size_t at;

	begin();
	add_load(paddr, TEXT_SIZE, TEXT_SIZE);
	at = add_extra(s, len);
	add_section(".text", 1, TEXT_OFF, TEXT_SIZE, 0, 0);
	add_section("__xen_guest", 1, at, len, 0, 0);
	finish();
	return parse();
}

static int parse_legacy_str(const char *s, uint64_t paddr)
{
	return parse_legacy(s, strlen(s) + 1, paddr);
}

static void test_legacy(void **state)
{
	assert_accepted(parse_legacy_str(
		"GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,"
		"VIRT_BASE=0xffffffff80000000,"
		"ELF_PADDR_OFFSET=0xffffffff80000000,HYPERCALL_PAGE=0x1001,"
		"LOADER=generic,PAE=yes[extended-cr3],BSD_SYMTAB,"
		"FEATURES=!writable_page_tables|pae_pgdir_above_4gb,"
		"VIRT_ENTRY=0xffffffff81000040,UNKNOWN=1",
		0xffffffff81000000ULL));
	assert_true(img.legacy);
	assert_string_equal(img.guest_os, "linux");
	assert_string_equal(img.guest_version, "2.6");
	assert_string_equal(img.xen_version, "xen-3.0");
	assert_string_equal(img.loader, "generic");
	assert_int_equal(img.virt_base, LINUX_BASE);
	assert_int_equal(img.paddr_offset, LINUX_BASE);
	assert_int_equal(img.virt_offset, 0);
	assert_int_equal(img.kstart, 0xffffffff81000000ULL);
	assert_int_equal(img.kend, 0xffffffff81002000ULL);
	assert_int_equal(img.entry, 0xffffffff81000040ULL);
	assert_int_equal(img.hypercall_page, 0xffffffff81001000ULL);
	assert_true(img.bsd_symtab);
	assert_int_equal(img.features_supported, (1u << 0) | (1u << 4));
	assert_int_equal(img.features_required, 1u << 0);

	/* Without VIRT_ENTRY, e_entry (1 MiB) is far outside the image. */
	assert_refused(parse_legacy_str("GUEST_OS=linux,XEN_VER=xen-3.0,"
					"VIRT_BASE=0xffffffff80000000",
					0xffffffff81000000ULL),
		       "entry outside the image");
}

static void test_legacy_defaults(void **state)
{
	/* PADDR_OFFSET defaults to VIRT_BASE; HYPERCALL_PAGE is a page
	 * number above VIRT_BASE; VIRT_ENTRY is the entry. */
	assert_accepted(parse_legacy_str(
		"XEN_VER=xen-3.0,GUEST_OS=linux,"
		"HYPERCALL_PAGE=0x1001,VIRT_ENTRY="
		"0xffffffff81000010,VIRT_BASE=0xffffffff80000000",
		0xffffffff81000000ULL));
	assert_int_equal(img.paddr_offset, LINUX_BASE);
	assert_int_equal(img.virt_offset, 0);
	assert_true(img.has_hypercall_page);
	assert_int_equal(img.hypercall_page, 0xffffffff81001000ULL);
	assert_int_equal(img.entry, 0xffffffff81000010ULL);
	assert_false(img.bsd_symtab);

	/* Without VIRT_BASE both are 0: an XTF-like image. */
	assert_accepted(parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0,"
					 "HYPERCALL_PAGE=257",
					 0x100000));
	assert_int_equal(img.virt_base, 0);
	assert_int_equal(img.paddr_offset, 0);
	assert_int_equal(img.hypercall_page, 0x101000);
}

static void test_legacy_rejections(void **state)
{
	assert_refused(parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0,"
					"VIRT_BASE=zz",
					0x100000),
		       "__xen_guest: VIRT_BASE is not a number");
	assert_refused(parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0,"
					"VIRT_ENTRY",
					0x100000),
		       "__xen_guest: VIRT_ENTRY is not a number");
	assert_refused(parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0,"
					"HYPERCALL_PAGE=0x10000000000000",
					0x100000),
		       "HYPERCALL_PAGE beyond the address space");
	assert_refused(parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0,"
					"VIRT_BASE=0xfffff000,"
					"HYPERCALL_PAGE=0xfffffffffffff",
					0x100000),
		       "HYPERCALL_PAGE beyond the address space");
	assert_refused(parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0,"
					"ELF_PADDR_OFFSET=0",
					0x100000),
		       "PADDR_OFFSET without VIRT_BASE");
	assert_refused(parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0,"
					"FEATURES=!nope",
					0x100000),
		       "required feature 'nope' unknown");
	assert_refused(parse_legacy_str("LOADER=generic", 0x100000),
		       "XEN_VERSION is not xen-3.0");
}

static void test_legacy_bounds(void **state)
{
	char s[400];

	/* No NUL at the end of the section. */
	assert_accepted(
		parse_legacy("LOADER=generic,XEN_VER=xen-3.0", 30, 0x100000));
	/* The NUL ends the string before the section does. */
	assert_refused(
		parse_legacy("LOADER=generic\0XEN_VER=xen-3.0", 30, 0x100000),
		"XEN_VERSION is not xen-3.0");
	/* A name over 31 characters is cut, so it no longer matches; a
	 * value over 127 is cut too. */
	snprintf(s, sizeof(s),
		 "XEN_VER=xen-3.0,LOADER=generic,"
		 "GUEST_VERxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=1,"
		 "GUEST_OS=%0200d",
		 7);
	assert_accepted(parse_legacy_str(s, 0x100000));
	assert_string_equal(img.guest_version, "");
	assert_int_equal(strlen(img.guest_os), ELF_PV_STR_MAX - 1);
	/* The section running past the end of the file. */
	parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0", 0x100000);
	sh_set64(2, 32, buf_len);
	assert_refused(parse(), "__xen_guest section beyond the file");
	/* A section-name table out of the file: no legacy section found. */
	parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0", 0x100000);
	sh_set64(3, 24, buf_len);
	assert_refused(parse(), "no Xen notes");
	parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0", 0x100000);
	put16(62, 40); /* e_shstrndx out of range */
	assert_refused(parse(), "no Xen notes");
	/* A name offset at the very end of the name table. */
	parse_legacy_str("LOADER=generic,XEN_VER=xen-3.0", 0x100000);
	put32(SH_OFF + 2 * 64, (uint32_t)shstr_len - 4);
	assert_refused(parse(), "no Xen notes");
}

static void test_legacy_only_without_notes(void **state)
{
	static const char s[] = "GUEST_OS=other,XEN_VER=xen-3.0";
	size_t at;

	begin();
	add_load(0x100000, TEXT_SIZE, TEXT_SIZE);
	std_notes();
	notes_as_phdr();
	at = add_extra(s, sizeof(s));
	add_section("__xen_guest", 1, at, sizeof(s), 0, 0);
	finish();
	assert_accepted(parse());
	assert_false(img.legacy);
	assert_string_equal(img.guest_os, "XTF");
}

/* ---- addresses ----------------------------------------------------------- */

static int parse_addr(bool virt_base, uint64_t vb, bool paddr_offset,
		      uint64_t po, uint64_t entry, uint64_t paddr)
{
	begin();
	add_load(paddr, TEXT_SIZE, 0x3000);
	std_notes();
	if (virt_base) {
		note_num(N_VIRT_BASE, vb, 8);
	}
	if (paddr_offset) {
		note_num(N_PADDR_OFFSET, po, 8);
	}
	note_num(N_ENTRY, entry, 8);
	notes_as_phdr();
	finish();
	return parse();
}

static void test_addresses(void **state)
{
	/* PADDR_OFFSET moves the image down. */
	assert_accepted(
		parse_addr(true, 0x400000, true, 0x100000, 0x400000, 0x100000));
	assert_int_equal(img.virt_offset, 0x300000);
	assert_int_equal(img.kstart, 0x400000);
	assert_int_equal(img.kend, 0x403000);

	assert_refused(parse_addr(false, 0, true, 0x1000, 0x100000, 0x100000),
		       "PADDR_OFFSET without VIRT_BASE");
	/* p_paddr below PADDR_OFFSET puts the image below VIRT_BASE. */
	assert_refused(
		parse_addr(true, 0x200000, true, 0x200000, 0x100000, 0x100000),
		"VIRT_BASE above the image");
	assert_refused(parse_addr(true, 0, false, 0, 0xfffff, 0x100000),
		       "entry outside the image");
	assert_refused(parse_addr(true, 0, false, 0, 0x103001, 0x100000),
		       "entry outside the image");
	/* The entry may be kend itself (as in Xen). */
	assert_accepted(parse_addr(true, 0, false, 0, 0x103000, 0x100000));
	assert_accepted(parse_addr(true, 0, false, 0, 0x100000, 0x100000));

	/* virt_offset = -0x2000 carries kstart below 0 and kend above. */
	assert_refused(parse_addr(true, 0, true, 0x2000, 0x1000, 0),
		       "image wraps around the address space");
	/* An image ending exactly at 2^64 wraps kend to 0. */
	assert_refused(parse_addr(true, LINUX_BASE, true, 0,
				  0xffffffffffffd000ULL, 0x7fffd000),
		       "image wraps around the address space");
	/* One page lower it fits, ending just below 2^64. */
	assert_accepted(parse_addr(true, LINUX_BASE, true, 0,
				   0xffffffffffffc000ULL, 0x7fffc000));
	assert_int_equal(img.kend, 0xfffffffffffff000ULL);
}

static void test_init_p2m_check(void **state)
{
	begin();
	add_load(0x100000, TEXT_SIZE, 0x3000);
	std_notes();
	note_num(N_INIT_P2M, 0x102fff, 8);
	notes_as_phdr();
	finish();
	assert_refused(parse(), "INIT_P2M inside the image");
	begin();
	add_load(0x100000, TEXT_SIZE, 0x3000);
	std_notes();
	note_num(N_INIT_P2M, 0x100000, 8);
	notes_as_phdr();
	finish();
	assert_refused(parse(), "INIT_P2M inside the image");
	begin();
	add_load(0x100000, TEXT_SIZE, 0x3000);
	std_notes();
	note_num(N_INIT_P2M, 0x103000, 8);
	notes_as_phdr();
	finish();
	assert_accepted(parse());
	assert_int_equal(img.init_p2m, 0x103000);
}

static int parse_hypercall_page(uint64_t va, uint64_t paddr)
{
	begin();
	add_load(paddr, TEXT_SIZE, 0x2800);
	std_notes();
	note_num(N_HYPERCALL_PAGE, va, 8);
	note_num(N_ENTRY, paddr, 8);
	notes_as_phdr();
	finish();
	return parse();
}

static void test_hypercall_page(void **state)
{
	assert_accepted(parse_hypercall_page(0x101000, 0x100000));
	assert_int_equal(img.hypercall_page, 0x101000);
	/* The last, partly filled page still belongs to the image. */
	assert_accepted(parse_hypercall_page(0x102000, 0x100000));
	/* So does the page holding an unaligned start. */
	assert_accepted(parse_hypercall_page(0x100000, 0x100800));
	assert_refused(parse_hypercall_page(0x101800, 0x100000),
		       "HYPERCALL_PAGE not page aligned");
	assert_refused(parse_hypercall_page(0x103000, 0x100000),
		       "HYPERCALL_PAGE outside the image");
	assert_refused(parse_hypercall_page(0xff000, 0x100000),
		       "HYPERCALL_PAGE outside the image");
}

/* ---- symbols ------------------------------------------------------------- */

struct sym {
	uint32_t name;
	uint8_t info, other;
	uint16_t shndx;
	uint64_t value, size;
};

_Static_assert(sizeof(struct sym) == 24, "ELF64 symbol size");

static void build_with_symbols(uint64_t entsize)
{
	/* The table is cut after "lat", so that name has no NUL. */
	static const char strs[] = "\0start\0main\0asm_label\0data\0undef"
				   "\0late";
	const size_t strs_len = sizeof(strs) - 2;
	struct sym syms[] = {
		{ 0, 0, 0, 0, 0, 0 },
		{ 1, STT_FUNC, 0, 1, 0x100000, 0x10 },
		{ 12, STT_FUNC, 0, 1, 0x100100, 0 }, /* unsized alias */
		{ 7, STT_FUNC | 0x10, 0, 1, 0x100100, 0x100 },
		{ 12, STT_FUNC, 0, 1, 0x100400, 0 },
		{ 22, STT_OBJECT, 0, 1, 0x100300, 0x10 },
		{ 27, STT_FUNC, 0, 0, 0x100350, 0x10 },	    /* undefined */
		{ 0x1000, STT_FUNC, 0, 1, 0x100380, 0x10 }, /* bad name */
		{ 7, STT_FUNC, 0, 1, 0x100000, 0 },	    /* unsized alias */
		{ 33, STT_FUNC, 0, 1, 0x102000, 0x800 },    /* cut name */
	};
	size_t str_at, sym_at;
	unsigned int strndx;

	begin();
	add_load(0x100000, TEXT_SIZE, 0x3000);
	std_notes();
	notes_as_phdr();
	str_at = add_extra(strs, strs_len);
	sym_at = add_extra(syms, sizeof(syms));
	add_section(".text", 1, TEXT_OFF, TEXT_SIZE, 0, 0);
	strndx = add_section(".strtab", SHT_STRTAB, str_at, strs_len, 0, 0);
	add_section(".symtab", SHT_SYMTAB, sym_at, sizeof(syms), strndx,
		    entsize);
	finish();
}

static void test_symbols(void **state)
{
	uint64_t off = 99;

	build_with_symbols(24);
	assert_accepted(parse());
	assert_int_equal(img.nr_syms, 10);
	assert_string_equal(elf_pv_symbol(&img, 0x100005, &off), "start");
	assert_int_equal(off, 5);
	assert_string_equal(elf_pv_symbol(&img, 0x100000, &off), "start");
	assert_int_equal(off, 0);
	/* Past start's size, and the next function starts later. */
	assert_null(elf_pv_symbol(&img, 0x100010, &off));
	/* A sized symbol beats an unsized one at the same value. */
	assert_string_equal(elf_pv_symbol(&img, 0x1001ff, &off), "main");
	assert_int_equal(off, 0xff);
	/* An object symbol and an undefined one do not count. */
	assert_null(elf_pv_symbol(&img, 0x100304, &off));
	assert_null(elf_pv_symbol(&img, 0x100354, &off));
	/* A symbol whose name is out of the table is skipped. */
	assert_null(elf_pv_symbol(&img, 0x100384, &off));
	/* A function without a size runs to the next one. */
	assert_string_equal(elf_pv_symbol(&img, 0x101000, NULL), "asm_label");
	/* The name cut off by the end of the table is not used. */
	assert_string_equal(elf_pv_symbol(&img, 0x102004, &off), "asm_label");
	assert_int_equal(off, 0x1c04);
	/* Outside [kstart, kend). */
	assert_null(elf_pv_symbol(&img, 0xfffff, &off));
	assert_null(elf_pv_symbol(&img, 0x103000, &off));
}

static void test_symbols_unusable(void **state)
{
	/* A wrong entry size: no symbols, but the image is fine. */
	build_with_symbols(16);
	assert_accepted(parse());
	assert_int_equal(img.nr_syms, 0);
	assert_null(elf_pv_symbol(&img, 0x100005, NULL));

	/* The symbol table past the end of the file. */
	build_with_symbols(24);
	sh_set64(3, 32, buf_len);
	assert_accepted(parse());
	assert_int_equal(img.nr_syms, 0);

	/* The string table past the end of the file. */
	build_with_symbols(24);
	sh_set64(2, 24, UINT64_MAX);
	assert_accepted(parse());
	assert_int_equal(img.nr_syms, 0);

	/* sh_link naming a section that is not a string table. */
	build_with_symbols(24);
	put32(SH_OFF + 3 * 64 + 40, 1);
	assert_accepted(parse());
	assert_int_equal(img.nr_syms, 0);
	put32(SH_OFF + 3 * 64 + 40, 200);
	assert_accepted(parse());
	assert_int_equal(img.nr_syms, 0);
}

/* ---- robustness ---------------------------------------------------------- */

/*
 * Every prefix of a valid image is parsed within its bounds (ASan); all
 * are refused until the section headers are complete, after which only
 * the symbol table, which is optional, can be missing.
 */
static void test_every_truncation(void **state)
{
	size_t n, full, tables = SH_OFF + 5 * 64;
	int rc;

	build_with_symbols(24);
	full = buf_len;
	assert_accepted(parse());
	assert_int_equal(img.nr_syms, 10);
	for (n = 0; n < full; n++) {
		rc = parse_size(n);
		if (n < tables) {
			assert_int_equal(rc, -EINVAL);
		}
		if (rc) {
			assert_int_equal(rc, -EINVAL);
			assert_non_null(why);
		} else {
			assert_int_equal(img.nr_syms, 0);
		}
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int check_segment(void *arg, uint64_t va, const void *src,
			 uint64_t filesz, uint64_t memsz)
{
	const uint8_t *s = src;

	assert_true(filesz <= memsz);
	assert_true(s >= copy && s <= copy + img.size);
	assert_true(filesz <= (uint64_t)(copy + img.size - s));
	if (filesz) {
		(void)*(volatile const uint8_t *)(s + filesz - 1);
	}
	return 0;
}

/*
 * Random byte and field corruption of a valid image with every kind of
 * note and section: the parser must never read out of bounds (ASan), and
 * what it accepts must satisfy the rules of pv-abi §3.6.
 */
static void test_mutations(void **state)
{
	static const uint64_t values[] = { 0,	       1,
					   3,	       0xfff,
					   0x1000,     0x100000,
					   UINT64_MAX, UINT64_MAX - 7,
					   1ULL << 63 };
	uint8_t orig[IMG_MAX];
	size_t len, at, i;
	unsigned int round, accepted = 0;
	uint64_t off;

	build_with_symbols(24);
	len = buf_len;
	memcpy(orig, buf, len);
	for (round = 0; round < 20000; round++) {
		memcpy(buf, orig, len);
		for (i = 0; i <= next_random() % 4; i++) {
			/* Mostly the headers, the notes and the sections. */
			at = (size_t)(next_random() % 3 == 0
					      ? next_random() % len
					      : next_random() % 0x500);
			if (next_random() & 1) {
				buf[at] = (uint8_t)next_random();
			} else if (at + 8 <= len) {
				put64(at, values[next_random() %
						 ARRAY_SIZE(values)]);
			}
		}
		if (parse_size(len - (next_random() % 8 == 0
					      ? next_random() % len
					      : 0)) != 0) {
			assert_non_null(why);
			continue;
		}
		accepted++;
		assert_true(img.virt_base <= img.kstart);
		assert_true(img.kstart <= img.kend);
		assert_true(img.entry >= img.kstart && img.entry <= img.kend);
		assert_int_equal(
			elf_pv_for_each_segment(&img, check_segment, NULL), 0);
		elf_pv_symbol(&img, img.kstart + (next_random() & 0x3fff),
			      &off);
	}
	/* The corruption must leave some images valid to be meaningful. */
	assert_true(accepted > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_xtf_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_et_dyn_ok, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_not_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bzimage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ident, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_truncated, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_program_headers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_section_headers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_segment_checks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_segment_iteration, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notes_in_sections, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pt_note_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_pt_note_at_offset_zero_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_xen_notes_ignored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_note_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_note_tails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_note_count_cap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_numeric_sizes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flags_notes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_acceptance, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_legacy_defaults, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_legacy_rejections, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_legacy_bounds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_legacy_only_without_notes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_init_p2m_check, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hypercall_page, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symbols, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symbols_unusable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mutations, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
