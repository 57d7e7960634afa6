/* SPDX-License-Identifier: MIT */
/*
 * Guest memory access (see xeno/guest_access.h): copies to and from the
 * current vCPU's memory by guest virtual address, two ways.
 *
 * 1. Direct. While the hypervisor runs a hypercall or handles a trap for
 *    a vCPU in kernel mode, the CPU's CR3 holds that vCPU's kernel root:
 *    the guest's own tables are live, so the copy can simply use them
 *    (arch_copy_*_live: the CPU's own walk, read-only entries honoured,
 *    a fault ending the copy through the exception table). Taken only
 *    when arch_root_live(kernel_root) says this CPU is on exactly that
 *    root, which also covers the cases where it is not: the idle context
 *    (no current vCPU, or the hypervisor's tables), the domain builder
 *    and benchmarks that run on tables of their own, another vCPU's or
 *    domain's memory (never asked for here: guest_frame_in and
 *    guest_l1_of walk), and the host build (never live).
 *
 *    Not taken in user mode: the user root may map leaves the guest
 *    kernel marked kernel-only (PTE_GUEST_KERNEL, docs/mm.md §4), which
 *    the hardware lets through (every guest leaf has US), while the walk
 *    refuses them. User-mode copies are rare (an INT n or an emulated
 *    instruction fetched from user code); they keep the walk and its
 *    exact refusals.
 *
 *    Why it is safe while other vCPUs of the domain change the tables
 *    during the copy (the walk below answers the same question with
 *    references). The copying CPU may use a translation that is stale:
 *    an entry another vCPU has just cleared or redirected, still in this
 *    CPU's TLB or paging-structure caches. The rules of docs/mm.md §12
 *    make every stale translation harmless:
 *     - This CPU runs a vCPU of the domain, so every flush Xeno does
 *       for the domain's frames reaches it: shootdowns go to the CPUs
 *       that ran the domain since their last full flush, and the TLB
 *       clock (tlb_flush_stale) skips a CPU only if it fully flushed
 *       after the frame's last use in its old role, after which no entry
 *       of the current tables leads it there in that role.
 *     - A frame is freed or reused only after that flush, and a frame
 *       changes use (writable data to page table or descriptor page, a
 *       table to writable) only after it (tlb_flush_stale, before the
 *       new use is stored). So while this CPU can still reach a frame
 *       through a stale entry, the frame is still the domain's and still
 *       of its old use: a stale read returns data the guest could read a
 *       moment ago, a stale write (only through an entry that was
 *       writable) lands in a frame that is still writable data.
 *     - Hypervisor code runs with interrupts off (SYSCALL masks IF,
 *       every IDT entry is an interrupt gate; DESIGN §1.3), and a copy
 *       never spins: a shootdown aimed at this CPU waits until the
 *       hypercall is over, so the frame outlives the copy. Were
 *       interrupts on, the flush would happen between two instructions
 *       of the copy and the next access would re-walk the current
 *       tables: the argument holds either way.
 *     - A table reached through a stale upper entry is covered the same
 *       way (a table losing its type is a change of use), and a fresh
 *       hardware walk only reads entries that are validated now.
 *    The same vCPU changing its own L1 entries earlier in the same
 *    hypercall without a flush (Xeno leaves those flushes to the guest)
 *    may leave a stale entry too: the copy then sees what the guest
 *    itself would see until it flushes, under the same rules.
 *
 * 2. The software walk of the vCPU's active tables, page by page, for
 *    every other case. Why references on the tables too: the guest's
 *    other vCPUs may change an entry the walk has just read, drop the
 *    last reference to the table it named, and hand that frame back or
 *    reuse it as data. Reading it as a table then would follow
 *    guest-written "entries" to any frame. So the walk takes, for every
 *    table below the root, a general reference of the domain (page_get:
 *    still the domain's frame) and a type reference of the type it has
 *    (ptype_get_validated: still a validated table, whose entries are all
 *    checked references). The entry read in it may be stale by the time
 *    it is used, but it is one the domain was allowed to have, so the
 *    frame it leads to is one the domain may touch in that way. The root
 *    needs nothing: the vCPU holds it and only the vCPU itself (this very
 *    hypercall) could change it. The walk, unlike the hardware, works
 *    from the direct map, so it reads the tables of any domain.
 *
 * Both give the same answers for a kernel-mode copy: the walk requires
 * P and US at every level and RW for a write; the hardware requires P,
 * and RW for a write (CR0.WP), and every present guest entry has US.
 * Both refuse addresses outside the guest's part before touching
 * anything, and both leave the bytes before a fault copied.
 *
 * A table at walk level k may be of type Lk or higher: linear entries
 * make a table of one level serve as the next one down. Its entries are
 * then upper-level entries; the access bits are checked the same way,
 * and the leaf frame is whatever they point to (a table, only readable:
 * linear entries are read-only).
 *
 * Locks: none. The statistics are per CPU, each written by its CPU.
 */
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/mm_vcpu.h>
#include <xeno/mm_why.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>

#define GUEST_LOW_END (1ULL << 47)

