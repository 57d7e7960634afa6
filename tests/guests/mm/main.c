/* SPDX-License-Identifier: MIT */
/*
 * Frames and page tables from the guest's side (pv-abi §3.8-3.10,
 * §6.1-6.3, §8.5, §9): P2M and M2P agree, the bootstrap mappings are what
 * §3.8 says, update_va_mapping and mmu_update remap a page, an unmapped
 * page faults, a page table cannot be mapped writable, and pinning follows
 * the type rules. Then Xeno's xeno_mm_op diagnostics for the same frames.
 *
 * Every remapping uses pages of this guest's own .bss, so the bootstrap
 * region (P2M, start_info, page tables) is never touched, and each test
 * puts back what it changed.
 */
#include <libpv.h>

static uint8_t data_page[4096] __attribute__((aligned(4096)));
static uint8_t alias_slot[4096] __attribute__((aligned(4096)));
static uint8_t table_page[4096] __attribute__((aligned(4096)));

#define VA(p) ((uint64_t)(p))

static uint64_t alias_mfn; /* the frame the builder put behind alias_slot */

static uint64_t pte_mfn(uint64_t pte)
{
	return (pte & PV_PTE_ADDR) >> PV_PAGE_SHIFT;
}

static uint8_t peek(const uint8_t *p)
{
	return PV_READ_ONCE(*p);
}

/* Maps alias_slot back to its own frame; reports a failure. */
static void restore_alias(void)
{
	PV_CHECK_OK(pv_map_page(VA(alias_slot), alias_mfn, PV_PTE_DATA));
}

static void test_p2m_m2p(void)
{
	uint64_t bad = 0;

	pv_test_begin("mm.p2m_m2p");
	for (uint64_t pfn = 0; pfn < start_info->nr_pages; pfn++) {
		uint64_t mfn = pv_pfn_to_mfn(pfn);

		/* m2p(p2m(pfn)) == pfn for all pfns also makes p2m 1:1. */
		if (mfn == PV_INVALID_FRAME || pv_mfn_to_pfn(mfn) != pfn) {
			if (bad++ == 0) {
				PV_CHECK(false,
					 "pfn 0x%lx -> mfn 0x%lx -> pfn 0x%lx",
					 (unsigned long)pfn, (unsigned long)mfn,
					 (unsigned long)pv_mfn_to_pfn(mfn));
			}
		}
	}
	PV_CHECK_EQ(bad, 0);
	/* The start_info page is in the 1:1 window (§3.8). */
	PV_CHECK_EQ(pv_mfn_to_pfn(pv_va_to_mfn(start_info)),
		    pv_va_to_pfn(start_info));
	pv_test_end();
}

static void test_bootstrap_ptes(void)
{
	uint64_t pte;

	pv_test_begin("mm.bootstrap_ptes");
	pte = pv_lookup_pte(VA(data_page));
	PV_CHECK(pte & PV_PTE_P, "data page not present: %lx",
		 (unsigned long)pte);
	PV_CHECK(pte & PV_PTE_RW, "data page not writable: %lx",
		 (unsigned long)pte);
	PV_CHECK_EQ(pte_mfn(pte), pv_va_to_mfn(data_page));
	/* Page-table frames are mapped read-only (§3.8 rule 4). */
	pte = pv_lookup_pte(start_info->pt_base);
	PV_CHECK(pte & PV_PTE_P, "L4 not mapped: %lx", (unsigned long)pte);
	PV_CHECK(!(pte & PV_PTE_RW), "L4 mapped writable: %lx",
		 (unsigned long)pte);
	PV_CHECK_EQ(pte_mfn(pte), pv_current_l4_mfn());
	/* Nothing is mapped in the lower half at boot. */
	PV_CHECK_EQ(pv_lookup_pte(0x1000), 0);
	pv_test_end();
}

static void test_update_va_mapping(void)
{
	uint64_t data_mfn = pv_va_to_mfn(data_page);

	pv_test_begin("mm.update_va_mapping");
	data_page[100] = 0x11;
	if (PV_CHECK_OK(pv_map_page(VA(alias_slot), data_mfn, PV_PTE_DATA))) {
		PV_CHECK_EQ(peek(&alias_slot[100]), 0x11);
		PV_WRITE_ONCE(alias_slot[200], 0x5a);
		PV_CHECK_EQ(peek(&data_page[200]), 0x5a);
		PV_CHECK_EQ(pte_mfn(pv_lookup_pte(VA(alias_slot))), data_mfn);
		restore_alias();
		/* The slot's own frame is back, untouched (zeroed .bss). */
		PV_CHECK_EQ(peek(&alias_slot[200]), 0);
	}
	pv_test_end();
}

