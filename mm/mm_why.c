/* SPDX-License-Identifier: MIT */
/*
 * "Say why" (see xeno/mm_why.h): a per-CPU note of the first check that
 * refused the element being processed, completed by the hypercall into
 * the vCPU's last-refusal record and logged at the debug level.
 *
 * The note captures the state of the frame it names when the check
 * refused (type word, counts, owner), since by the time the hypercall
 * returns a failed validation has already released what it took.
 *
 * Locks: none; each CPU has its own note.
 */
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/frame.h>
#include <xeno/lib.h>
#include <xeno/mm_domain.h>
#include <xeno/mm_vcpu.h>
#include <xeno/mm_why.h>

struct note {
	bool have;  /* a reason is noted */
	bool where; /* table and slot are noted */
	struct xeno_mm_refusal r;
};

static struct note notes[NR_CPUS];

static const char *const names[XENO_WHY_NR] = {
	[XENO_WHY_NONE] = "no reason noted",
	[XENO_WHY_BAD_FLAGS] = "flag bits not allowed at this level",
	[XENO_WHY_L1_ALL_ONES] = "L1 entry names the all-ones frame",
	[XENO_WHY_L1_NOT_RAM] = "L1 maps a frame that is not RAM",
	[XENO_WHY_L1_NOT_OWNER] = "L1 maps a frame the owner does not own",
	[XENO_WHY_TABLE_NOT_RAM] = "table entry names a frame beyond memory",
	[XENO_WHY_TABLE_NOT_OWNER] = "table entry names a foreign frame",
	[XENO_WHY_LINEAR_DISABLED] = "linear page tables are disabled",
	[XENO_WHY_LINEAR_WRITABLE] = "linear entry is writable",
	[XENO_WHY_LINEAR_NOT_VALIDATED] = "linear target not validated",
	[XENO_WHY_LINEAR_CHAIN] = "linear entries cannot chain",
	[XENO_WHY_TYPE_CONFLICT] = "frame has another type in use",
	[XENO_WHY_TYPE_OVERFLOW] = "type count at its maximum",
	[XENO_WHY_GIVEN_BACK] = "frame was given back",
	[XENO_WHY_NOT_TABLE_TYPE] = "not a page-table type",
	[XENO_WHY_NOT_OWN_FRAME] = "not a frame of the domain",
	[XENO_WHY_ALREADY_PINNED] = "already pinned",
	[XENO_WHY_NOT_PINNED] = "not pinned",
	[XENO_WHY_BAD_COMMAND] = "unknown or unsupported command",
	[XENO_WHY_UNREADABLE] = "request cannot be read",
	[XENO_WHY_UNWRITABLE] = "result cannot be written",
	[XENO_WHY_FD_SELF_ID] = "own domain id as foreign domain",
	[XENO_WHY_FD_UNKNOWN] = "no such domain",
	[XENO_WHY_FD_NOT_PRIVILEGED] = "foreign domain needs privilege",
	[XENO_WHY_FD_NOT_SELF] = "command acts on the caller only",
	[XENO_WHY_PFD_FOREIGN] = "M2P update for another domain",
	[XENO_WHY_PTR_NOT_OWNER] = "ptr is not in a frame of the table owner",
	[XENO_WHY_NOT_UPDATABLE] = "neither a page table nor writable",
	[XENO_WHY_HYPERVISOR_SLOT] = "L4 slot belongs to the hypervisor",
	[XENO_WHY_FD_NOT_PFD] = "upper-level entry with a foreign FD",
	[XENO_WHY_M2P_FRAME] = "M2P update of a frame not the FD's",
	[XENO_WHY_LDT_BASE] = "bad LDT base",
	[XENO_WHY_LDT_ENTRIES] = "too many LDT entries",
	[XENO_WHY_LDT_UNMAPPED] = "an LDT page is not mapped",
	[XENO_WHY_NO_IO_RIGHTS] = "needs I/O resources",
	[XENO_WHY_NO_SUPERPAGES] = "superpage marking is not supported",
	[XENO_WHY_BAD_VA] = "not a guest address",
	[XENO_WHY_VA_UNMAPPED] = "no L1 maps this address",
	[XENO_WHY_VA_NOT_L1] = "not a validated L1 of the caller",
	[XENO_WHY_VCPUMASK] = "vCPU bitmap cannot be read",
	[XENO_WHY_PTWR_INSN] = "page-table write is not an emulable store",
	[XENO_WHY_PTWR_FETCH] = "faulting instruction cannot be read",
	[XENO_WHY_BAD_DESCRIPTOR] = "descriptor not allowed",
	[XENO_WHY_GDT_ENTRIES] = "too many GDT entries",
	[XENO_WHY_SUPERPAGE_UNSUPPORTED] = "superpages of this size are off",
	[XENO_WHY_SUPERPAGE_ALIGN] = "superpage frame not aligned",
	[XENO_WHY_SUPERPAGE_NOT_RAM] = "superpage reaches beyond memory",
	[XENO_WHY_SUPERPAGE_NOT_OWNER] =
		"superpage over frames not the owner's",
	[XENO_WHY_SUPERPAGE_HAS_TABLES] = "superpage over a page table",
	[XENO_WHY_SUPERPAGE_OVERFLOW] = "too many superpages of the region",
	[XENO_WHY_UNDER_SUPERPAGE] = "a superpage maps the frame",
};

