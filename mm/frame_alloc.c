/* SPDX-License-Identifier: MIT */
/*
 * The frame allocator (interface and rules in xeno/frame_alloc.h).
 *
 * A binary buddy allocator owns every free frame of RAM. Free blocks of
 * 2^k frames, aligned to 2^k, sit on one list per order; freeing a block
 * merges it with its buddy (the block at mfn ^ 2^k) for as long as the
 * buddy is free and whole, so the free blocks are always the largest
 * aligned blocks the free frames allow. Allocation takes the smallest
 * block that fits and splits off the unused halves.
 *
 * Most allocations are single frames, so each CPU keeps a small stack of
 * free single frames in front of the buddy: alloc and free of one frame
 * touch only the CPU's own cache, and the global heap lock is taken once
 * per FRAME_CACHE_BATCH frames to refill or drain it.
 *
 * Lock order: the heap lock and the per-CPU cache locks all have rank
 * LOCK_RANK_HEAP and are never held together; frames move between a cache
 * and the buddy through a local array, taking one lock after the other.
 * Callers may hold locks of lower rank. Scrubbing and junk filling happen
 * outside every lock, on frames the caller already owns.
 *
 * Clean frames and the stash. A free frame without PGF_SCRUB is clean:
 * all zeros. Every frame freed is dirty unless its caller says it is zero
 * (FF_CLEAN); boot RAM is dirty. FA_ZERO and FA_DOMAIN zero only dirty
 * frames. Idle CPUs (frame_scrub_idle) take dirty blocks of
 * FRAME_STASH_ORDER out of the buddy, zero them a piece at a time, and
 * keep them in the stash, from which FA_ZERO and FA_DOMAIN allocations of
 * that order are served without zeroing (a domain's memory comes in such
 * blocks). Stash frames count as free; when the buddy runs out, the stash
 * goes back to it before an allocation fails.
 */
#include <xeno/arch.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/spinlock.h>
#include <xeno/tlb.h>

/* The flags that say where a frame is; a free block's tail has none. */
#define PGF_STATE_MASK (PGF_FREE | PGF_RESERVED | PGF_ALLOCATED | PGF_PERCPU)

/* Debug builds fill freed frames with this byte to expose dangling use. */
#define FRAME_JUNK 0x6b

/*
 * Invariants (with no allocation or free in flight):
 *  1. Every frame below frame_table_nr is in exactly one state: reserved,
 *     allocated, parked in exactly one per-CPU cache (PGF_PERCPU), or
 *     inside exactly one free buddy block.
 *  2. A free block of order k starts at a frame aligned to 2^k; its head
 *     has PGF_FREE and order k and is on heap.free[k]; its other frames
 *     carry no state flag. PGF_SCRUB is per frame and survives merging.
 *  3. Blocks are maximal: the buddy of a free block of order k below
 *     FRAME_MAX_ORDER is not the head of a free block of order k.
 *  4. heap.nr_blocks[k] is the length of heap.free[k], and heap.nr_free is
 *     the sum of nr_blocks[k] << k.
 *  5. A cache holds only single frames, n <= FRAME_CACHE_SIZE of them, in
 *     frames[0..n); frames[n-1] was freed last and is handed out first.
 *  6. The stash (heap lock): blocks[0..n) are blocks of FRAME_STASH_ORDER
 *     frames, PGF_ALLOCATED with no owner, every frame clean (zero);
 *     work, if not NULL, is one more such block whose frames below
 *     work_done are zero, being zeroed by the CPU that set work_busy.
 *     frames counts both, and is part of frame_free_count().
 * The heap lock protects heap; each cache's lock protects its n and frames.
 */
static struct {
	spinlock_t lock;
	struct list_head free[FRAME_MAX_ORDER + 1];
	uint64_t nr_blocks[FRAME_MAX_ORDER + 1];
	uint64_t nr_free;  /* frames in free buddy blocks */
	uint64_t nr_total; /* frames ever added */
} heap;

struct frame_cache {
	spinlock_t lock;
	unsigned int n;
	struct page_info *frames[FRAME_CACHE_SIZE];
	/* Written only by the CPU the counters belong to, read by anyone. */
	struct frame_stats stats;
} __aligned(64);

