/* SPDX-License-Identifier: MIT */
/*
 * ABI definitions a PV guest needs that the public headers
 * (xen/include/public/xen.h, pv_ops.h, xeno.h) do not carry yet: the ELF
 * note types (pv-abi §3.3), memory_op, grant tables, physdev_op, nmi_op,
 * the vCPU context of VCPUOP_initialise, and the rarer constants of §7.
 * Numbers and layouts come from docs/pv-abi.md; wording and code are
 * Xeno's own. Everything here is meant to move into the public headers;
 * until then only guests include it, and it includes them.
 *
 * The first part (numbers only) is safe to include from assembly; the
 * structures follow under !__ASSEMBLY__, each with the size and offset
 * checks the ABI fixes. (G) marks fields the guest fills, (H) fields the
 * hypervisor writes back.
 */
#ifndef LIBPV_ABI_H
#define LIBPV_ABI_H

/* ---- ELF note types (§3.3), note name "Xen" ------------------------------- */

#define XEN_ELFNOTE_INFO	       0
#define XEN_ELFNOTE_ENTRY	       1
#define XEN_ELFNOTE_HYPERCALL_PAGE     2
#define XEN_ELFNOTE_VIRT_BASE	       3
#define XEN_ELFNOTE_PADDR_OFFSET       4
#define XEN_ELFNOTE_XEN_VERSION	       5
#define XEN_ELFNOTE_GUEST_OS	       6
#define XEN_ELFNOTE_GUEST_VERSION      7
#define XEN_ELFNOTE_LOADER	       8
#define XEN_ELFNOTE_PAE_MODE	       9
#define XEN_ELFNOTE_FEATURES	       10
#define XEN_ELFNOTE_BSD_SYMTAB	       11
#define XEN_ELFNOTE_HV_START_LOW       12
#define XEN_ELFNOTE_L1_MFN_VALID       13
#define XEN_ELFNOTE_SUSPEND_CANCEL     14
#define XEN_ELFNOTE_INIT_P2M	       15
#define XEN_ELFNOTE_MOD_START_PFN      16
#define XEN_ELFNOTE_SUPPORTED_FEATURES 17
#define XEN_ELFNOTE_PHYS32_ENTRY       18
#define XEN_ELFNOTE_PHYS32_RELOC       19

/* vCPU context flags (§7.13) are in public/vcpu_context.h. */

/* vm_assist types (§6.6) are in public/pv_ops.h. */

/* ---- memory_op (§6.4) ---------------------------------------------------- */

#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_maximum_ram_page	    2
#define XENMEM_current_reservation  3
#define XENMEM_maximum_reservation  4
#define XENMEM_machphys_mfn_list    5
#define XENMEM_populate_physmap	    6
#define XENMEM_add_to_physmap	    7
#define XENMEM_memory_map	    9
#define XENMEM_machine_memory_map   10
#define XENMEM_exchange		    11
#define XENMEM_machphys_mapping	    12
#define XENMEM_maximum_gpfn	    14
#define XENMEM_remove_from_physmap  15
#define XENMEM_get_vnumainfo	    26
#define XENMEM_CMD_MASK		    0x3f /* bits 63:6: continuation, 0 when fresh */

/* ---- grant_table_op (§6.5) ----------------------------------------------- */

#define GNTTABOP_map_grant_ref	   0
#define GNTTABOP_unmap_grant_ref   1
#define GNTTABOP_setup_table	   2
#define GNTTABOP_dump_table	   3
#define GNTTABOP_transfer	   4
#define GNTTABOP_copy		   5
#define GNTTABOP_query_size	   6
#define GNTTABOP_unmap_and_replace 7
#define GNTTABOP_set_version	   8
#define GNTTABOP_get_status_frames 9
#define GNTTABOP_get_version	   10
#define GNTTABOP_swap_grant_ref	   11
#define GNTTABOP_cache_flush	   12
#define GNTTAB_NR_RESERVED_ENTRIES 8

