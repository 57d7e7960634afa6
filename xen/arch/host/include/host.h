/* SPDX-License-Identifier: MIT */
/*
 * The host implementation of the arch interface (xen/arch/host/arch.c):
 * what unit tests, fuzzers and host benchmarks use to run generic Xeno
 * code (mm/, cache/, shmem/) inside an ordinary process.
 *
 * "Machine memory" is one page-aligned arena standing for machine frames
 * [0, nr_frames); the frame table lives outside it. CPUs are threads: each
 * thread says which CPU it is with host_set_cpu() (default 0).
 *
 * Interface rules:
 *  - host_machine_init() (or _empty) before any generic code runs, from
 *    one thread with no other thread using the machine; it replaces any
 *    previous machine. host_machine_fini() frees it.
 *  - Threads that act as CPUs must use distinct CPU indices below the
 *    nr_cpus given to host_machine_init().
 *  - A test that expects a hypervisor bug to panic arms the hook with
 *    host_expect_panic(&jb) after setjmp(jb) returned 0; panic() then
 *    longjmps to jb (with 1) instead of aborting, once. Disarm it with
 *    host_expect_panic(NULL) if the panic did not happen. Code that
 *    panics while holding a lock leaves it held, so such tests recreate
 *    the machine afterwards.
 *
 * Locks: none; the per-thread state is thread-local.
 */
#ifndef XENO_HOST_H
#define XENO_HOST_H

#include <setjmp.h>
#include <xeno/types.h>

/* Frames [0, HOST_RESERVED_FRAMES) stay reserved, like a PC's low memory. */
#define HOST_RESERVED_FRAMES 16

/*
 * Creates a machine of nr_frames frames and nr_cpus CPUs, initialises the
 * frame table, the frame allocator and xmalloc, and hands frames
 * [HOST_RESERVED_FRAMES, nr_frames) to the allocator.
 */
void host_machine_init(uint64_t nr_frames, unsigned int nr_cpus);

/* The same, but hands no frame to the allocator: all stay reserved. */
void host_machine_init_empty(uint64_t nr_frames, unsigned int nr_cpus);

/* Frees the machine's memory. */
void host_machine_fini(void);

/* Makes the calling thread CPU cpu (0 .. NR_CPUS-1). */
void host_set_cpu(unsigned int cpu);

/* The arena's base: machine frame 0. */
void *host_arena(void);

/*
 * The host machine's hypervisor L4 slots (256..271): recognisable values
 * that tests and fuzzers install with pte_set_l4_template and then find
 * again in every validated L4.
 */
extern const uint64_t host_l4_template[16];

/*
 * TLB maintenance and root loads: the host arch does nothing but count
 * (arch_tlb_stats_read) and log them. host_tlb_reset() (also done by
 * host_machine_init) zeroes the counters, the log and the loaded roots;
 * host_tlb_call(i) is the i-th arch_flush_tlb_mask() since then (the
 * first HOST_TLB_LOG are kept; cpu ~0 for one not kept).
 */
#define HOST_TLB_LOG 64
struct host_tlb_call {
	uint64_t mask;	  /* CPUs asked to flush */
	uint64_t va;	  /* one address, or ARCH_FLUSH_ALL */
	unsigned int cpu; /* the CPU that asked */
};
void host_tlb_reset(void);
unsigned int host_tlb_calls(void);
struct host_tlb_call host_tlb_call(unsigned int i);

/*
 * Direct guest access (arch_root_live, arch_copy_*_live): off by default
 * (no root is live: mm/guest_access.c walks); on, the roots loaded by
 * arch_load_root() are live and copies go through a model of the CPU's
 * own walk (xen/arch/host/arch.c).
 */
void host_set_direct_access(bool on);

/* The root the last arch_load_root() on cpu loaded (INVALID_MFN: none). */
mfn_t host_loaded_root(unsigned int cpu);

/*
 * Address-space tags: arch_tlb_tags() answers n (0, the default after
 * host_tlb_reset: none). With tags, arch_flush_tlb_mask() reports the
 * caller's own flush to its tag table as the x86 arch does (one address:
 * only the tag loaded now; other CPUs flush everything).
 * host_loaded_tag(cpu) is the tag and keep of cpu's last root load.
 */
void host_set_tlb_tags(unsigned int n);
struct host_tag_load {
	unsigned int tag;
	bool keep;
};
struct host_tag_load host_loaded_tag(unsigned int cpu);

/*
 * Makes every n-th arch_hypercall_preempt_check() (on any CPU) answer
 * true, counting from now; 0 (the default) never.
 */
void host_preempt_every(unsigned int n);

/* Arms (jb) or disarms (NULL) this thread's panic hook. */
void host_expect_panic(jmp_buf *jb);

/* The message of the last panic on this thread, "" if none. */
const char *host_panic_message(void);

#endif
