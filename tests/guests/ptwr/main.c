/* SPDX-License-Identifier: MIT */
/*
 * Writable page tables (pv-abi §9.10, docs/mm.md "Writable page
 * tables"): the guest writes the L1 entry of one of its own pages with
 * plain stores into its bootstrap L1 table, which the builder mapped
 * read-only. With the assist on, each supported instruction form is
 * emulated (MOV r64, MOV imm32, MOV r32 halves, MOV imm8, XCHG, LOCK
 * CMPXCHG succeeding and failing) and the page is read through the new
 * mapping. Hostile stores (a frame not ours, a writable mapping of a
 * page table, hypervisor memory, bad flags, unsupported or misaligned
 * instructions, a segment override) each come back as the original #PF
 * (error code P|W, CR2 the entry's address, RIP the store) with the
 * reason recorded (xeno_mm_op); without the assist, and on an L2, a
 * store is a plain #PF with nothing recorded.
 */
#include <libpv.h>

#define VA(p)	      ((uint64_t)(p))
#define HYP_IMAGE_MFN 0x100ULL /* Xeno is loaded at 1 MiB */
#define E_PERM	      1
#define E_FAULT	      14
#define E_BUSY	      16
#define E_INVAL	      22
#define PFEC_PW	      (PV_PFEC_PRESENT | PV_PFEC_WRITE)

static uint8_t slot[4096] __attribute__((aligned(4096)));
static uint8_t page_a[4096] __attribute__((aligned(4096)));
static uint8_t page_b[4096] __attribute__((aligned(4096)));

/* The pages as memory that may change behind the compiler's back. */
#define SLOT(i)	  (((volatile uint8_t *)slot)[i])
#define PAGE_B(i) (((volatile uint8_t *)page_b)[i])

static uint64_t *pte; /* slot's L1 entry, through the read-only window */
static uint64_t orig; /* slot's entry at start */
static uint64_t mfn_a, mfn_b;

/* What the last #PF handler saw. */
static volatile struct {
	unsigned int count;
	uint64_t error, cr2, rip;
} pf;

/* Where the store under test is, and where to resume after a fault. */
static uint64_t fault_rip, resume_rip;

PV_HANDLER static void on_pf(struct pv_regs *regs)
{
	pf.count++;
	pf.error = regs->error_code;
	pf.cr2 = pv_read_cr2();
	pf.rip = regs->rip;
	regs->rip = resume_rip;
}

/* Registers of a store: RDI the address, RCX the value, RAX the
 * comparand; after it, RAX, RCX and ZF. */
struct io {
	uint64_t rax, rcx;
	uint8_t zf;
};

/*
 * Runs pre, then insn at label 1 (label 2 right after it), with
 * RDI = addr. The #PF handler resumes at label 2.
 */
#define RUN(pre, insn, addr, io)                                              \
	__asm__ volatile("lea 1f(%%rip), %%rdx\n\t"                           \
			 "mov %%rdx, %[f]\n\t"                                \
			 "lea 2f(%%rip), %%rdx\n\t"                           \
			 "mov %%rdx, %[r]\n\t" pre "\n"                       \
			 "1: " insn "\n"                                      \
			 "2: setz %[zf]\n\t"                                  \
			 : [f] "=m"(fault_rip), [r] "=m"(resume_rip),         \
			   "+a"((io).rax), "+c"((io).rcx), [zf] "=m"((io).zf) \
			 : "D"(addr)                                          \
			 : "rdx", "memory", "cc")

static uint64_t entry(uint64_t mfn, uint64_t flags)
{
	return (mfn << 12) | flags;
}

/* The frame slot maps now, after flushing its translation. */
static uint64_t slot_mfn(void)
{
	pv_invlpg_local(VA(slot));
	return (*pte & PV_PTE_ADDR) >> 12;
}

static void restore(void)
{
	PV_CHECK_OK(
		pv_map_page(VA(slot), (orig & PV_PTE_ADDR) >> 12, PV_PTE_DATA));
}

