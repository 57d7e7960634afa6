/* SPDX-License-Identifier: MIT */
/*
 * The boot command line (xeno/cmdline.h). Every key lives in the table
 * below with its range; docs/boot.md describes them for users.
 */
#include <xeno/arch.h>
#include <xeno/cmdline.h>
#include <xeno/lib.h>

struct xeno_options opt = {
	.loglvl = 2,
	.maxcpus = NR_CPUS,
	.mem = 0,
	.exit_port = 0xf4,
	.bench_ops = 100000,
	.pcid = 1,
	.direct_access = 1,
};

/* P_BOOL: "on" or "off", stored as 1 or 0. */
enum param_kind { P_UINT, P_SIZE, P_STR, P_BOOL };

struct param {
	const char *name;
	enum param_kind kind;
	void *var;
	uint64_t min, max;
};

static const struct param params[] = {
	{ "loglvl", P_UINT, &opt.loglvl, 0, 3 },
	{ "maxcpus", P_UINT, &opt.maxcpus, 1, NR_CPUS },
	{ "mem", P_SIZE, &opt.mem, 16 << 20, UINT64_MAX },
	{ "exit_port", P_UINT, &opt.exit_port, 0, 0xffff },
	{ "bench_ops", P_UINT, &opt.bench_ops, 1, 100000000 },
	{ "test_dead_cpu", P_UINT, &opt.test_dead_cpu, 0, 1 },
	{ "pcid", P_BOOL, &opt.pcid, 0, 1 },
	{ "test_move_delay_us", P_UINT, &opt.test_move_delay_us, 0, 100000 },
	{ "test_scrub_delay_us", P_UINT, &opt.test_scrub_delay_us, 0, 100000 },
	{ "direct_access", P_BOOL, &opt.direct_access, 0, 1 },
	{ "selftest", P_STR, opt.selftest, 0, 0 },
	{ "bench", P_STR, opt.bench, 0, 0 },
};

static const struct param *find_param(const char *key, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(params); i++) {
		if (strlen(params[i].name) == len &&
		    !strncmp(params[i].name, key, len)) {
			return &params[i];
		}
	}
	return NULL;
}

static int set_param(const struct param *p, const char *val)
{
	uint64_t v;

	if (p->kind == P_STR) {
		if (strlen(val) >= OPT_STR_MAX) {
			printk(LOG_ERR,
			       "cmdline: %s: value longer than %d "
			       "characters\n",
			       p->name, OPT_STR_MAX - 1);
			return -1;
		}
		memcpy(p->var, val, strlen(val) + 1);
		return 0;
	}
	if (p->kind == P_BOOL) {
		if (strcmp(val, "on") != 0 && strcmp(val, "off") != 0) {
			printk(LOG_ERR, "cmdline: %s=%s: not on or off\n",
			       p->name, val);
			return -1;
		}
		*(uint64_t *)p->var = val[1] == 'n';
		return 0;
	}
	if (parse_u64(val, &v, p->kind == P_SIZE)) {
		printk(LOG_ERR, "cmdline: %s=%s: not a number\n", p->name, val);
		return -1;
	}
	if (v < p->min || v > p->max) {
		printk(LOG_ERR, "cmdline: %s=%s: out of range %lu..%lu\n",
		       p->name, val, p->min, p->max);
		return -1;
	}
	*(uint64_t *)p->var = v;
	return 0;
}

/* Handles one word "key=value" (len bytes). */
static int parse_word(const char *w, size_t len)
{
	char val[OPT_STR_MAX + 1];
	const char *eq = w;
	const struct param *p;
	size_t klen, vlen;

	while (eq < w + len && *eq != '=') {
		eq++;
	}
	klen = (size_t)(eq - w);
	p = find_param(w, klen);
	if (!p) {
		printk(LOG_WARN, "cmdline: unknown option '%.*s'\n", (int)klen,
		       w);
		return 0;
	}
	if (eq == w + len) {
		printk(LOG_ERR, "cmdline: %s needs a value (%s=...)\n", p->name,
		       p->name);
		return -1;
	}
	vlen = len - klen - 1;
	if (vlen > OPT_STR_MAX) {
		vlen = OPT_STR_MAX;
	}
	memcpy(val, eq + 1, vlen);
	val[vlen] = '\0';
	return set_param(p, val);
}

int cmdline_parse(const char *s)
{
	bool first = true;
	int bad = 0;

	while (*s) {
		const char *w;

		while (*s == ' ') {
			s++;
		}
		w = s;
		while (*s && *s != ' ') {
			s++;
		}
		if (s == w) {
			break;
		}
		/* Loaders put the image's path first: skip it. */
		if (first && !memchr(w, '=', (size_t)(s - w))) {
			first = false;
			continue;
		}
		first = false;
		if (parse_word(w, (size_t)(s - w))) {
			bad = -1;
		}
	}
	return bad;
}

bool list_next(const char **list, char *item, size_t size)
{
	const char *s = *list;
	size_t n = 0;

	while (*s == ',') {
		s++;
	}
	if (!*s) {
		return false;
	}
	while (*s && *s != ',') {
		if (n + 1 < size) {
			item[n++] = *s;
		}
		s++;
	}
	item[n] = '\0';
	*list = s;
	return true;
}

bool list_contains(const char *list, const char *word)
{
	char item[32];

	while (list_next(&list, item, sizeof(item))) {
		if (!strcmp(item, word)) {
			return true;
		}
	}
	return false;
}
