/* SPDX-License-Identifier: MIT */
#ifndef ASM_SYMBOLS_H
#define ASM_SYMBOLS_H

#include <xeno/types.h>

/* The function containing addr and the offset into it, or NULL. */
const char *symbol_lookup(uint64_t addr, uint64_t *offset);

/* Formats addr as "name+0xoff" (or "?") into buf. */
void symbol_format(uint64_t addr, char *buf, size_t size);

#endif
