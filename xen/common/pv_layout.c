/* SPDX-License-Identifier: MIT */
/*
 * The boot-time layout of a PV domain (docs/pv-abi.md §3.8-3.10), as a
 * pure computation over PFNs; see pv_layout.h for what each field means.
 *
 * The one subtle part is the number of bootstrap page-table frames: the
 * tables map the whole bootstrap region, which contains the tables
 * themselves, the stack after them and padding rounded to 4 MiB, so
 * adding a frame can move v_end and require another table. The count is
 * found by iterating from below: n -> tables(v_end(n)). tables() never
 * decreases as n grows, so the first n with tables(v_end(n)) <= n is the
 * smallest that works, and it is reached with equality (no frame wasted).
 *
 * All arithmetic is checked: PFN counts stay below 2^56 (nr_pages / 512
 * and byte lengths / 4096), so sums of a few of them cannot wrap, and
 * every conversion to a VA is tested against the top of the space.
 */
#include <public/xen.h>
#include <xeno/errno.h>
#include <xeno/lib.h>
#include <xeno/pv_layout.h>

#define L3_SHIFT 39 /* an L3 table maps 512 GiB */
#define L2_SHIFT 30 /* an L2 table maps 1 GiB */
#define L1_SHIFT 21 /* an L1 table maps 2 MiB */

/* The lowest address past the guest's lower half (first non-canonical). */
#define GUEST_LOW_END 0x0000800000000000ULL

/* Bounds the page-table iteration; it converges in two or three steps. */
#define MAX_PT_ROUNDS 64

struct layout_calc {
	struct pv_layout *l;
	const char **why;
};

static int fail(struct layout_calc *c, int rc, const char *why)
{
	*c->why = why;
	return rc;
}

static uint64_t pages_for(uint64_t bytes)
{
	return (bytes >> PAGE_SHIFT) + ((bytes & (PAGE_SIZE - 1)) != 0);
}

/* Distinct (1 << shift)-byte regions touched by [start, end), end > start. */
static uint64_t regions(uint64_t start, uint64_t end, unsigned int shift)
{
	return ((end - 1) >> shift) - (start >> shift) + 1;
}

void pv_layout_count_tables(uint64_t start, uint64_t end, struct pv_pt_count *c)
{
	if (end <= start) {
		c->l3 = c->l2 = c->l1 = 0;
		return;
	}
	c->l3 = regions(start, end, L3_SHIFT);
	c->l2 = regions(start, end, L2_SHIFT);
	c->l1 = regions(start, end, L1_SHIFT);
}

/*
 * Whether [start, end) (end > start) lies in guest-owned, canonical
 * space: wholly in the lower half or wholly above the hypervisor's range.
 */
static bool guest_range(uint64_t start, uint64_t end)
{
	return end > start &&
	       (end <= GUEST_LOW_END || start >= HYPERVISOR_VIRT_END);
}

/* virt_base + pfn * 4096 into *va; false if it leaves the address space. */
static bool pfn_va(uint64_t virt_base, uint64_t pfn, uint64_t *va)
{
	if (pfn > (UINT64_MAX >> PAGE_SHIFT) ||
	    (pfn << PAGE_SHIFT) > UINT64_MAX - virt_base) {
		return false;
	}
	*va = virt_base + (pfn << PAGE_SHIFT);
	return true;
}

/*
 * v_end if the boot stack is the page before first_pad: at least the
 * padding after it, then up to a 4 MiB boundary. False on a wrap.
 */
static bool end_of_region(uint64_t virt_base, uint64_t first_pad,
			  uint64_t *v_end)
{
	uint64_t va;

	if (!pfn_va(virt_base, first_pad, &va) ||
	    va > UINT64_MAX - PV_LAYOUT_PAD_BYTES - (PV_LAYOUT_ALIGN - 1)) {
		return false;
	}
	*v_end = ROUND_UP(va + PV_LAYOUT_PAD_BYTES, (uint64_t)PV_LAYOUT_ALIGN);
	return true;
}

