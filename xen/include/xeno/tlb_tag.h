/* SPDX-License-Identifier: MIT */
/*
 * Address-space tags (PCIDs on x86) for the memory manager
 * (mm/tlb_tag.c): which tag a page-table root gets on a CPU, and whether
 * the TLB entries cached under it may stay when it is loaded again.
 *
 * Interface rules:
 *  - arch_tlb_tags() (xeno/arch.h) says how many tags a CPU has besides
 *    tag 0; 0 means none (the CPU lacks them, or pcid=off): then every
 *    pick is tag 0 without keep, and a root load drops what the address
 *    space left cached, as it always did.
 *  - A tag names, on one CPU, one address space of one vCPU: the pair
 *    (vCPU, root frame). Tag 0 is the hypervisor's own tables (no vCPU).
 *  - mm_vcpu.c calls tlb_tag_pick() on the CPU that loads a root, right
 *    before arch_load_root(), with interrupts off.
 *  - The arch calls tlb_tag_flushed() on the CPU that flushed, for every
 *    flush it does there: all (every tag emptied, global entries too) or
 *    one address (only the tag loaded now, and global entries).
 *  - Everything Xeno must drop for its own safety (a frame changing use
 *    or being reused, L2-L4 changes, another domain's global entries) is
 *    dropped by full flushes (mm/tlb.c), which empty every tag of a CPU.
 *    Single-address flushes (the guest's INVLPG requests) reach the tag
 *    loaded now; every other tag of that CPU is then no longer fresh and
 *    its next load drops its entries. So a flush asked for a domain
 *    reaches its entries under all its tags on every CPU in the masks.
 *
 * Locks: none. Each CPU's table is read and written by that CPU only,
 * always with interrupts off (the shootdown handler runs on the CPU it
 * flushes).
 */
#ifndef XENO_TLB_TAG_H
#define XENO_TLB_TAG_H

#include <xeno/types.h>

struct mm_vcpu;

/* Most tags a CPU's table holds (tags 1..TLB_TAGS_MAX), whatever the CPU. */
#define TLB_TAGS_MAX 32

/* How to load a root: under which tag, and whether its entries stay. */
struct tlb_tag_load {
	unsigned int tag; /* 0: the hypervisor's tables, or no tags */
	bool keep;	  /* the tag's cached entries are valid: keep them */
};

/*
 * The tag root of v (NULL, or INVALID_MFN: the hypervisor's tables) gets
 * on this CPU. A (vCPU, root) pair seen before and still fresh keeps its
 * entries; a new pair takes a free tag or the least recently loaded one
 * and is loaded without keep. The tag picked becomes this CPU's current.
 */
struct tlb_tag_load tlb_tag_pick(const struct mm_vcpu *v, mfn_t root);

/* The arch flushed this CPU: everything (all) or one address. */
void tlb_tag_flushed(bool all);

/* How many tags the tables use now (0: none), for tests and the banner. */
unsigned int tlb_tag_count(void);

/* Forgets every CPU's table (host tests, boot). */
void tlb_tag_reset(void);

#endif
