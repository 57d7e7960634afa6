/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of update_va_mapping and update_va_mapping_otherdomain
 * (mm/update_va_mapping.c, pv-abi §6.3): mapping and unmapping through
 * the kernel tables, every UVMF flag and scope, refusals that change and
 * flush nothing, and the foreign-domain rules of the other-domain form.
 * Each test ends with the audit (mm_test.h).
 */
#include "mm_test.h"

static struct guest g, h2, hp;

static long uvm(struct guest *gu, uint64_t va, uint64_t val, uint64_t flags)
{
	struct hcall_args h = { { va, val, flags, 0, 0 } };

	guest_enter(gu);
	return do_update_va_mapping(&h);
}

static long uvm_other(struct guest *gu, uint64_t va, uint64_t val,
		      uint64_t flags, uint64_t dom)
{
	struct hcall_args h = { { va, val, flags, dom, 0 } };

	guest_enter(gu);
	return do_update_va_mapping_otherdomain(&h);
}

static void test_map_unmap(void **state)
{
	struct page_info *data = NULL;

	guest_init(&g, &d1, 0, 1);
	data = new_frame(&d1);
	host_tlb_reset();
	assert_int_equal(uvm(&g, gva(30, 0), ent(data, PTE_P | PTE_RW | PTE_US),
			     UVMF_NONE),
			 0);
	assert_int_equal(host_tlb_calls(), 0);
	assert_int_equal(ptype_count(data), 1);
	assert_int_equal(guest_copy_to(gva(30, 8), "ok", 2), 0);
	assert_memory_equal((char *)tab(data) + 8, "ok", 2);
	assert_int_equal(uvm(&g, gva(30, 0), 0, UVMF_INVLPG | UVMF_LOCAL), 0);
	assert_int_equal(page_count(data), 1);
	assert_int_equal(host_tlb_calls(), 1);
	assert_int_equal(host_tlb_call(0).va, gva(30, 0));
	assert_int_equal(host_tlb_call(0).mask, cpumask_of(1));
	/* Any address in the page, any flush type. */
	assert_int_equal(uvm(&g, gva(30, 0xfff), ent(data, PTE_P),
			     UVMF_TLB_FLUSH | UVMF_LOCAL),
			 0);
	assert_int_equal(host_tlb_call(1).va, ARCH_FLUSH_ALL);
	assert_int_equal(tab(g.l1)[30] & PTE_ADDR, ent(data, 0));
	/* 3 is no flush at all (as on Xen). */
	assert_int_equal(uvm(&g, gva(30, 0), 0, 3), 0);
	assert_int_equal(host_tlb_calls(), 2);
}

/* UVMF_ALL and UVMF_MULTI scopes. */
static void test_scopes(void **state)
{
	guest_init(&g, &d1, 0, 1);
	guest_init(&h2, &d1, 1, 2);
	host_tlb_reset();
	assert_int_equal(uvm(&g, gva(31, 0), ent(g.page[0], PTE_P),
			     UVMF_TLB_FLUSH | UVMF_ALL),
			 0);
	assert_int_equal(host_tlb_call(0).mask, cpumask_of(1) | cpumask_of(2));
	*(uint64_t *)gmem(&g, gva(4, 64)) = 3;
	assert_int_equal(
		uvm(&g, gva(31, 0), 0, UVMF_INVLPG | (uint64_t)gva(4, 64)), 0);
	assert_int_equal(host_tlb_call(1).mask, cpumask_of(1) | cpumask_of(2));
	assert_int_equal(host_tlb_call(1).va, gva(31, 0));
	*(uint64_t *)gmem(&g, gva(4, 64)) = 2;
	assert_int_equal(
		uvm(&g, gva(31, 0), 0, UVMF_TLB_FLUSH | (uint64_t)gva(4, 64)),
		0);
	assert_int_equal(host_tlb_call(2).mask, cpumask_of(2));
	/* Bits for vCPUs that do not exist are ignored. */
	*(uint64_t *)gmem(&g, gva(4, 64)) = 0xf0;
	assert_int_equal(
		uvm(&g, gva(31, 0), 0, UVMF_TLB_FLUSH | (uint64_t)gva(4, 64)),
		0);
	assert_int_equal(host_tlb_calls(), 3);
}

