/* SPDX-License-Identifier: MIT */
/*
 * Formatted output: pv_vformat() turns a format and its arguments into
 * characters handed to a sink; vsnprintf() is the sink that fills a
 * buffer (the console's sink is in console.c). Conversions and flags are
 * listed in libpv/console.h. No floating point: libpv is built with
 * general registers only.
 */
#include <stdbool.h>
#include <stdint.h>

#include <libpv/console.h>

/* A parsed conversion specification. */
struct spec {
	bool left;     /* '-' */
	bool zero;     /* '0' */
	bool plus;     /* '+' */
	bool space;    /* ' ' */
	bool alt;      /* '#': 0x before hex, 0 before octal */
	int width;     /* 0 = none */
	int precision; /* -1 = none */
	int length;    /* 0 int, 1 long, 2 long long, -1 short, -2 char */
};

struct out {
	void (*put)(char c, void *ctx);
	void *ctx;
	int count;
};

static void emit(struct out *o, char c)
{
	o->put(c, o->ctx);
	o->count++;
}

static void emit_n(struct out *o, char c, int n)
{
	while (n-- > 0) {
		emit(o, c);
	}
}

/*
 * Emits prefix ("-", "0x"...) and the digits digits[0..ndigits), padded
 * to the spec's width and precision.
 */
static void emit_number(struct out *o, const struct spec *sp,
			const char *prefix, const char *digits, int ndigits)
{
	int plen = 0;
	int zeros = 0;
	int pad;

	while (prefix[plen]) {
		plen++;
	}
	if (sp->precision >= 0) {
		if (sp->precision > ndigits) {
			zeros = sp->precision - ndigits;
		}
	} else if (sp->zero && !sp->left && sp->width > plen + ndigits) {
		zeros = sp->width - plen - ndigits;
	}
	pad = sp->width - plen - zeros - ndigits;
	if (!sp->left) {
		emit_n(o, ' ', pad);
	}
	for (int i = 0; i < plen; i++) {
		emit(o, prefix[i]);
	}
	emit_n(o, '0', zeros);
	for (int i = 0; i < ndigits; i++) {
		emit(o, digits[i]);
	}
	if (sp->left) {
		emit_n(o, ' ', pad);
	}
}

/* Writes v in base into buf (most significant first); returns the length. */
static int to_digits(char *buf, unsigned long long v, unsigned int base,
		     bool upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = set[v % base];
		v /= base;
	} while (v);
	for (int i = 0; i < n; i++) {
		buf[i] = tmp[n - 1 - i];
	}
	return n;
}

static void format_unsigned(struct out *o, const struct spec *sp,
			    unsigned long long v, unsigned int base, bool upper,
			    const char *prefix)
{
	char digits[24];
	int n = to_digits(digits, v, base, upper);

	/* C: an explicit precision of 0 prints nothing for the value 0. */
	if (v == 0 && sp->precision == 0) {
		n = 0;
	}
	emit_number(o, sp, prefix, digits, n);
}

static void format_signed(struct out *o, const struct spec *sp, long long v)
{
	unsigned long long mag;
	const char *prefix = "";

	if (v < 0) {
		mag = 0ULL - (unsigned long long)v;
		prefix = "-";
	} else {
		mag = (unsigned long long)v;
		if (sp->plus) {
			prefix = "+";
		} else if (sp->space) {
			prefix = " ";
		}
	}
	format_unsigned(o, sp, mag, 10, false, prefix);
}

static void format_string(struct out *o, const struct spec *sp, const char *s)
{
	int len = 0;

	if (!s) {
		s = "(null)";
	}
	while (s[len] && (sp->precision < 0 || len < sp->precision)) {
		len++;
	}
	if (!sp->left) {
		emit_n(o, ' ', sp->width - len);
	}
	for (int i = 0; i < len; i++) {
		emit(o, s[i]);
	}
	if (sp->left) {
		emit_n(o, ' ', sp->width - len);
	}
}

/* Reads a signed argument of the spec's length. */
static long long arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 2:
		return va_arg(*ap, long long);
	case 1:
		return va_arg(*ap, long);
	case -1:
		return (short)va_arg(*ap, int);
	case -2:
		return (signed char)va_arg(*ap, int);
	default:
		return va_arg(*ap, int);
	}
}

