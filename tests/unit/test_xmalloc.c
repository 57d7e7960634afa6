/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the hypervisor heap (mm/xmalloc.c): size classes,
 * alignment, large blocks, reuse, slab release, exhaustion, zeroing, the
 * panics on bad frees, and concurrent use.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fixture.h"
#include <host.h>
#include <xeno/arch.h>
#include <xeno/frame.h>
#include <xeno/frame_alloc.h>
#include <xeno/xmalloc.h>

static struct page_info *page_of(const void *p)
{
	return mfn_to_page(arch_virt_to_mfn(p));
}

/* Frames free or held as slabs: what the heap has not lost. */
static uint64_t frames_accounted(void)
{
	return frame_free_count() + xmalloc_slab_frames();
}

/* Every size up to a page lands in a class that fits and aligns it. */
static void test_every_size_class(void **state)
{
	size_t size;

	for (size = 0; size <= XMALLOC_MAX_SLAB + 1; size++) {
		uint8_t *p = xmalloc(size);
		size_t cls = XMALLOC_MIN_SIZE;
		struct page_info *pg;

		while (cls < size) {
			cls <<= 1;
		}
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % XMALLOC_MIN_SIZE, 0);
		if (size <= XMALLOC_MAX_SLAB) {
			assert_int_equal((uintptr_t)p % cls, 0);
		} else {
			assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
		}
		pg = page_of(p);
		assert_true(pg->flags & PGF_XMALLOC);
		assert_true(pg->flags & PGF_ALLOCATED);
		memset(p, 0x5a, size);
		xfree(p);
	}
	assert_int_equal(frames_accounted(), NR_FREE);
}

/* Objects of one class never overlap; each keeps what was written. */
static void test_many_objects_distinct(void **state)
{
	enum { N = 5000 };
	static uint32_t *objs[N];
	size_t i, j;

	for (i = 0; i < N; i++) {
		size_t size = 16 + (i % 7) * 40; /* several classes */

		objs[i] = xmalloc(size);
		assert_non_null(objs[i]);
		for (j = 0; j < size / sizeof(uint32_t); j++) {
			objs[i][j] = (uint32_t)i;
		}
	}
	for (i = 0; i < N; i++) {
		size_t size = 16 + (i % 7) * 40;

		for (j = 0; j < size / sizeof(uint32_t); j++) {
			assert_int_equal(objs[i][j], i);
		}
	}
	assert_true(xmalloc_slab_frames() > 0);
	for (i = 0; i < N; i++) {
		xfree(objs[N - 1 - i]);
	}
	/* At most one idle slab per class stays. */
	assert_true(xmalloc_slab_frames() <= 8);
	assert_int_equal(frames_accounted(), NR_FREE);
}

/* A freed object is the next one its class hands out. */
static void test_reuse_after_free(void **state)
{
	void *a = xmalloc(64), *b = xmalloc(64), *c;

	assert_ptr_not_equal(a, b);
	xfree(a);
	c = xmalloc(60);
	assert_ptr_equal(c, a);
	xfree(b);
	xfree(c);
	xfree(NULL);
	assert_int_equal(frames_accounted(), NR_FREE);
}

/* Idle slabs go back to the frame allocator, except one per class. */
static void test_idle_slabs_released(void **state)
{
	void *p[6];
	unsigned int i;

	for (i = 0; i < 6; i++) {
		p[i] = xmalloc(2048); /* two per slab: three slabs */
	}
	assert_int_equal(xmalloc_slab_frames(), 3);
	assert_int_equal(frame_free_count(), NR_FREE - 3);
	for (i = 0; i < 6; i++) {
		xfree(p[i]);
	}
	assert_int_equal(xmalloc_slab_frames(), 1);
	assert_int_equal(frame_free_count(), NR_FREE - 1);
}

/* Large requests take whole, page-aligned blocks of frames. */
static void test_large_allocations(void **state)
{
	const size_t sizes[] = { 2049,	   4096,    4097,
				 5 * 4096, 1 << 20, (3 << 20) + 1 };
	const unsigned int orders[] = { 0, 0, 1, 3, 8, 10 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint8_t *p = xmalloc(sizes[i]);
		struct page_info *pg;

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
		pg = page_of(p);
		assert_int_equal(pg->order, orders[i]);
		assert_true(pg->flags & PGF_XMALLOC);
		assert_int_equal(frame_free_count(),
				 NR_FREE - (1ULL << orders[i]));
		memset(p, 0xc3, sizes[i]);
		xfree(p);
		assert_int_equal(pg->flags & PGF_XMALLOC, 0);
		assert_int_equal(frame_free_count(), NR_FREE);
	}
	assert_null(xmalloc((PAGE_SIZE << FRAME_MAX_ORDER) + 1));
	assert_null(xmalloc((size_t)-1));
	assert_null(xmalloc(64 << 20)); /* more than the machine has */
}

