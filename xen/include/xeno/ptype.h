/* SPDX-License-Identifier: MIT */
/*
 * The page-type machine (mm/ptype.c): type references, validation and
 * devalidation of page tables, pinning (docs/pv-abi.md §9.1-9.4).
 *
 * Interface rules:
 *  - A type reference is always held together with a general reference:
 *    take the general one first (page_get) and drop it last, or use
 *    page_get_and_type()/page_put_and_type().
 *  - A frame has one type at a time and changes it only when its type
 *    count is 0. The first reference of a page-table type validates the
 *    frame; dropping the last one devalidates it, releasing everything
 *    its entries hold.
 *  - With PTYPE_PREEMPTIBLE a validation may stop and return -EAGAIN; the
 *    frame keeps its progress, and the caller must repeat the same call
 *    later (a hypercall continuation). Whoever asks for that type next
 *    continues the validation, so a repeated call never loses work.
 *    Without the flag, validations run to the end. Devalidations stop
 *    only in ptype_put_preemptible and the _deferred calls below, whose
 *    caller keeps the frame and continues with ptype_finish_put.
 *  - ptype_pin/unpin are the checks and actions of MMUEXT_PIN_Ln_TABLE
 *    and MMUEXT_UNPIN_TABLE, with their error codes.
 *
 * Locks: none. Type words change by compare-and-swap; a CPU that finds a
 * frame being (de)validated by another CPU waits for it (validation only
 * ever waits on tables of lower levels, so waits cannot form a cycle).
 */
#ifndef XENO_PTYPE_H
#define XENO_PTYPE_H

#include <xeno/frame.h>
#include <xeno/mm_domain.h>
#include <xeno/types.h>

/* ptype_get() / ptype_pin() flags. */
#define PTYPE_PREEMPTIBLE 0x1 /* may return -EAGAIN (continuation) */
#define PTYPE_NESTED	  0x2 /* internal: inside another validation */

/* The largest type count; ptype_get fails beyond it. */
#define PTYPE_COUNT_MAX 0xffffffffU

/*
 * Takes a type reference of type (PGT_l1..PGT_l4, PGT_seg_desc or
 * PGT_writable) on pg,
 * validating pg first if this is the first one. d owns pg (the caller
 * holds a general reference); it may be NULL for PGT_writable. Returns 0;
 * -EINVAL if pg has another type in use, or its count would overflow, or
 * it would need validating but is no longer on d's page list (given back);
 * -EAGAIN (preemptible only); or the first failing entry's error.
 */
int ptype_get(struct page_info *pg, uint64_t type, struct mm_domain *d,
	      unsigned int flags);

/*
 * ptype_get, for callers that can continue a failed validation's release
 * (a vCPU's pending put, NULL on entry). With PTYPE_PREEMPTIBLE, a
 * validation that fails releases what it validated preemptibly, and if
 * that stops, the function still returns the entry's error, with
 * *failed = pg left half-devalidated and holding a general reference of
 * its own: finish it with ptype_finish_put(pg, ...) and then page_put(pg),
 * like ptype_put_deferred's pending frame. ptype_get, and this one with
 * *failed taken already, run such a release to the end.
 */
int ptype_get_deferred(struct page_info *pg, uint64_t type, struct mm_domain *d,
		       unsigned int flags, struct page_info **failed);

/*
 * PGT_seg_desc (GDT/LDT frames): the first reference runs check over the
 * frame's 512 descriptors, which returns 0 (after fixing them up in
 * place) or -EINVAL (changing nothing, having noted why). Registered
 * once by the arch at boot; until then the type is always refused.
 */
void ptype_set_seg_desc_check(int (*check)(uint64_t *descs));

/* Drops a type reference; the last one of a page table devalidates it. */
void ptype_put(struct page_info *pg);

/*
 * Preemptible devalidation (docs/mm.md §7). ptype_put_preemptible drops
 * a type reference like ptype_put but may stop the devalidation it
 * starts at a preemption point: it returns -EAGAIN and pg is left
 * PARTIAL, still holding the references of the entries not yet
 * released. The caller, still holding its general reference, must then
 * call ptype_finish_put(pg, PTYPE_PREEMPTIBLE) (its continuation) until
 * it returns 0, and only then drop that reference. ptype_finish_put
 * returns 0 at once if pg is no longer PARTIAL: someone else took it
 * over (a get of its type revalidates it; release and teardown finish
 * it). Returns 0 or -EAGAIN.
 */
int ptype_put_preemptible(struct page_info *pg);
int ptype_finish_put(struct page_info *pg, unsigned int flags);

/*
 * Drops a type and a general reference (a root, a pin) with a
 * preemptible devalidation: *pending is NULL when all is done, or pg when
 * it stopped; the general reference then stays with the caller, for
 * ptype_finish_put and a page_put at the end.
 */
void ptype_put_deferred(struct page_info *pg, struct page_info **pending);

/*
 * Teardown steps: until ptype_budget_end(), preemption points on this
 * CPU (PTYPE_PREEMPTIBLE) fire once entries entries have been looked at,
 * instead of when the arch asks. ptype_budget_end() returns whether the
 * budget was spent. PTYPE_STEP_ENTRIES bounds one step of a domain's
 * teardown.
 */
#define PTYPE_STEP_ENTRIES 4096
void ptype_budget_begin(unsigned int entries);
bool ptype_budget_end(void);

