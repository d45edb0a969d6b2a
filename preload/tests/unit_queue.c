/* SPDX-License-Identifier: MIT */
/* unit_queue.c - per-fd FIFO and byte budgets (queue.c), no kernel involved. */
#include <stdlib.h>
#include <string.h>

#include "saio_int.h"
#include "unit.h"

int main(void)
{
	TEST("budget: room is the smaller of fd and global room", {
		struct saio_budget b = { .fd_max = 100, .global_max = 150 };
		struct saio_fd f1, f2;
		memset(&f1, 0, sizeof(f1));
		memset(&f2, 0, sizeof(f2));
		CHECK(saio_budget_room(&b, &f1, 500) == 100);
		CHECK(saio_budget_room(&b, &f1, 30) == 30);
		saio_budget_take(&b, &f1, 90);
		CHECK(saio_budget_room(&b, &f1, 500) == 10);
		CHECK(saio_budget_room(&b, &f2, 500) == 60);	/* global: 150 - 90 */
		saio_budget_take(&b, &f2, 60);
		CHECK(saio_budget_room(&b, &f2, 500) == 0);
		CHECK(saio_budget_room(&b, &f1, 500) == 0);
		saio_budget_give(&b, &f1, 90);
		CHECK(f1.bytes == 0);
		CHECK(saio_budget_room(&b, &f1, 500) == 90);
		CHECK(atomic_load(&b.global_used) == 60);
	});

	TEST("fifo: push keeps order, remove anywhere keeps the rest in order", {
		struct saio_fd f;
		memset(&f, 0, sizeof(f));
		f.fdnum = 7;
		struct saio_op *ops[4];
		for (int i = 0; i < 4; i++) {
			ops[i] = saio_op_alloc(8);
			ops[i]->len = (uint32_t)i;
			saio_fifo_push(&f, ops[i]);
		}
		CHECK(f.nqueued == 4);
		CHECK(ops[0]->qfd == 7 && ops[0]->state == SAIO_OP_QUEUED);
		ops[0]->state = SAIO_OP_INFLIGHT;
		f.nqueued--;
		f.ninflight++;
		saio_fifo_remove(&f, ops[2]);
		CHECK(f.nqueued == 2);
		saio_fifo_remove(&f, ops[0]);
		CHECK(f.ninflight == 0);
		CHECK(f.head == ops[1] && ops[1]->next == ops[3] && f.tail == ops[3]);
		saio_fifo_remove(&f, ops[3]);
		CHECK(f.tail == ops[1] && ops[1]->next == NULL);
		saio_fifo_remove(&f, ops[1]);
		CHECK(saio_fifo_empty(&f) && f.tail == NULL && f.nqueued == 0);
		for (int i = 0; i < 4; i++)
			saio_op_free(ops[i]);
	});

	TEST("fdtab: entries exist on demand, know their number, survive lookups", {
		struct saio_fd *a = saio_fd_get(5), *b = saio_fd_get(70000);
		CHECK(a && b && a->fdnum == 5 && b->fdnum == 70000);
		CHECK(saio_fd_peek(5) == a);
		CHECK(saio_fd_get(-1) == NULL && saio_fd_get((int)SAIO_FD_MAX) == NULL);
		CHECK(saio_fd_peek(900000) == NULL);
	});
	return unit_failures ? 1 : 0;
}
