/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the boot-time layout (xen/common/pv_layout.c): the
 * element order and PFNs for XTF-, Linux- and Mini-OS-like images worked
 * out by hand, the page-table counts across 2 MiB, 1 GiB and 512 GiB
 * boundaries, the padding and 4 MiB rounding, INIT_P2M, and refusals.
 * Every accepted layout also goes through check_layout(), which verifies
 * the rules of pv-abi §3.8 independently of the expected numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <xeno/errno.h>
#include <xeno/lib.h>
#include <xeno/pv_layout.h>

#define MiB	   (1ULL << 20)
#define GiB	   (1ULL << 30)
#define LINUX_BASE 0xffffffff80000000ULL
#define NONE	   PV_LAYOUT_NONE

static struct elf_pv_image img;
static struct pv_layout l;
static const char *why;

static int setup(void **state)
{
	memset(&img, 0, sizeof(img));
	memset(&l, 0xa5, sizeof(l));
	why = "stale";
	return 0;
}

static void image(uint64_t virt_base, uint64_t kstart, uint64_t kend)
{
	img.virt_base = virt_base;
	img.kstart = kstart;
	img.kend = kend;
	img.entry = kstart;
}

static void assert_refused(int rc, int expect, const char *needle)
{
	assert_int_equal(rc, expect);
	assert_non_null(why);
	if (!strstr(why, needle)) {
		fail_msg("reason '%s' does not say '%s'", why, needle);
	}
}

static uint64_t tables_for(uint64_t start, uint64_t end)
{
	struct pv_pt_count c;

	pv_layout_count_tables(start, end, &c);
	return 1 + c.l3 + c.l2 + c.l1;
}

/* v_end for a given first padding PFN, computed the obvious way. */
static uint64_t v_end_for(uint64_t pad_pfn)
{
	uint64_t va = l.virt_base + pad_pfn * 4096 + 512 * 1024;

	return (va + 4 * MiB - 1) / (4 * MiB) * (4 * MiB);
}

