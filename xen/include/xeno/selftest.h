/* SPDX-License-Identifier: MIT */
/*
 * Built-in tests and benchmarks, chosen on the command line
 * (selftest=a,b  bench=a,b). Each test prints one result line
 * "XENO-TEST name PASS|FAIL detail"; each benchmark prints
 * "XENO-BENCH name key=value ..." lines. Both then stop the machine.
 */
#ifndef XENO_SELFTEST_H
#define XENO_SELFTEST_H

#include <xeno/types.h>

struct selftest {
	const char *name;
	/* Returns 0 on pass; fills detail (may be empty). */
	int (*run)(char *detail, size_t size);
};

/* Arch and generic tests (selftest.c files); a NULL-named entry ends each. */
extern const struct selftest arch_selftests[];
extern const struct selftest common_selftests[];

/* Runs the tests named in the list; returns the number that failed. */
unsigned int selftest_run_list(const char *list);

/* Runs the benchmarks named in the list (arch bench.c). */
void bench_run_list(const char *list);

#endif
