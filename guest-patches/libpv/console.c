/* SPDX-License-Identifier: MIT */
/*
 * The console: console_io(CONSOLEIO_write) behind a one-line buffer, so
 * that each line of printf output is one hypercall and reaches the
 * hypervisor whole (interface in libpv/console.h).
 *
 * The buffer is shared by main() and handlers; every access happens with
 * events masked (pv_irq_save), which on the single vCPU libpv runs on is
 * the whole locking story. A trap handler that prints while main() was in
 * the middle of a line appends to that line; that is rare and harmless.
 */
#include <libpv/console.h>
#include <libpv/events.h>
#include <libpv/hypercall.h>
#include <libpv/string.h>

#define LINE_MAX 256

static char line[LINE_MAX];
static size_t line_len;

static void flush_locked(void)
{
	if (line_len) {
		(void)HYPERVISOR_console_io(CONSOLEIO_write,
					    (unsigned int)line_len, line);
		line_len = 0;
	}
}

static void put_locked(char c, void *ctx)
{
	(void)ctx;
	line[line_len++] = c;
	if (c == '\n' || line_len == LINE_MAX) {
		flush_locked();
	}
}

void pv_console_flush(void)
{
	unsigned int mask = pv_irq_save();

	flush_locked();
	pv_irq_restore(mask);
}

long pv_console_write(const char *s, size_t len)
{
	unsigned int mask = pv_irq_save();
	long rc;

	flush_locked();
	rc = HYPERVISOR_console_io(CONSOLEIO_write, (unsigned int)len, s);
	pv_irq_restore(mask);
	return rc;
}

int vprintf(const char *fmt, va_list ap)
{
	unsigned int mask = pv_irq_save();
	int n = pv_vformat(put_locked, NULL, fmt, ap);

	pv_irq_restore(mask);
	return n;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

int puts(const char *s)
{
	return printf("%s\n", s);
}
