/* SPDX-License-Identifier: MIT */
/*
 * The domain options of a boot module's command line (docs/domains.md):
 *
 *   [path] name=NAME mem=SIZE maxmem=SIZE vcpus=N weight=N cache=SIZE
 *          cmdline=TEXT...
 *
 * Words without '=' are ignored (loaders put the module's path first).
 * cmdline= takes the rest of the line, blanks included. SIZE takes a
 * K/M/G suffix. A module names a domain iff it has name=.
 *
 * Generic and free of side effects, so the host unit tests run it.
 */
#include <xeno/domain_build.h>
#include <xeno/lib.h>

#define DEFAULT_MEM   (16ULL << 20)
#define MIN_MEM	      (1ULL << 20)
#define MAX_WEIGHT    65535
#define MAX_DOM_VCPUS 64

static bool parse_size(const char *v, uint64_t *out)
{
	return parse_u64(v, out, true) == 0;
}

/* One key=value word (value NUL-terminated). Returns NULL or why not. */
static const char *apply(struct domain_config *c, const char *key,
			 const char *v, bool *has_maxmem)
{
	uint64_t n;

	if (strcmp(key, "name") == 0) {
		if (v[0] == '\0' || strlen(v) >= sizeof(c->name)) {
			return "name= must be 1..31 characters";
		}
		snprintf(c->name, sizeof(c->name), "%s", v);
	} else if (strcmp(key, "mem") == 0) {
		if (!parse_size(v, &n) || n < MIN_MEM) {
			return "mem= must be a size of at least 1M";
		}
		c->mem = n;
	} else if (strcmp(key, "maxmem") == 0) {
		if (!parse_size(v, &n) || n < MIN_MEM) {
			return "maxmem= must be a size of at least 1M";
		}
		c->maxmem = n;
		*has_maxmem = true;
	} else if (strcmp(key, "vcpus") == 0) {
		if (parse_u64(v, &n, false) != 0 || n == 0 ||
		    n > MAX_DOM_VCPUS) {
			return "vcpus= must be 1..64";
		}
		c->vcpus = (unsigned int)n;
	} else if (strcmp(key, "weight") == 0) {
		if (parse_u64(v, &n, false) != 0 || n == 0 || n > MAX_WEIGHT) {
			return "weight= must be 1..65535";
		}
		c->weight = (unsigned int)n;
	} else if (strcmp(key, "cache") == 0) {
		if (!parse_size(v, &n)) {
			return "cache= must be a size";
		}
		c->cache = n;
	} else {
		return "unknown option";
	}
	return NULL;
}

int domain_config_parse(struct domain_config *c, const char *line,
			const char **why, char *bad, size_t bad_size)
{
	bool has_maxmem = false;
	const char *p = line;

	memset(c, 0, sizeof(*c));
	c->mem = DEFAULT_MEM;
	c->vcpus = 1;
	c->weight = 256;
	while (*p != '\0') {
		char word[MODULE_WORD_MAX];
		const char *eq, *err;
		size_t n = 0;

		while (*p == ' ') {
			p++;
		}
		if (strncmp(p, "cmdline=", 8) == 0) {
			snprintf(c->cmdline, sizeof(c->cmdline), "%s", p + 8);
			break;
		}
		while (p[n] != '\0' && p[n] != ' ') {
			n++;
		}
		if (n == 0) {
			break;
		}
		snprintf(word, MIN(n + 1, sizeof(word)), "%s", p);
		p += n;
		eq = strchr(word, '=');
		if (eq == NULL) {
			continue;
		}
		word[eq - word] = '\0';
		err = n >= sizeof(word) ? "option too long"
					: apply(c, word, eq + 1, &has_maxmem);
		if (err != NULL) {
			*why = err;
			snprintf(bad, bad_size, "%s", word);
			return -1;
		}
	}
	if (!has_maxmem) {
		c->maxmem = c->mem;
	}
	if (c->maxmem < c->mem) {
		*why = "maxmem= is below mem=";
		snprintf(bad, bad_size, "maxmem");
		return -1;
	}
	return 0;
}
