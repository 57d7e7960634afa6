/* SPDX-License-Identifier: MIT */
/*
 * Writable page-table and demand-fault benchmarks, measured from inside a
 * guest (make bench; docs/testing.md). Each operation runs BENCH_OPS
 * times, BENCH_REPEATS rounds; the median round is printed as a
 * XENO-BENCH line with ns per operation and the events each operation
 * causes by construction (traps into Xeno, hypercalls, TLB flushes):
 *
 *   pv_native_store          a plain 8-byte store to a writable page
 *   pv_ptwr_store            the same value stored into the slot's L1
 *                            entry with a plain MOV, emulated (no
 *                            reference moves)
 *   pv_mmu_update_b1         the same update with mmu_update, batch 1
 *   pv_ptwr_store_remap      the entry alternates between two frames
 *                            (references move each time), emulated
 *   pv_mmu_update_b1_remap   the same with mmu_update
 *   pv_pf_roundtrip_uvm      load from an unmapped page -> #PF bounced to
 *                            the handler, which maps it with
 *                            update_va_mapping, native IRETQ back, the
 *                            load again; then the page is unmapped again
 *                            (update_va_mapping with UVMF_INVLPG)
 *   pv_pf_roundtrip_ptwr     the same, the handler mapping with an
 *                            emulated store; unmapped by an emulated
 *                            store and MMUEXT_INVLPG_LOCAL
 *
 * Compare pv_pf_roundtrip_* with native_pf_roundtrip (bench=pf, the
 * hypervisor's own ring-0 fault in the same QEMU).
 */
#include <libpv.h>
#include <libpv/bench.h>

#define BENCH_OPS     2000
#define BENCH_REPEATS 5

static uint8_t slot[4096] __attribute__((aligned(4096)));
static uint8_t other[4096] __attribute__((aligned(4096)));
static uint8_t fault_page[4096] __attribute__((aligned(4096)));
static uint8_t data[4096] __attribute__((aligned(4096)));

static uint64_t *slot_pte, *fault_pte;
static uint64_t slot_val, other_val, fault_val;
static struct mmu_update req;
static unsigned int flip;

/* Median picoseconds per call of fn over the rounds. */
static uint64_t measure_ps(void (*fn)(void))
{
	return pv_bench_ps(fn, BENCH_OPS, BENCH_REPEATS);
}

static void report(const char *name, void (*fn)(void), unsigned int traps,
		   unsigned int hcalls, unsigned int flushes)
{
	uint64_t ps = measure_ps(fn);

	printf("XENO-BENCH %s ns_per_op=%lu.%03lu traps_per_op=%u "
	       "hypercalls_per_op=%u flushes_per_op=%u ops=%u\n",
	       name, (unsigned long)(ps / 1000), (unsigned long)(ps % 1000),
	       traps, hcalls, flushes, BENCH_OPS);
}

static void op_native_store(void)
{
	*(volatile uint64_t *)data = slot_val;
}

static void op_ptwr_store(void)
{
	pv_pte_store(slot_pte, slot_val);
}

static void op_mmu_b1(void)
{
	req.val = slot_val;
	HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF);
}

static void op_ptwr_remap(void)
{
	pv_pte_store(slot_pte, (flip ^= 1) ? other_val : slot_val);
}

static void op_mmu_b1_remap(void)
{
	req.val = (flip ^= 1) ? other_val : slot_val;
	HYPERVISOR_mmu_update(&req, 1, NULL, DOMID_SELF);
}

/* The demand-fault handlers: map fault_page, then retry the load. */
PV_HANDLER static void on_pf_uvm(struct pv_regs *regs)
{
	(void)regs;
	HYPERVISOR_update_va_mapping((uint64_t)fault_page, fault_val,
				     UVMF_NONE);
}

PV_HANDLER static void on_pf_ptwr(struct pv_regs *regs)
{
	(void)regs;
	pv_pte_store(fault_pte, fault_val);
}

static void op_pf_uvm(void)
{
	(void)*(volatile uint8_t *)fault_page;
	HYPERVISOR_update_va_mapping((uint64_t)fault_page, 0, UVMF_INVLPG);
}

static void op_pf_ptwr(void)
{
	(void)*(volatile uint8_t *)fault_page;
	pv_pte_store(fault_pte, 0);
	pv_invlpg_local((uint64_t)fault_page);
}

int main(void)
{
	slot_pte = pv_l1e_ptr((uint64_t)slot);
	fault_pte = pv_l1e_ptr((uint64_t)fault_page);
	if (slot_pte == NULL || fault_pte == NULL ||
	    pv_writable_pagetables(true) != 0) {
		printf("bench: cannot set up writable page tables\n");
		return 1;
	}
	slot_val = (pv_va_to_mfn(slot) << 12) | PV_PTE_DATA;
	other_val = (pv_va_to_mfn(other) << 12) | PV_PTE_DATA;
	fault_val = (pv_va_to_mfn(fault_page) << 12) | PV_PTE_DATA;
	req.ptr = pv_l1e_maddr((uint64_t)slot) | MMU_NORMAL_PT_UPDATE;
	pv_pte_store(slot_pte, slot_val);

	report("pv_native_store", op_native_store, 0, 0, 0);
	report("pv_ptwr_store", op_ptwr_store, 1, 0, 0);
	report("pv_mmu_update_b1", op_mmu_b1, 0, 1, 0);
	report("pv_ptwr_store_remap", op_ptwr_remap, 1, 0, 0);
	report("pv_mmu_update_b1_remap", op_mmu_b1_remap, 0, 1, 0);
	pv_pte_store(slot_pte, slot_val);
	pv_invlpg_local((uint64_t)slot);

	pv_trap_set_native_return(true);
	PV_CHECK_OK(pv_unmap((uint64_t)fault_page));
	pv_trap_set_handler(PV_TRAP_PF, on_pf_uvm);
	/* The #PF bounce, the map and the unmap (which flushes). */
	report("pv_pf_roundtrip_uvm", op_pf_uvm, 1, 2, 1);
	pv_trap_set_handler(PV_TRAP_PF, on_pf_ptwr);
	/* The #PF bounce and two emulated stores; the INVLPG hypercall. */
	report("pv_pf_roundtrip_ptwr", op_pf_ptwr, 3, 1, 1);
	pv_trap_set_handler(PV_TRAP_PF, NULL);
	PV_CHECK_OK(pv_map_page((uint64_t)fault_page, fault_val >> 12,
				PV_PTE_DATA));
	pv_trap_set_native_return(false);
	return 0;
}
