/* SPDX-License-Identifier: MIT */
/*
 * Giving memory back while still mapping it (docs/mm.md §21): a hostile
 * balloon that hands frames back with XENMEM_decrease_reservation but
 * keeps its own mappings of them, then asks for new frames in their
 * place. The frames stay allocated while mapped and keep counting
 * against the domain's limit, so the new frames are refused until the
 * mappings go. Run with maxmem above mem.
 *
 *   giveback.fill           increase_reservation up to the limit: the
 *                           result stops exactly there
 *   giveback.mapped_counts  each frame given back while mapped leaves
 *                           current_reservation unchanged and no room
 *                           for a new one; it is still readable and
 *                           writable through the old mapping but is not
 *                           ours to pin (-EINVAL, GIVEN_BACK); unmapping
 *                           frees it and makes room for exactly one
 *   giveback.queries        maximum/current_reservation, foreign ids
 *
 * The last frame given back stays mapped when the guest exits: the
 * teardown frees it and the invariant check must pass.
 */
#include <libpv.h>

#define NVICTIMS 6
#define E_INVAL	 22
#define E_PERM	 1

static uint8_t victim[NVICTIMS][4096] __attribute__((aligned(4096)));
static uint64_t list[512];

static long resv(unsigned int op, uint64_t n)
{
	struct xen_memory_reservation r = {
		.extent_start = (uint64_t)list,
		.nr_extents = n,
		.domid = DOMID_SELF,
	};

	return HYPERVISOR_memory_op(op, &r);
}

static long query(unsigned int op, domid_t id)
{
	return HYPERVISOR_memory_op(op, &id);
}

static void test_fill(void)
{
	long cur, max, got;

	pv_test_begin("giveback.fill");
	cur = query(XENMEM_current_reservation, DOMID_SELF);
	max = query(XENMEM_maximum_reservation, DOMID_SELF);
	PV_CHECK_GT(max, cur);
	PV_CHECK_LT(max - cur, 512);
	got = resv(XENMEM_increase_reservation, 512);
	PV_CHECK_EQ(got, max - cur);
	PV_CHECK_EQ(query(XENMEM_current_reservation, DOMID_SELF), max);
	PV_CHECK_EQ(resv(XENMEM_increase_reservation, 1), 0);
	pv_test_end();
}

static void test_mapped_counts(void)
{
	long max = query(XENMEM_maximum_reservation, DOMID_SELF);
	unsigned int i;
	uint64_t m;

	pv_test_begin("giveback.mapped_counts");
	for (i = 0; i < NVICTIMS; i++) {
		victim[i][0] = (uint8_t)(0xa0 + i);
		m = pv_va_to_mfn(victim[i]);
		list[0] = m;
		PV_CHECK_EQ(resv(XENMEM_decrease_reservation, 1), 1);
		/* Still allocated to us, so still counted: no room. */
		PV_CHECK_EQ(query(XENMEM_current_reservation, DOMID_SELF), max);
		PV_CHECK_EQ(resv(XENMEM_increase_reservation, 1), 0);
		PV_CHECK_EQ(resv(XENMEM_populate_physmap, 1), 0);
		/* Reachable through the old mapping, but not ours any more. */
		PV_CHECK_EQ(PV_READ_ONCE(victim[i][0]), 0xa0 + i);
		victim[i][1] = 0x55;
		PV_CHECK_EQ(pv_pin_table(1, m), -E_INVAL);
		PV_CHECK_EQ(pv_last_refusal_reason(), XENO_WHY_GIVEN_BACK);
		list[0] = m;
		PV_CHECK_EQ(resv(XENMEM_decrease_reservation, 1), 0);
	}
	/* Unmapping them frees them: room for exactly that many. */
	for (i = 0; i + 1 < NVICTIMS; i++) {
		PV_CHECK_OK(pv_unmap((uint64_t)victim[i]));
	}
	PV_CHECK_EQ(query(XENMEM_current_reservation, DOMID_SELF),
		    max - (NVICTIMS - 1));
	PV_CHECK_EQ(resv(XENMEM_increase_reservation, NVICTIMS), NVICTIMS - 1);
	PV_CHECK_EQ(query(XENMEM_current_reservation, DOMID_SELF), max);
	pv_test_end();
}

static void test_queries(void)
{
	pv_test_begin("giveback.queries");
	PV_CHECK_EQ(query(XENMEM_maximum_reservation, 0x7001), -E_PERM);
	PV_CHECK_EQ(query(XENMEM_current_reservation, 0), -E_PERM);
	PV_CHECK_EQ(query(XENMEM_current_reservation, 1),
		    query(XENMEM_current_reservation, DOMID_SELF));
	pv_test_end();
}

int main(void)
{
	test_fill();
	test_mapped_counts();
	test_queries();
	/* victim[NVICTIMS - 1] is given back and still mapped: teardown. */
	return 0;
}
