/* SPDX-License-Identifier: MIT */
/*
 * A user process under a PV guest kernel (pv-abi §8.1, §8.4, §8.6-8.8;
 * libpv/user.h): system calls through the syscall callback and INT
 * $0x80 with arguments, results and error returns checked (a bad user
 * pointer gets -EFAULT from the guest kernel), RCX/R11 as SYSRET leaves
 * them, the kernel/user GS bases, user faults (kernel-only memory, a
 * read-only page, a demand-mapped page, INT3, INT n through a DPL 0 slot,
 * a privileged instruction) delivered to the guest kernel with the user
 * frame, an event upcall taken in user mode, and exits of every kind.
 *
 * A 32-bit (compatibility-mode) process's SYSCALL goes to the syscall32
 * callback with the 32-bit flat CS in its frame, never to the 64-bit
 * one; without a syscall32 callback it is #UD at the instruction.
 *
 * Low user pages: 0-3 the user stack, 8 32-bit code, 13 read-only, 14
 * mapped on demand by the #PF handler, 15 never mapped.
 */
#include <libpv.h>
#include <libpv/user.h>
#include <public/xeno_stats.h>

#define STACK_TOP   pv_user_page(4)
#define RO_PAGE	    13
#define DEMAND_PAGE 14
#define HOLE_PAGE   15
#define COMPAT_PAGE 8

/* Guest-kernel system calls added by this guest. */
#define SYS_ARGS 10 /* a1 + 10 a2 + ... + 100000 a6 */
#define SYS_GS	 11 /* the kernel's %gs:0 */
#define SYS_FILL 12 /* fill(buf, len): copies a pattern to user memory */

#define KERNEL_GS_MAGIC 0x4b65726e656c4753ULL
#define USER_GS_MAGIC	0x5573657247530000ULL
#define DEMAND_MAGIC	0x600d

/* What the user code records, read by the kernel after the process ends. */
struct results {
	long pid, write_ok, write_kernel, write_hole, write_big, unknown;
	long huge_nr, args, fill_ok, fill_text;
	uint64_t fill_word;
	uint64_t sysret_rcx, sysret_expect, sysret_r11, sysret_flags;
	long int80_pid;
	uint64_t int80_rcx, int80_r11;
	uint64_t gs_before, gs_kernel, gs_after;
	uint64_t after_exit;
	uint64_t spins;
	volatile uint64_t event_flag;
};

static struct results res PV_USER_DATA;
static uint64_t user_gs_word PV_USER_DATA = USER_GS_MAGIC;
static const char hello[] PV_USER_RODATA = "usermode: hello from user space\n";

/* Kernel-only data the user must not reach. */
static uint64_t kernel_secret = 0x5ec12e7;
static uint64_t kernel_gs_word = KERNEL_GS_MAGIC;

/* ---- what the guest kernel's handlers saw ------------------------------- */

struct fault {
	uint64_t vector, error, rip, cs, cr2, rsp;
};

#define MAX_FAULTS 4

static struct {
	unsigned int n;
	struct fault f[MAX_FAULTS];
	int skip;	 /* > 0: skip that many bytes and return to user */
	bool map_demand; /* #PF on the demand page: map it and retry */
} seen;

PV_HANDLER static void on_user_fault(struct pv_regs *regs)
{
	struct fault *f = &seen.f[seen.n < MAX_FAULTS ? seen.n : 0];

	if (!pv_regs_user_mode(regs)) {
		pv_trap_default(regs);
	}
	seen.n++;
	f->vector = regs->vector;
	f->error = regs->error_code;
	f->rip = regs->rip;
	f->cs = regs->cs;
	f->rsp = regs->rsp;
	f->cr2 = regs->vector == PV_TRAP_PF ? pv_read_cr2() : 0;
	if (regs->vector == PV_TRAP_PF && seen.map_demand &&
	    f->cr2 >> 12 == pv_user_page(DEMAND_PAGE) >> 12) {
		if (pv_user_map(DEMAND_PAGE, PV_PTE_DATA) != 0) {
			pv_user_exit(-1);
		}
		return; /* retry the access */
	}
	if (regs->vector == PV_TRAP_BP) {
		return; /* RIP is already after INT3 */
	}
	if (seen.skip > 0) {
		regs->rip += (uint64_t)seen.skip;
		return;
	}
	pv_user_exit(1000 + (long)regs->vector);
}

static void reset_seen(void)
{
	memset(&seen, 0, sizeof(seen));
}

