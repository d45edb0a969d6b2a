/* SPDX-License-Identifier: MIT */
/*
 * interpose.c - the wrappers. Each deferrable call either queues an op (and returns what
 * the real call would have: the byte count, 0), or passes through after the fd's queued
 * ops (see README.md, "Semantics", for every rule applied here).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sched.h>
#include <setjmp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "backend.h"

#define SAIO_PASS ((ssize_t)-2)
#define EXPORT __attribute__((visibility("default")))

pthread_mutex_t saio_ep_lock = PTHREAD_MUTEX_INITIALIZER;
void saio_drain_all(unsigned ms);
int saio_drain_fd(int fd);

/*
 * Deferring, and not inside a signal handler. A handler may run while its thread holds a
 * ring's lock or is inside malloc: there every call is the real one, with no lock taken
 * and nothing allocated (redis logs from its SIGTERM handler with open/write/close;
 * libevent's handler sends a byte to a socketpair). Their bytes go straight to the kernel,
 * ahead of any the library still holds for the same descriptor.
 */
static inline bool defer_mode(void)
{
	return saio_cfg.mode == SAIO_MODE_DEFER && !saio_in_handler;
}

/* A close in a signal handler: forget the number's kind without a lock (a descriptor with
 * ops of ours is left alone: if the number is made again, reborn() drops them). */
static void handler_closed(int fd)
{
	struct saio_fd *f = saio_fd_peek(fd);
	if (f && saio_in_handler && !atomic_load(&f->owner))
		f->kind = SAIO_FD_UNKNOWN;
}

static inline void count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- taking a descriptor ------------------------------------------------------------ */

/*
 * Lock and return the ring whose FIFO takes f's next op: the ring that holds f's ops
 * already, whichever thread's it is, or mine. A call never waits for another ring's ops
 * to complete (their peer may not read for a long time); it queues behind them, and
 * release() hands the other ring's queue to the kernel, since its thread may be asleep.
 */
static struct saio_ring *acquire(struct saio_fd *f, struct saio_ring *mine)
{
	for (;;) {
		struct saio_ring *o = atomic_load(&f->owner);
		struct saio_ring *r = o ? o : mine;
		pthread_mutex_lock(&r->lock);
		struct saio_ring *exp = NULL;
		if (atomic_load(&f->owner) == r ||
		    (!o && atomic_compare_exchange_strong(&f->owner, &exp, r)))
			return r;
		pthread_mutex_unlock(&r->lock);
	}
}

/* Lock held. We answered EAGAIN for f where the kernel would have had room: an EPOLLOUT
 * is owed when its queue drains (engine: wake_add). */
static void owe_wake(struct saio_ring *r, struct saio_fd *f)
{
	f->want_wake = 1;
	saio_owed_add(r, f);
}

static void release(struct saio_fd *f, struct saio_ring *r)
{
	if (r != saio_ring_self(false) && r->nqueued)
		saio_ring_flush(r);
	if (!f->head && !f->err)
		atomic_store(&f->owner, NULL);
	pthread_mutex_unlock(&r->lock);
}

/* Lock held. An error of a deferred op, for this call: >0 errno, <0 EPIPE owing SIGPIPE. */
static int take_error(struct saio_fd *f)
{
	int e = f->err;
	if (!e)
		return 0;
	bool sp = f->err_sigpipe;
	f->err = 0;
	f->err_sigpipe = 0;
	count(&saio_stats.errors_later, 1);
	return sp ? -e : e;
}

/*
 * acquire() for a call that queues an op: what completed is collected first, then a
 * descriptor being closed answers EBADF and a queued op's error is this call's. 0 with
 * *rp locked, else the error for deliver() with nothing locked.
 */
static int acquire_to_queue(struct saio_fd *f, struct saio_ring *mine, struct saio_ring **rp)
{
	struct saio_ring *r = acquire(f, mine);
	r->be->reap(r);
	int e = f->closing ? EBADF : take_error(f);
	if (e) {
		release(f, r);
		return e;
	}
	*rp = r;
	return 0;
}

static long deliver(int e)
{
	if (e < 0) {
		raise(SIGPIPE);
		e = -e;
	}
	errno = e;
	return -1;
}

enum { OBSERVE, BYTES, DRAIN };
enum { ERR_NONE, ERR_WRITE, ERR_READ };

/* A pending error the call may return: any for a write; a read never returns EPIPE (the
 * write side's error) nor the EIO of a sendfile whose file shrank. */
static bool error_for(const struct saio_fd *f, int errs)
{
	if (errs == ERR_WRITE)
		return f->err != 0;
	return errs == ERR_READ && f->err && f->err != EPIPE && f->err != EIO;
}

/*
 * Order a pass-through call on fd after the fd's ops, without waiting for a peer. The
 * fd's queued ops are handed to the kernel first; ops already in flight are, for ordering,
 * bytes in the socket's send buffer, which the real call does not wait for either
 * (setsockopt, getsockopt, fcntl, ioctl, dup, reads, epoll_ctl). BYTES: the call carries
 * bytes that must follow ours in the stream (a write that cannot be deferred): on a
 * non-blocking socket whose ops are still in flight it fails with EAGAIN (the socket is
 * full: our bytes wait for space) and an EPOLLOUT is owed; a blocking one waits for them,
 * as the real call waits for space. errs: which pending error of a deferred op this call
 * returns. Returns 0 or an error for deliver().
 */
static int order_before(int fd, int how, int errs)
{
	if (SAIO_UNLIKELY(saio_in_handler))
		return 0;
	struct saio_fd *f = saio_fd_peek(fd);
	if (f && !atomic_load_explicit(&f->owner, memory_order_acquire) && f->twin1) {
		/* a dup of a number whose ops are still ours: they come first */
		struct saio_fd *t = saio_fd_peek(f->twin1 - 1);
		if (t && t->twin1 == fd + 1)
			f = t;
	}
	if (!f || !atomic_load_explicit(&f->owner, memory_order_acquire))
		return 0;
	struct saio_ring *o = saio_lock_owner(f);
	if (!o)
		return 0;
	int e = 0;
	o->be->reap(o);
	if (f->closing) {
		e = EBADF;
	} else {
		if (error_for(f, errs))
			e = take_error(f);
		if (!e && f->head) {
			if (how == BYTES && f->nonblock) {
				saio_ring_flush(o);
				/* Ops another thread issues may simply not have run
				 * yet: let them, then look again. */
				for (int i = 0; i < 4 && f->head && o->be->settle; i++) {
					o->be->settle(o);
					o->be->reap(o);
					saio_ring_flush(o);
				}
				if (f->head) {
					owe_wake(o, f);
					e = EAGAIN;
				}
			} else if (how == BYTES || how == DRAIN) {
				saio_ring_wait_fd(o, f, false);
			} else if (f->nqueued) {
				saio_ring_flush(o);
			}
		}
	}
	release(f, o);
	return e;
}

/* A descriptor that is not deferred but still has ops of ours to follow (after dup). */
static bool ops_behind(const struct saio_fd *f)
{
	return atomic_load(&f->owner) || f->twin1;
}

static ssize_t pass_ordered(int fd, int call)
{
	/* A byte-carrying call may answer EAGAIN on a non-blocking socket; shutdown may not. */
	int e = order_before(fd, call == SAIO_C_SHUTDOWN ? OBSERVE : BYTES, ERR_WRITE);
	if (e)
		return deliver(e);
	struct saio_fd *f = saio_fd_peek(fd);
	if (f && f->kind == SAIO_FD_SOCK)
		count(&saio_stats.passed[call], 1);
	return SAIO_PASS;
}

/*
 * fd was just returned by a call that creates descriptors. Whatever we knew of the number
 * is about an earlier descriptor: our own close of it ran (its completion is collected
 * now), or it was closed behind our back, and then ops still ours are the old socket's:
 * they never go to the new descriptor.
 */
static void reborn(int fd)
{
	if (!defer_mode())
		return;
	struct saio_fd *f = saio_fd_peek(fd);	/* never allocated: nothing known */
	if (!f)
		return;
	struct saio_ring *o = saio_lock_owner(f);
	if (o) {
		saio_fd_forget_ops(o, f);
		saio_fd_reset(f);
		atomic_store(&f->owner, NULL);
		pthread_mutex_unlock(&o->lock);
	}
	bool was_epoll = f->kind == SAIO_FD_EPOLL;
	saio_fd_reset(f);
	pthread_mutex_lock(&saio_ep_lock);
	if (was_epoll)
		saio_fd_forget_epfd(fd);	/* registrations in the old set are gone */
	f->nep = 0;
	f->ep_overflow = 0;
	pthread_mutex_unlock(&saio_ep_lock);
}

/*
 * fd is about to be closed by a call other than close() (close_range, dup2/dup3 onto it,
 * fclose): like close(), ops of ours for its socket must not be lost nor go to whatever
 * takes the number next. They go to custody (the socket stays open under a number of ours)
 * after the number leaves the epoll sets; if that cannot be, they are dropped (counted).
 * Our knowledge of the number is forgotten.
 */
static void number_closing(int fd)
{
	struct saio_fd *f = saio_fd_peek(fd);
	if (!f || f->own)
		return;
	struct saio_epreg regs[SAIO_EP_MAX];
	unsigned nreg;
	pthread_mutex_lock(&saio_ep_lock);
	if (f->kind == SAIO_FD_EPOLL)
		saio_fd_forget_epfd(fd);
	nreg = f->nep;
	memcpy(regs, f->ep, sizeof(regs));
	f->nep = 0;
	f->ep_overflow = 0;
	pthread_mutex_unlock(&saio_ep_lock);
	struct saio_ring *o = saio_lock_owner(f);
	if (o) {
		o->be->reap(o);
		if (f->head && saio_detach(o, f) >= 0) {
			for (unsigned i = 0; i < nreg; i++)
				REAL(epoll_ctl)(regs[i].epfd, EPOLL_CTL_DEL, fd, NULL);
		} else if (f->head) {
			saio_fd_abort(o, f);
		}
		if (f->err)
			count(&saio_stats.errors_dropped, 1);
		saio_fd_reset(f);
		atomic_store(&f->owner, NULL);
		pthread_mutex_unlock(&o->lock);
	}
	if (atomic_load(&f->pins) == 0)
		saio_fd_reset(f);
}

static void born_sock(int fd, int domain, int type, int proto, bool conn)
{
	struct saio_fd *f = saio_fd_get(fd);
	if (!f)
		return;
	/* TCP (or MPTCP, which takes TCP's options) and unix streams; not SCTP's one-to-one
	 * stream sockets: their sends are messages, TCP_CORK/NODELAY are not theirs. */
	bool inet_tcp = (domain == AF_INET || domain == AF_INET6) &&
			(proto == 0 || proto == IPPROTO_TCP || proto == IPPROTO_MPTCP);
	if ((type & 0xf) == SOCK_STREAM && (inet_tcp || (domain == AF_UNIX && proto == 0))) {
		f->kind = SAIO_FD_SOCK;
		f->tcp = domain != AF_UNIX;
		f->nonblock = (type & SOCK_NONBLOCK) != 0;
		f->conn = conn;
		f->cork = SAIO_CORK_OFF;	/* a new socket is not corked */
	} else {
		f->kind = SAIO_FD_PASS;
	}
}

