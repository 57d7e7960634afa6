/* SPDX-License-Identifier: MIT */
/*
 * Guest superpages (see xeno/superpage.h): the region records and the
 * O(1) checks and counts behind 2 MiB and 1 GiB guest mappings.
 *
 * Why a superpage entry is safe without a reference on each frame:
 *  - ownership: it is taken only while own says every frame of the
 *    region is on d's list. A frame leaving the list first lowers owned
 *    (under d's lock), then, if a superpage still maps the region, is
 *    held by the region instead of freed (superpage_hold); so no frame
 *    under a live superpage is ever freed.
 *  - types: use counts both the superpage entries and the frames in use
 *    as page tables or descriptor pages, and one compare-and-swap admits
 *    an increment of either only while the other is 0. A 1 GiB region's
 *    frames are counted in both its record and their 2 MiB record; a
 *    frame becoming a table takes the 1 GiB count first and undoes it if
 *    the 2 MiB one refuses (a racing mapper may see a spurious refusal,
 *    never a spurious success).
 *  - the pair own/use: superpage_get reads own, increments use.maps and
 *    reads own again; a release lowers own, then reads use.maps (both
 *    sequentially consistent). Either the mapper sees the release and
 *    backs out, or the release sees the map and holds the frame.
 *  - stale TLB entries: a table going idle stamps its region
 *    (table_stamp), a superpage entry dropped stamps its region
 *    (map_stamp); a writable superpage over a region that had tables, and
 *    a frame becoming a table in a region that had superpages, first
 *    flush the CPUs that may still cache the old use (mm/tlb.c). Whole
 *    frames reused through the free pool are covered by the allocator.
 *
 * Held frames: a frame released under a superpage keeps its allocation
 * reference, marked PGO_SP_HELD in its order byte, and is counted in its
 * 2 MiB record's held. When the last superpage over the region goes, the
 * marked frames are unmarked and their reference dropped. The holder and
 * the last unmapper pair like the release and the mapper above (the
 * holder raises held and then reads maps, the unmapper lowers maps and
 * then reads held), and the hold lock makes marking and draining one at
 * a time. A region with held frames is not wholly owned, so it gains no
 * new superpage until they are gone.
 *
 * Locks: hold_lock (LOCK_RANK_LEAF): nothing is taken inside it; held
 * frames are put after it is dropped.
 */
#include <xeno/arch.h>
#include <xeno/atomic.h>
#include <xeno/errno.h>
#include <xeno/lib.h>
#include <xeno/mm_why.h>
#include <xeno/pte.h>
#include <xeno/spinlock.h>
#include <xeno/superpage.h>
#include <xeno/tlb.h>
#include <xeno/xmalloc.h>

#define OWN_OWNER_MASK 0xffffULL
#define OWN_OWNED_ONE  (1ULL << 16)
#define OWN_TOTAL_ONE  (1ULL << 36)
#define OWN_FIELD      0xfffffULL
#define USE_TABLE_ONE  1ULL
#define USE_MAP_ONE    (1ULL << 20)
#define USE_FIELD      0xfffffULL
#define USE_MAPS_MAX   0xffffffffULL

/* Bit 12 of a superpage entry is its PAT bit, not an address bit. */
#define PTE_PS_PAT (1ULL << 12)

static struct {
	struct sp_region *r[2]; /* [0]: 2 MiB records, [1]: 1 GiB records */
	uint64_t nr[2];
	bool on[2];
} sp = { .on = { true, true } };

static spinlock_t hold_lock = SPINLOCK_INIT("superpage holds", LOCK_RANK_LEAF);
static struct superpage_stats stats;

