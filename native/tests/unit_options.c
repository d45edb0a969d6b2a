/* SPDX-License-Identifier: MIT */
/* unit_options.c - good command lines parse to the right settings; bad ones are refused with a
 * message naming the flag and the reason. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "unit.h"

static struct options o;
static char err[512];

/* Parses the NULL-terminated arguments after "saio-load". */
static int parse(const char *first, ...)
{
	char *argv[64] = { "saio-load" };
	int argc = 1;
	va_list ap;
	FILE *devnull = fopen("/dev/null", "w");
	int rc;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	rc = options_parse(&o, argc, argv, devnull, err, sizeof(err));
	fclose(devnull);
	return rc;
}

#define REFUSED(needle, ...) \
	do { \
		int rc_ = parse(__VA_ARGS__, NULL); \
		CHECKF(rc_ == -1 && strstr(err, needle), "expected an error with \"%s\", got rc %d \"%s\"", needle, rc_, err); \
	} while (0)

static void test_good(void)
{
	CHECK(parse("http://127.0.0.1:8080/index.html", NULL) == 0);
	CHECK(o.proto == PROTO_HTTP && !strcmp(o.host, "127.0.0.1") && !strcmp(o.port, "8080") &&
	      !strcmp(o.path, "/index.html") && o.threads == 1 && o.connections == 10 && o.duration_s == 10 &&
	      !o.open_loop && o.pipeline == 1 && !o.close);
	CHECK(parse("-t", "2", "-c", "1k", "-d", "1.5", "--warmup", "500ms", "-R", "50k", "--arrivals", "uniform",
		    "--depth", "8", "--seed", "42", "--close", "--depth", "1", "-H", "X-A: b", "--json", "--strict",
		    "http://h", NULL) == 0);
	CHECK(o.threads == 2 && o.connections == 1000 && o.duration_s == 1.5 && o.warmup_s == 0.5 && o.open_loop &&
	      o.rate == 50000 && o.arrivals == ARRIVALS_UNIFORM && o.depth == 1 && o.seed_set && o.seed == 42 &&
	      o.close && o.nheaders == 1 && o.json && o.strict && !strcmp(o.port, "80") && !strcmp(o.path, "/"));
	CHECK(parse("-d", "2m", "--timeout", "0.25", "redis://[::1]:7000", NULL) == 0);
	CHECK(o.proto == PROTO_REDIS && o.host_is_v6_literal && !strcmp(o.host, "::1") && !strcmp(o.port, "7000") &&
	      o.duration_s == 120 && o.timeout_s == 0.25);
	CHECK(parse("--workload", "mixed:0.25", "--keys", "500", "--key-size", "20", "--value-size", "100",
		    "--key-prefix", "x:", "-c", "500", "memcached://localhost", NULL) == 0);
	CHECK(o.proto == PROTO_MEMCACHED && o.get_fraction == 0.25 && o.keys == 500 && o.key_size == 20 &&
	      o.value_size == 100 && !strcmp(o.key_prefix, "x:") && !strcmp(o.port, "11211"));
	CHECK(parse("--workload", "get", "redis://h/", NULL) == 0 && o.get_fraction == 1);
	CHECK(parse("--cpus", "0", "-t", "3", "http://h", NULL) == 0 && o.ncpus == 1 && o.cpus[0] == 0);
	CHECK(parse("--start-at", "1796516672899", "http://h", NULL) == 0 && o.start_at_ms == 1796516672899ull);
	CHECK(parse("http://h", NULL) == 0 && o.start_at_ms == 0);
	CHECK(parse("--merge", "a.json", "b.json", NULL) == 0 && o.merge && o.nmerge == 2);
	CHECK(parse("--help", NULL) == 1);
	CHECK(parse("--version", NULL) == 1);
}

