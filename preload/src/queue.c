/* SPDX-License-Identifier: MIT */
/*
 * queue.c - per-fd FIFOs of ops and the byte budgets. Pure bookkeeping: no system
 * calls, no locks (callers hold the owning ring's lock), so the unit tests link it
 * directly.
 *
 * FIFO invariant: in f->head..f->tail every INFLIGHT op comes before every QUEUED op,
 * and ops reach the kernel in FIFO order (the engine links a FIFO's queued ops into one
 * chain, and submits a chain only when the fd has nothing in flight).
 */
#include <stdlib.h>
#include <string.h>

#include "saio_int.h"

uint64_t saio_budget_room(struct saio_budget *b, const struct saio_fd *f, uint64_t want)
{
	uint64_t room = f->bytes >= b->fd_max ? 0 : b->fd_max - f->bytes;
	uint64_t used = atomic_load_explicit(&b->global_used, memory_order_relaxed);
	uint64_t groom = used >= b->global_max ? 0 : b->global_max - used;
	if (groom < room)
		room = groom;
	return want < room ? want : room;
}

void saio_budget_take(struct saio_budget *b, struct saio_fd *f, uint64_t n)
{
	f->bytes += n;
	atomic_fetch_add_explicit(&b->global_used, n, memory_order_relaxed);
}

void saio_budget_give(struct saio_budget *b, struct saio_fd *f, uint64_t n)
{
	f->bytes -= n;
	atomic_fetch_sub_explicit(&b->global_used, n, memory_order_relaxed);
}

static void op_init(struct saio_op *op, uint32_t cap)
{
	memset(op, 0, sizeof(*op));
	op->buf = op->data;
	op->fd = op->qfd = -1;
	op->arg = -1;
	op->cap = cap;
}

struct saio_op *saio_op_alloc(size_t datalen)
{
	struct saio_op *op = malloc(sizeof(*op) + datalen);
	if (!op)
		return NULL;
	op_init(op, (uint32_t)datalen);
	return op;
}

void saio_op_free(struct saio_op *op)
{
	free(op);
}

struct saio_op *saio_op_get(struct saio_opcache *c, size_t datalen)
{
	if (datalen < SAIO_OPCACHE_MIN)
		return saio_op_alloc(datalen);
	size_t cap = SAIO_OPCACHE_MIN;
	while (cap < datalen)
		cap <<= 1;
	for (unsigned i = 0; i < c->n; i++) {
		struct saio_op *op = c->op[i];
		if (op->cap >= datalen && op->cap <= 2 * cap) {
			c->op[i] = c->op[--c->n];
			c->bytes -= op->cap;
			op_init(op, op->cap);
			return op;
		}
	}
	return saio_op_alloc(cap);
}

void saio_op_put(struct saio_opcache *c, struct saio_op *op)
{
	if (op->cap < SAIO_OPCACHE_MIN || c->n == SAIO_OPCACHE_N ||
	    c->bytes + op->cap > SAIO_OPCACHE_BYTES) {
		free(op);
		return;
	}
	c->op[c->n++] = op;
	c->bytes += op->cap;
}

void saio_opcache_clear(struct saio_opcache *c)
{
	while (c->n)
		free(c->op[--c->n]);
	c->bytes = 0;
}

void saio_fifo_push(struct saio_fd *f, struct saio_op *op)
{
	op->next = NULL;
	op->state = SAIO_OP_QUEUED;
	op->qfd = f->fdnum;
	if (f->tail)
		f->tail->next = op;
	else
		f->head = op;
	f->tail = op;
	f->nqueued++;
}

void saio_fifo_remove(struct saio_fd *f, struct saio_op *op)
{
	struct saio_op **pp = &f->head, *prev = NULL;
	while (*pp && *pp != op) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = op->next;
	if (f->tail == op)
		f->tail = prev;
	if (op->state == SAIO_OP_QUEUED)
		f->nqueued--;
	else
		f->ninflight--;
	op->next = NULL;
}