/* Refusals change nothing and flush nothing. */
static void test_refusals(void **state)
{
	struct page_info *data = NULL;

	guest_init(&g, &d1, 0, 1);
	data = new_frame(&d1);
	host_tlb_reset();
	/* The bitmap cannot be read: -EFAULT before anything changes. */
	assert_int_equal(
		uvm(&g, gva(32, 0), ent(data, PTE_P), UVMF_TLB_FLUSH | 0x1000),
		-EFAULT);
	assert_int_equal(why(&g)->reason, XENO_WHY_VCPUMASK);
	assert_int_equal(tab(g.l1)[32], 0);
	/* ... but with no flush it is not read. */
	assert_int_equal(uvm(&g, gva(32, 0), ent(data, PTE_P), 0x1000), 0);
	/* No L1 there: L3 and L2 entries absent; a superpage. */
	assert_int_equal(uvm(&g, 1ULL << 30, ent(data, PTE_P), UVMF_INVLPG),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_VA_UNMAPPED);
	assert_int_equal(uvm(&g, 5ULL << 21, ent(data, PTE_P), UVMF_INVLPG),
			 -EINVAL);
	tab(g.l2)[6] = ent(g.l1, PTE_P | PTE_PS);
	assert_int_equal(uvm(&g, 6ULL << 21, ent(data, PTE_P), 0), -EINVAL);
	tab(g.l2)[6] = 0;
	/* Not a guest address. */
	assert_int_equal(uvm(&g, HYPERVISOR_VIRT_START, ent(data, PTE_P), 0),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_BAD_VA);
	assert_int_equal(uvm(&g, 1ULL << 47, ent(data, PTE_P), 0), -EINVAL);
	/* The entry rules. */
	assert_int_equal(
		uvm(&g, gva(33, 0), ent(new_frame(&d2), PTE_P), UVMF_INVLPG),
		-EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_OWNER);
	assert_int_equal(why(&g)->hypercall, __HYPERVISOR_update_va_mapping);
	assert_int_equal(why(&g)->slot, 33);
	assert_int_equal(uvm(&g, gva(33, 0), ent(g.l1, PTE_P | PTE_RW), 0),
			 -EBUSY);
	assert_int_equal(uvm(&g, gva(33, 0), ent(data, PTE_P | PTE_PAT), 0),
			 -EINVAL);
	assert_int_equal(host_tlb_calls(), 0);
	/* The kernel tables are used even in user mode. */
	assert_int_equal(
		mm_vcpu_set_root(&g.v, true, mfn_of(new_frame(&d1)), 0), 0);
	mm_vcpu_set_mode(&g.v, true);
	assert_int_equal(uvm(&g, gva(34, 0), ent(data, PTE_P), 0), 0);
	mm_vcpu_set_mode(&g.v, false);
}

static void test_otherdomain(void **state)
{
	struct page_info *theirs = NULL;

	guest_init(&g, &d1, 0, 1);
	guest_init(&hp, &dp, 0, 2);
	theirs = new_frame(&d2);
	assert_int_equal(uvm_other(&g, gva(40, 0), ent(theirs, PTE_P), 0, 2),
			 -EPERM);
	assert_int_equal(why(&g)->reason, XENO_WHY_FD_NOT_PRIVILEGED);
	assert_int_equal(why(&g)->hypercall,
			 __HYPERVISOR_update_va_mapping_otherdomain);
	assert_int_equal(uvm_other(&g, gva(40, 0), ent(theirs, PTE_P), 0, 1),
			 -ESRCH);
	assert_int_equal(uvm_other(&g, gva(40, 0), ent(theirs, PTE_P), 0, 99),
			 -ESRCH);
	assert_int_equal(
		uvm_other(&g, gva(40, 0), ent(g.page[1], PTE_P), 0, DOMID_SELF),
		0);
	assert_int_equal(uvm_other(&hp, gva(40, 0), ent(theirs, PTE_P | PTE_RW),
				   UVMF_INVLPG, 2),
			 0);
	assert_int_equal(ptype_count(theirs), 1);
	/* FD = d2: d1's frames are not d2's. */
	assert_int_equal(
		uvm_other(&hp, gva(41, 0), ent(g.page[0], PTE_P), 0, 2),
		-EBUSY);
	/* The privileged domain's own L1 with FD = self: any frame. */
	assert_int_equal(uvm(&hp, gva(41, 0), ent(g.page[0], PTE_P), 0), 0);
	assert_int_equal(uvm(&hp, gva(40, 0), 0, 0), 0);
	assert_int_equal(ptype_count(theirs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_map_unmap),
		MM_TEST(test_scopes),
		MM_TEST(test_refusals),
		MM_TEST(test_otherdomain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