static struct xeno_mm_refusal last(void)
{
	struct xeno_mm_refusal r = { 0 };

	PV_CHECK_OK(HYPERVISOR_xeno_mm_op(XENO_MM_last_refusal, &r));
	return r;
}

/* ---- the supported forms ---------------------------------------------- */

static void test_mov_r64(void)
{
	struct io io = { .rcx = entry(mfn_a, PV_PTE_DATA) };
	unsigned int faults = pf.count;

	pv_test_begin("ptwr.mov_r64");
	RUN("", "movq %%rcx, (%%rdi)", pte, io);
	PV_CHECK_EQ(pf.count, faults);
	PV_CHECK_EQ(slot_mfn(), mfn_a);
	PV_CHECK_EQ(SLOT(0), 'A');
	/* Through a displacement, back to B. */
	io.rcx = entry(mfn_b, PV_PTE_DATA);
	RUN("", "movq %%rcx, 0x10(%%rdi)", pte - 2, io);
	PV_CHECK_EQ(pf.count, faults);
	PV_CHECK_EQ(slot_mfn(), mfn_b);
	PV_CHECK_EQ(SLOT(0), 'B');
	/* Writes through the new mapping reach B. */
	SLOT(1) = 'x';
	PV_CHECK_EQ(PAGE_B(1), 'x');
	restore();
	pv_test_end();
}

static void test_mov_imm32(void)
{
	struct io io = { 0 };
	unsigned int faults = pf.count;

	pv_test_begin("ptwr.mov_imm32_unmaps");
	RUN("", "movq $0, (%%rdi)", pte, io);
	PV_CHECK_EQ(pf.count, faults);
	PV_CHECK_EQ(*pte, 0);
	pv_invlpg_local(VA(slot));
	/* Reading the page now faults: not present. */
	RUN("", "movb (%%rdi), %%cl", slot, io);
	PV_CHECK_EQ(pf.count, faults + 1);
	PV_CHECK_EQ(pf.error, 0);
	PV_CHECK_EQ(pf.cr2, VA(slot));
	restore();
	pv_test_end();
}

static void test_mov_r32_halves(void)
{
	uint64_t e = entry(mfn_a, PV_PTE_DATA);
	struct io io = { .rcx = e & 0xffffffff };
	unsigned int faults = pf.count;

	pv_test_begin("ptwr.mov_r32_halves");
	PV_CHECK_OK(pv_unmap(VA(slot)));
	/* The low half maps A (the high half is 0). */
	RUN("", "movl %%ecx, (%%rdi)", pte, io);
	PV_CHECK_EQ(slot_mfn(), mfn_a);
	PV_CHECK_EQ(SLOT(0), 'A');
	/* The high half sets NX and keeps the rest. */
	io.rcx = 0x80000000;
	RUN("", "movl %%ecx, 4(%%rdi)", pte, io);
	PV_CHECK_EQ(*pte & PV_PTE_NX, PV_PTE_NX);
	PV_CHECK_EQ(slot_mfn(), mfn_a);
	PV_CHECK_EQ(SLOT(0), 'A');
	/* One byte: clearing the low byte clears P. */
	RUN("", "movb $0, (%%rdi)", pte, io);
	PV_CHECK_EQ(*pte & PV_PTE_P, 0);
	PV_CHECK_EQ(pf.count, faults);
	restore();
	pv_test_end();
}

static void test_xchg(void)
{
	struct io io = { .rcx = entry(mfn_a, PV_PTE_DATA) };
	uint64_t before = *pte;

	pv_test_begin("ptwr.xchg");
	RUN("", "xchgq %%rcx, (%%rdi)", pte, io);
	/* RCX has the old entry as it was stored. */
	PV_CHECK_EQ(io.rcx, before);
	PV_CHECK_EQ(slot_mfn(), mfn_a);
	PV_CHECK_EQ(SLOT(0), 'A');
	PV_CHECK_EQ(pv_pte_xchg(pte, entry(mfn_b, PV_PTE_DATA)) & PV_PTE_ADDR,
		    mfn_a << 12);
	PV_CHECK_EQ(slot_mfn(), mfn_b);
	restore();
	pv_test_end();
}

