/* SPDX-License-Identifier: MIT */
/*
 * The boot command line: space-separated key=value words (docs/boot.md
 * lists every key). Unknown keys are reported and ignored; a value that
 * does not parse or is out of range stops the boot with XENO_EXIT_BAD_BOOT.
 */
#ifndef XENO_CMDLINE_H
#define XENO_CMDLINE_H

#include <xeno/types.h>

#define OPT_STR_MAX 128

struct xeno_options {
	uint64_t loglvl;	/* console log level 0..3 */
	uint64_t maxcpus;	/* CPUs to bring up, 1..NR_CPUS */
	uint64_t mem;		/* bytes of RAM to use; 0 = all */
	uint64_t exit_port;	/* isa-debug-exit port; 0 = none */
	uint64_t bench_ops;	/* operations per benchmark run */
	uint64_t test_dead_cpu; /* test only: also start a CPU that is absent */
	uint64_t pcid;		/* 1: use PCIDs where the CPU has them */
	uint64_t test_move_delay_us; /* test only: hold vCPUs being moved */
	uint64_t
		test_scrub_delay_us; /* test only: frame_scrub_set_test_delay */
	uint64_t direct_access; /* 1: copy guest memory through its tables */
	char selftest[OPT_STR_MAX]; /* comma list of built-in tests */
	char bench[OPT_STR_MAX];    /* comma list of benchmarks */
};

extern struct xeno_options opt;

/*
 * Parses the command line into opt. Returns 0, or -1 after printing why
 * when a value is bad. Unknown keys only print a warning.
 */
int cmdline_parse(const char *cmdline);

/*
 * Iterates a comma list: copies the next item of *list into item (at most
 * size bytes), advances *list, and returns false when none is left.
 */
bool list_next(const char **list, char *item, size_t size);

/* Whether the comma list contains the word. */
bool list_contains(const char *list, const char *word);

#endif
