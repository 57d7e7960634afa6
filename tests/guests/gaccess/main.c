/* SPDX-License-Identifier: MIT */
/*
 * Xeno reading and writing our memory for a hypercall (docs/mm.md §12.1,
 * mm/guest_access.c): directly through our live page tables in kernel
 * mode, or by its software walk (direct_access=off). Both must give the
 * same answers, so tests/integration/cases.txt runs this guest both ways:
 *
 *  - a copy that faults half way across two pages (the first mapped, the
 *    second not), writing and reading, the fault among whole quadwords
 *    and among the last bytes: -EFAULT, every byte before the first
 *    inaccessible one written, nothing after it;
 *  - writes into read-only pages (a data page, a range running from a
 *    writable page into a read-only one, our own L1 table, also with the
 *    writable-page-table assist on): -EFAULT, the page unchanged;
 *  - pointers into or across the hypervisor's range, the non-canonical
 *    hole and the top of the address space: -EFAULT, even for the M2P,
 *    which we can read ourselves;
 *  - (cmdline=race, vcpus=2) vCPU 1 copies to and from a page while
 *    vCPU 0 unmaps it, makes it an L1 table, watches the table, and maps
 *    it back: every copy gives 0 or -EFAULT, nothing else, and no write
 *    ever reaches the frame while it is a table.
 */
#include <libpv.h>

#define VA(p)	   ((uint64_t)(uintptr_t)(p))
#define PAGE	   4096
#define HYP_START  0xffff800000000000ULL /* HYPERVISOR_VIRT_START: the M2P */
#define HYP_END	   0xffff880000000000ULL /* HYPERVISOR_VIRT_END */
#define HYP_DIRECT 0xffff830000000000ULL /* Xeno's direct map */
#define LOW_END	   0x0000800000000000ULL /* 2^47 */
#define RO_FLAGS   (PV_PTE_P | PV_PTE_A)

/* Our work pages; which ones are unmapped or read-only is per test. */
static uint8_t pages[4][PAGE] __attribute__((aligned(PAGE)));

/* XENVER_extraversion's 16 bytes, as a well-placed buffer receives them. */
static char extra[16];

static long extraversion(uint64_t va)
{
	return HYPERVISOR_xen_version(XENVER_extraversion, (void *)va);
}

static long capabilities(uint64_t va)
{
	return HYPERVISOR_xen_version(XENVER_capabilities, (void *)va);
}

/* How many bytes of p[0..n) differ from c. */
static unsigned int count_not(const uint8_t *p, size_t n, uint8_t c)
{
	unsigned int bad = 0;

	for (size_t i = 0; i < n; i++) {
		bad += p[i] != c;
	}
	return bad;
}

/* ---- a fault half way across two pages --------------------------------- */

static void test_multipage_write(void)
{
	uint8_t *a = pages[0], *b = pages[1];
	static char caps[1024];

	pv_test_begin("gaccess.multipage_write");
	PV_CHECK_OK(extraversion(VA(extra)));
	PV_CHECK_OK(capabilities(VA(caps)));
	PV_CHECK_OK(pv_unmap(VA(b)));

	/* 16 bytes, 8 on each page: the first quadword lands, no more. */
	memset(a, 0x5a, PAGE);
	PV_CHECK_EQ(extraversion(VA(a) + PAGE - 8), -EFAULT);
	PV_CHECK_EQ(memcmp(a + PAGE - 8, extra, 8), 0);
	PV_CHECK_EQ(count_not(a, PAGE - 8, 0x5a), 0);

	/*
	 * 1024 bytes from 1001 before the end: the quadword that crosses
	 * the boundary starts on the mapped page; its first byte is still
	 * written, exactly like the walk's page-by-page copy.
	 */
	memset(a, 0x5a, PAGE);
	PV_CHECK_EQ(capabilities(VA(a) + PAGE - 1001), -EFAULT);
	PV_CHECK_EQ(memcmp(a + PAGE - 1001, caps, 1001), 0);
	PV_CHECK_EQ(a[PAGE - 1], (uint8_t)caps[1000]);
	PV_CHECK_EQ(count_not(a, PAGE - 1001, 0x5a), 0);

	/* The same two pages, both mapped: the copy goes through. */
	PV_CHECK_OK(pv_map_page(VA(b), pv_va_to_mfn(b), PV_PTE_DATA));
	memset(b, 0x5a, PAGE);
	PV_CHECK_OK(capabilities(VA(a) + PAGE - 1001));
	PV_CHECK_EQ(memcmp(a + PAGE - 1001, caps, 1024), 0);
	PV_CHECK_EQ(count_not(b + 23, PAGE - 23, 0x5a), 0);
	pv_test_end();
}

