/* SPDX-License-Identifier: MIT */
/*
 * The guest ABI, continued: the arguments of the non-MMU hypercalls
 * (traps, callbacks, iret, scheduling, events, vCPU operations, version,
 * console) as docs/pv-abi.md §7 and §8 fix them. Same conventions as
 * xen.h: pure C, fixed-width fields, a _Static_assert on every size and
 * offset the ABI fixes; (G) the guest writes the field, (H) the
 * hypervisor.
 */
#ifndef XEN_PUBLIC_PV_OPS_H
#define XEN_PUBLIC_PV_OPS_H

#include <public/xen.h>

/* ---- set_trap_table (§7.1) ---------------------------------------------- */

#define TI_DPL_MASK    3u /* virtual DPL for INT n */
#define TI_MASK_EVENTS 4u /* set the upcall mask on entry */

struct trap_info {
	uint8_t vector; /* (G) */
	uint8_t flags;	/* (G) TI_* */
	uint16_t cs;	/* (G) ignored for 64-bit delivery */
	uint32_t _pad;
	uint64_t address; /* (G) handler, 0 ends the table */
};

/* ---- iret (§7.5) ----------------------------------------------------- */

#define VGCF_in_syscall (1u << 8)

/* The frame at the guest's RSP when it issues the iret hypercall (G). */
struct iret_context {
	uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};

/* ---- callbacks (§7.2) ------------------------------------------------ */

#define CALLBACKTYPE_event		 0
#define CALLBACKTYPE_failsafe		 1
#define CALLBACKTYPE_syscall		 2
#define CALLBACKTYPE_sysenter_deprecated 3
#define CALLBACKTYPE_nmi		 4
#define CALLBACKTYPE_sysenter		 5
#define CALLBACKTYPE_syscall32		 7
#define CALLBACKF_mask_events		 (1u << 0)
#define CALLBACKOP_register		 0
#define CALLBACKOP_unregister		 1

struct callback_register {
	uint16_t type;	/* (G) */
	uint16_t flags; /* (G) CALLBACKF_* */
	uint32_t _pad;
	uint64_t address; /* (G) */
};

struct callback_unregister {
	uint16_t type; /* (G) */
	uint16_t _pad;
};

/* ---- set_segment_base (§7.4) ----------------------------------------- */

#define SEGBASE_FS	    0
#define SEGBASE_GS_USER	    1
#define SEGBASE_GS_KERNEL   2
#define SEGBASE_GS_USER_SEL 3

/* ---- vm_assist (§6.6) ------------------------------------------------ */

#define VMASST_CMD_enable  0
#define VMASST_CMD_disable 1

#define VMASST_TYPE_4gb_segments	 0
#define VMASST_TYPE_4gb_segments_notify	 1
#define VMASST_TYPE_writable_pagetables	 2
#define VMASST_TYPE_pae_extended_cr3	 3
#define VMASST_TYPE_architectural_iopl	 4
#define VMASST_TYPE_runstate_update_flag 5
#define VMASST_TYPE_m2p_strict		 32

/* ---- sched_op (§7.11) ------------------------------------------------ */

#define SCHEDOP_yield		0
#define SCHEDOP_block		1
#define SCHEDOP_shutdown	2
#define SCHEDOP_poll		3
#define SCHEDOP_remote_shutdown 4
#define SCHEDOP_shutdown_code	5
#define SCHEDOP_watchdog	6
#define SCHEDOP_pin_override	7

#define SHUTDOWN_poweroff   0
#define SHUTDOWN_reboot	    1
#define SHUTDOWN_suspend    2
#define SHUTDOWN_crash	    3
#define SHUTDOWN_watchdog   4
#define SHUTDOWN_soft_reset 5

#define SCHED_POLL_MAX_PORTS 128

struct sched_shutdown {
	uint32_t reason; /* (G) SHUTDOWN_* */
};

