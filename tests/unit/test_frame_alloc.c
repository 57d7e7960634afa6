/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the frame allocator (mm/frame_alloc.c, frame_selftest.c):
 * splitting and merging, alignment, exhaustion, exact counts through the
 * per-CPU caches, scrubbing, odd boot ranges, reserved frames, the panics
 * on hypervisor bugs, concurrency and the built-in self-test.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include <host.h>
#include <xeno/arch.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>

#define PGF_STATE_BITS (PGF_FREE | PGF_RESERVED | PGF_ALLOCATED | PGF_PERCPU)

/* A block the test holds. */
struct held {
	struct page_info *pg;
	unsigned int order;
};

static void snapshot(uint64_t *blocks)
{
	unsigned int k;

	for (k = 0; k <= FRAME_MAX_ORDER; k++) {
		blocks[k] = frame_free_blocks(k);
	}
}

/* The free blocks are exactly those in want[] and every invariant holds. */
static void assert_shape(const uint64_t *want)
{
	uint64_t now[FRAME_MAX_ORDER + 1];
	unsigned int k;

	snapshot(now);
	for (k = 0; k <= FRAME_MAX_ORDER; k++) {
		assert_int_equal(now[k], want[k]);
	}
	assert_int_equal(frame_alloc_audit(), 0);
}

static uint8_t *frame_bytes(const struct page_info *pg)
{
	return arch_mfn_to_virt(page_to_mfn(pg));
}

/*
 * Allocates blocks of the order until none is left, checking alignment,
 * range and that no frame comes twice. Returns how many it got.
 */
static size_t take_all(struct held *h, size_t max, unsigned int order)
{
	uint8_t *seen = calloc(frame_table_nr, 1);
	size_t n = 0;
	uint64_t i;

	assert_non_null(seen);
	while (n < max) {
		struct page_info *pg = frame_alloc(order, 0);
		uint64_t m;

		if (pg == NULL) {
			break;
		}
		m = mfn_x(page_to_mfn(pg));
		assert_int_equal(m & ((1ULL << order) - 1), 0);
		assert_true(m + (1ULL << order) <= frame_table_nr);
		for (i = 0; i < (1ULL << order); i++) {
			assert_int_equal(seen[m + i], 0);
			assert_int_equal(pg[i].flags & PGF_RESERVED, 0);
			assert_true(pg[i].flags & PGF_ALLOCATED);
			seen[m + i] = 1;
		}
		h[n].pg = pg;
		h[n++].order = order;
	}
	free(seen);
	return n;
}

static void free_all(struct held *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		frame_free(h[i].pg, h[i].order, 0);
	}
}

/* ---- split, merge, alignment, exhaustion -------------------------------- */

/* Boot splits [16, 4096) into one maximal block of each order 4..11. */
static void test_boot_shape(void **state)
{
	uint64_t want[FRAME_MAX_ORDER + 1] = { 0 };
	unsigned int k;

	for (k = 4; k <= 11; k++) {
		want[k] = 1;
	}
	assert_shape(want);
	assert_int_equal(frame_free_count(), NR_FREE);
	assert_int_equal(frame_total_count(), NR_FREE);
}

/* Every frame as order 0, then all freed: back to the maximal blocks. */
static void test_split_all_then_merge(void **state)
{
	uint64_t start[FRAME_MAX_ORDER + 1];
	struct held *h = calloc(NR_FRAMES, sizeof(*h));
	size_t n;

	snapshot(start);
	n = take_all(h, NR_FRAMES, 0);
	assert_int_equal(n, NR_FREE);
	assert_int_equal(frame_free_count(), 0);
	assert_null(frame_alloc(0, 0));
	assert_int_equal(frame_alloc_audit(), 0);
	free_all(h, n);
	assert_int_equal(frame_free_count(), NR_FREE);
	frame_cache_drain_all();
	assert_shape(start);
	free(h);
}

