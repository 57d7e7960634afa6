/* SPDX-License-Identifier: MIT */
/*
 * Data segment selectors survive vCPU switches (pv-abi §8.2): two
 * domains of this guest share one CPU, each loads its own DS, ES and FS
 * (flat selectors of the hypervisor's GDT page, which guests may load)
 * and an FS base, then yields many times; after every yield its own
 * values must still be there, not the other domain's. The domain started
 * with cmdline=b uses the other set of values.
 */
#include <libpv.h>

#define ROUNDS 200

struct sels {
	uint16_t ds, es, fs;
};

static uint64_t fs_word = 0xf5f5f5f5a5a5a5a5ULL;

static struct sels read_sels(void)
{
	struct sels s;

	__asm__ volatile("mov %%ds, %0" : "=r"(s.ds));
	__asm__ volatile("mov %%es, %0" : "=r"(s.es));
	__asm__ volatile("mov %%fs, %0" : "=r"(s.fs));
	return s;
}

static void load_sels(const struct sels *s)
{
	__asm__ volatile("mov %0, %%ds" : : "r"(s->ds));
	__asm__ volatile("mov %0, %%es" : : "r"(s->es));
	__asm__ volatile("mov %0, %%fs" : : "r"(s->fs));
}

int main(void)
{
	static const struct sels set[2] = {
		{ FLAT_RING3_DS64, FLAT_RING3_SS64, FLAT_RING3_CS32 },
		{ FLAT_RING3_SS64, FLAT_RING3_CS32, FLAT_RING3_SS64 },
	};
	const struct sels *mine = &set[start_info->cmd_line[0] == 'b'];
	unsigned int bad = 0, i;
	struct sels now = { 0, 0, 0 };
	uint64_t fs0 = 0;

	pv_test_begin("segments.preserved");
	load_sels(mine);
	PV_CHECK_OK(
		HYPERVISOR_set_segment_base(SEGBASE_FS, (uint64_t)&fs_word));
	for (i = 0; i < ROUNDS; i++) {
		PV_CHECK_OK(HYPERVISOR_sched_op(SCHEDOP_yield, NULL));
		now = read_sels();
		__asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
		if (now.ds != mine->ds || now.es != mine->es ||
		    now.fs != mine->fs || fs0 != fs_word) {
			bad++;
		}
	}
	PV_CHECK_EQ(bad, 0);
	PV_CHECK_EQ(now.ds, mine->ds);
	PV_CHECK_EQ(now.es, mine->es);
	PV_CHECK_EQ(now.fs, mine->fs);
	PV_CHECK_EQ(fs0, fs_word);
	pv_test_end();
	return 0;
}