/* ---- the guest kernel's extra system calls ----------------------------- */

static long sys_args(struct pv_regs *r)
{
	return (long)(r->rdi + 10 * r->rsi + 100 * r->rdx + 1000 * r->r10 +
		      10000 * r->r8 + 100000 * r->r9);
}

static long sys_gs(struct pv_regs *r)
{
	uint64_t v;

	(void)r;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(v));
	return (long)v;
}

static long sys_fill(struct pv_regs *r)
{
	uint64_t pattern = 0xf111f111f111f111ULL;

	if (r->rsi != sizeof(pattern)) {
		return -EINVAL;
	}
	return pv_user_copy_to(r->rdi, &pattern, sizeof(pattern));
}

/* ---- user code ---------------------------------------------------------- */

PV_USER static void u_sysret_regs(void)
{
	register uint64_t r11 __asm__("r11");
	uint64_t rcx, expect, flags;
	long ret;

	__asm__ volatile("lea 1f(%%rip), %[e]\n\t"
			 "pushfq\n\t"
			 "pop %[f]\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(ret), "=c"(rcx),
			   "=r"(r11), [e] "=&r"(expect), [f] "=&r"(flags)
			 : "0"((long)PV_SYS_getpid)
			 : "memory");
	res.sysret_rcx = rcx;
	res.sysret_r11 = r11;
	res.sysret_expect = expect;
	res.sysret_flags = flags;
}

PV_USER static long u_calls(uint64_t kernel_addr)
{
	res.pid = pv_sys0(PV_SYS_getpid);
	res.write_ok = pv_sys2(PV_SYS_write, (long)hello, sizeof(hello) - 1);
	res.write_kernel = pv_sys2(PV_SYS_write, (long)kernel_addr, 8);
	res.write_hole =
		pv_sys2(PV_SYS_write, (long)pv_user_page(HOLE_PAGE), 8);
	res.write_big = pv_sys2(PV_SYS_write, (long)hello, 5000);
	res.unknown = pv_sys0(__HYPERVISOR_xen_version);
	res.huge_nr = pv_sys0(-1);
	res.args = pv_sys6(SYS_ARGS, 1, 2, 3, 4, 5, 6);
	res.fill_ok = pv_sys2(SYS_FILL, (long)&res.fill_word, 8);
	res.fill_text = pv_sys2(SYS_FILL, (long)hello, 8);
	u_sysret_regs();
	return 7; /* through pv_user_return_stub: exit(7) */
}

PV_USER static long u_exit(uint64_t code)
{
	pv_sys1(PV_SYS_exit, (long)code);
	res.after_exit = 1;
	return 0;
}

PV_USER static long u_int80(uint64_t unused)
{
	register uint64_t r11 __asm__("r11") = 0x1111111111111111ULL;
	uint64_t rcx = 0xcccccccccccccccdULL;
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret), "+c"(rcx), "+r"(r11)
			 : "0"((long)PV_SYS_getpid)
			 : "memory");
	res.int80_pid = ret;
	res.int80_rcx = rcx;
	res.int80_r11 = r11;
	return 0;
}

PV_USER static uint64_t u_gs0(void)
{
	uint64_t v;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(v));
	return v;
}

PV_USER static long u_gs(uint64_t unused)
{
	res.gs_before = u_gs0();
	res.gs_kernel = (uint64_t)pv_sys0(SYS_GS);
	res.gs_after = u_gs0();
	return 0;
}

PV_USER static long u_load(uint64_t addr)
{
	return (long)*(volatile uint64_t *)addr;
}

PV_USER static long u_store(uint64_t addr)
{
	*(volatile uint64_t *)addr = 1;
	return 0;
}

PV_USER static long u_int3(uint64_t unused)
{
	__asm__ volatile("int3" ::: "memory");
	return 5;
}

PV_USER static long u_int14(uint64_t unused)
{
	__asm__ volatile("int $14" ::: "memory");
	return 9;
}

PV_USER static long u_cli(uint64_t unused)
{
	__asm__ volatile("cli" ::: "memory");
	return 10;
}

PV_USER static long u_spin(uint64_t max)
{
	uint64_t n = 0;

	while (!res.event_flag && n < max) {
		n++;
	}
	res.spins = n;
	return res.event_flag ? 0 : -1;
}

/*
 * Into compatibility mode at target (32-bit code below 4 GiB) through the
 * flat 32-bit user CS. The code there does not come back.
 */
