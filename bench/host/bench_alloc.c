/* SPDX-License-Identifier: MIT */
/*
 * Host benchmark of the frame allocator (mm/frame_alloc.c): the cost of
 * an alloc+free pair of one frame on 1, 2 and 4 CPUs (threads, each its
 * own CPU, all running at once) and of one 2 MiB (order-9) block.
 *
 * Each figure is the median of REPEATS runs; a run's ns_per_op is the wall
 * time from the first thread's start to the last thread's end divided by
 * the pairs each thread did. Output, one line per figure:
 *   XENO-BENCH <name> ns_per_op=<x.y> ops=<pairs per thread> cpus=<n>
 * Heap-lock and cache counters per pair go to stderr as a cross-check.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <host.h>
#include <xeno/arch.h>
#include <xeno/frame_alloc.h>

#define REPEATS	       7
#define MAX_THREADS    4
#define MACHINE_FRAMES (1ULL << 16) /* 256 MiB, mapped lazily */

struct run {
	pthread_t tid;
	pthread_barrier_t *go;
	unsigned int cpu;
	unsigned int order;
	uint64_t ops;
	uint64_t start_ns;
	uint64_t end_ns;
};

static void *run_thread(void *arg)
{
	struct run *r = arg;
	uint64_t i;

	host_set_cpu(r->cpu);
	pthread_barrier_wait(r->go);
	r->start_ns = arch_now_ns();
	for (i = 0; i < r->ops; i++) {
		struct page_info *pg = frame_alloc(r->order, 0);

		if (pg == NULL) {
			fprintf(stderr, "bench_alloc: out of frames\n");
			abort();
		}
		frame_free(pg, r->order, 0);
	}
	r->end_ns = arch_now_ns();
	return NULL;
}

/* One run: ns per alloc+free pair per thread, by wall time. */
static double measure_once(unsigned int cpus, unsigned int order, uint64_t ops)
{
	struct run runs[MAX_THREADS];
	pthread_barrier_t go;
	uint64_t first = UINT64_MAX, last = 0;
	unsigned int i;

	pthread_barrier_init(&go, NULL, cpus);
	for (i = 0; i < cpus; i++) {
		runs[i] = (struct run){
			.go = &go, .cpu = i, .order = order, .ops = ops
		};
		if (pthread_create(&runs[i].tid, NULL, run_thread, &runs[i])) {
			perror("pthread_create");
			exit(1);
		}
	}
	for (i = 0; i < cpus; i++) {
		pthread_join(runs[i].tid, NULL);
		first = MIN(first, runs[i].start_ns);
		last = MAX(last, runs[i].end_ns);
	}
	pthread_barrier_destroy(&go);
	return (double)(last - first) / (double)ops;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void measure(const char *name, unsigned int cpus, unsigned int order,
		    uint64_t ops)
{
	double t[REPEATS];
	struct frame_stats s0, s1;
	double pairs = (double)ops * cpus * REPEATS;
	unsigned int i;

	measure_once(cpus, order, ops / 10); /* warm caches and the buddy */
	frame_alloc_stats(&s0);
	for (i = 0; i < REPEATS; i++) {
		t[i] = measure_once(cpus, order, ops);
	}
	frame_alloc_stats(&s1);
	qsort(t, REPEATS, sizeof(t[0]), cmp_double);
	printf("XENO-BENCH %s ns_per_op=%.1f ops=%llu cpus=%u\n", name,
	       t[REPEATS / 2], (unsigned long long)ops, cpus);
	fprintf(stderr,
		"bench_alloc: %s: heap locks/pair %.4f, cache "
		"hits/pair %.4f, min %.1f max %.1f ns\n",
		name, (double)(s1.heap_locks - s0.heap_locks) / pairs,
		(double)(s1.cache_hits - s0.cache_hits) / pairs, t[0],
		t[REPEATS - 1]);
	fflush(stdout);
}

int main(void)
{
	host_machine_init(MACHINE_FRAMES, MAX_THREADS);
	measure("host_alloc_order0_1cpu", 1, 0, 1000000);
	measure("host_alloc_order0_2cpu", 2, 0, 1000000);
	measure("host_alloc_order0_4cpu", 4, 0, 1000000);
	measure("host_alloc_order9_1cpu", 1, 9, 100000);
	host_machine_fini();
	return 0;
}
