/* SPDX-License-Identifier: MIT */
/*
 * What the memory manager knows about a vCPU (mm/mm_vcpu.c): its two
 * page-table roots (pv-abi §8.4), which one is active, the CPU it runs
 * on, its LDT setting and its last MMU refusal. The domain code embeds a
 * struct mm_vcpu in each vCPU; host tests use it on its own.
 *
 * Interface rules:
 *  - A root is an L4 of the vCPU's domain holding a general and an L4
 *    type reference for as long as it is installed; INVALID_MFN is none.
 *    The kernel root is active in kernel mode, the user root in user
 *    mode. A vCPU enters user mode only with a user root (the caller of
 *    mm_vcpu_set_mode checks: without one, the guest is crashed).
 *  - Only the vCPU itself changes its roots and mode (hypercalls, bounce,
 *    iret), or anyone while it is not running (VCPUOP_initialise,
 *    teardown). The scheduler calls mm_vcpu_switch() on the CPU that
 *    switches, and nobody else changes which vCPU is current there.
 *  - Whenever the active root of the vCPU current on this CPU changes,
 *    Xeno loads it with arch_load_root() before the old root's references
 *    go; a CPU with no vCPU runs on the hypervisor's own tables
 *    (arch_load_root(INVALID_MFN)).
 *  - d->dirty_cpus and the vCPU's dirty_cpus collect every CPU that ran
 *    it since that CPU's last full TLB flush (mm/tlb.c clears them).
 *
 * Locks: none. Roots change only on the vCPU's own CPU (or while it is
 * off every CPU); the per-CPU current pointers are read by other CPUs'
 * shootdowns with atomic loads.
 */
#ifndef XENO_MM_VCPU_H
#define XENO_MM_VCPU_H

#include <xeno/cpumask.h>
#include <xeno/mm_domain.h>
#include <xeno/mm_ldt.h>
#include <xeno/mm_why.h>
#include <xeno/types.h>

struct mm_vcpu {
	struct mm_domain *d;
	unsigned int id;

	/* L4s holding a general + an L4 type reference, or INVALID_MFN. */
	mfn_t kernel_root, user_root;
	bool user_mode; /* which root is active */
	int cpu;	/* CPU it runs on, -1 when not running */

	/* CPUs that ran it since their last full TLB flush (mm/tlb.c). */
	cpumask_t dirty_cpus;

	/*
	 * Root installs so far (mm_vcpu_set_root), written by the vCPU's
	 * own CPU or while it runs nowhere: a tag cached under an older
	 * value drops its entries at its next load (mm/tlb_tag.c), as the
	 * guest's CR3 write would.
	 */
	uint64_t tlb_gen;

	/*
	 * MMUEXT_SET_LDT: the LDT's address, entry count (0: none) and
	 * the descriptor-page references on its frames (xeno/mm_ldt.h).
	 */
	struct mm_ldt ldt;

	struct mm_why why; /* the last refusal (mm_why.h) */

	/*
	 * A table whose devalidation one of its hypercalls started (an
	 * unpin, an old root) and that stopped at a preemption point: the
	 * vCPU holds a general reference on it and finishes it before its
	 * next mmuext_op element (mm_vcpu_finish_put). At most one; NULL if
	 * none. Only the vCPU itself (or its teardown) touches it.
	 */
	struct page_info *put_pending;

	/*
	 * Roots VCPUOP_initialise validated for this vCPU before it was
	 * initialised ([0] kernel, [1] user), each holding a general and an
	 * L4 type reference, or INVALID_MFN. They stay across the call's
	 * continuations, so a root validated in one part is not validated
	 * again in the next; the call's commit installs them and drops
	 * these references, a failed call drops them (preemptibly, through
	 * put_pending). Only the call holding the vCPU's initialising claim
	 * (pv/vcpu_context.c), or the vCPU's teardown, touches them.
	 */
	mfn_t prepared[2];
};

/*
 * A number naming v among every vCPU of every domain since boot (domain
 * serials are never reused), nonzero: keys of the TLB layer's per-CPU
 * records (mm/tlb.c, mm/tlb_tag.c).
 */
static inline uint64_t mm_vcpu_key(const struct mm_vcpu *v)
{
	return ((v->d->serial << 6) | v->id) + 1;
}

/* Makes v vCPU id of d, with no roots, not running; registers it. */
void mm_vcpu_init(struct mm_vcpu *v, struct mm_domain *d, unsigned int id);

