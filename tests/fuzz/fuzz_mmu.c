/* SPDX-License-Identifier: MIT */
/*
 * A libFuzzer target over the MMU hypercalls (mm/mmu_update.c,
 * mm/mmuext_op.c, mm/update_va_mapping.c, mm/xeno_mm_op.c and all they
 * use) on the host build.
 *
 * Each input is a little program run against a fresh host machine of
 * FM_FRAMES frames with three domains, each running a vCPU on a CPU of
 * its own (a second vCPU exists for the vCPU masks but never runs): slot
 * 0 privileged, slots 1 and 2 ordinary. Every domain starts with a small
 * address space of its own (L4 -> L3 -> L2 -> L1 -> FM_PAGES pages at
 * FM_VA) installed as its kernel root, where it keeps its request arrays.
 * One header byte sets the boot options; then each operation is a byte
 * (low 4 bits: the operation, high 4 bits mod 3: the domain) followed by
 * the operation's own bytes, read as zeroes once the input runs out:
 *
 *   mmu_update, mmuext_op     a batch of 1-8 requests in guest memory,
 *                             with fuzzed commands, frames, slots,
 *                             entries, foreign domains, pdone
 *   update_va_mapping[_otherdomain], xeno_mm_op
 *   alloc, release            frames joining and leaving the domain
 *   alloc_region              a whole aligned 2 MiB block joining it,
 *                             so that superpages (L2 entries with PS,
 *                             pick_mfn's region bases) can succeed, and
 *                             frames under them can be released
 *   write                     the guest storing into its own memory
 *   preempt                   how often the arch and the validation ask
 *                             for preemption
 *   mode                      kernel/user switches with a user root
 *   continue                  re-executing a preempted hypercall
 *   destroy                   the domain dies and a new one takes its
 *                             slot
 *
 * A hypercall that returns -ERESTART is re-executed at once or left
 * pending, as a guest descheduled at the SYSCALL; the next hypercall of
 * that domain is then the continuation.
 *
 * Checks after every operation: mm_audit() (every reference accounted
 * for, roots included), the hypercall's result is one the ABI allows,
 * -EAGAIN never reaches the guest, and every refusal left a refusal
 * record with a reason and the same error. At the end of each input every
 * domain is destroyed, and every frame must be back in the allocator. A
 * failure, a panic or a sanitizer report is a crash.
 *
 * Set FUZZ_MMU_TRACE=1 to print each operation and its result (to replay
 * a crash: build/fuzz/fuzz_mmu crash-file).
 */
#include "fuzz_common.h"

#include <public/xen.h>
#include <public/xeno.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/m2p.h>
#include <xeno/mm_domain.h>
#include <xeno/mm_vcpu.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/superpage.h>
#include <xeno/tlb.h>

#define FM_FRAMES 1024 /* frames 512-1023: a whole free 2 MiB region */
#define FM_DOMS	  3
#define FM_PRIV	  0
#define FM_PAGES  4
#define FM_VA	  0x400000ULL
#define FM_LIVE	  768
#define FM_STALE  16
#define FM_MAXREQ 8
/* Continuations run at once at most this often per operation. */
#define FM_RESTARTS 64

typedef long (*hcall_fn)(struct hcall_args *h);

struct fm_dom {
	bool alive;
	struct mm_domain mm;
	struct mm_vcpu v[2];
	unsigned int cpu;
	uint64_t live[FM_LIVE]; /* frames on its page list */
	unsigned int nr_live;
	uint64_t l4, l3, l2, l1; /* its first address space */
	/* A hypercall that returned -ERESTART, to be re-executed. */
	hcall_fn pending;
	struct hcall_args pending_args;
};

static struct {
	struct fm_dom dom[FM_DOMS];
	uint64_t stale[FM_STALE];
	unsigned int nr_stale;
	domid_t next_domid;
	uint64_t free_at_start;
	unsigned long op_nr;
} fm;

