/* SPDX-License-Identifier: MIT */
/*
 * backend_uring.c - the io_uring backend: one ring per engine ring (per thread), one
 * io_uring_enter per batch (none with SQPOLL while its thread is awake).
 *
 * Op encodings (all sends carry MSG_WAITALL so that a short send fails the link and a
 * full socket makes io_uring wait for space instead of completing short, and
 * MSG_NOSIGNAL because SIGPIPE is raised by the engine when the error is delivered;
 * on a kTLS socket, whose sendmsg refuses MSG_WAITALL, sends go without it, one op of
 * the fd in flight at a time, and a short one is sent again by the engine):
 *   SEND        IORING_OP_SEND of op->buf[sent..len)
 *   SENDFILE    IORING_OP_READ (file at op->off -> op->buf + op->fbase) linked to
 *               IORING_OP_SEND of the whole buffer (bytes written before and after the
 *               sendfile may share it: fusion); io_uring has no sendfile opcode. A read
 *               shorter than asked fails the link.
 *   CLOSE       IORING_OP_CLOSE
 *   SHUTDOWN    IORING_OP_SHUTDOWN
 *   SETSOCKOPT  IORING_OP_URING_CMD with SOCKET_URING_OP_SETSOCKOPT (kernel 6.7+;
 *               liburing 2.3 has no helper, the SQE fields are set below). Probed once.
 *   EPOLL_DEL   IORING_OP_EPOLL_CTL
 * user_data is the op pointer with the phase in bit 0 (ops are 8-byte aligned).
 */
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

/* Not in liburing 2.3's copy of the uapi header (include/uapi/linux/io_uring.h, 6.7+). */
#ifndef SOCKET_URING_OP_SETSOCKOPT
#define SOCKET_URING_OP_SETSOCKOPT 3
#endif

/* IORING_OP_EPOLL_WAIT (6.15+), not in liburing 2.3's copy of the uapi header. */
#ifndef IORING_OP_EPOLL_WAIT
#define IORING_OP_EPOLL_WAIT 59
#endif
/* user_data of the epoll wait request: never an op's address (ops are 8-byte aligned and
 * not in the first page), nor 0 (probes and cancels). */
#define EPW_UD 2ull

enum { EPW_NONE, EPW_PENDING, EPW_DONE };

struct uring_priv {
	struct io_uring ring;
	bool sqpoll;
	int efd;		/* SQPOLL: eventfd signalled on every completion */
	unsigned cq_entries;	/* the completion queue's size */
	unsigned inflight;	/* requests staged or submitted whose completion is not reaped */
	int epw_state;		/* the epoll wait request: EPW_* */
	int epw_res;		/* its result once EPW_DONE */
	bool epw_entering;	/* a thread is (about to be) in the enter that waits for it */
	unsigned del_first;	/* the last run of epoll removals staged: SQ indices */
	unsigned del_end;	/* [del_first, del_end) */
};

static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;
static int attach_fd = -1;		/* first SQPOLL ring of this process */
static int setsockopt_ok = -1;		/* -1 unknown, 0 no, 1 yes */
static int epoll_wait_ok = -1;		/* IORING_OP_EPOLL_WAIT: -1 unknown, 0 no, 1 yes */

static void prep_setsockopt(struct io_uring_sqe *sqe, int fd, int level, int optname,
			    int *optval)
{
	/* Layout of include/uapi/linux/io_uring.h since 6.7: cmd_op shares off's word,
	 * level/optname share addr, optlen shares file_index, optval shares addr3. */
	unsigned char *raw = (unsigned char *)sqe;
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, NULL, 0, 0);
	uint32_t v32;
	uint64_t v64;
	v32 = SOCKET_URING_OP_SETSOCKOPT;
	memcpy(raw + 8, &v32, 4);
	v32 = (uint32_t)level;
	memcpy(raw + 16, &v32, 4);
	v32 = (uint32_t)optname;
	memcpy(raw + 20, &v32, 4);
	v32 = sizeof(int);
	memcpy(raw + 44, &v32, 4);
	v64 = (uint64_t)(uintptr_t)optval;
	memcpy(raw + 48, &v64, 8);
}