/* Checks the rules of pv-abi §3.8 on the layout in l. */
static void check_layout(bool dom0, uint64_t mod_len)
{
	uint64_t next = l.kernel_pfn + l.kernel_pages, va, pfn, t, lvl;

	assert_int_equal(l.virt_base + l.kernel_pfn * 4096,
			 img.kstart & ~0xfffULL);
	assert_true(l.virt_base + next * 4096 >= img.kend);
	assert_true(l.virt_base + next * 4096 - img.kend < 4096);
	if (mod_len && l.mod_mapped) {
		assert_int_equal(l.mod_pfn, next);
		next += l.mod_pages;
	}
	assert_int_equal(l.mod_pages, (mod_len + 4095) / 4096);
	assert_int_equal(l.p2m_pages, (l.nr_pages * 8 + 4095) / 4096);
	if (!l.p2m_at_init_p2m) {
		assert_int_equal(l.p2m_pfn, next);
		assert_int_equal(l.p2m_va, l.virt_base + next * 4096);
		next += l.p2m_pages;
	}
	assert_int_equal(l.start_info_pfn, next++);
	if (dom0) {
		assert_int_equal(l.xenstore_pfn, NONE);
		assert_int_equal(l.console_pfn, NONE);
	} else {
		assert_int_equal(l.xenstore_pfn, next++);
		assert_int_equal(l.console_pfn, next++);
	}
	assert_int_equal(l.pt_pfn, next);
	assert_int_equal(l.nr_pt_frames, 1 + l.pt.l3 + l.pt.l2 + l.pt.l1);
	assert_int_equal(l.stack_pfn, l.pt_pfn + l.nr_pt_frames);
	assert_int_equal(l.pad_pfn, l.stack_pfn + 1);

	/* Padding of at least 512 KiB, v_end on a 4 MiB boundary, and the
	 * smallest such v_end. */
	assert_int_equal(l.v_end % (4 * MiB), 0);
	assert_true(l.v_end - pv_layout_va(&l, l.pad_pfn) >= 512 * 1024);
	assert_true(l.v_end - pv_layout_va(&l, l.pad_pfn) <
		    512 * 1024 + 4 * MiB);
	assert_int_equal(l.v_end, v_end_for(l.pad_pfn));
	assert_int_equal(l.bootstrap_pages, (l.v_end - l.virt_base) / 4096);
	assert_true(l.bootstrap_pages <= l.nr_pages);

	/* The tables map the whole region, and one frame fewer would not. */
	assert_int_equal(l.nr_pt_frames, tables_for(l.virt_base, l.v_end));
	t = l.nr_pt_frames - 1;
	assert_true(tables_for(l.virt_base, v_end_for(l.pt_pfn + t + 1)) > t);

	/* Every page's tables are bootstrap table frames; the last L1 is
	 * the last frame, and nothing outside the region is mapped. */
	for (pfn = 0; pfn < l.bootstrap_pages; pfn++) {
		va = pv_layout_va(&l, pfn);
		for (lvl = 1; lvl <= 4; lvl++) {
			t = pv_layout_pt_pfn(&l, va, (unsigned int)lvl);
			assert_true(t >= l.pt_pfn &&
				    t < l.pt_pfn + l.nr_pt_frames);
		}
	}
	assert_int_equal(pv_layout_pt_pfn(&l, l.v_end - 1, 1),
			 l.pt_pfn + l.nr_pt_frames - 1);
	assert_int_equal(pv_layout_pt_pfn(&l, l.virt_base, 4), l.pt_pfn);
	assert_int_equal(pv_layout_pt_pfn(&l, l.v_end, 1), NONE);
	assert_int_equal(pv_layout_pt_pfn(&l, l.virt_base, 0), NONE);
	assert_int_equal(pv_layout_pt_pfn(&l, l.virt_base, 5), NONE);

	/* After the region: unmapped module, then the INIT_P2M frames. */
	next = l.bootstrap_pages;
	if (mod_len && !l.mod_mapped) {
		assert_int_equal(l.mod_pfn, next);
		next += l.mod_pages;
	}
	if (!mod_len) {
		assert_int_equal(l.mod_pfn, NONE);
	}
	if (l.p2m_at_init_p2m) {
		assert_int_equal(l.first_p2m_pfn, next);
		assert_int_equal(l.p2m_pfn, next);
		assert_int_equal(l.p2m_pt_pfn, next + l.p2m_pages);
		assert_int_equal(l.nr_p2m_frames, l.p2m_pages + l.p2m_pt.l3 +
							  l.p2m_pt.l2 +
							  l.p2m_pt.l1);
		next += l.nr_p2m_frames;
	} else {
		assert_int_equal(l.first_p2m_pfn, 0);
		assert_int_equal(l.nr_p2m_frames, 0);
	}
	assert_int_equal(l.used_pages, next);
	assert_true(l.used_pages <= l.nr_pages);
}

static int layout(uint64_t nr_pages, uint64_t mod_len, bool dom0)
{
	int rc = pv_layout_compute(&l, &img, nr_pages, mod_len, dom0, &why);

	if (rc == 0) {
		assert_null(why);
		check_layout(dom0, mod_len);
	}
	return rc;
}

/* ---- table counting ------------------------------------------------------ */

static void assert_count(uint64_t start, uint64_t end, uint64_t l3, uint64_t l2,
			 uint64_t l1)
{
	struct pv_pt_count c;

	pv_layout_count_tables(start, end, &c);
	assert_int_equal(c.l3, l3);
	assert_int_equal(c.l2, l2);
	assert_int_equal(c.l1, l1);
}

static void test_count_tables(void **state)
{
	assert_count(0, 0, 0, 0, 0);
	assert_count(0x5000, 0x1000, 0, 0, 0);
	assert_count(0, 0x1000, 1, 1, 1);
	assert_count(0, 2 * MiB, 1, 1, 1);
	assert_count(0, 2 * MiB + 0x1000, 1, 1, 2);
	/* Crossing a 2 MiB boundary by one page on each side. */
	assert_count(0x1ff000, 0x201000, 1, 1, 2);
	assert_count(0, 4 * MiB, 1, 1, 2);
	assert_count(0, GiB, 1, 1, 512);
	/* Crossing 1 GiB. */
	assert_count(GiB - 2 * MiB, GiB + 4 * MiB, 1, 2, 3);
	/* Crossing 512 GiB (an L4 slot). */
	assert_count(0x7fffe00000ULL, 0x8000200000ULL, 2, 2, 2);
	assert_count(0x7fc0000000ULL, 0x8040000000ULL, 2, 2, 1024);
	/* The last 2 GiB of the space. */
	assert_count(LINUX_BASE, 0xfffffffffffff000ULL, 1, 2, 1024);
	/* Linux's INIT_P2M area: slot 1. */
	assert_count(0x8000000000ULL, 0x8000200000ULL, 1, 1, 1);
}

