/* SPDX-License-Identifier: MIT */
/*
 * Starting the other CPUs, one at a time: the boot CPU gives each AP a
 * stack block (with its cpu_info at the top), sends INIT-SIPI-SIPI, and
 * waits for the AP to report itself online. An AP that does not come up
 * within AP_TIMEOUT_MS stops the boot with XENO_EXIT_CPU.
 */
#include <asm/apic.h>
#include <asm/boot.h>
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/layout.h>
#include <asm/mm.h>
#include <asm/percpu.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>

#define AP_TIMEOUT_MS 5000
#define DEAD_APIC_ID  0xee

extern char boot_stack[];
extern const char trampoline_start[], trampoline_end[], tramp_efer[];

struct percpu percpu[NR_CPUS];
unsigned int nr_cpus_online = 1;

/* Read by ap_entry64 (trampoline.S): the starting AP's stack pointer. */
uint64_t ap_boot_stack;
uint64_t ap_cr3;

void ap_start(void);

/* Per-CPU set-up common to the boot CPU and the APs. */
static void cpu_init_common(unsigned int cpu, void *stack_block)
{
	struct cpu_info *ci = this_cpu_info();

	ci->cpu_id = cpu;
	ci->pc = &percpu[cpu];
	percpu[cpu].cpu_id = cpu;
	percpu[cpu].stack_block = stack_block;
	desc_load_cpu(cpu, stack_block);
	cpu_features_enable();
	pv_debugreg_cpu_init();
	apic_init_cpu();
	percpu[cpu].apic_id = apic_id();
	ci->apic_id = percpu[cpu].apic_id;
}

void ap_start(void)
{
	unsigned int cpu = this_cpu_info()->cpu_id;

	cpu_init_common(cpu, percpu[cpu].stack_block);
	__atomic_store_n(&percpu[cpu].online, true, __ATOMIC_RELEASE);
	idle_loop();
}

static void *stack_block_alloc(void)
{
	struct page_info *pg = frame_alloc(STACK_ORDER, FA_ZERO);

	if (!pg) {
		printk(LOG_ERR, "smp: no memory for a CPU stack\n");
		arch_halt(XENO_EXIT_NO_MEMORY);
	}
	return arch_mfn_to_virt(page_to_mfn(pg));
}

static void start_ap(unsigned int cpu, uint32_t apic)
{
	void *blk = stack_block_alloc();
	struct cpu_info *ci = (struct cpu_info *)((char *)blk + STACK_SIZE) - 1;
	uint64_t deadline;

	ci->cpu_id = cpu;
	percpu[cpu].stack_block = blk;
	percpu[cpu].apic_id = apic;
	ap_boot_stack = (uint64_t)(uintptr_t)ci;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	apic_start_ap(apic, TRAMPOLINE_PHYS);
	deadline = rdtsc() + ns_to_tsc(AP_TIMEOUT_MS * 1000000ULL);
	while (!__atomic_load_n(&percpu[cpu].online, __ATOMIC_ACQUIRE)) {
		if (rdtsc() > deadline) {
			printk(LOG_ERR,
			       "smp: CPU %u (APIC id %u) did not come "
			       "up within %u ms\n",
			       cpu, apic, AP_TIMEOUT_MS);
			arch_halt(XENO_EXIT_CPU);
		}
		cpu_pause();
	}
	nr_cpus_online++;
}

void smp_boot_cpus(void)
{
	uint32_t self;
	unsigned int i, cpu = 1;
	size_t len = (size_t)(trampoline_end - trampoline_start);
	uint32_t *efer;

	cpu_init_common(0, boot_stack);
	percpu[0].online = true;
	self = percpu[0].apic_id;

	memcpy(phys_to_virt(TRAMPOLINE_PHYS), trampoline_start, len);
	efer = phys_to_virt(TRAMPOLINE_PHYS +
			    (uint64_t)(tramp_efer - trampoline_start));
	*efer = (uint32_t)rdmsr(MSR_EFER);
	ap_cr3 = virt_to_phys(idle_pml4);

	for (i = 0; i < acpi_nr_cpus && cpu < opt.maxcpus; i++) {
		if (acpi_cpu_apic_ids[i] == self) {
			continue;
		}
		start_ap(cpu++, acpi_cpu_apic_ids[i]);
	}
	/* The test of the path below: an APIC id no CPU answers to. */
	if (opt.test_dead_cpu && cpu < NR_CPUS) {
		start_ap(cpu, DEAD_APIC_ID);
	}
}
