/* SPDX-License-Identifier: MIT */
/*
 * Start-up and shutdown (interface and order in libpv/start.h).
 *
 * shared_info is mapped over pv_shared_info_page, a page of .bss: the
 * builder mapped it like the rest of the image, so its L1 table exists
 * and update_va_mapping can replace the entry. The RAM frame that backed
 * the page stays allocated to the domain and is simply not used.
 *
 * Start-up problems do not stop the guest: they are reported as a failed
 * test "libpv.startup" (so the summary and the shutdown reason show
 * them), and main() still runs, since a partly working hypervisor is
 * exactly what the test guests are for.
 */
#include <stdarg.h>

#include <libpv/atomic.h>
#include <libpv/console.h>
#include <libpv/errno.h>
#include <libpv/events.h>
#include <libpv/hypercall.h>
#include <libpv/mm.h>
#include <libpv/start.h>
#include <libpv/test.h>
#include <libpv/traps.h>

struct start_info *start_info;
struct shared_info *HYPERVISOR_shared_info;
uint8_t pv_boot_upcall_mask;

uint8_t pv_shared_info_page[4096]
	__attribute__((aligned(4096), section(".bss.page_aligned")));

__attribute__((noreturn)) void pv_start(struct start_info *si);

bool pv_hypercall_page_filled(void)
{
	return PV_READ_ONCE(hypercall_page[0]) != 0xc3;
}

void pv_shutdown(unsigned int reason)
{
	static const char msg[] =
		"libpv: the hypervisor refused to shut down\n";
	struct sched_shutdown arg = { .reason = reason };

	pv_console_flush();
	(void)HYPERVISOR_sched_op(SCHEDOP_shutdown, &arg);
	(void)HYPERVISOR_sched_op_compat(SCHEDOP_shutdown, reason);
	pv_console_write(msg, sizeof(msg) - 1);
	for (;;) {
		(void)HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
}

void pv_crash_at(const char *file, int line, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("libpv: crash: %s\n", msg);
	pv_test_fail(file, line, "%s", msg);
	pv_test_finish();
	pv_shutdown(SHUTDOWN_crash);
}

static long map_shared_info(void)
{
	uint64_t va = (uint64_t)pv_shared_info_page;
	long rc;

	rc = HYPERVISOR_update_va_mapping(
		va, start_info->shared_info | PV_PTE_DATA, UVMF_INVLPG);
	if (rc == 0) {
		HYPERVISOR_shared_info = (struct shared_info *)va;
	}
	return rc;
}

void pv_start(struct start_info *si)
{
	long rc;
	int ret;

	start_info = si;
	pv_test_begin("libpv.startup");
	PV_CHECK(pv_hypercall_page_filled(),
		 "hypercall page not filled (first byte still 0xc3)");
	PV_CHECK_OK(pv_traps_init());
	rc = map_shared_info();
	PV_CHECK(rc == 0, "mapping shared_info (ma 0x%lx) failed: %ld (%s)",
		 si->shared_info, rc, pv_errname(rc));
	if (HYPERVISOR_shared_info) {
		pv_boot_upcall_mask =
			PV_READ_ONCE(pv_vcpu_info()->evtchn_upcall_mask);
		if (PV_CHECK_OK(pv_events_init())) {
			pv_irq_enable();
		}
	}
	pv_test_end();

	ret = main();

	if (ret != 0) {
		printf("libpv: main returned %d\n", ret);
	}
	pv_test_finish();
	pv_shutdown(ret == 0 && pv_test_failed() == 0 ? SHUTDOWN_poweroff
						      : SHUTDOWN_crash);
}