static void test_multipage_read(void)
{
	uint8_t *a = pages[0], *b = pages[1];
	uint64_t runstate_gva = 0;
	struct sched_poll poll;
	uint32_t *ports;

	pv_test_begin("gaccess.multipage_read");
	PV_CHECK_OK(pv_unmap(VA(b)));
	memset(a, 0, PAGE);
	/* 13 bytes, 11 mapped: the fault comes among the last five. */
	PV_CHECK_EQ(HYPERVISOR_console_io(CONSOLEIO_write, 13,
					  (char *)(VA(a) + PAGE - 11)),
		    -EFAULT);
	/* An 8-byte argument split 4 + 4. */
	PV_CHECK_EQ(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
				       (void *)(VA(a) + PAGE - 4)),
		    -EFAULT);
	/* A structure split 4 + 4, read before anything is written back. */
	PV_CHECK_EQ(HYPERVISOR_xen_version(XENVER_get_features,
					   (void *)(VA(a) + PAGE - 4)),
		    -EFAULT);
	PV_CHECK_EQ(count_not(a, PAGE, 0), 0);
	/* An array of two ports, one on each page. */
	ports = (uint32_t *)(VA(a) + PAGE - 4);
	*ports = 1;
	memset(&poll, 0, sizeof(poll));
	poll.ports = VA(ports);
	poll.nr_ports = 2;
	PV_CHECK_EQ(HYPERVISOR_sched_op(SCHEDOP_poll, &poll), -EFAULT);
	/* Nothing was registered by the refused call: 0 is accepted. */
	PV_CHECK_OK(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
				       &runstate_gva));
	PV_CHECK_OK(pv_map_page(VA(b), pv_va_to_mfn(b), PV_PTE_DATA));
	pv_test_end();
}

/* ---- writes into read-only pages --------------------------------------- */

static void test_readonly(void)
{
	uint8_t *w = pages[2], *ro = pages[3];
	uint64_t ro_mfn = pv_va_to_mfn(ro);
	uint64_t *pte, before;

	pv_test_begin("gaccess.readonly");
	memset(ro, 0xa5, PAGE);
	PV_CHECK_OK(pv_map_page(VA(ro), ro_mfn, RO_FLAGS));
	PV_CHECK_EQ(extraversion(VA(ro)), -EFAULT);
	PV_CHECK_EQ(extraversion(VA(ro) + PAGE - 16), -EFAULT);
	PV_CHECK_EQ(count_not(ro, PAGE, 0xa5), 0);

	/* From a writable page into the read-only one after it. */
	memset(w, 0, PAGE);
	PV_CHECK_EQ(extraversion(VA(ro) - 8), -EFAULT);
	PV_CHECK_EQ(memcmp(w + PAGE - 8, extra, 8), 0);
	PV_CHECK_EQ(count_not(ro, PAGE, 0xa5), 0);

	/* Our own L1 table (mapped read-only, as every page table is). */
	pte = pv_l1e_ptr(VA(ro));
	PV_CHECK_NE(VA(pte), 0);
	if (pte != NULL) {
		before = *pte;
		PV_CHECK_EQ(extraversion(VA(pte)), -EFAULT);
		PV_CHECK_EQ(*pte, before);
		/* The assist emulates the guest's stores, never Xeno's. */
		PV_CHECK_OK(pv_writable_pagetables(true));
		PV_CHECK_EQ(extraversion(VA(pte)), -EFAULT);
		PV_CHECK_OK(pv_writable_pagetables(false));
		PV_CHECK_EQ(*pte, before);
	}
	/* Our L4, read-only too. */
	PV_CHECK_EQ(extraversion(start_info->pt_base), -EFAULT);

	PV_CHECK_OK(pv_map_page(VA(ro), ro_mfn, PV_PTE_DATA));
	PV_CHECK_OK(extraversion(VA(ro)));
	PV_CHECK_EQ(memcmp(ro, extra, 16), 0);
	pv_test_end();
}

