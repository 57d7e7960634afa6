/* SPDX-License-Identifier: MIT */
/*
 * vcpu_op (pv-abi §7.13): bringing vCPUs up and down, their run state,
 * their timers, and moving a vcpu_info out of shared_info into a guest
 * page. The target is any vCPU of the caller's own domain; a vcpuid the
 * domain does not have is -ENOENT whatever the command.
 *
 * A registered vcpu_info (VCPUOP_register_vcpu_info) keeps a general and
 * a writable type reference on its frame, registered with mm_audit as an
 * outside reference, until the vCPU is destroyed (vcpu_info_release from
 * vtime_vcpu_fini): the guest cannot turn the frame into a page table or
 * give it away while the hypervisor writes into it. A vCPU has a
 * registered vcpu_info iff v->vcpu_info lies outside the shared_info page.
 *
 * Locks: d->evtchn_lock while v->vcpu_info changes (event delivery reads
 * it under that lock); d->lock to decide "last vCPU down" (run-queue
 * locks are taken inside it by vcpu_down).
 */
#include <public/pv_ops.h>
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/domain.h>
#include <xeno/errno.h>
#include <xeno/event.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/ptype.h>
#include <xeno/sched.h>
#include <xeno/vtime.h>

#define MIN_PERIOD_NS 1000000ULL /* §7.13: periodic timers of 1 ms or more */
#define MAX_PERIOD_NS ((uint64_t)INT64_MAX)

/* ---- state ------------------------------------------------------------------ */

static bool vcpu_is_up(const struct vcpu *v)
{
	enum vcpu_state s = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);

	return s != VCPU_OFFLINE && s != VCPU_DEAD;
}

/*
 * A vCPU is initialised once it has a kernel page-table root: the domain
 * builder gives vCPU 0 one, VCPUOP_initialise the others.
 */
static bool vcpu_initialised(const struct vcpu *v)
{
	return !mfn_eq(v->mm.kernel_root, INVALID_MFN);
}

static long op_initialise(struct vcpu *v, uint64_t arg)
{
	if (v->vcpu_info == NULL) {
		return -EINVAL; /* vCPU >= 32 must register a vcpu_info first */
	}
	return arch_vcpu_initialise(v, arg);
}

static long op_up(struct vcpu *v)
{
	if (!vcpu_initialised(v)) {
		return -EINVAL;
	}
	vcpu_up(v);
	return 0;
}

/* Whether a vCPU of d other than v is up. d->lock is held. */
static bool others_up(const struct domain *d, const struct vcpu *v)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		if (d->vcpu[i] != v && d->vcpu[i] != NULL &&
		    vcpu_is_up(d->vcpu[i])) {
			return true;
		}
	}
	return false;
}

/*
 * VCPUOP_down. Taking the last vCPU down powers the domain off (§7.13).
 * The decision is made under d->lock and vcpu_down() marks the vCPU
 * offline before the lock is dropped, so two vCPUs going down together
 * cannot both see the other still up.
 */
static long op_down(struct vcpu *v)
{
	struct domain *d = v->domain;
	bool last;

	spin_lock(&d->lock);
	last = vcpu_is_up(v) && !others_up(d, v);
	if (vcpu_is_up(v) && !last) {
		vcpu_down(v);
	}
	spin_unlock(&d->lock);
	if (last) {
		domain_shutdown(d, SHUTDOWN_poweroff);
	}
	return 0;
}

/*
 * VCPUOP_get_runstate_info: the accounting the scheduler keeps, with the
 * time spent in the current state so far added in, as Xen reports it
 * (and as the runstate areas show it: stolen time counted as runnable).
 */
static long op_get_runstate(struct vcpu *v, uint64_t arg)
{
	struct vcpu_runstate_info r;

	sched_runstate_fill(v, &r);
	return guest_copy_to(arg, &r, sizeof(r)) ? -EFAULT : 0;
}

/*
 * VCPUOP_register_runstate_memory_area: arg holds the guest address of
 * a vcpu_runstate_info (§4.11) that Xeno rewrites whenever v goes onto
 * or off a CPU (sched.c), through v's kernel page tables. Address 0
 * stops the updates. An address outside the guest's part of the address
 * space is -EFAULT; the area need not be mapped yet (then updates are
 * lost until it is). For the calling vCPU the area is written at once.
 */
