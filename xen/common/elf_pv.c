/* SPDX-License-Identifier: MIT */
/*
 * The PV kernel image parser (docs/pv-abi.md §3.1-3.6): ELF64 header and
 * program-header checks, the Xen notes (from PT_NOTE segments, else
 * SHT_NOTE sections, else the legacy __xen_guest string), the acceptance
 * checks and the address arithmetic. Shared by the hypervisor's domain
 * builder and the host tests and fuzzers.
 *
 * The image is untrusted input. Every read goes through an offset that
 * in_file() has checked against the image size first, and all sizes are
 * compared by subtraction from a known-larger value, never by an addition
 * that could wrap. Fields are read with memcpy, so the image may have any
 * alignment.
 */
#include <xeno/elf_pv.h>
#include <xeno/errno.h>
#include <xeno/lib.h>

/* ELF layout facts (ELF64 only). */
#define EHDR_SIZE    64
#define PHDR_SIZE    56
#define SHDR_SIZE    64
#define SYM_SIZE     24
#define NOTE_HDR     12
#define ELFCLASS32   1
#define ELFCLASS64   2
#define ELFDATA2LSB  1
#define EV_CURRENT   1
#define ET_EXEC	     2
#define ET_DYN	     3
#define EM_X86_64    62
#define PT_LOAD	     1
#define PT_NOTE	     4
#define PF_RWX	     7
#define SHT_SYMTAB   2
#define SHT_STRTAB   3
#define SHT_NOTE     7
#define STT_FUNC     2
#define SHN_UNDEF    0
#define LEGACY_NAME  32	 /* name buffer of a __xen_guest item */
#define LEGACY_VALUE 128 /* value buffer */

/* Xen note types (pv-abi §3.3) that the parser uses. */
enum xen_note {
	NOTE_ENTRY = 1,
	NOTE_HYPERCALL_PAGE = 2,
	NOTE_VIRT_BASE = 3,
	NOTE_PADDR_OFFSET = 4,
	NOTE_XEN_VERSION = 5,
	NOTE_GUEST_OS = 6,
	NOTE_GUEST_VERSION = 7,
	NOTE_LOADER = 8,
	NOTE_FEATURES = 10,
	NOTE_BSD_SYMTAB = 11,
	NOTE_SUSPEND_CANCEL = 14,
	NOTE_INIT_P2M = 15,
	NOTE_MOD_START_PFN = 16,
	NOTE_SUPPORTED_FEATURES = 17,
};

/* The XENFEAT numbers a FEATURES string may name (pv-abi §3.4). */
#define FEAT_AUTO_TRANSLATED 2
#define FEAT_SUPERVISOR_MODE 3

static const struct {
	const char *name;
	unsigned int bit;
} feature_names[] = {
	{ "writable_page_tables", 0 },
	{ "writable_descriptor_tables", 1 },
	{ "auto_translated_physmap", FEAT_AUTO_TRANSLATED },
	{ "supervisor_mode_kernel", FEAT_SUPERVISOR_MODE },
	{ "pae_pgdir_above_4gb", 4 },
	{ "hvm_callback_vector", 8 },
	{ "dom0", 11 },
};

/* Parser state that does not belong in the result. */
struct elf_parse {
	struct elf_pv_image *img;
	const char **why;
	uint64_t shoff; /* section header table, checked to be in the file */
	uint16_t shnum;
	uint16_t shstrndx;
	uint64_t pstart, pend; /* p_paddr range of the loadable segments */
	unsigned int nr_notes;
	bool found; /* a Xen note (or the legacy section) was seen */
	bool has_entry, has_virt_base, has_paddr_offset;
	uint64_t entry;
	bool has_legacy_hypercall;
	uint64_t legacy_hypercall_pfn; /* relative to virt_base */
};

static int fail(struct elf_parse *p, const char *why)
{
	*p->why = why;
	return -EINVAL;
}

__printf(2, 3) static int failf(struct elf_parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->img->why_buf, sizeof(p->img->why_buf), fmt, ap);
	va_end(ap);
	return fail(p, p->img->why_buf);
}

