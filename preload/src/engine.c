/* SPDX-License-Identifier: MIT */
/*
 * engine.c - rings (one per event-loop thread), batches, and what a completion means.
 *
 * A thread gets a ring the first time it calls epoll_wait (it is then an event-loop
 * thread); other threads never defer. Ops of one fd form a FIFO; a flush links the
 * queued ops of each fd into one chain, but only when that fd has nothing in flight,
 * so a chain never overtakes the previous one. A completion either retires an op,
 * returns it to QUEUED (cancelled by an earlier link, or a short send: the rest goes in
 * a later chain, still in FIFO order), or records an error for the fd's next call.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "backend.h"

struct saio_config saio_cfg = {
	.mode = SAIO_MODE_DEFER,
	.sqpoll = false,
	.sq_cpu = -1,
	.sq_idle_ms = 50,
	.batch_max = 64,
	.ring_entries = 256,
	.sync_epoll_del = false,
	.exit_drain_ms = 5000,
	.drain_max = 1024,
	.sendfile_copy_max = 16384,
	.fuse = true,
	.epoll_fold = false,	/* SAIO_EPOLL_WAIT=1: no faster here (README, "One kernel entry") */
	.stats_path = NULL,
	.kmod_workers = 1,
	.kmod_rings = 16,
};
struct saio_stats saio_stats;
struct saio_budget saio_budget = {
	.fd_max = 4u << 20,
	.global_max = 64u << 20,
};
const struct saio_backend *saio_backend_default = &saio_backend_uring;

static __thread struct saio_ring *tls_ring;
static __thread bool tls_no_ring;
static pthread_key_t ring_key;
static pthread_mutex_t rings_lock = PTHREAD_MUTEX_INITIALIZER;
static struct saio_ring *rings_all;
static _Atomic int uring_ok;
static _Atomic int warned;

/* ---- completions ---------------------------------------------------------------- */

static bool transient(int res)
{
	return res == -ECANCELED || res == -EINTR || res == -EAGAIN;
}

static void int_del(int *a, unsigned *n, int v);
static void int_add(int **a, unsigned *n, unsigned *cap, int v);

void saio_owed_add(struct saio_ring *r, struct saio_fd *f)
{
	int_add(&r->owed, &r->nowed, &r->capowed, f->fdnum);
}

static void wake_add(struct saio_ring *r, struct saio_fd *f)
{
	f->want_wake = 0;
	int_del(r->owed, &r->nowed, f->fdnum);
	for (unsigned i = 0; i < r->nwake; i++)
		if (r->wake[i] == f->fdnum)
			return;
	if (r->nwake == r->capwake) {
		unsigned cap = r->capwake ? r->capwake * 2 : 16;
		int *w = realloc(r->wake, cap * sizeof(int));
		if (!w)
			return;
		r->wake = w;
		r->capwake = cap;
	}
	r->wake[r->nwake++] = f->fdnum;
}

static void queue_held_close(struct saio_ring *r, struct saio_fd *file);

static void give(struct saio_fd *f, uint64_t n)
{
	saio_budget_give(&saio_budget, f, n);
	if (f->custody)
		atomic_fetch_sub(&saio_stats.draining_bytes, n);
}

/* A sendfile op no longer needs its file (its bytes are in its buffer, or it is done): a
 * close of the file held for it runs when no op needs the file any more. */
static void unpin(struct saio_ring *r, struct saio_op *op)
{
	if (!op->pinned)
		return;
	op->pinned = 0;
	struct saio_fd *src = saio_fd_peek(op->arg);
	if (src && atomic_fetch_sub(&src->pins, 1) == 1 && atomic_exchange(&src->close_held, 0))
		queue_held_close(r, src);
}

/* The op left the kernel for good: return its bytes, drop its pin. */
static void retire(struct saio_ring *r, struct saio_fd *f, struct saio_op *op)
{
	saio_fifo_remove(f, op);
	if (op->len > op->sent)
		give(f, op->len - op->sent);
	unpin(r, op);
	saio_op_put(&r->cache, op);
}

static void count_dropped_error(struct saio_fd *f)
{
	(void)f;
	atomic_fetch_add(&saio_stats.errors_dropped, 1);
}

static void set_error(struct saio_fd *f, struct saio_op *op, int res)
{
	if (!f->err) {
		f->err = -res;
		f->err_sigpipe = res == -EPIPE && !op->nosignal;
	}
	f->broken = 1;
}

static void requeue(struct saio_ring *r, struct saio_fd *f, struct saio_op *op)
{
	op->state = SAIO_OP_QUEUED;
	f->ninflight--;
	f->nqueued++;
	r->nqueued++;
}

static void custody_end(struct saio_ring *r, struct saio_fd *f, bool aborted);