struct sched_poll {
	uint64_t ports;	   /* (G) guest pointer to evtchn_port_t[] */
	uint32_t nr_ports; /* (G) */
	uint32_t _pad;
	uint64_t timeout; /* (G) absolute system time (ns), 0 = none */
};

struct sched_remote_shutdown {
	uint16_t domain_id; /* (G) */
	uint16_t _pad;
	uint32_t reason; /* (G) */
};

/* ---- event_channel_op (§7.10) ---------------------------------------- */

typedef uint32_t evtchn_port_t;

#define EVTCHNOP_bind_interdomain 0
#define EVTCHNOP_bind_virq	  1
#define EVTCHNOP_bind_pirq	  2
#define EVTCHNOP_close		  3
#define EVTCHNOP_send		  4
#define EVTCHNOP_status		  5
#define EVTCHNOP_alloc_unbound	  6
#define EVTCHNOP_bind_ipi	  7
#define EVTCHNOP_bind_vcpu	  8
#define EVTCHNOP_unmask		  9
#define EVTCHNOP_reset		  10
#define EVTCHNOP_init_control	  11
#define EVTCHNOP_expand_array	  12
#define EVTCHNOP_set_priority	  13

#define EVTCHNSTAT_closed      0
#define EVTCHNSTAT_unbound     1
#define EVTCHNSTAT_interdomain 2
#define EVTCHNSTAT_pirq	       3
#define EVTCHNSTAT_virq	       4
#define EVTCHNSTAT_ipi	       5

/* 2-level ABI: 64 x 64 ports for a 64-bit guest. */
#define EVTCHN_2L_NR_PORTS 4096

#define VIRQ_TIMER   0
#define VIRQ_DEBUG   1
#define VIRQ_CONSOLE 2
#define VIRQ_DOM_EXC 3
#define NR_VIRQS     24

struct evtchn_alloc_unbound {
	domid_t dom, remote_dom; /* (G) */
	evtchn_port_t port;	 /* (H) */
};

struct evtchn_bind_interdomain {
	domid_t remote_dom; /* (G) */
	uint16_t _pad;
	evtchn_port_t remote_port; /* (G) */
	evtchn_port_t local_port;  /* (H) */
};

struct evtchn_bind_virq {
	uint32_t virq;	    /* (G) */
	uint32_t vcpu;	    /* (G) */
	evtchn_port_t port; /* (H) */
};

struct evtchn_bind_ipi {
	uint32_t vcpu;	    /* (G) */
	evtchn_port_t port; /* (H) */
};

struct evtchn_port_arg {    /* close, send, unmask */
	evtchn_port_t port; /* (G) */
};

struct evtchn_bind_vcpu {
	evtchn_port_t port; /* (G) */
	uint32_t vcpu;	    /* (G) */
};

struct evtchn_status {
	domid_t dom; /* (G) */
	uint16_t _pad;
	evtchn_port_t port; /* (G) */
	uint32_t status;    /* (H) EVTCHNSTAT_* */
	uint32_t vcpu;	    /* (H) */
	union {
		struct {
			domid_t dom;
		} unbound;
		struct {
			domid_t dom;
			uint16_t _pad;
			evtchn_port_t port;
		} interdomain;
		uint32_t pirq;
		uint32_t virq;
	} u; /* (H) */
};

/* ---- vcpu_op (§7.13) ------------------------------------------------- */

#define VCPUOP_initialise		      0
#define VCPUOP_up			      1
#define VCPUOP_down			      2
#define VCPUOP_is_up			      3
#define VCPUOP_get_runstate_info	      4
#define VCPUOP_register_runstate_memory_area  5
#define VCPUOP_set_periodic_timer	      6
#define VCPUOP_stop_periodic_timer	      7
#define VCPUOP_set_singleshot_timer	      8
#define VCPUOP_stop_singleshot_timer	      9
#define VCPUOP_register_vcpu_info	      10
#define VCPUOP_send_nmi			      11
#define VCPUOP_get_physid		      12
#define VCPUOP_register_vcpu_time_memory_area 13
#define VCPUOP_register_runstate_phys_area    14
#define VCPUOP_register_vcpu_time_phys_area   15

