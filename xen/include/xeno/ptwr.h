/* SPDX-License-Identifier: MIT */
/*
 * Writable page tables (mm/ptwr.c, pv-abi §9.10, docs/mm.md "Writable
 * page tables"): the memory-manager half of the emulation of a guest's
 * plain store into one of its own L1 tables, which it maps read-only.
 * The arch half (xen/arch/x86/pv/ptwr.c) decides that a fault is such a
 * store, decodes the instruction and completes it; this half finds the
 * table and writes the entry with the rules of mmu_update.
 *
 * Interface rules:
 *  - ptwr_l1_at() only looks; it holds nothing when it returns.
 *    ptwr_emulate_store() checks everything again itself, so a guest
 *    changing its tables in between gets a refusal, never a wrong write.
 *  - ptwr_emulate_store() notes why it refuses (mm_why); the caller
 *    completes the record with mm_why_fail().
 *
 * Locks: none; references are atomic.
 */
#ifndef XENO_PTWR_H
#define XENO_PTWR_H

#include <xeno/frame.h>
#include <xeno/mm_domain.h>
#include <xeno/types.h>

struct mm_vcpu;

/* ptwr_emulate_store(): a compare-exchange found other bytes. */
#define PTWR_CMP_FAILED 1

/*
 * The frame that guest address va lies in, if it is a validated L1 of
 * v's domain that v's kernel tables map at va through a present L1
 * entry (pv-abi §9.10 condition 3). Returns 0 with *l1 set, or -EINVAL.
 * Notes nothing a refusal record should keep: call mm_why_begin() after.
 */
int ptwr_l1_at(struct mm_vcpu *v, uint64_t va, mfn_t *l1);

/*
 * Writes width bytes (1, 2, 4 or 8, naturally aligned at byte offset of
 * the page) of d's L1 table l1 with val, merged into the 8-byte entry
 * there, which is checked and stored exactly as mmu_update of that
 * entry with FD = PFD = d would: new references taken first, the
 * adjusted entry swapped in atomically, the old entry's references
 * dropped last. No TLB flush: as after mmu_update of an L1 entry, that
 * is the guest's job.
 *
 * is_cmpxchg: *old holds the bytes expected there; if the entry holds
 * others, nothing is written, *old gets them and the result is
 * PTWR_CMP_FAILED. Otherwise *old gets the bytes the entry held before
 * the write (for XCHG).
 *
 * Returns 0; PTWR_CMP_FAILED; -EAGAIN if the entry changed between
 * reading and writing it (the hardware setting A or D, another vCPU):
 * nothing was written, the instruction should run again; -EINVAL (noted
 * XENO_WHY_PTWR_INSN, value: the offset) for a bad width or alignment;
 * -EINVAL (noted XENO_WHY_VA_NOT_L1, value: the frame number) if l1 is
 * not a validated L1 that d holds; or the entry's error with its reason
 * as mmu_update gives it (table and slot noted, value: the whole entry).
 */
int ptwr_emulate_store(struct mm_domain *d, mfn_t l1, unsigned int offset,
		       unsigned int width, uint64_t val, bool is_cmpxchg,
		       uint64_t *old);

/* Counters since boot (or the last reset), for tests and benchmarks. */
struct ptwr_stats {
	uint64_t emulated; /* stores done (a failed CMPXCHG included) */
	uint64_t refused;  /* stores refused by the entry rules */
	uint64_t retried;  /* -EAGAIN: the entry changed meanwhile */
};
void ptwr_stats_read(struct ptwr_stats *out);

#endif