static void finish(struct saio_ring *r, struct saio_op *op)
{
	struct saio_fd *f = saio_fd_peek(op->qfd);
	int res = op->res1;

	r->ninflight--;
	if (op->kind == SAIO_OP_SENDFILE && op->res < 0 && !transient(op->res)) {
		/* The read failed or was short (the file shrank after the application's
		 * fstat): the bytes promised cannot be produced. */
		set_error(f, op, op->res);
		if (op->fbase > op->sent && (res >= 0 || transient(res))) {
			/* Bytes written before the sendfile joined its op (fusion): they were
			 * the application's own and go out as they would have; the file's do
			 * not, and the stream ends there (broken: nothing after is sent). */
			uint32_t lost = op->len - op->fbase;
			atomic_fetch_add(&saio_stats.bytes_dropped, lost);
			give(f, lost);
			op->len = op->fbase;
			op->kind = SAIO_OP_SEND;
			op->res = op->res1 = 0;
			unpin(r, op);
			requeue(r, f, op);
			goto out;
		}
		atomic_fetch_add(&saio_stats.bytes_dropped, op->len - op->sent);
		retire(r, f, op);
		goto out;
	}
	op->res = op->res1 = 0;
	switch (op->kind) {
	case SAIO_OP_SEND:
	case SAIO_OP_SENDFILE:
		if (res == -EOPNOTSUPP && !f->tls && (r->be->caps(r) & SAIO_CAP_LINK_WAITALL) &&
		    saio_fd_ulp_tls(op->fd)) {
			/* kTLS was attached behind our back (not by a setsockopt we saw): its
			 * sendmsg refused MSG_WAITALL before taking a byte. Sent again without
			 * it, one op at a time. */
			f->tls = 1;
			res = 0;
		}
		if (res > 0) {
			op->sent += (uint32_t)res;
			give(f, (uint64_t)res);
		}
		if (res >= 0 && op->sent == op->len) {
			retire(r, f, op);
		} else if ((res >= 0 || transient(res)) && !f->broken) {
			requeue(r, f, op);	/* short, or cancelled by an earlier link */
		} else {
			if (res < 0 && !transient(res))
				set_error(f, op, res);
			atomic_fetch_add(&saio_stats.bytes_dropped, op->len - op->sent);
			retire(r, f, op);
		}
		break;
	case SAIO_OP_CLOSE:
		if (transient(res)) {
			requeue(r, f, op);
			break;
		}
		retire(r, f, op);
		if (f->custody)
			custody_end(r, f, false);
		/* The number is free in the kernel now; it may be handed out again. */
		if (!f->head)
			saio_fd_reset(f);
		break;
	case SAIO_OP_SHUTDOWN:
	case SAIO_OP_SETSOCKOPT:
		if (transient(res) && !f->broken) {
			requeue(r, f, op);
			break;
		}
		/* The real call would have returned its error at once, and servers ignore it
		 * (nginx's TCP_NOPUSH, a shutdown of a reset connection): it is counted, and
		 * the stream goes on. A real fault of the socket shows at the next send. */
		if (res < 0 && !transient(res)) {
			atomic_fetch_add(&saio_stats.op_errors_ignored, 1);
			if (op->kind == SAIO_OP_SETSOCKOPT && op->arg2 == TCP_CORK)
				f->cork = SAIO_CORK_UNKNOWN;	/* no more elision on it */
		}
		retire(r, f, op);
		break;
	}
out:
	if (f->ninflight == 0) {
		if (f->nqueued)
			saio_ring_dirty(r, f);
		else if (!f->head && !f->err)
			atomic_store(&f->owner, NULL);
	}
	/* An empty FIFO means the next write passes straight through: wake even when the
	 * global budget is still spent. */
	if (f->want_wake && (!f->head || saio_budget_room(&saio_budget, f, 1)))
		wake_add(r, f);
}

void saio_engine_complete(struct saio_ring *r, struct saio_op *op, int phase, int res)
{
	if (op->kind == SAIO_OP_EPOLL_DEL) {
		r->ndel_inflight--;
		r->ninflight--;
		saio_op_free(op);
		return;
	}
	if (phase == 0) {
		if (res == (int)op->flen) {
			op->arg2 = 1;	/* the file's bytes are in buf now: */
			unpin(r, op);	/* the file may close (a held close runs) */
		} else
			op->res = res < 0 ? res : -EIO;
	} else {
		op->res1 = res;
	}
	if (--op->nr_cqe == 0)
		finish(r, op);
}

/* A file closed by the application while a sendfile still read from it: close it now
 * (in this ring's next batch). */
static void queue_held_close(struct saio_ring *r, struct saio_fd *file)
{
	struct saio_op *op = saio_op_alloc(0);
	struct saio_ring *expected = NULL;

	if (!op || !atomic_compare_exchange_strong(&file->owner, &expected, r)) {
		if (op)
			saio_op_free(op);
		REAL(close)(file->fdnum);
		saio_fd_reset(file);
		return;
	}
	op->kind = SAIO_OP_CLOSE;
	op->call = SAIO_C_CLOSE;
	op->fd = file->fdnum;
	saio_fifo_push(file, op);
	r->nqueued++;
	saio_ring_dirty(r, file);
}

/* ---- batches ------------------------------------------------------------------- */

void saio_ring_dirty(struct saio_ring *r, struct saio_fd *f)
{
	if (f->dirty)
		return;
	f->dirty = 1;
	f->dirty_next = r->dirty;
	r->dirty = f;
}

/* Kernel requests an op takes: a copied sendfile is a read and a send. */
static unsigned nreq(const struct saio_op *op, bool native_sendfile)
{
	return (op->kind == SAIO_OP_SENDFILE && !op->arg2 && !native_sendfile) ? 2 : 1;
}

static void submit_now(struct saio_ring *r, unsigned *staged)
{
	if (!*staged)
		return;
	int ret = r->be->submit(r);
	if (ret >= 0) {
		atomic_fetch_add(&saio_stats.batches, 1);
		atomic_fetch_add(&saio_stats.batch_ops, *staged);
	}
	*staged = 0;
	r->be->reap(r);
}

/* An epoll wait to stage with the batch (saio_ring_stage_wait). */
struct wait_req {
	int epfd;
	struct epoll_event *ev;
	int maxev;
	int res;	/* the backend's epoll_prep: 0 staged */
};

static int ring_flush(struct saio_ring *r, bool submit, struct wait_req *w);

int saio_ring_flush(struct saio_ring *r)
{
	return ring_flush(r, true, NULL);
}

int saio_ring_stage(struct saio_ring *r)
{
	return ring_flush(r, false, NULL);
}

int saio_ring_stage_wait(struct saio_ring *r, int epfd, struct epoll_event *ev, int maxev)
{
	struct wait_req w = { .epfd = epfd, .ev = ev, .maxev = maxev, .res = -ENOSYS };
	ring_flush(r, false, &w);
	return w.res;
}

/* Stage the queued ops of the fds on r's dirty list: each fd's FIFO as one chain (one op
 * at a time without links, or for kTLS where a send may not be linked). Adds to *staged
 * and *total. */
