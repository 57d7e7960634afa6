/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor heap (mm/xmalloc.c): small objects from size-classed
 * slabs of single frames, larger ones as whole blocks of frames, all taken
 * from the frame allocator.
 *
 * Interface rules:
 *  - xmalloc(n) returns memory aligned to at least 16 bytes (to the size
 *    class for n <= 2048, to a page above that), or NULL when no frame is
 *    free; xmalloc(0) returns a unique pointer like xmalloc(1).
 *  - xzalloc() is xmalloc() with the memory zeroed.
 *  - xfree(p) takes only pointers xmalloc/xzalloc returned; xfree(NULL)
 *    does nothing. Anything else, or a double free a debug build detects,
 *    panics.
 *  - Requests above 2^FRAME_MAX_ORDER frames fail with NULL.
 *
 * Locks: one lock (LOCK_RANK_XMALLOC) over the size classes; it may be
 * held while the frame allocator takes its locks, never the reverse. Do
 * not call xmalloc while holding a lock of rank >= LOCK_RANK_XMALLOC.
 */
#ifndef XENO_XMALLOC_H
#define XENO_XMALLOC_H

#include <xeno/types.h>

/* The smallest and largest slab size classes; larger requests take frames. */
#define XMALLOC_MIN_SIZE 16
#define XMALLOC_MAX_SLAB 2048

/*
 * Forgets every slab (their frames are not returned). The heap starts
 * empty without it; host builds call it when they recreate the machine.
 */
void xmalloc_init(void);

void *xmalloc(size_t size);
void *xzalloc(size_t size);
void xfree(void *p);

/* Slab frames held by the heap now (all size classes). */
uint64_t xmalloc_slab_frames(void);

#endif
