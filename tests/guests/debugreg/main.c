/* SPDX-License-Identifier: MIT */
/*
 * Guest debug registers (pv-abi §7.7, §8.12; docs/hypercalls.md "Debug
 * registers"). Run with a second copy as the peer (cmdline=peer) on the
 * same CPU.
 *
 *  - rules: every argument rule of set/get_debugreg with its exact
 *    error, the normalised DR6/DR7, DR4/DR5 as aliases, and with the
 *    virtual CR4.DE (MOV to CR4): I/O breakpoints allowed, DR4/DR5
 *    -ENODEV, CR4.DE not clearable under an armed I/O breakpoint (#GP).
 *  - mov_dr: MOV to/from DRn in the guest kernel as the hypercalls, with
 *    #GP for a refused value and #UD for DR4 under CR4.DE.
 *  - An instruction breakpoint fires at its RIP with DR6.B2; a write
 *    watchpoint fires after the store with DR6.B1; TF single-steps one
 *    instruction (DR6.BS); ICEBP raises #DB after itself.
 *  - Breakpoints survive yields to the peer, which runs the same
 *    addresses (same image) without breakpoints and must see no #DB.
 *  - A watchpoint on the guest stack slot Xeno writes a bounce frame to:
 *    no #DB, and DR6 shows the hit; one on a hypercall's output argument:
 *    no #DB, the result is written, Xeno lives on.
 *  - MOV SS from a watched operand followed by SYSCALL (a hypercall) or
 *    INT3 (CVE-2018-8897): Xeno survives, the hypercall returns its
 *    value and DR6.B0 shows the hit. Real CPUs deliver that #DB after the
 *    next instruction, inside Xeno, which only records it; QEMU's TCG
 *    delivers it right after MOV SS, in the guest, as a #DB at the
 *    SYSCALL/INT3. Either outcome is checked exactly and named.
 */
#include <libpv.h>

#define RF (1ULL << 16)
#define TF (1ULL << 8)

#define DR7_L(i)      (1ULL << (2 * (i)))
#define DR7_G(i)      (2ULL << (2 * (i)))
#define DR7_RW(i, t)  ((uint64_t)(t) << (16 + 4 * (i)))
#define DR7_LEN(i, l) ((uint64_t)(l) << (18 + 4 * (i)))
#define RW_EXEC	      0
#define RW_WRITE      1
#define RW_IO	      2
#define RW_RW	      3
#define LEN_1	      0
#define LEN_2	      1
#define LEN_8	      2
#define LEN_4	      3
#define DR7_GD	      (1ULL << 13)
#define DR6_BS	      (1ULL << 14)
#define CR4_DE	      (1ULL << 3)
#define ROUNDS	      20

/* What the #DB, #BP, #GP and #UD handlers saw. */
static volatile unsigned int db_count, bp_count, gp_count, ud_count;
static volatile uint64_t db_rip, db_dr6, gp_rip, gp_error, ud_rip;
/* Where a #GP or #UD handler resumes. */
static volatile uint64_t resume_rip;

PV_HANDLER static void db_handler(struct pv_regs *r)
{
	db_count++;
	db_rip = r->rip;
	db_dr6 = HYPERVISOR_get_debugreg(6);
	/* RF: an instruction breakpoint must not fire again at once. */
	r->rflags = (r->rflags | RF) & ~TF;
}

PV_HANDLER static void bp_handler(struct pv_regs *r)
{
	(void)r;
	bp_count++;
}

PV_HANDLER static void gp_handler(struct pv_regs *r)
{
	gp_count++;
	gp_rip = r->rip;
	gp_error = r->error_code;
	r->rip = resume_rip;
}

PV_HANDLER static void ud_handler(struct pv_regs *r)
{
	ud_count++;
	ud_rip = r->rip;
	r->rip = resume_rip;
}

/* uint64_t dbg_func(uint64_t x): x + 1; dbg_func_bp is its instruction. */
uint64_t dbg_func(uint64_t x);
extern const char dbg_func_bp[];
__asm__(".pushsection .text\n"
	".globl dbg_func\n"
	".type dbg_func, @function\n"
	"dbg_func:\n"
	"	nop\n"
	".globl dbg_func_bp\n"
	"dbg_func_bp:\n"
	"	lea 1(%rdi), %rax\n"
	"	ret\n"
	".size dbg_func, . - dbg_func\n"
	".popsection\n");