/* Every order hands out aligned blocks until the memory runs out. */
static void test_alignment_every_order(void **state)
{
	uint64_t start[FRAME_MAX_ORDER + 1];
	struct held *h = calloc(NR_FRAMES, sizeof(*h));
	unsigned int order;

	snapshot(start);
	for (order = 0; order <= 12; order++) {
		/*
		 * The free blocks are one of each order 4..11: every one
		 * of them splits into order-k blocks for k <= 4, only
		 * those of order >= k otherwise.
		 */
		size_t want = order <= 4    ? NR_FREE >> order
			      : order <= 11 ? (1U << (12 - order)) - 1
					    : 0;
		size_t n = take_all(h, NR_FRAMES, order);

		assert_int_equal(n, want);
		free_all(h, n);
		frame_cache_drain_all();
		assert_shape(start);
	}
	free(h);
}

/* A request that cannot be met returns NULL and changes nothing. */
static void test_exhaustion_returns_null(void **state)
{
	uint64_t start[FRAME_MAX_ORDER + 1];
	struct page_info *big;

	snapshot(start);
	assert_null(frame_alloc(12, 0));
	assert_null(frame_alloc(FRAME_MAX_ORDER, 0));
	assert_null(frame_alloc(FRAME_MAX_ORDER + 1, 0));
	assert_null(frame_alloc(255, FA_ZERO));
	big = frame_alloc(11, 0);
	assert_non_null(big);
	assert_int_equal(mfn_x(page_to_mfn(big)), 2048);
	assert_null(frame_alloc(11, 0));
	assert_int_equal(frame_free_count(), NR_FREE - 2048);
	frame_free(big, 11, 0);
	assert_shape(start);
}

/* Orders up to FRAME_MAX_ORDER exist, and blocks never merge beyond it. */
static void test_max_order(void **state)
{
	struct page_info *pg;

	/* 4 GiB of address space; only the frame table is touched. */
	host_machine_init(1ULL << 20, 1);
	assert_int_equal(frame_free_blocks(FRAME_MAX_ORDER), 3);
	assert_int_equal(frame_free_blocks(FRAME_MAX_ORDER + 1), 0);
	pg = frame_alloc(FRAME_MAX_ORDER, 0);
	assert_non_null(pg);
	assert_int_equal(mfn_x(page_to_mfn(pg)) % (1ULL << FRAME_MAX_ORDER), 0);
	assert_int_equal(frame_free_blocks(FRAME_MAX_ORDER), 2);
	assert_int_equal(frame_alloc_audit(), 0);
}

/* A block may be freed frame by frame; the frames merge back. */
static void test_free_block_piecewise(void **state)
{
	uint64_t start[FRAME_MAX_ORDER + 1];
	struct page_info *pg;
	unsigned int i;

	snapshot(start);
	pg = frame_alloc(3, 0);
	assert_non_null(pg);
	for (i = 0; i < 8; i++) {
		frame_free(&pg[i], 0, 0);
	}
	assert_int_equal(frame_free_count(), NR_FREE);
	frame_cache_drain_all();
	assert_shape(start);
}

/* ---- per-CPU caches ----------------------------------------------------- */

/* Counts stay exact while frames sit in caches, and drains merge them. */
static void test_counts_through_caches(void **state)
{
	uint64_t start[FRAME_MAX_ORDER + 1];
	struct held h[200];
	struct frame_stats st0, st;
	size_t i;

	snapshot(start);
	h[0].pg = frame_alloc(0, 0);
	assert_non_null(h[0].pg);
	assert_int_equal(frame_free_count(), NR_FREE - 1);
	frame_free(h[0].pg, 0, 0);
	assert_int_equal(frame_free_count(), NR_FREE);

	for (i = 0; i < 200; i++) {
		h[i].pg = frame_alloc(0, 0);
		assert_non_null(h[i].pg);
		assert_int_equal(frame_free_count(), NR_FREE - i - 1);
	}
	for (i = 0; i < 200; i++) {
		frame_free(h[i].pg, 0, 0);
		assert_int_equal(frame_free_count(), NR_FREE - 199 + i);
	}

	/* Without count queries, most operations avoid the heap lock. */
	frame_alloc_stats(&st0);
	for (i = 0; i < 200; i++) {
		h[i].pg = frame_alloc(0, 0);
	}
	for (i = 0; i < 200; i++) {
		frame_free(h[i].pg, 0, 0);
	}
	frame_alloc_stats(&st);
	assert_int_equal(st.allocs - st0.allocs, 200);
	assert_int_equal(st.frees - st0.frees, 200);
	assert_true(st.cache_hits - st0.cache_hits > 150);
	assert_true(st.refills - st0.refills >= 4);
	assert_true(st.drains - st0.drains >= 4);
	assert_true(st.heap_locks - st0.heap_locks < 400 / 8);
	assert_int_equal(frame_free_count(), NR_FREE);

	/* Some frames are parked in CPU 0's cache; a drain from CPU 3. */
	host_set_cpu(3);
	frame_cache_drain(0);
	assert_int_equal(frame_free_count(), NR_FREE);
	assert_shape(start);
}

