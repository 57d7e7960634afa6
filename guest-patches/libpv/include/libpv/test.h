/* SPDX-License-Identifier: MIT */
/*
 * The test API. Its result lines are what the test runner parses, one
 * per line, exactly:
 *
 *   TEST-RESULT <name> PASS
 *   TEST-RESULT <name> FAIL <file>:<line> <message>
 *   TEST-SUMMARY passed=<n> failed=<m>
 *
 * Interface rules:
 *   - A test is what lies between pv_test_begin(name) and pv_test_end().
 *     Names contain no blanks; use "<guest>.<case>".
 *   - The first failed check of a test prints its FAIL line at once (so a
 *     later crash cannot lose it); further failures of the same test are
 *     printed as "  also <file>:<line> <message>". pv_test_end() prints
 *     the PASS line of a test without failures.
 *   - A check outside any test counts as a failed test named "toplevel".
 *   - Checks do not stop the test; each PV_CHECK* is an expression whose
 *     value is true if the check passed, for "if (!PV_CHECK(...)) return".
 *   - When main() returns, libpv ends an open test, prints TEST-SUMMARY
 *     and powers off only if main returned 0 and nothing failed.
 *   - Messages are single lines: newlines in them are printed as blanks.
 */
#ifndef LIBPV_TEST_H
#define LIBPV_TEST_H

#include <stdbool.h>

#include <libpv/errno.h>

void pv_test_begin(const char *name);
void pv_test_end(void);

/* Records a failure of the current test; prints as described above. */
__attribute__((format(__printf__, 3, 4))) void
pv_test_fail(const char *file, int line, const char *fmt, ...);

/* Tests passed and failed so far (a running test is not counted yet). */
unsigned int pv_test_passed(void);
unsigned int pv_test_failed(void);

/* Ends an open test and prints TEST-SUMMARY; called after main(). */
void pv_test_finish(void);

/* The name of the running test, or NULL. */
const char *pv_test_current(void);

#define PV_CHECK(cond, fmt, ...)                                              \
	({                                                                    \
		bool pv_ok_ = (cond);                                         \
		if (!pv_ok_)                                                  \
			pv_test_fail(__FILE__, __LINE__, fmt, ##__VA_ARGS__); \
		pv_ok_;                                                       \
	})

/*
 * Integer or pointer comparisons; a failure prints both operands in
 * decimal and hex. Operands are evaluated once. Comparisons between
 * signed and unsigned operands follow C's usual conversions without a
 * -Wsign-compare warning, so PV_CHECK_EQ(count, 3) just works.
 */
/* clang-format would merge the _Pragma lines into one. */
/* clang-format off */
#define PV__CHECK_CMP(a, b, op)                                           \
	({                                                                \
		__auto_type pv_a_ = (a);                                  \
		__auto_type pv_b_ = (b);                                  \
		_Pragma("GCC diagnostic push")                            \
		_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")      \
		bool pv_ok_ = pv_a_ op pv_b_;                             \
		_Pragma("GCC diagnostic pop")                             \
		if (!pv_ok_)                                              \
			pv_test_fail(__FILE__, __LINE__,                  \
				     "%s " #op " %s: %lld (0x%llx) vs "   \
				     "%lld (0x%llx)",                     \
				     #a, #b, (long long)pv_a_,            \
				     (unsigned long long)pv_a_,           \
				     (long long)pv_b_,                    \
				     (unsigned long long)pv_b_);          \
		pv_ok_;                                                   \
	})
/* clang-format on */

#define PV_CHECK_EQ(a, b) PV__CHECK_CMP(a, b, ==)
#define PV_CHECK_NE(a, b) PV__CHECK_CMP(a, b, !=)
#define PV_CHECK_LT(a, b) PV__CHECK_CMP(a, b, <)
#define PV_CHECK_LE(a, b) PV__CHECK_CMP(a, b, <=)
#define PV_CHECK_GE(a, b) PV__CHECK_CMP(a, b, >=)
#define PV_CHECK_GT(a, b) PV__CHECK_CMP(a, b, >)

/* A hypercall result that must be 0; prints the error name otherwise. */
#define PV_CHECK_OK(rc)                                                   \
	({                                                                \
		long pv_rc_ = (long)(rc);                                 \
		if (pv_rc_ != 0)                                          \
			pv_test_fail(__FILE__, __LINE__,                  \
				     "%s returned %ld (%s)", #rc, pv_rc_, \
				     pv_errname(pv_rc_));                 \
		pv_rc_ == 0;                                              \
	})

/* String equality; a failure prints both strings. NULL is "(null)". */
#define PV_CHECK_STREQ(a, b)                                               \
	({                                                                 \
		const char *pv_sa_ = (a);                                  \
		const char *pv_sb_ = (b);                                  \
		bool pv_ok_ = pv_test_streq(pv_sa_, pv_sb_);               \
		if (!pv_ok_)                                               \
			pv_test_fail(__FILE__, __LINE__,                   \
				     "%s == %s: \"%s\" vs \"%s\"", #a, #b, \
				     pv_sa_ ? pv_sa_ : "(null)",           \
				     pv_sb_ ? pv_sb_ : "(null)");          \
		pv_ok_;                                                    \
	})

bool pv_test_streq(const char *a, const char *b);

#endif