static void stage_dirty(struct saio_ring *r, unsigned *staged, unsigned *total)
{
	const struct saio_backend *be = r->be;
	const bool native = be->caps(r) & SAIO_CAP_NATIVE_SENDFILE;
	const bool nolink = be->caps(r) & SAIO_CAP_NO_LINK;
	const bool link_waitall = be->caps(r) & SAIO_CAP_LINK_WAITALL;
	struct saio_fd *list = r->dirty;
	r->dirty = NULL;
	while (list) {
		struct saio_fd *f = list;
		list = f->dirty_next;
		f->dirty = 0;
		f->dirty_next = NULL;
		if (f->ninflight || !f->nqueued)
			continue;	/* completion of the in-flight chain re-dirties it */
		const bool one = nolink || (f->tls && link_waitall);
		for (int attempt = 0; attempt < 2; attempt++) {
			unsigned space = be->space(r), need = 0, cnt = 0;
			struct saio_op *op;
			for (op = f->head; op; op = op->next) {
				unsigned k = nreq(op, native);
				if (need + k > space || (one && cnt))
					break;
				need += k;
				cnt++;
			}
			if (one && cnt && op)
				op = NULL;	/* one op at a time is all there is: no room to make */
			/* A chain must reach the kernel in one submission: if the whole FIFO does
			 * not fit, make room first; the part that never fits waits for this
			 * chain to complete. */
			if ((cnt == 0 || op) && *staged && attempt == 0) {
				submit_now(r, staged);
				continue;
			}
			if (cnt == 0) {
				/* No room at all (an SQPOLL thread behind): keep it for the next
				 * flush, which a completion will bring. */
				saio_ring_dirty(r, f);
				break;
			}
			op = f->head;
			if (f->closing && !f->custody)
				saio_closing_add(r, f);
			unsigned i;
			int pr = 0;
			for (i = 0; i < cnt; i++, op = op->next) {
				pr = be->prep(r, op, i + 1 < cnt);
				if (pr < 0)
					break;	/* the chain ends before it */
				op->state = SAIO_OP_INFLIGHT;
				f->nqueued--;
				f->ninflight++;
				r->nqueued--;
				r->ninflight++;
			}
			*staged += i;
			*total += i;
			if (pr < 0 && pr != -EBUSY) {
				/* An op this backend cannot run: it completes with that error
				 * now, as the real call would have failed (a send's error is
				 * delivered later like any other). -EBUSY: it stays queued. */
				op->state = SAIO_OP_INFLIGHT;
				op->nr_cqe = 1;
				f->nqueued--;
				f->ninflight++;
				r->nqueued--;
				r->ninflight++;
				saio_engine_complete(r, op, 1, pr);
			}
			break;
		}
	}
}

static int ring_flush(struct saio_ring *r, bool submit, struct wait_req *w)
{
	const struct saio_backend *be = r->be;
	unsigned staged = 0, total = 0;
	bool split = false;	/* some removals went to the kernel ahead of the rest */

	be->reap(r);	/* completions free budget and may re-dirty fds */
	while (r->standalone) {
		struct saio_op *op = r->standalone;
		if (be->prep(r, op, false) == -EBUSY) {
			if (!staged)
				break;	/* the kernel has not consumed the queue: next flush */
			submit_now(r, &staged);
			split = true;
			continue;
		}
		r->standalone = op->next;
		op->next = NULL;
		op->state = SAIO_OP_INFLIGHT;
		r->ndel_inflight++;
		r->ninflight++;
		staged++;
		total++;
	}
	/* The wait right behind the removals, which it must not overtake: the backend links
	 * it to them. Not when some were handed over alone (they may still run: the caller
	 * waits for them), nor when some are left over. */
	if (w)
		w->res = split || r->standalone ? -EBUSY
					       : be->epoll_prep(r, w->epfd, w->ev, w->maxev);
	/* An fd that runs one op at a time (kTLS, SQPOLL) gets its next op when the last
	 * completes. A completion reaped by a submit of this flush (a small send completes
	 * inside the enter that submits it) re-dirties its fd after the list was taken: take
	 * the list again while a pass hands over something, or that op stays queued with
	 * nothing in flight to bring a completion, and the thread sleeps on it. */
	for (unsigned before = ~0u; r->dirty && total != before;) {
		before = total;
		stage_dirty(r, &staged, &total);
		if (submit)
			submit_now(r, &staged);
	}
	if (submit) {
		submit_now(r, &staged);	/* (the removals alone) */
	} else if (staged) {
		/* handed to the kernel by the enter that waits (backend epoll_enter) */
		atomic_fetch_add(&saio_stats.batches, 1);
		atomic_fetch_add(&saio_stats.batch_ops, staged);
	}
	return (int)total;
}

void saio_ring_reap(struct saio_ring *r)
{
	r->be->reap(r);
}

/* Lock held. Wait until every op of f completed. */
int saio_ring_wait_fd(struct saio_ring *r, struct saio_fd *f, bool submitted_only)
{
	bool counted = false;
	for (;;) {
		if (f->nqueued)
			saio_ring_flush(r);
		if (submitted_only && !f->nqueued)
			return 0;
		if (!f->head)
			return 0;
		if (!f->ninflight && !r->ninflight)
			return -EAGAIN;	/* nothing can complete to make room: do not spin */
		if (!counted) {
			atomic_fetch_add(&saio_stats.waits, 1);
			counted = true;
		}
		int ret = r->be->wait(r);
		if (ret < 0)
			return ret;
		r->be->reap(r);
	}
}

int64_t saio_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
#define mono_ns saio_now_ns

/* Lock held. Wait until every op of f completed or the deadline (CLOCK_MONOTONIC ns)
 * passed; true when f has no ops left. Polls the completion queue rather than blocking in
 * the backend, so it cannot outlast the deadline (a 1 ms sleep lets task work run). */
bool saio_ring_wait_fd_until(struct saio_ring *r, struct saio_fd *f, int64_t deadline)
{
	for (;;) {
		saio_ring_flush(r);
		if (!f->head)
			return true;
		if (mono_ns() >= deadline)
			return false;
		struct timespec d = { 0, 1000000 };
		nanosleep(&d, NULL);
	}
}

/*
 * Lock held. f's number was closed by something we did not see (a raw system call) and is
 * being handed out again: ops still ours belong to the old socket, never to the new one.
 * What is in flight is recalled (it refers to the old socket's file) and everything is
 * dropped (counted in bytes_dropped and fd_reused); f is left empty.
 */
void saio_fd_forget_ops(struct saio_ring *r, struct saio_fd *f)
{
	r->be->reap(r);
	if (f->head && r->be->settle && (r->be->caps(r) & SAIO_CAP_ASYNC_ISSUE)) {
		r->be->settle(r);	/* our own close may have run, its completion not yet */
		r->be->reap(r);
	}
	if (!f->head)
		return;
	atomic_fetch_add(&saio_stats.fd_reused, 1);
	f->broken = 1;	/* nothing of it is submitted again */
	if (f->ninflight && r->be->recall)
		r->be->recall(r, f);
	saio_fd_drop_queued(r, f);
	if (f->ninflight)
		saio_ring_wait_fd_until(r, f, saio_now_ns() + 1000000000LL);
	saio_fd_drop_queued(r, f);
}

