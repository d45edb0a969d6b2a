/* SPDX-License-Identifier: MIT */
/* options.c - command line parsing and validation (see options_usage). */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define VERSION "1"

const char *proto_name(enum proto_kind p)
{
	return p == PROTO_HTTP ? "http" : p == PROTO_REDIS ? "redis" : "memcached";
}

void options_usage(FILE *f)
{
	fputs("usage: saio-load [options] URL          (URL: http://HOST[:PORT][/PATH], redis://HOST[:PORT],\n"
	      "                                          memcached://HOST[:PORT])\n"
	      "       saio-load --merge FILE...         (merge the histograms of --json outputs)\n"
	      "\n"
	      "load:\n"
	      "  -t, --threads N          generator threads, one epoll loop each (1)\n"
	      "  -c, --connections N      connections in all (10)\n"
	      "  -d, --duration SECONDS   measured time: 10, 2.5, 500ms, 1m (10)\n"
	      "      --warmup SECONDS     unrecorded load before the window (0)\n"
	      "  -R, --rate RATE          open loop at RATE requests/s in all (50k, 1.5M); default closed loop\n"
	      "      --arrivals poisson|uniform   open-loop inter-arrival law (poisson)\n"
	      "      --depth N            open loop: requests in flight per connection at most (4)\n"
	      "      --pipeline N         closed loop: requests in flight per connection (1)\n"
	      "      --seed N             schedule and workload seed (random, reported)\n"
	      "      --cpus LIST          pin thread i to the i-th CPU of LIST (0,2-3)\n"
	      "      --timeout SECONDS    connect bound and wait for in-flight replies after the window (2)\n"
	      "      --start-at MS        start the load at this wall-clock time (Unix ms), not when ready\n"
	      "http:\n"
	      "      --keepalive | --close    reuse connections (default) or one per request\n"
	      "  -H, --header 'Name: value'   extra request header (repeatable)\n"
	      "      --expect-file PATH       the body every response must have (default: fetched once first)\n"
	      "      --expect-status N        the status every response must have\n"
	      "redis, memcached:\n"
	      "      --workload get|set|mixed:F   GETs, SETs, or GETs with probability F (mixed:0.9)\n"
	      "      --keys N             key space (10000)\n"
	      "      --key-size N         key bytes, prefix included (16)\n"
	      "      --value-size N       value bytes, >= 16 (32)\n"
	      "      --key-prefix STR     (saio:)\n"
	      "output:\n"
	      "      --json               one JSON document on stdout (schema: native/README.md)\n"
	      "      --strict             exit 3 if any response mismatched or any error occurred\n"
	      "  -h, --help, --version\n",
	      f);
}

enum {
	O_WARMUP = 256, O_ARRIVALS, O_DEPTH, O_PIPELINE, O_SEED, O_CPUS, O_TIMEOUT, O_KEEPALIVE, O_CLOSE,
	O_EXPECT_FILE, O_EXPECT_STATUS, O_WORKLOAD, O_KEYS, O_KEY_SIZE, O_VALUE_SIZE, O_KEY_PREFIX, O_JSON,
	O_STRICT, O_MERGE, O_VERSION, O_START_AT,
};

static const struct option longopts[] = {
	{ "threads", required_argument, NULL, 't' },
	{ "connections", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 'd' },
	{ "rate", required_argument, NULL, 'R' },
	{ "header", required_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "warmup", required_argument, NULL, O_WARMUP },
	{ "arrivals", required_argument, NULL, O_ARRIVALS },
	{ "depth", required_argument, NULL, O_DEPTH },
	{ "pipeline", required_argument, NULL, O_PIPELINE },
	{ "seed", required_argument, NULL, O_SEED },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "keepalive", no_argument, NULL, O_KEEPALIVE },
	{ "close", no_argument, NULL, O_CLOSE },
	{ "expect-file", required_argument, NULL, O_EXPECT_FILE },
	{ "expect-status", required_argument, NULL, O_EXPECT_STATUS },
	{ "workload", required_argument, NULL, O_WORKLOAD },
	{ "keys", required_argument, NULL, O_KEYS },
	{ "key-size", required_argument, NULL, O_KEY_SIZE },
	{ "value-size", required_argument, NULL, O_VALUE_SIZE },
	{ "key-prefix", required_argument, NULL, O_KEY_PREFIX },
	{ "json", no_argument, NULL, O_JSON },
	{ "strict", no_argument, NULL, O_STRICT },
	{ "merge", no_argument, NULL, O_MERGE },
	{ "version", no_argument, NULL, O_VERSION },
	{ "start-at", required_argument, NULL, O_START_AT },
	{ NULL, 0, NULL, 0 },
};

