/* SPDX-License-Identifier: MIT */
/* stats.h - what a thread counts during the measured window, merged into the run's totals. */
#ifndef SAIO_LOAD_STATS_H
#define SAIO_LOAD_STATS_H
#include <stdint.h>

#include "hist.h"

/* How a response compared with what it had to be. V_OK is verified; V_SERVER is a server error
 * reply (counted as an error); every other verdict is a mismatch of that kind. */
enum verdict {
	V_OK,
	V_STATUS,	/* HTTP status differs */
	V_BODY,		/* HTTP body byte differs */
	V_LENGTH,	/* length differs from the expected */
	V_SHORT,	/* connection ended inside the response */
	V_VALUE,	/* redis/memcached value bytes differ */
	V_STALE,	/* the key's value, but another version */
	V_MISSING,	/* nil / miss where a value was set */
	V_KEY,		/* memcached VALUE line names another key */
	V_SERVER,	/* -ERR, SERVER_ERROR, ... */
	V_COUNT
};
#define V_FIRST_MISMATCH V_STATUS
#define V_LAST_MISMATCH V_KEY

enum err_kind {
	E_CONNECT,	/* connect failed or timed out */
	E_READ,		/* read error (reset) */
	E_WRITE,	/* write error */
	E_CLOSED,	/* a request given up after the server closed on it repeatedly */
	E_PARSE,	/* the server broke the protocol */
	E_SERVER,	/* error reply */
	E_TIMEOUT,	/* unanswered --timeout after the window */
	E_COUNT
};

extern const char *const verdict_name[V_COUNT];
extern const char *const err_name[E_COUNT];

struct stats {
	uint64_t requests;	/* measured requests completed */
	uint64_t verified;
	uint64_t mismatch[V_COUNT];
	uint64_t errors[E_COUNT];
	uint64_t scheduled;	/* open loop: arrivals of the window (sent or not) */
	uint64_t unsent;
	uint64_t reconnects;
	uint64_t bytes_sent, bytes_recv;
	struct hist latency, service, lag;
};

void stats_init(struct stats *s);
void stats_merge(struct stats *dst, const struct stats *src);
uint64_t stats_mismatched(const struct stats *s);
uint64_t stats_errors(const struct stats *s);

#endif
