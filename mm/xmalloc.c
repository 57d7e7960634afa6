/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor heap (interface and rules in xeno/xmalloc.h).
 *
 * Small requests are rounded up to a power-of-two size class (16 to 2048
 * bytes). Each class carves single frames ("slabs") into objects of its
 * size, so an object is aligned to its size. A slab's state lives in its
 * page_info while it has PGF_XMALLOC:
 *   order     XM_SLAB | size class index
 *   count     objects in use
 *   type_info byte offset + 1 of the first free object, 0 if none; each
 *             free object's first 8 bytes hold the next one the same way
 *   list      link on its class's list of slabs with a free object
 * A slab whose last object is freed goes back to the frame allocator,
 * unless it is the only slab of its class with free objects (so a single
 * alloc/free pair does not allocate and free a frame every time).
 *
 * Larger requests take a block of 2^order frames; its head frame has
 * PGF_XMALLOC and order = the block's order (below XM_SLAB), its other
 * frames PGF_XMALLOC and order XM_TAIL, so xfree can tell every pointer
 * apart.
 *
 * Locks: xm.lock (LOCK_RANK_XMALLOC) protects the class lists and every
 * slab's page_info fields; the frame allocator is called with it held,
 * which the rank order allows. Large blocks need no lock.
 */
#include <xeno/arch.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/spinlock.h>
#include <xeno/xmalloc.h>

#define XM_NR_CLASSES 8	   /* 16, 32, ..., 2048 */
#define XM_SLAB	      0x80 /* page_info.order tag of a slab frame */
#define XM_TAIL	      0xff /* page_info.order of a large block's tail */
#define XM_JUNK	      0x6b /* debug builds fill freed objects with it */

#ifdef XENO_DEBUG
static const bool debug_build = true;
#else
static const bool debug_build = false;
#endif

_Static_assert(XMALLOC_MAX_SLAB == XMALLOC_MIN_SIZE << (XM_NR_CLASSES - 1),
	       "size classes must run from XMALLOC_MIN_SIZE to the max");
_Static_assert(XMALLOC_MAX_SLAB <= PAGE_SIZE / 2, "slabs hold 2+ objects");
_Static_assert(FRAME_MAX_ORDER < XM_SLAB, "orders must not look like slabs");

static struct {
	spinlock_t lock;
	struct list_head partial[XM_NR_CLASSES]; /* slabs with a free object */
	uint64_t nr_slabs;
} xm = {
	.lock = SPINLOCK_INIT("xmalloc", LOCK_RANK_XMALLOC),
	.partial = {
		LIST_HEAD_INIT(xm.partial[0]), LIST_HEAD_INIT(xm.partial[1]),
		LIST_HEAD_INIT(xm.partial[2]), LIST_HEAD_INIT(xm.partial[3]),
		LIST_HEAD_INIT(xm.partial[4]), LIST_HEAD_INIT(xm.partial[5]),
		LIST_HEAD_INIT(xm.partial[6]), LIST_HEAD_INIT(xm.partial[7]),
	},
};

void xmalloc_init(void)
{
	unsigned int c;

	spin_lock_init(&xm.lock, "xmalloc", LOCK_RANK_XMALLOC);
	for (c = 0; c < XM_NR_CLASSES; c++) {
		list_init(&xm.partial[c]);
	}
	xm.nr_slabs = 0;
}

uint64_t xmalloc_slab_frames(void)
{
	uint64_t n;

	spin_lock(&xm.lock);
	n = xm.nr_slabs;
	spin_unlock(&xm.lock);
	return n;
}

/* The size class index for a request of at most XMALLOC_MAX_SLAB bytes. */
static unsigned int size_class(size_t size)
{
	unsigned int c = 0;

	while (((size_t)XMALLOC_MIN_SIZE << c) < size) {
		c++;
	}
	return c;
}

static size_t class_size(unsigned int c)
{
	return (size_t)XMALLOC_MIN_SIZE << c;
}

static char *slab_base(const struct page_info *pg)
{
	return arch_mfn_to_virt(page_to_mfn(pg));
}

/* The link stored in a free object: offset + 1 of the next, 0 at the end. */
static uint64_t *obj_link(char *obj)
{
	return (uint64_t *)(void *)obj;
}

/* ---- slabs (xm.lock held) ----------------------------------------------- */

/* Takes a frame and threads all its objects onto its free list. */
static struct page_info *slab_new(unsigned int c)
{
	struct page_info *pg = frame_alloc(0, 0);
	size_t size = class_size(c), off;
	char *base;

	if (pg == NULL) {
		return NULL;
	}
	base = slab_base(pg);
	for (off = 0; off < PAGE_SIZE; off += size) {
		*obj_link(base + off) =
			off + size < PAGE_SIZE ? off + size + 1 : 0;
	}
	pg->flags |= PGF_XMALLOC;
	pg->order = (uint8_t)(XM_SLAB | c);
	pg->count = 0;
	pg->type_info = 1; /* the object at offset 0 */
	list_add(&pg->list, &xm.partial[c]);
	xm.nr_slabs++;
	return pg;
}

/* Gives an empty slab's frame back to the frame allocator. */
static void slab_release(struct page_info *pg)
{
	ASSERT(pg->count == 0);
	list_del(&pg->list);
	pg->flags &= (uint8_t)~PGF_XMALLOC;
	pg->type_info = 0;
	pg->order = 0;
	xm.nr_slabs--;
	/* Freed objects may hold hypervisor secrets: scrub before reuse. */
	frame_free(pg, 0, FF_SCRUB);
}

