/* SPDX-License-Identifier: MIT */
/*
 * A libFuzzer target over the page-type machine (mm/ptype.c, mm/pte.c,
 * mm/mm_domain.c) on the host build.
 *
 * Each input is a little program run against a fresh host machine of
 * FZ_FRAMES frames with three domains: slot 0 privileged (like dom0),
 * slots 1 and 2 ordinary. Two header bytes are the "boot" settings (NX,
 * linear page tables, which domains have I/O resources, their memory
 * limits); every following group of bytes decodes into one operation a
 * guest could cause through a hypercall: allocate or release frames,
 * write page-table entries into its frames, take and drop general and
 * type references of every type (writable, L1..L4), pin and unpin,
 * foreign references of the privileged domain, continue a preempted
 * call, change the preemption interval or the CPU, destroy a domain.
 * Frames are named the way a guest names them, by frame number: mostly
 * the domain's own, but also other domains' frames, released ones,
 * reserved and hypervisor frames, numbers beyond the end of memory, and
 * for entries the table itself.
 *
 * Rules the harness keeps, so that every crash is the hypervisor's:
 *  - It calls only the interface a hypercall handler would, never a
 *    page_info field or the type word directly.
 *  - A guest writes its frames through a writable mapping, so a write
 *    takes a writable type reference for its duration; a page table in
 *    use cannot be written, exactly as on the machine.
 *  - It drops only references it took itself, which it keeps in a shadow
 *    table (struct hold) with the domain that took them; a domain's own
 *    go before the domain is destroyed, the privileged domain's foreign
 *    ones may outlive the frame's owner.
 *  - A reference an operation takes is temporary, as in a hypercall: it
 *    is dropped at the end of the operation or, to stand for a hypercall
 *    still running on another CPU, up to three operations later. While
 *    held it is registered with mm_hold_outside_ref() (or the typed
 *    form), so that the audit counts it.
 *  - mm_audit() runs after every operation. At the end of each input
 *    every domain is destroyed, the audits must pass and every frame
 *    must be back in the allocator. A failure, a panic (the host arch
 *    aborts on one) or a sanitizer report is a crash.
 *
 * Input: two header bytes (setup()), then per operation one byte, whose
 * low 4 bits index ops[] and high 4 bits (mod 3) give the domain, and the
 * operation's own bytes; a short input reads as zeroes. The hand-made
 * seeds in tests/fuzz/corpus/ptype/ each start one scenario: a pinned
 * four-level tree validated again in preempted steps, linear tables,
 * foreign mappings outliving their domain, a released half-validated
 * table, all memory taken, a released frame still mapped, bad frames.
 *
 * Every input starts from a new machine, so no state leaks between
 * inputs and a crash reproduces from its input alone. Set
 * FUZZ_PTYPE_TRACE=1 to print each operation and its result (to replay
 * a crash: build/fuzz/fuzz_ptype crash-file).
 */
#include "fuzz_common.h"

#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/mm_domain.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/xmalloc.h>

#define FZ_FRAMES 512
#define FZ_CPUS	  2
#define FZ_DOMS	  3
#define FZ_PRIV	  0   /* the privileged slot */
#define FZ_LIVE	  256 /* most frames the harness tracks per domain */
#define FZ_STALE  16  /* recently released frames kept as targets */
#define FZ_HOLDS  64  /* references the harness holds at most */
/*
 * mm_audit() allocates a table of its own (12 bytes a frame today: an
 * order-1 block here), and the guests may take every free frame; the
 * harness keeps a block of that size aside and frees it for the audit.
 */
#define FZ_AUDIT_RESERVE (2 * PAGE_SIZE)
/* Most continuations of one call in one operation ("to the end"). */
#define FZ_CONTINUE_MAX 4096

/* A call that returned -EAGAIN and is to be continued. */
enum pend_what { PEND_NONE, PEND_GET, PEND_PIN };

/* How the harness took a reference, hence how it drops it. */
enum hold_kind {
	HOLD_GENERAL,	/* page_get / page_get_foreign */
	HOLD_TYPED,	/* page_get_and_type */
	HOLD_FOREIGN_W, /* page_get_foreign + a writable type reference */
};

