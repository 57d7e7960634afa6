/* SPDX-License-Identifier: MIT */
/*
 * Guest user mode (interface and rules in libpv/user.h): the user address
 * space, entering and leaving a user process, and the system-call table
 * behind the syscall callback and INT $0x80.
 *
 * Page tables built by pv_user_init(), all frames of .bss:
 *
 *   user L4 [0]   -> low L3 [0] -> low L2 [2] -> low L1 -> low pages
 *   user L4 [511] -> img L3 [510] -> img L2 [n] -> img L1 -> .user_text
 *                                                            .user_data
 *   kernel L4 [0] -> low L3 (shared)
 *
 * The tables are filled while still ordinary writable pages, then made
 * read-only in the kernel's mapping, and the user L4 is pinned, which
 * validates the whole tree at once. Only then does the kernel L4 get its
 * slot 0 (mmu_update) and the vCPU its user root.
 *
 * State: vCPU 0 only. `kernel_rsp` (user_entry.S) and `pid` describe the
 * running process; handlers run with events masked.
 */
#include <stddef.h>

#include <libpv/atomic.h>
#include <libpv/console.h>
#include <libpv/entry.h>
#include <libpv/errno.h>
#include <libpv/events.h>
#include <libpv/hypercall.h>
#include <libpv/mm.h>
#include <libpv/start.h>
#include <libpv/string.h>
#include <libpv/user.h>

_Static_assert(PV_VGCF_IN_SYSCALL == VGCF_in_syscall, "VGCF_in_syscall");

#define PAGE_ALIGNED \
	__attribute__((aligned(4096), section(".bss.page_aligned")))
#define TABLE_FLAGS (PV_PTE_P | PV_PTE_RW | PV_PTE_US | PV_PTE_A)
#define USER_DATA   (PV_PTE_DATA | PV_PTE_US)
#define USER_TEXT   (PV_PTE_P | PV_PTE_US | PV_PTE_A)
#define KSTACK_SIZE (16 * 1024)

/* Where the low region sits in its tables (L4 0, L3 0, L2 2). */
#define LOW_L2_SLOT ((PV_USER_BASE >> 21) & 511)
#define LOW_L1_SLOT ((PV_USER_BASE >> 12) & 511)
_Static_assert((PV_USER_BASE >> 30) == 0, "low region under 1 GiB");
_Static_assert(LOW_L1_SLOT + PV_USER_PAGES <= 512, "low region in one L1");

static uint64_t user_l4[512] PAGE_ALIGNED;
static uint64_t low_l3[512] PAGE_ALIGNED;
static uint64_t low_l2[512] PAGE_ALIGNED;
static uint64_t low_l1[512] PAGE_ALIGNED;
static uint64_t img_l3[512] PAGE_ALIGNED;
static uint64_t img_l2[512] PAGE_ALIGNED;
static uint64_t img_l1[512] PAGE_ALIGNED;
static uint8_t low_pages[PV_USER_PAGES][4096] PAGE_ALIGNED;
static uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(16)));

/* The user-visible flags of each low page (0: unmapped). */
static uint64_t low_flags[PV_USER_PAGES];

extern char pv_user_text_start[], pv_user_text_end[];
extern char pv_user_data_start[], pv_user_data_end[];
extern char pv_syscall_entry[], pv_int80_entry[], pv_user_return_stub[];

/* user_entry.S */
uint64_t pv_user_kernel_rsp;
long pv_user_enter(const struct iret_context *ctx, uint64_t arg);
__attribute__((noreturn)) void pv_user_leave(long code);

void pv_user_syscall(struct pv_regs *regs);

static bool ready;
static unsigned int pid, next_pid = 1;
static uint64_t nr_syscalls;
static pv_syscall_fn syscalls[PV_SYS_NR];

/* ---- the address space ---------------------------------------------------- */

static uint64_t entry_to(const void *table, uint64_t flags)
{
	return (pv_va_to_mfn(table) << PV_PAGE_SHIFT) | flags;
}

static bool in_range(uint64_t va, const char *start, const char *end)
{
	return va >= (uint64_t)start && va < (uint64_t)end;
}