/* ---- worked examples ----------------------------------------------------- */

/* XTF: virt_base 0, kernel at 1 MiB, 128 MiB domU. */
static void test_xtf(void **state)
{
	image(0, 0x100000, 0x104800);
	assert_int_equal(layout(32768, 0, false), 0);
	assert_int_equal(l.kernel_pfn, 0x100);
	assert_int_equal(l.kernel_pages, 5);
	assert_false(l.mod_mapped);
	assert_int_equal(l.mod_pages, 0);
	assert_int_equal(l.p2m_pfn, 0x105);
	assert_int_equal(l.p2m_pages, 64);
	assert_int_equal(l.p2m_va, 0x105000);
	assert_int_equal(l.start_info_pfn, 0x145);
	assert_int_equal(l.xenstore_pfn, 0x146);
	assert_int_equal(l.console_pfn, 0x147);
	assert_int_equal(l.pt_pfn, 0x148);
	assert_int_equal(l.nr_pt_frames, 5);
	assert_int_equal(l.pt.l3, 1);
	assert_int_equal(l.pt.l2, 1);
	assert_int_equal(l.pt.l1, 2);
	assert_int_equal(l.stack_pfn, 0x14d);
	assert_int_equal(l.pad_pfn, 0x14e);
	assert_int_equal(l.v_end, 4 * MiB);
	assert_int_equal(l.bootstrap_pages, 1024);
	assert_int_equal(l.used_pages, 1024);
	assert_false(l.p2m_at_init_p2m);
	assert_false(l.init_p2m_ignored);
	/* Table frames: L4, L3, L2, then the L1s of [0,2M) and [2M,4M). */
	assert_int_equal(pv_layout_pt_pfn(&l, 0, 3), 0x149);
	assert_int_equal(pv_layout_pt_pfn(&l, 0x3ff000, 2), 0x14a);
	assert_int_equal(pv_layout_pt_pfn(&l, 0x1ff000, 1), 0x14b);
	assert_int_equal(pv_layout_pt_pfn(&l, 0x200000, 1), 0x14c);
}

/* The same as dom0: no XenStore or console page. */
static void test_xtf_dom0(void **state)
{
	image(0, 0x100000, 0x104800);
	assert_int_equal(layout(32768, 0, true), 0);
	assert_int_equal(l.start_info_pfn, 0x145);
	assert_int_equal(l.xenstore_pfn, NONE);
	assert_int_equal(l.console_pfn, NONE);
	assert_int_equal(l.pt_pfn, 0x146);
	assert_int_equal(l.stack_pfn, 0x14b);
}

/* A mapped module goes right after the kernel, rounded up to pages. */
static void test_xtf_module(void **state)
{
	image(0, 0x100000, 0x104800);
	assert_int_equal(layout(32768, 0x1801, false), 0);
	assert_true(l.mod_mapped);
	assert_int_equal(l.mod_pfn, 0x105);
	assert_int_equal(l.mod_pages, 2);
	assert_int_equal(l.p2m_pfn, 0x107);
	assert_int_equal(l.start_info_pfn, 0x147);
}

/*
 * Linux: kernel at virt_base + 16 MiB, 1 GiB domU, a 20 MiB initrd left
 * unmapped (MOD_START_PFN) and the P2M at INIT_P2M = 512 GiB.
 */