/*
 * Deferrable now: a connected stream socket. A socket not known to be connected (made by
 * socket(), listening, or connecting without an answer yet) passes through: its calls fail
 * or take effect at once in the kernel, and so must they under the library. The first
 * real write that succeeds on it shows it is connected.
 */
static bool deferrable(const struct saio_fd *f)
{
	return f->kind == SAIO_FD_SOCK && f->conn;
}

static void passed_ok(int fd, long ret)
{
	if (ret <= 0 || !defer_mode())
		return;
	struct saio_fd *f = saio_fd_peek(fd);
	if (f && f->kind == SAIO_FD_SOCK && !f->conn)
		f->conn = 1;
}

/* ---- the byte-carrying calls ---------------------------------------------------------- */

/* Ops one fd may have queued or in flight: zero-byte ops (setsockopt, shutdown) cost
 * no budget bytes, so their number is bounded separately. */
#define SAIO_FD_OPS_MAX 256

static uint64_t fd_room(const struct saio_fd *f, uint64_t want)
{
	if (f->nqueued + f->ninflight >= SAIO_FD_OPS_MAX)
		return 0;
	return saio_budget_room(&saio_budget, f, want);
}

/*
 * Response fusion. A call's bytes that follow bytes still queued on the same descriptor
 * (not yet handed to the kernel) join that op: nginx's writev of the headers and its
 * sendfile of a small body become one send, with the file read into the buffer right
 * after the headers. The byte stream is the same; only its segmentation changes, and
 * what the application sees (counts, errors at the next call) does not. Not joined: a
 * MSG_MORE call onto an op without it (the earlier bytes would be held back), calls that
 * differ in MSG_NOSIGNAL (a failure raises SIGPIPE as the first call asked), a second
 * file range (one hole per buffer), an op of a backend that sends files itself.
 */
#define SAIO_FUSE_MAX (64u << 10)	/* a fused op's bytes, at most */
#define SAIO_FUSE_SLACK 4096u		/* a small op's buffer leaves room for a body */

/* Lock held. The op at f's tail that `more` bytes may join (grown if need be), or NULL. */
static struct saio_op *fuse_tail(struct saio_ring *r, struct saio_fd *f, uint64_t more,
				 int flags, bool file)
{
	struct saio_op *t = f->tail;
	if (!saio_cfg.fuse || !t || t->state != SAIO_OP_QUEUED)
		return NULL;
	bool native = r->be->caps(r) & SAIO_CAP_NATIVE_SENDFILE;
	if (t->kind != SAIO_OP_SEND && (t->kind != SAIO_OP_SENDFILE || native || file))
		return NULL;
	if (file && native)
		return NULL;
	if (t->nosignal != ((flags & MSG_NOSIGNAL) != 0) ||
	    ((flags & MSG_MORE) && !(t->msg_flags & MSG_MORE)) ||
	    (uint64_t)t->len + more > SAIO_FUSE_MAX)
		return NULL;
	if (t->len + more <= t->cap)
		return t;
	struct saio_op *n = saio_op_get(&r->cache, t->len + more);
	if (!n)
		return NULL;
	uint32_t cap = n->cap;
	memcpy(n, t, sizeof(*t));
	n->buf = n->data;
	n->cap = cap;
	memcpy(n->buf, t->buf, t->len);
	struct saio_op **pp = &f->head;
	while (*pp != t)
		pp = &(*pp)->next;
	*pp = n;
	f->tail = n;
	saio_op_put(&r->cache, t);
	return n;
}

/* A new op for `total` bytes; a small one with room for what may join it. */
/* Lock held. op holds total more bytes for fd: it is the queued op they were fused onto, or
 * a new one (kind set) that joins f's FIFO. The budgets and statistics count them; a full
 * batch goes to the kernel. */
static void queue_bytes(struct saio_ring *r, struct saio_fd *f, struct saio_op *op, bool fused,
			int fd, int call, uint64_t total)
{
	saio_budget_take(&saio_budget, f, total);
	if (fused) {
		op->len += (uint32_t)total;
		count(&saio_stats.fused, 1);
	} else {
		op->fd = fd;
		op->call = (uint8_t)call;
		op->len = (uint32_t)total;
		saio_fifo_push(f, op);
		r->nqueued++;
		saio_ring_dirty(r, f);
	}
	count(&saio_stats.ops[call], 1);
	count(&saio_stats.bytes_deferred, total);
	if (r->nqueued >= saio_cfg.batch_max)
		saio_ring_flush(r);
}

static struct saio_op *send_op_get(struct saio_ring *r, uint64_t total)
{
	if (saio_cfg.fuse && total < SAIO_FUSE_SLACK)
		return saio_op_get(&r->cache, SAIO_FUSE_SLACK);
	return saio_op_get(&r->cache, total);
}

static ssize_t try_send(int fd, int call, const struct iovec *iov, int iovcnt, int flags)
{
	if (!defer_mode()) {
		count(&saio_stats.passed[call], 1);
		return SAIO_PASS;
	}
	struct saio_fd *f = saio_fd_get(fd);
	if (!f)
		return SAIO_PASS;
	if (f->kind == SAIO_FD_UNKNOWN)
		saio_fd_classify(fd, f);
	if (!deferrable(f))
		return ops_behind(f) ? pass_ordered(fd, call) : SAIO_PASS;
	struct saio_ring *mine = saio_ring_self(false);
	if (!mine || (flags & ~(MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE)) || iovcnt < 0 ||
	    iovcnt > IOV_MAX)
		return pass_ordered(fd, call);
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)INT32_MAX - total)
			return pass_ordered(fd, call);
		total += iov[i].iov_len;
	}

	if (total == 0) {
		/* Nothing to order: the real call answers at once (0, or the socket's error). */
		int e = order_before(fd, OBSERVE, ERR_WRITE);
		count(&saio_stats.passed[call], 1);
		return e ? deliver(e) : SAIO_PASS;
	}
	struct saio_ring *r;
	int e = acquire_to_queue(f, mine, &r);
	if (e)
		return deliver(e);
	bool nb = f->nonblock || (flags & MSG_DONTWAIT);
	if (f->broken) {
		/* An op failed: later calls are the real ones, after what is left of ours. */
		release(f, r);
		return pass_ordered(fd, call);
	}
	uint64_t room = fd_room(f, total);
	if (room < total) {
		count(&saio_stats.budget_hits, 1);
		if (f->head)
			saio_ring_flush(r);
		if (f->head && !f->bytes)
			saio_ring_wait_fd(r, f, false);	/* no bytes of its own: brief */
		if (!f->head) {
			/* Nothing of ours ahead of it: the real call is exact. */
			release(f, r);
			count(&saio_stats.fallbacks, 1);
			count(&saio_stats.passed[call], 1);
			return SAIO_PASS;
		}
		room = fd_room(f, total);
		if (room < total) {
			if (!nb) {
				saio_ring_wait_fd(r, f, false);
				release(f, r);
				count(&saio_stats.fallbacks, 1);
				count(&saio_stats.passed[call], 1);
				return SAIO_PASS;
			}
			if (room == 0) {
				owe_wake(r, f);
				release(f, r);
				errno = EAGAIN;
				return -1;
			}
			total = room;	/* a short count, as a full socket would give */
		}
	}
	struct saio_op *op = fuse_tail(r, f, total, flags, false);
	bool fused = op != NULL;
	if (!op)
		op = send_op_get(r, total);
	if (!op) {
		saio_ring_wait_fd(r, f, false);
		release(f, r);
		count(&saio_stats.fallbacks, 1);
		return SAIO_PASS;
	}
	size_t off = 0;
	char *dst = op->buf + (fused ? op->len : 0);
	for (int i = 0; i < iovcnt && off < total; i++) {
		size_t n = iov[i].iov_len < total - off ? iov[i].iov_len : total - off;
		memcpy(dst + off, iov[i].iov_base, n);
		off += n;
	}
	op->msg_flags = flags & MSG_MORE;	/* a fused op: the last call's */
	if (!fused) {
		op->kind = SAIO_OP_SEND;
		op->nosignal = (flags & MSG_NOSIGNAL) != 0;
	}
	queue_bytes(r, f, op, fused, fd, call, total);
	release(f, r);
	return (ssize_t)total;
}

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	struct iovec v = { (void *)buf, n };
	ssize_t r = try_send(fd, SAIO_C_WRITE, &v, 1, 0);
	if (r != SAIO_PASS)
		return r;
	r = REAL(write)(fd, buf, n);
	passed_ok(fd, r);
	return r;
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t r = try_send(fd, SAIO_C_WRITEV, iov, iovcnt, 0);
	if (r != SAIO_PASS)
		return r;
	r = REAL(writev)(fd, iov, iovcnt);
	passed_ok(fd, r);
	return r;
}

EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	struct iovec v = { (void *)buf, n };
	ssize_t r = try_send(fd, SAIO_C_SEND, &v, 1, flags);
	if (r != SAIO_PASS)
		return r;
	r = REAL(send)(fd, buf, n, flags);
	passed_ok(fd, r);
	return r;
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
		      socklen_t tolen)
{
	ssize_t r;
	if (to) {
		r = defer_mode() ? pass_ordered(fd, SAIO_C_SENDTO) : SAIO_PASS;
	} else {
		struct iovec v = { (void *)buf, n };
		r = try_send(fd, SAIO_C_SENDTO, &v, 1, flags);
	}
	if (r != SAIO_PASS)
		return r;
	r = REAL(sendto)(fd, buf, n, flags, to, tolen);
	passed_ok(fd, r);
	return r;
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	ssize_t r;
	if (!m || (m->msg_name && m->msg_namelen) || m->msg_controllen || m->msg_iovlen > IOV_MAX)
		r = defer_mode() ? pass_ordered(fd, SAIO_C_SENDMSG) : SAIO_PASS;
	else
		r = try_send(fd, SAIO_C_SENDMSG, m->msg_iov, (int)m->msg_iovlen, flags);
	if (r != SAIO_PASS)
		return r;
	r = REAL(sendmsg)(fd, m, flags);
	passed_ok(fd, r);
	return r;
}

/* The kernel's TCP_CORK is set as the application believes it is (virtual cork: see
 * head_now). Before the socket is shared (dup, fork, SCM_RIGHTS). */
