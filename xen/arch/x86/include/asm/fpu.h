/* SPDX-License-Identifier: MIT */
/*
 * The FPU/SSE/AVX state of PV vCPUs (xen/arch/x86/pv/fpu.c, pv-abi §7.6,
 * §8.12, §8.13): the guest's virtual CR0.TS, lazy switching of the
 * register state between the vCPUs sharing a CPU, and the XSAVE features
 * guests see.
 *
 * Interface rules:
 *  - Only this file touches the real CR0.TS and the FPU registers.
 *  - While guest v runs, the real CR0.TS is clear exactly when v's state
 *    is in the registers (v->arch.fpu_live) and v's virtual TS is clear.
 *  - pv_fpu_switch() is called by the context switch with both vCPUs'
 *    registers saved/loaded otherwise; pv_fpu_nm() first on every #NM a
 *    guest raises.
 */
#ifndef ASM_FPU_H
#define ASM_FPU_H

#include <xeno/types.h>

struct vcpu;

/* The largest state area a vCPU needs (x87, SSE, AVX: 832 bytes). */
#define PV_FPU_AREA_SIZE 1024

/*
 * Per-CPU set-up: XCR0 and CR4.OSXSAVE when XSAVE exists; TS set. Runs
 * by itself at a CPU's first vCPU switch.
 */
void pv_fpu_init_cpu(void);

/* The XCR0 every guest runs with (x87|SSE[|AVX]); 0 without XSAVE. */
uint64_t pv_fpu_xcr0(void);

/* Bytes of the XSAVE area for that XCR0 (CPUID 0xD), 512 without. */
uint32_t pv_fpu_xsave_size(void);

/* Initial state of a new vCPU: FCW 0x37f, MXCSR 0x1f80, the rest zero. */
void pv_fpu_init_vcpu(struct vcpu *v);

/* Whether an FXSAVE image may be loaded (its MXCSR has no reserved bit). */
bool pv_fpu_image_ok(const uint8_t *fxsave);

/* Makes the FXSAVE image (checked) v's x87/SSE state; v is not running. */
void pv_fpu_set_image(struct vcpu *v, const uint8_t *fxsave);

/* Sets v's virtual CR0.TS (fpu_taskswitch, CLTS, MOV to CR0). */
void pv_fpu_set_virtual_ts(struct vcpu *v, bool ts);

/* This CPU switches from prev to next (either may be NULL). */
void pv_fpu_switch(struct vcpu *prev, struct vcpu *next);

/*
 * #NM from guest v: with v's virtual TS clear, makes v's state live and
 * returns true (the instruction is retried, the guest sees nothing);
 * with it set, returns false: the #NM is the guest's (§8.13).
 */
bool pv_fpu_nm(struct vcpu *v);

/* XSETBV by the guest (§8.12): true if emulated, false for #GP. */
bool pv_fpu_xsetbv(uint32_t reg, uint64_t val);

/* Prints v's FPU counters at the debug level (domain teardown). */
void pv_fpu_report(const struct vcpu *v);

#endif
