/* SPDX-License-Identifier: MIT */
/*
 * start_xeno: the boot CPU's path from boot.S to the running system, in
 * order: console, traps, boot information and command line, CPU
 * features, memory, ACPI, time, the other CPUs, the banner; then the
 * built-in tests or benchmarks if the command line asks for them, or the
 * idle loop.
 */
#include <asm/apic.h>
#include <asm/boot.h>
#include <asm/cpu.h>
#include <asm/desc.h>
#include <asm/mm.h>
#include <asm/pv.h>
#include <asm/serial.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <xeno/arch.h>
#include <xeno/bootinfo.h>
#include <xeno/cmdline.h>
#include <xeno/console.h>
#include <xeno/domain.h>
#include <xeno/frame_alloc.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>
#include <xeno/mm_domain.h>
#include <xeno/ptype.h>
#include <xeno/sched.h>
#include <xeno/selftest.h>
#include <xeno/version.h>

void start_xeno(uint32_t magic, uint32_t info_phys);

struct boot_info boot_info;

/* The loader's structures are below 4 GiB, which the boot map covers. */
static const void *boot_map(uint64_t phys, uint64_t len)
{
	const uint64_t limit = 4ULL << 30;

	if (phys >= limit || len > limit - phys) {
		return NULL;
	}
	return phys_to_virt(phys);
}

/* How address spaces are tagged (docs/mm.md §15). */
static const char *tlb_tags_text(void)
{
	if (cpu_has.use_pcid) {
		return "PCIDs: switches keep TLB entries";
	}
	if (!cpu_has.pcid || !cpu_has.pge) {
		return "no PCIDs (the CPU has none): CR3 loads flush";
	}
	return "no PCIDs (pcid=off): CR3 loads flush";
}

static void banner(void)
{
	uint64_t boot_us = tsc_to_ns(rdtsc() - boot_tsc) / 1000;
	char feats[160];

	cpu_features_describe(feats, sizeof(feats));
	printk(LOG_ERR,
	       "Xeno %s (%s build): an x86-64 PV hypervisor\n"
	       "  loader      %s, command line \"%s\"\n"
	       "  cpu         %s (%s), TSC %lu.%03lu GHz\n"
	       "  features    %s\n"
	       "  tlb         %s\n"
	       "  cpus        %u online\n"
	       "  memory      %lu MiB total, %lu MiB free, %lu MiB reserved "
	       "by Xeno\n"
	       "  boot time   %lu.%lu ms from the first instruction\n",
	       XENO_VERSION, XENO_BUILD_KIND, boot_info.loader,
	       boot_info.cmdline, cpu_has.model, cpu_has.vendor,
	       tsc_khz / 1000000, tsc_khz / 1000 % 1000, feats, tlb_tags_text(),
	       nr_cpus_online, mem_stats.ram >> 8, frame_free_count() >> 8,
	       mem_stats.reserved >> 8, boot_us / 1000, boot_us % 1000 / 100);
	printk(LOG_ERR, "XENO-READY boot_ms=%lu.%lu cpus=%u\n", boot_us / 1000,
	       boot_us % 1000 / 100, nr_cpus_online);
}

/*
 * The end-of-run invariant check: the frame allocator's counts recomputed
 * from the frame table must match its running counts, and every domain
 * frame's general, type and linear counts recomputed from all page
 * tables and pins must match the running ones (mm_audit).
 */
static int invariant_check(void)
{
	int rc;

	frame_cache_drain_all();
	rc = frame_alloc_audit();
	if (!rc) {
		rc = mm_audit();
	}
	printk(LOG_ERR, "XENO-CHECK invariants %s free=%lu total=%lu\n",
	       rc ? "FAIL" : "PASS", frame_free_count(), frame_total_count());
	return rc;
}

/* Every module failed to build: the invariant check, then stop. */
static void failed_boot_halt(void)
{
	invariant_check();
	arch_halt(XENO_EXIT_BAD_BOOT);
}

/* invariant_check(), as sched_quiesce_run's function. */
static void invariant_check_parked(void *rc)
{
	*(int *)rc = invariant_check();
}

/*
 * The last domain was destroyed (domain.c): check that nothing leaked
 * and stop, with XENO_EXIT_TEST_FAIL if a domain crashed or an earlier
 * check (debug builds check after every destruction) failed. The other
 * CPUs are parked during the check: idle, they still zero free memory
 * for the stash (frame_scrub_idle), and a block they have just taken out
 * of the buddy is not yet marked allocated, which the frame table walk
 * would see as a frame in no state.
 */
void domains_all_gone(void)
{
	struct guest_access_stats ga;
	int rc = 0;

	sched_quiesce_run(invariant_check_parked, &rc);

	guest_access_stats_read(&ga);
	printk(LOG_ERR,
	       "XENO-STAT guest_access direct=%lu walked=%lu faults=%lu\n",
	       ga.direct, ga.walked, ga.faults);
	printk(LOG_ERR, "XENO-DONE domains crashed=%u\n", domains_crashed());
	arch_halt(rc != 0 || domains_crashed() != 0 ||
				  domain_audit_failures() != 0
			  ? XENO_EXIT_TEST_FAIL
			  : XENO_EXIT_OK);
}

static void early_cpu(void)
{
	extern char boot_stack[];

	idt_init();
	desc_load_cpu(0, boot_stack);
}

void start_xeno(uint32_t magic, uint32_t info_phys)
{
	serial_init();
	early_cpu();
	printk(LOG_INFO, "Xeno %s starting\n", XENO_VERSION);
	if (multiboot_read(magic, info_phys, boot_map, &boot_info)) {
		printk(LOG_ERR, "boot: %s\n", boot_info.error);
		arch_halt(XENO_EXIT_BAD_BOOT);
	}
	if (cmdline_parse(boot_info.cmdline)) {
		arch_halt(XENO_EXIT_BAD_BOOT);
	}
	console_set_level((enum log_level)opt.loglvl);
	cpu_features_detect();
	cpu_features_enable();
	memory_init();
	mm_domain_registry_init();
	pv_mm_init();
	pv_stats_init();
	sched_init();
	acpi_init();
	tsc_calibrate();
	pic_disable();
	apic_init_cpu();
	apic_timer_calibrate();
	smp_boot_cpus();
	banner();

	if (opt.selftest[0] || opt.bench[0]) {
		unsigned int failed = selftest_run_list(opt.selftest);

		bench_run_list(opt.bench);
		failed += invariant_check() != 0;
		arch_halt(failed ? XENO_EXIT_TEST_FAIL : XENO_EXIT_OK);
	}
	if (boot_info.nr_mod == 0) {
		printk(LOG_INFO, "xeno: no boot modules, so no domains; idling "
				 "(quit QEMU with Ctrl-A X)\n");
	} else if (dom0less_build() == 0) {
		printk(LOG_ERR, "xeno: no domain could be built\n");
		failed_boot_halt();
	}
	idle_loop();
}