/* Lock held. Take f's queued ops (not those in flight) out of the queue, their bytes lost
 * (counted): what a reset discards. */
void saio_fd_drop_queued(struct saio_ring *r, struct saio_fd *f)
{
	struct saio_op *op = f->head, *next;
	for (; op; op = next) {
		next = op->next;
		if (op->state != SAIO_OP_QUEUED)
			continue;
		atomic_fetch_add(&saio_stats.bytes_dropped, op->len - op->sent);
		r->nqueued--;
		retire(r, f, op);
	}
}

/*
 * Lock held. Abort f's stream like a reset (SO_LINGER {1, 0}): ops in flight, which may
 * wait for a peer that does not read, are recalled (or, without recall, made to fail by
 * shutting the write side: the FIN waits behind the unsent bytes, the close that follows
 * resets), and every op is dropped. Bounded. f keeps its number; the caller closes it.
 */
void saio_fd_abort(struct saio_ring *r, struct saio_fd *f)
{
	r->be->reap(r);
	if (f->ninflight && r->be->recall)
		r->be->recall(r, f);
	saio_fd_drop_queued(r, f);
	if (f->ninflight) {
		f->broken = 1;	/* nothing of it is submitted again */
		REAL(shutdown)(f->fdnum, SHUT_WR);
		saio_ring_wait_fd_until(r, f, mono_ns() + 1000000000LL);
		saio_fd_drop_queued(r, f);
	}
	if (f->err) {
		count_dropped_error(f);
		f->err = 0;
		f->err_sigpipe = 0;
	}
}

/* ---- custody: sockets the application closed while ops of ours still wait -------------- */

static void int_add(int **a, unsigned *n, unsigned *cap, int v)
{
	for (unsigned i = 0; i < *n; i++)
		if ((*a)[i] == v)
			return;
	if (*n == *cap) {
		unsigned c = *cap ? *cap * 2 : 16;
		int *x = realloc(*a, c * sizeof(int));
		if (!x)
			return;
		*a = x;
		*cap = c;
	}
	(*a)[(*n)++] = v;
}

static void int_del(int *a, unsigned *n, int v)
{
	for (unsigned i = 0; i < *n; i++)
		if (a[i] == v) {
			a[i] = a[--*n];
			return;
		}
}

void saio_fd_set_own(int fd, bool own)
{
	struct saio_fd *f = own ? saio_fd_get(fd) : saio_fd_peek(fd);
	if (f)
		f->own = own;
}

static int custody_base(void);

/*
 * A descriptor of the library's own (ring, notifier, device): moved to a high number, so
 * that the application's numbers stay the ones it would get without the library, and
 * marked as ours (close_range and friends leave it alone; saio_fd_own names it). Returns
 * the number to use (fd itself if it cannot move).
 */
int saio_own_fd(int fd)
{
	int base = custody_base();
	if (fd >= 0 && base > fd) {
		int n = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, base);
		if (n >= 0) {
			REAL(close)(fd);
			fd = n;
		}
	}
	if (fd >= 0)
		saio_fd_set_own(fd, true);
	return fd;
}

__attribute__((visibility("default"))) int saio_fd_own(int fd)
{
	struct saio_fd *f = saio_fd_peek(fd);
	return f && f->own;
}

/* The lowest number a custody descriptor may take: high, away from the application's
 * dense low numbers, and below the descriptor limit. -1 if the limit is too low. */
static int custody_base(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (1u << 20))
		return 1 << 19;
	if (rl.rlim_cur < 64)
		return -1;
	return (int)(rl.rlim_cur - rl.rlim_cur / 4);
}

static void custody_end(struct saio_ring *r, struct saio_fd *f, bool aborted)
{
	int_del(r->cust, &r->ncust, f->fdnum);
	atomic_fetch_sub(&saio_stats.draining_fds, 1);
	atomic_fetch_sub(&saio_stats.draining_bytes, f->bytes);
	atomic_fetch_add(aborted ? &saio_stats.drain_aborted : &saio_stats.drained, 1);
	f->custody = 0;
	f->own = 0;
}