static struct frame_cache caches[NR_CPUS];

static struct {
	struct page_info *blocks[FRAME_STASH_BLOCKS];
	unsigned int n;
	struct page_info *work; /* being zeroed, or NULL */
	uint64_t work_done;	/* frames of work zeroed so far */
	bool work_busy;		/* a CPU is zeroing a piece of work */
	uint64_t frames;	/* in blocks[] and work */
	bool enabled;		/* frame_scrub_enable() was called */
	uint64_t test_delay_ns; /* frame_scrub_set_test_delay() */
} stash;

/*
 * Moves of free frames between places frame_free_count() adds up (a
 * cache and the buddy, the stash and the buddy) pass through the mover's
 * hands, counted in neither place: the count waits until none is under
 * way, and retries if one began meanwhile (move_begin/move_end).
 */
static uint64_t moves_begun, moves_done;

static void move_begin(void)
{
	__atomic_fetch_add(&moves_begun, 1, __ATOMIC_SEQ_CST);
}

static void move_end(void)
{
	__atomic_fetch_add(&moves_done, 1, __ATOMIC_SEQ_CST);
}

/* ---- statistics --------------------------------------------------------- */

/*
 * Counts an event in this CPU's counters. Only this CPU writes them, so a
 * relaxed load and store suffice (no locked add on the fast path); the
 * atomics only keep concurrent readers well defined.
 */
#define STAT_ADD(field, v)                                               \
	do {                                                             \
		uint64_t *ctr_ = &caches[arch_cpu_id()].stats.field;     \
		uint64_t old_ = __atomic_load_n(ctr_, __ATOMIC_RELAXED); \
		__atomic_store_n(ctr_, old_ + (v), __ATOMIC_RELAXED);    \
	} while (0)

static void heap_lock(void)
{
	spin_lock(&heap.lock);
	STAT_ADD(heap_locks, 1);
}

static void heap_unlock(void)
{
	spin_unlock(&heap.lock);
}

/* ---- the buddy (heap lock held) ----------------------------------------- */

static void buddy_insert(struct page_info *pg, unsigned int order)
{
	ASSERT((pg->flags & PGF_STATE_MASK) == 0);
	pg->flags |= PGF_FREE;
	pg->order = (uint8_t)order;
	list_add(&pg->list, &heap.free[order]);
	heap.nr_blocks[order]++;
}

static void buddy_remove(struct page_info *pg, unsigned int order)
{
	ASSERT((pg->flags & PGF_FREE) && pg->order == order);
	list_del(&pg->list);
	pg->flags &= (uint8_t)~PGF_FREE;
	heap.nr_blocks[order]--;
}

/* Whether frame m heads a free block of exactly this order. */
static bool buddy_is_free_head(uint64_t m, unsigned int order)
{
	const struct page_info *pg;

	if (m >= frame_table_nr) {
		return false;
	}
	pg = &frame_table[m];
	return (pg->flags & PGF_FREE) && pg->order == order;
}

/*
 * Adds the block of 2^order frames at m, whose frames carry no state
 * flag, to the free lists, merging it with its buddies.
 */
static void buddy_free_block(uint64_t m, unsigned int order)
{
	heap.nr_free += 1ULL << order;
	while (order < FRAME_MAX_ORDER) {
		uint64_t buddy = m ^ (1ULL << order);

		if (!buddy_is_free_head(buddy, order)) {
			break;
		}
		buddy_remove(&frame_table[buddy], order);
		m &= ~(1ULL << order);
		order++;
	}
	buddy_insert(&frame_table[m], order);
}

/*
 * Takes a free block of 2^order frames out of the buddy, splitting a
 * larger one if needed. Its frames are left with no state flag. Returns
 * its head, or NULL if no block is large enough.
 */
static struct page_info *buddy_alloc_block(unsigned int order)
{
	struct page_info *pg;
	unsigned int k = order;
	uint64_t m;

