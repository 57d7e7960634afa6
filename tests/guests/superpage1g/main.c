/* SPDX-License-Identifier: MIT */
/*
 * A 1 GiB superpage of the guest's own memory (docs/mm.md §13). The
 * domain builder gives every aligned GiB of pseudo-physical memory above
 * the bootstrap region one aligned GiB of machine memory when the
 * allocator has one, so a guest of 2 GiB gets PFNs 0x40000..0x7ffff as
 * one block, holding no page table, which one L3 entry with PS maps.
 *
 *   superpage1g.contiguous   the P2M says PFN GiB 1 is one aligned block
 *   superpage1g.map          mapped writable at SP_VA (the empty last L3
 *                            slot of the kernel's L3) and read-only over
 *                            a 4 KiB mapping: what one writes, the other
 *                            reads, at both ends and in between; stored
 *                            adjusted like a leaf
 *   superpage1g.no_tables    no frame of it can become a page table
 *                            while mapped (UNDER_SUPERPAGE); unmapped it
 *                            can, and then no 1 GiB superpage maps it
 *                            (SUPERPAGE_HAS_TABLES); a 1 GiB entry not
 *                            1 GiB aligned is refused (SUPERPAGE_ALIGN)
 *
 * Then the benchmark XENO-BENCH pv_superpage_1g_map_unmap (one map and
 * unmap, two mmu_update calls, median of 5 rounds). Run with mem=2048M
 * and a machine of 3 GiB or more.
 */
#include <libpv.h>
#include <libpv/bench.h>

#define GIG_FRAMES (1ULL << 18)
#define SP_VA	   0xffffffffc0000000ULL /* L4 slot 511, L3 slot 511 */
#define SP_FLAGS   (PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D | PV_PTE_PS)
#define E_INVAL	   22
#define BENCH_OPS  200

static uint8_t probe[4096] __attribute__((aligned(4096)));
static uint64_t first_mfn;
static const uint64_t first_pfn = GIG_FRAMES;

/* The L3 entry for va, and one mmu_update of it (libpv's walk). */
static uint64_t l3e_read(uint64_t va)
{
	return pv_entry_read(pv_entry_maddr(va, 3));
}

static long set_l3e(uint64_t va, uint64_t val)
{
	return pv_entry_update(pv_entry_maddr(va, 3), val);
}

static bool find_region(void)
{
	uint64_t i;

	if (start_info->nr_pages < 2 * GIG_FRAMES) {
		return false;
	}
	first_mfn = pv_pfn_to_mfn(first_pfn);
	if (first_mfn & (GIG_FRAMES - 1)) {
		return false;
	}
	for (i = 1; i < GIG_FRAMES; i++) {
		if (pv_pfn_to_mfn(first_pfn + i) != first_mfn + i) {
			return false;
		}
	}
	return true;
}

static void test_contiguous(void)
{
	pv_test_begin("superpage1g.contiguous");
	PV_CHECK(find_region(), "pfn 0x%lx..: mfn 0x%lx, not one aligned GiB",
		 (unsigned long)first_pfn, (unsigned long)first_mfn);
	pv_test_end();
}

static void test_map(void)
{
	volatile uint8_t *rw = (volatile uint8_t *)SP_VA;
	static const uint64_t at[] = { 0, 4095, 1ULL << 21, 0x12345678,
				       (GIG_FRAMES << 12) - 1 };
	uint64_t stored, last_mfn;
	unsigned int i;

	pv_test_begin("superpage1g.map");
	PV_CHECK_EQ(l3e_read(SP_VA) & PV_PTE_P, 0);
	PV_CHECK_OK(set_l3e(SP_VA, (first_mfn << 12) | SP_FLAGS));
	stored = l3e_read(SP_VA);
	PV_CHECK(stored == ((first_mfn << 12) | SP_FLAGS | PV_PTE_US |
			    (1ULL << 52)),
		 "stored 0x%lx", (unsigned long)stored);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		rw[at[i]] = (uint8_t)(0x3c + i);
	}
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		PV_CHECK_EQ(rw[at[i]], (uint8_t)(0x3c + i));
	}
	/* The last byte through a 4 KiB mapping of the last frame. */
	last_mfn = first_mfn + GIG_FRAMES - 1;
	PV_CHECK_OK(
		pv_map_page((uint64_t)probe, last_mfn, PV_PTE_P | PV_PTE_A));
	PV_CHECK_EQ(PV_READ_ONCE(probe[4095]), 0x3c + 4);
	PV_CHECK_OK(pv_map_page((uint64_t)probe,
				pv_pfn_to_mfn(pv_va_to_pfn(probe)),
				PV_PTE_DATA));
	pv_test_end();
}

static void test_no_tables(void)
{
	uint8_t *rw = (uint8_t *)SP_VA;
	uint64_t t = first_mfn + 77777;

	pv_test_begin("superpage1g.no_tables");
	memset(rw + 77777 * 4096, 0, 4096);
	PV_CHECK_EQ(pv_pin_table(1, t), -E_INVAL);
	PV_CHECK_EQ(pv_last_refusal_reason(), XENO_WHY_UNDER_SUPERPAGE);
	PV_CHECK_OK(set_l3e(SP_VA, 0));
	PV_CHECK_OK(pv_pin_table(1, t));
	PV_CHECK_EQ(set_l3e(SP_VA, (first_mfn << 12) | SP_FLAGS), -E_INVAL);
	PV_CHECK_EQ(pv_last_refusal_reason(), XENO_WHY_SUPERPAGE_HAS_TABLES);
	PV_CHECK_OK(pv_unpin_table(t));
	/* 2 MiB aligned is not enough for 1 GiB. */
	PV_CHECK_EQ(set_l3e(SP_VA, ((first_mfn + 512) << 12) | SP_FLAGS),
		    -E_INVAL);
	PV_CHECK_EQ(pv_last_refusal_reason(), XENO_WHY_SUPERPAGE_ALIGN);
	pv_test_end();
}

static void bench_map_unmap(void)
{
	uint64_t rounds[5], ps;
	unsigned int r, i;

	for (r = 0; r < 5; r++) {
		uint64_t t0 = pv_now_ns();

		for (i = 0; i < BENCH_OPS; i++) {
			set_l3e(SP_VA, (first_mfn << 12) | SP_FLAGS);
			set_l3e(SP_VA, 0);
		}
		rounds[r] = (pv_now_ns() - t0) * 1000 / BENCH_OPS;
	}
	ps = pv_bench_median(rounds, 5);
	printf("XENO-BENCH pv_superpage_1g_map_unmap ns_per_op=%lu.%03lu "
	       "hypercalls_per_op=2 items_per_op=262144 ops=%u\n",
	       (unsigned long)(ps / 1000), (unsigned long)(ps % 1000),
	       BENCH_OPS);
}

int main(void)
{
	test_contiguous();
	if (find_region()) {
		test_map();
		test_no_tables();
		bench_map_unmap();
	}
	return 0;
}