/* A watched word; stores to it return where the trap must point. */
static volatile uint64_t watched;

static uint64_t store_watched(uint64_t val)
{
	uint64_t after;

	__asm__ volatile("movq %[v], %[w]\n\t"
			 "1: lea 1b(%%rip), %[a]"
			 : [w] "=m"(watched), [a] "=r"(after)
			 : [v] "r"(val)
			 : "memory");
	return after;
}

static long set(int reg, uint64_t val)
{
	return HYPERVISOR_set_debugreg(reg, val);
}

static uint64_t get(int reg)
{
	return HYPERVISOR_get_debugreg(reg);
}

static uint64_t read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

/* MOV to CR4 (emulated); returns the #GPs it raised (0 or 1). */
static unsigned int write_cr4(uint64_t v)
{
	unsigned int before = gp_count;

	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, %0\n\t"
			 "mov %1, %%cr4\n\t"
			 "1:"
			 : "=m"(resume_rip)
			 : "r"(v)
			 : "rax", "memory");
	return gp_count - before;
}

static void disarm(void)
{
	PV_CHECK_OK(set(7, 0));
	PV_CHECK_OK(set(6, 0));
}

/* ---- argument rules ------------------------------------------------- */

static void test_rules(void)
{
	pv_test_begin("debugreg.rules");
	/* DR0-3: guest addresses only (-EPERM). */
	PV_CHECK_EQ(set(0, HYPERVISOR_VIRT_START), -EPERM);
	PV_CHECK_EQ(set(1, HYPERVISOR_VIRT_END - 8), -EPERM);
	PV_CHECK_EQ(set(2, 1ULL << 47), -EPERM);
	PV_CHECK_EQ(set(3, 0x8000000000000000ULL), -EPERM);
	PV_CHECK_OK(set(0, (1ULL << 47) - 1));
	PV_CHECK_EQ(get(0), (1ULL << 47) - 1);
	PV_CHECK_OK(set(3, HYPERVISOR_VIRT_END));
	PV_CHECK_EQ(get(3), HYPERVISOR_VIRT_END);
	PV_CHECK_EQ(get(0), (1ULL << 47) - 1); /* the refusal changed nothing */
	/* DR6/DR7: 32 bits (-EINVAL), reserved bits normalised. */
	PV_CHECK_EQ(set(6, 1ULL << 32), -EINVAL);
	PV_CHECK_EQ(set(7, 1ULL << 40), -EINVAL);
	PV_CHECK_EQ(set(7, (1ULL << 63) | DR7_GD), -EINVAL);
	PV_CHECK_OK(set(6, 0));
	PV_CHECK_EQ(get(6), 0xffff0ff0);
	PV_CHECK_OK(set(6, 0xffffffff));
	PV_CHECK_EQ(get(6), 0xffffeff0 | 0xf);
	PV_CHECK_OK(set(7, 0));
	PV_CHECK_EQ(get(7), 0x400);
	PV_CHECK_OK(set(7, 0xffffffff & ~DR7_GD & ~(0x22ULL << 16)));
	PV_CHECK_EQ(get(7), 0xffdd07ffULL);
	PV_CHECK_OK(set(7, 0));
	/* GD -EPERM; an I/O breakpoint without CR4.DE -EPERM. */
	PV_CHECK_EQ(set(7, DR7_GD), -EPERM);
	PV_CHECK_EQ(set(7, DR7_L(0) | DR7_RW(0, RW_IO)), -EPERM);
	PV_CHECK_EQ(set(7, DR7_G(3) | DR7_RW(1, RW_IO)), -EPERM);
	/* R/W = 10b with nothing enabled is no breakpoint at all. */
	PV_CHECK_OK(set(7, DR7_RW(0, RW_IO)));
	PV_CHECK_OK(set(7, 0));
	/* Other numbers -ENODEV. */
	PV_CHECK_EQ(set(8, 0), -ENODEV);
	PV_CHECK_EQ(set(-1, 0), -ENODEV);
	PV_CHECK_EQ(get(8), (uint64_t)-ENODEV);
	PV_CHECK_EQ(get(-1), (uint64_t)-ENODEV);
	/* Without CR4.DE, DR4 and DR5 are DR6 and DR7. */
	PV_CHECK_EQ(read_cr4() & CR4_DE, 0);
	PV_CHECK_OK(set(4, DR6_BS));
	PV_CHECK_EQ(get(6), 0xffff0ff0 | DR6_BS);
	PV_CHECK_EQ(get(4), get(6));
	PV_CHECK_OK(set(5, DR7_L(1)));
	PV_CHECK_EQ(get(7), 0x400 | DR7_L(1));
	PV_CHECK_EQ(get(5), get(7));
	PV_CHECK_EQ(set(5, DR7_GD), -EPERM);
	PV_CHECK_EQ(set(4, 1ULL << 33), -EINVAL);
	disarm();

	/* With CR4.DE: I/O breakpoints allowed, DR4/DR5 -ENODEV. */
	PV_CHECK_EQ(write_cr4(read_cr4() | CR4_DE), 0);
	PV_CHECK(read_cr4() & CR4_DE, "CR4.DE did not stick");
	PV_CHECK_EQ(set(4, 0), -ENODEV);
	PV_CHECK_EQ(set(5, 0), -ENODEV);
	PV_CHECK_EQ(get(4), (uint64_t)-ENODEV);
	PV_CHECK_EQ(get(5), (uint64_t)-ENODEV);
	PV_CHECK_OK(set(0, 0x3f8));
	PV_CHECK_OK(set(7, DR7_L(0) | DR7_RW(0, RW_IO) | DR7_LEN(0, LEN_1)));
	PV_CHECK_EQ(get(7), 0x400 | DR7_L(0) | DR7_RW(0, RW_IO));
	PV_CHECK_EQ(set(7, DR7_GD | DR7_L(0) | DR7_RW(0, RW_IO)), -EPERM);
	/* CR4.DE cannot go while an I/O breakpoint is armed: #GP. */
	PV_CHECK_EQ(write_cr4(read_cr4() & ~CR4_DE), 1);
	PV_CHECK_EQ(gp_error, 0);
	PV_CHECK(read_cr4() & CR4_DE, "CR4.DE cleared under an I/O bp");
	PV_CHECK_OK(set(7, 0));
	PV_CHECK_EQ(write_cr4(read_cr4() & ~CR4_DE), 0);
	PV_CHECK_EQ(read_cr4() & CR4_DE, 0);
	PV_CHECK_EQ(get(4), get(6));
	PV_CHECK_OK(set(0, 0));
	disarm();
	pv_test_end();
}

