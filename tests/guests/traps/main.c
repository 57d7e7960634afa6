/* SPDX-License-Identifier: MIT */
/*
 * Exception delivery (pv-abi §7.1, §7.5, §8.6): causes #DE, #BP, #UD,
 * #GP (HLT, a non-canonical load, INT n through an empty slot) and #PF
 * (not-present read, write to a read-only page), and checks that each
 * handler saw the right vector, error code, RIP and CR2, that the frame
 * says "kernel mode, events enabled", and that execution resumes after
 * the handler skipped the instruction. A last case checks that every
 * general register survives the round trip and that a handler's change
 * to one is what the interrupted code sees.
 *
 * The whole set runs twice: returning with the iret hypercall (libpv's
 * default) and with native IRETQ for kernel-mode contexts.
 */
#include <libpv.h>

/* What the last handler saw. */
struct seen {
	unsigned int count;
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t cr2;
	bool events_masked; /* the upcall mask inside the handler */
};

static volatile struct seen seen;

/*
 * Written by TRIGGER before the instruction runs: where it is and where
 * execution continues after it. The handler moves RIP to resume_rip.
 */
static uint64_t fault_rip, resume_rip;

/*
 * Runs pre, then insn at label 1 with label 2 right after it. Clobbers
 * RAX, RCX and RDX.
 */
#define TRIGGER(pre, insn)                               \
	asm volatile("lea 1f(%%rip), %%rax\n\t"          \
		     "mov %%rax, %0\n\t"                 \
		     "lea 2f(%%rip), %%rax\n\t"          \
		     "mov %%rax, %1\n\t" pre "\n\t"      \
		     "1: " insn "\n\t"                   \
		     "2:\n\t"                            \
		     : "=m"(fault_rip), "=m"(resume_rip) \
		     :                                   \
		     : "rax", "rcx", "rdx", "memory")

PV_HANDLER static void record(struct pv_regs *regs)
{
	seen.count++;
	seen.vector = regs->vector;
	seen.error_code = regs->error_code;
	seen.rip = regs->rip;
	seen.cs = regs->cs;
	seen.rflags = regs->rflags;
	seen.cr2 = regs->vector == PV_TRAP_PF ? pv_read_cr2() : 0;
	seen.events_masked = !pv_irq_enabled();
	regs->rip = resume_rip;
}

/* Where the handler must have found RIP. */
enum rip_at { AT_INSN, AFTER_INSN };

static void check_trap(unsigned int before, unsigned int vec, uint64_t err,
		       enum rip_at at)
{
	uint64_t want_rip = at == AT_INSN ? fault_rip : resume_rip;

	PV_CHECK_EQ(seen.count, before + 1);
	PV_CHECK_EQ(seen.vector, vec);
	PV_CHECK_EQ(seen.error_code, err);
	PV_CHECK_EQ(seen.rip, want_rip);
	/* Kernel-mode context: flat kernel CS with RPL 0 (§8.6). */
	PV_CHECK_EQ(seen.cs & 0xffff, FLAT_KERNEL_CS & ~3);
	/* main runs with events enabled: saved mask 0, virtual IF 1. */
	PV_CHECK_EQ((seen.cs >> 32) & 0xff, 0);
	PV_CHECK(seen.rflags & 0x200, "RFLAGS.IF clear in frame: %lx",
		 (unsigned long)seen.rflags);
	/* Slots are installed with TI_MASK_EVENTS. */
	PV_CHECK(seen.events_masked, "events not masked in the handler");
	/* ...and the return restored the enabled state. */
	PV_CHECK(pv_irq_enabled(), "events masked after the return");
}

static void test_de(const char *mode)
{
	char name[48];
	unsigned int before = seen.count;

	snprintf(name, sizeof(name), "traps.%s.divide_error", mode);
	pv_test_begin(name);
	TRIGGER("xor %%edx, %%edx\n\tmov $1, %%eax\n\txor %%ecx, %%ecx",
		"div %%ecx");
	check_trap(before, PV_TRAP_DE, 0, AT_INSN);
	pv_test_end();
}

static void test_bp(const char *mode)
{
	char name[48];
	unsigned int before = seen.count;

	snprintf(name, sizeof(name), "traps.%s.breakpoint", mode);
	pv_test_begin(name);
	TRIGGER("", "int3");
	/* #BP is a trap: RIP is past the INT3. */
	check_trap(before, PV_TRAP_BP, 0, AFTER_INSN);
	pv_test_end();
}