static void test_cmpxchg(void)
{
	struct io io;
	uint64_t cur;

	pv_test_begin("ptwr.cmpxchg_success");
	cur = *pte;
	io = (struct io){ .rax = cur, .rcx = entry(mfn_b, PV_PTE_DATA) };
	RUN("test %%rsp, %%rsp", "lock cmpxchgq %%rcx, (%%rdi)", pte, io);
	PV_CHECK_EQ(io.zf, 1);
	PV_CHECK_EQ(io.rax, cur);
	PV_CHECK_EQ(slot_mfn(), mfn_b);
	PV_CHECK_EQ(SLOT(0), 'B');
	pv_test_end();

	pv_test_begin("ptwr.cmpxchg_failure");
	cur = *pte;
	io = (struct io){ .rax = 0x1234, .rcx = entry(mfn_a, PV_PTE_DATA) };
	RUN("xor %%edx, %%edx", "lock cmpxchgq %%rcx, (%%rdi)", pte, io);
	PV_CHECK_EQ(io.zf, 0);
	PV_CHECK_EQ(io.rax, cur);
	PV_CHECK_EQ(*pte, cur);
	PV_CHECK_EQ(slot_mfn(), mfn_b);
	/* The libpv helper: success returns the old value. */
	PV_CHECK_EQ(pv_pte_cmpxchg(pte, cur, entry(mfn_a, PV_PTE_DATA)), cur);
	PV_CHECK_EQ(slot_mfn(), mfn_a);
	PV_CHECK_EQ(SLOT(0), 'A');
	restore();
	pv_test_end();
}

static void test_helpers(void)
{
	pv_test_begin("ptwr.pv_pte_store");
	pv_pte_store(pte, entry(mfn_b, PV_PTE_DATA));
	PV_CHECK_EQ(slot_mfn(), mfn_b);
	PV_CHECK_EQ(SLOT(0), 'B');
	pv_pte_store(pv_l1e_ptr(VA(slot)), orig);
	PV_CHECK_EQ(slot_mfn(), (orig & PV_PTE_ADDR) >> 12);
	pv_test_end();
}

/* ---- hostile stores ---------------------------------------------------- */

static bool owned(uint64_t mfn)
{
	uint64_t pfn = pv_mfn_to_pfn(mfn);

	return pfn < start_info->nr_pages && pv_pfn_to_mfn(pfn) == mfn;
}

static uint64_t foreign_frame(void)
{
	uint64_t mfn = 0xff00; /* QEMU gives the test 256 MiB */

	while (owned(mfn)) {
		mfn--;
	}
	return mfn;
}

/*
 * After a refused store at fault_rip into *pte: one #PF with the
 * original error code and CR2, the entry unchanged, and a new refusal
 * record with the error and reason.
 */
static void check_refused_at(uint64_t addr, unsigned int faults, uint64_t seq,
			     uint64_t before, int err, unsigned int reason)
{
	struct xeno_mm_refusal r = last();

	PV_CHECK_EQ(pf.count, faults + 1);
	PV_CHECK_EQ(pf.error, PFEC_PW);
	PV_CHECK_EQ(pf.cr2, addr);
	PV_CHECK_EQ(pf.rip, fault_rip);
	PV_CHECK_EQ(*pte, before);
	PV_CHECK_EQ(r.seq, seq + 1);
	PV_CHECK_EQ(r.hypercall, XENO_MM_PTWR_FAULT);
	PV_CHECK_EQ(r.cmd, PFEC_PW);
	PV_CHECK_EQ(r.error, -err);
	PV_CHECK_EQ(r.reason, reason);
}

