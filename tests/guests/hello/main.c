/* SPDX-License-Identifier: MIT */
/*
 * The smallest test guest: prints a greeting and checks what every later
 * guest relies on — libpv's formatting and runtime, the start_info page,
 * the hypercall page and a first hypercall. Nothing here assumes more of
 * the hypervisor than the ABI promises.
 */
#include <libpv.h>

/* Formats into a buffer and compares with the expected text. */
#define CHECK_FMT(expect, ...)                             \
	do {                                               \
		char buf_[96];                             \
		snprintf(buf_, sizeof(buf_), __VA_ARGS__); \
		PV_CHECK_STREQ(buf_, expect);              \
	} while (0)

static void test_printf(void)
{
	char small[8];
	int n;

	pv_test_begin("hello.printf");
	CHECK_FMT("42 -42 7", "%d %i %u", 42, -42, 7u);
	CHECK_FMT("[   42]", "[%5d]", 42);
	CHECK_FMT("[42   ]", "[%-5d]", 42);
	CHECK_FMT("[00042]", "[%05d]", 42);
	CHECK_FMT("[-0042]", "[%05d]", -42);
	CHECK_FMT("beef BEEF", "%x %X", 0xbeefu, 0xbeefu);
	CHECK_FMT("ffffffff80000000", "%lx", 0xffffffff80000000UL);
	CHECK_FMT("123456789abcdef0", "%llx", 0x123456789abcdef0ULL);
	CHECK_FMT("0x1000", "%p", (void *)0x1000);
	CHECK_FMT("[abc] [  abc] [abc  ] [ab]", "[%s] [%5s] [%-5s] [%.2s]",
		  "abc", "abc", "abc", "abcdef");
	CHECK_FMT("x%y", "%c%%%c", 'x', 'y');
	CHECK_FMT("18446744073709551615", "%lu", ~0UL);
	CHECK_FMT("-9223372036854775808", "%lld", (-9223372036854775807LL - 1));
	CHECK_FMT("12345678", "%zu", (size_t)12345678);
	CHECK_FMT("[0000cafe]", "[%08x]", 0xcafeu);
	CHECK_FMT("[  7]", "[%*d]", 3, 7);

	/* Truncation: C99 return value, always terminated. */
	n = snprintf(small, sizeof(small), "%s", "0123456789");
	PV_CHECK_EQ(n, 10);
	PV_CHECK_STREQ(small, "0123456");
	n = snprintf(NULL, 0, "%d", 12345);
	PV_CHECK_EQ(n, 5);
	pv_test_end();
}

static void test_runtime(void)
{
	char a[32], b[32];

	pv_test_begin("hello.runtime");
	memset(a, 'x', sizeof(a));
	PV_CHECK_EQ(a[0], 'x');
	PV_CHECK_EQ(a[31], 'x');
	memcpy(b, "hello world", 12);
	PV_CHECK_STREQ(b, "hello world");
	memmove(b + 2, b, 12); /* overlapping, forwards */
	PV_CHECK_STREQ(b, "hehello world");
	memmove(b, b + 2, 12); /* overlapping, backwards */
	PV_CHECK_STREQ(b, "hello world");
	PV_CHECK_EQ(strlen(b), 11);
	PV_CHECK(strcmp("abc", "abd") < 0, "strcmp abc < abd");
	PV_CHECK(strcmp("abd", "abc") > 0, "strcmp abd > abc");
	PV_CHECK_EQ(strcmp("abc", "abc"), 0);
	PV_CHECK_EQ(strncmp("abcx", "abcy", 3), 0);
	PV_CHECK(memcmp("\x01", "\xff", 1) < 0, "memcmp is unsigned");
	PV_CHECK_EQ(strchr(b, 'w'), b + 6);
	PV_CHECK_EQ(strchr(b, 'q'), NULL);
	PV_CHECK_EQ(strchr(b, '\0'), b + 11);
	pv_test_end();
}

static void test_start_info(void)
{
	const char *magic = "xen-3.0-x86_64";

	pv_test_begin("hello.start_info");
	PV_CHECK(strncmp(start_info->magic, magic, strlen(magic)) == 0,
		 "magic is \"%.32s\"", start_info->magic);
	PV_CHECK_GT(start_info->nr_pages, 0);
	PV_CHECK_NE(start_info->shared_info, 0);
	PV_CHECK_EQ(start_info->shared_info & 0xfff, 0);
	/* Bootstrap elements lie above the image, page aligned (§3.8). */
	PV_CHECK_GE(start_info->pt_base, (uint64_t)pv_image_end);
	PV_CHECK_EQ(start_info->pt_base & 0xfff, 0);
	PV_CHECK_GT(start_info->nr_pt_frames, 0);
	PV_CHECK_GE(start_info->mfn_list, (uint64_t)pv_image_end);
	/* The P2M entry of the image's first page is a real frame. */
	PV_CHECK_NE(pv_pfn_to_mfn(0), PV_INVALID_FRAME);
	pv_test_end();
}

static void test_hypercall_page(void)
{
	long direct, via_page;

	pv_test_begin("hello.hypercall_page");
	PV_CHECK((uint64_t)hypercall_page % 4096 == 0,
		 "hypercall_page at %p is not page aligned", hypercall_page);
	if (PV_CHECK(pv_hypercall_page_filled(), "first byte still 0x%02x",
		     hypercall_page[0])) {
		direct = HYPERVISOR_xen_version(XENVER_version, NULL);
		via_page = hypercall_page_call(__HYPERVISOR_xen_version,
					       XENVER_version, 0, 0);
		PV_CHECK_EQ(via_page, direct);
	}
	pv_test_end();
}

static void test_xen_version(void)
{
	long v;

	pv_test_begin("hello.xen_version");
	v = HYPERVISOR_xen_version(XENVER_version, NULL);
	PV_CHECK(v >= 0, "XENVER_version returned %ld (%s)", v, pv_errname(v));
	PV_CHECK_GE(v >> 16, 3);
	pv_test_end();
}

static void test_shared_info(void)
{
	pv_test_begin("hello.shared_info");
	if (PV_CHECK(HYPERVISOR_shared_info != NULL,
		     "shared_info not mapped")) {
		/* The builder starts vCPU 0 with events masked (§3.12). */
		PV_CHECK_EQ(pv_boot_upcall_mask, 1);
		/* libpv enabled them before main(). */
		PV_CHECK(pv_irq_enabled(), "events still masked in main");
	}
	pv_test_end();
}

int main(void)
{
	printf("Hello from libpv\n");
	test_printf();
	test_runtime();
	test_start_info();
	test_hypercall_page();
	test_xen_version();
	test_shared_info();
	return 0;
}
