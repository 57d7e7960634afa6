/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of mmuext_op (mm/mmuext_op.c, pv-abi §6.2): every command
 * with its errors, the foreign-domain rules, the roots and what is
 * loaded, the TLB commands as flushes (one per batch, lazy masks),
 * continuations of preempted pins and base pointers, and m2p_strict.
 * Each test ends with the audit (mm_test.h).
 */
#include "mm_test.h"

static struct guest g, h2, hp;

static long ext1(struct guest *gu, struct mmuext_op o, uint32_t fd)
{
	uint32_t done;

	return ext(gu, &o, 1, &done, fd);
}

/* ---- pin, unpin ----------------------------------------------------------- */

static void test_pin_unpin(void **state)
{
	struct page_info *t[4];
	unsigned int lvl;

	guest_init(&g, &d1, 0, 1);
	for (lvl = 0; lvl < 4; lvl++) {
		t[lvl] = new_frame(&d1);
		assert_int_equal(ext1(&g,
				      eo(MMUEXT_PIN_L1_TABLE + lvl,
					 mfn_x(mfn_of(t[lvl])), 0),
				      DOMID_SELF),
				 0);
		assert_true(ptype_pinned(t[lvl]));
		assert_int_equal(ptype_type(t[lvl]), (uint64_t)(lvl + 1)
							     << PGT_type_shift);
	}
	assert_int_equal(ext1(&g,
			      eo(MMUEXT_PIN_L2_TABLE, mfn_x(mfn_of(t[1])), 0),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_ALREADY_PINNED);
	assert_int_equal(ext1(&g,
			      eo(MMUEXT_PIN_L2_TABLE, mfn_x(mfn_of(t[0])), 0),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_ALREADY_PINNED);
	assert_int_equal(ext1(&g,
			      eo(MMUEXT_UNPIN_TABLE, mfn_x(mfn_of(t[2])), 0),
			      DOMID_SELF),
			 0);
	assert_int_equal(ext1(&g,
			      eo(MMUEXT_UNPIN_TABLE, mfn_x(mfn_of(t[2])), 0),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_NOT_PINNED);
	assert_int_equal(
		ext1(&g,
		     eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(new_frame(&d2))), 0),
		     DOMID_SELF),
		-EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_NOT_OWN_FRAME);
	/* A table in use writable: the type conflict. */
	assert_int_equal(
		ext1(&g, eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(g.page[0])), 0),
		     DOMID_SELF),
		-EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_TYPE_CONFLICT);
	assert_int_equal(why(&g)->type, XENO_FRAME_WRITABLE);
}

/* Foreign FDs: the privileged domain pins another's frames. */
static void test_pin_foreign(void **state)
{
	struct page_info *t = NULL;

	guest_init(&g, &d1, 0, 1);
	guest_init(&hp, &dp, 0, 2);
	t = new_frame(&d2);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(t)), 0), 2),
		-EPERM);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(t)), 0), 1),
		-ESRCH);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(t)), 0), 9),
		-ESRCH);
	assert_int_equal(
		ext1(&hp, eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(t)), 0), 2), 0);
	assert_true(ptype_pinned(t));
	/* Self is dp: not its frame. */
	assert_int_equal(ext1(&hp, eo(MMUEXT_UNPIN_TABLE, mfn_x(mfn_of(t)), 0),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(
		ext1(&hp, eo(MMUEXT_UNPIN_TABLE, mfn_x(mfn_of(t)), 0), 2), 0);
	/* Commands that act on the caller refuse a foreign FD. */
	assert_int_equal(ext1(&hp, eo(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), 2),
			 -EPERM);
	assert_int_equal(why(&hp)->reason, XENO_WHY_FD_NOT_SELF);
	assert_int_equal(ext1(&hp, eo(MMUEXT_NEW_BASEPTR, 0, 0), 2), -EPERM);
	assert_int_equal(ext1(&hp, eo(MMUEXT_SET_LDT, 0, 0), 2), -EPERM);
	assert_int_equal(ext1(&hp, eo(MMUEXT_FLUSH_CACHE, 0, 0), 2), -EPERM);
	assert_int_equal(ext1(&hp, eo(MMUEXT_PIN_L1_TABLE, 0, 0), DOMID_IO),
			 -EINVAL);
}

/* A preempted pin of a big tree, continued to the end. */
static void test_pin_continued(void **state)
{
	struct page_info *l2 = NULL;
	unsigned int i, j;

	guest_init(&g, &d1, 0, 1);
	l2 = new_frame(&d1);
	for (i = 0; i < 8; i++) {
		struct page_info *l1 = new_frame(&d1);

		tab(l2)[i] = ent(l1, PTE_P | PTE_RW);
		for (j = 0; j < 60; j++) {
			tab(l1)[j] = ent(g.page[j % GUEST_PAGES], PTE_P);
		}
	}
	ptype_set_preempt_interval(25);
	assert_int_equal(ext1(&g, eo(MMUEXT_PIN_L2_TABLE, mfn_x(mfn_of(l2)), 0),
			      DOMID_SELF),
			 0);
	ptype_set_preempt_interval(0);
	assert_true(last_restarts >= 15);
	assert_true(ptype_pinned(l2));
	assert_false(ptype_partial(l2));
}

/* An L2 of n L1s, each with 60 read-only entries of g's pages. */
static struct page_info *wide_l2(unsigned int n, struct page_info **l1s)
{
	struct page_info *l2 = new_frame(&d1);
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		l1s[i] = new_frame(&d1);
		tab(l2)[i] = ent(l1s[i], PTE_P | PTE_RW);
		for (j = 0; j < 60; j++) {
			tab(l1s[i])[j] = ent(g.page[j % GUEST_PAGES], PTE_P);
		}
	}
	return l2;
}

