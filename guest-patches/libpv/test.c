/* SPDX-License-Identifier: MIT */
/*
 * The test API: result lines for the test runner (formats and rules in
 * libpv/test.h). State is one running test and two counters; checks may
 * fail inside handlers, so the state changes with events masked.
 */
#include <stdarg.h>

#include <libpv/console.h>
#include <libpv/events.h>
#include <libpv/string.h>
#include <libpv/test.h>

#define NAME_MAX 64
#define MSG_MAX	 200

static char current[NAME_MAX];
static bool running;
static bool current_failed;
static unsigned int passed, failed;

const char *pv_test_current(void)
{
	return running ? current : NULL;
}

unsigned int pv_test_passed(void)
{
	return passed;
}

unsigned int pv_test_failed(void)
{
	return failed;
}

bool pv_test_streq(const char *a, const char *b)
{
	if (!a || !b) {
		return a == b;
	}
	return strcmp(a, b) == 0;
}

/* Copies name, replacing blanks so the result line stays parseable. */
static void set_name(const char *name)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < NAME_MAX; i++) {
		char c = name[i];

		current[i] = (c == ' ' || c == '\t' || c == '\n') ? '_' : c;
	}
	current[i] = '\0';
}

void pv_test_begin(const char *name)
{
	unsigned int mask = pv_irq_save();

	if (running) {
		pv_test_end();
	}
	set_name(name && name[0] ? name : "unnamed");
	running = true;
	current_failed = false;
	pv_irq_restore(mask);
}

void pv_test_end(void)
{
	unsigned int mask = pv_irq_save();

	if (running) {
		if (current_failed) {
			failed++;
		} else {
			passed++;
			printf("TEST-RESULT %s PASS\n", current);
		}
		running = false;
	}
	pv_irq_restore(mask);
}

void pv_test_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[MSG_MAX];
	unsigned int mask;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++) {
		if (*p == '\n' || *p == '\r') {
			*p = ' ';
		}
	}

	mask = pv_irq_save();
	if (!running) {
		failed++;
		printf("TEST-RESULT toplevel FAIL %s:%d %s\n", file, line, msg);
	} else if (!current_failed) {
		current_failed = true;
		printf("TEST-RESULT %s FAIL %s:%d %s\n", current, file, line,
		       msg);
	} else {
		printf("  also %s:%d %s\n", file, line, msg);
	}
	pv_irq_restore(mask);
}

void pv_test_finish(void)
{
	pv_test_end();
	printf("TEST-SUMMARY passed=%u failed=%u\n", passed, failed);
	pv_console_flush();
}