static uint16_t rd16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *b)
{
	uint64_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

/* Whether [off, off + len) lies in the image; cannot wrap. */
static bool in_file(const struct elf_pv_image *img, uint64_t off, uint64_t len)
{
	return off <= img->size && len <= img->size - off;
}

/* Whether a table of n entries of esize bytes at off lies in the image. */
static bool table_in_file(const struct elf_pv_image *img, uint64_t off,
			  uint64_t n, uint64_t esize)
{
	/* n < 2^16 and esize <= 64, so the product cannot wrap. */
	return in_file(img, off, n * esize);
}

static const uint8_t *phdr(const struct elf_pv_image *img, unsigned int i)
{
	return img->data + img->phoff + (uint64_t)i * PHDR_SIZE;
}

static const uint8_t *shdr(const struct elf_parse *p, unsigned int i)
{
	return p->img->data + p->shoff + (uint64_t)i * SHDR_SIZE;
}

static bool is_loadable(const uint8_t *ph)
{
	return rd32(ph) == PT_LOAD && (rd32(ph + 4) & PF_RWX);
}

/*
 * Copies a string of at most len bytes (it may lack its NUL: the end of
 * the bytes ends it too) into dst, truncating to dst's size. Bytes that
 * would upset a console are replaced.
 */
static void copy_str(char *dst, size_t size, const uint8_t *src, uint64_t len)
{
	size_t n = 0;

	while (n < len && n + 1 < size && src[n]) {
		dst[n] = (src[n] >= 0x20 && src[n] < 0x7f) ? (char)src[n] : '?';
		n++;
	}
	dst[n] = '\0';
}

/* The length of a string bounded by len bytes and by its NUL. */
static uint64_t bounded_len(const uint8_t *s, uint64_t len)
{
	const uint8_t *nul = memchr(s, 0, len);

	return nul ? (uint64_t)(nul - s) : len;
}

/* A numeric descriptor: 1, 2, 4 or 8 little-endian bytes, else 0. */
static uint64_t note_num(const uint8_t *desc, uint64_t descsz)
{
	switch (descsz) {
	case 1:
		return desc[0];
	case 2:
		return rd16(desc);
	case 4:
		return rd32(desc);
	case 8:
		return rd64(desc);
	default:
		return 0;
	}
}

/* ---- the ELF header ----------------------------------------------------- */

static bool is_bzimage(const struct elf_pv_image *img)
{
	return img->size >= 0x206 && memcmp(img->data + 0x202, "HdrS", 4) == 0;
}

static int check_ident(struct elf_parse *p)
{
	const struct elf_pv_image *img = p->img;
	const uint8_t *d = img->data;
	uint16_t type;

	if (img->size < 4 || memcmp(d, "\177ELF", 4) != 0) {
		if (is_bzimage(img)) {
			return fail(p, "bzImage is not supported yet (load the "
				       "uncompressed vmlinux)");
		}
		return fail(p, "not an ELF image");
	}
	if (img->size < EHDR_SIZE) {
		return fail(p, "ELF header truncated");
	}
	if (d[4] == ELFCLASS32) {
		return fail(p,
			    "not ELF64 (32-bit PV guests are not supported)");
	}
	if (d[4] != ELFCLASS64) {
		return fail(p, "not ELF64");
	}
	if (d[5] != ELFDATA2LSB) {
		return fail(p, "not little-endian");
	}
	if (d[6] != EV_CURRENT) {
		return fail(p, "unknown ELF version");
	}
	type = rd16(d + 16);
	if (type != ET_EXEC && type != ET_DYN) {
		return fail(p, "not an executable (e_type)");
	}
	if (rd16(d + 18) != EM_X86_64) {
		return fail(p, "e_machine is not x86-64");
	}
	return 0;
}

/* Checks that the program and section header tables lie in the file. */
static int check_tables(struct elf_parse *p)
{
	struct elf_pv_image *img = p->img;
	const uint8_t *d = img->data;

	img->phoff = rd64(d + 32);
	img->phnum = rd16(d + 56);
	if (img->phnum == 0) {
		return fail(p, "no program headers");
	}
	if (rd16(d + 54) != PHDR_SIZE) {
		return fail(p, "e_phentsize is not 56");
	}
	if (!table_in_file(img, img->phoff, img->phnum, PHDR_SIZE)) {
		return fail(p, "program header beyond the file");
	}
	p->shoff = rd64(d + 40);
	p->shnum = rd16(d + 60);
	p->shstrndx = rd16(d + 62);
	if (p->shnum == 0) {
		return 0;
	}
	if (rd16(d + 58) != SHDR_SIZE) {
		return fail(p, "e_shentsize is not 64");
	}
	if (!table_in_file(img, p->shoff, p->shnum, SHDR_SIZE)) {
		return fail(p, "section header beyond the file");
	}
	return 0;
}

/* Checks each loadable segment and finds their p_paddr range. */
static int check_segments(struct elf_parse *p)
{
	const struct elf_pv_image *img = p->img;
	bool any = false;
	unsigned int i;

	for (i = 0; i < img->phnum; i++) {
		const uint8_t *ph = phdr(img, i);
		uint64_t off = rd64(ph + 8), paddr = rd64(ph + 24);
		uint64_t filesz = rd64(ph + 32), memsz = rd64(ph + 40);

		if (!is_loadable(ph)) {
			continue;
		}
		if (filesz > memsz) {
			return fail(p, "segment has p_filesz > p_memsz");
		}
		if (!in_file(img, off, filesz)) {
			return fail(p, "segment beyond the file");
		}
		if (memsz > UINT64_MAX - paddr) {
			return fail(p,
				    "segment wraps around the address space");
		}
		if (!any || paddr < p->pstart) {
			p->pstart = paddr;
		}
		if (!any || paddr + memsz > p->pend) {
			p->pend = paddr + memsz;
		}
		any = true;
	}
	return any ? 0 : fail(p, "no loadable segment");
}

/* ---- FEATURES ----------------------------------------------------------- */

static int feature_bit(const char *name, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(feature_names); i++) {
		if (strlen(feature_names[i].name) == len &&
		    memcmp(feature_names[i].name, name, len) == 0) {
			return (int)feature_names[i].bit;
		}
	}
	return -1;
}

