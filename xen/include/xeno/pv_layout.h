/* SPDX-License-Identifier: MIT */
/*
 * Where a PV domain's boot-time elements go (docs/pv-abi.md §3.8-3.10):
 * which guest PFNs hold the kernel, the module, the P2M list, start_info,
 * the XenStore and console rings, the bootstrap page tables and the boot
 * stack, how far the bootstrap mapping reaches (v_end), and which table
 * frame maps which address. A pure computation: it allocates nothing and
 * touches no memory, so the domain builder can check that everything fits
 * before it takes a single page ("prepare, then commit").
 *
 * Interface rules:
 *  - PFNs are the domain's pseudo-physical frame numbers, 0..nr_pages-1.
 *    Inside the bootstrap region the VA of PFN n is virt_base + n * 4096
 *    (pv_layout_va()); the region is [virt_base, v_end) and PFNs
 *    [0, bootstrap_pages), all mapped, page tables read-only and
 *    everything else read-write.
 *  - Elements are packed upward in the order of the struct below; an
 *    element that is absent has PFN PV_LAYOUT_NONE and 0 pages.
 *  - Pages from bootstrap_pages on are allocated to the domain but not
 *    mapped; unmapped modules and an INIT_P2M list come first there.
 *  - The same layout is used for dom0, minus the XenStore and console
 *    pages; guests may assume nothing about page-table order except that
 *    pt_pfn is the L4.
 */
#ifndef XENO_PV_LAYOUT_H
#define XENO_PV_LAYOUT_H

#include <xeno/elf_pv.h>
#include <xeno/types.h>

#define PV_LAYOUT_NONE	    UINT64_MAX	 /* PFN of an absent element */
#define PV_LAYOUT_PAD_BYTES (512u << 10) /* mapped padding, at least */
#define PV_LAYOUT_ALIGN	    (4u << 20)	 /* v_end is a multiple of this */

/* Page-table frames below the L4 that map a VA range with 4 KiB pages. */
struct pv_pt_count {
	uint64_t l3; /* one per 512 GiB region touched */
	uint64_t l2; /* one per 1 GiB region touched */
	uint64_t l1; /* one per 2 MiB region touched */
};

struct pv_layout {
	uint64_t virt_base; /* VA of PFN 0 (the image's VIRT_BASE) */
	uint64_t nr_pages;  /* the domain's pages, also the P2M entries */

	/* ---- the bootstrap region: mapped, in this order ---- */

	/* Pages holding [kstart, kend); PFNs below kernel_pfn are the
	 * mapped but unused gap between virt_base and the kernel. */
	uint64_t kernel_pfn, kernel_pages;
	/* The module (initrd), mod_pages = mod_len rounded up to pages. It
	 * is here, mapped, unless the image has MOD_START_PFN, in which case
	 * it is the first unmapped element (mod_mapped false). NONE/0 if
	 * there is no module. */
	uint64_t mod_pfn, mod_pages;
	bool mod_mapped;
	/* The P2M list, ceil(nr_pages * 8 / 4096) pages. Here unless
	 * p2m_at_init_p2m, in which case it is unmapped (see below). */
	uint64_t p2m_pfn, p2m_pages;
	uint64_t p2m_va; /* start_info.mfn_list: where the guest sees it */
	uint64_t start_info_pfn;
	uint64_t xenstore_pfn; /* NONE for dom0 */
	uint64_t console_pfn;  /* NONE for dom0 */
	/* Bootstrap page tables: the L4 at pt_pfn, then pt.l3 L3s, pt.l2
	 * L2s, pt.l1 L1s, each level in increasing VA order;
	 * nr_pt_frames = 1 + l3 + l2 + l1 (start_info.nr_pt_frames). */
	uint64_t pt_pfn, nr_pt_frames;
	struct pv_pt_count pt;
	uint64_t stack_pfn; /* initial RSP = VA of stack_pfn + 1 */
	uint64_t pad_pfn;   /* first padding page; pad_pfn..bootstrap_pages-1 */
	uint64_t v_end;	    /* end of the bootstrap region (exclusive VA) */
	uint64_t bootstrap_pages; /* (v_end - virt_base) / 4096 */

	/* ---- after the bootstrap region: allocated, not mapped ---- */

	/*
	 * INIT_P2M (pv-abi §3.10). Honoured when the image asks for it and
	 * the list's range is page aligned, ends at or below virt_base and
	 * lies in guest-owned, canonical space; then p2m_pfn ==
	 * first_p2m_pfn, p2m_va is the INIT_P2M address, and the tables
	 * that map it start at p2m_pt_pfn (p2m_pt.l3 L3s, l2 L2s, l1 L1s,
	 * not counting tables it shares with the bootstrap region, which
	 * the bootstrap tables provide). nr_p2m_frames counts the list and
	 * those tables (start_info.first_p2m_pfn / nr_p2m_frames; both 0
	 * otherwise). init_p2m_ignored says the image asked but could not
	 * be honoured: the list is then in the bootstrap region.
	 */
	bool p2m_at_init_p2m;
	bool init_p2m_ignored;
	uint64_t first_p2m_pfn, nr_p2m_frames;
	uint64_t p2m_pt_pfn;
	struct pv_pt_count p2m_pt;

	uint64_t used_pages; /* PFNs [used_pages, nr_pages) are free RAM */
};

/*
 * Counts the L3, L2 and L1 tables that map [start, end) (end exclusive;
 * nothing if end <= start). Each level counts the distinct regions of its
 * size the range touches, so a range crossing a 2 MiB, 1 GiB or 512 GiB
 * boundary needs one more table at that level.
 */
void pv_layout_count_tables(uint64_t start, uint64_t end,
			    struct pv_pt_count *c);

/*
 * Lays out a domain of nr_pages pages for the parsed image img, with a
 * module of mod_len bytes (0: none); dom0 leaves out the XenStore and
 * console pages. Uses img's virt_base, kstart, kend, mod_start_pfn,
 * has_init_p2m and init_p2m. Returns 0, or with *why set to a one-line
 * reason: -ENOMEM if nr_pages cannot hold everything, -EINVAL if the
 * addresses cannot work (virt_base not page aligned, image below
 * virt_base, bootstrap region wrapping, non-canonical or reaching into
 * the hypervisor's range).
 */
int pv_layout_compute(struct pv_layout *l, const struct elf_pv_image *img,
		      uint64_t nr_pages, uint64_t mod_len, bool dom0,
		      const char **why);

/* The VA of bootstrap PFN pfn (meaningful for pfn < bootstrap_pages). */
static inline uint64_t pv_layout_va(const struct pv_layout *l, uint64_t pfn)
{
	return l->virt_base + (pfn << PAGE_SHIFT);
}

/*
 * The PFN of the level-level table (4 = the L4 ... 1 = an L1) through
 * which va is mapped, for va in the bootstrap region or in the INIT_P2M
 * list's range; PV_LAYOUT_NONE for any other va or level.
 */
uint64_t pv_layout_pt_pfn(const struct pv_layout *l, uint64_t va,
			  unsigned int level);

#endif
