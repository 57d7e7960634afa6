/* SPDX-License-Identifier: MIT */
/*
 * Xeno's own extensions of the guest ABI (docs/mm.md §10, and
 * docs/domains.md for xeno_domctl). They use hypercall numbers Xen does
 * not (64 and up, pv-abi §12) and follow the
 * rules of xen.h beside it: pure C, fixed-width fields, explicit padding,
 * every size and offset checked, and a note on who writes each field:
 * (H) the hypervisor, (G) the guest.
 *
 * xeno_mm_op(unsigned int cmd, void *arg): memory-management diagnostics.
 * Returns 0, or -ENOSYS for an unknown cmd, -EFAULT if arg cannot be read
 * or written, and the errors listed with each command. A refusal of
 * xeno_mm_op itself is not recorded as the vCPU's last refusal (it would
 * overwrite the one the guest is asking about).
 */
#ifndef XEN_PUBLIC_XENO_H
#define XEN_PUBLIC_XENO_H

#include <stddef.h>
#include <stdint.h>

#define __HYPERVISOR_xeno_mm_op 64

/*
 * XENO_MM_last_refusal: arg is a struct xeno_mm_refusal, written with the
 * calling vCPU's most recent refused MMU operation (mmu_update,
 * mmuext_op, update_va_mapping[_otherdomain], or a write to one of its
 * L1 tables that the writable page-table emulation refused:
 * XENO_MM_PTWR_FAULT below); seq is 0 if there was none yet.
 */
#define XENO_MM_last_refusal 0

/*
 * XENO_MM_frame_info: arg is a struct xeno_mm_frame_info whose mfn the
 * guest fills; Xeno writes the rest. The frame must belong to the
 * caller (-EPERM otherwise) unless the caller is privileged, who may ask
 * about any frame; a frame number beyond the end of memory is -EINVAL.
 */
#define XENO_MM_frame_info 1

/*
 * 2 is not a command (-ENOSYS): the per-CPU TLB counts it once gave are
 * xeno_stats_op XENO_STATS_read_cpu now (public/xeno_stats.h).
 */

/*
 * xeno_mm_refusal.hypercall of a refused writable page-table write (a
 * guest write fault on one of its L1 tables that Xeno did not emulate,
 * pv-abi §9.10): no hypercall has this number. cmd is then the #PF
 * error code as the guest received it, index 0, value as the reason
 * says (for an entry the checks refused: the whole 8-byte entry that
 * would have been written), table and slot the entry's.
 */
#define XENO_MM_PTWR_FAULT 0x100

/*
 * Why an MMU operation was refused (xeno_mm_refusal.reason). Each names
 * one check; "value" and "mfn" below say what the record's value and mfn
 * fields hold for it.
 */
enum xeno_why {
	XENO_WHY_NONE = 0, /* no refusal recorded */

	/* One page-table entry (pv-abi §9.5). value: the entry. */
	XENO_WHY_BAD_FLAGS = 1,	      /* a bit not allowed at the level; mfn:
				      the table */
	XENO_WHY_L1_ALL_ONES = 2,     /* L1 names the all-ones frame */
	XENO_WHY_L1_NOT_RAM = 3,      /* L1 maps MMIO, a hole or a frame beyond
				      memory: no I/O rights; mfn: it */
	XENO_WHY_L1_NOT_OWNER = 4,    /* L1 maps RAM the expected owner (FD)
				      does not own, or a free frame; mfn: it */
	XENO_WHY_TABLE_NOT_RAM = 5,   /* L2-L4 names a frame beyond memory */
	XENO_WHY_TABLE_NOT_OWNER = 6, /* L2-L4 names a frame the table's
					 owner does not own; mfn: it */
	XENO_WHY_LINEAR_DISABLED = 7, /* same-level entry, linear page
					 tables off; mfn: the target */
	XENO_WHY_LINEAR_WRITABLE = 8, /* same-level entry with RW */
	XENO_WHY_LINEAR_NOT_VALIDATED = 9, /* linear target not a validated
					      table of the level */
	XENO_WHY_LINEAR_CHAIN = 10, /* one level of linear-ness only (§9.7) */

