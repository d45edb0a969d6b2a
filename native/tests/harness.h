/* SPDX-License-Identifier: MIT */
/* harness.h - one connection of one thread, in memory: requests pushed as "awaiting a response",
 * bytes fed to the protocol's parser the way loop.c does (an incomplete tail carried in front of
 * the next read), in chunks of any size. No sockets: the parsers are tested byte for byte. */
#ifndef SAIO_LOAD_HARNESS_H
#define SAIO_LOAD_HARNESS_H
#include <stdlib.h>
#include <string.h>

#include "conn.h"

static struct options H_O;
static struct plan H_P;
static struct thread H_T;
static struct conn H_C;
static struct conn *H_FLUSH[1];

static inline void h_setup(const struct proto *proto)
{
	conn_free(&H_C);
	memset(&H_T, 0, sizeof(H_T));
	H_P.o = &H_O;
	H_P.proto = proto;
	H_P.open_loop = false;
	H_P.window_start = 0;
	H_P.window_end = 0; /* completions never queue a next request */
	H_T.plan = &H_P;
	H_T.proto = proto;
	H_T.phase = PHASE_RUN;
	H_T.flush_list = H_FLUSH;
	stats_init(&H_T.st);
	conn_alloc(&H_C, 64);
	H_C.t = &H_T;
	proto->reset(&H_C);
}

/* A request already sent, awaiting its response. */
static inline struct req *h_push(uint8_t op, uint32_t key, uint32_t version)
{
	struct req *r = &H_C.slots[H_C.tail & H_C.mask];

	memset(r, 0, sizeof(*r));
	r->op = op;
	r->key = key;
	r->version = version;
	r->measured = 1;
	r->intended = r->sent = 1;
	H_C.tail++;
	H_C.unsent = H_C.tail;
	H_T.inflight++;
	return r;
}

/* Feeds @n bytes in chunks of @chunk (0: all at once). Returns -1 when the parser said broken or
 * the carried tail outgrew CONN_CARRY_MAX, 1 when the connection is to be closed, else 0. */
static inline int h_feed(const char *data, size_t n, size_t chunk)
{
	static char buf[1 << 20];
	size_t off = 0;

	if (!chunk)
		chunk = n ? n : 1;
	while (off < n) {
		size_t k = n - off < chunk ? n - off : chunk, have = H_C.carry_len, used, rest;

		memcpy(buf, H_C.carry, have);
		memcpy(buf + have, data + off, k);
		off += k;
		used = H_T.proto->parse(&H_T, &H_C, buf, have + k, 2);
		if (H_C.broken)
			return -1;
		if (H_C.close_after)
			return 1;
		rest = have + k - used;
		if (rest > CONN_CARRY_MAX)
			return -1;
		memcpy(H_C.carry, buf + used, rest);
		H_C.carry_len = (uint32_t)rest;
	}
	return 0;
}

static inline int h_eof(void)
{
	return H_T.proto->eof(&H_T, &H_C, 3);
}

/* Counts of the connection's completed requests by verdict. */
static inline uint64_t h_count(enum verdict v)
{
	return v == V_OK ? H_T.st.verified : v == V_SERVER ? H_T.st.errors[E_SERVER] : H_T.st.mismatch[v];
}

static inline uint64_t h_done(void)
{
	return H_T.st.requests;
}

#endif
