/* SPDX-License-Identifier: MIT */
/* options.h - saio-load's command line: parsed, validated together, every error says which flag
 * and why (see options_usage / native/README.md). */
#ifndef SAIO_LOAD_OPTIONS_H
#define SAIO_LOAD_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "schedule.h"

enum proto_kind { PROTO_HTTP, PROTO_REDIS, PROTO_MEMCACHED };

#define OPT_MAX_HEADERS 64
#define OPT_MAX_CPUS 1024
#define OPT_MAX_SLOTS 1024	/* --depth / --pipeline */
#define OPT_MAX_KEY 250		/* memcached's key limit */
#define OPT_MAX_VALUE (16u << 20)

struct options {
	enum proto_kind proto;
	const char *url;
	char host[256];		/* without brackets */
	char port[8];
	char path[2048];	/* http: "/..." */
	bool host_is_v6_literal;

	uint32_t threads, connections;
	double duration_s, warmup_s, timeout_s;
	bool open_loop;
	double rate;
	enum arrivals arrivals;
	bool seed_set;
	uint64_t seed;
	uint64_t start_at_ms;		/* wall clock (Unix ms) the load starts at; 0: when ready */
	uint32_t depth, pipeline;	/* requests in flight per connection: open / closed loop */

	bool close;			/* http: Connection: close, one request per connection */
	const char *headers[OPT_MAX_HEADERS];
	uint32_t nheaders;
	const char *expect_file;
	int expect_status;		/* 0: the reference's */

	double get_fraction;
	uint32_t keys, key_size, value_size;
	const char *key_prefix;

	int cpus[OPT_MAX_CPUS];
	uint32_t ncpus;

	bool json, strict;

	bool merge;
	char **merge_files;
	int nmerge;
};

/* 0: run; 1: --help or --version printed on @out; -1: @err holds the message. */
int options_parse(struct options *o, int argc, char **argv, FILE *out, char *err, size_t errlen);
void options_usage(FILE *f);
const char *proto_name(enum proto_kind p);

#endif
