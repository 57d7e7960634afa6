/* SPDX-License-Identifier: MIT */
/*
 * Trap dispatch. Interrupts go to their handlers; #DB to the guest
 * debug-register code wherever it was taken; any other exception taken
 * by the hypervisor itself is a hypervisor bug: print the CPU, all
 * registers, the faulting address and a backtrace with symbol names,
 * then stop the machine with XENO_EXIT_EXCEPTION (or XENO_EXIT_FATAL for
 * NMI, double fault and machine check).
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/extable.h>
#include <asm/layout.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <asm/smp.h>
#include <asm/symbols.h>
#include <asm/time.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/console.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>

static const char *const exception_names[32] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound range",
	"#UD invalid opcode",
	"#NM device not available",
	"#DF double fault",
	"coprocessor segment overrun",
	"#TS invalid TSS",
	"#NP segment not present",
	"#SS stack fault",
	"#GP general protection",
	"#PF page fault",
	"reserved 15",
	"#MF x87 error",
	"#AC alignment check",
	"#MC machine check",
	"#XM SIMD error",
	"#VE virtualisation",
	"#CP control protection",
	"reserved 22",
	"reserved 23",
	"reserved 24",
	"reserved 25",
	"reserved 26",
	"reserved 27",
	"#HV hypervisor injection",
	"#VC VMM communication",
	"#SX security",
	"reserved 31",
};

/* Whether addr lies in the stack block that holds sp (so it is safe). */
static bool on_stack(uint64_t addr, uint64_t sp)
{
	uint64_t base = sp & ~((uint64_t)STACK_SIZE - 1);

	return addr >= base && addr + 16 <= base + STACK_SIZE;
}

void dump_backtrace(uint64_t rip, uint64_t rbp)
{
	char sym[96];
	unsigned int depth;

	printk(LOG_ERR, "Backtrace:\n");
	symbol_format(rip, sym, sizeof(sym));
	printk(LOG_ERR, "  [%016lx] %s\n", rip, sym);
	for (depth = 0; depth < 32; depth++) {
		const uint64_t *frame = (const uint64_t *)(uintptr_t)rbp;

		if ((rbp & 7) || !on_stack(rbp, rbp) || !frame[1]) {
			break;
		}
		symbol_format(frame[1], sym, sizeof(sym));
		printk(LOG_ERR, "  [%016lx] %s\n", frame[1], sym);
		if (frame[0] <= rbp) {
			break;
		}
		rbp = frame[0];
	}
}

void dump_regs(const struct cpu_regs *r)
{
	printk(LOG_ERR,
	       "RIP: %04lx:%016lx  RFLAGS: %016lx\n"
	       "RSP: %04lx:%016lx\n"
	       "RAX: %016lx RBX: %016lx RCX: %016lx\n"
	       "RDX: %016lx RSI: %016lx RDI: %016lx\n"
	       "RBP: %016lx R8:  %016lx R9:  %016lx\n"
	       "R10: %016lx R11: %016lx R12: %016lx\n"
	       "R13: %016lx R14: %016lx R15: %016lx\n"
	       "CR0: %016lx CR2: %016lx\nCR3: %016lx CR4: %016lx\n",
	       r->cs, r->rip, r->rflags, r->ss, r->rsp, r->rax, r->rbx, r->rcx,
	       r->rdx, r->rsi, r->rdi, r->rbp, r->r8, r->r9, r->r10, r->r11,
	       r->r12, r->r13, r->r14, r->r15, read_cr0(), read_cr2(),
	       read_cr3(), read_cr4());
}

static void page_fault_detail(const struct cpu_regs *r)
{
	uint64_t e = r->error_code;

	printk(LOG_ERR, "Faulting address: %016lx (%s, %s, %s%s%s)\n",
	       read_cr2(), e & 1 ? "protection" : "not present",
	       e & 2 ? "write" : "read", e & 4 ? "user" : "supervisor",
	       e & 16 ? ", instruction fetch" : "",
	       e & 8 ? ", reserved bit set" : "");
}

static __noreturn void fatal_exception(struct cpu_regs *r)
{
	unsigned int v = (unsigned int)r->vector;
	bool fatal = v == 2 || v == 8 || v == 18;

	console_force_unlock();
	smp_stop_others();
	printk(LOG_ERR,
	       "\n*** EXCEPTION %s (vector %u) on cpu%u, error code "
	       "%#lx\n",
	       exception_names[v], v, arch_cpu_id(), r->error_code);
	if (v == 14) {
		page_fault_detail(r);
	}
	dump_regs(r);
	dump_backtrace(r->rip, r->rbp);
	arch_halt(fatal ? XENO_EXIT_FATAL : XENO_EXIT_EXCEPTION);
}

bool (*hyp_page_fault_hook)(struct cpu_regs *regs);

void do_trap(struct cpu_regs *regs)
{
	bool from_guest = (regs->cs & 3) != 0;

	/* From a guest or not, a #DB is never fatal (pv/debugreg.c). */
	if (regs->vector == VEC_DB) {
		pv_debug_trap(regs);
		return;
	}
	if (from_guest && (regs->vector < 32 || regs->vector == 0x80)) {
		/* #NM: first the lazy FPU switch's (pv/fpu.c). */
		if (regs->vector == 7 && pv_fpu_nm(current_vcpu())) {
			return;
		}
		pv_guest_trap(regs);
		return;
	}
	switch (regs->vector) {
	case VEC_TIMER:
		/*
		 * Handled before the EOI: timer_interrupt() reads the clock
		 * first, and under an emulator an APIC access may wait.
		 */
		timer_interrupt();
		apic_eoi();
		return;
	case VEC_IPI_CALL:
		apic_eoi();
		smp_call_interrupt();
		return;
	case VEC_FLUSH:
		apic_eoi();
		tlb_flush_interrupt();
		return;
	case VEC_KICK:
		/* The exit path does the work (events, rescheduling). */
		apic_eoi();
		return;
	case VEC_IPI_STOP:
		smp_stop_self();
	case VEC_SPURIOUS:
		return;
	default:
		break;
	}
	/*
	 * A direct guest access that faulted on a guest address
	 * (guest_copy.S) ends with -EFAULT. A fault there on any other
	 * address (the hypervisor's side of the copy) is a hypervisor bug
	 * and stays fatal.
	 */
	if (regs->vector == 14 && guest_range_ok(read_cr2(), 1) &&
	    extable_fixup(regs)) {
		return;
	}
	if (regs->vector == 14 && hyp_page_fault_hook != NULL &&
	    hyp_page_fault_hook(regs)) {
		return;
	}
	if (regs->vector < 32) {
		fatal_exception(regs);
	}
	/* Nothing else is enabled: an unexpected external interrupt. */
	printk(LOG_WARN, "cpu%u: unexpected interrupt vector %lu\n",
	       arch_cpu_id(), regs->vector);
	apic_eoi();
}

void arch_panic_dump(void)
{
	smp_stop_others();
	/* Our own frame links to panic's caller chain. */
	dump_backtrace((uint64_t)(uintptr_t)__builtin_return_address(0),
		       *(const uint64_t *)__builtin_frame_address(0));
}