PV_USER static long u_compat(uint64_t target)
{
	__asm__ volatile("pushq %[cs]\n\t"
			 "pushq %[ip]\n\t"
			 "lretq"
			 :
			 : [cs] "i"(FLAT_RING3_CS32), [ip] "r"(target)
			 : "memory");
	return -1;
}

/* mov $SYS32_NR, %eax; syscall; ud2 (32-bit code). */
#define SYS32_NR	 0x1234
#define SYS32_AT_SYSCALL 5 /* offset of the SYSCALL */
static const uint8_t compat_code[] = { 0xb8, 0x34, 0x12, 0x00, 0x00,
				       0x0f, 0x05, 0x0f, 0x0b };

/* What the syscall32 callback found: the bounce frame and RAX. */
static struct {
	unsigned int calls;
	uint64_t frame[7]; /* RCX R11 RIP CS RFLAGS RSP SS */
	uint64_t rax;
} sys32;

/* The syscall32 callback: records, then ends the process. */
void sys32_entry(void);
void sys32_seen(const uint64_t *f, uint64_t rax);
PV_HANDLER __attribute__((used, noreturn)) void sys32_seen(const uint64_t *f,
							   uint64_t rax)
{
	for (unsigned int i = 0; i < 7; i++) {
		sys32.frame[i] = f[i];
	}
	sys32.rax = rax;
	sys32.calls++;
	pv_user_exit(0x32);
}

__asm__(".text\n\t"
	".balign 16\n\t"
	".globl sys32_entry\n"
	"sys32_entry:\n\t"
	"mov %rsp, %rdi\n\t"
	"mov %rax, %rsi\n\t"
	"and $-16, %rsp\n\t"
	"call sys32_seen\n\t"
	"ud2\n");

/* ---- tests -------------------------------------------------------------- */

static long run(pv_user_fn fn, uint64_t arg)
{
	return pv_user_run(fn, arg, STACK_TOP);
}

static void test_init(void)
{
	pv_test_begin("usermode.init");
	if (PV_CHECK_OK(pv_user_init())) {
		PV_CHECK_OK(pv_user_init()); /* idempotent */
		PV_CHECK_OK(pv_user_map(RO_PAGE, PV_PTE_P | PV_PTE_A));
		PV_CHECK_OK(pv_user_map(HOLE_PAGE, 0));
		PV_CHECK_OK(pv_user_set_syscall(SYS_ARGS, sys_args));
		PV_CHECK_OK(pv_user_set_syscall(SYS_GS, sys_gs));
		PV_CHECK_OK(pv_user_set_syscall(SYS_FILL, sys_fill));
		PV_CHECK_EQ(pv_user_set_syscall(PV_SYS_NR, sys_gs), -EINVAL);
	}
	for (unsigned int v = 0; v < PV_NR_TRAPS; v++) {
		pv_trap_set_handler(v, on_user_fault);
	}
	pv_test_end();
}

static void test_syscalls(void)
{
	uint64_t calls = pv_user_syscalls();

	pv_test_begin("usermode.syscalls");
	PV_CHECK_EQ(run(u_calls, (uint64_t)&kernel_secret), 7);
	PV_CHECK_EQ(res.pid, 1);
	PV_CHECK_EQ(res.write_ok, (long)sizeof(hello) - 1);
	PV_CHECK_EQ(res.write_kernel, -EFAULT);
	PV_CHECK_EQ(res.write_hole, -EFAULT);
	PV_CHECK_EQ(res.write_big, -EINVAL);
	PV_CHECK_EQ(res.unknown, -ENOSYS); /* not a hypercall from user */
	PV_CHECK_EQ(res.huge_nr, -ENOSYS);
	PV_CHECK_EQ(res.args, 654321);
	PV_CHECK_EQ(res.fill_ok, 0);
	PV_CHECK_EQ(res.fill_word, 0xf111f111f111f111ULL);
	PV_CHECK_EQ(res.fill_text, -EFAULT);
	/* 11 calls, the getpid of u_sysret_regs and the exit. */
	PV_CHECK_EQ(pv_user_syscalls() - calls, 12);
	PV_CHECK_EQ(seen.n, 0);
	pv_test_end();

	pv_test_begin("usermode.sysret_regs");
	PV_CHECK_EQ(res.sysret_rcx, res.sysret_expect);
	PV_CHECK_EQ(res.sysret_r11, res.sysret_flags);
	pv_test_end();
}