static int place_kernel(struct layout_calc *c, const struct elf_pv_image *img,
			uint64_t *next)
{
	struct pv_layout *l = c->l;
	uint64_t first, end;

	if (img->virt_base & (PAGE_SIZE - 1)) {
		return fail(c, -EINVAL, "VIRT_BASE is not page aligned");
	}
	if (img->kstart < img->virt_base || img->kend < img->kstart) {
		return fail(c, -EINVAL, "image not above VIRT_BASE");
	}
	if (img->kend > UINT64_MAX - (PAGE_SIZE - 1)) {
		return fail(c, -EINVAL, "image reaches the top of the space");
	}
	first = ROUND_DOWN(img->kstart, PAGE_SIZE) - img->virt_base;
	end = ROUND_UP(img->kend, PAGE_SIZE) - img->virt_base;
	l->kernel_pfn = first >> PAGE_SHIFT;
	l->kernel_pages = (end - first) >> PAGE_SHIFT;
	*next = end >> PAGE_SHIFT;
	return 0;
}

/* Decides whether the P2M list can live at the image's INIT_P2M. */
static void decide_init_p2m(struct pv_layout *l, const struct elf_pv_image *img)
{
	uint64_t va = img->init_p2m, len = l->p2m_pages << PAGE_SHIFT;

	if (!img->has_init_p2m) {
		return;
	}
	if ((va & (PAGE_SIZE - 1)) == 0 && len <= UINT64_MAX - va &&
	    va + len <= img->virt_base && guest_range(va, va + len)) {
		l->p2m_at_init_p2m = true;
		l->p2m_va = va;
	} else {
		l->init_p2m_ignored = true;
	}
}

/* Finds the page-table frame count and v_end (see the top of the file). */
static int size_page_tables(struct layout_calc *c)
{
	struct pv_layout *l = c->l;
	uint64_t n = 1, need, v_end = 0;
	struct pv_pt_count t = { 0, 0, 0 };
	unsigned int round;

	for (round = 0; round < MAX_PT_ROUNDS; round++) {
		/* Tables, then one stack page, then the padding. */
		if (!end_of_region(l->virt_base, l->pt_pfn + n + 1, &v_end)) {
			return fail(c, -EINVAL,
				    "bootstrap region wraps around the top "
				    "of the address space");
		}
		if (!guest_range(l->virt_base, v_end)) {
			return fail(c, -EINVAL,
				    "bootstrap region is not in guest-owned "
				    "canonical space");
		}
		pv_layout_count_tables(l->virt_base, v_end, &t);
		need = 1 + t.l3 + t.l2 + t.l1;
		if (need <= n) {
			l->nr_pt_frames = n;
			l->pt = t;
			l->v_end = v_end;
			return 0;
		}
		n = need;
	}
	return fail(c, -EINVAL, "page-table count does not converge");
}

/* Places the P2M list and its own page tables at next (INIT_P2M). */
static void place_init_p2m(struct pv_layout *l, uint64_t next)
{
	uint64_t end = l->p2m_va + (l->p2m_pages << PAGE_SHIFT);
	unsigned int shift[] = { L3_SHIFT, L2_SHIFT, L1_SHIFT };
	uint64_t own[3];
	unsigned int i;

	/* The list ends at or below virt_base, so it can share only its
	 * last table of each level with the bootstrap region's first. */
	for (i = 0; i < 3; i++) {
		own[i] = regions(l->p2m_va, end, shift[i]);
		if ((end - 1) >> shift[i] == l->virt_base >> shift[i]) {
			own[i]--;
		}
	}
	l->p2m_pt.l3 = own[0];
	l->p2m_pt.l2 = own[1];
	l->p2m_pt.l1 = own[2];
	l->first_p2m_pfn = next;
	l->p2m_pfn = next;
	l->p2m_pt_pfn = next + l->p2m_pages;
	l->nr_p2m_frames = l->p2m_pages + own[0] + own[1] + own[2];
}