	/* Page types (pv-abi §9.3, §9.4). value: the type asked for. */
	XENO_WHY_TYPE_CONFLICT = 11,  /* the frame has another type in use
					or is being validated as one */
	XENO_WHY_TYPE_OVERFLOW = 12,  /* its type count is at the maximum */
	XENO_WHY_GIVEN_BACK = 13,     /* the domain gave the frame back: it
					cannot become a table or be pinned */
	XENO_WHY_NOT_TABLE_TYPE = 14, /* pin with a type other than L1-L4 */
	XENO_WHY_NOT_OWN_FRAME = 15,  /* not a frame of the domain (FD);
					 value: the frame number */
	XENO_WHY_ALREADY_PINNED = 16,
	XENO_WHY_NOT_PINNED = 17,

	/* The hypercalls (pv-abi §6.1-6.3). */
	XENO_WHY_BAD_COMMAND = 18, /* unknown or unsupported command;
				      value: it */
	XENO_WHY_UNREADABLE = 19,  /* a request or argument cannot be read;
				      value: its address */
	XENO_WHY_UNWRITABLE = 20,  /* a result cannot be written (pdone);
				      value: its address */
	XENO_WHY_FD_SELF_ID = 21,  /* the caller's own id as foreign domain:
				      use DOMID_SELF; value: the id */
	XENO_WHY_FD_UNKNOWN = 22,  /* no such domain; value: the id */
	XENO_WHY_FD_NOT_PRIVILEGED = 23, /* a foreign domain, DOMID_IO or
					    DOMID_XEN needs privilege */
	XENO_WHY_FD_NOT_SELF = 24,     /* the command acts on the caller only */
	XENO_WHY_PFD_FOREIGN = 25,     /* MMU_MACHPHYS_UPDATE on behalf of
				      another domain */
	XENO_WHY_PTR_NOT_OWNER = 26,   /* mmu_update ptr is not in a frame of
					the table owner; value: ptr */
	XENO_WHY_NOT_UPDATABLE = 27,   /* the frame is neither a validated
					page table nor writable; value: ptr */
	XENO_WHY_HYPERVISOR_SLOT = 28, /* L4 slots 256-271 are Xeno's;
					  value: ptr */
	XENO_WHY_FD_NOT_PFD = 29,      /* an L2-L4 entry with a foreign FD */
	XENO_WHY_M2P_FRAME = 30,       /* MACHPHYS_UPDATE of a frame that is not
				     the FD's; value: ptr */
	XENO_WHY_LDT_BASE = 31,	       /* SET_LDT base not page aligned or not a
				     guest address; value: the base */
	XENO_WHY_LDT_ENTRIES = 32,     /* SET_LDT with more than 8192 entries */
	XENO_WHY_NO_IO_RIGHTS = 33,    /* cache flush without I/O resources */
	XENO_WHY_NO_SUPERPAGES = 34,   /* MARK/UNMARK_SUPER: not supported
					  (map with PS, docs/mm.md §13) */
	XENO_WHY_BAD_VA = 35,	       /* an address outside the guest's
					ranges; value: it */
	XENO_WHY_VA_UNMAPPED = 36,     /* update_va_mapping: no L1 for va (an
					upper entry absent or a superpage) */
	XENO_WHY_VA_NOT_L1 = 37,       /* update_va_mapping: the table for va
					is not a validated L1 of the caller */
	XENO_WHY_VCPUMASK = 38,	       /* the vCPU bitmap cannot be read;
					value: its address */

	/* Writable page tables (pv-abi §9.10, docs/mm.md "Writable page
	 * tables"): a write fault on an L1 the emulation refused. */
	XENO_WHY_PTWR_INSN = 39,  /* not an emulable store: unsupported
				     instruction or prefix, not naturally
				     aligned, or not at the faulting
				     address; value: the first 8 bytes of
				     the instruction (little-endian, missing
				     bytes 0) */
	XENO_WHY_PTWR_FETCH = 40, /* the instruction cannot be read; value:
				     its address (RIP) */

	/* Descriptor tables (pv-abi §9.11, docs/mm.md "Segment-descriptor
	 * pages"). */
	XENO_WHY_BAD_DESCRIPTOR = 41, /* a GDT/LDT descriptor the PV rules
					refuse; value: it */
	XENO_WHY_GDT_ENTRIES = 42,    /* set_gdt with more than 7168
					entries; value: the count */

