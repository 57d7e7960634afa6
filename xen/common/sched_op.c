/* SPDX-License-Identifier: MIT */
/*
 * sched_op and sched_op_compat (pv-abi §7.11): yield, block, poll and
 * shutdown. Nothing here waits: block and poll only mark the vCPU with
 * sched_block_current(), and the exit path decides, under the run-queue
 * lock, by calling a wake check that reads atomics only. Because the
 * check runs again after every change it depends on has been published,
 * an event that arrives between the hypercall's own test and the switch
 * is never lost (see xeno/sched.h).
 *
 * SCHEDOP_poll state lives in the vCPU (v->poll_*): poll_nr != 0 while a
 * poll waits, poll_ports is a per-vCPU buffer of SCHED_POLL_MAX_PORTS
 * ports allocated at the first poll and kept until the vCPU is destroyed
 * (NULL if that allocation failed: the poll then wakes on any port, which
 * §7.11 allows as an "other wakeup"), and poll_deadline is the timeout or
 * 0. All three change only under the domain's evtchn_lock; the wake check
 * reads poll_nr and poll_deadline without it.
 *
 * A poll ends when: a listed port becomes pending (event_channel.c), the
 * timeout fires (vtime.c), the vCPU is put back on a CPU (vtime_publish),
 * or the vCPU starts another block or poll. A poll that ends because an
 * upcall became deliverable stays recorded until one of those; the only
 * effect is a harmless extra vcpu_wake() of a vCPU that is not blocked.
 *
 * Locks: d->evtchn_lock (see event_channel.c), then timer and run-queue
 * locks inside it; d->lock for the shutdown code.
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
#include <xeno/sched.h>
#include <xeno/timer.h>
#include <xeno/xmalloc.h>

#ifndef SCHED_POLL_MAX_PORTS
#define SCHED_POLL_MAX_PORTS 128
#endif

/* ---- waiting --------------------------------------------------------------- */

static bool upcall_deliverable(const struct vcpu *v)
{
	const struct vcpu_info *vi = v->vcpu_info;

	return vi != NULL &&
	       __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_ACQUIRE);
}

/*
 * SCHEDOP_block's wake check: any upcall pending. A vCPU without a
 * vcpu_info (>= 32, not registered) can never be sent one, so it does
 * not block at all rather than sleep forever.
 */
static bool block_wake_check(struct vcpu *v)
{
	const struct vcpu_info *vi = v->vcpu_info;

	return vi == NULL ||
	       __atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE);
}

/* SCHEDOP_poll's wake check: poll over, upcall due, or timeout passed. */
static bool poll_wake_check(struct vcpu *v)
{
	uint64_t deadline;

	if (__atomic_load_n(&v->poll_nr, __ATOMIC_ACQUIRE) == 0 ||
	    upcall_deliverable(v)) {
		return true;
	}
	deadline = __atomic_load_n(&v->poll_deadline, __ATOMIC_ACQUIRE);
	return deadline != 0 && arch_now_ns() >= deadline;
}

/* §7.11 block: enable events, then sleep unless one is pending already. */
static long sched_block(struct vcpu *v)
{
	sched_poll_end(v);
	if (v->vcpu_info != NULL) {
		__atomic_store_n(&v->vcpu_info->evtchn_upcall_mask, 0,
				 __ATOMIC_SEQ_CST);
	}
	sched_block_current(block_wake_check);
	return 0;
}

/* ---- poll state (under the domain's evtchn_lock) ------------------------------ */

bool poll_matches(const struct vcpu *v, uint32_t port)
{
	unsigned int i;

	if (v->poll_nr == 0) {
		return false;
	}
	if (v->poll_ports == NULL) {
		return true;
	}
	for (i = 0; i < v->poll_nr; i++) {
		if (v->poll_ports[i] == port) {
			return true;
		}
	}
	return false;
}

void poll_end_locked(struct vcpu *v, bool wake)
{
	if (v->poll_nr == 0) {
		return;
	}
	__atomic_store_n(&v->poll_nr, 0, __ATOMIC_RELEASE);
	timer_stop(&v->poll_timer);
	if (wake) {
		vcpu_wake(v);
	}
}

bool sched_poll_end(struct vcpu *v)
{
	struct domain *d = v->domain;
	bool was;

	if (__atomic_load_n(&v->poll_nr, __ATOMIC_ACQUIRE) == 0) {
		return false;
	}
	spin_lock(&d->evtchn_lock);
	was = v->poll_nr != 0;
	poll_end_locked(v, false);
	spin_unlock(&d->evtchn_lock);
	return was;
}

