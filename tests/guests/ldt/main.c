/* SPDX-License-Identifier: MIT */
/*
 * The LDT (pv-abi §6.2 MMUEXT_SET_LDT, §8.2, §9.11; docs/mm.md "The
 * LDT"). Run as dom0 with a second copy as the peer (cmdline=peer,
 * cases.txt); both share one CPU.
 *
 * dom0 installs an LDT with a data and a code descriptor, loads DS, ES
 * and FS from it (TI=1, RPL 3), reads memory through FS (the base comes
 * from the LDT descriptor), runs code in the LDT code segment, and keeps
 * it all across yields while the peer runs with an LDT of its own. Then
 * update_descriptor into the LDT, a selector beyond the entry count
 * (#GP with the selector as error code), replacing and removing the LDT
 * (a selector still loaded then goes through the failsafe callback), and
 * the refusals: an LDT over a page mapped writable, a misaligned base,
 * more than 8192 entries, a frame it maps but does not own (the peer's,
 * mapped through dom0's privilege), descriptors the rules refuse, a page
 * table as LDT, and making an LDT frame writable while installed.
 *
 * The peer marks one of its frames in the M2P for dom0 to find, runs its
 * own LDT through the same yields (and exits with it installed, for the
 * domain's destruction to release), and waits until dom0 marks itself
 * done with that frame (dom0's first test, so dom0 still runs long after
 * and the peer sees the mark), so that dom0 never maps a frame of a
 * domain being destroyed.
 */
#include <libpv.h>

#define E_BUSY	16
#define E_INVAL 22

#define PEER_MARK 0x1d7fee0000ULL /* M2P values no PFN has */
#define DOM0_DONE 0x1d7d0e0000ULL
#define PEER_ID	  1	     /* the first domain with a name (dom0less) */
#define SCAN	  0x10000ULL /* QEMU gives the test 256 MiB */
#define ROUNDS	  100

/* Descriptors (Intel SDM vol. 3, 3.4.5). */
#define D_DATA(base)                                                   \
	(0x00cff2000000ffffULL | (((uint64_t)(base)&0xffffff) << 16) | \
	 (((uint64_t)(base) >> 24) << 56))
#define D_CODE64_DPL0 0x00af9a000000ffffULL /* accepted as DPL 3 */
#define D_TSS	      0x0000890000000067ULL
#define D_GATE(sel, dpl, param)                                  \
	(0x0000000000000000ULL | (0xcULL << 40) | (1ULL << 47) | \
	 ((uint64_t)(dpl) << 45) | ((uint64_t)(sel) << 16) |     \
	 ((uint64_t)(param) << 32))

#define LDT_SEL(i) ((uint16_t)(((i) << 3) | 4 | 3))
#define I_DATA	   1
#define I_CODE	   2
#define I_DATA2	   3
#define FS_BASE	   0x12345000ULL
#define FS_BASE2   0x00abc000ULL

static uint8_t ldt_page[4096] __attribute__((aligned(4096)));
static uint8_t ldt_page2[4096] __attribute__((aligned(4096)));
static uint8_t big_ldt[2][4096] __attribute__((aligned(4096)));
static uint8_t rw_page[4096] __attribute__((aligned(4096)));
static uint8_t table_page[4096] __attribute__((aligned(4096)));
static uint8_t alias_page[4096] __attribute__((aligned(4096)));
static uint8_t flag_page[4096] __attribute__((aligned(4096)));
static volatile uint64_t target_word = 0x1dd7c0debeefULL;

static uint64_t *descs(void *p)
{
	return (uint64_t *)p;
}

static uint64_t mfn_of(const void *p)
{
	return pv_va_to_mfn(p);
}

#define CHECK_REFUSED(rc, err, why)                                     \
	do {                                                            \
		PV_CHECK_EQ((long)(rc), -(long)(err));                  \
		PV_CHECK_EQ(pv_last_refusal_reason(), (uint64_t)(why)); \
	} while (0)

