/* SPDX-License-Identifier: MIT */
/*
 * The guest ABI: Xen's public x86-64 PV interface as Xeno implements it
 * (numbers and layouts from ../shared/docs/pv-abi.md; the wording and the
 * code are Xeno's own). Pure C with fixed-width types: guests include
 * this file, and so does the hypervisor. Every size and offset that the
 * ABI fixes is checked by a _Static_assert.
 *
 * Shared structures say who writes each field: (H) the hypervisor,
 * (G) the guest, (H/G) both under the protocol given.
 */
#ifndef XEN_PUBLIC_XEN_H
#define XEN_PUBLIC_XEN_H

#include <stddef.h>
#include <stdint.h>

/* ---- addresses and selectors (pv-abi §2) ---------------------------- */

#define HYPERVISOR_VIRT_START 0xffff800000000000ULL
#define HYPERVISOR_VIRT_END   0xffff880000000000ULL
#define MACH2PHYS_VIRT_START  0xffff800000000000ULL
#define MACH2PHYS_VIRT_END    0xffff804000000000ULL
#define MACH2PHYS_NR_ENTRIES  0x800000000ULL

#define FLAT_RING3_CS32 0xe023
#define FLAT_RING3_DS32 0xe02b
#define FLAT_RING3_SS32 0xe02b
#define FLAT_RING3_CS64 0xe033
#define FLAT_RING3_SS64 0xe02b
#define FLAT_RING3_DS64 0x0000
#define FLAT_KERNEL_CS	FLAT_RING3_CS64
#define FLAT_KERNEL_SS	FLAT_RING3_SS64
#define FLAT_KERNEL_DS	FLAT_RING3_DS64
#define FLAT_USER_CS	FLAT_RING3_CS64
#define FLAT_USER_SS	FLAT_RING3_SS64
#define FLAT_USER_DS	FLAT_RING3_DS64

#define FIRST_RESERVED_GDT_PAGE	 14
#define FIRST_RESERVED_GDT_BYTE	 (FIRST_RESERVED_GDT_PAGE * 4096)
#define FIRST_RESERVED_GDT_ENTRY (FIRST_RESERVED_GDT_BYTE / 8)

/* ---- domain ids (§2.3) -------------------------------------------------- */

typedef uint16_t domid_t;

#define DOMID_FIRST_RESERVED 0x7ff0
#define DOMID_SELF	     0x7ff0
#define DOMID_IO	     0x7ff1
#define DOMID_XEN	     0x7ff2
#define DOMID_COW	     0x7ff3
#define DOMID_INVALID	     0x7ff4
#define DOMID_ANY	     0x7ff5
#define DOMID_IDLE	     0x7fff
#define DOMID_MASK	     0x7fff

/* ---- hypercall numbers (§5.3) ------------------------------------------ */

#define __HYPERVISOR_set_trap_table		   0
#define __HYPERVISOR_mmu_update			   1
#define __HYPERVISOR_set_gdt			   2
#define __HYPERVISOR_stack_switch		   3
#define __HYPERVISOR_set_callbacks		   4
#define __HYPERVISOR_fpu_taskswitch		   5
#define __HYPERVISOR_sched_op_compat		   6
#define __HYPERVISOR_platform_op		   7
#define __HYPERVISOR_set_debugreg		   8
#define __HYPERVISOR_get_debugreg		   9
#define __HYPERVISOR_update_descriptor		   10
#define __HYPERVISOR_memory_op			   12
#define __HYPERVISOR_multicall			   13
#define __HYPERVISOR_update_va_mapping		   14
#define __HYPERVISOR_set_timer_op		   15
#define __HYPERVISOR_event_channel_op_compat	   16
#define __HYPERVISOR_xen_version		   17
#define __HYPERVISOR_console_io			   18
#define __HYPERVISOR_physdev_op_compat		   19
#define __HYPERVISOR_grant_table_op		   20
#define __HYPERVISOR_vm_assist			   21
#define __HYPERVISOR_update_va_mapping_otherdomain 22
#define __HYPERVISOR_iret			   23
#define __HYPERVISOR_vcpu_op			   24
#define __HYPERVISOR_set_segment_base		   25
#define __HYPERVISOR_mmuext_op			   26
#define __HYPERVISOR_xsm_op			   27
#define __HYPERVISOR_nmi_op			   28
#define __HYPERVISOR_sched_op			   29
#define __HYPERVISOR_callback_op		   30
#define __HYPERVISOR_xenoprof_op		   31
#define __HYPERVISOR_event_channel_op		   32
#define __HYPERVISOR_physdev_op			   33
#define __HYPERVISOR_hvm_op			   34
#define __HYPERVISOR_sysctl			   35
#define __HYPERVISOR_domctl			   36
#define __HYPERVISOR_kexec_op			   37
#define __HYPERVISOR_tmem_op			   38
#define __HYPERVISOR_argo_op			   39
#define __HYPERVISOR_xenpmu_op			   40
#define __HYPERVISOR_dm_op			   41
#define __HYPERVISOR_hypfs_op			   42
#define __HYPERVISOR_arch_0			   48
#define NR_HYPERCALL_STUBS			   128 /* 32-byte stubs in the hypercall page */