static long op_register_runstate(struct vcpu *cur, struct vcpu *v, uint64_t arg)
{
	uint64_t gva;

	if (guest_copy_from(&gva, arg, sizeof(gva)) != 0) {
		return -EFAULT;
	}
	if (gva != 0 &&
	    !guest_range_ok(gva, sizeof(struct vcpu_runstate_info))) {
		return -EFAULT;
	}
	__atomic_store_n(&v->runstate_gva, gva, __ATOMIC_RELEASE);
	if (gva != 0 && v == cur) {
		sched_runstate_write(v);
	}
	return 0;
}

/*
 * A vCPU area given by machine address (the *_phys_area operations,
 * §7.13): for a PV domain the frame number << 12 plus the offset. The
 * size bytes there must be 8-aligned and lie in one frame of v's domain
 * that may be writable (not a page table, descriptor table or the
 * shared_info page): else -EINVAL. The frame keeps a general and a
 * writable type reference, held as an outside reference for mm_audit,
 * until phys_area_put(); *area is the address in the direct map.
 */
static long phys_area_get(struct vcpu *v, uint64_t addr, size_t size,
			  void **area)
{
	uint64_t off = addr & (PAGE_SIZE - 1);
	struct page_info *pg;

	if (off > PAGE_SIZE - size || off % 8 != 0 ||
	    !mfn_valid(mfn(addr >> PAGE_SHIFT)) ||
	    addr >> PAGE_SHIFT ==
		    mfn_x(page_to_mfn(v->domain->shared_info_pg))) {
		return -EINVAL;
	}
	pg = mfn_to_page(mfn(addr >> PAGE_SHIFT));
	if (page_get_and_type(pg, &v->domain->mm, PGT_writable, 0) != 0) {
		return -EINVAL;
	}
	mm_hold_outside_typed_ref(pg);
	*area = (char *)arch_mfn_to_virt(page_to_mfn(pg)) + off;
	return 0;
}

/*
 * The area a *_phys_area call's arg names: its address read from arg
 * (-EFAULT if it can't be), ~0 giving NULL (unregister), anything else
 * taken by phys_area_get.
 */
static long phys_area_from_arg(struct vcpu *v, uint64_t arg, size_t size,
			       void **area)
{
	uint64_t addr;

	*area = NULL;
	if (guest_copy_from(&addr, arg, sizeof(addr)) != 0) {
		return -EFAULT;
	}
	return addr == ~0ULL ? 0 : phys_area_get(v, addr, size, area);
}

/* Drops the frame references of a physical area (or NULL). */
static void phys_area_put(void *area)
{
	struct page_info *pg;

	if (area == NULL) {
		return;
	}
	pg = mfn_to_page(arch_virt_to_mfn(area));
	mm_drop_outside_typed_ref(pg);
	page_put_and_type(pg);
}

/*
 * VCPUOP_register_runstate_phys_area (§7.13): arg holds the machine
 * address of the 48-byte area (phys_area_get's rules), ~0 to unregister.
 * Xeno writes it (through the direct map) at once and whenever v goes
 * onto or off a CPU, until it is replaced, unregistered or the vCPU is
 * destroyed.
 */
static long op_register_runstate_phys(struct vcpu *v, uint64_t arg)
{
	void *area;
	long rc = phys_area_from_arg(v, arg, sizeof(struct vcpu_runstate_info),
				     &area);

	if (rc == 0) {
		phys_area_put(sched_runstate_set_phys(v, area));
	}
	return rc;
}

/*
 * VCPUOP_register_vcpu_time_memory_area (§7.13): arg holds the guest
 * address of a second vcpu_time_info, for clock reads from guest user
 * space, that Xeno writes whenever it writes v's own (each time v goes
 * onto a CPU), through v's kernel tables and under the version protocol
 * (vtime.c). Address 0 stops it; an address outside the guest's part of
 * the address space is -EFAULT; an area not mapped writable misses the
 * updates until it is. Written at once for the calling vCPU.
 */