static void test_ud(const char *mode)
{
	char name[48];
	unsigned int before = seen.count;

	snprintf(name, sizeof(name), "traps.%s.invalid_opcode", mode);
	pv_test_begin(name);
	TRIGGER("", "ud2");
	check_trap(before, PV_TRAP_UD, 0, AT_INSN);
	pv_test_end();
}

static void test_gp_hlt(const char *mode)
{
	char name[48];
	unsigned int before = seen.count;

	snprintf(name, sizeof(name), "traps.%s.gp_hlt", mode);
	pv_test_begin(name);
	/* The guest kernel runs at CPL 3: HLT is not emulated (§8.1). */
	TRIGGER("", "hlt");
	check_trap(before, PV_TRAP_GP, 0, AT_INSN);
	pv_test_end();
}

static void test_gp_noncanonical(const char *mode)
{
	char name[48];
	unsigned int before = seen.count;

	snprintf(name, sizeof(name), "traps.%s.gp_noncanonical", mode);
	pv_test_begin(name);
	TRIGGER("movabs $0x8000000000000000, %%rcx", "mov (%%rcx), %%rax");
	check_trap(before, PV_TRAP_GP, 0, AT_INSN);
	pv_test_end();
}

static void test_gp_int(const char *mode)
{
	char name[48];
	unsigned int before = seen.count;

	snprintf(name, sizeof(name), "traps.%s.gp_int_dpl", mode);
	pv_test_begin(name);
	/* Slot 0x20 is empty (DPL 0): #GP with error (0x20 << 3) | 2. */
	TRIGGER("", "int $0x20");
	check_trap(before, PV_TRAP_GP, (0x20 << 3) | 2, AT_INSN);
	pv_test_end();
}

/* An address in a lower-half L4 slot the bootstrap tables leave empty. */
#define UNMAPPED_VA 0x00005a5a5a5a5128ULL

static void test_pf_not_present(const char *mode)
{
	char name[48];
	unsigned int before = seen.count;

	snprintf(name, sizeof(name), "traps.%s.pf_not_present", mode);
	pv_test_begin(name);
	TRIGGER("movabs $0x00005a5a5a5a5128, %%rcx", "mov (%%rcx), %%rax");
	/* Read, not present, kernel mode: P, W, U/S, RSVD, I/D all 0. */
	check_trap(before, PV_TRAP_PF, 0, AT_INSN);
	PV_CHECK_EQ(seen.cr2, UNMAPPED_VA);
	PV_CHECK_EQ(pv_read_cr2(), UNMAPPED_VA);
	pv_test_end();
}

static uint64_t ro_target;

static void test_pf_write_ro(const char *mode)
{
	char name[48];
	unsigned int before = seen.count;

	snprintf(name, sizeof(name), "traps.%s.pf_write_readonly", mode);
	pv_test_begin(name);
	/*
	 * The bootstrap L4 is mapped read-only (§3.8 rule 4). The store
	 * writes back the value just read, so even a hypervisor that
	 * wrongly let it through would change nothing.
	 */
	ro_target = start_info->pt_base;
	asm volatile("lea 1f(%%rip), %%rax\n\t"
		     "mov %%rax, %0\n\t"
		     "lea 2f(%%rip), %%rax\n\t"
		     "mov %%rax, %1\n\t"
		     "mov %2, %%rcx\n\t"
		     "mov (%%rcx), %%rdx\n\t"
		     "1: mov %%rdx, (%%rcx)\n\t"
		     "2:\n\t"
		     : "=m"(fault_rip), "=m"(resume_rip)
		     : "m"(ro_target)
		     : "rax", "rcx", "rdx", "memory");
	check_trap(before, PV_TRAP_PF, PV_PFEC_PRESENT | PV_PFEC_WRITE,
		   AT_INSN);
	PV_CHECK_EQ(seen.cr2, ro_target);
	pv_test_end();
}

/* ---- every register survives; a handler's change is seen ------------- */

/* Registers around the INT3, in this order (RBP and RSP are not tested). */
enum {
	R_RAX,
	R_RBX,
	R_RCX,
	R_RDX,
	R_RSI,
	R_RDI,
	R_R8,
	R_R9,
	R_R10,
	R_R11,
	R_R12,
	R_R13,
	R_R14,
	R_R15,
	R_NR
};

/* Global so the assembly below can name them. */
uint64_t traps_regs_before[R_NR], traps_regs_after[R_NR];
static bool regs_in_ok;

