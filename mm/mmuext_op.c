/* SPDX-License-Identifier: MIT */
/*
 * mmuext_op (hypercall 26, pv-abi §6.2): pin and unpin, page-table
 * roots, TLB and cache maintenance, the LDT, clearing and copying pages.
 *
 *   mmuext_op(mmuext_op_t *ops, unsigned int count, unsigned int *pdone,
 *             unsigned int foreigndom)
 *
 * foreigndom (FD) names the owner of the frames pinned, unpinned,
 * cleared or copied; every other command acts on the caller and refuses
 * a foreign FD with -EPERM. The FD is resolved before the first op. The
 * batch protocol (pdone, preemption, continuation) is mm_hcall.h's; a
 * pin or base pointer whose validation is preempted is redone by the
 * continuation, which resumes that validation. An unpin or base pointer
 * whose devalidation (of the unpinned table, of the old root) is
 * preempted is done: it becomes the vCPU's pending put, and the batch
 * continues, finishing that devalidation first (docs/mm.md §7).
 *
 * Each command is a small function: it checks everything, then acts.
 * TLB commands only note what to flush; the batch flushes once at the
 * end (mm/tlb.c), before any continuation.
 *
 * Locks: none of its own.
 */
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/mm_vcpu.h>
#include <xeno/mm_why.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/tlb.h>

#include "mm_hcall.h"

#define EXT_CHUNK 8

struct ext_ctx {
	struct mm_vcpu *v;
	struct mm_fd fd;
	struct tlb_flush flush;
};

/* For commands that act on the caller only. */
static int need_self(const struct ext_ctx *c)
{
	if (c->fd.d != c->v->d) {
		mm_why_note(XENO_WHY_FD_NOT_SELF, c->fd.d->domid, INVALID_MFN);
		return -EPERM;
	}
	return 0;
}

/* The vCPU bitmap at guest address p, as a mask of their CPUs. */
static int vcpumask_cpus(struct ext_ctx *c, uint64_t p, cpumask_t *out)
{
	uint64_t bitmap;

	if (guest_copy_from(&bitmap, p, sizeof(bitmap)) != 0) {
		mm_why_note(XENO_WHY_VCPUMASK, p, INVALID_MFN);
		return -EINVAL;
	}
	*out = tlb_vcpus_cpus(c->v->d, bitmap);
	return 0;
}

/* ---- pin, unpin ----------------------------------------------------------- */

static int ext_pin(struct ext_ctx *c, const struct mmuext_op *op)
{
	uint64_t type = (uint64_t)(op->cmd - MMUEXT_PIN_L1_TABLE + 1)
			<< PGT_type_shift;

	/* A failed validation's release that stops: the pending put. */
	ASSERT(c->v->put_pending == NULL);
	return ptype_pin_deferred(c->fd.d, mfn(op->arg1.mfn), type,
				  PTYPE_PREEMPTIBLE, &c->v->put_pending);
}

/* A devalidation that stops becomes the vCPU's pending put (batch_one). */
static int ext_unpin(struct ext_ctx *c, const struct mmuext_op *op)
{
	return ptype_unpin_deferred(c->fd.d, mfn(op->arg1.mfn),
				    &c->v->put_pending);
}

/* ---- roots ---------------------------------------------------------------- */

static int ext_baseptr(struct ext_ctx *c, const struct mmuext_op *op)
{
	int rc = need_self(c);

	if (rc != 0) {
		return rc;
	}
	return mm_vcpu_set_root(c->v, op->cmd == MMUEXT_NEW_USER_BASEPTR,
				mfn(op->arg1.mfn), PTYPE_PREEMPTIBLE);
}

/* ---- TLBs ----------------------------------------------------------------- */

/* Which CPUs the command's scope covers. */
static int tlb_scope(struct ext_ctx *c, const struct mmuext_op *op,
		     cpumask_t *cpus)
{
	switch (op->cmd) {
	case MMUEXT_TLB_FLUSH_LOCAL:
	case MMUEXT_INVLPG_LOCAL:
		*cpus = tlb_vcpu_cpus(c->v);
		return 0;
	case MMUEXT_TLB_FLUSH_MULTI:
	case MMUEXT_INVLPG_MULTI:
		return vcpumask_cpus(c, op->arg2.vcpumask, cpus);
	default:
		*cpus = tlb_domain_cpus(c->v->d);
		return 0;
	}
}