/* xzalloc returns zeroes even where freed objects left junk. */
static void test_xzalloc_zeroes(void **state)
{
	uint8_t *p = xmalloc(200), *q;
	size_t i;

	memset(p, 0xff, 200);
	xfree(p);
	q = xzalloc(200);
	assert_ptr_equal(q, p);
	for (i = 0; i < 200; i++) {
		assert_int_equal(q[i], 0);
	}
	xfree(q);
	q = xzalloc(3 * PAGE_SIZE);
	for (i = 0; i < 3 * PAGE_SIZE; i++) {
		assert_int_equal(q[i], 0);
	}
	xfree(q);
}

/* When frames run out xmalloc returns NULL, and all comes back. */
static void test_exhaustion(void **state)
{
	static void *p[NR_FRAMES * 4];
	size_t n = 0, i;

	/* Large and slab objects alternately, until one kind fails... */
	while (n < ARRAY_SIZE(p)) {
		p[n] = xmalloc(n % 2 ? 1024 : 8192);
		if (p[n] == NULL) {
			break;
		}
		n++;
	}
	assert_true(n > 1000);
	/* ...then slab objects until not even a single frame is left. */
	while (n < ARRAY_SIZE(p)) {
		p[n] = xmalloc(2048);
		if (p[n] == NULL) {
			break;
		}
		n++;
	}
	assert_true(n < ARRAY_SIZE(p));
	assert_int_equal(frame_free_count(), 0);
	assert_null(xmalloc(PAGE_SIZE));
	assert_null(xmalloc(2048));
	for (i = 0; i < n; i++) {
		xfree(p[i]);
	}
	assert_int_equal(frames_accounted(), NR_FREE);
	assert_int_equal(frame_alloc_audit(), 0);
}

/* ---- bad frees panic ---------------------------------------------------- */

static void expect_panic(void *p, const char *what)
{
	jmp_buf jb;

	if (setjmp(jb) == 0) {
		host_expect_panic(&jb);
		xfree(p);
		host_expect_panic(NULL);
		fail_msg("no panic (expected '%s')", what);
	}
	assert_non_null(strstr(host_panic_message(), what));
}

static void test_bad_frees_panic(void **state)
{
	uint8_t *small = xmalloc(32), *other = xmalloc(32);
	uint8_t *large = xmalloc(2 * PAGE_SIZE);
	int on_stack;

	expect_panic(small + 16, "not an object start");
	expect_panic(large + PAGE_SIZE, "inside a large block");
	expect_panic(&on_stack, "not hypervisor memory");
	xfree(small);
#ifdef XENO_DEBUG
	expect_panic(small, "double free");
#endif
	xfree(large);
	expect_panic(large, "not allocated by xmalloc");
	xfree(other);
	expect_panic(other, "double free");
	assert_int_equal(frames_accounted(), NR_FREE);
}

/* ---- concurrency -------------------------------------------------------- */

#define THREADS 4
#define ROUNDS	20000
#define KEEP	64

struct worker {
	pthread_t tid;
	unsigned int cpu;
	unsigned int errors;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t *held[KEEP] = { 0 };
	size_t sizes[KEEP] = { 0 };
	unsigned int seed = w->cpu * 104729 + 3, r, i;

	host_set_cpu(w->cpu);
	for (r = 0; r < ROUNDS; r++) {
		unsigned int k;

		seed = seed * 1103515245 + 12345;
		k = (seed >> 8) % KEEP;
		if (held[k] != NULL) {
			w->errors += held[k][0] != w->cpu ||
				     held[k][sizes[k] - 1] != w->cpu;
			xfree(held[k]);
		}
		sizes[k] = 1 + (seed >> 16) % ((seed & 64) ? 6000 : 300);
		held[k] = xmalloc(sizes[k]);
		if (held[k] == NULL) {
			w->errors++;
			continue;
		}
		memset(held[k], (int)w->cpu, sizes[k]);
	}
	for (i = 0; i < KEEP; i++) {
		xfree(held[i]);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct worker w[THREADS];
	unsigned int i;

	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .cpu = i };
		assert_int_equal(
			pthread_create(&w[i].tid, NULL, worker_main, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(w[i].tid, NULL);
		assert_int_equal(w[i].errors, 0);
	}
	assert_int_equal(frames_accounted(), NR_FREE);
	assert_int_equal(frame_alloc_audit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_every_size_class, machine_setup, machine_teardown),
		cmocka_unit_test_setup_teardown(test_many_objects_distinct,
						machine_setup,
						machine_teardown),
		cmocka_unit_test_setup_teardown(
			test_reuse_after_free, machine_setup, machine_teardown),
		cmocka_unit_test_setup_teardown(test_idle_slabs_released,
						machine_setup,
						machine_teardown),
		cmocka_unit_test_setup_teardown(test_large_allocations,
						machine_setup,
						machine_teardown),
		cmocka_unit_test_setup_teardown(
			test_xzalloc_zeroes, machine_setup, machine_teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion, machine_setup,
						machine_teardown),
		cmocka_unit_test_setup_teardown(
			test_bad_frees_panic, machine_setup, machine_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, machine_setup,
						machine_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
