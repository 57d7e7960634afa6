/* SPDX-License-Identifier: MIT */
/*
 * Time: the TSC, calibrated once at boot against the PIT (channel 2,
 * gated through port 0x61, so no interrupt is needed), gives a
 * nanosecond clock; each CPU's local APIC timer gives one-shot timer
 * interrupts, which run the CPU's software timers (xen/common/timer.c).
 * The CMOS real-time clock, read once, gives the wall clock at boot.
 */
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/smp.h>
#include <asm/time.h>
#include <asm/traps.h>
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/sched.h>
#include <xeno/timer.h>
#include <xeno/vtime.h>

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
	uint64_t arrived = arch_now_ns();

	__atomic_fetch_add(&ticks[arch_cpu_id()], 1, __ATOMIC_RELAXED);
	sched_timer_irq_begin(arrived - timer_overdue(arch_cpu_id(), arrived));
	timer_run_expired();
	sched_timer_irq_end();
}

/* ---- the arch side of the software timers and of guest time ---- */

/*
 * How far ahead the hardware is ever armed. A later deadline just gets
 * an early interrupt that finds nothing expired and re-arms; the bound
 * keeps the TSC conversion and the APIC's count arithmetic from
 * overflowing whatever deadline a guest asks for.
 */
#define TIMER_MAX_AHEAD_NS 1000000000ULL

/*
 * One TSC tick is added because ns_to_tsc() rounds down: the interrupt
 * must not come before arch_now_ns() reaches the deadline, or
 * timer_run_expired() would find the timer not yet due and re-arm for
 * the same instant. A deadline in the past fires at once (TSC-deadline
 * mode fires for any value not ahead of the TSC; one-shot mode gets a
 * count of 1).
 */
uint64_t arch_timer_program(uint64_t deadline_ns)
{
	uint64_t now = arch_now_ns();

	if (deadline_ns > now + TIMER_MAX_AHEAD_NS) {
		deadline_ns = now + TIMER_MAX_AHEAD_NS;
	}
	apic_timer_set_deadline(boot_tsc + ns_to_tsc(deadline_ns) + 1);
	return deadline_ns > now ? deadline_ns : now;
}

/* A timer interrupt sent as an IPI makes cpu re-run its expired timers. */
void arch_timer_kick(unsigned int cpu)
{
	if (cpu < NR_CPUS && cpu != arch_cpu_id() && percpu[cpu].online) {
		apic_send_ipi(percpu[cpu].apic_id, VEC_TIMER);
	}
}

void arch_time_sample(uint64_t *tsc, uint64_t *now_ns)
{
	*tsc = rdtsc();
	*now_ns = tsc_to_ns(*tsc - boot_tsc);
}

uint64_t arch_tsc_hz(void)
{
	return tsc_khz * 1000;
}

/* ---- the CMOS real-time clock ---- */

#define CMOS_INDEX  0x70
#define CMOS_DATA   0x71
#define RTC_SEC	    0x00
#define RTC_MIN	    0x02
#define RTC_HOUR    0x04
#define RTC_DAY	    0x07
#define RTC_MON	    0x08
#define RTC_YEAR    0x09
#define RTC_STATUSA 0x0a
#define RTC_STATUSB 0x0b
#define RTC_UIP	    0x80 /* status A: an update is in progress */
#define RTC_BINARY  0x04 /* status B: values are binary, not BCD */
#define RTC_24H	    0x02 /* status B: 24-hour clock */
#define RTC_PM	    0x80 /* hour register, 12-hour mode */

struct rtc_time {
	uint8_t sec, min, hour, day, mon, year;
};

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

/*
 * Reads the clock registers outside an update cycle (which lasts about
 * 2 ms once a second). The wait is bounded: a machine without an RTC
 * must not hang the boot.
 */
static void rtc_read_raw(struct rtc_time *t)
{
	unsigned int spins = 0;

	while ((cmos_read(RTC_STATUSA) & RTC_UIP) && spins++ < 100000) {
		cpu_pause();
	}
	t->sec = cmos_read(RTC_SEC);
	t->min = cmos_read(RTC_MIN);
	t->hour = cmos_read(RTC_HOUR);
	t->day = cmos_read(RTC_DAY);
	t->mon = cmos_read(RTC_MON);
	t->year = cmos_read(RTC_YEAR);
}

/* One clock register's value, in BCD unless the RTC says binary. */
static unsigned int rtc_value(uint8_t v, uint8_t status)
{
	return (status & RTC_BINARY) ? v : (v >> 4) * 10u + (v & 0x0f);
}

static bool leap_year(unsigned int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to the given date (month and day from 1). */
static uint64_t days_since_epoch(unsigned int year, unsigned int mon,
				 unsigned int day)
{
	static const uint16_t before_month[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
	};
	uint64_t days = 0;
	unsigned int y;

	for (y = 1970; y < year; y++) {
		days += leap_year(y) ? 366 : 365;
	}
	days += before_month[mon - 1] + day - 1u;
	if (mon > 2 && leap_year(year)) {
		days++;
	}
	return days;
}

/*
 * Seconds since the Unix epoch from the RTC (taken to be UTC, years
 * 2000-2099), or 0 if the registers do not read as a date. Two equal
 * reads in a row guard against an update between the registers.
 */
static uint64_t rtc_unix_seconds(void)
{
	struct rtc_time a, b;
	unsigned int tries = 0, sec, min, hour, day, mon, year;
	uint8_t status;

	rtc_read_raw(&b);
	do {
		a = b;
		rtc_read_raw(&b);
	} while (memcmp(&a, &b, sizeof(a)) != 0 && ++tries < 5);
	status = cmos_read(RTC_STATUSB);
	sec = rtc_value(b.sec, status);
	min = rtc_value(b.min, status);
	hour = rtc_value(b.hour & (uint8_t)~RTC_PM, status);
	day = rtc_value(b.day, status);
	mon = rtc_value(b.mon, status);
	year = rtc_value(b.year, status);
	if (!(status & RTC_24H)) {
		hour = hour % 12 + ((b.hour & RTC_PM) ? 12 : 0);
	}
	if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 ||
	    mon < 1 || mon > 12 || year > 99) {
		return 0;
	}
	return days_since_epoch(2000 + year, mon, day) * 86400 + hour * 3600 +
	       min * 60 + sec;
}

static uint64_t wallclock_base_ns;
static bool wallclock_read;

/*
 * Read once, on first use (the first domain's creation), because the
 * RTC read may spin for an update cycle. Two CPUs racing here would both
 * compute the same value, so a plain flag is enough.
 */
uint64_t arch_wallclock_at_boot_ns(void)
{
	if (!__atomic_load_n(&wallclock_read, __ATOMIC_ACQUIRE)) {
		uint64_t wall = rtc_unix_seconds() * 1000000000ULL;
		uint64_t now = arch_now_ns();

		__atomic_store_n(&wallclock_base_ns,
				 wall > now ? wall - now : 0, __ATOMIC_RELAXED);
		__atomic_store_n(&wallclock_read, true, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&wallclock_base_ns, __ATOMIC_RELAXED);
}