	/*
	 * Superpages (docs/mm.md §13). value: the entry (UNDER_SUPERPAGE:
	 * the type asked for); mfn: the region's first frame
	 * (UNDER_SUPERPAGE: the frame).
	 */
	XENO_WHY_SUPERPAGE_UNSUPPORTED = 43, /* this size is off (boot
						option, or no 1 GiB pages) */
	XENO_WHY_SUPERPAGE_ALIGN = 44,	     /* frame not aligned to the
						superpage size */
	XENO_WHY_SUPERPAGE_NOT_RAM = 45,     /* region reaches beyond memory */
	XENO_WHY_SUPERPAGE_NOT_OWNER = 46,   /* a frame of the region is not
						on the table owner's list */
	XENO_WHY_SUPERPAGE_HAS_TABLES = 47,  /* a frame of the region is a
						page table or descriptor page */
	XENO_WHY_SUPERPAGE_OVERFLOW = 48,    /* too many superpage entries map
						the region */
	XENO_WHY_UNDER_SUPERPAGE = 49,	     /* the frame cannot become a page
						table or descriptor page: a
						superpage maps it */

	/*
	 * The LDT (pv-abi §6.2 MMUEXT_SET_LDT, docs/mm.md "The LDT").
	 * A refused LDT frame is otherwise reported by the page-type
	 * machine (TYPE_CONFLICT, BAD_DESCRIPTOR, NOT_OWN_FRAME).
	 */
	XENO_WHY_LDT_UNMAPPED = 50, /* a page of the LDT is not mapped in
				       the caller's kernel tables; value:
				       its address */
	XENO_WHY_NR = 51
};

/* xeno_mm_frame_info.type and xeno_mm_refusal.type */
#define XENO_FRAME_NONE	    0 /* no type, or a frame no domain owns */
#define XENO_FRAME_L1	    1
#define XENO_FRAME_L2	    2
#define XENO_FRAME_L3	    3
#define XENO_FRAME_L4	    4
#define XENO_FRAME_SEG_DESC 5
#define XENO_FRAME_WRITABLE 7

/* xeno_mm_frame_info.flags and xeno_mm_refusal.flags */
#define XENO_FRAME_PINNED    0x01 /* pinned by MMUEXT_PIN_Ln_TABLE */
#define XENO_FRAME_VALIDATED 0x02 /* every entry checked for the type */
#define XENO_FRAME_PARTIAL   0x04 /* validation preempted midway */
#define XENO_FRAME_BUSY	     0x08 /* a CPU is (de)validating it now */
#define XENO_FRAME_ON_LIST   0x10 /* its owner holds it (not given back) */

struct xeno_mm_refusal {
	uint64_t seq;	     /* (H) refusals recorded on this vCPU; 0: none */
	uint32_t hypercall;  /* (H) __HYPERVISOR_* of the refused call */
	uint32_t cmd;	     /* (H) the element's command (MMU_*, MMUEXT_*),
				UVMF flags for update_va_mapping */
	uint32_t index;	     /* (H) the element's index in the batch, as the
				guest numbered it (continuations included) */
	uint32_t reason;     /* (H) enum xeno_why */
	int32_t error;	     /* (H) the value returned, -errno */
	uint32_t slot;	     /* (H) index of the failing entry in table,
				~0 if not an entry */
	uint64_t value;	     /* (H) the offending value (see enum xeno_why) */
	uint64_t table;	     /* (H) frame of the table holding the failing
				entry, ~0 if none */
	uint64_t mfn;	     /* (H) the frame the check was about, ~0 if none;
				the fields below describe it */
	uint64_t type_info;  /* (H) its raw type word (docs/mm.md §10) */
	uint32_t count;	     /* (H) its general reference count */
	uint32_t type_count; /* (H) its type reference count */
	uint16_t owner;	     /* (H) its owner (DOMID_XEN: the hypervisor's,
				DOMID_INVALID: free) */
	uint8_t type;	     /* (H) XENO_FRAME_* type */
	uint8_t flags;	     /* (H) XENO_FRAME_* flags */
	uint32_t pad;	     /* (H) 0 */
};