	while (k <= FRAME_MAX_ORDER && list_empty(&heap.free[k])) {
		k++;
	}
	if (k > FRAME_MAX_ORDER) {
		return NULL;
	}
	pg = list_first_entry(&heap.free[k], struct page_info, list);
	buddy_remove(pg, k);
	m = mfn_x(page_to_mfn(pg));
	while (k > order) {
		k--;
		buddy_insert(&frame_table[m + (1ULL << k)], k);
	}
	heap.nr_free -= 1ULL << order;
	return pg;
}

/* Returns n single frames (PGF_PERCPU) from a cache to the buddy. */
static void heap_free_singles(struct page_info **frames, unsigned int n)
{
	unsigned int i;

	if (n == 0) {
		return;
	}
	heap_lock();
	for (i = 0; i < n; i++) {
		ASSERT(frames[i]->flags & PGF_PERCPU);
		frames[i]->flags &= (uint8_t)~PGF_PERCPU;
		buddy_free_block(mfn_x(page_to_mfn(frames[i])), 0);
	}
	heap_unlock();
}

/* ---- per-CPU caches ----------------------------------------------------- */

/* Moves up to max frames from the bottom (the coldest) of c into out. */
static unsigned int cache_take(struct frame_cache *c, struct page_info **out,
			       unsigned int max)
{
	unsigned int k = MIN(c->n, max);
	unsigned int i;

	for (i = 0; i < k; i++) {
		out[i] = c->frames[i];
	}
	for (i = k; i < c->n; i++) {
		c->frames[i - k] = c->frames[i];
	}
	c->n -= k;
	return k;
}

/* Parks a single free frame in this CPU's cache, draining it if full. */
static void cache_put(struct page_info *pg)
{
	struct frame_cache *c = &caches[arch_cpu_id()];
	struct page_info *out[FRAME_CACHE_BATCH];
	unsigned int k = 0;

	pg->flags |= PGF_PERCPU;
	move_begin();
	spin_lock(&c->lock);
	if (c->n == FRAME_CACHE_SIZE) {
		k = cache_take(c, out, FRAME_CACHE_BATCH);
	}
	c->frames[c->n++] = pg;
	spin_unlock(&c->lock);
	if (k != 0) {
		STAT_ADD(drains, 1);
		heap_free_singles(out, k);
	}
	move_end();
}

/*
 * Refills this CPU's cache with a batch from the buddy and returns one of
 * the frames, or NULL if the buddy has no free frame.
 */
static struct page_info *cache_refill(struct frame_cache *c)
{
	struct page_info *got[FRAME_CACHE_BATCH];
	struct page_info *extra[FRAME_CACHE_BATCH];
	unsigned int n = 0, k = 0, i;

	move_begin();
	heap_lock();
	while (n < FRAME_CACHE_BATCH) {
		got[n] = buddy_alloc_block(0);
		if (got[n] == NULL) {
			break;
		}
		got[n++]->flags |= PGF_PERCPU;
	}
	heap_unlock();
	if (n == 0) {
		move_end();
		return NULL;
	}
	STAT_ADD(refills, 1);

	/*
	 * Only this CPU adds to its cache, so the batch fits; the overflow
	 * path exists for host tests that run two threads as one CPU.
	 */
	spin_lock(&c->lock);
	for (i = 1; i < n; i++) {
		if (c->n < FRAME_CACHE_SIZE) {
			c->frames[c->n++] = got[i];
		} else {
			extra[k++] = got[i];
		}
	}
	spin_unlock(&c->lock);
	heap_free_singles(extra, k);
	move_end();
	return got[0];
}

/* Takes a single frame from this CPU's cache, refilling it if empty. */
static struct page_info *cache_get(void)
{
	struct frame_cache *c = &caches[arch_cpu_id()];
	struct page_info *pg = NULL;

	spin_lock(&c->lock);
	if (c->n != 0) {
		pg = c->frames[--c->n];
	}
	spin_unlock(&c->lock);
	if (pg != NULL) {
		STAT_ADD(cache_hits, 1);
		return pg;
	}
	return cache_refill(c);
}