/* Frames parked in another CPU's cache are found when memory runs out. */
static void test_other_cache_used_when_empty(void **state)
{
	struct held *h = calloc(NR_FRAMES, sizeof(*h));
	struct page_info *pg[40];
	size_t n, i;

	host_set_cpu(1);
	for (i = 0; i < 40; i++) {
		pg[i] = frame_alloc(0, 0);
		assert_non_null(pg[i]);
	}
	for (i = 0; i < 40; i++) {
		frame_free(pg[i], 0, 0);
	}
	host_set_cpu(0);
	n = take_all(h, NR_FRAMES, 0);
	assert_int_equal(n, NR_FREE);
	free_all(h, n);

	frame_cache_drain_all();

	/*
	 * CPU 0 frees the top order-11 block frame by frame, so its cache
	 * holds 64 of those frames; CPU 2 then wants the whole block.
	 */
	h[0].pg = frame_alloc(11, 0);
	assert_non_null(h[0].pg);
	for (i = 0; i < 2048; i++) {
		frame_free(&h[0].pg[i], 0, 0);
	}
	assert_int_equal(frame_free_blocks(11), 0);
	host_set_cpu(2);
	h[1].pg = frame_alloc(11, 0);
	assert_ptr_equal(h[1].pg, h[0].pg);
	frame_free(h[1].pg, 11, 0);
	assert_int_equal(frame_free_count(), NR_FREE);
	free(h);
}

/* ---- scrubbing ---------------------------------------------------------- */

/* A dirty frame freed with FF_SCRUB reaches a domain zeroed. */
static void test_domain_frames_scrubbed(void **state)
{
	struct page_info *pg, *again;
	uint8_t *b;
	size_t i;

	pg = frame_alloc(0, FA_DOMAIN);
	assert_non_null(pg);
	b = frame_bytes(pg);
	for (i = 0; i < PAGE_SIZE; i++) {
		assert_int_equal(b[i], 0);
	}
	assert_int_equal(pg->flags & PGF_SCRUB, 0);
	memset(b, 0xab, PAGE_SIZE);
	frame_free(pg, 0, FF_SCRUB);
	assert_true(pg->flags & PGF_SCRUB);

	/* The per-CPU cache is LIFO: the same frame comes back. */
	again = frame_alloc(0, FA_DOMAIN);
	assert_ptr_equal(again, pg);
	for (i = 0; i < PAGE_SIZE; i++) {
		assert_int_equal(b[i], 0);
	}
	assert_int_equal(again->flags & PGF_SCRUB, 0);
	frame_free(again, 0, 0);
}

/* Boot RAM counts as dirty; FA_DOMAIN blocks come back all zero. */
static void test_domain_blocks_scrubbed(void **state)
{
	struct page_info *pg;
	uint8_t *b;
	size_t i;

	pg = frame_alloc(4, 0);
	assert_non_null(pg);
	for (i = 0; i < 16; i++) {
		assert_true(pg[i].flags & PGF_SCRUB);
	}
	b = frame_bytes(pg);
	memset(b, 0x77, 16 * PAGE_SIZE);
	frame_free(pg, 4, FF_SCRUB);
	pg = frame_alloc(4, FA_DOMAIN);
	assert_non_null(pg);
	b = frame_bytes(pg);
	for (i = 0; i < 16 * PAGE_SIZE; i++) {
		assert_int_equal(b[i], 0);
	}
	for (i = 0; i < 16; i++) {
		assert_int_equal(pg[i].flags & PGF_SCRUB, 0);
	}
	frame_free(pg, 4, 0);
}

