/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the domain options of a boot module's command line
 * (xen/common/domcfg.c): defaults, every key, sizes with suffixes, the
 * rest-of-line cmdline=, the module path loaders put first, and every
 * rejection with its reason and offending key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <xeno/domain_build.h>

static struct domain_config c;
static const char *why;
static char bad[MODULE_WORD_MAX];

static int parse(const char *line)
{
	why = NULL;
	bad[0] = '\0';
	return domain_config_parse(&c, line, &why, bad, sizeof(bad));
}

static void test_defaults(void **state)
{
	assert_int_equal(parse("build/guests/hello.elf"), 0);
	assert_string_equal(c.name, "");
	assert_int_equal(c.mem, 16ULL << 20);
	assert_int_equal(c.maxmem, 16ULL << 20);
	assert_int_equal(c.vcpus, 1);
	assert_int_equal(c.weight, 256);
	assert_int_equal(c.cache, 0);
	assert_string_equal(c.cmdline, "");
}

static void test_all_keys(void **state)
{
	assert_int_equal(parse("/boot/k.elf name=fs mem=64M maxmem=128M "
			       "vcpus=2 weight=512 cache=16M"),
			 0);
	assert_string_equal(c.name, "fs");
	assert_int_equal(c.mem, 64ULL << 20);
	assert_int_equal(c.maxmem, 128ULL << 20);
	assert_int_equal(c.vcpus, 2);
	assert_int_equal(c.weight, 512);
	assert_int_equal(c.cache, 16ULL << 20);
}

static void test_cmdline_rest_of_line(void **state)
{
	assert_int_equal(parse("k name=a cmdline=console=hvc0 root=/dev/x "
			       "mem=1G"),
			 0);
	assert_string_equal(c.cmdline, "console=hvc0 root=/dev/x mem=1G");
	assert_int_equal(c.mem, 16ULL << 20);
}

static void test_maxmem_follows_mem(void **state)
{
	assert_int_equal(parse("k mem=32M"), 0);
	assert_int_equal(c.maxmem, 32ULL << 20);
}

static void expect_bad(const char *line, const char *key, const char *reason)
{
	assert_int_equal(parse(line), -1);
	assert_string_equal(bad, key);
	assert_non_null(why);
	assert_non_null(strstr(why, reason));
}

static void test_rejections(void **state)
{
	expect_bad("k mem=0", "mem", "at least 1M");
	expect_bad("k mem=lots", "mem", "size");
	expect_bad("k maxmem=512K", "maxmem", "at least 1M");
	expect_bad("k mem=64M maxmem=32M", "maxmem", "below mem");
	expect_bad("k vcpus=0", "vcpus", "1..64");
	expect_bad("k vcpus=65", "vcpus", "1..64");
	expect_bad("k weight=0", "weight", "1..65535");
	expect_bad("k weight=70000", "weight", "1..65535");
	expect_bad("k cache=x", "cache", "size");
	expect_bad("k name=", "name", "1..31");
	expect_bad("k name=abcdefghijklmnopqrstuvwxyz0123456", "name", "1..31");
	expect_bad("k colour=blue", "colour", "unknown option");
}

static void test_long_word(void **state)
{
	char line[200];

	memset(line, 'a', sizeof(line) - 1);
	line[0] = 'x';
	line[1] = '=';
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(parse(line), -1);
	assert_non_null(strstr(why, "too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_cmdline_rest_of_line),
		cmocka_unit_test(test_maxmem_follows_mem),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_long_word),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
