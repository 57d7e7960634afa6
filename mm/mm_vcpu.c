/* SPDX-License-Identifier: MIT */
/*
 * vCPU state for the MMU (see xeno/mm_vcpu.h): the two page-table roots
 * and the active mode, which vCPU each CPU runs, and the CPU masks the
 * TLB layer keeps per vCPU and domain.
 *
 * Roots. A root holds a general and an L4 type reference. Installing one
 * takes the new references first, then publishes the new root and loads
 * it if it is the active root of the vCPU running here, and only then
 * drops the old references: at no point does a CPU run on a root whose
 * references are gone. Re-installing the current root is the same path
 * and so only reloads it. From mmuext_op and an emulated CR3 write the
 * old root's devalidation is preemptible: if it stops, the old root
 * becomes the vCPU's pending put (with the root's general reference),
 * which the vCPU finishes before its next MMU hypercall element or the
 * re-execution of the CR3 write, and its teardown at the latest.
 *
 * Prepared roots. VCPUOP_initialise validates a new vCPU's roots into
 * v->prepared[] (mm_vcpu_prepare_root), part by part, before it installs
 * them; they count as roots for the audit and the teardown until the
 * call installs or drops them.
 *
 * m2p_strict (pv-abi §8.5). Every validated L4 gets the read-only M2P in
 * slot 256 from the template. With VMASST_TYPE_m2p_strict a user root
 * loses it when installed and a kernel root gets it back.
 *
 * Locks: none (see the header). cpu_current[] and switches[] are written
 * by their own CPU only and read by other CPUs' shootdowns (mm/tlb.c);
 * d->vcpus[] and d->nr_vcpus change atomically at vCPU creation and
 * destruction.
 */
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/lib.h>
#include <xeno/mm_vcpu.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/tlb.h>
#include <xeno/tlb_tag.h>

static struct mm_vcpu *cpu_current[NR_CPUS];
static uint64_t switches[NR_CPUS];

void mm_vcpu_reset_cpus(void)
{
	unsigned int i;

	for (i = 0; i < NR_CPUS; i++) {
		__atomic_store_n(&cpu_current[i], NULL, __ATOMIC_SEQ_CST);
		__atomic_store_n(&switches[i], 0, __ATOMIC_SEQ_CST);
	}
}

struct mm_vcpu *mm_vcpu_current(void)
{
	return cpu_current[arch_cpu_id()];
}

struct mm_vcpu *mm_vcpu_current_on(unsigned int cpu)
{
	return __atomic_load_n(&cpu_current[cpu], __ATOMIC_SEQ_CST);
}

uint64_t mm_vcpu_switches(unsigned int cpu)
{
	return __atomic_load_n(&switches[cpu], __ATOMIC_SEQ_CST);
}

mfn_t mm_vcpu_active_root(const struct mm_vcpu *v)
{
	return v->user_mode ? v->user_root : v->kernel_root;
}

void mm_vcpu_init(struct mm_vcpu *v, struct mm_domain *d, unsigned int id)
{
	BUG_ON(id >= MM_MAX_VCPUS || d->vcpus[id] != NULL);
	memset(v, 0, sizeof(*v));
	v->d = d;
	v->id = id;
	v->kernel_root = INVALID_MFN;
	v->user_root = INVALID_MFN;
	v->prepared[0] = INVALID_MFN;
	v->prepared[1] = INVALID_MFN;
	v->cpu = -1;
	__atomic_fetch_add(&d->nr_vcpus, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->vcpus[id], v, __ATOMIC_RELEASE);
}

static void root_put(mfn_t m)
{
	if (!mfn_eq(m, INVALID_MFN)) {
		page_put_and_type(mfn_to_page(m));
	}
}

int mm_vcpu_finish_put(struct mm_vcpu *v, unsigned int flags)
{
	struct page_info *pg = v->put_pending;

	if (pg == NULL) {
		return 0;
	}
	if (ptype_finish_put(pg, flags) == -EAGAIN) {
		return -EAGAIN;
	}
	v->put_pending = NULL;
	page_put(pg);
	return 0;
}

/*
 * Drops the root m preemptibly if v has no pending put yet (the old
 * root's devalidation may then stop and become it), else at once.
 */
static void root_put_deferred(struct mm_vcpu *v, mfn_t m)
{
	if (mfn_eq(m, INVALID_MFN)) {
		return;
	}
	if (v->put_pending != NULL) {
		root_put(m);
		return;
	}
	ptype_put_deferred(mfn_to_page(m), &v->put_pending);
}

