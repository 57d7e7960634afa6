/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of mmu_update (mm/mmu_update.c, pv-abi §6.1): every command
 * and every error code, the foreign domains FD and PFD, the fast path
 * and A/D preservation, the hypervisor's L4 slots, plain writes, the M2P,
 * a batch failing midway, unreadable requests and pdone, continuations
 * (arch preemption and preempted nested validation) ending in the same
 * state as an uninterrupted run, the one TLB flush per batch, and the
 * refusal records. Requests live in the test guest's memory; each test
 * ends with the audit (mm_test.h).
 */
#include "mm_test.h"

static struct guest g, h2, hp;

/* ---- L1 entries ------------------------------------------------------------ */

static void test_l1_map_unmap(void **state)
{
	struct page_info *data;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	data = new_frame(&d1);
	r = mu(ma(g.l1, 20), MMU_NORMAL_PT_UPDATE,
	       ent(data, PTE_P | PTE_RW | PTE_US));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(done, 1);
	assert_int_equal(tab(g.l1)[20],
			 ent(data, PTE_P | PTE_RW | PTE_US | PTE_G));
	assert_int_equal(page_count(data), 2);
	assert_int_equal(ptype_count(data), 1);
	/* The guest sees it. */
	assert_int_equal(guest_copy_to(gva(20, 0), "hi", 2), 0);
	assert_memory_equal(tab(data), "hi", 2);
	/* Read-only now: the writable reference goes. */
	r.val = ent(data, PTE_P);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(ptype_count(data), 0);
	assert_int_equal(page_count(data), 2);
	/* Unmapped. */
	r.val = 0;
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(page_count(data), 1);
	/* NO_TRANSLATE is the same as NORMAL for PV. */
	r = mu(ma(g.l1, 20), MMU_PT_UPDATE_NO_TRANSLATE, ent(data, PTE_P));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(page_count(data), 2);
}

/* The entry rules apply, with their codes and reasons. */
static void test_l1_refusals(void **state)
{
	struct page_info *other, *table;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	other = new_frame(&d2);
	table = new_frame(&d1);
	assert_int_equal(ptype_pin(&d1, mfn_of(table), PGT_l1, 0), 0);
	r = mu(ma(g.l1, 20), 0, ent(other, PTE_P));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EBUSY);
	assert_int_equal(done, 0);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_OWNER);
	assert_int_equal(why(&g)->mfn, mfn_x(mfn_of(other)));
	assert_int_equal(why(&g)->owner, 2);
	assert_int_equal(why(&g)->table, mfn_x(mfn_of(g.l1)));
	assert_int_equal(why(&g)->slot, 20);
	assert_int_equal(why(&g)->hypercall, __HYPERVISOR_mmu_update);
	assert_int_equal(why(&g)->error, -EBUSY);
	r.val = ent(table, PTE_P | PTE_RW);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_TYPE_CONFLICT);
	assert_int_equal(why(&g)->type, XENO_FRAME_L1);
	assert_true(why(&g)->flags & XENO_FRAME_PINNED);
	r.val = ent(table, PTE_P | PTE_PCD);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_BAD_FLAGS);
	assert_int_equal(why(&g)->value, ent(table, PTE_P | PTE_PCD));
	r.val = pte_make(mfn(3), PTE_P);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EPERM);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_RAM);
	r.val = pte_make(mfn(PTE_MFN_ALL_ONES), PTE_P);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_ALL_ONES);
	assert_int_equal(tab(g.l1)[20], 0);
	assert_int_equal(why(&g)->seq, 5);
}

/* Same frame, other harmless bits: no references move; A/D preserved. */
static void test_fast_path_and_ad(void **state)
{
	struct page_info *data;
	struct mmu_update r;
	struct ptype_stats st;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	data = new_frame(&d1);
	r = mu(ma(g.l1, 30), 0, ent(data, PTE_P | PTE_RW));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	/* The hardware sets A and D. */
	tab(g.l1)[30] |= PTE_A | PTE_D;
	r.val = ent(data, PTE_P | PTE_RW | PTE_NX | (1ULL << 9));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_false(tab(g.l1)[30] & (PTE_A | PTE_D));
	assert_int_equal(page_count(data), 2);
	assert_int_equal(ptype_count(data), 1);
	tab(g.l1)[30] |= PTE_A | PTE_D;
	r = mu(ma(g.l1, 30), MMU_PT_UPDATE_PRESERVE_AD,
	       ent(data, PTE_P | PTE_RW));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(tab(g.l1)[30] & (PTE_A | PTE_D), PTE_A | PTE_D);
	/* A fast update of a table entry validates nothing. */
	ptype_stats_reset();
	r = mu(ma(g.l2, GUEST_L2), 0, ent(g.l1, PTE_P | PTE_RW | PTE_A));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	ptype_stats_read(&st);
	assert_int_equal(st.validations, 0);
	/* Bad flags are refused on the fast path too. */
	r.val = ent(g.l1, PTE_P | PTE_RW | PTE_G);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_BAD_FLAGS);
}

/* ---- upper levels ---------------------------------------------------------- */

/* Hooking and unhooking an L1 under an L2: validation, devalidation. */
static void test_l2_hook(void **state)
{
	struct page_info *l1 = NULL, *data = NULL;
	struct mmu_update r;
	uint32_t done;
	char c = 'z';

	guest_init(&g, &d1, 0, 1);
	l1 = new_frame(&d1);
	data = new_frame(&d1);
	tab(l1)[0] = ent(data, PTE_P | PTE_RW | PTE_US);
	r = mu(ma(g.l2, 9), 0, ent(l1, PTE_P | PTE_RW | PTE_US));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_true(ptype_validated(l1));
	assert_int_equal(ptype_count(data), 1);
	assert_int_equal(guest_copy_to(9ULL << 21, &c, 1), 0);
	assert_int_equal(*(char *)tab(data), 'z');
	r.val = 0;
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(ptype_count(l1), 0);
	assert_int_equal(ptype_count(data), 0);
	/* An L1 that fails: the error of its bad entry. */
	tab(l1)[7] = ent(new_frame(&d2), PTE_P);
	r.val = ent(l1, PTE_P | PTE_RW);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_OWNER);
	assert_int_equal(why(&g)->table, mfn_x(mfn_of(l1)));
	assert_int_equal(why(&g)->slot, 7);
	assert_int_equal(tab(g.l2)[9], 0);
}

