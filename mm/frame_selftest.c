/* SPDX-License-Identifier: MIT */
/*
 * The frame allocator's built-in self-test, run by debug boots and by the
 * host unit tests: it allocates every free frame in a mix of orders, checks
 * that no frame is handed out twice and that every block is aligned, frees
 * everything and checks that the buddy merged back to the shape it had.
 *
 * Interface: frame_alloc_selftest() in xeno/frame_alloc.h. It must run
 * while nothing else allocates (at boot, before other CPUs start). It uses
 * only the allocator's public interface; while it owns the frames it marks
 * them with its own owner id and chains the blocks through page_info.list.
 *
 * Locks: none of its own; the allocator takes its locks.
 */
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>

/* An owner id no domain uses, marking frames the self-test holds. */
#define SELFTEST_OWNER 0x7ff5

/* Orders tried in turn; when one fails the test falls back to order 0. */
static const unsigned int selftest_orders[] = { 0, 3, 9, 1,  5, 18, 2,
						7, 0, 4, 11, 6, 0,  8 };

/* Free buddy blocks of each order, to compare before and after. */
static void count_blocks(uint64_t *blocks)
{
	unsigned int k;

	for (k = 0; k <= FRAME_MAX_ORDER; k++) {
		blocks[k] = frame_free_blocks(k);
	}
}

/* Claims a block just allocated; returns -1 if it is bad. */
static int claim_block(struct page_info *pg, unsigned int order)
{
	uint64_t m = mfn_x(page_to_mfn(pg)), i;

	if ((m & ((1ULL << order) - 1)) != 0) {
		printk(LOG_ERR,
		       "frame selftest: order-%u block at mfn %#llx "
		       "is misaligned\n",
		       order, (unsigned long long)m);
		return -1;
	}
	for (i = 0; i < (1ULL << order); i++) {
		if (pg[i].owner == SELFTEST_OWNER ||
		    !(pg[i].flags & PGF_ALLOCATED)) {
			printk(LOG_ERR,
			       "frame selftest: mfn %#llx handed out "
			       "twice\n",
			       (unsigned long long)(m + i));
			return -1;
		}
		pg[i].owner = SELFTEST_OWNER;
	}
	return 0;
}

/* Frees every block on held (each head's order says its size). */
static void free_all(struct list_head *held)
{
	while (!list_empty(held)) {
		struct page_info *pg =
			list_first_entry(held, struct page_info, list);
		unsigned int order = pg->order;
		uint64_t i;

		list_del(&pg->list);
		for (i = 0; i < (1ULL << order); i++) {
			pg[i].owner = 0;
		}
		frame_free(pg, order, 0);
	}
}

/*
 * Allocates until nothing is left, chaining the blocks on held. Returns
 * the number of frames taken, or -1 if a block was bad.
 */
static int64_t take_all(struct list_head *held)
{
	uint64_t frames = 0, blocks = 0;
	unsigned int i = 0;

	for (;;) {
		unsigned int order =
			selftest_orders[i++ % ARRAY_SIZE(selftest_orders)];
		struct page_info *pg = frame_alloc(order, 0);

		if (pg == NULL && order != 0) {
			order = 0;
			pg = frame_alloc(0, 0);
		}
		if (pg == NULL) {
			break;
		}
		list_add(&pg->list, held);
		if (pg->order != order || claim_block(pg, order) != 0) {
			return -1;
		}
		frames += 1ULL << order;
		blocks++;
	}
	printk(LOG_INFO, "frame selftest: took %llu frames in %llu blocks\n",
	       (unsigned long long)frames, (unsigned long long)blocks);
	return (int64_t)frames;
}

/* Checks the allocator is empty while the self-test holds everything. */
static int check_exhausted(int64_t taken, uint64_t start_free)
{
	struct page_info *pg;

	if (taken < 0) {
		return -1;
	}
	if ((uint64_t)taken != start_free || frame_free_count() != 0) {
		printk(LOG_ERR,
		       "frame selftest: took %lld of %llu free "
		       "frames, %llu still free\n",
		       (long long)taken, (unsigned long long)start_free,
		       (unsigned long long)frame_free_count());
		return -1;
	}
	pg = frame_alloc(0, 0);
	if (pg != NULL) {
		printk(LOG_ERR, "frame selftest: got a frame with none free\n");
		frame_free(pg, 0, 0);
		return -1;
	}
	return 0;
}

/* Checks the free pool is back to its starting size and shape. */
static int check_restored(uint64_t start_free, const uint64_t *start_blocks)
{
	uint64_t blocks[FRAME_MAX_ORDER + 1];
	unsigned int k;

	if (frame_free_count() != start_free) {
		printk(LOG_ERR,
		       "frame selftest: %llu frames free after, "
		       "%llu before\n",
		       (unsigned long long)frame_free_count(),
		       (unsigned long long)start_free);
		return -1;
	}
	count_blocks(blocks);
	for (k = 0; k <= FRAME_MAX_ORDER; k++) {
		if (blocks[k] != start_blocks[k]) {
			printk(LOG_ERR,
			       "frame selftest: %llu free blocks of "
			       "order %u after, %llu before: not re-merged\n",
			       (unsigned long long)blocks[k], k,
			       (unsigned long long)start_blocks[k]);
			return -1;
		}
	}
	return frame_alloc_audit();
}

int frame_alloc_selftest(void)
{
	uint64_t start_blocks[FRAME_MAX_ORDER + 1];
	uint64_t start_free;
	struct list_head held;
	int rc;

	list_init(&held);
	frame_cache_drain_all();
	start_free = frame_free_count();
	count_blocks(start_blocks);
	printk(LOG_INFO, "frame selftest: %llu free frames\n",
	       (unsigned long long)start_free);

	rc = check_exhausted(take_all(&held), start_free);
	free_all(&held);
	frame_cache_drain_all();
	if (rc == 0) {
		rc = check_restored(start_free, start_blocks);
	}
	printk(rc == 0 ? LOG_INFO : LOG_ERR, "frame selftest: %s\n",
	       rc == 0 ? "passed" : "FAILED");
	return rc;
}
