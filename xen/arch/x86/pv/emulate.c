/* SPDX-License-Identifier: MIT */
/*
 * Emulation of the privileged instructions 64-bit PV kernels execute
 * (pv-abi §8.12): CPUID behind the forced-emulation prefix with the Xen
 * leaves, control- and debug-register moves, the allowed MSRs, CLTS and
 * WBINVD.
 * Anything else is reflected to the guest as the fault it raised.
 *
 * Decoding is deliberately narrow: only the exact encodings listed are
 * recognised (with an optional REX prefix where a GPR is named), and the
 * instruction bytes are read through the guest's own page tables.
 */
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/fpu.h>
#include <asm/pv.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/lib.h>

#define XEN_CPUID_BASE	       0x40000000u
#define XEN_MSR_HYPERCALL_PAGE 0x40000000u
#define MSR_MISC_ENABLE	       0x000001a0
#define VEC_UD		       6

/* 0F 0B 'x' 'e' 'n': the forced-emulation prefix; then 0F A2 (CPUID). */
static const uint8_t fep_cpuid[7] = {
	0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2
};

/* The Xen leaves (§8.12): signature, version, hypercall page MSR. */
static bool xen_leaf(uint32_t leaf, uint32_t r[4])
{
	switch (leaf - XEN_CPUID_BASE) {
	case 0:
		r[0] = XEN_CPUID_BASE + 5;
		r[1] = 0x566e6558; /* "XenV" */
		r[2] = 0x65584d4d; /* "MMXe" */
		r[3] = 0x4d4d566e; /* "nVMM" */
		return true;
	case 1:
		r[0] = (4u << 16) | 17u; /* the Xen interface version spoken */
		r[1] = r[2] = r[3] = 0;
		return true;
	case 2:
		r[0] = 1;
		r[1] = XEN_MSR_HYPERCALL_PAGE;
		r[2] = 1; /* MMU_PT_UPDATE_PRESERVE_AD */
		r[3] = 0;
		return true;
	case 3:
	case 4:
	case 5:
		r[0] = r[1] = r[2] = r[3] = 0;
		return true;
	default:
		return false;
	}
}

/* CPUID.1 ECX bits. */
#define CPUID1_FMA     (1u << 12)
#define CPUID1_XSAVE   (1u << 26)
#define CPUID1_OSXSAVE (1u << 27)
#define CPUID1_AVX     (1u << 28)
#define CPUID1_F16C    (1u << 29)
/* CPUID.7.0 EBX: AVX2, and AVX-512 (F, DQ, IFMA, PF, ER, CD, BW, VL). */
#define CPUID7_AVX2   (1u << 5)
#define CPUID7_AVX512 0xdc230000u
/* CPUID.0xD.1 EAX: XSAVES and XFD need supervisor state; hidden. */
#define CPUIDD1_GUEST 0x7u

/*
 * CPUID.1 ECX: XSAVE and OSXSAVE as Xeno enabled them (CR4.OSXSAVE is
 * set for guests, §8.13), and what needs the AVX state only with it.
 */
static uint32_t xsave_bits_1(uint32_t ecx)
{
	uint64_t xcr0 = pv_fpu_xcr0();

	ecx &= ~(CPUID1_XSAVE | CPUID1_OSXSAVE);
	if (xcr0 != 0) {
		ecx |= CPUID1_XSAVE | CPUID1_OSXSAVE;
	}
	if (!(xcr0 & 4)) {
		ecx &= ~(CPUID1_AVX | CPUID1_FMA | CPUID1_F16C);
	}
	return ecx;
}

/*
 * CPUID.0xD: the components of the XCR0 guests run with, the area size
 * for it, no supervisor components.
 */