/* Slots 256-271 of an L4 are refused; the guest's are fine. */
static void test_l4_slots(void **state)
{
	struct page_info *l3 = NULL;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	l3 = new_frame(&d1);
	r = mu(ma(g.l4, 256), 0, 0);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_HYPERVISOR_SLOT);
	r = mu(ma(g.l4, 271), 0, ent(l3, PTE_P));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(tab(g.l4)[271], host_l4_template[15]);
	r = mu(ma(g.l4, 272), 0, ent(l3, PTE_P));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(tab(g.l4)[272], ent(l3, PTE_P | PTE_US | PTE_A));
	assert_int_equal(ptype_type(l3), PGT_l3);
}

/* Linear entries through single updates, and their counts. */
static void test_linear_update(void **state)
{
	struct mmu_update r[2];
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	r[0] = mu(ma(g.l4, 5), 0, ent(g.l4, PTE_P | PTE_RW));
	assert_int_equal(mmu(&g, r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LINEAR_WRITABLE);
	r[0].val = ent(g.l4, PTE_P);
	assert_int_equal(mmu(&g, r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(page_count(g.l4), 2); /* self-maps hold nothing */
	/* L3 slot 3 -> a pinned L3 (linear); then that cannot chain. */
	{
		struct page_info *t = new_frame(&d1);

		assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l3, 0), 0);
		r[0] = mu(ma(g.l3, 3), 0, ent(t, PTE_P));
		assert_int_equal(mmu(&g, r, 1, &done, DOMID_SELF), 0);
		assert_int_equal(ptype_count(t), 2);
		r[1] = mu(ma(t, 0), 0, ent(g.l3, PTE_P));
		assert_int_equal(mmu(&g, &r[1], 1, &done, DOMID_SELF), -EINVAL);
		assert_int_equal(why(&g)->reason, XENO_WHY_LINEAR_CHAIN);
		r[0].val = 0;
		assert_int_equal(mmu(&g, r, 1, &done, DOMID_SELF), 0);
		assert_int_equal(ptype_count(t), 1);
	}
}

/* ---- plain writes, and frames that are neither ------------------------------ */

static void test_plain_write(void **state)
{
	struct page_info *p = NULL, *pinned = NULL;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	p = new_frame(&d1);
	r = mu(ma(p, 7), 0, 0x1234567890abcdefULL);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(tab(p)[7], 0x1234567890abcdefULL);
	assert_int_equal(ptype_type(p), PGT_writable);
	assert_int_equal(ptype_count(p), 0);
	/* A half-validated table is neither updatable nor writable. */
	pinned = new_frame(&d1);
	{
		unsigned int i;

		for (i = 0; i < 30; i++) {
			tab(pinned)[i] = ent(p, PTE_P);
		}
	}
	ptype_set_preempt_interval(5);
	assert_int_equal(
		ptype_pin(&d1, mfn_of(pinned), PGT_l1, PTYPE_PREEMPTIBLE),
		-EAGAIN);
	ptype_set_preempt_interval(0);
	r = mu(ma(pinned, 100), 0, 0);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_NOT_UPDATABLE);
	assert_true(why(&g)->flags & XENO_FRAME_PARTIAL);
}

/* ptr must lie in a frame of the PFD that it still holds. */
static void test_ptr_checks(void **state)
{
	struct page_info *p = NULL;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	r = mu(ma(new_frame(&d2), 0), 0, 0);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_PTR_NOT_OWNER);
	r = mu((MM_TEST_FRAMES + 5) << PAGE_SHIFT, 0, 0);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	r = mu(0x2000, 0, 0); /* reserved */
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	p = new_frame(&d1);
	assert_true(page_get(p, &d1));
	assert_int_equal(mm_domain_release(&d1, p), 0);
	r = mu(ma(p, 0), 0, 0);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_GIVEN_BACK);
	page_put(p);
	for (unsigned int cmd = 4; cmd < 8; cmd++) {
		r = mu(ma(g.l1, 0), cmd, 0);
		assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -ENOSYS);
		assert_int_equal(why(&g)->reason, XENO_WHY_BAD_COMMAND);
		assert_int_equal(why(&g)->cmd, cmd);
	}
}

/* ---- the M2P ------------------------------------------------------------------- */

static void test_machphys(void **state)
{
	struct page_info *p = NULL;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	guest_init(&hp, &dp, 0, 2);
	p = new_frame(&d1);
	assert_int_equal(m2p_get(mfn_of(p)), M2P_INVALID);
	r = mu(ma(p, 3), MMU_MACHPHYS_UPDATE, 0x42);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(m2p_get(mfn_of(p)), 0x42);
	/* Not the FD's frame. */
	r = mu(ma(new_frame(&d2), 0), MMU_MACHPHYS_UPDATE, 1);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_M2P_FRAME);
	/* The privileged domain for d1 with FD = d1: allowed. */
	r = mu(ma(p, 0), MMU_MACHPHYS_UPDATE, 0x43);
	assert_int_equal(mmu(&hp, &r, 1, &done, 1), 0);
	assert_int_equal(m2p_get(mfn_of(p)), 0x43);
	/* ... but not as the page-table owner. */
	assert_int_equal(mmu(&hp, &r, 1, &done, (2U << 16) | 1), -EPERM);
	assert_int_equal(why(&hp)->reason, XENO_WHY_PFD_FOREIGN);
	/* Freed frames forget their PFN. */
	assert_int_equal(mm_domain_release(&d1, p), 0);
	assert_int_equal(m2p_get(mfn_of(p)), M2P_INVALID);
}

