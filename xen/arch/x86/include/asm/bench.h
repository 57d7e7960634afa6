/* SPDX-License-Identifier: MIT */
/*
 * In-hypervisor benchmarks run by bench=NAME (bench.c dispatches them;
 * docs/testing.md lists the figures).
 */
#ifndef ASM_BENCH_H
#define ASM_BENCH_H

/* bench=syscall: ring-3 SYSCALL/SYSRET round trips (bench_syscall.c). */
void bench_syscall(void);

#endif
