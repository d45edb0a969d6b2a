/* SPDX-License-Identifier: MIT */
/* conn.h - a connection's requests in flight and a generator thread's state.
 *
 * Each connection has a power-of-two ring of request slots indexed with a mask; free-running
 * counters head <= unsent <= tail: [head, unsent) were handed to the kernel and await their
 * responses (oldest first: the protocols answer in order), [unsent, tail) are queued for the next
 * flush. Nothing here allocates once the thread has started. */
#ifndef SAIO_LOAD_CONN_H
#define SAIO_LOAD_CONN_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "plan.h"
#include "proto.h"
#include "rng.h"
#include "schedule.h"
#include "stats.h"

#define REQ_HDR_MAX 384		/* command bytes built per request (key + framing + stamp) */
#define CONN_CARRY_MAX 8192	/* an incomplete header/line kept between reads */

enum { OP_HTTP, OP_GET, OP_SET };
enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_UP };
enum phase { PHASE_SETUP, PHASE_POPULATE, PHASE_RUN, PHASE_PROBE };

struct req {
	uint64_t intended;	/* schedule time (open loop); closed loop: set when sent */
	uint64_t sent;		/* handed to the kernel (last time, if resent) */
	uint32_t key, version;
	uint8_t op;
	uint8_t measured;	/* intended time inside the measured window */
	uint8_t lagged;		/* schedule lag recorded once */
	uint8_t retries;	/* resent after the server closed on it */
	uint16_t hdr_len;
	char hdr[REQ_HDR_MAX];
};

/* Parser state: one of these per connection, by protocol. */
struct http_state {
	uint8_t st;
	uint8_t verdict;
	uint8_t close_after;
	uint16_t status;
	uint64_t remain;	/* body or chunk bytes still to come */
	uint64_t off;		/* body bytes seen (offset into the expected body) */
};

struct kv_state {
	uint8_t st;
	uint8_t verdict;
	uint8_t has_value;	/* memcached: VALUE seen, END to come */
	uint64_t remain, off;
};

struct conn {
	int fd;
	uint8_t state;
	uint8_t dirty;		/* on the thread's flush list */
	uint8_t want_out;	/* EPOLLOUT armed: the socket buffer was full */
	uint8_t broken;		/* protocol violation: drop the connection */
	uint8_t close_after;	/* the response said Connection: close */
	uint8_t retry_wait;	/* on the thread's reconnect list */
	uint32_t id;		/* global connection index (owns keys id + j*C) */
	uint32_t owned;		/* number of keys it owns */
	uint32_t populated;	/* populate: keys queued so far */
	uint64_t retry_at;
	struct thread *t;

	uint32_t mask, head, unsent, tail;
	struct req *slots;

	struct iovec *iov;	/* queued bytes, [iov_head, iov_n) */
	uint32_t iov_head, iov_n, iov_cap;

	uint32_t carry_len;
	char *carry;

	union {
		struct http_state http;
		struct kv_state kv;
	} ps;
};

struct thread {
	uint32_t idx;
	int epfd;
	const struct plan *plan;
	const struct proto *proto;
	enum phase phase;
	bool running;		/* issuing new requests (before the window ends) */

	struct conn *conns;
	uint32_t nconns;

	/* open loop: connections with a free slot, once per free slot, round robin */
	struct sched sched;
	struct conn **tok;
	uint32_t tok_mask, tok_head, tok_tail;

	struct conn **flush_list;
	uint32_t nflush;
	struct conn **retry_list;
	uint32_t nretry;

	uint64_t inflight;	/* requests queued or awaiting a response, all connections */
	uint32_t populating;	/* connections still writing their keys */
	int setup_error;	/* errno-style or verdict during setup/populate */
	int setup_verdict;

	struct rng rng;
	char *rbuf;
	struct stats st;
	uint64_t cpu_start, cpu_end, wall_start, wall_end;
	bool in_window, window_done;
	int cpu;		/* pinned CPU or -1 */

	/* PHASE_PROBE (http reference fetch): the response captured instead of compared */
	char *capture;
	size_t capture_len, capture_cap;
	int capture_status;
};

/* Queues one request on @c (room must exist). @intended is 0 in the closed loop. */
void conn_queue(struct thread *t, struct conn *c, uint64_t intended, bool measured);
/* The response to the oldest request of @c arrived at @now with @v. */
void conn_complete(struct thread *t, struct conn *c, uint64_t now, enum verdict v);
/* The oldest request of @c is given up without a response (counted as error @e). */
void conn_fail_head(struct thread *t, struct conn *c, uint64_t now, enum err_kind e);

static inline struct req *conn_head(struct conn *c)
{
	return &c->slots[c->head & c->mask];
}

static inline bool conn_awaiting(const struct conn *c)
{
	return c->head != c->unsent;
}

/* Allocation of a connection's slots, iovecs and carry buffer (setup time only). */
int conn_alloc(struct conn *c, uint32_t slots);
void conn_free(struct conn *c);

#endif