/* ---- mmu_update (§6.1) ----------------------------------------------------- */

#define MMU_NORMAL_PT_UPDATE	   0
#define MMU_MACHPHYS_UPDATE	   1
#define MMU_PT_UPDATE_PRESERVE_AD  2
#define MMU_PT_UPDATE_NO_TRANSLATE 3
#define MMU_UPDATE_PREEMPTED	   0x80000000u /* reserved bit of count */

struct mmu_update {
	uint64_t ptr; /* machine address of the entry | command (bits 2:0) */
	uint64_t val; /* the new value */
};
typedef struct mmu_update mmu_update_t;

/* ---- mmuext_op (§6.2) ------------------------------------------------------ */

#define MMUEXT_PIN_L1_TABLE	  0
#define MMUEXT_PIN_L2_TABLE	  1
#define MMUEXT_PIN_L3_TABLE	  2
#define MMUEXT_PIN_L4_TABLE	  3
#define MMUEXT_UNPIN_TABLE	  4
#define MMUEXT_NEW_BASEPTR	  5
#define MMUEXT_TLB_FLUSH_LOCAL	  6
#define MMUEXT_INVLPG_LOCAL	  7
#define MMUEXT_TLB_FLUSH_MULTI	  8
#define MMUEXT_INVLPG_MULTI	  9
#define MMUEXT_TLB_FLUSH_ALL	  10
#define MMUEXT_INVLPG_ALL	  11
#define MMUEXT_FLUSH_CACHE	  12
#define MMUEXT_SET_LDT		  13
#define MMUEXT_NEW_USER_BASEPTR	  15
#define MMUEXT_CLEAR_PAGE	  16
#define MMUEXT_COPY_PAGE	  17
#define MMUEXT_FLUSH_CACHE_GLOBAL 18
#define MMUEXT_MARK_SUPER	  19
#define MMUEXT_UNMARK_SUPER	  20

struct mmuext_op {
	uint32_t cmd;
	uint32_t pad;
	union {
		uint64_t mfn;
		uint64_t linear_addr;
	} arg1;
	union {
		uint32_t nr_ents;
		uint64_t
			vcpumask; /* guest pointer to a bitmap of 64-bit words */
		uint64_t src_mfn;
	} arg2;
};
typedef struct mmuext_op mmuext_op_t;

/* ---- update_va_mapping flags (§6.3) ---------------------------------------- */

#define UVMF_NONE	    0UL
#define UVMF_TLB_FLUSH	    1UL
#define UVMF_INVLPG	    2UL
#define UVMF_FLUSHTYPE_MASK 3UL
#define UVMF_MULTI	    0UL /* flags & ~3 is a guest pointer to a vCPU bitmap */
#define UVMF_LOCAL	    0UL
#define UVMF_ALL	    4UL

/* ---- multicall (§5.4) ------------------------------------------------------ */

