/* SPDX-License-Identifier: MIT */
/*
 * Address-space tags per CPU (see xeno/tlb_tag.h for the interface rules
 * and docs/mm.md §15): a small table per CPU mapping (vCPU, root) pairs
 * to tags 1..n, least recently loaded out first.
 *
 * Locks: none; a CPU's table is only touched by that CPU, interrupts off.
 */
#include <xeno/arch.h>
#include <xeno/lib.h>
#include <xeno/mm_vcpu.h>
#include <xeno/tlb_tag.h>

/*
 * One tag of one CPU. Invariants, for CPU c and its slot s (tag = index
 * + 1):
 *  (T1) Entries under s's tag on c were cached while the vCPU named by
 *       vcpu ran on c with root loaded, since its root install number
 *       gen; or before s got that name, and then the next load of s
 *       drops them (it does not keep).
 *  (T2) fresh: every single-address flush done on c since s's entries
 *       were last dropped (a load without keep, or a full flush of c)
 *       reached them.
 *  (T3) A load keeps s's entries only if the vCPU, root and install
 *       number match and s is fresh; after any load of s it is fresh
 *       (kept entries were fresh, dropped ones are gone).
 *  (T4) vcpu is nonzero while s is in use: 0 is free.
 * A vCPU installing a root (any root: a guest CR3 write) bumps its
 * install number, so its slots on every CPU stop matching and their
 * next loads drop what they held, without any IPI.
 */
struct tag_slot {
	uint64_t vcpu; /* mm_vcpu_key() of the vCPU, 0: free */
	mfn_t root;
	uint64_t gen;	    /* the vCPU's tlb_gen when the entries began */
	uint64_t last_load; /* this CPU's load clock at its last load */
	bool fresh;
};

struct tag_cpu {
	struct tag_slot slot[TLB_TAGS_MAX];
	unsigned int current; /* the tag loaded now (0: hypervisor's) */
	uint64_t clock;	      /* loads so far, for least recently used */
};

static struct tag_cpu tags[NR_CPUS];

unsigned int tlb_tag_count(void)
{
	unsigned int n = arch_tlb_tags();

	return n < TLB_TAGS_MAX ? n : TLB_TAGS_MAX;
}

void tlb_tag_reset(void)
{
	memset(tags, 0, sizeof(tags));
}

static bool slot_is(const struct tag_slot *s, uint64_t key, mfn_t root)
{
	return s->vcpu == key && mfn_eq(s->root, root);
}

/* The slot of (key, root) in t, or the one to give it: free, else LRU. */
static unsigned int find_slot(const struct tag_cpu *t, unsigned int n,
			      uint64_t key, mfn_t root)
{
	unsigned int i, victim = 0;

	for (i = 0; i < n; i++) {
		const struct tag_slot *s = &t->slot[i];

		if (slot_is(s, key, root)) {
			return i;
		}
		if (t->slot[victim].vcpu != 0 &&
		    (s->vcpu == 0 ||
		     s->last_load < t->slot[victim].last_load)) {
			victim = i;
		}
	}
	return victim;
}

struct tlb_tag_load tlb_tag_pick(const struct mm_vcpu *v, mfn_t root)
{
	struct tag_cpu *t = &tags[arch_cpu_id()];
	unsigned int n = tlb_tag_count(), i;
	struct tlb_tag_load ld = { 0, false };
	struct tag_slot *s;
	uint64_t key, gen;

	if (n == 0) {
		return ld;
	}
	if (v == NULL || mfn_eq(root, INVALID_MFN)) {
		/* The hypervisor's tables never change after boot. */
		t->current = 0;
		ld.keep = true;
		return ld;
	}
	key = mm_vcpu_key(v);
	gen = __atomic_load_n(&v->tlb_gen, __ATOMIC_ACQUIRE);
	i = find_slot(t, n, key, root);
	s = &t->slot[i];
	ld.tag = i + 1;
	ld.keep = slot_is(s, key, root) && s->gen == gen && s->fresh;
	s->vcpu = key;
	s->root = root;
	s->gen = gen;
	s->fresh = true;
	s->last_load = ++t->clock;
	t->current = ld.tag;
	return ld;
}

void tlb_tag_flushed(bool all)
{
	struct tag_cpu *t = &tags[arch_cpu_id()];
	unsigned int i;

	for (i = 0; i < TLB_TAGS_MAX; i++) {
		t->slot[i].fresh = all || i + 1 == t->current;
	}
}