static void test_syscall32(void)
{
	uint64_t code = pv_user_page(COMPAT_PAGE), calls = pv_user_syscalls();
	struct callback_register cb = {
		.type = CALLBACKTYPE_syscall32,
		.flags = CALLBACKF_mask_events,
		.address = (uint64_t)sys32_entry,
	};
	enum { RCX, R11, RIP, CS, RFLAGS, RSP, SS };

	memcpy((void *)code, compat_code, sizeof(compat_code));

	/* No syscall32 callback: #UD at the SYSCALL, 64-bit one untouched. */
	pv_test_begin("usermode.syscall32_unregistered");
	reset_seen();
	PV_CHECK_EQ(run(u_compat, code), 1000 + PV_TRAP_UD);
	PV_CHECK_EQ(seen.n, 1);
	PV_CHECK_EQ(seen.f[0].vector, PV_TRAP_UD);
	PV_CHECK_EQ(seen.f[0].rip, code + SYS32_AT_SYSCALL);
	PV_CHECK_EQ(seen.f[0].cs & 0xffff, FLAT_RING3_CS32);
	PV_CHECK_EQ(pv_user_syscalls(), calls);
	pv_test_end();

	pv_test_begin("usermode.syscall32");
	reset_seen();
	PV_CHECK_OK(HYPERVISOR_callback_op(CALLBACKOP_register, &cb));
	PV_CHECK_EQ(run(u_compat, code), 0x32);
	PV_CHECK_EQ(sys32.calls, 1);
	PV_CHECK_EQ(seen.n, 0);
	PV_CHECK_EQ(pv_user_syscalls(), calls); /* not the 64-bit callback */
	PV_CHECK_EQ(sys32.rax, SYS32_NR);
	/* The return address after the 2-byte SYSCALL, in RIP and RCX. */
	PV_CHECK_EQ(sys32.frame[RIP], code + SYS32_AT_SYSCALL + 2);
	PV_CHECK_EQ(sys32.frame[RCX], sys32.frame[RIP]);
	PV_CHECK_EQ(sys32.frame[R11], sys32.frame[RFLAGS]);
	PV_CHECK_EQ(sys32.frame[CS] & 0xffff, FLAT_RING3_CS32);
	PV_CHECK_EQ((sys32.frame[CS] >> 32) & 0xff, 0); /* events were on */
	PV_CHECK_EQ(sys32.frame[SS], FLAT_RING3_SS32);
	PV_CHECK_NE(sys32.frame[RFLAGS] & 0x200, 0);
	PV_CHECK_GE(sys32.frame[RSP], pv_user_page(0));
	PV_CHECK_LE(sys32.frame[RSP], STACK_TOP);
	pv_test_end();
}

static void test_exits(void)
{
	pv_test_begin("usermode.exit");
	PV_CHECK_EQ(run(u_exit, 42), 42);
	PV_CHECK_EQ(res.after_exit, 0);
	PV_CHECK_EQ(run(u_exit, (uint64_t)-3), -3);
	PV_CHECK_EQ(pv_user_pid(), 0);
	PV_CHECK(pv_irq_enabled(), "events enabled again after the process");
	pv_test_end();
}

static void test_int80(void)
{
	pv_test_begin("usermode.int80");
	PV_CHECK_EQ(run(u_int80, 0), 0);
	PV_CHECK_EQ(res.int80_pid, 4); /* the fourth process */
	PV_CHECK_EQ(res.int80_rcx, 0xcccccccccccccccdULL);
	PV_CHECK_EQ(res.int80_r11, 0x1111111111111111ULL);
	pv_test_end();
}

static void test_gs(void)
{
	uint64_t k;

	pv_test_begin("usermode.gs_bases");
	PV_CHECK_OK(HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL,
						(uint64_t)&kernel_gs_word));
	PV_CHECK_OK(HYPERVISOR_set_segment_base(SEGBASE_GS_USER,
						(uint64_t)&user_gs_word));
	PV_CHECK_EQ(run(u_gs, 0), 0);
	PV_CHECK_EQ(res.gs_before, USER_GS_MAGIC);
	PV_CHECK_EQ(res.gs_kernel, KERNEL_GS_MAGIC);
	PV_CHECK_EQ(res.gs_after, USER_GS_MAGIC);
	__asm__ volatile("mov %%gs:0, %0" : "=r"(k));
	PV_CHECK_EQ(k, KERNEL_GS_MAGIC);
	PV_CHECK_OK(HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0));
	pv_test_end();
}