/* ---- the hypervisor's range and the edges of the address space -------- */

static void test_hypervisor_range(void)
{
	char local[16];

	pv_test_begin("gaccess.hypervisor_range");
	/* We may read the M2P ourselves; Xeno does not read it for us. */
	PV_CHECK_NE(pv_mfn_to_pfn(pv_va_to_mfn(pages[0])), PV_INVALID_FRAME);
	PV_CHECK_EQ(
		HYPERVISOR_console_io(CONSOLEIO_write, 8, (char *)HYP_START),
		-EFAULT);
	PV_CHECK_EQ(extraversion(HYP_START), -EFAULT);
	PV_CHECK_EQ(extraversion(HYP_DIRECT + 0x200000), -EFAULT);
	PV_CHECK_EQ(HYPERVISOR_console_io(CONSOLEIO_write, 8,
					  (char *)(HYP_DIRECT + 0x100000)),
		    -EFAULT);
	/* Crossing out of the hypervisor's range into the guest's part. */
	PV_CHECK_EQ(extraversion(HYP_END - 8), -EFAULT);
	/* Crossing from the guest's part into the non-canonical hole. */
	PV_CHECK_EQ(extraversion(LOW_END - 8), -EFAULT);
	PV_CHECK_EQ(extraversion(HYP_START - 8), -EFAULT);
	/* Wrapping around the top of the address space. */
	PV_CHECK_EQ(extraversion(0xfffffffffffffff8ULL), -EFAULT);
	/* The guest's upper part is fine: our stack lives there. */
	PV_CHECK_GE(VA(local), HYP_END);
	PV_CHECK_OK(extraversion(VA(local)));
	PV_CHECK_EQ(memcmp(local, extra, 16), 0);
	pv_test_end();
}

/* ---- a copy racing with an unmap on another vCPU ------------------------ */

#define RACE_ROUNDS 400

static uint8_t race_page[PAGE] __attribute__((aligned(PAGE)));
static uint8_t alias_q[PAGE] __attribute__((aligned(PAGE)));
static uint8_t alias_r[PAGE] __attribute__((aligned(PAGE)));
static uint8_t stack1[16384] __attribute__((aligned(16)));

static volatile unsigned int race_stop, race_done;
static volatile unsigned int copies_ok, copies_efault, copies_other;

/* vCPU 1: writes (and reads back through get_features) until told. */
static void racer(void *arg)
{
	(void)arg;
	while (!race_stop) {
		long w = extraversion(VA(race_page) + 8);
		long r = HYPERVISOR_xen_version(XENVER_get_features,
						race_page + 64);

		for (unsigned int i = 0; i < 2; i++) {
			long rc = i == 0 ? w : r;

			if (rc == 0) {
				copies_ok = copies_ok + 1;
			} else if (rc == -EFAULT) {
				copies_efault = copies_efault + 1;
			} else {
				copies_other = copies_other + 1;
			}
		}
	}
	race_done = 1;
}

/* Zeroes the frame through a writable alias that goes away again. */
static long zero_frame(uint64_t mfn)
{
	long rc = pv_map_page(VA(alias_q), mfn, PV_PTE_DATA);

	if (rc != 0) {
		return rc;
	}
	memset(alias_q, 0, PAGE);
	return pv_unmap(VA(alias_q));
}

/* How many bytes of p[0..n) differ from q[0..n). */
static unsigned int count_diff(const uint8_t *p, const uint8_t *q, size_t n)
{
	unsigned int bad = 0;

	for (size_t i = 0; i < n; i++) {
		bad += p[i] != q[i];
	}
	return bad;
}