/* The tables a walk holds references on (levels 3, 2, 1 at most). */
struct walk {
	struct mm_domain *d;
	struct page_info *held[3];
	unsigned int nr_held;
};

bool guest_range_ok(uint64_t va, size_t n)
{
	uint64_t last;

	if (n == 0) {
		return true;
	}
	last = va + n - 1;
	if (last < va) {
		return false;
	}
	return last < GUEST_LOW_END || va >= HYPERVISOR_VIRT_END;
}

static unsigned int slot_of(uint64_t va, unsigned int level)
{
	return (unsigned int)(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

static uint64_t level_type(unsigned int level)
{
	return (uint64_t)level << PGT_type_shift;
}

static void walk_release(struct walk *w)
{
	while (w->nr_held > 0) {
		page_put_and_type(w->held[--w->nr_held]);
	}
}

/*
 * The table entry e (of a level-level table) leads to, to be read as a
 * table of level - 1, with its references held; NULL if it is not a
 * validated table of the domain of at least that level.
 */
static uint64_t *walk_down(struct walk *w, uint64_t e, unsigned int level)
{
	mfn_t m = pte_mfn(e);
	struct page_info *pg;
	uint64_t type;

	if (!mfn_valid(m)) {
		return NULL;
	}
	pg = mfn_to_page(m);
	if (!page_get(pg, w->d)) {
		return NULL;
	}
	type = ptype_type(pg);
	if (type < level_type(level - 1) || type > PGT_l4 ||
	    !ptype_get_validated(pg, type)) {
		page_put(pg);
		return NULL;
	}
	w->held[w->nr_held++] = pg;
	return arch_mfn_to_virt(m);
}

/* Whether entry e of the walk allows the access (see the header). */
static bool entry_allows(uint64_t e, bool write, bool leaf, bool user_mode)
{
	if ((e & (PTE_P | PTE_US)) != (PTE_P | PTE_US)) {
		return false;
	}
	if (write && !(e & PTE_RW)) {
		return false;
	}
	return !(leaf && user_mode && (e & PTE_GUEST_KERNEL));
}

/*
 * The frame holding va in the tables under root (d's), if the guest may
 * access it so in that mode: with a general reference, and a writable
 * type reference for a write.
 */
static struct page_info *translate_in(struct mm_domain *d, mfn_t root,
				      bool user_mode, uint64_t va, bool write)
{
	struct walk w = { .d = d };
	struct page_info *pg = NULL;
	unsigned int level;
	uint64_t *t, e = 0;
	mfn_t m;

	if (mfn_eq(root, INVALID_MFN)) {
		return NULL;
	}
	t = arch_mfn_to_virt(root);
	for (level = 4; level >= 1; level--) {
		bool leaf;

		e = __atomic_load_n(&t[slot_of(va, level)], __ATOMIC_RELAXED);
		leaf = level == 1 || (level <= 3 && (e & PTE_PS));
		if ((level == 4 && (e & PTE_PS)) ||
		    !entry_allows(e, write, leaf, user_mode)) {
			goto out;
		}
		if (leaf) {
			break;
		}
		t = walk_down(&w, e, level);
		if (t == NULL) {
			goto out;
		}
	}
	/* The 4 KiB frame inside a superpage: the address's middle bits. */
	m = mfn(((e & PTE_ADDR) >> PAGE_SHIFT) &
		~((1ULL << (9 * (level - 1))) - 1));
	m = mfn_add(m, (va >> PAGE_SHIFT) & ((1ULL << (9 * (level - 1))) - 1));
	if (!mfn_valid(m) || !page_get_foreign(mfn_to_page(m))) {
		goto out;
	}
	pg = mfn_to_page(m);
	if (write && ptype_get(pg, PGT_writable, NULL, 0) != 0) {
		page_put(pg);
		pg = NULL;
	}
out:
	walk_release(&w);
	return pg;
}

/*
 * The same in v's tables: its kernel ones if kernel, else the active
 * ones, as v accesses them now.
 */
static struct page_info *translate(struct mm_vcpu *v, bool kernel, uint64_t va,
				   bool write)
{
	mfn_t root = kernel ? v->kernel_root : mm_vcpu_active_root(v);

	return translate_in(v->d, root, !kernel && v->user_mode, va, write);
}

struct page_info *guest_frame_in(struct mm_domain *d, mfn_t root, uint64_t va)
{
	if (!guest_range_ok(va, 1)) {
		return NULL;
	}
	return translate_in(d, root, false, va, false);
}

static void untranslate(struct page_info *pg, bool write)
{
	if (write) {
		page_put_and_type(pg);
	} else {
		page_put(pg);
	}
}

static struct guest_access_stats cpu_stats[NR_CPUS];

/* One more of a per-CPU count (written by this CPU only). */
static void count(uint64_t *c)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
}

void guest_access_stats_read(struct guest_access_stats *out)
{
	unsigned int cpu;

	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		const struct guest_access_stats *c = &cpu_stats[cpu];

		out->direct += __atomic_load_n(&c->direct, __ATOMIC_RELAXED);
		out->walked += __atomic_load_n(&c->walked, __ATOMIC_RELAXED);
		out->faults += __atomic_load_n(&c->faults, __ATOMIC_RELAXED);
	}
}