static void probe_setsockopt(struct io_uring *ring)
{
	int one = 1, v = 0, ok = 0;
	socklen_t vl = sizeof(v);
	int s = REAL(socket)(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
		struct io_uring_cqe *cqe;
		if (sqe) {
			prep_setsockopt(sqe, s, IPPROTO_TCP, TCP_NODELAY, &one);
			sqe->user_data = 0;
			if (io_uring_submit_and_wait(ring, 1) == 1 &&
			    io_uring_wait_cqe(ring, &cqe) == 0) {
				ok = cqe->res == 0;
				io_uring_cqe_seen(ring, cqe);
			}
			if (ok && REAL(getsockopt)(s, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0)
				ok = v != 0;
		}
		REAL(close)(s);
	}
	__atomic_store_n(&setsockopt_ok, ok, __ATOMIC_RELAXED);
}

static int uring_init(struct saio_ring *r)
{
	struct uring_priv *p = calloc(1, sizeof(*p));
	struct io_uring_params par;
	int ret;

	if (!p)
		return -ENOMEM;
	memset(&par, 0, sizeof(par));
	/* A completion queue far larger than the submission queue: requests that wait for
	 * a peer stay outstanding, and their number is capped at the CQ's size (space()), so
	 * the CQ never overflows. */
	par.flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE;
	par.cq_entries = saio_cfg.ring_entries * 16 < 65536 ? saio_cfg.ring_entries * 16 : 65536;
	if (saio_cfg.sqpoll) {
		par.flags |= IORING_SETUP_SQPOLL;
		par.sq_thread_idle = saio_cfg.sq_idle_ms;
		if (saio_cfg.sq_cpu >= 0) {
			par.flags |= IORING_SETUP_SQ_AFF;
			par.sq_thread_cpu = (unsigned)saio_cfg.sq_cpu;
		}
		pthread_mutex_lock(&attach_lock);
		if (attach_fd >= 0) {
			par.flags |= IORING_SETUP_ATTACH_WQ;
			par.wq_fd = (unsigned)attach_fd;
		}
	}
	ret = io_uring_queue_init_params(saio_cfg.ring_entries, &p->ring, &par);
	if (saio_cfg.sqpoll) {
		if (ret == 0 && attach_fd < 0)
			attach_fd = p->ring.ring_fd;
		pthread_mutex_unlock(&attach_lock);
	}
	if (ret < 0) {
		free(p);
		return ret;
	}
	p->cq_entries = *p->ring.cq.kring_entries;
	if (!saio_cfg.sqpoll) {
		/* (an SQPOLL ring's number is attach_fd for the others: it stays) */
		p->ring.ring_fd = p->ring.enter_ring_fd = saio_own_fd(p->ring.ring_fd);
	} else {
		saio_fd_set_own(p->ring.ring_fd, true);
	}
	p->sqpoll = saio_cfg.sqpoll;
	p->efd = -1;
	if (p->sqpoll) {
		/* Completions are posted by the SQPOLL thread and do not wake a thread
		 * sleeping in epoll_wait: an eventfd in its epoll set does. */
		p->efd = saio_own_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
		if (p->efd < 0 || io_uring_register_eventfd(&p->ring, p->efd) < 0) {
			int e = p->efd < 0 ? -errno : -EINVAL;
			if (p->efd >= 0)
				REAL(close)(p->efd);
			io_uring_queue_exit(&p->ring);
			free(p);
			return e;
		}
	}
	r->be_priv = p;
	if (__atomic_load_n(&setsockopt_ok, __ATOMIC_RELAXED) < 0)
		probe_setsockopt(&p->ring);
	if (__atomic_load_n(&epoll_wait_ok, __ATOMIC_RELAXED) < 0) {
		/* SAIO_EPOLL_WAIT=0 skips the probe: the library then waits as on a kernel
		 * without the opcode (epoll_wait after the batch's io_uring_enter). */
		struct io_uring_probe *pr = saio_cfg.epoll_fold ? io_uring_get_probe_ring(&p->ring)
							       : NULL;
		int ok = pr && io_uring_opcode_supported(pr, IORING_OP_EPOLL_WAIT) &&
			 (p->ring.features & IORING_FEAT_EXT_ARG);
		if (pr)
			io_uring_free_probe(pr);
		__atomic_store_n(&epoll_wait_ok, ok, __ATOMIC_RELAXED);
	}
	return 0;
}

static void uring_teardown(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	if (!p)
		return;
	if (p->sqpoll) {
		pthread_mutex_lock(&attach_lock);
		if (attach_fd == p->ring.ring_fd)
			attach_fd = -1;
		pthread_mutex_unlock(&attach_lock);
	}
	saio_fd_set_own(p->ring.ring_fd, false);
	io_uring_queue_exit(&p->ring);
	if (p->efd >= 0) {
		saio_fd_set_own(p->efd, false);
		REAL(close)(p->efd);
	}
	free(p);
	r->be_priv = NULL;
}

static void uring_forget(struct saio_ring *r)
{
	/* The child's copies of the mappings and of the ring fd are its own: releasing
	 * them does not touch the parent's ring. */
	struct uring_priv *p = r->be_priv;
	attach_fd = -1;
	if (!p)
		return;
	io_uring_queue_exit(&p->ring);
	if (p->efd >= 0)
		REAL(close)(p->efd);
	free(p);
	r->be_priv = NULL;
}

static unsigned uring_space(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	unsigned sq = io_uring_sq_space_left(&p->ring);
	unsigned cq = p->cq_entries > p->inflight ? p->cq_entries - p->inflight : 0;
	return sq < cq ? sq : cq;
}

static int uring_prep(struct saio_ring *r, struct saio_op *op, bool link)
{
	struct uring_priv *p = r->be_priv;
	struct io_uring *ring = &p->ring;
	struct io_uring_sqe *sqe;
	unsigned need = (op->kind == SAIO_OP_SENDFILE && !op->arg2) ? 2 : 1;
	const struct saio_fd *f;

	if (io_uring_sq_space_left(ring) < need)
		return -EBUSY;
	switch (op->kind) {
	case SAIO_OP_SENDFILE:
		if (!op->arg2) {	/* arg2: file bytes already in buf */
			sqe = io_uring_get_sqe(ring);
			io_uring_prep_read(sqe, op->arg, op->buf + op->fbase, op->flen,
					   (uint64_t)op->off);
			sqe->flags |= IOSQE_IO_LINK;
			io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)op);
		}
		/* the send of what was read */
		__attribute__((fallthrough));
	case SAIO_OP_SEND:
		sqe = io_uring_get_sqe(ring);
		/* kTLS refuses MSG_WAITALL (EOPNOTSUPP): such an fd's sends go one at a
		 * time (SAIO_CAP_LINK_WAITALL) and a short one comes back to be sent again. */
		f = saio_fd_peek(op->qfd);
		io_uring_prep_send(sqe, op->fd, op->buf + op->sent, op->len - op->sent,
				   (op->msg_flags & ~MSG_MORE) | saio_send_more(op, f) | MSG_NOSIGNAL |
					   (f && f->tls ? 0 : MSG_WAITALL));
		break;
	case SAIO_OP_CLOSE:
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_close(sqe, op->fd);
		break;
	case SAIO_OP_SHUTDOWN:
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_shutdown(sqe, op->fd, op->arg);
		break;
	case SAIO_OP_SETSOCKOPT:
		sqe = io_uring_get_sqe(ring);
		op->optval = op->arg;
		prep_setsockopt(sqe, op->fd, IPPROTO_TCP, op->arg2, &op->optval);
		break;
	case SAIO_OP_EPOLL_DEL:
		if (p->del_end != ring->sq.sqe_tail)
			p->del_first = ring->sq.sqe_tail;	/* a new run */
		sqe = io_uring_get_sqe(ring);
		io_uring_prep_epoll_ctl(sqe, op->arg, op->fd, EPOLL_CTL_DEL, NULL);
		p->del_end = ring->sq.sqe_tail;
		break;
	default:
		return -EINVAL;
	}
	if (link)
		sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)op | 1);
	op->nr_cqe = (uint8_t)need;
	p->inflight += need;
	atomic_fetch_add_explicit(&saio_stats.sqes, need, memory_order_relaxed);
	return 0;
}

