/* SPDX-License-Identifier: MIT */
/*
 * Event channels, 2-level ABI, and the virtual interrupt flag (interface
 * in libpv/events.h; pv-abi §7.10, §8.9).
 *
 * Shared state and who writes it: the hypervisor sets bits in
 * evtchn_pending, evtchn_pending_sel and evtchn_upcall_pending; libpv
 * clears them, always with atomic operations because the hypervisor may
 * set another bit of the same word on another CPU at the same time.
 * evtchn_mask and evtchn_upcall_mask are libpv's (the hypervisor only
 * reads them, and EVTCHNOP_unmask clears a mask bit).
 *
 * The handler table is private; it is changed with events masked. Each
 * port is handled by the vCPU that bound it: an upcall on another vCPU
 * leaves it pending for its own (whose pending_sel the hypervisor set).
 */
#include <libpv/atomic.h>
#include <libpv/console.h>
#include <libpv/errno.h>
#include <libpv/events.h>
#include <libpv/hypercall.h>
#include <libpv/start.h>

struct evtchn_slot {
	pv_evtchn_handler_t fn;
	void *arg;
	unsigned int vcpu; /* the vCPU that handles it (bound it) */
};

static struct evtchn_slot slots[EVTCHN_2L_NR_PORTS];
static uint64_t upcalls;
static uint64_t spurious;

/* entry.S */
extern char pv_event_entry[], pv_failsafe_entry[];

/* ---- the virtual interrupt flag ------------------------------------------ */

unsigned int pv_irq_save(void)
{
	struct vcpu_info *v;
	unsigned int old;

	if (!HYPERVISOR_shared_info) {
		return 1; /* before start-up mapped it: masked since boot */
	}
	v = pv_vcpu_info();
	old = PV_READ_ONCE(v->evtchn_upcall_mask);
	PV_WRITE_ONCE(v->evtchn_upcall_mask, 1);
	pv_barrier();
	return old;
}

void pv_irq_disable(void)
{
	(void)pv_irq_save();
}

void pv_irq_enable(void)
{
	struct vcpu_info *v;

	if (!HYPERVISOR_shared_info) {
		return;
	}
	v = pv_vcpu_info();
	pv_barrier();
	PV_WRITE_ONCE(v->evtchn_upcall_mask, 0);
	/*
	 * An upcall that became pending while masked is not delivered by
	 * itself: the hypervisor only checks on its way back to the guest.
	 * The store above must be visible before the load below.
	 */
	pv_mb();
	if (PV_READ_ONCE(v->evtchn_upcall_pending)) {
		(void)HYPERVISOR_xen_version(XENVER_version, NULL);
	}
}

void pv_irq_restore(unsigned int mask)
{
	if (mask) {
		pv_irq_disable();
	} else {
		pv_irq_enable();
	}
}

bool pv_irq_enabled(void)
{
	return HYPERVISOR_shared_info &&
	       PV_READ_ONCE(pv_vcpu_info()->evtchn_upcall_mask) == 0;
}

/* ---- port bits ------------------------------------------------------------ */

static bool port_ok(evtchn_port_t port)
{
	return port < EVTCHN_2L_NR_PORTS && HYPERVISOR_shared_info;
}

void pv_evtchn_mask(evtchn_port_t port)
{
	if (port_ok(port)) {
		pv_set_bit(HYPERVISOR_shared_info->evtchn_mask, port);
	}
}

void pv_evtchn_clear(evtchn_port_t port)
{
	if (port_ok(port)) {
		pv_clear_bit(HYPERVISOR_shared_info->evtchn_pending, port);
	}
}

bool pv_evtchn_is_pending(evtchn_port_t port)
{
	return port_ok(port) &&
	       pv_test_bit(HYPERVISOR_shared_info->evtchn_pending, port);
}

bool pv_evtchn_is_masked(evtchn_port_t port)
{
	return port_ok(port) &&
	       pv_test_bit(HYPERVISOR_shared_info->evtchn_mask, port);
}

long pv_evtchn_unmask(evtchn_port_t port)
{
	struct evtchn_port_arg op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

/* ---- binding handlers --------------------------------------------------- */

long pv_evtchn_bind(evtchn_port_t port, pv_evtchn_handler_t fn, void *arg)
{
	unsigned int mask;

	if (!port_ok(port) || !fn) {
		return -EINVAL;
	}
	mask = pv_irq_save();
	slots[port].fn = fn;
	slots[port].arg = arg;
	slots[port].vcpu = pv_smp_id();
	pv_irq_restore(mask);
	return pv_evtchn_unmask(port);
}

void pv_evtchn_unbind(evtchn_port_t port)
{
	unsigned int mask;

	if (!port_ok(port)) {
		return;
	}
	pv_evtchn_mask(port);
	mask = pv_irq_save();
	slots[port].fn = NULL;
	slots[port].arg = NULL;
	slots[port].vcpu = 0;
	pv_irq_restore(mask);
}

/* ---- EVTCHNOP wrappers ----------------------------------------------------- */

long pv_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
	struct evtchn_alloc_unbound op = { .dom = DOMID_SELF,
					   .remote_dom = remote };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);

	if (rc == 0) {
		*port = op.port;
	}
	return rc;
}