static int feature_token(struct elf_parse *p, const char *tok, uint64_t len)
{
	bool required = len > 0 && tok[0] == '!';
	char name[41];
	int bit;

	if (required) {
		tok++;
		len--;
	}
	if (len == 0) {
		return 0;
	}
	bit = feature_bit(tok, len);
	if (bit < 0) {
		if (required) {
			copy_str(name, sizeof(name), (const uint8_t *)tok, len);
			return failf(p, "required feature '%s' unknown", name);
		}
		return 0; /* unknown supported features are ignored */
	}
	p->img->features_supported |= 1u << bit;
	if (required) {
		p->img->features_required |= 1u << bit;
	}
	return 0;
}

/* Parses a '|'-separated FEATURES list of at most len bytes. */
static int parse_features(struct elf_parse *p, const uint8_t *s, uint64_t len)
{
	const char *str = (const char *)s;
	uint64_t i = 0, end;
	int rc;

	len = bounded_len(s, len);
	while (i < len) {
		for (end = i; end < len && str[end] != '|'; end++) {
		}
		rc = feature_token(p, str + i, end - i);
		if (rc) {
			return rc;
		}
		i = end + 1;
	}
	return 0;
}

/* ---- notes -------------------------------------------------------------- */

/* Acts on one Xen note; its descriptor is desc[0..descsz). */
static int xen_note(struct elf_parse *p, uint32_t type, const uint8_t *desc,
		    uint64_t descsz)
{
	struct elf_pv_image *img = p->img;
	uint64_t num = note_num(desc, descsz);

	switch (type) {
	case NOTE_ENTRY:
		p->has_entry = true;
		p->entry = num;
		break;
	case NOTE_HYPERCALL_PAGE:
		img->has_hypercall_page = true;
		img->hypercall_page = num;
		break;
	case NOTE_VIRT_BASE:
		p->has_virt_base = true;
		img->virt_base = num;
		break;
	case NOTE_PADDR_OFFSET:
		p->has_paddr_offset = true;
		img->paddr_offset = num;
		break;
	case NOTE_XEN_VERSION:
		copy_str(img->xen_version, ELF_PV_STR_MAX, desc, descsz);
		break;
	case NOTE_GUEST_OS:
		copy_str(img->guest_os, ELF_PV_STR_MAX, desc, descsz);
		break;
	case NOTE_GUEST_VERSION:
		copy_str(img->guest_version, ELF_PV_STR_MAX, desc, descsz);
		break;
	case NOTE_LOADER:
		copy_str(img->loader, ELF_PV_STR_MAX, desc, descsz);
		break;
	case NOTE_FEATURES:
		return parse_features(p, desc, descsz);
	case NOTE_BSD_SYMTAB:
		img->bsd_symtab = bounded_len(desc, descsz) == 3 &&
				  memcmp(desc, "yes", 3) == 0;
		break;
	case NOTE_SUSPEND_CANCEL:
		img->suspend_cancel = num != 0;
		break;
	case NOTE_INIT_P2M:
		img->has_init_p2m = true;
		img->init_p2m = num;
		break;
	case NOTE_MOD_START_PFN:
		img->mod_start_pfn = num != 0;
		break;
	case NOTE_SUPPORTED_FEATURES:
		/* One 32-bit word of XENFEAT bits exists (XENFEAT_NR_SUBMAPS). */
		if (descsz >= 4) {
			img->features_supported |= rd32(desc);
		}
		break;
	default:
		break; /* informational, 32-bit only, PVH only, or unknown */
	}
	return 0;
}