/* ---- MOV DRn -------------------------------------------------------- */

static void test_mov_dr(void)
{
	uint64_t v = 0x123456789a0ULL, r = 0;
	unsigned int gp = gp_count, ud = ud_count;

	pv_test_begin("debugreg.mov_dr");
	__asm__ volatile("mov %1, %%dr1\n\tmov %%dr1, %0" : "=r"(r) : "r"(v));
	PV_CHECK_EQ(r, v);
	PV_CHECK_EQ(get(1), v);
	PV_CHECK_OK(set(2, v + 8));
	__asm__ volatile("mov %%dr2, %0" : "=r"(r));
	PV_CHECK_EQ(r, v + 8);
	__asm__ volatile("mov %1, %%dr6\n\tmov %%dr6, %0"
			 : "=r"(r)
			 : "r"(0ULL));
	PV_CHECK_EQ(r, 0xffff0ff0);
	__asm__ volatile("mov %%dr7, %0" : "=r"(r));
	PV_CHECK_EQ(r, 0x400);
	/* DR4 is DR6 while CR4.DE is clear. */
	PV_CHECK_OK(set(6, 1));
	__asm__ volatile("mov %%dr4, %0" : "=r"(r));
	PV_CHECK_EQ(r, 0xffff0ff1);
	PV_CHECK_EQ(gp_count, gp);
	/* A refused value is #GP(0) at the MOV, nothing changed. */
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, %0\n\t"
			 "mov %1, %%dr7\n\t"
			 "1:"
			 : "=m"(resume_rip)
			 : "r"(DR7_GD)
			 : "rax", "memory");
	PV_CHECK_EQ(gp_count, gp + 1);
	PV_CHECK_EQ(gp_error, 0);
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, %0\n\t"
			 "mov %1, %%dr0\n\t"
			 "1:"
			 : "=m"(resume_rip)
			 : "r"(HYPERVISOR_VIRT_START)
			 : "rax", "memory");
	PV_CHECK_EQ(gp_count, gp + 2);
	PV_CHECK_EQ(get(7), 0x400);
	PV_CHECK_EQ(get(0), 0);
	/* DR4 under CR4.DE: #UD, as on the CPU. */
	PV_CHECK_EQ(write_cr4(read_cr4() | CR4_DE), 0);
	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, %1\n\t"
			 "mov %%dr4, %0\n\t"
			 "1:"
			 : "=r"(r), "=m"(resume_rip)
			 :
			 : "rax", "memory");
	PV_CHECK_EQ(ud_count, ud + 1);
	PV_CHECK_EQ(write_cr4(read_cr4() & ~CR4_DE), 0);
	PV_CHECK_OK(set(1, 0));
	PV_CHECK_OK(set(2, 0));
	disarm();
	pv_test_end();
}

