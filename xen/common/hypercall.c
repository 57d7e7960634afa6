/* SPDX-License-Identifier: MIT */
/*
 * The hypercall table and the small generic hypercalls: console_io,
 * xen_version, vm_assist and multicall (pv-abi §5, §6.6, §7.14, §7.15).
 * The arch entry code decodes the registers into a struct hcall_args and
 * calls hypercall_dispatch(); see xeno/hypercall.h for continuations.
 */
#include <asm/descriptor.h>
#include <asm/pv.h>
#include <public/xeno.h>
#include <public/xeno_stats.h>
#include <xeno/errno.h>
#include <xeno/event.h>
#include <xeno/guest_access.h>
#include <xeno/hypercall.h>
#include <xeno/lib.h>
#include <xeno/sched.h>
#include <xeno/version.h>
#include <xeno/vtime.h>

#define XEN_MAJOR 4
#define XEN_MINOR 17

/* XENFEAT bits Xeno implements (pv-abi §3.4). */
#define XENFEAT_mmu_pt_update_preserve_ad 5
#define XENFEAT_highmem_assist		  6
#define XENFEAT_dom0			  11
#define XENFEAT_direct_mapped		  17
#define XENFEAT_runstate_phys_area	  18
#define XENFEAT_vcpu_time_phys_area	  19

#define VMASST_VALID_TYPES 0x10000003fULL

static long do_console_io(struct hcall_args *h);
static long do_xen_version(struct hcall_args *h);
static long do_vm_assist(struct hcall_args *h);
static long do_multicall(struct hcall_args *h);

const hcall_fn hypercall_table[HYPERCALL_SLOTS] = {
	[__HYPERVISOR_set_trap_table] = do_set_trap_table,
	[__HYPERVISOR_mmu_update] = do_mmu_update,
	[__HYPERVISOR_set_gdt] = do_set_gdt,
	[__HYPERVISOR_stack_switch] = do_stack_switch,
	[__HYPERVISOR_set_callbacks] = do_set_callbacks,
	[__HYPERVISOR_fpu_taskswitch] = do_fpu_taskswitch,
	[__HYPERVISOR_sched_op_compat] = do_sched_op_compat,
	[__HYPERVISOR_set_debugreg] = do_set_debugreg,
	[__HYPERVISOR_get_debugreg] = do_get_debugreg,
	[__HYPERVISOR_update_descriptor] = do_update_descriptor,
	[__HYPERVISOR_multicall] = do_multicall,
	[__HYPERVISOR_update_va_mapping] = do_update_va_mapping,
	[__HYPERVISOR_memory_op] = do_memory_op,
	[__HYPERVISOR_set_timer_op] = do_set_timer_op,
	[__HYPERVISOR_event_channel_op_compat] = do_event_channel_op_compat,
	[__HYPERVISOR_xen_version] = do_xen_version,
	[__HYPERVISOR_console_io] = do_console_io,
	[__HYPERVISOR_vm_assist] = do_vm_assist,
	[__HYPERVISOR_update_va_mapping_otherdomain] =
		do_update_va_mapping_otherdomain,
	[__HYPERVISOR_vcpu_op] = do_vcpu_op,
	[__HYPERVISOR_set_segment_base] = do_set_segment_base,
	[__HYPERVISOR_mmuext_op] = do_mmuext_op,
	[__HYPERVISOR_nmi_op] = do_nmi_op,
	[__HYPERVISOR_sched_op] = do_sched_op,
	[__HYPERVISOR_callback_op] = do_callback_op,
	[__HYPERVISOR_event_channel_op] = do_event_channel_op,
	[__HYPERVISOR_physdev_op] = do_physdev_op,
	[__HYPERVISOR_xeno_mm_op] = do_xeno_mm_op,
	[__HYPERVISOR_xeno_stats_op] = do_xeno_stats_op,
	[__HYPERVISOR_xeno_domctl] = do_xeno_domctl,
};

