/* SPDX-License-Identifier: MIT */
/* Console control (printk itself is declared in xeno/lib.h). */
#ifndef XENO_CONSOLE_H
#define XENO_CONSOLE_H

#include <xeno/lib.h>

void console_set_level(enum log_level l);
enum log_level console_get_level(void);

/* From now on print without taking the console lock (panic, fatal traps). */
void console_force_unlock(void);

/* Prints the CPU's state and a backtrace of the caller (arch code). */
void arch_panic_dump(void);

#endif