/* ---- breakpoints that fire ------------------------------------------- */

static void test_insn_breakpoint(void)
{
	unsigned int before = db_count;

	pv_test_begin("debugreg.insn_breakpoint");
	PV_CHECK_OK(set(2, (uint64_t)(uintptr_t)dbg_func_bp));
	PV_CHECK_OK(set(7, DR7_L(2) | DR7_RW(2, RW_EXEC)));
	PV_CHECK_EQ(dbg_func(41), 42);
	PV_CHECK_EQ(db_count, before + 1);
	PV_CHECK_EQ(db_rip, (uint64_t)(uintptr_t)dbg_func_bp);
	PV_CHECK_EQ(db_dr6 & 0xf, 4);
	PV_CHECK_EQ(db_dr6 & DR6_BS, 0);
	/* Again: it fires every time; disarmed, never. */
	PV_CHECK_EQ(dbg_func(1), 2);
	PV_CHECK_EQ(db_count, before + 2);
	disarm();
	PV_CHECK_EQ(dbg_func(2), 3);
	PV_CHECK_EQ(db_count, before + 2);
	PV_CHECK_OK(set(2, 0));
	pv_test_end();
}

static void test_data_watchpoint(void)
{
	unsigned int before = db_count;
	uint64_t after, x;

	pv_test_begin("debugreg.data_watchpoint");
	PV_CHECK_OK(set(1, (uint64_t)(uintptr_t)&watched));
	PV_CHECK_OK(set(7, DR7_G(1) | DR7_RW(1, RW_WRITE) | DR7_LEN(1, LEN_8)));
	x = watched; /* a read does not hit a write watchpoint */
	PV_CHECK_EQ(db_count, before);
	after = store_watched(x + 7);
	PV_CHECK_EQ(db_count, before + 1);
	/* A trap: RIP after the store, which has happened. */
	PV_CHECK_EQ(db_rip, after);
	PV_CHECK_EQ(watched, x + 7);
	PV_CHECK_EQ(db_dr6 & 0xf, 2);
	disarm();
	(void)store_watched(0);
	PV_CHECK_EQ(db_count, before + 1);
	PV_CHECK_OK(set(1, 0));
	pv_test_end();
}