static long set_ro(void *p)
{
	return pv_map_page((uint64_t)p, mfn_of(p), PV_PTE_P | PV_PTE_A);
}

static long set_rw(void *p)
{
	return pv_map_page((uint64_t)p, mfn_of(p), PV_PTE_DATA);
}

static long set_ldt(const void *base, unsigned int ents)
{
	return pv_mmuext(MMUEXT_SET_LDT, (uint64_t)base, ents);
}

static void load_fs(uint16_t s)
{
	__asm__ volatile("mov %0, %%fs" : : "r"(s) : "memory");
}

static uint16_t read_fs(void)
{
	uint16_t s;

	__asm__ volatile("mov %%fs, %0" : "=r"(s));
	return s;
}

/* The word at p read through FS, whose base is base. */
static uint64_t read_via_fs(const volatile void *p, uint64_t base)
{
	uint64_t off = (uint64_t)p - base, v;

	__asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
	return v;
}

/* LAR: access rights of sel, or ~0 if the CPU cannot see it. */
static uint64_t lar(uint16_t sel)
{
	uint64_t r = ~0ULL;
	uint8_t ok;

	__asm__ volatile("lar %2, %0\n\tsetz %1"
			 : "+r"(r), "=q"(ok)
			 : "r"((uint64_t)sel));
	return ok ? r : ~0ULL;
}

static uint32_t lsl(uint16_t sel)
{
	uint64_t r = ~0ULL;
	uint8_t ok;

	__asm__ volatile("lsl %2, %0\n\tsetz %1"
			 : "+r"(r), "=q"(ok)
			 : "r"((uint64_t)sel));
	return ok ? (uint32_t)r : ~0U;
}

/* Far return into the LDT code segment and back; CS seen there. */
static uint16_t cs_in_ldt_code(void)
{
	uint64_t cs = 0;
	unsigned int mask = pv_irq_save();

	__asm__ volatile(
		"pushq %[ldt]\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\tmov %%cs, %[cs]\n\t"
		"pushq %[flat]\n\t"
		"leaq 2f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"2:"
		: [cs] "=r"(cs)
		: [ldt] "i"(LDT_SEL(I_CODE)), [flat] "i"(FLAT_KERNEL_CS | 3)
		: "rax", "memory");
	pv_irq_restore(mask);
	return (uint16_t)cs;
}

/* ---- one LDT across switches ------------------------------------------------ */

static void build_ldt(void *page, uint64_t base)
{
	memset(page, 0, 4096);
	descs(page)[I_DATA] = D_DATA(base);
	descs(page)[I_CODE] = D_CODE64_DPL0;
}

static void test_install_and_use(uint64_t base, const char *name)
{
	unsigned int i, bad = 0;
	uint16_t ds = 0, es = 0;

	pv_test_begin(name);
	build_ldt(ldt_page, base);
	PV_CHECK_OK(set_ro(ldt_page));
	PV_CHECK_OK(set_ldt(ldt_page, 16));
	/* DPL 0 was raised to 3; the limit is the descriptor's. */
	PV_CHECK_EQ((lar(LDT_SEL(I_CODE)) >> 13) & 3, 3);
	PV_CHECK_EQ(lsl(LDT_SEL(I_DATA)), 0xffffffff);
	PV_CHECK_EQ(cs_in_ldt_code(), LDT_SEL(I_CODE));
	__asm__ volatile("mov %0, %%ds\n\tmov %0, %%es"
			 :
			 : "r"(LDT_SEL(I_DATA)));
	load_fs(LDT_SEL(I_DATA));
	PV_CHECK_EQ(read_via_fs(&target_word, base), target_word);
	for (i = 0; i < ROUNDS; i++) {
		PV_CHECK_OK(HYPERVISOR_sched_op(SCHEDOP_yield, NULL));
		__asm__ volatile("mov %%ds, %0\n\tmov %%es, %1"
				 : "=r"(ds), "=r"(es));
		if (ds != LDT_SEL(I_DATA) || es != LDT_SEL(I_DATA) ||
		    read_fs() != LDT_SEL(I_DATA) ||
		    read_via_fs(&target_word, base) != target_word) {
			bad++;
		}
	}
	PV_CHECK_EQ(bad, 0);
	PV_CHECK_EQ(cs_in_ldt_code(), LDT_SEL(I_CODE));
	/* Reloading after the switches still finds the LDT. */
	load_fs(LDT_SEL(I_DATA));
	PV_CHECK_EQ(read_via_fs(&target_word, base), target_word);
	__asm__ volatile("mov %0, %%ds\n\tmov %0, %%es" : : "r"(0));
	pv_test_end();
}

