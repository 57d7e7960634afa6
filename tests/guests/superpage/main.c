/* SPDX-License-Identifier: MIT */
/*
 * A 2 MiB superpage of the guest's own memory (docs/mm.md §13): the
 * domain builder gives every aligned 2 MiB of pseudo-physical memory one
 * aligned 2 MiB block of machine memory, so the last 2 MiB of our memory
 * (outside the bootstrap region, holding no page table) can be mapped
 * with one L2 entry. The guest maps it writable and read-only at two
 * addresses, writes through one and reads through the other and through
 * a 4 KiB mapping, checks that none of its frames can become a page table
 * while it is mapped, and unmaps it. Then a benchmark: one 2 MiB map and
 * unmap (XENO-BENCH pv_superpage_map_unmap, bench/pv-benches.txt).
 */
#include <libpv.h>
#include <libpv/bench.h>

#define SP_FRAMES 512ULL
#define SP_SIZE	  (SP_FRAMES << PV_PAGE_SHIFT)
/* Empty L2 slots of the bootstrap L2 (it maps the first few MiB). */
#define SP_SLOT_RW 256
#define SP_SLOT_RO 257
#define SP_BASE	   0xffffffff80000000ULL
#define SP_VA(s)   (SP_BASE + ((uint64_t)(s) << 21))
#define SP_FLAGS   (PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D | PV_PTE_PS)
#define E_INVAL	   22
#define BENCH_OPS  500

static uint8_t probe[4096] __attribute__((aligned(4096)));
static uint64_t first_mfn, first_pfn;

/* The L2 entry for va, and one mmu_update of it (libpv's walk). */
static uint64_t l2e_read(uint64_t va)
{
	return pv_entry_read(pv_entry_maddr(va, 2));
}

static long set_l2e(uint64_t va, uint64_t val)
{
	return pv_entry_update(pv_entry_maddr(va, 2), val);
}

/* The last whole 2 MiB of our memory: contiguous and aligned? */
static bool find_region(void)
{
	uint64_t i;

	first_pfn = (start_info->nr_pages & ~(SP_FRAMES - 1)) - SP_FRAMES;
	first_mfn = pv_pfn_to_mfn(first_pfn);
	if (first_mfn & (SP_FRAMES - 1)) {
		return false;
	}
	for (i = 1; i < SP_FRAMES; i++) {
		if (pv_pfn_to_mfn(first_pfn + i) != first_mfn + i) {
			return false;
		}
	}
	return true;
}