_Static_assert(__HYPERVISOR_xeno_domctl < HYPERCALL_SLOTS, "table size");
_Static_assert(HYPERCALL_SLOTS * 8 % 64 == 0, "count rows in cache lines");

/*
 * Hypercalls made, by CPU and number (statistics and benchmarks), as
 * rows of HYPERCALL_SLOTS. Each CPU counts its own without a locked
 * instruction; readers add up.
 */
uint64_t hypercall_counts[NR_CPUS * HYPERCALL_SLOTS] __aligned(64);

long hypercall_dispatch_on(unsigned int cpu, uint64_t nr, struct hcall_args *h)
{
	uint64_t *c;

	if (nr >= HYPERCALL_SLOTS || hypercall_table[nr] == NULL) {
		return -ENOSYS;
	}
	c = &hypercall_counts[cpu * HYPERCALL_SLOTS + nr];
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1,
			 __ATOMIC_RELAXED);
	return hypercall_table[nr](h);
}

long hypercall_dispatch(uint64_t nr, struct hcall_args *h)
{
	return hypercall_dispatch_on(arch_cpu_id(), nr, h);
}

uint64_t hypercall_cpu_count(unsigned int cpu, uint64_t nr)
{
	if (nr >= HYPERCALL_SLOTS || cpu >= NR_CPUS) {
		return 0;
	}
	return __atomic_load_n(&hypercall_counts[cpu * HYPERCALL_SLOTS + nr],
			       __ATOMIC_RELAXED);
}

uint64_t hypercall_count(uint64_t nr)
{
	uint64_t sum = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < NR_CPUS; cpu++) {
		sum += hypercall_cpu_count(cpu, nr);
	}
	return sum;
}

/*
 * CONSOLEIO_write is allowed to every domain (Xeno is a development
 * hypervisor; the guest's lines are prefixed with its id, so one guest
 * cannot pass for another). Reads return nothing: there is no input yet.
 */
static long do_console_io(struct hcall_args *h)
{
	struct domain *d = current_vcpu()->domain;
	uint64_t count = (uint32_t)h->a[1], done = 0;
	char buf[128];

	switch (h->a[0]) {
	case CONSOLEIO_write:
		while (done < count) {
			size_t n = MIN(sizeof(buf), count - done);

			if (guest_copy_from(buf, h->a[2] + done, n) != 0) {
				return -EFAULT;
			}
			domain_console_write(d, buf, n);
			done += n;
		}
		return 0;
	case CONSOLEIO_read:
		return count > 0x7fffffffULL ? -E2BIG : 0;
	default:
		return -ENOSYS;
	}
}

static long copy_string(uint64_t gva, const char *s, size_t size)
{
	char buf[1024];

	memset(buf, 0, size);
	strlcpy(buf, s, size);
	return guest_copy_to(gva, buf, size) ? -EFAULT : 0;
}

/* The calling domain (xen_version looks it up only where it needs it). */
static struct domain *caller(void)
{
	return current_vcpu()->domain;
}