struct ctx {
	char *err;
	size_t errlen;
};

static int fail(struct ctx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Whole number with an optional k/M suffix (x1000, x1000000), in [lo, hi]. */
static int parse_count(struct ctx *x, const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	if (!isdigit((unsigned char)*s))
		return fail(x, "%s: expected a whole number, got '%s'", flag, s);
	v = strtoull(s, &end, 10);
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	else if (*end == 'M')
		mul = 1000000, end++;
	if (*end)
		return fail(x, "%s: expected a whole number, got '%s'", flag, s);
	if (errno || v > hi / mul)
		return fail(x, "%s: must be between %llu and %llu, got '%s'", flag, (unsigned long long)lo,
			    (unsigned long long)hi, s);
	v *= mul;
	if (v < lo || v > hi)
		return fail(x, "%s: must be between %llu and %llu, got %llu", flag, (unsigned long long)lo,
			    (unsigned long long)hi, v);
	*out = v;
	return 0;
}

static int parse_u32(struct ctx *x, const char *flag, const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;

	if (parse_count(x, flag, s, lo, hi, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Seconds: a number with an optional unit (ms, s, m, h). */
static int parse_seconds(struct ctx *x, const char *flag, const char *s, bool zero_ok, double *out)
{
	char *end;
	double v, mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno)
		return fail(x, "%s: expected seconds (10, 2.5, 500ms, 1m), got '%s'", flag, s);
	if (!strcmp(end, "ms"))
		mul = 1e-3;
	else if (!strcmp(end, "s") || !*end)
		mul = 1;
	else if (!strcmp(end, "m"))
		mul = 60;
	else if (!strcmp(end, "h"))
		mul = 3600;
	else
		return fail(x, "%s: unknown unit in '%s' (use ms, s, m or h)", flag, s);
	v *= mul;
	if (!isfinite(v) || v < 0 || (!zero_ok && v == 0) || v > 7 * 24 * 3600.0)
		return fail(x, "%s: must be %s and at most a week, got '%s'", flag, zero_ok ? ">= 0" : "> 0", s);
	if (v > 0 && v < 1e-3)
		return fail(x, "%s: must be at least 1ms, got '%s'", flag, s);
	*out = v;
	return 0;
}

static int parse_rate(struct ctx *x, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno)
		return fail(x, "-R: expected requests per second (50000, 50k, 1.5M), got '%s'", s);
	if (*end == 'k' || *end == 'K')
		v *= 1e3, end++;
	else if (*end == 'M')
		v *= 1e6, end++;
	if (*end || !isfinite(v) || v <= 0)
		return fail(x, "-R: expected a positive number of requests per second (50000, 50k, 1.5M), got '%s'", s);
	if (v > 1e9)
		return fail(x, "-R: %s requests/s is more than 1e9", s);
	*out = v;
	return 0;
}

static int parse_cpus(struct ctx *x, struct options *o, const char *s)
{
	cpu_set_t allowed;
	const char *p = s;

	CPU_ZERO(&allowed);
	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return fail(x, "--cpus: cannot read this process's CPU affinity: %s", strerror(errno));
	o->ncpus = 0;
	while (*p) {
		char *end;
		long a, b;

		if (!isdigit((unsigned char)*p))
			return fail(x, "--cpus: expected a list like 0,2-3, got '%s'", s);
		a = b = strtol(p, &end, 10);
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				return fail(x, "--cpus: expected a list like 0,2-3, got '%s'", s);
			b = strtol(p, &end, 10);
		}
		if (b < a || a < 0)
			return fail(x, "--cpus: bad range in '%s'", s);
		if (b >= CPU_SETSIZE)
			return fail(x, "--cpus: CPU %ld is not available to this process", b);
		for (long c = a; c <= b; c++) {
			if (!CPU_ISSET(c, &allowed))
				return fail(x, "--cpus: CPU %ld is not available to this process (see taskset -p %d / nproc)",
					    c, (int)getpid());
			if (o->ncpus == OPT_MAX_CPUS)
				return fail(x, "--cpus: more than %d CPUs", OPT_MAX_CPUS);
			o->cpus[o->ncpus++] = (int)c;
		}
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return fail(x, "--cpus: expected a list like 0,2-3, got '%s'", s);
	}
	if (!o->ncpus)
		return fail(x, "--cpus: empty list");
	return 0;
}

static int parse_workload(struct ctx *x, struct options *o, const char *s)
{
	char *end;

	if (!strcmp(s, "get")) {
		o->get_fraction = 1;
	} else if (!strcmp(s, "set")) {
		o->get_fraction = 0;
	} else if (!strncmp(s, "mixed:", 6)) {
		errno = 0;
		o->get_fraction = strtod(s + 6, &end);
		if (end == s + 6 || *end || errno || !(o->get_fraction >= 0 && o->get_fraction <= 1))
			return fail(x, "--workload: mixed:F needs F, the fraction of GETs, between 0 and 1 (mixed:0.9), got '%s'", s);
	} else {
		return fail(x, "--workload: expected get, set or mixed:F (F = fraction of GETs), got '%s'", s);
	}
	return 0;
}

static int parse_url(struct ctx *x, struct options *o, const char *url)
{
	static const struct { const char *scheme; enum proto_kind p; const char *port; } schemes[] = {
		{ "http://", PROTO_HTTP, "80" },
		{ "redis://", PROTO_REDIS, "6379" },
		{ "memcached://", PROTO_MEMCACHED, "11211" },
	};
	const char *p = NULL, *host, *host_end, *path;
	size_t hl;

	o->url = url;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (!strncasecmp(url, schemes[i].scheme, strlen(schemes[i].scheme))) {
			o->proto = schemes[i].p;
			snprintf(o->port, sizeof(o->port), "%s", schemes[i].port);
			p = url + strlen(schemes[i].scheme);
		}
	}
	if (!p)
		return fail(x, "URL '%s': the scheme must be http://, redis:// or memcached:// (it names the protocol; https is not supported)", url);
	path = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(path - p)))
		return fail(x, "URL '%s': credentials in the URL are not supported", url);
	if (*p == '[') {
		host = p + 1;
		host_end = memchr(host, ']', (size_t)(path - host));
		if (!host_end)
			return fail(x, "URL '%s': missing ']' after the IPv6 address", url);
		o->host_is_v6_literal = true;
		p = host_end + 1;
	} else {
		host = p;
		host_end = p + strcspn(p, ":/?#");
		p = host_end;
	}
	hl = (size_t)(host_end - host);
	if (!hl || hl >= sizeof(o->host))
		return fail(x, "URL '%s': %s host name", url, hl ? "too long a" : "no");
	memcpy(o->host, host, hl);
	o->host[hl] = 0;
	if (*p == ':') {
		const char *port = p + 1;
		size_t pl = (size_t)(path - port);
		unsigned long v;
		char *end;

		v = strtoul(port, &end, 10);
		if (!pl || end != path || v < 1 || v > 65535)
			return fail(x, "URL '%s': the port must be a number between 1 and 65535", url);
		snprintf(o->port, sizeof(o->port), "%lu", v);
	} else if (p != path) {
		return fail(x, "URL '%s': unexpected text after the host", url);
	}
	if (o->proto == PROTO_HTTP) {
		if (strchr(path, '#'))
			return fail(x, "URL '%s': a fragment (#...) is never sent to a server", url);
		if (strlen(path) + 2 > sizeof(o->path))
			return fail(x, "URL '%s': the path is too long", url);
		snprintf(o->path, sizeof(o->path), "%s%s", *path == '/' ? "" : "/", path);
	} else if (*path && strcmp(path, "/")) {
		return fail(x, "URL '%s': %s URLs take no path or database (got '%s')", url, proto_name(o->proto), path);
	}
	return 0;
}

