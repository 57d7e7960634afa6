/* SPDX-License-Identifier: MIT */
/*
 * What every guest address space gets from the hypervisor on x86
 * (pv-abi §8.3, §8.5, §9.8): the machine-to-phys table, mapped read-only
 * and user-readable at MACH2PHYS_VIRT_START (L4 slot 256), and the
 * hypervisor's own L4 slots 257-271 (the direct map holding Xeno's code,
 * data and stacks), both handed to mm/pte.c as the L4 template every
 * validated guest L4 receives.
 */
#include <asm/cpu.h>
#include <asm/mm.h>
#include <asm/pv.h>
#include <public/xen.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/m2p.h>
#include <xeno/pte.h>
#include <xeno/superpage.h>

/* A zeroed frame for a hypervisor page table, or a boot failure. */
static uint64_t *table_alloc(void)
{
	struct page_info *pg = frame_alloc(0, FA_ZERO);

	if (pg == NULL) {
		printk(LOG_ERR, "boot: no memory for the M2P mapping\n");
		arch_halt(XENO_EXIT_NO_MEMORY);
	}
	return arch_mfn_to_virt(page_to_mfn(pg));
}

static uint64_t table_entry(uint64_t *next, uint64_t flags)
{
	return (virt_to_phys(next) & PTE_ADDR) | flags;
}

/*
 * Maps the M2P table's frames read-only and user-readable from
 * MACH2PHYS_VIRT_START with 4 KiB pages; returns the L3.
 */
static uint64_t *map_m2p(uint64_t nx)
{
	uint64_t *l3 = table_alloc(), *l2 = NULL, *l1 = NULL;
	uint64_t i, n = m2p_nr_table_frames();
	const uint64_t upper = PTE_P | PTE_US | PTE_A;

	for (i = 0; i < n; i++) {
		uint64_t va = MACH2PHYS_VIRT_START + (i << PAGE_SHIFT);
		unsigned int i3 = (va >> 30) & 511, i2 = (va >> 21) & 511;

		if ((i & 511) == 0) {
			if ((i & (512 * 512 - 1)) == 0) {
				l2 = table_alloc();
				l3[i3] = table_entry(l2, upper);
			}
			l1 = table_alloc();
			l2[i2] = table_entry(l1, upper);
		}
		l1[i & 511] = pte_make(m2p_table_frame(i),
				       PTE_P | PTE_US | PTE_A | nx);
	}
	return l3;
}

void pv_mm_init(void)
{
	uint64_t slots[L4_HYP_SLOTS];
	uint64_t nx = cpu_has.nx ? PTE_NX : 0;
	unsigned int i;

	if (m2p_init(frame_table_nr) != 0) {
		printk(LOG_ERR, "boot: no memory for the M2P table\n");
		arch_halt(XENO_EXIT_NO_MEMORY);
	}
	for (i = 0; i < L4_HYP_SLOTS; i++) {
		slots[i] = idle_pml4[L4_HYP_FIRST + i];
	}
	slots[0] = table_entry(map_m2p(nx), PTE_P | PTE_US | PTE_A);
	pte_configure(cpu_has.nx, true);
	/* Long mode always has 2 MiB pages; 1 GiB pages need the CPU's. */
	superpage_configure(true, cpu_has.page1g);
	pte_set_l4_template(slots);
	printk(LOG_INFO, "mm: M2P for %lu frames in %lu frames at %#llx\n",
	       m2p_nr_entries(), m2p_nr_table_frames(), MACH2PHYS_VIRT_START);
}
