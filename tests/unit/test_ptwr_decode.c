/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the writable page-table decoder
 * (xen/arch/x86/pv/ptwr_decode.c, compiled here as it is: it is pure):
 * every supported form and operand size, every ModRM/SIB/displacement
 * and RIP-relative variant, REX and byte-register rules, the refused
 * forms, truncated input, and the register and flag results, with the
 * flags checked against the host CPU's own CMP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../xen/arch/x86/pv/ptwr_decode.c"

#define RIP 0xffffffff81234000ULL

/* Registers with values that tell them apart: rN = 0x1111 * (N+1) << 16. */
static struct ptwr_gprs regs(void)
{
	struct ptwr_gprs g;
	unsigned int i;

	for (i = 0; i < 16; i++) {
		g.r[i] = 0x0102030405060708ULL * (i + 1) + ((uint64_t)i << 56);
	}
	return g;
}

static int dec(const uint8_t *b, size_t n, struct ptwr_insn *in)
{
	struct ptwr_gprs g = regs();

	return ptwr_decode(b, n, &g, RIP, in);
}

#define DECODE(in, ...)                                                     \
	do {                                                                \
		static const uint8_t b_[] = { __VA_ARGS__ };                \
		assert_int_equal(dec(b_, sizeof(b_), &(in)), PTWR_DECODED); \
		assert_int_equal((in).len, sizeof(b_));                     \
	} while (0)

#define REFUSED(...)                                                           \
	do {                                                                   \
		static const uint8_t b_[] = { __VA_ARGS__ };                   \
		struct ptwr_insn in_;                                          \
		assert_int_equal(dec(b_, sizeof(b_), &in_), PTWR_UNSUPPORTED); \
	} while (0)

static uint64_t R(unsigned int n)
{
	return regs().r[n];
}

/* MOV r64 -> m64 (REX.W 89) and the REX.R / REX.B registers. */
static void test_mov_r64(void **state)
{
	struct ptwr_insn in;

	DECODE(in, 0x48, 0x89, 0x08); /* mov %rcx,(%rax) */
	assert_int_equal(in.kind, PTWR_MOV);
	assert_int_equal(in.width, 8);
	assert_int_equal(in.addr, R(0));
	assert_int_equal(in.src, R(1));
	DECODE(in, 0x4c, 0x89, 0x38); /* mov %r15,(%rax) */
	assert_int_equal(in.src, R(15));
	DECODE(in, 0x49, 0x89, 0x07); /* mov %rax,(%r15) */
	assert_int_equal(in.addr, R(15));
	assert_int_equal(in.src, R(0));
	DECODE(in, 0x4d, 0x89, 0x48, 0x10); /* mov %r9,0x10(%r8) */
	assert_int_equal(in.addr, R(8) + 0x10);
	assert_int_equal(in.src, R(9));
}

/* Operand sizes of 88/89: 8, 16, 32 bits; REX.W beats 66. */
static void test_mov_sizes(void **state)
{
	struct ptwr_insn in;

	DECODE(in, 0x89, 0x0b); /* mov %ecx,(%rbx) */
	assert_int_equal(in.width, 4);
	assert_int_equal(in.src, R(1) & 0xffffffff);
	assert_int_equal(in.addr, R(3));
	DECODE(in, 0x66, 0x89, 0x0b); /* mov %cx,(%rbx) */
	assert_int_equal(in.width, 2);
	assert_int_equal(in.src, R(1) & 0xffff);
	DECODE(in, 0x66, 0x48, 0x89, 0x0b); /* REX.W wins */
	assert_int_equal(in.width, 8);
	assert_int_equal(in.src, R(1));
	DECODE(in, 0x88, 0x0b); /* mov %cl,(%rbx) */
	assert_int_equal(in.width, 1);
	assert_int_equal(in.src, R(1) & 0xff);
	assert_false(in.high8);
}

/* Byte registers 4-7: AH..BH without REX, SPL..DIL with any REX. */
static void test_byte_registers(void **state)
{
	struct ptwr_insn in;

	DECODE(in, 0x88, 0x28); /* mov %ch,(%rax) */
	assert_true(in.high8);
	assert_int_equal(in.reg, 1);
	assert_int_equal(in.src, (R(1) >> 8) & 0xff);
	DECODE(in, 0x40, 0x88, 0x28); /* mov %bpl,(%rax) */
	assert_false(in.high8);
	assert_int_equal(in.reg, 5);
	assert_int_equal(in.src, R(5) & 0xff);
	DECODE(in, 0x44, 0x88, 0x28); /* mov %r13b,(%rax) */
	assert_int_equal(in.src, R(13) & 0xff);
	DECODE(in, 0x86, 0x38); /* xchg %bh,(%rax) */
	assert_true(in.high8);
	assert_int_equal(in.reg, 3);
}