void saio_cork_real(struct saio_fd *f)
{
	if (!f->cork_virt)
		return;
	int one = 1;
	f->cork_virt = 0;
	REAL(setsockopt)(f->fdnum, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
}

/*
 * A sendfile too large to copy (> SAIO_SENDFILE_COPY_MAX) runs as the real call after the
 * bytes queued before it: the response's headers, and the cork before them (nginx: TCP_CORK,
 * writev, sendfile, ..., TCP_CORK 0). Instead of an io_uring_enter for the cork and the
 * headers, the headers go now in one real send with MSG_MORE (held for the file's bytes as a
 * cork holds them), and the cork, on a socket known uncorked, is not run: the application's
 * cork is virtual until it uncorks (nothing to run then either) and getsockopt answers it.
 * The real sendfile follows at once. Only when the whole FIFO is [cork] bytes..., nothing in
 * flight and the send takes every byte; else the bytes stay queued (any part sent is gone
 * from them) and the usual path runs. Lock not held; true when the queue is empty now.
 */
static bool head_now(int fd, struct saio_fd *f, struct saio_ring *mine)
{
	/* Not on kTLS: MSG_MORE would hold the headers in an open TLS record, which a close
	 * after a failed sendfile frees unsent; there the usual path sends them first. */
	if (!saio_cfg.fuse || !f->tcp || f->tls || !atomic_load(&f->owner))
		return false;
	struct saio_ring *r = acquire(f, mine);
	r->be->reap(r);
	struct saio_op *cork = NULL, *op = f->head;
	struct iovec iov[16];
	int n = 0;
	size_t total = 0;
	bool ok = !f->closing && !f->err && !f->broken && !f->ninflight && op;
	if (ok && op->kind == SAIO_OP_SETSOCKOPT && op->arg2 == TCP_CORK && op->arg == 1 &&
	    op->cork_fusable) {
		cork = op;
		op = op->next;
	}
	for (; ok && op; op = op->next) {
		if (op->kind != SAIO_OP_SEND || n == 16) {
			ok = false;
			break;
		}
		iov[n].iov_base = op->buf + op->sent;
		iov[n].iov_len = op->len - op->sent;
		total += iov[n].iov_len;
		n++;
	}
	if (!ok || !n) {
		release(f, r);
		return false;
	}
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t k = REAL(sendmsg)(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL | (cork ? MSG_MORE : 0));
	if (k > 0) {
		/* what went out is no longer ours, whole ops or a part */
		size_t left = (size_t)k;
		for (op = cork ? cork->next : f->head; op && left;) {
			struct saio_op *next = op->next;
			uint32_t part = op->len - op->sent;
			uint32_t took = left < part ? (uint32_t)left : part;
			op->sent += took;
			saio_budget_give(&saio_budget, f, took);
			left -= took;
			if (op->sent == op->len) {
				saio_fifo_remove(f, op);
				r->nqueued--;
				saio_op_put(&r->cache, op);
			}
			op = next;
		}
	}
	bool done = k >= 0 && (size_t)k == total;
	if (done && cork) {
		saio_fifo_remove(f, cork);
		r->nqueued--;
		saio_op_free(cork);
		f->cork_virt = 1;
		count(&saio_stats.corks_elided, 1);
	}
	done = done && !f->head;
	release(f, r);
	return done;
}

/*
 * sendfile: deferred only when the file's size is known (the application fstat'ed this
 * descriptor) and an offset pointer is given; the op reads the range into an owned
 * buffer and sends it. The count returned is what the real call returns with a socket
 * that has room: min(count, size - offset).
 */
static ssize_t try_sendfile(int out, int in, off_t *offset, size_t count_)
{
	if (!defer_mode()) {
		count(&saio_stats.passed[SAIO_C_SENDFILE], 1);
		return SAIO_PASS;
	}
	struct saio_fd *f = saio_fd_get(out);
	if (!f)
		return SAIO_PASS;
	if (f->kind == SAIO_FD_UNKNOWN)
		saio_fd_classify(out, f);
	if (!deferrable(f))
		return ops_behind(f) ? pass_ordered(out, SAIO_C_SENDFILE) : SAIO_PASS;
	struct saio_fd *src = saio_fd_peek(in);
	struct saio_ring *mine = saio_ring_self(false);
	if (!mine || !offset || *offset < 0 || !src || src->kind != SAIO_FD_FILE ||
	    src->closing || src->st_size <= *offset || count_ == 0)
		return pass_ordered(out, SAIO_C_SENDFILE);
	uint64_t total = (uint64_t)(src->st_size - *offset);
	if (total > count_)
		total = count_;
	if (total > 0x7ffff000u)
		total = 0x7ffff000u;
	/* A backend that sends from the file in the kernel needs no buffer at any size. */
	bool native = mine->be->caps(mine) & SAIO_CAP_NATIVE_SENDFILE;
	if (total > saio_cfg.sendfile_copy_max && !native) {
		head_now(out, f, mine);
		return pass_ordered(out, SAIO_C_SENDFILE);
	}

	struct saio_ring *r;
	int e = acquire_to_queue(f, mine, &r);
	if (e)
		return deliver(e);
	if (f->broken) {
		release(f, r);
		return pass_ordered(out, SAIO_C_SENDFILE);
	}
	uint64_t room = fd_room(f, total);
	if (room < total) {
		count(&saio_stats.budget_hits, 1);
		if (f->head)
			saio_ring_flush(r);
		if (f->head && !f->bytes)
			saio_ring_wait_fd(r, f, false);
		if (!f->head) {
			release(f, r);
			count(&saio_stats.fallbacks, 1);
			count(&saio_stats.passed[SAIO_C_SENDFILE], 1);
			return SAIO_PASS;
		}
		room = fd_room(f, total);
		if (room < total) {
			if (!f->nonblock) {
				saio_ring_wait_fd(r, f, false);
				release(f, r);
				count(&saio_stats.fallbacks, 1);
				return SAIO_PASS;
			}
			if (room == 0) {
				owe_wake(r, f);
				release(f, r);
				errno = EAGAIN;
				return -1;
			}
			total = room;
		}
	}
	/* A socket with ops in flight waits for its peer: a read queued behind them would
	 * keep the file open (nginx closes it right after sendfile) for as long as the peer
	 * does not read, one descriptor per response. Read it now instead (one pread: this
	 * is the slow path) and queue plain bytes. */
	bool read_now = f->ninflight > 0;
	/* The range joins the bytes queued before it (the response's headers): one send. */
	struct saio_op *op = fuse_tail(r, f, total, 0, !read_now);
	bool fused = op != NULL;
	if (!op)
		op = native && !read_now ? saio_op_get(&r->cache, 0) : send_op_get(r, total);
	if (!op) {
		saio_ring_wait_fd(r, f, false);
		release(f, r);
		return SAIO_PASS;
	}
	uint32_t base = fused ? op->len : 0;
	if (read_now) {
		ssize_t k = pread(in, op->buf + base, total, *offset);
		if (k <= 0) {
			int e = errno;
			if (!fused)
				saio_op_put(&r->cache, op);
			release(f, r);
			errno = e;
			return k;	/* EOF (the file shrank): 0, as the real call; or its error */
		}
		total = (uint64_t)k;
		if (!fused)
			op->kind = SAIO_OP_SEND;
	} else {
		op->kind = SAIO_OP_SENDFILE;
		op->arg = in;
		op->off = *offset;
		op->fbase = base;
		op->flen = (uint32_t)total;
		op->arg2 = 0;
		op->pinned = 1;
		atomic_fetch_add(&src->pins, 1);
	}
	op->msg_flags = 0;
	queue_bytes(r, f, op, fused, out, SAIO_C_SENDFILE, total);
	release(f, r);
	*offset += (off_t)total;
	return (ssize_t)total;
}

EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t n)
{
	ssize_t r = try_sendfile(out, in, offset, n);
	if (r != SAIO_PASS)
		return r;
	r = REAL(sendfile)(out, in, offset, n);
	passed_ok(out, r);
	return r;
}

EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t n)
{
	ssize_t r = try_sendfile(out, in, offset, n);
	if (r != SAIO_PASS)
		return r;
	r = REAL(sendfile64)(out, in, offset, n);
	passed_ok(out, r);
	return r;
}

/* ---- close, shutdown, socket options ---------------------------------------------- */

static bool cork_elide(struct saio_ring *r, struct saio_fd *f, bool closing);

static int close_sync(int fd, struct saio_fd *f)
{
	/* Only ops of this number matter: a dup's ops stay with the socket's other number. */
	int e = atomic_load(&f->owner) ? order_before(fd, DRAIN, ERR_NONE) : 0;
	if (e == EBADF) {
		errno = EBADF;
		return -1;
	}
	pthread_mutex_lock(&saio_ep_lock);
	f->nep = 0;
	f->ep_overflow = 0;
	pthread_mutex_unlock(&saio_ep_lock);
	if (f->err) {
		count(&saio_stats.errors_dropped, 1);
		if (f->err_sigpipe)
			raise(SIGPIPE);
	}
	saio_fd_reset(f);
	atomic_store(&f->owner, NULL);
	return REAL(close)(fd);
}

static int64_t now_ns(void);

/*
 * SO_LINGER set: the close takes effect before it returns, as the kernel's does. l_linger
 * 0: a reset now, our bytes dropped with the kernel's. Else: wait at most l_linger seconds
 * for ours to leave (the real close waits that long for the kernel's), then the real close
 * with the time that is left. False (lock still held) when the time ran out with ours still
 * waiting for the peer: the close is then queued behind them like any other.
 */