/* page_get(pg, d) then ptype_get(); undoes the first if the second fails. */
int page_get_and_type(struct page_info *pg, struct mm_domain *d, uint64_t type,
		      unsigned int flags);
void page_put_and_type(struct page_info *pg);

/*
 * MMUEXT_PIN_Ln_TABLE: type (PGT_l1..PGT_l4) on d's frame m. Returns 0;
 * -EINVAL if m is not d's frame (on its page list: not one given back),
 * is already pinned, has another type in use or type is not a table type;
 * -EAGAIN (preemptible); or the validation's error.
 */
int ptype_pin(struct mm_domain *d, mfn_t m, uint64_t type, unsigned int flags);

/* ptype_pin, with failed as in ptype_get_deferred. */
int ptype_pin_deferred(struct mm_domain *d, mfn_t m, uint64_t type,
		       unsigned int flags, struct page_info **failed);

/* MMUEXT_UNPIN_TABLE. Returns 0, or -EINVAL if m is not d's or not pinned. */
int ptype_unpin(struct mm_domain *d, mfn_t m);

/*
 * The same with a preemptible devalidation: on 0, *pending is NULL or
 * the frame whose devalidation stopped, with the pin's general reference
 * (see ptype_put_deferred).
 */
int ptype_unpin_deferred(struct mm_domain *d, mfn_t m,
			 struct page_info **pending);

/*
 * Release and teardown (mm_domain_release, after the frame left the page
 * list): drops pg's pin, or abandons its preempted validation, with every
 * reference either held. If another CPU is validating pg right now, waits
 * until it finishes or stops at a preemption point.
 */
void ptype_relinquish(struct page_info *pg);

/*
 * The same with preemptible devalidation (teardown steps): returns 0, or
 * -EAGAIN with *pending = pg holding a general reference of its own, to
 * be finished with ptype_finish_put and then dropped.
 */
int ptype_relinquish_deferred(struct page_info *pg, struct page_info **pending);

/* Snapshots of the type word's parts. */
uint64_t ptype_type(const struct page_info *pg);
uint32_t ptype_count(const struct page_info *pg);
bool ptype_validated(const struct page_info *pg);
bool ptype_pinned(const struct page_info *pg);
bool ptype_partial(const struct page_info *pg);

/*
 * §9.7 bookkeeping: a table may hold linear entries or be the target of
 * linear entries, not both. Each call returns false (changing nothing) if
 * the rule, or the 14-bit count, does not allow it.
 */
bool ptype_linear_out_inc(struct page_info *table);
void ptype_linear_out_dec(struct page_info *table);
bool ptype_linear_in_inc(struct page_info *target);
void ptype_linear_in_dec(struct page_info *target);

/*
 * Takes one more type reference on pg only if it is validated as type
 * with references already (the target of a linear entry). Returns whether
 * it did.
 */
bool ptype_get_validated(struct page_info *pg, uint64_t type);

/*
 * Preemption points fire when arch_hypercall_preempt_check() says so, and
 * (tests) every n entries examined on this CPU (0: never).
 */
void ptype_set_preempt_interval(unsigned int n);

/* Counters since boot (or the last reset), for tests and statistics. */
struct ptype_stats {
	uint64_t validations;	/* validations started */
	uint64_t devalidations; /* page tables devalidated */
	uint64_t preemptions;	/* validations stopped with -EAGAIN */
	uint64_t devalidation_preemptions; /* devalidations stopped */
	uint64_t failed_validations;	   /* validations that found a bad entry
					(their release counts as a
					devalidation) */
	uint64_t stale_flushes; /* changes of type (each flushes the CPUs
				   that may cache the old use, mm/tlb.c) */
};
void ptype_stats_read(struct ptype_stats *out);
void ptype_stats_reset(void);

/*
 * Recomputes every domain frame's general and type counts from scratch
 * (allocation references, pins, preempted validations, the entries of
 * every validated or partly validated table, the vCPUs' roots, and the
 * references registered below) and compares them, and the other
 * type-word invariants, with the running values. Must run while nothing
 * changes frames; references held by anyone else count as mismatches.
 * Returns 0, or -1 after printing the first mismatch.
 */
int mm_audit(void);

/*
 * References held outside the holders mm_audit knows (the hypervisor's
 * own use of a guest frame, a harness's temporary ones): register each
 * while it is held, so that the audit can count it. hold/drop a general
 * reference, hold/drop_typed a general and a type reference together.
 * The registry is a fixed table: holding more than MM_OUTSIDE_REFS
 * distinct frames at once is a hypervisor bug.
 */
#define MM_OUTSIDE_REFS 1024
void mm_hold_outside_ref(struct page_info *pg);
void mm_drop_outside_ref(struct page_info *pg);
void mm_hold_outside_typed_ref(struct page_info *pg);
void mm_drop_outside_typed_ref(struct page_info *pg);

/* Forgets every registered reference (host tests recreating the machine). */
void mm_outside_refs_reset(void);

/*
 * Holders that keep their references in their own structures, too many
 * for the registry (a vCPU's GDT frames): at each audit, walk(add) must
 * call add(m, general, type) once for every reference it holds. One
 * walker, registered at boot (NULL: none).
 */
typedef void (*mm_audit_add_fn)(mfn_t m, uint32_t general, uint32_t type);
void mm_audit_set_walker(void (*walk)(mm_audit_add_fn add));

#endif