/* FA_ZERO zeroes even frames freed without FF_SCRUB. */
static void test_zero_flag(void **state)
{
	struct page_info *pg;
	uint8_t *b;
	size_t i;

	pg = frame_alloc(1, FA_ZERO);
	assert_non_null(pg);
	b = frame_bytes(pg);
	memset(b, 0x33, 2 * PAGE_SIZE);
	frame_free(pg, 1, 0);
	pg = frame_alloc(1, FA_ZERO);
	assert_non_null(pg);
	b = frame_bytes(pg);
	for (i = 0; i < 2 * PAGE_SIZE; i++) {
		assert_int_equal(b[i], 0);
	}
	frame_free(pg, 1, 0);
}

/* Every freed frame is dirty, whatever flags its owner gives. */
static void test_freed_frames_dirty(void **state)
{
	struct page_info *pg = frame_alloc(2, FA_ZERO);
	unsigned int i;

	assert_non_null(pg);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pg[i].flags & PGF_SCRUB, 0);
	}
	frame_free(pg, 2, 0);
	for (i = 0; i < 4; i++) {
		assert_true(pg[i].flags & PGF_SCRUB);
	}
}

/* ---- the stash of zeroed blocks ----------------------------------------- */

/* A machine large enough for a stash (an eighth of free memory). */
#define STASH_FRAMES 16384ULL

static int stash_setup(void **state)
{
	(void)state;
	host_set_cpu(0);
	host_machine_init(STASH_FRAMES, NR_TEST_CPUS);
	return 0;
}

/* Runs the idle scrubber until it has nothing left to do. */
static unsigned int scrub_until_idle(void)
{
	unsigned int steps = 0;

	while (frame_scrub_idle()) {
		steps++;
		assert_true(steps < 100000);
	}
	return steps;
}

/*
 * Nothing happens before frame_scrub_enable; then idle steps fill the
 * stash piece by piece without changing the free count, and a zeroed
 * allocation of the stash order comes from it, all zero, not zeroed again.
 */
static void test_stash_fill_and_hit(void **state)
{
	uint64_t free0 = frame_free_count();
	struct frame_stats st0, st;
	struct page_info *pg;
	const uint8_t *b;
	unsigned int steps;
	size_t i;

	assert_false(frame_scrub_idle());
	frame_scrub_enable();
	frame_alloc_stats(&st0);
	steps = scrub_until_idle();
	frame_alloc_stats(&st);
	/* An eighth of the free memory, in blocks, each in pieces. */
	assert_int_equal(steps,
			 (free0 / 8 / FRAME_STASH_FRAMES) *
				 (FRAME_STASH_FRAMES / FRAME_SCRUB_PIECE));
	assert_true(st.scrubbed - st0.scrubbed > 0);
	assert_int_equal(frame_free_count(), free0);
	assert_int_equal(frame_alloc_audit(), 0);

	pg = frame_alloc(FRAME_STASH_ORDER, FA_DOMAIN);
	assert_non_null(pg);
	frame_alloc_stats(&st0);
	assert_int_equal(st0.stash_hits - st.stash_hits, 1);
	assert_int_equal(st0.scrubbed, st.scrubbed);
	b = frame_bytes(pg);
	for (i = 0; i < FRAME_STASH_FRAMES * PAGE_SIZE; i++) {
		assert_int_equal(b[i], 0);
	}
	for (i = 0; i < FRAME_STASH_FRAMES; i++) {
		assert_int_equal(pg[i].flags & PGF_SCRUB, 0);
	}
	assert_int_equal(frame_free_count(), free0 - FRAME_STASH_FRAMES);
	memset(frame_bytes(pg), 0x5a, PAGE_SIZE);
	frame_free(pg, FRAME_STASH_ORDER, FF_SCRUB);
	assert_int_equal(frame_free_count(), free0);
	/* The scrubber tops the stash up again. */
	assert_int_equal(scrub_until_idle(),
			 FRAME_STASH_FRAMES / FRAME_SCRUB_PIECE);
	assert_int_equal(frame_free_count(), free0);
}