static bool close_linger(int fd, struct saio_fd *f, struct saio_ring *r, int *ret)
{
	int64_t deadline = now_ns() + (int64_t)f->linger_s * 1000000000;
	uint32_t left_s = 0;
	if (f->linger_s == 0)
		saio_fd_abort(r, f);
	else if (f->head && !saio_ring_wait_fd_until(r, f, deadline))
		return false;
	if (f->err) {
		count(&saio_stats.errors_dropped, 1);
		f->err = 0;
	}
	if (f->linger_s) {
		int64_t left = deadline - now_ns();
		left_s = left > 0 ? (uint32_t)((left + 999999999) / 1000000000) : 1;
	}
	bool changed = left_s && left_s != f->linger_s;
	saio_fd_reset(f);
	atomic_store(&f->owner, NULL);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_lock(&saio_ep_lock);
	f->nep = 0;
	f->ep_overflow = 0;
	pthread_mutex_unlock(&saio_ep_lock);
	if (changed) {
		struct linger l = { 1, (int)left_s };
		REAL(setsockopt)(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	count(&saio_stats.passed[SAIO_C_CLOSE], 1);
	*ret = REAL(close)(fd);
	return true;
}

EXPORT int close(int fd)
{
	if (!defer_mode()) {
		count(&saio_stats.passed[SAIO_C_CLOSE], 1);
		handler_closed(fd);
		return REAL(close)(fd);
	}
	struct saio_fd *f = saio_fd_peek(fd);
	if (!f)
		return REAL(close)(fd);
	if (f->kind == SAIO_FD_EPOLL) {
		pthread_mutex_lock(&saio_ep_lock);
		saio_fd_forget_epfd(fd);
		pthread_mutex_unlock(&saio_ep_lock);
		saio_fd_reset(f);
		return REAL(close)(fd);
	}
	if (atomic_load(&f->pins) > 0) {
		/* A sendfile still reads from it: the close runs when the last one ends. */
		if (f->closing) {
			errno = EBADF;
			return -1;
		}
		f->closing = 1;
		atomic_store(&f->close_held, 1);
		if (atomic_load(&f->pins) > 0 || !atomic_exchange(&f->close_held, 0)) {
			count(&saio_stats.ops[SAIO_C_CLOSE], 1);
			return 0;
		}
		f->closing = 0;	/* the last one ended meanwhile: close now */
	}
	struct saio_ring *mine = saio_ring_self(false);
	if (!deferrable(f) || !mine) {
		/* Not a connected stream (a listener: its address must be free when close
		 * returns), or a thread without a ring: the real close, now. */
		if (f->kind == SAIO_FD_SOCK)
			count(&saio_stats.passed[SAIO_C_CLOSE], 1);
		return close_sync(fd, f);
	}

	struct saio_ring *r = acquire(f, mine);
	if (f->closing) {
		release(f, r);
		errno = EBADF;
		return -1;
	}
	int lret;
	if (f->linger_on && close_linger(fd, f, r, &lret))
		return lret;
	int e = f->err;
	bool sp = f->err_sigpipe;
	if (e) {
		count(&saio_stats.errors_dropped, 1);
		f->err = 0;
		f->err_sigpipe = 0;
	}
	struct saio_epreg regs[SAIO_EP_MAX];
	unsigned nreg;
	bool overflow;
	pthread_mutex_lock(&saio_ep_lock);
	nreg = f->nep;
	memcpy(regs, f->ep, sizeof(regs));
	overflow = f->ep_overflow;
	f->nep = 0;
	f->ep_overflow = 0;
	pthread_mutex_unlock(&saio_ep_lock);
	r->be->reap(r);
	if (f->ninflight && !overflow && saio_detach(r, f) >= 0) {
		/* Ours already wait for the peer: the socket went to custody (an orphan of
		 * the library), the number is free now as after a real close. It must leave
		 * the epoll sets first: the socket itself stays open. */
		pthread_mutex_unlock(&r->lock);
		for (unsigned i = 0; i < nreg; i++)
			REAL(epoll_ctl)(regs[i].epfd, EPOLL_CTL_DEL, fd, NULL);
		count(&saio_stats.ops[SAIO_C_CLOSE], 1);
		if (sp)
			raise(SIGPIPE);
		return REAL(close)(fd);
	}
	struct saio_op *op = overflow ? NULL : saio_op_alloc(0);
	if (!op) {
		/* Registered in more epoll sets than we track: close for real, in order. */
		saio_ring_wait_fd(r, f, false);
		saio_fd_reset(f);
		atomic_store(&f->owner, NULL);
		pthread_mutex_unlock(&r->lock);
		count(&saio_stats.fallbacks, 1);
		if (sp)
			raise(SIGPIPE);
		return REAL(close)(fd);
	}
	/* epoll must never report the descriptor again: remove it from each set before
	 * the next epoll_wait (the close itself may wait behind a full socket). Directly
	 * with SAIO_EPOLL_DEL=sync, SQPOLL, or a backend without an epoll op (kmod). */
	bool direct_del = saio_cfg.sync_epoll_del ||
			  !(r->be->caps(r) & SAIO_CAP_EPOLL_DEL);
	for (unsigned i = 0; i < nreg; i++) {
		/* Queued, the removal runs at this ring's next batch boundary: right only if
		 * no other thread waits on the set meanwhile. */
		struct saio_fd *ef = saio_fd_peek(regs[i].epfd);
		if (direct_del || !ef || ef->shared || ef->waiter != r) {
			REAL(epoll_ctl)(regs[i].epfd, EPOLL_CTL_DEL, fd, NULL);
			continue;
		}
		struct saio_op *d = saio_op_alloc(0);
		if (!d) {
			REAL(epoll_ctl)(regs[i].epfd, EPOLL_CTL_DEL, fd, NULL);
			continue;
		}
		d->kind = SAIO_OP_EPOLL_DEL;
		d->fd = fd;
		d->arg = regs[i].epfd;
		d->state = SAIO_OP_QUEUED;
		d->next = r->standalone;
		r->standalone = d;
	}
	/* A close sends what a cork holds, with the FIN (Connection: close in nginx corks
	 * and never uncorks): a cork still queued on a socket known uncorked need not run.
	 * The bytes' last send then holds its tail as the cork would (MSG_MORE), so that the
	 * close's FIN leaves in the same segment: the peer sees what the cork makes. Not on
	 * kTLS (known now, or by the time the send is made: saio_send_more), where MSG_MORE
	 * holds an open record that the close would free unsent; its cork runs as asked. */
	if (saio_cfg.fuse && !f->broken && !f->tls && cork_elide(r, f, true)) {
		struct saio_op *last = f->tail;
		if (last && last->state == SAIO_OP_QUEUED &&
		    (last->kind == SAIO_OP_SEND || last->kind == SAIO_OP_SENDFILE))
			last->fin_more = 1;
	}
	op->kind = SAIO_OP_CLOSE;
	op->call = SAIO_C_CLOSE;
	op->fd = fd;
	f->closing = 1;
	f->want_wake = 0;
	saio_fifo_push(f, op);
	r->nqueued++;
	saio_ring_dirty(r, f);
	count(&saio_stats.ops[SAIO_C_CLOSE], 1);
	if (r->nqueued >= saio_cfg.batch_max)
		saio_ring_flush(r);
	release(f, r);
	if (sp)
		raise(SIGPIPE);
	return 0;
}

/*
 * Lock held. TCP_CORK is being turned off (or the socket closed): if the op that turned it
 * on is still queued, the socket was uncorked before it (known), and only bytes (one fused
 * send, normally) are queued after it, neither change needs to run: the bytes go in one
 * send on an uncorked socket, which is what the pair produces. The socket ends uncorked
 * either way, so getsockopt answers what the application set. True when it was elided.
 */
static bool cork_elide(struct saio_ring *r, struct saio_fd *f, bool closing)
{
	struct saio_op *cand = NULL;
	bool bytes = false;
	for (struct saio_op *op = f->head; op; op = op->next) {
		if (op->kind == SAIO_OP_SETSOCKOPT && op->arg2 == TCP_CORK) {
			cand = op;
			bytes = false;
		} else if (op->kind == SAIO_OP_SEND || op->kind == SAIO_OP_SENDFILE) {
			bytes = true;
		} else {
			cand = NULL;
		}
	}
	/* (with no bytes between, the pair runs: the FIFO never empties here; a close
	 * follows at once) */
	if (!cand || (!bytes && !closing) || cand->state != SAIO_OP_QUEUED || cand->arg != 1 ||
	    !cand->cork_fusable)
		return false;
	saio_fifo_remove(f, cand);
	r->nqueued--;
	saio_op_free(cand);
	f->cork = SAIO_CORK_OFF;
	count(&saio_stats.corks_elided, 1);
	return true;
}

/* Queue a non-byte op (shutdown, setsockopt) on a deferrable socket. Returns SAIO_PASS
 * when it cannot be deferred. */
static int try_simple(int fd, int call, int kind, int arg, int arg2, bool data_call)
{
	struct saio_fd *f = saio_fd_get(fd);
	if (!f)
		return (int)SAIO_PASS;
	if (f->kind == SAIO_FD_UNKNOWN)
		saio_fd_classify(fd, f);
	struct saio_ring *mine = saio_ring_self(false);
	if (!deferrable(f) || !mine)
		return (int)SAIO_PASS;
	if (kind == SAIO_OP_SETSOCKOPT &&
	    (!f->tcp || !(mine->be->caps(mine) & SAIO_CAP_SETSOCKOPT)))
		return (int)SAIO_PASS;
	struct saio_ring *r = acquire(f, mine);
	if (f->closing) {
		release(f, r);
		errno = EBADF;
		return -1;
	}
	int e = data_call ? take_error(f) : 0;
	if (e) {
		release(f, r);
		return (int)deliver(e);
	}
	if (kind == SAIO_OP_SETSOCKOPT && arg2 == TCP_CORK && f->cork_virt) {
		/* Corked only for the application (head_now): the kernel's is off already. */
		if (!arg) {
			f->cork_virt = 0;
			f->cork = SAIO_CORK_OFF;
		}
		count(&saio_stats.ops[call], 1);
		release(f, r);
		return 0;
	}
	/* Uncorking is the application saying "send the rest now". With nothing queued
	 * (the body went out by a real sendfile) deferring it would hold the response's last
	 * segment until the end of the event-loop iteration, behind every other connection
	 * served in it: run it now, one call, as the application would. */
	if (kind == SAIO_OP_SETSOCKOPT && arg2 == TCP_CORK && arg == 0 && !f->head) {
		release(f, r);
		count(&saio_stats.passed[call], 1);
		return (int)SAIO_PASS;
	}
	if (kind == SAIO_OP_SETSOCKOPT && arg2 == TCP_CORK && arg == 0 && saio_cfg.fuse &&
	    !f->broken && cork_elide(r, f, false)) {
		count(&saio_stats.ops[call], 1);
		release(f, r);
		return 0;
	}
	bool full = f->nqueued + f->ninflight >= SAIO_FD_OPS_MAX;
	struct saio_op *op = f->broken || full ? NULL : saio_op_alloc(0);
	if (!op) {
		/* The real call, after our queued ops (not after those in flight: the real
		 * one would not wait for the send buffer either). */
		if (full)
			count(&saio_stats.budget_hits, 1);
		if (f->nqueued)
			saio_ring_flush(r);
		release(f, r);
		return (int)SAIO_PASS;
	}
	op->kind = (uint8_t)kind;
	op->call = (uint8_t)call;
	op->fd = fd;
	op->arg = arg;
	op->arg2 = arg2;
	if (kind == SAIO_OP_SETSOCKOPT && arg2 == TCP_CORK) {
		op->cork_fusable = arg && f->cork == SAIO_CORK_OFF;
		f->cork = arg ? SAIO_CORK_ON : SAIO_CORK_OFF;
	}
	saio_fifo_push(f, op);
	r->nqueued++;
	saio_ring_dirty(r, f);
	count(&saio_stats.ops[call], 1);
	if (r->nqueued >= saio_cfg.batch_max)
		saio_ring_flush(r);
	release(f, r);
	return 0;
}

/*
 * shutdown: what it does to the read side (a thread blocked in recv or accept wakes up:
 * the shutdown-then-join idiom) and anything done with nothing of ours queued are the real
 * call, at once. Only the write side's FIN behind bytes still ours is queued after them, and
 * handed to the kernel at once (the thread may block next, in pthread_join).
 */
EXPORT int shutdown(int fd, int how)
{
	if (!defer_mode()) {
		count(&saio_stats.passed[SAIO_C_SHUTDOWN], 1);
		return REAL(shutdown)(fd, how);
	}
	struct saio_fd *f = saio_fd_peek(fd);
	struct saio_ring *mine = saio_ring_self(false);
	if ((how == SHUT_WR || how == SHUT_RDWR) && f && mine && deferrable(f) &&
	    atomic_load(&f->owner)) {
		struct saio_ring *r;
		int e = acquire_to_queue(f, mine, &r);
		if (e)
			return (int)deliver(e);
		struct saio_op *op = f->head && !f->broken ? saio_op_alloc(0) : NULL;
		if (op) {
			if (how == SHUT_RDWR && REAL(shutdown)(fd, SHUT_RD) < 0) {
				int err = errno;
				saio_op_free(op);
				release(f, r);
				errno = err;
				return -1;
			}
			op->kind = SAIO_OP_SHUTDOWN;
			op->call = SAIO_C_SHUTDOWN;
			op->fd = fd;
			op->arg = SHUT_WR;
			saio_fifo_push(f, op);
			r->nqueued++;
			saio_ring_dirty(r, f);
			count(&saio_stats.ops[SAIO_C_SHUTDOWN], 1);
			saio_ring_flush(r);
			release(f, r);
			return 0;
		}
		if (f->nqueued)
			saio_ring_flush(r);
		release(f, r);
	}
	/* nothing of ours ahead of it (or it cannot be queued): the real call */
	ssize_t r = pass_ordered(fd, SAIO_C_SHUTDOWN);
	return r != SAIO_PASS ? (int)r : REAL(shutdown)(fd, how);
}

/* A real TCP_CORK call ran (val: what it set, NULL if it failed or is not understood). */
static void cork_set(int fd, const void *val)
{
	struct saio_fd *f = saio_fd_peek(fd);
	if (!f || !defer_mode())
		return;
	int v = 0;
	if (val)
		memcpy(&v, val, sizeof(v));
	f->cork = !val ? SAIO_CORK_UNKNOWN : v ? SAIO_CORK_ON : SAIO_CORK_OFF;
	f->cork_virt = 0;	/* the kernel's is the application's again */
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	if (!defer_mode())
		return REAL(setsockopt)(fd, level, name, val, len);
	if (level == IPPROTO_TCP && (name == TCP_CORK || name == TCP_NODELAY) &&
	    len == sizeof(int) && val) {
		int v;
		memcpy(&v, val, sizeof(v));
		int r = try_simple(fd, SAIO_C_SETSOCKOPT, SAIO_OP_SETSOCKOPT, v, name, false);
		if (r != (int)SAIO_PASS)
			return r;
	}
	/* Kernel TLS encrypts what is sent after it is set up, so every byte of ours sent
	 * before must be in the socket first, even on a non-blocking one. */
	bool ktls = (level == IPPROTO_TCP && name == TCP_ULP) || level == SOL_TLS;
	int e = order_before(fd, ktls ? DRAIN : OBSERVE, ERR_NONE);
	if (e)
		return (int)deliver(e);
	int ret = REAL(setsockopt)(fd, level, name, val, len);
	if (ret == 0 && ktls) {
		struct saio_fd *f = saio_fd_peek(fd);
		if (f && f->kind == SAIO_FD_SOCK && f->tcp)
			f->tls = saio_fd_ulp_tls(fd);
	}
	if (level == IPPROTO_TCP && name == TCP_CORK)
		cork_set(fd, ret == 0 && val && len >= (socklen_t)sizeof(int) ? val : NULL);
	if (ret == 0 && level == SOL_SOCKET && name == SO_LINGER && val &&
	    len >= (socklen_t)sizeof(struct linger)) {
		/* close() must then take effect as the kernel's does (reset, or wait) */
		struct saio_fd *f = saio_fd_get(fd);
		struct linger l;
		memcpy(&l, val, sizeof(l));
		if (f) {
			f->linger_on = l.l_onoff != 0;
			f->linger_s = l.l_linger > 0 ? (uint32_t)l.l_linger : 0;
		}
	}
	return ret;
}

/* SO_ERROR: a deferred op's error is the socket's pending error, taken by this call as
 * the kernel's own is. */
static int take_so_error(int fd)
{
	struct saio_fd *f = saio_fd_peek(fd);
	if (!f || !atomic_load(&f->owner))
		return 0;
	struct saio_ring *o = saio_lock_owner(f);
	if (!o)
		return 0;
	o->be->reap(o);
	int e = take_error(f);
	release(f, o);
	return e < 0 ? -e : e;
}

/*
 * TCP_CORK and TCP_NODELAY as the application set them. Its setsockopt may still be one of
 * our ops behind bytes waiting for room (in flight in a linked chain, with SQPOLL or with
 * the kernel's workers): the kernel's value is then the old one, and the last such op
 * holds the answer. The lock is held across the real call: an op reaped here has run, so
 * the kernel's value is current whenever no op is found.
 */
static int getsockopt_as_set(int fd, int name, void *val, socklen_t *len)
{
	struct saio_fd *f = saio_fd_peek(fd);
	struct saio_ring *o = f && atomic_load(&f->owner) ? saio_lock_owner(f) : NULL;
	const struct saio_op *last = NULL;
	if (o) {
		o->be->reap(o);
		for (const struct saio_op *op = f->head; op; op = op->next)
			if (op->kind == SAIO_OP_SETSOCKOPT && op->arg2 == name)
				last = op;
	}
	int ret = REAL(getsockopt)(fd, IPPROTO_TCP, name, val, len);
	if (ret == 0 && (last || (name == TCP_CORK && f && f->cork_virt))) {
		int v = last ? last->arg != 0 : 1;	/* a virtual cork is on */
		memcpy(val, &v, sizeof(int));
	}
	if (o)
		release(f, o);
	return ret;
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int e = order_before(fd, OBSERVE, ERR_NONE);
	if (e)
		return (int)deliver(e);
	if (level == SOL_SOCKET && name == SO_ERROR && val && len && *len >= sizeof(int) &&
	    defer_mode() && (e = take_so_error(fd)) != 0) {
		memcpy(val, &e, sizeof(int));
		*len = sizeof(int);
		return 0;
	}
	if (level == IPPROTO_TCP && (name == TCP_CORK || name == TCP_NODELAY) && val && len &&
	    *len >= sizeof(int) && defer_mode())
		return getsockopt_as_set(fd, name, val, len);
	return REAL(getsockopt)(fd, level, name, val, len);
}

/* ---- reads: hand queued ops to the kernel first, do not wait ---------------------- */

#define OBSERVE_DATA(fd) \
	do { \
		int e_ = order_before(fd, OBSERVE, ERR_READ); \
		if (SAIO_UNLIKELY(e_)) \
			return deliver(e_); \
	} while (0)

EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	OBSERVE_DATA(fd);
	return REAL(read)(fd, buf, n);
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	OBSERVE_DATA(fd);
	return REAL(readv)(fd, iov, iovcnt);
}

EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	OBSERVE_DATA(fd);
	return REAL(recv)(fd, buf, n, flags);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from,
			socklen_t *fromlen)
{
	OBSERVE_DATA(fd);
	return REAL(recvfrom)(fd, buf, n, flags, from, fromlen);
}

