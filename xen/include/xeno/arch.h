/* SPDX-License-Identifier: MIT */
/*
 * The arch interface: the only way generic code (mm/, cache/, shmem/,
 * xen/common) reaches the machine. Implemented once for x86
 * (xen/arch/x86/) and once for a host process (xen/arch/host/), where
 * "machine memory" is an arena in the process and CPUs are threads.
 *
 * Rules: generic code includes this header, never an arch header; every
 * function here may be called with interrupts off and must not block.
 */
#ifndef XENO_ARCH_H
#define XENO_ARCH_H

#include <xeno/types.h>

/* Most CPUs the hypervisor (or a host simulation) supports. */
#define NR_CPUS 64

/* The index (0..NR_CPUS-1) of the CPU running this code. */
unsigned int arch_cpu_id(void);

/* How many CPUs are online (indices 0..n-1). */
unsigned int arch_nr_cpus(void);

/* A pointer through which the hypervisor reads and writes the frame. */
void *arch_mfn_to_virt(mfn_t m);

/* The frame behind a pointer returned by arch_mfn_to_virt (any offset). */
mfn_t arch_virt_to_mfn(const void *p);

/* Spin-wait hint (PAUSE on x86). */
void arch_cpu_relax(void);

/* Nanoseconds since boot, monotonic, from the calibrated TSC. */
uint64_t arch_now_ns(void);

/* Writes console text to the machine's console (hypervisor builds only). */
void arch_console_write(const char *s, size_t n);

/* Stops the machine: QEMU exits with the given Xeno exit status. */
__noreturn void arch_halt(int xeno_status);

/* ---- TLBs and address spaces (used by mm/ through mm/tlb.c) ---- */

/* arch_flush_tlb_mask's va for "every entry", not one address. */
#define ARCH_FLUSH_ALL (~0ULL)

/*
 * Invalidates TLB entries on every CPU in mask (this CPU included if it
 * is in mask): one address (va), or everything including global entries
 * (ARCH_FLUSH_ALL). Returns once every CPU in mask has done it. Counts
 * one IPI per other CPU in arch_tlb_stats.
 */
void arch_flush_tlb_mask(uint64_t mask, uint64_t va);

/* What the arch did for TLB maintenance since boot. */
struct arch_tlb_stats {
	uint64_t local_flushes;	 /* full flushes on one CPU */
	uint64_t local_invlpgs;	 /* single-address invalidations */
	uint64_t ipis;		 /* shootdown IPIs sent */
	uint64_t cr3_loads;	 /* page-table root switches */
	uint64_t global_flushes; /* of local_flushes, those that dropped
				    global entries too */
	uint64_t cr3_flushes;	 /* of cr3_loads, those that dropped the
				    non-global entries (all without tags) */
};
void arch_tlb_stats_read(struct arch_tlb_stats *out);

/* The same, done on one CPU (ipis: sent by it). */
void arch_tlb_cpu_stats_read(unsigned int cpu, struct arch_tlb_stats *out);

/*
 * How many address-space tags (x86: PCIDs) each CPU has besides tag 0,
 * fixed at boot: 0 when the CPU has none or they are switched off
 * (pcid=off). With tags, arch_flush_tlb_mask() of one address reaches
 * only the tag loaded now (and global entries) on this CPU, and the
 * arch reports every flush it does on a CPU to that CPU's tag table
 * (tlb_tag_flushed, xeno/tlb_tag.h).
 */
unsigned int arch_tlb_tags(void);

/*
 * The root of the running vCPU's active address space changed (a vCPU
 * switch, a kernel/user switch, a new base pointer): load it. root is an
 * L4 frame that holds a type reference for as long as it is installed;
 * INVALID_MFN loads the hypervisor's own tables (idle). tag and keep come
 * from tlb_tag_pick(): load under tag (always 0 without tags) and, if
 * keep, leave the tag's cached entries; otherwise drop its non-global
 * entries (without tags: those of the address space left).
 */
void arch_load_root(mfn_t root, unsigned int tag, bool keep);

/* ---- Direct guest access (used by mm/guest_access.c) ---- */

/*
 * Whether this CPU translates addresses through the tables under root
 * right now (x86: CR3 holds it) and direct access is on (the
 * direct_access boot option), so that arch_copy_*_live() reach the
 * address space under root. INVALID_MFN is never live. Always false in
 * the host build, which has no MMU to lend.
 */
bool arch_root_live(mfn_t root);

/*
 * Copies n bytes between hypervisor memory and guest addresses with the
 * CPU's own translation of the live tables, as a supervisor that may
 * touch user pages and must respect read-only entries. Refuses (copies
 * nothing) a range that is not wholly in the guest's part of the address
 * space. Stops at the first fault. Returns the bytes not copied: 0 when
 * all were.
 */
size_t arch_copy_from_live(void *dst, uint64_t va, size_t n);
size_t arch_copy_to_live(uint64_t va, const void *src, size_t n);

/*
 * Whether a long hypercall should stop at its next preemption point and
 * continue later (the CPU's time slice ran out, or work is waiting).
 */
bool arch_hypercall_preempt_check(void);

/*
 * Xeno exit statuses (docs/boot.md). Under QEMU's isa-debug-exit the
 * process exit code is (status << 1) | 1.
 */
enum xeno_exit {
	XENO_EXIT_OK = 0,	 /* clean shutdown, all tests passed */
	XENO_EXIT_TEST_FAIL = 1, /* a built-in test failed */
	XENO_EXIT_PANIC = 2,	 /* hypervisor bug (panic/assert) */
	XENO_EXIT_EXCEPTION =
		3,		/* unexpected CPU exception in the hypervisor */
	XENO_EXIT_BAD_BOOT = 4, /* bad memory map, modules or command line */
	XENO_EXIT_NO_MEMORY = 5, /* less memory than Xeno needs */
	XENO_EXIT_CPU = 6,	 /* a CPU did not come up */
	XENO_EXIT_FATAL = 7,	 /* NMI, double fault or machine check */
};

#endif
