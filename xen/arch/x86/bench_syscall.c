/* SPDX-License-Identifier: MIT */
/*
 * The native system call in this QEMU (bench=syscall): ring-3 code
 * making SYSCALLs that a ring-0 handler answers with SYSRET, measured by
 * the hypervisor itself with no guest around. It is the reference the PV
 * figures are divided by (bench/report.py): a guest's null hypercall and
 * a guest user process's system call should cost no more than this.
 *
 * Two handlers, two figures:
 *   native_syscall_bare  SYSCALL, compare, SYSRET: the floor.
 *   native_syscall       what a kernel's entry does at least: SWAPGS, a
 *                        switch to a kernel stack, all fifteen general
 *                        registers saved, a call into C, restored,
 *                        SWAPGS, SYSRET.
 * and the native counterpart of the PV exception bounce:
 *   native_int3          ring-3 INT3 through an IDT gate (DPL 3) to a
 *                        ring-0 handler on the kernel stack (TSS.RSP0)
 *                        that saves the fifteen registers, calls C,
 *                        restores them and returns with IRETQ.
 *
 * Set-up and rules: a scratch L4 is a copy of the current one plus slot 0
 * mapping one ring-3 code page (the loop below, copied there) and one
 * ring-3 stack page at RING3_VA, user-accessible. The ring-3 loop runs
 * with RFLAGS.IF clear (nothing can interrupt it) and ends with a SYSCALL
 * of RAX = 1, on which the handler returns to bench_ring3_run's caller.
 * CR3, MSR_LSTAR and the interrupt state are restored afterwards and the
 * frames freed, so the benchmark leaves no trace; it runs before any
 * domain exists. For INT3 the loop at RING3_INT3 runs instead, with a
 * copy of the IDT whose vector 3 gate leads to the handler below and
 * TSS.RSP0 at the handler's stack; the IDT and RSP0 are put back after.
 */
#include <asm/bench.h>
#include <asm/cpu.h>
#include <asm/layout.h>
#include <asm/time.h>
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/pte.h>

#define RING3_VA    0x400000ULL /* the code page; the stack page follows */
#define RING3_INT3  (RING3_VA + 0x800) /* the INT3 loop, same page */
#define RING3_STACK (RING3_VA + 2 * PAGE_SIZE)
#define ROUNDS	    5

/* The fifteen GPRs saved and restored as a trap entry does. */
#define PUSH_GPRS                                                           \
	"\tpush %rax\n\tpush %rbx\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n" \
	"\tpush %rdi\n\tpush %rbp\n\tpush %r8\n\tpush %r9\n\tpush %r10\n"   \
	"\tpush %r11\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n"
#define POP_GPRS                                                       \
	"\tpop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %r11\n" \
	"\tpop %r10\n\tpop %r9\n\tpop %r8\n\tpop %rbp\n\tpop %rdi\n"   \
	"\tpop %rsi\n\tpop %rdx\n\tpop %rcx\n\tpop %rbx\n\tpop %rax\n"

#define STR1(x) #x
#define STR(x)	STR1(x)

/* The kernel stack of the full handler. */
static uint8_t kstack[4096] __aligned(16);

/* Read and written by the assembly below. */
uint64_t bench_sc_saved_rsp, bench_sc_user_rsp, bench_sc_kstack;

extern const char ring3_loop[], ring3_loop_end[];
extern const char ring3_int3_loop[], ring3_int3_loop_end[];
extern const char native_syscall_bare_entry[], native_syscall_full_entry[];
extern const char native_int3_entry[];
uint64_t bench_ring3_run(uint64_t rip, uint64_t rsp, uint64_t iterations);
long bench_null_syscall(void);