static void born_rights(const struct msghdr *m);

EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	OBSERVE_DATA(fd);
	ssize_t r = REAL(recvmsg)(fd, m, flags);
	if (r >= 0 && m && m->msg_controllen && defer_mode())
		born_rights(m);
	return r;
}

/* ---- descriptor-level calls ------------------------------------------------------- */

static void made_shared(int oldfd, int newfd)
{
	/* Two numbers for one socket would need one FIFO: stop deferring on both. Ops of
	 * the old number still ours come before any call on either (twins). */
	if (!defer_mode())
		return;
	struct saio_fd *o = saio_fd_get(oldfd), *n = saio_fd_get(newfd);
	if (o)
		saio_cork_real(o);
	if (o && o->kind == SAIO_FD_SOCK)
		o->kind = SAIO_FD_PASS;
	if (n)
		n->kind = SAIO_FD_PASS;
	if (o && n && atomic_load(&o->owner)) {
		o->twin1 = newfd + 1;
		n->twin1 = oldfd + 1;
	}
}

static int do_fcntl(saio_real_fcntl_t fn, int fd, int cmd, void *arg)
{
	bool dupcmd = cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC;
	int e = order_before(fd, OBSERVE, ERR_NONE);
	if (e)
		return (int)deliver(e);
	int ret = fn(fd, cmd, arg);
	if (ret >= 0 && defer_mode()) {
		if (cmd == F_SETFL) {
			struct saio_fd *f = saio_fd_peek(fd);
			if (f)
				f->nonblock = ((long)arg & O_NONBLOCK) != 0;
		} else if (dupcmd) {
			reborn(ret);
			made_shared(fd, ret);
		}
	}
	return ret;
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(REAL(fcntl), fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return do_fcntl(REAL(fcntl64), fd, cmd, arg);
}

EXPORT int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	int e = order_before(fd, OBSERVE, ERR_NONE);
	if (e)
		return (int)deliver(e);
	int ret = REAL(ioctl)(fd, req, arg);
	if (ret == 0 && req == SIOCOUTQ && arg && defer_mode()) {
		/* bytes not yet sent include those the library still owns */
		struct saio_fd *f = saio_fd_peek(fd);
		if (f && atomic_load(&f->owner))
			*(int *)arg += (int)f->bytes;
	}
	if (ret == 0 && req == FIONBIO && arg && defer_mode()) {
		struct saio_fd *f = saio_fd_peek(fd);
		if (f)
			f->nonblock = *(int *)arg != 0;
	}
	return ret;
}

EXPORT int dup(int fd)
{
	int e = order_before(fd, OBSERVE, ERR_NONE);
	if (e)
		return (int)deliver(e);
	int ret = REAL(dup)(fd);
	if (ret >= 0) {
		reborn(ret);
		made_shared(fd, ret);
	}
	return ret;
}

static int dup_common(int oldfd, int newfd, int flags, bool three)
{
	int e = order_before(oldfd, OBSERVE, ERR_NONE);
	if (e)
		return (int)deliver(e);
	if (defer_mode() && oldfd != newfd)
		number_closing(newfd);	/* closed by the call: our ops for it move or go */
	int ret = three ? REAL(dup3)(oldfd, newfd, flags) : REAL(dup2)(oldfd, newfd);
	if (ret >= 0 && oldfd != newfd) {
		reborn(ret);
		made_shared(oldfd, ret);
	}
	return ret;
}

EXPORT int dup2(int oldfd, int newfd)
{
	return dup_common(oldfd, newfd, 0, false);
}

EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return dup_common(oldfd, newfd, flags, true);
}

/* ---- descriptors closed by other calls -------------------------------------------------- */