static void test_single_step(void)
{
	unsigned int before = db_count;
	uint64_t step_rip;

	pv_test_begin("debugreg.single_step");
	PV_CHECK_OK(set(6, 0));
	/* TF from POPF: the trap comes after the instruction after it. */
	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "nop\n\t"
			 "1: lea 1b(%%rip), %0\n\t"
			 : "=r"(step_rip)
			 :
			 : "memory", "cc");
	PV_CHECK_EQ(db_count, before + 1);
	PV_CHECK_EQ(db_rip, step_rip);
	PV_CHECK(db_dr6 & DR6_BS, "DR6.BS clear: %lx", (unsigned long)db_dr6);
	PV_CHECK_EQ(get(6) & DR6_BS, DR6_BS);
	/* ICEBP (INT1): #DB after the instruction. */
	__asm__ volatile(".byte 0xf1\n\t"
			 "1: lea 1b(%%rip), %0"
			 : "=r"(step_rip)
			 :
			 : "memory");
	PV_CHECK_EQ(db_count, before + 2);
	PV_CHECK_EQ(db_rip, step_rip);
	disarm();
	pv_test_end();
}

/* ---- across domain switches -------------------------------------------- */

static void arm_func_and_watched(void)
{
	PV_CHECK_OK(set(0, (uint64_t)(uintptr_t)dbg_func_bp));
	PV_CHECK_OK(set(1, (uint64_t)(uintptr_t)&watched));
	PV_CHECK_OK(set(7, DR7_L(0) | DR7_RW(0, RW_EXEC) | DR7_L(1) |
				   DR7_RW(1, RW_WRITE) | DR7_LEN(1, LEN_8)));
}

static void test_switches(void)
{
	unsigned int before = db_count, i;

	pv_test_begin("debugreg.survive_switches");
	arm_func_and_watched();
	for (i = 0; i < ROUNDS; i++) {
		PV_CHECK_OK(HYPERVISOR_sched_op(SCHEDOP_yield, NULL));
		PV_CHECK_EQ(dbg_func(i), i + 1);
		PV_CHECK_EQ(db_dr6 & 0xf, 1);
		(void)store_watched(i);
		PV_CHECK_EQ(db_dr6 & 0xf, 3); /* B0 stays until cleared */
		PV_CHECK_OK(set(6, 0));
	}
	PV_CHECK_EQ(db_count, before + 2 * ROUNDS);
	PV_CHECK_EQ(get(0), (uint64_t)(uintptr_t)dbg_func_bp);
	PV_CHECK_EQ(get(1), (uint64_t)(uintptr_t)&watched);
	disarm();
	pv_test_end();
}

/* The peer: the same addresses, no breakpoints, no #DB. */
static void peer_main(void)
{
	unsigned int i;

	pv_test_begin("debugreg.peer_no_breakpoints");
	PV_CHECK_EQ(get(7), 0x400);
	for (i = 0; i < ROUNDS * 2; i++) {
		PV_CHECK_OK(HYPERVISOR_sched_op(SCHEDOP_yield, NULL));
		PV_CHECK_EQ(dbg_func(i), i + 1);
		(void)store_watched(i);
	}
	PV_CHECK_EQ(db_count, 0);
	PV_CHECK_EQ(get(6), 0xffff0ff0);
	pv_test_end();
}

/* ---- what Xeno writes for the guest ---------------------------------- */

static uint64_t bounce_stack[512] __attribute__((aligned(16)));
static volatile uint64_t hv_output;

static void test_hypervisor_writes(void)
{
	uint64_t top = (uint64_t)(uintptr_t)&bounce_stack[512];
	unsigned int db = db_count, bp = bp_count;
	uint64_t dr6;
	long rc;

	pv_test_begin("debugreg.hypervisor_writes");
	/*
	 * INT3 with RSP at top: Xeno writes the #BP bounce frame (7 words)
	 * just below it, the SS word at top - 8, which nothing of the
	 * guest writes. A write watchpoint there must not make a #DB, and
	 * DR6.B1 must show the hit.
	 */
	PV_CHECK_OK(set(1, top - 8));
	PV_CHECK_OK(set(7, DR7_L(1) | DR7_RW(1, RW_WRITE) | DR7_LEN(1, LEN_8)));
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %0, %%rsp\n\t"
			 "int3\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 : "r"(top)
			 : "rbx", "memory");
	PV_CHECK_EQ(bp_count, bp + 1);
	PV_CHECK_EQ(db_count, db);
	PV_CHECK_EQ(bounce_stack[511], FLAT_KERNEL_SS & ~3);
	PV_CHECK_EQ(get(6) & 0xf, 2);
	disarm();

	/* A hypercall's output argument under a read/write watchpoint. */
	PV_CHECK_OK(set(3, (uint64_t)(uintptr_t)&hv_output));
	PV_CHECK_OK(set(7, DR7_L(3) | DR7_RW(3, RW_RW) | DR7_LEN(3, LEN_8)));
	rc = HYPERVISOR_xen_version(XENVER_platform_parameters,
				    (void *)(uintptr_t)&hv_output);
	PV_CHECK_EQ(rc, 0);
	PV_CHECK_EQ(db_count, db);
	PV_CHECK_EQ(get(7) & DR7_L(3), DR7_L(3));
	dr6 = get(6);
	disarm();
	PV_CHECK_EQ(hv_output, HYPERVISOR_VIRT_START);
	printf("debugreg: hypercall output written, DR6 %s the hit\n",
	       (dr6 & 8) ? "shows" : "does not show");
	PV_CHECK_OK(set(3, 0));
	pv_test_end();
}

