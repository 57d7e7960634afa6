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
 *
 * Idle CPUs are not interrupted. A CPU idling on the hypervisor's tables
 * (arch_tlb_idle_enter, after its switch to no vCPU) uses no guest
 * translation, whatever its TLB still holds, until it next switches to a
 * vCPU; before that switch (arch_tlb_idle_leave) it leaves the idle
 * state and then serves any flush raised meanwhile. So a requester that
 * finds a target idle after raising its flag neither sends the IPI nor
 * waits: the flush is done before the target can use a stale entry.
 * Both sides store, then load the other's word, sequentially consistent,
 * so at least one of them sees the other: the requester the target
 * awake (and interrupts it as before), or the target the flag.
 *
 * PCIDs (docs/mm.md §15): with cpu_has.use_pcid, CR4.PCIDE is on and
 * every CR3 load names a tag from mm/tlb_tag.c, with bit 63 set when the
 * tag's entries may stay. A CR4.PGE toggle drops every PCID's entries,
 * INVLPG only the current PCID's and global ones; each flush is reported
 * to this CPU's tag table (tlb_tag_flushed). Without PCIDs every CR3
 * load drops the non-global entries, as before.
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/mm.h>
#include <asm/smp.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/sched.h>
#include <xeno/tlb_tag.h>

/* CR3 bit 63 with PCIDE: keep the entries cached under the PCID. */
#define CR3_NOFLUSH (1ULL << 63)

/* PCIDs 1..4095 are guest address spaces; 0 the hypervisor's tables. */
#define PCID_TAGS 4095

static struct {
	volatile uint32_t pending; /* a flush was requested */
	volatile uint32_t idle;	   /* idling, using no guest translation */
} __aligned(64) flush_req[NR_CPUS];

/* Per CPU, each written by its own CPU only; summed for the totals. */
static struct arch_tlb_stats cpu_stats[NR_CPUS];

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static struct arch_tlb_stats *my_stats(void)
{
	return &cpu_stats[arch_cpu_id()];
}

/*
 * Flushes every TLB entry of this CPU, global ones included: toggling
 * CR4.PGE drops everything (all PCIDs too); without PGE a CR3 reload
 * does, as nothing is global then.
 */
static void flush_local_all(void)
{
	unsigned long cr4 = read_cr4();

	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
		count(&my_stats()->global_flushes, 1);
	} else {
		write_cr3(read_cr3());
	}
	count(&my_stats()->local_flushes, 1);
	if (cpu_has.use_pcid) {
		tlb_tag_flushed(true);
	}
}

/* With PCIDs: this address in the current PCID, and global entries. */
static void invlpg_local(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
	count(&my_stats()->local_invlpgs, 1);
	if (cpu_has.use_pcid) {
		tlb_tag_flushed(false);
	}
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

void arch_tlb_idle_enter(void)
{
	__atomic_store_n(&flush_req[arch_cpu_id()].idle, 1, __ATOMIC_SEQ_CST);
}

void arch_tlb_idle_leave(void)
{
	__atomic_store_n(&flush_req[arch_cpu_id()].idle, 0, __ATOMIC_SEQ_CST);
	tlb_flush_interrupt();
}

void arch_flush_tlb_mask(uint64_t mask, uint64_t va)
{
	unsigned int self = arch_cpu_id(), cpu;
	uint64_t others = mask & ~(1ULL << self);

	for (cpu = 0; cpu < nr_cpus_online; cpu++) {
		if (!((others >> cpu) & 1)) {
			continue;
		}
		__atomic_store_n(&flush_req[cpu].pending, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&flush_req[cpu].idle, __ATOMIC_SEQ_CST)) {
			/* It flushes before it uses a guest's tables. */
			others &= ~(1ULL << cpu);
			continue;
		}
		apic_send_ipi(percpu[cpu].apic_id, VEC_FLUSH);
		count(&my_stats()->ipis, 1);
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

void arch_tlb_cpu_stats_read(unsigned int cpu, struct arch_tlb_stats *out)
{
	const struct arch_tlb_stats *c = &cpu_stats[cpu];

	out->local_flushes =
		__atomic_load_n(&c->local_flushes, __ATOMIC_RELAXED);
	out->local_invlpgs =
		__atomic_load_n(&c->local_invlpgs, __ATOMIC_RELAXED);
	out->ipis = __atomic_load_n(&c->ipis, __ATOMIC_RELAXED);
	out->cr3_loads = __atomic_load_n(&c->cr3_loads, __ATOMIC_RELAXED);
	out->global_flushes =
		__atomic_load_n(&c->global_flushes, __ATOMIC_RELAXED);
	out->cr3_flushes = __atomic_load_n(&c->cr3_flushes, __ATOMIC_RELAXED);
}

void arch_tlb_stats_read(struct arch_tlb_stats *out)
{
	struct arch_tlb_stats one;
	unsigned int cpu;

	memset(out, 0, sizeof(*out));
	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		arch_tlb_cpu_stats_read(cpu, &one);
		out->local_flushes += one.local_flushes;
		out->local_invlpgs += one.local_invlpgs;
		out->ipis += one.ipis;
		out->cr3_loads += one.cr3_loads;
		out->global_flushes += one.global_flushes;
		out->cr3_flushes += one.cr3_flushes;
	}
}

unsigned int arch_tlb_tags(void)
{
	return cpu_has.use_pcid ? PCID_TAGS : 0;
}

/*
 * Guest global entries survive every CR3 load, tagged or not: mm/tlb.c
 * drops them (tlb_switch_globals, tlb_root_changed) through
 * arch_flush_tlb_mask.
 */
void arch_load_root(mfn_t root, unsigned int tag, bool keep)
{
	uint64_t cr3 = mfn_eq(root, INVALID_MFN) ? virt_to_phys(idle_pml4)
						 : mfn_x(root) << PAGE_SHIFT;

	ASSERT(cpu_has.use_pcid || (tag == 0 && !keep));
	ASSERT(tag <= PCID_TAGS);
	cr3 |= tag;
	if (keep) {
		cr3 |= CR3_NOFLUSH;
	}
	write_cr3(cr3);
	count(&my_stats()->cr3_loads, 1);
	if (!keep) {
		count(&my_stats()->cr3_flushes, 1);
	}
}

bool arch_hypercall_preempt_check(void)
{
	return sched_preempt_due();
}
