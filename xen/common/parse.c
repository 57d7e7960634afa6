/* SPDX-License-Identifier: MIT */
/*
 * Number parsing shared by the hypervisor and host builds (command line,
 * domain options).
 */
#include <xeno/lib.h>

static int digit_value(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return 99;
}

int parse_u64(const char *s, uint64_t *out, bool allow_suffix)
{
	unsigned int base = 10, shift = 0;
	uint64_t v = 0;
	int d;

	if (!*s) {
		return -1;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s) {
			return -1;
		}
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	for (; *s; s++) {
		d = digit_value(*s);
		if (d >= (int)base) {
			break;
		}
		if (v > (UINT64_MAX - (uint64_t)d) / base) {
			return -1;
		}
		v = v * base + (uint64_t)d;
	}
	if (allow_suffix && *s) {
		switch (*s) {
		case 'k':
		case 'K':
			shift = 10;
			break;
		case 'm':
		case 'M':
			shift = 20;
			break;
		case 'g':
		case 'G':
			shift = 30;
			break;
		default:
			return -1;
		}
		s++;
		if (v > (UINT64_MAX >> shift)) {
			return -1;
		}
		v <<= shift;
	}
	if (*s) {
		return -1;
	}
	*out = v;
	return 0;
}
