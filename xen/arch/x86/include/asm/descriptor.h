/* SPDX-License-Identifier: MIT */
/*
 * A PV guest's descriptor tables (xen/arch/x86/pv/descriptor.c, pv-abi
 * §7.8, §7.9, §9.11): the descriptor rules, the GDT frames a vCPU
 * installed with set_gdt, and update_descriptor.
 *
 * Interface rules:
 *  - A struct pv_gdt holds, for each of its frames, a general and a
 *    PGT_seg_desc type reference for as long as it is installed or
 *    prepared; mm_audit counts those of installed GDTs through its
 *    walker, so a prepared one must be installed or released before
 *    the hypercall ends.
 *  - pv_gdt_prepare() checks and takes everything (it may fail and then
 *    holds nothing); pv_gdt_install() cannot fail.
 *  - The CPU's GDT holds a copy of the current vCPU's guest entries
 *    (desc.c). Every change of any installed GDT's contents bumps a
 *    generation, so a CPU reloads its copy on its next exit to the guest;
 *    the calling CPU reloads at once. The same generation covers the
 *    per-CPU copy of the LDT (ldt.c).
 */
#ifndef ASM_DESCRIPTOR_H
#define ASM_DESCRIPTOR_H

#include <public/vcpu_context.h>
#include <xeno/types.h>

struct vcpu;
struct domain;
struct hcall_args;

struct pv_gdt {
	uint64_t frames[FIRST_RESERVED_GDT_PAGE]; /* MFNs of the frames */
	unsigned int nr_frames;			  /* 0: no guest GDT */
	unsigned int ents;			  /* set_gdt's entry count */
};

/*
 * Checks one descriptor by the rules of §9.11 and stores the form the
 * hypervisor installs (DPL fixed up) in *desc. Returns 0, or -EINVAL
 * leaving *desc unchanged.
 */
int pv_desc_check(uint64_t *desc);

/*
 * Takes the references for a GDT of ents entries in the frames listed
 * (d's frames). Returns 0; -EINVAL if ents > 7168, a frame is not d's,
 * cannot take the descriptor type (mapped writable, a page table) or
 * holds a descriptor the rules refuse. On failure nothing is held.
 */
int pv_gdt_prepare(struct domain *d, const uint64_t *frames, unsigned int ents,
		   struct pv_gdt *out);

/* Makes g v's GDT (taking over its references) and drops the old one. */
void pv_gdt_install(struct vcpu *v, struct pv_gdt *g);

/* Drops the references of a prepared or installed GDT; g becomes empty. */
void pv_gdt_release(struct pv_gdt *g);

/*
 * Brings this CPU's GDT copy up to date with v's (NULL: none) if it may
 * be stale (another vCPU's, or changed since). Cheap when it is current.
 */
void pv_gdt_load(struct vcpu *v);

/*
 * The descriptor generation: bumped by every change of the contents of
 * any installed GDT or LDT frame (update_descriptor), so a CPU holding a
 * copy of one knows it may be stale.
 */
uint64_t pv_desc_gen(void);

/*
 * Brings this CPU's LDT (ldt.c) up to date with v's (NULL or none: the
 * null LDT) and loads it, if it may be stale. Cheap when it is current.
 */
void pv_ldt_load(struct vcpu *v);

/* This CPU's LDT copy and its entry count (0: null LDT), for segments.c. */
const uint64_t *pv_ldt_this_cpu(unsigned int *ents);

/* Boot: registers the descriptor rules with the page-type machine. */
void pv_desc_init(void);

/* The hypercalls set_gdt (2) and update_descriptor (10). */
long do_set_gdt(struct hcall_args *h);
long do_update_descriptor(struct hcall_args *h);

#endif