/* Fills img_l1 with the user sections; -E2BIG if they leave its 2 MiB. */
static long fill_image_tables(void)
{
	uint64_t first = (uint64_t)pv_user_text_start;
	uint64_t last = (uint64_t)pv_user_data_end - 1;
	uint64_t va;

	if ((uint64_t)pv_user_data_end <= (uint64_t)pv_user_data_start &&
	    (uint64_t)pv_user_text_end <= (uint64_t)pv_user_text_start) {
		return 0; /* no user sections: nothing to map */
	}
	if ((first >> 21) != (last >> 21)) {
		return -E2BIG;
	}
	for (va = first; va <= last; va += PV_PAGE_SIZE) {
		uint64_t flags;

		if (in_range(va, pv_user_text_start, pv_user_text_end)) {
			flags = USER_TEXT;
		} else if (in_range(va, pv_user_data_start, pv_user_data_end)) {
			flags = USER_DATA;
		} else {
			continue; /* kernel pages between the two */
		}
		img_l1[(va >> 12) & 511] = entry_to((void *)va, flags);
	}
	img_l2[(first >> 21) & 511] = entry_to(img_l1, TABLE_FLAGS);
	img_l3[(first >> 30) & 511] = entry_to(img_l2, TABLE_FLAGS);
	user_l4[511] = entry_to(img_l3, TABLE_FLAGS);
	return 0;
}

static void fill_low_tables(void)
{
	for (unsigned int i = 0; i < PV_USER_PAGES; i++) {
		low_l1[LOW_L1_SLOT + i] = entry_to(low_pages[i], USER_DATA);
		low_flags[i] = USER_DATA;
	}
	low_l2[LOW_L2_SLOT] = entry_to(low_l1, TABLE_FLAGS);
	low_l3[0] = entry_to(low_l2, TABLE_FLAGS);
	user_l4[0] = entry_to(low_l3, TABLE_FLAGS);
}

/* Page tables must not be writable anywhere: remap them read-only. */
static long make_tables_read_only(void)
{
	static uint64_t *const tables[] = { user_l4, low_l3, low_l2, low_l1,
					    img_l3,  img_l2, img_l1 };

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		long rc = pv_map_page((uint64_t)tables[i],
				      pv_va_to_mfn(tables[i]),
				      PV_PTE_P | PV_PTE_A);

		if (rc != 0) {
			return rc;
		}
	}
	return 0;
}

/* Gives the kernel L4 slot 0 = the low L3 (already validated). */
static long link_kernel_slot0(void)
{
	uint64_t l4 = pv_current_l4_mfn();
	const uint64_t *k = pv_pfn_to_va(pv_mfn_to_pfn(l4));
	unsigned int done = 0;
	struct mmu_update u = {
		.ptr = (l4 << PV_PAGE_SHIFT) | MMU_NORMAL_PT_UPDATE,
		.val = entry_to(low_l3, TABLE_FLAGS),
	};
	long rc;

	if (k[0] & PV_PTE_P) {
		return -EBUSY;
	}
	rc = HYPERVISOR_mmu_update(&u, 1, &done, DOMID_SELF);
	return rc == 0 && done != 1 ? -EIO : rc;
}

/* ---- system calls ------------------------------------------------------- */

static long sys_write(struct pv_regs *regs)
{
	uint64_t buf = regs->rdi;
	size_t len = regs->rsi;
	char chunk[128];
	size_t done = 0;

	if (len > PV_USER_WRITE_MAX) {
		return -EINVAL;
	}
	if (!pv_user_access_ok(buf, len, false)) {
		return -EFAULT;
	}
	pv_console_flush();
	while (done < len) {
		size_t n =
			len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		memcpy(chunk, (const void *)(buf + done), n);
		pv_console_write(chunk, n);
		done += n;
	}
	return (long)len;
}

static long sys_getpid(struct pv_regs *regs)
{
	(void)regs;
	return (long)pid;
}

static long sys_exit(struct pv_regs *regs)
{
	pv_user_exit((long)regs->rdi);
}

/* Called by pv_syscall_entry and pv_int80_entry (entry.S). */
void pv_user_syscall(struct pv_regs *regs)
{
	uint64_t nr = regs->rax;
	pv_syscall_fn fn = nr < PV_SYS_NR ? syscalls[nr] : NULL;

	nr_syscalls++;
	regs->rax = fn ? (uint64_t)fn(regs) : (uint64_t)-ENOSYS;
}

long pv_user_set_syscall(unsigned int nr, pv_syscall_fn fn)
{
	if (nr >= PV_SYS_NR) {
		return -EINVAL;
	}
	syscalls[nr] = fn;
	return 0;
}

/* ---- user memory -------------------------------------------------------- */