/* ---- a read through an unmapped page faults --------------------------- */

static uint64_t fault_rip, resume_rip;
static volatile unsigned int pf_count;
static volatile uint64_t pf_error, pf_cr2;

PV_HANDLER static void on_pf(struct pv_regs *regs)
{
	if (regs->rip != fault_rip) {
		pv_trap_default(regs);
	}
	pf_count++;
	pf_error = regs->error_code;
	pf_cr2 = pv_read_cr2();
	regs->rip = resume_rip;
}

static void read_faulting(const void *p)
{
	asm volatile("lea 1f(%%rip), %%rax\n\t"
		     "mov %%rax, %0\n\t"
		     "lea 2f(%%rip), %%rax\n\t"
		     "mov %%rax, %1\n\t"
		     "1: movb (%2), %%al\n\t"
		     "2:\n\t"
		     : "=m"(fault_rip), "=m"(resume_rip)
		     : "r"(p)
		     : "rax", "memory");
}

static void test_unmap(void)
{
	pv_trap_handler_t old;
	unsigned int before = pf_count;

	pv_test_begin("mm.unmap_faults");
	if (PV_CHECK_OK(pv_unmap(VA(alias_slot)))) {
		PV_CHECK_EQ(pv_lookup_pte(VA(alias_slot)) & PV_PTE_P, 0);
		old = pv_trap_set_handler(PV_TRAP_PF, on_pf);
		read_faulting(&alias_slot[8]);
		pv_trap_set_handler(PV_TRAP_PF, old);
		PV_CHECK_EQ(pf_count, before + 1);
		PV_CHECK_EQ(pf_error & 0x1f, 0); /* read, not present, kernel */
		PV_CHECK_EQ(pf_cr2, VA(&alias_slot[8]));
		restore_alias();
	}
	pv_test_end();
}

static void test_mmu_update(void)
{
	uint64_t data_mfn = pv_va_to_mfn(data_page);
	uint64_t ma = pv_l1e_maddr(VA(alias_slot));
	unsigned int done = 99;

	pv_test_begin("mm.mmu_update");
	if (!PV_CHECK_NE(ma, 0)) {
		pv_test_end();
		return;
	}
	data_page[300] = 0x77;
	PV_CHECK_OK(pv_mmu_queue(ma | MMU_NORMAL_PT_UPDATE,
				 (data_mfn << PV_PAGE_SHIFT) | PV_PTE_DATA));
	if (PV_CHECK_OK(pv_mmu_flush(&done))) {
		PV_CHECK_EQ(done, 1);
		/* An L1 change is the guest's to flush (§6.1). */
		PV_CHECK_OK(pv_invlpg_local(VA(alias_slot)));
		PV_CHECK_EQ(peek(&alias_slot[300]), 0x77);
	}
	PV_CHECK_OK(pv_mmu_queue(ma | MMU_NORMAL_PT_UPDATE,
				 (alias_mfn << PV_PAGE_SHIFT) | PV_PTE_DATA));
	PV_CHECK_OK(pv_mmu_flush(&done));
	PV_CHECK_OK(pv_tlb_flush_local());
	PV_CHECK_EQ(peek(&alias_slot[300]), 0);
	pv_test_end();
}

/* ---- page tables are never writable ---------------------------------- */