/*
 * Walks the notes in [off, off + len) of the file, which the caller has
 * checked. A note that runs past the area makes the image malformed; a
 * tail too short for a note header is ignored, as is a last note whose
 * padding is missing.
 */
static int walk_notes(struct elf_parse *p, uint64_t off, uint64_t len)
{
	const uint8_t *area = p->img->data + off;
	uint64_t pos = 0, namesz, descsz, desc_at, step;
	int rc;

	while (len - pos >= NOTE_HDR) {
		const uint8_t *n = area + pos;

		if (++p->nr_notes > ELF_PV_MAX_NOTES) {
			return fail(p, "more than 2048 ELF notes");
		}
		namesz = rd32(n);
		descsz = rd32(n + 4);
		desc_at = NOTE_HDR + ROUND_UP(namesz, 4u);
		if (desc_at > len - pos || descsz > len - pos - desc_at) {
			return fail(p, "ELF note runs past its note area");
		}
		if (namesz == 4 && memcmp(n + NOTE_HDR, "Xen", 4) == 0) {
			p->found = true;
			rc = xen_note(p, rd32(n + 8), n + desc_at, descsz);
			if (rc) {
				return rc;
			}
		}
		step = desc_at + ROUND_UP(descsz, 4u);
		if (step >= len - pos) {
			break;
		}
		pos += step;
	}
	return 0;
}

/* Step 1 of pv-abi §3.2: PT_NOTE segments (except at offset 0). */
static int notes_from_segments(struct elf_parse *p)
{
	const struct elf_pv_image *img = p->img;
	unsigned int i;
	int rc;

	for (i = 0; i < img->phnum; i++) {
		const uint8_t *ph = phdr(img, i);
		uint64_t off = rd64(ph + 8), len = rd64(ph + 32);

		if (rd32(ph) != PT_NOTE || off == 0) {
			continue;
		}
		if (!in_file(img, off, len)) {
			return fail(p, "note segment beyond the file");
		}
		rc = walk_notes(p, off, len);
		if (rc) {
			return rc;
		}
	}
	return 0;
}

/* Step 2: SHT_NOTE sections. */
static int notes_from_sections(struct elf_parse *p)
{
	unsigned int i;
	int rc;

	for (i = 0; i < p->shnum; i++) {
		const uint8_t *sh = shdr(p, i);
		uint64_t off = rd64(sh + 24), len = rd64(sh + 32);

		if (rd32(sh + 4) != SHT_NOTE) {
			continue;
		}
		if (!in_file(p->img, off, len)) {
			return fail(p, "note section beyond the file");
		}
		rc = walk_notes(p, off, len);
		if (rc) {
			return rc;
		}
	}
	return 0;
}

