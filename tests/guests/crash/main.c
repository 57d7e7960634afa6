/* SPDX-License-Identifier: MIT */
/*
 * A guest that dies: it removes its whole trap table and then reads an
 * unmapped address. The hypervisor cannot deliver the #PF, so it must
 * print the guest's registers and the page walk of the address through
 * the guest's own tables, name the guest function, and crash the domain
 * (and only the domain) with nothing lost.
 *
 * With cmdline=code it first records SHUTDOWN_reboot with
 * SCHEDOP_shutdown_code (after checking that a bad reason is refused),
 * so the crash must be reported as a reboot.
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
	if (start_info->cmd_line[0] == 'c') {
		struct sched_shutdown bad = { .reason = 99 };
		struct sched_shutdown code = { .reason = SHUTDOWN_reboot };

		if (HYPERVISOR_sched_op(SCHEDOP_shutdown_code, &bad) !=
			    -EINVAL ||
		    HYPERVISOR_sched_op(SCHEDOP_shutdown_code, &code) != 0) {
			printf("crash: shutdown_code refused or accepted wrongly\n");
			return 1;
		}
		printf("crash: shutdown code reboot recorded\n");
	}
	printf("crash: removing the trap table, then faulting\n");
	pv_console_flush();
	HYPERVISOR_set_trap_table(NULL);
	crash_here();
	printf("crash: still alive, which is wrong\n");
	return 1;
}