static void check_refused(unsigned int faults, uint64_t seq, uint64_t before,
			  int err, unsigned int reason)
{
	check_refused_at(VA(pte), faults, seq, before, err, reason);
}

/* Stores val with MOV r64 and expects the refusal. */
static void refused_store(uint64_t val, int err, unsigned int reason)
{
	unsigned int faults = pf.count;
	uint64_t seq = last().seq, before = *pte;
	struct io io = { .rcx = val };

	RUN("", "movq %%rcx, (%%rdi)", pte, io);
	check_refused(faults, seq, before, err, reason);
}

static void test_foreign_frame(void)
{
	uint64_t val = entry(foreign_frame(), PV_PTE_P | PV_PTE_A);

	pv_test_begin("ptwr.hostile.frame_not_owned");
	refused_store(val, E_BUSY, XENO_WHY_L1_NOT_OWNER);
	PV_CHECK_EQ(last().value, val);
	PV_CHECK_EQ(last().slot, (VA(slot) >> 12) & 511);
	PV_CHECK_EQ(last().table, pv_l1e_maddr(VA(slot)) >> 12);
	PV_CHECK_EQ(slot_mfn(), (orig & PV_PTE_ADDR) >> 12);
	pv_test_end();
}

static void test_writable_table(void)
{
	uint64_t l1 = pv_l1e_maddr(VA(slot)) >> 12;

	pv_test_begin("ptwr.hostile.writable_page_table");
	refused_store(entry(l1, PV_PTE_DATA), E_BUSY, XENO_WHY_TYPE_CONFLICT);
	PV_CHECK_EQ(last().type, XENO_FRAME_L1);
	refused_store(entry(pv_current_l4_mfn(), PV_PTE_DATA), E_BUSY,
		      XENO_WHY_TYPE_CONFLICT);
	PV_CHECK_EQ(last().type, XENO_FRAME_L4);
	/* Read-only is the allowed way to look at a table. */
	pv_pte_store(pte, entry(l1, PV_PTE_P | PV_PTE_A));
	PV_CHECK_EQ(slot_mfn(), l1);
	PV_CHECK_EQ((((volatile uint64_t *)slot)[(VA(slot) >> 12) & 511] &
		     PV_PTE_ADDR) >>
			    12,
		    l1);
	restore();
	pv_test_end();
}

static void test_hypervisor_memory(void)
{
	pv_test_begin("ptwr.hostile.hypervisor_memory");
	refused_store(entry(HYP_IMAGE_MFN, PV_PTE_P), E_PERM,
		      XENO_WHY_L1_NOT_RAM);
	refused_store(~0ULL, E_INVAL, XENO_WHY_BAD_FLAGS);
	pv_test_end();
}

static void test_unsupported(void)
{
	unsigned int faults;
	uint64_t seq, before;
	struct io io = { .rcx = 0 };

	pv_test_begin("ptwr.hostile.unsupported_instruction");
	faults = pf.count;
	seq = last().seq;
	before = *pte;
	RUN("", "addq $0, (%%rdi)", pte, io);
	check_refused(faults, seq, before, E_INVAL, XENO_WHY_PTWR_INSN);
	/* The value is the instruction's first bytes: 48 83 07 00. */
	PV_CHECK_EQ(last().value & 0xffffffff, 0x00078348);
	/* An immediate of -1: every bit, cache bits included. */
	faults = pf.count;
	seq = last().seq;
	RUN("", "movq $-1, (%%rdi)", pte, io);
	check_refused(faults, seq, before, E_INVAL, XENO_WHY_BAD_FLAGS);
	pv_test_end();

	pv_test_begin("ptwr.hostile.misaligned_store");
	faults = pf.count;
	seq = last().seq;
	io.rcx = 0;
	RUN("", "movl %%ecx, 2(%%rdi)", pte, io);
	/* CR2 is where the 4 bytes start; the value: 89 4f 02. */
	check_refused_at(VA(pte) + 2, faults, seq, before, E_INVAL,
			 XENO_WHY_PTWR_INSN);
	PV_CHECK_EQ(last().value & 0xffffff, 0x024f89);
	pv_test_end();

	pv_test_begin("ptwr.hostile.segment_override");
	faults = pf.count;
	seq = last().seq;
	io.rcx = orig;
	RUN("", ".byte 0x3e\n\tmovq %%rcx, (%%rdi)", pte, io);
	check_refused(faults, seq, before, E_INVAL, XENO_WHY_PTWR_INSN);
	PV_CHECK_EQ(last().value & 0xffffffff, 0x0f89483e);
	pv_test_end();
}