static int uring_submit(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	unsigned ready = io_uring_sq_ready(&p->ring);
	int ret;

	if (!ready)
		return 0;
	if (p->sqpoll) {
		/* liburing enters only to wake a sleeping SQPOLL thread. The flag is read
		 * again inside io_uring_submit after its full barrier; this read only
		 * feeds the wake-up statistic. */
		if (IO_URING_READ_ONCE(*p->ring.sq.kflags) & IORING_SQ_NEED_WAKEUP) {
			atomic_fetch_add_explicit(&saio_stats.wakeups, 1, memory_order_relaxed);
			atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
		}
	} else {
		atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
	}
	ret = io_uring_submit(&p->ring);
	return ret;
}

/* An SQE, handing the staged ones to the kernel first when the queue is full (NULL when
 * even that frees none: an SQPOLL thread behind). */
static struct io_uring_sqe *get_sqe_or_submit(struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	return sqe;
}

static int uring_reap(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	bool wake = false;

	/* Completions the kernel could not post (a full CQ: not with the cap above, but
	 * the kernel keeps them) are flushed into the CQ by an enter that asks for them. */
	if (IO_URING_READ_ONCE(*p->ring.sq.kflags) & IORING_SQ_CQ_OVERFLOW)
		io_uring_get_events(&p->ring);
	io_uring_for_each_cqe(&p->ring, head, cqe) {
		uint64_t ud = cqe->user_data;
		n++;
		if (!ud)
			continue;	/* probe, cancel */
		if (ud == EPW_UD) {
			/* whichever thread reaps it: the waiting one looks at epw_state */
			p->epw_res = cqe->res;
			p->epw_state = EPW_DONE;
			wake = p->epw_entering;
			continue;
		}
		saio_engine_complete(r, (struct saio_op *)(uintptr_t)(ud & ~(uint64_t)1),
				     (int)(ud & 1), cqe->res);
	}
	if (n) {
		io_uring_cq_advance(&p->ring, n);
		p->inflight = p->inflight > n ? p->inflight - n : 0;
	}
	if (wake) {
		/* Another thread reaped the wait's completion while its waiter was between
		 * unlocking and entering (or in the enter, woken but not running yet): the
		 * enter waits for one completion, and this no-op is one. */
		struct io_uring_sqe *sqe = get_sqe_or_submit(&p->ring);
		if (sqe) {
			io_uring_prep_nop(sqe);
			io_uring_sqe_set_data64(sqe, 0);	/* not an op's completion */
			p->inflight++;
			atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
			io_uring_submit(&p->ring);
		}
	}
	return (int)n;
}

