/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of guest memory access (mm/guest_access.c): copies within
 * and across pages of a test guest, the address ranges a hypercall may
 * name, the access bits at every level (P, US, RW, the kernel-only
 * marker in user mode), superpage entries, linear paths, the references
 * a copy must not leave behind, and guest_l1_of for update_va_mapping.
 * The direct path, with the host arch's model of the CPU's walk: when it
 * is taken, and that it answers and writes exactly as the walk does.
 * Each test ends with the audit (mm_test.h).
 */
#include "mm_test.h"

static struct guest g;

/* Within one page and across all the guest's pages, both ways. */
static void test_copy_roundtrip(void **state)
{
	static char in[3 * PAGE_SIZE], out[3 * PAGE_SIZE];
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	for (i = 0; i < sizeof(in); i++) {
		in[i] = (char)(i * 7);
	}
	assert_int_equal(guest_copy_to(gva(1, 100), in, 16), 0);
	assert_memory_equal(gmem(&g, gva(1, 100)), in, 16);
	assert_int_equal(guest_copy_from(out, gva(1, 100), 16), 0);
	assert_memory_equal(out, in, 16);
	/* Three pages from the middle of page 2: four frames touched. */
	assert_int_equal(guest_copy_to(gva(2, 2000), in, sizeof(in)), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(guest_copy_from(out, gva(2, 2000), sizeof(out)), 0);
	assert_memory_equal(out, in, sizeof(in));
	assert_memory_equal(gmem(&g, gva(3, 0)), in + PAGE_SIZE - 2000, 16);
	/* No reference left behind. */
	for (i = 0; i < GUEST_PAGES; i++) {
		assert_int_equal(page_count(g.page[i]), 2);
		assert_int_equal(ptype_count(g.page[i]), 1);
	}
	assert_int_equal(page_count(g.l1), 2);
	assert_int_equal(ptype_count(g.l1), 1);
	assert_int_equal(guest_copy_from(out, gva(0, 0), 0), 0);
}

/* The end of the mapping, and ranges that run off it. */
static void test_copy_unmapped(void **state)
{
	char buf[32] = { 0 };

	guest_init(&g, &d1, 0, 1);
	assert_int_equal(guest_copy_from(buf, gva(GUEST_PAGES, 0), 1), -EFAULT);
	assert_int_equal(
		guest_copy_to(gva(GUEST_PAGES - 1, PAGE_SIZE - 8), buf, 16),
		-EFAULT);
	/* Copies are not atomic: the first 8 bytes were written. */
	assert_int_equal(guest_copy_from(buf, 0x1000, 1), -EFAULT);
	assert_int_equal(guest_copy_from(buf, 1ULL << 40, 1), -EFAULT);
}

/* Only the guest's halves of the address space. */
static void test_address_ranges(void **state)
{
	assert_true(guest_range_ok(0, 1));
	assert_true(guest_range_ok((1ULL << 47) - 8, 8));
	assert_false(guest_range_ok((1ULL << 47) - 8, 9));
	assert_false(guest_range_ok(1ULL << 47, 1));
	assert_false(guest_range_ok(HYPERVISOR_VIRT_START, 1));
	assert_false(guest_range_ok(HYPERVISOR_VIRT_END - 1, 1));
	assert_true(guest_range_ok(HYPERVISOR_VIRT_END, 8));
	assert_true(guest_range_ok(~0ULL - 7, 8));
	assert_false(guest_range_ok(~0ULL - 7, 9));
	assert_true(guest_range_ok(HYPERVISOR_VIRT_START, 0));
}

/* Without a current vCPU or a root nothing is accessible. */
static void test_no_vcpu(void **state)
{
	char c;

	host_set_cpu(3);
	assert_null(mm_vcpu_current());
	assert_int_equal(guest_copy_from(&c, GUEST_VA, 1), -EFAULT);
	host_set_cpu(0);
}

/*
 * The access bits, one level at a time: entries changed behind the
 * machine's back (the stored adjustments always set US), then restored.
 */
static void test_access_bits(void **state)
{
	uint64_t *l2 = NULL, saved;
	char c = 'x';

	guest_init(&g, &d1, 0, 1);
	l2 = tab(g.l2);
	saved = l2[GUEST_L2];
	l2[GUEST_L2] = saved & ~PTE_US;
	assert_int_equal(guest_copy_from(&c, GUEST_VA, 1), -EFAULT);
	l2[GUEST_L2] = saved & ~PTE_RW;
	assert_int_equal(guest_copy_from(&c, GUEST_VA, 1), 0);
	assert_int_equal(guest_copy_to(GUEST_VA, &c, 1), -EFAULT);
	l2[GUEST_L2] = saved & ~PTE_P;
	assert_int_equal(guest_copy_from(&c, GUEST_VA, 1), -EFAULT);
	l2[GUEST_L2] = saved;
	assert_int_equal(guest_copy_to(GUEST_VA, &c, 1), 0);
	/* A read-only leaf. */
	tab(g.l1)[1] &= ~PTE_RW;
	assert_int_equal(guest_copy_to(gva(1, 0), &c, 1), -EFAULT);
	assert_int_equal(guest_copy_from(&c, gva(1, 0), 1), 0);
	tab(g.l1)[1] |= PTE_RW;
}

/* Kernel-only pages: readable in kernel mode, not in user mode. */
static void test_kernel_only(void **state)
{
	struct mmu_update r;
	uint32_t done;
	char c = 0;

	guest_init(&g, &d1, 0, 1);
	/* Map page 0 again at slot 9, without US: stored kernel-only. */
	r = mu(ma(g.l1, 9), MMU_NORMAL_PT_UPDATE,
	       ent(g.page[0], PTE_P | PTE_RW));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_true(tab(g.l1)[9] & PTE_GUEST_KERNEL);
	assert_int_equal(guest_copy_from(&c, gva(9, 0), 1), 0);
	/* User mode needs a user root; use the same L4. */
	assert_int_equal(mm_vcpu_set_root(&g.v, true, mfn_of(g.l4), 0), 0);
	mm_vcpu_set_mode(&g.v, true);
	assert_int_equal(guest_copy_from(&c, gva(9, 0), 1), -EFAULT);
	assert_int_equal(guest_copy_from(&c, gva(0, 0), 1), 0);
	mm_vcpu_set_mode(&g.v, false);
	assert_int_equal(guest_copy_from(&c, gva(9, 0), 1), 0);
}

/* A 2 MiB and a 1 GiB entry (only the hypervisor makes them). */
static void test_superpages(void **state)
{
	struct page_info *data;
	uint64_t base, va, saved3;
	char c = 'q', d = 0;

	guest_init(&g, &d1, 0, 1);
	data = new_frame(&d1);
	base = mfn_x(mfn_of(data)) & ~511ULL;
	/* L2 slot 5: 2 MiB at va 10 MiB, reaching data at its offset. */
	tab(g.l2)[5] = (base << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US | PTE_PS;
	va = (5ULL << 21) + ((mfn_x(mfn_of(data)) - base) << PAGE_SHIFT);
	assert_int_equal(guest_copy_to(va + 3, &c, 1), 0);
	assert_int_equal(((char *)tab(data))[3], 'q');
	tab(g.l2)[5] = 0;
	/* L3 slot 1: 1 GiB at va 1 GiB. */
	saved3 = tab(g.l3)[1];
	base = mfn_x(mfn_of(data)) & ~((1ULL << 18) - 1);
	tab(g.l3)[1] = (base << PAGE_SHIFT) | PTE_P | PTE_US | PTE_PS;
	va = (1ULL << 30) + ((mfn_x(mfn_of(data)) - base) << PAGE_SHIFT);
	assert_int_equal(guest_copy_from(&d, va + 3, 1), 0);
	assert_int_equal(d, 'q');
	assert_int_equal(guest_copy_to(va + 3, &c, 1), -EFAULT); /* RO */
	/* Frames in it that are no domain's (frame 0 is reserved). */
	assert_int_equal(base, 0);
	assert_int_equal(guest_copy_from(&d, 1ULL << 30, 1), -EFAULT);
	tab(g.l3)[1] = saved3;
	/* No 512 GiB pages. */
	tab(g.l4)[1] = tab(g.l4)[0] | PTE_PS;
	assert_int_equal(guest_copy_from(&d, 1ULL << 39, 1), -EFAULT);
	tab(g.l4)[1] = 0;
}

/* Through a read-only self-map the tables read as data, never written. */
static void test_linear_path(void **state)
{
	struct mmu_update r;
	uint64_t va, got[4];
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	r = mu(ma(g.l4, 1), MMU_NORMAL_PT_UPDATE, ent(g.l4, PTE_P | PTE_US));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	/* L4[1] -> L4 (as L3) [0] -> L3 (as L2) [0] -> L2 (as L1) [2] -> L1. */
	va = (1ULL << 39) + ((uint64_t)GUEST_L2 << PAGE_SHIFT);
	assert_int_equal(guest_copy_from(got, va, sizeof(got)), 0);
	assert_memory_equal(got, tab(g.l1), sizeof(got));
	assert_int_equal(guest_copy_to(va, got, 8), -EFAULT);
	assert_int_equal(ptype_count(g.l1), 1);
}

/* A table whose references went cannot be walked through. */
static void test_walk_needs_validated_tables(void **state)
{
	char c = 0;

	guest_init(&g, &d1, 0, 1);
	/* Point L3[1] at an idle frame, behind the machine's back. */
	tab(g.l3)[1] = ent(new_frame(&d1), PTE_P | PTE_RW | PTE_US);
	assert_int_equal(guest_copy_from(&c, 1ULL << 30, 1), -EFAULT);
	/* ... or at another domain's validated L2. */
	{
		struct page_info *f = new_frame(&d2);

		assert_int_equal(ptype_pin(&d2, mfn_of(f), PGT_l2, 0), 0);
		tab(g.l3)[1] = ent(f, PTE_P | PTE_RW | PTE_US);
		assert_int_equal(guest_copy_from(&c, 1ULL << 30, 1), -EFAULT);
	}
	tab(g.l3)[1] = 0;
}

/* A write needs the frame to take a writable type now. */
static void test_write_needs_writable_type(void **state)
{
	char c = 0;

	guest_init(&g, &d1, 0, 1);
	/* Make page 4 a pinned L1 while its RW mapping stays (behind the
	 * machine's back: drop the writable reference first). */
	ptype_put(g.page[4]);
	page_put(g.page[4]);
	assert_int_equal(ptype_pin(&d1, mfn_of(g.page[4]), PGT_l1, 0), 0);
	assert_int_equal(guest_copy_to(gva(4, 0), &c, 1), -EFAULT);
	assert_int_equal(guest_copy_from(&c, gva(4, 0), 1), 0);
	assert_int_equal(ptype_unpin(&d1, mfn_of(g.page[4])), 0);
	assert_true(page_get(g.page[4], &d1));
	assert_int_equal(ptype_get(g.page[4], PGT_writable, &d1, 0), 0);
}

/* ---- the direct path (a model of the CPU in the host arch) ---------- */

static struct guest_access_stats stats_now(void)
{
	struct guest_access_stats st;

	guest_access_stats_read(&st);
	return st;
}

/* Which path a copy takes: direct only in kernel mode on the live root. */
static void test_direct_chosen(void **state)
{
	struct guest_access_stats a, b;
	char c = 'd';

	host_set_direct_access(true);
	guest_init(&g, &d1, 0, 1);
	a = stats_now();
	assert_int_equal(guest_copy_to(gva(0, 5), &c, 1), 0);
	assert_int_equal(guest_copy_from(&c, gva(0, 5), 1), 0);
	b = stats_now();
	assert_int_equal(b.direct - a.direct, 2);
	assert_int_equal(b.walked - a.walked, 0);
	/* User mode walks (kernel-only leaves, see test_kernel_only). */
	assert_int_equal(mm_vcpu_set_root(&g.v, true, mfn_of(g.l4), 0), 0);
	mm_vcpu_set_mode(&g.v, true);
	assert_int_equal(guest_copy_from(&c, gva(0, 5), 1), 0);
	mm_vcpu_set_mode(&g.v, false);
	a = stats_now();
	assert_int_equal(a.walked - b.walked, 1);
	assert_int_equal(a.direct - b.direct, 0);
	/* This CPU on other tables than the vCPU's kernel root: walked. */
	arch_load_root(INVALID_MFN, 0, false);
	assert_int_equal(guest_copy_from(&c, gva(0, 5), 1), 0);
	b = stats_now();
	assert_int_equal(b.walked - a.walked, 1);
	arch_load_root(mfn_of(g.l4), 0, false);
	assert_int_equal(guest_copy_from(&c, gva(0, 5), 1), 0);
	a = stats_now();
	assert_int_equal(a.direct - b.direct, 1);
	/* Faults are counted whichever way they happen. */
	assert_int_equal(guest_copy_from(&c, gva(GUEST_PAGES, 0), 1), -EFAULT);
	assert_int_equal(guest_copy_from(&c, HYPERVISOR_VIRT_START, 1),
			 -EFAULT);
	b = stats_now();
	assert_int_equal(b.faults - a.faults, 2);
	assert_int_equal(b.direct - a.direct, 1);
	/* Off: never live. */
	host_set_direct_access(false);
	assert_int_equal(guest_copy_from(&c, gva(0, 5), 1), 0);
	a = stats_now();
	assert_int_equal(a.walked - b.walked, 1);
	assert_int_equal(a.direct - b.direct, 0);
}

/*
 * One script of copies, with every result and the guest's memory after
 * each step recorded; run once walked and once direct, on fresh guests.
 */
#define SCRIPT_STEPS 14

struct script_out {
	int rc[SCRIPT_STEPS];
	uint32_t sum[SCRIPT_STEPS]; /* of all the guest's pages after it */
};

static uint32_t guest_sum(const struct guest *gu)
{
	uint32_t sum = 0;

	for (unsigned int i = 0; i < GUEST_PAGES; i++) {
		const uint8_t *p = (const uint8_t *)tab(gu->page[i]);

		for (unsigned int j = 0; j < PAGE_SIZE; j++) {
			sum = sum * 31 + p[j];
		}
	}
	return sum;
}

static struct guest g2;

static void run_script(bool direct, struct guest *gu, unsigned int id,
		       struct script_out *out)
{
	static char in[3 * PAGE_SIZE], buf[3 * PAGE_SIZE];
	uint64_t *l2, saved;
	unsigned int n = 0, i;

	host_set_direct_access(direct);
	guest_init(gu, &d1, id, 1);
	l2 = tab(gu->l2);
	saved = l2[GUEST_L2];
	for (i = 0; i < sizeof(in); i++) {
		in[i] = (char)(i * 13 + 1);
	}
#define STEP(expr)                           \
	do {                                 \
		out->rc[n] = (expr);         \
		out->sum[n] = guest_sum(gu); \
		n++;                         \
	} while (0)
	/* Across pages, both ways. */
	STEP(guest_copy_to(gva(2, 2001), in, sizeof(in)));
	STEP(guest_copy_from(buf, gva(2, 2001), sizeof(buf)) ||
	     memcmp(buf, in, sizeof(buf)));
	/* Running off the mapping: quadwords, then an odd length. */
	STEP(guest_copy_to(gva(GUEST_PAGES - 1, PAGE_SIZE - 8), in, 16));
	STEP(guest_copy_to(gva(GUEST_PAGES - 1, PAGE_SIZE - 1001), in, 1024));
	STEP(guest_copy_to(gva(GUEST_PAGES - 1, PAGE_SIZE - 11), in + 5, 13));
	/* A read-only leaf, then a read-only upper level. */
	tab(gu->l1)[1] &= ~PTE_RW;
	STEP(guest_copy_to(gva(0, PAGE_SIZE - 8), in, 16));
	STEP(guest_copy_from(buf, gva(1, 0), 64));
	tab(gu->l1)[1] |= PTE_RW;
	l2[GUEST_L2] = saved & ~PTE_RW;
	STEP(guest_copy_to(gva(3, 0), in, 8));
	/* Not present above the leaf. */
	l2[GUEST_L2] = saved & ~PTE_P;
	STEP(guest_copy_from(buf, gva(3, 0), 8));
	l2[GUEST_L2] = saved;
	/* Outside the guest's part, wrapping, or crossing out of it. */
	STEP(guest_copy_to(HYPERVISOR_VIRT_START, in, 8));
	STEP(guest_copy_to(HYPERVISOR_VIRT_END - 8, in, 16));
	STEP(guest_copy_to((1ULL << 47) - 8, in, 16));
	STEP(guest_copy_to(~0ULL - 7, in, 16));
	/* A page mapped read-only twice over: still refused. */
	STEP(guest_copy_from(buf, gva(0, 0), PAGE_SIZE) ||
	     memcmp(buf, tab(gu->page[0]), PAGE_SIZE));
#undef STEP
	assert_int_equal(n, SCRIPT_STEPS);
	host_set_direct_access(false);
}

/* Both paths give the same results and leave the same bytes. */
static void test_direct_same_answers(void **state)
{
	struct script_out walked, direct;
	struct guest_access_stats a, b;
	unsigned int i;

	a = stats_now();
	run_script(false, &g, 0, &walked);
	b = stats_now();
	assert_int_equal(b.direct - a.direct, 0);
	run_script(true, &g2, 1, &direct);
	a = stats_now();
	assert_true(a.direct - b.direct >= SCRIPT_STEPS - 4);
	for (i = 0; i < SCRIPT_STEPS; i++) {
		assert_int_equal(direct.rc[i], walked.rc[i]);
		assert_int_equal(direct.sum[i], walked.sum[i]);
	}
	assert_int_equal(walked.rc[0], 0);
	assert_int_equal(walked.rc[1], 0);
	for (i = 2; i < 13; i++) {
		assert_int_equal(walked.rc[i] == 0, i == 6);
	}
	assert_int_equal(walked.rc[13], 0);
}

/* update_va_mapping's lookup. */
static void test_l1_of(void **state)
{
	struct page_info *l1;
	unsigned int slot;

	guest_init(&g, &d1, 0, 1);
	assert_int_equal(guest_l1_of(&g.v, gva(3, 5), &l1, &slot), 0);
	assert_ptr_equal(l1, g.l1);
	assert_int_equal(slot, 3);
	assert_int_equal(ptype_count(g.l1), 2);
	page_put_and_type(l1);
	mm_why_begin();
	assert_int_equal(guest_l1_of(&g.v, 1ULL << 30, &l1, &slot), -EINVAL);
	assert_int_equal(guest_l1_of(&g.v, HYPERVISOR_VIRT_START, &l1, &slot),
			 -EINVAL);
	tab(g.l2)[7] = ent(g.l1, PTE_P | PTE_PS);
	assert_int_equal(guest_l1_of(&g.v, 7ULL << 21, &l1, &slot), -EINVAL);
	tab(g.l2)[7] = ent(g.page[0], PTE_P); /* not an L1 */
	assert_int_equal(guest_l1_of(&g.v, 7ULL << 21, &l1, &slot), -EINVAL);
	tab(g.l2)[7] = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_copy_roundtrip),
		MM_TEST(test_copy_unmapped),
		MM_TEST(test_address_ranges),
		MM_TEST(test_no_vcpu),
		MM_TEST(test_access_bits),
		MM_TEST(test_kernel_only),
		MM_TEST(test_superpages),
		MM_TEST(test_linear_path),
		MM_TEST(test_walk_needs_validated_tables),
		MM_TEST(test_write_needs_writable_type),
		MM_TEST(test_l1_of),
		MM_TEST(test_direct_chosen),
		MM_TEST(test_direct_same_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