static void xsave_leaf(uint32_t sub, uint32_t r[4])
{
	uint64_t xcr0 = pv_fpu_xcr0();

	if (xcr0 == 0 || (sub >= 2 && sub < 63 && !(xcr0 & (1ULL << sub))) ||
	    sub >= 63) {
		r[0] = r[1] = r[2] = r[3] = 0;
		return;
	}
	switch (sub) {
	case 0:
		r[0] = (uint32_t)xcr0;
		r[3] = (uint32_t)(xcr0 >> 32);
		r[1] = r[2] = pv_fpu_xsave_size();
		break;
	case 1:
		r[0] &= CPUIDD1_GUEST;
		r[1] = pv_fpu_xsave_size();
		r[2] = r[3] = 0;
		break;
	default:
		break; /* an enabled component: size and offset as is */
	}
}

/*
 * The CPUID a guest sees: the real one, with the hypervisor bit set and
 * what Xeno does not virtualise hidden (VMX/SVM, PCID, monitor/mwait,
 * the x2APIC and TSC-deadline timer, AVX-512), and XSAVE as Xeno enabled
 * it (pv/fpu.c).
 */
static void guest_cpuid(struct cpu_regs *f)
{
	uint32_t leaf = (uint32_t)f->rax, sub = (uint32_t)f->rcx, r[4];

	if (leaf >= XEN_CPUID_BASE && leaf < XEN_CPUID_BASE + 0x100) {
		if (!xen_leaf(leaf, r)) {
			r[0] = r[1] = r[2] = r[3] = 0;
		}
	} else {
		cpuid_count(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
		if (leaf == 1) {
			r[2] &= ~((1u << 3) | (1u << 5) | (1u << 17) |
				  (1u << 21) | (1u << 24));
			r[2] = xsave_bits_1(r[2]) | (1u << 31);
		} else if (leaf == 7 && sub == 0) {
			r[1] &= ~CPUID7_AVX512;
			if (!(pv_fpu_xcr0() & 4)) {
				r[1] &= ~CPUID7_AVX2;
			}
		} else if (leaf == 0xd) {
			xsave_leaf(sub, r);
		} else if (leaf == 0x80000001) {
			r[2] &= ~(1u << 2); /* SVM */
		}
	}
	f->rax = r[0];
	f->rbx = r[1];
	f->rcx = r[2];
	f->rdx = r[3];
}

static uint64_t virtual_cr0(const struct vcpu *v)
{
	uint64_t cr0 = read_cr0() & ~CR0_TS;

	return v->arch.virtual_ts ? cr0 | CR0_TS : cr0;
}

/* With XSAVE on, the guest sees CR4.OSXSAVE set (pv-abi §8.13). */
static uint64_t virtual_cr4(const struct vcpu *v)
{
	return v->arch.cr4 | (pv_fpu_xcr0() != 0 ? CR4_OSXSAVE : 0);
}

static bool read_cr(struct vcpu *v, unsigned int cr, uint64_t *val)
{
	switch (cr) {
	case 0:
		*val = virtual_cr0(v);
		return true;
	case 2:
		*val = v->arch.cr2;
		return true;
	case 3:
		*val = mfn_x(v->mm.kernel_root) << 12;
		return true;
	case 4:
		*val = virtual_cr4(v);
		return true;
	default:
		return false;
	}
}

static bool write_cr(struct vcpu *v, unsigned int cr, uint64_t val)
{
	switch (cr) {
	case 0:
		/* Only TS may change (§8.12). */
		if ((val ^ virtual_cr0(v)) & ~CR0_TS) {
			return false;
		}
		pv_fpu_set_virtual_ts(v, (val & CR0_TS) != 0);
		return true;
	case 2:
		v->arch.cr2 = val;
		if (v->vcpu_info != NULL) {
			v->vcpu_info->arch.cr2 = val;
		}
		return true;
	case 4:
		/*
		 * The guest controls only DE (§8.12: I/O breakpoints, DR4/5
		 * no longer aliases); every other bit it writes is ignored.
		 * Clearing DE with an I/O breakpoint in DR7 would leave a
		 * DR7 set_debugreg refuses: #GP, as for an invalid value.
		 */
		if (!(val & CR4_DE) && pv_debugreg_has_io(v)) {
			return false;
		}
		v->arch.cr4 = val & CR4_DE;
		return true;
	default:
		return false;
	}
}

static bool read_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case MSR_FS_BASE:
		*val = rdmsr(MSR_FS_BASE);
		return true;
	case MSR_GS_BASE: /* the kernel GS base (§7.4) */
		*val = v->mm.user_mode ? v->arch.gs_base_kernel
				       : rdmsr(MSR_KERNEL_GS_BASE);
		return true;
	case MSR_KERNEL_GS_BASE: /* the user GS base */
		*val = v->mm.user_mode ? rdmsr(MSR_KERNEL_GS_BASE)
				       : v->arch.gs_base_user;
		return true;
	case MSR_EFER:
		*val = rdmsr(MSR_EFER);
		return true;
	case MSR_PAT:
		*val = rdmsr(MSR_PAT);
		return true;
	case MSR_APIC_BASE:
	case MSR_MISC_ENABLE:
		*val = 0;
		return true;
	default:
		return false;
	}
}

