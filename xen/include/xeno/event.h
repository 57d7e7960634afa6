/* SPDX-License-Identifier: MIT */
/*
 * Event channels (xen/common/event_channel.c): the 2-level ABI of
 * pv-abi §7.10 for 64-bit guests, 4096 ports per domain, port 0 never
 * allocated; VIRQ delivery; and sched_op (xen/common/sched_op.c), whose
 * block and poll wait for events.
 *
 * Interface rules:
 *  - evtchn_domain_init() runs at domain creation, before any vCPU can
 *    bind; evtchn_domain_destroy() runs once the domain is dead (off the
 *    domain list, no CPU running it). It closes every port and returns
 *    interdomain peers' ends to unbound. It does not touch the domain's
 *    vCPUs, which may already be freed.
 *  - evtchn_set_pending(), send_virq() and send_global_virq() may be
 *    called from any context that holds no event-channel lock, no
 *    run-queue lock and no domain lock (they take the first two, and
 *    send_global_virq looks the owner up with domain_find()). A timer's
 *    fn is such a context.
 *  - A port that is not bound, or a VIRQ nobody bound, drops the event.
 */
#ifndef XENO_EVENT_H
#define XENO_EVENT_H

#include <xeno/types.h>

struct domain;
struct vcpu;
struct hcall_args;

int evtchn_domain_init(struct domain *d);
void evtchn_domain_destroy(struct domain *d);

/*
 * Marks port of v's domain pending for v (pv-abi §7.10, "Two-level ABI —
 * hypervisor side"): pending bit, then selector and upcall if unmasked,
 * then kicks or wakes v and wakes a vCPU polling on the port.
 */
void evtchn_set_pending(struct vcpu *v, uint32_t port);

/*
 * Raises virq on v: a per-vCPU VIRQ (VIRQ_TIMER, VIRQ_DEBUG...) through
 * v's own binding; any other VIRQ through the domain's binding.
 */
void send_virq(struct vcpu *v, unsigned int virq);

/* Raises a global VIRQ in the domain that bound it (the control domain). */
void send_global_virq(unsigned int virq);

/* Whether port is pending in d's shared_info (a snapshot). */
bool evtchn_is_pending(const struct domain *d, uint32_t port);

/* Hypercalls: event_channel_op (32) and its legacy form (16). */
long do_event_channel_op(struct hcall_args *h);
long do_event_channel_op_compat(struct hcall_args *h);

/* Hypercalls: sched_op (29) and sched_op_compat (6). */
long do_sched_op(struct hcall_args *h);
long do_sched_op_compat(struct hcall_args *h);

/*
 * SCHEDOP_poll state (sched_op.c). v->poll_nr != 0 while v polls; the
 * poll fields change only under the domain's evtchn_lock. With that lock
 * held, poll_matches() tells whether v's poll waits for port, and
 * poll_end_locked() ends v's poll (stops its timeout, and wakes v if
 * asked). sched_poll_end() takes the lock itself and returns whether v
 * was polling; sched_poll_fini() frees v's port buffer (vCPU teardown).
 */
bool poll_matches(const struct vcpu *v, uint32_t port);
void poll_end_locked(struct vcpu *v, bool wake);
bool sched_poll_end(struct vcpu *v);
void sched_poll_fini(struct vcpu *v);

#endif
