/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's LDT (mm/mm_ldt.c, pv-abi §6.2 MMUEXT_SET_LDT, docs/mm.md
 * "The LDT"): the guest address and entry count the guest gave, and the
 * frames under that address, which the vCPU holds as descriptor pages.
 *
 * Interface rules:
 *  - A struct mm_ldt holds, for each of its frames, a general and a
 *    PGT_seg_desc type reference while it is prepared or installed
 *    (mm_audit counts those of installed LDTs; a prepared one must be
 *    installed or released before the hypercall ends). So no LDT frame
 *    is writable anywhere, a page table or a frame under a superpage.
 *  - The frames are those the address mapped in the tables walked when
 *    the LDT was set; later changes of those mappings do not move it.
 *  - mm_ldt_prepare() checks and takes everything (it may fail and then
 *    holds nothing); mm_ldt_install() cannot fail.
 *  - Every install gives the vCPU's LDT a new generation, unique across
 *    vCPUs, so that a CPU's copy of it (the arch's) is known stale.
 *
 * Locks: none. A vCPU's LDT changes only on its own CPU (MMUEXT_SET_LDT)
 * or while it is off every CPU (VCPUOP_initialise, destruction).
 */
#ifndef XENO_MM_LDT_H
#define XENO_MM_LDT_H

#include <xeno/frame.h>
#include <xeno/types.h>

/* At most 8192 descriptors of 8 bytes: 16 frames. */
#define MM_LDT_MAX_ENTS	  8192
#define MM_LDT_MAX_FRAMES 16

struct mm_domain;
struct mm_vcpu;

struct mm_ldt {
	uint64_t base;		/* guest address, page aligned; 0: none */
	unsigned int ents;	/* descriptors; 0: no LDT */
	unsigned int nr_frames; /* frames held: ents * 8 bytes rounded up */
	mfn_t frames[MM_LDT_MAX_FRAMES];
	uint64_t gen; /* new at every install */
};

/*
 * Checks an LDT of ents descriptors at guest address base, and takes the
 * frames that base's pages map in the tables under root (d's kernel
 * root) as descriptor pages, validating each (pv-abi §9.11). ents 0 is
 * "no LDT" and holds nothing. Returns 0, or -EINVAL (noted): more than
 * 8192 entries, base not page aligned or not wholly a guest range, a page
 * not mapped, a frame that is not d's, or one that cannot become a
 * descriptor page (mapped writable, a page table, under a superpage, a
 * descriptor the rules refuse). On failure out holds nothing.
 */
int mm_ldt_prepare(struct mm_domain *d, mfn_t root, uint64_t base,
		   unsigned int ents, struct mm_ldt *out);

/* Makes l v's LDT (taking over its references) and drops the old one. */
void mm_ldt_install(struct mm_vcpu *v, struct mm_ldt *l);

/* Drops the references of a prepared or installed LDT; l becomes empty. */
void mm_ldt_release(struct mm_ldt *l);

#endif