/* ---- foreign domains ---------------------------------------------------------- */

static void test_foreign_domains(void **state)
{
	struct page_info *theirs = NULL;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	guest_init(&hp, &dp, 0, 2);
	theirs = new_frame(&d2);
	r = mu(ma(g.l1, 40), 0, ent(theirs, PTE_P));
	/* Own numeric id, unknown, ordinary caller naming another. */
	assert_int_equal(mmu(&g, &r, 1, &done, 1), -ESRCH);
	assert_int_equal(why(&g)->reason, XENO_WHY_FD_SELF_ID);
	assert_int_equal(done, 0xdead); /* pdone not even written */
	assert_int_equal(mmu(&g, &r, 1, &done, 77), -ESRCH);
	assert_int_equal(why(&g)->reason, XENO_WHY_FD_UNKNOWN);
	assert_int_equal(mmu(&g, &r, 1, &done, 2), -EPERM);
	assert_int_equal(why(&g)->reason, XENO_WHY_FD_NOT_PRIVILEGED);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_IO), -EPERM);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_XEN), -EPERM);
	assert_int_equal(mmu(&g, &r, 1, &done, 0x7ff3), -ESRCH);
	/* The privileged domain maps d2's frame with FD = d2 ... */
	r = mu(ma(hp.l1, 40), 0, ent(theirs, PTE_P | PTE_RW));
	assert_int_equal(mmu(&hp, &r, 1, &done, 2), 0);
	assert_int_equal(ptype_count(theirs), 1);
	/* ... and, DOMID_IO owning nothing, no RAM through it. */
	r = mu(ma(hp.l1, 41), 0, ent(theirs, PTE_P));
	assert_int_equal(mmu(&hp, &r, 1, &done, DOMID_IO), -EBUSY);
	/* With PFD = d1 (id 1 + 1) it writes d1's tables, FD = d1 too. */
	r = mu(ma(g.l1, 41), 0, ent(g.page[0], PTE_P));
	assert_int_equal(mmu(&hp, &r, 1, &done, (2U << 16) | 1), 0);
	assert_int_equal(page_count(g.page[0]), 3);
	/* FD = self (dp) in d1's L1: dp's frames. */
	r = mu(ma(g.l1, 42), 0, ent(hp.page[0], PTE_P));
	assert_int_equal(mmu(&hp, &r, 1, &done, (2U << 16) | DOMID_SELF), 0);
	/* An upper-level entry needs FD = PFD. */
	r = mu(ma(g.l2, 11), 0, 0);
	assert_int_equal(mmu(&hp, &r, 1, &done, (2U << 16) | DOMID_SELF),
			 -EINVAL);
	assert_int_equal(why(&hp)->reason, XENO_WHY_FD_NOT_PFD);
	/* PFD: unknown, the caller itself, an ordinary caller. */
	assert_int_equal(mmu(&hp, &r, 1, &done, (78U << 16) | DOMID_SELF),
			 -ESRCH);
	r = mu(ma(hp.l1, 43), 0, 0);
	assert_int_equal(mmu(&hp, &r, 1, &done, (1U << 16) | DOMID_SELF), 0);
	r = mu(ma(g.l1, 43), 0, 0);
	assert_int_equal(mmu(&g, &r, 1, &done, (3U << 16) | DOMID_SELF),
			 -EPERM);
}

/* ---- batches ------------------------------------------------------------------- */

/* Stops at the first bad request: pdone, nothing after it applied. */
static void test_batch_fails_midway(void **state)
{
	struct mmu_update r[5];
	struct page_info *data = NULL;
	uint32_t done;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	data = new_frame(&d1);
	for (i = 0; i < 5; i++) {
		r[i] = mu(ma(g.l1, 50 + i), 0, ent(data, PTE_P));
	}
	r[2].val = ent(new_frame(&d2), PTE_P);
	assert_int_equal(mmu(&g, r, 5, &done, DOMID_SELF), -EBUSY);
	assert_int_equal(done, 2);
	assert_int_equal(why(&g)->index, 2);
	assert_int_equal(tab(g.l1)[52], 0);
	assert_int_equal(tab(g.l1)[53], 0);
	assert_int_equal(tab(g.l1)[54], 0);
	assert_int_equal(page_count(data), 3);
}

/*
 * A batch longer than one read from the guest (mmu_update.c reads up to
 * 128 requests, never across a page): 300 requests from the middle of
 * one guest page into the next, refused at request 250, in the third
 * read. Everything before the refusal is done, nothing after it.
 */
#define LONG_N	     300
#define LONG_REFUSED 250
#define LONG_VA	     gva(1, 2048)

static void long_batch_store(struct mmu_update *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t va = LONG_VA + i * sizeof(*r);

		memcpy(gmem(&g, va), &r[i], sizeof(*r));
	}
}

static void test_batch_across_reads(void **state)
{
	static struct mmu_update r[LONG_N];
	struct page_info *data;
	struct hcall_args h;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	data = new_frame(&d1);
	for (i = 0; i < LONG_N; i++) {
		r[i] = mu(ma(g.l1, 100 + i), 0, ent(data, PTE_P | PTE_RW));
	}
	r[LONG_REFUSED].val = ent(new_frame(&d2), PTE_P);
	long_batch_store(r, LONG_N);
	h = (struct hcall_args){ { LONG_VA, LONG_N, PDONE_VA, DOMID_SELF, 0 } };
	assert_int_equal(do_mmu_update(&h), -EBUSY);
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), LONG_REFUSED);
	assert_int_equal(why(&g)->index, LONG_REFUSED);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_OWNER);
	for (i = 0; i < LONG_N; i++) {
		assert_int_equal(tab(g.l1)[100 + i] != 0, i < LONG_REFUSED);
	}
	assert_int_equal(page_count(data), 1 + LONG_REFUSED);
	assert_int_equal(ptype_count(data), LONG_REFUSED);
	/* Unmapped again in one batch of 250 (two pages, three reads). */
	for (i = 0; i < LONG_REFUSED; i++) {
		r[i].val = 0;
	}
	long_batch_store(r, LONG_REFUSED);
	h = (struct hcall_args){ { LONG_VA, LONG_REFUSED, PDONE_VA, DOMID_SELF,
				   0 } };
	assert_int_equal(do_mmu_update(&h), 0);
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), LONG_REFUSED);
	assert_int_equal(page_count(data), 1);
	assert_int_equal(ptype_count(data), 0);
}

