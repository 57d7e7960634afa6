/* SPDX-License-Identifier: MIT */
/*
 * What the domain builder reads from a libpv image (pv-abi §3.2-3.3,
 * §3.13): the Xen ELF notes, and the hypercall page it overwrites.
 *
 * The notes go to section .note.Xen, which guest.lds places in the text
 * segment and in a PT_NOTE segment. VIRT_BASE with PADDR_OFFSET 0 and
 * p_paddr = VA - VIRT_BASE (guest.lds) make the builder load every
 * segment at its link address.
 *
 * hypercall_page is filled with 0xc3 (ret) here; a builder that honours
 * the HYPERCALL_PAGE note overwrites it with stubs whose first byte is
 * not 0xc3, which start-up checks.
 */
#include <libpv/abi.h>

/* One note: namesz, descsz, type, "Xen\0", then the descriptor, 4-aligned. */
.macro XEN_NOTE type, kind, value
	.balign 4
	.long 4
	.long 2f - 1f
	.long \type
	.asciz "Xen"
	.balign 4
1:
	.if \kind == 0
	.asciz "\value"
	.else
	.quad \value
	.endif
2:
	.balign 4
.endm

#define STR 0
#define NUM 1

	.section .note.Xen, "a", @note
	.globl pv_xen_notes
pv_xen_notes:
	XEN_NOTE XEN_ELFNOTE_GUEST_OS, STR, "Xeno-libpv"
	XEN_NOTE XEN_ELFNOTE_GUEST_VERSION, STR, "0"
	XEN_NOTE XEN_ELFNOTE_LOADER, STR, "generic"
	XEN_NOTE XEN_ELFNOTE_XEN_VERSION, STR, "xen-3.0"
	XEN_NOTE XEN_ELFNOTE_VIRT_BASE, NUM, 0xffffffff80000000
	XEN_NOTE XEN_ELFNOTE_PADDR_OFFSET, NUM, 0
	XEN_NOTE XEN_ELFNOTE_HYPERCALL_PAGE, NUM, hypercall_page
	XEN_NOTE XEN_ELFNOTE_ENTRY, NUM, _start

	.section .text.hypercall_page, "ax", @progbits
	.balign 4096
	.globl hypercall_page
	.type hypercall_page, @object
hypercall_page:
	.fill 4096, 1, 0xc3
	.size hypercall_page, 4096

	.section .note.GNU-stack, "", @progbits
