/* SPDX-License-Identifier: MIT */
/*
 * A guest that dies: it removes its whole trap table and then reads an
 * unmapped address. The hypervisor cannot deliver the #PF, so it must
 * print the guest's registers and the page walk of the address through
 * the guest's own tables, name the guest function, and crash the domain
 * (and only the domain) with nothing lost.
 */
#include <libpv.h>

void crash_here(void);

__attribute__((noinline)) void crash_here(void)
{
	volatile uint64_t *p = (volatile uint64_t *)0x12345000UL;

	(void)*p;
}

int main(void)
{
	printf("crash: removing the trap table, then faulting\n");
	pv_console_flush();
	HYPERVISOR_set_trap_table(NULL);
	crash_here();
	printf("crash: still alive, which is wrong\n");
	return 1;
}
