/* SPDX-License-Identifier: MIT */
/*
 * Multi-CPU races of the page-type machine against giving frames back
 * (docs/mm.md §9, defects fixed): one CPU (a thread with its own CPU
 * index) pins or validates tables while another releases them, in the
 * same order, so that most releases land on a frame being pinned or
 * validated at that moment. Then preemptible devalidation (§7): two CPUs
 * pinning and unpinning one tree, each unpin stopping every few entries,
 * and a tree given back while its devalidation is stopped. Afterwards no frame given back may keep a
 * pin or a partial validation (it would never be dropped), the audit must
 * pass, and every released table must be free again.
 *
 * The races are not deterministic; each test repeats them for many
 * rounds and prints how often the interesting windows were hit.
 */
#include <pthread.h>

#include "mm_test.h"

#define ROUNDS 60
#define TABLES 24

/* What the pinning CPU does to each table. */
enum race_op {
	RACE_PIN,	  /* pin, not preemptible */
	RACE_PIN_PREEMPT, /* pin, preempted every few entries, continued */
	RACE_VALIDATE,	  /* take and drop an L2 reference (nested L1s) */
};

struct race {
	enum race_op op;
	struct page_info *tables[TABLES];
	struct page_info *lower[TABLES]; /* L1s under the L2s (RACE_VALIDATE) */
	pthread_barrier_t start;
	unsigned int pinned, refused, released;
};

/* Tables of n entries mapping data frames (or L1s), not yet validated. */
static void race_build(struct race *r, struct page_info *data)
{
	unsigned int i, j;

	for (i = 0; i < TABLES; i++) {
		r->tables[i] = new_frame(&d1);
		if (r->op == RACE_VALIDATE) {
			r->lower[i] = new_frame(&d1);
			for (j = 0; j < 16; j++) {
				tab(r->lower[i])[j] = ent(data, PTE_P);
			}
			tab(r->tables[i])[3] = ent(r->lower[i], PTE_P | PTE_RW);
			continue;
		}
		for (j = 0; j < 40; j++) {
			tab(r->tables[i])[j * 3] =
				ent(data, PTE_P | (j & 1 ? PTE_RW : 0));
		}
	}
}

static void *race_pinner(void *arg)
{
	struct race *r = arg;
	unsigned int i;
	int rc;

	host_set_cpu(1);
	pthread_barrier_wait(&r->start);
	for (i = 0; i < TABLES; i++) {
		mfn_t m = mfn_of(r->tables[i]);

		switch (r->op) {
		case RACE_PIN:
			rc = ptype_pin(&d1, m, PGT_l1, 0);
			break;
		case RACE_PIN_PREEMPT:
			do {
				rc = ptype_pin(&d1, m, PGT_l1,
					       PTYPE_PREEMPTIBLE);
			} while (rc == -EAGAIN);
			break;
		default:
			rc = page_get_and_type(r->lower[i], &d1, PGT_l1, 0);
			if (rc == 0) {
				page_put_and_type(r->lower[i]);
			}
			rc = page_get_and_type(r->tables[i], &d1, PGT_l2, 0);
			if (rc == 0) {
				page_put_and_type(r->tables[i]);
			}
			break;
		}
		if (rc == 0) {
			r->pinned++;
		} else {
			assert_int_equal(rc, -EINVAL);
			r->refused++;
		}
	}
	return NULL;
}

static void *race_releaser(void *arg)
{
	struct race *r = arg;
	unsigned int i;

	host_set_cpu(2);
	pthread_barrier_wait(&r->start);
	for (i = 0; i < TABLES; i++) {
		assert_int_equal(mm_domain_release(&d1, r->tables[i]), 0);
		if (r->op == RACE_VALIDATE) {
			assert_int_equal(mm_domain_release(&d1, r->lower[i]),
					 0);
		}
		r->released++;
	}
	return NULL;
}

/* After a round: nothing given back keeps a pin or a partial state. */
static void race_check(const struct race *r)
{
	unsigned int i;

	for (i = 0; i < TABLES; i++) {
		/* Freed, or at least neither pinned nor partial. */
		assert_false(r->tables[i]->flags & PGF_DOMAIN);
		if (r->op == RACE_VALIDATE) {
			assert_false(r->lower[i]->flags & PGF_DOMAIN);
		}
	}
	assert_int_equal(mm_audit(), 0);
}