static void count_event(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* ---- the records ------------------------------------------------------- */

static uint64_t regions_of(uint64_t nr_frames, unsigned int level)
{
	return (nr_frames + SP_FRAMES(level) - 1) >> SP_ORDER(level);
}

int superpage_records_init(void)
{
	uint64_t n2 = regions_of(frame_table_nr, 2);
	uint64_t n3 = regions_of(frame_table_nr, 3);
	struct sp_region *r = xzalloc((size_t)(n2 + n3) * sizeof(*r));

	memset(&sp.r, 0, sizeof(sp.r));
	memset(&sp.nr, 0, sizeof(sp.nr));
	memset(&stats, 0, sizeof(stats));
	if (r == NULL) {
		return -ENOMEM;
	}
	sp.r[0] = r;
	sp.r[1] = r + n2;
	sp.nr[0] = n2;
	sp.nr[1] = n3;
	return 0;
}

void superpage_configure(bool two_mb, bool one_gb)
{
	sp.on[0] = two_mb;
	sp.on[1] = one_gb;
}

uint64_t superpage_nr_regions(unsigned int level)
{
	return sp.nr[level - 2];
}

struct sp_region *superpage_region(unsigned int level, mfn_t m)
{
	ASSERT(level == 2 || level == 3);
	ASSERT(mfn_x(m) >> SP_ORDER(level) < sp.nr[level - 2]);
	return &sp.r[level - 2][mfn_x(m) >> SP_ORDER(level)];
}

static uint64_t own_owned(uint64_t x)
{
	return (x / OWN_OWNED_ONE) & OWN_FIELD;
}

static uint64_t own_total(uint64_t x)
{
	return (x / OWN_TOTAL_ONE) & OWN_FIELD;
}

static domid_t own_owner(uint64_t x)
{
	return (domid_t)(x & OWN_OWNER_MASK);
}

static uint64_t use_tables(uint64_t x)
{
	return x & USE_FIELD;
}

static uint64_t use_maps(uint64_t x)
{
	return (x / USE_MAP_ONE) & USE_MAPS_MAX;
}

/* Raises *stamp to now (keeping the later one: stores may cross). */
static void stamp_raise(uint32_t *stamp)
{
	uint32_t now = tlb_stamp();
	uint32_t old = __atomic_load_n(stamp, __ATOMIC_SEQ_CST);

	while (tlb_stamp_later(old, now) == now && old != now &&
	       !__atomic_compare_exchange_n(stamp, &old, now, false,
					    __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST)) {
	}
}

/* ---- ownership ------------------------------------------------------------ */

/* k frames of region r join domain d's page list. */
static void own_join(struct sp_region *r, domid_t d, uint64_t k)
{
	uint64_t x = atomic_read64(&r->own), n;

	do {
		if (own_total(x) == 0) {
			n = d | k * OWN_OWNED_ONE | k * OWN_TOTAL_ONE;
		} else if (own_owner(x) == d) {
			n = x + k * (OWN_OWNED_ONE + OWN_TOTAL_ONE);
		} else {
			n = x + k * OWN_TOTAL_ONE;
		}
	} while (!atomic_cmpxchg64(&r->own, &x, n));
}

/* k frames of region r leave domain d's page list. */
static void own_leave(struct sp_region *r, domid_t d, uint64_t k)
{
	uint64_t x = atomic_read64(&r->own), n;

	do {
		BUG_ON(own_total(x) < k);
		n = x - k * OWN_TOTAL_ONE;
		if (own_owner(x) == d) {
			BUG_ON(own_owned(x) < k);
			n -= k * OWN_OWNED_ONE;
		}
	} while (!atomic_cmpxchg64(&r->own, &x, n));
}

void superpage_assign(struct page_info *pg, domid_t d)
{
	superpage_assign_n(pg, 1, d);
}

void superpage_unassign(struct page_info *pg, domid_t d)
{
	superpage_unassign_n(pg, 1, d);
}

void superpage_assign_n(struct page_info *pg, uint64_t n, domid_t d)
{
	BUG_ON(n == 0 || n > SP_FRAMES(2));
	own_join(superpage_region(2, page_to_mfn(pg)), d, n);
	own_join(superpage_region(3, page_to_mfn(pg)), d, n);
}

void superpage_unassign_n(struct page_info *pg, uint64_t n, domid_t d)
{
	BUG_ON(n == 0 || n > SP_FRAMES(2));
	own_leave(superpage_region(2, page_to_mfn(pg)), d, n);
	own_leave(superpage_region(3, page_to_mfn(pg)), d, n);
}

/* Whether every frame of the level's region r is on d's page list. */
static bool own_whole(const struct sp_region *r, unsigned int level, domid_t d)
{
	uint64_t x = atomic_read64(&r->own);

	return own_owned(x) == SP_FRAMES(level) && own_owner(x) == d;
}

/* ---- holding released frames ----------------------------------------------- */

static bool covered(mfn_t m)
{
	return use_maps(atomic_read64(&superpage_region(2, m)->use)) != 0 ||
	       use_maps(atomic_read64(&superpage_region(3, m)->use)) != 0;
}

/* Sets or clears PGO_SP_HELD in pg's order byte (part of count_word). */
static void mark_held(struct page_info *pg, bool on)
{
	uint64_t bit = (uint64_t)PGO_SP_HELD << PCW_ORDER_SHIFT;
	uint64_t x = atomic_read64(&pg->count_word);

	do {
		BUG_ON(((x & bit) != 0) == on);
	} while (!atomic_cmpxchg64(&pg->count_word, &x,
				   on ? x | bit : x & ~bit));
}

bool superpage_covered(const struct page_info *pg)
{
	return covered(page_to_mfn(pg));
}

bool superpage_hold(struct page_info *pg)
{
	mfn_t m = page_to_mfn(pg);
	struct sp_region *r = superpage_region(2, m);
	bool keep;

	/* Off the list, the region gains no new superpage: 0 stays 0. */
	if (!covered(m)) {
		return false;
	}
	spin_lock(&hold_lock);
	mark_held(pg, true);
	__atomic_fetch_add(&r->held, 1, __ATOMIC_SEQ_CST);
	keep = covered(m);
	if (!keep) {
		mark_held(pg, false);
		__atomic_fetch_sub(&r->held, 1, __ATOMIC_SEQ_CST);
	}
	spin_unlock(&hold_lock);
	if (keep) {
		count_event(&stats.holds);
	}
	return keep;
}

#define DRAIN_BATCH 32

/*
 * The 2 MiB region starting at frame first lost its last superpage (of
 * either level): drops the references it held, in batches so that no
 * page_put runs under the lock.
 */
static void drain_region(mfn_t first)
{
	struct sp_region *r = superpage_region(2, first);
	struct page_info *batch[DRAIN_BATCH];
	uint64_t i = 0, k, n;

	while (i < SP_FRAMES(2)) {
		n = 0;
		spin_lock(&hold_lock);
		if (covered(first) ||
		    __atomic_load_n(&r->held, __ATOMIC_SEQ_CST) == 0) {
			spin_unlock(&hold_lock);
			break;
		}
		for (; i < SP_FRAMES(2) && n < DRAIN_BATCH; i++) {
			struct page_info *pg = mfn_to_page(mfn_add(first, i));

			if (pg->order & PGO_SP_HELD) {
				mark_held(pg, false);
				__atomic_fetch_sub(&r->held, 1,
						   __ATOMIC_SEQ_CST);
				batch[n++] = pg;
			}
		}
		spin_unlock(&hold_lock);
		for (k = 0; k < n; k++) {
			count_event(&stats.hold_drops);
			page_put(batch[k]);
		}
	}
}

/* The level's region at first lost its last superpage entry. */
static void release_held(unsigned int level, mfn_t first)
{
	uint64_t i;

	for (i = 0; i < SP_FRAMES(level); i += SP_FRAMES(2)) {
		mfn_t sub = mfn_add(first, i);

		if (mfn_x(sub) >> SP_ORDER(2) >= sp.nr[0]) {
			break;
		}
		if (__atomic_load_n(&superpage_region(2, sub)->held,
				    __ATOMIC_SEQ_CST) != 0) {
			drain_region(sub);
		}
	}
}

/* ---- tables under superpages ------------------------------------------------ */

static bool table_inc(struct sp_region *r)
{
	uint64_t x = atomic_read64(&r->use);

	do {
		if (use_maps(x) != 0) {
			return false;
		}
		BUG_ON(use_tables(x) == USE_FIELD);
	} while (!atomic_cmpxchg64(&r->use, &x, x + USE_TABLE_ONE));
	return true;
}

static void table_dec(struct sp_region *r)
{
	uint64_t old =
		__atomic_fetch_sub(&r->use, USE_TABLE_ONE, __ATOMIC_SEQ_CST);

	BUG_ON(use_tables(old) == 0);
}

int superpage_table_begin(struct page_info *pg, uint64_t type)
{
	mfn_t m = page_to_mfn(pg);
	struct sp_region *r2 = superpage_region(2, m);
	struct sp_region *r3 = superpage_region(3, m);
	uint32_t stale;

	if (!table_inc(r3)) {
		mm_why_note(XENO_WHY_UNDER_SUPERPAGE, type, m);
		return -EINVAL;
	}
	if (!table_inc(r2)) {
		table_dec(r3);
		mm_why_note(XENO_WHY_UNDER_SUPERPAGE, type, m);
		return -EINVAL;
	}
	stale = tlb_stamp_later(
		__atomic_load_n(&r2->map_stamp, __ATOMIC_SEQ_CST),
		__atomic_load_n(&r3->map_stamp, __ATOMIC_SEQ_CST));
	if (stale != 0) {
		/* A superpage mapped it (maybe writable) until stale. */
		tlb_flush_stale(stale);
	}
	return 0;
}

void superpage_table_abort(struct page_info *pg)
{
	table_dec(superpage_region(2, page_to_mfn(pg)));
	table_dec(superpage_region(3, page_to_mfn(pg)));
}

void superpage_table_end(struct page_info *pg)
{
	struct sp_region *r2 = superpage_region(2, page_to_mfn(pg));
	struct sp_region *r3 = superpage_region(3, page_to_mfn(pg));

	stamp_raise(&r2->table_stamp);
	stamp_raise(&r3->table_stamp);
	table_dec(r2);
	table_dec(r3);
}

/* ---- superpage entries -------------------------------------------------------- */

mfn_t superpage_mfn(unsigned int level, uint64_t e)
{
	return mfn(((e & PTE_ADDR) >> PAGE_SHIFT) & ~(SP_FRAMES(level) - 1));
}

/* Takes a map reference unless a frame is a table (or the count is full). */
static int map_inc(struct sp_region *r, uint64_t e, mfn_t m)
{
	uint64_t x = atomic_read64(&r->use);

	do {
		if (use_tables(x) != 0) {
			mm_why_note(XENO_WHY_SUPERPAGE_HAS_TABLES, e, m);
			return -EINVAL;
		}
		if (use_maps(x) == USE_MAPS_MAX) {
			mm_why_note(XENO_WHY_SUPERPAGE_OVERFLOW, e, m);
			return -EINVAL;
		}
	} while (!atomic_cmpxchg64(&r->use, &x, x + USE_MAP_ONE));
	return 0;
}

/* Drops a map reference; the last one lets held frames go. */
static void map_dec(unsigned int level, mfn_t first, bool was_stored)
{
	struct sp_region *r = superpage_region(level, first);
	uint64_t old;

	if (was_stored) {
		/* Its TLB entries may live until a flush after now. */
		stamp_raise(&r->map_stamp);
	}
	old = __atomic_fetch_sub(&r->use, USE_MAP_ONE, __ATOMIC_SEQ_CST);
	BUG_ON(use_maps(old) == 0);
	if (use_maps(old) == 1) {
		release_held(level, first);
	}
}

/* The entry's address checks: alignment, and a region inside memory. */
static int check_region(unsigned int level, uint64_t e, mfn_t m)
{
	if (!sp.on[level - 2]) {
		mm_why_note(XENO_WHY_SUPERPAGE_UNSUPPORTED, e, INVALID_MFN);
		return -EINVAL;
	}
	if (((e & PTE_ADDR & ~PTE_PS_PAT) >> PAGE_SHIFT) !=
	    mfn_x(superpage_mfn(level, e))) {
		mm_why_note(XENO_WHY_SUPERPAGE_ALIGN, e, INVALID_MFN);
		return -EINVAL;
	}
	if (mfn_x(m) + SP_FRAMES(level) > frame_table_nr) {
		mm_why_note(XENO_WHY_SUPERPAGE_NOT_RAM, e, INVALID_MFN);
		return -EINVAL;
	}
	return 0;
}

int superpage_get(unsigned int level, uint64_t e, const struct mm_domain *d)
{
	mfn_t m = superpage_mfn(level, e);
	struct sp_region *r = NULL;
	uint32_t stale;
	int rc;

	ASSERT(level == 2 || level == 3);
	rc = check_region(level, e, m);
	if (rc == 0) {
		r = superpage_region(level, m);
		if (!own_whole(r, level, d->domid)) {
			mm_why_note(XENO_WHY_SUPERPAGE_NOT_OWNER, e, m);
			rc = -EINVAL;
		} else {
			rc = map_inc(r, e, m);
		}
		if (rc == 0 && !own_whole(r, level, d->domid)) {
			/* A frame left the domain meanwhile (see the top). */
			map_dec(level, m, false);
			mm_why_note(XENO_WHY_SUPERPAGE_NOT_OWNER, e, m);
			rc = -EINVAL;
		}
	}
	if (rc != 0) {
		count_event(&stats.refused);
		return rc;
	}
	stale = __atomic_load_n(&r->table_stamp, __ATOMIC_SEQ_CST);
	if ((e & PTE_RW) && stale != 0) {
		/* Frames that were tables become writable: flush them. */
		tlb_flush_stale(stale);
	}
	count_event(&stats.maps);
	return 0;
}

void superpage_put(unsigned int level, uint64_t e)
{
	count_event(&stats.unmaps);
	map_dec(level, superpage_mfn(level, e), true);
}

/* ---- statistics and audit ----------------------------------------------------- */

void superpage_stats_read(struct superpage_stats *out)
{
	out->maps = __atomic_load_n(&stats.maps, __ATOMIC_RELAXED);
	out->unmaps = __atomic_load_n(&stats.unmaps, __ATOMIC_RELAXED);
	out->refused = __atomic_load_n(&stats.refused, __ATOMIC_RELAXED);
	out->holds = __atomic_load_n(&stats.holds, __ATOMIC_RELAXED);
	out->hold_drops = __atomic_load_n(&stats.hold_drops, __ATOMIC_RELAXED);
}

void superpage_stats_reset(void)
{
	memset(&stats, 0, sizeof(stats));
}

/* Whether the type word says "a table or descriptor type in use". */
static bool counts_as_table(uint64_t ti)
{
	uint64_t type = ti & PGT_type_mask;

	return ((type >= PGT_l1 && type <= PGT_l4) || type == PGT_seg_desc) &&
	       ((ti & PGT_count_mask) != 0 || (ti & (PGT_busy | PGT_partial)));
}

/* What one record should hold, recounted from the frames. */
struct sp_expect {
	uint64_t total, tables, held;
};

static void expect_region(unsigned int level, uint64_t idx,
			  struct sp_expect *ex)
{
	uint64_t first = idx << SP_ORDER(level), i;

	memset(ex, 0, sizeof(*ex));
	for (i = first; i < first + SP_FRAMES(level) && i < frame_table_nr;
	     i++) {
		const struct page_info *pg = &frame_table[i];

		if (counts_as_table(pg->type_info)) {
			ex->tables++;
		}
		if ((pg->flags & PGF_DOMAIN) && (pg->order & PGO_SP_HELD)) {
			ex->held++;
		}
		if (!mm_domain_holds(pg)) {
			continue;
		}
		ex->total++;
	}
}

static int sp_mismatch(unsigned int level, uint64_t idx, const char *what,
		       uint64_t have, uint64_t want)
{
	printk(LOG_ERR,
	       "mm audit: superpage region L%u #%llu: %s is %llu, "
	       "expected %llu\n",
	       level, (unsigned long long)idx, what, (unsigned long long)have,
	       (unsigned long long)want);
	return -1;
}

/* Frames of the region on owner's list. */
static uint64_t owned_by(unsigned int level, uint64_t idx, domid_t owner)
{
	uint64_t first = idx << SP_ORDER(level), i, n = 0;

	for (i = first; i < first + SP_FRAMES(level) && i < frame_table_nr;
	     i++) {
		if (mm_domain_holds(&frame_table[i]) &&
		    frame_table[i].owner == owner) {
			n++;
		}
	}
	return n;
}

static int audit_region(unsigned int level, uint64_t idx, uint32_t maps,
			uint64_t covering_maps)
{
	const struct sp_region *r = &sp.r[level - 2][idx];
	uint64_t own = r->own, use = r->use;
	struct sp_expect ex;

	expect_region(level, idx, &ex);
	if (own_total(own) != ex.total) {
		return sp_mismatch(level, idx, "frames on lists",
				   own_total(own), ex.total);
	}
	if (ex.total != 0 &&
	    own_owned(own) != owned_by(level, idx, own_owner(own))) {
		return sp_mismatch(level, idx, "frames of the owner",
				   own_owned(own),
				   owned_by(level, idx, own_owner(own)));
	}
	if (ex.total == 0 && own_owned(own) != 0) {
		return sp_mismatch(level, idx, "owned frames", own_owned(own),
				   0);
	}
	if (use_tables(use) != ex.tables) {
		return sp_mismatch(level, idx, "table frames", use_tables(use),
				   ex.tables);
	}
	if (use_maps(use) != maps) {
		return sp_mismatch(level, idx, "superpage entries",
				   use_maps(use), maps);
	}
	if (level == 2 && r->held != ex.held) {
		return sp_mismatch(level, idx, "held frames", r->held, ex.held);
	}
	if (level == 2 && ex.held != 0 && maps + covering_maps == 0) {
		return sp_mismatch(level, idx, "held frames without superpage",
				   ex.held, 0);
	}
	return 0;
}

int superpage_audit(const uint32_t *maps2, const uint32_t *maps3)
{
	uint64_t i;

	for (i = 0; i < sp.nr[1]; i++) {
		if (audit_region(3, i, maps3[i], 0) != 0) {
			return -1;
		}
	}
	for (i = 0; i < sp.nr[0]; i++) {
		uint64_t up = maps3[i >> (SP_ORDER(3) - SP_ORDER(2))];

		if (audit_region(2, i, maps2[i], up) != 0) {
			return -1;
		}
	}
	return 0;
}
