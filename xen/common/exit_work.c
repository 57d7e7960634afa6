/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU exit-work words (see xeno/exit_work.h for the invariant).
 */
#include <xeno/exit_work.h>

struct exit_work exit_work[NR_CPUS];

void exit_work_raise_all(uint32_t bits)
{
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		exit_work_raise(cpu, bits);
	}
}