static bool write_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
	if (!is_canonical(val)) {
		return false;
	}
	switch (msr) {
	case MSR_FS_BASE:
		wrmsr(MSR_FS_BASE, val);
		v->arch.fs_base = val;
		return true;
	case MSR_GS_BASE:
		if (v->mm.user_mode) {
			v->arch.gs_base_kernel = val;
		} else {
			wrmsr(MSR_KERNEL_GS_BASE, val);
		}
		return true;
	case MSR_KERNEL_GS_BASE:
		if (v->mm.user_mode) {
			wrmsr(MSR_KERNEL_GS_BASE, val);
		} else {
			v->arch.gs_base_user = val;
		}
		return true;
	default:
		return false;
	}
}

/*
 * 0F 21/23: MOV from/to DRn (the mod field is ignored, as the CPU does)
 * as get/set_debugreg. Returns the length; 0 for #GP (a value the rules
 * refuse); -1 for #UD (DR4/DR5 with CR4.DE, DR8-15), as the CPU raises.
 */
static int emulate_mov_dr(struct vcpu *v, struct cpu_regs *f, const uint8_t *b,
			  unsigned int rex)
{
	unsigned int dr = ((b[2] >> 3) & 7) | ((rex & 4) ? 8 : 0);
	unsigned int reg = (b[2] & 7) | ((rex & 1) ? 8 : 0);
	uint64_t val;
	int rc;

	if (b[1] == 0x21) {
		rc = pv_debugreg_get(v, dr, &val);
		if (rc == 0) {
			*regs_gpr(f, reg) = val;
		}
	} else {
		rc = pv_debugreg_set(v, dr, *regs_gpr(f, reg));
	}
	if (rc == -ENODEV) {
		return -1;
	}
	return rc == 0 ? 3 : 0;
}

/*
 * emulate_privileged's answer for an instruction to execute again, RIP
 * unchanged: a CR3 write whose validation or old root's devalidation
 * stopped at a preemption point (the guest's continuation, as for a
 * hypercall; events may be delivered before it).
 */
#define EMUL_AGAIN 0xffffu

/*
 * MOV to CR3: the new kernel root (mm_vcpu_write_cr3). The length, 0
 * for #GP, or EMUL_AGAIN.
 */
static unsigned int emul_write_cr3(struct vcpu *v, uint64_t val)
{
	int rc = mm_vcpu_write_cr3(&v->mm, mfn(val >> 12));

	if (rc == -EAGAIN) {
		return EMUL_AGAIN;
	}
	return rc == 0 ? 3 : 0;
}

/*
 * 0F 20/22 with ModRM mod = 3: MOV from/to CRn; returns the length (or
 * EMUL_AGAIN).
 */