static struct {
	uint64_t inputs, ops, calls, ok, refused, restarts, audits;
	uint64_t validations, flushes, sp_maps, sp_holds;
} total;

/* ---- checks ---------------------------------------------------------------- */

static __noreturn void fail(const char *what)
{
	fprintf(stderr, "fuzz_mmu: %s after operation %lu\n", what, fm.op_nr);
	fuzz_crash();
}

static void audit(void)
{
	if (mm_audit() != 0) {
		fail("mm_audit failed");
	}
	total.audits++;
}

/* ---- domains ------------------------------------------------------------- */

static uint64_t *tab(uint64_t m)
{
	return arch_mfn_to_virt(mfn(m));
}

static bool dom_alloc(struct fm_dom *d, uint64_t *m)
{
	struct page_info *pg;

	if (d->nr_live == FM_LIVE || mm_domain_alloc(&d->mm, &pg) != 0) {
		return false;
	}
	*m = mfn_x(page_to_mfn(pg));
	d->live[d->nr_live++] = *m;
	return true;
}

/* Runs the domain's vCPU 0 on this thread's CPU. */
static void dom_enter(struct fm_dom *d)
{
	host_set_cpu(d->cpu);
	if (mm_vcpu_current() != &d->v[0]) {
		mm_vcpu_switch(mm_vcpu_current(), &d->v[0]);
	}
}

/* A new domain in slot with its first address space; false if no room. */
static bool dom_create(unsigned int slot, domid_t domid, uint64_t max)
{
	struct fm_dom *d = &fm.dom[slot];
	uint64_t pages[FM_PAGES];
	unsigned int i;

	mm_domain_init(&d->mm, domid, max);
	d->mm.privileged = slot == FM_PRIV;
	d->nr_live = 0;
	d->pending = NULL;
	d->cpu = slot + 1;
	mm_vcpu_init(&d->v[0], &d->mm, 0);
	mm_vcpu_init(&d->v[1], &d->mm, 1);
	d->alive = true;
	if (!dom_alloc(d, &d->l4) || !dom_alloc(d, &d->l3) ||
	    !dom_alloc(d, &d->l2) || !dom_alloc(d, &d->l1)) {
		return false;
	}
	tab(d->l4)[0] = pte_make(mfn(d->l3), PTE_P | PTE_RW | PTE_US);
	tab(d->l3)[0] = pte_make(mfn(d->l2), PTE_P | PTE_RW | PTE_US);
	tab(d->l2)[2] = pte_make(mfn(d->l1), PTE_P | PTE_RW | PTE_US);
	for (i = 0; i < FM_PAGES; i++) {
		if (!dom_alloc(d, &pages[i])) {
			return false;
		}
		tab(d->l1)[i] =
			pte_make(mfn(pages[i]), PTE_P | PTE_RW | PTE_US);
	}
	if (mm_vcpu_set_root(&d->v[0], false, mfn(d->l4), 0) != 0) {
		fail("the first address space did not validate");
	}
	dom_enter(d);
	return true;
}

static void dom_kill(unsigned int slot)
{
	struct fm_dom *d = &fm.dom[slot];
	unsigned int i;

	if (!d->alive) {
		return;
	}
	host_set_cpu(d->cpu);
	if (mm_vcpu_current() == &d->v[0]) {
		mm_vcpu_switch(&d->v[0], NULL);
	}
	mm_vcpu_fini(&d->v[0]);
	mm_vcpu_fini(&d->v[1]);
	mm_domain_relinquish(&d->mm);
	audit();
	for (i = 0; i < d->nr_live; i++) {
		fm.stale[fm.nr_stale++ % FM_STALE] = d->live[i];
	}
	mm_domain_fini(&d->mm);
	d->alive = false;
}

/* ---- naming things as a guest would ------------------------------------- */