/* Worth closing one by one through close(): a number we know something about. */
static bool known(const struct saio_fd *f)
{
	return f->kind != SAIO_FD_UNKNOWN || f->nep || f->closing || atomic_load(&f->owner) ||
	       atomic_load(&f->pins);
}

/*
 * close_range: every number is closed by the real call when it returns, as without the
 * library: a number we know gives its ops (queued or in flight) to custody first, or
 * forgets what we knew of it (number_closing). Left out of the real call: the library's own
 * descriptors (a real close_range would take the library's rings away) and numbers the
 * application closed already whose close of ours is still queued (they are ours now).
 */
EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	if (!defer_mode() || (flags & CLOSE_RANGE_CLOEXEC) || first > last)
		return REAL(close_range)(first, last, flags);
	if (flags & CLOSE_RANGE_UNSHARE) {
		if (unshare(CLONE_FILES))
			return -1;
		flags &= ~CLOSE_RANGE_UNSHARE;
	}
	unsigned start = first;
	unsigned top = last < SAIO_FD_MAX - 1 ? last : SAIO_FD_MAX - 1;
	for (unsigned n = first; n <= top && n >= first; n++) {
		struct saio_fd *f = saio_fd_peek((int)n);
		if (!f) {
			n |= SAIO_FD_CHUNK - 1;	/* a chunk never allocated: nothing known */
			continue;
		}
		if (!f->own && !known(f))
			continue;
		if (!f->own && !f->closing) {
			number_closing((int)n);	/* then closed with the rest */
			continue;
		}
		if (start < n && REAL(close_range)(start, n - 1, flags))
			return -1;
		start = n + 1;
		if (n == UINT_MAX)
			return 0;
	}
	if (start <= last && start >= first)
		return REAL(close_range)(start, last, flags);
	return 0;
}

EXPORT void closefrom(int lowfd)
{
	if (!defer_mode() || lowfd < 0) {
		REAL(closefrom)(lowfd);
		return;
	}
	if (close_range((unsigned)lowfd, ~0u, 0))
		REAL(closefrom)(lowfd);	/* (its own fallback) */
}

/* stdio on a socket writes through glibc's own write, which we do not see: from fdopen on,
 * the descriptor passes through (after what is queued); fclose closes it with glibc's own
 * close, so our state of it goes first. */
EXPORT FILE *fdopen(int fd, const char *mode)
{
	FILE *fp = REAL(fdopen)(fd, mode);
	struct saio_fd *f;
	if (fp && defer_mode() && (f = saio_fd_peek(fd)) && f->kind == SAIO_FD_SOCK) {
		(void)order_before(fd, OBSERVE, ERR_NONE);
		f->kind = SAIO_FD_PASS;
	}
	return fp;
}

EXPORT int fclose(FILE *fp)
{
	if (fp && defer_mode()) {
		int fd = fileno(fp);
		if (fd >= 0)
			number_closing(fd);
	}
	return REAL(fclose)(fp);
}

/* ---- descriptors being born ----------------------------------------------------------- */

static int born(int fd)
{
	if (fd >= 0)
		reborn(fd);
	return fd;
}

EXPORT int pipe(int p[2])
{
	int r = REAL(pipe)(p);
	if (r == 0) {
		reborn(p[0]);
		reborn(p[1]);
	}
	return r;
}

EXPORT int pipe2(int p[2], int flags)
{
	int r = REAL(pipe2)(p, flags);
	if (r == 0) {
		reborn(p[0]);
		reborn(p[1]);
	}
	return r;
}

EXPORT int eventfd(unsigned v, int flags)
{
	return born(REAL(eventfd)(v, flags));
}

EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	int r = REAL(signalfd)(fd, mask, flags);
	return fd == -1 ? born(r) : r;	/* (an existing one is only changed) */
}

EXPORT int timerfd_create(int clock, int flags)
{
	return born(REAL(timerfd_create)(clock, flags));
}

EXPORT int memfd_create(const char *name, unsigned flags)
{
	return born(REAL(memfd_create)(name, flags));
}

EXPORT int inotify_init(void)
{
	return born(REAL(inotify_init)());
}

EXPORT int inotify_init1(int flags)
{
	return born(REAL(inotify_init1)(flags));
}

EXPORT int creat(const char *path, mode_t m)
{
	return born(REAL(creat)(path, m));
}

EXPORT int creat64(const char *path, mode_t m)
{
	return born(REAL(creat64)(path, m));
}

EXPORT int pidfd_open(pid_t pid, unsigned flags)
{
	return born(REAL(pidfd_open)(pid, flags));
}

/* Descriptors received with SCM_RIGHTS are born too. */
static void born_rights(const struct msghdr *m)
{
	if (!m || !m->msg_control || m->msg_controllen < sizeof(struct cmsghdr))
		return;
	for (struct cmsghdr *h = CMSG_FIRSTHDR((struct msghdr *)m); h;
	     h = CMSG_NXTHDR((struct msghdr *)m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
			reborn(fd);
		}
	}
}

EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags, struct timespec *t)
{
	int r = REAL(recvmmsg)(fd, v, n, flags, t);
	for (int i = 0; defer_mode() && i < r; i++)
		born_rights(&v[i].msg_hdr);
	return r;
}

/* ---- raw system calls: the ones that make, close or write descriptors take our path ---- */

static bool makes_fd(long nr)
{
	switch (nr) {
	case SYS_open: case SYS_openat: case SYS_creat: case SYS_socket: case SYS_accept:
	case SYS_accept4: case SYS_eventfd: case SYS_eventfd2: case SYS_signalfd:
	case SYS_signalfd4: case SYS_timerfd_create: case SYS_memfd_create: case SYS_epoll_create:
	case SYS_epoll_create1: case SYS_inotify_init: case SYS_inotify_init1:
	case SYS_fanotify_init: case SYS_pidfd_open: case SYS_pidfd_getfd: case SYS_userfaultfd:
	case SYS_perf_event_open: case SYS_io_uring_setup: case SYS_openat2: case SYS_open_tree:
	case SYS_fsopen: case SYS_fsmount: case SYS_fspick: case SYS_dup:
		return true;
	default:
		return false;
	}
}

/* The system call itself, without glibc's syscall() (which is us) and without anything
 * that could allocate: malloc implementations call syscall() while they initialize
 * (jemalloc opens /proc/sys/vm/overcommit_memory so), before our own set-up is done. */
static long raw_syscall(long n, const long a[6])
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	return REAL(syscall)(n, a[0], a[1], a[2], a[3], a[4], a[5]);
#endif
}

EXPORT long syscall(long nr, ...)
{
	va_list ap;
	va_start(ap, nr);
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!defer_mode() || !atomic_load_explicit(&saio_ready, memory_order_acquire))
		return raw_syscall(nr, a);
	switch (nr) {
	case SYS_close:
		return close((int)a[0]);
	case SYS_close_range:
		return close_range((unsigned)a[0], (unsigned)a[1], (int)a[2]);
	case SYS_dup2:
		return dup2((int)a[0], (int)a[1]);
	case SYS_dup3:
		return dup3((int)a[0], (int)a[1], (int)a[2]);
	case SYS_write:
		return write((int)a[0], (const void *)a[1], (size_t)a[2]);
	case SYS_writev:
		return writev((int)a[0], (const struct iovec *)a[1], (int)a[2]);
	case SYS_sendto:
		return sendto((int)a[0], (const void *)a[1], (size_t)a[2], (int)a[3],
			      (const struct sockaddr *)a[4], (socklen_t)a[5]);
	case SYS_sendmsg:
		return sendmsg((int)a[0], (const struct msghdr *)a[1], (int)a[2]);
	case SYS_sendfile:
		return sendfile((int)a[0], (int)a[1], (off_t *)a[2], (size_t)a[3]);
	case SYS_shutdown:
		return shutdown((int)a[0], (int)a[1]);
	case SYS_pipe:
		return pipe((int *)a[0]);
	case SYS_pipe2:
		return pipe2((int *)a[0], (int)a[1]);
	case SYS_socketpair:
		return socketpair((int)a[0], (int)a[1], (int)a[2], (int *)a[3]);
	case SYS_recvmsg:
		return recvmsg((int)a[0], (struct msghdr *)a[1], (int)a[2]);
	}
	long r = raw_syscall(nr, a);
	if (r >= 0 && makes_fd(nr))
		reborn((int)r);
	return r;
}

/* ---- descriptors being born ----------------------------------------------------------- */

static void born_accepted(int lfd, int fd, int flags)
{
	if (!defer_mode())
		return;
	reborn(fd);
	struct saio_fd *l = saio_fd_get(lfd), *f = saio_fd_get(fd);
	if (!l || !f)
		return;
	if (l->kind == SAIO_FD_UNKNOWN)
		saio_fd_classify(lfd, l);
	if (l->kind == SAIO_FD_SOCK) {
		f->kind = SAIO_FD_SOCK;
		f->tcp = l->tcp;
		f->nonblock = (flags & SOCK_NONBLOCK) != 0;
		f->conn = 1;
		/* uncorked when its listener is (whatever the kernel copies from it) */
		f->cork = l->cork == SAIO_CORK_OFF ? SAIO_CORK_OFF : SAIO_CORK_UNKNOWN;
	}
}

EXPORT int accept(int lfd, struct sockaddr *a, socklen_t *al)
{
	int fd = REAL(accept)(lfd, a, al);
	if (fd >= 0)
		born_accepted(lfd, fd, 0);
	return fd;
}

EXPORT int accept4(int lfd, struct sockaddr *a, socklen_t *al, int flags)
{
	int fd = REAL(accept4)(lfd, a, al, flags);
	if (fd >= 0)
		born_accepted(lfd, fd, flags);
	return fd;
}

EXPORT int connect(int fd, const struct sockaddr *a, socklen_t al)
{
	int ret = REAL(connect)(fd, a, al);
	if (ret == 0 && defer_mode()) {
		struct saio_fd *f = saio_fd_peek(fd);
		if (f && f->kind == SAIO_FD_SOCK)
			f->conn = 1;
	}
	return ret;
}

EXPORT int socket(int domain, int type, int proto)
{
	int fd = REAL(socket)(domain, type, proto);
	if (fd >= 0 && defer_mode()) {
		reborn(fd);
		born_sock(fd, domain, type, proto, false);
	}
	return fd;
}

EXPORT int socketpair(int domain, int type, int proto, int sv[2])
{
	int ret = REAL(socketpair)(domain, type, proto, sv);
	if (ret == 0 && defer_mode()) {
		for (int i = 0; i < 2; i++) {
			reborn(sv[i]);
			born_sock(sv[i], domain, type, proto, true);
		}
	}
	return ret;
}

static mode_t open_mode(int flags, va_list ap)
{
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return (mode_t)va_arg(ap, int);
	return 0;
}

EXPORT int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = open_mode(flags, ap);
	va_end(ap);
	int fd = REAL(open)(path, flags, m);
	if (fd >= 0)
		reborn(fd);
	return fd;
}