static unsigned int emulate_mov_cr(struct vcpu *v, struct cpu_regs *f,
				   const uint8_t *b, unsigned int rex)
{
	unsigned int modrm = b[2], cr, reg;
	uint64_t val;

	if ((modrm >> 6) != 3) {
		return 0;
	}
	cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	reg = (modrm & 7) | ((rex & 1) ? 8 : 0);
	if (b[1] == 0x20) {
		if (!read_cr(v, cr, &val)) {
			return 0;
		}
		*regs_gpr(f, reg) = val;
	} else if (cr == 3) {
		return emul_write_cr3(v, *regs_gpr(f, reg));
	} else if (!write_cr(v, cr, *regs_gpr(f, reg))) {
		return 0;
	}
	return 3;
}

static unsigned int emulate_msr(struct vcpu *v, struct cpu_regs *f, bool wr)
{
	uint32_t msr = (uint32_t)f->rcx;
	uint64_t val;

	if (wr) {
		val = (f->rdx << 32) | (uint32_t)f->rax;
		return write_msr(v, msr, val) ? 2 : 0;
	}
	if (!read_msr(v, msr, &val)) {
		return 0;
	}
	f->rax = (uint32_t)val;
	f->rdx = val >> 32;
	return 2;
}

/*
 * Emulates a #GP-raising privileged instruction: its length; 0 to
 * reflect the #GP; -1 to raise #UD instead (MOV DRn); EMUL_AGAIN to
 * execute it again.
 */
static int emulate_privileged(struct vcpu *v, struct cpu_regs *f,
			      const uint8_t *b)
{
	unsigned int rex = 0;
	int len;

	if (v->mm.user_mode) {
		return 0; /* only the guest kernel is "privileged" */
	}
	if ((b[0] & 0xf0) == 0x40) {
		rex = b[0];
		b++;
	}
	if (b[0] != 0x0f) {
		return 0;
	}
	switch (b[1]) {
	case 0x20:
	case 0x22:
		len = (int)emulate_mov_cr(v, f, b, rex);
		if (len == 0 || len == (int)EMUL_AGAIN) {
			return len;
		}
		return len + (rex ? 1 : 0);
	case 0x21:
	case 0x23:
		len = emulate_mov_dr(v, f, b, rex);
		return len <= 0 ? len : len + (rex ? 1 : 0);
	case 0x30:
	case 0x32:
		return rex ? 0 : emulate_msr(v, f, b[1] == 0x30);
	case 0x06: /* CLTS */
		pv_fpu_set_virtual_ts(v, false);
		return 2;
	case 0x01: /* XSETBV (0F 01 D1): only the enabled set (§8.12) */
		if (rex || b[2] != 0xd1 ||
		    !pv_fpu_xsetbv((uint32_t)f->rcx,
				   (f->rdx << 32) | (uint32_t)f->rax)) {
			return 0;
		}
		return 3;
	case 0x09: /* WBINVD: no I/O resources, so nothing to write back */
		return 2;
	default:
		return 0;
	}
}

bool pv_emulate(struct vcpu *v, struct cpu_regs *f, unsigned int vector)
{
	uint8_t b[16];
	int len;

	if (guest_copy_from(b, f->rip, sizeof(fep_cpuid)) != 0) {
		return false;
	}
	if (vector == 6) {
		if (memcmp(b, fep_cpuid, sizeof(fep_cpuid)) != 0) {
			return false;
		}
		guest_cpuid(f);
		f->rip += sizeof(fep_cpuid);
		return true;
	}
	len = emulate_privileged(v, f, b);
	if (len == 0) {
		return false;
	}
	if (len == (int)EMUL_AGAIN) {
		return true; /* executed again, RIP unchanged */
	}
	if (len < 0) {
		pv_inject(v, f, VEC_UD, false, 0);
		return true;
	}
	f->rip += (unsigned int)len;
	return true;
}