/* Drops both roots and the LDT and unregisters v (not running). */
void mm_vcpu_fini(struct mm_vcpu *v);

/*
 * Teardown of a vCPU that no longer runs, one bounded step
 * (PTYPE_STEP_ENTRIES entries) at a time: drops its roots and finishes
 * its pending put. Returns -EAGAIN until nothing is left, then 0. Without
 * it, mm_vcpu_fini() devalidates whatever the roots held (and finishes a
 * pending put) in one go.
 */
int mm_vcpu_release_step(struct mm_vcpu *v);

/*
 * Continues v's pending put (flags: PTYPE_PREEMPTIBLE or 0). Returns 0
 * when there is none (any more), or -EAGAIN.
 */
int mm_vcpu_finish_put(struct mm_vcpu *v, unsigned int flags);

/*
 * MMUEXT_NEW_BASEPTR (user false) / MMUEXT_NEW_USER_BASEPTR (user true):
 * makes the L4 m the vCPU's root; for the user root, m = 0 means none.
 * Takes the new references (validating m if needed) before dropping the
 * old ones, and loads m if v is current on this CPU and that root is the
 * active one. flags: PTYPE_PREEMPTIBLE allowed. Returns 0; -EINVAL if m
 * is not an L4 of v's domain (see ptype_get); -EAGAIN (preemptible); or
 * the validation's error. Nothing changes on failure. Preemptible, the
 * old root's devalidation may stop too: the call still succeeds, with
 * the old root left in v->put_pending.
 */
int mm_vcpu_set_root(struct mm_vcpu *v, bool user, mfn_t m, unsigned int flags);

/*
 * The guest kernel's MOV to CR3 (emulated, pv-abi §8.12): the kernel
 * root becomes m, preemptibly, for v running here. Finishes v's pending
 * put first, then mm_vcpu_set_root(v, false, m, PTYPE_PREEMPTIBLE).
 * Returns 0 (done); -EAGAIN: re-execute the instruction (a devalidation
 * or the validation of m stopped; the old root's devalidation may be
 * pending, with m installed already, and a re-execution finishes it and
 * then only reloads m); or the error of mm_vcpu_set_root (nothing
 * changed).
 */
int mm_vcpu_write_cr3(struct mm_vcpu *v, mfn_t m);

/*
 * VCPUOP_initialise, one root of a vCPU that was never initialised: makes
 * m (an L4 of v's domain; INVALID_MFN: none) v's prepared kernel or user
 * root, validating it preemptibly. A root prepared earlier for that slot
 * is kept if it is m and dropped first otherwise. v's pending put is
 * finished first. Returns 0; -EAGAIN (stopped: call it again, the
 * progress is kept, partly in m's PARTIAL state); -EINVAL if m is no L4
 * of v's domain (see ptype_get); or the validation's error.
 */
int mm_vcpu_prepare_root(struct mm_vcpu *v, bool user, mfn_t m);

/*
 * Drops v's prepared roots, preemptibly. Returns 0 when none is left (and
 * v has no pending put), or -EAGAIN: call it again.
 */
int mm_vcpu_drop_prepared(struct mm_vcpu *v);

/* Kernel <-> user switch (bounce, iret): loads the other root. */
void mm_vcpu_set_mode(struct mm_vcpu *v, bool user);

/*
 * The scheduler put next (NULL: nothing, idle) on this CPU in place of
 * prev (NULL: it was idle): records it as current, marks the CPU in
 * next's dirty masks and loads next's active root.
 */
void mm_vcpu_switch(struct mm_vcpu *prev, struct mm_vcpu *next);

/* The vCPU current on this CPU, NULL if none. */
struct mm_vcpu *mm_vcpu_current(void);

/* The vCPU current on cpu (an atomic snapshot), for shootdowns. */
struct mm_vcpu *mm_vcpu_current_on(unsigned int cpu);

/*
 * How many times cpu switched vCPUs since boot (an atomic snapshot):
 * mm/tlb.c tells from it whether a CPU ran something new meanwhile.
 */
uint64_t mm_vcpu_switches(unsigned int cpu);

/* The root of v's current mode, INVALID_MFN if none. */
mfn_t mm_vcpu_active_root(const struct mm_vcpu *v);

/* Forgets every CPU's current vCPU (host tests recreating the machine). */
void mm_vcpu_reset_cpus(void);

#endif
