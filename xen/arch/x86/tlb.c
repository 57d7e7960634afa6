/* SPDX-License-Identifier: MIT */
/*
 * TLB maintenance and page-table roots for mm/ (the arch interface in
 * xeno/arch.h): local flushes, cross-CPU shootdowns, CR3 loads, and the
 * preemption check of long hypercalls.
 *
 * Shootdown protocol: the requester raises a flag in each target's slot
 * and sends VEC_FLUSH; the target flushes everything (global entries
 * included) from the interrupt handler and clears the flag. Hypervisor
 * code runs with interrupts off, so two CPUs shooting at each other
 * would wait forever for each other's interrupt: every spin-wait of the
 * hypervisor (arch_cpu_relax: locks, page-type waits, this one) serves
 * requests aimed at its own CPU. So a shootdown may be issued with locks
 * held: a CPU waiting for such a lock still answers it.
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/mm.h>
#include <asm/smp.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/sched.h>

static struct {
	volatile uint32_t pending; /* a flush was requested */
} __aligned(64) flush_req[NR_CPUS];

static struct arch_tlb_stats stats;

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

/* Flushes every TLB entry of this CPU, global ones included. */
static void flush_local_all(void)
{
	unsigned long cr4 = read_cr4();

	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
	count(&stats.local_flushes, 1);
}

static void invlpg_local(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	count(&stats.local_invlpgs, 1);
}

/* Serves a shootdown aimed at this CPU (IRQ handler or a waiting CPU). */
void tlb_flush_interrupt(void)
{
	unsigned int self = arch_cpu_id();

	if (__atomic_exchange_n(&flush_req[self].pending, 0,
				__ATOMIC_ACQ_REL)) {
		flush_local_all();
	}
}

void arch_flush_tlb_mask(uint64_t mask, uint64_t va)
{
	unsigned int self = arch_cpu_id(), cpu;
	uint64_t others = mask & ~(1ULL << self);

	for (cpu = 0; cpu < nr_cpus_online; cpu++) {
		if (!((others >> cpu) & 1)) {
			continue;
		}
		__atomic_store_n(&flush_req[cpu].pending, 1, __ATOMIC_RELEASE);
		apic_send_ipi(percpu[cpu].apic_id, VEC_FLUSH);
		count(&stats.ipis, 1);
	}
	if ((mask >> self) & 1) {
		if (va == ARCH_FLUSH_ALL) {
			flush_local_all();
		} else {
			invlpg_local(va);
		}
	}
	for (cpu = 0; cpu < nr_cpus_online; cpu++) {
		if (!((others >> cpu) & 1)) {
			continue;
		}
		while (__atomic_load_n(&flush_req[cpu].pending,
				       __ATOMIC_ACQUIRE)) {
			arch_cpu_relax();
		}
	}
}

void arch_tlb_stats_read(struct arch_tlb_stats *out)
{
	out->local_flushes =
		__atomic_load_n(&stats.local_flushes, __ATOMIC_RELAXED);
	out->local_invlpgs =
		__atomic_load_n(&stats.local_invlpgs, __ATOMIC_RELAXED);
	out->ipis = __atomic_load_n(&stats.ipis, __ATOMIC_RELAXED);
	out->cr3_loads = __atomic_load_n(&stats.cr3_loads, __ATOMIC_RELAXED);
}

/*
 * Without PCIDs a CR3 load flushes the old address space's non-global
 * entries; guest global entries are flushed by mm_vcpu_switch's policy.
 */
void arch_load_root(mfn_t root)
{
	uint64_t pa = mfn_eq(root, INVALID_MFN) ? virt_to_phys(idle_pml4)
						: mfn_x(root) << PAGE_SHIFT;

	write_cr3(pa);
	count(&stats.cr3_loads, 1);
}

bool arch_hypercall_preempt_check(void)
{
	return sched_preempt_due();
}