void frame_cache_drain(unsigned int cpu)
{
	struct frame_cache *c;
	struct page_info *out[FRAME_CACHE_SIZE];
	unsigned int k;

	BUG_ON(cpu >= NR_CPUS);
	c = &caches[cpu];
	move_begin();
	spin_lock(&c->lock);
	k = cache_take(c, out, FRAME_CACHE_SIZE);
	spin_unlock(&c->lock);
	if (k != 0) {
		STAT_ADD(drains, 1);
		heap_free_singles(out, k);
	}
	move_end();
}

void frame_cache_drain_all(void)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		frame_cache_drain(cpu);
	}
}

/* Frames parked in all caches. */
static uint64_t cached_frames(void)
{
	uint64_t n = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		spin_lock(&caches[cpu].lock);
		n += caches[cpu].n;
		spin_unlock(&caches[cpu].lock);
	}
	return n;
}

/* ---- taking a block out ------------------------------------------------- */

/* A block from the per-CPU cache (order 0) or the buddy, or NULL. */
static struct page_info *take_block(unsigned int order)
{
	struct page_info *pg;

	if (order == 0) {
		return cache_get();
	}
	heap_lock();
	pg = buddy_alloc_block(order);
	heap_unlock();
	return pg;
}

/* Marks the 2^order frames of a block just taken out as allocated. */
static void mark_allocated(struct page_info *pg, unsigned int order)
{
	uint64_t i;

	for (i = 0; i < (1ULL << order); i++) {
		struct page_info *f = &pg[i];

		ASSERT((f->flags & PGF_STATE_MASK & ~PGF_PERCPU) == 0);
		ASSERT(f->count == 0 && (f->type_info & ~PGT_stamp_mask) == 0);
		f->flags = (uint8_t)((f->flags & PGF_SCRUB) | PGF_ALLOCATED);
	}
	pg->order = (uint8_t)order;
}

/*
 * Frames a domain used come back with a TLB stamp (frame.h): before
 * anyone else gets them, every CPU that may still cache a translation
 * of them is flushed (mm/tlb.c). One flush covers the whole block.
 */
static void flush_stale(struct page_info *pg, unsigned int order)
{
	uint32_t latest = 0;
	uint64_t i;

	for (i = 0; i < (1ULL << order); i++) {
		uint32_t s = (uint32_t)(pg[i].type_info >> PGT_stamp_shift);

		latest = tlb_stamp_later(latest, s);
		pg[i].type_info = 0;
	}
	if (latest != 0) {
		tlb_flush_stale(latest);
	}
}

#ifdef XENO_DEBUG
/* Debug builds check the clean-frame invariant wherever they rely on it. */
static void check_clean(const struct page_info *f)
{
	const uint64_t *w = arch_mfn_to_virt(page_to_mfn(f));
	unsigned int i;

	for (i = 0; i < PAGE_SIZE / sizeof(*w); i++) {
		if (w[i] != 0) {
			panic("frame: clean mfn %#llx is not zero at %#x",
			      (unsigned long long)mfn_x(page_to_mfn(f)), i * 8);
		}
	}
}
#else
static void check_clean(const struct page_info *f)
{
	(void)f;
}
#endif

/* Zeroes frames [from, to) of a block that are dirty, making them clean. */
static void zero_dirty(struct page_info *pg, uint64_t from, uint64_t to)
{
	uint64_t i;

	for (i = from; i < to; i++) {
		struct page_info *f = &pg[i];

		if (f->flags & PGF_SCRUB) {
			memset(arch_mfn_to_virt(page_to_mfn(f)), 0, PAGE_SIZE);
			f->flags &= (uint8_t)~PGF_SCRUB;
		} else {
			check_clean(f);
		}
	}
}

/* Zeroes the dirty frames of the block if the flags ask for zeroes. */
static void scrub_block(struct page_info *pg, unsigned int order,
			unsigned int flags)
{
	if (flags & (FA_ZERO | FA_DOMAIN)) {
		zero_dirty(pg, 0, 1ULL << order);
	}
}

/* ---- the stash of clean blocks (invariant 6) ---------------------------- */