/* A plain #PF with no new record: a store the emulation ignores. */
static void check_plain_fault(unsigned int faults, uint64_t seq, uint64_t addr)
{
	PV_CHECK_EQ(pf.count, faults + 1);
	PV_CHECK_EQ(pf.error, PFEC_PW);
	PV_CHECK_EQ(pf.cr2, addr);
	PV_CHECK_EQ(pf.rip, fault_rip);
	PV_CHECK_EQ(last().seq, seq);
}

static void test_assist_off(const char *name)
{
	unsigned int faults = pf.count;
	uint64_t seq = last().seq, before = *pte;
	struct io io = { .rcx = entry(mfn_a, PV_PTE_DATA) };

	pv_test_begin(name);
	PV_CHECK_OK(pv_writable_pagetables(false));
	RUN("", "movq %%rcx, (%%rdi)", pte, io);
	check_plain_fault(faults, seq, VA(pte));
	PV_CHECK_EQ(*pte, before);
	PV_CHECK_OK(pv_writable_pagetables(true));
	pv_test_end();
}

/* The L2 entry over slot, through the read-only window. */
static uint64_t *l2e_ptr(uint64_t va)
{
	uint64_t mfn = pv_current_l4_mfn();
	uint64_t *t = NULL;
	int level;

	for (level = 4; level >= 2; level--) {
		t = pv_pfn_to_va(pv_mfn_to_pfn(mfn));
		t += (va >> (12 + 9 * (level - 1))) & 511;
		mfn = (*t & PV_PTE_ADDR) >> 12;
	}
	return t;
}

static void test_upper_level(void)
{
	uint64_t *l2e = l2e_ptr(VA(slot));
	unsigned int faults = pf.count;
	uint64_t seq = last().seq, before = *l2e;
	struct io io = { .rcx = before };

	pv_test_begin("ptwr.l2_store_not_emulated");
	PV_CHECK_EQ((before & PV_PTE_ADDR) >> 12, pv_l1e_maddr(VA(slot)) >> 12);
	RUN("", "movq %%rcx, (%%rdi)", l2e, io);
	check_plain_fault(faults, seq, VA(l2e));
	PV_CHECK_EQ(*l2e, before);
	pv_test_end();
}

int main(void)
{
	memset(page_a, 'A', sizeof(page_a));
	memset(page_b, 'B', sizeof(page_b));
	mfn_a = pv_va_to_mfn(page_a);
	mfn_b = pv_va_to_mfn(page_b);
	pte = pv_l1e_ptr(VA(slot));
	if (pte == NULL) {
		printf("ptwr: no L1 entry for the slot\n");
		return 1;
	}
	orig = *pte;
	pv_trap_set_handler(PV_TRAP_PF, on_pf);
	test_assist_off("ptwr.assist_off_at_boot");
	PV_CHECK_OK(pv_writable_pagetables(true));
	test_mov_r64();
	test_mov_imm32();
	test_mov_r32_halves();
	test_xchg();
	test_cmpxchg();
	test_helpers();
	test_foreign_frame();
	test_writable_table();
	test_hypervisor_memory();
	test_unsupported();
	test_assist_off("ptwr.assist_disabled");
	test_upper_level();
	return 0;
}