static void test_refused(void)
{
	REFUSED("missing URL", "-c", "10");
	REFUSED("scheme must be http://, redis:// or memcached://", "https://h/");
	REFUSED("scheme", "127.0.0.1:80");
	REFUSED("port must be a number between 1 and 65535", "http://h:0/");
	REFUSED("port must be a number", "http://h:99999/");
	REFUSED("port must be a number", "http://h:/");
	REFUSED("credentials", "http://u:p@h/");
	REFUSED("take no path or database", "redis://h:6379/2");
	REFUSED("missing ']'", "http://[::1/");
	REFUSED("one URL only", "http://a/", "http://b/");
	REFUSED("-t/--threads: expected a whole number, got 'x'", "-t", "x", "http://h/");
	REFUSED("-t/--threads: must be between 1 and 1024, got 0", "-t", "0", "http://h/");
	REFUSED("-c/--connections: expected a whole number, got '-5'", "-c", "-5", "http://h/");
	REFUSED("-d/--duration: must be > 0", "-d", "0", "http://h/");
	REFUSED("-d/--duration: unknown unit", "-d", "5x", "http://h/");
	REFUSED("-d/--duration: expected seconds", "-d", "abc", "http://h/");
	REFUSED("--warmup: must be >= 0", "--warmup", "-1", "http://h/");
	REFUSED("-R: expected a positive number", "-R", "0", "http://h/");
	REFUSED("-R: expected requests per second", "-R", "fast", "http://h/");
	REFUSED("--arrivals: expected poisson or uniform", "-R", "10", "--arrivals", "bursty", "http://h/");
	REFUSED("--arrivals is for the open loop", "--arrivals", "uniform", "http://h/");
	REFUSED("--depth is for the open loop", "--depth", "4", "http://h/");
	REFUSED("--pipeline is for the closed loop", "-R", "100", "--pipeline", "4", "http://h/");
	REFUSED("--close sends one request per connection: --pipeline must be 1", "--close", "--pipeline", "2", "http://h/");
	REFUSED("--close sends one request per connection: --depth must be 1", "--close", "-R", "5", "--depth", "2", "http://h/");
	REFUSED("--keepalive and --close exclude each other", "--keepalive", "--close", "http://h/");
	REFUSED("-c 2 is fewer than -t 4", "-c", "2", "-t", "4", "http://h/");
	REFUSED("--workload is for redis:// and memcached://", "--workload", "get", "http://h/");
	REFUSED("--value-size is for redis:// and memcached://", "--value-size", "64", "http://h/");
	REFUSED("--expect-file is for http://", "--expect-file", "x", "redis://h");
	REFUSED("-H/--header is for http://", "-H", "A: b", "memcached://h");
	REFUSED("--close is for http://", "--close", "redis://h");
	REFUSED("--workload: expected get, set or mixed:F", "--workload", "delete", "redis://h");
	REFUSED("mixed:F needs F, the fraction of GETs, between 0 and 1", "--workload", "mixed:1.5", "redis://h");
	REFUSED("--value-size: must be between 16", "--value-size", "8", "redis://h");
	REFUSED("--keys 5 is fewer than -c 10", "--keys", "5", "redis://h");
	REFUSED("--key-prefix: no spaces", "--key-prefix", "a b", "memcached://h");
	REFUSED("-H: expected 'Name: value'", "-H", "novalue", "http://h/");
	REFUSED("--expect-status: must be between 100 and 599", "--expect-status", "700", "http://h/");
	REFUSED("--cpus: CPU 4000 is not available", "--cpus", "4000", "http://h/");
	REFUSED("--cpus: expected a list like 0,2-3", "--cpus", "a", "http://h/");
	REFUSED("--cpus: bad range", "--cpus", "1-0", "http://h/");
	REFUSED("unknown option '--bogus'", "--bogus", "http://h/");
	REFUSED("-c needs a value", "http://h/", "-c");
	REFUSED("--merge needs at least one JSON file", "--merge");
	REFUSED("--start-at: must be between 1 and", "--start-at", "0", "http://h/");
	REFUSED("--start-at: expected a whole number", "--start-at", "soon", "http://h/");
	REFUSED("--merge takes only files", "--merge", "-c", "5", "a.json");
}

int main(void)
{
	TEST("options: good command lines give the right settings", test_good());
	TEST("options: bad flags, values, combinations and URLs are refused, naming the flag and why", test_refused());
	return unit_failures != 0;
}
