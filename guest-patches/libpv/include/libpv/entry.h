/* SPDX-License-Identifier: MIT */
/*
 * Numbers shared by the assembly entry code (entry.S) and C: the layout of
 * struct pv_regs and the pseudo-vectors of non-exception entries. Safe to
 * include from assembly. traps.c checks every offset against the C struct
 * and PV_HYPERCALL_IRET against xen.h, so the two cannot drift apart.
 */
#ifndef LIBPV_ENTRY_H
#define LIBPV_ENTRY_H

/* Offsets in struct pv_regs (libpv/traps.h); lowest address first. */
#define PV_REGS_R15    0
#define PV_REGS_R14    8
#define PV_REGS_R13    16
#define PV_REGS_R12    24
#define PV_REGS_RBP    32
#define PV_REGS_RBX    40
#define PV_REGS_R11    48
#define PV_REGS_R10    56
#define PV_REGS_R9     64
#define PV_REGS_R8     72
#define PV_REGS_RAX    80
#define PV_REGS_RCX    88
#define PV_REGS_RDX    96
#define PV_REGS_RSI    104
#define PV_REGS_RDI    112
#define PV_REGS_VECTOR 120
#define PV_REGS_ERROR  128
#define PV_REGS_RIP    136
#define PV_REGS_CS     144
#define PV_REGS_RFLAGS 152
#define PV_REGS_RSP    160
#define PV_REGS_SS     168
#define PV_REGS_SIZE   176

/* pv_regs.vector of an event upcall (exceptions use 0-31). */
#define PV_VECTOR_EVENT 256

/*
 * pv_regs.vector of a user system call: SYSCALL through the syscall
 * callback, or INT $0x80 (libpv/user.h).
 */
#define PV_VECTOR_SYSCALL 257
#define PV_VECTOR_INT80	  0x80

/* iret_context.flags: VGCF_in_syscall of pv_ops.h (user.c checks it). */
#define PV_VGCF_IN_SYSCALL 0x100

/* __HYPERVISOR_iret of xen.h, which assembly cannot include. */
#define PV_HYPERCALL_IRET 23

/* Offsets in struct vcpu_info (xen.h) that the return path reads. */
#define PV_VCPU_UPCALL_PENDING 0
#define PV_VCPU_UPCALL_MASK    1

#define PV_RFLAGS_IF 0x200

#endif