int options_parse(struct options *o, int argc, char **argv, FILE *out, char *err, size_t errlen)
{
	struct ctx x = { err, errlen };
	bool seen[512] = { false };
	int opt;

	memset(o, 0, sizeof(*o));
	o->threads = 1;
	o->connections = 10;
	o->duration_s = 10;
	o->timeout_s = 2;
	o->arrivals = ARRIVALS_POISSON;
	o->depth = 4;
	o->pipeline = 1;
	o->get_fraction = 0.9;
	o->keys = 10000;
	o->key_size = 16;
	o->value_size = 32;
	o->key_prefix = "saio:";
	err[0] = 0;

	optind = 0; /* glibc: full re-initialisation (parse may run more than once) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":t:c:d:R:H:h", longopts, NULL)) != -1) {
		const char *a = optarg;
		uint64_t v;

		if (opt > 0 && opt < 512)
			seen[opt] = true;
		switch (opt) {
		case 't':
			if (parse_u32(&x, "-t/--threads", a, 1, 1024, &o->threads))
				return -1;
			break;
		case 'c':
			if (parse_u32(&x, "-c/--connections", a, 1, 1000000, &o->connections))
				return -1;
			break;
		case 'd':
			if (parse_seconds(&x, "-d/--duration", a, false, &o->duration_s))
				return -1;
			break;
		case O_WARMUP:
			if (parse_seconds(&x, "--warmup", a, true, &o->warmup_s))
				return -1;
			break;
		case O_TIMEOUT:
			if (parse_seconds(&x, "--timeout", a, false, &o->timeout_s))
				return -1;
			break;
		case 'R':
			if (parse_rate(&x, a, &o->rate))
				return -1;
			o->open_loop = true;
			break;
		case O_ARRIVALS:
			if (!strcmp(a, "poisson"))
				o->arrivals = ARRIVALS_POISSON;
			else if (!strcmp(a, "uniform"))
				o->arrivals = ARRIVALS_UNIFORM;
			else
				return fail(&x, "--arrivals: expected poisson or uniform, got '%s'", a);
			break;
		case O_DEPTH:
			if (parse_u32(&x, "--depth", a, 1, OPT_MAX_SLOTS, &o->depth))
				return -1;
			break;
		case O_PIPELINE:
			if (parse_u32(&x, "--pipeline", a, 1, OPT_MAX_SLOTS, &o->pipeline))
				return -1;
			break;
		case O_SEED:
			if (parse_count(&x, "--seed", a, 0, UINT64_MAX, &v))
				return -1;
			o->seed = v;
			o->seed_set = true;
			break;
		case O_START_AT:
			if (parse_count(&x, "--start-at", a, 1, UINT64_MAX / 1000000, &v))
				return -1;
			o->start_at_ms = v;
			break;
		case O_CPUS:
			if (parse_cpus(&x, o, a))
				return -1;
			break;
		case O_KEEPALIVE:
			o->close = false;
			break;
		case O_CLOSE:
			o->close = true;
			break;
		case 'H':
			if (!strchr(a, ':') || *a == ':' || strpbrk(a, "\r\n"))
				return fail(&x, "-H: expected 'Name: value' on one line, got '%s'", a);
			if (o->nheaders == OPT_MAX_HEADERS)
				return fail(&x, "-H: more than %d headers", OPT_MAX_HEADERS);
			o->headers[o->nheaders++] = a;
			break;
		case O_EXPECT_FILE:
			o->expect_file = a;
			break;
		case O_EXPECT_STATUS:
			if (parse_count(&x, "--expect-status", a, 100, 599, &v))
				return -1;
			o->expect_status = (int)v;
			break;
		case O_WORKLOAD:
			if (parse_workload(&x, o, a))
				return -1;
			break;
		case O_KEYS:
			if (parse_u32(&x, "--keys", a, 1, 100000000, &o->keys))
				return -1;
			break;
		case O_KEY_SIZE:
			if (parse_u32(&x, "--key-size", a, 1, OPT_MAX_KEY, &o->key_size))
				return -1;
			break;
		case O_VALUE_SIZE:
			if (parse_u32(&x, "--value-size", a, 16, OPT_MAX_VALUE, &o->value_size))
				return -1;
			break;
		case O_KEY_PREFIX:
			if (strpbrk(a, " \t\r\n"))
				return fail(&x, "--key-prefix: no spaces or line breaks (memcached keys cannot hold them)");
			o->key_prefix = a;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_STRICT:
			o->strict = true;
			break;
		case O_MERGE:
			o->merge = true;
			break;
		case 'h':
			options_usage(out);
			return 1;
		case O_VERSION:
			fprintf(out, "saio-load %s (histogram %s)\n", VERSION, "saio-loghist/1");
			return 1;
		case ':':
			return fail(&x, "%s needs a value", argv[optind - 1]);
		default:
			return fail(&x, "unknown option '%s'", argv[optind - 1]);
		}
	}

	if (o->merge) {
		if (optind >= argc)
			return fail(&x, "--merge needs at least one JSON file (saio-load --json output)");
		for (int i = 0; i < 512; i++)
			if (seen[i] && i != O_MERGE && i != O_JSON)
				return fail(&x, "--merge takes only files (and --json): drop the load options");
		o->merge_files = argv + optind;
		o->nmerge = argc - optind;
		return 0;
	}
	if (optind >= argc)
		return fail(&x, "missing URL (http://HOST[:PORT]/PATH, redis://HOST[:PORT] or memcached://HOST[:PORT])");
	if (optind + 1 < argc)
		return fail(&x, "one URL only; unexpected '%s'", argv[optind + 1]);
	if (parse_url(&x, o, argv[optind]))
		return -1;

	/* Flags that belong to another protocol or loop are refused, not ignored. */
	if (o->proto != PROTO_HTTP) {
		static const struct { int opt; const char *name; } http_only[] = {
			{ 'H', "-H/--header" }, { O_EXPECT_FILE, "--expect-file" }, { O_EXPECT_STATUS, "--expect-status" },
			{ O_KEEPALIVE, "--keepalive" }, { O_CLOSE, "--close" },
		};
		for (size_t i = 0; i < sizeof(http_only) / sizeof(http_only[0]); i++)
			if (seen[http_only[i].opt])
				return fail(&x, "%s is for http:// URLs, not %s://", http_only[i].name, proto_name(o->proto));
	} else {
		static const struct { int opt; const char *name; } kv_only[] = {
			{ O_WORKLOAD, "--workload" }, { O_KEYS, "--keys" }, { O_KEY_SIZE, "--key-size" },
			{ O_VALUE_SIZE, "--value-size" }, { O_KEY_PREFIX, "--key-prefix" },
		};
		for (size_t i = 0; i < sizeof(kv_only) / sizeof(kv_only[0]); i++)
			if (seen[kv_only[i].opt])
				return fail(&x, "%s is for redis:// and memcached:// URLs, not http://", kv_only[i].name);
		if (seen[O_KEEPALIVE] && seen[O_CLOSE])
			return fail(&x, "--keepalive and --close exclude each other");
	}
	if (o->open_loop) {
		if (seen[O_PIPELINE])
			return fail(&x, "--pipeline is for the closed loop; with -R use --depth (requests in flight per connection)");
	} else {
		if (seen[O_DEPTH])
			return fail(&x, "--depth is for the open loop (-R RATE); in the closed loop use --pipeline");
		if (seen[O_ARRIVALS])
			return fail(&x, "--arrivals is for the open loop: give -R RATE too");
	}
	if (o->close) {
		if ((o->open_loop && seen[O_DEPTH] && o->depth > 1) || (!o->open_loop && o->pipeline > 1))
			return fail(&x, "--close sends one request per connection: %s must be 1",
				    o->open_loop ? "--depth" : "--pipeline");
		o->depth = 1;
	}
	if (o->connections < o->threads)
		return fail(&x, "-c %u is fewer than -t %u: each thread needs at least one connection", o->connections,
			    o->threads);
	if (o->proto != PROTO_HTTP && o->keys < o->connections)
		return fail(&x, "--keys %u is fewer than -c %u: each connection owns its own keys (that is how every GET is checked exactly)",
			    o->keys, o->connections);
	return 0;
}