/*
 * A root besides g.l4: the guest's own L3 at slot 0, and at slot 7 an L3
 * whose slot 5 holds wide_l2(8, l1s); *l2 and *l3 are those two.
 */
static struct page_info *wide_root(struct page_info **l1s,
				   struct page_info **l2, struct page_info **l3)
{
	struct page_info *l4 = new_frame(&d1);

	*l2 = wide_l2(8, l1s);
	*l3 = new_frame(&d1);
	tab(*l3)[5] = ent(*l2, PTE_P | PTE_RW);
	tab(l4)[0] = ent(g.l3, PTE_P | PTE_RW);
	tab(l4)[7] = ent(*l3, PTE_P | PTE_RW);
	return l4;
}

/*
 * An unpin whose devalidation is preempted is done (pdone counts it);
 * the continuation finishes the devalidation before the next element,
 * and every stop passes the audit (hc_run), the pending put included.
 */
static void test_unpin_continued(void **state)
{
	struct page_info *l1s[8], *l2, *t;
	struct mmuext_op o[2];
	struct ptype_stats st;
	uint32_t done;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	l2 = wide_l2(8, l1s);
	t = new_frame(&d1);
	assert_int_equal(ext1(&g, eo(MMUEXT_PIN_L2_TABLE, mfn_x(mfn_of(l2)), 0),
			      DOMID_SELF),
			 0);
	o[0] = eo(MMUEXT_UNPIN_TABLE, mfn_x(mfn_of(l2)), 0);
	o[1] = eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(t)), 0);
	ptype_stats_reset();
	ptype_set_preempt_interval(25);
	assert_int_equal(ext(&g, o, 2, &done, DOMID_SELF), 0);
	ptype_set_preempt_interval(0);
	assert_int_equal(done, 2);
	assert_true(last_restarts >= 15);
	ptype_stats_read(&st);
	/* The L2's 512 entries, every 25th a stop (an L1 is one step). */
	assert_int_equal(st.devalidation_preemptions, 20);
	assert_true(st.preemptions + st.devalidation_preemptions >=
		    last_restarts);
	assert_null(g.v.put_pending);
	assert_int_equal(ptype_count(l2), 0);
	assert_false(ptype_partial(l2));
	for (i = 0; i < 8; i++) {
		assert_int_equal(ptype_count(l1s[i]), 0);
		assert_int_equal(page_count(l1s[i]), 1);
	}
	assert_int_equal(page_count(g.page[0]), 2);
	assert_true(ptype_pinned(t));
}

/*
 * Between the parts of a continued unpin the guest may make another
 * mmuext_op (an event handler): it finishes the pending devalidation
 * first; the original call's continuation then just goes on.
 */