static int ext_tlb(struct ext_ctx *c, const struct mmuext_op *op)
{
	bool invlpg = op->cmd == MMUEXT_INVLPG_LOCAL ||
		      op->cmd == MMUEXT_INVLPG_MULTI ||
		      op->cmd == MMUEXT_INVLPG_ALL;
	uint64_t va = invlpg ? op->arg1.linear_addr : ARCH_FLUSH_ALL;
	cpumask_t cpus;
	int rc = need_self(c);

	if (rc == 0) {
		rc = tlb_scope(c, op, &cpus);
	}
	if (rc != 0) {
		return rc;
	}
	/* Xen ignores an invlpg of an address no guest mapping can have. */
	if (!invlpg || guest_range_ok(va, 1)) {
		tlb_flush_add(&c->flush, cpus, va);
	}
	return 0;
}

/*
 * MMUEXT_FLUSH_CACHE[_GLOBAL]. Only a domain with I/O resources may ask;
 * none has them yet, and the arch interface has no cache write-back, so
 * an allowed request has nothing to do (docs/mm.md §9).
 */
static int ext_flush_cache(struct ext_ctx *c, const struct mmuext_op *op)
{
	int rc = need_self(c);

	if (rc != 0) {
		return rc;
	}
	if (!c->v->d->io_caching) {
		mm_why_note(XENO_WHY_NO_IO_RIGHTS, op->cmd, INVALID_MFN);
		return -EACCES;
	}
	return 0;
}

/* ---- the LDT -------------------------------------------------------------- */

/* The LDT at linear_addr, nr_ents descriptors (mm_ldt.h); old one kept on failure. */
static int ext_set_ldt(struct ext_ctx *c, const struct mmuext_op *op)
{
	struct mm_ldt l;
	int rc = need_self(c);

	if (rc == 0) {
		rc = mm_ldt_prepare(c->v->d, c->v->kernel_root,
				    op->arg1.linear_addr, op->arg2.nr_ents, &l);
	}
	if (rc == 0) {
		mm_ldt_install(c->v, &l);
	}
	return rc;
}

/* ---- clear, copy ---------------------------------------------------------- */

/* The FD's frame m (on its list) with a general and a writable type ref. */
static struct page_info *writable_frame(struct ext_ctx *c, uint64_t m)
{
	struct page_info *pg;

	if (!mfn_valid(mfn(m)) || !page_get(mfn_to_page(mfn(m)), c->fd.d)) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, m,
			    mfn_valid(mfn(m)) ? mfn(m) : INVALID_MFN);
		return NULL;
	}
	pg = mfn_to_page(mfn(m));
	if (!mm_domain_holds(pg)) {
		mm_why_note(XENO_WHY_GIVEN_BACK, m, mfn(m));
		page_put(pg);
		return NULL;
	}
	if (ptype_get(pg, PGT_writable, NULL, 0) != 0) {
		mm_why_renote(XENO_WHY_NOT_UPDATABLE, m, mfn(m));
		page_put(pg);
		return NULL;
	}
	return pg;
}

static int ext_clear_page(struct ext_ctx *c, const struct mmuext_op *op)
{
	struct page_info *pg = writable_frame(c, op->arg1.mfn);

	if (pg == NULL) {
		return -EINVAL;
	}
	memset(arch_mfn_to_virt(page_to_mfn(pg)), 0, PAGE_SIZE);
	page_put_and_type(pg);
	return 0;
}

static int ext_copy_page(struct ext_ctx *c, const struct mmuext_op *op)
{
	mfn_t s = mfn(op->arg2.src_mfn);
	struct page_info *dst, *src;

	if (!mfn_valid(s) || !page_get(mfn_to_page(s), c->fd.d)) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, mfn_x(s),
			    mfn_valid(s) ? s : INVALID_MFN);
		return -EINVAL;
	}
	src = mfn_to_page(s);
	dst = writable_frame(c, op->arg1.mfn);
	if (dst == NULL) {
		page_put(src);
		return -EINVAL;
	}
	if (dst != src) {
		memcpy(arch_mfn_to_virt(page_to_mfn(dst)), arch_mfn_to_virt(s),
		       PAGE_SIZE);
	}
	page_put_and_type(dst);
	page_put(src);
	return 0;
}

