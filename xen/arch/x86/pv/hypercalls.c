/* SPDX-License-Identifier: MIT */
/*
 * The x86 hypercalls of the PV execution model (pv-abi §7.1-7.7, §7.16,
 * §7.17): the virtual IDT, callbacks, the kernel stack for bounces,
 * segment bases, virtual CR0.TS, NMI callback, the basic physdev
 * operations (debug registers: pv/debugreg.c). Each decodes and checks
 * its arguments before it changes anything.
 */
#include <asm/cpu.h>
#include <asm/fpu.h>
#include <asm/pv.h>
#include <xeno/errno.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/vtime.h>

#define PHYSDEVOP_irq_status_query 5
#define PHYSDEVOP_set_iopl	   6
#define XENNMI_register_callback   0
#define XENNMI_unregister_callback 1

/*
 * §7.1: entries until the first zero address replace their slots; a
 * non-canonical address stops with -EINVAL (earlier entries stay).
 */
long do_set_trap_table(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	uint64_t p = h->a[0];
	unsigned int i;

	if (p == 0) {
		memset(v->arch.traps, 0, sizeof(v->arch.traps));
		return 0;
	}
	for (i = 0;; i++) {
		struct trap_info t;

		if (guest_copy_from(&t, p + i * sizeof(t), sizeof(t)) != 0) {
			return -EFAULT;
		}
		if (t.address == 0) {
			return 0;
		}
		if (!is_canonical(t.address)) {
			return -EINVAL;
		}
		v->arch.traps[t.vector] = t;
	}
}

static struct pv_callback *callback_slot(struct vcpu *v, unsigned int type)
{
	switch (type) {
	case CALLBACKTYPE_event:
		return &v->arch.event_cb;
	case CALLBACKTYPE_failsafe:
		return &v->arch.failsafe_cb;
	case CALLBACKTYPE_syscall:
		return &v->arch.syscall_cb;
	case CALLBACKTYPE_syscall32:
		return &v->arch.syscall32_cb;
	case CALLBACKTYPE_sysenter:
		return &v->arch.sysenter_cb;
	case CALLBACKTYPE_nmi:
		return &v->arch.nmi_cb;
	default:
		return NULL;
	}
}

static long register_callback(struct vcpu *v, const struct callback_register *r)
{
	struct pv_callback *cb = callback_slot(v, r->type);

	if (cb == NULL) {
		return -ENOSYS;
	}
	if (!is_canonical(r->address)) {
		return -EINVAL;
	}
	cb->address = r->address;
	/* The event callback always masks; the NMI one too (§7.2). */
	cb->mask_events = r->type == CALLBACKTYPE_event ||
			  r->type == CALLBACKTYPE_nmi ||
			  (r->flags & CALLBACKF_mask_events);
	if (r->type == CALLBACKTYPE_nmi) {
		v->arch.traps[2].vector = 2;
		v->arch.traps[2].flags = TI_MASK_EVENTS;
		v->arch.traps[2].address = r->address;
	}
	return 0;
}

long do_set_callbacks(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	static const uint16_t types[3] = { CALLBACKTYPE_event,
					   CALLBACKTYPE_failsafe,
					   CALLBACKTYPE_syscall };
	unsigned int i;

	/* Always 0; a non-canonical address is just not registered. */
	for (i = 0; i < 3; i++) {
		struct callback_register r = { .type = types[i],
					       .address = h->a[i] };

		register_callback(v, &r);
	}
	return 0;
}

long do_callback_op(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();

	if (h->a[0] == CALLBACKOP_register) {
		struct callback_register r;

		if (guest_copy_from(&r, h->a[1], sizeof(r)) != 0) {
			return -EFAULT;
		}
		return register_callback(v, &r);
	}
	if (h->a[0] == CALLBACKOP_unregister) {
		struct callback_unregister u;

		if (guest_copy_from(&u, h->a[1], sizeof(u)) != 0) {
			return -EFAULT;
		}
		if (u.type == CALLBACKTYPE_nmi) {
			v->arch.nmi_cb.address = 0;
			memset(&v->arch.traps[2], 0, sizeof(v->arch.traps[2]));
			return 0;
		}
		return callback_slot(v, u.type) ? -EINVAL : -ENOSYS;
	}
	return -ENOSYS;
}

long do_stack_switch(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();

	v->arch.kernel_ss = h->a[0] | 3;
	v->arch.kernel_sp = h->a[1];
	return 0;
}

long do_set_segment_base(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	uint64_t base = h->a[1];

	if (h->a[0] == SEGBASE_GS_USER_SEL) {
		/*
		 * Without guest GDTs only the null and flat selectors exist,
		 * and both have base 0: that becomes the user GS base. The
		 * selector itself is not loaded while in the hypervisor
		 * (that would replace the hypervisor's own GS base).
		 */
		v->arch.gs_base_user = 0;
		return 0;
	}
	if (!is_canonical(base)) {
		return -EINVAL;
	}
	switch (h->a[0]) {
	case SEGBASE_FS:
		wrmsr(MSR_FS_BASE, base);
		v->arch.fs_base = base;
		return 0;
	case SEGBASE_GS_USER:
		v->arch.gs_base_user = base;
		return 0;
	case SEGBASE_GS_KERNEL:
		/* The active one: in the MSR while we are in the hypervisor. */
		wrmsr(MSR_KERNEL_GS_BASE, base);
		v->arch.gs_base_kernel = base;
		return 0;
	default:
		return -EINVAL;
	}
}

long do_fpu_taskswitch(struct hcall_args *h)
{
	pv_fpu_set_virtual_ts(current_vcpu(), h->a[0] != 0);
	return 0;
}

long do_nmi_op(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	struct callback_register r = { .type = CALLBACKTYPE_nmi };
	uint64_t cb[2];

	switch (h->a[0]) {
	case XENNMI_register_callback:
		if (guest_copy_from(cb, h->a[1], sizeof(cb)) != 0) {
			return -EFAULT;
		}
		r.address = cb[0];
		return register_callback(v, &r);
	case XENNMI_unregister_callback:
		v->arch.nmi_cb.address = 0;
		memset(&v->arch.traps[2], 0, sizeof(v->arch.traps[2]));
		return 0;
	default:
		return -ENOSYS;
	}
}

long do_physdev_op(struct hcall_args *h)
{
	struct vcpu *v = current_vcpu();
	uint32_t a[2];

	switch (h->a[0]) {
	case PHYSDEVOP_set_iopl:
		if (guest_copy_from(a, h->a[1], 4) != 0) {
			return -EFAULT;
		}
		if (a[0] > 3) {
			return -EINVAL;
		}
		v->arch.iopl = (uint8_t)a[0];
		return 0;
	case PHYSDEVOP_irq_status_query:
		if (guest_copy_from(a, h->a[1], 8) != 0) {
			return -EFAULT;
		}
		a[1] = 0; /* no physical IRQs: never needs an EOI */
		return guest_copy_to(h->a[1], a, 8) ? -EFAULT : 0;
	default:
		return -ENOSYS;
	}
}
