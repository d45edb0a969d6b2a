/* SPDX-License-Identifier: MIT */
/* plan.h - everything the threads share, read-only once the load starts: the options resolved
 * into an address, the request bytes and expectations, the workload and the run's timeline. */
#ifndef SAIO_LOAD_PLAN_H
#define SAIO_LOAD_PLAN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kv.h"
#include "options.h"

struct proto;

struct plan {
	const struct options *o;
	const struct proto *proto;
	struct sockaddr_storage addr;
	socklen_t addrlen;

	bool open_loop;
	uint32_t slots;		/* requests in flight per connection at most (depth or pipeline) */
	uint64_t connect_timeout_ns, drain_ns;

	/* http */
	char *request;
	size_t request_len;
	int expect_status;
	char *expect_body;
	size_t expect_len;

	/* redis / memcached */
	struct kv kv;

	/* Timeline (absolute CLOCK_MONOTONIC ns), set by the main thread before the start barrier. */
	uint64_t t0, window_start, window_end;
	uint64_t t0_unix_ns;		/* t0 on the wall clock, to compare windows across generators */
};

#endif