struct xeno_mm_frame_info {
	uint64_t mfn;	     /* (G) the frame asked about */
	uint64_t type_info;  /* (H) its raw type word */
	uint64_t m2p;	     /* (H) its M2P entry (~0: none) */
	uint32_t count;	     /* (H) general reference count */
	uint32_t type_count; /* (H) type reference count */
	uint16_t owner;	     /* (H) as in xeno_mm_refusal */
	uint8_t type;	     /* (H) XENO_FRAME_* type */
	uint8_t flags;	     /* (H) XENO_FRAME_* flags */
	uint16_t linear_out; /* (H) linear entries this table holds */
	uint16_t linear_in;  /* (H) linear entries pointing at this table */
};

_Static_assert(sizeof(struct xeno_mm_refusal) == 80, "xeno_mm_refusal");
_Static_assert(offsetof(struct xeno_mm_refusal, hypercall) == 8, "hypercall");
_Static_assert(offsetof(struct xeno_mm_refusal, reason) == 20, "reason");
_Static_assert(offsetof(struct xeno_mm_refusal, error) == 24, "error");
_Static_assert(offsetof(struct xeno_mm_refusal, slot) == 28, "slot");
_Static_assert(offsetof(struct xeno_mm_refusal, value) == 32, "value");
_Static_assert(offsetof(struct xeno_mm_refusal, table) == 40, "table");
_Static_assert(offsetof(struct xeno_mm_refusal, mfn) == 48, "mfn");
_Static_assert(offsetof(struct xeno_mm_refusal, type_info) == 56, "type_info");
_Static_assert(offsetof(struct xeno_mm_refusal, count) == 64, "count");
_Static_assert(offsetof(struct xeno_mm_refusal, owner) == 72, "owner");
_Static_assert(offsetof(struct xeno_mm_refusal, type) == 74, "type");
_Static_assert(offsetof(struct xeno_mm_refusal, flags) == 75, "flags");
_Static_assert(offsetof(struct xeno_mm_refusal, pad) == 76, "pad");

_Static_assert(sizeof(struct xeno_mm_frame_info) == 40, "xeno_mm_frame_info");
_Static_assert(offsetof(struct xeno_mm_frame_info, type_info) == 8,
	       "type_info");
_Static_assert(offsetof(struct xeno_mm_frame_info, m2p) == 16, "m2p");
_Static_assert(offsetof(struct xeno_mm_frame_info, count) == 24, "count");
_Static_assert(offsetof(struct xeno_mm_frame_info, type_count) == 28,
	       "type_count");
_Static_assert(offsetof(struct xeno_mm_frame_info, owner) == 32, "owner");
_Static_assert(offsetof(struct xeno_mm_frame_info, type) == 34, "type");
_Static_assert(offsetof(struct xeno_mm_frame_info, flags) == 35, "flags");
_Static_assert(offsetof(struct xeno_mm_frame_info, linear_out) == 36,
	       "linear_out");
_Static_assert(offsetof(struct xeno_mm_frame_info, linear_in) == 38,
	       "linear_in");

/*
 * ---- xeno_domctl: domain control by the control domain ----------------
 *
 * xeno_domctl(unsigned int cmd, void *arg) (hypercall 66, docs/domains.md
 * "Domain control"). Only a privileged domain (dom0) may call it: any
 * other caller gets -EPERM for every cmd, before arg is read. It is
 * Xeno's own interface, not Xen's domctl (36, which Xeno does not
 * implement): no interface version, one small struct per command.
 *
 * Errors common to every command: -ENOSYS for an unknown cmd (as Xen
 * answers unknown sub-ops), -EFAULT if arg cannot be read or written,
 * -EINVAL for a reserved field or flag that is not 0, -ESRCH for a domain
 * id that names no domain (DOMID_SELF names the caller). Each command
 * lists its own errors.
 */
#define __HYPERVISOR_xeno_domctl 66

/*
 * XENO_DOMCTL_create: arg is a struct xeno_domctl_create. Builds a PV
 * domain from the image of boot module `module` (docs/domains.md: every
 * boot module stays in memory), gives it the lowest free id and starts
 * it (or leaves it paused with XENO_DOMCTL_CREATE_PAUSED). Errors:
 * -EINVAL for a bad field (module index, name not 1-31 characters and
 * NUL-terminated, cmdline not NUL-terminated, mem below 1 MiB or above
 * maxmem, vcpus not 1-64, weight above 65535, cpu not online), or an
 * image the builder refuses (not a PV ELF, too big for mem); -ENOSPC if
 * every domain id is taken; -ENOMEM if memory runs out, with nothing of
 * the new domain left allocated.
 */
