/* SPDX-License-Identifier: MIT */
/*
 * The PV domain builder (see xeno/domain_build.h). Everything that can
 * fail for a reason the configuration controls (a bad image, too little
 * memory for the layout) is checked before the domain exists; after
 * that only allocation can fail, and the domain is then destroyed whole.
 */
#include <asm/pv.h>
#include <xeno/domain.h>
#include <xeno/domain_build.h>
#include <xeno/elf_pv.h>
#include <xeno/errno.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/m2p.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/pv_layout.h>
#include <xeno/sched.h>
#include <xeno/xmalloc.h>

/* Entry flags the domU builder writes (pv-abi §3.9). */
#define PT_UPPER (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_US)
#define PT_DATA	 (PTE_P | PTE_RW | PTE_A)
#define PT_RO	 (PTE_P | PTE_A)

struct build {
	const struct domain_config *c;
	struct elf_pv_image img;
	struct pv_layout l;
	struct domain *d;
	uint64_t *p2m; /* pfn -> mfn, l.nr_pages entries */
};

static void *pfn_ptr(const struct build *b, uint64_t pfn)
{
	return arch_mfn_to_virt(mfn(b->p2m[pfn]));
}

/* Frames per 2 MiB and per 1 GiB chunk of pseudo-physical memory. */
#define CHUNK_ORDER  9
#define CHUNK_FRAMES (1ULL << CHUNK_ORDER)
#define GIG_ORDER    18
#define GIG_FRAMES   (1ULL << GIG_ORDER)

static void set_frame(struct build *b, uint64_t pfn, struct page_info *pg)
{
	b->p2m[pfn] = mfn_x(page_to_mfn(pg));
	m2p_set(page_to_mfn(pg), pfn);
}

/*
 * Gives the domain PFNs [pfn, pfn + 2^order) as one aligned block of
 * machine memory of that size (2 MiB or 1 GiB), so that the guest may
 * map them with a superpage (docs/mm.md §13). Returns 0; 1 if the
 * allocator has no such block (the caller falls back to smaller ones);
 * or -ENOMEM if the domain is full.
 */
static int alloc_chunk(struct build *b, uint64_t pfn, unsigned int order)
{
	struct page_info *pg = frame_alloc(order, FA_DOMAIN);
	uint64_t i, n = 1ULL << order;
	int rc;

	if (pg == NULL) {
		return 1;
	}
	rc = mm_domain_assign_n(&b->d->mm, pg, n);
	if (rc != 0) {
		frame_free(pg, order, 0);
		return rc;
	}
	for (i = 0; i < n; i++) {
		set_frame(b, pfn + i, &pg[i]);
	}
	return 0;
}

/*
 * The largest chunk worth trying at pfn: 1 GiB for a whole aligned GiB
 * of PFNs above the bootstrap region (which holds the page tables, so a
 * 1 GiB superpage could never map a GiB containing it), else 2 MiB for a
 * whole aligned 2 MiB, else none (0).
 */
static unsigned int chunk_order(const struct build *b, uint64_t pfn)
{
	uint64_t left = b->l.nr_pages - pfn;

	if (pfn % GIG_FRAMES == 0 && left >= GIG_FRAMES &&
	    pfn >= b->l.bootstrap_pages) {
		return GIG_ORDER;
	}
	if (pfn % CHUNK_FRAMES == 0 && left >= CHUNK_FRAMES) {
		return CHUNK_ORDER;
	}
	return 0;
}