#define GTF_invalid	       0x0000
#define GTF_permit_access      0x0001
#define GTF_accept_transfer    0x0002
#define GTF_transitive	       0x0003
#define GTF_type_mask	       0x0003
#define GTF_readonly	       (1u << 2)
#define GTF_reading	       (1u << 3)
#define GTF_writing	       (1u << 4)
#define GTF_PWT		       (1u << 5)
#define GTF_PCD		       (1u << 6)
#define GTF_PAT		       (1u << 7)
#define GTF_sub_page	       (1u << 8)
#define GTF_transfer_committed (1u << 2)
#define GTF_transfer_completed (1u << 3)

#define GNTMAP_device_map      (1u << 0)
#define GNTMAP_host_map	       (1u << 1)
#define GNTMAP_readonly	       (1u << 2)
#define GNTMAP_application_map (1u << 3)
#define GNTMAP_contains_pte    (1u << 4)

#define GNTCOPY_source_gref (1u << 0)
#define GNTCOPY_dest_gref   (1u << 1)

#define GNTST_okay		0
#define GNTST_general_error	(-1)
#define GNTST_bad_domain	(-2)
#define GNTST_bad_gntref	(-3)
#define GNTST_bad_handle	(-4)
#define GNTST_bad_virt_addr	(-5)
#define GNTST_bad_dev_addr	(-6)
#define GNTST_no_device_space	(-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page		(-9)
#define GNTST_bad_copy_arg	(-10)
#define GNTST_address_too_big	(-11)
#define GNTST_eagain		(-12)
#define GNTST_no_space		(-13)

/* ---- VIRQs beyond pv_ops.h (§7.10) ------------------------------------- */

#define VIRQ_TBUF	4
#define VIRQ_DEBUGGER	6
#define VIRQ_XENOPROF	7
#define VIRQ_CON_RING	8
#define VIRQ_PCPU_STATE 9
#define VIRQ_MEM_EVENT	10
#define VIRQ_ARGO	11
#define VIRQ_ENOMEM	12
#define VIRQ_XENPMU	13
#define VIRQ_ARCH_0	16

/* ---- vcpu_op (§7.13): the commands pv_ops.h lacks ----------------------- */

#define VCPUOP_register_vcpu_time_memory_area 13
#define VCPUOP_register_runstate_phys_area    14
#define VCPUOP_register_vcpu_time_phys_area   15

#define VCPU_SSHOTTMR_future (1u << 0)

/* ---- xen_version (§7.15): the commands pv_ops.h lacks ------------------- */

#define XENVER_build_id	     10
#define XENVER_extraversion2 11
#define XENVER_capabilities2 12
#define XENVER_changeset2    13
#define XENVER_commandline2  14

#define XEN_EXTRAVERSION_LEN 16
#define XEN_CAPABILITIES_LEN 1024
#define XEN_CHANGESET_LEN    64

/* XENFEAT bit numbers (§3.4), as returned by XENVER_get_features. */
#define XENFEAT_writable_page_tables	   0
#define XENFEAT_writable_descriptor_tables 1
#define XENFEAT_auto_translated_physmap	   2
#define XENFEAT_supervisor_mode_kernel	   3
#define XENFEAT_pae_pgdir_above_4gb	   4
#define XENFEAT_mmu_pt_update_preserve_ad  5
#define XENFEAT_highmem_assist		   6
#define XENFEAT_gnttab_map_avail_bits	   7
#define XENFEAT_dom0			   11
#define XENFEAT_direct_mapped		   17

/* ---- physdev_op (§7.16) -------------------------------------------------- */

#define PHYSDEVOP_irq_status_query 5
#define PHYSDEVOP_set_iopl	   6
#define PHYSDEVOP_set_iobitmap	   7
#define PHYSDEVOP_eoi		   12
#define PHYSDEVOP_pirq_eoi_gmfn_v1 17
#define PHYSDEVOP_pirq_eoi_gmfn_v2 28

