/* SPDX-License-Identifier: MIT */
/*
 * Guest user mode (pv-abi §8.1, §8.4, §8.6-8.8): one user address space,
 * one user process at a time, system calls through a small table in the
 * guest kernel, and user faults delivered to the guest kernel's trap
 * handlers with the user frame.
 *
 * The user address space (pv_user_init):
 *   - A user L4 of its own with two guest slots: slot 0 holds the low
 *     region, PV_USER_PAGES pages at PV_USER_BASE (stacks, buffers), and
 *     slot 511 maps the image's .user_text pages (code and read-only
 *     data, user read/execute) and .user_data pages (user read/write) at
 *     their link addresses, and nothing else of the image.
 *   - The kernel L4 shares the low region's L3 (its slot 0), so the guest
 *     kernel reaches user buffers at the same addresses; it reaches the
 *     user sections through its own mapping of the image.
 *   - The hypervisor switches roots and GS bases on every user <-> kernel
 *     transition (§8.4); kernel-only memory is protected because the user
 *     L4 does not map it. An L1 reachable from the user L4 must never map
 *     kernel-only data: US-clear entries are still reachable at CPL 3
 *     (§9.6).
 *
 * Interface rules:
 *   - User code is written in C (or assembly) placed with PV_USER; its
 *     data with PV_USER_DATA / PV_USER_RODATA. It must not call anything
 *     outside .user_text (libpv, memcpy, ...) nor use string literals,
 *     which the compiler puts in kernel .rodata: use PV_USER_RODATA arrays.
 *     Inline the pv_sys* wrappers below for system calls.
 *   - System calls: SYSCALL (the syscall callback, returning with
 *     VGCF_in_syscall: RCX and R11 come back as the return RIP and
 *     RFLAGS, like SYSRET) or INT $0x80 (a DPL 3 trap-table slot,
 *     returning with a full restore: RCX and R11 survive). Number in RAX,
 *     arguments in RDI, RSI, RDX, R10, R8, R9, result in RAX (-errno on
 *     failure); an unknown number gives -ENOSYS.
 *   - pv_user_run() enters user mode at fn(arg) on the given stack and
 *     returns when the process exits: PV_SYS_exit, fn returning (its value
 *     is the exit code), or a kernel handler calling pv_user_exit().
 *   - System-call handlers and the trap handlers of user faults run in
 *     guest kernel mode on libpv's user-mode kernel stack (stack_switch),
 *     with events masked; a handler may change *regs, which is what the
 *     return to user mode restores.
 *   - vCPU 0 only; one process at a time; not reentrant.
 */
#ifndef LIBPV_USER_H
#define LIBPV_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpv/traps.h>

/* The low user region: PV_USER_PAGES pages from PV_USER_BASE. */
#define PV_USER_BASE  0x0000000000400000ULL
#define PV_USER_PAGES 16

/* Placement of user code and data (guest.lds: .user_text, .user_data). */
#define PV_USER	       __attribute__((section(".user.text"), noinline, used))
#define PV_USER_DATA   __attribute__((section(".user.data")))
#define PV_USER_RODATA __attribute__((section(".user.rodata")))

/* libpv's system calls; numbers up to PV_SYS_NR - 1 may be added. */
#define PV_SYS_write  0 /* write(buf, len): len, -EFAULT, -EINVAL */
#define PV_SYS_getpid 1 /* getpid(): the process id (1, 2, ...) */
#define PV_SYS_exit   2 /* exit(code): pv_user_run returns code */
#define PV_SYS_NR     32

/* The largest write (bytes) PV_SYS_write accepts. */
#define PV_USER_WRITE_MAX 4096

/* A system-call handler: arguments in regs, returns the result. */
typedef long (*pv_syscall_fn)(struct pv_regs *regs);

/*
 * Builds the user address space, installs it as the user root
 * (MMUEXT_NEW_USER_BASEPTR), sets the kernel stack for bounces from user
 * mode (stack_switch), registers the syscall callback (with events
 * masked) and the INT $0x80 slot (DPL 3), and installs libpv's system
 * calls. Returns 0 (also when already done), -EBUSY if the kernel L4's
 * slot 0 is in use, -E2BIG if the user sections do not fit one L1
 * (2 MiB), or the hypervisor's error.
 */
long pv_user_init(void);

/* The user VA of low-region page i (0 <= i < PV_USER_PAGES). */
static inline uint64_t pv_user_page(unsigned int i)
{
	return PV_USER_BASE + (uint64_t)i * 4096;
}

/*
 * Remaps low-region page i for user mode with flags (PV_PTE_*; PV_PTE_US
 * is added; 0 unmaps). update_va_mapping with UVMF_INVLPG. 0 or -errno.
 */
long pv_user_map(unsigned int i, uint64_t flags);

/*
 * Runs fn(arg) in user mode with RSP = stack_top - 8 (stack_top 16-byte
 * aligned, in the low region) and events enabled; returns the exit code.
 * The registers other than RDI and RSP start at 0.
 */
typedef long (*pv_user_fn)(uint64_t arg);
long pv_user_run(pv_user_fn fn, uint64_t arg, uint64_t stack_top);

/*
 * Ends the running process from a kernel handler (a system call or a
 * trap taken in user mode): pv_user_run returns code. Never returns.
 */
__attribute__((noreturn)) void pv_user_exit(long code);

/* Installs (or with NULL removes) system call nr < PV_SYS_NR. */
long pv_user_set_syscall(unsigned int nr, pv_syscall_fn fn);

/*
 * Whether user mode may access [uva, uva + len) (write: for writing):
 * every page must be a mapped low-region page (writable for a write) or
 * a page of the user sections (.user_text read-only).
 */
bool pv_user_access_ok(uint64_t uva, size_t len, bool write);

/* Copies between kernel and user memory after the check. 0 or -EFAULT. */
long pv_user_copy_from(void *dst, uint64_t uva, size_t len);
long pv_user_copy_to(uint64_t uva, const void *src, size_t len);

/* The running process id (0 when none); system calls made so far. */
unsigned int pv_user_pid(void);
uint64_t pv_user_syscalls(void);

/* ---- for user code: system calls (inline into PV_USER functions) ------ */

static inline __attribute__((always_inline)) long
pv_sys6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret), "+r"(r10), "+r"(r8), "+r"(r9)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline __attribute__((always_inline)) long pv_sys0(long nr)
{
	return pv_sys6(nr, 0, 0, 0, 0, 0, 0);
}

static inline __attribute__((always_inline)) long pv_sys1(long nr, long a1)
{
	return pv_sys6(nr, a1, 0, 0, 0, 0, 0);
}

static inline __attribute__((always_inline)) long pv_sys2(long nr, long a1,
							  long a2)
{
	return pv_sys6(nr, a1, a2, 0, 0, 0, 0);
}

/* The same through INT $0x80 (RCX and R11 preserved). */
static inline __attribute__((always_inline)) long pv_sys_int80(long nr, long a1)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "D"(a1) : "memory");
	return ret;
}

#endif
