/* SPDX-License-Identifier: MIT */
/*
 * A full 4-level address space of 1 GiB (docs/mm.md §7): an L4 that is a
 * copy of the kernel's (so that it can be loaded) plus one L3, one L2
 * and 512 L1s of 512 entries each, mapping 1 GiB read-only at BIG_VA
 * onto a few of our own frames. Pinning it validates 262144 entries and
 * unpinning it releases them; each takes several 10 ms time slices, so
 * both stop at preemption points and are continued.
 *
 *   bigtree.pin_unpin    pin, every table validated with the expected
 *                        counts; unpin, every table idle and the data
 *                        frames' counts back
 *   bigtree.old_root     the tree as the kernel root, read through it,
 *                        back to the old root: the big one's
 *                        devalidation is continued; all idle again
 *   bigtree.clear_entry  the tree's L3 hung under a free slot of the
 *                        current L4 (one mmu_update), read through it,
 *                        then that entry cleared with one mmu_update:
 *                        the subtree's devalidation is continued, the
 *                        call succeeds with pdone 1; all idle again
 *   bigtree.cr3_write    the tree as the kernel root by MOV to CR3
 *                        (emulated), read through it, back by MOV to
 *                        CR3: validation and the old root's
 *                        devalidation re-execute the instruction; all
 *                        idle again
 *   bigtree.vcpu_init_fail  VCPUOP_initialise of vCPU 2 with the tree
 *                        as kernel root and a page table among the GDT
 *                        frames: -EINVAL, after the tree's validation
 *                        and its devalidation were both continued; all
 *                        idle again, vCPU 2 still not initialised
 *   bigtree.vcpu_init_root  vCPU 2 started with the tree as its kernel
 *                        root (validation continued), reads through it,
 *                        moves to the kernel's tables and goes down;
 *                        all idle again
 *   bigtree.failed_pin   the tree's very last L1 entry made bad (no
 *                        RAM): the pin fails with -EPERM after
 *                        validating nearly everything; the release of
 *                        that stops and is left to the vCPU (the L4
 *                        half-released meanwhile), and the next MMU call
 *                        finishes it; all idle again, entry restored
 *   bigtree.repin_storm  pin and unpin in a loop while vCPU 1 keeps
 *                        pinning and unpinning the same L4 (it may catch
 *                        it half-devalidated and revalidate it); in the
 *                        end both have let go and everything is idle
 *
 * Then the benchmark (XENO-BENCH pv_bigtree_pin_unpin, medians of 5:
 * time and continuations of one pin and of one unpin), and last the tree
 * is pinned again and the guest exits: the domain's teardown devalidates
 * it in bounded steps, and the invariant check at the end must pass.
 */
#include <libpv.h>
#include <libpv/bench.h>

#define NL1	 512
#define NDATA	 8
#define NFRAMES	 (NL1 + 3 + NDATA)
#define ROUNDS	 5
#define RO_FLAGS (PV_PTE_P | PV_PTE_A)
#define TB_FLAGS (PV_PTE_P | PV_PTE_RW | PV_PTE_A)

static uint8_t scratch[4096] __attribute__((aligned(4096)));
static uint8_t stack1[16384] __attribute__((aligned(16)));
static uint8_t stack2[16384] __attribute__((aligned(16)));
static volatile uint64_t v2_read, v2_root;
static volatile unsigned int v2_done;
static uint64_t scratch_mfn;
static uint64_t l4, l3, l2, l1[NL1], data[NDATA];
static unsigned int big_slot;
static volatile unsigned int storm_stop, storm_pins, storm_done;

static uint64_t big_va(uint64_t off)
{
	return ((uint64_t)big_slot << 39) + off;
}

static void frame_info(uint64_t mfn, struct xeno_mm_frame_info *fi)
{
	fi->mfn = mfn;
	if (HYPERVISOR_xeno_mm_op(XENO_MM_frame_info, fi) != 0) {
		fi->type = 0xff;
	}
}

static void counts(struct xeno_stats *c)
{
	if (HYPERVISOR_xeno_stats_op(XENO_STATS_read, c) != 0) {
		memset(c, 0xff, sizeof(*c));
	}
}

/* Maps the scratch page over mfn (writable) and returns it. */
static uint64_t *edit(uint64_t mfn)
{
	if (pv_map_page((uint64_t)scratch, mfn, PV_PTE_DATA) != 0) {
		pv_crash("cannot map frame 0x%lx", (unsigned long)mfn);
	}
	memset(scratch, 0, sizeof(scratch));
	return (uint64_t *)scratch;
}