/* A zeroed block from the stash, or NULL (heap lock held). */
static struct page_info *stash_pop(void)
{
	if (stash.n == 0) {
		return NULL;
	}
	stash.frames -= FRAME_STASH_FRAMES;
	return stash.blocks[--stash.n];
}

/*
 * Gives every stash block back to the buddy, clean; returns whether there
 * was any. A block half zeroed is finished here first, unless a CPU is
 * zeroing a piece of it at this moment (then that CPU stashes it).
 */
static bool stash_release(void)
{
	struct page_info *out[FRAME_STASH_BLOCKS + 1];
	unsigned int n = 0, i;

	move_begin();
	heap_lock();
	while (stash.n != 0) {
		out[n++] = stash_pop();
	}
	if (stash.work != NULL && !stash.work_busy) {
		out[n++] = stash.work;
		stash.work = NULL;
		stash.frames -= FRAME_STASH_FRAMES;
	}
	heap_unlock();
	for (i = 0; i < n; i++) {
		/* Finishes the work block; only checks the others. */
		zero_dirty(out[i], 0, FRAME_STASH_FRAMES);
		frame_free(out[i], FRAME_STASH_ORDER, FF_CLEAN);
	}
	move_end();
	return n != 0;
}

/* How many blocks the stash keeps: FRAME_STASH_BLOCKS, or an eighth of
 * the free memory if that is less (heap lock held). */
static unsigned int stash_target(void)
{
	uint64_t eighth = heap.nr_free / 8 / FRAME_STASH_FRAMES;

	return (unsigned int)MIN((uint64_t)FRAME_STASH_BLOCKS, eighth);
}

struct page_info *frame_alloc(unsigned int order, unsigned int flags)
{
	struct page_info *pg;

	/* An order too large can come from a guest's request: refuse it. */
	if (order > FRAME_MAX_ORDER) {
		STAT_ADD(failures, 1);
		return NULL;
	}
	if (order == FRAME_STASH_ORDER && (flags & (FA_ZERO | FA_DOMAIN))) {
		heap_lock();
		pg = stash_pop();
		heap_unlock();
		if (pg != NULL) {
			/* Allocated and zero already (invariant 6). */
			zero_dirty(pg, 0, FRAME_STASH_FRAMES);
			pg->order = (uint8_t)order;
			STAT_ADD(allocs, 1);
			STAT_ADD(stash_hits, 1);
			return pg;
		}
	}
	pg = take_block(order);
	if (pg == NULL) {
		/*
		 * The buddy is out of blocks but caches or the stash may hold
		 * free frames: return them so they can merge, and try once
		 * more.
		 */
		bool more = cached_frames() != 0;

		more = stash_release() || more;
		if (more) {
			frame_cache_drain_all();
			pg = take_block(order);
		}
	}
	if (pg == NULL) {
		STAT_ADD(failures, 1);
		return NULL;
	}
	mark_allocated(pg, order);
	flush_stale(pg, order);
	scrub_block(pg, order, flags);
	STAT_ADD(allocs, 1);
	return pg;
}

/* ---- giving a block back ------------------------------------------------ */

/* Panics unless the block may be freed: it is a hypervisor bug otherwise. */
static void check_free(const struct page_info *pg, unsigned int order)
{
	uint64_t m, i;

	if (pg < frame_table || pg >= frame_table + frame_table_nr) {
		panic("frame_free: %p is not in the frame table",
		      (const void *)pg);
	}
	m = mfn_x(page_to_mfn(pg));
	if (order > FRAME_MAX_ORDER || (m & ((1ULL << order) - 1)) != 0 ||
	    m + (1ULL << order) > frame_table_nr) {
		panic("frame_free: bad block mfn %#llx order %u",
		      (unsigned long long)m, order);
	}
	for (i = 0; i < (1ULL << order); i++) {
		const struct page_info *f = &pg[i];

		if (f->flags & PGF_RESERVED) {
			panic("frame_free: mfn %#llx is reserved",
			      (unsigned long long)(m + i));
		}
		if (!(f->flags & PGF_ALLOCATED)) {
			panic("frame_free: double free of mfn %#llx "
			      "(flags %#x)",
			      (unsigned long long)(m + i), f->flags);
		}
		if (f->count != 0 || (f->type_info & PGT_count_mask) != 0) {
			panic("frame_free: mfn %#llx still referenced "
			      "(count %u, type_info %#llx)",
			      (unsigned long long)(m + i), f->count,
			      (unsigned long long)f->type_info);
		}
	}
}