/* ---- dom0 only -------------------------------------------------------------- */

static volatile uint64_t gp_error, gp_count;

static void on_gp(struct pv_regs *r)
{
	gp_error = r->error_code;
	gp_count++;
	r->rip += 2; /* mov %ax, %fs */
}

static void test_update_and_limit(void)
{
	uint64_t ma = (mfn_of(ldt_page) << 12) + I_DATA2 * 8;
	pv_trap_handler_t old;

	pv_test_begin("ldt.update_descriptor_and_limit");
	/* A new entry, through update_descriptor (DPL fixed up). */
	PV_CHECK_EQ(lar(LDT_SEL(I_DATA2)), ~0ULL);
	PV_CHECK_OK(HYPERVISOR_update_descriptor(ma, D_DATA(FS_BASE2) &
							     ~(3ULL << 45)));
	PV_CHECK_EQ(descs(ldt_page)[I_DATA2], D_DATA(FS_BASE2));
	load_fs(LDT_SEL(I_DATA2));
	PV_CHECK_EQ(read_via_fs(&target_word, FS_BASE2), target_word);
	/* One the rules refuse: nothing written. */
	CHECK_REFUSED(HYPERVISOR_update_descriptor(ma, D_TSS), E_INVAL,
		      XENO_WHY_BAD_DESCRIPTOR);
	PV_CHECK_EQ(descs(ldt_page)[I_DATA2], D_DATA(FS_BASE2));
	/* Beyond the 16 entries: #GP with the selector's index and TI. */
	old = pv_trap_set_handler(PV_TRAP_GP, on_gp);
	__asm__ volatile("mov %0, %%fs"
			 :
			 : "r"((uint16_t)LDT_SEL(20))
			 : "memory");
	pv_trap_set_handler(PV_TRAP_GP, old);
	PV_CHECK_EQ(gp_count, 1);
	PV_CHECK_EQ(gp_error, (uint64_t)(LDT_SEL(20) & ~3));
	load_fs(0);
	pv_test_end();
}

static volatile unsigned int failsafe_seen;
static uint64_t failsafe_fs;

static bool on_failsafe(const uint64_t *frame)
{
	failsafe_seen++;
	failsafe_fs = frame[4];
	return true;
}

static void test_replace_remove(void)
{
	unsigned int i;

	pv_test_begin("ldt.replace_and_remove");
	/* Replace: a second page, another base for the same index. */
	build_ldt(ldt_page2, FS_BASE2);
	PV_CHECK_OK(set_ro(ldt_page2));
	PV_CHECK_OK(set_ldt(ldt_page2, 512));
	/* The first page is free again: it can be made writable. */
	PV_CHECK_OK(set_rw(ldt_page));
	load_fs(LDT_SEL(I_DATA));
	PV_CHECK_EQ(read_via_fs(&target_word, FS_BASE2), target_word);
	PV_CHECK_OK(HYPERVISOR_sched_op(SCHEDOP_yield, NULL));
	PV_CHECK_EQ(read_fs(), LDT_SEL(I_DATA));
	/*
	 * Remove it with FS still loaded: coming back to the CPU, FS cannot
	 * be reloaded, so null goes in and the failsafe callback runs. A
	 * sleep whose timer fires before the CPU switches away does not
	 * leave the CPU, so sleep until one does.
	 */
	pv_failsafe_set_handler(on_failsafe);
	PV_CHECK_OK(set_ldt(NULL, 0));
	for (i = 0; i < 200 && failsafe_seen == 0; i++) {
		PV_CHECK_OK(pv_sleep_ns(1000000));
	}
	PV_CHECK_EQ(failsafe_seen, 1);
	PV_CHECK_EQ(failsafe_fs & 0xffff, LDT_SEL(I_DATA));
	PV_CHECK_EQ(read_fs(), 0);
	pv_failsafe_set_handler(NULL);
	PV_CHECK_OK(set_rw(ldt_page2));
	pv_test_end();
}

