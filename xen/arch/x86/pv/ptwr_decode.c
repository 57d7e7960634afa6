/* SPDX-License-Identifier: MIT */
/*
 * Decoding the stores the writable page-table emulation supports (see
 * ptwr_decode.h for the forms). The decoder reads prefixes, the opcode,
 * ModRM, SIB, displacement and immediate in that order, refuses as soon
 * as a byte falls outside the supported set, and computes the effective
 * address last, when the length (which RIP-relative operands need) is
 * known.
 *
 * Pure: no globals, no hypervisor headers.
 */
#include "ptwr_decode.h"

/* Prefix and REX bits. */
#define P_OPSIZE 0x66
#define P_LOCK	 0xf0
#define REX_W	 0x8
#define REX_R	 0x4
#define REX_X	 0x2
#define REX_B	 0x1

/* The byte cursor over the instruction. */
struct cursor {
	const uint8_t *code;
	size_t n;
	size_t at;
	int status; /* PTWR_DECODED until something is missing */
};

/* The next byte, or 0 with the status set when there is none. */
static uint8_t next(struct cursor *c)
{
	if (c->at >= PTWR_INSN_MAX) {
		c->status = PTWR_UNSUPPORTED; /* longer than any instruction */
		return 0;
	}
	if (c->at >= c->n) {
		c->status = PTWR_TRUNCATED;
		return 0;
	}
	return c->code[c->at++];
}

/* The next size bytes (1, 2 or 4) as a little-endian signed value. */
static int64_t next_signed(struct cursor *c, unsigned int size)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < size; i++) {
		v |= (uint64_t)next(c) << (8 * i);
	}
	if (size < 8 && (v >> (8 * size - 1)) & 1) {
		v |= ~0ULL << (8 * size);
	}
	return (int64_t)v;
}

static uint64_t width_mask(unsigned int width)
{
	return width >= 8 ? ~0ULL : (1ULL << (8 * width)) - 1;
}

uint64_t ptwr_reg_read(const struct ptwr_gprs *g, unsigned int reg, bool high8,
		       unsigned int width)
{
	if (high8) {
		return (g->r[reg & 3] >> 8) & 0xff;
	}
	return g->r[reg & 15] & width_mask(width);
}

void ptwr_reg_write(struct ptwr_gprs *g, unsigned int reg, bool high8,
		    unsigned int width, uint64_t v)
{
	uint64_t *r;

	if (high8) {
		r = &g->r[reg & 3];
		*r = (*r & ~0xff00ULL) | ((v & 0xff) << 8);
		return;
	}
	r = &g->r[reg & 15];
	if (width >= 4) {
		*r = v & width_mask(width); /* 32-bit writes zero-extend */
	} else {
		*r = (*r & ~width_mask(width)) | (v & width_mask(width));
	}
}

uint64_t ptwr_cmp_flags(uint64_t a, uint64_t b, unsigned int width)
{
	uint64_t mask = width_mask(width);
	uint64_t sign = 1ULL << (8 * width - 1);
	uint64_t r = (a - b) & mask;
	uint64_t f = 0;
	unsigned int ones = 0, i;

	a &= mask;
	b &= mask;
	if (a < b) {
		f |= PTWR_FLAG_CF;
	}
	for (i = 0; i < 8; i++) {
		ones += (unsigned int)(r >> i) & 1;
	}
	if (!(ones & 1)) {
		f |= PTWR_FLAG_PF; /* even parity of the low byte */
	}
	if ((a ^ b ^ r) & 0x10) {
		f |= PTWR_FLAG_AF;
	}
	if (r == 0) {
		f |= PTWR_FLAG_ZF;
	}
	if (r & sign) {
		f |= PTWR_FLAG_SF;
	}
	if ((a ^ b) & (a ^ r) & sign) {
		f |= PTWR_FLAG_OF;
	}
	return f;
}

void ptwr_complete(const struct ptwr_insn *in, uint64_t old,
		   struct ptwr_gprs *g, uint64_t *rflags)
{
	switch (in->kind) {
	case PTWR_XCHG:
		ptwr_reg_write(g, in->reg, in->high8, in->width, old);
		break;
	case PTWR_CMPXCHG:
		*rflags = (*rflags & ~PTWR_FLAGS_ARITH) |
			  ptwr_cmp_flags(in->expect, old, in->width);
		if ((old & width_mask(in->width)) != in->expect) {
			ptwr_reg_write(g, 0, false, in->width, old);
		}
		break;
	case PTWR_MOV:
		break;
	}
}

/* What prefixes and opcode said. */
struct opcode {
	uint8_t rex;
	bool opsize;
	bool lock;
	enum ptwr_kind kind;
	bool imm;  /* C6/C7: an immediate source */
	bool byte; /* 8-bit operands */
};