static int uring_wait(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	struct io_uring_cqe *cqe;
	int ret;

	if (io_uring_peek_cqe(&p->ring, &cqe) == 0)
		return 0;
	atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
	do {
		ret = io_uring_wait_cqe(&p->ring, &cqe);
	} while (ret == -EINTR);
	return ret;
}

static void uring_settle(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	struct timespec t0, t;

	if (!p || !p->sqpoll)
		return;	/* io_uring_enter attempted them before it returned */
	/* The SQPOLL thread moves the SQ head after issuing what it consumed; submit() woke
	 * it if it slept. Bounded: a thread that does not get a CPU is not waited for. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (io_uring_sq_ready(&p->ring)) {
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > 100000000L)
			break;
	}
}

/* Cancel f's requests the kernel issued: the ops linked behind them fail with them
 * (-ECANCELED), a send reports what it got out. Then wait (bounded) until all of f's ops
 * are back. */
static void uring_recall(struct saio_ring *r, struct saio_fd *f)
{
	struct uring_priv *p = r->be_priv;
	struct io_uring_cqe *cqe;
	int64_t end = saio_now_ns() + 1000000000LL, next = 0;

	r->be->reap(r);
	while (p && f->ninflight && saio_now_ns() < end) {
		if (saio_now_ns() >= next) {
			/* Every request the kernel issued on this socket (keyed by its file,
			 * which the number still names): which one of the chain is active is
			 * the kernel's business. Again every 100 ms: with SQPOLL a request
			 * may be issued after a cancel that found nothing. */
			if (io_uring_sq_space_left(&p->ring) < 3)
				io_uring_submit(&p->ring);
			struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);
			if (sqe) {
				io_uring_prep_cancel_fd(sqe, f->fdnum, IORING_ASYNC_CANCEL_ALL);
				io_uring_sqe_set_data64(sqe, 0);	/* not an op's completion */
				p->inflight++;
			}
			/* and by the first op in flight, in case the number names another
			 * file by now (closed behind our back and handed out again) */
			struct saio_op *op = f->head;
			for (int ph = 0; op && op->state == SAIO_OP_INFLIGHT && ph < 2; ph++) {
				sqe = io_uring_get_sqe(&p->ring);
				if (!sqe)
					break;
				io_uring_prep_cancel64(sqe, (uint64_t)(uintptr_t)op | (uint64_t)ph, 0);
				io_uring_sqe_set_data64(sqe, 0);
				p->inflight++;
			}
			atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
			io_uring_submit(&p->ring);
			next = saio_now_ns() + 100000000LL;
		}
		struct __kernel_timespec ts = { 0, 10000000 };
		io_uring_wait_cqe_timeout(&p->ring, &cqe, &ts);
		r->be->reap(r);
	}
}