static void test_unpin_interleaved(void **state)
{
	struct page_info *l1s[8], *l2, *t;
	struct hcall_args h, hh;
	uint32_t done;
	long rc;

	guest_init(&g, &d1, 0, 1);
	guest_init(&h2, &d1, 1, 2);
	l2 = wide_l2(8, l1s);
	t = new_frame(&d1);
	assert_int_equal(ext1(&g, eo(MMUEXT_PIN_L2_TABLE, mfn_x(mfn_of(l2)), 0),
			      DOMID_SELF),
			 0);
	*(struct mmuext_op *)gmem(&g, REQ_VA) =
		eo(MMUEXT_UNPIN_TABLE, mfn_x(mfn_of(l2)), 0);
	h = (struct hcall_args){ { REQ_VA, 1, PDONE_VA, DOMID_SELF, 0 } };
	ptype_set_preempt_interval(25);
	assert_int_equal(do_mmuext_op(&h), -ERESTART);
	assert_ptr_equal(g.v.put_pending, l2);
	assert_true(ptype_partial(l2));
	assert_int_equal(*(uint32_t *)gmem(&g, PDONE_VA), 1);
	assert_int_equal(h.a[1], MMU_UPDATE_PREEMPTED);
	assert_int_equal(mm_audit(), 0);
	/*
	 * Meanwhile another vCPU cannot map the half-devalidated L2
	 * writable, nor write it, nor pin it as another type; the exact
	 * error and reason of each (g's own mmu_update or mmuext_op would
	 * finish the devalidation first).
	 */
	{
		struct mmu_update r =
			mu(ma(g.l1, 30), 0, ent(l2, PTE_P | PTE_RW));
		/* mmu() uses the same pdone: keep the original call's. */
		uint32_t keep = *(uint32_t *)gmem(&g, PDONE_VA);

		assert_int_equal(mmu(&h2, &r, 1, &done, DOMID_SELF), -EBUSY);
		assert_int_equal(why(&h2)->reason, XENO_WHY_TYPE_CONFLICT);
		assert_true(why(&h2)->flags & XENO_FRAME_PARTIAL);
		r = mu(ma(l2, 3), 0, 0);
		assert_int_equal(mmu(&h2, &r, 1, &done, DOMID_SELF), -EINVAL);
		assert_int_equal(why(&h2)->reason, XENO_WHY_NOT_UPDATABLE);
		assert_int_equal(
			ext1(&h2, eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(l2)), 0),
			     DOMID_SELF),
			-EINVAL);
		assert_int_equal(why(&h2)->reason, XENO_WHY_TYPE_CONFLICT);
		assert_true(ptype_partial(l2));
		*(uint32_t *)gmem(&g, PDONE_VA) = keep;
	}
	/* The handler's call, with a pdone elsewhere. */
	*(struct mmuext_op *)gmem(&g, gva(1, 0)) =
		eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(t)), 0);
	hh = (struct hcall_args){ { gva(1, 0), 1, gva(1, 64), DOMID_SELF, 0 } };
	guest_enter(&g);
	while ((rc = do_mmuext_op(&hh)) == -ERESTART) {
		assert_int_equal(mm_audit(), 0);
	}
	assert_int_equal(rc, 0);
	assert_null(g.v.put_pending);
	assert_int_equal(ptype_count(l2), 0);
	assert_true(ptype_pinned(t));
	/* The original continuation: nothing left, pdone stays 1. */
	assert_int_equal(do_mmuext_op(&h), 0);
	done = *(uint32_t *)gmem(&g, PDONE_VA);
	assert_int_equal(done, 1);
	ptype_set_preempt_interval(0);
}

/* ---- roots ---------------------------------------------------------------- */