/* ---- nmi_op (§7.17) ------------------------------------------------------ */

#define XENNMI_register_callback   0
#define XENNMI_unregister_callback 1

#ifndef __ASSEMBLY__

#include <stddef.h>
#include <stdint.h>

#include <public/pv_ops.h>
#include <public/vcpu_context.h>
#include <public/xen.h>
#include <public/xeno.h>
#include <public/xeno_stats.h>

typedef uint32_t grant_ref_t;
typedef uint32_t grant_handle_t;

struct sched_watchdog {
	uint32_t id;
	uint32_t timeout; /* seconds */
};

struct evtchn_bind_pirq {
	uint32_t pirq;
	uint32_t flags;
	evtchn_port_t port;
};

struct evtchn_reset {
	domid_t dom;
};

/* cpu_user_regs and vcpu_guest_context (§7.13): public/vcpu_context.h. */

struct xen_memory_reservation {
	uint64_t extent_start; /* guest pointer to uint64_t[nr_extents] */
	uint64_t nr_extents;
	uint32_t extent_order;
	uint32_t mem_flags;
	domid_t domid;
	uint16_t pad[3];
};

struct xen_memory_exchange {
	struct xen_memory_reservation in;
	struct xen_memory_reservation out;
	uint64_t nr_exchanged; /* must be 0 on entry */
};

struct xen_machphys_mfn_list {
	uint32_t max_extents;
	uint32_t pad;
	uint64_t extent_start; /* guest pointer to uint64_t[max_extents] */
	uint32_t nr_extents;   /* (H) */
	uint32_t pad1;
};

struct xen_machphys_mapping {
	uint64_t v_start, v_end, max_mfn; /* (H) */
};

struct xen_memory_map {
	uint32_t nr_entries; /* capacity in, count out */
	uint32_t pad;
	uint64_t buffer; /* guest pointer to packed 20-byte E820 records */
};

struct grant_entry_v1 {
	uint16_t flags; /* GTF_*; written last, after a barrier */
	domid_t domid;
	uint32_t frame;
};

struct gnttab_setup_table {
	domid_t dom;
	uint16_t pad;
	uint32_t nr_frames;
	int16_t status; /* (H) GNTST_* */
	uint16_t pad1[3];
	uint64_t frame_list; /* guest pointer; (H) fills MFNs */
};

struct gnttab_query_size {
	domid_t dom;
	uint16_t pad;
	uint32_t nr_frames;	/* (H) */
	uint32_t max_nr_frames; /* (H) */
	int16_t status;		/* (H) */
	uint16_t pad1;
};

struct gnttab_map_grant_ref {
	uint64_t host_addr;
	uint32_t flags; /* GNTMAP_* */
	grant_ref_t ref;
	domid_t dom;
	int16_t status;	       /* (H) */
	grant_handle_t handle; /* (H) */
	uint64_t dev_bus_addr; /* (H) */
};

struct gnttab_unmap_grant_ref {
	uint64_t host_addr;
	uint64_t dev_bus_addr;
	grant_handle_t handle;
	int16_t status; /* (H) */
	uint16_t pad;
};

struct gnttab_copy_ptr {
	union {
		grant_ref_t ref;
		uint64_t gmfn;
	} u;
	domid_t domid;
	uint16_t offset;
	uint32_t pad;
};

struct gnttab_copy {
	struct gnttab_copy_ptr source, dest;
	uint16_t len;
	uint16_t flags; /* GNTCOPY_* */
	int16_t status; /* (H) */
	uint16_t pad;
};

struct physdev_irq_status_query {
	uint32_t irq;
	uint32_t flags; /* (H) */
};

struct physdev_set_iopl {
	uint32_t iopl;
};

struct physdev_set_iobitmap {
	uint64_t bitmap; /* guest pointer */
	uint32_t nr_ports;
	uint32_t pad;
};

