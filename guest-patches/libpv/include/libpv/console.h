/* SPDX-License-Identifier: MIT */
/*
 * Console output through console_io(CONSOLEIO_write) (pv-abi §7.14), and
 * the formatted-output functions built on it.
 *
 * Interface rules:
 *   - printf output is line-buffered: each complete line reaches the
 *     hypervisor in one console_io call (a line longer than the 256-byte
 *     buffer is split). The hypervisor prefixes every line with "(dN) ".
 *   - pv_console_write() flushes the buffered part line first, then
 *     writes its bytes at once, unbuffered.
 *   - Events are masked while the buffer is touched, so handlers may
 *     print; their lines never interleave inside another line.
 *   - Formats: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#',
 *     width and precision (also '*'), length modifiers hh h l ll z t j.
 *     %p prints 0x followed by the hex value. vsnprintf and snprintf
 *     return the length the full output would have, as in C99, and always
 *     terminate the buffer when size > 0.
 */
#ifndef LIBPV_CONSOLE_H
#define LIBPV_CONSOLE_H

#include <stdarg.h>
#include <stddef.h>

/* Writes len bytes; returns console_io's result (0 or -errno). */
long pv_console_write(const char *s, size_t len);

/* Sends any buffered partial line. */
void pv_console_flush(void);

__attribute__((format(__printf__, 1, 2))) int printf(const char *fmt, ...);
int vprintf(const char *fmt, va_list ap);
__attribute__((format(__printf__, 3, 4))) int snprintf(char *buf, size_t size,
						       const char *fmt, ...);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int puts(const char *s); /* the string and a newline */

/*
 * The formatter under all of the above: calls put(c, ctx) for every
 * output character and returns their number.
 */
int pv_vformat(void (*put)(char c, void *ctx), void *ctx, const char *fmt,
	       va_list ap);

#endif