/* Leaves the block's frames free-but-unlisted, dirty if they must be. */
static void release_frames(struct page_info *pg, unsigned int order,
			   unsigned int flags)
{
	uint64_t i;
	/* Whatever the owner wrote is dirt, unless it says it left zeroes. */
	uint8_t dirty = (flags & FF_CLEAN) ? 0 : PGF_SCRUB;

	for (i = 0; i < (1ULL << order); i++) {
		struct page_info *f = &pg[i];

		if (dirty == 0) {
			check_clean(f);
		}
#ifdef XENO_DEBUG
		else {
			memset(arch_mfn_to_virt(page_to_mfn(f)), FRAME_JUNK,
			       PAGE_SIZE);
		}
#endif
		f->flags = dirty;
		f->owner = 0;
		/* A TLB stamp alone stays with the frame (flush_stale). */
		if (f->type_info & ~PGT_stamp_mask) {
			f->type_info = 0;
		}
		list_init(&f->list);
	}
}

void frame_free(struct page_info *pg, unsigned int order, unsigned int flags)
{
	check_free(pg, order);
	release_frames(pg, order, flags);
	STAT_ADD(frees, 1);
	if (order == 0) {
		cache_put(pg);
		return;
	}
	heap_lock();
	buddy_free_block(mfn_x(page_to_mfn(pg)), order);
	heap_unlock();
}

/* ---- set-up and queries ------------------------------------------------- */

void frame_alloc_init(void)
{
	unsigned int k, cpu;

	memset(&heap, 0, sizeof(heap));
	spin_lock_init(&heap.lock, "heap", LOCK_RANK_HEAP);
	for (k = 0; k <= FRAME_MAX_ORDER; k++) {
		list_init(&heap.free[k]);
	}
	memset(caches, 0, sizeof(caches));
	memset(&stash, 0, sizeof(stash));
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		spin_lock_init(&caches[cpu].lock, "frame_cache",
			       LOCK_RANK_HEAP);
	}
}

/* The largest order of an aligned block at m that ends at or before end. */
static unsigned int max_block_order(uint64_t m, uint64_t end)
{
	unsigned int k = 0;

	while (k < FRAME_MAX_ORDER && (m & (1ULL << k)) == 0 &&
	       m + (2ULL << k) <= end) {
		k++;
	}
	return k;
}

void frame_add_free_range(mfn_t start, uint64_t nr)
{
	uint64_t s = mfn_x(start), end = s + nr, m;

	if (end < s || end > frame_table_nr) {
		panic("frame_add_free_range: [%#llx, +%#llx) outside the "
		      "frame table",
		      (unsigned long long)s, (unsigned long long)nr);
	}
	for (m = s; m < end; m++) {
		if (frame_table[m].flags != PGF_RESERVED) {
			panic("frame_add_free_range: mfn %#llx is not reserved "
			      "(added twice?)",
			      (unsigned long long)m);
		}
	}
	for (m = s; m < end; m++) {
		/* Firmware and the boot loader left data in RAM. */
		frame_table[m].flags = PGF_SCRUB;
	}
	heap_lock();
	for (m = s; m < end;) {
		unsigned int k = max_block_order(m, end);

		buddy_free_block(m, k);
		m += 1ULL << k;
	}
	heap.nr_total += nr;
	heap_unlock();
	printk(LOG_DEBUG, "frame: added mfn %#llx-%#llx (%llu frames)\n",
	       (unsigned long long)s, (unsigned long long)end,
	       (unsigned long long)nr);
}