/* Frames from the top of our memory, none of them mapped anywhere. */
static bool take_frames(void)
{
	uint64_t pfn = start_info->nr_pages - NFRAMES, i;

	for (i = 0; i < NFRAMES; i++) {
		if (pv_lookup_pte((uint64_t)pv_pfn_to_va(pfn + i)) & PV_PTE_P) {
			return false;
		}
	}
	l4 = pv_pfn_to_mfn(pfn++);
	l3 = pv_pfn_to_mfn(pfn++);
	l2 = pv_pfn_to_mfn(pfn++);
	for (i = 0; i < NL1; i++) {
		l1[i] = pv_pfn_to_mfn(pfn++);
	}
	for (i = 0; i < NDATA; i++) {
		data[i] = pv_pfn_to_mfn(pfn++);
	}
	return true;
}

/* Writes the tree; returns false if the kernel's L4 has no free slot. */
static bool build(void)
{
	const uint64_t *cur = pv_pfn_to_va(pv_mfn_to_pfn(pv_current_l4_mfn()));
	uint64_t *t;
	unsigned int i, j;

	for (big_slot = 1; big_slot < 256 && cur[big_slot] != 0; big_slot++) {
	}
	if (big_slot == 256) {
		return false;
	}
	scratch_mfn = pv_va_to_mfn(scratch);
	for (i = 0; i < NDATA; i++) {
		t = edit(data[i]);
		t[0] = 0xb16000 + i;
	}
	for (i = 0; i < NL1; i++) {
		t = edit(l1[i]);
		for (j = 0; j < 512; j++) {
			t[j] = (data[(i + j) % NDATA] << 12) | RO_FLAGS;
		}
	}
	t = edit(l2);
	for (i = 0; i < NL1; i++) {
		t[i] = (l1[i] << 12) | TB_FLAGS;
	}
	t = edit(l3);
	t[0] = (l2 << 12) | TB_FLAGS;
	t = edit(l4);
	memcpy(t, cur, 4096);
	t[big_slot] = (l3 << 12) | TB_FLAGS;
	return pv_map_page((uint64_t)scratch, scratch_mfn, PV_PTE_DATA) == 0;
}

/* Every table validated (pinned: the L4's count 1 is the pin). */
static void check_validated(void)
{
	struct xeno_mm_frame_info fi;
	unsigned int i;

	frame_info(l4, &fi);
	PV_CHECK_EQ(fi.type, XENO_FRAME_L4);
	PV_CHECK_EQ(fi.type_count, 1);
	PV_CHECK_EQ(fi.flags & (XENO_FRAME_PINNED | XENO_FRAME_VALIDATED),
		    XENO_FRAME_PINNED | XENO_FRAME_VALIDATED);
	frame_info(l3, &fi);
	PV_CHECK_EQ(fi.type, XENO_FRAME_L3);
	PV_CHECK_EQ(fi.type_count, 1);
	frame_info(l2, &fi);
	PV_CHECK_EQ(fi.type, XENO_FRAME_L2);
	PV_CHECK_EQ(fi.type_count, 1);
	for (i = 0; i < NL1; i += 51) {
		frame_info(l1[i], &fi);
		PV_CHECK_EQ(fi.type, XENO_FRAME_L1);
		PV_CHECK_EQ(fi.type_count, 1);
		PV_CHECK_EQ(fi.flags & XENO_FRAME_VALIDATED,
			    XENO_FRAME_VALIDATED);
	}
	/* 512 * 512 entries over NDATA frames, plus the allocation. */
	frame_info(data[3], &fi);
	PV_CHECK_EQ(fi.count, 1 + NL1 * 512 / NDATA);
}

