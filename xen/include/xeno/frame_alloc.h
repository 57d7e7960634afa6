/* SPDX-License-Identifier: MIT */
/*
 * The frame allocator: a buddy allocator over all free RAM, blocks of
 * 2^order frames for order 0..FRAME_MAX_ORDER, with per-CPU caches of
 * single frames in front of it (mm/frame_alloc.c).
 *
 * Interface rules:
 *  - Boot calls frame_alloc_init(), then frame_add_free_range() for every
 *    range of usable RAM (any alignment, any order of calls, each frame at
 *    most once), after frame_table_init().
 *  - A block is freed with the order it was allocated with, or frame by
 *    frame (or in any aligned sub-blocks): the allocator tracks every frame.
 *  - The general count must be 0 when a frame is freed. The owner clears
 *    any PGF_XMALLOC/PGF_CACHE it set; the allocator clears them anyway.
 *  - frame_alloc() returns NULL only when no free block of the order is
 *    left anywhere, per-CPU caches included; callers must handle it.
 *  - Double free, freeing a reserved frame or a misaligned block is a
 *    hypervisor bug and panics.
 *
 * Scrubbing: a frame is dirty (PGF_SCRUB) from boot until it is zeroed
 * and again whenever it is freed, unless freed with FF_CLEAN (its caller
 * guarantees zeroes; debug builds check). A free frame without PGF_SCRUB
 * is clean: all zeros (debug builds check wherever that is relied on).
 * FA_ZERO and FA_DOMAIN zero the dirty frames of the block and return it
 * all zero, so a domain never sees another's data; with neither, contents
 * are undefined. Idle CPUs zero free memory ahead of time (the stash,
 * frame_scrub_idle), so that domain memory usually needs no zeroing.
 *
 * Locks: one global heap lock and one lock per per-CPU cache, both of
 * rank LOCK_RANK_HEAP and never held together; callers may hold locks of
 * lower rank (xmalloc's, a domain's).
 */
#ifndef XENO_FRAME_ALLOC_H
#define XENO_FRAME_ALLOC_H

#include <xeno/frame.h>
#include <xeno/types.h>

/* The largest block: 2^18 frames, 1 GiB. */
#define FRAME_MAX_ORDER 18

/* frame_alloc() flags. */
#define FA_ZERO	  0x1 /* zero every frame of the block */
#define FA_DOMAIN 0x2 /* for a domain: zero the frames that are dirty */

/* frame_free() flags. */
#define FF_SCRUB 0x1 /* contents must not leak (every free frame is now) */
#define FF_CLEAN 0x2 /* the frames are all zero: no scrub needed */

/*
 * The stash: up to FRAME_STASH_BLOCKS zeroed blocks of FRAME_STASH_ORDER
 * (a domain's 2 MiB memory chunks), filled by idle CPUs in pieces of
 * FRAME_SCRUB_PIECE frames (the most an idle CPU zeroes between two
 * looks at its run queue, interrupts off).
 */
#define FRAME_STASH_ORDER  9
#define FRAME_STASH_FRAMES (1ULL << FRAME_STASH_ORDER)
#define FRAME_STASH_BLOCKS 16
#define FRAME_SCRUB_PIECE  16

/* Single frames each per-CPU cache holds, and how many move at a time. */
#define FRAME_CACHE_SIZE  64
#define FRAME_CACHE_BATCH 32

/* Counters summed over all CPUs; they only grow. */
struct frame_stats {
	uint64_t allocs;     /* successful frame_alloc() calls */
	uint64_t frees;	     /* frame_free() calls */
	uint64_t heap_locks; /* acquisitions of the global heap lock */
	uint64_t cache_hits; /* order-0 allocs served by the own CPU's cache */
	uint64_t refills;    /* batches moved from the buddy to a cache */
	uint64_t drains;     /* batches moved from a cache to the buddy */
	uint64_t failures;   /* frame_alloc() calls that returned NULL */
	uint64_t stash_hits; /* zeroed allocations served from the stash */
	uint64_t scrubbed;   /* frames zeroed ahead of time by idle CPUs */
};

/* Empties the allocator: no free frames, counters zero. */
void frame_alloc_init(void);

/* Hands frames [start, start + nr) of RAM, now reserved, to the allocator. */
void frame_add_free_range(mfn_t start, uint64_t nr);

/*
 * Allocates 2^order contiguous frames aligned to 2^order frames and
 * returns the page_info of the first, PGF_ALLOCATED with count 0; or NULL.
 */
struct page_info *frame_alloc(unsigned int order, unsigned int flags);

/* Frees the 2^order frames starting at pg (see the rules above). */
void frame_free(struct page_info *pg, unsigned int order, unsigned int flags);

/* Free frames, including those parked in per-CPU caches and the stash. */
uint64_t frame_free_count(void);

/*
 * Lets idle CPUs fill the stash (called once domains run; boot-time self
 * tests and benchmarks see the buddy alone).
 */
void frame_scrub_enable(void);

/*
 * Test only (the test_scrub_delay_us option): an idle CPU that takes a
 * new block out of the buddy for the stash waits ns before it marks the
 * block allocated, widening the window in which the frame table shows
 * the block in no state (which every audit must not run into).
 */
void frame_scrub_set_test_delay(uint64_t ns);

/*
 * Called by an idle CPU: zeroes one piece of free memory for the stash.
 * Returns whether it did (then the CPU should look for work again before
 * it halts), false when there is nothing to do.
 */
bool frame_scrub_idle(void);

/* Frames ever handed to the allocator by frame_add_free_range(). */
uint64_t frame_total_count(void);

/* Free blocks of exactly this order in the buddy (not in caches). */
uint64_t frame_free_blocks(unsigned int order);

/*
 * Returns every frame in the cache of the given CPU to the buddy. Safe
 * from any CPU, concurrently with that CPU's allocations.
 */
void frame_cache_drain(unsigned int cpu);

/* Drains the caches of all CPUs (e.g. before a large allocation). */
void frame_cache_drain_all(void);

/* Reads the counters, summed over all CPUs. */
void frame_alloc_stats(struct frame_stats *out);

/*
 * Walks the whole frame table and checks the allocator's invariants
 * (mm/frame_alloc.c) against its counters. Must run while nothing else
 * allocates. Returns 0 if all hold, -1 (after printing the first broken
 * one) otherwise.
 */
int frame_alloc_audit(void);

/*
 * Allocates every free frame in mixed orders, checks none is handed out
 * twice, frees them and checks the buddy is back to its starting shape.
 * Must run while nothing else allocates. Returns 0 on success, -1 (after
 * printing why) on failure.
 */
int frame_alloc_selftest(void);

#endif