/* MOV imm -> m: C7 /0 (imm32, sign-extended with REX.W), C6 /0. */
static void test_mov_imm(void **state)
{
	struct ptwr_insn in;

	DECODE(in, 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff);
	assert_int_equal(in.width, 8);
	assert_int_equal(in.src, ~0ULL);
	DECODE(in, 0x48, 0xc7, 0x00, 0x67, 0x10, 0x00, 0x00);
	assert_int_equal(in.src, 0x1067);
	DECODE(in, 0xc7, 0x00, 0x78, 0x56, 0x34, 0x82);
	assert_int_equal(in.width, 4);
	assert_int_equal(in.src, 0x82345678);
	DECODE(in, 0x66, 0xc7, 0x00, 0x34, 0x92);
	assert_int_equal(in.width, 2);
	assert_int_equal(in.src, 0x9234);
	DECODE(in, 0xc6, 0x00, 0xab);
	assert_int_equal(in.width, 1);
	assert_int_equal(in.src, 0xab);
	/* Displacement before the immediate. */
	DECODE(in, 0x48, 0xc7, 0x43, 0x08, 0x01, 0x00, 0x00, 0x80);
	assert_int_equal(in.addr, R(3) + 8);
	assert_int_equal(in.src, 0xffffffff80000001ULL);
}

static void test_xchg(void **state)
{
	struct ptwr_insn in;

	DECODE(in, 0x48, 0x87, 0x08); /* xchg %rcx,(%rax) */
	assert_int_equal(in.kind, PTWR_XCHG);
	assert_int_equal(in.width, 8);
	assert_int_equal(in.reg, 1);
	assert_int_equal(in.src, R(1));
	DECODE(in, 0xf0, 0x4c, 0x87, 0x30); /* lock xchg %r14,(%rax) */
	assert_int_equal(in.reg, 14);
	DECODE(in, 0x87, 0x08);
	assert_int_equal(in.width, 4);
}

static void test_cmpxchg(void **state)
{
	struct ptwr_insn in;

	DECODE(in, 0xf0, 0x48, 0x0f, 0xb1, 0x0b); /* lock cmpxchg %rcx,(%rbx) */
	assert_int_equal(in.kind, PTWR_CMPXCHG);
	assert_int_equal(in.width, 8);
	assert_int_equal(in.addr, R(3));
	assert_int_equal(in.src, R(1));
	assert_int_equal(in.expect, R(0));
	DECODE(in, 0x48, 0x0f, 0xb1, 0x0b); /* without LOCK */
	assert_int_equal(in.kind, PTWR_CMPXCHG);
	DECODE(in, 0xf0, 0x0f, 0xb1, 0x0b);
	assert_int_equal(in.width, 4);
	assert_int_equal(in.expect, R(0) & 0xffffffff);
	DECODE(in, 0xf0, 0x0f, 0xb0, 0x0b);
	assert_int_equal(in.width, 1);
	assert_int_equal(in.expect, R(0) & 0xff);
	DECODE(in, 0x66, 0xf0, 0x0f, 0xb1, 0x0b); /* prefixes in any order */
	assert_int_equal(in.width, 2);
}