static int alloc_memory(struct build *b)
{
	uint64_t pfn = 0, chunks = 0, gigs = 0;

	while (pfn < b->l.nr_pages) {
		unsigned int order = chunk_order(b, pfn);
		struct page_info *pg;
		int rc = 1;

		if (order == GIG_ORDER) {
			rc = alloc_chunk(b, pfn, GIG_ORDER);
			if (rc == 0) {
				pfn += GIG_FRAMES;
				gigs++;
				continue;
			}
			order = CHUNK_ORDER;
		}
		if (rc > 0 && order == CHUNK_ORDER) {
			rc = alloc_chunk(b, pfn, CHUNK_ORDER);
		}
		if (rc == 0) {
			pfn += CHUNK_FRAMES;
			chunks++;
			continue;
		}
		if (rc < 0) {
			return rc;
		}
		rc = mm_domain_alloc(&b->d->mm, &pg);
		if (rc != 0) {
			return rc;
		}
		set_frame(b, pfn++, pg);
	}
	printk(LOG_DEBUG,
	       "d%u: %llu of %llu pages in 2 MiB chunks, %llu in 1 GiB "
	       "chunks\n",
	       b->d->domid, (unsigned long long)(chunks * CHUNK_FRAMES),
	       (unsigned long long)b->l.nr_pages,
	       (unsigned long long)(gigs * GIG_FRAMES));
	return 0;
}

/* Copies n bytes to guest VA va of the bootstrap region (or zeroes). */
static void copy_to_va(const struct build *b, uint64_t va, const void *src,
		       uint64_t n)
{
	while (n > 0) {
		uint64_t pfn = (va - b->l.virt_base) >> PAGE_SHIFT;
		uint64_t off = va & (PAGE_SIZE - 1);
		uint64_t chunk = MIN(n, PAGE_SIZE - off);
		uint8_t *dst = (uint8_t *)pfn_ptr(b, pfn) + off;

		if (src != NULL) {
			memcpy(dst, src, chunk);
			src = (const uint8_t *)src + chunk;
		} else {
			memset(dst, 0, chunk);
		}
		va += chunk;
		n -= chunk;
	}
}

static int load_segment(void *arg, uint64_t va, const void *src,
			uint64_t filesz, uint64_t memsz)
{
	const struct build *b = arg;

	copy_to_va(b, va, src, filesz);
	copy_to_va(b, va + filesz, NULL, memsz - filesz);
	return 0;
}

static void copy_to_pfn(const struct build *b, uint64_t pfn, const void *src,
			uint64_t n)
{
	uint64_t done;

	for (done = 0; done < n; done += PAGE_SIZE, pfn++) {
		memcpy(pfn_ptr(b, pfn), (const uint8_t *)src + done,
		       MIN(PAGE_SIZE, n - done));
	}
}

static bool is_pt_pfn(const struct pv_layout *l, uint64_t pfn)
{
	if (pfn >= l->pt_pfn && pfn < l->pt_pfn + l->nr_pt_frames) {
		return true;
	}
	return l->p2m_at_init_p2m && pfn >= l->p2m_pt_pfn &&
	       pfn < l->first_p2m_pfn + l->nr_p2m_frames &&
	       pfn >= l->p2m_pfn + l->p2m_pages;
}

/* The L1 entry that maps pfn: read-only for the domain's page tables. */
static uint64_t l1_entry(const struct build *b, uint64_t pfn)
{
	return pte_make(mfn(b->p2m[pfn]),
			is_pt_pfn(&b->l, pfn) ? PT_RO : PT_DATA);
}

/*
 * Writes the L4, L3 and L2 entries on the way to the L1 table that maps
 * VA va, and returns that L1 table.
 */
