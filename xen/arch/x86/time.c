/* SPDX-License-Identifier: MIT */
/*
 * Time: the TSC, calibrated once at boot against the PIT (channel 2,
 * gated through port 0x61, so no interrupt is needed), gives a
 * nanosecond clock; each CPU's local APIC timer gives one-shot timer
 * interrupts.
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/time.h>
#include <xeno/arch.h>
#include <xeno/lib.h>

#define PIT_HZ	     1193182
#define CALIBRATE_MS 20

uint64_t tsc_khz;
static uint64_t ticks[NR_CPUS];

void tsc_calibrate(void)
{
	uint64_t count = PIT_HZ * CALIBRATE_MS / 1000;
	uint64_t t0, t1, spins = 0;

	/* Gate channel 2 on, speaker off; mode 0, binary, lo/hi byte. */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20) && spins++ < 100000000) {
		cpu_pause();
	}
	t1 = rdtsc();
	tsc_khz = (t1 - t0) / CALIBRATE_MS;
	if (!(inb(0x61) & 0x20) || tsc_khz == 0) {
		/* No PIT: assume 1 GHz and say so rather than hang. */
		printk(LOG_WARN, "time: PIT did not count; assuming a 1 GHz "
				 "TSC\n");
		tsc_khz = 1000000;
	}
}

/* Both conversions split the value so that no product overflows 64 bits. */
uint64_t tsc_to_ns(uint64_t tsc)
{
	return tsc / tsc_khz * 1000000 + tsc % tsc_khz * 1000000 / tsc_khz;
}

uint64_t ns_to_tsc(uint64_t ns)
{
	return ns / 1000000 * tsc_khz + ns % 1000000 * tsc_khz / 1000000;
}

uint64_t arch_now_ns(void)
{
	return tsc_to_ns(rdtsc() - boot_tsc);
}

void udelay(uint64_t us)
{
	uint64_t end = rdtsc() + ns_to_tsc(us * 1000);

	while (rdtsc() < end) {
		cpu_pause();
	}
}

void timer_arm_ns(uint64_t ns)
{
	apic_timer_set_deadline(rdtsc() + ns_to_tsc(ns));
}

uint64_t timer_ticks(unsigned int cpu)
{
	return __atomic_load_n(&ticks[cpu], __ATOMIC_RELAXED);
}

void timer_interrupt(void)
{
	__atomic_fetch_add(&ticks[arch_cpu_id()], 1, __ATOMIC_RELAXED);
}
