/* SPDX-License-Identifier: MIT */
/*
 * Secondary vCPUs (interface in libpv/smp.h; pv-abi §7.13).
 *
 * A secondary starts at pv_smp_entry with the function in RSI, its
 * argument in RDI and RSP at the top of its stack (16-byte aligned); it
 * calls the function and then takes itself down. Restarting one after it
 * went down makes it return from VCPUOP_down into the same loop, which
 * picks the next function from its slot.
 *
 * The stack table is written by vCPU 0 before the secondary is brought
 * up (VCPUOP_up is a full barrier: a hypercall) and read by every vCPU.
 */
#include <libpv/errno.h>
#include <libpv/hypercall.h>
#include <libpv/mm.h>
#include <libpv/smp.h>
#include <libpv/start.h>
#include <libpv/string.h>

struct smp_slot {
	uint64_t lo, hi;	  /* its stack, [lo, hi) */
	volatile pv_vcpu_fn_t fn; /* the next function to run */
	void *volatile arg;
};

static struct smp_slot slots[PV_SMP_MAX_VCPUS];

/* Entry points (entry.S, below). */
extern const uint64_t pv_trap_stubs[32];
extern char pv_event_entry[], pv_failsafe_entry[];
void pv_smp_entry(void);
__attribute__((noreturn)) void pv_smp_main(void);

/* RSI: unused; RSP at the top of the vCPU's stack. */
__asm__(".text\n"
	".globl pv_smp_entry\n"
	"pv_smp_entry:\n\t"
	"xor %ebp, %ebp\n\t"
	"call pv_smp_main\n\t"
	"ud2\n");

unsigned int pv_smp_id(void)
{
	uint64_t sp = (uint64_t)__builtin_frame_address(0);
	unsigned int i;

	for (i = 1; i < PV_SMP_MAX_VCPUS; i++) {
		if (sp >= slots[i].lo && sp < slots[i].hi) {
			return i;
		}
	}
	return 0;
}

void pv_vcpu_down_self(void)
{
	(void)HYPERVISOR_vcpu_op(VCPUOP_down, pv_smp_id(), NULL);
}

/* Runs the slot's function each time the vCPU is (re)started. */
void pv_smp_main(void)
{
	struct smp_slot *s = &slots[pv_smp_id()];

	for (;;) {
		pv_vcpu_fn_t fn = s->fn;

		if (fn != NULL) {
			s->fn = NULL;
			fn(s->arg);
		}
		pv_vcpu_down_self();
	}
}

void pv_vcpu_context(struct vcpu_guest_context *c, uint64_t rip, uint64_t rsp)
{
	unsigned int vec;

	memset(c, 0, sizeof(*c));
	c->flags = VGCF_in_kernel;
	c->user_regs.rip = rip;
	c->user_regs.rsp = rsp;
	c->user_regs.cs = FLAT_KERNEL_CS;
	c->user_regs.ss = FLAT_KERNEL_SS;
	c->user_regs.rflags = 0x202;
	for (vec = 0; vec < 32; vec++) {
		unsigned int dpl = (vec == 3 || vec == 4) ? 3 : 0;

		c->trap_ctxt[vec].vector = (uint8_t)vec;
		c->trap_ctxt[vec].flags = (uint8_t)(dpl | TI_MASK_EVENTS);
		c->trap_ctxt[vec].cs = FLAT_KERNEL_CS;
		c->trap_ctxt[vec].address = pv_trap_stubs[vec];
	}
	c->kernel_ss = FLAT_KERNEL_SS;
	c->kernel_sp = rsp;
	c->ctrlreg[3] = pv_current_l4_mfn() << PV_PAGE_SHIFT;
	c->event_callback_eip = (uint64_t)pv_event_entry;
	c->failsafe_callback_eip = (uint64_t)pv_failsafe_entry;
}

long pv_vcpu_start(unsigned int id, pv_vcpu_fn_t fn, void *arg, void *stack,
		   size_t size)
{
	return pv_vcpu_start_root(id, fn, arg, stack, size,
				  pv_current_l4_mfn());
}

long pv_vcpu_start_root(unsigned int id, pv_vcpu_fn_t fn, void *arg,
			void *stack, size_t size, uint64_t l4_mfn)
{
	static struct vcpu_guest_context ctx;
	uint64_t top = ((uint64_t)stack + size) & ~15ULL;
	long rc;

	if (id == 0 || id >= PV_SMP_MAX_VCPUS || stack == NULL || size < 256) {
		return -EINVAL;
	}
	slots[id].lo = (uint64_t)stack;
	slots[id].hi = top;
	slots[id].fn = fn;
	slots[id].arg = arg;
	pv_vcpu_context(&ctx, (uint64_t)pv_smp_entry, top);
	ctx.ctrlreg[3] = l4_mfn << PV_PAGE_SHIFT;
	rc = HYPERVISOR_vcpu_op(VCPUOP_initialise, id, &ctx);
	if (rc == 0) {
		rc = HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
	}
	return rc;
}

long pv_vcpu_restart(unsigned int id, pv_vcpu_fn_t fn, void *arg)
{
	if (id == 0 || id >= PV_SMP_MAX_VCPUS) {
		return -EINVAL;
	}
	slots[id].arg = arg;
	slots[id].fn = fn;
	return HYPERVISOR_vcpu_op(VCPUOP_up, id, NULL);
}

long pv_vcpu_is_up(unsigned int id)
{
	return HYPERVISOR_vcpu_op(VCPUOP_is_up, id, NULL);
}
