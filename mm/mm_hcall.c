/* SPDX-License-Identifier: MIT */
/*
 * What the MMU hypercalls share (see mm_hcall.h): foreign domains, the
 * batch protocol, and the single-entry update of §9.5.6.
 *
 * One entry, without locks. Each update replaces the entry with one
 * compare-and-swap against the value it last read and then drops the
 * references of exactly the value it replaced; the new value's
 * references were taken before. Two CPUs updating the same entry thus
 * each drop what they replaced, and the hardware setting A or D between
 * the read and the swap only makes the swap retry (with those bits kept
 * for PT_UPDATE_PRESERVE_AD).
 *
 * Locks: none.
 */
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/atomic.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/mm_vcpu.h>
#include <xeno/mm_why.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>

#include "mm_hcall.h"

/*
 * The pseudo-domains a privileged caller may name. They are not
 * registered and own no frame: mapping through them is refused like a
 * frame of the wrong owner until I/O memory permissions exist.
 */
static struct mm_domain dom_io = { .domid = DOMID_IO };
static struct mm_domain dom_xen = { .domid = DOMID_XEN };

struct mm_vcpu *mm_hcall_vcpu(void)
{
	struct mm_vcpu *v = mm_vcpu_current();

	BUG_ON(v == NULL);
	return v;
}

/* ---- foreign domains --------------------------------------------------- */

int mm_fd_get(struct mm_fd *fd, struct mm_domain *caller, domid_t id)
{
	fd->d = caller;
	fd->found = false;
	if (id == DOMID_SELF) {
		return 0;
	}
	if (id == caller->domid) {
		mm_why_note(XENO_WHY_FD_SELF_ID, id, INVALID_MFN);
		return -ESRCH;
	}
	if (id == DOMID_IO || id == DOMID_XEN) {
		if (!caller->privileged) {
			mm_why_note(XENO_WHY_FD_NOT_PRIVILEGED, id,
				    INVALID_MFN);
			return -EPERM;
		}
		fd->d = id == DOMID_IO ? &dom_io : &dom_xen;
		return 0;
	}
	fd->d = mm_domain_find(id);
	if (fd->d == NULL) {
		fd->d = caller;
		mm_why_note(XENO_WHY_FD_UNKNOWN, id, INVALID_MFN);
		return -ESRCH;
	}
	fd->found = true;
	if (!caller->privileged) {
		mm_fd_put(fd);
		mm_why_note(XENO_WHY_FD_NOT_PRIVILEGED, id, INVALID_MFN);
		return -EPERM;
	}
	return 0;
}

int mm_pfd_get(struct mm_fd *fd, struct mm_domain *caller, uint32_t pfd)
{
	fd->d = caller;
	fd->found = false;
	if (pfd == 0 || pfd - 1 == caller->domid) {
		return 0;
	}
	if (pfd - 1 >= DOMID_FIRST_RESERVED) {
		mm_why_note(XENO_WHY_FD_UNKNOWN, pfd - 1, INVALID_MFN);
		return -ESRCH;
	}
	return mm_fd_get(fd, caller, (domid_t)(pfd - 1));
}

void mm_fd_put(struct mm_fd *fd)
{
	if (fd->found) {
		mm_domain_unfind(fd->d);
		fd->found = false;
	}
}

/* ---- batches --------------------------------------------------------------- */

int mm_batch_begin(struct mm_batch *b, const struct hcall_args *h,
		   unsigned int hypercall, size_t size)
{
	uint32_t count = (uint32_t)h->a[1];

	b->hypercall = hypercall;
	b->size = size;
	b->list = h->a[0];
	b->count = count & ~MMU_UPDATE_PREEMPTED;
	b->pdone = h->a[2];
	b->before = 0;
	b->done = 0;
	if (b->pdone == 0) {
		return 0;
	}
	if ((count & MMU_UPDATE_PREEMPTED) &&
	    guest_copy_from(&b->before, b->pdone, sizeof(b->before)) != 0) {
		mm_why_note(XENO_WHY_UNREADABLE, b->pdone, INVALID_MFN);
		return -EFAULT;
	}
	if (guest_copy_to(b->pdone, &b->before, sizeof(b->before)) != 0) {
		mm_why_note(XENO_WHY_UNWRITABLE, b->pdone, INVALID_MFN);
		return -EFAULT;
	}
	return 0;
}

int mm_batch_read(struct mm_batch *b, void *buf, unsigned int max)
{
	uint64_t at = b->list + (uint64_t)b->done * b->size;
	unsigned int n = (unsigned int)MIN((uint64_t)max,
					   (uint64_t)(b->count - b->done));
	unsigned int in_page =
		(unsigned int)((PAGE_SIZE - (at & (PAGE_SIZE - 1))) / b->size);

	n = MIN(n, in_page);
	if (n == 0) {
		n = 1; /* one element straddling two pages */
	}
	if (guest_copy_from(buf, at, n * b->size) != 0) {
		mm_why_note(XENO_WHY_UNREADABLE, at, INVALID_MFN);
		return -EFAULT;
	}
	return (int)n;
}

static uint64_t continuations;

uint64_t mm_batch_continuations(void)
{
	return __atomic_load_n(&continuations, __ATOMIC_RELAXED);
}

long mm_batch_end(struct mm_batch *b, struct hcall_args *h, int rc)
{
	uint32_t total = b->before + b->done;

	/* Checked writable at the start; a guest remapping it meanwhile
	 * loses the count, as it would on Xen. */
	if (b->pdone != 0) {
		(void)guest_copy_to(b->pdone, &total, sizeof(total));
	}
	if (rc != -EAGAIN) {
		return rc;
	}
	h->a[0] = b->list + (uint64_t)b->done * b->size;
	h->a[1] = (b->count - b->done) | MMU_UPDATE_PREEMPTED;
	__atomic_fetch_add(&continuations, 1, __ATOMIC_RELAXED);
	return -ERESTART;
}