static long op_register_time(struct vcpu *cur, struct vcpu *v, uint64_t arg)
{
	uint64_t gva;

	if (guest_copy_from(&gva, arg, sizeof(gva)) != 0) {
		return -EFAULT;
	}
	if (gva != 0 && !guest_range_ok(gva, sizeof(struct vcpu_time_info))) {
		return -EFAULT;
	}
	__atomic_store_n(&v->time_gva, gva, __ATOMIC_RELEASE);
	if (gva != 0 && v == cur) {
		vtime_refresh(v);
	}
	return 0;
}

/*
 * VCPUOP_register_vcpu_time_phys_area (§7.13): the same by machine
 * address (phys_area_get's rules), ~0 to unregister; written at once.
 */
static long op_register_time_phys(struct vcpu *v, uint64_t arg)
{
	void *area;
	long rc = phys_area_from_arg(v, arg, sizeof(struct vcpu_time_info),
				     &area);

	if (rc == 0) {
		phys_area_put(vtime_set_phys(v, area));
	}
	return rc;
}

void vcpu_areas_release(struct vcpu *v)
{
	phys_area_put(sched_runstate_set_phys(v, NULL));
	phys_area_put(vtime_set_phys(v, NULL));
}

/* ---- timers ------------------------------------------------------------------- */

static long op_set_periodic(struct vcpu *v, uint64_t arg)
{
	struct vcpu_set_periodic_timer p;

	if (guest_copy_from(&p, arg, sizeof(p)) != 0) {
		return -EFAULT;
	}
	if (p.period_ns < MIN_PERIOD_NS || p.period_ns > MAX_PERIOD_NS) {
		return -EINVAL;
	}
	vtime_set_periodic(v, p.period_ns);
	return 0;
}

/*
 * VCPUOP_set_singleshot_timer: a deadline in the past fires at once;
 * VCPU_SSHOTTMR_future is ignored and -ETIME never returned (§7.13).
 */
static long op_set_singleshot(struct vcpu *cur, struct vcpu *v, uint64_t arg)
{
	struct vcpu_set_singleshot_timer s;

	if (v != cur) {
		return -EINVAL;
	}
	if (guest_copy_from(&s, arg, sizeof(s)) != 0) {
		return -EFAULT;
	}
	vtime_set_singleshot(v, s.timeout_abs_ns);
	return 0;
}

static long op_stop_singleshot(struct vcpu *cur, struct vcpu *v)
{
	if (v != cur) {
		return -EINVAL;
	}
	vtime_stop_singleshot(v);
	return 0;
}

/* ---- vcpu_info registration ------------------------------------------------------ */

static bool vcpu_info_registered(const struct vcpu *v)
{
	uintptr_t p = (uintptr_t)v->vcpu_info;
	uintptr_t s = (uintptr_t)v->domain->shared_info;

	return p != 0 && (p < s || p >= s + PAGE_SIZE);
}

/*
 * The checks of §7.13 that need no reference: own vCPU or an offline
 * one (so the area never moves under a running vCPU on another CPU),
 * not registered yet (-EBUSY, as current Xen), inside one page, and
 * 8-byte aligned because the hypervisor updates evtchn_pending_sel with
 * atomic instructions. The shared_info frame itself is refused: an area
 * there could not be told from the legacy slots, so its reference would
 * never be dropped.
 */
static long vcpu_info_check(const struct vcpu *cur, const struct vcpu *v,
			    const struct vcpu_register_vcpu_info *r)
{
	if (v != cur && vcpu_is_up(v)) {
		return -EINVAL;
	}
	if (vcpu_info_registered(v)) {
		return -EBUSY;
	}
	if (r->offset > PAGE_SIZE - sizeof(struct vcpu_info) ||
	    r->offset % 8 != 0 || !mfn_valid(mfn(r->mfn)) ||
	    r->mfn == mfn_x(page_to_mfn(v->domain->shared_info_pg))) {
		return -EINVAL;
	}
	return 0;
}

/*
 * Moves v's vcpu_info to area (the frame's reference already taken):
 * copies the old contents, or starts with events masked for a vCPU that
 * had none, then sets every selector bit and the upcall flag so that an
 * event raised during the move is found (§7.13). -EBUSY if another
 * registration won the race.
 */