static void test_page_table_mapping(void)
{
	uint64_t l4 = pv_current_l4_mfn();
	struct xeno_mm_refusal why = { 0 };
	long rc;

	pv_test_begin("mm.page_table_mapping");
	rc = pv_map_page(VA(alias_slot), l4, PV_PTE_DATA);
	if (!PV_CHECK(rc < 0, "writable mapping of the L4 accepted")) {
		restore_alias(); /* never keep a writable L4 */
	} else {
		/* A refused update changes nothing. */
		PV_CHECK_EQ(pte_mfn(pv_lookup_pte(VA(alias_slot))), alias_mfn);
	}
	if (rc < 0 &&
	    PV_CHECK_OK(HYPERVISOR_xeno_mm_op(XENO_MM_last_refusal, &why))) {
		PV_CHECK_NE(why.seq, 0);
		PV_CHECK_EQ(why.hypercall, __HYPERVISOR_update_va_mapping);
		PV_CHECK_EQ(why.error, rc);
		PV_CHECK_EQ(why.mfn, l4);
	}
	/* Read-only is fine, and shows the L4's contents. */
	if (PV_CHECK_OK(pv_map_page(VA(alias_slot), l4, PV_PTE_P | PV_PTE_A))) {
		PV_CHECK_EQ(memcmp(alias_slot,
				   (const void *)start_info->pt_base,
				   PV_PAGE_SIZE),
			    0);
	}
	restore_alias();
	pv_test_end();
}

/* ---- pinning ----------------------------------------------------------- */

static uint8_t frame_type(uint64_t mfn, uint8_t *flags)
{
	struct xeno_mm_frame_info fi = { .mfn = mfn };

	if (HYPERVISOR_xeno_mm_op(XENO_MM_frame_info, &fi) != 0) {
		*flags = 0;
		return 0xff;
	}
	*flags = fi.flags;
	return fi.type;
}

static void test_pin(void)
{
	uint64_t mfn = pv_va_to_mfn(table_page);
	uint8_t flags;

	pv_test_begin("mm.pin_l1");
	/* Mapped writable: it cannot become a page table. */
	PV_CHECK(pv_pin_table(1, mfn) < 0, "pinned a writable frame");
	if (!PV_CHECK_OK(
		    pv_map_page(VA(table_page), mfn, PV_PTE_P | PV_PTE_A))) {
		pv_test_end();
		return;
	}
	if (PV_CHECK_OK(pv_pin_table(1, mfn))) {
		PV_CHECK_EQ(frame_type(mfn, &flags), XENO_FRAME_L1);
		PV_CHECK(flags & XENO_FRAME_PINNED, "flags 0x%x", flags);
		PV_CHECK(pv_pin_table(1, mfn) < 0, "pinned twice");
		PV_CHECK(pv_map_page(VA(alias_slot), mfn, PV_PTE_DATA) < 0,
			 "pinned L1 mapped writable");
		PV_CHECK_OK(pv_unpin_table(mfn));
		PV_CHECK(pv_unpin_table(mfn) < 0, "unpinned twice");
	}
	restore_alias();
	PV_CHECK_OK(pv_map_page(VA(table_page), mfn, PV_PTE_DATA));
	PV_WRITE_ONCE(table_page[0], 1);
	PV_CHECK_EQ(peek(&table_page[0]), 1);
	PV_CHECK_EQ(frame_type(mfn, &flags), XENO_FRAME_WRITABLE);
	pv_test_end();
}

static void test_frame_info(void)
{
	struct xeno_mm_frame_info fi = { .mfn = pv_va_to_mfn(data_page) };

	pv_test_begin("mm.xeno_frame_info");
	if (PV_CHECK_OK(HYPERVISOR_xeno_mm_op(XENO_MM_frame_info, &fi))) {
		PV_CHECK_EQ(fi.m2p, pv_va_to_pfn(data_page));
		PV_CHECK_EQ(fi.type, XENO_FRAME_WRITABLE);
		PV_CHECK_GE(fi.type_count, 1); /* our own mapping */
	}
	fi = (struct xeno_mm_frame_info){ .mfn = pv_current_l4_mfn() };
	if (PV_CHECK_OK(HYPERVISOR_xeno_mm_op(XENO_MM_frame_info, &fi))) {
		PV_CHECK_EQ(fi.type, XENO_FRAME_L4);
		/* The builder pins the bootstrap L4 (§3.9). */
		PV_CHECK(fi.flags & XENO_FRAME_PINNED, "L4 flags 0x%x",
			 fi.flags);
	}
	pv_test_end();
}

int main(void)
{
	alias_mfn = pv_va_to_mfn(alias_slot);
	test_p2m_m2p();
	test_bootstrap_ptes();
	test_update_va_mapping();
	test_unmap();
	test_mmu_update();
	test_page_table_mapping();
	test_pin();
	test_frame_info();
	return 0;
}