/*
 * The buffer is only ever written by its own vCPU while no poll is
 * recorded; v->poll_ports is const to keep everyone else read-only,
 * hence the cast through an integer here and in sched_poll_fini().
 */
static uint32_t *poll_buffer(const struct vcpu *v)
{
	return (uint32_t *)(uintptr_t)v->poll_ports;
}

void sched_poll_fini(struct vcpu *v)
{
	xfree(poll_buffer(v));
	v->poll_ports = NULL;
	v->poll_nr = 0;
}

/* Whether any of ports is pending in d, or an upcall is due for v. */
static bool poll_ready(const struct vcpu *v, const uint32_t *ports,
		       unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (evtchn_is_pending(v->domain, ports[i])) {
			return true;
		}
	}
	return upcall_deliverable(v);
}

/*
 * Records the poll, arms its timeout and tests the ports, all under the
 * lock, so that any port becoming pending afterwards finds the poll
 * recorded and ends it. A poll of no ports waits for the timeout or an
 * upcall; it records port 0, which is never pending.
 */
static long poll_start(struct vcpu *v, const uint32_t *ports, unsigned int n,
		       uint64_t timeout)
{
	struct domain *d = v->domain;
	uint32_t *fresh = NULL, *buf;
	bool ready;

	if (v->poll_ports == NULL) {
		fresh = xmalloc(SCHED_POLL_MAX_PORTS * sizeof(uint32_t));
	}
	spin_lock(&d->evtchn_lock);
	poll_end_locked(v, false);
	if (fresh != NULL) {
		v->poll_ports = fresh;
	}
	buf = poll_buffer(v);
	if (buf != NULL) {
		buf[0] = 0;
		memcpy(buf, ports, n * sizeof(uint32_t));
	}
	v->poll_deadline = timeout;
	__atomic_store_n(&v->poll_nr, n > 0 ? n : 1, __ATOMIC_RELEASE);
	if (timeout != 0) {
		timer_set(&v->poll_timer, timeout);
	}
	ready = poll_ready(v, ports, n);
	if (ready) {
		poll_end_locked(v, false);
	}
	spin_unlock(&d->evtchn_lock);
	if (!ready) {
		sched_block_current(poll_wake_check);
	}
	return 0;
}

/* SCHEDOP_poll: check everything (§7.11 errors), then start. */
static long sched_poll(struct vcpu *v, uint64_t arg)
{
	uint32_t ports[SCHED_POLL_MAX_PORTS];
	struct sched_poll p;
	unsigned int i;

	if (guest_copy_from(&p, arg, sizeof(p)) != 0) {
		return -EFAULT;
	}
	if (p.nr_ports > SCHED_POLL_MAX_PORTS) {
		return -EINVAL;
	}
	if (p.nr_ports != 0 &&
	    guest_copy_from(ports, p.ports, p.nr_ports * sizeof(uint32_t))) {
		return -EFAULT;
	}
	for (i = 0; i < p.nr_ports; i++) {
		if (ports[i] >= EVTCHN_2L_NR_PORTS) {
			return -EINVAL;
		}
	}
	if (p.timeout != 0 && p.timeout <= arch_now_ns()) {
		sched_poll_end(v);
		return 0;
	}
	return poll_start(v, ports, p.nr_ports, p.timeout);
}

/* ---- shutdown ------------------------------------------------------------------ */

static bool reason_valid(uint32_t reason)
{
	return reason <= SHUTDOWN_soft_reset;
}

/*
 * SCHEDOP_shutdown for the caller's own domain. For poweroff, reboot,
 * crash and watchdog the domain stops and the call never returns (its
 * vCPUs are taken off the CPUs at the exit). Xeno has no toolstack
 * (reboot means destroy, no restart).
 *
 * SHUTDOWN_suspend returns 1: §7.11 defines 1 as "the suspend was
 * cancelled, carry on in this domain". Nothing in Xeno could save the
 * domain or resume it elsewhere, so shutting it down would simply lose
 * it, while -ENOSYS would leave guests that treat any non-zero result as
 * "cancelled" (Linux does) in the same place with a less honest answer.
 *
 * SHUTDOWN_soft_reset stops the domain like poweroff, with that reason
 * (dom0 gets VIRQ_DOM_EXC and reads it with xeno_domctl getinfo), but
 * the domain is not destroyed: it stays shut down, memory and all, for
 * the control domain (domain.c), which in Xen would reset its
 * hypervisor state and start it again (XEN_DOMCTL_soft_reset). Xeno has
 * no such reset operation: dom0 can only destroy it. With no control
 * domain running it is destroyed like any other.
 */