static uint64_t pick_mfn(struct input *in, unsigned int slot)
{
	const struct fm_dom *d = &fm.dom[slot], *o;
	uint8_t sel = in_byte(in), idx = in_byte(in);

	switch (sel % 16) {
	case 0:
		return d->l4;
	case 1:
		return d->l3;
	case 2:
		return d->l2;
	case 3:
		return d->l1;
	case 4:
		/* The 2 MiB region of one of its frames (superpages). */
		return d->nr_live != 0 ? d->live[idx % d->nr_live] & ~511ULL
				       : 512;
	case 9:
	case 10:
		o = &fm.dom[(slot + 1 + (idx & 1)) % FM_DOMS];
		if (o->alive && o->nr_live != 0) {
			return o->live[(idx >> 1) % o->nr_live];
		}
		break;
	case 11:
		if (fm.nr_stale != 0) {
			return fm.stale[idx % MIN(fm.nr_stale,
						  (unsigned int)FM_STALE)];
		}
		break;
	case 12:
		return ((uint64_t)idx * 3) % FM_FRAMES;
	case 13:
		return idx % HOST_RESERVED_FRAMES;
	case 14:
		return FM_FRAMES + idx;
	case 15:
		return PTE_MFN_ALL_ONES - (idx & 1);
	default:
		break;
	}
	return d->nr_live != 0 ? d->live[idx % d->nr_live] : idx;
}

static unsigned int pick_slot(struct input *in)
{
	uint8_t s = in_byte(in);

	if (s < 128) {
		return s % 8;
	}
	if (s < 176) {
		return 252 + s % 24; /* around the hypervisor's L4 slots */
	}
	return (s * 7U) % PT_ENTRIES;
}

