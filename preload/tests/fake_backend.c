/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "fake_backend.h"

struct fake_req fake_sub[FAKE_MAX];
static struct fake_req staged[FAKE_MAX];
static struct { struct saio_op *op; int phase; int res; } cqes[FAKE_MAX];
static unsigned ncqe;
unsigned fake_nsub, fake_nstaged, fake_submits;
unsigned fake_caps_extra;
bool fake_complete_at_submit;

static int f_init(struct saio_ring *r) { (void)r; return 0; }
static void f_teardown(struct saio_ring *r) { (void)r; }
static void f_forget(struct saio_ring *r) { (void)r; fake_nsub = fake_nstaged = ncqe = 0; }
static unsigned f_space(struct saio_ring *r) { (void)r; return 64 - fake_nstaged; }
static int f_notify(struct saio_ring *r) { (void)r; return -1; }
static unsigned f_caps(struct saio_ring *r)
{
	(void)r;
	return SAIO_CAP_SETSOCKOPT | SAIO_CAP_EPOLL_DEL | fake_caps_extra;
}

static void stage(struct saio_op *op, int phase, bool link)
{
	struct fake_req *q = &staged[fake_nstaged++];
	q->op = op;
	q->phase = phase;
	q->kind = op->kind;
	q->fd = op->fd;
	q->len = phase ? op->len - op->sent : op->flen;
	q->link = link;
}

static int f_prep(struct saio_ring *r, struct saio_op *op, bool link)
{
	unsigned need = (op->kind == SAIO_OP_SENDFILE && !op->arg2) ? 2 : 1;
	if (f_space(r) < need)
		return -EBUSY;
	if (need == 2)
		stage(op, 0, true);
	stage(op, 1, link);
	op->nr_cqe = (uint8_t)need;
	return 0;
}

static int f_submit(struct saio_ring *r)
{
	(void)r;
	unsigned n = fake_nstaged;
	memcpy(&fake_sub[fake_nsub], staged, n * sizeof(staged[0]));
	fake_nsub += n;
	fake_nstaged = 0;
	fake_submits++;
	if (fake_complete_at_submit)
		fake_complete_all();
	return (int)n;
}

void fake_complete(unsigned i, int res)
{
	cqes[ncqe].op = fake_sub[i].op;
	cqes[ncqe].phase = fake_sub[i].phase;
	cqes[ncqe].res = res;
	ncqe++;
	memmove(&fake_sub[i], &fake_sub[i + 1], (fake_nsub - i - 1) * sizeof(fake_sub[0]));
	fake_nsub--;
}

void fake_complete_all(void)
{
	while (fake_nsub) {
		struct fake_req *q = &fake_sub[0];
		int res = (q->kind == SAIO_OP_SEND || q->kind == SAIO_OP_SENDFILE) ? (int)q->len : 0;
		fake_complete(0, res);
	}
}

int fake_find(int kind, int fd)
{
	for (unsigned i = 0; i < fake_nsub; i++)
		if (fake_sub[i].kind == kind && fake_sub[i].fd == fd)
			return (int)i;
	return -1;
}

static int f_reap(struct saio_ring *r)
{
	unsigned n = ncqe;
	ncqe = 0;
	for (unsigned i = 0; i < n; i++)
		saio_engine_complete(r, cqes[i].op, cqes[i].phase, cqes[i].res);
	return (int)n;
}

/* Like io_uring's cancel: every submitted request of f's ops comes back -ECANCELED. */
static void f_recall(struct saio_ring *r, struct saio_fd *f)
{
	for (unsigned i = 0; i < fake_nsub;) {
		if (fake_sub[i].op->qfd == f->fdnum) {
			fake_complete(i, -ECANCELED);
			continue;
		}
		i++;
	}
	f_reap(r);
}

static int f_wait(struct saio_ring *r)
{
	(void)r;
	if (ncqe)
		return 0;
	/* Nothing will ever complete unless we do it: complete everything, as a drained
	 * socket would. */
	fake_complete_all();
	return 0;
}

const struct saio_backend fake_backend = {
	.name = "fake",
	.init = f_init,
	.teardown = f_teardown,
	.forget = f_forget,
	.prep = f_prep,
	.space = f_space,
	.submit = f_submit,
	.reap = f_reap,
	.wait = f_wait,
	.caps = f_caps,
	.notify_fd = f_notify,
	.recall = f_recall,
};
