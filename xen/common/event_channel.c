/* SPDX-License-Identifier: MIT */
/*
 * Event channels, 2-level ABI (pv-abi §7.10; see xeno/event.h): each
 * domain has a table of EVTCHN_2L_NR_PORTS channels, and the pending and
 * mask bitmaps of its shared_info page are the guest-visible half of
 * every port. Port 0 is reserved: it always reads as closed and is never
 * allocated.
 *
 * Locking rules:
 *  1. d->evtchn_lock (LOCK_RANK_DOMAIN + 1) protects d->evtchn[], the
 *     domain's d->virq_global_port[], the virq_port[] and poll_* fields
 *     of each of its vCPUs, and which vcpu_info a vCPU uses (vcpu_op.c
 *     moves it under this lock).
 *  2. A CPU never holds two evtchn_locks: they share one rank and the
 *     lock checker forbids that. An interdomain link is therefore made
 *     and broken one end at a time, and an end is trusted only if the
 *     other end points back at it: "p of A is connected to q of B" means
 *     A.p names (B, q) and B.q names (A, p). A half link (one end only)
 *     exists while a bind or close is under way, or stays behind when a
 *     peer dies; every user checks the far end under its own lock, so a
 *     half link behaves like an unbound port.
 *  3. Remote domains are reached by id with domain_find()/domain_put(),
 *     which takes domains_lock (LOCK_RANK_DOMAIN): never call it with an
 *     evtchn_lock held. The current domain needs no reference: it cannot
 *     be destroyed while one of its vCPUs runs a hypercall.
 *  4. Inside an evtchn_lock we take run-queue locks (vcpu_wake) and
 *     timer locks (poll timeouts), never the reverse: a SCHEDOP_block or
 *     poll wake check, which runs under the run-queue lock, reads only
 *     atomics.
 *  5. The shared_info bitmaps and vcpu_info selector words are written by
 *     the guest too; the hypervisor changes them only with atomic
 *     read-modify-write operations, lock or no lock.
 *  6. The owner of each global VIRQ is a domain id in global_virq_owner[],
 *     changed by compare-and-swap by the owner under its own evtchn_lock.
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
#include <xeno/xmalloc.h>

#define NR_PORTS       EVTCHN_2L_NR_PORTS
#define PORTS_PER_WORD 64

#ifndef VIRQ_XENOPROF
#define VIRQ_XENOPROF 7
#endif
#ifndef VIRQ_ARGO
#define VIRQ_ARGO 11
#endif
#ifndef VIRQ_XENPMU
#define VIRQ_XENPMU 13
#endif

/* How many ports EVTCHNOP_reset closes between preemption checks. */
#define RESET_BATCH 256

/*
 * One channel. state is the EVTCHNSTAT_* value status reports, so a
 * zeroed entry is a closed port. The other fields are valid in:
 *   vcpu        every state but closed: the vCPU notified;
 *   remote_dom  unbound: the domain allowed to connect;
 *               interdomain: the peer domain;
 *   value       interdomain: the peer's port; virq: the VIRQ number.
 */
struct evtchn {
	uint8_t state;
	uint8_t vcpu;
	domid_t remote_dom;
	uint32_t value;
};
_Static_assert(sizeof(struct evtchn) == 8, "evtchn entry size");
_Static_assert(MAX_VCPUS <= 256, "evtchn.vcpu is 8 bits");

/* ABI structures pv_ops.h does not need elsewhere (§7.10, §7.18). */
struct evtchn_reset {
	domid_t dom;
};
struct evtchn_op_compat {
	uint32_t cmd;
	uint8_t args[24];
};
_Static_assert(sizeof(struct evtchn_op_compat) == 28, "evtchn_op size");

enum virq_class { VIRQ_PER_VCPU, VIRQ_PER_DOMAIN, VIRQ_GLOBAL };

static domid_t global_virq_owner[NR_VIRQS] = {
	[0 ... NR_VIRQS - 1] = DOMID_INVALID,
};

/* ---- small helpers ------------------------------------------------------ */

