/* SPDX-License-Identifier: MIT */
/*
 * The CPU's view of the current vCPU's LDT (pv-abi §6.2, §8.2; the frames
 * and their references are mm/mm_ldt.c's).
 *
 * As for the GDT (descriptor.c), each CPU holds a copy of the current
 * vCPU's LDT rather than a mapping of its frames: a 64 KiB per-CPU
 * buffer, described by the LDT descriptor in the CPU's GDT (LDT_SEL,
 * desc.c) with a byte limit of ents * 8 - 1, so that a selector beyond
 * ents faults in the CPU (#GP with the selector as error code, bounced to
 * the guest). The copy is exact because nobody can write the frames but
 * update_descriptor, which bumps the descriptor generation (descriptor.c).
 *
 * Invariant: whenever this CPU returns to a guest, LDTR holds the null
 * selector if the vCPU has no LDT, else LDT_SEL describing a copy of its
 * LDT whose LDT generation and descriptor generation are the current
 * ones. pv_ldt_load() restores it at every vCPU switch (before the data
 * selectors are loaded, segments.c) and on every exit to a guest
 * (guest_exit_work), where it is cheap when nothing changed.
 *
 * Locks: none; each CPU writes only its own copy and record.
 */
#include <asm/desc.h>
#include <asm/descriptor.h>
#include <asm/pv.h>
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/mm_ldt.h>

static uint64_t copies[NR_CPUS][MM_LDT_MAX_ENTS] __aligned(4096);

/* What this CPU's copy holds. ents 0: the null LDT is loaded. */
static struct {
	unsigned int ents;
	uint64_t gen;	   /* the LDT's generation (mm_ldt.h) */
	uint64_t desc_gen; /* pv_desc_gen() at the copy */
} loaded[NR_CPUS];

void pv_ldt_load(struct vcpu *v)
{
	unsigned int cpu = arch_cpu_id(), i, bytes;
	const struct mm_ldt *l = v != NULL ? &v->mm.ldt : NULL;
	uint64_t desc_gen = pv_desc_gen();

	if (l == NULL || l->ents == 0) {
		if (loaded[cpu].ents != 0) {
			desc_load_ldt(NULL, 0);
			loaded[cpu].ents = 0;
		}
		return;
	}
	if (loaded[cpu].ents == l->ents && loaded[cpu].gen == l->gen &&
	    loaded[cpu].desc_gen == desc_gen) {
		return;
	}
	bytes = l->ents * 8;
	for (i = 0; i < l->nr_frames; i++) {
		unsigned int n = MIN(bytes - i * PAGE_SIZE, PAGE_SIZE);

		memcpy((uint8_t *)copies[cpu] + i * PAGE_SIZE,
		       arch_mfn_to_virt(l->frames[i]), n);
	}
	desc_load_ldt(copies[cpu], bytes);
	loaded[cpu].ents = l->ents;
	loaded[cpu].gen = l->gen;
	loaded[cpu].desc_gen = desc_gen;
}

const uint64_t *pv_ldt_this_cpu(unsigned int *ents)
{
	unsigned int cpu = arch_cpu_id();

	*ents = loaded[cpu].ents;
	return copies[cpu];
}
