/* SPDX-License-Identifier: MIT */
/*
 * The failsafe callback (pv-abi §8.10, docs/hypercalls.md "Segment
 * selectors and the failsafe callback"): the guest loads ES with a
 * selector of its own GDT, and the selector survives a trip off the CPU.
 * Then it makes that descriptor not present with update_descriptor while
 * ES still holds it and sleeps, so the vCPU leaves the CPU: coming back,
 * Xeno cannot reload ES, loads null and enters the failsafe callback with
 * the saved selectors, and the guest resumes where it slept.
 */
#include <libpv.h>

static uint8_t gdt_page[4096] __attribute__((aligned(4096)));

#define D_DATA_DPL3 0x00cff2000000ffffULL
#define SEL_DATA    0x0b /* GDT index 1, RPL 3 */
#define SLEEP_NS    1000000

/* RCX R11 DS ES FS GS RIP CS RFLAGS RSP SS, as the callback saw them. */
enum { F_DS = 2, F_ES = 3, F_FS = 4, F_GS = 5, F_RIP = 6, F_CS = 7 };
static volatile uint64_t frame_seen[11];
static volatile unsigned int failsafe_calls;

static bool on_failsafe(const uint64_t *frame)
{
	for (unsigned int i = 0; i < 11; i++) {
		frame_seen[i] = frame[i];
	}
	failsafe_calls++;
	return true;
}

static uint16_t read_es(void)
{
	uint16_t sel;

	asm volatile("mov %%es, %0" : "=r"(sel));
	return sel;
}

static void load_es(uint16_t sel)
{
	asm volatile("mov %0, %%es" ::"r"(sel) : "memory");
}

static uint64_t mfn_of(const void *p)
{
	return pv_va_to_mfn(p);
}

/*
 * Sleeps until the vCPU has really been off the CPU (its blocked time
 * grew): on a loaded host the timer can expire before the block, which
 * then returns at once and the vCPU never leaves.
 */
static void sleep_off_cpu(void)
{
	struct vcpu_runstate_info r;
	uint64_t blocked0;
	unsigned int i;

	PV_CHECK_OK(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r));
	blocked0 = r.time[RUNSTATE_blocked];
	for (i = 0; i < 200; i++) {
		PV_CHECK_OK(pv_sleep_ns(SLEEP_NS));
		PV_CHECK_OK(
			HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, &r));
		if (r.time[RUNSTATE_blocked] > blocked0) {
			return;
		}
	}
	PV_CHECK_GT(r.time[RUNSTATE_blocked], blocked0);
}

static void test_selector_kept(void)
{
	uint64_t f = mfn_of(gdt_page);

	pv_test_begin("failsafe.selector_kept");
	memset(gdt_page, 0, sizeof(gdt_page));
	((uint64_t *)gdt_page)[1] = D_DATA_DPL3;
	PV_CHECK_OK(pv_map_page((uint64_t)gdt_page, f, PV_PTE_P | PV_PTE_A));
	PV_CHECK_OK(HYPERVISOR_set_gdt(&f, 512));
	load_es(SEL_DATA);
	sleep_off_cpu();
	PV_CHECK_EQ(read_es(), SEL_DATA);
	PV_CHECK_EQ(failsafe_calls, 0);
	pv_test_end();
}

static void test_selector_lost(void)
{
	uint64_t ma = (mfn_of(gdt_page) << 12) + 1 * 8;

	pv_test_begin("failsafe.selector_lost");
	pv_failsafe_set_handler(on_failsafe);
	/* Not present: accepted, and no longer loadable. */
	PV_CHECK_OK(HYPERVISOR_update_descriptor(ma, 0));
	PV_CHECK_EQ(read_es(), SEL_DATA); /* the CPU keeps its copy */
	sleep_off_cpu();
	PV_CHECK_EQ(failsafe_calls, 1);
	PV_CHECK_EQ(frame_seen[F_ES] & 0xffff, SEL_DATA);
	PV_CHECK_EQ(frame_seen[F_CS] & 0xfffc, FLAT_KERNEL_CS & 0xfffc);
	PV_CHECK_NE(frame_seen[F_RIP], 0);
	PV_CHECK_EQ(read_es(), 0); /* Xeno loaded null instead */
	/* Nothing else happens once ES is fine again. */
	sleep_off_cpu();
	PV_CHECK_EQ(failsafe_calls, 1);
	pv_failsafe_set_handler(NULL);
	pv_test_end();
}

static void test_release(void)
{
	pv_test_begin("failsafe.release");
	PV_CHECK_OK(HYPERVISOR_set_gdt(NULL, 0));
	PV_CHECK_OK(
		pv_map_page((uint64_t)gdt_page, mfn_of(gdt_page), PV_PTE_DATA));
	pv_test_end();
}

int main(void)
{
	test_selector_kept();
	test_selector_lost();
	test_release();
	return 0;
}