static bool test_and_set_bit64(uint64_t *w, unsigned int bit)
{
	uint64_t m = 1ULL << bit;

	return (__atomic_fetch_or(w, m, __ATOMIC_SEQ_CST) & m) != 0;
}

static void clear_bit64(uint64_t *w, unsigned int bit)
{
	__atomic_fetch_and(w, ~(1ULL << bit), __ATOMIC_SEQ_CST);
}

static bool test_bit64(const uint64_t *w, unsigned int bit)
{
	return (__atomic_load_n(w, __ATOMIC_SEQ_CST) >> bit) & 1;
}

static enum virq_class virq_class(unsigned int virq)
{
	switch (virq) {
	case VIRQ_TIMER:
	case VIRQ_DEBUG:
	case VIRQ_XENOPROF:
	case VIRQ_XENPMU:
		return VIRQ_PER_VCPU;
	case VIRQ_ARGO:
		return VIRQ_PER_DOMAIN;
	default:
		return VIRQ_GLOBAL;
	}
}

static struct vcpu *vcpu_of(const struct domain *d, uint32_t id)
{
	return id < d->nr_vcpus ? d->vcpu[id] : NULL;
}

/* Logs why a request was refused (DESIGN §1.4) and returns rc. */
static long refuse(const struct domain *d, long rc, const char *what,
		   uint64_t value)
{
	printk(LOG_DEBUG, "d%u evtchn: %s (%#lx): %ld\n", d->domid, what, value,
	       rc);
	return rc;
}

/*
 * Resolves the `dom` argument of alloc_unbound, status and reset: the
 * caller itself (DOMID_SELF or its own id), or for the control domain any
 * live domain (a reference the caller drops with put_target()).
 */
static long get_target(struct domain *cur, domid_t dom, struct domain **out)
{
	struct domain *d;

	if (dom == DOMID_SELF || dom == cur->domid) {
		*out = cur;
		return 0;
	}
	d = domain_find(dom);
	if (d == NULL) {
		return -ESRCH;
	}
	if (!cur->privileged) {
		domain_put(d);
		return -EPERM;
	}
	*out = d;
	return 0;
}

static void put_target(const struct domain *cur, struct domain *d)
{
	if (d != cur) {
		domain_put(d);
	}
}

/* The lowest free port of d, or -ENOSPC. d's lock is held. */
static long port_alloc(const struct domain *d)
{
	uint32_t p;

	for (p = 1; p < NR_PORTS; p++) {
		if (d->evtchn[p].state == EVTCHNSTAT_closed) {
			return p;
		}
	}
	return -ENOSPC;
}

static void port_set(struct evtchn *c, uint8_t state, uint32_t vcpu,
		     domid_t remote_dom, uint32_t value)
{
	c->state = state;
	c->vcpu = (uint8_t)vcpu;
	c->remote_dom = remote_dom;
	c->value = value;
}

/* Whether d's port is one end of a link to (rdom, rport), lock held. */
static bool links_to(const struct domain *d, uint32_t port, domid_t rdom,
		     uint32_t rport)
{
	const struct evtchn *c = &d->evtchn[port];

	return c->state == EVTCHNSTAT_interdomain && c->remote_dom == rdom &&
	       c->value == rport;
}

/* ---- delivery ------------------------------------------------------------ */

/*
 * Step 2 of the hypervisor side: forwards pending word `word` to v's
 * selector and raises the upcall on the selector's 0 -> 1 edge. A vCPU
 * without a vcpu_info (>= 32, not registered yet) gets nothing now;
 * registration sets every selector bit, so nothing is lost.
 */
static void raise_upcall(struct vcpu *v, unsigned int word)
{
	struct vcpu_info *vi = v->vcpu_info;

	if (vi == NULL || test_and_set_bit64(&vi->evtchn_pending_sel, word)) {
		return;
	}
	__atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
	vcpu_wake(v);
	vcpu_kick(v);
}

/* Step 3: ends the poll of every vCPU of d that waits for port. */
static void wake_pollers(struct domain *d, uint32_t port)
{
	unsigned int i;

	for (i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *w = d->vcpu[i];

		if (w != NULL && poll_matches(w, port)) {
			poll_end_locked(w, true);
		}
	}
}