static void test_new_baseptr(void **state)
{
	struct page_info *l4 = NULL, *old = NULL;
	struct arch_tlb_stats st;

	guest_init(&g, &d1, 0, 1);
	old = g.l4;
	l4 = new_frame(&d1);
	tab(l4)[0] = ent(g.l3, PTE_P | PTE_RW);
	host_tlb_reset();
	assert_int_equal(ext1(&g, eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(l4)), 0),
			      DOMID_SELF),
			 0);
	assert_true(mfn_eq(g.v.kernel_root, mfn_of(l4)));
	assert_true(mfn_eq(host_loaded_root(1), mfn_of(l4)));
	assert_int_equal(ptype_count(old), 0);
	assert_int_equal(ptype_count(g.l3), 1);
	/* The same root again: only a reload. */
	assert_int_equal(ext1(&g, eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(l4)), 0),
			      DOMID_SELF),
			 0);
	arch_tlb_stats_read(&st);
	assert_int_equal(st.cr3_loads, 2);
	assert_int_equal(ptype_count(l4), 1);
	/* Not an L4 of ours, not a frame, an L1. */
	assert_int_equal(
		ext1(&g,
		     eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(new_frame(&d2))), 0),
		     DOMID_SELF),
		-EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_NOT_OWN_FRAME);
	assert_int_equal(ext1(&g, eo(MMUEXT_NEW_BASEPTR, MM_TEST_FRAMES + 3, 0),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(ext1(&g,
			      eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(g.l1)), 0),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_TYPE_CONFLICT);
	assert_true(mfn_eq(g.v.kernel_root, mfn_of(l4)));
}

/* The user root: none by default, 0 clears it, user mode loads it. */
static void test_new_user_baseptr(void **state)
{
	guest_init(&g, &d1, 0, 1);
	assert_true(mfn_eq(g.v.user_root, INVALID_MFN));
	assert_int_equal(
		ext1(&g, eo(MMUEXT_NEW_USER_BASEPTR, mfn_x(mfn_of(g.l4)), 0),
		     DOMID_SELF),
		0);
	assert_int_equal(ptype_count(g.l4), 2);
	/* Kernel mode: nothing loaded for it. */
	assert_true(mfn_eq(host_loaded_root(1), mfn_of(g.l4)));
	mm_vcpu_set_mode(&g.v, true);
	assert_true(mfn_eq(mm_vcpu_active_root(&g.v), mfn_of(g.l4)));
	mm_vcpu_set_mode(&g.v, false);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_NEW_USER_BASEPTR, 0, 0), DOMID_SELF), 0);
	assert_true(mfn_eq(g.v.user_root, INVALID_MFN));
	assert_int_equal(ptype_count(g.l4), 1);
}

/* m2p_strict: a user root loses the M2P slot, a kernel root gets it. */
static void test_m2p_strict(void **state)
{
	struct page_info *u = NULL;

	guest_init(&g, &d1, 0, 1);
	d1.vm_assist |= 1ULL << MM_VMASST_m2p_strict;
	u = new_frame(&d1);
	assert_int_equal(ext1(&g,
			      eo(MMUEXT_NEW_USER_BASEPTR, mfn_x(mfn_of(u)), 0),
			      DOMID_SELF),
			 0);
	assert_int_equal(tab(u)[L4_M2P_SLOT], 0);
	assert_int_equal(ext1(&g, eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(u)), 0),
			      DOMID_SELF),
			 0);
	assert_int_equal(tab(u)[L4_M2P_SLOT], host_l4_template[0]);
}

/* A preempted base pointer validation, continued. */
static void test_baseptr_continued(void **state)
{
	struct page_info *l4 = NULL, *l3 = NULL;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	l4 = new_frame(&d1);
	l3 = new_frame(&d1);
	tab(l4)[0] = ent(g.l3, PTE_P | PTE_RW);
	for (i = 0; i < 100; i++) {
		tab(l3)[i] = ent(g.l2, PTE_P);
	}
	tab(l4)[300] = ent(l3, PTE_P | PTE_RW);
	ptype_set_preempt_interval(9);
	assert_int_equal(ext1(&g, eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(l4)), 0),
			      DOMID_SELF),
			 0);
	ptype_set_preempt_interval(0);
	assert_true(last_restarts >= 10);
	assert_true(mfn_eq(g.v.kernel_root, mfn_of(l4)));
	assert_int_equal(ptype_count(g.l2), 101);
}

/*
 * The old root's devalidation, preempted: the base pointer is done at
 * once (the new root loaded), the continuation releases the old tree.
 */