static void test_linux(void **state)
{
	image(LINUX_BASE, LINUX_BASE + 0x1000000, LINUX_BASE + 0x3000000 - 12);
	img.mod_start_pfn = true;
	img.has_init_p2m = true;
	img.init_p2m = 0x8000000000ULL;
	assert_int_equal(layout(262144, 20 * MiB + 1, false), 0);
	assert_int_equal(l.kernel_pfn, 0x1000);
	assert_int_equal(l.kernel_pages, 0x2000);
	assert_false(l.mod_mapped);
	assert_true(l.p2m_at_init_p2m);
	assert_false(l.init_p2m_ignored);
	assert_int_equal(l.p2m_va, 0x8000000000ULL);
	assert_int_equal(l.start_info_pfn, 0x3000);
	assert_int_equal(l.xenstore_pfn, 0x3001);
	assert_int_equal(l.console_pfn, 0x3002);
	assert_int_equal(l.pt_pfn, 0x3003);
	assert_int_equal(l.nr_pt_frames, 29);
	assert_int_equal(l.pt.l1, 26);
	assert_int_equal(l.stack_pfn, 0x3020);
	assert_int_equal(l.v_end, LINUX_BASE + 0x3400000);
	assert_int_equal(l.bootstrap_pages, 0x3400);
	/* The initrd, then the P2M list and its three tables. */
	assert_int_equal(l.mod_pfn, 0x3400);
	assert_int_equal(l.mod_pages, 0x1401);
	assert_int_equal(l.first_p2m_pfn, 0x4801);
	assert_int_equal(l.p2m_pfn, 0x4801);
	assert_int_equal(l.p2m_pages, 512);
	assert_int_equal(l.p2m_pt_pfn, 0x4a01);
	assert_int_equal(l.p2m_pt.l3, 1);
	assert_int_equal(l.p2m_pt.l2, 1);
	assert_int_equal(l.p2m_pt.l1, 1);
	assert_int_equal(l.nr_p2m_frames, 515);
	assert_int_equal(l.used_pages, 0x4a04);
	/* The P2M range hangs off the same L4 through its own tables. */
	assert_int_equal(pv_layout_pt_pfn(&l, 0x8000000000ULL, 4), 0x3003);
	assert_int_equal(pv_layout_pt_pfn(&l, 0x8000000000ULL, 3), 0x4a01);
	assert_int_equal(pv_layout_pt_pfn(&l, 0x8000100000ULL, 2), 0x4a02);
	assert_int_equal(pv_layout_pt_pfn(&l, 0x80001ff000ULL, 1), 0x4a03);
	assert_int_equal(pv_layout_pt_pfn(&l, 0x8000200000ULL, 1), NONE);
	assert_int_equal(pv_layout_pt_pfn(&l, 0x7ffffff000ULL, 1), NONE);
	/* Too few pages for the unmapped part. */
	assert_refused(layout(0x4801, 20 * MiB + 1, false), -ENOMEM,
		       "too few pages for the unmapped module and P2M");
}

/* Linux without MOD_START_PFN and INIT_P2M: all of it is mapped. */
static void test_linux_all_mapped(void **state)
{
	image(LINUX_BASE, LINUX_BASE + 0x1000000, LINUX_BASE + 0x3000000);
	assert_int_equal(layout(262144, 20 * MiB + 1, false), 0);
	assert_true(l.mod_mapped);
	assert_int_equal(l.mod_pfn, 0x3000);
	assert_int_equal(l.p2m_pfn, 0x4401);
	assert_int_equal(l.p2m_va, LINUX_BASE + 0x4401000);
	assert_int_equal(l.start_info_pfn, 0x4601);
	assert_int_equal(l.pt_pfn, 0x4604);
	assert_int_equal(l.nr_pt_frames, 39);
	assert_int_equal(l.stack_pfn, 0x462b);
	assert_int_equal(l.v_end, LINUX_BASE + 0x4800000);
	assert_int_equal(l.used_pages, 0x4800);
	assert_int_equal(l.first_p2m_pfn, 0);
}

/* Mini-OS: linked at 0, the image starts at virt_base itself. */
static void test_minios(void **state)
{
	image(0, 0, 0x5a123);
	assert_int_equal(layout(8192, 0, false), 0);
	assert_int_equal(l.kernel_pfn, 0);
	assert_int_equal(l.kernel_pages, 0x5b);
	assert_int_equal(l.p2m_pfn, 0x5b);
	assert_int_equal(l.p2m_pages, 16);
	assert_int_equal(l.v_end, 4 * MiB);
}

/* A one-page image, and a kernel of no pages at all. */
static void test_tiny(void **state)
{
	image(0, 0x1000, 0x1001);
	assert_int_equal(layout(1024, 0, false), 0);
	assert_int_equal(l.kernel_pfn, 1);
	assert_int_equal(l.kernel_pages, 1);
	assert_int_equal(l.p2m_pfn, 2);
	assert_int_equal(l.p2m_pages, 2);
	assert_int_equal(l.v_end, 4 * MiB);

	image(0x400000, 0x400000, 0x400000);
	assert_int_equal(layout(1024, 0, true), 0);
	assert_int_equal(l.kernel_pages, 0);
	assert_int_equal(l.p2m_pfn, 0);
	assert_int_equal(l.v_end, 8 * MiB);
	assert_int_equal(l.bootstrap_pages, 1024);
}