static uint64_t make_entry(uint64_t target, uint8_t f0, uint8_t f1)
{
	static const uint64_t bits0[] = { 0,	 PTE_RW, PTE_US, PTE_A,
					  PTE_D, PTE_G,	 PTE_NX, 0 };
	static const uint64_t bits1[] = { 1ULL << 9, 1ULL << 52, 1ULL << 62,
					  PTE_PWT,   PTE_PCD,	 PTE_PAT,
					  0,	     0 };
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

static uint64_t pick_entry(struct input *in, unsigned int slot)
{
	uint64_t target = pick_mfn(in, slot);
	uint8_t f0 = in_byte(in), f1 = in_byte(in);

	return make_entry(target, f0, f1);
}

/* A foreign-domain argument: mostly DOMID_SELF. */
static uint16_t pick_domid(struct input *in, unsigned int slot)
{
	uint8_t b = in_byte(in);
	const struct fm_dom *o = &fm.dom[(slot + 1 + (b & 1)) % FM_DOMS];

	switch ((b >> 1) % 12) {
	case 0:
	case 1:
		return o->mm.domid;
	case 2:
		return fm.dom[slot].mm.domid;
	case 3:
		return DOMID_IO;
	case 4:
		return DOMID_XEN;
	case 5:
		return (uint16_t)(b * 131);
	default:
		return DOMID_SELF;
	}
}

/* A guest address: in its pages, around them, or anywhere. */
static uint64_t pick_va(struct input *in)
{
	uint8_t b = in_byte(in);

	switch (b % 8) {
	case 0:
		return in_u64(in);
	case 1:
		return HYPERVISOR_VIRT_START + b * PAGE_SIZE;
	case 2:
		return (1ULL << 30) + b * PAGE_SIZE;
	default:
		return FM_VA + (uint64_t)(b % 16) * PAGE_SIZE;
	}
}

/* ---- hypercalls ------------------------------------------------------------ */

static bool allowed_rc(long rc)
{
	switch (rc) {
	case 0:
	case -EINVAL:
	case -EBUSY:
	case -EPERM:
	case -ESRCH:
	case -EFAULT:
	case -ENOSYS:
	case -EACCES:
	case -EOPNOTSUPP:
		return true;
	default:
		return false;
	}
}

/* Checks a finished MMU hypercall's result and refusal record. */
static void check_result(struct fm_dom *d, long rc, uint64_t seq_before,
			 bool records)
{
	const struct xeno_mm_refusal *r = &d->v[0].why.last;

	if (!allowed_rc(rc)) {
		fprintf(stderr, "fuzz_mmu: result %ld\n", rc);
		fail("a hypercall returned what the ABI does not allow");
	}
	if (!records) {
		return;
	}
	if (rc == 0 && r->seq != seq_before) {
		fail("a successful call recorded a refusal");
	}
	if (rc != 0 && (r->seq != seq_before + 1 || r->error != rc ||
			r->reason == XENO_WHY_NONE)) {
		fprintf(stderr,
			"fuzz_mmu: rc %ld, record seq %llu error %d "
			"reason %u\n",
			rc, (unsigned long long)r->seq, r->error, r->reason);
		fail("a refusal without a proper record");
	}
}

/*
 * Runs fn as d's vCPU; a continuation is re-executed at once (up to
 * FM_RESTARTS times, fewer if the byte says so) or left pending.
 */
static void call(struct fm_dom *d, hcall_fn fn, struct hcall_args *h,
		 uint8_t patience, bool records)
{
	unsigned int n = (patience & 0x80) ? FM_RESTARTS : patience % 4;
	uint64_t seq = d->v[0].why.last.seq;
	long rc;

	dom_enter(d);
	total.calls++;
	for (;;) {
		rc = fn(h);
		if (rc != -ERESTART) {
			break;
		}
		total.restarts++;
		audit();
		if (n-- == 0) {
			d->pending = fn;
			d->pending_args = *h;
			tr("  -> pending\n");
			return;
		}
	}
	d->pending = NULL;
	tr("  -> %ld\n", rc);
	check_result(d, rc, seq, records);
	if (rc == 0) {
		total.ok++;
	} else {
		total.refused++;
	}
}

/* Writes as the guest; false if its own tables do not let it. */
static bool guest_write(uint64_t va, const void *p, size_t n)
{
	return guest_copy_to(va, p, n) == 0;
}

/* pdone: mostly in page 3, sometimes none or somewhere bad. */
static uint64_t pick_pdone(uint8_t b)
{
	switch (b % 8) {
	case 0:
		return 0;
	case 1:
		return 0x1000;
	default:
		return FM_VA + 3 * PAGE_SIZE + (b & 0x38);
	}
}

static void op_mmu_update(struct input *in, struct fm_dom *d, unsigned slot)
{
	struct mmu_update req[FM_MAXREQ];
	unsigned int i, n = in_byte(in) % FM_MAXREQ + 1;
	uint8_t b = in_byte(in);
	uint32_t fd = pick_domid(in, slot);
	struct hcall_args h;

	if (b & 0x40) {
		uint8_t p = in_byte(in);

		fd |= (uint32_t)(p & 3 ? 0
				       : (uint16_t)(pick_domid(in, slot) + 1))
		      << 16;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = in_byte(in);
		unsigned int cmd = c < 200 ? (c & 1) * 2 : c % 8;
		uint64_t m = pick_mfn(in, slot);
		unsigned int s = pick_slot(in);

		req[i].ptr = (m << PAGE_SHIFT) + s * 8ULL + cmd;
		req[i].val = cmd == MMU_MACHPHYS_UPDATE ? in_byte(in)
							: pick_entry(in, slot);
	}
	dom_enter(d);
	(void)guest_write(FM_VA, req, n * sizeof(req[0]));
	h = (struct hcall_args){ { FM_VA, n, pick_pdone(b), fd, 0 } };
	tr("d%u mmu_update %u fd %#x\n", d->mm.domid, n, fd);
	call(d, do_mmu_update, &h, in_byte(in), true);
}

static void op_mmuext(struct input *in, struct fm_dom *d, unsigned int slot)
{
	struct mmuext_op ops[FM_MAXREQ];
	unsigned int i, n = in_byte(in) % FM_MAXREQ + 1;
	uint8_t b = in_byte(in);
	uint32_t fd = pick_domid(in, slot);
	uint64_t mask = in_byte(in);
	struct hcall_args h;

	for (i = 0; i < n; i++) {
		uint8_t c = in_byte(in);

		ops[i] = (struct mmuext_op){ .cmd = c < 230 ? c % 21 : c };
		ops[i].arg1.mfn = (c & 0x20) ? pick_va(in) : pick_mfn(in, slot);
		switch (ops[i].cmd) {
		case MMUEXT_TLB_FLUSH_MULTI:
		case MMUEXT_INVLPG_MULTI:
			ops[i].arg2.vcpumask =
				(c & 0x40) ? pick_va(in) : FM_VA + 2 * 4096;
			break;
		case MMUEXT_SET_LDT:
			ops[i].arg1.linear_addr = pick_va(in);
			ops[i].arg2.nr_ents = in_byte(in) * 40U;
			break;
		default:
			ops[i].arg2.src_mfn = pick_mfn(in, slot);
			break;
		}
	}
	dom_enter(d);
	(void)guest_write(FM_VA, ops, n * sizeof(ops[0]));
	(void)guest_write(FM_VA + 2 * 4096, &mask, sizeof(mask));
	h = (struct hcall_args){ { FM_VA, n, pick_pdone(b), fd, 0 } };
	tr("d%u mmuext_op %u (first cmd %u) fd %#x\n", d->mm.domid, n,
	   ops[0].cmd, fd);
	call(d, do_mmuext_op, &h, in_byte(in), true);
}

static void op_uvm(struct input *in, struct fm_dom *d, unsigned int slot,
		   bool other)
{
	uint64_t va = pick_va(in), val = pick_entry(in, slot);
	uint8_t f = in_byte(in);
	uint64_t flags = f & 3;
	struct hcall_args h;

	if (f & 4) {
		flags |= UVMF_ALL;
	} else if (f & 8) {
		flags |= (f & 16) ? FM_VA + 2 * 4096 : pick_va(in) & ~3ULL;
	}
	h = (struct hcall_args){ { va, val, flags,
				   other ? pick_domid(in, slot) : 0, 0 } };
	tr("d%u uvm%s va %#llx val %#llx flags %#llx\n", d->mm.domid,
	   other ? "_other" : "", (unsigned long long)va,
	   (unsigned long long)val, (unsigned long long)flags);
	call(d, other ? do_update_va_mapping_otherdomain : do_update_va_mapping,
	     &h, 0, true);
}

static void op_xeno(struct input *in, struct fm_dom *d, unsigned int slot)
{
	uint64_t m = pick_mfn(in, slot);
	uint8_t b = in_byte(in);
	struct hcall_args h;

	dom_enter(d);
	(void)guest_write(FM_VA + 1 * 4096, &m, sizeof(m));
	h = (struct hcall_args){
		{ b % 3, (b & 8) ? pick_va(in) : FM_VA + 1 * 4096, 0, 0, 0 }
	};
	tr("d%u xeno_mm_op %llu\n", d->mm.domid, (unsigned long long)h.a[0]);
	call(d, do_xeno_mm_op, &h, 0, false);
}

/* ---- the rest -------------------------------------------------------------- */

static void op_alloc(struct input *in, struct fm_dom *d, unsigned int slot)
{
	unsigned int i, n = in_byte(in) % 8 + 1;
	uint64_t m;

	(void)slot;
	for (i = 0; i < n && dom_alloc(d, &m); i++) {
	}
	tr("d%u alloc %u -> %u\n", d->mm.domid, n, i);
}

/* An aligned 2 MiB block for the domain, as the domain builder gives. */
static void op_alloc_region(struct input *in, struct fm_dom *d,
			    unsigned int slot)
{
	struct page_info *pg;
	unsigned int i = 0, j;

	(void)in;
	(void)slot;
	host_set_cpu(d->cpu);
	pg = d->nr_live + 512 <= FM_LIVE ? frame_alloc(9, FA_DOMAIN) : NULL;
	if (pg != NULL) {
		for (; i < 512 && mm_domain_assign(&d->mm, &pg[i]) == 0; i++) {
			d->live[d->nr_live++] = mfn_x(page_to_mfn(&pg[i]));
		}
		for (j = i; j < 512; j++) {
			frame_free(&pg[j], 0, 0);
		}
	}
	tr("d%u alloc region -> %u frames\n", d->mm.domid, i);
}

static void op_release(struct input *in, struct fm_dom *d, unsigned slot)
{
	uint64_t m = pick_mfn(in, slot);
	int rc = -EINVAL;
	unsigned int i;

	host_set_cpu(d->cpu);
	if (mfn_valid(mfn(m))) {
		rc = mm_domain_release(&d->mm, mfn_to_page(mfn(m)));
	}
	if (rc == 0) {
		for (i = 0; i < d->nr_live && d->live[i] != m; i++) {
		}
		if (i == d->nr_live) {
			fail("released a frame the harness did not know");
		}
		d->live[i] = d->live[--d->nr_live];
		fm.stale[fm.nr_stale++ % FM_STALE] = m;
	}
	tr("d%u release %#llx -> %d\n", d->mm.domid, (unsigned long long)m, rc);
}

/* The guest stores an entry-like value somewhere in its memory. */
static void op_write(struct input *in, struct fm_dom *d, unsigned int slot)
{
	uint64_t va = pick_va(in) + pick_slot(in) * 8ULL;
	uint64_t val = pick_entry(in, slot);

	dom_enter(d);
	tr("d%u write %#llx -> %d\n", d->mm.domid, (unsigned long long)va,
	   guest_write(va & ~7ULL, &val, 8));
}

static void op_preempt(struct input *in, struct fm_dom *d, unsigned slot)
{
	uint8_t a = in_byte(in), b = in_byte(in);

	(void)d;
	(void)slot;
	host_preempt_every(a % 4 == 0 ? 0 : a % 16 + 1);
	ptype_set_preempt_interval(b % 4 == 0 ? 0 : b % 40 + 1);
	tr("preempt arch %u ptype %u\n", a % 4 == 0 ? 0 : a % 16 + 1,
	   b % 4 == 0 ? 0 : b % 40 + 1);
}

/* A user root (validated here if need be) and kernel/user switches. */
static void op_mode(struct input *in, struct fm_dom *d, unsigned int slot)
{
	uint64_t m = pick_mfn(in, slot);
	uint8_t b = in_byte(in);
	int rc = 0;

	dom_enter(d);
	if (b & 1) {
		rc = mm_vcpu_set_root(&d->v[0], true, mfn(m), 0);
	}
	if (!mfn_eq(d->v[0].user_root, INVALID_MFN)) {
		mm_vcpu_set_mode(&d->v[0], (b & 2) != 0);
	}
	tr("d%u user root %#llx -> %d, user mode %d\n", d->mm.domid,
	   (unsigned long long)m, rc, d->v[0].user_mode);
}

static void op_continue(struct input *in, struct fm_dom *d, unsigned slot)
{
	(void)in;
	(void)slot;
	if (d->pending != NULL) {
		struct hcall_args h = d->pending_args;

		tr("d%u continue\n", d->mm.domid);
		call(d, d->pending, &h, 0x80, d->pending != do_xeno_mm_op);
	}
}

static void op_destroy(struct input *in, struct fm_dom *d, unsigned slot)
{
	uint64_t max = d->mm.max_pages;

	(void)in;
	tr("d%u destroy, new domid %u\n", d->mm.domid, fm.next_domid);
	dom_kill(slot);
	if (!dom_create(slot, fm.next_domid++, max)) {
		dom_kill(slot);
	}
}

typedef void (*op_fn)(struct input *in, struct fm_dom *d, unsigned slot);

static void op_uvm_self(struct input *in, struct fm_dom *d, unsigned slot)
{
	op_uvm(in, d, slot, false);
}

static void op_uvm_other(struct input *in, struct fm_dom *d, unsigned slot)
{
	op_uvm(in, d, slot, true);
}

static const op_fn ops[16] = {
	op_mmu_update, op_mmu_update,	op_mmu_update, op_mmuext,
	op_mmuext,     op_mmuext,	op_uvm_self,   op_uvm_other,
	op_alloc,      op_alloc_region, op_release,    op_write,
	op_preempt,    op_xeno,		op_mode,       op_destroy,
};

/* ---- one input ------------------------------------------------------------- */

static void setup(struct input *in)
{
	static const uint64_t limits[4] = { 600, 60, 16, 9 };
	uint8_t h0 = in_byte(in), h1 = in_byte(in);
	unsigned int s;

	if (!fuzz_boot(FM_FRAMES, FM_DOMS + 1, h0, true)) {
		fail("no M2P");
	}
	fm.nr_stale = 0;
	fm.op_nr = 0;
	fm.free_at_start = frame_free_count();
	for (s = 0; s < FM_DOMS; s++) {
		if (!dom_create(s, (domid_t)s, limits[(h1 >> (2 * s)) & 3])) {
			dom_kill(s);
		}
		fm.dom[s].mm.io_caching = (h0 >> (3 + s)) & 1;
		fm.dom[s].mm.vm_assist = (h0 & 0x40) ? 1ULL << 32 : 0;
	}
	fm.next_domid = FM_DOMS;
	audit();
}

static void teardown(void)
{
	static const unsigned int order[FM_DOMS] = { 1, 2, 0 };
	struct ptype_stats st;
	struct tlb_stats ts;
	struct superpage_stats sp;
	unsigned int i, k;

	ptype_set_preempt_interval(0);
	host_preempt_every(0);
	for (i = 0; i < FM_DOMS; i++) {
		dom_kill(order[i]);
	}
	audit();
	if (frame_free_count() != fm.free_at_start) {
		fprintf(stderr, "fuzz_mmu: %llu frames free, %llu at start\n",
			(unsigned long long)frame_free_count(),
			(unsigned long long)fm.free_at_start);
		fail("frames leaked");
	}
	if (frame_alloc_audit() != 0) {
		fail("frame_alloc_audit failed");
	}
	ptype_stats_read(&st);
	tlb_stats_read(&ts);
	superpage_stats_read(&sp);
	total.sp_maps += sp.maps;
	total.sp_holds += sp.holds;
	total.validations += st.validations;
	for (k = 0; k < TLB_OP_NR; k++) {
		total.flushes += ts.op[k].full + ts.op[k].invlpg;
	}
}

static void print_totals(void)
{
	fprintf(stderr,
		"fuzz_mmu: %llu inputs, %llu operations, %llu hypercalls "
		"(%llu done, %llu refused, %llu continuations), "
		"%llu validations, %llu TLB flushes, %llu audits, "
		"%llu superpages (%llu frames held)\n",
		(unsigned long long)total.inputs, (unsigned long long)total.ops,
		(unsigned long long)total.calls, (unsigned long long)total.ok,
		(unsigned long long)total.refused,
		(unsigned long long)total.restarts,
		(unsigned long long)total.validations,
		(unsigned long long)total.flushes,
		(unsigned long long)total.audits,
		(unsigned long long)total.sp_maps,
		(unsigned long long)total.sp_holds);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_init("FUZZ_MMU_TRACE", print_totals);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	setup(&in);
	while (in.n > 0) {
		uint8_t b = in_byte(&in);
		unsigned int slot = (b >> 4) % FM_DOMS;
		struct fm_dom *d = &fm.dom[slot];

		fm.op_nr++;
		if (!d->alive) {
			continue;
		}
		if (d->pending != NULL && (b & 15) != 15) {
			op_continue(&in, d, slot);
		} else {
			ops[b & 15](&in, d, slot);
		}
		audit();
	}
	total.ops += fm.op_nr;
	teardown();
	total.inputs++;
	return 0;
}