/* ---- MOV SS + SYSCALL / INT3 (CVE-2018-8897) ------------------------- */

static volatile uint16_t ss_sel = FLAT_KERNEL_SS;

/* The #DB of MOV SS: in Xeno (deferred) or at rip in the guest (TCG). */
static const char *check_mov_ss_db(unsigned int db_before, uint64_t rip)
{
	PV_CHECK_EQ(get(6) & 0xf, 1);
	if (db_count == db_before) {
		return "deferred into Xeno, recorded in DR6";
	}
	PV_CHECK_EQ(db_count, db_before + 1);
	PV_CHECK_EQ(db_rip, rip);
	return "delivered to the guest before the next instruction";
}

static void test_mov_ss(void)
{
	uint64_t want = (uint64_t)HYPERVISOR_xen_version(XENVER_version, NULL);
	unsigned int db = db_count, bp = bp_count;
	uint64_t rax, rip;
	const char *how;

	pv_test_begin("debugreg.mov_ss_syscall");
	PV_CHECK_OK(set(0, (uint64_t)(uintptr_t)&ss_sel));
	PV_CHECK_OK(set(7, DR7_L(0) | DR7_RW(0, RW_RW) | DR7_LEN(0, LEN_2)));
	rax = __HYPERVISOR_xen_version;
	__asm__ volatile("lea 1f(%%rip), %[rip]\n\t"
			 "mov %[sel], %%ss\n\t"
			 "1: syscall"
			 : "+a"(rax), [rip] "=&r"(rip)
			 : [sel] "m"(ss_sel), "D"(0UL), "S"(0UL)
			 : "rcx", "r11", "memory");
	PV_CHECK_EQ(rax, want);
	how = check_mov_ss_db(db, rip);
	printf("debugreg: MOV SS + SYSCALL: #DB %s\n", how);
	PV_CHECK_OK(set(6, 0));
	pv_test_end();

	pv_test_begin("debugreg.mov_ss_int3");
	db = db_count;
	__asm__ volatile("lea 1f(%%rip), %[rip]\n\t"
			 "mov %[sel], %%ss\n\t"
			 "1: int3"
			 : [rip] "=&r"(rip)
			 : [sel] "m"(ss_sel)
			 : "memory");
	PV_CHECK_EQ(bp_count, bp + 1);
	how = check_mov_ss_db(db, rip);
	printf("debugreg: MOV SS + INT3: #DB %s\n", how);
	disarm();
	PV_CHECK_OK(set(0, 0));
	pv_test_end();
}

int main(void)
{
	pv_trap_set_handler(PV_TRAP_DB, db_handler);
	pv_trap_set_handler(PV_TRAP_BP, bp_handler);
	pv_trap_set_handler(PV_TRAP_GP, gp_handler);
	pv_trap_set_handler(PV_TRAP_UD, ud_handler);
	if (start_info->cmd_line[0] == 'p') {
		peer_main();
		return 0;
	}
	test_rules();
	test_mov_dr();
	test_insn_breakpoint();
	test_data_watchpoint();
	test_single_step();
	test_switches();
	test_hypervisor_writes();
	test_mov_ss();
	return 0;
}
