/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's small C library: memory and string functions,
 * vsnprintf and number parsing. Hypervisor builds only; host builds use
 * the C library (xeno/lib.h).
 *
 * vsnprintf understands %d %i %u %x %X %o %p %s %c %% with the flags
 * '-', '0' and '#' (0x prefix), a width and a precision (also as '*'), and the length
 * modifiers hh, h, l, ll, z and t. It always NUL-terminates (when size > 0)
 * and returns the length the full output would have had.
 */
#include <xeno/lib.h>

/*
 * memset and memcpy move eight bytes per step when they can: under an
 * emulator each step of a REP string instruction costs about the same
 * whatever its width, so whole pages go eight times faster than bytewise.
 * Large aligned memsets go one 64-byte line (eight MOVs) per loop step,
 * about a third faster again than REP STOSQ under an emulator.
 */

/* Stores v to the n64 64-byte lines at d; returns the end. */
static void *set_lines(void *d, uint64_t v, size_t n64)
{
	__asm__ volatile("1:\n\t"
			 "movq %2, 0(%0)\n\t"
			 "movq %2, 8(%0)\n\t"
			 "movq %2, 16(%0)\n\t"
			 "movq %2, 24(%0)\n\t"
			 "movq %2, 32(%0)\n\t"
			 "movq %2, 40(%0)\n\t"
			 "movq %2, 48(%0)\n\t"
			 "movq %2, 56(%0)\n\t"
			 "add $64, %0\n\t"
			 "dec %1\n\t"
			 "jnz 1b"
			 : "+r"(d), "+r"(n64)
			 : "r"(v)
			 : "memory");
	return d;
}

void *memset(void *d, int c, size_t n)
{
	void *ret = d;
	size_t q;

	/* Whole pages (and other large aligned runs) line by line. */
	if (n >= 64 && ((uintptr_t)d & 7) == 0) {
		d = set_lines(d, 0x0101010101010101ULL * (uint8_t)c, n / 64);
		n &= 63;
	}
	q = n / 8;
	if (q != 0) {
		uint64_t v = 0x0101010101010101ULL * (uint8_t)c;

		__asm__ volatile("rep stosq"
				 : "+D"(d), "+c"(q)
				 : "a"(v)
				 : "memory");
	}
	n &= 7;
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return ret;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
	void *ret = d;
	size_t q = n / 8;

	if (q != 0) {
		__asm__ volatile("rep movsq"
				 : "+D"(d), "+S"(s), "+c"(q)
				 :
				 : "memory");
	}
	n &= 7;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return ret;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp <= sp || dp >= sp + n) {
		return memcpy(d, s, n);
	}
	while (n--) {
		dp[n] = sp[n];
	}
	return d;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (; n; n--, p++) {
		if (*p == (unsigned char)c) {
			return (void *)(uintptr_t)p;
		}
	}
	return NULL;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	size_t i;

	for (i = 0; i < n; i++) {
		if (x[i] != y[i]) {
			return x[i] - y[i];
		}
	}
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n]) {
		n++;
	}
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n]) {
		n++;
	}
	return n;
}

size_t strlcpy(char *d, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size != 0) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(d, src, c);
		d[c] = '\0';
	}
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b || !*a) {
			return (unsigned char)*a - (unsigned char)*b;
		}
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c) {
			return (char *)(uintptr_t)s;
		}
		if (!*s) {
			return NULL;
		}
	}
}

/* Output cursor of vsnprintf: writes what fits, counts everything. */
struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size) {
		o->buf[o->len] = c;
	}
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
		       bool left, char padc)
{
	int pad = width > (int)n ? width - (int)n : 0;

	if (!left && padc == '0' && n > 0 && s[0] == '-') {
		put(o, '-');
		s++;
		n--;
	}
	while (!left && pad-- > 0) {
		put(o, padc);
	}
	while (n--) {
		put(o, *s++);
	}
	while (left && pad-- > 0) {
		put(o, ' ');
	}
}

static size_t format_number(char *tmp, uint64_t v, unsigned int base,
			    bool upper, bool negative)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char rev[24];
	size_t n = 0, i = 0;

	do {
		rev[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (negative) {
		tmp[i++] = '-';
	}
	while (n) {
		tmp[i++] = rev[--n];
	}
	return i;
}

/* Reads an integer argument of the given length modifier. */
static uint64_t arg_unsigned(va_list *ap, int lng)
{
	switch (lng) {
	case -2:
		return (unsigned char)va_arg(*ap, unsigned int);
	case -1:
		return (unsigned short)va_arg(*ap, unsigned int);
	case 0:
		return va_arg(*ap, unsigned int);
	default:
		return va_arg(*ap, unsigned long);
	}
}

static int64_t arg_signed(va_list *ap, int lng)
{
	switch (lng) {
	case -2:
		return (signed char)va_arg(*ap, int);
	case -1:
		return (short)va_arg(*ap, int);
	case 0:
		return va_arg(*ap, int);
	default:
		return va_arg(*ap, long);
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
	struct out o = { buf, size, 0 };
	va_list ap;

	va_copy(ap, ap_in);
	for (; *fmt; fmt++) {
		bool left = false, alt = false, neg;
		char padc = ' ', tmp[24];
		int width = 0, prec = -1, lng = 0;
		uint64_t u;
		int64_t s;
		const char *str;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-') {
				left = true;
			} else if (*fmt == '#') {
				alt = true;
			} else if (*fmt == '0') {
				padc = '0';
			} else {
				break;
			}
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9') {
			width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			}
			while (*fmt >= '0' && *fmt <= '9') {
				prec = prec * 10 + (*fmt++ - '0');
			}
		}
		for (;; fmt++) {
			if (*fmt == 'h') {
				lng--;
			} else if (*fmt == 'l' || *fmt == 'z' || *fmt == 't') {
				lng++;
			} else {
				break;
			}
		}
		switch (*fmt) {
		case 'd':
		case 'i':
			s = arg_signed(&ap, lng);
			neg = s < 0;
			u = neg ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
			put_padded(&o, tmp,
				   format_number(tmp, u, 10, false, neg), width,
				   left, padc);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = arg_unsigned(&ap, lng);
			if (alt && (*fmt == 'x' || *fmt == 'X')) {
				put(&o, '0');
				put(&o, *fmt);
			}
			put_padded(&o, tmp,
				   format_number(tmp, u,
						 *fmt == 'u'   ? 10
						 : *fmt == 'o' ? 8
							       : 16,
						 *fmt == 'X', false),
				   width, left, padc);
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			put(&o, '0');
			put(&o, 'x');
			put_padded(&o, tmp,
				   format_number(tmp, u, 16, false, false), 16,
				   false, '0');
			break;
		case 's':
			str = va_arg(ap, const char *);
			if (!str) {
				str = "(null)";
			}
			put_padded(&o, str,
				   prec >= 0 ? strnlen(str, (size_t)prec)
					     : strlen(str),
				   width, left, ' ');
			break;
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(&o, tmp, 1, width, left, ' ');
			break;
		case '%':
			put(&o, '%');
			break;
		default:
			/* An unknown conversion is printed as written. */
			put(&o, '%');
			if (*fmt) {
				put(&o, *fmt);
			} else {
				fmt--;
			}
			break;
		}
	}
	va_end(ap);
	if (size) {
		buf[o.len < size ? o.len : size - 1] = '\0';
	}
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