struct xennmi_callback {
	uint64_t handler_address;
	uint64_t pad;
};

#define LIBPV_ABI_SIZE(type, size) \
	_Static_assert(sizeof(struct type) == (size), #type)

LIBPV_ABI_SIZE(sched_watchdog, 8);
LIBPV_ABI_SIZE(evtchn_bind_pirq, 12);
LIBPV_ABI_SIZE(evtchn_reset, 2);
LIBPV_ABI_SIZE(cpu_user_regs, 200);
XEN_ABI_CHECK(cpu_user_regs, error_code, 120);
XEN_ABI_CHECK(cpu_user_regs, rip, 128);
XEN_ABI_CHECK(cpu_user_regs, saved_upcall_mask, 140);
XEN_ABI_CHECK(cpu_user_regs, ss, 160);
XEN_ABI_CHECK(cpu_user_regs, gs, 192);
LIBPV_ABI_SIZE(vcpu_guest_context, 5168);
XEN_ABI_CHECK(vcpu_guest_context, user_regs, 520);
XEN_ABI_CHECK(vcpu_guest_context, trap_ctxt, 720);
XEN_ABI_CHECK(vcpu_guest_context, ldt_base, 4816);
XEN_ABI_CHECK(vcpu_guest_context, gdt_frames, 4832);
XEN_ABI_CHECK(vcpu_guest_context, kernel_ss, 4968);
XEN_ABI_CHECK(vcpu_guest_context, ctrlreg, 4984);
XEN_ABI_CHECK(vcpu_guest_context, debugreg, 5048);
XEN_ABI_CHECK(vcpu_guest_context, event_callback_eip, 5112);
XEN_ABI_CHECK(vcpu_guest_context, vm_assist, 5136);
XEN_ABI_CHECK(vcpu_guest_context, gs_base_user, 5160);
LIBPV_ABI_SIZE(xen_memory_reservation, 32);
XEN_ABI_CHECK(xen_memory_reservation, extent_order, 16);
XEN_ABI_CHECK(xen_memory_reservation, domid, 24);
LIBPV_ABI_SIZE(xen_memory_exchange, 72);
LIBPV_ABI_SIZE(xen_machphys_mfn_list, 24);
LIBPV_ABI_SIZE(xen_machphys_mapping, 24);
LIBPV_ABI_SIZE(xen_memory_map, 16);
LIBPV_ABI_SIZE(grant_entry_v1, 8);
LIBPV_ABI_SIZE(gnttab_setup_table, 24);
XEN_ABI_CHECK(gnttab_setup_table, status, 8);
XEN_ABI_CHECK(gnttab_setup_table, frame_list, 16);
LIBPV_ABI_SIZE(gnttab_query_size, 16);
XEN_ABI_CHECK(gnttab_query_size, status, 12);
LIBPV_ABI_SIZE(gnttab_map_grant_ref, 32);
XEN_ABI_CHECK(gnttab_map_grant_ref, status, 18);
XEN_ABI_CHECK(gnttab_map_grant_ref, dev_bus_addr, 24);
LIBPV_ABI_SIZE(gnttab_unmap_grant_ref, 24);
XEN_ABI_CHECK(gnttab_unmap_grant_ref, status, 20);
LIBPV_ABI_SIZE(gnttab_copy, 40);
XEN_ABI_CHECK(gnttab_copy, dest.offset, 26);
XEN_ABI_CHECK(gnttab_copy, len, 32);
XEN_ABI_CHECK(gnttab_copy, status, 36);
LIBPV_ABI_SIZE(physdev_irq_status_query, 8);
LIBPV_ABI_SIZE(physdev_set_iopl, 4);
LIBPV_ABI_SIZE(physdev_set_iobitmap, 16);
LIBPV_ABI_SIZE(xennmi_callback, 16);

#endif /* !__ASSEMBLY__ */

#endif