/* Lock held. Reset a custody socket: its time (or the count bound) is up. */
static void custody_abort(struct saio_ring *r, struct saio_fd *g)
{
	struct linger l = { 1, 0 };
	REAL(setsockopt)(g->fdnum, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	saio_fd_abort(r, g);
	custody_end(r, g, true);
	int fd = g->fdnum;
	saio_fd_reset(g);
	atomic_store(&g->owner, NULL);
	REAL(close)(fd);
}

/*
 * Lock held, f owned by r, f's number about to be closed (by the application's close, or
 * a call that closes it on its own: close_range, dup2, fclose) while ops of ours for its
 * socket remain. A real close would orphan the socket and let the kernel send its buffer;
 * ours is the same, one level up: the socket moves to a descriptor of the library (a high
 * number, close-on-exec), the ops follow it, a close of it ends them, and the caller can
 * close the application's number at once. Like an orphan it is bounded: after
 * SAIO_DRAIN_MS (the kernel's own orphan time) or past SAIO_DRAIN_MAX such sockets it is
 * reset. Returns the new number, or -1 (nothing moved) when the backend cannot recall its
 * requests or no descriptor is left.
 */
int saio_detach(struct saio_ring *r, struct saio_fd *f)
{
	int fd = f->fdnum;
	if (!r->be->recall || !f->head)
		return -1;
	if (r->ncust >= saio_cfg.drain_max ||
	    atomic_load(&saio_stats.draining_fds) >= saio_cfg.drain_max) {
		if (!r->ncust)
			return -1;
		struct saio_fd *old = saio_fd_peek(r->cust[0]);
		for (unsigned i = 1; i < r->ncust; i++) {
			struct saio_fd *c = saio_fd_peek(r->cust[i]);
			if (c && (!old || c->deadline < old->deadline))
				old = c;
		}
		if (!old)
			return -1;
		custody_abort(r, old);
	}
	r->be->recall(r, f);
	r->be->reap(r);
	if (f->ninflight)
		return -1;
	int base = custody_base();
	int nfd = base < 0 ? -1 : REAL(fcntl)(fd, F_DUPFD_CLOEXEC, base);
	if (nfd < 0)
		return -1;
	struct saio_fd *g = saio_fd_get(nfd);
	struct saio_op *cl = NULL;
	if (!f->tail || f->tail->kind != SAIO_OP_CLOSE)
		cl = saio_op_alloc(0);
	if (!g || (!cl && (!f->tail || f->tail->kind != SAIO_OP_CLOSE))) {
		saio_op_free(cl);
		REAL(close)(nfd);
		return -1;
	}
	if (f->linger_on) {
		/* its time ran out in close(): the rest goes out as an orphan's would */
		struct linger l = { 0, 0 };
		REAL(setsockopt)(nfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	saio_fd_reset(g);
	g->nep = 0;
	g->kind = SAIO_FD_SOCK;
	g->tcp = f->tcp;
	g->nonblock = 1;
	g->conn = 1;
	g->own = 1;
	g->custody = 1;
	g->closing = 1;
	g->broken = f->broken;
	g->deadline = saio_now_ns() + (int64_t)saio_cfg.drain_ms * 1000000;
	g->head = f->head;
	g->tail = f->tail;
	g->nqueued = f->nqueued;
	g->ninflight = 0;
	g->bytes = f->bytes;
	for (struct saio_op *op = g->head; op; op = op->next) {
		op->fd = nfd;
		op->qfd = nfd;
	}
	f->head = f->tail = NULL;
	f->nqueued = 0;
	f->bytes = 0;
	if (cl) {
		cl->kind = SAIO_OP_CLOSE;
		cl->call = SAIO_C_CLOSE;
		cl->fd = nfd;
		saio_fifo_push(g, cl);
		r->nqueued++;
	}
	atomic_store(&g->owner, r);
	saio_ring_dirty(r, g);
	int_add(&r->cust, &r->ncust, &r->capcust, nfd);
	atomic_fetch_add(&saio_stats.draining_fds, 1);
	atomic_fetch_add(&saio_stats.draining_bytes, g->bytes);
	if (f->err)
		count_dropped_error(f);
	saio_fd_reset(f);
	atomic_store(&f->owner, NULL);
	/* the rest goes back to the kernel now, as one chain that ends with our close: it
	 * needs nothing more from this thread, which may block in something else next */
	saio_ring_flush(r);
	return nfd;
}

/* Lock held. The close of f went to the kernel: if its chain is still in flight at the
 * next batch boundary, it waits for a peer (saio_custody_check). */
void saio_closing_add(struct saio_ring *r, struct saio_fd *f)
{
	int_add(&r->closing, &r->nclosing, &r->capclosing, f->fdnum);
}

/*
 * Lock held, at a batch boundary. Closes submitted at an earlier boundary whose chains
 * are still in flight wait for a peer that does not read: move them to custody and close
 * the application's number now. Custody sockets past their time are reset.
 */
void saio_custody_check(struct saio_ring *r)
{
	if (r->nclosing) {
		if (r->be->settle && (r->be->caps(r) & SAIO_CAP_ASYNC_ISSUE)) {
			r->be->settle(r);
			r->be->reap(r);
		}
		for (unsigned i = 0; i < r->nclosing;) {
			struct saio_fd *f = saio_fd_peek(r->closing[i]);
			if (!f || !f->closing || f->custody || atomic_load(&f->owner) != r ||
			    !f->head) {
				r->closing[i] = r->closing[--r->nclosing];
				continue;
			}
			if (!f->ninflight) {
				i++;	/* not submitted yet: look again next time */
				continue;
			}
			r->closing[i] = r->closing[--r->nclosing];
			int fd = f->fdnum;
			if (saio_detach(r, f) >= 0)
				REAL(close)(fd);
		}
	}
	if (r->ncust) {
		int64_t now = saio_now_ns();
		for (unsigned i = 0; i < r->ncust;) {
			struct saio_fd *g = saio_fd_peek(r->cust[i]);
			if (g && g->custody && g->deadline <= now) {
				custody_abort(r, g);	/* removes it from r->cust */
				continue;
			}
			i++;
		}
	}
}

/* Lock held. Nanoseconds until saio_custody_check has something to do (a custody
 * deadline, or a second for a close that may be stuck), or -1. */
int64_t saio_custody_next(struct saio_ring *r)
{
	int64_t next = r->nclosing ? 1000000000LL : -1, now = saio_now_ns();
	for (unsigned i = 0; i < r->ncust; i++) {
		struct saio_fd *g = saio_fd_peek(r->cust[i]);
		if (!g)
			continue;
		int64_t d = g->deadline > now ? g->deadline - now : 0;
		if (next < 0 || d < next)
			next = d;
	}
	return next;
}

/* Lock held. Wait until every op of the ring completed, at most ms milliseconds. */
static void ring_drain(struct saio_ring *r, unsigned ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		saio_ring_flush(r);
		if (!r->ninflight && !r->nqueued)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > (long)ms)
			return;
		if (r->ninflight) {
			/* Bounded: poll the completion queue rather than block forever on a
			 * peer that never reads. */
			struct timespec d = { 0, 1000000 };
			r->be->reap(r);
			if (r->ninflight)
				nanosleep(&d, NULL);
		}
	}
}

/* ---- rings ------------------------------------------------------------------------ */

/*
 * Rings outlive their threads. A descriptor names its ring (owner) without a reference
 * count, so ring memory is never freed: a ring whose thread has exited and whose ops are
 * all done goes to a pool and is used again by the next new event-loop thread (a stale
 * pointer to it finds f->owner changed, after taking its lock, and looks again). A ring
 * whose thread exits while ops of it still wait for peers is a zombie: its backend stays,
 * and other event-loop threads serve it at their batch boundaries until it is empty.
 */
static struct saio_ring *ring_pool;		/* under rings_lock, linked by next_all */
static _Atomic int zombies;

static bool ring_empty(const struct saio_ring *r)
{
	return !r->nqueued && !r->ninflight && !r->ncust && !r->standalone;
}

static void clear_owner(struct saio_fd *f, void *arg)
{
	/* only a pending error is left on such an fd: it stays, the fd without an owner */
	struct saio_ring *r = arg;
	if (atomic_load(&f->owner) == r)
		atomic_store(&f->owner, NULL);
}

/* r is empty and has no thread: out of the list, backend gone, memory to the pool. */
static void ring_retire(struct saio_ring *r)
{
	pthread_mutex_lock(&rings_lock);
	for (struct saio_ring **pp = &rings_all; *pp; pp = &(*pp)->next_all) {
		if (*pp == r) {
			*pp = r->next_all;
			break;
		}
	}
	pthread_mutex_unlock(&rings_lock);
	pthread_mutex_lock(&r->lock);
	saio_fd_foreach(clear_owner, r);
	r->be->teardown(r);
	r->dead = true;
	r->nwake = 0;
	r->nowed = 0;
	r->ncust = r->nclosing = 0;
	saio_opcache_clear(&r->cache);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_lock(&rings_lock);
	r->next_all = ring_pool;
	ring_pool = r;
	pthread_mutex_unlock(&rings_lock);
}

static void thread_exit(void *arg)
{
	struct saio_ring *r = arg;
	/* io_uring cancels a task's requests when the task exits: finish them first
	 * (bounded: a peer may not read). */
	pthread_mutex_lock(&r->lock);
	ring_drain(r, saio_cfg.exit_drain_ms);
	r->tid = 0;
	bool empty = ring_empty(r);
	if (!empty)
		r->zombie = true;
	pthread_mutex_unlock(&r->lock);
	tls_ring = NULL;
	if (empty)
		ring_retire(r);
	else
		atomic_fetch_add(&zombies, 1);
}

/* Serve the rings of threads that have exited: reap, resubmit, look at their custody
 * sockets; retire those that are empty. Called by event-loop threads before they wait. */
void saio_serve_zombies(void)
{
	if (!atomic_load_explicit(&zombies, memory_order_relaxed))
		return;
	struct saio_ring *done[8];
	int nd = 0;
	pthread_mutex_lock(&rings_lock);
	for (struct saio_ring *r = rings_all; r && nd < 8; r = r->next_all) {
		if (!r->zombie || pthread_mutex_trylock(&r->lock))
			continue;
		r->be->reap(r);
		if (r->nclosing || r->ncust)
			saio_custody_check(r);
		saio_ring_flush(r);
		if (ring_empty(r)) {
			r->zombie = false;
			done[nd++] = r;
		}
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_unlock(&rings_lock);
	for (int i = 0; i < nd; i++) {
		atomic_fetch_sub(&zombies, 1);
		ring_retire(done[i]);
	}
}

bool saio_zombies(void)
{
	return atomic_load_explicit(&zombies, memory_order_relaxed) != 0;
}

struct saio_ring *saio_ring_self(bool create)
{
	if (SAIO_LIKELY(tls_ring != NULL) || !create)
		return tls_ring;
	if (saio_cfg.mode != SAIO_MODE_DEFER || tls_no_ring)
		return NULL;
	struct saio_ring *r = NULL;
	pthread_mutex_lock(&rings_lock);
	if (ring_pool) {
		r = ring_pool;
		ring_pool = r->next_all;
	}
	pthread_mutex_unlock(&rings_lock);
	if (r) {
		/* from the pool: its lock, lists and op cache are kept, all else starts anew */
		pthread_mutex_lock(&r->lock);
		r->next_all = NULL;
		r->dead = false;
		r->zombie = false;
		r->dirty = NULL;
		r->nqueued = r->ninflight = r->ndel_inflight = 0;
		r->standalone = NULL;
		r->be_priv = NULL;
		pthread_mutex_unlock(&r->lock);
	} else {
		r = calloc(1, sizeof(*r));
		if (!r)
			return NULL;
		pthread_mutex_init(&r->lock, NULL);
	}
	r->be = saio_backend_default;
	r->tid = (pid_t)syscall(SYS_gettid);
	int ret = getenv("SAIO_TEST_NO_URING") ? -ENOSYS : r->be->init(r);
	if (ret < 0) {
		tls_no_ring = true;
		if (!atomic_exchange(&warned, 1)) {
			char m[256];
			int n = snprintf(m, sizeof(m),
					 "saio: %s backend unavailable (%s)%s%s: running sync\n",
					 r->be->name, strerror(-ret), r->be->hint ? "; " : "",
					 r->be->hint ? r->be->hint : "");
			if (n > 0)
				(void)!REAL(write)(2, m, (size_t)n);
		}
		if (!atomic_load(&uring_ok))
			saio_cfg.mode = SAIO_MODE_SYNC;
		pthread_mutex_lock(&rings_lock);
		r->dead = true;
		r->next_all = ring_pool;
		ring_pool = r;
		pthread_mutex_unlock(&rings_lock);
		return NULL;
	}
	atomic_store(&uring_ok, 1);
	pthread_mutex_lock(&rings_lock);
	r->next_all = rings_all;
	rings_all = r;
	pthread_mutex_unlock(&rings_lock);
	pthread_setspecific(ring_key, r);
	tls_ring = r;
	atomic_store(&saio_stats_used, 1);
	saio_stats_start();
	return r;
}

/* Wait for every ring's ops (exit, exec). */
void saio_drain_all(unsigned ms)
{
	pthread_mutex_lock(&rings_lock);
	for (struct saio_ring *r = rings_all; r; r = r->next_all) {
		pthread_mutex_lock(&r->lock);
		ring_drain(r, ms);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_unlock(&rings_lock);
}

/* ---- fork ------------------------------------------------------------------------- */

extern pthread_mutex_t saio_ep_lock;

/*
 * Lock order, everywhere: rings_lock, then ring locks, then saio_ep_lock (innermost). fork
 * takes them all in that order (a cycle with exit's drain, which holds rings_lock and takes
 * ring locks, and close, which holds a ring lock and takes ep_lock, deadlocked before), and
 * hands every queued op to the kernel first: a child writing to an inherited socket, or
 * reading what the parent wrote before fork (write, fork, waitpid), must find the parent's
 * bytes in the kernel. Bytes in flight for a full socket are as bytes the real parent would
 * still be holding: the child's writes may come first, as they would without the library.
 */
static void cork_real_one(struct saio_fd *f, void *arg)
{
	(void)arg;
	saio_cork_real(f);
}

static void atfork_prepare(void)
{
	/* the child shares the sockets: their kernel state must be what the application set */
	saio_fd_foreach(cork_real_one, NULL);
	pthread_mutex_lock(&rings_lock);
	for (struct saio_ring *r = rings_all; r; r = r->next_all) {
		pthread_mutex_lock(&r->lock);
		r->be->reap(r);
		saio_ring_flush(r);
		if (r->be->settle && (r->be->caps(r) & SAIO_CAP_ASYNC_ISSUE))
			r->be->settle(r);
	}
	pthread_mutex_lock(&saio_ep_lock);
}

static void forget_cork(struct saio_fd *f, void *arg)
{
	(void)arg;
	/* A connected socket is shared with the other process now, which may cork it:
	 * its state is no longer known here (listeners keep theirs: accepted sockets
	 * start from it). */
	if (f->conn)
		f->cork = SAIO_CORK_UNKNOWN;
}

static void atfork_parent(void)
{
	saio_fd_foreach(forget_cork, NULL);
	pthread_mutex_unlock(&saio_ep_lock);
	for (struct saio_ring *r = rings_all; r; r = r->next_all)
		pthread_mutex_unlock(&r->lock);
	pthread_mutex_unlock(&rings_lock);
}

static void child_fd(struct saio_fd *f, void *arg)
{
	(void)arg;
	/* The application closed it; our close had not run: the child must not keep it
	 * (nor a custody socket, whose number the application never saw). */
	if (f->closing)
		REAL(close)(f->fdnum);
	if (f->closing || atomic_load(&f->close_held)) {
		saio_fd_reset(f);
	}
	if (f->custody) {
		f->custody = 0;
		f->own = 0;
	}
	/* Drop the parent's work; keep what describes kernel objects the child shares
	 * (kind, O_NONBLOCK). Not the epoll registrations: they are the parent's, and a
	 * close in the child must not take them away (the kernel keeps them while the
	 * parent holds the socket). */
	atomic_store(&f->owner, NULL);
	f->nep = 0;
	f->ep_overflow = 0;
	f->waiter = NULL;
	f->shared = 0;
	f->head = f->tail = NULL;	/* the parent's ops leak in the child: bounded */
	f->nqueued = f->ninflight = 0;
	f->bytes = 0;
	f->dirty = 0;
	f->dirty_next = NULL;
	f->want_wake = 0;
	f->err = 0;
	f->err_sigpipe = 0;
	f->broken = 0;
	atomic_store(&f->pins, 0);
	atomic_store(&f->close_held, 0);
	f->notify_ring = NULL;
	forget_cork(f, NULL);
}

static void atfork_child(void)
{
	pthread_mutex_init(&rings_lock, NULL);
	pthread_mutex_init(&saio_ep_lock, NULL);
	for (struct saio_ring *r = ring_pool; r; r = r->next_all)
		pthread_mutex_init(&r->lock, NULL);	/* (a parent thread may have held one) */
	atomic_store(&zombies, 0);
	for (struct saio_ring *r = rings_all, *n; r; r = n) {
		n = r->next_all;
		r->be->forget(r);
		free(r->wake);
		free(r->owed);
		free(r->cust);
		free(r->closing);
		saio_opcache_clear(&r->cache);
		free(r);
	}
	rings_all = NULL;
	tls_ring = NULL;
	tls_no_ring = false;
	atomic_store(&saio_budget.global_used, 0);
	saio_fd_foreach(child_fd, NULL);
	memset(&saio_stats, 0, sizeof(saio_stats));
	saio_stats_after_fork();
}

/* ---- configuration ------------------------------------------------------------- */

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	unsigned long x = strtoul(v, &end, 0);
	if (*end == 'k' || *end == 'K')
		x <<= 10;
	else if (*end == 'm' || *end == 'M')
		x <<= 20;
	else if (*end == 'g' || *end == 'G')
		x <<= 30;
	return x;
}

static void config_error(const char *name, const char *v, const char *want)
{
	char m[256];
	int n = snprintf(m, sizeof(m), "saio: %s=%s: %s\n", name, v, want);
	if (n > 0)
		(void)!REAL(write)(2, m, (size_t)n);
}

/* A number lo..hi from the environment, or def (and a message if it was bad). */
static unsigned env_range(const char *name, unsigned lo, unsigned hi, unsigned def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end;
	unsigned long x = strtoul(v, &end, 10);
	if (*end || x < lo || x > hi) {
		char want[96];
		snprintf(want, sizeof(want), "expected a number %u..%u; using %u", lo, hi, def);
		config_error(name, v, want);
		return def;
	}
	return (unsigned)x;
}

/* SAIO_KMOD_*: how the kmod backend sets up its /dev/saio context. */
static void kmod_config(void)
{
	const char *m = getenv("SAIO_KMOD_MODE");
	if (m && *m && strcmp(m, "enter") && strcmp(m, "worker"))
		config_error("SAIO_KMOD_MODE", m, "expected enter or worker; using enter");
	saio_cfg.kmod_worker = m && !strcmp(m, "worker");
	saio_cfg.kmod_workers = env_range("SAIO_KMOD_WORKERS", 1, 64, 1);
	saio_cfg.kmod_rings = env_range("SAIO_KMOD_RINGS", 1, 64, 16);
	if (saio_cfg.kmod_worker && saio_cfg.kmod_rings < saio_cfg.kmod_workers)
		saio_cfg.kmod_rings = saio_cfg.kmod_workers;
	saio_cfg.kmod_idle_us = env_range("SAIO_KMOD_IDLE_US", 0, 1000000, 0);
	const char *c = getenv("SAIO_KMOD_CPUS");
	if (!c || !*c)
		return;
	if (!strncmp(c, "local", 5)) {
		char *end;
		long k = c[5] ? strtol(c + 5, &end, 10) : 0;
		if (c[5] && (*end || (c[5] != '+' && c[5] != '-') || k < -1024 || k > 1024)) {
			config_error("SAIO_KMOD_CPUS", c, "expected local, local+K or a CPU list; not pinned");
			return;
		}
		saio_cfg.kmod_localize = true;
		saio_cfg.kmod_cpu_offset = (int)k;
		return;
	}
	const char *s = c;
	while (*s && saio_cfg.kmod_ncpus < 64) {
		char *end;
		unsigned long cpu = strtoul(s, &end, 10);
		if (end == s || cpu > 4095 || (*end && *end != ',')) {
			config_error("SAIO_KMOD_CPUS", c, "expected local, local+K or a CPU list; not pinned");
			saio_cfg.kmod_ncpus = 0;
			return;
		}
		saio_cfg.kmod_cpus[saio_cfg.kmod_ncpus++] = (int)cpu;
		s = *end ? end + 1 : end;
	}
}

/* How long the kernel keeps an orphaned socket whose peer keeps its window shut: its zero
 * window probes (tcp_orphan_retries, 0 meaning 8) back off from the 200 ms minimum RTO. */
static unsigned orphan_ms(void)
{
	unsigned n = 0, ms = 0;
	int fd = REAL(open)("/proc/sys/net/ipv4/tcp_orphan_retries", O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		char b[16] = "";
		if (REAL(read)(fd, b, sizeof(b) - 1) > 0)
			n = (unsigned)strtoul(b, NULL, 10);
		REAL(close)(fd);
	}
	if (n == 0)
		n = 8;
	for (unsigned i = 0; i < n && i < 16; i++)
		ms += (200u << i) < 120000 ? 200u << i : 120000;
	return ms;
}

/* exit() called in a signal handler: the interrupted code may hold any of our locks.
 * Drain what can be taken without waiting for a lock; the rest is lost with the process,
 * as bytes a real process had not written yet. */
static void drain_all_trylock(unsigned ms)
{
	if (pthread_mutex_trylock(&rings_lock))
		return;
	for (struct saio_ring *r = rings_all; r; r = r->next_all) {
		if (pthread_mutex_trylock(&r->lock))
			continue;
		ring_drain(r, ms);
		pthread_mutex_unlock(&r->lock);
	}
	pthread_mutex_unlock(&rings_lock);
}

static void atexit_drain(void)
{
	if (saio_in_handler) {
		drain_all_trylock(saio_cfg.exit_drain_ms);
		saio_stats_write();
		return;
	}
	saio_drain_all(saio_cfg.exit_drain_ms);
	saio_stats_write();
}

static void saio_init(void);
_Atomic int saio_ready;

void saio_init_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, saio_init);
}

