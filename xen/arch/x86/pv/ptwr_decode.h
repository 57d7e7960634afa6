/* SPDX-License-Identifier: MIT */
/*
 * The instruction decoder of the writable page-table emulation
 * (xen/arch/x86/pv/ptwr_decode.c, pv-abi §9.10, docs/mm.md "Writable
 * page tables"): from the bytes of a 64-bit instruction and the register
 * file, the store it makes. Pure functions of their arguments, so the
 * hosted unit tests (tests/unit/test_ptwr_decode.c) compile the file as
 * it is.
 *
 * Supported, in 64-bit mode, with any ModRM/SIB/disp/RIP-relative
 * memory operand (register operands are refused: they store nothing):
 *
 *   88 /r, 89 /r          MOV r/m, reg      (8, 16, 32, 64 bits)
 *   C6 /0 ib, C7 /0 iw/id MOV r/m, imm      (imm32 sign-extended to 64)
 *   86 /r, 87 /r          XCHG r/m, reg     (locked, with or without F0)
 *   0F B0 /r, 0F B1 /r    CMPXCHG r/m, reg  (with or without F0)
 *
 * Prefixes: 66 (16-bit operands), F0 (XCHG and CMPXCHG only), and one
 * REX directly before the opcode (W: 64-bit operands, R/X/B: registers
 * 8-15; with any REX, byte registers 4-7 are SPL..DIL, without one
 * AH..BH). Anything else (segment overrides, 67, F2/F3, other opcodes)
 * is refused.
 */
#ifndef PV_PTWR_DECODE_H
#define PV_PTWR_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest x86 instruction. */
#define PTWR_INSN_MAX 15

/* RFLAGS bits an emulated CMPXCHG sets (those of CMP). */
#define PTWR_FLAG_CF 0x001ULL
#define PTWR_FLAG_PF 0x004ULL
#define PTWR_FLAG_AF 0x010ULL
#define PTWR_FLAG_ZF 0x040ULL
#define PTWR_FLAG_SF 0x080ULL
#define PTWR_FLAG_OF 0x800ULL
#define PTWR_FLAGS_ARITH                                             \
	(PTWR_FLAG_CF | PTWR_FLAG_PF | PTWR_FLAG_AF | PTWR_FLAG_ZF | \
	 PTWR_FLAG_SF | PTWR_FLAG_OF)

/* General registers in encoding order: RAX, RCX, RDX, RBX, RSP, RBP,
 * RSI, RDI, R8..R15. */
struct ptwr_gprs {
	uint64_t r[16];
};

enum ptwr_kind {
	PTWR_MOV,     /* store src */
	PTWR_XCHG,    /* store src; the register gets the old value */
	PTWR_CMPXCHG, /* store src if memory holds expect (ZF set), else
			 the accumulator gets the old value (ZF clear) */
};

/* What an instruction does, as ptwr_decode() found it. */
struct ptwr_insn {
	enum ptwr_kind kind;
	unsigned int width; /* bytes written: 1, 2, 4 or 8 */
	unsigned int len;   /* instruction length: RIP moves by this much */
	uint64_t addr;	    /* linear address written (no segment base) */
	uint64_t src;	    /* the value stored, width bytes, zero-extended */
	uint64_t expect;    /* CMPXCHG: the accumulator, width bytes */
	unsigned int reg;   /* XCHG: the register operand (0-15; 0-3 with
			       high8) */
	bool high8;	    /* reg names AH, CH, DH or BH */
};

/* ptwr_decode() results. */
#define PTWR_DECODED	 0
#define PTWR_UNSUPPORTED (-1) /* not one of the forms above */
#define PTWR_TRUNCATED	 (-2) /* the n bytes end inside the instruction */

/*
 * Decodes the instruction in code[0..n) that starts at rip, with the
 * registers g, into *out. Returns PTWR_DECODED, PTWR_UNSUPPORTED or
 * PTWR_TRUNCATED (n is short of what the instruction needs, and less
 * than PTWR_INSN_MAX); *out is only meaningful after PTWR_DECODED.
 */
int ptwr_decode(const uint8_t *code, size_t n, const struct ptwr_gprs *g,
		uint64_t rip, struct ptwr_insn *out);

/* Register reg (with high8: AH..BH) read at width bytes, zero-extended. */
uint64_t ptwr_reg_read(const struct ptwr_gprs *g, unsigned int reg, bool high8,
		       unsigned int width);

/*
 * Writes v to register reg at width bytes as the CPU does in 64-bit
 * mode: 4 bytes zero-extend to 64 bits, 1 and 2 bytes leave the rest.
 */
void ptwr_reg_write(struct ptwr_gprs *g, unsigned int reg, bool high8,
		    unsigned int width, uint64_t v);

/* The arithmetic flags CMP sets for a - b at width bytes. */
uint64_t ptwr_cmp_flags(uint64_t a, uint64_t b, unsigned int width);

/*
 * Completes an instruction whose memory operand held old (width bytes)
 * before it ran: XCHG writes old to its register; CMPXCHG sets the
 * arithmetic flags in *rflags and, if old differs from expect, writes
 * old to the accumulator. MOV changes nothing.
 */
void ptwr_complete(const struct ptwr_insn *in, uint64_t old,
		   struct ptwr_gprs *g, uint64_t *rflags);

#endif
