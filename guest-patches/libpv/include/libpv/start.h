/* SPDX-License-Identifier: MIT */
/*
 * Start-up and shutdown: what libpv sets up before main() and how the
 * domain ends (pv-abi §3.8-3.12, §4.4, §7.11).
 *
 * Start-up order, all on vCPU 0 with events masked:
 *   1. _start (start.S) switches to libpv's 64 KiB stack and calls
 *      pv_start() with the start_info VA the builder passed in RSI.
 *   2. Checks that the builder filled hypercall_page.
 *   3. Installs the trap table for vectors 0-31 (traps.c).
 *   4. Maps the shared_info frame at the VA of pv_shared_info_page, a
 *      page reserved in .bss, with update_va_mapping.
 *   5. Masks every event channel, registers the event and failsafe
 *      callbacks (events.c), then enables events (upcall mask 0).
 *   6. Reports the start-up as test "libpv.startup", calls main(), prints
 *      the test summary, and shuts down: SHUTDOWN_poweroff if main
 *      returned 0 and no test failed, SHUTDOWN_crash otherwise.
 */
#ifndef LIBPV_START_H
#define LIBPV_START_H

#include <stdbool.h>
#include <stdint.h>

#include <public/xen.h>

#include <libpv/smp.h>

/* The guest's entry point, called by libpv after start-up. */
int main(void);

/* The start_info page the builder passed (§4.1); set before main(). */
extern struct start_info *start_info;

/*
 * shared_info, mapped by start-up; NULL only if mapping it failed (that
 * is reported as a libpv.startup failure).
 */
extern struct shared_info *HYPERVISOR_shared_info;

/* The page-aligned .bss page whose VA shared_info is mapped at. */
extern uint8_t pv_shared_info_page[4096];

/* Where the image lies: [pv_image_start, pv_image_end), page aligned. */
extern char pv_image_start[], pv_image_end[];

/* The Xen VIRT_BASE note: VA = PV_VIRT_BASE + PFN * 4096 in the image. */
#define PV_VIRT_BASE 0xffffffff80000000UL

/* The vcpu_info of the vCPU running the caller (libpv/smp.h). */
static inline struct vcpu_info *pv_vcpu_info(void)
{
	return &HYPERVISOR_shared_info->vcpu_info[pv_smp_id()];
}

/* True if the builder overwrote hypercall_page (first byte != 0xc3). */
bool pv_hypercall_page_filled(void);

/* vcpu_info[0].evtchn_upcall_mask as start-up found it (ABI: 1). */
extern uint8_t pv_boot_upcall_mask;

/*
 * Flushes the console and shuts the domain down with reason
 * (SHUTDOWN_*); falls back to sched_op_compat, then yields forever if
 * the hypervisor refuses both.
 */
__attribute__((noreturn)) void pv_shutdown(unsigned int reason);

/*
 * Prints "libpv: crash: <message>", reports it to the test API as a
 * failure at the caller's file and line, prints the test summary and
 * shuts down with SHUTDOWN_crash.
 */
#define pv_crash(...) pv_crash_at(__FILE__, __LINE__, __VA_ARGS__)

__attribute__((noreturn, format(__printf__, 3, 4))) void
pv_crash_at(const char *file, int line, const char *fmt, ...);

#endif
