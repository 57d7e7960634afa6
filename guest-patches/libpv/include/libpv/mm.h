/* SPDX-License-Identifier: MIT */
/*
 * Page frames and page tables (pv-abi §3.7-3.10, §6.1-6.3, §8.5).
 *
 * Address kinds: a PFN is the guest's pseudo-physical frame number, an
 * MFN a machine frame number. start_info->mfn_list is the P2M (PFN ->
 * MFN, ~0 = none), the read-only table at MACH2PHYS_VIRT_START the M2P
 * (MFN -> PFN). The bootstrap region maps VA = PV_VIRT_BASE + PFN * 4096.
 *
 * Interface rules:
 *   - Lookups return PV_INVALID_FRAME for anything out of range.
 *   - pv_lookup_pte()/pv_l1e_maddr() walk the current kernel L4 (the
 *     bootstrap one until pv_new_baseptr() changes it) and reach every
 *     table through the 1:1 window, so they work only while all
 *     page-table frames lie in the bootstrap region or the image.
 *   - The batched queue is flushed by pv_mmu_flush(), or by
 *     pv_mmu_queue() when it is full; both return the mmu_update result.
 *   - Entries passed to the hypervisor hold MFNs and PV_PTE_* flags.
 */
#ifndef LIBPV_MM_H
#define LIBPV_MM_H

#include <stdbool.h>
#include <stdint.h>

#include <public/xen.h>

#define PV_PAGE_SHIFT 12
#define PV_PAGE_SIZE  (1UL << PV_PAGE_SHIFT)

/* x86 page-table entry bits (pv-abi §2.4). */
#define PV_PTE_P    (1ULL << 0)
#define PV_PTE_RW   (1ULL << 1)
#define PV_PTE_US   (1ULL << 2)
#define PV_PTE_PWT  (1ULL << 3)
#define PV_PTE_PCD  (1ULL << 4)
#define PV_PTE_A    (1ULL << 5)
#define PV_PTE_D    (1ULL << 6)
#define PV_PTE_PAT  (1ULL << 7)
#define PV_PTE_PS   (1ULL << 7)
#define PV_PTE_G    (1ULL << 8)
#define PV_PTE_NX   (1ULL << 63)
#define PV_PTE_ADDR 0x000ffffffffff000ULL

/* A present, writable data mapping. */
#define PV_PTE_DATA (PV_PTE_P | PV_PTE_RW | PV_PTE_A | PV_PTE_D)

#define PV_INVALID_FRAME (~0ULL)

uint64_t pv_pfn_to_mfn(uint64_t pfn);
uint64_t pv_mfn_to_pfn(uint64_t mfn);

/* The 1:1 window of the bootstrap region and the image. */
static inline void *pv_pfn_to_va(uint64_t pfn)
{
	return (void *)(0xffffffff80000000UL + (pfn << PV_PAGE_SHIFT));
}

static inline uint64_t pv_va_to_pfn(const void *va)
{
	return ((uint64_t)va - 0xffffffff80000000UL) >> PV_PAGE_SHIFT;
}

/* MFN behind a VA of the 1:1 window, through the P2M. */
uint64_t pv_va_to_mfn(const void *va);

/* The L1 entry mapping va, or 0 if a level above is not present. */
uint64_t pv_lookup_pte(uint64_t va);

/* Machine address of the L1 entry for va (for mmu_update), 0 if none. */
uint64_t pv_l1e_maddr(uint64_t va);

/*
 * The same for the level-level entry (1..4) for va: 0 if a level above
 * is not present or is a superpage.
 */
uint64_t pv_entry_maddr(uint64_t va, unsigned int level);

/* The entry at machine address maddr (a frame of ours), or 0. */
uint64_t pv_entry_read(uint64_t maddr);

/* One mmu_update of the entry at maddr: 0 or -errno. */
long pv_entry_update(uint64_t maddr, uint64_t val);

/* update_va_mapping(va, mfn << 12 | flags, UVMF_INVLPG). 0 or -errno. */
long pv_map_page(uint64_t va, uint64_t mfn, uint64_t flags);
long pv_unmap(uint64_t va);

/* Batched mmu_update; ptr carries the MMU_* command in bits 2:0. */
long pv_mmu_queue(uint64_t ptr, uint64_t val);
/* Sends the queue. *done (may be NULL) gets the requests completed. */
long pv_mmu_flush(unsigned int *done);

/* Single mmuext_op wrappers. */
long pv_mmuext(unsigned int cmd, uint64_t arg1, uint64_t arg2);
long pv_pin_table(unsigned int level, uint64_t mfn); /* level 1-4 */
long pv_unpin_table(uint64_t mfn);
long pv_new_baseptr(uint64_t mfn);
long pv_new_user_baseptr(uint64_t mfn);
long pv_tlb_flush_local(void);
long pv_invlpg_local(uint64_t va);

/* The MFN of the current kernel L4 as libpv tracks it. */
uint64_t pv_current_l4_mfn(void);

/*
 * The reason code of the last MMU refusal Xeno recorded for this vCPU
 * (xeno_mm_op XENO_MM_last_refusal, docs/mm.md §10), ~0 if unreadable.
 */
uint64_t pv_last_refusal_reason(void);

/*
 * Writable page tables (pv-abi §9.10, docs/mm.md "Writable page
 * tables"): with the assist on, a plain store into one of the guest's
 * own L1 tables (mapped read-only, as all its tables must be) faults
 * and Xeno performs it with the checks of mmu_update, then resumes after
 * the store. A store Xeno refuses is delivered as the original #PF (and
 * the reason recorded, xeno_mm_op); without the assist every such store
 * is a #PF. TLB flushing stays the guest's job, as after mmu_update.
 */

/* vm_assist(enable/disable, VMASST_TYPE_writable_pagetables). 0 or -errno. */
long pv_writable_pagetables(bool on);

/*
 * The L1 entry mapping va, as a pointer into the 1:1 window (a
 * read-only mapping of the table), or NULL if there is none. Same walk
 * as pv_l1e_maddr().
 */
uint64_t *pv_l1e_ptr(uint64_t va);

/* One 8-byte MOV of val to *pte. */
static inline void pv_pte_store(uint64_t *pte, uint64_t val)
{
	__asm__ volatile("movq %1, %0" : "=m"(*pte) : "r"(val) : "memory");
}

/* XCHG: stores val, returns the entry it replaced (as stored). */
static inline uint64_t pv_pte_xchg(uint64_t *pte, uint64_t val)
{
	__asm__ volatile("xchgq %0, %1" : "+r"(val), "+m"(*pte) : : "memory");
	return val;
}

/*
 * LOCK CMPXCHG: stores val if *pte holds old (compared with the entry
 * as stored, adjustments included: docs/mm.md §4). Returns what *pte
 * held: old on success.
 */
static inline uint64_t pv_pte_cmpxchg(uint64_t *pte, uint64_t old, uint64_t val)
{
	__asm__ volatile("lock cmpxchgq %2, %1"
			 : "+a"(old), "+m"(*pte)
			 : "r"(val)
			 : "memory", "cc");
	return old;
}

#endif