static void saio_init(void)
{
	/* Every real function now, not on first use: a signal handler must never end up
	 * in dlsym (it allocates), nor may a malloc that initializes itself with syscall(). */
	saio_real_resolve_all();
	const char *b = getenv("SAIO_BACKEND");
	if (b && !strcmp(b, "sync")) {
		saio_cfg.mode = SAIO_MODE_SYNC;
	} else if (b && !strcmp(b, "kmod")) {
		saio_backend_default = &saio_backend_kmod;
		kmod_config();
	} else if (b && *b && strcmp(b, "uring")) {
		config_error("SAIO_BACKEND", b, "expected uring, kmod or sync; using uring");
	}
	saio_cfg.sqpoll = env_ul("SAIO_SQPOLL", 0) != 0;
	saio_cfg.sq_cpu = getenv("SAIO_SQ_CPU") ? (int)env_ul("SAIO_SQ_CPU", 0) : -1;
	saio_cfg.sq_idle_ms = (unsigned)env_ul("SAIO_SQ_IDLE_MS", 50);
	saio_cfg.batch_max = (unsigned)env_ul("SAIO_BATCH", 64);
	if (saio_cfg.batch_max < 1)
		saio_cfg.batch_max = 1;
	/* at least 4: a copied sendfile takes two requests, and must fit */
	saio_cfg.ring_entries = (unsigned)env_ul("SAIO_RING_ENTRIES", 256);
	if (saio_cfg.ring_entries < 4)
		saio_cfg.ring_entries = 4;
	if (saio_cfg.ring_entries > 4096)
		saio_cfg.ring_entries = 4096;
	const char *d = getenv("SAIO_EPOLL_DEL");
	saio_cfg.sync_epoll_del = (d && !strcmp(d, "sync")) || saio_cfg.sqpoll;
	saio_cfg.exit_drain_ms = (unsigned)env_ul("SAIO_EXIT_DRAIN_MS", 5000);
	saio_cfg.drain_ms = (unsigned)env_ul("SAIO_DRAIN_MS", orphan_ms());
	saio_cfg.drain_max = env_range("SAIO_DRAIN_MAX", 1, 1u << 20, 1024);
	saio_cfg.sendfile_copy_max = env_ul("SAIO_SENDFILE_COPY_MAX", saio_cfg.sendfile_copy_max);
	saio_cfg.fuse = env_ul("SAIO_FUSE", 1) != 0;
	saio_cfg.epoll_fold = env_ul("SAIO_EPOLL_WAIT", 0) != 0;
	saio_budget.fd_max = env_ul("SAIO_FD_BUDGET", saio_budget.fd_max);
	saio_budget.global_max = env_ul("SAIO_BUDGET", saio_budget.global_max);
	if (saio_budget.fd_max < 1)
		saio_budget.fd_max = 1;
	/* Copied: servers rewrite their environment (nginx's process title). */
	const char *sp = getenv("SAIO_STATS");
	saio_cfg.stats_path = sp && *sp ? strdup(sp) : NULL;
	pthread_key_create(&ring_key, thread_exit);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	atexit(atexit_drain);
	atomic_store_explicit(&saio_ready, 1, memory_order_release);
}

__attribute__((constructor)) static void saio_ctor(void)
{
	saio_init_once();
}

/* ---- public API (include/saio.h) --------------------------------------------------- */

__attribute__((visibility("default"))) int saio_flush(void)
{
	struct saio_ring *r = saio_ring_self(false);
	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	int n = saio_ring_flush(r);
	pthread_mutex_unlock(&r->lock);
	return n;
}

struct saio_ring *saio_lock_owner(struct saio_fd *f)
{
	for (;;) {
		struct saio_ring *o = atomic_load(&f->owner);
		if (!o)
			return NULL;
		pthread_mutex_lock(&o->lock);
		/* The owner may have changed while we waited for its lock: look again. */
		if (atomic_load(&f->owner) == o)
			return o;
		pthread_mutex_unlock(&o->lock);
	}
}

__attribute__((visibility("default"))) int saio_drain_fd(int fd)
{
	struct saio_fd *f = saio_fd_peek(fd);
	struct saio_ring *o = f ? saio_lock_owner(f) : NULL;
	if (!o)
		return 0;
	int ret = saio_ring_wait_fd(o, f, false);
	pthread_mutex_unlock(&o->lock);
	return ret;
}
