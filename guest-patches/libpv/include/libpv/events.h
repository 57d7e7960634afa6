/* SPDX-License-Identifier: MIT */
/*
 * Event channels, 2-level ABI (pv-abi §4.4, §7.10, §8.9), on vCPU 0.
 *
 * The hypervisor bounces to pv_event_entry (entry.S) with events masked;
 * the upcall scans evtchn_pending_sel, then evtchn_pending & ~evtchn_mask
 * word by word, clears each pending bit and calls the handler bound to
 * the port. Ports without a handler are cleared and counted as spurious.
 *
 * Interface rules:
 *   - Start-up masks every port; pv_evtchn_bind() installs a handler and
 *     unmasks the port (EVTCHNOP_unmask, which re-raises a pending one).
 *   - Handlers run with events masked, on the interrupted stack.
 *   - pv_irq_disable/enable are the guest's "cli/sti": the upcall mask.
 *     Enabling re-checks evtchn_upcall_pending and, if set, makes a cheap
 *     hypercall so that its return path delivers the upcall (§8.9 rule 4).
 *   - The op helpers return 0 or -errno and fill *port on success.
 */
#ifndef LIBPV_EVENTS_H
#define LIBPV_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <libpv/abi.h>
#include <libpv/traps.h>

typedef void (*pv_evtchn_handler_t)(evtchn_port_t port, struct pv_regs *regs,
				    void *arg);

/* Binds fn(port, regs, arg) to port and unmasks it. 0 or -errno. */
long pv_evtchn_bind(evtchn_port_t port, pv_evtchn_handler_t fn, void *arg);

/* Masks port and forgets its handler. */
void pv_evtchn_unbind(evtchn_port_t port);

long pv_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);
long pv_evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
				evtchn_port_t *local_port);
long pv_evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port);
long pv_evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port);
long pv_evtchn_send(evtchn_port_t port);
long pv_evtchn_close(evtchn_port_t port);
long pv_evtchn_status(struct evtchn_status *st);

/* Unmask through EVTCHNOP_unmask; mask and clear are guest-side bit ops. */
long pv_evtchn_unmask(evtchn_port_t port);
void pv_evtchn_mask(evtchn_port_t port);
void pv_evtchn_clear(evtchn_port_t port);
bool pv_evtchn_is_pending(evtchn_port_t port);
bool pv_evtchn_is_masked(evtchn_port_t port);

/* Upcalls taken and pending ports found without a handler, since boot. */
uint64_t pv_evtchn_upcalls(void);
uint64_t pv_evtchn_spurious(void);

/* The virtual interrupt flag (vcpu_info.evtchn_upcall_mask). */
void pv_irq_disable(void);
void pv_irq_enable(void);
/* Masks events and returns the previous mask (non-zero = was masked). */
unsigned int pv_irq_save(void);
/* Restores a mask returned by pv_irq_save(). */
void pv_irq_restore(unsigned int mask);
bool pv_irq_enabled(void);

/* Masks all ports, registers the callbacks; called by start-up. */
long pv_events_init(void);

/* The C halves of the event and failsafe entries (entry.S). */
void pv_evtchn_upcall(struct pv_regs *regs);
void pv_failsafe(const uint64_t *frame);

/*
 * The failsafe callback (pv-abi §8.10): Xeno could not reload one of the
 * interrupted context's data selectors (it loaded null instead). frame is
 * RCX R11 DS ES FS GS RIP CS RFLAGS RSP SS. A handler returning true
 * resumes the interrupted context (all its registers kept); without a
 * handler, or returning false, libpv prints the frame and crashes the
 * domain.
 */
typedef bool (*pv_failsafe_fn)(const uint64_t *frame);
void pv_failsafe_set_handler(pv_failsafe_fn fn);

#endif