/* A simulated domain: the mm part and what the harness knows of it. */
struct fz_dom {
	struct mm_domain mm;
	uint64_t max_pages;
	/* Its frames: exactly those on its page list. */
	uint64_t live[FZ_LIVE];
	unsigned int nr_live;
	/* The call that last returned -EAGAIN, to be continued. */
	struct {
		enum pend_what what;
		uint64_t mfn;
		uint64_t type;
	} pending;
};

/* A reference the harness took and must drop. */
struct hold {
	struct page_info *pg;
	enum hold_kind kind;
	unsigned int dom;    /* the slot that took it */
	unsigned long until; /* dropped after this operation */
};

static struct {
	struct fz_dom dom[FZ_DOMS];
	struct hold hold[FZ_HOLDS];
	unsigned int nr_hold;
	uint64_t stale[FZ_STALE];
	unsigned int nr_stale;
	domid_t next_domid;
	void *hyp_page; /* a hypervisor heap frame, as a target */
	void *reserve;	/* memory for mm_audit() */
	uint64_t free_at_start;
	unsigned long op_nr;
} fz;

/* Totals over the whole run, printed at exit. */
static struct {
	uint64_t inputs, ops, validations, devalidations, preemptions;
	uint64_t pins, type_gets, writes;
	uint64_t audits; /* mm_audit runs */
} total;

/* ---- checks ------------------------------------------------------------ */

/* A broken invariant: say where, let the checkers print why, crash. */
static __noreturn void fail(const char *what)
{
	fprintf(stderr,
		"fuzz_ptype: %s after operation %lu (%u temporary "
		"references held)\n",
		what, fz.op_nr, fz.nr_hold);
	fuzz_crash();
}

/*
 * The checks between two operations: the page lists and the full audit,
 * which counts the harness's held references as registered outside
 * references. (The allocator's own audit runs at the end of each input.)
 */
static void audit(void)
{
	if (mm_domain_audit() != 0) {
		fail("mm_domain_audit failed");
	}
	xfree(fz.reserve);
	if (mm_audit() != 0) {
		fail("mm_audit failed");
	}
	fz.reserve = xmalloc(FZ_AUDIT_RESERVE);
	if (fz.reserve == NULL) {
		fail("the audit's memory did not come back");
	}
	total.audits++;
}

/* ---- domains ----------------------------------------------------------- */

static struct mm_domain *mmd(unsigned int slot)
{
	return &fz.dom[slot].mm;
}

static void dom_create(unsigned int slot, domid_t domid, bool io)
{
	struct fz_dom *d = &fz.dom[slot];

	mm_domain_init(&d->mm, domid, d->max_pages);
	d->mm.privileged = slot == FZ_PRIV;
	d->mm.io_caching = io;
	d->nr_live = 0;
	d->pending.what = PEND_NONE;
}

static void hold_drop(unsigned int i)
{
	struct hold *h = &fz.hold[i];

	tr("  drop hold %u (mfn %#llx kind %d)\n", i,
	   (unsigned long long)mfn_x(page_to_mfn(h->pg)), h->kind);
	if (h->kind == HOLD_GENERAL) {
		mm_drop_outside_ref(h->pg);
		page_put(h->pg);
	} else {
		mm_drop_outside_typed_ref(h->pg);
		page_put_and_type(h->pg);
	}
	fz.hold[i] = fz.hold[--fz.nr_hold];
}

/*
 * Keeps a reference slot's guest took for the rest of this operation and
 * up to three more (from life), like a hypercall on another CPU that is
 * still running.
 */
static void hold_add(struct page_info *pg, enum hold_kind kind,
		     unsigned int slot, uint8_t life)
{
	unsigned long span = life < 128 ? 0 : life & 3;

	if (kind == HOLD_GENERAL) {
		mm_hold_outside_ref(pg);
	} else {
		mm_hold_outside_typed_ref(pg);
	}
	fz.hold[fz.nr_hold++] =
		(struct hold){ pg, kind, slot, fz.op_nr + span };
}

/* Drops the references whose time is up. */
static void hold_expire(void)
{
	unsigned int i;

	for (i = fz.nr_hold; i-- > 0;) {
		if (fz.hold[i].until <= fz.op_nr) {
			hold_drop(i);
		}
	}
}