/* Prefixes and opcode. Returns false for anything unsupported. */
static bool read_opcode(struct cursor *c, struct opcode *op)
{
	uint8_t b = next(c);

	*op = (struct opcode){ 0 };
	while (c->status == PTWR_DECODED && (b == P_OPSIZE || b == P_LOCK)) {
		op->opsize |= b == P_OPSIZE;
		op->lock |= b == P_LOCK;
		b = next(c);
	}
	if (c->status == PTWR_DECODED && (b & 0xf0) == 0x40) {
		op->rex = b; /* REX must come right before the opcode */
		b = next(c);
	}
	if (c->status != PTWR_DECODED) {
		return false;
	}
	switch (b) {
	case 0x88:
	case 0x89:
		op->kind = PTWR_MOV;
		break;
	case 0xc6:
	case 0xc7:
		op->kind = PTWR_MOV;
		op->imm = true;
		break;
	case 0x86:
	case 0x87:
		op->kind = PTWR_XCHG;
		break;
	case 0x0f:
		b = next(c);
		if (c->status != PTWR_DECODED || (b != 0xb0 && b != 0xb1)) {
			return false;
		}
		op->kind = PTWR_CMPXCHG;
		break;
	default:
		return false;
	}
	op->byte = !(b & 1);
	/* LOCK on a MOV is #UD on the CPU; we never see one that ran. */
	return !(op->lock && op->kind == PTWR_MOV);
}

static unsigned int op_width(const struct opcode *op)
{
	if (op->byte) {
		return 1;
	}
	if (op->rex & REX_W) {
		return 8;
	}
	return op->opsize ? 2 : 4;
}

/* The memory operand: ModRM (mod != 3), SIB, displacement. */
struct modrm {
	unsigned int reg; /* ModRM.reg with REX.R */
	bool rip_relative;
	int64_t disp;
	int base;  /* -1: none */
	int index; /* -1: none */
	unsigned int scale;
};

static bool read_modrm(struct cursor *c, uint8_t rex, struct modrm *m)
{
	uint8_t b = next(c);
	unsigned int mod = b >> 6, rm = b & 7;

	*m = (struct modrm){ .base = -1, .index = -1 };
	if (c->status != PTWR_DECODED || mod == 3) {
		return false; /* a register destination stores nothing */
	}
	m->reg = ((b >> 3) & 7) | ((rex & REX_R) ? 8 : 0);
	if (rm == 4) {
		uint8_t sib = next(c);
		unsigned int index = ((sib >> 3) & 7) | ((rex & REX_X) ? 8 : 0);

		if (c->status != PTWR_DECODED) {
			return false;
		}
		m->scale = sib >> 6;
		m->index = index == 4 ? -1 : (int)index;
		if ((sib & 7) == 5 && mod == 0) {
			m->disp = next_signed(c, 4); /* no base */
		} else {
			m->base = (int)((sib & 7) | ((rex & REX_B) ? 8 : 0));
		}
	} else if (rm == 5 && mod == 0) {
		m->rip_relative = true;
		m->disp = next_signed(c, 4);
	} else {
		m->base = (int)(rm | ((rex & REX_B) ? 8 : 0));
	}
	if (mod == 1) {
		m->disp = next_signed(c, 1);
	} else if (mod == 2) {
		m->disp = next_signed(c, 4);
	}
	return c->status == PTWR_DECODED;
}

static uint64_t effective_address(const struct modrm *m,
				  const struct ptwr_gprs *g, uint64_t next_rip)
{
	uint64_t a = (uint64_t)m->disp;

	if (m->rip_relative) {
		return next_rip + a;
	}
	if (m->base >= 0) {
		a += g->r[m->base];
	}
	if (m->index >= 0) {
		a += g->r[m->index] << m->scale;
	}
	return a;
}

/* The source operand: the immediate or the register. */
static bool read_source(struct cursor *c, const struct opcode *op,
			const struct modrm *m, const struct ptwr_gprs *g,
			struct ptwr_insn *out)
{
	unsigned int width = out->width;

	if (op->imm) {
		if (m->reg & 7) {
			return false; /* C6/C7 /1../7 are not MOV */
		}
		out->src = (uint64_t)next_signed(c, width == 8 ? 4 : width) &
			   width_mask(width);
		return c->status == PTWR_DECODED;
	}
	/* Byte registers 4-7 without any REX are AH, CH, DH, BH. */
	out->high8 = op->byte && !op->rex && m->reg >= 4 && m->reg < 8;
	out->reg = out->high8 ? m->reg - 4 : m->reg;
	out->src = ptwr_reg_read(g, out->reg, out->high8, width);
	return true;
}

int ptwr_decode(const uint8_t *code, size_t n, const struct ptwr_gprs *g,
		uint64_t rip, struct ptwr_insn *out)
{
	struct cursor c = { .code = code, .n = n };
	struct opcode op;
	struct modrm m;

	*out = (struct ptwr_insn){ 0 };
	if (!read_opcode(&c, &op) || !read_modrm(&c, op.rex, &m)) {
		return c.status != PTWR_DECODED ? c.status : PTWR_UNSUPPORTED;
	}
	out->kind = op.kind;
	out->width = op_width(&op);
	if (!read_source(&c, &op, &m, g, out)) {
		return c.status != PTWR_DECODED ? c.status : PTWR_UNSUPPORTED;
	}
	out->len = (unsigned int)c.at;
	out->addr = effective_address(&m, g, rip + out->len);
	if (op.kind == PTWR_CMPXCHG) {
		out->expect = ptwr_reg_read(g, 0, false, out->width);
	}
	return PTWR_DECODED;
}
