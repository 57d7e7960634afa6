/* SPDX-License-Identifier: MIT */
/*
 * Guest debug registers (pv-abi §7.7, §8.12; docs/hypercalls.md "Debug
 * registers"): the rules every way of setting them follows
 * (set_debugreg, MOV DRn, VCPUOP_initialise), loading them into the CPU
 * while their vCPU runs, and #DB.
 *
 * Rules (pv_debugreg_check): DR0-3 must be guest addresses (below 2^47
 * or from HYPERVISOR_VIRT_END on), else -EPERM, so no breakpoint can
 * ever match an address of the hypervisor's own; DR6 and DR7 take only
 * 32 bits (-EINVAL); DR7.GD is -EPERM (the guest cannot own MOV DR
 * faults); an I/O breakpoint (an R/W field of 10b in a DR7 that enables
 * anything) needs the vCPU's virtual CR4.DE (-EPERM); DR4 and DR5 are
 * DR6 and DR7 unless CR4.DE is set, then -ENODEV, as is any number
 * above 7. DR6 keeps only its status
 * bits (B0-B3, BD, BS, BT; the rest reads as 0xffff0ff0), DR7 its
 * enables, LE/GE and the type and length fields, with bit 10 set.
 *
 * I/O breakpoints are kept and read back but never loaded: a guest's
 * port I/O always traps into Xeno and is not emulated (it is reflected
 * as #GP), so one can never fire in the guest, and in the CPU it would
 * fire on the hypervisor's own port I/O (the serial console; QEMU's TCG
 * does I/O breakpoints whatever the real CR4.DE says).
 *
 * #DB. The gate has its own IST stack (desc.c), and entry.S moves a #DB
 * taken in guest mode onto the CPU's guest-frame place before anything
 * else, so the IST frame is only ever live for a #DB taken in the
 * hypervisor (see db_entry for why, CVE-2018-8897). From guest mode the
 * CPU's DR6 status is folded into the vCPU's DR6, the CPU's DR6 is
 * cleared, and #DB is bounced to the guest. In the hypervisor the status
 * is folded in the same way and the hypervisor simply resumes: that
 * happens when a guest's MOV SS / POP SS hit a data breakpoint (the CPU
 * delivers it after the next instruction, which may be SYSCALL or INT n,
 * so the #DB arrives at the first instruction of the hypervisor's entry,
 * with the guest's RSP and GS base still live), or when the hypervisor
 * accesses a watched guest address through the guest's own mapping: the
 * direct guest copies (mm/guest_access.c, docs/mm.md §12.1) do, so a
 * hypercall result or bounce frame written to a watched address shows in
 * the vCPU's DR6 as it would on hardware. Neither path uses %gs, touches
 * guest memory or can fault, so a #DB cannot nest inside the IST part.
 * Copies that take the software walk instead (guest user mode, another
 * vCPU's tables, direct_access=off) go through the direct map, which no
 * guest breakpoint can name: for bounce frames bounce.c reports each one
 * (pv_debugreg_hv_write), setting the B bit of every enabled write
 * watchpoint it overlaps; other walked writes are not reported.
 * B0-B3 are folded only for breakpoints the vCPU has enabled: the CPU
 * may report a match of any DRn, and the CPU's DR0-3 may still hold
 * another vCPU's addresses.
 *
 * Everything here runs with interrupts off on the vCPU's own CPU.
 */
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/percpu.h>
#include <asm/pv.h>
#include <xeno/console.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>

/* The DR7 bits a guest may set (bit 10 reads as 1). */
#define DR7_GUEST (DR7_ENABLES | DR7_LE_GE | DR7_FIELDS)

/*
 * What each CPU's debug registers hold; only that CPU touches its entry,
 * with interrupts off.
 *
 * Invariant: dr[0..3] and dr7 are the CPU's DR0-3 and DR7. While a vCPU
 * whose DR7 enables a breakpoint (other than an I/O one) runs on the CPU
 * (in guest mode or in the hypervisor on its behalf), they are that
 * vCPU's DR0-3 and its DR7 without I/O breakpoints; at every other time
 * dr7 has no enable bit, so no breakpoint of a vCPU that is not running
 * can fire. DR6 is DR6_DEFAULT except between a #DB and its fold.
 * DR0-3 of a vCPU that left stay in the CPU (harmless with no enables)
 * so that switching back to it needs only DR7. (selftest=debugreg arms
 * a breakpoint of its own with no vCPU running and puts everything back
 * with pv_debugreg_cpu_init() before it returns.)
 */
struct dr_cpu {
	uint64_t dr[4];
	uint64_t dr7;
	uint64_t ring0_count; /* #DBs taken in the hypervisor */
	uint64_t ring0_dr6;   /* the CPU's DR6 at the last of them */
};

static struct dr_cpu dr_cpus[NR_CPUS];

