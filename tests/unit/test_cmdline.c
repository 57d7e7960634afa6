/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the boot command line (xen/common/cmdline.c) and number
 * parsing (xen/common/parse.c): every key's range, the image path the
 * loaders put first, unknown keys, malformed values, and comma lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/lib.h>

static const struct xeno_options defaults = {
	.loglvl = 2,
	.maxcpus = NR_CPUS,
	.exit_port = 0xf4,
	.bench_ops = 100000,
	.pcid = 1,
};

static int reset(void **state)
{
	opt = defaults;
	return 0;
}

static void test_parse_u64(void **state)
{
	uint64_t v;

	assert_int_equal(parse_u64("0", &v, false), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u64("1234", &v, false), 0);
	assert_int_equal(v, 1234);
	assert_int_equal(parse_u64("0x1F", &v, false), 0);
	assert_int_equal(v, 31);
	assert_int_equal(parse_u64("017", &v, false), 0);
	assert_int_equal(v, 15);
	assert_int_equal(parse_u64("64M", &v, true), 0);
	assert_int_equal(v, 64ULL << 20);
	assert_int_equal(parse_u64("2g", &v, true), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(parse_u64("18446744073709551615", &v, false), 0);
	assert_int_equal(v, UINT64_MAX);
}

static void test_parse_u64_bad(void **state)
{
	uint64_t v = 7;

	assert_int_equal(parse_u64("", &v, false), -1);
	assert_int_equal(parse_u64("0x", &v, false), -1);
	assert_int_equal(parse_u64("12a", &v, false), -1);
	assert_int_equal(parse_u64("64M", &v, false), -1);
	assert_int_equal(parse_u64("64T", &v, true), -1);
	assert_int_equal(parse_u64("18446744073709551616", &v, false), -1);
	assert_int_equal(parse_u64("17179869184G", &v, true), -1);
	assert_int_equal(parse_u64("08", &v, false), -1);
	assert_int_equal(v, 7);
}

static void test_keys(void **state)
{
	assert_int_equal(cmdline_parse("loglvl=3 maxcpus=2 mem=64M "
				       "exit_port=0 bench_ops=10 "
				       "selftest=smp,alloc bench=alloc"),
			 0);
	assert_int_equal(opt.loglvl, 3);
	assert_int_equal(opt.maxcpus, 2);
	assert_int_equal(opt.mem, 64ULL << 20);
	assert_int_equal(opt.exit_port, 0);
	assert_int_equal(opt.bench_ops, 10);
	assert_string_equal(opt.selftest, "smp,alloc");
	assert_string_equal(opt.bench, "alloc");
}

/* The loaders' first word (the image path) is skipped, not reported. */
static void test_image_path_skipped(void **state)
{
	assert_int_equal(cmdline_parse("build/xeno.elf loglvl=1"), 0);
	assert_int_equal(opt.loglvl, 1);
	assert_int_equal(cmdline_parse("/boot/xeno.elf"), 0);
	assert_int_equal(cmdline_parse(""), 0);
	assert_int_equal(cmdline_parse("   "), 0);
}

/* Unknown keys are reported but do not fail the boot. */
static void test_unknown_key(void **state)
{
	assert_int_equal(cmdline_parse("loglvl=1 bogus=1 also_bogus"), 0);
	assert_int_equal(opt.loglvl, 1);
}

static void test_out_of_range(void **state)
{
	assert_int_equal(cmdline_parse("loglvl=4"), -1);
	assert_int_equal(opt.loglvl, 2);
	assert_int_equal(cmdline_parse("maxcpus=0"), -1);
	assert_int_equal(cmdline_parse("maxcpus=65"), -1);
	assert_int_equal(cmdline_parse("mem=1M"), -1);
	assert_int_equal(cmdline_parse("exit_port=0x10000"), -1);
	assert_int_equal(opt.maxcpus, NR_CPUS);
	assert_int_equal(opt.mem, 0);
}

static void test_malformed(void **state)
{
	assert_int_equal(cmdline_parse("loglvl="), -1);
	assert_int_equal(cmdline_parse("loglvl"), 0); /* first word: path */
	assert_int_equal(cmdline_parse("x=1 loglvl"), -1);
	assert_int_equal(cmdline_parse("loglvl=two"), -1);
	assert_int_equal(cmdline_parse("mem=12Q"), -1);
	assert_int_equal(opt.loglvl, 2);
}

/* One bad word fails the parse, but the good words around it still apply. */
static void test_bad_among_good(void **state)
{
	assert_int_equal(cmdline_parse("maxcpus=3 loglvl=9 mem=32M"), -1);
	assert_int_equal(opt.maxcpus, 3);
	assert_int_equal(opt.mem, 32ULL << 20);
}

static void test_string_too_long(void **state)
{
	char line[OPT_STR_MAX + 32];

	memset(line, 'a', sizeof(line));
	memcpy(line, "selftest=", 9);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(cmdline_parse(line), -1);
	assert_string_equal(opt.selftest, "");
}

/* pcid=on|off; nothing else, and a bad value leaves the default. */
static void test_bool(void **state)
{
	assert_int_equal(opt.pcid, 1);
	assert_int_equal(cmdline_parse("pcid=off"), 0);
	assert_int_equal(opt.pcid, 0);
	assert_int_equal(cmdline_parse("pcid=on"), 0);
	assert_int_equal(opt.pcid, 1);
	assert_int_equal(cmdline_parse("pcid=0"), -1);
	assert_int_equal(cmdline_parse("pcid=of"), -1);
	assert_int_equal(cmdline_parse("pcid=onn"), -1);
	assert_int_equal(cmdline_parse("pcid="), -1);
	assert_int_equal(opt.pcid, 1);
}

static void test_lists(void **state)
{
	const char *l = "smp,,alloc,";
	char item[8];

	assert_true(list_next(&l, item, sizeof(item)));
	assert_string_equal(item, "smp");
	assert_true(list_next(&l, item, sizeof(item)));
	assert_string_equal(item, "alloc");
	assert_false(list_next(&l, item, sizeof(item)));
	assert_true(list_contains("smp,alloc", "alloc"));
	assert_false(list_contains("smp,alloc", "all"));
	assert_false(list_contains("", "smp"));
	/* Items longer than the buffer are cut, never overrun. */
	l = "averyveryverylongname";
	assert_true(list_next(&l, item, sizeof(item)));
	assert_string_equal(item, "averyve");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_u64_bad),
		cmocka_unit_test_setup(test_keys, reset),
		cmocka_unit_test_setup(test_image_path_skipped, reset),
		cmocka_unit_test_setup(test_unknown_key, reset),
		cmocka_unit_test_setup(test_out_of_range, reset),
		cmocka_unit_test_setup(test_malformed, reset),
		cmocka_unit_test_setup(test_bad_among_good, reset),
		cmocka_unit_test_setup(test_string_too_long, reset),
		cmocka_unit_test_setup(test_bool, reset),
		cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
