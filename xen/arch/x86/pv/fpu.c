/* SPDX-License-Identifier: MIT */
/*
 * The FPU state of PV vCPUs (interface in asm/fpu.h).
 */
#include <asm/cpu.h>
#include <asm/fpu.h>
#include <asm/pv.h>
#include <xeno/domain.h>
#include <xeno/lib.h>

#define FXSAVE_MXCSR  24
#define MXCSR_ALLOWED 0xffffu

bool pv_fpu_image_ok(const uint8_t *fxsave)
{
	uint32_t mxcsr;

	memcpy(&mxcsr, fxsave + FXSAVE_MXCSR, sizeof(mxcsr));
	return (mxcsr & ~MXCSR_ALLOWED) == 0;
}

void pv_fpu_set_image(struct vcpu *v, const uint8_t *fxsave)
{
	memcpy(v->arch.fpu, fxsave, 512);
}

void pv_fpu_set_virtual_ts(struct vcpu *v, bool ts)
{
	v->arch.virtual_ts = ts;
}
