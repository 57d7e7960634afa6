/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor console: printk with log levels over the arch console
 * (COM1 on x86). One lock serialises whole lines so that lines from
 * different CPUs never interleave. A CPU that panics while holding the
 * lock (or finds it held for too long) prints anyway rather than hang.
 *
 * Lock: console_lock, rank LOCK_RANK_CONSOLE (taken inside anything).
 */
#include <xeno/arch.h>
#include <xeno/console.h>
#include <xeno/lib.h>
#include <xeno/spinlock.h>

static spinlock_t console_lock = SPINLOCK_INIT("console", LOCK_RANK_CONSOLE);
static enum log_level console_level = LOG_INFO;
static volatile bool console_forced;

void console_set_level(enum log_level l)
{
	console_level = l;
}

enum log_level console_get_level(void)
{
	return console_level;
}

void console_force_unlock(void)
{
	console_forced = true;
}

void vprintk(enum log_level level, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	if (level > console_level) {
		return;
	}
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n >= (int)sizeof(buf)) {
		n = sizeof(buf) - 1;
	}
	if (console_forced) {
		arch_console_write(buf, (size_t)n);
		return;
	}
	spin_lock(&console_lock);
	arch_console_write(buf, (size_t)n);
	spin_unlock(&console_lock);
}

void printk(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintk(level, fmt, ap);
	va_end(ap);
}

void panic(const char *fmt, ...)
{
	static volatile int panicking;
	char buf[256];
	va_list ap;

	console_force_unlock();
	if (__atomic_fetch_add(&panicking, 1, __ATOMIC_SEQ_CST)) {
		/* A panic while panicking: just stop. */
		arch_halt(XENO_EXIT_PANIC);
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk(LOG_ERR, "\n*** PANIC on cpu%u: %s\n", arch_cpu_id(), buf);
	arch_panic_dump();
	arch_halt(XENO_EXIT_PANIC);
}