/* ModRM without SIB: mod 0/1/2 over every rm, RIP-relative. */
static void test_modrm(void **state)
{
	struct ptwr_insn in;
	unsigned int rm;

	for (rm = 0; rm < 8; rm++) {
		uint8_t b0[] = { 0x48, 0x89, (uint8_t)(0x08 | rm) };
		uint8_t b1[] = { 0x48, 0x89, (uint8_t)(0x48 | rm), 0xf0 };
		uint8_t b2[] = { 0x48, 0x89, (uint8_t)(0x88 | rm), 0x00, 0x10,
				 0x00, 0x80 };
		uint8_t x1[] = { 0x49, 0x89, (uint8_t)(0x48 | rm), 0x7f };

		if (rm == 4) {
			continue; /* SIB: below */
		}
		assert_int_equal(dec(b1, sizeof(b1), &in), PTWR_DECODED);
		assert_int_equal(in.addr, R(rm) - 0x10);
		assert_int_equal(dec(b2, sizeof(b2), &in), PTWR_DECODED);
		assert_int_equal(in.addr, R(rm) + 0xffffffff80001000ULL);
		assert_int_equal(dec(x1, sizeof(x1), &in), PTWR_DECODED);
		assert_int_equal(in.addr, R(rm + 8) + 0x7f);
		if (rm == 5) {
			continue; /* RIP-relative: below */
		}
		assert_int_equal(dec(b0, sizeof(b0), &in), PTWR_DECODED);
		assert_int_equal(in.addr, R(rm));
		assert_int_equal(in.len, 3);
	}
	/* mod 0, rm 5: RIP-relative from the next instruction, REX.B or not. */
	DECODE(in, 0x48, 0x89, 0x0d, 0x00, 0x01, 0x00, 0x00);
	assert_int_equal(in.addr, RIP + 7 + 0x100);
	DECODE(in, 0x49, 0x89, 0x0d, 0xf0, 0xff, 0xff, 0xff);
	assert_int_equal(in.addr, RIP + 7 - 0x10);
	/* ...counting the immediate, which follows the displacement. */
	DECODE(in, 0x48, 0xc7, 0x05, 0x00, 0x02, 0x00, 0x00, 1, 0, 0, 0);
	assert_int_equal(in.addr, RIP + 11 + 0x200);
	assert_int_equal(in.src, 1);
	DECODE(in, 0xc6, 0x05, 0x10, 0x00, 0x00, 0x00, 0x5a);
	assert_int_equal(in.addr, RIP + 7 + 0x10);
}

/* SIB: scales, no index (4 without REX.X), r12 index, no base. */
static void test_sib(void **state)
{
	struct ptwr_insn in;
	unsigned int scale;

	for (scale = 0; scale < 4; scale++) {
		uint8_t b[] = { 0x48, 0x89, 0x0c,
				(uint8_t)((scale << 6) | 0x03) };

		assert_int_equal(dec(b, sizeof(b), &in), PTWR_DECODED);
		assert_int_equal(in.addr, R(3) + (R(0) << scale));
	}
	DECODE(in, 0x48, 0x89, 0x0c, 0x24); /* (%rsp) */
	assert_int_equal(in.addr, R(4));
	DECODE(in, 0x49, 0x89, 0x0c, 0x24); /* (%r12) */
	assert_int_equal(in.addr, R(12));
	DECODE(in, 0x4a, 0x89, 0x0c, 0x20); /* (%rax,%r12,1) */
	assert_int_equal(in.addr, R(0) + R(12));
	DECODE(in, 0x4b, 0x89, 0x0c, 0xfe); /* (%r14,%r15,8) */
	assert_int_equal(in.addr, R(14) + (R(15) << 3));
	/* Base 5 with mod 0: no base, disp32 (REX.B does not matter). */
	DECODE(in, 0x48, 0x89, 0x0c, 0x25, 0x00, 0x30, 0x40, 0x00);
	assert_int_equal(in.addr, 0x403000);
	DECODE(in, 0x49, 0x89, 0x0c, 0x25, 0x00, 0x30, 0x40, 0x80);
	assert_int_equal(in.addr, 0xffffffff80403000ULL);
	DECODE(in, 0x48, 0x89, 0x0c, 0x85, 0x08, 0x00, 0x00, 0x00);
	assert_int_equal(in.addr, (R(0) << 2) + 8);
	/* Base 5 with mod 1/2: RBP or R13 plus the displacement. */
	DECODE(in, 0x48, 0x89, 0x4c, 0x25, 0x08);
	assert_int_equal(in.addr, R(5) + 8);
	DECODE(in, 0x49, 0x89, 0x8c, 0x05, 0x00, 0x01, 0x00, 0x00);
	assert_int_equal(in.addr, R(13) + R(0) + 0x100);
	/* SIB with an immediate store. */
	DECODE(in, 0x48, 0xc7, 0x44, 0xc3, 0xf8, 0x07, 0x00, 0x00, 0x00);
	assert_int_equal(in.addr, R(3) + (R(0) << 3) - 8);
	assert_int_equal(in.src, 7);
}