/*
 * PT_UPDATE_PRESERVE_AD when the frame changes (the slow path): the new
 * entry gets the A and D bits of the one it replaced, and the old
 * frame's references go; without it A and D are dropped.
 */
static void test_preserve_ad_new_frame(void **state)
{
	struct page_info *a, *b;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	a = new_frame(&d1);
	b = new_frame(&d1);
	r = mu(ma(g.l1, 31), 0, ent(a, PTE_P | PTE_RW));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	tab(g.l1)[31] |= PTE_A | PTE_D;
	r = mu(ma(g.l1, 31), MMU_PT_UPDATE_PRESERVE_AD, ent(b, PTE_P | PTE_RW));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(mfn_x(pte_mfn(tab(g.l1)[31])), mfn_x(page_to_mfn(b)));
	assert_int_equal(tab(g.l1)[31] & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(page_count(a), 1);
	assert_int_equal(ptype_count(a), 0);
	assert_int_equal(page_count(b), 2);
	assert_int_equal(ptype_count(b), 1);
	r = mu(ma(g.l1, 31), 0, ent(a, PTE_P));
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(tab(g.l1)[31] & (PTE_A | PTE_D), 0);
	assert_int_equal(page_count(b), 1);
	assert_int_equal(ptype_count(b), 0);
	assert_int_equal(page_count(a), 2);
}

/* Requests that cannot be read, pdone that cannot be written. */
static void test_batch_faults(void **state)
{
	struct hcall_args h;
	struct mmu_update r = mu(0, 0, 0);

	guest_init(&g, &d1, 0, 1);
	r = mu(ma(g.l1, 60), 0, ent(g.page[1], PTE_P));
	memcpy(gmem(&g, gva(GUEST_PAGES - 1, PAGE_SIZE - 16)), &r, 16);
	/* Two requests, the second beyond the mapping. */
	h = (struct hcall_args){ { gva(GUEST_PAGES - 1, PAGE_SIZE - 16), 2,
				   gva(5, 0), DOMID_SELF, 0 } };
	assert_int_equal(do_mmu_update(&h), -EFAULT);
	assert_int_equal(*(uint32_t *)gmem(&g, gva(5, 0)), 1);
	assert_int_equal(why(&g)->reason, XENO_WHY_UNREADABLE);
	assert_int_equal(why(&g)->index, 1);
	assert_int_equal(why(&g)->value, gva(GUEST_PAGES, 0));
	/* pdone unwritable: nothing is done. */
	r.ptr = ma(g.l1, 61);
	memcpy(gmem(&g, REQ_VA), &r, 16);
	h = (struct hcall_args){ { REQ_VA, 1, 0x1000, DOMID_SELF, 0 } };
	assert_int_equal(do_mmu_update(&h), -EFAULT);
	assert_int_equal(why(&g)->reason, XENO_WHY_UNWRITABLE);
	assert_int_equal(tab(g.l1)[61], 0);
	/* No pdone at all is fine; a count of 0 does nothing. */
	h = (struct hcall_args){ { REQ_VA, 1, 0, DOMID_SELF, 0 } };
	assert_int_equal(do_mmu_update(&h), 0);
	assert_int_equal(page_count(g.page[1]), 4);
	h = (struct hcall_args){ { 0x1000, 0, PDONE_VA, DOMID_SELF, 0 } };
	assert_int_equal(do_mmu_update(&h), 0);
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 0);
}

/* A long batch, three ways; the same final state each time. */
static void run_long_batch(struct page_info *data, uint64_t *out,
			   unsigned int *restarts)
{
	struct mmu_update r[40];
	uint32_t done;
	unsigned int i;

	for (i = 0; i < 40; i++) {
		r[i] = mu(ma(g.l1, 100 + i), 0,
			  ent(data, PTE_P | (i % 3 ? PTE_RW : 0)));
	}
	assert_int_equal(mmu(&g, r, 40, &done, DOMID_SELF), 0);
	assert_int_equal(done, 40);
	*restarts = last_restarts;
	memcpy(out, tab(g.l1), PAGE_SIZE);
	for (i = 0; i < 40; i++) {
		r[i].val = 0;
	}
	assert_int_equal(mmu(&g, r, 40, &done, DOMID_SELF), 0);
}

static void test_continuation(void **state)
{
	static uint64_t want[PT_ENTRIES], got[PT_ENTRIES];
	struct page_info *data = NULL;
	unsigned int restarts;

	guest_init(&g, &d1, 0, 1);
	data = new_frame(&d1);
	run_long_batch(data, want, &restarts);
	assert_int_equal(restarts, 0);
	host_preempt_every(7);
	run_long_batch(data, got, &restarts);
	host_preempt_every(0);
	assert_true(restarts >= 4);
	assert_memory_equal(want, got, sizeof(want));
	/* Preempted every time the check is asked: still progresses. */
	host_preempt_every(1);
	run_long_batch(data, got, &restarts);
	host_preempt_every(0);
	assert_int_equal(restarts, 39);
	assert_memory_equal(want, got, sizeof(want));
	assert_int_equal(page_count(data), 1);
}