/* One bounded part of the teardown (the budget is running). */
static int release_some(struct mm_vcpu *v)
{
	mfn_t *roots[4] = { &v->kernel_root, &v->user_root, &v->prepared[0],
			    &v->prepared[1] };
	unsigned int i;
	mfn_t m;

	for (i = 0; i < 4; i++) {
		if (mm_vcpu_finish_put(v, PTYPE_PREEMPTIBLE) != 0) {
			return -EAGAIN;
		}
		m = *roots[i];
		*roots[i] = INVALID_MFN;
		root_put_deferred(v, m);
	}
	return mm_vcpu_finish_put(v, PTYPE_PREEMPTIBLE);
}

int mm_vcpu_release_step(struct mm_vcpu *v)
{
	int rc;

	BUG_ON(v->cpu != -1);
	ptype_budget_begin(PTYPE_STEP_ENTRIES);
	rc = release_some(v);
	(void)ptype_budget_end();
	return rc;
}

void mm_vcpu_fini(struct mm_vcpu *v)
{
	struct mm_domain *d = v->d;

	BUG_ON(v->cpu != -1);
	root_put(v->kernel_root);
	root_put(v->user_root);
	root_put(v->prepared[0]);
	root_put(v->prepared[1]);
	mm_ldt_release(&v->ldt);
	v->kernel_root = INVALID_MFN;
	v->user_root = INVALID_MFN;
	v->prepared[0] = INVALID_MFN;
	v->prepared[1] = INVALID_MFN;
	(void)mm_vcpu_finish_put(v, 0);
	ASSERT(d->vcpus[v->id] == v && d->nr_vcpus > 0);
	__atomic_store_n(&d->vcpus[v->id], NULL, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&d->nr_vcpus, 1, __ATOMIC_SEQ_CST);
}

/* Loads root for v (NULL: the hypervisor's tables) under its tag. */
static void load_root(const struct mm_vcpu *v, mfn_t root)
{
	struct tlb_tag_load ld = tlb_tag_pick(v, root);

	arch_load_root(root, ld.tag, ld.keep);
}

/* Loads v's active root if v runs on this CPU. */
static void reload_if_current(struct mm_vcpu *v)
{
	if (mm_vcpu_current() == v) {
		load_root(v, mm_vcpu_active_root(v));
	}
}

/*
 * m2p_strict: slot 256 of a user root is emptied, of a kernel root
 * filled again. The hypervisor's slots hold no references, so this is a
 * plain store; CPUs that cached the old slot are flushed.
 */
static void m2p_strict_adjust(struct mm_vcpu *v, mfn_t m, bool user)
{
	struct tlb_flush f;

	if (!(v->d->vm_assist & (1ULL << MM_VMASST_m2p_strict)) ||
	    !pte_l4_set_m2p(arch_mfn_to_virt(m), !user)) {
		return;
	}
	tlb_flush_init(&f, v->d, TLB_OP_OTHER);
	tlb_flush_add(&f, tlb_domain_cpus(v->d), ARCH_FLUSH_ALL);
	tlb_flush_commit(&f);
}

/*
 * A general and an L4 type reference on m for v. Preemptible, a failed
 * validation's release that stops becomes v's pending put.
 */
static int get_root(struct mm_vcpu *v, mfn_t m, unsigned int flags)
{
	struct page_info *pg = mfn_to_page(m);
	int rc;

	if (!page_get(pg, v->d)) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, mfn_x(m), m);
		return -EINVAL;
	}
	rc = ptype_get_deferred(pg, PGT_l4, v->d, flags,
				(flags & PTYPE_PREEMPTIBLE) ? &v->put_pending
							    : NULL);
	if (rc != 0) {
		page_put(pg);
	}
	return rc;
}