static void test_refused(void **state)
{
	uint8_t many[PTWR_INSN_MAX + 2];
	struct ptwr_insn in;

	REFUSED(0x48, 0x8b, 0x08);	 /* a load */
	REFUSED(0x48, 0x89, 0xc8);	 /* register destination */
	REFUSED(0x48, 0x87, 0xc8);	 /* xchg between registers */
	REFUSED(0x64, 0x48, 0x89, 0x08); /* FS override */
	REFUSED(0x65, 0x48, 0x89, 0x08); /* GS */
	REFUSED(0x2e, 0x48, 0x89, 0x08); /* CS */
	REFUSED(0x3e, 0x48, 0x89, 0x08); /* DS */
	REFUSED(0x26, 0x89, 0x08);	 /* ES */
	REFUSED(0x36, 0x89, 0x08);	 /* SS */
	REFUSED(0x67, 0x48, 0x89, 0x08); /* 32-bit addressing */
	REFUSED(0xf3, 0x48, 0x89, 0x08); /* REP / XRELEASE */
	REFUSED(0xf2, 0x48, 0x89, 0x08);
	REFUSED(0xf0, 0x48, 0x89, 0x08); /* LOCK MOV */
	REFUSED(0xf0, 0xc7, 0x00, 0, 0, 0, 0);
	REFUSED(0x48, 0x66, 0x89, 0x08);       /* REX not last */
	REFUSED(0x48, 0x48, 0x89, 0x08);       /* two REX */
	REFUSED(0x48, 0xc7, 0x08, 0, 0, 0, 0); /* C7 /1 */
	REFUSED(0xc6, 0x38, 0);		       /* C6 /7 */
	REFUSED(0x0f, 0xb2, 0x08);	       /* LSS */
	REFUSED(0x0f, 0xc7, 0x08);	       /* CMPXCHG8B/16B */
	REFUSED(0xab);			       /* STOS */
	REFUSED(0x48, 0x01, 0x08);	       /* ADD */
	REFUSED(0x0f, 0xab, 0x08);	       /* BTS */
	/* Longer than 15 bytes: refused, not "truncated". */
	memset(many, 0x66, sizeof(many));
	many[PTWR_INSN_MAX] = 0x89;
	many[PTWR_INSN_MAX + 1] = 0x08;
	assert_int_equal(dec(many, sizeof(many), &in), PTWR_UNSUPPORTED);
	assert_int_equal(dec(many, PTWR_INSN_MAX, &in), PTWR_UNSUPPORTED);
	/* Exactly 15 bytes is fine. */
	many[PTWR_INSN_MAX - 2] = 0x89;
	many[PTWR_INSN_MAX - 1] = 0x08;
	assert_int_equal(dec(many, PTWR_INSN_MAX, &in), PTWR_DECODED);
	assert_int_equal(in.width, 2);
}

/* Every strict prefix of a valid instruction is truncated. */
static void test_truncated(void **state)
{
	static const uint8_t forms[][12] = {
		{ 11, 0x48, 0xc7, 0x05, 0x00, 0x02, 0x00, 0x00, 1, 0, 0, 0 },
		{ 9, 0x48, 0xc7, 0x44, 0xc3, 0xf8, 0x07, 0x00, 0x00, 0x00 },
		{ 5, 0xf0, 0x48, 0x0f, 0xb1, 0x0b },
		{ 8, 0x48, 0x89, 0x0c, 0x25, 0x00, 0x30, 0x40, 0x00 },
		{ 5, 0x66, 0xc7, 0x00, 0x34, 0x92 },
		{ 3, 0x48, 0x89, 0x08 },
	};
	struct ptwr_gprs g = regs();
	struct ptwr_insn in;
	size_t f, n;

	for (f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		const uint8_t *b = &forms[f][1];
		size_t len = forms[f][0];

		for (n = 0; n < len; n++) {
			assert_int_equal(ptwr_decode(b, n, &g, RIP, &in),
					 PTWR_TRUNCATED);
		}
		assert_int_equal(ptwr_decode(b, len, &g, RIP, &in),
				 PTWR_DECODED);
		assert_int_equal(in.len, len);
	}
}

static void test_reg_write(void **state)
{
	struct ptwr_gprs g = regs();

	ptwr_reg_write(&g, 2, false, 8, 0x1122334455667788ULL);
	assert_int_equal(g.r[2], 0x1122334455667788ULL);
	ptwr_reg_write(&g, 2, false, 4, 0xffffffffaabbccddULL);
	assert_int_equal(g.r[2], 0xaabbccdd); /* zero-extended */
	g.r[2] = 0x1122334455667788ULL;
	ptwr_reg_write(&g, 2, false, 2, 0xbeef);
	assert_int_equal(g.r[2], 0x112233445566beefULL);
	ptwr_reg_write(&g, 2, false, 1, 0x1ab);
	assert_int_equal(g.r[2], 0x112233445566beabULL);
	ptwr_reg_write(&g, 2, true, 1, 0x99);
	assert_int_equal(g.r[2], 0x11223344556699abULL);
	assert_int_equal(ptwr_reg_read(&g, 2, true, 1), 0x99);
	assert_int_equal(ptwr_reg_read(&g, 2, false, 2), 0x99ab);
	ptwr_reg_write(&g, 15, false, 8, 5);
	assert_int_equal(g.r[15], 5);
}