__asm__(".pushsection .text\n"
	/* Ring 3, copied to RING3_VA: RBX = iterations. */
	"ring3_loop:\n"
	"1:	xor %eax, %eax\n"
	"	syscall\n"
	"	dec %rbx\n"
	"	jnz 1b\n"
	"	mov $1, %eax\n"
	"	syscall\n"
	"	ud2\n"
	"ring3_loop_end:\n"

	/* Ring 3, copied to RING3_INT3: RBX = iterations of INT3. */
	"ring3_int3_loop:\n"
	"1:	int3\n"
	"	dec %rbx\n"
	"	jnz 1b\n"
	"	mov $1, %eax\n"
	"	syscall\n"
	"	ud2\n"
	"ring3_int3_loop_end:\n"

	/* #BP from ring 3 on the kernel stack: save, call C, IRETQ. */
	".globl native_int3_entry\n"
	"native_int3_entry:\n"
	"	swapgs\n" PUSH_GPRS "	call bench_null_syscall\n" POP_GPRS
	"	swapgs\n"
	"	iretq\n"

	/* bench_ring3_run(rip, rsp, iterations): IRETQ to ring 3. */
	".globl bench_ring3_run\n"
	"bench_ring3_run:\n"
	"	push %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	mov %rsp, bench_sc_saved_rsp(%rip)\n"
	"	mov %rdx, %rbx\n"
	"	pushq $" STR(
		GUEST_DS) "\n"
			  "	push %rsi\n"
			  "	pushq $2\n" /* RFLAGS: IF clear */
			  "	pushq $" STR(
				  GUEST_CS64) "\n"
					      "	push %rdi\n"
					      "	iretq\n"

					      /* The exit SYSCALL: back to bench_ring3_run's caller. */
					      "ring3_exit:\n"
					      "	mov bench_sc_saved_rsp(%rip), %rsp\n"
					      "	pop %r15\n"
					      "	pop %r14\n"
					      "	pop %r13\n"
					      "	pop %r12\n"
					      "	pop %rbx\n"
					      "	pop %rbp\n"
					      "	xor %eax, %eax\n"
					      "	ret\n"

					      ".globl native_syscall_bare_entry\n"
					      "native_syscall_bare_entry:\n"
					      "	cmp $1, %eax\n"
					      "	je ring3_exit\n"
					      "	sysretq\n"

					      ".globl native_syscall_full_entry\n"
					      "native_syscall_full_entry:\n"
					      "	swapgs\n"
					      "	mov %rsp, bench_sc_user_rsp(%rip)\n"
					      "	mov bench_sc_kstack(%rip), %rsp\n"
					      "	cmp $1, %eax\n"
					      "	je 2f\n" PUSH_GPRS
					      "	call bench_null_syscall\n"
					      "	mov %rax, 14*8(%rsp)\n" POP_GPRS
					      "	mov bench_sc_user_rsp(%rip), %rsp\n"
					      "	swapgs\n"
					      "	sysretq\n"
					      "2:	swapgs\n"
					      "	jmp ring3_exit\n"
					      ".popsection\n");

__attribute__((noinline)) long bench_null_syscall(void)
{
	__asm__ volatile("" ::: "memory");
	return 0;
}

/* The frames of the scratch address space. */
struct ring3_space {
	struct page_info *pg[6]; /* L4, L3, L2, L1, code, stack */
};

static uint64_t *frame_va(const struct ring3_space *s, unsigned int i)
{
	return arch_mfn_to_virt(page_to_mfn(s->pg[i]));
}

static uint64_t entry_of(const struct ring3_space *s, unsigned int i,
			 uint64_t flags)
{
	return pte_make(page_to_mfn(s->pg[i]), flags);
}

static bool ring3_space_build(struct ring3_space *s)
{
	const uint64_t table = PTE_P | PTE_RW | PTE_US | PTE_A;
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->pg); i++) {
		s->pg[i] = frame_alloc(0, FA_ZERO);
		if (s->pg[i] == NULL) {
			while (i-- > 0) {
				frame_free(s->pg[i], 0, 0);
			}
			return false;
		}
	}
	memcpy(frame_va(s, 0), arch_mfn_to_virt(mfn(read_cr3() >> PAGE_SHIFT)),
	       PAGE_SIZE);
	frame_va(s, 0)[0] = entry_of(s, 1, table);
	frame_va(s, 1)[0] = entry_of(s, 2, table);
	frame_va(s, 2)[(RING3_VA >> 21) & 511] = entry_of(s, 3, table);
	frame_va(s, 3)[(RING3_VA >> 12) & 511] =
		entry_of(s, 4, PTE_P | PTE_US | PTE_A);
	frame_va(s, 3)[((RING3_VA >> 12) + 1) & 511] =
		entry_of(s, 5, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | nx);
	memcpy(frame_va(s, 4), ring3_loop,
	       (size_t)(ring3_loop_end - ring3_loop));
	memcpy((uint8_t *)frame_va(s, 4) + (RING3_INT3 - RING3_VA),
	       ring3_int3_loop,
	       (size_t)(ring3_int3_loop_end - ring3_int3_loop));
	return true;
}

static void ring3_space_free(struct ring3_space *s)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(s->pg); i++) {
		frame_free(s->pg[i], 0, 0);
	}
}

