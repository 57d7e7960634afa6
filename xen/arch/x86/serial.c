/* SPDX-License-Identifier: MIT */
/*
 * The COM1 serial console (16550 UART at 0x3f8, 115200 8N1, polled).
 * Newlines go out as CR LF.
 */
#include <asm/cpu.h>
#include <asm/serial.h>
#include <xeno/arch.h>

#define COM1	 0x3f8
#define LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB on */
	outb(COM1 + 0, 0x01); /* divisor 1: 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1, DLAB off */
	outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
	outb(COM1 + 4, 0x03); /* DTR, RTS */
}

static void serial_putc(char c)
{
	unsigned int spins = 0;

	/* A missing UART must not hang the machine: give up after a while. */
	while (!(inb(COM1 + 5) & LSR_THRE) && spins++ < 100000) {
		cpu_pause();
	}
	outb(COM1, (uint8_t)c);
}

void arch_console_write(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n') {
			serial_putc('\r');
		}
		serial_putc(s[i]);
	}
}
