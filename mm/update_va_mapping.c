/* SPDX-License-Identifier: MIT */
/*
 * update_va_mapping (14) and update_va_mapping_otherdomain (22), pv-abi
 * §6.3: set the L1 entry mapping one guest address, then flush as asked.
 *
 *   update_va_mapping(unsigned long va, uint64_t val, unsigned long flags)
 *   update_va_mapping_otherdomain(va, val, flags, domid_t domid)
 *
 * The L1 is found through the caller's kernel-mode tables (guest_l1_of:
 * present upper entries, no superpage, a validated L1 of the caller;
 * -EINVAL otherwise). val is checked as an L1 entry whose frame must
 * belong to the caller, or to domid for the other-domain variant (the
 * foreign-domain rules of mmu_update: -ESRCH, -EPERM).
 *
 * flags: bits 1:0 UVMF_NONE / UVMF_TLB_FLUSH / UVMF_INVLPG (3: no flush,
 * as on Xen); the rest UVMF_LOCAL (0, this vCPU), UVMF_ALL (4, every
 * vCPU) or a guest pointer to a vCPU bitmap (UVMF_MULTI). The bitmap is
 * read before anything changes (-EFAULT), so a refused call has neither
 * updated nor flushed.
 *
 * Locks: none of its own.
 */
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/mm_vcpu.h>
#include <xeno/mm_why.h>
#include <xeno/ptype.h>
#include <xeno/tlb.h>

#include "mm_hcall.h"

/* Decodes flags into the CPUs to flush and the address (or all). */
static int uvm_flush_scope(struct mm_vcpu *v, uint64_t va, uint64_t flags,
			   cpumask_t *cpus, uint64_t *what)
{
	uint64_t scope = flags & ~UVMF_FLUSHTYPE_MASK;
	uint64_t bitmap;

	*cpus = 0;
	switch (flags & UVMF_FLUSHTYPE_MASK) {
	case UVMF_TLB_FLUSH:
		*what = ARCH_FLUSH_ALL;
		break;
	case UVMF_INVLPG:
		*what = va;
		break;
	default:
		return 0;
	}
	if (scope == UVMF_LOCAL) {
		*cpus = tlb_vcpu_cpus(v);
	} else if (scope == UVMF_ALL) {
		*cpus = tlb_domain_cpus(v->d);
	} else if (guest_copy_from(&bitmap, scope, sizeof(bitmap)) == 0) {
		*cpus = tlb_vcpus_cpus(v->d, bitmap);
	} else {
		mm_why_note(XENO_WHY_VCPUMASK, scope, INVALID_MFN);
		return -EFAULT;
	}
	return 0;
}

static int uvm(struct hcall_args *h, unsigned int hypercall, bool other)
{
	struct mm_vcpu *v = mm_hcall_vcpu();
	uint64_t va = h->a[0], val = h->a[1], flags = h->a[2], what = 0;
	struct page_info *l1;
	struct tlb_flush f;
	struct mm_fd fd = { .d = v->d };
	unsigned int slot;
	cpumask_t cpus;
	int rc;

	mm_why_begin();
	rc = uvm_flush_scope(v, va, flags, &cpus, &what);
	if (rc == 0 && other) {
		rc = mm_fd_get(&fd, v->d, (domid_t)h->a[3]);
	}
	if (rc != 0) {
		return mm_why_fail(rc, hypercall, (unsigned int)flags, 0);
	}
	rc = guest_l1_of(v, va, &l1, &slot);
	if (rc == 0) {
		rc = mm_entry_update(l1, 1, slot, val, v->d, fd.d, false, 0);
		page_put_and_type(l1);
	}
	mm_fd_put(&fd);
	if (rc != 0) {
		return mm_why_fail(rc, hypercall, (unsigned int)flags, 0);
	}
	tlb_flush_init(&f, v->d, TLB_OP_UVM);
	tlb_flush_add(&f, cpus, what);
	tlb_flush_commit(&f);
	return 0;
}

long do_update_va_mapping(struct hcall_args *h)
{
	return uvm(h, __HYPERVISOR_update_va_mapping, false);
}

long do_update_va_mapping_otherdomain(struct hcall_args *h)
{
	return uvm(h, __HYPERVISOR_update_va_mapping_otherdomain, true);
}