struct multicall_entry {
	uint64_t op;	  /* (G) hypercall number */
	int64_t result;	  /* (H) that call's return value */
	uint64_t args[6]; /* (G) arguments 1-5; the 6th is ignored */
};
typedef struct multicall_entry multicall_entry_t;

/* ---- start_info (§4.1) ----------------------------------------------------- */

#define MAX_GUEST_CMDLINE   1024
#define SIF_PRIVILEGED	    (1u << 0)
#define SIF_INITDOMAIN	    (1u << 1)
#define SIF_MULTIBOOT_MOD   (1u << 2)
#define SIF_MOD_START_PFN   (1u << 3)
#define SIF_VIRT_P2M_4TOOLS (1u << 4)
#define SIF_PM_MASK	    (0xffu << 8)

/* Written once by the domain builder (H); the guest only reads it. */
struct start_info {
	char magic[32]; /* "xen-3.0-x86_64" */
	uint64_t nr_pages;
	uint64_t shared_info; /* machine address of shared_info */
	uint32_t flags;	      /* SIF_* */
	uint32_t pad0;
	uint64_t store_mfn;
	uint32_t store_evtchn;
	uint32_t pad1;
	union {
		struct {
			uint64_t mfn;
			uint32_t evtchn;
			uint32_t pad;
		} domU;
		struct {
			uint32_t info_off;
			uint32_t info_size;
		} dom0;
	} console;
	uint64_t pt_base; /* VA of the bootstrap L4 */
	uint64_t nr_pt_frames;
	uint64_t mfn_list;  /* VA of the P2M list */
	uint64_t mod_start; /* VA (or PFN with SIF_MOD_START_PFN) */
	uint64_t mod_len;
	char cmd_line[MAX_GUEST_CMDLINE];
	uint64_t first_p2m_pfn;
	uint64_t nr_p2m_frames;
};
typedef struct start_info start_info_t;

/* ---- shared_info and its parts (§4.4-4.7) ---------------------------------- */

#define XEN_LEGACY_MAX_VCPUS	   32
#define XEN_PVCLOCK_TSC_STABLE_BIT (1u << 0)
#define XEN_PVCLOCK_GUEST_STOPPED  (1u << 1)

/*
 * (H) under a seqlock: version is incremented (to odd) before the fields
 * change and again (to even) after; a reader retries on odd or changed.
 */
struct vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;	    /* ns since boot at tsc_timestamp */
	uint32_t tsc_to_system_mul; /* 32.32 fixed point */
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad1[2];
};

struct arch_vcpu_info {
	uint64_t cr2; /* (H) address of the last #PF bounced */
	uint64_t pad;
};

struct vcpu_info {
	uint8_t evtchn_upcall_pending; /* (H) sets, (G) clears */
	uint8_t evtchn_upcall_mask;    /* (G): non-zero blocks upcalls */
	uint8_t pad0[6];
	uint64_t evtchn_pending_sel; /* (H) sets, (G) clears bits */
	struct arch_vcpu_info arch;
	struct vcpu_time_info time; /* (H) */
};

/* Written by the guest for save/restore tools; Xeno never changes it. */
struct arch_shared_info {
	uint64_t max_pfn;
	uint64_t pfn_to_mfn_frame_list_list;
	uint64_t nmi_reason; /* (H) */
	uint64_t p2m_cr3;
	uint64_t p2m_vaddr;
	uint64_t p2m_generation;
};

struct shared_info {
	struct vcpu_info vcpu_info[XEN_LEGACY_MAX_VCPUS];
	uint64_t evtchn_pending[64]; /* (H) sets, (G) clears */
	uint64_t evtchn_mask[64];    /* (G) */
	uint32_t wc_version;	     /* (H) seqlock over the wall clock */
	uint32_t wc_sec;
	uint32_t wc_nsec;
	uint32_t wc_sec_hi;
	struct arch_shared_info arch;
};
typedef struct shared_info shared_info_t;

/* ---- console ring (§4.9) ---------------------------------------------------- */

#define XENCONSOLE_CONNECTED	0
#define XENCONSOLE_DISCONNECTED 1