EXPORT int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = open_mode(flags, ap);
	va_end(ap);
	int fd = REAL(open64)(path, flags, m);
	if (fd >= 0)
		reborn(fd);
	return fd;
}

EXPORT int openat(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = open_mode(flags, ap);
	va_end(ap);
	int fd = REAL(openat)(dfd, path, flags, m);
	if (fd >= 0)
		reborn(fd);
	return fd;
}

EXPORT int openat64(int dfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t m = open_mode(flags, ap);
	va_end(ap);
	int fd = REAL(openat64)(dfd, path, flags, m);
	if (fd >= 0)
		reborn(fd);
	return fd;
}

static void saw_stat(int fd, mode_t mode, off_t size)
{
	if (!defer_mode() || !S_ISREG(mode))
		return;
	struct saio_fd *f = saio_fd_get(fd);
	if (f && !f->closing && (f->kind == SAIO_FD_UNKNOWN || f->kind == SAIO_FD_PASS ||
				 f->kind == SAIO_FD_FILE)) {
		f->kind = SAIO_FD_FILE;
		f->st_size = size;
	}
}

EXPORT int fstat(int fd, struct stat *st)
{
	int ret = REAL(fstat)(fd, st);
	if (ret == 0)
		saw_stat(fd, st->st_mode, st->st_size);
	return ret;
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	int ret = REAL(fstat64)(fd, st);
	if (ret == 0)
		saw_stat(fd, st->st_mode, st->st_size);
	return ret;
}

/* ---- epoll: registrations, the batch boundary, EINTRs of our own ----------------------- */

static void born_epoll(int fd)
{
	if (fd < 0 || !defer_mode())
		return;
	reborn(fd);
	struct saio_fd *f = saio_fd_get(fd);
	if (f)
		f->kind = SAIO_FD_EPOLL;
}

EXPORT int epoll_create(int size)
{
	int fd = REAL(epoll_create)(size);
	born_epoll(fd);
	return fd;
}

EXPORT int epoll_create1(int flags)
{
	int fd = REAL(epoll_create1)(flags);
	born_epoll(fd);
	return fd;
}

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (!defer_mode())
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	int e = order_before(fd, OBSERVE, ERR_NONE);
	if (e)
		return (int)deliver(e);
	int ret = REAL(epoll_ctl)(epfd, op, fd, ev);
	if (ret != 0)
		return ret;
	struct saio_fd *f = saio_fd_get(fd), *ef = saio_fd_get(epfd);
	if (!f)
		return ret;
	if (ef)
		ef->kind = SAIO_FD_EPOLL;
	pthread_mutex_lock(&saio_ep_lock);
	unsigned i;
	for (i = 0; i < f->nep && f->ep[i].epfd != epfd; i++)
		;
	if (op == EPOLL_CTL_DEL) {
		if (i < f->nep)
			f->ep[i] = f->ep[--f->nep];
	} else if (i < f->nep) {
		f->ep[i].events = ev ? ev->events : 0;
		f->ep[i].data = ev ? ev->data.u64 : 0;
		f->ep[i].armed = 1;
	} else if (f->nep < SAIO_EP_MAX) {
		f->ep[f->nep].epfd = epfd;
		f->ep[f->nep].events = ev ? ev->events : 0;
		f->ep[f->nep].data = ev ? ev->data.u64 : 0;
		f->ep[f->nep].armed = 1;
		f->nep++;
	} else {
		f->ep_overflow = 1;
	}
	pthread_mutex_unlock(&saio_ep_lock);
	return ret;
}

/* Lock held. The epoll removals of closed descriptors handed over are done. */
static void wait_removals(struct saio_ring *r)
{
	while (r->ndel_inflight) {
		if (r->be->wait(r) < 0)
			break;
		r->be->reap(r);
	}
}

/* Lock held, before the caller blocks: the removals are done, and ops whose fd's last op
 * completed meanwhile (one op at a time: kTLS, SQPOLL) are handed over too. */
static void finish_removals(struct saio_ring *r)
{
	wait_removals(r);
	if (r->dirty)
		saio_ring_flush(r);
}

/* Lock held. Hand every queued op to the kernel; make sure the epoll removals of closed
 * descriptors are done before the caller blocks. */
static void batch_boundary(struct saio_ring *r)
{
	r->be->reap(r);
	if (r->nclosing || r->ncust)
		saio_custody_check(r);
	saio_ring_flush(r);
	finish_removals(r);
}

/* Lock held. Hand over what is staged and wait for the removals of closed descriptors. */
static void batch_submit(struct saio_ring *r)
{
	r->be->submit(r);
	r->be->reap(r);
	wait_removals(r);
}

/*
 * Lock held. batch_boundary's work, but the batch stays staged with an epoll wait on epfd:
 * they go to the kernel in one io_uring_enter, the wait linked behind this batch's removals
 * of closed descriptors. Removals handed over earlier (a flush in the middle of the loop
 * iteration) finish first; fds they re-dirtied are staged with the batch. 0 when the wait
 * is staged; else the batch has been handed over alone, as by batch_boundary.
 */
static int batch_stage_wait(struct saio_ring *r, int epfd, struct epoll_event *ev, int maxev)
{
	r->be->reap(r);
	if (r->ndel_inflight)
		batch_submit(r);
	if (r->nclosing || r->ncust)
		saio_custody_check(r);
	if (saio_ring_stage_wait(r, epfd, ev, maxev) == 0)
		return 0;
	batch_submit(r);
	finish_removals(r);	/* the caller blocks in epoll_wait next */
	return -1;
}

#define FOLD_AGAIN INT_MIN	/* fold_wait: nothing for the application; wait the usual way */

/*
 * One kernel entry per event-loop iteration: the batch staged under the lock and an
 * IORING_OP_EPOLL_WAIT (staged last) go to the kernel in one io_uring_enter, which also
 * waits. Completions of our ops end the enter early: their follow-up requests (the next
 * chain of a descriptor, a held file close) are staged and the next enter hands them over
 * while it waits on. A signal handler that ran, or the deadline (CLOCK_MONOTONIC ns, <0:
 * none), cancels the wait; events it got first are returned all the same (as epoll_wait
 * returns events rather than EINTR when both are there). Returns the count of events or
 * -errno as the wait completed, or FOLD_AGAIN when EPOLLOUTs became owed meanwhile.
 */
static int fold_wait(struct saio_ring *r, int64_t deadline, unsigned long gen, bool owed)
{
	count(&saio_stats.epoll_folded, 1);
	for (;;) {
		struct __kernel_timespec ts, *tsp = NULL;
		if (deadline >= 0 || owed) {
			int64_t left = owed ? 0 : deadline - now_ns();
			if (left < 0)
				left = 0;
			ts.tv_sec = left / 1000000000;
			ts.tv_nsec = left % 1000000000;
			tsp = &ts;
		}
		int ret = r->be->epoll_enter(r, tsp, NULL);
		pthread_mutex_lock(&r->lock);
		r->be->reap(r);
		int res;
		if (r->be->epoll_done(r, &res)) {
			pthread_mutex_unlock(&r->lock);
			return res;
		}
		bool sig = atomic_load(&saio_sig_gen) != gen;
		bool late = deadline >= 0 && now_ns() >= deadline;
		bool failed = ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EAGAIN &&
			      ret != -EBUSY;
		if (sig || late || failed || r->nwake) {
			r->be->epoll_cancel(r);
			if (!r->be->epoll_done(r, &res))
				res = -ECANCELED;	/* (bounded cancel gave up) */
			pthread_mutex_unlock(&r->lock);
			if (res != -ECANCELED)
				return res;
			return sig ? -EINTR : failed ? ret : late ? 0 : FOLD_AGAIN;
		}
		saio_ring_stage(r);
		pthread_mutex_unlock(&r->lock);
	}
}

/* Lock held. EPOLLOUT events owed to descriptors we answered EAGAIN for budget. */
/*
 * Lock held. The kernel reported ev[0..n) from epfd: an EPOLLONESHOT registration of a
 * descriptor we may owe an EPOLLOUT to is disarmed by that report (until the application
 * arms it again with EPOLL_CTL_MOD), so nothing may be injected into it.
 */
static void note_delivered(struct saio_ring *r, int epfd, const struct epoll_event *ev, int n)
{
	if (n <= 0 || (!r->nwake && !r->nowed))
		return;
	pthread_mutex_lock(&saio_ep_lock);
	for (unsigned w = 0; w < r->nwake + r->nowed; w++) {
		int fd = w < r->nwake ? r->wake[w] : r->owed[w - r->nwake];
		struct saio_fd *f = saio_fd_peek(fd);
		for (unsigned j = 0; f && j < f->nep; j++) {
			struct saio_epreg *g = &f->ep[j];
			if (g->epfd != epfd || !(g->events & EPOLLONESHOT) || !g->armed)
				continue;
			for (int i = 0; i < n; i++)
				if (ev[i].data.u64 == g->data)
					g->armed = 0;
		}
	}
	pthread_mutex_unlock(&saio_ep_lock);
}

/*
 * Lock held. EPOLLOUT events owed to descriptors we answered EAGAIN for budget, added to
 * the n events the kernel reported (folded into an event with the same data, else
 * appended while there is room). Into an EPOLLONESHOT registration only while it is armed,
 * and then it is disarmed in the kernel too, as the kernel's own report would have done.
 * Returns the new count.
 */
static int collect_wake(struct saio_ring *r, int epfd, struct epoll_event *ev, int n, int maxev)
{
	int added = 0;
	pthread_mutex_lock(&saio_ep_lock);
	for (unsigned i = 0; i < r->nwake;) {
		struct saio_fd *f = saio_fd_peek(r->wake[i]);
		bool keep = false, done = false;
		for (unsigned j = 0; f && j < f->nep; j++) {
			struct saio_epreg *g = &f->ep[j];
			if (g->epfd != epfd) {
				keep = true;
				continue;
			}
			done = true;
			if (!(g->events & EPOLLOUT) || ((g->events & EPOLLONESHOT) && !g->armed))
				break;
			int k;
			for (k = 0; k < n && ev[k].data.u64 != g->data; k++)
				;
			if (k == n) {
				if (n == maxev) {
					done = false;	/* no room: next time */
					break;
				}
				ev[n].events = 0;
				ev[n].data.u64 = g->data;
				n++;
			}
			ev[k].events |= EPOLLOUT;
			added++;
			if (g->events & EPOLLONESHOT) {
				struct epoll_event off = { .events = g->events & (EPOLLONESHOT | EPOLLET),
							   .data.u64 = g->data };
				REAL(epoll_ctl)(epfd, EPOLL_CTL_MOD, f->fdnum, &off);
				g->armed = 0;
			}
			break;
		}
		if (done || !keep) {
			r->wake[i] = r->wake[--r->nwake];
			continue;
		}
		i++;
	}
	pthread_mutex_unlock(&saio_ep_lock);
	if (added)
		count(&saio_stats.epollout_injected, (uint64_t)added);
	return n;
}