/*
 * Whether dr7 arms an I/O breakpoint: as in Xen, any R/W field of 10b
 * counts once DR7 enables anything at all.
 */
static bool dr7_has_io(uint64_t dr7)
{
	unsigned int i;

	if ((dr7 & DR7_ENABLES) == 0) {
		return false;
	}
	for (i = 0; i < 4; i++) {
		if (DR7_RW(dr7, i) == DR_RW_IO) {
			return true;
		}
	}
	return false;
}

bool pv_debugreg_has_io(const struct vcpu *v)
{
	return dr7_has_io(v->arch.dr[7]);
}

static int check_dr7(uint64_t val, uint64_t cr4)
{
	if (val & DR7_GD) {
		return -EPERM;
	}
	if (dr7_has_io(val) && !(cr4 & CR4_DE)) {
		return -EPERM;
	}
	return 0;
}

int pv_debugreg_check(uint64_t reg, uint64_t val, uint64_t cr4,
		      unsigned int *slot, uint64_t *out)
{
	int rc = 0;

	if (reg == 4 || reg == 5) {
		if (cr4 & CR4_DE) {
			return -ENODEV;
		}
		reg += 2;
	}
	switch (reg) {
	case 0:
	case 1:
	case 2:
	case 3:
		if (!guest_range_ok(val, 1)) {
			return -EPERM;
		}
		*out = val;
		break;
	case 6:
		if (val >> 32) {
			return -EINVAL;
		}
		*out = (val & DR6_STATUS) | DR6_DEFAULT;
		break;
	case 7:
		if (val >> 32) {
			return -EINVAL;
		}
		rc = check_dr7(val, cr4);
		*out = (val & DR7_GUEST) | DR7_DEFAULT;
		break;
	default:
		return -ENODEV;
	}
	*slot = (unsigned int)reg;
	return rc;
}

/*
 * The DR7 the CPU gets for a guest DR7: I/O breakpoints disabled; the
 * rest state if nothing else is enabled.
 */
static uint64_t dr7_for_cpu(uint64_t dr7)
{
	uint64_t en = 0;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (DR7_RW(dr7, i) != DR_RW_IO) {
			en |= 3ULL << (2 * i);
		}
	}
	if ((dr7 & en & DR7_ENABLES) == 0) {
		return DR7_DEFAULT;
	}
	return (dr7 & (en | DR7_LE_GE | DR7_FIELDS)) | DR7_DEFAULT;
}

static void set_cpu_dr7(struct dr_cpu *c, uint64_t dr7)
{
	write_dr7(dr7);
	c->dr7 = dr7;
}

static void set_cpu_dr(struct dr_cpu *c, unsigned int i, uint64_t val)
{
	switch (i) {
	case 0:
		write_dr0(val);
		break;
	case 1:
		write_dr1(val);
		break;
	case 2:
		write_dr2(val);
		break;
	default:
		write_dr3(val);
		break;
	}
	c->dr[i] = val;
}

/* Loads what v needs (NULL: nothing); returns the registers written. */
static unsigned int load(struct dr_cpu *c, const struct vcpu *v)
{
	uint64_t dr7 = v != NULL ? dr7_for_cpu(v->arch.dr[7]) : DR7_DEFAULT;
	unsigned int i, writes = 0;

	if (dr7 == DR7_DEFAULT) {
		if (c->dr7 != DR7_DEFAULT) {
			set_cpu_dr7(c, DR7_DEFAULT);
			writes++;
		}
		return writes;
	}
	for (i = 0; i < 4; i++) {
		if (c->dr[i] == v->arch.dr[i]) {
			continue;
		}
		/* No moment with old enables on new addresses. */
		if (c->dr7 != DR7_DEFAULT) {
			set_cpu_dr7(c, DR7_DEFAULT);
			writes++;
		}
		set_cpu_dr(c, i, v->arch.dr[i]);
		writes++;
	}
	if (c->dr7 != dr7) {
		set_cpu_dr7(c, dr7);
		writes++;
	}
	return writes;
}

void pv_debugreg_switch(struct vcpu *next)
{
	if (load(&dr_cpus[arch_cpu_id()], next) != 0 && next != NULL) {
		next->arch.dr_writes++;
	}
}

void pv_debugreg_cpu_init(void)
{
	struct dr_cpu *c = &dr_cpus[arch_cpu_id()];
	unsigned int i;

	set_cpu_dr7(c, DR7_DEFAULT);
	for (i = 0; i < 4; i++) {
		set_cpu_dr(c, i, 0);
	}
	write_dr6(DR6_DEFAULT);
}

int pv_debugreg_set(struct vcpu *v, uint64_t reg, uint64_t val)
{
	unsigned int slot;
	uint64_t out;
	int rc = pv_debugreg_check(reg, val, v->arch.cr4, &slot, &out);

	if (rc != 0) {
		return rc;
	}
	v->arch.dr[slot] = out;
	/* v is running here: the CPU must show the new value at once. */
	if (slot != 6 && load(&dr_cpus[arch_cpu_id()], v) != 0) {
		v->arch.dr_writes++;
	}
	return 0;
}

