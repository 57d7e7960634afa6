/* SPDX-License-Identifier: MIT */
/*
 * Guest superpages (mm/superpage.c): 2 MiB (L2 entry with PS) and 1 GiB
 * (L3 entry with PS) mappings of a domain's own memory, checked in O(1)
 * through one record per aligned machine region instead of a reference
 * on each of the 512 (or 262144) frames beneath.
 *
 * The rule (docs/mm.md §13): a superpage entry of a table owned by d is
 * valid only if every frame of its region is on d's page list and none
 * is in use as a page table or descriptor page; while any superpage maps
 * a region, no frame of it can become one.
 *
 * Interface rules:
 *  - mm_domain.c reports every frame joining or leaving a domain's page
 *    list (superpage_assign / superpage_unassign), the page-type machine
 *    every frame entering or leaving a table or descriptor type
 *    (superpage_table_begin / _abort / _end), and pte.c every superpage
 *    entry taken or dropped (superpage_get / superpage_put).
 *  - A frame released while a superpage maps its region is not freed:
 *    superpage_hold() keeps its allocation reference until the last
 *    superpage over it goes, then drops it.
 *  - The records are allocated at boot (superpage_records_init), one
 *    per region, all zero.
 *
 * Locks: the records change by compare-and-swap; a leaf lock serialises
 * holding frames with releasing them (nothing is taken inside it).
 */
#ifndef XENO_SUPERPAGE_H
#define XENO_SUPERPAGE_H

#include <xeno/frame.h>
#include <xeno/mm_domain.h>
#include <xeno/types.h>

/* Region levels: 2 = 2 MiB (L2 entry), 3 = 1 GiB (L3 entry). */
#define SP_ORDER(level)	 (9U * ((level)-1U))
#define SP_FRAMES(level) (1ULL << SP_ORDER(level))

/*
 * One aligned region of SP_FRAMES(level) machine frames. Invariants,
 * checked from scratch by superpage_audit():
 *
 *   own.total   frames of the region on some domain's page list
 *   own.owner   the domain of the first of them to join after total was
 *               0; valid while total > 0
 *   own.owned   frames of the region on own.owner's page list (so the
 *               region is wholly d's iff owner = d and owned = all)
 *   use.tables  frames of the region whose type is a page table or
 *               descriptor type in use (type count > 0, or being
 *               (de)validated, or partly validated)
 *   use.maps    superpage entries (of this level) mapping the region in
 *               validated or partly validated tables
 *   held        (2 MiB records) frames of the region released by their
 *               domain while a superpage covered them, whose allocation
 *               reference the region keeps (PGO_SP_HELD); nonzero only
 *               while this region's or its 1 GiB region's maps > 0
 *
 * use.tables and use.maps are never both nonzero. own and use are
 * separate words; superpage_get() re-reads own after taking its map
 * reference, which is what makes the pair safe (see mm/superpage.c).
 */
struct sp_region {
	uint64_t own;	      /* owner 0..15, owned 16..35, total 36..55 */
	uint64_t use;	      /* tables 0..19, maps 20..51 */
	uint32_t held;	      /* under the hold lock; read atomically */
	uint32_t map_stamp;   /* TLB stamp: a superpage entry went */
	uint32_t table_stamp; /* TLB stamp: a table frame went idle */
	uint32_t pad;
};

/*
 * Allocates zeroed records for the frame table's frames (from the heap,
 * at boot: mm_domain_registry_init, before any frame joins a domain).
 * Returns 0 or -ENOMEM. A host test recreating the machine calls it
 * again; the old records went with the old machine's memory.
 */
int superpage_records_init(void);

/* Whether guests may use 2 MiB and 1 GiB superpages (boot, CPU support). */
void superpage_configure(bool two_mb, bool one_gb);

/* pg joins / leaves d's page list (mm_domain.c, under d->lock). */
void superpage_assign(struct page_info *pg, domid_t d);
void superpage_unassign(struct page_info *pg, domid_t d);

/* The same for n frames of the 2 MiB region pg lies in (pg among them). */
void superpage_assign_n(struct page_info *pg, uint64_t n, domid_t d);
void superpage_unassign_n(struct page_info *pg, uint64_t n, domid_t d);

/*
 * pg, just taken off its domain's list and without pin or partial
 * validation, is about to lose its allocation reference. Returns true if
 * a superpage still maps it: the region then keeps that reference, and
 * drops it when the last superpage over it goes; false: the caller drops
 * it now.
 */
bool superpage_hold(struct page_info *pg);

/*
 * Whether a superpage maps pg's region now. Once pg is off its domain's
 * page list the region gains no new superpage, so false stays false.
 */
bool superpage_covered(const struct page_info *pg);

/*
 * pg is about to take a page-table or descriptor type (from idle).
 * Returns 0, or -EINVAL (reason noted) while a superpage maps its region.
 * _abort undoes a begin whose transition did not happen; _end is called
 * when the frame leaves that type (goes idle).
 */
int superpage_table_begin(struct page_info *pg, uint64_t type);
void superpage_table_abort(struct page_info *pg);
void superpage_table_end(struct page_info *pg);

/*
 * A present PS entry e of a level-2 or level-3 table of d: checks the
 * region and takes its map reference. Returns 0 or -EINVAL (reason
 * noted). superpage_put drops what a stored entry holds.
 */
int superpage_get(unsigned int level, uint64_t e, const struct mm_domain *d);
void superpage_put(unsigned int level, uint64_t e);

/* The first frame of the region a PS entry of the level maps. */
mfn_t superpage_mfn(unsigned int level, uint64_t e);

/* The region record of the level holding frame m (m valid). */
struct sp_region *superpage_region(unsigned int level, mfn_t m);

/* Counters since boot or superpage_stats_reset(). */
struct superpage_stats {
	uint64_t maps;	     /* superpage entries taken */
	uint64_t unmaps;     /* dropped */
	uint64_t refused;    /* refused (any reason) */
	uint64_t holds;	     /* frames released under a superpage, kept */
	uint64_t hold_drops; /* of those, let go when the last one went */
};
void superpage_stats_read(struct superpage_stats *out);
void superpage_stats_reset(void);

/*
 * The audit's part (mm_audit.c): checks every record against values
 * recomputed from the frame table, the page lists and the superpage
 * entries mm_audit found (maps2/maps3 per region, counted by the
 * caller). Returns 0 or -1 after printing the first mismatch.
 */
int superpage_audit(const uint32_t *maps2, const uint32_t *maps3);

/* How many records of the level exist. */
uint64_t superpage_nr_regions(unsigned int level);

#endif