static void check_pf(const char *name, pv_user_fn fn, uint64_t addr,
		     uint64_t error)
{
	pv_test_begin(name);
	reset_seen();
	PV_CHECK_EQ(run(fn, addr), 1000 + PV_TRAP_PF);
	PV_CHECK_EQ(seen.n, 1);
	PV_CHECK_EQ(seen.f[0].vector, PV_TRAP_PF);
	PV_CHECK_EQ(seen.f[0].error, error);
	PV_CHECK_EQ(seen.f[0].cr2, addr);
	PV_CHECK_EQ(seen.f[0].cs & 0xffff, FLAT_USER_CS);
	PV_CHECK(seen.f[0].rip >= (uint64_t)fn &&
			 seen.f[0].rip < (uint64_t)fn + 64,
		 "rip %lx in the user function %p", seen.f[0].rip, fn);
	PV_CHECK(seen.f[0].rsp < STACK_TOP && seen.f[0].rsp >= pv_user_page(0),
		 "user rsp %lx", seen.f[0].rsp);
	pv_test_end();
}

static void test_faults(void)
{
	/* Kernel-only memory is not in the user L4: not present, U. */
	check_pf("usermode.kernel_read", u_load, (uint64_t)&kernel_secret,
		 PV_PFEC_USER);
	check_pf("usermode.kernel_write", u_store, (uint64_t)&kernel_secret,
		 PV_PFEC_USER | PV_PFEC_WRITE);
	check_pf("usermode.hypercall_page", u_load, (uint64_t)hypercall_page,
		 PV_PFEC_USER);
	/* Present but read-only for the user: P, W, U. */
	check_pf("usermode.text_write", u_store, (uint64_t)u_store,
		 PV_PFEC_PRESENT | PV_PFEC_WRITE | PV_PFEC_USER);
	check_pf("usermode.ro_page_write", u_store, pv_user_page(RO_PAGE),
		 PV_PFEC_PRESENT | PV_PFEC_WRITE | PV_PFEC_USER);
	check_pf("usermode.hole_read", u_load, pv_user_page(HOLE_PAGE) + 8,
		 PV_PFEC_USER);
	PV_CHECK_EQ(kernel_secret, 0x5ec12e7);
}

static void test_demand(void)
{
	uint64_t va = pv_user_page(DEMAND_PAGE);

	pv_test_begin("usermode.demand_page");
	*(volatile uint64_t *)va = DEMAND_MAGIC;
	PV_CHECK_OK(pv_user_map(DEMAND_PAGE, 0));
	reset_seen();
	seen.map_demand = true;
	PV_CHECK_EQ(run(u_load, va), DEMAND_MAGIC);
	PV_CHECK_EQ(seen.n, 1);
	PV_CHECK_EQ(seen.f[0].error, PV_PFEC_USER);
	PV_CHECK_EQ(seen.f[0].cr2, va);
	pv_test_end();
}

static void test_traps(void)
{
	pv_test_begin("usermode.int3");
	reset_seen();
	PV_CHECK_EQ(run(u_int3, 0), 5);
	PV_CHECK_EQ(seen.n, 1);
	PV_CHECK_EQ(seen.f[0].vector, PV_TRAP_BP);
	PV_CHECK_EQ(seen.f[0].cs & 3, 3);
	PV_CHECK(seen.f[0].rip > (uint64_t)u_int3 &&
			 seen.f[0].rip < (uint64_t)u_int3 + 32,
		 "rip %lx after the INT3 in %p", seen.f[0].rip, u_int3);
	pv_test_end();

	/* libpv's slots are DPL 0 (but #BP/#OF): INT 14 from user is #GP. */
	pv_test_begin("usermode.int_dpl");
	reset_seen();
	seen.skip = 2;
	PV_CHECK_EQ(run(u_int14, 0), 9);
	PV_CHECK_EQ(seen.n, 1);
	PV_CHECK_EQ(seen.f[0].vector, PV_TRAP_GP);
	PV_CHECK_EQ(seen.f[0].error, (14 << 3) | 2);
	pv_test_end();

	/* Privileged instructions are not emulated for user mode. */
	pv_test_begin("usermode.privileged");
	reset_seen();
	seen.skip = 1;
	PV_CHECK_EQ(run(u_cli, 0), 10);
	PV_CHECK_EQ(seen.n, 1);
	PV_CHECK_EQ(seen.f[0].vector, PV_TRAP_GP);
	PV_CHECK_EQ(seen.f[0].error, 0);
	pv_test_end();
}

/* ---- Xeno's event counters (public/xeno_stats.h) -------------------------- */