/* Remembers a released frame: a guest may still name it. */
static void stale_add(uint64_t m)
{
	fz.stale[fz.nr_stale++ % FZ_STALE] = m;
}

/*
 * Destroys the domain in slot: its CPUs drop what they hold (the
 * harness's references it took), then its memory goes.
 */
static void dom_kill(unsigned int slot)
{
	struct fz_dom *d = &fz.dom[slot];
	unsigned int i;

	for (i = fz.nr_hold; i-- > 0;) {
		if (fz.hold[i].dom == slot) {
			hold_drop(i);
		}
	}
	mm_domain_relinquish(&d->mm);
	audit();
	for (i = 0; i < d->nr_live; i++) {
		stale_add(d->live[i]);
	}
	mm_domain_fini(&d->mm);
}

static void live_remove(struct fz_dom *d, uint64_t m)
{
	unsigned int i;

	for (i = 0; i < d->nr_live; i++) {
		if (d->live[i] == m) {
			d->live[i] = d->live[--d->nr_live];
			return;
		}
	}
	fail("released a frame the harness did not know");
}

/* ---- naming frames and entries ------------------------------------------ */

/*
 * A frame number as a guest of slot might pass it: mostly its own, else
 * another domain's, a released one, any frame (reserved, free, the
 * hypervisor's), one beyond the end of memory or an absurd one; with
 * self valid, sometimes self (an entry naming its own table).
 */
static uint64_t pick_mfn(struct input *in, unsigned int slot, uint64_t self)
{
	uint8_t sel = in_byte(in), idx = in_byte(in);
	unsigned int choices = self != ~0ULL ? 18 : 16;
	const struct fz_dom *o;

	switch (sel % choices) {
	case 9:
	case 10:
		o = &fz.dom[(slot + 1 + (idx & 1)) % FZ_DOMS];
		if (o->nr_live != 0) {
			return o->live[(idx >> 1) % o->nr_live];
		}
		break;
	case 11:
		if (fz.nr_stale != 0) {
			return fz.stale[idx % MIN(fz.nr_stale,
						  (unsigned int)FZ_STALE)];
		}
		break;
	case 12:
		return ((uint64_t)idx * 2 + (sel >> 7)) % FZ_FRAMES;
	case 13:
		if (idx & 0x80) {
			return mfn_x(arch_virt_to_mfn(fz.hyp_page));
		}
		return idx % HOST_RESERVED_FRAMES;
	case 14:
		return FZ_FRAMES + idx;
	case 15:
		return PTE_MFN_ALL_ONES - (idx & 3);
	case 16:
	case 17:
		return self;
	default:
		break;
	}
	if (fz.dom[slot].nr_live != 0) {
		return fz.dom[slot].live[idx % fz.dom[slot].nr_live];
	}
	return ((uint64_t)idx * 2) % FZ_FRAMES;
}

/* The page_info of a frame number, as a handler would check it. */
static struct page_info *frame_of(uint64_t m)
{
	return mfn_valid(mfn(m)) ? mfn_to_page(mfn(m)) : NULL;
}

/* A slot, biased to a few low ones and to the hypervisor's L4 slots. */
static unsigned int pick_slot(struct input *in)
{
	uint8_t s = in_byte(in);

	if (s < 128) {
		return s % 8;
	}
	if (s < 192) {
		return 248 + s % 32; /* 248..279: around slots 256-271 */
	}
	return (s * 7U) % PT_ENTRIES;
}

/* An entry to target with flags from two bytes; 1 in 4 not present. */
static uint64_t make_entry(uint64_t target, uint8_t f0, uint8_t f1)
{
	static const uint64_t bits0[] = { 0,	 PTE_RW, PTE_US, PTE_A,
					  PTE_D, PTE_G,	 PTE_NX, 0 };
	static const uint64_t bits1[] = { 1ULL << 9,  1ULL << 10, 1ULL << 11,
					  1ULL << 52, 1ULL << 62, PTE_PWT,
					  PTE_PCD,    PTE_PAT };
	uint64_t e = (target << PAGE_SHIFT) & PTE_ADDR;
	unsigned int i;

	if ((f0 & 0x81) != 0x81) {
		e |= PTE_P;
	}
	for (i = 0; i < 8; i++) {
		e |= (f0 & (1U << i)) ? bits0[i] : 0;
		e |= (f1 & (1U << i)) ? bits1[i] : 0;
	}
	return e;
}