long mm_batch_finish_pending(struct mm_vcpu *v)
{
	if (mm_vcpu_finish_put(v, PTYPE_PREEMPTIBLE) == 0) {
		return 0;
	}
	__atomic_fetch_add(&continuations, 1, __ATOMIC_RELAXED);
	return -ERESTART;
}

/* ---- one entry ------------------------------------------------------------ */

static uint64_t with_ad(uint64_t store, uint64_t old, bool preserve_ad)
{
	return preserve_ad ? store | (old & (PTE_A | PTE_D)) : store;
}

/*
 * §9.5.6 rule 1: the entry keeps its references; only stores, and only
 * if that changes it (an entry rewritten with what it holds stays as it
 * is: storing it again would change nothing). Returns false, storing
 * nothing, if the entry does not have val's references.
 */
static bool update_fast(uint64_t *p, unsigned int level, uint64_t val,
			uint64_t store, bool preserve_ad)
{
	uint64_t old = __atomic_load_n(p, __ATOMIC_SEQ_CST);

	while (pte_same_refs(level, old, val)) {
		uint64_t want = with_ad(store, old, preserve_ad);

		if (old == want || atomic_cmpxchg64(p, &old, want)) {
			return true;
		}
	}
	return false;
}

/*
 * Stores store in place of the entry, returning the value it replaced:
 * one exchange, or with preserve_ad a compare-and-swap that keeps the A
 * and D bits of exactly the value replaced.
 */
static uint64_t entry_swap(uint64_t *p, uint64_t store, bool preserve_ad)
{
	uint64_t old;

	if (!preserve_ad) {
		return __atomic_exchange_n(p, store, __ATOMIC_SEQ_CST);
	}
	old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
	while (!atomic_cmpxchg64(p, &old, with_ad(store, old, true))) {
	}
	return old;
}

/* mm_entry_set, with pending as in mm_entry_set_deferred (or NULL). */
static int entry_set(const struct mm_table_ref *t, unsigned int slot,
		     uint64_t val, struct mm_domain *d, struct mm_domain *fd,
		     bool preserve_ad, unsigned int flags,
		     struct page_info **pending)
{
	uint64_t *p = &t->entries[slot];
	struct pte_ctx c = { .d = d,
			     .fd = fd,
			     .table = t->pg,
			     .flags = flags,
			     .failed = pending };
	uint64_t store, old;
	int rc;

	ASSERT(!(t->level == 4 && l4_slot_is_hyp(slot)));
	ASSERT(t->entries == arch_mfn_to_virt(page_to_mfn(t->pg)));
	if (!pte_check_flags(t->level, val, d)) {
		mm_why_note(XENO_WHY_BAD_FLAGS, val, page_to_mfn(t->pg));
		mm_why_where(page_to_mfn(t->pg), slot);
		return -EINVAL;
	}
	store = pte_adjust(t->level, val);
	if (update_fast(p, t->level, val, store, preserve_ad)) {
		return 0;
	}
	rc = pte_get_checked(t->level, val, &c);
	if (unlikely(rc != 0)) {
		if (rc != -EAGAIN) {
			mm_why_where(page_to_mfn(t->pg), slot);
		}
		return rc;
	}
	old = entry_swap(p, store, preserve_ad);
	if (pending != NULL) {
		pte_put_deferred(t->level, old, t->pg, pending);
	} else {
		pte_put(t->level, old, t->pg);
	}
	return 0;
}

int mm_entry_set(const struct mm_table_ref *t, unsigned int slot, uint64_t val,
		 struct mm_domain *d, struct mm_domain *fd, bool preserve_ad,
		 unsigned int flags)
{
	return entry_set(t, slot, val, d, fd, preserve_ad, flags, NULL);
}

int mm_entry_set_deferred(const struct mm_table_ref *t, unsigned int slot,
			  uint64_t val, struct mm_domain *d,
			  struct mm_domain *fd, bool preserve_ad,
			  unsigned int flags, struct page_info **pending)
{
	*pending = NULL;
	return entry_set(t, slot, val, d, fd, preserve_ad, flags, pending);
}

int mm_entry_update(struct page_info *table, unsigned int level,
		    unsigned int slot, uint64_t val, struct mm_domain *d,
		    struct mm_domain *fd, bool preserve_ad, unsigned int flags)
{
	struct mm_table_ref t = {
		.pg = table,
		.entries = arch_mfn_to_virt(page_to_mfn(table)),
		.level = level,
	};

	return mm_entry_set(&t, slot, val, d, fd, preserve_ad, flags);
}

int mm_batch_run(struct mm_batch *b, void *buf, unsigned int max,
		 mm_batch_fn one, void *ctx)
{
	int n, i, rc;

	while (b->done < b->count) {
		mm_why_begin();
		n = mm_batch_read(b, buf, max);
		if (n < 0) {
			return mm_why_fail(n, b->hypercall, ~0U,
					   b->before + b->done);
		}
		for (i = 0; i < n; i++) {
			unsigned int cmd = 0;

			if (mm_batch_preempt(b)) {
				return -EAGAIN;
			}
			mm_why_begin();
			rc = one(ctx,
				 (const uint8_t *)buf + (size_t)i * b->size,
				 &cmd);
			if (rc == -EAGAIN) {
				return rc;
			}
			if (rc == MM_BATCH_DONE_STOP) {
				b->done++;
				return -EAGAIN;
			}
			if (rc != 0) {
				return mm_why_fail(rc, b->hypercall, cmd,
						   b->before + b->done);
			}
			b->done++;
		}
	}
	return 0;
}
