/* SPDX-License-Identifier: MIT */
/*
 * x86 built-in tests: every CPU online and taking timer interrupts and
 * cross-CPU calls (smp), the allocator under all CPUs at once (allocsmp),
 * a deliberate hypervisor page fault (fault) that must end in the
 * exception dump, and a #DB taken in the hypervisor with a junk stack
 * pointer and GS base (debugreg), and the direct guest copies' fault
 * handling: a fault on a guest address ends the copy (gcopy), one on the
 * hypervisor's side of a copy is fatal like any other (gcopy_hyp).
 */
#include <asm/apic.h>
#include <asm/boot.h>
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/selftest.h>

static volatile unsigned int calls_seen;
static volatile uint64_t timer_ok_mask;

static void smp_probe(void *arg)
{
	unsigned int cpu = arch_cpu_id();
	uint64_t start = timer_ticks(cpu), deadline;

	(void)arg;
	__atomic_fetch_add(&calls_seen, 1, __ATOMIC_RELAXED);
	/* One timer interrupt must arrive within 1 s of arming it. */
	timer_arm_ns(1000000);
	deadline = rdtsc() + ns_to_tsc(1000000000ULL);
	while (timer_ticks(cpu) == start && rdtsc() < deadline) {
		safe_halt();
	}
	if (timer_ticks(cpu) != start) {
		__atomic_fetch_or(&timer_ok_mask, 1ULL << cpu,
				  __ATOMIC_RELAXED);
	}
}

static int test_smp(char *detail, size_t size)
{
	unsigned int expect = acpi_nr_cpus ? acpi_nr_cpus : 1;
	unsigned int timers, c;

	if (expect > opt.maxcpus) {
		expect = (unsigned int)opt.maxcpus;
	}
	calls_seen = 0;
	timer_ok_mask = 0;
	smp_call_all(smp_probe, NULL);
	for (timers = 0, c = 0; c < NR_CPUS; c++) {
		timers += (timer_ok_mask >> c) & 1;
	}
	snprintf(detail, size, "online=%u expected=%u calls=%u timers=%u",
		 nr_cpus_online, expect, calls_seen, timers);
	return !(nr_cpus_online == expect && calls_seen == nr_cpus_online &&
		 timers == nr_cpus_online);
}

/* Each CPU allocates and frees blocks of mixed orders at the same time. */
static volatile unsigned int smp_alloc_errors;

static void alloc_storm(void *arg)
{
	struct page_info *held[64];
	unsigned int round, i, order;

	(void)arg;
	for (round = 0; round < 200; round++) {
		for (i = 0; i < ARRAY_SIZE(held); i++) {
			order = (round + i * 7) % 4 == 3 ? 2 : 0;
			held[i] = frame_alloc(order, 0);
			if (!held[i]) {
				__atomic_fetch_add(&smp_alloc_errors, 1,
						   __ATOMIC_RELAXED);
			}
		}
		for (i = 0; i < ARRAY_SIZE(held); i++) {
			order = (round + i * 7) % 4 == 3 ? 2 : 0;
			if (held[i]) {
				frame_free(held[i], order, 0);
			}
		}
	}
}

static int test_allocsmp(char *detail, size_t size)
{
	uint64_t before = frame_free_count(), after;

	smp_alloc_errors = 0;
	smp_call_all(alloc_storm, NULL);
	frame_cache_drain_all();
	after = frame_free_count();
	snprintf(detail, size, "cpus=%u free=%lu after=%lu errors=%u",
		 nr_cpus_online, before, after, smp_alloc_errors);
	return before != after || smp_alloc_errors || frame_alloc_audit();
}

/* Faults on an address no page table maps; must never return. */
__attribute__((noinline)) static void selftest_fault(void)
{
	volatile uint64_t *p = (volatile uint64_t *)0x0000700000000000ULL;

	printk(LOG_INFO, "selftest: touching unmapped %p on purpose\n",
	       (const volatile void *)p);
	*p = 0x5a5a;
}

static int test_fault(char *detail, size_t size)
{
	selftest_fault();
	snprintf(detail, size, "the fault did not trap");
	return 1;
}