static void test_map(void)
{
	volatile uint8_t *rw = (volatile uint8_t *)SP_VA(SP_SLOT_RW);
	volatile uint8_t *ro = (volatile uint8_t *)SP_VA(SP_SLOT_RO);
	uint64_t stored;
	unsigned int i;

	pv_test_begin("superpage.map_read_write_unmap");
	PV_CHECK(find_region(), "pfn 0x%lx.. not one aligned 2 MiB block",
		 (unsigned long)first_pfn);
	PV_CHECK_EQ(l2e_read(SP_VA(SP_SLOT_RW)) & PV_PTE_P, 0);
	PV_CHECK_OK(set_l2e(SP_VA(SP_SLOT_RW), (first_mfn << 12) | SP_FLAGS));
	PV_CHECK_OK(set_l2e(SP_VA(SP_SLOT_RO),
			    (first_mfn << 12) | (SP_FLAGS & ~PV_PTE_RW)));
	/*
	 * Stored adjusted like an L1 entry (pv-abi §9.6): a kernel-only
	 * one gets US and the kernel marker (bit 52), a user one G.
	 */
	stored = l2e_read(SP_VA(SP_SLOT_RW));
	PV_CHECK(stored == ((first_mfn << 12) | SP_FLAGS | PV_PTE_US |
			    (1ULL << 52)),
		 "stored 0x%lx", (unsigned long)stored);
	PV_CHECK_OK(
		set_l2e(SP_VA(SP_SLOT_RO), (first_mfn << 12) | PV_PTE_US |
						   (SP_FLAGS & ~PV_PTE_RW)));
	stored = l2e_read(SP_VA(SP_SLOT_RO));
	PV_CHECK(stored == ((first_mfn << 12) | (SP_FLAGS & ~PV_PTE_RW) |
			    PV_PTE_US | PV_PTE_G),
		 "stored 0x%lx", (unsigned long)stored);
	for (i = 0; i < SP_FRAMES; i += 73) {
		rw[i * 4096 + (i & 4095)] = (uint8_t)(i ^ 0x5a);
	}
	rw[SP_SIZE - 1] = 0xa7;
	for (i = 0; i < SP_FRAMES; i += 73) {
		PV_CHECK_EQ(ro[i * 4096 + (i & 4095)], (uint8_t)(i ^ 0x5a));
	}
	PV_CHECK_EQ(ro[SP_SIZE - 1], 0xa7);
	/* The same byte through a 4 KiB mapping of the last frame. */
	PV_CHECK_OK(pv_map_page((uint64_t)probe, first_mfn + SP_FRAMES - 1,
				PV_PTE_P | PV_PTE_A));
	PV_CHECK_EQ(PV_READ_ONCE(probe[4095]), 0xa7);
	PV_CHECK_OK(pv_map_page((uint64_t)probe,
				pv_pfn_to_mfn(pv_va_to_pfn(probe)),
				PV_PTE_DATA));
	pv_test_end();
}

static void test_no_table_under_it(void)
{
	uint8_t *rw = (uint8_t *)SP_VA(SP_SLOT_RW);

	pv_test_begin("superpage.no_page_table_under_it");
	memset(rw + 9 * 4096, 0, 4096);
	PV_CHECK_EQ(pv_pin_table(1, first_mfn + 9), -E_INVAL);
	PV_CHECK_EQ(pv_last_refusal_reason(), XENO_WHY_UNDER_SUPERPAGE);
	/* Unmapped, the same frame may become a table. */
	PV_CHECK_OK(set_l2e(SP_VA(SP_SLOT_RW), 0));
	PV_CHECK_OK(set_l2e(SP_VA(SP_SLOT_RO), 0));
	PV_CHECK_OK(pv_pin_table(1, first_mfn + 9));
	/* ... and then no superpage can map it. */
	PV_CHECK_EQ(set_l2e(SP_VA(SP_SLOT_RW), (first_mfn << 12) | SP_FLAGS),
		    -E_INVAL);
	PV_CHECK_EQ(pv_last_refusal_reason(), XENO_WHY_SUPERPAGE_HAS_TABLES);
	PV_CHECK_OK(pv_unpin_table(first_mfn + 9));
	pv_test_end();
}

/* One 2 MiB map and unmap (two mmu_update calls), median of 5 rounds. */
static void bench_map_unmap(void)
{
	uint64_t rounds[5], ps;
	unsigned int r, i;

	for (r = 0; r < 5; r++) {
		uint64_t t0 = pv_now_ns();

		for (i = 0; i < BENCH_OPS; i++) {
			set_l2e(SP_VA(SP_SLOT_RW),
				(first_mfn << 12) | SP_FLAGS);
			set_l2e(SP_VA(SP_SLOT_RW), 0);
		}
		rounds[r] = (pv_now_ns() - t0) * 1000 / BENCH_OPS;
	}
	ps = pv_bench_median(rounds, 5);
	printf("XENO-BENCH pv_superpage_map_unmap ns_per_op=%lu.%03lu "
	       "hypercalls_per_op=2 items_per_op=512 ops=%u\n",
	       (unsigned long)(ps / 1000), (unsigned long)(ps % 1000),
	       BENCH_OPS);
}

int main(void)
{
	test_map();
	test_no_table_under_it();
	if (find_region()) {
		bench_map_unmap();
	}
	return 0;
}