/* The three steps of §7.10 for port of d, notifying v; d's lock held. */
static void set_pending_locked(struct domain *d, struct vcpu *v, uint32_t port)
{
	struct shared_info *s = d->shared_info;
	unsigned int word = port / PORTS_PER_WORD;
	unsigned int bit = port % PORTS_PER_WORD;

	if (test_and_set_bit64(&s->evtchn_pending[word], bit)) {
		return;
	}
	if (!test_bit64(&s->evtchn_mask[word], bit)) {
		raise_upcall(v, word);
	}
	wake_pollers(d, port);
}

/* Marks port pending for the vCPU its channel names; d's lock held. */
static void notify_locked(struct domain *d, uint32_t port)
{
	struct vcpu *v = vcpu_of(d, d->evtchn[port].vcpu);

	if (v != NULL) {
		set_pending_locked(d, v, port);
	}
}

void evtchn_set_pending(struct vcpu *v, uint32_t port)
{
	struct domain *d = v->domain;

	BUG_ON(port == 0 || port >= NR_PORTS);
	spin_lock(&d->evtchn_lock);
	if (d->evtchn != NULL) {
		set_pending_locked(d, v, port);
	}
	spin_unlock(&d->evtchn_lock);
}

bool evtchn_is_pending(const struct domain *d, uint32_t port)
{
	return port < NR_PORTS &&
	       test_bit64(
		       &d->shared_info->evtchn_pending[port / PORTS_PER_WORD],
		       port % PORTS_PER_WORD);
}

void send_virq(struct vcpu *v, unsigned int virq)
{
	struct domain *d = v->domain;
	uint32_t port;

	BUG_ON(virq >= NR_VIRQS);
	spin_lock(&d->evtchn_lock);
	port = virq_class(virq) == VIRQ_PER_VCPU ? v->virq_port[virq]
						 : d->virq_global_port[virq];
	if (port != 0 && d->evtchn != NULL) {
		notify_locked(d, port);
	}
	spin_unlock(&d->evtchn_lock);
}

void send_global_virq(unsigned int virq)
{
	domid_t owner;
	struct domain *d;

	BUG_ON(virq >= NR_VIRQS);
	owner = __atomic_load_n(&global_virq_owner[virq], __ATOMIC_ACQUIRE);
	if (owner == DOMID_INVALID || (d = domain_find(owner)) == NULL) {
		return;
	}
	spin_lock(&d->evtchn_lock);
	if (d->virq_global_port[virq] != 0) {
		notify_locked(d, d->virq_global_port[virq]);
	}
	spin_unlock(&d->evtchn_lock);
	domain_put(d);
}

/* ---- global VIRQ ownership ------------------------------------------------ */

/*
 * The control domain owns the global VIRQs (§7.10): it may bind one
 * unless another domain holds it. Returns whether d owns virq now.
 */
static bool global_virq_claim(const struct domain *d, unsigned int virq)
{
	domid_t expect = DOMID_INVALID;

	if (!d->privileged) {
		return false;
	}
	return __atomic_compare_exchange_n(&global_virq_owner[virq], &expect,
					   d->domid, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE) ||
	       expect == d->domid;
}