/* ---- the legacy __xen_guest section (pv-abi §3.5) ------------------------ */

/* Whether section i is called name; false for any bad name reference. */
static bool section_named(const struct elf_parse *p, unsigned int i,
			  const char *name)
{
	const uint8_t *strs;
	uint64_t off, size, at, want = strlen(name) + 1;

	if (p->shstrndx >= p->shnum) {
		return false;
	}
	strs = shdr(p, p->shstrndx);
	off = rd64(strs + 24);
	size = rd64(strs + 32);
	at = rd32(shdr(p, i));
	if (!in_file(p->img, off, size) || at > size || want > size - at) {
		return false;
	}
	return memcmp(p->img->data + off + at, name, want) == 0;
}

static int legacy_number(struct elf_parse *p, const char *name,
			 const char *value, uint64_t *out)
{
	if (parse_u64(value, out, false)) {
		return failf(p, "__xen_guest: %s is not a number", name);
	}
	return 0;
}

/* Acts on one NAME[=VALUE] item, already split and truncated. */
static int legacy_item(struct elf_parse *p, const char *name, const char *value)
{
	struct elf_pv_image *img = p->img;
	size_t vlen = strlen(value);
	const uint8_t *v = (const uint8_t *)value;

	if (strcmp(name, "GUEST_OS") == 0) {
		copy_str(img->guest_os, ELF_PV_STR_MAX, v, vlen);
	} else if (strcmp(name, "GUEST_VER") == 0) {
		copy_str(img->guest_version, ELF_PV_STR_MAX, v, vlen);
	} else if (strcmp(name, "XEN_VER") == 0) {
		copy_str(img->xen_version, ELF_PV_STR_MAX, v, vlen);
	} else if (strcmp(name, "LOADER") == 0) {
		copy_str(img->loader, ELF_PV_STR_MAX, v, vlen);
	} else if (strcmp(name, "BSD_SYMTAB") == 0) {
		img->bsd_symtab = true;
	} else if (strcmp(name, "FEATURES") == 0) {
		return parse_features(p, v, vlen);
	} else if (strcmp(name, "VIRT_BASE") == 0) {
		p->has_virt_base = true;
		return legacy_number(p, name, value, &img->virt_base);
	} else if (strcmp(name, "VIRT_ENTRY") == 0) {
		p->has_entry = true;
		return legacy_number(p, name, value, &p->entry);
	} else if (strcmp(name, "ELF_PADDR_OFFSET") == 0) {
		p->has_paddr_offset = true;
		return legacy_number(p, name, value, &img->paddr_offset);
	} else if (strcmp(name, "HYPERCALL_PAGE") == 0) {
		p->has_legacy_hypercall = true;
		return legacy_number(p, name, value, &p->legacy_hypercall_pfn);
	}
	return 0; /* PAE and unknown names */
}

/* Splits "NAME=VALUE" (n bytes, no comma) and hands it to legacy_item. */
static int legacy_split(struct elf_parse *p, const char *s, uint64_t n)
{
	char name[LEGACY_NAME], value[LEGACY_VALUE];
	const char *eq = memchr(s, '=', n);
	uint64_t name_len = eq ? (uint64_t)(eq - s) : n;

	copy_str(name, sizeof(name), (const uint8_t *)s, name_len);
	value[0] = '\0';
	if (eq) {
		copy_str(value, sizeof(value), (const uint8_t *)eq + 1,
			 n - name_len - 1);
	}
	return legacy_item(p, name, value);
}

/* Step 3: the first section called __xen_guest, if any. */
static int notes_from_legacy(struct elf_parse *p)
{
	const char *s;
	uint64_t off, len, i, end;
	unsigned int sec;
	int rc;

	for (sec = 0; sec < p->shnum; sec++) {
		if (section_named(p, sec, "__xen_guest")) {
			break;
		}
	}
	if (sec == p->shnum) {
		return 0;
	}
	off = rd64(shdr(p, sec) + 24);
	len = rd64(shdr(p, sec) + 32);
	if (!in_file(p->img, off, len)) {
		return fail(p, "__xen_guest section beyond the file");
	}
	p->found = true;
	p->img->legacy = true;
	s = (const char *)p->img->data + off;
	len = bounded_len(p->img->data + off, len);
	for (i = 0; i < len; i = end + 1) {
		for (end = i; end < len && s[end] != ','; end++) {
		}
		rc = legacy_split(p, s + i, end - i);
		if (rc) {
			return rc;
		}
	}
	return 0;
}