static unsigned long long arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 2:
		return va_arg(*ap, unsigned long long);
	case 1:
		return va_arg(*ap, unsigned long);
	case -1:
		return (unsigned short)va_arg(*ap, unsigned int);
	case -2:
		return (unsigned char)va_arg(*ap, unsigned int);
	default:
		return va_arg(*ap, unsigned int);
	}
}

/* Parses flags, width, precision and length; returns the conversion. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .precision = -1 };
	for (;; f++) {
		if (*f == '-') {
			sp->left = true;
		} else if (*f == '0') {
			sp->zero = true;
		} else if (*f == '+') {
			sp->plus = true;
		} else if (*f == ' ') {
			sp->space = true;
		} else if (*f == '#') {
			sp->alt = true;
		} else {
			break;
		}
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	} else {
		while (*f >= '0' && *f <= '9') {
			sp->width = sp->width * 10 + (*f++ - '0');
		}
	}
	if (*f == '.') {
		f++;
		sp->precision = 0;
		if (*f == '*') {
			sp->precision = va_arg(*ap, int);
			if (sp->precision < 0) {
				sp->precision = -1;
			}
			f++;
		} else {
			while (*f >= '0' && *f <= '9') {
				sp->precision =
					sp->precision * 10 + (*f++ - '0');
			}
		}
	}
	for (;; f++) {
		if (*f == 'l') {
			sp->length++;
		} else if (*f == 'h') {
			sp->length--;
		} else if (*f == 'z' || *f == 't' || *f == 'j') {
			/* size_t, ptrdiff_t, intmax_t: all 64 bits. */
			sp->length = 1;
		} else {
			break;
		}
	}
	if (sp->length > 2) {
		sp->length = 2;
	}
	if (sp->length < -2) {
		sp->length = -2;
	}
	return f;
}

int pv_vformat(void (*put)(char c, void *ctx), void *ctx, const char *fmt,
	       va_list ap_in)
{
	struct out o = { .put = put, .ctx = ctx, .count = 0 };
	struct spec sp;
	va_list ap;

	va_copy(ap, ap_in);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			emit(&o, *f);
			continue;
		}
		f = parse_spec(f + 1, &sp, &ap);
		switch (*f) {
		case 'd':
		case 'i':
			format_signed(&o, &sp, arg_signed(&sp, &ap));
			break;
		case 'u':
			format_unsigned(&o, &sp, arg_unsigned(&sp, &ap), 10,
					false, "");
			break;
		case 'x':
		case 'X': {
			unsigned long long v = arg_unsigned(&sp, &ap);
			const char *prefix = "";

			if (sp.alt && v != 0) {
				prefix = *f == 'X' ? "0X" : "0x";
			}
			format_unsigned(&o, &sp, v, 16, *f == 'X', prefix);
			break;
		}
		case 'o': {
			unsigned long long v = arg_unsigned(&sp, &ap);

			/* '#': raise the precision until the first digit is 0. */
			if (sp.alt) {
				char tmp[24];
				int n = v ? to_digits(tmp, v, 8, false) : 0;

				if (sp.precision <= n) {
					sp.precision = n + 1;
				}
			}
			format_unsigned(&o, &sp, v, 8, false, "");
			break;
		}
		case 'p':
			format_unsigned(&o, &sp, (uintptr_t)va_arg(ap, void *),
					16, false, "0x");
			break;
		case 's':
			format_string(&o, &sp, va_arg(ap, const char *));
			break;
		case 'c':
			if (!sp.left) {
				emit_n(&o, ' ', sp.width - 1);
			}
			emit(&o, (char)va_arg(ap, int));
			if (sp.left) {
				emit_n(&o, ' ', sp.width - 1);
			}
			break;
		case '%':
			emit(&o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it and stop. */
			emit(&o, '%');
			f--;
			break;
		default:
			/* Unknown conversion: show it as written. */
			emit(&o, '%');
			emit(&o, *f);
			break;
		}
	}
	va_end(ap);
	return o.count;
}

struct buf_sink {
	char *buf;
	size_t size;
	size_t len;
};

static void put_buf(char c, void *ctx)
{
	struct buf_sink *b = ctx;

	if (b->len + 1 < b->size) {
		b->buf[b->len] = c;
	}
	b->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { .buf = buf, .size = size, .len = 0 };
	int n = pv_vformat(put_buf, &b, fmt, ap);

	if (size > 0) {
		buf[b.len < size ? b.len : size - 1] = '\0';
	}
	return n;
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