/* Elements 1-8 of pv-abi §3.8, up to and including v_end. */
static int place_bootstrap(struct layout_calc *c,
			   const struct elf_pv_image *img, uint64_t mod_len,
			   bool dom0)
{
	struct pv_layout *l = c->l;
	uint64_t next;
	int rc;

	rc = place_kernel(c, img, &next);
	if (rc) {
		return rc;
	}
	if (mod_len && !img->mod_start_pfn) {
		l->mod_pfn = next;
		l->mod_mapped = true;
		next += l->mod_pages;
	}
	if (!l->p2m_at_init_p2m) {
		l->p2m_pfn = next;
		next += l->p2m_pages;
		if (!pfn_va(l->virt_base, l->p2m_pfn, &l->p2m_va)) {
			return fail(c, -EINVAL,
				    "bootstrap region wraps around the top "
				    "of the address space");
		}
	}
	l->start_info_pfn = next++;
	if (!dom0) {
		l->xenstore_pfn = next++;
		l->console_pfn = next++;
	}
	l->pt_pfn = next;
	rc = size_page_tables(c);
	if (rc) {
		return rc;
	}
	l->stack_pfn = l->pt_pfn + l->nr_pt_frames;
	l->pad_pfn = l->stack_pfn + 1;
	l->bootstrap_pages = (l->v_end - l->virt_base) >> PAGE_SHIFT;
	return 0;
}

int pv_layout_compute(struct pv_layout *l, const struct elf_pv_image *img,
		      uint64_t nr_pages, uint64_t mod_len, bool dom0,
		      const char **why)
{
	struct layout_calc c = { l, why };
	uint64_t next;
	int rc;

	memset(l, 0, sizeof(*l));
	*why = NULL;
	l->virt_base = img->virt_base;
	l->nr_pages = nr_pages;
	l->mod_pfn = l->xenstore_pfn = l->console_pfn = PV_LAYOUT_NONE;
	l->p2m_pt_pfn = PV_LAYOUT_NONE;
	l->mod_pages = pages_for(mod_len);
	/* 512 eight-byte entries per page. */
	l->p2m_pages = nr_pages / 512 + (nr_pages % 512 != 0);
	if (l->mod_pages > nr_pages) {
		return fail(&c, -ENOMEM, "too few pages for the module");
	}
	decide_init_p2m(l, img);
	rc = place_bootstrap(&c, img, mod_len, dom0);
	if (rc) {
		return rc;
	}
	if (l->bootstrap_pages > nr_pages) {
		return fail(&c, -ENOMEM,
			    "too few pages for the bootstrap region");
	}
	next = l->bootstrap_pages;
	if (mod_len && img->mod_start_pfn) {
		l->mod_pfn = next;
		next += l->mod_pages;
	}
	if (l->p2m_at_init_p2m) {
		place_init_p2m(l, next);
		next += l->nr_p2m_frames;
	}
	if (next > nr_pages) {
		return fail(&c, -ENOMEM,
			    "too few pages for the unmapped module and P2M");
	}
	l->used_pages = next;
	return 0;
}

/* The table at a level (3..1) for va, counting from the bootstrap base. */
static uint64_t table_index(uint64_t va, uint64_t base, unsigned int shift)
{
	return (va >> shift) - (base >> shift);
}

uint64_t pv_layout_pt_pfn(const struct pv_layout *l, uint64_t va,
			  unsigned int level)
{
	static const unsigned int shift[] = { 0, L1_SHIFT, L2_SHIFT, L3_SHIFT };
	uint64_t boot[4], p2m[4], p2m_end;
	unsigned int s;

	if (level < 1 || level > 4) {
		return PV_LAYOUT_NONE;
	}
	/* First frame of each level's tables, indexed by level. */
	boot[3] = l->pt_pfn + 1;
	boot[2] = boot[3] + l->pt.l3;
	boot[1] = boot[2] + l->pt.l2;
	p2m[3] = l->p2m_pt_pfn;
	p2m[2] = p2m[3] + l->p2m_pt.l3;
	p2m[1] = p2m[2] + l->p2m_pt.l2;
	p2m_end = l->p2m_va + (l->p2m_pages << PAGE_SHIFT);

	if (va >= l->virt_base && va < l->v_end) {
		if (level == 4) {
			return l->pt_pfn;
		}
		s = shift[level];
		return boot[level] + table_index(va, l->virt_base, s);
	}
	if (!l->p2m_at_init_p2m || va < l->p2m_va || va >= p2m_end) {
		return PV_LAYOUT_NONE;
	}
	if (level == 4) {
		return l->pt_pfn;
	}
	s = shift[level];
	if (va >> s == l->virt_base >> s) {
		return boot[level]; /* shared with the bootstrap region */
	}
	return p2m[level] + table_index(va, l->p2m_va, s);
}