static uint8_t snapshot[PAGE];

/*
 * One round: unmap the page, zero the frame, pin it as an L1, watch the
 * table through a read-only alias, unpin, map it back.
 *
 * flush_all: the unmap flushes every vCPU's TLB and returns only when
 * vCPU 1's CPU has flushed, after any copy it was in; from then on no
 * copy reaches the frame, so the table must be and stay all zero.
 * Otherwise only this vCPU flushes: vCPU 1's CPU may keep the old
 * writable translation, and a copy through it may land after the
 * zeroing (allowed: the frame is still writable data). What the racer
 * writes reads as not-present entries (".0-xeno" starts with an even
 * byte, get_features writes submap_idx 0 into the low half), so the pin
 * succeeds either way. Xeno must flush that CPU before the frame becomes
 * a table, so once pinned the table must not change.
 *
 * With the software walk (direct_access=off) a copy in flight holds a
 * writable type reference on the frame, so a pin may meet it: -EINVAL
 * with XENO_WHY_TYPE_CONFLICT, and a retry (after zeroing again)
 * succeeds once the copy is over. Direct copies take no references: no
 * pin is ever refused (cases.txt checks the count). Returns the retries.
 */
static unsigned int race_round(uint64_t mfn, bool flush_all,
			       unsigned int *nonzero, unsigned int *changed)
{
	unsigned int retries = 0;
	long rc;

	PV_CHECK_OK(HYPERVISOR_update_va_mapping(
		VA(race_page), 0, UVMF_INVLPG | (flush_all ? UVMF_ALL : 0)));
	for (;;) {
		PV_CHECK_OK(zero_frame(mfn));
		rc = pv_pin_table(1, mfn);
		if (rc != -EINVAL || retries == 1000) {
			break;
		}
		PV_CHECK_EQ(pv_last_refusal_reason(), XENO_WHY_TYPE_CONFLICT);
		retries++;
	}
	PV_CHECK_OK(rc);
	memcpy(snapshot, alias_r, PAGE);
	if (flush_all) {
		*nonzero += count_not(snapshot, PAGE, 0);
	}
	for (unsigned int i = 0; i < 50; i++) {
		*changed += count_diff(alias_r, snapshot, PAGE);
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	PV_CHECK_OK(pv_unpin_table(mfn));
	PV_CHECK_OK(pv_map_page(VA(race_page), mfn, PV_PTE_DATA));
	return retries;
}

static void test_race(void)
{
	uint64_t mfn = pv_va_to_mfn(race_page);
	unsigned int nonzero = 0, changed = 0, retries = 0, round;

	pv_test_begin("gaccess.race_unmap");
	memset(race_page, 0, PAGE);
	PV_CHECK_OK(pv_map_page(VA(alias_r), mfn, RO_FLAGS));
	PV_CHECK_OK(pv_vcpu_start(1, racer, NULL, stack1, sizeof(stack1)));
	for (round = 0; round < RACE_ROUNDS; round++) {
		retries +=
			race_round(mfn, (round & 1) != 0, &nonzero, &changed);
	}
	race_stop = 1;
	for (unsigned int i = 0; i < 1000000 && !race_done; i++) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	PV_CHECK_EQ(race_done, 1);
	PV_CHECK_EQ(nonzero, 0);
	PV_CHECK_EQ(changed, 0);
	PV_CHECK_EQ(copies_other, 0);
	PV_CHECK_GT(copies_ok + copies_efault, 0);
	printf("gaccess race: %u copies 0, %u -EFAULT, %u pins retried\n",
	       copies_ok, copies_efault, retries);
	PV_CHECK_OK(pv_unmap(VA(alias_r)));
	pv_test_end();
}

int main(void)
{
	test_multipage_write();
	test_multipage_read();
	test_readonly();
	test_hypervisor_range();
	if (strcmp(start_info->cmd_line, "race") == 0) {
		test_race();
	}
	return 0;
}
