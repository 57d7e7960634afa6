/* SPDX-License-Identifier: MIT */
/*
 * The frame table: one struct page_info for every machine frame, indexed
 * by machine frame number. It owns nothing but the per-frame state; the
 * frame allocator (frame_alloc.h), xmalloc, the page-type machine (ptype.h)
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
 * it. A domain's frames: its lock guards its page list, and the counts
 * and type word change only atomically (mm_domain.h, ptype.h).
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
 * PGF_XMALLOC, PGF_CACHE and PGF_DOMAIN refine PGF_ALLOCATED.
 */
#define PGF_FREE      0x01 /* head frame of a free buddy block */
#define PGF_RESERVED  0x02 /* hypervisor image, firmware or hole: never free */
#define PGF_ALLOCATED 0x04 /* handed out by frame_alloc() */
#define PGF_SCRUB     0x08 /* contents dirty: zero before a domain gets it */
#define PGF_XMALLOC   0x10 /* allocated to the hypervisor heap (xmalloc) */
#define PGF_CACHE     0x20 /* held by the buffer cache (later) */
#define PGF_PERCPU    0x40 /* free, parked in a per-CPU single-frame cache */
#define PGF_DOMAIN    0x80 /* allocated to a domain (mm/mm_domain.c) */

/*
 * Page types (page_info.type_info), owned by the page-type machine
 * (mm/ptype.c, whose transition table says which combinations occur):
 *
 *   63..61  type                 PGT_none, PGT_l1 .. PGT_l4, ...
 *   60      PGT_pinned           the guest pinned the type (holds 1 ref)
 *   59      PGT_validated        every entry checked for this type
 *   58      PGT_partial          validation stopped at a preemption point;
 *                                the index says where it resumes
 *   57      PGT_busy             a CPU is validating or devalidating now
 *   56..47  index                next entry to validate (0..512), valid
 *                                while PGT_partial or PGT_busy
 *   46      PGT_linear_in        the linear count counts linear entries
 *                                elsewhere pointing here (else: linear
 *                                entries in this table)
 *   45..32  linear count         §9.7 bookkeeping, see mm/pte.c
 *   31..0   type count           type references
 *
 * While a frame is idle (type count 0, neither busy nor partial), bits
 * 56..32 hold instead its TLB stamp (mm/tlb.c): the TLB clock when its
 * last use of the stale type ended, 0 if it never had one. A change of
 * type flushes the CPUs that may still cache entries from before it.
 * A domain frame is freed with nothing but the stamp of its release in
 * type_info; the free pool keeps it (mm/frame_alloc.c), and the frame's
 * next allocation flushes what guests may still cache of it.
 *
 * Other frames keep type_info 0 (xmalloc slabs reuse the word).
 */
#define PGT_type_shift	 61
#define PGT_none	 (0ULL << PGT_type_shift) /* no type yet */
#define PGT_l1		 (1ULL << PGT_type_shift) /* L1 page table */
#define PGT_l2		 (2ULL << PGT_type_shift) /* L2 page table */
#define PGT_l3		 (3ULL << PGT_type_shift) /* L3 page table */
#define PGT_l4		 (4ULL << PGT_type_shift) /* L4 page table */
#define PGT_seg_desc	 (5ULL << PGT_type_shift) /* GDT/LDT frame */
#define PGT_writable	 (7ULL << PGT_type_shift) /* guest-writable data */
#define PGT_type_mask	 (7ULL << PGT_type_shift)
#define PGT_pinned	 (1ULL << 60) /* the guest pinned the type */
#define PGT_validated	 (1ULL << 59) /* every entry checked for this type */
#define PGT_partial	 (1ULL << 58) /* validation preempted at index */
#define PGT_busy	 (1ULL << 57) /* being (de)validated by a CPU now */
#define PGT_index_shift	 47
#define PGT_index_mask	 (0x3ffULL << PGT_index_shift)
#define PGT_linear_in	 (1ULL << 46) /* linear count is incoming refs */
#define PGT_linear_shift 32
#define PGT_linear_mask	 (0x3fffULL << PGT_linear_shift)
#define PGT_count_mask	 ((1ULL << 32) - 1)
#define PGT_stamp_shift	 32 /* idle frames: the TLB stamp */
#define PGT_stamp_mask	 (0x1ffffffULL << PGT_stamp_shift)

struct page_info {
	/*
	 * Free (PGF_FREE head): link in the buddy free list of its order.
	 * Allocated: free for the owner, later the owning domain's page list
	 * or xmalloc's list of partly used slabs. Otherwise unused.
	 */
	struct list_head list;

	/*
	 * count, owner, order and flags also form one 64-bit word, so that
	 * the domain code (mm/mm_domain.c) can take a general reference only
	 * if the frame is still a live frame of the expected domain, in one
	 * compare-and-swap. Nobody else needs count_word.
	 */
	union {
		struct {
			/*
			 * Allocated: general reference count, maintained by
			 * the owner; 0 when the frame is allocated and must
			 * be 0 again when it is freed. xmalloc slab frames
			 * use it for the number of objects in use. Domain
			 * frames (PGF_DOMAIN) change it only atomically.
			 */
			uint32_t count;

			/* Allocated: the owning domain (domid_t); 0 while free. */
			uint16_t owner;

			/*
			 * Free (PGF_FREE head): the buddy order of the block.
			 * Allocated (head frame): the order frame_alloc()
			 * handed the block out with, which the owner may
			 * overwrite (xmalloc keeps its size class here).
			 * Domain frames (PGF_DOMAIN): PGO_* flags, changed
			 * only by compare-and-swap of count_word.
			 */
			uint8_t order;

			/* Every state: PGF_* above. */
			uint8_t flags;
		};
		uint64_t count_word;
	};

	/*
	 * Allocated to a domain: page type, PGT_pinned/PGT_validated and the
	 * type count. Allocated to xmalloc as a slab: the free-object list
	 * head (xmalloc.c). Free: 0.
	 */
	uint64_t type_info;
};

_Static_assert(sizeof(struct page_info) == 32, "page_info must be 32 bytes");
_Static_assert(offsetof(struct page_info, count) == 16 &&
		       offsetof(struct page_info, count_word) == 16 &&
		       offsetof(struct page_info, flags) == 23,
	       "count_word must cover count, owner, order and flags");
/* One 16-byte compare-and-swap covers both (mm/writable_ref.c). */
_Static_assert(offsetof(struct page_info, type_info) == 24,
	       "type_info must follow count_word in one aligned 16 bytes");

/* The parts of page_info.count_word (x86 is little-endian). */
#define PCW_COUNT_MASK	0xffffffffULL
#define PCW_OWNER_SHIFT 32
#define PCW_ORDER_SHIFT 48
#define PCW_FLAGS_SHIFT 56

/*
 * Domain frames' order byte (mm/superpage.c): the frame was released
 * while a superpage mapped it, and its region holds the allocation
 * reference (one general reference) until the last such superpage goes.
 */
#define PGO_SP_HELD 0x01

/*
 * Domain frames' order byte (mm/mm_domain.c): the domain released the
 * frame but it is still allocated (mapped, held by a superpage, or in
 * use by another domain): it sits on the domain's released list and
 * counts against its max_pages until its last reference goes.
 */
#define PGO_RELEASED 0x02

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