static long stats_op(unsigned long cmd, void *arg)
{
	return hypercall2(__HYPERVISOR_xeno_stats_op, cmd, (unsigned long)arg);
}

PV_USER static long u_one_call(uint64_t unused)
{
	return pv_sys0(PV_SYS_getpid) > 0 ? 0 : 1;
}

static void test_xeno_stats(void)
{
	struct xeno_stats s0, s1, c0, c1;

	pv_test_begin("usermode.xeno_stats");
	PV_CHECK_OK(stats_op(XENO_STATS_read, &s0));
	PV_CHECK_OK(stats_op(XENO_STATS_read_cpu, &c0));
	PV_CHECK_EQ(run(u_one_call, 0), 0);
	PV_CHECK_OK(stats_op(XENO_STATS_read_cpu, &c1));
	PV_CHECK_OK(stats_op(XENO_STATS_read, &s1));
	PV_CHECK_EQ(s0.cpu, XENO_STATS_ALL_CPUS);
	/* One CPU here: the per-CPU form is CPU 0's and part of the sum. */
	PV_CHECK_EQ(c0.cpu, 0);
	PV_CHECK_EQ(c1.cpu, 0);
	PV_CHECK_EQ(c0.flags, s0.flags);
	/*
	 * Enter (iret to user), the system call (bounce in, iret out) and
	 * the exit call (bounce in): four root switches at least.
	 */
	PV_CHECK_GE(s1.cr3_loads - s0.cr3_loads, 4);
	PV_CHECK_GE(c1.cr3_loads - c0.cr3_loads, 4);
	PV_CHECK_GE(s1.cr3_loads, c1.cr3_loads);
	/* Without PCIDs every root load flushes; with them fewer may. */
	if (s0.flags & XENO_STATS_PCID) {
		PV_CHECK_GE(c1.cr3_loads - c0.cr3_loads,
			    c1.cr3_flushes - c0.cr3_flushes);
	} else {
		PV_CHECK_EQ(c1.cr3_flushes - c0.cr3_flushes,
			    c1.cr3_loads - c0.cr3_loads);
	}
	PV_CHECK_GE(s1.bounces - s0.bounces, 2);
	PV_CHECK_GE(s1.hypercalls - s0.hypercalls, 1);
	PV_CHECK_EQ(stats_op(XENO_STATS_read, (void *)0x1000), -EFAULT);
	PV_CHECK_EQ(stats_op(XENO_STATS_read, (void *)0xffff800000001000ULL),
		    -EFAULT);
	PV_CHECK_EQ(stats_op(XENO_STATS_read_cpu, (void *)0x1000), -EFAULT);
	PV_CHECK_EQ(stats_op(2, &s0), -ENOSYS);
	pv_test_end();
}

/* ---- an event upcall that interrupts user mode -------------------------- */

static struct {
	unsigned int n, in_user;
	uint64_t rip;
} upcall;

PV_HANDLER static void on_timer(evtchn_port_t port, struct pv_regs *regs,
				void *arg)
{
	(void)port;
	(void)arg;
	upcall.n++;
	if (pv_regs_user_mode(regs)) {
		upcall.in_user++;
		upcall.rip = regs->rip;
		res.event_flag = 1;
	}
}

static void test_event_in_user(void)
{
	evtchn_port_t port;

	pv_test_begin("usermode.event_upcall");
	if (!PV_CHECK_OK(pv_evtchn_bind_virq(VIRQ_TIMER, 0, &port))) {
		pv_test_end();
		return;
	}
	PV_CHECK_OK(pv_evtchn_bind(port, on_timer, NULL));
	res.event_flag = 0;
	PV_CHECK_OK(pv_set_timer(pv_now_ns() + 2000000));
	PV_CHECK_EQ(run(u_spin, 1ULL << 40), 0);
	PV_CHECK_GE(upcall.in_user, 1);
	PV_CHECK(upcall.rip >= (uint64_t)u_spin &&
			 upcall.rip < (uint64_t)u_spin + 64,
		 "upcall rip %lx in u_spin %p", upcall.rip, u_spin);
	pv_evtchn_unbind(port);
	pv_test_end();
}

int main(void)
{
	test_init();
	test_syscalls();
	test_exits();
	test_int80();
	test_syscall32();
	test_gs();
	test_faults();
	test_demand();
	test_traps();
	test_event_in_user();
	test_xeno_stats();
	for (unsigned int v = 0; v < PV_NR_TRAPS; v++) {
		pv_trap_set_handler(v, NULL);
	}
	return 0;
}
