/* SPDX-License-Identifier: MIT */
/* conn.c - queueing requests on a connection and completing them: the bookkeeping shared by the
 * event loop and the protocol parsers (no system calls here, so the parsers test without sockets). */
#include "conn.h"

#include <stdlib.h>
#include <string.h>

void conn_queue(struct thread *t, struct conn *c, uint64_t intended, bool measured)
{
	struct req *r = &c->slots[c->tail & c->mask];

	r->intended = intended;
	r->sent = 0;
	r->measured = measured;
	r->lagged = 0;
	r->retries = 0;
	t->proto->prepare(t, c, r);
	c->tail++;
	t->inflight++;
	if (!c->dirty) {
		c->dirty = 1;
		t->flush_list[t->nflush++] = c;
	}
}

/* After a request left the ring (answered or given up): open loop, its slot is free again;
 * closed loop, the connection sends its next request while the window lasts. */
static void slot_freed(struct thread *t, struct conn *c, uint64_t now)
{
	const struct plan *p = t->plan;

	if (p->open_loop) {
		t->tok[t->tok_tail++ & t->tok_mask] = c;
	} else if (now < p->window_end) {
		conn_queue(t, c, 0, now >= p->window_start);
	}
}

void conn_complete(struct thread *t, struct conn *c, uint64_t now, enum verdict v)
{
	struct req *r = conn_head(c);

	c->head++;
	t->inflight--;
	switch (t->phase) {
	case PHASE_PROBE:
	case PHASE_SETUP:
		return;
	case PHASE_POPULATE:
		if (v != V_OK && !t->setup_verdict)
			t->setup_verdict = (int)v;
		if (c->populated < c->owned)
			conn_queue(t, c, 0, false);
		else if (c->head == c->tail)
			t->populating--;
		return;
	case PHASE_RUN:
		break;
	}
	if (r->measured) {
		struct stats *st = &t->st;

		st->requests++;
		if (v == V_OK)
			st->verified++;
		else if (v == V_SERVER)
			st->errors[E_SERVER]++;
		else
			st->mismatch[v]++;
		hist_record(&st->latency, now - r->intended);
		hist_record(&st->service, now - r->sent);
	}
	slot_freed(t, c, now);
}

/* Gives up the oldest request of @c without a response (error @e). */
void conn_fail_head(struct thread *t, struct conn *c, uint64_t now, enum err_kind e)
{
	struct req *r = conn_head(c);

	c->head++;
	if (c->unsent < c->head)
		c->unsent = c->head;
	t->inflight--;
	if (t->phase != PHASE_RUN)
		return;
	if (r->measured)
		t->st.errors[e]++;
	slot_freed(t, c, now);
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

int conn_alloc(struct conn *c, uint32_t slots)
{
	uint32_t n = pow2_at_least(slots);

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->mask = n - 1;
	c->slots = calloc(n, sizeof(*c->slots));
	c->iov_cap = n * PROTO_MAX_IOV;
	c->iov = calloc(c->iov_cap, sizeof(*c->iov));
	c->carry = malloc(CONN_CARRY_MAX);
	if (!c->slots || !c->iov || !c->carry) {
		conn_free(c);
		return -1;
	}
	return 0;
}

void conn_free(struct conn *c)
{
	free(c->slots);
	free(c->iov);
	free(c->carry);
	c->slots = NULL;
	c->iov = NULL;
	c->carry = NULL;
}
