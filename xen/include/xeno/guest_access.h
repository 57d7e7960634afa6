/* SPDX-License-Identifier: MIT */
/*
 * Guest memory as hypercalls see it (mm/guest_access.c): copies to and
 * from guest virtual addresses of the current vCPU, directly through its
 * live page tables where the CPU runs on them (kernel mode), else
 * through a software walk of its active tables; and the lookup of the L1
 * table behind a guest address for update_va_mapping.
 *
 * Interface rules:
 *  - A guest address is acceptable only below 2^47 or from
 *    HYPERVISOR_VIRT_END on (pv-abi §7, §8.3 rule 4); anything else, a
 *    range that wraps or crosses into the hole, or an address the tables
 *    do not map with the access asked for, is -EFAULT. Nothing is ever
 *    reported to the guest as a page fault.
 *  - The access asked for: a present mapping, writable for a write; in
 *    user mode (walk only) not a kernel-only mapping (PTE_GUEST_KERNEL).
 *    2 MiB and 1 GiB entries are honoured.
 *  - The walk holds, while it copies, a general and a type reference on
 *    every table it passes through, and a general reference (plus a
 *    writable type reference for a write) on the data frame; the direct
 *    path relies on the TLB rules instead (the argument is at the top of
 *    mm/guest_access.c). Either way a guest unmapping or retyping those
 *    frames on another vCPU meanwhile cannot make Xeno read a freed frame
 *    as a table, or write a frame that has become a page table. A copy
 *    is not atomic: a partly done copy that faults has changed the bytes
 *    before the fault.
 *
 * Locks: none; references are atomic, statistics per CPU.
 */
#ifndef XENO_GUEST_ACCESS_H
#define XENO_GUEST_ACCESS_H

#include <xeno/frame.h>
#include <xeno/types.h>

struct mm_domain;
struct mm_vcpu;

/* How copies went, machine-wide (guest_access_stats_read). */
struct guest_access_stats {
	uint64_t direct; /* copies through the live tables */
	uint64_t walked; /* copies by the software walk */
	uint64_t faults; /* copies that ended in -EFAULT (either way) */
};

void guest_access_stats_read(struct guest_access_stats *out);

/* Whether [va, va + n) lies in the guest's part of the address space. */
bool guest_range_ok(uint64_t va, size_t n);

/* Copies n bytes from/to the current vCPU's memory. Returns 0 or -EFAULT. */
int guest_copy_from(void *dst, uint64_t gva, size_t n);
int guest_copy_to(uint64_t gva, const void *src, size_t n);

/*
 * Copies n bytes to gva as v's guest kernel sees it: through v's kernel
 * tables, kernel-only mappings allowed, whatever mode v is in and
 * whichever vCPU is current (the runstate area, written as v goes on
 * or off a CPU). v must not be running elsewhere meanwhile (its kernel
 * root must not change). Returns 0 or -EFAULT.
 */
int guest_copy_to_kernel(struct mm_vcpu *v, uint64_t gva, const void *src,
			 size_t n);

/*
 * The validated L1 of v's domain that maps va in v's kernel page tables
 * (update_va_mapping, pv-abi §6.3 rule 1), with a general and an L1 type
 * reference the caller drops with page_put_and_type(), and the entry's
 * slot in it. Returns 0, or -EINVAL (noted: not a guest address, an upper
 * entry absent or a superpage, or not a validated L1 of the domain).
 */
int guest_l1_of(struct mm_vcpu *v, uint64_t va, struct page_info **l1,
		unsigned int *slot);

/*
 * The frame that va maps in the tables under root (an L4 of d that the
 * caller keeps installed or referenced), read as the guest kernel reads
 * it (the MMUEXT_SET_LDT walk), with a general reference the caller drops
 * with page_put(); the frame may be anyone's (the caller checks). NULL if
 * va is not mapped there.
 */
struct page_info *guest_frame_in(struct mm_domain *d, mfn_t root, uint64_t va);

#endif