/* virt_base need not be 4 MiB aligned; v_end is, as a VA. */
static void test_unaligned_virt_base(void **state)
{
	image(0x201000, 0x300000, 0x310000);
	assert_int_equal(layout(32768, 0, false), 0);
	assert_int_equal(l.kernel_pfn, 0xff);
	assert_int_equal(l.v_end, 4 * MiB);
	assert_int_equal(l.bootstrap_pages, (4 * MiB - 0x201000) / 4096);
}

/* ---- padding, rounding, boundaries --------------------------------------- */

/*
 * dom0, 16 MiB (P2M 8 pages): the padding starts at PFN kernel + 15 while
 * the tables are 5. A 0x371-page kernel leaves exactly 512 KiB to 4 MiB;
 * one page more pushes v_end to 8 MiB and the tables to 7.
 */
static void test_padding_and_rounding(void **state)
{
	image(0, 0, 0x371000);
	assert_int_equal(layout(4096, 0, true), 0);
	assert_int_equal(l.nr_pt_frames, 5);
	assert_int_equal(l.pad_pfn, 0x380);
	assert_int_equal(l.v_end, 4 * MiB);
	assert_int_equal(l.bootstrap_pages - l.pad_pfn, 128);

	image(0, 0, 0x372000);
	assert_int_equal(layout(4096, 0, true), 0);
	assert_int_equal(l.nr_pt_frames, 7);
	assert_int_equal(l.pad_pfn, 0x383);
	assert_int_equal(l.v_end, 8 * MiB);
	assert_int_equal(l.bootstrap_pages - l.pad_pfn, 0x400 + 0x7d);
}

/* A bootstrap region crossing 1 GiB needs two L2 tables. */
static void test_cross_1g(void **state)
{
	image(GiB - 4 * MiB, GiB - 3 * MiB, GiB);
	assert_int_equal(layout(32768, 0, false), 0);
	assert_int_equal(l.kernel_pfn, 0x100);
	assert_int_equal(l.kernel_pages, 0x300);
	assert_int_equal(l.pt_pfn, 0x443);
	assert_int_equal(l.pt.l3, 1);
	assert_int_equal(l.pt.l2, 2);
	assert_int_equal(l.pt.l1, 4);
	assert_int_equal(l.nr_pt_frames, 8);
	assert_int_equal(l.v_end, GiB + 4 * MiB);
	assert_int_equal(pv_layout_pt_pfn(&l, GiB - 4 * MiB, 2), 0x445);
	assert_int_equal(pv_layout_pt_pfn(&l, GiB, 2), 0x446);
	assert_int_equal(pv_layout_pt_pfn(&l, GiB - 4 * MiB, 1), 0x447);
	assert_int_equal(pv_layout_pt_pfn(&l, GiB + 2 * MiB, 1), 0x44a);
}

/* A bootstrap region crossing 512 GiB needs two L3 tables. */
static void test_cross_512g(void **state)
{
	uint64_t base = 512 * GiB - MiB;

	image(base, base, base + MiB);
	assert_int_equal(layout(32768, 0, false), 0);
	assert_int_equal(l.pt_pfn, 0x143);
	assert_int_equal(l.pt.l3, 2);
	assert_int_equal(l.pt.l2, 2);
	assert_int_equal(l.pt.l1, 3);
	assert_int_equal(l.nr_pt_frames, 8);
	assert_int_equal(l.v_end, 512 * GiB + 4 * MiB);
	assert_int_equal(pv_layout_pt_pfn(&l, base, 3), l.pt_pfn + 1);
	assert_int_equal(pv_layout_pt_pfn(&l, 512 * GiB, 3), l.pt_pfn + 2);
}

/* A large domain whose P2M list alone needs several L1 tables. */
static void test_large_p2m(void **state)
{
	image(0, 0x100000, 0x200000);
	assert_int_equal(layout(4 * 262144, 0, false), 0); /* 4 GiB */
	assert_int_equal(l.p2m_pages, 2048);
	assert_int_equal(l.p2m_pfn, 0x200);
	assert_int_equal(l.start_info_pfn, 0xa00);
	assert_int_equal(l.v_end, 12 * MiB);
	assert_int_equal(l.nr_pt_frames, 1 + 1 + 1 + 6);
	/* A P2M page count that is not a whole page of entries. */
	assert_int_equal(layout(513, 0, false), -ENOMEM);
	assert_int_equal(layout(1025, 0, false), 0);
	assert_int_equal(l.p2m_pages, 3);
}

