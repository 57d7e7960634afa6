/* SPDX-License-Identifier: MIT */
/*
 * memory_op (hypercall 12): the reservation interface of pv-abi §6.4
 * (Xen's numbers and layout). Xeno implements the commands below for
 * the caller's own memory (docs/hypercalls.md, docs/mm.md §21).
 */
#ifndef PUBLIC_MEMORY_H
#define PUBLIC_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_current_reservation  3
#define XENMEM_maximum_reservation  4
#define XENMEM_populate_physmap	    6

/* Bits 63:6 of cmd: the extent a continued reservation call resumes at. */
#define XENMEM_CMD_MASK	    0x3f
#define XENMEM_EXTENT_SHIFT 6
#define XENMEM_MAX_EXTENTS  0x3ffffffULL

struct xen_memory_reservation {
	uint64_t extent_start; /* guest pointer to 64-bit frame numbers */
	uint64_t nr_extents;
	uint32_t extent_order; /* log2 of frames per extent */
	uint32_t mem_flags;    /* XENMEMF_*: address bits, NUMA node */
	uint16_t domid;	       /* DOMID_SELF */
	uint16_t pad[3];
};

_Static_assert(sizeof(struct xen_memory_reservation) == 32,
	       "xen_memory_reservation");
_Static_assert(offsetof(struct xen_memory_reservation, domid) == 24, "domid");

#endif