/* Nothing left of the tree: every table idle, the data frames free. */
static void check_idle(void)
{
	struct xeno_mm_frame_info fi;
	uint64_t tables[3] = { l4, l3, l2 };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		frame_info(tables[i], &fi);
		PV_CHECK_EQ(fi.type_count, 0);
		PV_CHECK_EQ(fi.flags & (XENO_FRAME_PARTIAL | XENO_FRAME_BUSY |
					XENO_FRAME_PINNED),
			    0);
		PV_CHECK_EQ(fi.count, 1);
	}
	for (i = 0; i < NL1; i += 37) {
		frame_info(l1[i], &fi);
		PV_CHECK_EQ(fi.type_count, 0);
		PV_CHECK_EQ(fi.flags & XENO_FRAME_PARTIAL, 0);
		PV_CHECK_EQ(fi.count, 1);
	}
	for (i = 0; i < NDATA; i++) {
		frame_info(data[i], &fi);
		PV_CHECK_EQ(fi.count, 1);
	}
	/* Idle means usable as data again: map an L1 writable. */
	PV_CHECK_OK(pv_map_page((uint64_t)scratch, l1[7], PV_PTE_DATA));
	PV_CHECK_OK(pv_map_page((uint64_t)scratch, scratch_mfn, PV_PTE_DATA));
}

static void test_pin_unpin(void)
{
	struct xeno_stats a, b, c;

	pv_test_begin("bigtree.pin_unpin");
	counts(&a);
	PV_CHECK_OK(pv_pin_table(4, l4));
	counts(&b);
	check_validated();
	PV_CHECK_OK(pv_unpin_table(l4));
	counts(&c);
	check_idle();
	PV_CHECK_EQ(b.validations - a.validations, NL1 + 3);
	PV_CHECK_EQ(c.devalidations - b.devalidations, NL1 + 3);
	printf("bigtree: pin %lu continuations, unpin %lu\n",
	       (unsigned long)(b.mmu_continuations - a.mmu_continuations),
	       (unsigned long)(c.mmu_continuations - b.mmu_continuations));
	pv_test_end();
}

static void test_old_root(void)
{
	uint64_t old = pv_current_l4_mfn();
	volatile const uint64_t *p;

	pv_test_begin("bigtree.old_root");
	PV_CHECK_OK(pv_new_baseptr(l4));
	PV_CHECK_EQ(pv_current_l4_mfn(), l4);
	/* 1 GiB of read-only mappings: entry j of L1 i maps data (i+j)%8. */
	p = (volatile const uint64_t *)big_va((300ULL << 21) + (5ULL << 12));
	PV_CHECK_EQ(*p, 0xb16000 + (300 + 5) % NDATA);
	PV_CHECK_OK(pv_new_baseptr(old));
	PV_CHECK_EQ(pv_current_l4_mfn(), old);
	check_idle();
	pv_test_end();
}

/* One mmu_update of entry slot of table mfn; *done gets pdone. */
static long update1(uint64_t mfn, unsigned int slot, uint64_t val,
		    unsigned int *done)
{
	struct mmu_update r = { .ptr = (mfn << 12) + slot * 8ULL, .val = val };

	*done = 0xdead;
	return HYPERVISOR_mmu_update(&r, 1, done, DOMID_SELF);
}

static void test_clear_entry(void)
{
	uint64_t cur = pv_current_l4_mfn();
	volatile const uint64_t *p;
	struct xeno_stats a, b, c;
	struct xeno_mm_frame_info fi;
	unsigned int done;

	pv_test_begin("bigtree.clear_entry");
	counts(&a);
	PV_CHECK_OK(update1(cur, big_slot, (l3 << 12) | TB_FLAGS, &done));
	PV_CHECK_EQ(done, 1);
	counts(&b);
	PV_CHECK_EQ(b.validations - a.validations, NL1 + 2);
	frame_info(l3, &fi);
	PV_CHECK_EQ(fi.type_count, 1);
	p = (volatile const uint64_t *)big_va((77ULL << 21) + (9ULL << 12));
	PV_CHECK_EQ(*p, 0xb16000 + (77 + 9) % NDATA);
	/* One request drops the whole subtree; continued until done. */
	PV_CHECK_OK(update1(cur, big_slot, 0, &done));
	PV_CHECK_EQ(done, 1);
	counts(&c);
	PV_CHECK_EQ(c.devalidations - b.devalidations, NL1 + 2);
	printf("bigtree: entry set %lu continuations, cleared %lu\n",
	       (unsigned long)(b.mmu_continuations - a.mmu_continuations),
	       (unsigned long)(c.mmu_continuations - b.mmu_continuations));
	check_idle();
	pv_test_end();
}

static void write_cr3(uint64_t mfn)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(mfn << 12) : "memory");
}

static uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v >> 12;
}