long pv_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
				evtchn_port_t *local_port)
{
	struct evtchn_bind_interdomain op = { .remote_dom = remote,
					      .remote_port = remote_port };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);

	if (rc == 0) {
		*local_port = op.local_port;
	}
	return rc;
}

long pv_evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port)
{
	struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);

	if (rc == 0) {
		*port = op.port;
	}
	return rc;
}

long pv_evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port)
{
	struct evtchn_bind_ipi op = { .vcpu = vcpu };
	long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);

	if (rc == 0) {
		*port = op.port;
	}
	return rc;
}

long pv_evtchn_send(evtchn_port_t port)
{
	struct evtchn_port_arg op = { .port = port };

	return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

long pv_evtchn_close(evtchn_port_t port)
{
	struct evtchn_port_arg op = { .port = port };

	pv_evtchn_unbind(port);
	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

long pv_evtchn_status(struct evtchn_status *st)
{
	return HYPERVISOR_event_channel_op(EVTCHNOP_status, st);
}

uint64_t pv_evtchn_upcalls(void)
{
	return PV_READ_ONCE(upcalls);
}

uint64_t pv_evtchn_spurious(void)
{
	return PV_READ_ONCE(spurious);
}

/* ---- the upcall ------------------------------------------------------------- */

static void handle_port(evtchn_port_t port, struct pv_regs *regs)
{
	struct evtchn_slot *s = &slots[port];

	if (s->fn) {
		s->fn(port, regs, s->arg);
	} else {
		spurious++;
	}
}

/* Handles the unmasked pending ports of word w, lowest port first. */
static void scan_word(struct shared_info *sh, unsigned int w,
		      struct pv_regs *regs)
{
	uint64_t ready;
	unsigned int me = pv_smp_id();

	ready = PV_READ_ONCE(sh->evtchn_pending[w]) &
		~PV_READ_ONCE(sh->evtchn_mask[w]);
	while (ready) {
		unsigned int bit = (unsigned int)__builtin_ctzll(ready);
		evtchn_port_t port = w * 64 + bit;

		ready &= ready - 1;
		if (slots[port].vcpu != me) {
			continue; /* its own vCPU was notified */
		}
		/* Cleared before the handler runs, so a new edge is kept. */
		if (pv_test_and_clear_bit(sh->evtchn_pending, port)) {
			handle_port(port, regs);
		}
	}
}

/* Called by pv_event_entry (entry.S) with events masked. */
void pv_evtchn_upcall(struct pv_regs *regs)
{
	struct shared_info *sh = HYPERVISOR_shared_info;
	struct vcpu_info *v = pv_vcpu_info();

	upcalls++;
	do {
		uint64_t sel;

		PV_WRITE_ONCE(v->evtchn_upcall_pending, 0);
		pv_mb();
		sel = pv_xchg64(&v->evtchn_pending_sel, 0);
		while (sel) {
			unsigned int w = (unsigned int)__builtin_ctzll(sel);

			sel &= sel - 1;
			scan_word(sh, w, regs);
		}
	} while (PV_READ_ONCE(v->evtchn_upcall_pending));
}

static pv_failsafe_fn failsafe_handler;

void pv_failsafe_set_handler(pv_failsafe_fn fn)
{
	failsafe_handler = fn;
}

void pv_failsafe(const uint64_t *frame)
{
	/* RCX R11 DS ES FS GS RIP CS RFLAGS RSP SS (§8.10). */
	if (failsafe_handler != NULL && failsafe_handler(frame)) {
		return; /* resume at RIP through the iret hypercall */
	}
	printf("libpv: failsafe callback: ds %04lx es %04lx fs %04lx gs %04lx "
	       "rip %016lx cs %04lx rsp %016lx\n",
	       frame[2] & 0xffff, frame[3] & 0xffff, frame[4] & 0xffff,
	       frame[5] & 0xffff, frame[6], frame[7] & 0xffff, frame[9]);
	pv_crash("failsafe callback at rip 0x%lx", frame[6]);
}

/* ---- start-up ------------------------------------------------------------- */

static long register_callback(uint16_t type, const void *entry)
{
	struct callback_register cb = {
		.type = type,
		.flags = 0,
		.address = (uint64_t)entry,
	};

	return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

long pv_events_init(void)
{
	struct shared_info *sh = HYPERVISOR_shared_info;
	long rc;

	if (!sh) {
		return -EFAULT;
	}
	/* Every port stays masked until a handler is bound to it. */
	for (unsigned int w = 0; w < 64; w++) {
		PV_WRITE_ONCE(sh->evtchn_mask[w], ~0ULL);
	}
	rc = register_callback(CALLBACKTYPE_event, pv_event_entry);
	if (rc == 0) {
		rc = register_callback(CALLBACKTYPE_failsafe,
				       pv_failsafe_entry);
	}
	if (rc == -ENOSYS) {
		/* A hypervisor without callback_op: the older call. */
		rc = HYPERVISOR_set_callbacks((uint64_t)pv_event_entry,
					      (uint64_t)pv_failsafe_entry, 0);
	}
	return rc;
}