const char *mm_why_name(enum xeno_why reason)
{
	if ((unsigned int)reason >= XENO_WHY_NR || names[reason] == NULL) {
		return "?";
	}
	return names[reason];
}

void mm_why_begin(void)
{
	struct note *n = &notes[arch_cpu_id()];

	n->have = false;
	n->where = false;
}

/* What the refusal record says about frame m, captured now. */
static void describe_frame(struct xeno_mm_refusal *r, mfn_t m)
{
	const struct page_info *pg;
	uint64_t ti;

	r->mfn = mfn_x(m);
	r->type_info = 0;
	r->count = 0;
	r->type_count = 0;
	r->owner = DOMID_INVALID;
	r->type = XENO_FRAME_NONE;
	r->flags = 0;
	if (!mfn_valid(m)) {
		return;
	}
	pg = mfn_to_page(m);
	if (!(pg->flags & PGF_DOMAIN)) {
		r->owner = (pg->flags & (PGF_RESERVED | PGF_ALLOCATED))
				   ? DOMID_XEN
				   : DOMID_INVALID;
		return;
	}
	ti = __atomic_load_n(&pg->type_info, __ATOMIC_RELAXED);
	r->type_info = ti;
	r->count = page_count(pg);
	r->type_count = (uint32_t)(ti & PGT_count_mask);
	r->owner = pg->owner;
	r->type = (uint8_t)((ti & PGT_type_mask) >> PGT_type_shift);
	r->flags = (uint8_t)(((ti & PGT_pinned) ? XENO_FRAME_PINNED : 0) |
			     ((ti & PGT_validated) ? XENO_FRAME_VALIDATED : 0) |
			     ((ti & PGT_partial) ? XENO_FRAME_PARTIAL : 0) |
			     ((ti & PGT_busy) ? XENO_FRAME_BUSY : 0) |
			     (mm_domain_holds(pg) ? XENO_FRAME_ON_LIST : 0));
}

void mm_why_renote(enum xeno_why reason, uint64_t value, mfn_t m)
{
	struct note *n = &notes[arch_cpu_id()];

	n->have = true;
	n->r.reason = reason;
	n->r.value = value;
	describe_frame(&n->r, m);
}

void mm_why_note(enum xeno_why reason, uint64_t value, mfn_t m)
{
	if (!notes[arch_cpu_id()].have) {
		mm_why_renote(reason, value, m);
	}
}

void mm_why_where(mfn_t table, unsigned int slot)
{
	struct note *n = &notes[arch_cpu_id()];

	if (!n->where) {
		n->where = true;
		n->r.table = mfn_x(table);
		n->r.slot = slot;
	}
}

int mm_why_fail(int err, unsigned int hypercall, unsigned int cmd,
		unsigned int index)
{
	struct note *n = &notes[arch_cpu_id()];
	struct mm_vcpu *v = mm_vcpu_current();
	struct xeno_mm_refusal *r = &n->r;

	if (!n->have) {
		mm_why_renote(XENO_WHY_NONE, 0, INVALID_MFN);
	}
	if (!n->where) {
		r->table = ~0ULL;
		r->slot = ~0U;
	}
	r->hypercall = hypercall;
	r->cmd = cmd;
	r->index = index;
	r->error = err;
	r->pad = 0;
	if (v != NULL) {
		r->seq = v->why.last.seq + 1;
		v->why.last = *r;
	}
	printk(LOG_DEBUG,
	       "mm: d%d refused hypercall %u cmd %u #%u: %s (error %d, "
	       "value %#llx, mfn %#llx: owner %u type %u count %u "
	       "type count %u flags %#x, table %#llx slot %d)\n",
	       v != NULL ? (int)v->d->domid : -1, hypercall, cmd, index,
	       mm_why_name((enum xeno_why)r->reason), err,
	       (unsigned long long)r->value, (unsigned long long)r->mfn,
	       r->owner, r->type, r->count, r->type_count, r->flags,
	       (unsigned long long)r->table, (int)r->slot);
	n->have = false;
	n->where = false;
	return err;
}
