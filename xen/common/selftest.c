/* SPDX-License-Identifier: MIT */
/*
 * The built-in test runner and the generic tests: the frame allocator's
 * self-test and the spinlock lock-order check (which must panic).
 */
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/frame_alloc.h>
#include <xeno/lib.h>
#include <xeno/selftest.h>
#include <xeno/spinlock.h>

static int test_alloc(char *detail, size_t size)
{
	uint64_t before = frame_free_count();
	int rc = frame_alloc_selftest();

	if (!rc) {
		rc = frame_alloc_audit();
	}
	snprintf(detail, size, "free=%lu after=%lu", before,
		 frame_free_count());
	return rc || before != frame_free_count();
}

/* Takes two locks in the wrong order: a debug build must panic. */
static int test_lockorder(char *detail, size_t size)
{
	static spinlock_t high = SPINLOCK_INIT("test-high", LOCK_RANK_LEAF);
	static spinlock_t low = SPINLOCK_INIT("test-low", LOCK_RANK_DOMAIN);

	spin_lock(&high);
	spin_lock(&low);
	spin_unlock(&low);
	spin_unlock(&high);
	snprintf(detail, size, "wrong lock order was not caught%s",
#ifdef NDEBUG
		 " (release build: no check)"
#else
		 ""
#endif
	);
	return 1;
}

const struct selftest common_selftests[] = {
	{ "alloc", test_alloc },
	{ "lockorder", test_lockorder },
	{ NULL, NULL },
};

static const struct selftest *find(const char *name)
{
	const struct selftest *const tables[] = { common_selftests,
						  arch_selftests };
	const struct selftest *t;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tables); i++) {
		for (t = tables[i]; t->name; t++) {
			if (!strcmp(t->name, name)) {
				return t;
			}
		}
	}
	return NULL;
}

unsigned int selftest_run_list(const char *list)
{
	char name[32], detail[160];
	unsigned int failed = 0;

	while (list_next(&list, name, sizeof(name))) {
		const struct selftest *t = find(name);
		int rc;

		if (!t) {
			printk(LOG_ERR, "XENO-TEST %s FAIL no such test\n",
			       name);
			failed++;
			continue;
		}
		detail[0] = '\0';
		printk(LOG_INFO, "selftest: running %s\n", name);
		rc = t->run(detail, sizeof(detail));
		printk(LOG_ERR, "XENO-TEST %s %s %s\n", name,
		       rc ? "FAIL" : "PASS", detail);
		failed += rc != 0;
	}
	return failed;
}
