/* SPDX-License-Identifier: MIT */
/*
 * The x86 side of the arch interface (xeno/arch.h) that is not a
 * subsystem of its own: memory through the direct map, and stopping the
 * machine (isa-debug-exit under QEMU, then HLT forever).
 */
#include <asm/cpu.h>
#include <asm/layout.h>
#include <asm/smp.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/console.h>
#include <xeno/lib.h>

static const char *const exit_names[] = {
	"ok",	    "test-fail", "panic", "exception",
	"bad-boot", "no-memory", "cpu",	  "fatal",
};

void *arch_mfn_to_virt(mfn_t m)
{
	return (void *)(uintptr_t)(DIRECTMAP_BASE + (mfn_x(m) << PAGE_SHIFT));
}

mfn_t arch_virt_to_mfn(const void *p)
{
	return mfn(((uint64_t)(uintptr_t)p - DIRECTMAP_BASE) >> PAGE_SHIFT);
}

/*
 * Every spin-wait (locks, page-type waits) also serves TLB shootdowns
 * aimed at this CPU: interrupts are off in the hypervisor, so a CPU
 * spinning on a lock whose holder waits for our flush would otherwise
 * wait forever (tlb.c).
 */
void arch_cpu_relax(void)
{
	cpu_pause();
	tlb_flush_interrupt();
}

void arch_halt(int status)
{
	irq_disable();
	smp_stop_others();
	printk(LOG_ERR, "XENO-EXIT %d %s\n", status,
	       status >= 0 && status < (int)ARRAY_SIZE(exit_names)
		       ? exit_names[status]
		       : "?");
	if (opt.exit_port) {
		outl((uint16_t)opt.exit_port, (uint32_t)status);
	}
	for (;;) {
		halt();
	}
}
