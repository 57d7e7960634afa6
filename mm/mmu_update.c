/* SPDX-License-Identifier: MIT */
/*
 * mmu_update (hypercall 1, pv-abi §6.1): batched, checked writes of
 * page-table entries and of M2P entries.
 *
 *   mmu_update(const mmu_update_t *reqs, unsigned int count,
 *              unsigned int *pdone, unsigned int foreigndom)
 *
 * Decode, then act: the foreign domains are resolved before the first
 * request (FD: bits 15:0 of foreigndom, the owner of frames new L1
 * entries map; PFD + 1: bits 31:16, the owner of the tables written).
 * Each request is checked in full before it changes anything, and the
 * batch stops at the first refused one, with *pdone counting the ones
 * done (mm_hcall.h has the batch protocol).
 *
 * Per request, by command (ptr & 7):
 *   0, 3 NORMAL_PT_UPDATE, NO_TRANSLATE   write one entry (below)
 *   2    PT_UPDATE_PRESERVE_AD            the same, keeping A and D
 *   1    MACHPHYS_UPDATE                  set the M2P entry of ptr's frame
 *   4-7                                   -ENOSYS
 * The frame at ptr must be on the PFD's page list (-EINVAL). If it is a
 * validated page table, the entry is updated by the rules of its level
 * (mm_entry_set: new references first, atomic store, old references
 * last); slots 256-271 of an L4 are the hypervisor's (-EINVAL), and an
 * L2-L4 entry must not use a foreign FD (-EINVAL). Otherwise, if the
 * frame can take a writable type reference, the 8 bytes are stored as
 * they are. Otherwise -EINVAL.
 *
 * Replacing or clearing an L2-L4 entry drops the old target's type
 * reference; if that is its last, the subtree below is devalidated
 * preemptibly (docs/mm.md §7): a stopped devalidation leaves the
 * request done (counted in *pdone) and the table PARTIAL as the vCPU's
 * pending put, and the part ends; its continuation, like every
 * mmu_update, finishes the vCPU's pending put before its first request.
 * The same holds when a privileged caller writes a foreign PFD's
 * tables: the pending put is the caller's vCPU's and holds a general
 * reference on the PFD's frame, so the frame outlives even the PFD's
 * teardown (which takes the half-devalidated table over, ptype.c) and is
 * freed by the caller's last put through the released list.
 *
 * TLBs: after L2-L4 changes the CPUs that ran the PFD are flushed once,
 * before the hypercall returns (continuations included); L1 changes are
 * the guest's to flush.
 *
 * Runs of requests to one table. A request to a validated table holds a
 * general and a type reference on it while it writes the entry. Batches
 * mostly write many entries of one table in a row, so those references
 * (four atomic operations and the frame's checks) are kept from one
 * request to the next while they name the same frame, and let go before
 * a request to another frame, before any other command, and when the
 * batch stops. Each request still checks that the frame is on the PFD's
 * page list (else the full lookup runs, and refuses it as before). This
 * changes nothing a request can see: during each request the table holds
 * the same references as if it had taken them itself, and the requests
 * of a run cannot drop the table's other type references (an update of
 * a table's entries only releases tables below it or linear targets,
 * which never hold a reference to it), so the table stays the validated
 * table of the same level the run found, as it would have been found
 * again by each request. Other CPUs may find the table referenced for
 * the whole run rather than during each request: a race they could lose
 * before as well (its last type reference dropped elsewhere meanwhile
 * devalidates it when the run ends).
 *
 * Locks: none of its own.
 */
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/m2p.h>
#include <xeno/mm_vcpu.h>
#include <xeno/mm_why.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/tlb.h>

#include "mm_hcall.h"

/*
 * Requests read from the guest at a time (from one page). Each read
 * walks the guest's tables with references on every level (guest_access.c),
 * a dozen atomic operations: 128 (2 KiB of stack) make that a fraction
 * of a nanosecond per request in a long batch.
 */
#define MMU_CHUNK 128

struct mmu_ctx {
	struct mm_vcpu *v;
	struct mm_domain *caller;
	struct mm_fd fd;  /* owner of L1 targets */
	struct mm_fd pfd; /* owner of the tables */
	struct tlb_flush flush;
	struct mm_table_ref held; /* the run's table (pg NULL: none) */
	mfn_t held_mfn;
};

