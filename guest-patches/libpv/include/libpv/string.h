/* SPDX-License-Identifier: MIT */
/*
 * The C runtime's memory and string functions (string.c). The compiler
 * may emit calls to memcpy, memset, memmove and memcmp on its own, so
 * these keep their standard names and semantics.
 */
#ifndef LIBPV_STRING_H
#define LIBPV_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif
