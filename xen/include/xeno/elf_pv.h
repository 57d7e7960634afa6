/* SPDX-License-Identifier: MIT */
/*
 * Recognising a PV kernel image (docs/pv-abi.md §3.1-3.6): the checks and
 * address arithmetic the domain builder needs before it allocates
 * anything. Pure parsing, shared by the hypervisor and the host tests.
 *
 * Interface rules:
 *  - Only ELF64, little-endian, x86-64 images are accepted. A Linux
 *    bzImage is recognised and refused: decompressing it is not supported
 *    yet, so load the uncompressed vmlinux. 32-bit images (x86_32p) are
 *    refused too.
 *  - elf_pv_parse() reads nothing outside [data, data + size), whatever
 *    the bytes say: every offset, size and count is checked with
 *    arithmetic that cannot wrap. It changes nothing but *img.
 *  - Everything the other functions return (segment bytes, symbol names)
 *    points into the image bytes, so they must outlive their use.
 *  - A refusal returns -EINVAL and a one-line reason in *why, which
 *    points to a string constant or into img->why_buf; it stays valid as
 *    long as img does.
 */
#ifndef XENO_ELF_PV_H
#define XENO_ELF_PV_H

#include <xeno/types.h>

/* Longest string kept from a note (with its NUL); longer ones are cut. */
#define ELF_PV_STR_MAX 32

/* At most this many notes are looked at; an image with more is refused. */
#define ELF_PV_MAX_NOTES 2048

struct elf_pv_image {
	const uint8_t *data; /* the image bytes, as given to elf_pv_parse */
	size_t size;

	/*
	 * Addresses (§3.6). A loadable segment is copied to the guest VA
	 * p_paddr + virt_offset; guest PFN n is mapped at VA
	 * virt_base + n * 4096 in the bootstrap region.
	 */
	uint64_t virt_base;    /* VIRT_BASE, default 0 */
	uint64_t paddr_offset; /* PADDR_OFFSET, default 0 (legacy: virt_base) */
	uint64_t virt_offset;  /* virt_base - paddr_offset, modulo 2^64 */
	uint64_t kstart;       /* VA of the lowest loaded byte */
	uint64_t kend;	       /* VA just past the highest; not page rounded */
	uint64_t entry;	       /* VA of the entry point (ENTRY, else e_entry) */

	/* VA of the page to fill with hypercall stubs; page aligned, inside
	 * the image's pages. Valid if has_hypercall_page. */
	bool has_hypercall_page;
	uint64_t hypercall_page;

	/* VA where the guest wants its P2M list mapped (INIT_P2M), outside
	 * [kstart, kend). Valid if has_init_p2m; whether it can be honoured
	 * is the layout's business (pv_layout.h). */
	bool has_init_p2m;
	uint64_t init_p2m;

	bool mod_start_pfn;  /* MOD_START_PFN != 0: modules may stay unmapped */
	bool suspend_cancel; /* SUSPEND_CANCEL != 0 */
	/*
	 * BSD_SYMTAB was "yes". Recorded only: the symbol table is not
	 * appended and kend is not extended (not supported yet).
	 */
	bool bsd_symtab;
	bool legacy; /* the settings came from the __xen_guest section */

	/*
	 * XENFEAT bitmaps (bit n = XENFEAT number n, pv-abi §3.4) from the
	 * FEATURES string and SUPPORTED_FEATURES. A required feature is also
	 * counted as supported. The parser refuses unknown required names
	 * and the two features a PV guest cannot have
	 * (auto_translated_physmap, supervisor_mode_kernel); the builder of
	 * a hardware domain still has to check that "dom0" is supported.
	 */
	uint32_t features_supported;
	uint32_t features_required;

	/* NUL-terminated copies of the string notes ("" if absent),
	 * truncated to ELF_PV_STR_MAX - 1 characters; unprintable bytes are
	 * replaced by '?'. */
	char guest_os[ELF_PV_STR_MAX];
	char guest_version[ELF_PV_STR_MAX];
	char xen_version[ELF_PV_STR_MAX];
	char loader[ELF_PV_STR_MAX];

	/* Checked positions used by the functions below; not for callers. */
	uint64_t phoff; /* program header table: in the file */
	uint16_t phnum;
	uint64_t symtab_off; /* .symtab entries, nr_syms of 24 bytes */
	uint64_t nr_syms;    /* 0 if the image has no usable table */
	uint64_t strtab_off; /* its string table */
	uint64_t strtab_size;

	char why_buf[80]; /* room for a formatted refusal reason */
};

/*
 * Parses and checks the image at data (size bytes). Returns 0 with *img
 * filled in, or -EINVAL with *why set to a one-line reason, for example
 * "not ELF64", "e_machine is not x86-64", "program header beyond the
 * file", "no Xen notes", "XEN_VERSION is not xen-3.0", "required feature
 * 'x' unknown", "entry outside the image".
 */
int elf_pv_parse(struct elf_pv_image *img, const void *data, size_t size,
		 const char **why);

/*
 * The callback of elf_pv_for_each_segment: a segment goes to guest VA va;
 * its first filesz bytes are at src, the rest up to memsz is to be zeroed
 * (filesz <= memsz always).
 */
typedef int (*elf_pv_segment_fn)(void *arg, uint64_t va, const void *src,
				 uint64_t filesz, uint64_t memsz);

/*
 * Calls fn for each loadable segment (PT_LOAD with at least one of the R,
 * W, X flags) of a parsed image, in program-header order. Returns 0, or
 * the first nonzero value fn returned (the walk stops there).
 */
int elf_pv_for_each_segment(const struct elf_pv_image *img,
			    elf_pv_segment_fn fn, void *arg);

/*
 * The name of the function symbol (STT_FUNC in .symtab) containing va and
 * va's offset into it (stored if offset is not NULL), or NULL. The
 * candidate is the function symbol with the highest value at or below
 * va, a sized one winning a tie; it is refused if it has a size and va
 * lies beyond it, and NULL is also returned for a va outside
 * [kstart, kend). Symbol values are taken as run-time VAs, which they
 * are whenever p_vaddr == p_paddr + virt_offset (every known PV kernel).
 */
const char *elf_pv_symbol(const struct elf_pv_image *img, uint64_t va,
			  uint64_t *offset);

#endif