/* Lets the run's table go (see the top). */
static void held_release(struct mmu_ctx *c)
{
	if (c->held.pg != NULL) {
		page_put_and_type(c->held.pg);
		c->held.pg = NULL;
	}
}

/* The frame at ptr with a general reference, if it is the PFD's own. */
static struct page_info *pfd_frame(struct mmu_ctx *c, uint64_t ptr)
{
	mfn_t m = paddr_to_mfn(paddr(ptr));
	struct page_info *pg;

	if (!mfn_valid(m)) {
		mm_why_note(XENO_WHY_PTR_NOT_OWNER, ptr, INVALID_MFN);
		return NULL;
	}
	pg = mfn_to_page(m);
	if (!page_get(pg, c->pfd.d)) {
		mm_why_note(XENO_WHY_PTR_NOT_OWNER, ptr, m);
		return NULL;
	}
	if (!mm_domain_holds(pg)) {
		mm_why_note(XENO_WHY_GIVEN_BACK, ptr, m);
		page_put(pg);
		return NULL;
	}
	return pg;
}

/* An entry of the run's table (held). */
static int table_write(struct mmu_ctx *c, uint64_t ptr, uint64_t val,
		       bool preserve_ad)
{
	unsigned int slot = (unsigned int)((ptr & (PAGE_SIZE - 1)) >> 3);
	unsigned int level = c->held.level;
	int rc;

	if (level == 4 && l4_slot_is_hyp(slot)) {
		mm_why_note(XENO_WHY_HYPERVISOR_SLOT, ptr, c->held_mfn);
		return -EINVAL;
	}
	if (level > 1 && c->fd.d != c->pfd.d) {
		mm_why_note(XENO_WHY_FD_NOT_PFD, val, c->held_mfn);
		return -EINVAL;
	}
	if (level > 1) {
		/*
		 * The old entry's subtree may become the caller's pending
		 * put, whoever owns the table (a foreign PFD's frames too).
		 */
		ASSERT(c->v->put_pending == NULL);
		rc = mm_entry_set_deferred(
			&c->held, slot, val, c->pfd.d, c->fd.d, preserve_ad,
			PTYPE_PREEMPTIBLE, &c->v->put_pending);
	} else {
		rc = mm_entry_set(&c->held, slot, val, c->pfd.d, c->fd.d,
				  preserve_ad, PTYPE_PREEMPTIBLE);
	}
	if (rc == 0 && level > 1) {
		tlb_flush_add(&c->flush, tlb_domain_cpus(c->pfd.d),
			      ARCH_FLUSH_ALL);
	}
	return rc;
}

/* The 8 bytes of an ordinary page, while it holds a writable type. */
static int plain_write(struct page_info *pg, uint64_t ptr, uint64_t val)
{
	uint64_t *p;

	if (ptype_get(pg, PGT_writable, NULL, 0) != 0) {
		mm_why_renote(XENO_WHY_NOT_UPDATABLE, ptr, page_to_mfn(pg));
		return -EINVAL;
	}
	p = arch_mfn_to_virt(page_to_mfn(pg));
	__atomic_store_n(&p[(ptr & (PAGE_SIZE - 1)) >> 3], val,
			 __ATOMIC_RELAXED);
	ptype_put(pg);
	return 0;
}

/* Commands 0, 2 and 3. */
static int pt_update(struct mmu_ctx *c, uint64_t ptr, uint64_t val,
		     bool preserve_ad)
{
	mfn_t m = paddr_to_mfn(paddr(ptr));
	struct page_info *pg;
	uint64_t type;
	int rc;

	if (likely(c->held.pg != NULL && mfn_eq(m, c->held_mfn) &&
		   mm_domain_holds(c->held.pg))) {
		return table_write(c, ptr, val, preserve_ad);
	}
	/* Another frame, or given back: the full lookup decides. */
	held_release(c);
	pg = pfd_frame(c, ptr);
	if (pg == NULL) {
		return -EINVAL;
	}
	type = ptype_type(pg);
	if (mm_table_level(type) != 0 && ptype_get_validated(pg, type)) {
		c->held = (struct mm_table_ref){
			.pg = pg,
			.entries = arch_mfn_to_virt(m),
			.level = mm_table_level(type),
		};
		c->held_mfn = m;
		return table_write(c, ptr, val, preserve_ad);
	}
	rc = plain_write(pg, ptr, val);
	page_put(pg);
	return rc;
}