int mm_vcpu_set_root(struct mm_vcpu *v, bool user, mfn_t m, unsigned int flags)
{
	mfn_t *slot = user ? &v->user_root : &v->kernel_root;
	mfn_t old = *slot;
	int rc;

	ASSERT(v->cpu == -1 || mm_vcpu_current() == v);
	if (user && mfn_x(m) == 0) {
		m = INVALID_MFN;
	} else {
		if (!mfn_valid(m)) {
			mm_why_note(XENO_WHY_NOT_OWN_FRAME, mfn_x(m),
				    INVALID_MFN);
			return -EINVAL;
		}
		rc = get_root(v, m, flags);
		if (rc != 0) {
			return rc;
		}
		m2p_strict_adjust(v, m, user);
	}
	*slot = m;
	/* Like a CR3 write: the vCPU's tagged entries go (mm/tlb_tag.c). */
	__atomic_store_n(&v->tlb_gen, v->tlb_gen + 1, __ATOMIC_RELEASE);
	if (user == v->user_mode) {
		reload_if_current(v);
	}
	if (!mfn_eq(old, m)) {
		/* Another address space: its global entries must go. */
		tlb_root_changed(v);
	}
	if (flags & PTYPE_PREEMPTIBLE) {
		root_put_deferred(v, old);
	} else {
		root_put(old);
	}
	return 0;
}

int mm_vcpu_write_cr3(struct mm_vcpu *v, mfn_t m)
{
	int rc = mm_vcpu_finish_put(v, PTYPE_PREEMPTIBLE);

	if (rc != 0) {
		return rc;
	}
	rc = mm_vcpu_set_root(v, false, m, PTYPE_PREEMPTIBLE);
	if (rc == 0 && v->put_pending != NULL) {
		/* Re-executed: finishes the old root, then only reloads. */
		return -EAGAIN;
	}
	return rc;
}

/*
 * Lets go of prepared root slot i, preemptibly (v has no pending put):
 * -EAGAIN if its devalidation stopped and became the pending put.
 */
static int unprepare(struct mm_vcpu *v, unsigned int i)
{
	mfn_t m = v->prepared[i];

	v->prepared[i] = INVALID_MFN;
	root_put_deferred(v, m);
	return v->put_pending != NULL ? -EAGAIN : 0;
}

int mm_vcpu_prepare_root(struct mm_vcpu *v, bool user, mfn_t m)
{
	unsigned int i = user ? 1 : 0;
	int rc = mm_vcpu_finish_put(v, PTYPE_PREEMPTIBLE);

	ASSERT(v->cpu == -1 && mfn_eq(v->kernel_root, INVALID_MFN));
	if (rc != 0 || mfn_eq(v->prepared[i], m)) {
		return rc;
	}
	if (!mfn_eq(v->prepared[i], INVALID_MFN)) {
		rc = unprepare(v, i);
		if (rc != 0) {
			return rc;
		}
	}
	if (mfn_eq(m, INVALID_MFN)) {
		return 0;
	}
	if (!mfn_valid(m)) {
		mm_why_note(XENO_WHY_NOT_OWN_FRAME, mfn_x(m), INVALID_MFN);
		return -EINVAL;
	}
	rc = get_root(v, m, PTYPE_PREEMPTIBLE);
	if (rc == 0) {
		v->prepared[i] = m;
	}
	return rc;
}

int mm_vcpu_drop_prepared(struct mm_vcpu *v)
{
	unsigned int i;
	int rc = mm_vcpu_finish_put(v, PTYPE_PREEMPTIBLE);

	for (i = 0; i < 2 && rc == 0; i++) {
		if (!mfn_eq(v->prepared[i], INVALID_MFN)) {
			rc = unprepare(v, i);
		}
	}
	return rc != 0 ? rc : mm_vcpu_finish_put(v, PTYPE_PREEMPTIBLE);
}

void mm_vcpu_set_mode(struct mm_vcpu *v, bool user)
{
	ASSERT(!user || !mfn_eq(v->user_root, INVALID_MFN));
	v->user_mode = user;
	reload_if_current(v);
}

void mm_vcpu_switch(struct mm_vcpu *prev, struct mm_vcpu *next)
{
	unsigned int cpu = arch_cpu_id();

	ASSERT(cpu_current[cpu] == prev);
	tlb_switch_globals(prev, next, cpu);
	if (prev != NULL) {
		prev->cpu = -1;
	}
	/* Order matters for mm/tlb.c: current, then the count, then masks. */
	__atomic_store_n(&cpu_current[cpu], next, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&switches[cpu], 1, __ATOMIC_SEQ_CST);
	if (next == NULL) {
		load_root(NULL, INVALID_MFN);
		return;
	}
	next->cpu = (int)cpu;
	tlb_vcpu_running(next, cpu);
	load_root(next, mm_vcpu_active_root(next));
}