static long shutdown_self(struct vcpu *v, uint64_t reason)
{
	switch (reason) {
	case SHUTDOWN_poweroff:
	case SHUTDOWN_reboot:
	case SHUTDOWN_crash:
	case SHUTDOWN_watchdog:
	case SHUTDOWN_soft_reset:
		domain_shutdown(v->domain, reason);
		return 0;
	case SHUTDOWN_suspend:
		return 1;
	default:
		printk(LOG_DEBUG, "d%u: shutdown: bad reason %#lx\n",
		       v->domain->domid, reason);
		return -EINVAL;
	}
}

static long sched_shutdown(struct vcpu *v, uint64_t arg)
{
	struct sched_shutdown s;

	if (guest_copy_from(&s, arg, sizeof(s)) != 0) {
		return -EFAULT;
	}
	return shutdown_self(v, s.reason);
}

/*
 * SCHEDOP_shutdown_code: the reason the domain reports when it later
 * shuts down, whatever that shutdown's own reason (a crash after a
 * recorded SHUTDOWN_reboot reports reboot); domain_shutdown() uses it.
 * The last call before the shutdown wins.
 */
static long sched_shutdown_code(struct vcpu *v, uint64_t arg)
{
	struct domain *d = v->domain;
	struct sched_shutdown s;

	if (guest_copy_from(&s, arg, sizeof(s)) != 0) {
		return -EFAULT;
	}
	if (!reason_valid(s.reason)) {
		return -EINVAL;
	}
	spin_lock(&d->lock);
	if (d->state == DOMAIN_RUNNING) {
		d->shutdown_code = (int)s.reason;
	}
	spin_unlock(&d->lock);
	return 0;
}

/* SCHEDOP_remote_shutdown: the control domain stops another domain. */
static long sched_remote_shutdown(struct vcpu *v, uint64_t arg)
{
	struct sched_remote_shutdown s;
	struct domain *rd;

	if (guest_copy_from(&s, arg, sizeof(s)) != 0) {
		return -EFAULT;
	}
	if (!v->domain->privileged) {
		return -EPERM;
	}
	if (!reason_valid(s.reason)) {
		return -EINVAL;
	}
	rd = domain_find(s.domain_id);
	if (rd == NULL) {
		return -ESRCH;
	}
	domain_shutdown(rd, s.reason);
	domain_put(rd);
	return 0;
}

/* ---- the hypercalls --------------------------------------------------------------- */

/*
 * SCHEDOP_watchdog is -ENOSYS: Xeno has no domain watchdogs yet, and
 * guests (Linux's xen_wdt) treat that as "no watchdog here".
 * SCHEDOP_pin_override is for a hardware domain that pins vCPUs to
 * physical CPUs; no domain may do that in Xeno, so it is -EPERM.
 */
long do_sched_op(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	uint64_t arg = h->a[1];

	switch ((uint32_t)h->a[0]) {
	case SCHEDOP_yield:
		sched_yield_current();
		return 0;
	case SCHEDOP_block:
		return sched_block(v);
	case SCHEDOP_shutdown:
		return sched_shutdown(v, arg);
	case SCHEDOP_poll:
		return sched_poll(v, arg);
	case SCHEDOP_remote_shutdown:
		return sched_remote_shutdown(v, arg);
	case SCHEDOP_shutdown_code:
		return sched_shutdown_code(v, arg);
	case SCHEDOP_watchdog:
		return -ENOSYS;
	case SCHEDOP_pin_override:
		return -EPERM;
	default:
		return -ENOSYS;
	}
}

/* §7.11: the legacy form, where shutdown's argument is the reason. */
long do_sched_op_compat(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();

	switch ((uint32_t)h->a[0]) {
	case SCHEDOP_yield:
		sched_yield_current();
		return 0;
	case SCHEDOP_block:
		return sched_block(v);
	case SCHEDOP_shutdown:
		return shutdown_self(v, h->a[1]);
	default:
		return -ENOSYS;
	}
}