static void test_old_root_continued(void **state)
{
	struct page_info *l1s[8], *l2, *l3, *l4;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	l4 = wide_root(l1s, &l2, &l3);
	assert_int_equal(ext1(&g, eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(l4)), 0),
			      DOMID_SELF),
			 0);
	assert_int_equal(ptype_count(l2), 1);
	ptype_set_preempt_interval(25);
	assert_int_equal(ext1(&g,
			      eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(g.l4)), 0),
			      DOMID_SELF),
			 0);
	ptype_set_preempt_interval(0);
	assert_true(last_restarts >= 15);
	assert_true(mfn_eq(g.v.kernel_root, mfn_of(g.l4)));
	assert_true(mfn_eq(host_loaded_root(1), mfn_of(g.l4)));
	assert_null(g.v.put_pending);
	assert_int_equal(ptype_count(l4), 0);
	assert_int_equal(page_count(l4), 1);
	assert_int_equal(ptype_count(l3), 0);
	assert_int_equal(ptype_count(l2), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(ptype_count(l1s[i]), 0);
	}
	assert_int_equal(ptype_count(g.l3), 1);
}

/*
 * The guest kernel's MOV to CR3 (emulated): the old root's stopped
 * devalidation asks for the instruction again, with the new root
 * installed and loaded at once; each re-execution continues it, the
 * last one only reloads the root. A new root whose validation stops is
 * not installed until a re-execution finishes it.
 */
static void test_cr3_write_continued(void **state)
{
	struct page_info *l1s[8], *l2, *l3, *l4;
	unsigned int i, again = 0;
	int rc;

	guest_init(&g, &d1, 0, 1);
	l4 = wide_root(l1s, &l2, &l3);
	/*
	 * To l4: its validation stops, g.l4 stays until it is done; then
	 * g.l4's own devalidation (512 entries) stops too.
	 */
	ptype_set_preempt_interval(25);
	while ((rc = mm_vcpu_write_cr3(&g.v, mfn_of(l4))) == -EAGAIN) {
		again++;
		if (g.v.put_pending == NULL) {
			assert_true(mfn_eq(g.v.kernel_root, mfn_of(g.l4)));
			assert_true(ptype_partial(l4));
		} else {
			assert_ptr_equal(g.v.put_pending, g.l4);
			assert_true(mfn_eq(g.v.kernel_root, mfn_of(l4)));
		}
		assert_true(mfn_eq(host_loaded_root(1), g.v.kernel_root));
		assert_int_equal(mm_audit(), 0);
	}
	assert_int_equal(rc, 0);
	assert_true(again >= 15);
	assert_true(mfn_eq(g.v.kernel_root, mfn_of(l4)));
	assert_true(mfn_eq(host_loaded_root(1), mfn_of(l4)));
	assert_int_equal(ptype_count(g.l4), 0);
	assert_int_equal(ptype_count(l2), 1);
	/*
	 * Back to g.l4 (validated again in parts): once it is loaded,
	 * l4's devalidation stops, and its re-executions finish it.
	 */
	again = 0;
	while ((rc = mm_vcpu_write_cr3(&g.v, mfn_of(g.l4))) == -EAGAIN) {
		if (g.v.put_pending != NULL) {
			again++;
			assert_ptr_equal(g.v.put_pending, l4);
			assert_true(mfn_eq(g.v.kernel_root, mfn_of(g.l4)));
		} else {
			assert_true(mfn_eq(g.v.kernel_root, mfn_of(l4)));
		}
		assert_true(mfn_eq(host_loaded_root(1), g.v.kernel_root));
		assert_int_equal(mm_audit(), 0);
	}
	ptype_set_preempt_interval(0);
	assert_int_equal(rc, 0);
	assert_true(again >= 15);
	assert_null(g.v.put_pending);
	assert_int_equal(ptype_count(g.l4), 1);
	assert_int_equal(ptype_count(l4), 0);
	assert_int_equal(page_count(l4), 1);
	assert_int_equal(ptype_count(l3), 0);
	assert_int_equal(ptype_count(l2), 0);
	for (i = 0; i < 8; i++) {
		assert_int_equal(ptype_count(l1s[i]), 0);
	}
	/* Not an L4: refused (the emulator's #GP), nothing changed. */
	assert_int_equal(mm_vcpu_write_cr3(&g.v, mfn_of(g.l1)), -EINVAL);
	assert_true(mfn_eq(g.v.kernel_root, mfn_of(g.l4)));
	assert_int_equal(ptype_count(g.l4), 1);
}

/*
 * A vCPU torn down with its old root's devalidation pending: the
 * teardown steps finish it (bounded), then drop its roots.
 */
