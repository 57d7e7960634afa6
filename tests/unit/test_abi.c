/* SPDX-License-Identifier: MIT */
/*
 * Checks of the guest ABI header (xen/include/public/xen.h) beyond its
 * compile-time layout asserts: derived constants and the facts guests
 * rely on (pv-abi §2, §4.5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <public/xen.h>

static void test_gdt_geometry(void **state)
{
	(void)state;
	assert_int_equal(FIRST_RESERVED_GDT_BYTE, 57344);
	assert_int_equal(FIRST_RESERVED_GDT_ENTRY, 7168);
	/* The flat selectors live in the hypervisor's reserved GDT page. */
	assert_int_equal(FLAT_RING3_CS32 >> 3, 7172);
	assert_int_equal(FLAT_RING3_DS32 >> 3, 7173);
	assert_int_equal(FLAT_RING3_CS64 >> 3, 7174);
	assert_int_equal(FLAT_RING3_CS64 & 3, 3);
}

static void test_m2p_geometry(void **state)
{
	(void)state;
	assert_int_equal((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) / 8,
			 MACH2PHYS_NR_ENTRIES);
	/* L4 slots 256..271 are the hypervisor's. */
	assert_int_equal((HYPERVISOR_VIRT_START >> 39) & 511, 256);
	assert_int_equal(((HYPERVISOR_VIRT_END - 1) >> 39) & 511, 271);
}

/* pending | mask << 8 reads 0x0001 exactly when an upcall is deliverable. */
static void test_vcpu_info_upcall_word(void **state)
{
	struct vcpu_info v;
	uint16_t w;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.evtchn_upcall_pending = 1;
	memcpy(&w, &v, sizeof(w));
	assert_int_equal(w, 0x0001);
	v.evtchn_upcall_mask = 1;
	memcpy(&w, &v, sizeof(w));
	assert_int_not_equal(w, 0x0001);
}

static void test_domids(void **state)
{
	(void)state;
	assert_int_equal(DOMID_SELF, DOMID_FIRST_RESERVED);
	assert_true(DOMID_IDLE <= DOMID_MASK);
	assert_int_equal(sizeof(domid_t), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gdt_geometry),
		cmocka_unit_test(test_m2p_geometry),
		cmocka_unit_test(test_vcpu_info_upcall_word),
		cmocka_unit_test(test_domids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