static uint64_t *map_upper(const struct build *b, uint64_t va)
{
	unsigned int level;

	for (level = 4; level >= 2; level--) {
		uint64_t t = pv_layout_pt_pfn(&b->l, va, level);
		uint64_t below = pv_layout_pt_pfn(&b->l, va, level - 1);
		unsigned int i = (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
		uint64_t *table = pfn_ptr(b, t);

		BUG_ON(t == PV_LAYOUT_NONE || below == PV_LAYOUT_NONE);
		table[i] = pte_make(mfn(b->p2m[below]), PT_UPPER);
	}
	return pfn_ptr(b, pv_layout_pt_pfn(&b->l, va, 1));
}

/*
 * Maps n pages from VA va to PFNs pfn, pfn + 1, ...: one L1 entry per
 * page, and the upper entries once per L1 table (every page of a 2 MiB
 * range shares them), not once per page.
 */
static void map_range(const struct build *b, uint64_t va, uint64_t pfn,
		      uint64_t n)
{
	uint64_t *l1 = NULL;

	for (; n > 0; n--, va += PAGE_SIZE, pfn++) {
		if (l1 == NULL || (va & (CHUNK_FRAMES * PAGE_SIZE - 1)) == 0) {
			l1 = map_upper(b, va);
		}
		l1[(va >> PAGE_SHIFT) & 511] = l1_entry(b, pfn);
	}
}

static void build_page_tables(const struct build *b)
{
	const struct pv_layout *l = &b->l;

	map_range(b, pv_layout_va(l, 0), 0, l->bootstrap_pages);
	if (l->p2m_at_init_p2m) {
		map_range(b, l->p2m_va, l->p2m_pfn, l->p2m_pages);
	}
}

/* pv-abi §5.2: 32-byte stubs, the iret one special, 0xcc elsewhere. */
static void fill_hypercall_page(uint8_t *p)
{
	unsigned int n;

	memset(p, 0xcc, PAGE_SIZE);
	for (n = 0; n < NR_HYPERCALL_STUBS; n++) {
		uint8_t *s = p + n * 32;

		if (n == __HYPERVISOR_iret) {
			static const uint8_t iret[11] = { 0x51, 0x41, 0x53,
							  0x50, 0xb8, 23,
							  0,	0,    0,
							  0x0f, 0x05 };

			memcpy(s, iret, sizeof(iret));
			continue;
		}
		s[0] = 0x51;
		s[1] = 0x41;
		s[2] = 0x53;
		s[3] = 0xb8;
		s[4] = (uint8_t)n;
		s[5] = s[6] = s[7] = 0;
		s[8] = 0x0f;
		s[9] = 0x05;
		s[10] = 0x41;
		s[11] = 0x5b;
		s[12] = 0x59;
		s[13] = 0xc3;
	}
}

static void write_start_info(const struct build *b)
{
	const struct pv_layout *l = &b->l;
	struct start_info *si = pfn_ptr(b, l->start_info_pfn);

	memset(si, 0, sizeof(*si));
	strlcpy(si->magic, "xen-3.0-x86_64", sizeof(si->magic));
	si->nr_pages = l->nr_pages;
	si->shared_info = mfn_x(page_to_mfn(b->d->shared_info_pg))
			  << PAGE_SHIFT;
	si->flags = b->c->privileged ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0;
	if (l->xenstore_pfn != PV_LAYOUT_NONE) {
		si->store_mfn = b->p2m[l->xenstore_pfn];
	}
	if (l->console_pfn != PV_LAYOUT_NONE) {
		struct xencons_interface *con = pfn_ptr(b, l->console_pfn);

		con->connection = XENCONSOLE_DISCONNECTED;
		si->console.domU.mfn = b->p2m[l->console_pfn];
	}
	si->pt_base = pv_layout_va(l, l->pt_pfn);
	si->nr_pt_frames = l->nr_pt_frames;
	si->mfn_list = l->p2m_va;
	if (l->mod_pfn != PV_LAYOUT_NONE) {
		if (l->mod_mapped) {
			si->mod_start = pv_layout_va(l, l->mod_pfn);
			si->mod_len = b->c->module_size;
		} else {
			si->flags |= SIF_MOD_START_PFN;
			si->mod_start = l->mod_pfn;
			si->mod_len = l->mod_pages << PAGE_SHIFT;
		}
	}
	strlcpy(si->cmd_line, b->c->cmdline, sizeof(si->cmd_line));
	si->first_p2m_pfn = l->first_p2m_pfn;
	si->nr_p2m_frames = l->nr_p2m_frames;
}

/* pv-abi §3.12: vCPU 0 at the entry, in kernel mode, events masked. */
static int setup_vcpu0(const struct build *b)
{
	struct vcpu *v = b->d->vcpu[0];
	struct cpu_regs *r = &v->arch.regs;
	mfn_t l4 = mfn(b->p2m[b->l.pt_pfn]);
	int rc;

	rc = ptype_pin(&b->d->mm, l4, PGT_l4, 0);
	if (rc == 0) {
		rc = mm_vcpu_set_root(&v->mm, false, l4, 0);
	}
	if (rc != 0) {
		return rc;
	}
	memset(r, 0, sizeof(*r));
	r->rip = b->img.entry;
	r->rsp = pv_layout_va(&b->l, b->l.stack_pfn + 1);
	r->rsi = pv_layout_va(&b->l, b->l.start_info_pfn);
	r->rflags = 0x202;
	r->cs = FLAT_KERNEL_CS;
	r->ss = FLAT_KERNEL_SS;
	v->arch.kernel_ss = FLAT_KERNEL_SS;
	v->arch.kernel_sp = r->rsp;
	v->arch.dr[6] = 0xffff0ff0;
	v->arch.dr[7] = 0x400;
	pv_vcpu_fpu_init(v);
	return 0;
}

static void init_other_vcpus(struct domain *d)
{
	unsigned int i;

	for (i = 1; i < d->nr_vcpus; i++) {
		d->vcpu[i]->arch.dr[6] = 0xffff0ff0;
		d->vcpu[i]->arch.dr[7] = 0x400;
		pv_vcpu_fpu_init(d->vcpu[i]);
	}
}

static int populate(struct build *b, const char **why)
{
	const struct pv_layout *l = &b->l;
	uint64_t p2m_bytes = l->nr_pages * sizeof(uint64_t);
	int rc;

	if (alloc_memory(b) != 0) {
		*why = "out of memory for the domain's pages";
		return -ENOMEM;
	}
	elf_pv_for_each_segment(&b->img, load_segment, b);
	if (b->c->module != NULL && l->mod_pfn != PV_LAYOUT_NONE) {
		copy_to_pfn(b, l->mod_pfn, b->c->module, b->c->module_size);
	}
	copy_to_pfn(b, l->p2m_pfn, b->p2m, p2m_bytes);
	write_start_info(b);
	build_page_tables(b);
	if (b->img.has_hypercall_page) {
		uint64_t pfn =
			(b->img.hypercall_page - l->virt_base) >> PAGE_SHIFT;

		fill_hypercall_page(pfn_ptr(b, pfn));
	}
	rc = setup_vcpu0(b);
	if (rc != 0) {
		*why = "the bootstrap page tables did not validate";
		return rc;
	}
	init_other_vcpus(b->d);
	return 0;
}

static bool hypercall_page_ok(const struct build *b)
{
	uint64_t hp = b->img.hypercall_page;

	return !b->img.has_hypercall_page ||
	       ((hp & (PAGE_SIZE - 1)) == 0 && hp >= b->img.kstart &&
		hp + PAGE_SIZE <= ROUND_UP(b->img.kend, PAGE_SIZE));
}

int domain_build(const struct domain_config *c, struct domain **out,
		 const char **why)
{
	struct build b = { .c = c };
	uint64_t nr_pages = c->mem >> PAGE_SHIFT;
	int rc;

	rc = elf_pv_parse(&b.img, c->image, c->image_size, why);
	if (rc != 0) {
		return rc;
	}
	if (!hypercall_page_ok(&b)) {
		*why = "HYPERCALL_PAGE is not a page inside the image";
		return -EINVAL;
	}
	/* A configuration too small for the image is a bad one (-EINVAL). */
	if (pv_layout_compute(&b.l, &b.img, nr_pages, c->module_size,
			      c->privileged, why) != 0) {
		return -EINVAL;
	}
	b.p2m = xmalloc(nr_pages * sizeof(uint64_t));
	if (b.p2m == NULL) {
		*why = "out of memory for the P2M list";
		return -ENOMEM;
	}
	/* One more page than maxmem: the shared_info page. */
	b.d = domain_create(c->id, c->name, (c->maxmem >> PAGE_SHIFT) + 1,
			    c->vcpus, c->privileged, why);
	if (b.d == NULL) {
		xfree(b.p2m);
		return -ENOMEM;
	}
	b.d->weight = c->weight;
	b.d->cache_pages = c->cache >> PAGE_SHIFT;
	rc = populate(&b, why);
	xfree(b.p2m);
	if (rc != 0) {
		domain_destroy_unstarted(b.d);
		return rc;
	}
	b.d->image = c->image;
	b.d->image_size = c->image_size;
	*out = b.d;
	return 0;
}