struct xencons_interface {
	char in[1024];		     /* (backend) */
	char out[2048];		     /* (G) */
	uint32_t in_cons, in_prod;   /* (G), (backend) */
	uint32_t out_cons, out_prod; /* (backend), (G) */
	uint8_t connection;
	uint8_t pad[3];
};

/* ---- layout checks ----------------------------------------------------------- */

#define XEN_ABI_CHECK(type, member, off)                       \
	_Static_assert(offsetof(struct type, member) == (off), \
		       #type "." #member)

_Static_assert(sizeof(struct mmu_update) == 16, "mmu_update");
_Static_assert(sizeof(struct mmuext_op) == 24, "mmuext_op");
XEN_ABI_CHECK(mmuext_op, arg1, 8);
XEN_ABI_CHECK(mmuext_op, arg2, 16);
_Static_assert(sizeof(struct multicall_entry) == 64, "multicall_entry");
XEN_ABI_CHECK(multicall_entry, args, 16);

_Static_assert(sizeof(struct start_info) == 1168, "start_info");
XEN_ABI_CHECK(start_info, nr_pages, 32);
XEN_ABI_CHECK(start_info, shared_info, 40);
XEN_ABI_CHECK(start_info, flags, 48);
XEN_ABI_CHECK(start_info, store_mfn, 56);
XEN_ABI_CHECK(start_info, store_evtchn, 64);
XEN_ABI_CHECK(start_info, console.domU.mfn, 72);
XEN_ABI_CHECK(start_info, console.domU.evtchn, 80);
XEN_ABI_CHECK(start_info, console.dom0.info_size, 76);
XEN_ABI_CHECK(start_info, pt_base, 88);
XEN_ABI_CHECK(start_info, nr_pt_frames, 96);
XEN_ABI_CHECK(start_info, mfn_list, 104);
XEN_ABI_CHECK(start_info, mod_start, 112);
XEN_ABI_CHECK(start_info, mod_len, 120);
XEN_ABI_CHECK(start_info, cmd_line, 128);
XEN_ABI_CHECK(start_info, first_p2m_pfn, 1152);
XEN_ABI_CHECK(start_info, nr_p2m_frames, 1160);

_Static_assert(sizeof(struct vcpu_time_info) == 32, "vcpu_time_info");
XEN_ABI_CHECK(vcpu_time_info, tsc_timestamp, 8);
XEN_ABI_CHECK(vcpu_time_info, system_time, 16);
XEN_ABI_CHECK(vcpu_time_info, tsc_to_system_mul, 24);
XEN_ABI_CHECK(vcpu_time_info, tsc_shift, 28);
XEN_ABI_CHECK(vcpu_time_info, flags, 29);
_Static_assert(sizeof(struct vcpu_info) == 64, "vcpu_info");
XEN_ABI_CHECK(vcpu_info, evtchn_upcall_mask, 1);
XEN_ABI_CHECK(vcpu_info, evtchn_pending_sel, 8);
XEN_ABI_CHECK(vcpu_info, arch.cr2, 16);
XEN_ABI_CHECK(vcpu_info, time, 32);
_Static_assert(sizeof(struct arch_shared_info) == 48, "arch_shared_info");
_Static_assert(sizeof(struct shared_info) == 3136, "shared_info");
XEN_ABI_CHECK(shared_info, evtchn_pending, 2048);
XEN_ABI_CHECK(shared_info, evtchn_mask, 2560);
XEN_ABI_CHECK(shared_info, wc_version, 3072);
XEN_ABI_CHECK(shared_info, wc_sec_hi, 3084);
XEN_ABI_CHECK(shared_info, arch, 3088);
XEN_ABI_CHECK(shared_info, arch.p2m_generation, 3128);
XEN_ABI_CHECK(xencons_interface, out, 1024);
XEN_ABI_CHECK(xencons_interface, in_cons, 3072);
XEN_ABI_CHECK(xencons_interface, out_prod, 3084);
XEN_ABI_CHECK(xencons_interface, connection, 3088);

#endif