/* ---- INIT_P2M ------------------------------------------------------------ */

static void test_init_p2m_ignored(void **state)
{
	/* Not page aligned. */
	image(LINUX_BASE, LINUX_BASE + 0x1000000, LINUX_BASE + 0x2000000);
	img.has_init_p2m = true;
	img.init_p2m = 0x8000000800ULL;
	assert_int_equal(layout(262144, 0, false), 0);
	assert_true(l.init_p2m_ignored);
	assert_false(l.p2m_at_init_p2m);
	assert_int_equal(l.p2m_pfn, 0x2000);

	/* Above virt_base. */
	image(0, 0x100000, 0x200000);
	img.has_init_p2m = true;
	img.init_p2m = 0x8000000000ULL;
	assert_int_equal(layout(32768, 0, false), 0);
	assert_true(l.init_p2m_ignored);
	assert_int_equal(l.p2m_pfn, 0x200);

	/* Ends above virt_base. */
	image(0x40000000, 0x40100000, 0x40200000);
	img.has_init_p2m = true;
	img.init_p2m = 0x40000000 - 0x1000;
	assert_int_equal(layout(32768, 0, false), 0);
	assert_true(l.init_p2m_ignored);

	/* In the hypervisor's range. */
	image(LINUX_BASE, LINUX_BASE + 0x1000000, LINUX_BASE + 0x2000000);
	img.has_init_p2m = true;
	img.init_p2m = 0xffff800000000000ULL;
	assert_int_equal(layout(262144, 0, false), 0);
	assert_true(l.init_p2m_ignored);
}

/* The P2M list shares the L3 with the bootstrap region (same 512 GiB). */
static void test_init_p2m_shares_l3(void **state)
{
	uint64_t p2m = GiB - 2 * MiB;

	image(GiB, GiB + MiB, GiB + 2 * MiB);
	img.has_init_p2m = true;
	img.init_p2m = p2m;
	assert_int_equal(layout(65536, 0, false), 0);
	assert_true(l.p2m_at_init_p2m);
	assert_int_equal(l.p2m_pages, 128);
	assert_int_equal(l.p2m_pt.l3, 0);
	assert_int_equal(l.p2m_pt.l2, 1);
	assert_int_equal(l.p2m_pt.l1, 1);
	assert_int_equal(l.nr_p2m_frames, 130);
	assert_int_equal(pv_layout_pt_pfn(&l, p2m, 4), l.pt_pfn);
	assert_int_equal(pv_layout_pt_pfn(&l, p2m, 3), l.pt_pfn + 1);
	assert_int_equal(pv_layout_pt_pfn(&l, p2m, 2), l.p2m_pt_pfn);
	assert_int_equal(pv_layout_pt_pfn(&l, p2m + 0x7f000, 1),
			 l.p2m_pt_pfn + 1);
	assert_int_equal(pv_layout_pt_pfn(&l, p2m + 0x80000, 1), NONE);
}

/* ... and the L2 too (same 1 GiB), so it has only its own L1. */
static void test_init_p2m_shares_l2(void **state)
{
	image(GiB + 2 * MiB, GiB + 3 * MiB, GiB + 4 * MiB);
	img.has_init_p2m = true;
	img.init_p2m = GiB;
	assert_int_equal(layout(65536, 0, false), 0);
	assert_true(l.p2m_at_init_p2m);
	assert_int_equal(l.p2m_pt.l3, 0);
	assert_int_equal(l.p2m_pt.l2, 0);
	assert_int_equal(l.p2m_pt.l1, 1);
	assert_int_equal(l.nr_p2m_frames, 129);
	assert_int_equal(pv_layout_pt_pfn(&l, GiB, 2), l.pt_pfn + 2);
	assert_int_equal(pv_layout_pt_pfn(&l, GiB, 1), l.p2m_pt_pfn);
}

/* ---- refusals ------------------------------------------------------------ */