/* Multi-page LDTs and the hostile cases. */
static void test_refusals(void)
{
	uint64_t ma;

	pv_test_begin("ldt.refused");
	/* Over a page mapped writable. */
	PV_CHECK_OK(set_rw(rw_page));
	CHECK_REFUSED(set_ldt(rw_page, 1), E_INVAL, XENO_WHY_TYPE_CONFLICT);
	/* Base not page aligned; more than 8192 entries. */
	PV_CHECK_OK(set_ro(ldt_page));
	CHECK_REFUSED(set_ldt(ldt_page + 8, 1), E_INVAL, XENO_WHY_LDT_BASE);
	CHECK_REFUSED(set_ldt(ldt_page, 8193), E_INVAL, XENO_WHY_LDT_ENTRIES);
	/* 513 entries reach into the next page, which is writable. */
	memset(big_ldt, 0, sizeof(big_ldt));
	PV_CHECK_OK(set_ro(big_ldt[0]));
	CHECK_REFUSED(set_ldt(big_ldt[0], 513), E_INVAL,
		      XENO_WHY_TYPE_CONFLICT);
	PV_CHECK_OK(set_ro(big_ldt[1]));
	PV_CHECK_OK(set_ldt(big_ldt[0], 1024));
	PV_CHECK_OK(set_ldt(NULL, 0));
	PV_CHECK_OK(set_rw(big_ldt[0]));
	PV_CHECK_OK(set_rw(big_ldt[1]));
	/* A page of the LDT not mapped. */
	PV_CHECK_OK(pv_unmap((uint64_t)alias_page));
	CHECK_REFUSED(set_ldt(alias_page, 1), E_INVAL, XENO_WHY_LDT_UNMAPPED);
	PV_CHECK_OK(set_rw(alias_page));
	/* A page table of ours. */
	PV_CHECK_OK(set_ro(table_page));
	PV_CHECK_OK(pv_pin_table(1, mfn_of(table_page)));
	CHECK_REFUSED(set_ldt(table_page, 1), E_INVAL, XENO_WHY_TYPE_CONFLICT);
	PV_CHECK_OK(pv_unpin_table(mfn_of(table_page)));
	PV_CHECK_OK(set_rw(table_page));
	pv_test_end();

	pv_test_begin("ldt.bad_descriptors");
	/* Each refused kind alone in the page; the LDT stays unset. */
	{
		static const uint64_t bad[] = {
			D_TSS,
			D_GATE(0xe010, 3, 0),	      /* reserved GDT target */
			D_GATE(FLAT_KERNEL_CS, 3, 1), /* parameter count */
			0x00008e0000000000ULL,	      /* interrupt gate */
			0x0000820000000fffULL,	      /* an LDT descriptor */
		};
		unsigned int i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			PV_CHECK_OK(set_rw(ldt_page));
			memset(ldt_page, 0, 4096);
			descs(ldt_page)[5] = bad[i];
			PV_CHECK_OK(set_ro(ldt_page));
			CHECK_REFUSED(set_ldt(ldt_page, 16), E_INVAL,
				      XENO_WHY_BAD_DESCRIPTOR);
			PV_CHECK_EQ(descs(ldt_page)[5], bad[i]);
		}
	}
	/* A call gate to the flat kernel CS is kept, made DPL 0. */
	PV_CHECK_OK(set_rw(ldt_page));
	memset(ldt_page, 0, 4096);
	descs(ldt_page)[4] = D_GATE(FLAT_KERNEL_CS, 3, 0);
	PV_CHECK_OK(set_ro(ldt_page));
	PV_CHECK_OK(set_ldt(ldt_page, 16));
	PV_CHECK_EQ((descs(ldt_page)[4] >> 45) & 3, 0);
	/* Installed: its frame cannot be made writable, nor a table. */
	CHECK_REFUSED(set_rw(ldt_page), E_BUSY, XENO_WHY_TYPE_CONFLICT);
	CHECK_REFUSED(pv_pin_table(1, mfn_of(ldt_page)), E_INVAL,
		      XENO_WHY_TYPE_CONFLICT);
	/* update_descriptor there checks like any descriptor page. */
	ma = (mfn_of(ldt_page) << 12) + 6 * 8;
	CHECK_REFUSED(HYPERVISOR_update_descriptor(ma, D_GATE(0xe010, 3, 0)),
		      E_INVAL, XENO_WHY_BAD_DESCRIPTOR);
	PV_CHECK_OK(set_ldt(NULL, 0));
	PV_CHECK_OK(set_rw(ldt_page));
	pv_test_end();
}