static long do_xen_version(struct hcall_args *h)
{
	uint64_t arg = h->a[1];

	/*
	 * The null hypercall of guests (Linux forces a pending upcall with
	 * it) and of the benchmarks: answered before the switch's jump table.
	 */
	if (h->a[0] == XENVER_version) {
		return (XEN_MAJOR << 16) | XEN_MINOR;
	}
	switch (h->a[0]) {
	case XENVER_extraversion:
		return copy_string(arg, ".0-xeno", 16);
	case XENVER_compile_info:
		return copy_string(arg, "gcc", 144);
	case XENVER_capabilities:
		return copy_string(arg, "xen-3.0-x86_64", 1024);
	case XENVER_changeset:
		return copy_string(arg, "xeno-" XENO_VERSION, 64);
	case XENVER_platform_parameters: {
		uint64_t virt_start = HYPERVISOR_VIRT_START;

		return guest_copy_to(arg, &virt_start, 8) ? -EFAULT : 0;
	}
	case XENVER_get_features: {
		struct xen_feature_info fi;

		if (guest_copy_from(&fi, arg, sizeof(fi)) != 0) {
			return -EFAULT;
		}
		if (fi.submap_idx != 0) {
			return -EINVAL;
		}
		fi.submap = (1u << XENFEAT_mmu_pt_update_preserve_ad) |
			    (1u << XENFEAT_highmem_assist) |
			    (1u << XENFEAT_direct_mapped) |
			    (1u << XENFEAT_runstate_phys_area) |
			    (1u << XENFEAT_vcpu_time_phys_area) |
			    (caller()->privileged ? 1u << XENFEAT_dom0 : 0);
		return guest_copy_to(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
	}
	case XENVER_pagesize:
		return PAGE_SIZE;
	case XENVER_guest_handle: {
		struct domain *d = caller();
		uint8_t handle[16] = { 0 };

		handle[0] = (uint8_t)d->domid;
		handle[1] = (uint8_t)(d->domid >> 8);
		return guest_copy_to(arg, handle, 16) ? -EFAULT : 0;
	}
	case XENVER_commandline:
		return caller()->privileged ? copy_string(arg, "", 1024)
					    : -EPERM;
	default:
		return -ENOSYS;
	}
}

static long do_vm_assist(struct hcall_args *h)
{
	struct domain *d = current_vcpu()->domain;
	uint64_t type = h->a[1];

	if (h->a[0] != VMASST_CMD_enable && h->a[0] != VMASST_CMD_disable) {
		return -ENOSYS;
	}
	if (type >= 64 || !((VMASST_VALID_TYPES >> type) & 1)) {
		return -EINVAL;
	}
	if (h->a[0] == VMASST_CMD_enable) {
		__atomic_fetch_or(&d->mm.vm_assist, 1ULL << type,
				  __ATOMIC_SEQ_CST);
	} else {
		__atomic_fetch_and(&d->mm.vm_assist, ~(1ULL << type),
				   __ATOMIC_SEQ_CST);
	}
	return 0;
}

static bool in_multicall[NR_CPUS];

/*
 * §5.4: each entry runs as its own hypercall and gets its result; a
 * failing entry does not stop the batch. A preempted entry (or a
 * preemption point between entries) continues the multicall from that
 * entry, with the entry's arguments rewritten for its own continuation.
 */
static long do_multicall(struct hcall_args *h)
{
	unsigned int cpu = arch_cpu_id();
	uint64_t list = h->a[0], nr = h->a[1], i;
	long rc = 0;

	if (in_multicall[cpu]) {
		return -EINVAL;
	}
	in_multicall[cpu] = true;
	for (i = 0; i < nr; i++) {
		struct multicall_entry e;
		struct hcall_args sub;
		uint64_t at = list + i * sizeof(e);

		if (i > 0 && arch_hypercall_preempt_check()) {
			h->a[0] = at;
			h->a[1] = nr - i;
			rc = -ERESTART;
			break;
		}
		if (guest_copy_from(&e, at, sizeof(e)) != 0) {
			rc = -EFAULT;
			break;
		}
		if (e.op == __HYPERVISOR_iret ||
		    e.op == __HYPERVISOR_multicall) {
			e.result = (uint64_t)-EINVAL;
		} else {
			memcpy(sub.a, e.args, sizeof(sub.a));
			e.result = (uint64_t)hypercall_dispatch(e.op, &sub);
			if ((long)e.result == -ERESTART) {
				memcpy(e.args, sub.a, sizeof(sub.a));
				if (guest_copy_to(at, &e, sizeof(e)) != 0) {
					rc = -EFAULT;
					break;
				}
				h->a[0] = at;
				h->a[1] = nr - i;
				rc = -ERESTART;
				break;
			}
		}
		if (guest_copy_to(at + offsetof(struct multicall_entry, result),
				  &e.result, sizeof(e.result)) != 0) {
			rc = -EFAULT;
			break;
		}
	}
	in_multicall[cpu] = false;
	return rc;
}