static void race_run(enum race_op op, unsigned int preempt)
{
	struct page_info *data = new_frame(&d1);
	unsigned int round, pinned = 0, refused = 0;
	pthread_t a, b;

	for (round = 0; round < ROUNDS; round++) {
		struct race r = { .op = op };

		race_build(&r, data);
		ptype_set_preempt_interval(preempt);
		pthread_barrier_init(&r.start, NULL, 2);
		assert_int_equal(pthread_create(&a, NULL, race_pinner, &r), 0);
		assert_int_equal(pthread_create(&b, NULL, race_releaser, &r),
				 0);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		pthread_barrier_destroy(&r.start);
		ptype_set_preempt_interval(0);
		assert_int_equal(r.released, TABLES);
		race_check(&r);
		pinned += r.pinned;
		refused += r.refused;
	}
	/* Only the data frame is left, with its allocation reference. */
	assert_int_equal(page_count(data), 1);
	assert_int_equal(ptype_count(data), 0);
	print_message("      %u calls succeeded, %u refused (frame gone)\n",
		      pinned, refused);
}

static void test_release_vs_pin(void **state)
{
	race_run(RACE_PIN, 0);
}

/* Release lands on frames being validated (BUSY) or preempted (PARTIAL). */
static void test_release_vs_preempted_pin(void **state)
{
	race_run(RACE_PIN_PREEMPT, 3);
}

/* Nested validation: an L2 reference validating an L1 being released. */
static void test_release_vs_validate(void **state)
{
	race_run(RACE_VALIDATE, 0);
}

/* ---- preemptible devalidation against pins and releases ------------------- */

#define DV_ROUNDS 40
#define DV_L1S	  6

struct dv_race {
	struct page_info *l4, *l3, *l2, *l1[DV_L1S];
	pthread_barrier_t start;
	unsigned int pins[3], refused[3], stops[3]; /* by CPU */
	bool release; /* CPU 2 gives the tree back instead of pinning */
};

/* An L4 -> L3 -> L2 -> DV_L1S L1s of 60 entries each. */
static void dv_build(struct dv_race *r, struct page_info *data)
{
	unsigned int i, j;

	r->l4 = new_frame(&d1);
	r->l3 = new_frame(&d1);
	r->l2 = new_frame(&d1);
	for (i = 0; i < DV_L1S; i++) {
		r->l1[i] = new_frame(&d1);
		for (j = 0; j < 60; j++) {
			tab(r->l1[i])[j * 2] = ent(data, PTE_P);
		}
		tab(r->l2)[i * 50] = ent(r->l1[i], PTE_P | PTE_RW);
	}
	tab(r->l3)[7] = ent(r->l2, PTE_P | PTE_RW);
	tab(r->l4)[2] = ent(r->l3, PTE_P | PTE_RW);
}

/* Pins the L4 (continuing its validation), then unpins it preemptibly. */
static void dv_pin_unpin(struct dv_race *r, unsigned int cpu)
{
	struct page_info *pending;
	int rc;

	do {
		rc = ptype_pin(&d1, mfn_of(r->l4), PGT_l4, PTYPE_PREEMPTIBLE);
	} while (rc == -EAGAIN);
	if (rc != 0) {
		assert_int_equal(rc, -EINVAL);
		r->refused[cpu]++;
		return;
	}
	__atomic_fetch_add(&r->pins[cpu], 1, __ATOMIC_RELAXED);
	rc = ptype_unpin_deferred(&d1, mfn_of(r->l4), &pending);
	if (rc != 0) {
		/* Released meanwhile: the release dropped the pin. */
		assert_int_equal(rc, -EINVAL);
		return;
	}
	if (pending == NULL) {
		return;
	}
	while (ptype_finish_put(pending, PTYPE_PREEMPTIBLE) == -EAGAIN) {
		r->stops[cpu]++;
	}
	page_put(pending);
}

struct dv_thread {
	struct dv_race *r;
	unsigned int cpu;
};

static void *dv_pinner(void *arg)
{
	const struct dv_thread *t = arg;
	unsigned int i;

	host_set_cpu(t->cpu);
	pthread_barrier_wait(&t->r->start);
	for (i = 0; i < 6; i++) {
		dv_pin_unpin(t->r, t->cpu);
	}
	return NULL;
}

static void *dv_releaser(void *arg)
{
	struct dv_race *r = ((const struct dv_thread *)arg)->r;
	unsigned int i;

	host_set_cpu(2);
	pthread_barrier_wait(&r->start);
	for (i = 0;
	     i < 2000 && __atomic_load_n(&r->pins[1], __ATOMIC_RELAXED) == 0;
	     i++) {
		arch_cpu_relax();
	}
	assert_int_equal(mm_domain_release(&d1, r->l4), 0);
	assert_int_equal(mm_domain_release(&d1, r->l3), 0);
	assert_int_equal(mm_domain_release(&d1, r->l2), 0);
	for (i = 0; i < DV_L1S; i++) {
		assert_int_equal(mm_domain_release(&d1, r->l1[i]), 0);
	}
	return NULL;
}