/* Pops a free object off a slab that has one. */
static void *slab_pop(struct page_info *pg)
{
	char *obj = slab_base(pg) + (pg->type_info - 1);

	ASSERT(pg->type_info != 0 && pg->type_info <= PAGE_SIZE);
	pg->type_info = *obj_link(obj);
	pg->count++;
	if (pg->type_info == 0) {
		list_del(&pg->list);
	}
	return obj;
}

/*
 * Whether the object at off is already on its slab's free list (a double
 * free). Walks the whole list, so only debug builds ask.
 */
static bool slab_obj_is_free(const struct page_info *pg, uint64_t off)
{
	uint64_t link = pg->type_info;
	unsigned int steps = 0;

	while (link != 0) {
		if (link - 1 == off) {
			return true;
		}
		link = *obj_link(slab_base(pg) + link - 1);
		BUG_ON(++steps > PAGE_SIZE / XMALLOC_MIN_SIZE);
	}
	return false;
}

/* Pushes the object at off back onto its slab, releasing the slab if idle. */
static void slab_push(struct page_info *pg, unsigned int c, uint64_t off)
{
	char *obj = slab_base(pg) + off;
	bool was_full = pg->type_info == 0;

#ifdef XENO_DEBUG
	memset(obj, XM_JUNK, class_size(c));
#endif
	ASSERT(pg->count != 0);
	*obj_link(obj) = pg->type_info;
	pg->type_info = off + 1;
	pg->count--;
	if (was_full) {
		list_add(&pg->list, &xm.partial[c]);
	}
	if (pg->count == 0 && (xm.partial[c].next != &pg->list ||
			       xm.partial[c].prev != &pg->list)) {
		slab_release(pg);
	}
}

static void *slab_alloc(size_t size)
{
	unsigned int c = size_class(size);
	struct page_info *pg;
	void *obj = NULL;

	spin_lock(&xm.lock);
	if (list_empty(&xm.partial[c])) {
		pg = slab_new(c);
	} else {
		pg = list_first_entry(&xm.partial[c], struct page_info, list);
	}
	if (pg != NULL) {
		obj = slab_pop(pg);
	}
	spin_unlock(&xm.lock);
	return obj;
}

static void slab_free(struct page_info *pg, const void *p)
{
	unsigned int c = pg->order & (XM_SLAB - 1);
	uint64_t off = (uint64_t)((const char *)p - slab_base(pg));

	if (c >= XM_NR_CLASSES || off % class_size(c) != 0) {
		panic("xfree: %p is not an object start (class %u)", p, c);
	}
	spin_lock(&xm.lock);
	if (pg->count == 0 || (debug_build && slab_obj_is_free(pg, off))) {
		/* Unlock first so a host test's panic hook can carry on. */
		spin_unlock(&xm.lock);
		panic("xfree: double free of %p", p);
	}
	slab_push(pg, c, off);
	spin_unlock(&xm.lock);
}

/* ---- large blocks ------------------------------------------------------- */

static void *large_alloc(size_t size)
{
	uint64_t frames, i;
	unsigned int order = 0;
	struct page_info *pg;

	if ((uint64_t)size > (PAGE_SIZE << FRAME_MAX_ORDER)) {
		return NULL;
	}
	frames = ROUND_UP((uint64_t)size, PAGE_SIZE) >> PAGE_SHIFT;
	while ((1ULL << order) < frames) {
		order++;
	}
	pg = frame_alloc(order, 0);
	if (pg == NULL) {
		return NULL;
	}
	for (i = 0; i < (1ULL << order); i++) {
		pg[i].flags |= PGF_XMALLOC;
		pg[i].order = i == 0 ? (uint8_t)order : XM_TAIL;
	}
	return slab_base(pg);
}

static void large_free(struct page_info *pg, const void *p)
{
	unsigned int order = pg->order;
	uint64_t i;

	if (order == XM_TAIL || ((uintptr_t)p & (PAGE_SIZE - 1)) != 0) {
		panic("xfree: %p is inside a large block, not its start", p);
	}
	for (i = 0; i < (1ULL << order); i++) {
		pg[i].flags &= (uint8_t)~PGF_XMALLOC;
		pg[i].order = 0;
	}
	frame_free(pg, order, FF_SCRUB);
}

/* ---- the interface ------------------------------------------------------ */

void *xmalloc(size_t size)
{
	if (size <= XMALLOC_MAX_SLAB) {
		return slab_alloc(size);
	}
	return large_alloc(size);
}

void *xzalloc(size_t size)
{
	void *p = xmalloc(size);

	if (p != NULL) {
		memset(p, 0, size);
	}
	return p;
}

void xfree(void *p)
{
	struct page_info *pg;
	mfn_t m;

	if (p == NULL) {
		return;
	}
	m = arch_virt_to_mfn(p);
	if (!mfn_valid(m)) {
		panic("xfree: %p is not hypervisor memory", p);
	}
	pg = mfn_to_page(m);
	if ((pg->flags & (PGF_ALLOCATED | PGF_XMALLOC)) !=
	    (PGF_ALLOCATED | PGF_XMALLOC)) {
		panic("xfree: %p was not allocated by xmalloc (flags %#x)", p,
		      pg->flags);
	}
	if ((pg->order & XM_SLAB) && pg->order != XM_TAIL) {
		slab_free(pg, p);
	} else {
		large_free(pg, p);
	}
}