/* ---- the rest ------------------------------------------------------------- */

static int ext_no_superpages(struct ext_ctx *c, const struct mmuext_op *op)
{
	mm_why_note(XENO_WHY_NO_SUPERPAGES, op->cmd, INVALID_MFN);
	return -EOPNOTSUPP;
}

typedef int (*ext_fn)(struct ext_ctx *c, const struct mmuext_op *op);

static const ext_fn ext_cmds[] = {
	[MMUEXT_PIN_L1_TABLE] = ext_pin,
	[MMUEXT_PIN_L2_TABLE] = ext_pin,
	[MMUEXT_PIN_L3_TABLE] = ext_pin,
	[MMUEXT_PIN_L4_TABLE] = ext_pin,
	[MMUEXT_UNPIN_TABLE] = ext_unpin,
	[MMUEXT_NEW_BASEPTR] = ext_baseptr,
	[MMUEXT_TLB_FLUSH_LOCAL] = ext_tlb,
	[MMUEXT_INVLPG_LOCAL] = ext_tlb,
	[MMUEXT_TLB_FLUSH_MULTI] = ext_tlb,
	[MMUEXT_INVLPG_MULTI] = ext_tlb,
	[MMUEXT_TLB_FLUSH_ALL] = ext_tlb,
	[MMUEXT_INVLPG_ALL] = ext_tlb,
	[MMUEXT_FLUSH_CACHE] = ext_flush_cache,
	[MMUEXT_SET_LDT] = ext_set_ldt,
	[MMUEXT_NEW_USER_BASEPTR] = ext_baseptr,
	[MMUEXT_CLEAR_PAGE] = ext_clear_page,
	[MMUEXT_COPY_PAGE] = ext_copy_page,
	[MMUEXT_FLUSH_CACHE_GLOBAL] = ext_flush_cache,
	[MMUEXT_MARK_SUPER] = ext_no_superpages,
	[MMUEXT_UNMARK_SUPER] = ext_no_superpages,
};

static int one_op(struct ext_ctx *c, const struct mmuext_op *op)
{
	if (op->cmd >= ARRAY_SIZE(ext_cmds) || ext_cmds[op->cmd] == NULL) {
		mm_why_note(XENO_WHY_BAD_COMMAND, op->cmd, INVALID_MFN);
		return -ENOSYS;
	}
	return ext_cmds[op->cmd](c, op);
}

/*
 * mm_batch_fn for one mmuext_op element. An element done whose
 * devalidation stopped (an unpin, the old root of a base pointer) ends
 * the part: the continuation finishes that devalidation before the next
 * element.
 */
static int batch_one(void *ctx, const void *elem, unsigned int *cmd)
{
	struct ext_ctx *c = ctx;
	const struct mmuext_op *op = elem;
	int rc;

	*cmd = op->cmd;
	rc = one_op(c, op);
	if (rc == 0 && c->v->put_pending != NULL) {
		return MM_BATCH_DONE_STOP;
	}
	return rc;
}

static int run_batch(struct ext_ctx *c, struct mm_batch *b)
{
	struct mmuext_op ops[EXT_CHUNK];

	return mm_batch_run(b, ops, EXT_CHUNK, batch_one, c);
}

long do_mmuext_op(struct hcall_args *h)
{
	struct ext_ctx c = { .v = mm_hcall_vcpu() };
	struct mm_batch b;
	int rc;

	mm_why_begin();
	/* A devalidation an earlier part (or call) left: finish it first. */
	if (mm_batch_finish_pending(c.v) != 0) {
		return -ERESTART;
	}
	rc = mm_fd_get(&c.fd, c.v->d, (domid_t)h->a[3]);
	if (rc == 0) {
		rc = mm_batch_begin(&b, h, __HYPERVISOR_mmuext_op,
				    sizeof(struct mmuext_op));
		if (rc != 0) {
			mm_fd_put(&c.fd);
		}
	}
	if (rc != 0) {
		return mm_why_fail(rc, __HYPERVISOR_mmuext_op, ~0U, 0);
	}
	tlb_flush_init(&c.flush, c.v->d, TLB_OP_MMUEXT);
	rc = run_batch(&c, &b);
	tlb_flush_commit(&c.flush);
	mm_fd_put(&c.fd);
	return mm_batch_end(&b, h, rc);
}
