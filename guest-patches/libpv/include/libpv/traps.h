/* SPDX-License-Identifier: MIT */
/*
 * Exceptions (pv-abi §7.1, §8.6): libpv installs a trap table for vectors
 * 0-31 at start-up. Every vector enters an assembly stub that turns the
 * bounce frame into a struct pv_regs on the stack and calls the handler
 * the guest registered for that vector, or the default handler, which
 * prints the state and shuts the domain down with SHUTDOWN_crash.
 *
 * Interface rules:
 *   - Handlers run on the interrupted stack with events masked (every
 *     slot is installed with TI_MASK_EVENTS); the return restores the
 *     interrupted event state from regs->rflags.IF.
 *   - A handler may change any field of *regs: the registers, rip (to
 *     skip the faulting instruction), rsp, rflags. They are what the
 *     return path restores.
 *   - cs as delivered carries the saved upcall mask in bits 39:32 and RPL
 *     0 for a kernel-mode context (§8.6); use pv_regs_user_mode() rather
 *     than comparing it.
 *   - Handlers must not touch FPU/SSE state, which is not saved: declare
 *     them PV_HANDLER (general registers only) in guests built with SSE.
 *   - vCPU 0 only.
 */
#ifndef LIBPV_TRAPS_H
#define LIBPV_TRAPS_H

#include <stdbool.h>
#include <stdint.h>

#include <libpv/entry.h>

/* Registers of the interrupted context, as the entry stubs save them. */
struct pv_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
	uint64_t rax, rcx, rdx, rsi, rdi;
	uint64_t vector;     /* 0-31, or PV_VECTOR_EVENT */
	uint64_t error_code; /* 0 for vectors without one */
	/* The hardware-shaped part of the bounce frame. */
	uint64_t rip;
	uint64_t cs; /* bits 15:0 CS, 39:32 saved upcall mask */
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

#define PV_HANDLER __attribute__((target("general-regs-only")))

/* Vectors (Intel SDM numbering). */
#define PV_TRAP_DE  0
#define PV_TRAP_DB  1
#define PV_TRAP_NMI 2
#define PV_TRAP_BP  3
#define PV_TRAP_OF  4
#define PV_TRAP_BR  5
#define PV_TRAP_UD  6
#define PV_TRAP_NM  7
#define PV_TRAP_DF  8
#define PV_TRAP_TS  10
#define PV_TRAP_NP  11
#define PV_TRAP_SS  12
#define PV_TRAP_GP  13
#define PV_TRAP_PF  14
#define PV_TRAP_MF  16
#define PV_TRAP_AC  17
#define PV_TRAP_MC  18
#define PV_TRAP_XM  19
#define PV_TRAP_VE  20
#define PV_TRAP_CP  21
#define PV_NR_TRAPS 32

/* #PF error-code bits. */
#define PV_PFEC_PRESENT (1u << 0)
#define PV_PFEC_WRITE	(1u << 1)
#define PV_PFEC_USER	(1u << 2)
#define PV_PFEC_RSVD	(1u << 3)
#define PV_PFEC_INSN	(1u << 4)

typedef void (*pv_trap_handler_t)(struct pv_regs *regs);

/*
 * Sets the handler for vector vec (0-31); NULL restores the default.
 * Returns the previous handler (NULL if it was the default).
 */
pv_trap_handler_t pv_trap_set_handler(unsigned int vec, pv_trap_handler_t fn);

/*
 * The default handler: prints vector, error code, registers and (for
 * #PF) CR2, reports a failure to the test API, and shuts down with
 * SHUTDOWN_crash. Guest handlers may call it for cases they do not expect.
 */
__attribute__((noreturn)) void pv_trap_default(struct pv_regs *regs);

/* Mnemonic of a vector ("#PF"), or "#??". */
const char *pv_trap_name(unsigned int vec);

/* True if regs was interrupted in guest user mode (CS RPL 3). */
static inline bool pv_regs_user_mode(const struct pv_regs *regs)
{
	return (regs->cs & 3) == 3;
}

/* The saved upcall mask from the CS word (§8.6). */
static inline unsigned int pv_regs_saved_mask(const struct pv_regs *regs)
{
	return (unsigned int)((regs->cs >> 32) & 0xff);
}

/* The virtual CR2 of vCPU 0 (vcpu_info.arch.cr2), valid in a #PF handler. */
uint64_t pv_read_cr2(void);

/*
 * Chooses how handlers return to kernel-mode contexts: false (default)
 * always uses the iret hypercall; true uses a native IRETQ for
 * kernel-mode contexts (§7.5), falling back to the hypercall when events
 * must be re-enabled and one is already pending. User-mode contexts
 * always use the hypercall.
 */
void pv_trap_set_native_return(bool native);

/* Installs the trap table; called by start-up. Returns 0 or -errno. */
long pv_traps_init(void);

#endif