#define XENO_DOMCTL_create 0

/*
 * XENO_DOMCTL_destroy: arg is a struct xeno_domctl_domain. Shuts the
 * domain down (if it still runs), takes its vCPUs off every CPU and
 * destroys it before returning: every frame it owned is back in the free
 * pool (scrubbed before reuse) when the call returns, except frames
 * another domain still maps. -EINVAL for the caller itself, -EPERM for a
 * privileged domain.
 */
#define XENO_DOMCTL_destroy 1

/*
 * XENO_DOMCTL_pause / XENO_DOMCTL_unpause: arg is a struct
 * xeno_domctl_domain. Pause takes every vCPU off the CPUs and returns
 * once none runs; events still arrive and are delivered after unpause.
 * Pauses do not nest: one unpause ends any number of pauses. -EINVAL for
 * the caller itself, -ESRCH for a domain that has shut down.
 */
#define XENO_DOMCTL_pause   2
#define XENO_DOMCTL_unpause 3

/*
 * XENO_DOMCTL_set_weight: arg is a struct xeno_domctl_domain whose
 * `value` is the new scheduler weight, 1..65535 (-EINVAL otherwise);
 * -ESRCH for a domain that has shut down.
 */
#define XENO_DOMCTL_set_weight 4

/*
 * XENO_DOMCTL_getinfo: arg is a struct xeno_domctl_getinfo whose domid,
 * max_vcpus and vcpus the caller fills; Xeno writes the rest, and the
 * first min(max_vcpus, nr_vcpus) entries of vcpus (a guest pointer to an
 * array of struct xeno_domctl_vcpuinfo; ignored when max_vcpus is 0). A
 * domain that has shut down but is not destroyed yet is still found.
 */
#define XENO_DOMCTL_getinfo 5

/* XENO_DOMCTL_sysinfo: arg is a struct xeno_domctl_sysinfo (out). */
#define XENO_DOMCTL_sysinfo 6

/* xeno_domctl_create.flags */
#define XENO_DOMCTL_CREATE_PAUSED 0x1 /* do not start it */

/* xeno_domctl_create.cpu: let Xeno place the vCPUs. */
#define XENO_DOMCTL_CPU_ANY 0xffffffffu

struct xeno_domctl_create {
	uint64_t mem;	   /* (G) bytes of RAM at start, >= 1 MiB */
	uint64_t maxmem;   /* (G) most bytes it may grow to; 0: mem */
	uint32_t module;   /* (G) index of the boot module with the image */
	uint32_t vcpus;	   /* (G) 1..64 (vCPU 0 starts) */
	uint32_t weight;   /* (G) scheduler weight; 0: the default 256 */
	uint32_t cpu;	   /* (G) CPU whose queue the vCPUs start on, or
			      XENO_DOMCTL_CPU_ANY */
	uint32_t flags;	   /* (G) XENO_DOMCTL_CREATE_* */
	uint16_t domid;	   /* (H) the new domain's id */
	uint16_t pad;	   /* (G) 0 */
	char name[32];	   /* (G) 1..31 characters, NUL-terminated */
	char cmdline[256]; /* (G) its start_info.cmd_line, NUL-terminated */
};

struct xeno_domctl_domain {
	uint16_t domid; /* (G) the domain */
	uint16_t pad;	/* (G) 0 */
	uint32_t value; /* (G) set_weight: the weight; otherwise 0 */
};

/* xeno_domctl_getinfo.state */
#define XENO_DOMSTATE_running  0 /* running (some vCPUs may block) */
#define XENO_DOMSTATE_paused   1 /* held off the CPUs by XENO_DOMCTL_pause */
#define XENO_DOMSTATE_shutdown 2 /* shut down, being destroyed */

/* xeno_domctl_getinfo.flags */
#define XENO_DOMINFO_PRIVILEGED 0x1