/* Command 1: the M2P entry of ptr's frame, which must be the FD's. */
static int machphys_update(struct mmu_ctx *c, uint64_t ptr, uint64_t pfn)
{
	mfn_t m = paddr_to_mfn(paddr(ptr));
	struct page_info *pg;
	int rc = 0;

	if (c->pfd.d != c->caller) {
		mm_why_note(XENO_WHY_PFD_FOREIGN, ptr, INVALID_MFN);
		return -EPERM;
	}
	if (!mfn_valid(m) || !page_get(mfn_to_page(m), c->fd.d)) {
		mm_why_note(XENO_WHY_M2P_FRAME, ptr,
			    mfn_valid(m) ? m : INVALID_MFN);
		return -EINVAL;
	}
	pg = mfn_to_page(m);
	if (!mm_domain_holds(pg) || !m2p_set(m, pfn)) {
		mm_why_note(XENO_WHY_M2P_FRAME, ptr, m);
		rc = -EINVAL;
	}
	page_put(pg);
	return rc;
}

static int one_request(struct mmu_ctx *c, const struct mmu_update *req)
{
	uint64_t ptr = req->ptr & ~7ULL;

	switch (req->ptr & 7) {
	case MMU_NORMAL_PT_UPDATE:
	case MMU_PT_UPDATE_NO_TRANSLATE:
		return pt_update(c, ptr, req->val, false);
	case MMU_PT_UPDATE_PRESERVE_AD:
		return pt_update(c, ptr, req->val, true);
	case MMU_MACHPHYS_UPDATE:
		held_release(c);
		return machphys_update(c, ptr, req->val);
	default:
		held_release(c);
		mm_why_note(XENO_WHY_BAD_COMMAND, req->ptr & 7, INVALID_MFN);
		return -ENOSYS;
	}
}

/*
 * mm_batch_fn for one mmu_update request. A request done whose old
 * entry's devalidation stopped ends the part: the continuation finishes
 * that devalidation before the next request.
 */
static int batch_one(void *ctx, const void *elem, unsigned int *cmd)
{
	const struct mmu_update *req = elem;
	struct mmu_ctx *c = ctx;
	int rc;

	*cmd = (unsigned int)(req->ptr & 7);
	rc = one_request(c, req);
	if (rc == 0 && c->v->put_pending != NULL) {
		return MM_BATCH_DONE_STOP;
	}
	return rc;
}

/* Runs the batch's requests until done, refused or preempted. */
static int run_batch(struct mmu_ctx *c, struct mm_batch *b)
{
	struct mmu_update reqs[MMU_CHUNK];

	return mm_batch_run(b, reqs, MMU_CHUNK, batch_one, c);
}

long do_mmu_update(struct hcall_args *h)
{
	struct mm_vcpu *v = mm_hcall_vcpu();
	uint32_t foreigndom = (uint32_t)h->a[3];
	struct mmu_ctx c = { .v = v, .caller = v->d };
	struct mm_batch b;
	int rc;

	mm_why_begin();
	/* A devalidation an earlier part (or call) left: finish it first. */
	if (mm_batch_finish_pending(v) != 0) {
		return -ERESTART;
	}
	rc = mm_fd_get(&c.fd, v->d, (domid_t)foreigndom);
	if (rc != 0) {
		return mm_why_fail(rc, __HYPERVISOR_mmu_update, ~0U, 0);
	}
	rc = mm_pfd_get(&c.pfd, v->d, foreigndom >> 16);
	if (rc == 0) {
		rc = mm_batch_begin(&b, h, __HYPERVISOR_mmu_update,
				    sizeof(struct mmu_update));
		if (rc != 0) {
			mm_fd_put(&c.pfd);
		}
	}
	if (rc != 0) {
		mm_fd_put(&c.fd);
		return mm_why_fail(rc, __HYPERVISOR_mmu_update, ~0U, 0);
	}
	tlb_flush_init(&c.flush, c.pfd.d, TLB_OP_MMU_UPDATE);
	rc = run_batch(&c, &b);
	held_release(&c);
	tlb_flush_commit(&c.flush);
	mm_fd_put(&c.pfd);
	mm_fd_put(&c.fd);
	return mm_batch_end(&b, h, rc);
}