int pv_debugreg_get(const struct vcpu *v, uint64_t reg, uint64_t *val)
{
	if (reg == 4 || reg == 5) {
		if (v->arch.cr4 & CR4_DE) {
			return -ENODEV;
		}
		reg += 2;
	}
	if (reg > 7 || reg == 4 || reg == 5) {
		return -ENODEV;
	}
	*val = v->arch.dr[reg];
	return 0;
}

/*
 * The CPU's DR6 status worth telling v: BD, BS, BT, and B0-B3 of the
 * breakpoints the CPU has enabled (by the invariant, v's own).
 */
static uint64_t take_status(const struct dr_cpu *c, uint64_t dr6)
{
	uint64_t b = 0;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (c->dr7 & (3ULL << (2 * i))) {
			b |= DR6_B(i);
		}
	}
	return dr6 & (b | DR6_BD | DR6_BS | DR6_BT);
}

void pv_debug_trap(struct cpu_regs *f)
{
	struct cpu_info *ci = this_cpu_info();
	struct dr_cpu *c = &dr_cpus[ci->cpu_id];
	struct vcpu *v = ci->vcpu;
	uint64_t dr6 = read_dr6();
	uint64_t status = take_status(c, dr6);

	write_dr6(DR6_DEFAULT);
	if ((f->cs & 3) == 0) {
		/*
		 * Taken in the hypervisor (see the top of the file): fold and
		 * resume. A single step here can only be one the guest armed
		 * before entering (MOV SS + SYSCALL with TF): the hypervisor
		 * never runs with TF, so make sure it does not now.
		 */
		c->ring0_count++;
		c->ring0_dr6 = dr6;
		if (dr6 & DR6_BS) {
			f->rflags &= ~RFLAGS_TF;
		}
		/*
		 * No guest breakpoint can name hypervisor code (DR0-3 are
		 * guest addresses), but should an instruction breakpoint
		 * ever match here, RF lets the instruction run instead of
		 * faulting again forever.
		 */
		f->rflags |= RFLAGS_RF;
		if (v != NULL) {
			v->arch.dr[6] |= status;
			v->arch.db_ring0++;
		}
		return;
	}
	v->arch.dr[6] |= status;
	v->arch.db_bounced++;
	pv_inject(v, f, VEC_DB, false, 0);
}

/* The bytes a data breakpoint covers: LEN 00, 01, 11, 10 = 1, 2, 4, 8. */
static uint64_t bp_len(uint64_t dr7, unsigned int i)
{
	static const uint64_t len[4] = { 1, 2, 8, 4 };

	return len[(dr7 >> (18 + 4 * i)) & 3];
}

void pv_debugreg_hv_write(struct vcpu *v, uint64_t gva, uint64_t n)
{
	uint64_t dr7 = dr7_for_cpu(v->arch.dr[7]);
	unsigned int i;

	for (i = 0; i < 4; i++) {
		unsigned int rw = (unsigned int)DR7_RW(dr7, i);
		uint64_t len = bp_len(dr7, i);
		uint64_t base = v->arch.dr[i] & ~(len - 1);

		if (!(dr7 & (3ULL << (2 * i))) ||
		    (rw != DR_RW_WRITE && rw != DR_RW_RW)) {
			continue;
		}
		if (gva < base + len && base < gva + n) {
			v->arch.dr[6] |= DR6_B(i);
		}
	}
}

uint64_t pv_debugreg_ring0_count(void)
{
	return dr_cpus[arch_cpu_id()].ring0_count;
}

uint64_t pv_debugreg_ring0_last_dr6(void)
{
	return dr_cpus[arch_cpu_id()].ring0_dr6;
}

void pv_debugreg_report(const struct vcpu *v)
{
	const struct arch_vcpu *a = &v->arch;

	if (a->dr_writes == 0 && a->db_bounced == 0 && a->db_ring0 == 0) {
		return;
	}
	printk(LOG_DEBUG,
	       "debugreg: d%u v%u dr-writes %lu db-bounced %lu db-ring0 %lu "
	       "dr6 %#lx dr7 %#lx\n",
	       v->domain->domid, v->id, a->dr_writes, a->db_bounced,
	       a->db_ring0, a->dr[6], a->dr[7]);
}

/* ---- the hypercalls (§7.7) --------------------------------------------- */

long do_set_debugreg(struct hcall_args *h)
{
	return pv_debugreg_set(current_vcpu(), h->a[0], h->a[1]);
}

long do_get_debugreg(struct hcall_args *h)
{
	uint64_t val;
	int rc = pv_debugreg_get(current_vcpu(), h->a[0], &val);

	return rc != 0 ? rc : (long)val;
}
