/* SPDX-License-Identifier: MIT */
/*
 * The frame table: one struct page_info for every machine frame, indexed
 * by machine frame number. It owns nothing but the per-frame state; the
 * frame allocator (frame_alloc.h), xmalloc and later the page-type machine
 * and the buffer cache each own some of the fields while a frame is in
 * their hands, as the comments below say.
 *
 * Interface rules:
 *  - Boot calls frame_table_init() once, before anything else touches a
 *    page_info; every frame then starts PGF_RESERVED and becomes usable
 *    only when boot hands it to frame_add_free_range().
 *  - Convert between frames and their page_info only with mfn_to_page()
 *    and page_to_mfn(); mfn_valid() says whether a frame has an entry.
 *  - A field may be read or written only in the state its comment names,
 *    by the owner of that state.
 *
 * Locks: the table has no lock of its own. Free frames are protected by
 * the allocator's locks; an allocated frame belongs to whoever allocated
 * it (later: the owning domain's lock and atomic counts).
 */
#ifndef XENO_FRAME_H
#define XENO_FRAME_H

#include <xeno/lib.h>
#include <xeno/list.h>
#include <xeno/types.h>

/*
 * Frame state flags (page_info.flags). Exactly one of PGF_RESERVED,
 * PGF_ALLOCATED, PGF_PERCPU, or "free" (PGF_FREE on the head frame of a
 * free buddy block, no state flag on the block's other frames) describes
 * where a frame is. PGF_SCRUB may accompany any state except reserved;
 * PGF_XMALLOC and PGF_CACHE refine PGF_ALLOCATED.
 */
#define PGF_FREE      0x01 /* head frame of a free buddy block */
#define PGF_RESERVED  0x02 /* hypervisor image, firmware or hole: never free */
#define PGF_ALLOCATED 0x04 /* handed out by frame_alloc() */
#define PGF_SCRUB     0x08 /* contents dirty: zero before a domain gets it */
#define PGF_XMALLOC   0x10 /* allocated to the hypervisor heap (xmalloc) */
#define PGF_CACHE     0x20 /* held by the buffer cache (later) */
#define PGF_PERCPU    0x40 /* free, parked in a per-CPU single-frame cache */

/*
 * Page types (page_info.type_info). The type sits in the top three bits,
 * then two state bits; the low 32 bits count type references. The
 * page-type machine that uses them is a later file; until then every
 * frame's type_info is 0 (PGT_none, count 0).
 */
#define PGT_type_shift 61
#define PGT_none       (0ULL << PGT_type_shift) /* no type yet */
#define PGT_l1	       (1ULL << PGT_type_shift) /* L1 page table */
#define PGT_l2	       (2ULL << PGT_type_shift) /* L2 page table */
#define PGT_l3	       (3ULL << PGT_type_shift) /* L3 page table */
#define PGT_l4	       (4ULL << PGT_type_shift) /* L4 page table */
#define PGT_seg_desc   (5ULL << PGT_type_shift) /* GDT/LDT frame */
#define PGT_writable   (7ULL << PGT_type_shift) /* guest-writable data */
#define PGT_type_mask  (7ULL << PGT_type_shift)
#define PGT_pinned     (1ULL << 60) /* the guest pinned the type */
#define PGT_validated  (1ULL << 59) /* every entry checked for this type */
#define PGT_count_mask ((1ULL << 32) - 1)

struct page_info {
	/*
	 * Free (PGF_FREE head): link in the buddy free list of its order.
	 * Allocated: free for the owner, later the owning domain's page list
	 * or xmalloc's list of partly used slabs. Otherwise unused.
	 */
	struct list_head list;

	/*
	 * Allocated: general reference count, maintained by the owner; 0
	 * when the frame is allocated and must be 0 again when it is freed.
	 * xmalloc slab frames use it for the number of objects in use.
	 */
	uint32_t count;

	/* Allocated: the owning domain (domid_t); 0 while free. */
	uint16_t owner;

	/*
	 * Free (PGF_FREE head): the buddy order of the block. Allocated
	 * (head frame): the order frame_alloc() handed the block out with,
	 * which the owner may overwrite (xmalloc keeps its size class here).
	 */
	uint8_t order;

	/* Every state: PGF_* above. */
	uint8_t flags;

	/*
	 * Allocated to a domain: page type, PGT_pinned/PGT_validated and the
	 * type count. Allocated to xmalloc as a slab: the free-object list
	 * head (xmalloc.c). Free: 0.
	 */
	uint64_t type_info;
};

_Static_assert(sizeof(struct page_info) == 32, "page_info must be 32 bytes");

/* The table itself and its length (frames 0 .. frame_table_nr - 1). */
extern struct page_info *frame_table;
extern uint64_t frame_table_nr;

/* Bytes of memory a frame table for nr_frames needs, whole pages. */
size_t frame_table_bytes(uint64_t nr_frames);

/*
 * Makes mem (frame_table_bytes(nr_frames) bytes, any contents) the frame
 * table, with every frame PGF_RESERVED.
 */
void frame_table_init(void *mem, uint64_t nr_frames);

/* Whether the frame has an entry in the frame table. */
static inline bool mfn_valid(mfn_t m)
{
	return mfn_x(m) < frame_table_nr;
}

static inline struct page_info *mfn_to_page(mfn_t m)
{
	ASSERT(mfn_valid(m));
	return &frame_table[mfn_x(m)];
}

static inline mfn_t page_to_mfn(const struct page_info *pg)
{
	ASSERT(pg >= frame_table && pg < frame_table + frame_table_nr);
	return mfn((uint64_t)(pg - frame_table));
}

#endif