static void test_vcpu_teardown_pending(void **state)
{
	struct page_info *l1s[8], *l2, *l3, *l4;
	struct hcall_args h;
	unsigned int steps;

	guest_init(&g, &d1, 0, 1);
	l2 = wide_l2(8, l1s);
	l3 = new_frame(&d1);
	l4 = new_frame(&d1);
	tab(l4)[0] = ent(g.l3, PTE_P | PTE_RW);
	tab(l4)[9] = ent(l3, PTE_P | PTE_RW);
	tab(l3)[3] = ent(l2, PTE_P | PTE_RW);
	assert_int_equal(ext1(&g, eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(l4)), 0),
			      DOMID_SELF),
			 0);
	*(struct mmuext_op *)gmem(&g, REQ_VA) =
		eo(MMUEXT_NEW_BASEPTR, mfn_x(mfn_of(g.l4)), 0);
	h = (struct hcall_args){ { REQ_VA, 1, PDONE_VA, DOMID_SELF, 0 } };
	ptype_set_preempt_interval(25);
	/* Validating g.l4 again (parts), then the old root's stop. */
	while (g.v.put_pending == NULL) {
		assert_int_equal(do_mmuext_op(&h), -ERESTART);
	}
	assert_ptr_equal(g.v.put_pending, l4);
	assert_true(mfn_eq(g.v.kernel_root, mfn_of(g.l4)));
	/* The guest dies instead of continuing. */
	mm_vcpu_switch(&g.v, NULL);
	steps = release_in_steps(&g.v);
	ptype_set_preempt_interval(0);
	assert_true(steps >= 2);
	assert_null(g.v.put_pending);
	assert_true(mfn_eq(g.v.kernel_root, INVALID_MFN));
	assert_int_equal(ptype_count(l4), 0);
	assert_int_equal(ptype_count(l2), 0);
	assert_int_equal(ptype_count(g.l4), 0);
	assert_int_equal(mm_audit(), 0);
}

/* ---- TLB commands ------------------------------------------------------------- */

/* Local, multi and all: masks from where the vCPUs ran. */
static void test_tlb_commands(void **state)
{
	struct mmuext_op o[3];
	struct host_tlb_call c;
	uint32_t done;

	guest_init(&g, &d1, 0, 1);
	guest_init(&h2, &d1, 1, 2);
	host_tlb_reset();
	assert_int_equal(ext1(&g, eo(MMUEXT_TLB_FLUSH_LOCAL, 0, 0), DOMID_SELF),
			 0);
	c = host_tlb_call(0);
	assert_int_equal(c.mask, cpumask_of(1));
	assert_int_equal(c.va, ARCH_FLUSH_ALL);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_INVLPG_LOCAL, 0x5123, 0), DOMID_SELF), 0);
	c = host_tlb_call(1);
	assert_int_equal(c.mask, cpumask_of(1));
	assert_int_equal(c.va, 0x5000);
	assert_int_equal(ext1(&g, eo(MMUEXT_TLB_FLUSH_ALL, 0, 0), DOMID_SELF),
			 0);
	assert_int_equal(host_tlb_call(2).mask, cpumask_of(1) | cpumask_of(2));
	assert_int_equal(ext1(&g, eo(MMUEXT_INVLPG_ALL, 0x7000, 0), DOMID_SELF),
			 0);
	assert_int_equal(host_tlb_call(3).va, 0x7000);
	/* Multi: vCPU 1 only, through a bitmap in guest memory. */
	*(uint64_t *)gmem(&g, gva(3, 0)) = 2;
	assert_int_equal(
		ext1(&g, eo(MMUEXT_TLB_FLUSH_MULTI, 0, gva(3, 0)), DOMID_SELF),
		0);
	assert_int_equal(host_tlb_call(4).mask, cpumask_of(2));
	assert_int_equal(ext1(&g, eo(MMUEXT_INVLPG_MULTI, 0x9000, gva(3, 0)),
			      DOMID_SELF),
			 0);
	assert_int_equal(host_tlb_call(5).va, 0x9000);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_TLB_FLUSH_MULTI, 0, 0x1000), DOMID_SELF),
		-EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_VCPUMASK);
	/* An invlpg of a hypervisor address flushes nothing. */
	assert_int_equal(ext1(&g,
			      eo(MMUEXT_INVLPG_LOCAL, HYPERVISOR_VIRT_START, 0),
			      DOMID_SELF),
			 0);
	assert_int_equal(host_tlb_calls(), 6);
	/* A batch of three: one flush, the union, everything. */
	host_tlb_reset();
	o[0] = eo(MMUEXT_INVLPG_LOCAL, 0x1000, 0);
	o[1] = eo(MMUEXT_INVLPG_MULTI, 0x2000, gva(3, 0));
	o[2] = eo(MMUEXT_INVLPG_LOCAL, 0x1000, 0);
	assert_int_equal(ext(&g, o, 3, &done, DOMID_SELF), 0);
	assert_int_equal(host_tlb_calls(), 1);
	assert_int_equal(host_tlb_call(0).va, ARCH_FLUSH_ALL);
	assert_int_equal(host_tlb_call(0).mask, cpumask_of(1) | cpumask_of(2));
}