/*
 * A type from the low 3 bits of a byte: mostly table types, for a pin
 * sometimes one it refuses.
 */
static uint64_t pick_type(uint8_t b, bool for_pin)
{
	static const uint64_t types[8] = { PGT_l1, PGT_l2,	 PGT_l3,
					   PGT_l4, PGT_writable, PGT_l1,
					   PGT_l2, PGT_none };

	if (!for_pin && (b & 7) == 7) {
		return PGT_writable;
	}
	return types[b & 7];
}

static unsigned int type_nr(uint64_t type)
{
	return (unsigned int)(type >> PGT_type_shift);
}

/* ---- operations ---------------------------------------------------------- */

/*
 * Maps frame m writable for slot's guest, as its L1 entry would: its own
 * frame, or any domain's for the privileged domain. Returns the frame
 * with a general and a writable type reference, or NULL.
 */
static struct page_info *map_writable(unsigned int slot, uint64_t m)
{
	struct page_info *pg = frame_of(m);

	if (pg == NULL) {
		return NULL;
	}
	if (page_get_and_type(pg, mmd(slot), PGT_writable, 0) == 0) {
		return pg;
	}
	if (!mmd(slot)->privileged || !page_get_foreign(pg)) {
		return NULL;
	}
	if (ptype_get(pg, PGT_writable, NULL, 0) != 0) {
		page_put(pg);
		return NULL;
	}
	return pg;
}

static void op_alloc(struct input *in, unsigned int slot)
{
	struct fz_dom *d = &fz.dom[slot];
	unsigned int i, n = in_byte(in) % 8 + 1;
	struct page_info *pg;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (d->nr_live == FZ_LIVE) {
			break;
		}
		rc = mm_domain_alloc(&d->mm, &pg);
		if (rc == 0) {
			d->live[d->nr_live++] = mfn_x(page_to_mfn(pg));
		} else if (rc != -ENOMEM) {
			fail("mm_domain_alloc: unexpected error");
		}
	}
	tr("d%u alloc %u -> %d, %u frames\n", slot, n, rc, d->nr_live);
}

static void op_release(struct input *in, unsigned int slot)
{
	uint64_t m = pick_mfn(in, slot, ~0ULL);
	struct page_info *pg = frame_of(m);
	int rc = -EINVAL;

	if (pg != NULL) {
		rc = mm_domain_release(mmd(slot), pg);
	}
	if (rc == 0) {
		live_remove(&fz.dom[slot], m);
		stale_add(m);
	}
	tr("d%u release %#llx -> %d\n", slot, (unsigned long long)m, rc);
}

/*
 * Writes count entries from slot i on into frame m: one target, or the
 * domain's frames one after another, or zeroes.
 */
static void op_write(struct input *in, unsigned int slot, bool fill)
{
	uint64_t m = pick_mfn(in, slot, ~0ULL);
	unsigned int i = pick_slot(in), count = 1, mode = 0, k;
	uint64_t target = pick_mfn(in, slot, m);
	uint8_t f0 = in_byte(in), f1 = in_byte(in);
	const struct fz_dom *d = &fz.dom[slot];
	struct page_info *pg;
	uint64_t *t;

	if (fill) {
		count = in_byte(in) % 64 + 1;
		mode = in_byte(in) % 3;
	}
	pg = map_writable(slot, m);
	tr("d%u write %#llx[%u..+%u] mode %u target %#llx flags %02x/%02x -> "
	   "%s\n",
	   slot, (unsigned long long)m, i, count, mode,
	   (unsigned long long)target, f0, f1,
	   pg != NULL ? "ok" : "not writable");
	if (pg == NULL) {
		return;
	}
	t = arch_mfn_to_virt(page_to_mfn(pg));
	for (k = 0; k < count && i + k < PT_ENTRIES; k++) {
		if (mode == 1 && d->nr_live != 0) {
			target = d->live[k % d->nr_live];
		}
		t[i + k] = mode == 2 ? 0 : make_entry(target, f0, f1);
	}
	page_put_and_type(pg);
	total.writes++;
}