static bool page_ok(uint64_t va, bool write)
{
	if (va >= PV_USER_BASE &&
	    va < PV_USER_BASE + PV_USER_PAGES * PV_PAGE_SIZE) {
		uint64_t f = low_flags[(va - PV_USER_BASE) >> PV_PAGE_SHIFT];

		return (f & PV_PTE_P) && (!write || (f & PV_PTE_RW));
	}
	if (in_range(va, pv_user_data_start, pv_user_data_end)) {
		return true;
	}
	return !write && in_range(va, pv_user_text_start, pv_user_text_end);
}

bool pv_user_access_ok(uint64_t uva, size_t len, bool write)
{
	uint64_t va;

	if (len == 0) {
		return true;
	}
	if (uva + len < uva) {
		return false;
	}
	for (va = uva & ~(PV_PAGE_SIZE - 1); va < uva + len;
	     va += PV_PAGE_SIZE) {
		if (!page_ok(va, write)) {
			return false;
		}
	}
	return true;
}

long pv_user_copy_from(void *dst, uint64_t uva, size_t len)
{
	if (!pv_user_access_ok(uva, len, false)) {
		return -EFAULT;
	}
	memcpy(dst, (const void *)uva, len);
	return 0;
}

long pv_user_copy_to(uint64_t uva, const void *src, size_t len)
{
	if (!pv_user_access_ok(uva, len, true)) {
		return -EFAULT;
	}
	memcpy((void *)uva, src, len);
	return 0;
}

long pv_user_map(unsigned int i, uint64_t flags)
{
	long rc;

	if (i >= PV_USER_PAGES) {
		return -EINVAL;
	}
	if (flags == 0) {
		rc = pv_unmap(pv_user_page(i));
	} else {
		flags |= PV_PTE_US;
		rc = pv_map_page(pv_user_page(i), pv_va_to_mfn(low_pages[i]),
				 flags);
	}
	if (rc == 0) {
		low_flags[i] = flags;
	}
	return rc;
}

/* ---- processes ---------------------------------------------------------- */

static long register_entries(void)
{
	struct callback_register cb = {
		.type = CALLBACKTYPE_syscall,
		.flags = CALLBACKF_mask_events,
		.address = (uint64_t)pv_syscall_entry,
	};
	struct trap_info int80[2] = {
		{ .vector = 0x80,
		  .flags = 3 | TI_MASK_EVENTS,
		  .cs = FLAT_KERNEL_CS,
		  .address = (uint64_t)pv_int80_entry },
		{ 0 },
	};
	long rc;

	rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS,
				     (uint64_t)(kstack + KSTACK_SIZE));
	if (rc == 0) {
		rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
	}
	if (rc == 0) {
		rc = HYPERVISOR_set_trap_table(int80);
	}
	return rc;
}

long pv_user_init(void)
{
	long rc;

	if (ready) {
		return 0;
	}
	fill_low_tables();
	rc = fill_image_tables();
	if (rc == 0) {
		rc = make_tables_read_only();
	}
	if (rc == 0) {
		rc = pv_pin_table(4, pv_va_to_mfn(user_l4));
	}
	if (rc == 0) {
		rc = link_kernel_slot0();
	}
	if (rc == 0) {
		rc = pv_new_user_baseptr(pv_va_to_mfn(user_l4));
	}
	if (rc == 0) {
		rc = register_entries();
	}
	if (rc != 0) {
		return rc;
	}
	syscalls[PV_SYS_write] = sys_write;
	syscalls[PV_SYS_getpid] = sys_getpid;
	syscalls[PV_SYS_exit] = sys_exit;
	ready = true;
	return 0;
}

long pv_user_run(pv_user_fn fn, uint64_t arg, uint64_t stack_top)
{
	struct iret_context ctx = {
		.rip = (uint64_t)fn,
		.cs = FLAT_USER_CS,
		.rflags = PV_RFLAGS_IF | 2,
		.rsp = stack_top - 8,
		.ss = FLAT_USER_SS,
	};
	uint64_t ret_addr = (uint64_t)pv_user_return_stub;
	unsigned int mask;
	long code;

	if (!ready || pid != 0 || (stack_top & 15) ||
	    pv_user_copy_to(stack_top - 8, &ret_addr, 8) != 0) {
		return -EINVAL;
	}
	mask = pv_irq_save();
	pid = next_pid++;
	code = pv_user_enter(&ctx, arg);
	pid = 0;
	pv_irq_restore(mask);
	return code;
}

void pv_user_exit(long code)
{
	if (pid == 0) {
		pv_crash("pv_user_exit(%ld) with no user process", code);
	}
	pv_user_leave(code);
}

unsigned int pv_user_pid(void)
{
	return pid;
}

uint64_t pv_user_syscalls(void)
{
	return nr_syscalls;
}
