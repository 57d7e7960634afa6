/* SPDX-License-Identifier: MIT */
/*
 * The FPU/SSE/AVX state of PV vCPUs (xen/arch/x86/pv/fpu.c, pv-abi §7.6,
 * §8.13): the guest's virtual CR0.TS, and saving and restoring the
 * register state when vCPUs share a CPU.
 */
#ifndef ASM_FPU_H
#define ASM_FPU_H

#include <xeno/types.h>

struct vcpu;

/* Whether an FXSAVE image may be loaded (its MXCSR has no reserved bit). */
bool pv_fpu_image_ok(const uint8_t *fxsave);

/* Makes the FXSAVE image (checked) v's x87/SSE state; v is not running. */
void pv_fpu_set_image(struct vcpu *v, const uint8_t *fxsave);

/* Sets v's virtual CR0.TS (fpu_taskswitch, CLTS, MOV to CR0). */
void pv_fpu_set_virtual_ts(struct vcpu *v, bool ts);

#endif