/* A finished or refused call; a preempted one becomes the pending one. */
static void note_pending(unsigned int slot, int rc, enum pend_what what,
			 uint64_t m, uint64_t type)
{
	struct fz_dom *d = &fz.dom[slot];

	if (rc == -EAGAIN) {
		d->pending.what = what;
		d->pending.mfn = m;
		d->pending.type = type;
	} else if (d->pending.what == what && d->pending.mfn == m &&
		   d->pending.type == type) {
		d->pending.what = PEND_NONE;
	}
}

static int do_get(unsigned int slot, uint64_t m, uint64_t type,
		  unsigned int flags, uint8_t life)
{
	struct page_info *pg = frame_of(m);
	int rc;

	if (fz.nr_hold == FZ_HOLDS) {
		return -ENOSPC; /* the harness is full, not Xeno */
	}
	if (pg == NULL) {
		return -EINVAL;
	}
	rc = page_get_and_type(pg, mmd(slot), type, flags);
	if (rc == 0) {
		hold_add(pg, HOLD_TYPED, slot, life);
		total.type_gets++;
	} else if (rc != -EINVAL && rc != -EBUSY && rc != -EPERM &&
		   rc != -EAGAIN) {
		fail("page_get_and_type: unexpected error");
	}
	note_pending(slot, rc, PEND_GET, m, type);
	return rc;
}

static void op_get_type(struct input *in, unsigned int slot)
{
	uint64_t m = pick_mfn(in, slot, ~0ULL);
	uint8_t b = in_byte(in);
	uint64_t type = pick_type(b, false);
	unsigned int flags = (b & 0x40) ? PTYPE_PREEMPTIBLE : 0;
	int rc = do_get(slot, m, type, flags, in_byte(in));

	tr("d%u get %#llx type %u flags %u -> %d\n", slot,
	   (unsigned long long)m, type_nr(type), flags, rc);
}

static void op_put(struct input *in, unsigned int slot)
{
	uint8_t b = in_byte(in);

	(void)slot;
	if (fz.nr_hold != 0) {
		hold_drop(b % fz.nr_hold);
	}
}

/* A general reference: own frames, or any domain's for the privileged. */
static void op_page_get(struct input *in, unsigned int slot)
{
	uint64_t m = pick_mfn(in, slot, ~0ULL);
	struct page_info *pg = frame_of(m);
	uint8_t b = in_byte(in);
	bool foreign = mmd(slot)->privileged && (b & 1);
	bool ok = false;

	if (pg != NULL && fz.nr_hold < FZ_HOLDS) {
		ok = foreign ? page_get_foreign(pg) : page_get(pg, mmd(slot));
	}
	if (ok) {
		hold_add(pg, HOLD_GENERAL, slot, b & 0xfe);
	}
	tr("d%u page_get%s %#llx -> %d\n", slot, foreign ? "_foreign" : "",
	   (unsigned long long)m, ok);
}

/* The privileged domain maps another domain's frame writable. */
static void op_foreign_writable(struct input *in, unsigned int slot)
{
	uint64_t m = pick_mfn(in, slot, ~0ULL);
	struct page_info *pg = frame_of(m);
	uint8_t life = in_byte(in);
	int rc = -EPERM;

	if (!mmd(slot)->privileged || pg == NULL || fz.nr_hold == FZ_HOLDS) {
		goto out;
	}
	rc = -EINVAL;
	if (!page_get_foreign(pg)) {
		goto out;
	}
	rc = ptype_get(pg, PGT_writable, NULL, 0);
	if (rc != 0) {
		page_put(pg);
		goto out;
	}
	hold_add(pg, HOLD_FOREIGN_W, slot, life);
out:
	tr("d%u foreign writable %#llx -> %d\n", slot, (unsigned long long)m,
	   rc);
}

