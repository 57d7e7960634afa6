/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the unit tests of the domain frames, the entry rules
 * and the page-type machine (test_mm_domain.c, test_pte.c,
 * test_ptype.c): a fresh machine with three domains, frames to build
 * tables in, and a teardown that checks nothing leaked.
 *
 * Every test ends in mm_test_teardown(), which runs mm_audit() with the
 * tables as the test left them, then relinquishes every domain and checks
 * the audit again and that every frame went back to the allocator.
 */
#ifndef MM_TEST_H
#define MM_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <host.h>
#include <xeno/arch.h>
#include <xeno/errno.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/mm_domain.h>
#include <xeno/pte.h>
#include <xeno/ptype.h>
#include <xeno/xmalloc.h>

#define MM_TEST_FRAMES 2048ULL

/* d1 and d2 are ordinary domains; dp is privileged (like dom0). */
static struct mm_domain d1, d2, dp;
static uint64_t free_at_start;

static __unused int mm_test_setup(void **state)
{
	host_set_cpu(0);
	host_machine_init(MM_TEST_FRAMES, 2);
	mm_domain_registry_init();
	pte_configure(true, true);
	pte_set_l4_template(host_l4_template);
	ptype_set_preempt_interval(0);
	ptype_stats_reset();
	mm_domain_init(&d1, 1, 1000);
	mm_domain_init(&d2, 2, 1000);
	mm_domain_init(&dp, 0, 1000);
	dp.privileged = true;
	free_at_start = frame_free_count();
	return 0;
}

static __unused int mm_test_teardown(void **state)
{
	ptype_set_preempt_interval(0);
	assert_int_equal(mm_audit(), 0);
	mm_domain_relinquish(&d1);
	mm_domain_relinquish(&d2);
	mm_domain_relinquish(&dp);
	assert_int_equal(mm_audit(), 0);
	assert_int_equal(frame_free_count(), free_at_start);
	mm_domain_fini(&d1);
	mm_domain_fini(&d2);
	mm_domain_fini(&dp);
	host_machine_fini();
	return 0;
}

/* A new zeroed frame of d. */
static __unused struct page_info *new_frame(struct mm_domain *d)
{
	struct page_info *pg = NULL;

	assert_int_equal(mm_domain_alloc(d, &pg), 0);
	assert_non_null(pg);
	return pg;
}

static __unused mfn_t mfn_of(const struct page_info *pg)
{
	return page_to_mfn(pg);
}

/* The frame's contents as a table. */
static __unused uint64_t *tab(const struct page_info *pg)
{
	return arch_mfn_to_virt(page_to_mfn(pg));
}

/* An entry mapping pg with the flags. */
static __unused uint64_t ent(const struct page_info *pg, uint64_t flags)
{
	return pte_make(page_to_mfn(pg), flags);
}

/* A frame outside the domains: free, reserved, xmalloc's. */
static __unused struct page_info *xmalloc_frame(void **keep)
{
	*keep = xmalloc(PAGE_SIZE);
	assert_non_null(*keep);
	return mfn_to_page(arch_virt_to_mfn(*keep));
}

#define MM_TEST(f) \
	cmocka_unit_test_setup_teardown(f, mm_test_setup, mm_test_teardown)

#endif