struct xeno_domctl_vcpuinfo {
	uint64_t cpu_time_ns;	   /* (H) CPU time it has used */
	uint64_t runstate_time[4]; /* (H) ns in each RUNSTATE_* */
	uint32_t state;		   /* (H) RUNSTATE_* now */
	uint32_t cpu;		   /* (H) CPU it runs on or waits for */
};

struct xeno_domctl_getinfo {
	uint16_t domid;		  /* (G) the domain */
	uint16_t pad;		  /* (G) 0 */
	uint32_t max_vcpus;	  /* (G) entries vcpus can hold */
	uint64_t vcpus;		  /* (G) guest pointer to the entries, or 0 */
	uint32_t state;		  /* (H) XENO_DOMSTATE_* */
	uint32_t shutdown_reason; /* (H) SHUTDOWN_*, when shut down */
	uint32_t nr_vcpus;	  /* (H) its vCPUs */
	uint32_t weight;	  /* (H) its scheduler weight */
	uint64_t tot_pages;	  /* (H) frames it owns */
	uint64_t max_pages;	  /* (H) most frames it may own */
	uint64_t cpu_time_ns;	  /* (H) CPU time of all its vCPUs */
	uint64_t created_ns;	  /* (H) system time of its creation */
	uint32_t flags;		  /* (H) XENO_DOMINFO_* */
	uint32_t pad2;		  /* (H) 0 */
	char name[32];		  /* (H) its name */
};

struct xeno_domctl_sysinfo {
	uint64_t free_frames;  /* (H) frames in the free pool */
	uint64_t total_frames; /* (H) frames the allocator manages */
	uint64_t heap_frames;  /* (H) frames the hypervisor heap holds */
	uint64_t steals;       /* (H) vCPUs taken from another CPU's queue */
	uint64_t switches;     /* (H) context switches */
	uint32_t nr_cpus;      /* (H) CPUs online */
	uint32_t nr_domains;   /* (H) domains alive (not destroyed) */
	uint32_t nr_modules;   /* (H) boot modules (image indexes) */
	uint32_t audits;       /* (H) invariant checks run at destroys */
	uint32_t flags;	       /* (H) XENO_SYSINFO_* */
	uint32_t late_slices;  /* (H) slices that ended more than two slices
				  late: the CPU itself was held up (by its
				  host, under an emulator) */
	uint64_t stalled_ns;   /* (H) time CPUs were held up while a vCPU
				  was on them, not charged to it (timer
				  interrupts that came late) */
	uint64_t stalls;       /* (H) how many such late interrupts */
};

/* xeno_domctl_sysinfo.flags */
#define XENO_SYSINFO_DEBUG \
	0x1 /* a debug build: invariants checked at
				  every destroy */

_Static_assert(sizeof(struct xeno_domctl_create) == 328, "domctl_create");
_Static_assert(offsetof(struct xeno_domctl_create, module) == 16, "module");
_Static_assert(offsetof(struct xeno_domctl_create, flags) == 32, "flags");
_Static_assert(offsetof(struct xeno_domctl_create, domid) == 36, "domid");
_Static_assert(offsetof(struct xeno_domctl_create, name) == 40, "name");
_Static_assert(offsetof(struct xeno_domctl_create, cmdline) == 72, "cmdline");
_Static_assert(sizeof(struct xeno_domctl_domain) == 8, "domctl_domain");
_Static_assert(sizeof(struct xeno_domctl_vcpuinfo) == 48, "vcpuinfo");
_Static_assert(offsetof(struct xeno_domctl_vcpuinfo, state) == 40, "state");
_Static_assert(sizeof(struct xeno_domctl_getinfo) == 104, "getinfo");
_Static_assert(offsetof(struct xeno_domctl_getinfo, vcpus) == 8, "vcpus");
_Static_assert(offsetof(struct xeno_domctl_getinfo, tot_pages) == 32,
	       "tot_pages");
_Static_assert(offsetof(struct xeno_domctl_getinfo, flags) == 64, "flags");
_Static_assert(offsetof(struct xeno_domctl_getinfo, name) == 72, "name");
_Static_assert(sizeof(struct xeno_domctl_sysinfo) == 80, "sysinfo");
_Static_assert(offsetof(struct xeno_domctl_sysinfo, nr_cpus) == 40, "nr_cpus");

#endif
