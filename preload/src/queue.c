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

struct saio_op *saio_op_alloc(size_t datalen)
{
	struct saio_op *op = malloc(sizeof(*op) + datalen);
	if (!op)
		return NULL;
	memset(op, 0, sizeof(*op));
	op->buf = op->data;
	op->fd = op->qfd = -1;
	op->arg = -1;
	return op;
}

void saio_op_free(struct saio_op *op)
{
	free(op);
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