static int do_pin(unsigned int slot, uint64_t m, uint64_t type,
		  unsigned int flags)
{
	int rc = ptype_pin(mmd(slot), mfn(m), type, flags);

	if (rc == 0) {
		total.pins++;
	} else if (rc != -EINVAL && rc != -EBUSY && rc != -EPERM &&
		   rc != -EAGAIN) {
		fail("ptype_pin: unexpected error");
	}
	note_pending(slot, rc, PEND_PIN, m, type);
	return rc;
}

static void op_pin(struct input *in, unsigned int slot)
{
	uint64_t m = pick_mfn(in, slot, ~0ULL);
	uint8_t b = in_byte(in);
	uint64_t type = pick_type(b, true);
	unsigned int flags = (b & 0x40) ? PTYPE_PREEMPTIBLE : 0;
	int rc = do_pin(slot, m, type, flags);

	tr("d%u pin %#llx type %u flags %u -> %d\n", slot,
	   (unsigned long long)m, type_nr(type), flags, rc);
}

static void op_unpin(struct input *in, unsigned int slot)
{
	uint64_t m = pick_mfn(in, slot, ~0ULL);
	int rc = ptype_unpin(mmd(slot), mfn(m));

	tr("d%u unpin %#llx -> %d\n", slot, (unsigned long long)m, rc);
}

/* The guest continues its preempted call, up to n times or to the end. */
static void op_continue(struct input *in, unsigned int slot)
{
	struct fz_dom *d = &fz.dom[slot];
	uint8_t b = in_byte(in);
	unsigned int i, n = (b & 0x80) ? FZ_CONTINUE_MAX : b % 8 + 1;
	int rc = -EAGAIN;

	for (i = 0; i < n && d->pending.what != PEND_NONE; i++) {
		uint64_t m = d->pending.mfn, type = d->pending.type;

		if (d->pending.what == PEND_GET) {
			rc = do_get(slot, m, type, PTYPE_PREEMPTIBLE, 0);
		} else {
			rc = do_pin(slot, m, type, PTYPE_PREEMPTIBLE);
		}
		tr("d%u continue %#llx type %u -> %d\n", slot,
		   (unsigned long long)m, type_nr(type), rc);
		if (rc != -EAGAIN) {
			d->pending.what = PEND_NONE;
		}
		audit();
	}
}

static void op_preempt(struct input *in, unsigned int slot)
{
	uint8_t b = in_byte(in);
	unsigned int n;

	(void)slot;
	if (b % 4 == 0) {
		n = 0;
	} else if (b >= 0xf0) {
		n = 64 + (b & 0xf) * 32U;
	} else {
		n = 1 + (b >> 2) % 24;
	}
	ptype_set_preempt_interval(n);
	tr("preempt every %u\n", n);
}

static void op_cpu(struct input *in, unsigned int slot)
{
	unsigned int cpu = in_byte(in) % FZ_CPUS;

	(void)slot;
	host_set_cpu(cpu);
	tr("cpu %u\n", cpu);
}

/* Destroys the domain and creates a new one, with a new id, in its slot. */
static void op_destroy(struct input *in, unsigned int slot)
{
	bool io = fz.dom[slot].mm.io_caching;

	(void)in;
	tr("d%u destroy (domid %u), new domid %u\n", slot,
	   fz.dom[slot].mm.domid, fz.next_domid);
	dom_kill(slot);
	dom_create(slot, fz.next_domid++, io);
}

struct op {
	const char *name;
	void (*fn)(struct input *in, unsigned int slot);
};

static void op_write1(struct input *in, unsigned int slot)
{
	op_write(in, slot, false);
}

static void op_fill(struct input *in, unsigned int slot)
{
	op_write(in, slot, true);
}

/* Rare operations share the last entry: release, CPU, destroy. */
static void op_misc(struct input *in, unsigned int slot)
{
	uint8_t b = in_byte(in);

	if (b < 160) {
		op_release(in, slot);
	} else if (b < 240) {
		op_cpu(in, slot);
	} else {
		op_destroy(in, slot);
	}
}

/* 16 entries: the common operations appear more than once. */
static const struct op ops[16] = {
	{ "alloc", op_alloc },	     { "alloc", op_alloc },
	{ "write", op_write1 },	     { "write", op_write1 },
	{ "fill", op_fill },	     { "get", op_get_type },
	{ "get", op_get_type },	     { "put", op_put },
	{ "page_get", op_page_get }, { "foreign_w", op_foreign_writable },
	{ "pin", op_pin },	     { "pin", op_pin },
	{ "unpin", op_unpin },	     { "continue", op_continue },
	{ "preempt", op_preempt },   { "misc", op_misc },
};