enum { W_WAIT, W_PWAIT, W_PWAIT2 };

static int real_wait(int which, int epfd, struct epoll_event *ev, int maxev, int ms,
		     const struct timespec *ts, const sigset_t *sm)
{
	switch (which) {
	case W_WAIT:
		return REAL(epoll_wait)(epfd, ev, maxev, ms);
	case W_PWAIT:
		return REAL(epoll_pwait)(epfd, ev, maxev, ms, sm);
	default:
		return REAL(epoll_pwait2)(epfd, ev, maxev, ts, sm);
	}
}

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The ring's completion notifier, in this epoll set, tagged with the ring's address. */
static void ensure_notify(struct saio_ring *r, int epfd, int nfd)
{
	struct saio_fd *ef = saio_fd_get(epfd);
	if (!ef || ef->notify_ring == r)
		return;
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = (uint64_t)(uintptr_t)r };
	if (REAL(epoll_ctl)(epfd, EPOLL_CTL_ADD, nfd, &e) == 0 || errno == EEXIST)
		ef->notify_ring = r;
}

/* Remove our notifier's events; returns the count left for the application. */
static int filter_notify(struct saio_ring *r, int nfd, struct epoll_event *ev, int n)
{
	int out = 0;
	bool hit = false;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == (uint64_t)(uintptr_t)r) {
			hit = true;
			continue;
		}
		ev[out++] = ev[i];
	}
	if (hit) {
		uint64_t v;
		if (r->be->notify_ack)
			r->be->notify_ack(r);
		else
			(void)!REAL(read)(nfd, &v, sizeof(v));
		pthread_mutex_lock(&r->lock);
		batch_boundary(r);
		pthread_mutex_unlock(&r->lock);
	}
	return out;
}

/*
 * After a wait that returned n: true when it ended at our cap (closes, custody deadlines,
 * zombie rings) and not at the application's timeout, so it waits again; else the events
 * it reports are noted (an EPOLLONESHOT one we may owe an EPOLLOUT to is disarmed).
 */
static bool wait_again(struct saio_ring *r, int epfd, const struct epoll_event *ev, int n,
		       bool capped, int64_t tmo_ns, int64_t deadline)
{
	if (n == 0 && capped && (tmo_ns < 0 || deadline - now_ns() > 0))
		return true;
	if (n > 0 && (r->nwake || r->nowed)) {
		pthread_mutex_lock(&r->lock);
		note_delivered(r, epfd, ev, n);
		pthread_mutex_unlock(&r->lock);
	}
	return false;
}

static int wait_common(int which, int epfd, struct epoll_event *ev, int maxev, int ms,
		       const struct timespec *ts, const sigset_t *sm)
{
	if (!defer_mode() || maxev <= 0)
		return real_wait(which, epfd, ev, maxev, ms, ts, sm);
	struct saio_ring *r = saio_ring_self(true);
	if (!r)
		return real_wait(which, epfd, ev, maxev, ms, ts, sm);

	/* Timeout as an absolute deadline, for retries after an EINTR of our own. */
	int64_t tmo_ns = which == W_PWAIT2 ? (ts ? ts->tv_sec * 1000000000LL + ts->tv_nsec : -1)
					   : (ms < 0 ? -1 : (int64_t)ms * 1000000);
	int64_t deadline = tmo_ns > 0 ? now_ns() + tmo_ns : 0;
	int nfd = r->be->notify_fd(r);
	struct saio_fd *ef = saio_fd_get(epfd);
	if (ef && ef->waiter != r) {
		/* a set two event-loop threads wait on: closes leave it at once (close) */
		if (ef->waiter)
			ef->shared = 1;
		ef->waiter = r;
	}
	/* The wait folded into the batch's io_uring_enter: an epoll set we know, a wait that
	 * may block, a maxevents epoll_wait itself accepts (else its EINVAL, the old way), no
	 * signal mask (epoll_pwait's must cover the whole call: between our enters, a signal
	 * it blocks would run its handler and end the wait early). */
	bool can_fold = saio_cfg.epoll_fold && r->be->epoll_prep && nfd < 0 && tmo_ns != 0 &&
			!sm &&
			ef && ef->kind == SAIO_FD_EPOLL &&
			maxev <= (int)(INT_MAX / sizeof(struct epoll_event));
	for (;;) {
		saio_serve_zombies();
		pthread_mutex_lock(&r->lock);
		/* (EPOLLOUTs owed: the usual way, which hands them over) */
		bool fold = can_fold && !r->nwake;
		if (fold)
			fold = batch_stage_wait(r, epfd, ev, maxev) == 0;
		else
			batch_boundary(r);
		bool owed = r->nwake != 0;
		bool busy = r->ninflight || r->nqueued;
		/* Closed sockets still draining have a deadline, and closes may be stuck:
		 * do not sleep past the time they need to be looked at. */
		int64_t next = (r->ncust || r->nclosing) ? saio_custody_next(r) : -1;
		if (saio_zombies() && (next < 0 || next > 100000000LL))
			next = 100000000LL;	/* rings of exited threads wait for us */
		int64_t left_ns = tmo_ns < 0 ? -1 : tmo_ns > 0 ? deadline - now_ns() : 0;
		bool capped = next >= 0 && (left_ns < 0 || left_ns > next);
		unsigned long gen = atomic_load(&saio_sig_gen);
		pthread_mutex_unlock(&r->lock);
		if (fold) {
			/* capped: closes to look at, custody deadlines, zombie rings */
			int64_t until = tmo_ns < 0 ? -1 : deadline;
			if (capped)
				until = now_ns() + next;
			/* (EPOLLOUTs owed, found while staging: the wait does not sleep, and is
			 * cancelled unless it has events: the usual way then) */
			int n = fold_wait(r, until, gen, owed);
			/* (FOLD_AGAIN: EPOLLOUTs owed, the usual way with what is left) */
			if (n == FOLD_AGAIN || wait_again(r, epfd, ev, n, capped, tmo_ns, deadline))
				goto again;
			if (n < 0) {
				errno = -n;
				return -1;
			}
			return n;
		}
		if (nfd >= 0 && busy)
			ensure_notify(r, epfd, nfd);

		int n;
		if (owed) {
			/* What the kernel has now, then the EPOLLOUTs we owe (a failing wait,
			 * say EBADF or EINVAL, is the application's answer: owed ones stay). */
			struct timespec zero = { 0, 0 };
			n = real_wait(which, epfd, ev, maxev, 0, &zero, sm);
			if (n < 0 && errno == EINTR && atomic_load(&saio_sig_gen) == gen)
				n = 0;
			if (n < 0)
				return n;
			if (n > 0 && nfd >= 0)
				n = filter_notify(r, nfd, ev, n);
			pthread_mutex_lock(&r->lock);
			note_delivered(r, epfd, ev, n);
			n = collect_wake(r, epfd, ev, n, maxev);
			pthread_mutex_unlock(&r->lock);
			if (n > 0)
				return n;
		}
		if (capped) {
			static __thread struct timespec cap;
			cap.tv_sec = next / 1000000000;
			cap.tv_nsec = next % 1000000000;
			n = real_wait(which, epfd, ev, maxev, (int)((next + 999999) / 1000000), &cap, sm);
		} else {
			n = real_wait(which, epfd, ev, maxev, ms, ts, sm);
		}
		if (n > 0 && nfd >= 0) {
			n = filter_notify(r, nfd, ev, n);
			if (n == 0)
				goto again;	/* only our completions: wait on */
		}
		if (wait_again(r, epfd, ev, n, capped, tmo_ns, deadline))
			goto again;
		if (n >= 0 || errno != EINTR || atomic_load(&saio_sig_gen) != gen)
			return n;
		/* EINTR without a signal handler having run: io_uring task work (a completion
		 * of ours) interrupted the wait. Reap it and wait again for what is left. */
		count(&saio_stats.eintr_hidden, 1);
	again:
		if (tmo_ns == 0)
			return 0;
		if (tmo_ns > 0) {
			int64_t left = deadline - now_ns();
			if (left <= 0)
				left = 0;
			if (which == W_PWAIT2) {
				static __thread struct timespec t;
				t.tv_sec = left / 1000000000;
				t.tv_nsec = left % 1000000000;
				ts = &t;
			} else {
				ms = (int)((left + 999999) / 1000000);
			}
		}
	}
}

EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int maxev, int ms)
{
	return wait_common(W_WAIT, epfd, ev, maxev, ms, NULL, NULL);
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int maxev, int ms, const sigset_t *sm)
{
	return wait_common(W_PWAIT, epfd, ev, maxev, ms, NULL, sm);
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int maxev, const struct timespec *ts,
			const sigset_t *sm)
{
	return wait_common(W_PWAIT2, epfd, ev, maxev, -1, ts, sm);
}

/* Other ways to block: hand the batch to the kernel first. */
static void flush_point(void)
{
	struct saio_ring *r = saio_ring_self(false);
	if (!r || !defer_mode())
		return;
	saio_serve_zombies();
	pthread_mutex_lock(&r->lock);
	batch_boundary(r);
	pthread_mutex_unlock(&r->lock);
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int ms)
{
	flush_point();
	return REAL(poll)(fds, n, ms);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *sm)
{
	flush_point();
	return REAL(ppoll)(fds, n, ts, sm);
}

EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
	flush_point();
	return REAL(select)(n, r, w, x, tv);
}

EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts,
		   const sigset_t *sm)
{
	flush_point();
	return REAL(pselect)(n, r, w, x, ts, sm);
}

/* ---- exec: nothing of ours may be lost with the old image ---------------------------- */

static void before_exec(void)
{
	if (!defer_mode())
		return;
	saio_drain_all(saio_cfg.exit_drain_ms);
	saio_stats_write();
}

/* Leaving a signal handler by a long jump leaves it for good: calls are deferred again. */
EXPORT __attribute__((noreturn)) void siglongjmp(sigjmp_buf env, int val)
{
	saio_in_handler = 0;
	REAL(siglongjmp)(env, val);
	__builtin_unreachable();
}

EXPORT __attribute__((noreturn)) void longjmp(jmp_buf env, int val)
{
	saio_in_handler = 0;
	REAL(longjmp)(env, val);
	__builtin_unreachable();
}

EXPORT int execve(const char *p, char *const a[], char *const e[])
{
	before_exec();
	return REAL(execve)(p, a, e);
}

EXPORT int execv(const char *p, char *const a[])
{
	before_exec();
	return REAL(execv)(p, a);
}

EXPORT int execvp(const char *p, char *const a[])
{
	before_exec();
	return REAL(execvp)(p, a);
}

EXPORT int execvpe(const char *p, char *const a[], char *const e[])
{
	before_exec();
	return REAL(execvpe)(p, a, e);
}