static void dv_run(bool release)
{
	struct page_info *data = new_frame(&d1);
	unsigned int round, i, pins = 0, stops = 0;
	pthread_t a, b;

	for (round = 0; round < DV_ROUNDS; round++) {
		struct dv_race r = { .release = release };
		struct dv_thread ta = { &r, 1 }, tb = { &r, 2 };

		dv_build(&r, data);
		ptype_set_preempt_interval(3 + round % 5);
		pthread_barrier_init(&r.start, NULL, 2);
		assert_int_equal(pthread_create(&a, NULL, dv_pinner, &ta), 0);
		assert_int_equal(
			pthread_create(&b, NULL,
				       release ? dv_releaser : dv_pinner, &tb),
			0);
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		pthread_barrier_destroy(&r.start);
		ptype_set_preempt_interval(0);
		host_set_cpu(0);
		assert_int_equal(mm_audit(), 0);
		/* Nobody holds the tree: it is idle, or freed if given back. */
		assert_false(ptype_pinned(r.l4) || ptype_partial(r.l4));
		for (i = 0; i < DV_L1S; i++) {
			if (release) {
				assert_false(r.l1[i]->flags & PGF_DOMAIN);
			} else {
				assert_int_equal(ptype_count(r.l1[i]), 0);
				assert_false(ptype_partial(r.l1[i]));
			}
		}
		if (release) {
			assert_false(r.l4->flags & PGF_DOMAIN);
		} else {
			assert_int_equal(ptype_count(r.l4), 0);
		}
		pins += r.pins[1] + r.pins[2];
		stops += r.stops[1] + r.stops[2];
	}
	assert_int_equal(page_count(data), 1);
	print_message("      %u pins, %u devalidation stops continued\n", pins,
		      stops);
}

/*
 * Two CPUs pin and unpin the same tree, each unpin's devalidation
 * preempted and continued: a pin lands on a half-devalidated tree and
 * takes it over, the other's continuation then finds nothing to do.
 */
static void test_unpin_vs_repin(void **state)
{
	dv_run(false);
}

/* The tree is given back while one CPU's devalidation is stopped. */
static void test_release_vs_devalidation(void **state)
{
	dv_run(true);
}

/* ---- concurrent single-entry updates ----------------------------------------- */

#define UPDATES 400

static struct guest ga, gb;
static struct page_info *shared_data[4], *shared_l1[2];
static pthread_barrier_t upd_start;

/*
 * Two vCPUs of d1 rewrite the same L1 slots and the same L2 slots of
 * ga's tables at once: every swap must drop exactly the references of the
 * value it replaced.
 */
static void *updater(void *arg)
{
	struct guest *me = arg;
	struct mmu_update r[4];
	unsigned int i, k;
	uint32_t done;

	host_set_cpu(me->cpu);
	pthread_barrier_wait(&upd_start);
	for (i = 0; i < UPDATES; i++) {
		for (k = 0; k < 3; k++) {
			r[k] = mu(ma(ga.l1, 100 + k), 0,
				  ent(shared_data[(i + k + me->cpu) % 4],
				      PTE_P | ((i + k) & 1 ? PTE_RW : 0)));
		}
		r[3] = mu(ma(ga.l2, 30 + (i & 1)), 0,
			  (i + me->cpu) % 3 ? ent(shared_l1[i % 2], PTE_P) : 0);
		assert_int_equal(mmu(me, r, 4, &done, DOMID_SELF), 0);
	}
	return NULL;
}

static void test_concurrent_updates(void **state)
{
	pthread_t a, b;
	unsigned int i;

	guest_init(&ga, &d1, 0, 1);
	guest_init(&gb, &d1, 1, 2);
	for (i = 0; i < 4; i++) {
		shared_data[i] = new_frame(&d1);
	}
	for (i = 0; i < 2; i++) {
		shared_l1[i] = new_frame(&d1);
		tab(shared_l1[i])[0] = ent(shared_data[i], PTE_P | PTE_RW);
	}
	pthread_barrier_init(&upd_start, NULL, 2);
	assert_int_equal(pthread_create(&a, NULL, updater, &ga), 0);
	assert_int_equal(pthread_create(&b, NULL, updater, &gb), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_barrier_destroy(&upd_start);
	host_set_cpu(0);
	assert_int_equal(mm_audit(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		MM_TEST(test_release_vs_pin),
		MM_TEST(test_release_vs_preempted_pin),
		MM_TEST(test_release_vs_validate),
		MM_TEST(test_unpin_vs_repin),
		MM_TEST(test_release_vs_devalidation),
		MM_TEST(test_concurrent_updates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