/*
 * Copies n bytes between buf and guest address gva of v by the walk,
 * through v's kernel tables if kernel.
 */
static int copy_walk(struct mm_vcpu *v, bool kernel, uint64_t gva, void *buf,
		     size_t n, bool write)
{
	char *p = buf;

	while (n > 0) {
		size_t off = gva & (PAGE_SIZE - 1);
		size_t chunk = MIN(n, PAGE_SIZE - off);
		struct page_info *pg = translate(v, kernel, gva, write);
		char *frame;

		if (pg == NULL) {
			return -EFAULT;
		}
		frame = arch_mfn_to_virt(page_to_mfn(pg));
		if (write) {
			memcpy(frame + off, p, chunk);
		} else {
			memcpy(p, frame + off, chunk);
		}
		untranslate(pg, write);
		gva += chunk;
		p += chunk;
		n -= chunk;
	}
	return 0;
}

/*
 * Whether a copy for v (through its kernel tables if kernel) may go
 * directly: v is the running vCPU, in kernel mode or asking for its
 * kernel tables, and those are the ones loaded.
 */
static bool direct_ok(const struct mm_vcpu *v, bool kernel)
{
	return (kernel || !v->user_mode) && v == mm_vcpu_current() &&
	       arch_root_live(v->kernel_root);
}

/*
 * Copies n bytes between buf and guest address gva of v (through its
 * kernel tables if kernel): directly or walked.
 */
static int copy(struct mm_vcpu *v, bool kernel, uint64_t gva, void *buf,
		size_t n, bool write)
{
	struct guest_access_stats *st = &cpu_stats[arch_cpu_id()];
	int rc;

	if (v == NULL || !guest_range_ok(gva, n)) {
		count(&st->faults);
		return -EFAULT;
	}
	if (direct_ok(v, kernel)) {
		size_t left = write ? arch_copy_to_live(gva, buf, n)
				    : arch_copy_from_live(buf, gva, n);

		count(&st->direct);
		rc = left == 0 ? 0 : -EFAULT;
	} else {
		count(&st->walked);
		rc = copy_walk(v, kernel, gva, buf, n, write);
	}
	if (rc != 0) {
		count(&st->faults);
	}
	return rc;
}

int guest_copy_from(void *dst, uint64_t gva, size_t n)
{
	return copy(mm_vcpu_current(), false, gva, dst, n, false);
}

int guest_copy_to(uint64_t gva, const void *src, size_t n)
{
	/* copy() writes through buf only when reading from the guest. */
	return copy(mm_vcpu_current(), false, gva, (void *)(uintptr_t)src, n,
		    true);
}

int guest_copy_to_kernel(struct mm_vcpu *v, uint64_t gva, const void *src,
			 size_t n)
{
	return copy(v, true, gva, (void *)(uintptr_t)src, n, true);
}

int guest_l1_of(struct mm_vcpu *v, uint64_t va, struct page_info **l1,
		unsigned int *slot)
{
	struct walk w = { .d = v->d };
	struct page_info *pg;
	unsigned int level;
	uint64_t *t, e;
	int rc = -EINVAL;

	if (!guest_range_ok(va, 1)) {
		mm_why_note(XENO_WHY_BAD_VA, va, INVALID_MFN);
		return -EINVAL;
	}
	if (mfn_eq(v->kernel_root, INVALID_MFN)) {
		mm_why_note(XENO_WHY_VA_UNMAPPED, va, INVALID_MFN);
		return -EINVAL;
	}
	t = arch_mfn_to_virt(v->kernel_root);
	for (level = 4; level > 2; level--) {
		e = __atomic_load_n(&t[slot_of(va, level)], __ATOMIC_RELAXED);
		if (!(e & PTE_P) || (e & PTE_PS)) {
			mm_why_note(XENO_WHY_VA_UNMAPPED, e, INVALID_MFN);
			goto out;
		}
		t = walk_down(&w, e, level);
		if (t == NULL) {
			mm_why_note(XENO_WHY_VA_UNMAPPED, e, pte_mfn(e));
			goto out;
		}
	}
	e = __atomic_load_n(&t[slot_of(va, 2)], __ATOMIC_RELAXED);
	if (!(e & PTE_P) || (e & PTE_PS) || !mfn_valid(pte_mfn(e))) {
		mm_why_note(XENO_WHY_VA_UNMAPPED, e, INVALID_MFN);
		goto out;
	}
	pg = mfn_to_page(pte_mfn(e));
	if (!page_get(pg, v->d)) {
		mm_why_note(XENO_WHY_VA_NOT_L1, e, pte_mfn(e));
		goto out;
	}
	if (!ptype_get_validated(pg, PGT_l1)) {
		mm_why_note(XENO_WHY_VA_NOT_L1, e, pte_mfn(e));
		page_put(pg);
		goto out;
	}
	*l1 = pg;
	*slot = slot_of(va, 1);
	rc = 0;
out:
	walk_release(&w);
	return rc;
}
