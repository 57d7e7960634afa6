/* SPDX-License-Identifier: MIT */
#ifndef ASM_SERIAL_H
#define ASM_SERIAL_H

/* Sets up the serial console; printk works from here on. */
void serial_init(void);

#endif