/* The continuation's arguments as the guest's registers get them. */
static void test_continuation_args(void **state)
{
	struct mmu_update r[3];
	struct hcall_args h;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	for (i = 0; i < 3; i++) {
		r[i] = mu(ma(g.l1, 70 + i), 0, ent(g.page[2], PTE_P));
	}
	memcpy(gmem(&g, REQ_VA), r, sizeof(r));
	h = (struct hcall_args){ { REQ_VA, 3, PDONE_VA, DOMID_SELF, 0 } };
	host_preempt_every(1);
	assert_int_equal(do_mmu_update(&h), -ERESTART);
	host_preempt_every(0);
	assert_int_equal(h.a[0], REQ_VA + 16);
	assert_int_equal(h.a[1], 2 | MMU_UPDATE_PREEMPTED);
	assert_int_equal(h.a[2], PDONE_VA);
	assert_int_equal(h.a[3], DOMID_SELF);
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 1);
	assert_int_equal(do_mmu_update(&h), 0);
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 3);
}

/* A nested validation preempted: the same request is continued. */
static void test_nested_preemption(void **state)
{
	struct page_info *l1 = NULL, *data = NULL;
	struct mmu_update r[2];
	uint32_t done;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	l1 = new_frame(&d1);
	data = new_frame(&d1);
	for (i = 0; i < 200; i++) {
		tab(l1)[i] = ent(data, PTE_P | (i & 1 ? PTE_RW : 0));
	}
	r[0] = mu(ma(g.l1, 80), 0, ent(data, PTE_P));
	r[1] = mu(ma(g.l2, 12), 0, ent(l1, PTE_P | PTE_RW));
	ptype_set_preempt_interval(16);
	assert_int_equal(mmu(&g, r, 2, &done, DOMID_SELF), 0);
	ptype_set_preempt_interval(0);
	assert_true(last_restarts >= 10);
	assert_int_equal(done, 2);
	assert_true(ptype_validated(l1));
	assert_int_equal(ptype_count(data), 100);
}

/* ---- TLBs ---------------------------------------------------------------------- */