/* ---- the epoll wait folded into the batch's io_uring_enter ---------------------------- */

/*
 * The epoll wait (the SQE just staged) must not report a descriptor the application closed:
 * the removals staged right before it, [first, end), are hard-linked to one another and to
 * it, so that it starts when they are all done even if one went to an io-wq worker (an
 * EPOLL_CTL that finds the set's mutex taken); a failed removal does not cancel it. They
 * are done inline as a rule: the wait then starts from the enter's task work, before the
 * enter sleeps. Only a run of removals that ends right before the wait and has not been
 * handed to the kernel yet.
 */
static void link_removals(struct io_uring *ring, unsigned first, unsigned end)
{
	struct io_uring_sq *sq = &ring->sq;
	unsigned wait = sq->sqe_tail - 1;
	if (end != wait || first == end || wait - first > wait - sq->sqe_head)
		return;
	for (unsigned i = first; i != end; i++)
		sq->sqes[i & sq->ring_mask].flags |= IOSQE_IO_HARDLINK;
}

static int uring_epoll_prep(struct saio_ring *r, int epfd, struct epoll_event *ev, int maxev)
{
	struct uring_priv *p = r->be_priv;
	if (!p || p->sqpoll || __atomic_load_n(&epoll_wait_ok, __ATOMIC_RELAXED) != 1)
		return -ENOSYS;
	if (p->epw_state != EPW_NONE || uring_space(r) < 1)
		return -EBUSY;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&p->ring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_rw(IORING_OP_EPOLL_WAIT, sqe, epfd, ev, (unsigned)maxev, 0);
	io_uring_sqe_set_data64(sqe, EPW_UD);
	link_removals(&p->ring, p->del_first, p->del_end);
	p->inflight++;
	p->epw_state = EPW_PENDING;
	return 0;
}

/* Lock held. Make the staged SQEs visible to the kernel; how many are not consumed yet. */
static unsigned sq_publish(struct io_uring *ring)
{
	struct io_uring_sq *sq = &ring->sq;
	unsigned tail = sq->sqe_tail;
	if (sq->sqe_head != tail) {
		sq->sqe_head = tail;
		/* the SQEs' contents before the new tail (pairs with the kernel's acquire of
		 * the SQ tail in io_submit_sqes) */
		io_uring_smp_store_release(sq->ktail, tail);
	}
	return tail - io_uring_smp_load_acquire(sq->khead);
}