static void test_too_small(void **state)
{
	/* XTF in 4 MiB fits exactly (P2M 2 pages); one page less does not. */
	image(0, 0x100000, 0x104800);
	assert_int_equal(layout(1024, 0, false), 0);
	assert_int_equal(l.bootstrap_pages, 1024);
	assert_refused(layout(1023, 0, false), -ENOMEM,
		       "too few pages for the bootstrap region");
	assert_refused(layout(0, 0, false), -ENOMEM, "too few pages");
	/* An unmapped module that does not fit after the region. */
	img.mod_start_pfn = true;
	assert_refused(layout(1024, 1, false), -ENOMEM,
		       "too few pages for the unmapped module and P2M");
	assert_int_equal(layout(1025, 1, false), 0);
	assert_int_equal(l.mod_pfn, 1024);
	/* A huge module length does not overflow anything. */
	assert_refused(layout(1025, UINT64_MAX, false), -ENOMEM,
		       "too few pages");
	img.mod_start_pfn = false;
	assert_refused(layout(1025, UINT64_MAX, false), -ENOMEM,
		       "too few pages");
}

static void test_bad_addresses(void **state)
{
	image(0x100800, 0x200000, 0x300000);
	assert_refused(layout(32768, 0, false), -EINVAL,
		       "VIRT_BASE is not page aligned");
	image(0x200000, 0x100000, 0x300000);
	assert_refused(layout(32768, 0, false), -EINVAL,
		       "image not above VIRT_BASE");
	image(0, 0x300000, 0x200000);
	assert_refused(layout(32768, 0, false), -EINVAL,
		       "image not above VIRT_BASE");
	image(0, 0x300000, UINT64_MAX - 10);
	assert_refused(layout(32768, 0, false), -EINVAL,
		       "image reaches the top of the space");
	/* The region would run into the non-canonical hole ... */
	image(0x7fffffc00000ULL, 0x7fffffc00000ULL, 0x7ffffff80000ULL);
	assert_refused(layout(32768, 0, false), -EINVAL,
		       "not in guest-owned canonical space");
	/* ... or start inside the hypervisor's range. */
	image(0xffff87ffffc00000ULL, 0xffff87ffffc00000ULL,
	      0xffff87ffffd00000ULL);
	assert_refused(layout(32768, 0, false), -EINVAL,
		       "not in guest-owned canonical space");
	image(0xffff880000000000ULL, 0xffff880000000000ULL,
	      0xffff880000100000ULL);
	assert_int_equal(layout(32768, 0, false), 0);
	/* A P2M list too big for the last 2 GiB wraps past 2^64. */
	image(LINUX_BASE, LINUX_BASE + 0x1000000, LINUX_BASE + 0x2000000);
	assert_refused(layout(1ULL << 30, 0, false), -EINVAL,
		       "wraps around the top of the address space");
	/* With INIT_P2M the same domain fits the address space. */
	img.has_init_p2m = true;
	img.init_p2m = 0x8000000000ULL;
	assert_int_equal(layout(1ULL << 30, 0, false), 0);
	assert_int_equal(l.p2m_pages, 1ULL << 21);
	assert_int_equal(l.p2m_pt.l1, 1ULL << 21 >> 9);
	assert_int_equal(l.p2m_pt.l2, 8);
	/* Absurd page counts are refused, not wrapped. */
	image(0, 0x100000, 0x200000);
	assert_refused(layout(UINT64_MAX, 0, false), -EINVAL,
		       "wraps around the top of the address space");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_count_tables, setup),
		cmocka_unit_test_setup(test_xtf, setup),
		cmocka_unit_test_setup(test_xtf_dom0, setup),
		cmocka_unit_test_setup(test_xtf_module, setup),
		cmocka_unit_test_setup(test_linux, setup),
		cmocka_unit_test_setup(test_linux_all_mapped, setup),
		cmocka_unit_test_setup(test_minios, setup),
		cmocka_unit_test_setup(test_tiny, setup),
		cmocka_unit_test_setup(test_unaligned_virt_base, setup),
		cmocka_unit_test_setup(test_padding_and_rounding, setup),
		cmocka_unit_test_setup(test_cross_1g, setup),
		cmocka_unit_test_setup(test_cross_512g, setup),
		cmocka_unit_test_setup(test_large_p2m, setup),
		cmocka_unit_test_setup(test_init_p2m_ignored, setup),
		cmocka_unit_test_setup(test_init_p2m_shares_l3, setup),
		cmocka_unit_test_setup(test_init_p2m_shares_l2, setup),
		cmocka_unit_test_setup(test_too_small, setup),
		cmocka_unit_test_setup(test_bad_addresses, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
