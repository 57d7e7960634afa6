/* SPDX-License-Identifier: MIT */
/*
 * The machine-to-physical table (see xeno/m2p.h): a flat array of 8-byte
 * PFNs indexed by machine frame number, in one block of contiguous
 * frames, so that entry m is at byte 8m of the block and the arch can
 * map the block as it is.
 *
 * The block is the smallest power of two of frames that holds the table;
 * frames past the table's end go back to the allocator at once.
 *
 * Locks: none; entries are single atomic words.
 */
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/m2p.h>

#define ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(uint64_t))

static struct {
	mfn_t base;	     /* first frame of the table */
	uint64_t nr_entries; /* frames covered */
	uint64_t nr_frames;  /* frames holding it */
} m2p = { { ~0ULL }, 0, 0 };

void m2p_reset(void)
{
	m2p.base = INVALID_MFN;
	m2p.nr_entries = 0;
	m2p.nr_frames = 0;
}

static unsigned int order_for(uint64_t frames)
{
	unsigned int order = 0;

	while ((1ULL << order) < frames) {
		order++;
	}
	return order;
}

int m2p_init(uint64_t nr_frames)
{
	uint64_t frames =
		ROUND_UP(nr_frames, ENTRIES_PER_FRAME) / ENTRIES_PER_FRAME;
	unsigned int order = order_for(frames);
	struct page_info *pg;
	uint64_t i;

	m2p_reset();
	if (order > FRAME_MAX_ORDER) {
		return -ENOMEM;
	}
	pg = frame_alloc(order, 0);
	if (pg == NULL) {
		return -ENOMEM;
	}
	for (i = frames; i < (1ULL << order); i++) {
		frame_free(&pg[i], 0, 0);
	}
	for (i = 0; i < frames; i++) {
		memset(arch_mfn_to_virt(page_to_mfn(&pg[i])), 0xff, PAGE_SIZE);
	}
	m2p.nr_frames = frames;
	m2p.nr_entries = nr_frames;
	m2p.base = page_to_mfn(pg);
	return 0;
}

/* The entry's address, or NULL beyond the table. */
static uint64_t *entry(mfn_t m)
{
	uint64_t i = mfn_x(m);
	uint64_t *t;

	if (i >= m2p.nr_entries) {
		return NULL;
	}
	t = arch_mfn_to_virt(mfn_add(m2p.base, i / ENTRIES_PER_FRAME));
	return &t[i % ENTRIES_PER_FRAME];
}

uint64_t m2p_get(mfn_t m)
{
	uint64_t *e = entry(m);

	return e != NULL ? __atomic_load_n(e, __ATOMIC_RELAXED) : M2P_INVALID;
}

bool m2p_set(mfn_t m, uint64_t pfn)
{
	uint64_t *e = entry(m);

	if (e == NULL) {
		return false;
	}
	__atomic_store_n(e, pfn, __ATOMIC_RELAXED);
	return true;
}

uint64_t m2p_nr_entries(void)
{
	return m2p.nr_entries;
}

uint64_t m2p_nr_table_frames(void)
{
	return m2p.nr_frames;
}

mfn_t m2p_table_frame(uint64_t i)
{
	return i < m2p.nr_frames ? mfn_add(m2p.base, i) : INVALID_MFN;
}