static void global_virq_release(const struct domain *d, unsigned int virq)
{
	domid_t expect = d->domid;

	__atomic_compare_exchange_n(&global_virq_owner[virq], &expect,
				    DOMID_INVALID, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
}

/* ---- closing ----------------------------------------------------------------- */

/*
 * Forgets a VIRQ binding of d's closed channel c (lock held). During
 * destruction the vCPUs may be gone already, and their slots with them.
 */
static void virq_unbind_locked(struct domain *d, const struct evtchn *c,
			       uint32_t port, bool vcpus_alive)
{
	unsigned int virq = c->value;
	struct vcpu *v;

	if (virq_class(virq) != VIRQ_PER_VCPU) {
		if (d->virq_global_port[virq] == port) {
			d->virq_global_port[virq] = 0;
		}
		if (virq_class(virq) == VIRQ_GLOBAL) {
			global_virq_release(d, virq);
		}
		return;
	}
	v = vcpus_alive ? vcpu_of(d, c->vcpu) : NULL;
	if (v != NULL && v->virq_port[virq] == port) {
		v->virq_port[virq] = 0;
	}
}

/*
 * Returns the far end (rd, rport) of a link whose near end (d, port) was
 * just closed to unbound, if it still points at the near end.
 */
static void peer_unbind(domid_t rdom, uint32_t rport, const struct domain *d,
			uint32_t port)
{
	struct domain *rd = domain_find(rdom);

	if (rd == NULL) {
		return; /* dying: its destruction ignores our closed end */
	}
	spin_lock(&rd->evtchn_lock);
	if (rd->evtchn != NULL && links_to(rd, rport, d->domid, port)) {
		port_set(&rd->evtchn[rport], EVTCHNSTAT_unbound,
			 rd->evtchn[rport].vcpu, d->domid, 0);
	}
	spin_unlock(&rd->evtchn_lock);
	domain_put(rd);
}

/*
 * EVTCHNOP_close on d's port: -EINVAL for port 0, out of range or
 * closed. Clears the pending bit; the far end of a link goes back to
 * unbound (rule 2). Called without d's lock. A loopback link's other
 * end is in d itself; during destruction it is closed by the same sweep,
 * so it is left alone there (d can no longer be found by id anyway).
 */
static long port_close(struct domain *d, uint32_t port, bool vcpus_alive)
{
	struct evtchn c;

	if (port == 0 || port >= NR_PORTS) {
		return -EINVAL;
	}
	spin_lock(&d->evtchn_lock);
	c = d->evtchn[port];
	if (c.state == EVTCHNSTAT_closed) {
		spin_unlock(&d->evtchn_lock);
		return -EINVAL;
	}
	if (c.state == EVTCHNSTAT_virq) {
		virq_unbind_locked(d, &c, port, vcpus_alive);
	}
	port_set(&d->evtchn[port], EVTCHNSTAT_closed, 0, 0, 0);
	clear_bit64(&d->shared_info->evtchn_pending[port / PORTS_PER_WORD],
		    port % PORTS_PER_WORD);
	spin_unlock(&d->evtchn_lock);
	if (c.state == EVTCHNSTAT_interdomain &&
	    (vcpus_alive || c.remote_dom != d->domid)) {
		peer_unbind(c.remote_dom, c.value, d, port);
	}
	return 0;
}

/* ---- domain life cycle ----------------------------------------------------- */

int evtchn_domain_init(struct domain *d)
{
	d->evtchn = xzalloc(NR_PORTS * sizeof(struct evtchn));
	return d->evtchn != NULL ? 0 : -ENOMEM;
}

void evtchn_domain_destroy(struct domain *d)
{
	uint32_t p;

	if (d->evtchn == NULL) {
		return;
	}
	for (p = 1; p < NR_PORTS; p++) {
		if (d->evtchn[p].state != EVTCHNSTAT_closed) {
			port_close(d, p, false);
		}
	}
	spin_lock(&d->evtchn_lock);
	xfree(d->evtchn);
	d->evtchn = NULL;
	spin_unlock(&d->evtchn_lock);
}

/* ---- the sub-operations ----------------------------------------------------- */

static long op_alloc_unbound(struct domain *cur, struct evtchn_alloc_unbound *a)
{
	domid_t remote =
		a->remote_dom == DOMID_SELF ? cur->domid : a->remote_dom;
	struct domain *d;
	long rc = get_target(cur, a->dom, &d);

	if (rc != 0) {
		return refuse(cur, rc, "alloc_unbound: domain", a->dom);
	}
	spin_lock(&d->evtchn_lock);
	rc = port_alloc(d);
	if (rc > 0) {
		port_set(&d->evtchn[rc], EVTCHNSTAT_unbound, 0, remote, 0);
		a->port = (uint32_t)rc;
		rc = 0;
	}
	spin_unlock(&d->evtchn_lock);
	put_target(cur, d);
	return rc;
}

/* Whether rd's rport is unbound and accepts a connection from dom. */
static bool accepts(struct domain *rd, uint32_t rport, domid_t dom)
{
	bool ok;

	spin_lock(&rd->evtchn_lock);
	ok = rd->evtchn[rport].state == EVTCHNSTAT_unbound &&
	     rd->evtchn[rport].remote_dom == dom;
	spin_unlock(&rd->evtchn_lock);
	return ok;
}

/*
 * Makes the far end of a new link: rd's rport, if it still accepts
 * cur, now names (cur, lport). Returns whether it did.
 */
static bool connect_far_end(struct domain *rd, uint32_t rport,
			    const struct domain *cur, uint32_t lport)
{
	struct evtchn *c = &rd->evtchn[rport];
	bool ok;

	spin_lock(&rd->evtchn_lock);
	ok = c->state == EVTCHNSTAT_unbound && c->remote_dom == cur->domid;
	if (ok) {
		port_set(c, EVTCHNSTAT_interdomain, c->vcpu, cur->domid, lport);
	}
	spin_unlock(&rd->evtchn_lock);
	return ok;
}

/*
 * bind_interdomain: checks, reserves the near end (a half link, rule 2),
 * connects the far end, and marks the near end pending (§7.10: an event
 * sent while the port was unbound was dropped). If the far end was taken
 * meanwhile, the reservation is undone.
 */
static long op_bind_interdomain(struct domain *cur,
				struct evtchn_bind_interdomain *b)
{
	uint32_t rport = b->remote_port;
	struct domain *rd = cur;
	long rc = 0;

	if (b->remote_dom != DOMID_SELF && b->remote_dom != cur->domid) {
		rd = domain_find(b->remote_dom);
		if (rd == NULL) {
			return refuse(cur, -ESRCH, "bind_interdomain: domain",
				      b->remote_dom);
		}
	}
	if (rport == 0 || rport >= NR_PORTS ||
	    !accepts(rd, rport, cur->domid)) {
		rc = refuse(cur, -EINVAL,
			    "bind_interdomain: remote port not unbound for us",
			    rport);
		goto out;
	}
	spin_lock(&cur->evtchn_lock);
	rc = port_alloc(cur);
	if (rc > 0) {
		port_set(&cur->evtchn[rc], EVTCHNSTAT_interdomain, 0, rd->domid,
			 rport);
	}
	spin_unlock(&cur->evtchn_lock);
	if (rc < 0) {
		goto out;
	}
	b->local_port = (uint32_t)rc;
	rc = 0;
	if (!connect_far_end(rd, rport, cur, b->local_port)) {
		port_close(cur, b->local_port, true);
		rc = refuse(cur, -EINVAL, "bind_interdomain: remote port taken",
			    rport);
		goto out;
	}
	spin_lock(&cur->evtchn_lock);
	if (links_to(cur, b->local_port, rd->domid, rport)) {
		notify_locked(cur, b->local_port);
	}
	spin_unlock(&cur->evtchn_lock);
out:
	put_target(cur, rd);
	return rc;
}

/* Checks a bind_virq request (§7.10 order of errors). */
static long virq_check(struct domain *cur, const struct evtchn_bind_virq *b)
{
	if (b->virq >= NR_VIRQS) {
		return refuse(cur, -EINVAL, "bind_virq: no such VIRQ", b->virq);
	}
	if (virq_class(b->virq) != VIRQ_PER_VCPU && b->vcpu != 0) {
		return refuse(cur, -EINVAL,
			      "bind_virq: VIRQ is not per-vCPU, vcpu must be 0",
			      b->vcpu);
	}
	if (vcpu_of(cur, b->vcpu) == NULL) {
		return refuse(cur, -ENOENT, "bind_virq: no such vCPU", b->vcpu);
	}
	return 0;
}

static long op_bind_virq(struct domain *cur, struct evtchn_bind_virq *b)
{
	long rc = virq_check(cur, b);
	enum virq_class cls;
	uint32_t *slot;

	if (rc != 0) {
		return rc;
	}
	cls = virq_class(b->virq);
	slot = cls == VIRQ_PER_VCPU ? &cur->vcpu[b->vcpu]->virq_port[b->virq]
				    : &cur->virq_global_port[b->virq];
	spin_lock(&cur->evtchn_lock);
	if (*slot != 0) {
		rc = -EEXIST;
	} else if (cls == VIRQ_GLOBAL && !global_virq_claim(cur, b->virq)) {
		rc = -EBUSY;
	} else {
		rc = port_alloc(cur);
	}
	if (rc > 0) {
		port_set(&cur->evtchn[rc], EVTCHNSTAT_virq, b->vcpu, 0,
			 b->virq);
		*slot = (uint32_t)rc;
		b->port = (uint32_t)rc;
		rc = 0;
	} else if (rc == -ENOSPC && cls == VIRQ_GLOBAL) {
		global_virq_release(cur, b->virq);
	}
	spin_unlock(&cur->evtchn_lock);
	return rc < 0 ? refuse(cur, rc, "bind_virq", b->virq) : 0;
}

static long op_bind_ipi(struct domain *cur, struct evtchn_bind_ipi *b)
{
	long rc;

	if (vcpu_of(cur, b->vcpu) == NULL) {
		return refuse(cur, -ENOENT, "bind_ipi: no such vCPU", b->vcpu);
	}
	spin_lock(&cur->evtchn_lock);
	rc = port_alloc(cur);
	if (rc > 0) {
		port_set(&cur->evtchn[rc], EVTCHNSTAT_ipi, b->vcpu, 0, 0);
		b->port = (uint32_t)rc;
		rc = 0;
	}
	spin_unlock(&cur->evtchn_lock);
	return rc;
}

static long op_close(struct domain *cur, struct evtchn_port_arg *a)
{
	long rc = port_close(cur, a->port, true);

	return rc != 0 ? refuse(cur, rc, "close: port not open", a->port) : 0;
}

/*
 * Delivers cur's send on port to the far end (rdom, rport), if that end
 * still points back (rule 2). A dying peer drops the event.
 */
static void send_remote(struct domain *cur, uint32_t port, domid_t rdom,
			uint32_t rport)
{
	struct domain *rd = rdom == cur->domid ? cur : domain_find(rdom);

	if (rd == NULL) {
		return;
	}
	spin_lock(&rd->evtchn_lock);
	if (rd->evtchn != NULL && links_to(rd, rport, cur->domid, port)) {
		notify_locked(rd, rport);
	}
	spin_unlock(&rd->evtchn_lock);
	put_target(cur, rd);
}

static long op_send(struct domain *cur, struct evtchn_port_arg *a)
{
	uint32_t port = a->port;
	struct evtchn c = { 0 };

	if (port >= NR_PORTS) {
		return refuse(cur, -EINVAL, "send: no such port", port);
	}
	spin_lock(&cur->evtchn_lock);
	c = cur->evtchn[port];
	if (c.state == EVTCHNSTAT_ipi) {
		notify_locked(cur, port);
	}
	spin_unlock(&cur->evtchn_lock);
	switch (c.state) {
	case EVTCHNSTAT_interdomain:
		send_remote(cur, port, c.remote_dom, c.value);
		return 0;
	case EVTCHNSTAT_ipi:
	case EVTCHNSTAT_unbound: /* dropped, as §7.10 says */
		return 0;
	default:
		return refuse(cur, -EINVAL, "send: port not sendable", port);
	}
}

static void status_fill(const struct evtchn *c, struct evtchn_status *s)
{
	s->status = c->state;
	s->vcpu = c->vcpu;
	memset(&s->u, 0, sizeof(s->u));
	switch (c->state) {
	case EVTCHNSTAT_unbound:
		s->u.unbound.dom = c->remote_dom;
		break;
	case EVTCHNSTAT_interdomain:
		s->u.interdomain.dom = c->remote_dom;
		s->u.interdomain.port = c->value;
		break;
	case EVTCHNSTAT_virq:
		s->u.virq = c->value;
		break;
	default:
		break;
	}
}

static long op_status(struct domain *cur, struct evtchn_status *s)
{
	struct domain *d;
	long rc = get_target(cur, s->dom, &d);

	if (rc != 0) {
		return refuse(cur, rc, "status: domain", s->dom);
	}
	if (s->port >= NR_PORTS) {
		put_target(cur, d);
		return refuse(cur, -EINVAL, "status: no such port", s->port);
	}
	spin_lock(&d->evtchn_lock);
	status_fill(&d->evtchn[s->port], s);
	spin_unlock(&d->evtchn_lock);
	put_target(cur, d);
	return 0;
}

/* Whether bind_vcpu may move a channel in this state (§7.10). */
static bool rebindable(const struct evtchn *c)
{
	switch (c->state) {
	case EVTCHNSTAT_unbound:
	case EVTCHNSTAT_interdomain:
	case EVTCHNSTAT_pirq:
		return true;
	case EVTCHNSTAT_virq:
		return virq_class(c->value) != VIRQ_PER_VCPU;
	default:
		return false;
	}
}

/*
 * bind_vcpu: a port that is already pending and unmasked is forwarded to
 * the new vCPU as well, so it is not left waiting for the old one.
 */
static long op_bind_vcpu(struct domain *cur, struct evtchn_bind_vcpu *b)
{
	struct vcpu *v = vcpu_of(cur, b->vcpu);
	struct shared_info *s = cur->shared_info;
	uint32_t port = b->port;
	long rc = 0;

	if (v == NULL) {
		return refuse(cur, -ENOENT, "bind_vcpu: no such vCPU", b->vcpu);
	}
	if (port >= NR_PORTS) {
		return refuse(cur, -EINVAL, "bind_vcpu: no such port", port);
	}
	spin_lock(&cur->evtchn_lock);
	if (!rebindable(&cur->evtchn[port])) {
		rc = -EINVAL;
	} else {
		cur->evtchn[port].vcpu = (uint8_t)b->vcpu;
		if (evtchn_is_pending(cur, port) &&
		    !test_bit64(&s->evtchn_mask[port / PORTS_PER_WORD],
				port % PORTS_PER_WORD)) {
			raise_upcall(v, port / PORTS_PER_WORD);
		}
	}
	spin_unlock(&cur->evtchn_lock);
	return rc != 0 ? refuse(cur, rc, "bind_vcpu: port not movable", port)
		       : 0;
}

/* unmask: clears the mask bit and re-runs step 2 if the port is pending. */
static long op_unmask(struct domain *cur, struct evtchn_port_arg *a)
{
	uint32_t port = a->port;
	unsigned int word = port / PORTS_PER_WORD;
	struct vcpu *v;

	if (port >= NR_PORTS) {
		return refuse(cur, -EINVAL, "unmask: no such port", port);
	}
	spin_lock(&cur->evtchn_lock);
	clear_bit64(&cur->shared_info->evtchn_mask[word],
		    port % PORTS_PER_WORD);
	v = vcpu_of(cur, cur->evtchn[port].vcpu);
	if (v != NULL && evtchn_is_pending(cur, port)) {
		raise_upcall(v, word);
	}
	spin_unlock(&cur->evtchn_lock);
	return 0;
}

/*
 * reset: closes every port of the target. Closing is idempotent, so a
 * preempted reset starts again from port 1 with the same arguments and
 * skips (cheaply) what it already closed; it stops only after closing
 * RESET_BATCH ports, so every round makes progress.
 */
static long op_reset(struct domain *cur, struct evtchn_reset *r)
{
	struct domain *d;
	long rc = get_target(cur, r->dom, &d);
	unsigned int closed = 0;
	uint32_t p;

	if (rc != 0) {
		return refuse(cur, rc, "reset: domain", r->dom);
	}
	for (p = 1; p < NR_PORTS; p++) {
		if (__atomic_load_n(&d->evtchn[p].state, __ATOMIC_RELAXED) ==
		    EVTCHNSTAT_closed) {
			continue;
		}
		if (closed >= RESET_BATCH && arch_hypercall_preempt_check()) {
			rc = -ERESTART;
			break;
		}
		if (port_close(d, p, true) == 0) {
			closed++;
		}
	}
	put_target(cur, d);
	return rc;
}

/* ---- dispatch ------------------------------------------------------------------ */

union evtchn_args {
	struct evtchn_alloc_unbound alloc_unbound;
	struct evtchn_bind_interdomain bind_interdomain;
	struct evtchn_bind_virq bind_virq;
	struct evtchn_bind_ipi bind_ipi;
	struct evtchn_port_arg port;
	struct evtchn_bind_vcpu bind_vcpu;
	struct evtchn_status status;
	struct evtchn_reset reset;
};

/* Argument size of each sub-op, and whether it has output fields. */
static const struct {
	uint8_t size;
	bool out;
} op_shape[] = {
	[EVTCHNOP_bind_interdomain] = { 12, true },
	[EVTCHNOP_bind_virq] = { 12, true },
	[EVTCHNOP_close] = { 4, false },
	[EVTCHNOP_send] = { 4, false },
	[EVTCHNOP_status] = { 24, true },
	[EVTCHNOP_alloc_unbound] = { 8, true },
	[EVTCHNOP_bind_ipi] = { 8, true },
	[EVTCHNOP_bind_vcpu] = { 8, false },
	[EVTCHNOP_unmask] = { 4, false },
	[EVTCHNOP_reset] = { 2, false },
};

static long op_run(struct domain *cur, unsigned int cmd, union evtchn_args *u)
{
	switch (cmd) {
	case EVTCHNOP_bind_interdomain:
		return op_bind_interdomain(cur, &u->bind_interdomain);
	case EVTCHNOP_bind_virq:
		return op_bind_virq(cur, &u->bind_virq);
	case EVTCHNOP_close:
		return op_close(cur, &u->port);
	case EVTCHNOP_send:
		return op_send(cur, &u->port);
	case EVTCHNOP_status:
		return op_status(cur, &u->status);
	case EVTCHNOP_alloc_unbound:
		return op_alloc_unbound(cur, &u->alloc_unbound);
	case EVTCHNOP_bind_ipi:
		return op_bind_ipi(cur, &u->bind_ipi);
	case EVTCHNOP_bind_vcpu:
		return op_bind_vcpu(cur, &u->bind_vcpu);
	case EVTCHNOP_unmask:
		return op_unmask(cur, &u->port);
	case EVTCHNOP_reset:
		return op_reset(cur, &u->reset);
	default:
		return -ENOSYS;
	}
}

/*
 * One sub-op with its argument struct at guest address arg: read,
 * check and act, then write the struct back if it has output fields.
 * If the write-back faults the action stays done (as in Xen): the
 * guest loses only a port number of its own.
 */
static long evtchn_op(uint64_t cmd, uint64_t arg)
{
	struct domain *cur = current_vcpu()->domain;
	union evtchn_args u;
	long rc;

	if (cmd == EVTCHNOP_bind_pirq) {
		/* No physical IRQs are routed to guests (yet). */
		return cur->privileged ? -ENOSYS : -EPERM;
	}
	if (cmd >= ARRAY_SIZE(op_shape) || op_shape[cmd].size == 0) {
		/* FIFO ABI (init_control...) and unknown: guests use 2-level. */
		return -ENOSYS;
	}
	memset(&u, 0, sizeof(u));
	if (guest_copy_from(&u, arg, op_shape[cmd].size) != 0) {
		return -EFAULT;
	}
	rc = op_run(cur, (unsigned int)cmd, &u);
	if (rc == 0 && op_shape[cmd].out &&
	    guest_copy_to(arg, &u, op_shape[cmd].size) != 0) {
		return -EFAULT;
	}
	return rc;
}

long do_event_channel_op(struct hcall_args *h)
{
	return evtchn_op((uint32_t)h->a[0], h->a[1]);
}

/* §7.18: one struct { u32 cmd; union args } at RDI, args at offset 4. */
long do_event_channel_op_compat(struct hcall_args *h)
{
	uint32_t cmd;

	if (guest_copy_from(&cmd, h->a[0], sizeof(cmd)) != 0) {
		return -EFAULT;
	}
	return evtchn_op(cmd,
			 h->a[0] + offsetof(struct evtchn_op_compat, args));
}
