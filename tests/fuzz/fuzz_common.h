/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer targets (fuzz_ptype.c, fuzz_mmu.c) share: the input
 * reader, the trace switch, the machine's boot from the header byte, the
 * crash path and libFuzzer's entry points. Each target is its own
 * program and includes this once.
 *
 * Inputs are read byte by byte; a short input reads as zeroes, so every
 * byte string is a valid program. Header byte h0 sets the boot options
 * of every target: bit 0 set turns NX off, bits 1-2 both set turn linear
 * page tables off (the other bits are the target's).
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <host.h>
#include <xeno/frame_alloc.h>
#include <xeno/m2p.h>
#include <xeno/mm_domain.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input -------------------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t n;
};

/* The next byte, or 0 once the input is used up. */
static __unused uint8_t in_byte(struct input *in)
{
	if (in->n == 0) {
		return 0;
	}
	in->n--;
	return *in->p++;
}

/* The next 8 bytes, little-endian. */
static __unused uint64_t in_u64(struct input *in)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < 8; i++) {
		v |= (uint64_t)in_byte(in) << (8 * i);
	}
	return v;
}

/* ---- tracing and crashing ------------------------------------------------ */

/* Set from the target's environment variable (fuzz_init). */
static bool trace;

/* Prints to stderr when tracing. */
static __unused __attribute__((format(printf, 1, 2))) void tr(const char *fmt,
							      ...)
{
	va_list ap;

	if (!trace) {
		return;
	}
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/*
 * The end of a failed check, once the target has said what failed: lets
 * the checkers print why (the host log quiet), then crashes, which
 * libFuzzer reports and saves the input of.
 */
static __unused __noreturn void fuzz_crash(void)
{
	setenv("XENO_HOST_LOG", "0", 1);
	(void)mm_audit();
	(void)frame_alloc_audit();
	abort();
}

/* ---- boot ---------------------------------------------------------------- */

/*
 * A new host machine of frames frames and cpus CPUs, as booted with
 * header byte h0, running on CPU 0: an M2P if asked for, no domains yet,
 * no forced preemption, the type statistics at zero. Returns false if
 * the M2P cannot be had.
 */
static __unused bool fuzz_boot(uint64_t frames, unsigned int cpus, uint8_t h0,
			       bool with_m2p)
{
	host_set_cpu(0);
	host_machine_init(frames, cpus);
	if (with_m2p && m2p_init(frames) != 0) {
		return false;
	}
	mm_domain_registry_init();
	pte_configure(!(h0 & 1), (h0 & 6) != 6);
	pte_set_l4_template(host_l4_template);
	ptype_set_preempt_interval(0);
	ptype_stats_reset();
	return true;
}

/*
 * libFuzzer's initialisation for a target: tracing if the environment
 * variable trace_env is set, and the target's totals printed at exit.
 */
static __unused void fuzz_init(const char *trace_env, void (*totals)(void))
{
	trace = getenv(trace_env) != NULL;
	atexit(totals);
}

#endif