uint64_t frame_free_count(void)
{
	for (;;) {
		uint64_t done = __atomic_load_n(&moves_done, __ATOMIC_SEQ_CST);
		uint64_t begun =
			__atomic_load_n(&moves_begun, __ATOMIC_SEQ_CST);
		uint64_t n;

		if (begun == done) {
			heap_lock();
			n = heap.nr_free + stash.frames;
			heap_unlock();
			n += cached_frames();
			if (__atomic_load_n(&moves_begun, __ATOMIC_SEQ_CST) ==
			    begun) {
				return n;
			}
		}
		arch_cpu_relax();
	}
}

/* ---- scrubbing by idle CPUs --------------------------------------------- */

void frame_scrub_enable(void)
{
	__atomic_store_n(&stash.enabled, true, __ATOMIC_RELEASE);
}

void frame_scrub_set_test_delay(uint64_t ns)
{
	__atomic_store_n(&stash.test_delay_ns, ns, __ATOMIC_RELAXED);
}

/* Waits the test delay, if one was set (frame_scrub_set_test_delay). */
static void test_delay(void)
{
	uint64_t ns = __atomic_load_n(&stash.test_delay_ns, __ATOMIC_RELAXED);
	uint64_t until = arch_now_ns() + ns;

	while (ns != 0 && arch_now_ns() < until) {
		arch_cpu_relax();
	}
}

/*
 * Takes the next piece of stash work: the block being zeroed, or a new
 * one from the buddy while the stash is below its target. Returns it
 * with *from set to its first frame not yet zeroed (and *fresh whether
 * it just left the buddy), or NULL if there is nothing to do. Heap lock
 * held.
 */
static struct page_info *stash_next_work(uint64_t *from, bool *fresh)
{
	struct page_info *pg = stash.work;

	*fresh = false;
	if (stash.work_busy) {
		return NULL;
	}
	if (pg == NULL) {
		if (stash.n >= stash_target()) {
			return NULL;
		}
		pg = buddy_alloc_block(FRAME_STASH_ORDER);
		if (pg == NULL) {
			return NULL;
		}
		*fresh = true;
		stash.work = pg;
		stash.work_done = 0;
		stash.frames += FRAME_STASH_FRAMES;
	}
	stash.work_busy = true;
	*from = stash.work_done;
	return pg;
}

bool frame_scrub_idle(void)
{
	struct page_info *pg;
	uint64_t from = 0, to;
	bool fresh;

	if (!__atomic_load_n(&stash.enabled, __ATOMIC_ACQUIRE)) {
		return false;
	}
	heap_lock();
	pg = stash_next_work(&from, &fresh);
	heap_unlock();
	if (pg == NULL) {
		return false;
	}
	if (fresh) {
		/* As frame_alloc does with a block it took (outside the lock). */
		test_delay();
		mark_allocated(pg, FRAME_STASH_ORDER);
		flush_stale(pg, FRAME_STASH_ORDER);
	}
	to = MIN(from + FRAME_SCRUB_PIECE, FRAME_STASH_FRAMES);
	zero_dirty(pg, from, to);
	heap_lock();
	stash.work_done = to;
	stash.work_busy = false;
	if (to == FRAME_STASH_FRAMES) {
		stash.blocks[stash.n++] = pg;
		stash.work = NULL;
	}
	heap_unlock();
	STAT_ADD(scrubbed, to - from);
	return true;
}

uint64_t frame_total_count(void)
{
	uint64_t n;

	heap_lock();
	n = heap.nr_total;
	heap_unlock();
	return n;
}

uint64_t frame_free_blocks(unsigned int order)
{
	uint64_t n;

	if (order > FRAME_MAX_ORDER) {
		return 0;
	}
	heap_lock();
	n = heap.nr_blocks[order];
	heap_unlock();
	return n;
}

void frame_alloc_stats(struct frame_stats *out)
{
	unsigned int cpu, i;

	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		const uint64_t *src = (const uint64_t *)&caches[cpu].stats;
		uint64_t *dst = (uint64_t *)out;

		for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++) {
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
		}
	}
}

/* ---- the audit ---------------------------------------------------------- */

/*
 * Checks the free block headed by frame m (invariants 2 and 3). Returns
 * its order, or -1 after printing what is wrong.
 */