struct vcpu_set_singleshot_timer {
	uint64_t timeout_abs_ns; /* (G) */
	uint32_t flags;		 /* (G) ignored */
	uint32_t _pad;
};

struct vcpu_set_periodic_timer {
	uint64_t period_ns; /* (G) */
};

struct vcpu_register_vcpu_info {
	uint64_t mfn;	 /* (G) */
	uint32_t offset; /* (G) */
	uint32_t rsvd;
};

struct vcpu_runstate_info {
	int32_t state; /* (H) RUNSTATE_* */
	uint32_t _pad;
	uint64_t state_entry_time; /* (H) */
	uint64_t time[4];	   /* (H) ns in each state */
};

#define RUNSTATE_running  0
#define RUNSTATE_runnable 1
#define RUNSTATE_blocked  2
#define RUNSTATE_offline  3

/* state_entry_time bit 63 while the hypervisor rewrites a runstate area
   (with VMASST_TYPE_runstate_update_flag). */
#define XEN_RUNSTATE_UPDATE (1ULL << 63)

/* ---- xen_version (§7.15) --------------------------------------------- */

#define XENVER_version		   0
#define XENVER_extraversion	   1
#define XENVER_compile_info	   2
#define XENVER_capabilities	   3
#define XENVER_changeset	   4
#define XENVER_platform_parameters 5
#define XENVER_get_features	   6
#define XENVER_pagesize		   7
#define XENVER_guest_handle	   8
#define XENVER_commandline	   9

struct xen_feature_info {
	uint32_t submap_idx; /* (G) */
	uint32_t submap;     /* (H) */
};

/* ---- console_io (§7.14) ---------------------------------------------- */

#define CONSOLEIO_write 0
#define CONSOLEIO_read	1

/* ---- layout checks --------------------------------------------------- */

#define PV_ABI_CHECK(type, member, off)                        \
	_Static_assert(offsetof(struct type, member) == (off), \
		       #type "." #member)

_Static_assert(sizeof(struct trap_info) == 16, "trap_info");
PV_ABI_CHECK(trap_info, address, 8);
_Static_assert(sizeof(struct iret_context) == 72, "iret_context");
PV_ABI_CHECK(iret_context, flags, 24);
PV_ABI_CHECK(iret_context, ss, 64);
_Static_assert(sizeof(struct callback_register) == 16, "callback_register");
_Static_assert(sizeof(struct callback_unregister) == 4, "callback_unreg");
_Static_assert(sizeof(struct sched_shutdown) == 4, "sched_shutdown");
_Static_assert(sizeof(struct sched_poll) == 24, "sched_poll");
PV_ABI_CHECK(sched_poll, nr_ports, 8);
PV_ABI_CHECK(sched_poll, timeout, 16);
_Static_assert(sizeof(struct sched_remote_shutdown) == 8, "remote_shutdown");
_Static_assert(sizeof(struct evtchn_alloc_unbound) == 8, "alloc_unbound");
_Static_assert(sizeof(struct evtchn_bind_interdomain) == 12, "bind_interdom");
PV_ABI_CHECK(evtchn_bind_interdomain, remote_port, 4);
_Static_assert(sizeof(struct evtchn_bind_virq) == 12, "bind_virq");
_Static_assert(sizeof(struct evtchn_bind_ipi) == 8, "bind_ipi");
_Static_assert(sizeof(struct evtchn_status) == 24, "evtchn_status");
PV_ABI_CHECK(evtchn_status, u, 16);
_Static_assert(sizeof(struct vcpu_set_singleshot_timer) == 16, "sshot");
_Static_assert(sizeof(struct vcpu_register_vcpu_info) == 16, "reg_vcpu_info");
_Static_assert(sizeof(struct vcpu_runstate_info) == 48, "runstate_info");
_Static_assert(sizeof(struct xen_feature_info) == 8, "feature_info");

#endif