static int find_notes(struct elf_parse *p)
{
	int rc = notes_from_segments(p);

	if (!rc && !p->found) {
		rc = notes_from_sections(p);
	}
	if (!rc && !p->found) {
		rc = notes_from_legacy(p);
	}
	if (!rc && !p->found) {
		rc = fail(p, "no Xen notes");
	}
	return rc;
}

/* ---- acceptance and addresses (pv-abi §3.6) ------------------------------ */

static int check_acceptance(struct elf_parse *p)
{
	const struct elf_pv_image *img = p->img;

	if (strncmp(img->loader, "generic", 7) != 0 &&
	    strncmp(img->guest_os, "linux", 5) != 0) {
		return fail(p, "neither LOADER generic nor GUEST_OS linux");
	}
	if (strncmp(img->xen_version, "xen-3.0", 7) != 0) {
		return fail(p, "XEN_VERSION is not xen-3.0");
	}
	if (img->features_required & (1u << FEAT_AUTO_TRANSLATED)) {
		return fail(p, "requires auto_translated_physmap (not PV)");
	}
	if (img->features_required & (1u << FEAT_SUPERVISOR_MODE)) {
		return fail(p, "requires supervisor_mode_kernel (not PV)");
	}
	return 0;
}

/* The legacy HYPERCALL_PAGE is a page number relative to virt_base. */
static int legacy_hypercall_page(struct elf_parse *p)
{
	struct elf_pv_image *img = p->img;
	uint64_t pfn = p->legacy_hypercall_pfn;

	if (pfn > (UINT64_MAX >> PAGE_SHIFT) ||
	    (pfn << PAGE_SHIFT) > UINT64_MAX - img->virt_base) {
		return fail(p, "HYPERCALL_PAGE beyond the address space");
	}
	img->has_hypercall_page = true;
	img->hypercall_page = img->virt_base + (pfn << PAGE_SHIFT);
	return 0;
}

static int check_hypercall_page(struct elf_parse *p)
{
	const struct elf_pv_image *img = p->img;

	if (!img->has_hypercall_page) {
		return 0;
	}
	if (img->hypercall_page & (PAGE_SIZE - 1)) {
		return fail(p, "HYPERCALL_PAGE not page aligned");
	}
	/* Page aligned and below kend: the whole page is an image page. */
	if (img->hypercall_page < ROUND_DOWN(img->kstart, PAGE_SIZE) ||
	    img->hypercall_page >= img->kend) {
		return fail(p, "HYPERCALL_PAGE outside the image");
	}
	return 0;
}

static int compute_addresses(struct elf_parse *p)
{
	struct elf_pv_image *img = p->img;
	int rc;

	if (p->has_paddr_offset && !p->has_virt_base) {
		return fail(p, "PADDR_OFFSET without VIRT_BASE");
	}
	if (!p->has_paddr_offset) {
		img->paddr_offset = img->legacy ? img->virt_base : 0;
	}
	img->virt_offset = img->virt_base - img->paddr_offset;
	img->kstart = p->pstart + img->virt_offset;
	img->kend = p->pend + img->virt_offset;
	img->entry = p->has_entry ? p->entry : rd64(img->data + 24);
	if (p->has_legacy_hypercall) {
		rc = legacy_hypercall_page(p);
		if (rc) {
			return rc;
		}
	}
	/* pstart <= pend, so this catches a wrap past the top of memory. */
	if (img->kstart > img->kend) {
		return fail(p, "image wraps around the address space");
	}
	/* An entry equal to kend is accepted, as Xen's loaders do. */
	if (img->entry < img->kstart || img->entry > img->kend) {
		return fail(p, "entry outside the image");
	}
	if (img->virt_base > img->kstart) {
		return fail(p, "VIRT_BASE above the image");
	}
	if (img->has_init_p2m && img->init_p2m >= img->kstart &&
	    img->init_p2m < img->kend) {
		return fail(p, "INIT_P2M inside the image");
	}
	return check_hypercall_page(p);
}