/*
 * Stashed frames are free: allocating every frame one by one gets them
 * all (the stash goes back to the buddy when it runs dry), and freeing
 * them restores the count.
 */
static void test_stash_released_when_short(void **state)
{
	uint64_t free0 = frame_free_count(), n = 0, i;
	struct page_info **got = calloc(free0, sizeof(*got));

	assert_non_null(got);
	frame_scrub_enable();
	assert_true(scrub_until_idle() > 0);
	while (n < free0 && (got[n] = frame_alloc(0, 0)) != NULL) {
		n++;
	}
	assert_int_equal(n, free0);
	assert_null(frame_alloc(0, 0));
	assert_int_equal(frame_free_count(), 0);
	for (i = 0; i < n; i++) {
		frame_free(got[i], 0, 0);
	}
	assert_int_equal(frame_free_count(), free0);
	assert_int_equal(frame_alloc_audit(), 0);
	free(got);
}

/* An unfinished work block held by the stash is finished under pressure. */
static void test_stash_work_block_released(void **state)
{
	uint64_t free0 = frame_free_count(), n = 0, i;
	struct page_info **got = calloc(free0, sizeof(*got));

	assert_non_null(got);
	frame_scrub_enable();
	assert_true(frame_scrub_idle()); /* one piece of the first block */
	while (n < free0 && (got[n] = frame_alloc(0, FA_ZERO)) != NULL) {
		n++;
	}
	assert_int_equal(n, free0);
	for (i = 0; i < n; i++) {
		frame_free(got[i], 0, 0);
	}
	assert_int_equal(frame_free_count(), free0);
	assert_int_equal(frame_alloc_audit(), 0);
	free(got);
}

#ifdef XENO_DEBUG
static void expect_panic(void (*fn)(void *), void *arg, const char *what);

/* FF_CLEAN promises zeroes: debug builds check the promise. */
static void free_clean_dirty(void *pg)
{
	memset(frame_bytes(pg), 1, 8);
	frame_free(pg, 0, FF_CLEAN);
}

static void test_clean_promise_checked(void **state)
{
	struct page_info *pg = frame_alloc(0, FA_ZERO);

	assert_non_null(pg);
	expect_panic(free_clean_dirty, pg, "is not zero");
}
#endif

#ifdef XENO_DEBUG
/* Debug builds fill freed frames with junk to expose dangling use. */
static void test_debug_junk_fill(void **state)
{
	struct page_info *pg = frame_alloc(0, FA_ZERO);
	uint8_t *b = frame_bytes(pg);
	size_t i;

	frame_free(pg, 0, 0);
	for (i = 0; i < PAGE_SIZE; i++) {
		assert_int_equal(b[i], 0x6b);
	}
	assert_true(pg->flags & PGF_SCRUB);
}
#endif

/* ---- boot ranges -------------------------------------------------------- */

/* Ranges with odd starts and ends merge as they arrive. */
static void test_odd_ranges_merge(void **state)
{
	uint64_t want[FRAME_MAX_ORDER + 1] = { 0 };

	host_machine_init_empty(1024, 1);
	frame_add_free_range(mfn(3), 7); /* 3 | 4-7 | 8-9 */
	want[0] = want[1] = want[2] = 1;
	assert_shape(want);
	frame_add_free_range(mfn(10), 6); /* 10-15 joins 8-9 */
	want[1] = 0;
	want[3] = 1;
	assert_shape(want);
	frame_add_free_range(mfn(0), 3); /* all of 0-15 */
	memset(want, 0, sizeof(want));
	want[4] = 1;
	assert_shape(want);
	assert_int_equal(frame_free_count(), 16);
	assert_int_equal(frame_total_count(), 16);
}