/* ---- the rest --------------------------------------------------------------- */

static void test_flush_cache(void **state)
{
	guest_init(&g, &d1, 0, 1);
	assert_int_equal(ext1(&g, eo(MMUEXT_FLUSH_CACHE, 0, 0), DOMID_SELF),
			 -EACCES);
	assert_int_equal(why(&g)->reason, XENO_WHY_NO_IO_RIGHTS);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_FLUSH_CACHE_GLOBAL, 0, 0), DOMID_SELF),
		-EACCES);
	d1.io_caching = true;
	assert_int_equal(ext1(&g, eo(MMUEXT_FLUSH_CACHE, 0, 0), DOMID_SELF), 0);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_FLUSH_CACHE_GLOBAL, 0, 0), DOMID_SELF), 0);
}

/* The argument checks; frames and references: test_mm_ldt.c. */
static void test_set_ldt(void **state)
{
	guest_init(&g, &d1, 0, 1);
	/* Nothing is mapped at 0x10000: set_ldt takes the frames now. */
	assert_int_equal(
		ext1(&g, eo(MMUEXT_SET_LDT, 0x10000, 8192), DOMID_SELF),
		-EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LDT_UNMAPPED);
	assert_int_equal(why(&g)->value, 0x10000);
	assert_int_equal(
		ext1(&g, eo(MMUEXT_SET_LDT, 0x10000, 8193), DOMID_SELF),
		-EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LDT_ENTRIES);
	assert_int_equal(ext1(&g, eo(MMUEXT_SET_LDT, 0x10008, 1), DOMID_SELF),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_LDT_BASE);
	assert_int_equal(ext1(&g, eo(MMUEXT_SET_LDT, HYPERVISOR_VIRT_START, 1),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(ext1(&g, eo(MMUEXT_SET_LDT, (1ULL << 47) - 4096, 1024),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(g.v.ldt.ents, 0);
	assert_int_equal(ext1(&g, eo(MMUEXT_SET_LDT, 0, 0), DOMID_SELF), 0);
	assert_int_equal(g.v.ldt.ents, 0);
}

static void test_clear_copy(void **state)
{
	struct page_info *a = NULL, *b = NULL, *t = NULL;

	guest_init(&g, &d1, 0, 1);
	guest_init(&hp, &dp, 0, 2);
	a = new_frame(&d1);
	b = new_frame(&d1);
	t = new_frame(&d1);
	memset(tab(a), 0x5a, PAGE_SIZE);
	assert_int_equal(
		ext1(&g,
		     eo(MMUEXT_COPY_PAGE, mfn_x(mfn_of(b)), mfn_x(mfn_of(a))),
		     DOMID_SELF),
		0);
	assert_memory_equal(tab(a), tab(b), PAGE_SIZE);
	assert_int_equal(ext1(&g, eo(MMUEXT_CLEAR_PAGE, mfn_x(mfn_of(a)), 0),
			      DOMID_SELF),
			 0);
	assert_int_equal(tab(a)[100], 0);
	assert_int_equal(ptype_count(a), 0);
	/* A table can be neither cleared nor overwritten; it can be read. */
	assert_int_equal(ptype_pin(&d1, mfn_of(t), PGT_l1, 0), 0);
	assert_int_equal(ext1(&g, eo(MMUEXT_CLEAR_PAGE, mfn_x(mfn_of(t)), 0),
			      DOMID_SELF),
			 -EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_NOT_UPDATABLE);
	assert_int_equal(
		ext1(&g,
		     eo(MMUEXT_COPY_PAGE, mfn_x(mfn_of(t)), mfn_x(mfn_of(a))),
		     DOMID_SELF),
		-EINVAL);
	assert_int_equal(
		ext1(&g,
		     eo(MMUEXT_COPY_PAGE, mfn_x(mfn_of(a)), mfn_x(mfn_of(t))),
		     DOMID_SELF),
		0);
	/* Foreign frames: only with the FD and privilege. */
	assert_int_equal(
		ext1(&g,
		     eo(MMUEXT_CLEAR_PAGE, mfn_x(mfn_of(new_frame(&d2))), 0),
		     DOMID_SELF),
		-EINVAL);
	assert_int_equal(why(&g)->reason, XENO_WHY_NOT_OWN_FRAME);
	assert_int_equal(
		ext1(&g,
		     eo(MMUEXT_COPY_PAGE, mfn_x(mfn_of(b)), MM_TEST_FRAMES + 1),
		     DOMID_SELF),
		-EINVAL);
	memset(tab(b), 1, 8);
	assert_int_equal(
		ext1(&hp, eo(MMUEXT_CLEAR_PAGE, mfn_x(mfn_of(b)), 0), 1), 0);
	assert_int_equal(tab(b)[0], 0);
}

static void test_unsupported(void **state)
{
	guest_init(&g, &d1, 0, 1);
	assert_int_equal(ext1(&g, eo(MMUEXT_MARK_SUPER, 0, 0), DOMID_SELF),
			 -EOPNOTSUPP);
	assert_int_equal(why(&g)->reason, XENO_WHY_NO_SUPERPAGES);
	assert_int_equal(ext1(&g, eo(MMUEXT_UNMARK_SUPER, 0, 0), DOMID_SELF),
			 -EOPNOTSUPP);
	assert_int_equal(ext1(&g, eo(14, 0, 0), DOMID_SELF), -ENOSYS);
	assert_int_equal(why(&g)->reason, XENO_WHY_BAD_COMMAND);
	assert_int_equal(ext1(&g, eo(21, 0, 0), DOMID_SELF), -ENOSYS);
	assert_int_equal(ext1(&g, eo(0xffffffffu, 0, 0), DOMID_SELF), -ENOSYS);
}

/* A batch stops at its first failure; pdone; continuation of the rest. */
static void test_batch(void **state)
{
	struct mmuext_op o[6];
	struct page_info *t[6];
	uint32_t done;
	unsigned int i;

	guest_init(&g, &d1, 0, 1);
	for (i = 0; i < 6; i++) {
		t[i] = new_frame(&d1);
		o[i] = eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(t[i])), 0);
	}
	o[3] = eo(MMUEXT_UNPIN_TABLE, mfn_x(mfn_of(t[3])), 0);
	assert_int_equal(ext(&g, o, 6, &done, DOMID_SELF), -EINVAL);
	assert_int_equal(done, 3);
	assert_int_equal(why(&g)->index, 3);
	assert_int_equal(why(&g)->cmd, MMUEXT_UNPIN_TABLE);
	assert_false(ptype_pinned(t[4]));
	o[3] = eo(MMUEXT_PIN_L1_TABLE, mfn_x(mfn_of(t[3])), 0);
	host_preempt_every(2);
	assert_int_equal(ext(&g, &o[3], 3, &done, DOMID_SELF), 0);
	host_preempt_every(0);
	assert_int_equal(done, 3);
	assert_true(last_restarts >= 1);
	for (i = 0; i < 6; i++) {
		assert_true(ptype_pinned(t[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_pin_unpin),
		MM_TEST(test_pin_foreign),
		MM_TEST(test_pin_continued),
		MM_TEST(test_unpin_continued),
		MM_TEST(test_unpin_interleaved),
		MM_TEST(test_new_baseptr),
		MM_TEST(test_new_user_baseptr),
		MM_TEST(test_m2p_strict),
		MM_TEST(test_baseptr_continued),
		MM_TEST(test_old_root_continued),
		MM_TEST(test_cr3_write_continued),
		MM_TEST(test_vcpu_teardown_pending),
		MM_TEST(test_tlb_commands),
		MM_TEST(test_flush_cache),
		MM_TEST(test_set_ldt),
		MM_TEST(test_clear_copy),
		MM_TEST(test_unsupported),
		MM_TEST(test_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