static void test_cr3_write(void)
{
	uint64_t old = pv_current_l4_mfn();
	volatile const uint64_t *p;
	struct xeno_stats a, b, c;

	pv_test_begin("bigtree.cr3_write");
	counts(&a);
	write_cr3(l4);
	PV_CHECK_EQ(read_cr3(), l4);
	counts(&b);
	PV_CHECK_EQ(b.validations - a.validations, NL1 + 3);
	p = (volatile const uint64_t *)big_va((400ULL << 21) + (3ULL << 12));
	PV_CHECK_EQ(*p, 0xb16000 + (400 + 3) % NDATA);
	write_cr3(old);
	PV_CHECK_EQ(read_cr3(), old);
	counts(&c);
	PV_CHECK_EQ(c.devalidations - b.devalidations, NL1 + 3);
	printf("bigtree: cr3 write validation stops %lu, devalidation stops "
	       "%lu\n",
	       (unsigned long)(b.validation_stops - a.validation_stops),
	       (unsigned long)(c.devalidation_stops - b.devalidation_stops));
	check_idle();
	pv_test_end();
}

static void test_vcpu_init_fail(void)
{
	static struct vcpu_guest_context ctx;
	struct xeno_stats a, b;

	pv_test_begin("bigtree.vcpu_init_fail");
	pv_vcpu_context(&ctx, (uint64_t)stack2, (uint64_t)stack2 + 4096);
	ctx.ctrlreg[3] = l4 << 12;
	/* Checked only once the roots are validated: a table, no GDT. */
	ctx.gdt_frames[0] = l2;
	ctx.gdt_ents = 16;
	counts(&a);
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_initialise, 2, &ctx), -EINVAL);
	counts(&b);
	PV_CHECK_EQ(b.validations - a.validations, NL1 + 3);
	PV_CHECK_EQ(b.devalidations - a.devalidations, NL1 + 3);
	PV_CHECK(b.validation_stops > a.validation_stops,
		 "validation never stopped");
	PV_CHECK(b.devalidation_stops > a.devalidation_stops,
		 "devalidation never stopped");
	printf("bigtree: failed vcpu init validation stops %lu, devalidation "
	       "stops %lu\n",
	       (unsigned long)(b.validation_stops - a.validation_stops),
	       (unsigned long)(b.devalidation_stops - a.devalidation_stops));
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_up, 2, NULL), -EINVAL);
	check_idle();
	pv_test_end();
}

/* vCPU 2, on the tree: reads through it, then back to the kernel's L4. */
static void on_tree(void *arg)
{
	uint64_t home = (uint64_t)arg;

	v2_root = read_cr3();
	v2_read = *(volatile const uint64_t *)big_va((123ULL << 21) +
						     (4ULL << 12));
	if (pv_new_baseptr(home) != 0) {
		v2_root = 0;
	}
	v2_done = 1;
}

static void test_vcpu_init_root(void)
{
	struct xeno_stats a, b;

	pv_test_begin("bigtree.vcpu_init_root");
	counts(&a);
	PV_CHECK_OK(pv_vcpu_start_root(2, on_tree, (void *)pv_current_l4_mfn(),
				       stack2, sizeof(stack2), l4));
	counts(&b);
	PV_CHECK_EQ(b.validations - a.validations, NL1 + 3);
	PV_CHECK(b.validation_stops > a.validation_stops,
		 "validation never stopped");
	while (!v2_done) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	PV_CHECK_EQ(v2_root, l4);
	PV_CHECK_EQ(v2_read, 0xb16000 + (123 + 4) % NDATA);
	while (pv_vcpu_is_up(2) == 1) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	check_idle();
	pv_test_end();
}

/* Rewrites the last L1 of the tree, its last entry last. */
static void set_last_entry(uint64_t last)
{
	uint64_t *t = edit(l1[NL1 - 1]);
	unsigned int j;

	for (j = 0; j < 512; j++) {
		t[j] = (data[(NL1 - 1 + j) % NDATA] << 12) | RO_FLAGS;
	}
	t[511] = last;
	if (pv_map_page((uint64_t)scratch, scratch_mfn, PV_PTE_DATA) != 0) {
		pv_crash("cannot map the scratch page back");
	}
}