#define NEW_RBX 0x0123456789abcdefULL

PV_HANDLER static void regs_handler(struct pv_regs *regs)
{
	const uint64_t *b = traps_regs_before;

	regs_in_ok = regs->rax == b[R_RAX] && regs->rbx == b[R_RBX] &&
		     regs->rcx == b[R_RCX] && regs->rdx == b[R_RDX] &&
		     regs->rsi == b[R_RSI] && regs->rdi == b[R_RDI] &&
		     regs->r8 == b[R_R8] && regs->r9 == b[R_R9] &&
		     regs->r10 == b[R_R10] && regs->r11 == b[R_R11] &&
		     regs->r12 == b[R_R12] && regs->r13 == b[R_R13] &&
		     regs->r14 == b[R_R14] && regs->r15 == b[R_R15];
	regs->rbx = NEW_RBX;
}

#define STR_(x)	     #x
#define STR(x)	     STR_(x)
#define LOAD(n, reg) "mov traps_regs_before+" STR(n) "*8(%%rip), %%" reg "\n\t"
#define SAVE(n, reg) "mov %%" reg ", traps_regs_after+" STR(n) "*8(%%rip)\n\t"

static void test_regs(const char *mode)
{
	static const char *const names[R_NR] = {
		"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8",
		"r9",  "r10", "r11", "r12", "r13", "r14", "r15",
	};
	pv_trap_handler_t old;
	char name[48];

	snprintf(name, sizeof(name), "traps.%s.registers", mode);
	pv_test_begin(name);
	for (unsigned int i = 0; i < R_NR; i++) {
		traps_regs_before[i] =
			0x5a00000001234567ULL | ((uint64_t)i << 40);
		traps_regs_after[i] = 0;
	}
	regs_in_ok = false;
	old = pv_trap_set_handler(PV_TRAP_BP, regs_handler);
	/* clang-format would scatter these over 16 lines. */
	/* clang-format off */
	asm volatile(LOAD(0, "rax") LOAD(1, "rbx") LOAD(2, "rcx")
		     LOAD(3, "rdx") LOAD(4, "rsi") LOAD(5, "rdi")
		     LOAD(6, "r8") LOAD(7, "r9") LOAD(8, "r10")
		     LOAD(9, "r11") LOAD(10, "r12") LOAD(11, "r13")
		     LOAD(12, "r14") LOAD(13, "r15")
		     "int3\n\t"
		     SAVE(0, "rax") SAVE(1, "rbx") SAVE(2, "rcx")
		     SAVE(3, "rdx") SAVE(4, "rsi") SAVE(5, "rdi")
		     SAVE(6, "r8") SAVE(7, "r9") SAVE(8, "r10")
		     SAVE(9, "r11") SAVE(10, "r12") SAVE(11, "r13")
		     SAVE(12, "r14") SAVE(13, "r15")
		     :
		     :
		     : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9",
		       "r10", "r11", "r12", "r13", "r14", "r15", "memory");
	/* clang-format on */
	pv_trap_set_handler(PV_TRAP_BP, old);
	PV_CHECK(regs_in_ok, "the handler saw other register values");
	for (unsigned int i = 0; i < R_NR; i++) {
		uint64_t want = i == R_RBX ? NEW_RBX : traps_regs_before[i];

		PV_CHECK(traps_regs_after[i] == want,
			 "%s after the trap is 0x%lx, want 0x%lx", names[i],
			 (unsigned long)traps_regs_after[i],
			 (unsigned long)want);
	}
	pv_test_end();
}

static void run_all(const char *mode)
{
	test_de(mode);
	test_bp(mode);
	test_ud(mode);
	test_gp_hlt(mode);
	test_gp_noncanonical(mode);
	test_gp_int(mode);
	test_pf_not_present(mode);
	test_pf_write_ro(mode);
	test_regs(mode);
}

int main(void)
{
	static const unsigned int vectors[] = { PV_TRAP_DE, PV_TRAP_BP,
						PV_TRAP_UD, PV_TRAP_GP,
						PV_TRAP_PF };

	for (unsigned int i = 0; i < sizeof(vectors) / sizeof(vectors[0]);
	     i++) {
		pv_trap_set_handler(vectors[i], record);
	}
	run_all("iret");
	pv_trap_set_native_return(true);
	run_all("native");
	pv_trap_set_native_return(false);
	return 0;
}