/* The flags of the host's CMP a, b at each width. */
static uint64_t host_cmp(uint64_t a, uint64_t b, unsigned int width)
{
	uint64_t f;

	switch (width) {
	case 1:
		__asm__("cmpb %b2, %b1; pushfq; popq %0"
			: "=r"(f)
			: "q"(a), "q"(b)
			: "cc");
		break;
	case 2:
		__asm__("cmpw %w2, %w1; pushfq; popq %0"
			: "=r"(f)
			: "r"(a), "r"(b)
			: "cc");
		break;
	case 4:
		__asm__("cmpl %k2, %k1; pushfq; popq %0"
			: "=r"(f)
			: "r"(a), "r"(b)
			: "cc");
		break;
	default:
		__asm__("cmpq %2, %1; pushfq; popq %0"
			: "=r"(f)
			: "r"(a), "r"(b)
			: "cc");
		break;
	}
	return f & PTWR_FLAGS_ARITH;
}

static void test_cmp_flags(void **state)
{
	static const uint64_t vals[] = {
		0,
		1,
		2,
		0x7f,
		0x80,
		0xff,
		0x100,
		0x7fff,
		0x8000,
		0xffff,
		0x7fffffff,
		0x80000000,
		0xffffffff,
		0x7fffffffffffffffULL,
		0x8000000000000000ULL,
		0xffffffffffffffffULL,
		0x0123456789abcdefULL,
		0xfedcba9876543210ULL,
		0x10,
		0x0f,
	};
	static const unsigned int widths[] = { 1, 2, 4, 8 };
	size_t i, j, w;

	for (w = 0; w < 4; w++) {
		for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			for (j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
				assert_int_equal(
					ptwr_cmp_flags(vals[i], vals[j],
						       widths[w]),
					host_cmp(vals[i], vals[j], widths[w]));
			}
		}
	}
}

static void test_complete(void **state)
{
	struct ptwr_gprs g = regs();
	struct ptwr_insn in;
	uint64_t rflags = 0x202 | PTWR_FLAG_CF;

	/* XCHG: the register gets the old value. */
	DECODE(in, 0x48, 0x87, 0x08);
	ptwr_complete(&in, 0xabc, &g, &rflags);
	assert_int_equal(g.r[1], 0xabc);
	assert_int_equal(rflags, 0x202 | PTWR_FLAG_CF);
	/* CMPXCHG success: ZF, RAX unchanged. */
	g = regs();
	DECODE(in, 0xf0, 0x48, 0x0f, 0xb1, 0x0b);
	ptwr_complete(&in, R(0), &g, &rflags);
	assert_int_equal(rflags, 0x202 | PTWR_FLAG_ZF | PTWR_FLAG_PF);
	assert_int_equal(g.r[0], R(0));
	/* Failure: ZF clear, RAX gets the memory value. */
	ptwr_complete(&in, 5, &g, &rflags);
	assert_int_equal(rflags & PTWR_FLAG_ZF, 0);
	assert_int_equal(rflags & ~PTWR_FLAGS_ARITH, 0x202);
	assert_int_equal(g.r[0], 5);
	/* 32-bit failure zero-extends RAX; success leaves it whole. */
	g = regs();
	DECODE(in, 0xf0, 0x0f, 0xb1, 0x0b);
	ptwr_complete(&in, R(0) & 0xffffffff, &g, &rflags);
	assert_int_equal(g.r[0], R(0));
	assert_true(rflags & PTWR_FLAG_ZF);
	ptwr_complete(&in, 0x1234, &g, &rflags);
	assert_int_equal(g.r[0], 0x1234);
	/* MOV changes nothing. */
	g = regs();
	rflags = 0x246;
	DECODE(in, 0x48, 0x89, 0x08);
	ptwr_complete(&in, 77, &g, &rflags);
	assert_int_equal(rflags, 0x246);
	assert_int_equal(g.r[1], R(1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov_r64),
		cmocka_unit_test(test_mov_sizes),
		cmocka_unit_test(test_byte_registers),
		cmocka_unit_test(test_mov_imm),
		cmocka_unit_test(test_xchg),
		cmocka_unit_test(test_cmpxchg),
		cmocka_unit_test(test_modrm),
		cmocka_unit_test(test_sib),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_reg_write),
		cmocka_unit_test(test_cmp_flags),
		cmocka_unit_test(test_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