static int uring_epoll_enter(struct saio_ring *r, const struct __kernel_timespec *ts,
			     const sigset_t *sm)
{
	struct uring_priv *p = r->be_priv;
	struct io_uring_getevents_arg arg;

	pthread_mutex_lock(&r->lock);
	if (p->epw_state == EPW_DONE) {
		/* Reaped already (a submit while the batch was staged): its completion will
		 * not come again, and the enter would sleep on nothing in flight. */
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	unsigned submit = sq_publish(&p->ring);
	int fd = p->ring.enter_ring_fd;
	p->epw_entering = true;
	pthread_mutex_unlock(&r->lock);
	memset(&arg, 0, sizeof(arg));
	arg.sigmask = (uint64_t)(uintptr_t)sm;
	arg.sigmask_sz = _NSIG / 8;
	arg.ts = (uint64_t)(uintptr_t)ts;
	atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
	/* Unlocked: another thread may submit on this ring meanwhile (the kernel serializes
	 * submitters; each publishes its SQEs under the lock first) or reap its completions
	 * (uring_reap records the epoll wait's for us). */
	int ret = io_uring_enter2((unsigned)fd, submit, 1,
				  IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
				  (sigset_t *)&arg, sizeof(arg));
	pthread_mutex_lock(&r->lock);
	p->epw_entering = false;
	pthread_mutex_unlock(&r->lock);
	return ret < 0 ? ret : 0;
}

static bool uring_epoll_done(struct saio_ring *r, int *res)
{
	struct uring_priv *p = r->be_priv;
	if (p->epw_state != EPW_DONE)
		return false;
	*res = p->epw_res;
	p->epw_state = EPW_NONE;
	return true;
}

static void uring_epoll_cancel(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	struct io_uring_cqe *cqe;

	uring_reap(r);
	/* A poll-armed request is cancelled at once; one still linked behind removals that
	 * an io-wq worker runs is not found until it starts: asked again every 10 ms.
	 * Bounded all the same. */
	for (int i = 0; i < 5000 && p->epw_state == EPW_PENDING; i++) {
		if (i % 10 == 0) {
			struct io_uring_sqe *sqe = get_sqe_or_submit(&p->ring);
			if (sqe) {
				io_uring_prep_cancel64(sqe, EPW_UD, 0);
				io_uring_sqe_set_data64(sqe, 0);
				p->inflight++;
			}
			atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
			io_uring_submit(&p->ring);
			uring_reap(r);
			continue;
		}
		struct __kernel_timespec t = { 0, 1000000 };
		atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
		io_uring_wait_cqe_timeout(&p->ring, &cqe, &t);
		uring_reap(r);
	}
}

static unsigned uring_caps(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	unsigned c = SAIO_CAP_EPOLL_DEL | SAIO_CAP_LINK_WAITALL;
	if (__atomic_load_n(&setsockopt_ok, __ATOMIC_RELAXED) == 1)
		c |= SAIO_CAP_SETSOCKOPT;
	/* An SQPOLL thread shared by several rings (ATTACH_WQ) submits at most 8 entries
	 * per round, and a link chain ends with the round: longer chains would split and
	 * run side by side. So with SQPOLL an fd has one op in flight at a time. */
	if (p && p->sqpoll)
		c |= SAIO_CAP_ASYNC_ISSUE | SAIO_CAP_NO_LINK;
	return c;
}

static int uring_notify_fd(struct saio_ring *r)
{
	struct uring_priv *p = r->be_priv;
	return p ? p->efd : -1;
}

const struct saio_backend saio_backend_uring = {
	.name = "uring",
	.init = uring_init,
	.teardown = uring_teardown,
	.forget = uring_forget,
	.prep = uring_prep,
	.space = uring_space,
	.submit = uring_submit,
	.reap = uring_reap,
	.wait = uring_wait,
	.caps = uring_caps,
	.notify_fd = uring_notify_fd,
	.settle = uring_settle,
	.recall = uring_recall,
	.epoll_prep = uring_epoll_prep,
	.epoll_enter = uring_epoll_enter,
	.epoll_done = uring_epoll_done,
	.epoll_cancel = uring_epoll_cancel,
};