static void test_failed_pin(void)
{
	struct xeno_stats a, b, c;
	struct xeno_mm_frame_info fi;
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
	unsigned int done;

	pv_test_begin("bigtree.failed_pin");
	set_last_entry((0xffffffULL << 12) | RO_FLAGS);
	counts(&a);
	PV_CHECK_EQ(pv_pin_table(4, l4), -EPERM);
	PV_CHECK_EQ(pv_last_refusal_reason(), XENO_WHY_L1_NOT_RAM);
	counts(&b);
	PV_CHECK_EQ(b.validations - a.validations, NL1 + 3);
	PV_CHECK(b.devalidation_stops > a.devalidation_stops,
		 "the release never stopped");
	frame_info(l4, &fi);
	PV_CHECK_EQ(fi.flags & XENO_FRAME_PARTIAL, XENO_FRAME_PARTIAL);
	/* Any MMU call finishes it first (continued as needed). */
	PV_CHECK_OK(HYPERVISOR_mmuext_op(&op, 1, &done, DOMID_SELF));
	counts(&c);
	PV_CHECK_EQ(c.devalidations - a.devalidations, NL1 + 3);
	printf("bigtree: failed pin release stops %lu\n",
	       (unsigned long)(c.devalidation_stops - a.devalidation_stops));
	check_idle();
	set_last_entry((data[(NL1 - 1 + 511) % NDATA] << 12) | RO_FLAGS);
	pv_test_end();
}

/* vCPU 1: pins and unpins the big L4 until told to stop. */
static void storm(void *arg)
{
	(void)arg;
	while (!storm_stop) {
		if (pv_pin_table(4, l4) == 0) {
			storm_pins++;
			(void)pv_unpin_table(l4);
		}
	}
	storm_done = 1;
}

static void test_repin_storm(void)
{
	unsigned int i, mine = 0;
	long rc;

	pv_test_begin("bigtree.repin_storm");
	rc = pv_vcpu_start(1, storm, NULL, stack1, sizeof(stack1));
	PV_CHECK_OK(rc);
	for (i = 0; i < 6 && rc == 0; i++) {
		/* -EINVAL while vCPU 1 holds the pin (or half of it). */
		if (pv_pin_table(4, l4) == 0) {
			mine++;
			PV_CHECK_OK(pv_unpin_table(l4));
		}
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	storm_stop = 1;
	while (rc == 0 && !storm_done) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	printf("bigtree: storm pins %u here, %u on vCPU 1\n", mine, storm_pins);
	check_idle();
	pv_test_end();
}

static void bench(void)
{
	uint64_t pin_ns[ROUNDS], unpin_ns[ROUNDS], pin_c[ROUNDS],
		unpin_c[ROUNDS];
	struct xeno_stats a, b, c;
	unsigned int r;
	uint64_t t0, t1, t2;

	for (r = 0; r < ROUNDS; r++) {
		counts(&a);
		t0 = pv_now_ns();
		(void)pv_pin_table(4, l4);
		t1 = pv_now_ns();
		counts(&b);
		(void)pv_unpin_table(l4);
		t2 = pv_now_ns();
		counts(&c);
		pin_ns[r] = t1 - t0;
		unpin_ns[r] = t2 - t1;
		pin_c[r] = b.mmu_continuations - a.mmu_continuations;
		unpin_c[r] = c.mmu_continuations - b.mmu_continuations;
	}
	printf("XENO-BENCH pv_bigtree_pin_unpin pin_us=%lu unpin_us=%lu "
	       "pin_continuations=%lu unpin_continuations=%lu entries=%u\n",
	       (unsigned long)(pv_bench_median(pin_ns, ROUNDS) / 1000),
	       (unsigned long)(pv_bench_median(unpin_ns, ROUNDS) / 1000),
	       (unsigned long)pv_bench_median(pin_c, ROUNDS),
	       (unsigned long)pv_bench_median(unpin_c, ROUNDS), NL1 * 512);
}

int main(void)
{
	pv_test_begin("bigtree.build");
	PV_CHECK(take_frames(), "the top %u frames are mapped", NFRAMES);
	PV_CHECK(build(), "no free L4 slot");
	pv_test_end();
	test_pin_unpin();
	test_old_root();
	test_clear_entry();
	test_cr3_write();
	test_vcpu_init_fail();
	test_vcpu_init_root();
	test_failed_pin();
	test_repin_storm();
	bench();
	/* Left pinned: the domain's teardown releases it (in steps). */
	if (pv_pin_table(4, l4) != 0) {
		pv_crash("last pin refused");
	}
	return 0;
}
