/* SPDX-License-Identifier: MIT */
/*
 * The standard machine for unit tests: NR_FRAMES frames of arena memory
 * (the first HOST_RESERVED_FRAMES reserved, the rest free) and 4 CPUs,
 * made fresh for each test by machine_setup and torn down by
 * machine_teardown (cmocka setup/teardown signatures).
 */
#ifndef TESTS_UNIT_FIXTURE_H
#define TESTS_UNIT_FIXTURE_H

#include <host.h>

#define NR_FRAMES    4096ULL
#define NR_FREE	     (NR_FRAMES - HOST_RESERVED_FRAMES)
#define NR_TEST_CPUS 4

static inline int machine_setup(void **state)
{
	(void)state;
	host_set_cpu(0);
	host_machine_init(NR_FRAMES, NR_TEST_CPUS);
	return 0;
}

static inline int machine_teardown(void **state)
{
	(void)state;
	host_set_cpu(0);
	host_machine_fini();
	return 0;
}

#endif
