/* SPDX-License-Identifier: MIT */
/*
 * Direct guest access (the arch side of mm/guest_access.c's fast path):
 * copies to and from guest virtual addresses with the CPU's own
 * translation, through whatever page tables CR3 holds.
 *
 * What makes a direct access equivalent to the guest's own:
 *  - The address range lies in the guest's part of the address space
 *    (below 2^47, or from HYPERVISOR_VIRT_END up); the caller checks it
 *    and so does arch_copy_*_live() again, so no bug in a caller can
 *    make this routine reach the hypervisor's slots 256-271 (the direct
 *    map, the M2P), which every guest L4 carries.
 *  - Ring 0 writes honour read-only entries because CR0.WP is on (set
 *    by boot.S and trampoline.S on every CPU; checked here in debug
 *    builds): a guest's page tables, descriptor pages and anything else
 *    it maps read-only cannot be written through this path.
 *  - Every present guest entry has US set (mm/pte.c adjusts them), so
 *    with SMAP a supervisor access faults unless RFLAGS.AC is set: STAC
 *    opens the window for the copy only, CLAC closes it again on both
 *    the normal and the fault path.
 *  - A fault (not present, read-only) goes through the exception table
 *    (asm/extable.h): the copy stops and reports the bytes it left.
 *
 * The CPU being on the right tables (arch_root_live) is the caller's
 * question; the concurrency argument is in mm/guest_access.c.
 *
 * Locks: none. Runs with interrupts off, like all hypervisor code
 * (asserted in debug builds: mm/guest_access.c's argument that a frame
 * outlives a copy through a stale translation leans on it).
 */
#include <asm/cpu.h>
#include <public/xen.h>
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/lib.h>
#include <xeno/pte.h>

#define GUEST_LOW_END (1ULL << 47)

size_t guest_copy_raw(void *dst, const void *src, size_t n);

bool arch_root_live(mfn_t root)
{
	ASSERT(read_cr0() & CR0_WP);
	return opt.direct_access && !mfn_eq(root, INVALID_MFN) &&
	       (read_cr3() & PTE_ADDR) == mfn_x(root) << PAGE_SHIFT;
}

/* [va, va + n) inside the guest's part of the address space, n > 0. */
static bool guest_part(uint64_t va, size_t n)
{
	uint64_t last = va + n - 1;

	return last >= va &&
	       (last < GUEST_LOW_END || va >= HYPERVISOR_VIRT_END);
}

static inline void smap_open(void)
{
	if (cpu_has.smap) {
		__asm__ volatile("stac" ::: "memory");
	}
}

static inline void smap_close(void)
{
	if (cpu_has.smap) {
		__asm__ volatile("clac" ::: "memory");
	}
}

/*
 * One copy between the hypervisor and the live guest's part of the
 * address space at va (dst or src is va itself): what was not copied.
 */
static size_t copy_live(void *dst, const void *src, uint64_t va, size_t n)
{
	size_t left;

	ASSERT(!(read_rflags() & RFLAGS_IF));
	if (n == 0) {
		return 0;
	}
	if (!guest_part(va, n)) {
		return n;
	}
	smap_open();
	left = guest_copy_raw(dst, src, n);
	smap_close();
	return left;
}

size_t arch_copy_from_live(void *dst, uint64_t va, size_t n)
{
	return copy_live(dst, (const void *)(uintptr_t)va, va, n);
}

size_t arch_copy_to_live(uint64_t va, const void *src, size_t n)
{
	return copy_live((void *)(uintptr_t)va, src, va, n);
}