static int audit_free_block(uint64_t m)
{
	unsigned int k = frame_table[m].order;
	uint64_t i;

	if (k > FRAME_MAX_ORDER || (m & ((1ULL << k) - 1)) != 0 ||
	    m + (1ULL << k) > frame_table_nr) {
		printk(LOG_ERR,
		       "frame audit: bad free block mfn %#llx "
		       "order %u\n",
		       (unsigned long long)m, k);
		return -1;
	}
	for (i = 1; i < (1ULL << k); i++) {
		if (frame_table[m + i].flags & PGF_STATE_MASK) {
			printk(LOG_ERR,
			       "frame audit: mfn %#llx inside free "
			       "block %#llx has flags %#x\n",
			       (unsigned long long)(m + i),
			       (unsigned long long)m, frame_table[m + i].flags);
			return -1;
		}
	}
	if (k < FRAME_MAX_ORDER && buddy_is_free_head(m ^ (1ULL << k), k)) {
		printk(LOG_ERR,
		       "frame audit: free block %#llx order %u and "
		       "its buddy were not merged\n",
		       (unsigned long long)m, k);
		return -1;
	}
	return (int)k;
}

/*
 * Walks the frame table (invariant 1), counting free blocks per order into
 * blocks[] and parked frames into *parked. Returns 0 or -1.
 */
static int audit_walk(uint64_t *blocks, uint64_t *parked)
{
	uint64_t m = 0;

	while (m < frame_table_nr) {
		uint8_t st = frame_table[m].flags & PGF_STATE_MASK;
		int k;

		if (st == PGF_FREE) {
			k = audit_free_block(m);
			if (k < 0) {
				return -1;
			}
			blocks[k]++;
			m += 1ULL << k;
			continue;
		}
		if (st == PGF_PERCPU) {
			(*parked)++;
		} else if (st != PGF_RESERVED && st != PGF_ALLOCATED) {
			printk(LOG_ERR,
			       "frame audit: mfn %#llx has state "
			       "flags %#x\n",
			       (unsigned long long)m, st);
			return -1;
		}
		m++;
	}
	return 0;
}

/* Checks the free lists and counters against the walk (invariant 4). */
static int audit_lists(const uint64_t *blocks)
{
	uint64_t frames = 0;
	unsigned int k;

	for (k = 0; k <= FRAME_MAX_ORDER; k++) {
		struct list_head *p;
		uint64_t len = 0;

		/* Open-coded: clang-format cannot lay out list_for_each. */
		for (p = heap.free[k].next; p != &heap.free[k]; p = p->next) {
			const struct page_info *pg =
				list_entry(p, struct page_info, list);

			if (!(pg->flags & PGF_FREE) || pg->order != k) {
				printk(LOG_ERR,
				       "frame audit: list %u holds "
				       "a frame that is not a free head\n",
				       k);
				return -1;
			}
			len++;
		}
		if (len != blocks[k] || len != heap.nr_blocks[k]) {
			printk(LOG_ERR,
			       "frame audit: order %u: %llu listed, "
			       "%llu found, %llu counted\n",
			       k, (unsigned long long)len,
			       (unsigned long long)blocks[k],
			       (unsigned long long)heap.nr_blocks[k]);
			return -1;
		}
		frames += blocks[k] << k;
	}
	if (frames != heap.nr_free) {
		printk(LOG_ERR,
		       "frame audit: %llu free frames, counter says "
		       "%llu\n",
		       (unsigned long long)frames,
		       (unsigned long long)heap.nr_free);
		return -1;
	}
	return 0;
}

int frame_alloc_audit(void)
{
	uint64_t blocks[FRAME_MAX_ORDER + 1] = { 0 };
	uint64_t parked = 0, in_caches = cached_frames();
	int rc;

	heap_lock();
	rc = audit_walk(blocks, &parked);
	if (rc == 0) {
		rc = audit_lists(blocks);
	}
	heap_unlock();
	if (rc == 0 && parked != in_caches) {
		printk(LOG_ERR,
		       "frame audit: %llu frames marked per-CPU, "
		       "caches hold %llu\n",
		       (unsigned long long)parked,
		       (unsigned long long)in_caches);
		rc = -1;
	}
	return rc;
}