/* Frames in holes and reserved areas are never handed out. */
static void test_holes_never_allocated(void **state)
{
	struct held *h = calloc(1024, sizeof(*h));
	size_t n, i;

	host_machine_init_empty(1024, 1);
	frame_add_free_range(mfn(1), 99);    /* 1-99 */
	frame_add_free_range(mfn(137), 500); /* 137-636 */
	frame_add_free_range(mfn(1000), 24); /* 1000-1023 */
	assert_int_equal(frame_alloc_audit(), 0);
	n = take_all(h, 1024, 0);
	assert_int_equal(n, 99 + 500 + 24);
	for (i = 0; i < n; i++) {
		uint64_t m = mfn_x(page_to_mfn(h[i].pg));

		assert_true((m >= 1 && m < 100) || (m >= 137 && m < 637) ||
			    m >= 1000);
	}
	assert_int_equal(frame_table[0].flags, PGF_RESERVED);
	assert_int_equal(frame_table[100].flags, PGF_RESERVED);
	assert_int_equal(frame_table[999].flags, PGF_RESERVED);
	free_all(h, n);
	assert_int_equal(frame_free_count(), 623);
	assert_int_equal(frame_alloc_audit(), 0);
	free(h);
}

/* ---- hypervisor bugs panic ---------------------------------------------- */

/* Runs fn(arg) expecting a panic whose message contains what. */
static void expect_panic(void (*fn)(void *), void *arg, const char *what)
{
	jmp_buf jb;

	if (setjmp(jb) == 0) {
		host_expect_panic(&jb);
		fn(arg);
		host_expect_panic(NULL);
		fail_msg("no panic (expected '%s')", what);
	}
	assert_non_null(strstr(host_panic_message(), what));
}

static void free_order0(void *pg)
{
	frame_free(pg, 0, 0);
}

static void free_order1(void *pg)
{
	frame_free(pg, 1, 0);
}

static void add_frames_16_to_32(void *unused)
{
	frame_add_free_range(mfn(16), 16);
}

static void test_double_free_panics(void **state)
{
	struct page_info *pg = frame_alloc(0, 0), *blk;

	frame_free(pg, 0, 0);
	expect_panic(free_order0, pg, "double free");

	/* A block in the buddy, not a cache. */
	blk = frame_alloc(5, 0);
	frame_free(blk, 5, 0);
	expect_panic(free_order0, &blk[7], "double free");
	assert_int_equal(frame_free_count(), NR_FREE);
	assert_int_equal(frame_alloc_audit(), 0);
}

static void test_bad_frees_panic(void **state)
{
	struct page_info *pg = frame_alloc(1, 0);
	static struct page_info outside;

	expect_panic(free_order0, &frame_table[0], "reserved");
	expect_panic(free_order1, &pg[1], "bad block");
	expect_panic(free_order0, &outside, "not in the frame table");
	pg->count = 1;
	expect_panic(free_order1, pg, "still referenced");
	pg->count = 0;
	expect_panic(add_frames_16_to_32, NULL, "not reserved");
	frame_free(pg, 1, 0);
	assert_int_equal(frame_free_count(), NR_FREE);
	assert_int_equal(frame_alloc_audit(), 0);
}

/* ---- concurrency -------------------------------------------------------- */

#define THREADS 4
#define ROUNDS	20000
#define KEEP	96

struct worker {
	pthread_t tid;
	unsigned int cpu;
	unsigned int errors;
	uint64_t allocs;
};

/* Claims a block for this worker: no one else may have it. */
static unsigned int claim(struct page_info *pg, unsigned int order,
			  unsigned int cpu)
{
	unsigned int i, bad = 0;

	for (i = 0; i < (1U << order); i++) {
		uint8_t *b = frame_bytes(&pg[i]);

		bad += pg[i].owner != 0;
		pg[i].owner = (uint16_t)(cpu + 1);
		b[0] = (uint8_t)(cpu + 1);
	}
	return bad;
}

