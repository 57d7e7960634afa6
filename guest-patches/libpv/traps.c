/* SPDX-License-Identifier: MIT */
/*
 * Exceptions: the trap table for vectors 0-31, the per-vector handler
 * table and the C dispatcher behind the entry stubs of entry.S, plus the
 * default handler that reports and crashes (interface in libpv/traps.h).
 *
 * Every slot is installed with virtual DPL 0 except #BP and #OF (DPL 3,
 * so INT3 and INTO from user mode are allowed) and with TI_MASK_EVENTS,
 * so handlers run with events masked. No locks: vCPU 0 only, and the
 * handler table is written with events masked.
 */
#include <stddef.h>

#include <libpv/atomic.h>
#include <libpv/console.h>
#include <libpv/entry.h>
#include <libpv/events.h>
#include <libpv/hypercall.h>
#include <libpv/start.h>
#include <libpv/test.h>
#include <libpv/traps.h>

/* entry.S must agree with struct pv_regs and xen.h. */
#define PV_REGS_AT(field, off) \
	_Static_assert(offsetof(struct pv_regs, field) == (off), #field)
PV_REGS_AT(r15, PV_REGS_R15);
PV_REGS_AT(r14, PV_REGS_R14);
PV_REGS_AT(r13, PV_REGS_R13);
PV_REGS_AT(r12, PV_REGS_R12);
PV_REGS_AT(rbp, PV_REGS_RBP);
PV_REGS_AT(rbx, PV_REGS_RBX);
PV_REGS_AT(r11, PV_REGS_R11);
PV_REGS_AT(r10, PV_REGS_R10);
PV_REGS_AT(r9, PV_REGS_R9);
PV_REGS_AT(r8, PV_REGS_R8);
PV_REGS_AT(rax, PV_REGS_RAX);
PV_REGS_AT(rcx, PV_REGS_RCX);
PV_REGS_AT(rdx, PV_REGS_RDX);
PV_REGS_AT(rsi, PV_REGS_RSI);
PV_REGS_AT(rdi, PV_REGS_RDI);
PV_REGS_AT(vector, PV_REGS_VECTOR);
PV_REGS_AT(error_code, PV_REGS_ERROR);
PV_REGS_AT(rip, PV_REGS_RIP);
PV_REGS_AT(cs, PV_REGS_CS);
PV_REGS_AT(rflags, PV_REGS_RFLAGS);
PV_REGS_AT(rsp, PV_REGS_RSP);
PV_REGS_AT(ss, PV_REGS_SS);
_Static_assert(sizeof(struct pv_regs) == PV_REGS_SIZE, "pv_regs size");
_Static_assert(PV_REGS_SIZE % 16 == 0, "entry stubs keep RSP aligned");
_Static_assert(PV_HYPERCALL_IRET == __HYPERVISOR_iret, "iret number");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_pending) ==
		       PV_VCPU_UPCALL_PENDING,
	       "upcall_pending");
_Static_assert(offsetof(struct vcpu_info, evtchn_upcall_mask) ==
		       PV_VCPU_UPCALL_MASK,
	       "upcall_mask");

/* The stub addresses (entry.S), indexed by vector. */
extern const uint64_t pv_trap_stubs[PV_NR_TRAPS];

/* Read by pv_regs_return (entry.S): use IRETQ for kernel contexts. */
uint8_t pv_native_return;

static pv_trap_handler_t trap_handlers[PV_NR_TRAPS];

/* 32 slots and the terminating entry whose address is 0. */
static struct trap_info trap_table[PV_NR_TRAPS + 1];

/* Depth of pv_trap_default(): a fault while reporting one stops at once. */
static unsigned int default_depth;

void pv_trap_dispatch(struct pv_regs *regs);

static const char *const trap_names[PV_NR_TRAPS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "#09", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23",
	"#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *pv_trap_name(unsigned int vec)
{
	return vec < PV_NR_TRAPS ? trap_names[vec] : "#??";
}

pv_trap_handler_t pv_trap_set_handler(unsigned int vec, pv_trap_handler_t fn)
{
	pv_trap_handler_t old;
	unsigned int mask;

	if (vec >= PV_NR_TRAPS) {
		return NULL;
	}
	mask = pv_irq_save();
	old = trap_handlers[vec];
	trap_handlers[vec] = fn;
	pv_irq_restore(mask);
	return old;
}

void pv_trap_set_native_return(bool native)
{
	PV_WRITE_ONCE(pv_native_return, native ? 1 : 0);
}

uint64_t pv_read_cr2(void)
{
	if (!HYPERVISOR_shared_info) {
		return 0;
	}
	return PV_READ_ONCE(pv_vcpu_info()->arch.cr2);
}

long pv_traps_init(void)
{
	for (unsigned int vec = 0; vec < PV_NR_TRAPS; vec++) {
		struct trap_info *ti = &trap_table[vec];
		unsigned int dpl =
			(vec == PV_TRAP_BP || vec == PV_TRAP_OF) ? 3 : 0;

		ti->vector = (uint8_t)vec;
		ti->flags = (uint8_t)(dpl | TI_MASK_EVENTS);
		ti->cs = FLAT_KERNEL_CS;
		ti->address = pv_trap_stubs[vec];
	}
	/* trap_table[PV_NR_TRAPS] stays zero: the end marker. */
	return HYPERVISOR_set_trap_table(trap_table);
}

static void dump_regs(const struct pv_regs *regs)
{
	printf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", regs->rax,
	       regs->rbx, regs->rcx, regs->rdx);
	printf("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", regs->rsi,
	       regs->rdi, regs->rbp, regs->rsp);
	printf("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", regs->r8,
	       regs->r9, regs->r10, regs->r11);
	printf("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", regs->r12,
	       regs->r13, regs->r14, regs->r15);
	printf("  rip %016lx cs %04lx (saved mask %u) rflags %08lx ss %04lx\n",
	       regs->rip, regs->cs & 0xffff, pv_regs_saved_mask(regs),
	       regs->rflags, regs->ss & 0xffff);
}

void pv_trap_default(struct pv_regs *regs)
{
	unsigned int vec = (unsigned int)regs->vector;

	if (++default_depth > 1) {
		static const char msg[] =
			"libpv: fault while reporting a fault\n";

		pv_console_write(msg, sizeof(msg) - 1);
		pv_shutdown(SHUTDOWN_crash);
	}
	printf("libpv: unhandled trap vector %u (%s) error 0x%lx at rip "
	       "0x%lx%s\n",
	       vec, pv_trap_name(vec), regs->error_code, regs->rip,
	       pv_regs_user_mode(regs) ? " (user mode)" : "");
	if (vec == PV_TRAP_PF) {
		printf("  cr2 %016lx\n", pv_read_cr2());
	}
	dump_regs(regs);
	pv_crash("unhandled %s (vector %u) error 0x%lx rip 0x%lx",
		 pv_trap_name(vec), vec, regs->error_code, regs->rip);
}

/* Called by pv_trap_common (entry.S) with events masked. */
void pv_trap_dispatch(struct pv_regs *regs)
{
	pv_trap_handler_t fn = NULL;

	if (regs->vector < PV_NR_TRAPS) {
		fn = trap_handlers[regs->vector];
	}
	if (fn) {
		fn(regs);
	} else {
		pv_trap_default(regs);
	}
}