static long vcpu_info_move(struct vcpu *v, struct vcpu_info *area)
{
	struct domain *d = v->domain;
	long rc = 0;

	spin_lock(&d->evtchn_lock);
	if (vcpu_info_registered(v)) {
		rc = -EBUSY;
	} else {
		if (v->vcpu_info != NULL) {
			memcpy(area, v->vcpu_info, sizeof(*area));
		} else {
			memset(area, 0, sizeof(*area));
			area->evtchn_upcall_mask = 1;
		}
		__atomic_store_n(&area->evtchn_pending_sel, ~0ULL,
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(&area->evtchn_upcall_pending, 1,
				 __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->vcpu_info, area, __ATOMIC_RELEASE);
	}
	spin_unlock(&d->evtchn_lock);
	return rc;
}

static long op_register_vcpu_info(struct vcpu *cur, struct vcpu *v,
				  uint64_t arg)
{
	struct vcpu_register_vcpu_info r;
	struct vcpu_info *area;
	struct page_info *pg;
	long rc;

	if (guest_copy_from(&r, arg, sizeof(r)) != 0) {
		return -EFAULT;
	}
	rc = vcpu_info_check(cur, v, &r);
	if (rc != 0) {
		return rc;
	}
	pg = mfn_to_page(mfn(r.mfn));
	if (page_get_and_type(pg, &v->domain->mm, PGT_writable, 0) != 0) {
		return -EINVAL; /* not the domain's, or not writable now */
	}
	mm_hold_outside_typed_ref(pg);
	area = (struct vcpu_info *)((char *)arch_mfn_to_virt(mfn(r.mfn)) +
				    r.offset);
	rc = vcpu_info_move(v, area);
	if (rc != 0) {
		mm_drop_outside_typed_ref(pg);
		page_put_and_type(pg);
		return rc;
	}
	vtime_refresh(v);
	vcpu_kick(v);
	return 0;
}

void vcpu_info_release(struct vcpu *v)
{
	struct page_info *pg;

	if (!vcpu_info_registered(v)) {
		return;
	}
	pg = mfn_to_page(arch_virt_to_mfn(v->vcpu_info));
	v->vcpu_info = NULL;
	mm_drop_outside_typed_ref(pg);
	page_put_and_type(pg);
}

/* ---- the hypercall --------------------------------------------------------------- */

/*
 * Left out for now, each with the answer guests cope with:
 *  - register_vcpu_time_memory_area (13, 15) is -ENOSYS: optional, the
 *    vDSO falls back to the system call.
 *  - send_nmi is -ENOSYS: virtual NMIs are not delivered yet.
 *  - get_physid is -EINVAL: no vCPU is pinned to a physical CPU.
 */
long do_vcpu_op(struct hcall_args *h)
{
	struct vcpu *cur = current_vcpu();
	struct domain *d = cur->domain;
	uint32_t id = (uint32_t)h->a[1];
	uint64_t arg = h->a[2];
	struct vcpu *v = id < d->nr_vcpus ? d->vcpu[id] : NULL;

	if (v == NULL) {
		return -ENOENT;
	}
	switch ((uint32_t)h->a[0]) {
	case VCPUOP_initialise:
		return op_initialise(v, arg);
	case VCPUOP_up:
		return op_up(v);
	case VCPUOP_down:
		return op_down(v);
	case VCPUOP_is_up:
		return vcpu_is_up(v) ? 1 : 0;
	case VCPUOP_get_runstate_info:
		return op_get_runstate(v, arg);
	case VCPUOP_register_runstate_memory_area:
		return op_register_runstate(cur, v, arg);
	case VCPUOP_register_runstate_phys_area:
		return op_register_runstate_phys(v, arg);
	case VCPUOP_register_vcpu_time_memory_area:
		return op_register_time(cur, v, arg);
	case VCPUOP_register_vcpu_time_phys_area:
		return op_register_time_phys(v, arg);
	case VCPUOP_set_periodic_timer:
		return op_set_periodic(v, arg);
	case VCPUOP_stop_periodic_timer:
		vtime_set_periodic(v, 0);
		return 0;
	case VCPUOP_set_singleshot_timer:
		return op_set_singleshot(cur, v, arg);
	case VCPUOP_stop_singleshot_timer:
		return op_stop_singleshot(cur, v);
	case VCPUOP_register_vcpu_info:
		return op_register_vcpu_info(cur, v, arg);
	case VCPUOP_get_physid:
		return -EINVAL;
	default:
		return -ENOSYS;
	}
}