/* ns * 1000 per round trip of one round from ring-3 code at rip. */
static uint64_t one_round(const struct ring3_space *s, const char *entry,
			  uint64_t rip, uint64_t ops)
{
	uint64_t lstar = rdmsr(MSR_LSTAR), cr3 = read_cr3(), t0, t1;

	wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)entry);
	write_cr3(mfn_x(page_to_mfn(s->pg[0])) << PAGE_SHIFT);
	t0 = rdtsc();
	bench_ring3_run(rip, RING3_STACK, ops);
	t1 = rdtsc();
	write_cr3(cr3);
	wrmsr(MSR_LSTAR, lstar);
	return tsc_to_ns(t1 - t0) * 1000 / ops;
}

/* The IDT, and the copy of it the INT3 benchmark loads. */
struct __attribute__((packed)) table_ptr {
	uint16_t limit;
	uint64_t base;
};

static uint8_t bench_idt[256 * 16] __aligned(16);

/* The running CPU's TSS.RSP0, found through TR and the GDT. */
static uint64_t *tss_rsp0(void)
{
	struct table_ptr g;
	uint16_t sel;
	const uint64_t *d;
	uint64_t base;

	__asm__ volatile("sgdt %0" : "=m"(g));
	__asm__ volatile("str %0" : "=r"(sel));
	d = (const uint64_t *)(uintptr_t)(g.base + (sel & ~7u));
	base = ((d[0] >> 16) & 0xffffff) | (((d[0] >> 56) & 0xff) << 24) |
	       (d[1] << 32);
	return (uint64_t *)(uintptr_t)(base + 4);
}

/* Loads a copy of the IDT whose vector 3 gate leads to handler. */
static void idt_with_bp(const struct table_ptr *real, uint64_t handler)
{
	struct table_ptr p = { sizeof(bench_idt) - 1,
			       (uint64_t)(uintptr_t)bench_idt };
	uint8_t *g = bench_idt + 3 * 16;

	memcpy(bench_idt, (const void *)(uintptr_t)real->base,
	       MIN(sizeof(bench_idt), (size_t)real->limit + 1));
	/* Offset bits 15:0, 31:16 and 63:32; selector, IST, type unchanged. */
	memcpy(g + 0, &handler, 2);
	memcpy(g + 6, (const uint8_t *)&handler + 2, 2);
	memcpy(g + 8, (const uint8_t *)&handler + 4, 4);
	__asm__ volatile("lidt %0" : : "m"(p));
}

/* One round of INT3 round trips (ns * 1000 each). */
static uint64_t one_int3_round(const struct ring3_space *s, uint64_t ops)
{
	struct table_ptr real;
	uint64_t *rsp0 = tss_rsp0(), old_rsp0 = *rsp0, r;

	__asm__ volatile("sidt %0" : "=m"(real));
	idt_with_bp(&real, (uint64_t)(uintptr_t)native_int3_entry);
	*rsp0 = bench_sc_kstack;
	r = one_round(s, native_syscall_bare_entry, RING3_INT3, ops);
	*rsp0 = old_rsp0;
	__asm__ volatile("lidt %0" : : "m"(real));
	return r;
}

static uint64_t median_of(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		for (unsigned int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	}
	return v[n / 2];
}

static void measure(const struct ring3_space *s, const char *name,
		    const char *entry, uint64_t ops)
{
	uint64_t r[ROUNDS], m;

	for (unsigned int i = 0; i < ROUNDS; i++) {
		r[i] = entry != NULL ? one_round(s, entry, RING3_VA, ops)
				     : one_int3_round(s, ops);
	}
	m = median_of(r, ROUNDS);
	printk(LOG_ERR, "XENO-BENCH %s ns_per_op=%lu.%03lu ops=%lu\n", name,
	       m / 1000, m % 1000, ops);
}

void bench_syscall(void)
{
	struct ring3_space s;
	uint64_t ops = opt.bench_ops;
	uint64_t rflags = read_rflags();

	if (!ring3_space_build(&s)) {
		printk(LOG_ERR, "bench: syscall: no memory\n");
		return;
	}
	irq_disable();
	bench_sc_kstack = (uint64_t)(uintptr_t)(kstack + sizeof(kstack));
	measure(&s, "native_syscall_bare", native_syscall_bare_entry, ops);
	measure(&s, "native_syscall", native_syscall_full_entry, ops);
	measure(&s, "native_int3", NULL, ops);
	if (rflags & RFLAGS_IF) {
		irq_enable();
	}
	ring3_space_free(&s);
}
