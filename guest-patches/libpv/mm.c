/* SPDX-License-Identifier: MIT */
/*
 * Frame-number translation and page-table helpers (interface in
 * libpv/mm.h; pv-abi §3.10, §6.1-6.3, §8.5).
 *
 * The current kernel L4 is tracked here: the bootstrap one (pt_base) at
 * first, then whatever pv_new_baseptr() installed. The mmu_update queue
 * is private and used with events masked.
 */
#include <libpv/errno.h>
#include <libpv/events.h>
#include <libpv/hypercall.h>
#include <libpv/mm.h>
#include <libpv/start.h>

#define MMU_QUEUE_LEN 64

static struct mmu_update queue[MMU_QUEUE_LEN];
static unsigned int queued;
static uint64_t l4_mfn; /* 0 = not known yet: the bootstrap L4 */

uint64_t pv_pfn_to_mfn(uint64_t pfn)
{
	const uint64_t *p2m = (const uint64_t *)start_info->mfn_list;

	if (pfn >= start_info->nr_pages) {
		return PV_INVALID_FRAME;
	}
	return p2m[pfn];
}

uint64_t pv_mfn_to_pfn(uint64_t mfn)
{
	const uint64_t *m2p = (const uint64_t *)MACH2PHYS_VIRT_START;

	if (mfn >= MACH2PHYS_NR_ENTRIES) {
		return PV_INVALID_FRAME;
	}
	return m2p[mfn];
}

uint64_t pv_va_to_mfn(const void *va)
{
	return pv_pfn_to_mfn(pv_va_to_pfn(va));
}

uint64_t pv_current_l4_mfn(void)
{
	if (!l4_mfn) {
		l4_mfn = pv_va_to_mfn((const void *)start_info->pt_base);
	}
	return l4_mfn;
}

/* The table in frame mfn, reached through the 1:1 window; NULL if not. */
static const uint64_t *table_va(uint64_t mfn)
{
	uint64_t pfn = pv_mfn_to_pfn(mfn);

	if (pfn == PV_INVALID_FRAME || pfn >= start_info->nr_pages) {
		return NULL;
	}
	return pv_pfn_to_va(pfn);
}

uint64_t pv_entry_maddr(uint64_t va, unsigned int level)
{
	uint64_t mfn = pv_current_l4_mfn();

	for (unsigned int l = 4; l > level; l--) {
		const uint64_t *t = table_va(mfn);
		unsigned int idx = (va >> (PV_PAGE_SHIFT + 9 * (l - 1))) & 511;
		uint64_t e;

		if (!t) {
			return 0;
		}
		e = t[idx];
		if (!(e & PV_PTE_P) || (l < 4 && (e & PV_PTE_PS))) {
			return 0;
		}
		mfn = (e & PV_PTE_ADDR) >> PV_PAGE_SHIFT;
	}
	return (mfn << PV_PAGE_SHIFT) +
	       ((va >> (PV_PAGE_SHIFT + 9 * (level - 1))) & 511) *
		       sizeof(uint64_t);
}

uint64_t pv_l1e_maddr(uint64_t va)
{
	return pv_entry_maddr(va, 1);
}

uint64_t pv_entry_read(uint64_t maddr)
{
	const uint64_t *t = table_va(maddr >> PV_PAGE_SHIFT);

	return t ? t[(maddr & (PV_PAGE_SIZE - 1)) / sizeof(uint64_t)] : 0;
}

long pv_entry_update(uint64_t maddr, uint64_t val)
{
	struct mmu_update u = { .ptr = maddr, .val = val };

	return HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
}

uint64_t *pv_l1e_ptr(uint64_t va)
{
	uint64_t ma = pv_l1e_maddr(va);
	const uint64_t *t;

	if (!ma) {
		return NULL;
	}
	t = table_va(ma >> PV_PAGE_SHIFT);
	if (!t) {
		return NULL;
	}
	/* Writes through it are Xeno's to emulate (writable page tables). */
	return (uint64_t *)(uintptr_t)&t[(ma & (PV_PAGE_SIZE - 1)) /
					 sizeof(uint64_t)];
}

long pv_writable_pagetables(bool on)
{
	return HYPERVISOR_vm_assist(on ? VMASST_CMD_enable : VMASST_CMD_disable,
				    VMASST_TYPE_writable_pagetables);
}

uint64_t pv_lookup_pte(uint64_t va)
{
	uint64_t ma = pv_l1e_maddr(va);
	const uint64_t *t;

	if (!ma) {
		return 0;
	}
	t = table_va(ma >> PV_PAGE_SHIFT);
	if (!t) {
		return 0;
	}
	return t[(ma & (PV_PAGE_SIZE - 1)) / sizeof(uint64_t)];
}

long pv_map_page(uint64_t va, uint64_t mfn, uint64_t flags)
{
	return HYPERVISOR_update_va_mapping(va, (mfn << PV_PAGE_SHIFT) | flags,
					    UVMF_INVLPG);
}

long pv_unmap(uint64_t va)
{
	return HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG);
}

static long flush_locked(unsigned int *done)
{
	unsigned int n = queued;
	long rc = 0;

	if (done) {
		*done = 0;
	}
	if (n) {
		rc = HYPERVISOR_mmu_update(queue, n, done, DOMID_SELF);
		queued = 0;
	}
	return rc;
}

long pv_mmu_flush(unsigned int *done)
{
	unsigned int mask = pv_irq_save();
	long rc = flush_locked(done);

	pv_irq_restore(mask);
	return rc;
}

long pv_mmu_queue(uint64_t ptr, uint64_t val)
{
	unsigned int mask = pv_irq_save();
	long rc = 0;

	queue[queued].ptr = ptr;
	queue[queued].val = val;
	if (++queued == MMU_QUEUE_LEN) {
		rc = flush_locked(NULL);
	}
	pv_irq_restore(mask);
	return rc;
}

long pv_mmuext(unsigned int cmd, uint64_t arg1, uint64_t arg2)
{
	struct mmuext_op op = { .cmd = cmd };

	op.arg1.mfn = arg1;
	op.arg2.src_mfn = arg2;
	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

long pv_pin_table(unsigned int level, uint64_t mfn)
{
	static const unsigned int cmds[] = { MMUEXT_PIN_L1_TABLE,
					     MMUEXT_PIN_L2_TABLE,
					     MMUEXT_PIN_L3_TABLE,
					     MMUEXT_PIN_L4_TABLE };

	if (level < 1 || level > 4) {
		return -EINVAL;
	}
	return pv_mmuext(cmds[level - 1], mfn, 0);
}

long pv_unpin_table(uint64_t mfn)
{
	return pv_mmuext(MMUEXT_UNPIN_TABLE, mfn, 0);
}

uint64_t pv_last_refusal_reason(void)
{
	struct xeno_mm_refusal r;

	if (HYPERVISOR_xeno_mm_op(XENO_MM_last_refusal, &r) != 0) {
		return ~0ULL;
	}
	return r.reason;
}

long pv_new_baseptr(uint64_t mfn)
{
	long rc = pv_mmuext(MMUEXT_NEW_BASEPTR, mfn, 0);

	if (rc == 0) {
		l4_mfn = mfn;
	}
	return rc;
}

long pv_new_user_baseptr(uint64_t mfn)
{
	return pv_mmuext(MMUEXT_NEW_USER_BASEPTR, mfn, 0);
}

long pv_tlb_flush_local(void)
{
	return pv_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0);
}

long pv_invlpg_local(uint64_t va)
{
	return pv_mmuext(MMUEXT_INVLPG_LOCAL, va, 0);
}