/* ---- symbols ------------------------------------------------------------- */

/* Remembers .symtab and its string table if both are usable. */
static void find_symbols(struct elf_parse *p)
{
	struct elf_pv_image *img = p->img;
	const uint8_t *sh = NULL, *str;
	unsigned int i;
	uint32_t link;

	for (i = 0; i < p->shnum; i++) {
		sh = shdr(p, i);
		if (rd32(sh + 4) == SHT_SYMTAB) {
			break;
		}
	}
	if (i == p->shnum) {
		return;
	}
	link = rd32(sh + 40);
	if (link >= p->shnum || rd64(sh + 56) != SYM_SIZE) {
		return;
	}
	str = shdr(p, link);
	if (rd32(str + 4) != SHT_STRTAB ||
	    !in_file(img, rd64(sh + 24), rd64(sh + 32)) ||
	    !in_file(img, rd64(str + 24), rd64(str + 32))) {
		return;
	}
	img->symtab_off = rd64(sh + 24);
	img->nr_syms = rd64(sh + 32) / SYM_SIZE;
	img->strtab_off = rd64(str + 24);
	img->strtab_size = rd64(str + 32);
}

int elf_pv_parse(struct elf_pv_image *img, const void *data, size_t size,
		 const char **why)
{
	struct elf_parse p = { .img = img, .why = why };
	int rc;

	memset(img, 0, sizeof(*img));
	img->data = data;
	img->size = size;
	*why = NULL;
	rc = check_ident(&p);
	if (!rc) {
		rc = check_tables(&p);
	}
	if (!rc) {
		rc = check_segments(&p);
	}
	if (!rc) {
		rc = find_notes(&p);
	}
	if (!rc) {
		rc = check_acceptance(&p);
	}
	if (!rc) {
		rc = compute_addresses(&p);
	}
	if (!rc) {
		find_symbols(&p);
	}
	return rc;
}

int elf_pv_for_each_segment(const struct elf_pv_image *img,
			    elf_pv_segment_fn fn, void *arg)
{
	unsigned int i;
	int rc;

	for (i = 0; i < img->phnum; i++) {
		const uint8_t *ph = phdr(img, i);

		if (!is_loadable(ph)) {
			continue;
		}
		rc = fn(arg, rd64(ph + 24) + img->virt_offset,
			img->data + rd64(ph + 8), rd64(ph + 32), rd64(ph + 40));
		if (rc) {
			return rc;
		}
	}
	return 0;
}

/* The name of symbol sym if it is a NUL-terminated string, else NULL. */
static const char *symbol_name(const struct elf_pv_image *img,
			       const uint8_t *sym)
{
	const uint8_t *strs = img->data + img->strtab_off;
	uint32_t at = rd32(sym);

	if (at == 0 || at >= img->strtab_size ||
	    !memchr(strs + at, 0, img->strtab_size - at)) {
		return NULL;
	}
	return (const char *)strs + at;
}

const char *elf_pv_symbol(const struct elf_pv_image *img, uint64_t va,
			  uint64_t *offset)
{
	const char *name = NULL, *n;
	uint64_t i, value, size, best = 0, best_size = 0;

	if (va < img->kstart || va >= img->kend) {
		return NULL;
	}
	for (i = 0; i < img->nr_syms; i++) {
		const uint8_t *sym = img->data + img->symtab_off + i * SYM_SIZE;

		value = rd64(sym + 8);
		size = rd64(sym + 16);
		if ((sym[4] & 0xf) != STT_FUNC || rd16(sym + 6) == SHN_UNDEF ||
		    value > va) {
			continue;
		}
		if (name &&
		    (value < best || (value == best && (best_size || !size)))) {
			continue;
		}
		n = symbol_name(img, sym);
		if (n) {
			name = n;
			best = value;
			best_size = size;
		}
	}
	if (!name || (best_size && va - best >= best_size)) {
		return NULL;
	}
	if (offset) {
		*offset = va - best;
	}
	return name;
}