/* L2-L4 changes: one flush per batch, to the CPUs that ran the domain. */
static void test_one_flush_per_batch(void **state)
{
	struct mmu_update r[4];
	struct host_tlb_call call;
	uint32_t done;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	guest_init(&h2, &d1, 1, 2);
	for (i = 0; i < 4; i++) {
		struct page_info *l1 = new_frame(&d1);

		r[i] = mu(ma(g.l2, 20 + i), 0, ent(l1, PTE_P | PTE_RW));
	}
	host_tlb_reset();
	assert_int_equal(mmu(&g, r, 4, &done, DOMID_SELF), 0);
	assert_int_equal(host_tlb_calls(), 1);
	call = host_tlb_call(0);
	assert_int_equal(call.va, ARCH_FLUSH_ALL);
	assert_int_equal(call.mask, cpumask_of(1) | cpumask_of(2));
	/* L1 changes are the guest's to flush. */
	host_tlb_reset();
	r[0] = mu(ma(g.l1, 90), 0, ent(g.page[0], PTE_P));
	assert_int_equal(mmu(&g, r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(host_tlb_calls(), 0);
	/* A failed batch flushes what it changed before failing. */
	r[0] = mu(ma(g.l2, 20), 0, 0);
	r[1] = mu(ma(g.l4, 260), 0, 0);
	assert_int_equal(mmu(&g, r, 2, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(host_tlb_calls(), 1);
}

/* ---- dropping a big subtree ------------------------------------------------ */

/*
 * A subtree for g's L4 slot BIG_SLOT: an L3 with BIG_L2S L2s, each with
 * BIG_L1S L1s mapping 60 of g's pages read-only.
 */
#define BIG_SLOT 5
#define BIG_L2S	 4
#define BIG_L1S	 16

struct big_tree {
	struct page_info *l3, *l2[BIG_L2S], *l1[BIG_L2S * BIG_L1S];
	uint32_t page_counts[GUEST_PAGES]; /* before it was hooked */
};

/* The tree's tables, written but not validated; bad: its last entry. */
static void big_tree_make(struct guest *gu, struct big_tree *t, uint64_t bad)
{
	unsigned int i, j, k;

	for (i = 0; i < GUEST_PAGES; i++) {
		t->page_counts[i] = page_count(gu->page[i]);
	}
	t->l3 = new_frame(&d1);
	for (i = 0; i < BIG_L2S; i++) {
		t->l2[i] = new_frame(&d1);
		tab(t->l3)[i] = ent(t->l2[i], PTE_P | PTE_RW);
		for (j = 0; j < BIG_L1S; j++) {
			struct page_info *l1 = new_frame(&d1);

			t->l1[i * BIG_L1S + j] = l1;
			tab(t->l2[i])[j] = ent(l1, PTE_P | PTE_RW);
			for (k = 0; k < 60; k++) {
				tab(l1)[k] =
					ent(gu->page[k % GUEST_PAGES], PTE_P);
			}
		}
	}
	if (bad != 0) {
		tab(t->l1[BIG_L2S * BIG_L1S - 1])[59] = bad;
	}
}

static void big_tree_build(struct guest *gu, struct big_tree *t)
{
	struct mmu_update r;
	uint32_t done;

	big_tree_make(gu, t, 0);
	r = mu(ma(gu->l4, BIG_SLOT), 0, ent(t->l3, PTE_P | PTE_RW));
	assert_int_equal(mmu(gu, &r, 1, &done, DOMID_SELF), 0);
	assert_int_equal(ptype_count(t->l3), 1);
}

/* Everything the tree held is released; its frames are plain again. */
static void big_tree_released(struct guest *gu, const struct big_tree *t)
{
	unsigned int i;

	assert_int_equal(tab(gu->l4)[BIG_SLOT], 0);
	assert_int_equal(ptype_count(t->l3), 0);
	assert_false(ptype_partial(t->l3));
	assert_int_equal(page_count(t->l3), 1);
	for (i = 0; i < BIG_L2S; i++) {
		assert_int_equal(ptype_count(t->l2[i]), 0);
		assert_false(ptype_partial(t->l2[i]));
		assert_int_equal(page_count(t->l2[i]), 1);
	}
	for (i = 0; i < BIG_L2S * BIG_L1S; i++) {
		assert_int_equal(ptype_count(t->l1[i]), 0);
		assert_int_equal(page_count(t->l1[i]), 1);
	}
	for (i = 0; i < GUEST_PAGES; i++) {
		assert_int_equal(page_count(gu->page[i]), t->page_counts[i]);
	}
	assert_null(gu->v.put_pending);
}

/*
 * Clearing the L4 entry over the tree: its devalidation stops every 50
 * preemption points; the request is done at the first stop and the
 * continuations finish the devalidation (each stop audited by hc_run).
 */
static void test_clear_l4_continued(void **state)
{
	static struct big_tree t;
	struct ptype_stats st;
	struct mmu_update r;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	big_tree_build(&g, &t);
	ptype_stats_reset();
	ptype_set_preempt_interval(50);
	r = mu(ma(g.l4, BIG_SLOT), 0, 0);
	assert_int_equal(mmu(&g, &r, 1, &done, DOMID_SELF), 0);
	ptype_set_preempt_interval(0);
	assert_int_equal(done, 1);
	/* Five tables of 512 entries: about 2555 points, a stop every 50. */
	assert_true(last_restarts >= 40);
	ptype_stats_read(&st);
	assert_true(st.devalidation_preemptions >= last_restarts);
	assert_int_equal(st.devalidations, 1 + BIG_L2S + BIG_L2S * BIG_L1S);
	big_tree_released(&g, &t);
}

/*
 * The same drop in the middle of a batch: the part ends after it (pdone
 * counts it), the continuations resume at the next request with the
 * devalidation finished first, and the later requests still apply.
 */
static void test_batch_middle_drop(void **state)
{
	static struct big_tree t;
	struct page_info *l1;
	struct mmu_update r[4];
	struct hcall_args h;
	unsigned int parts = 1;
	long rc;

	guest_init(&g, &d1, 0, 1);
	big_tree_build(&g, &t);
	l1 = new_frame(&d1);
	r[0] = mu(ma(g.l1, 100), 0, ent(g.page[1], PTE_P));
	r[1] = mu(ma(g.l4, BIG_SLOT), 0, 0);
	r[2] = mu(ma(g.l1, 101), 0, ent(g.page[2], PTE_P));
	r[3] = mu(ma(g.l2, 20), 0, ent(l1, PTE_P | PTE_RW));
	memcpy(gmem(&g, REQ_VA), r, sizeof(r));
	*(uint32_t *)gmem(&g, PDONE_VA) = 0xdead;
	h = (struct hcall_args){ { REQ_VA, 4, PDONE_VA, DOMID_SELF, 0 } };
	ptype_set_preempt_interval(50);
	assert_int_equal(do_mmu_update(&h), -ERESTART);
	/* Two done; the rest from request 2, after the pending put. */
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 2);
	assert_int_equal(h.a[0], REQ_VA + 2 * sizeof(struct mmu_update));
	assert_int_equal(h.a[1], 2 | MMU_UPDATE_PREEMPTED);
	assert_ptr_equal(g.v.put_pending, t.l3);
	assert_true(ptype_partial(t.l3));
	assert_int_equal(tab(g.l4)[BIG_SLOT], 0);
	assert_int_equal(tab(g.l1)[101], 0);
	assert_int_equal(mm_audit(), 0);
	while ((rc = do_mmu_update(&h)) == -ERESTART) {
		parts++;
		/* Nothing after the drop runs before it is finished. */
		if (g.v.put_pending != NULL) {
			assert_int_equal(tab(g.l1)[101], 0);
			assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 2);
		}
		assert_int_equal(mm_audit(), 0);
	}
	ptype_set_preempt_interval(0);
	assert_int_equal(rc, 0);
	assert_true(parts >= 40);
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 4);
	assert_int_not_equal(tab(g.l1)[101], 0);
	assert_true(ptype_validated(l1));
	assert_int_equal(ptype_count(l1), 1);
	/* g.page[1] and [2] each gained one mapping (slots 100, 101). */
	t.page_counts[1]++;
	t.page_counts[2]++;
	big_tree_released(&g, &t);
}

/*
 * Between the parts, another vCPU finds the L3 half-devalidated: no
 * writable mapping (-EBUSY), no write to it (-EINVAL), no other type
 * (-EINVAL), each with its reason. Hooking it as an L3 again takes it
 * over (revalidating what was released); g's continuation then has
 * nothing left to do.
 */
static void test_drop_seen_by_other_vcpu(void **state)
{
	static struct big_tree t;
	struct mmu_update r;
	struct mmuext_op o;
	struct hcall_args h;
	uint32_t done;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	guest_init(&h2, &d1, 1, 2);
	big_tree_build(&g, &t);
	*(struct mmu_update *)gmem(&g, REQ_VA) = mu(ma(g.l4, BIG_SLOT), 0, 0);
	h = (struct hcall_args){ { REQ_VA, 1, PDONE_VA, DOMID_SELF, 0 } };
	ptype_set_preempt_interval(50);
	guest_enter(&g);
	assert_int_equal(do_mmu_update(&h), -ERESTART);
	ptype_set_preempt_interval(0);
	assert_ptr_equal(g.v.put_pending, t.l3);
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 1);
	assert_int_equal(h.a[1], MMU_UPDATE_PREEMPTED);
	r = mu(ma(h2.l1, 30), 0, ent(t.l3, PTE_P | PTE_RW));
	assert_int_equal(mmu(&h2, &r, 1, &done, DOMID_SELF), -EBUSY);
	assert_int_equal(why(&h2)->reason, XENO_WHY_TYPE_CONFLICT);
	assert_true(why(&h2)->flags & XENO_FRAME_PARTIAL);
	r = mu(ma(t.l3, 2), 0, 0);
	assert_int_equal(mmu(&h2, &r, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&h2)->reason, XENO_WHY_NOT_UPDATABLE);
	o = (struct mmuext_op){ .cmd = MMUEXT_PIN_L2_TABLE };
	o.arg1.mfn = mfn_x(mfn_of(t.l3));
	assert_int_equal(ext(&h2, &o, 1, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(why(&h2)->reason, XENO_WHY_TYPE_CONFLICT);
	assert_true(ptype_partial(t.l3));
	/* Taken over as an L3 by h2's own L4. */
	r = mu(ma(h2.l4, 6), 0, ent(t.l3, PTE_P | PTE_RW));
	assert_int_equal(mmu(&h2, &r, 1, &done, DOMID_SELF), 0);
	assert_true(ptype_validated(t.l3));
	assert_int_equal(ptype_count(t.l3), 1);
	/* g's continuation: nothing to do, pdone stays 1. */
	guest_enter(&g);
	assert_int_equal(do_mmu_update(&h), 0);
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 1);
	assert_null(g.v.put_pending);
	assert_int_equal(ptype_count(t.l3), 1);
	for (i = 0; i < BIG_L2S; i++) {
		assert_int_equal(ptype_count(t.l2[i]), 1);
	}
	/* h2 lets it go at once: all released again. */
	r = mu(ma(h2.l4, 6), 0, 0);
	assert_int_equal(mmu(&h2, &r, 1, &done, DOMID_SELF), 0);
	big_tree_released(&g, &t);
}

/*
 * The guest dies instead of continuing: the vCPU's teardown steps
 * finish the pending devalidation, bounded, each step audited.
 */
static void test_drop_teardown_pending(void **state)
{
	static struct big_tree t;
	struct hcall_args h;
	unsigned int steps, i;

	guest_init(&g, &d1, 0, 1);
	big_tree_build(&g, &t);
	*(struct mmu_update *)gmem(&g, REQ_VA) = mu(ma(g.l4, BIG_SLOT), 0, 0);
	h = (struct hcall_args){ { REQ_VA, 1, PDONE_VA, DOMID_SELF, 0 } };
	ptype_set_preempt_interval(50);
	guest_enter(&g);
	assert_int_equal(do_mmu_update(&h), -ERESTART);
	assert_ptr_equal(g.v.put_pending, t.l3);
	mm_vcpu_switch(&g.v, NULL);
	steps = release_in_steps(&g.v);
	ptype_set_preempt_interval(0);
	assert_true(steps >= 2);
	assert_true(mfn_eq(g.v.kernel_root, INVALID_MFN));
	assert_int_equal(ptype_count(t.l3), 0);
	assert_false(ptype_partial(t.l3));
	for (i = 0; i < BIG_L2S; i++) {
		assert_int_equal(ptype_count(t.l2[i]), 0);
	}
	assert_null(g.v.put_pending);
	assert_int_equal(mm_audit(), 0);
}

/*
 * A validation that fails at the tree's very last entry, preemptibly:
 * the release of everything validated before it stops too, and the
 * call still returns the entry's error at once, with the tree's top
 * table left half-released as the vCPU's pending put (no write of a
 * half-released table, no writable mapping of it). The next MMU call,
 * even an empty one, finishes it first; then nothing is held.
 */
static void failed_release_continued(struct big_tree *t, long rc,
				     const struct ptype_stats *st)
{
	struct mmu_update r;
	uint32_t done;

	assert_int_equal(rc, -EBUSY);
	assert_int_equal(why(&g)->reason, XENO_WHY_L1_NOT_OWNER);
	/* Each level's validation failed: L1, L2, L3 (and L4 if pinned). */
	assert_true(st->failed_validations >= 3);
	assert_true(st->devalidation_preemptions >= 1);
	assert_ptr_equal(g.v.put_pending, t->l3);
	assert_true(ptype_partial(t->l3));
	assert_int_equal(mm_audit(), 0);
	r = mu(ma(h2.l1, 30), 0, ent(t->l3, PTE_P | PTE_RW));
	assert_int_equal(mmu(&h2, &r, 1, &done, DOMID_SELF), -EBUSY);
	/* An empty batch finishes the release (continued). */
	assert_int_equal(mmu(&g, &r, 0, &done, DOMID_SELF), 0);
	assert_true(last_restarts >= 10);
	assert_null(g.v.put_pending);
	big_tree_released(&g, t);
}

/* g and h2 (both d1), and t with a last entry mapping d2's frame. */
static void failed_tree_setup(struct big_tree *t)
{
	guest_init(&g, &d1, 0, 1);
	guest_init(&h2, &d1, 1, 2);
	big_tree_make(&g, t, ent(new_frame(&d2), PTE_P));
	ptype_stats_reset();
	ptype_set_preempt_interval(50);
}

static void test_failed_validation_hook(void **state)
{
	static struct big_tree t;
	struct ptype_stats st;
	struct mmu_update r;
	uint32_t done;
	long rc;

	failed_tree_setup(&t);
	r = mu(ma(g.l4, BIG_SLOT), 0, ent(t.l3, PTE_P | PTE_RW));
	rc = mmu(&g, &r, 1, &done, DOMID_SELF);
	ptype_stats_read(&st);
	assert_int_equal(done, 0);
	assert_int_equal(tab(g.l4)[BIG_SLOT], 0);
	failed_release_continued(&t, rc, &st);
	ptype_set_preempt_interval(0);
}

static void test_failed_validation_pin(void **state)
{
	static struct big_tree t;
	struct ptype_stats st;
	struct mmuext_op o;
	uint32_t done;
	long rc;

	failed_tree_setup(&t);
	o = eo(MMUEXT_PIN_L3_TABLE, mfn_x(mfn_of(t.l3)), 0);
	rc = ext(&g, &o, 1, &done, DOMID_SELF);
	ptype_stats_read(&st);
	assert_int_equal(done, 0);
	assert_false(ptype_pinned(t.l3));
	failed_release_continued(&t, rc, &st);
	ptype_set_preempt_interval(0);
}

/*
 * Without a preemptible caller (ptype_get), the same failure releases
 * everything before it returns.
 */
static void test_failed_validation_at_once(void **state)
{
	static struct big_tree t;
	struct page_info *theirs;
	int rc;

	guest_init(&g, &d1, 0, 1);
	theirs = new_frame(&d2);
	big_tree_make(&g, &t, ent(theirs, PTE_P));
	ptype_set_preempt_interval(50);
	assert_true(page_get(t.l3, &d1));
	/* The validation itself stops and is resumed; its release not. */
	do {
		rc = ptype_get(t.l3, PGT_l3, &d1, PTYPE_PREEMPTIBLE);
	} while (rc == -EAGAIN);
	assert_int_equal(rc, -EBUSY);
	assert_false(ptype_partial(t.l3));
	page_put(t.l3);
	ptype_set_preempt_interval(0);
	big_tree_released(&g, &t);
}

/*
 * d1's tree hooked by g, then hp (privileged) clears that L4 entry with
 * PFD = d1: the first part stops in the devalidation (interval 50); h
 * is the call to continue.
 */
static void foreign_drop_start(struct big_tree *t, struct hcall_args *h)
{
	guest_init(&g, &d1, 0, 1);
	guest_init(&hp, &dp, 0, 2);
	big_tree_build(&g, t);
	guest_enter(&hp);
	*(struct mmu_update *)gmem(&hp, REQ_VA) = mu(ma(g.l4, BIG_SLOT), 0, 0);
	*h = (struct hcall_args){ { REQ_VA, 1, PDONE_VA, (2U << 16) | 1, 0 } };
	ptype_set_preempt_interval(50);
	assert_int_equal(do_mmu_update(h), -ERESTART);
	assert_ptr_equal(hp.v.put_pending, t->l3);
}

/*
 * A privileged caller clears the L4 entry over d1's tree (PFD = d1): the
 * stopped devalidation is the caller's pending put, not d1's vCPU's, and
 * the caller's continuations finish it, each part audited.
 */
static void test_foreign_drop_continued(void **state)
{
	static struct big_tree t;
	struct hcall_args h;
	unsigned int parts = 1;
	long rc;

	foreign_drop_start(&t, &h);
	assert_null(g.v.put_pending);
	assert_true(ptype_partial(t.l3));
	assert_int_equal(*(uint32_t *)gmem(&hp, PDONE_VA), 1);
	assert_int_equal(mm_audit(), 0);
	while ((rc = do_mmu_update(&h)) == -ERESTART) {
		parts++;
		assert_int_equal(mm_audit(), 0);
	}
	ptype_set_preempt_interval(0);
	assert_int_equal(rc, 0);
	assert_true(parts >= 40);
	assert_null(hp.v.put_pending);
	big_tree_released(&g, &t);
}

/*
 * d1 is torn down while the privileged caller's pending put holds d1's
 * half-devalidated L3: the teardown takes it over and releases the
 * subtree; the L3 frame waits on d1's released list for the caller's
 * general reference, and the caller's next call, even one refused at
 * once, finishes the put first and frees it.
 */
static void test_foreign_drop_owner_dies(void **state)
{
	static struct big_tree t;
	struct mmu_update r;
	struct hcall_args h;
	uint32_t done;
	unsigned int i;

	foreign_drop_start(&t, &h);
	ptype_set_preempt_interval(0);
	/* d1 dies: its vCPU, then its memory. */
	host_set_cpu(g.cpu);
	mm_vcpu_switch(&g.v, NULL);
	(void)release_in_steps(&g.v);
	mm_domain_relinquish(&d1);
	assert_int_equal(mm_audit(), 0);
	assert_false(ptype_partial(t.l3));
	assert_int_equal(ptype_count(t.l3), 0);
	for (i = 0; i < BIG_L2S; i++) {
		assert_int_equal(ptype_count(t.l2[i]), 0);
	}
	assert_int_equal(page_count(t.l3), 1); /* the caller's reference */
	assert_int_equal(d1.released_pages, 1);
	/* A call refused at once (unknown PFD) still finishes the put. */
	r = mu(ma(hp.l1, 40), 0, 0);
	assert_int_equal(mmu(&hp, &r, 1, &done, (78U << 16) | DOMID_SELF),
			 -ESRCH);
	assert_int_equal(done, 0xdead);
	assert_null(hp.v.put_pending);
	assert_int_equal(d1.released_pages, 0);
	assert_int_equal(d1.tot_pages, 0);
	assert_int_equal(mm_audit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_l1_map_unmap),
		MM_TEST(test_l1_refusals),
		MM_TEST(test_fast_path_and_ad),
		MM_TEST(test_l2_hook),
		MM_TEST(test_l4_slots),
		MM_TEST(test_linear_update),
		MM_TEST(test_plain_write),
		MM_TEST(test_ptr_checks),
		MM_TEST(test_machphys),
		MM_TEST(test_foreign_domains),
		MM_TEST(test_batch_fails_midway),
		MM_TEST(test_batch_faults),
		MM_TEST(test_batch_across_reads),
		MM_TEST(test_preserve_ad_new_frame),
		MM_TEST(test_continuation),
		MM_TEST(test_continuation_args),
		MM_TEST(test_nested_preemption),
		MM_TEST(test_one_flush_per_batch),
		MM_TEST(test_clear_l4_continued),
		MM_TEST(test_batch_middle_drop),
		MM_TEST(test_drop_seen_by_other_vcpu),
		MM_TEST(test_drop_teardown_pending),
		MM_TEST(test_failed_validation_hook),
		MM_TEST(test_failed_validation_pin),
		MM_TEST(test_failed_validation_at_once),
		MM_TEST(test_foreign_drop_continued),
		MM_TEST(test_foreign_drop_owner_dies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
