/* SPDX-License-Identifier: MIT */
/*
 * The frame table (see xeno/frame.h): its storage and its initial state.
 *
 * Boot sizes it with frame_table_bytes(), finds that much memory, and calls
 * frame_table_init() once. Every frame starts reserved, so a frame that
 * boot never hands to the allocator (the hypervisor image, the frame table
 * itself, firmware areas, holes in the memory map) can never be allocated.
 *
 * Locks: none; initialisation runs on one CPU before any other user.
 */
#include <xeno/frame.h>
#include <xeno/lib.h>

struct page_info *frame_table;
uint64_t frame_table_nr;

size_t frame_table_bytes(uint64_t nr_frames)
{
	return ROUND_UP((size_t)nr_frames * sizeof(struct page_info),
			PAGE_SIZE);
}

void frame_table_init(void *mem, uint64_t nr_frames)
{
	struct page_info *table = mem;
	uint64_t i;

	BUG_ON(mem == NULL && nr_frames != 0);
	/* count_word and type_info: one 16-byte aligned pair (frame.h). */
	BUG_ON(((uintptr_t)mem & 15) != 0);
	if (nr_frames != 0) {
		memset(mem, 0, frame_table_bytes(nr_frames));
	}
	for (i = 0; i < nr_frames; i++) {
		list_init(&table[i].list);
		table[i].flags = PGF_RESERVED;
	}
	frame_table = table;
	frame_table_nr = nr_frames;
}