/* ---- one input ------------------------------------------------------------ */

/* Boot: a new machine, the settings from the header, three domains. */
static void setup(struct input *in)
{
	/* Two domains of 180 frames can take all free memory. */
	static const uint64_t limits[4] = { 180, 120, 24, 3 };
	uint8_t h0 = in_byte(in), h1 = in_byte(in);
	unsigned int s;

	(void)fuzz_boot(FZ_FRAMES, FZ_CPUS, h0, false);
	fz.hyp_page = xmalloc(PAGE_SIZE);
	fz.reserve = xmalloc(FZ_AUDIT_RESERVE);
	if (fz.hyp_page == NULL || fz.reserve == NULL) {
		fail("no heap for the harness");
	}
	fz.nr_hold = 0;
	fz.nr_stale = 0;
	fz.op_nr = 0;
	for (s = 0; s < FZ_DOMS; s++) {
		fz.dom[s].max_pages = limits[(h1 >> (2 * s)) & 3];
		dom_create(s, (domid_t)s, (h0 >> (3 + s)) & 1);
	}
	fz.next_domid = FZ_DOMS;
	fz.free_at_start = frame_free_count();
	tr("boot: nx %d linear %d io %u%u%u limits %llu/%llu/%llu\n", !(h0 & 1),
	   (h0 & 6) != 6, (h0 >> 3) & 1, (h0 >> 4) & 1, (h0 >> 5) & 1,
	   (unsigned long long)fz.dom[0].max_pages,
	   (unsigned long long)fz.dom[1].max_pages,
	   (unsigned long long)fz.dom[2].max_pages);
}

/*
 * Destroys every domain (the ordinary ones first, so their frames
 * outlive them while the privileged domain holds foreign references)
 * and checks that nothing leaked.
 */
static void teardown(void)
{
	static const unsigned int order[FZ_DOMS] = { 1, 2, 0 };
	struct ptype_stats st;
	unsigned int i;

	tr("teardown\n");
	ptype_set_preempt_interval(0);
	for (i = 0; i < FZ_DOMS; i++) {
		dom_kill(order[i]);
	}
	if (fz.nr_hold != 0) {
		fail("references left after teardown");
	}
	audit();
	if (frame_free_count() != fz.free_at_start) {
		fprintf(stderr, "fuzz_ptype: %llu frames free, %llu at start\n",
			(unsigned long long)frame_free_count(),
			(unsigned long long)fz.free_at_start);
		fail("frames leaked");
	}
	xfree(fz.reserve);
	xfree(fz.hyp_page);
	if (frame_alloc_audit() != 0) {
		fail("frame_alloc_audit failed");
	}
	ptype_stats_read(&st);
	total.validations += st.validations;
	total.devalidations += st.devalidations;
	total.preemptions += st.preemptions;
}

static void print_totals(void)
{
	fprintf(stderr,
		"fuzz_ptype: %llu inputs, %llu operations, %llu writes, "
		"%llu type refs, %llu pins, %llu validations, "
		"%llu devalidations, %llu preemptions, %llu audits\n",
		(unsigned long long)total.inputs, (unsigned long long)total.ops,
		(unsigned long long)total.writes,
		(unsigned long long)total.type_gets,
		(unsigned long long)total.pins,
		(unsigned long long)total.validations,
		(unsigned long long)total.devalidations,
		(unsigned long long)total.preemptions,
		(unsigned long long)total.audits);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("FUZZ_PTYPE_TRACE", print_totals);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	setup(&in);
	while (in.n > 0) {
		uint8_t b = in_byte(&in);
		const struct op *op = &ops[b & 15];
		unsigned int slot = (b >> 4) % FZ_DOMS;

		fz.op_nr++;
		op->fn(&in, slot);
		hold_expire();
		audit();
	}
	total.ops += fz.op_nr;
	teardown();
	total.inputs++;
	return 0;
}
