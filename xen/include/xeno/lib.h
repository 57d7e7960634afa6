/* SPDX-License-Identifier: MIT */
/*
 * The small C library every part of Xeno uses: string and memory
 * functions, formatted printing to the console, assertions and panic.
 *
 * In the hypervisor these come from xen/common/lib.c and console.c; in
 * host builds (__XENO_HOST__) the C library supplies the string functions
 * and the host arch supplies printk/panic.
 */
#ifndef XENO_LIB_H
#define XENO_LIB_H

#include <stdarg.h>
#include <xeno/types.h>

#ifdef __XENO_HOST__
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#else
void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
/* Copies at most size - 1 bytes and terminates; returns strlen(src). */
size_t strlcpy(char *d, const char *src, size_t size);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
#endif

/*
 * Parses an unsigned number in C syntax (0x.. hex, 0.. octal, decimal)
 * with an optional K/M/G suffix when allow_suffix is set. Returns 0 and
 * stores the value, or -1 if the string is not wholly a number or it
 * overflows 64 bits.
 */
int parse_u64(const char *s, uint64_t *out, bool allow_suffix);

/* Console log levels, most to least severe. */
enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Prints when level <= the console's log level (cmdline loglvl=). */
void printk(enum log_level level, const char *fmt, ...) __printf(2, 3);
void vprintk(enum log_level level, const char *fmt, va_list ap);

/*
 * Reports a hypervisor bug and stops the machine with XENO_EXIT_PANIC.
 * Never call it for anything a guest or the boot input can cause.
 */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

#ifdef NDEBUG
#define ASSERT(c) ((void)0)
#else
#define ASSERT(c)                                                             \
	do {                                                                  \
		if (unlikely(!(c)))                                           \
			panic("assertion '%s' failed at %s:%d", #c, __FILE__, \
			      __LINE__);                                      \
	} while (0)
#endif
#define BUG_ON(c)                                                           \
	do {                                                                \
		if (unlikely(c))                                            \
			panic("BUG '%s' at %s:%d", #c, __FILE__, __LINE__); \
	} while (0)

#endif