/*
 * A guest's MOV SS + SYSCALL with a data breakpoint on the MOV SS operand
 * makes #DB arrive in ring 0 at syscall_entry with the guest's RSP and GS
 * base (entry.S db_entry). The same here in the hypervisor: a watched
 * MOV SS operand, an unmapped RSP and a junk GS base. The #DB must run on
 * its IST stack (pushing on RSP 0x1000 would end in a double fault),
 * must not use %gs, must record the hit and must return. On real CPUs
 * the #DB comes after the NOP; QEMU's TCG delivers it right after the
 * MOV SS (it does not delay watchpoint #DBs); either way RSP is junk.
 */
static volatile uint16_t db_watched_ss;
static volatile uint64_t db_saved_rsp;

static int test_debugreg(char *detail, size_t size)
{
	uint64_t before = pv_debugreg_ring0_count(), after, dr6, dr6_now;
	uint64_t gs = rdmsr(MSR_GS_BASE);
	unsigned long flags = read_rflags();

	irq_disable();
	db_watched_ss = HYP_DS;
	write_dr0((uint64_t)(uintptr_t)&db_watched_ss);
	/* L0, R/W = 11b (read or write), LEN = 01b (2 bytes). */
	write_dr7(DR7_DEFAULT | 1 | ((uint64_t)DR_RW_RW << 16) | (1ULL << 18));
	wrmsr(MSR_GS_BASE, 0x0000123400000000ULL);
	__asm__ volatile("mov %%rsp, %0\n\t"
			 "mov $0x1000, %%rsp\n\t"
			 "mov %1, %%ss\n\t"
			 "nop\n\t"
			 "mov %0, %%rsp"
			 : "+m"(db_saved_rsp)
			 : "m"(db_watched_ss)
			 : "memory");
	wrmsr(MSR_GS_BASE, gs);
	pv_debugreg_cpu_init(); /* back to the rest state */
	dr6_now = read_dr6();
	if (flags & RFLAGS_IF) {
		irq_enable();
	}
	after = pv_debugreg_ring0_count();
	dr6 = pv_debugreg_ring0_last_dr6();
	snprintf(detail, size, "ring0-db=%lu dr6=%#lx dr6-after=%#lx",
		 after - before, dr6, dr6_now);
	return !(after == before + 1 && (dr6 & DR6_B(0)) &&
		 dr6_now == DR6_DEFAULT);
}

/* A guest-part address no table of the idle context maps. */
#define GCOPY_UNMAPPED 0x0000700000000000ULL

/*
 * The direct copy routines run here in the idle context, whose tables
 * map nothing in the guest's part: every copy faults on its guest
 * address, which the exception table must turn into "nothing copied";
 * ranges outside the guest's part are refused before any access; the
 * SMAP window is closed again afterwards.
 */
static int test_gcopy(char *detail, size_t size)
{
	uint8_t buf[16] = { 0 };
	unsigned int bad = 0;

	bad += arch_copy_from_live(buf, GCOPY_UNMAPPED, 16) != 16;
	bad += arch_copy_to_live(GCOPY_UNMAPPED + 4093, buf, 13) != 13;
	bad += arch_copy_from_live(buf, HYPERVISOR_VIRT_START - 8, 16) != 16;
	bad += arch_copy_to_live(DIRECTMAP_BASE, buf, 8) != 8;
	bad += arch_copy_from_live(buf, GCOPY_UNMAPPED, 0) != 0;
	bad += (read_rflags() & RFLAGS_AC) != 0;
	bad += (read_cr0() & CR0_WP) == 0;
	bad += cpu_has.smap && (read_cr4() & CR4_SMAP) == 0;
	snprintf(detail, size, "errors=%u smap=%d", bad, cpu_has.smap);
	return bad != 0;
}

/* Reads an unmapped hypervisor address inside a copy: must not return. */
static int test_gcopy_hyp(char *detail, size_t size)
{
	const void *src = (const void *)(DIRECTMAP_BASE + (1ULL << 40));
	size_t left;

	printk(LOG_INFO, "selftest: copying from unmapped %p on purpose\n",
	       src);
	left = arch_copy_to_live(GCOPY_UNMAPPED, src, 8);
	snprintf(detail, size, "the fault did not trap (left %zu)", left);
	return 1;
}

const struct selftest arch_selftests[] = {
	{ "smp", test_smp },	 { "allocsmp", test_allocsmp },
	{ "fault", test_fault }, { "debugreg", test_debugreg },
	{ "gcopy", test_gcopy }, { "gcopy_hyp", test_gcopy_hyp },
	{ NULL, NULL },
};