/* The peer's marked frame, mapped read-only through our privilege. */
static bool owned(uint64_t mfn)
{
	uint64_t pfn = pv_mfn_to_pfn(mfn);

	return pfn < start_info->nr_pages && pv_pfn_to_mfn(pfn) == mfn;
}

static uint64_t find_mark(uint64_t mark)
{
	uint64_t mfn;

	for (mfn = 0; mfn < SCAN; mfn++) {
		if (pv_mfn_to_pfn(mfn) == mark && !owned(mfn)) {
			return mfn;
		}
	}
	return PV_INVALID_FRAME;
}

static void set_mark(uint64_t mark)
{
	struct mmu_update u = {
		.ptr = (mfn_of(flag_page) << 12) | MMU_MACHPHYS_UPDATE,
		.val = mark,
	};

	PV_CHECK_OK(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF));
}

static void test_not_owned(void)
{
	uint64_t until = pv_now_ns() + 20000000000ULL, peer;
	struct mmu_update u;

	pv_test_begin("ldt.frame_not_owned");
	while ((peer = find_mark(PEER_MARK)) == PV_INVALID_FRAME &&
	       pv_now_ns() < until) {
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
	PV_CHECK(peer != PV_INVALID_FRAME, "no peer frame found");
	if (peer != PV_INVALID_FRAME) {
		u.ptr = pv_l1e_maddr((uint64_t)alias_page) |
			MMU_NORMAL_PT_UPDATE;
		u.val = (peer << 12) | PV_PTE_P | PV_PTE_A;
		PV_CHECK_OK(HYPERVISOR_mmu_update(&u, 1, NULL, PEER_ID));
		PV_CHECK_OK(pv_invlpg_local((uint64_t)alias_page));
		CHECK_REFUSED(set_ldt(alias_page, 1), E_INVAL,
			      XENO_WHY_NOT_OWN_FRAME);
		PV_CHECK_OK(set_rw(alias_page));
	}
	pv_test_end();
}

static void peer_main(void)
{
	uint64_t until = pv_now_ns() + 30000000000ULL;

	set_mark(PEER_MARK);
	/* Its LDT stays installed: the domain's end must drop it. */
	test_install_and_use(FS_BASE2, "ldt.peer_install_and_use");
	while (find_mark(DOM0_DONE) == PV_INVALID_FRAME &&
	       pv_now_ns() < until) {
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
}

int main(void)
{
	if (start_info->cmd_line[0] == 'p') {
		peer_main();
		return 0;
	}
	/* First, so the peer can stop waiting while we still run. */
	test_not_owned();
	set_mark(DOM0_DONE);
	test_install_and_use(FS_BASE, "ldt.install_and_use");
	test_update_and_limit();
	test_replace_remove();
	test_refusals();
	return 0;
}
