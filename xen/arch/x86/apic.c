/* SPDX-License-Identifier: MIT */
/*
 * The local APIC in xAPIC mode through its MMIO page (reached through the
 * direct map). Each CPU enables its own APIC; the timer runs in
 * TSC-deadline mode where the CPU has it, and otherwise in one-shot mode
 * with a count calibrated against the TSC.
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/time.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/lib.h>

#define APIC_ID		0x020
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3e0

#define ICR_BUSY	 (1u << 12)
#define ICR_INIT	 0x00004500u
#define ICR_STARTUP	 0x00004600u
#define ICR_FIXED	 0x00004000u
#define LVT_MASKED	 (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)

uint64_t lapic_phys = 0xfee00000;
bool apic_tsc_deadline;
static uint64_t apic_ticks_per_ms; /* one-shot mode, divide by 16 */

/*
 * Per CPU: what its ICR's high half holds (the last destination), so
 * that an IPI to the same CPU again writes only the low half. Only the
 * CPU itself writes its ICR, with interrupts off. ~0: not known yet.
 */
static uint32_t icr_hi[NR_CPUS] = { [0 ... NR_CPUS - 1] = ~0u };

static volatile uint32_t *reg(unsigned int off)
{
	return (volatile uint32_t *)((char *)arch_mfn_to_virt(
					     mfn(lapic_phys >> PAGE_SHIFT)) +
				     off);
}

static uint32_t apic_read(unsigned int off)
{
	return *reg(off);
}

static void apic_write(unsigned int off, uint32_t v)
{
	*reg(off) = v;
}

uint32_t apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

void pic_disable(void)
{
	/*
	 * The BIOS leaves the 8259 PICs delivering on vectors 8-15, which
	 * are exception vectors in protected mode: move them to 0x20-0x2f
	 * (ICW1-ICW4) and mask every line. Xeno uses the local APIC only.
	 */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, 0x20);
	outb(0xa1, 0x28);
	outb(0x21, 0x04);
	outb(0xa1, 0x02);
	outb(0x21, 0x01);
	outb(0xa1, 0x01);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void apic_init_cpu(void)
{
	/* Globally enabled through the MSR, software enabled through SVR. */
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1UL << 11));
	apic_write(APIC_SVR, 0x100 | VEC_SPURIOUS);
	apic_write(APIC_TIMER_DIV, 0x3); /* divide by 16 */
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	apic_tsc_deadline = cpu_has.tsc_deadline;
	apic_write(APIC_LVT_TIMER,
		   (apic_tsc_deadline ? LVT_TSC_DEADLINE : 0) | VEC_TIMER);
}

static void icr_wait(void)
{
	unsigned int spins = 0;

	while ((apic_read(APIC_ICR_LO) & ICR_BUSY) && spins++ < 1000000) {
		cpu_pause();
	}
}

/*
 * Waits for the previous IPI to leave (delivery status idle), then sends
 * this one and returns without waiting for it: the next send waits.
 * Under an emulator every APIC access is an exit, so an IPI costs two
 * (the status read and the low half) instead of four.
 */
static void icr_send(uint32_t dest, uint32_t lo)
{
	uint32_t *hi = &icr_hi[arch_cpu_id()];

	icr_wait();
	if (*hi != dest << 24) {
		*hi = dest << 24;
		apic_write(APIC_ICR_HI, *hi);
	}
	apic_write(APIC_ICR_LO, lo);
}

void apic_send_ipi(uint32_t dest, uint8_t vector)
{
	icr_send(dest, ICR_FIXED | vector);
}

void apic_start_ap(uint32_t dest, uint64_t trampoline_phys)
{
	uint32_t page = (uint32_t)(trampoline_phys >> PAGE_SHIFT);

	icr_send(dest, ICR_INIT);
	udelay(10000);
	icr_send(dest, ICR_STARTUP | page);
	udelay(200);
	icr_send(dest, ICR_STARTUP | page);
	udelay(200);
}

void apic_timer_calibrate(void)
{
	uint64_t t0;

	if (cpu_has.tsc_deadline) {
		return;
	}
	apic_write(APIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	apic_write(APIC_TIMER_INIT, 0xffffffff);
	t0 = rdtsc();
	while (rdtsc() - t0 < tsc_khz * 10) {
		cpu_pause();
	}
	apic_ticks_per_ms = (0xffffffffULL - apic_read(APIC_TIMER_CUR)) / 10;
	apic_write(APIC_TIMER_INIT, 0);
	apic_write(APIC_LVT_TIMER, VEC_TIMER);
	printk(LOG_DEBUG, "apic: timer %lu ticks/ms (one-shot mode)\n",
	       apic_ticks_per_ms);
}

void apic_timer_set_deadline(uint64_t tsc)
{
	uint64_t now, count;

	if (apic_tsc_deadline) {
		wrmsr(MSR_TSC_DEADLINE, tsc);
		return;
	}
	now = rdtsc();
	count = tsc > now ? (tsc - now) * apic_ticks_per_ms / tsc_khz : 1;
	if (count == 0) {
		count = 1;
	}
	if (count > 0xffffffff) {
		count = 0xffffffff;
	}
	apic_write(APIC_TIMER_INIT, (uint32_t)count);
}