/* Checks the block is still this worker's and gives it back. */
static unsigned int release(struct page_info *pg, unsigned int order,
			    unsigned int cpu)
{
	unsigned int i, bad = 0;

	for (i = 0; i < (1U << order); i++) {
		bad += pg[i].owner != cpu + 1;
		bad += frame_bytes(&pg[i])[0] != cpu + 1;
		pg[i].owner = 0;
	}
	frame_free(pg, order, 0);
	return bad;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct held h[KEEP] = { 0 };
	unsigned int seed = w->cpu * 7919 + 1, r, i;

	host_set_cpu(w->cpu);
	for (r = 0; r < ROUNDS; r++) {
		struct held *slot;

		seed = seed * 1103515245 + 12345;
		slot = &h[(seed >> 8) % KEEP];
		if (slot->pg != NULL) {
			w->errors += release(slot->pg, slot->order, w->cpu);
			slot->pg = NULL;
		}
		slot->order = (seed >> 20) % 8 == 0 ? (seed >> 24) % 5 : 0;
		slot->pg = frame_alloc(slot->order, 0);
		if (slot->pg != NULL) {
			w->errors += claim(slot->pg, slot->order, w->cpu);
			w->allocs++;
		}
	}
	for (i = 0; i < KEEP; i++) {
		if (h[i].pg != NULL) {
			w->errors += release(h[i].pg, h[i].order, w->cpu);
		}
	}
	return NULL;
}

static void test_concurrent_alloc_free(void **state)
{
	uint64_t start[FRAME_MAX_ORDER + 1];
	struct worker w[THREADS];
	struct frame_stats st;
	unsigned int i;

	snapshot(start);
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .cpu = i };
		assert_int_equal(
			pthread_create(&w[i].tid, NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(w[i].tid, NULL);
		assert_int_equal(w[i].errors, 0);
		assert_true(w[i].allocs > ROUNDS / 2);
	}
	frame_alloc_stats(&st);
	assert_int_equal(st.allocs, st.frees);
	assert_int_equal(frame_free_count(), NR_FREE);
	frame_cache_drain_all();
	assert_shape(start);
}

/* ---- the self-test ------------------------------------------------------ */

static void test_selftest_passes(void **state)
{
	struct page_info *keep;

	assert_int_equal(frame_alloc_selftest(), 0);

	/* Again on an odd-sized, fragmented machine with frames in use. */
	host_machine_init_empty(20011, 2);
	frame_add_free_range(mfn(5), 9000);
	frame_add_free_range(mfn(9100), 10911);
	keep = frame_alloc(3, 0);
	assert_non_null(keep);
	assert_int_equal(frame_alloc_selftest(), 0);
	assert_int_equal(frame_free_count(), 9000 + 10911 - 8);
	frame_free(keep, 3, 0);
}

/* A frame that looks already handed out makes the self-test fail. */
static void test_selftest_detects_double_handout(void **state)
{
	/* Frame 100 is free; give it the self-test's own owner mark. */
	assert_int_equal(frame_table[100].flags & PGF_STATE_BITS, 0);
	frame_table[100].owner = 0x7ff5;
	assert_int_equal(frame_alloc_selftest(), -1);
	assert_int_equal(frame_table[100].owner, 0);
	assert_int_equal(frame_free_count(), NR_FREE);
	assert_int_equal(frame_alloc_audit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) \
	cmocka_unit_test_setup_teardown(fn, machine_setup, machine_teardown)
		T(test_boot_shape),
		T(test_split_all_then_merge),
		T(test_alignment_every_order),
		T(test_exhaustion_returns_null),
		T(test_max_order),
		T(test_free_block_piecewise),
		T(test_counts_through_caches),
		T(test_other_cache_used_when_empty),
		T(test_domain_frames_scrubbed),
		T(test_domain_blocks_scrubbed),
		T(test_zero_flag),
		T(test_freed_frames_dirty),
		cmocka_unit_test_setup_teardown(test_stash_fill_and_hit,
						stash_setup, machine_teardown),
		cmocka_unit_test_setup_teardown(test_stash_released_when_short,
						stash_setup, machine_teardown),
		cmocka_unit_test_setup_teardown(test_stash_work_block_released,
						stash_setup, machine_teardown),
#ifdef XENO_DEBUG
		T(test_clean_promise_checked),
		T(test_debug_junk_fill),
#endif
		T(test_odd_ranges_merge),
		T(test_holes_never_allocated),
		T(test_double_free_panics),
		T(test_bad_frees_panic),
		T(test_concurrent_alloc_free),
		T(test_selftest_passes),
		T(test_selftest_detects_double_handout),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
