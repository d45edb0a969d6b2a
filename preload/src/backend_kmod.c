/* SPDX-License-Identifier: MIT */
/*
 * backend_kmod.c - the saio.ko backend: deferred ops go to a ring of /dev/saio
 * (kmod/include/uapi/linux/saio.h, the one definition of the ring) and are executed by
 * threads of this process inside the kernel, either the submitting thread itself
 * (SAIO_KMOD_MODE=enter: one SAIO_IOC_ENTER per batch) or kernel workers the library
 * lends to the module (SAIO_KMOD_MODE=worker: SAIO_KMOD_WORKERS threads that stay in
 * SAIO_IOC_WORKER; a submission costs no system call while they spin).
 *
 * One context per process (opened at the first ring, again in a fork child), one ring
 * of it per event-loop thread (SAIO_KMOD_RINGS of them). Op encodings:
 *   SEND        SAIO_KOP_SEND of op->buf[sent..len), MSG_DONTWAIT | MSG_NOSIGNAL
 *   SENDFILE    SAIO_KOP_SENDFILE from the file (do_splice_direct: no copy, no buffer)
 *   CLOSE, SHUTDOWN, SETSOCKOPT (TCP_CORK/TCP_NODELAY): the matching SAIO_KOP_*
 *   EPOLL_DEL   none: the module has no epoll op, so closes remove descriptors from
 *               epoll sets with a direct epoll_ctl (the engine is told by caps()).
 *
 * A full socket: the module runs a send with MSG_DONTWAIT, so it completes with
 * -EAGAIN or a short count instead of blocking a kernel thread. The op then stays in
 * flight for the engine and is parked here: its socket goes into this ring's poller (an
 * epoll set, EPOLLOUT | EPOLLONESHOT) and the rest is submitted again when it drains.
 * The engine sees one completion for the whole op. The poller is the ring's notify fd,
 * so an application sleeping in epoll_wait wakes when a parked socket drains; in worker
 * mode it also holds the ring's eventfd (SAIO_IOC_EVENTFD), signalled by the module
 * when completions were posted.
 *
 * user_data is the op pointer with bit 0 set (the engine's phase 1: one request per op).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/saio.h>

#include "backend.h"

#define EFD_TAG ((uint64_t)-1)	/* poller event of the eventfd (ops are never at -1) */
#define KMOD_SEND_FLAGS (MSG_DONTROUTE | MSG_EOR | MSG_MORE | MSG_CONFIRM)
#define PARK_ROUNDS 4		/* resubmissions of drained sockets per reap */

/* The process's context: shared by its rings, rebuilt in a fork child. */
struct kmod_ctx {
	int fd;
	char *mem;
	size_t mem_bytes;
	struct saio_setup p;
	uint64_t used[SAIO_MAX_RINGS / 64];	/* ring indexes taken by threads */
	int efd[SAIO_MAX_RINGS];		/* worker mode: eventfd registered per ring */
	pthread_t workers[SAIO_MAX_WORKERS];
	struct kmod_worker_arg { struct kmod_ctx *c; unsigned index; } warg[SAIO_MAX_WORKERS];
	unsigned nworkers;
};

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kmod_ctx *kctx;

struct kmod_priv {
	struct kmod_ctx *ctx;
	uint32_t index;
	struct saio_ring_hdr *hdr;
	struct saio_sqe *sqes;
	struct saio_cqe *cqes;
	uint32_t sq_tail;		/* local: SQEs written; published at submit */
	uint32_t published;		/* sq_tail as last published */
	uint32_t outstanding;		/* published SQEs whose completion is not reaped */
	int poller;			/* epoll set: parked sockets (+ eventfd in worker mode) */
	int efd;			/* worker mode: the ring's eventfd, else -1 */
	struct saio_op **parked;
	unsigned nparked, capparked;
};

static bool worker_mode(void)
{
	return saio_cfg.kmod_worker;
}

/* Worker mode: reset the ring's eventfd (the poller is level-triggered). */
static void drain_efd(struct kmod_priv *p)
{
	uint64_t v;
	if (p->efd >= 0)
		(void)!REAL(read)(p->efd, &v, sizeof(v));
}

/* ---- context ---------------------------------------------------------------------- */

static void *worker_main(void *arg)
{
	struct kmod_worker_arg *a = arg;
	struct kmod_ctx *c = a->c;
	unsigned i = a->index;
	struct saio_worker w = { .index = i, .idle_us = saio_cfg.kmod_idle_us };
	sigset_t all;

	/* Process-directed signals are the application's: never take one here. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (saio_cfg.kmod_localize) {
		w.flags = SAIO_WORKER_LOCALIZE;
		w.cpu = saio_cfg.kmod_cpu_offset;
	} else if (saio_cfg.kmod_ncpus) {
		w.flags = SAIO_WORKER_PIN;
		w.cpu = saio_cfg.kmod_cpus[i % saio_cfg.kmod_ncpus];
	}
	/* The module pins a worker only onto CPUs its thread may already use: take every CPU
	 * our cpuset allows (the kernel intersects), so that a CPU list or local+K reaches
	 * past the pinning of the application thread we were created from. */
	if (w.flags) {
		cpu_set_t all;
		memset(&all, 0xff, sizeof(all));
		(void)sched_setaffinity(0, sizeof(all), &all);
	}
	/* Returns when the context is torn down (or the process dies). SAIO_WORKER_AGAIN:
	 * the module came out so that the kernel could finish what entries left for this
	 * thread's return to user space (the final close of a file: the peer's FIN, the
	 * port); go straight back. */
	for (;;) {
		int ret = ioctl(c->fd, SAIO_IOC_WORKER, &w);

		if (ret == SAIO_WORKER_AGAIN || (ret < 0 && errno == EINTR))
			continue;
		if (ret < 0 && errno == EINVAL && (w.flags & SAIO_WORKER_PIN)) {
			/* a listed CPU outside our cpuset: serve unpinned rather than not at all */
			w.flags = 0;
			w.cpu = 0;
			continue;
		}
		break;
	}
	return NULL;
}

static void ctx_free(struct kmod_ctx *c)
{
	if (c->mem)
		munmap(c->mem, c->mem_bytes);
	if (c->fd >= 0) {
		saio_fd_set_own(c->fd, false);
		REAL(close)(c->fd);
	}
	for (unsigned i = 0; i < SAIO_MAX_RINGS; i++) {
		if (c->efd[i] >= 0) {
			saio_fd_set_own(c->efd[i], false);
			REAL(close)(c->efd[i]);
		}
	}
	free(c);
}

/* Fork child: the parent's context is not ours (the module refuses ENTER from it) and
 * its workers did not come along. Drop our copies; the first ring opens a new one. */
static void ctx_atfork_child(void)
{
	pthread_mutex_init(&ctx_lock, NULL);
	if (kctx) {
		ctx_free(kctx);
		kctx = NULL;
	}
}

static void ctx_register_atfork(void)
{
	pthread_atfork(NULL, NULL, ctx_atfork_child);
}

static int ctx_open(struct kmod_ctx **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct kmod_ctx *c = calloc(1, sizeof(*c));
	unsigned sq = 1;
	int err;

	if (!c)
		return -ENOMEM;
	for (unsigned i = 0; i < SAIO_MAX_RINGS; i++)
		c->efd[i] = -1;
	while (sq < saio_cfg.ring_entries && sq < SAIO_MAX_SQ_ENTRIES)
		sq <<= 1;
	c->fd = saio_own_fd(REAL(open)(SAIO_DEVICE, O_RDWR | O_CLOEXEC, 0));
	if (c->fd < 0) {
		err = -errno;
		free(c);
		return err;
	}
	c->p.sq_entries = sq;
	c->p.nr_rings = saio_cfg.kmod_rings;
	c->p.nr_workers = worker_mode() ? saio_cfg.kmod_workers : 0;
	c->p.mode = worker_mode() ? SAIO_MODE_WORKER : SAIO_MODE_ENTER;
	if (ioctl(c->fd, SAIO_IOC_SETUP, &c->p) < 0) {
		err = -errno;
		goto fail;
	}
	if (c->p.abi_version != SAIO_ABI_VERSION) {
		err = -EPROTO;
		goto fail;
	}
	c->mem_bytes = c->p.mmap_bytes;
	c->mem = mmap(NULL, c->mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->mem == MAP_FAILED) {
		c->mem = NULL;
		err = -errno;
		goto fail;
	}
	kctx = c;
	pthread_once(&once, ctx_register_atfork);
	for (unsigned i = 0; i < c->p.nr_workers; i++) {
		c->warg[i] = (struct kmod_worker_arg){ .c = c, .index = i };
		if (pthread_create(&c->workers[i], NULL, worker_main, &c->warg[i])) {
			err = -EAGAIN;
			kctx = NULL;
			goto fail;	/* workers started so far leave with the context */
		}
		c->nworkers++;
		/* So that placement views (the lab's, top -H) show what the thread is. */
		char name[16];
		snprintf(name, sizeof(name), "saio-kworker%u", i);
		pthread_setname_np(c->workers[i], name);
	}
	*out = c;
	return 0;
fail:
	if (c->nworkers) {
		struct saio_wake stop = { .flags = SAIO_WAKE_STOP };
		ioctl(c->fd, SAIO_IOC_WAKE, &stop);
		for (unsigned i = 0; i < c->nworkers; i++)
			pthread_join(c->workers[i], NULL);
	}
	ctx_free(c);
	return err;
}

/* ---- the module's own counters (for SAIO_STATS) ------------------------------------ */

static const char *const wstate_names[] = { "off", "running", "spinning", "sleeping" };

int saio_kmod_stats_json(char *buf, size_t size)
{
	size_t n = 0;
	int w;

	pthread_mutex_lock(&ctx_lock);
	struct kmod_ctx *c = kctx;
	if (!c || c->fd < 0) {
		pthread_mutex_unlock(&ctx_lock);
		return 0;
	}
#define PUT(...)                                                            \
	do {                                                                \
		w = snprintf(buf + n, size - n, __VA_ARGS__);               \
		if (w < 0 || (size_t)w >= size - n)                         \
			goto full;                                          \
		n += (size_t)w;                                             \
	} while (0)
	PUT(",\"kmod\":{\"mode\":\"%s\",\"nr_rings\":%u,\"rings\":[",
	    c->p.mode == SAIO_MODE_WORKER ? "worker" : "enter", c->p.nr_rings);
	bool first = true;
	for (unsigned i = 0; i < c->p.nr_rings; i++) {
		if (!(c->used[i / 64] & (1ull << (i % 64))))
			continue;	/* never taken by a thread: nothing to count */
		struct saio_ring_stats st = { .ring = i };
		if (ioctl(c->fd, SAIO_IOC_STATS, &st) < 0)
			continue;
		PUT("%s{\"ring\":%u,\"worker\":%d,\"submitted\":%llu,\"completed\":%llu,"
		    "\"errors\":%llu,\"enters\":%llu,\"cq_full\":%llu,\"bad_tail\":%llu,"
		    "\"wakes\":%llu}",
		    first ? "" : ",", i, st.worker == ~0u ? -1 : (int)st.worker,
		    (unsigned long long)st.submitted, (unsigned long long)st.completed,
		    (unsigned long long)st.errors, (unsigned long long)st.enters,
		    (unsigned long long)st.cq_full, (unsigned long long)st.bad_tail,
		    (unsigned long long)st.wakes);
		first = false;
	}
	PUT("],\"workers\":[");
	for (unsigned i = 0; i < c->nworkers; i++) {
		struct saio_worker_info wi = { .index = i };
		if (ioctl(c->fd, SAIO_IOC_WORKER_INFO, &wi) < 0)
			continue;
		PUT("%s{\"index\":%u,\"state\":\"%s\",\"tid\":%d,\"cpu\":%d,\"pinned_cpu\":%d,"
		    "\"nr_rings\":%u,\"ops\":%llu,\"sleeps\":%llu,\"wakeups\":%llu}",
		    i ? "," : "", i, wi.state < 4 ? wstate_names[wi.state] : "?", wi.tid, wi.cpu,
		    wi.pinned_cpu, wi.nr_rings, (unsigned long long)wi.ops,
		    (unsigned long long)wi.sleeps, (unsigned long long)wi.wakeups);
	}
	PUT("]}");
#undef PUT
	pthread_mutex_unlock(&ctx_lock);
	return (int)n;
full:
	pthread_mutex_unlock(&ctx_lock);
	return 0;
}

/* ---- rings ------------------------------------------------------------------------ */

static int kmod_init(struct saio_ring *r)
{
	struct kmod_priv *p = calloc(1, sizeof(*p));
	struct kmod_ctx *c;
	int err, idx = -1;

	if (!p)
		return -ENOMEM;
	p->poller = p->efd = -1;
	pthread_mutex_lock(&ctx_lock);
	c = kctx;
	if (!c && (err = ctx_open(&c)) < 0)
		goto fail;
	for (unsigned i = 0; i < c->p.nr_rings; i++) {
		if (!(c->used[i / 64] & (1ull << (i % 64)))) {
			idx = (int)i;
			break;
		}
	}
	err = -EMFILE;	/* more event-loop threads than SAIO_KMOD_RINGS */
	if (idx < 0)
		goto fail;
	p->poller = REAL(epoll_create1)(EPOLL_CLOEXEC);
	err = -errno;	/* read after the call that sets it */
	if (p->poller < 0)
		goto fail;
	p->poller = saio_own_fd(p->poller);
	if (worker_mode()) {
		if (c->efd[idx] < 0) {
			struct saio_eventfd ev = { .ring = (uint32_t)idx };
			int efd = saio_own_fd(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
			ev.fd = efd;
			if (efd < 0 || ioctl(c->fd, SAIO_IOC_EVENTFD, &ev) < 0) {
				err = -errno;
				if (efd >= 0)
					REAL(close)(efd);
				goto fail;
			}
			c->efd[idx] = efd;
		}
		p->efd = c->efd[idx];
		struct epoll_event e = { .events = EPOLLIN, .data.u64 = EFD_TAG };
		if (REAL(epoll_ctl)(p->poller, EPOLL_CTL_ADD, p->efd, &e) < 0) {
			err = -errno;
			goto fail;
		}
	}
	/* Names this thread as the ring's submitter: the module reports it, and a
	 * localized worker moves next to its CPU. */
	struct saio_bind b = { .ring = (uint32_t)idx };
	if (ioctl(c->fd, SAIO_IOC_BIND, &b) < 0) {
		err = -errno;
		goto fail;
	}
	c->used[idx / 64] |= 1ull << (idx % 64);
	pthread_mutex_unlock(&ctx_lock);

	char *base = c->mem + (size_t)idx * c->p.ring_bytes;
	p->ctx = c;
	p->index = (uint32_t)idx;
	p->hdr = (struct saio_ring_hdr *)base;
	p->sqes = (struct saio_sqe *)(base + c->p.sq_off);
	p->cqes = (struct saio_cqe *)(base + c->p.cq_off);
	/* A ring used by an earlier thread: continue from where its indexes are. */
	p->sq_tail = p->published = __atomic_load_n(&p->hdr->sq_tail, __ATOMIC_RELAXED);
	r->be_priv = p;
	return 0;
fail:
	pthread_mutex_unlock(&ctx_lock);
	if (p->poller >= 0) {
		saio_fd_set_own(p->poller, false);
		REAL(close)(p->poller);
	}
	free(p);
	return err;
}

static void priv_free(struct saio_ring *r)
{
	struct kmod_priv *p = r->be_priv;
	saio_fd_set_own(p->poller, false);
	REAL(close)(p->poller);
	free(p->parked);
	free(p);
	r->be_priv = NULL;
}

static void kmod_teardown(struct saio_ring *r)
{
	struct kmod_priv *p = r->be_priv;
	if (!p)
		return;
	pthread_mutex_lock(&ctx_lock);
	if (kctx == p->ctx)
		p->ctx->used[p->index / 64] &= ~(1ull << (p->index % 64));
	pthread_mutex_unlock(&ctx_lock);
	priv_free(r);
}

static void kmod_forget(struct saio_ring *r)
{
	/* Fork child: the context itself is dropped by ctx_atfork_child. */
	if (r->be_priv)
		priv_free(r);
}

static unsigned kmod_space(struct saio_ring *r)
{
	struct kmod_priv *p = r->be_priv;
	const struct saio_setup *s = &p->ctx->p;
	/* U2: slots before sq_head have been copied by the kernel */
	uint32_t head = __atomic_load_n(&p->hdr->sq_head, __ATOMIC_ACQUIRE);
	uint32_t sq_free = s->sq_entries - (p->sq_tail - head);
	/* Never more requests outstanding than the CQ holds: the module then never stops
	 * on a full completion queue. */
	uint32_t cq_free = s->cq_entries - p->outstanding - (p->sq_tail - p->published);
	return sq_free < cq_free ? sq_free : cq_free;
}

static void fill(struct kmod_priv *p, struct saio_op *op, bool link)
{
	struct saio_sqe *sqe = &p->sqes[p->sq_tail & (p->ctx->p.sq_entries - 1)];
	uint32_t done = op->sent + op->be_done;

	memset(sqe, 0, sizeof(*sqe));
	sqe->fd = op->fd;
	switch (op->kind) {
	case SAIO_OP_SEND:
		sqe->opcode = SAIO_KOP_SEND;
		sqe->addr = (uint64_t)(uintptr_t)(op->buf + done);
		sqe->len = op->len - done;
		sqe->op_flags = (uint32_t)(((op->msg_flags & ~MSG_MORE) |
					     saio_send_more(op, saio_fd_peek(op->qfd))) &
					    KMOD_SEND_FLAGS) |
				MSG_DONTWAIT | MSG_NOSIGNAL;
		break;
	case SAIO_OP_SENDFILE:
		sqe->opcode = SAIO_KOP_SENDFILE;
		sqe->fd_in = op->arg;
		sqe->off = (uint64_t)op->off + done;
		sqe->len = op->len - done;
		break;
	case SAIO_OP_CLOSE:
		sqe->opcode = SAIO_KOP_CLOSE;
		break;
	case SAIO_OP_SHUTDOWN:
		sqe->opcode = SAIO_KOP_SHUTDOWN;
		sqe->op_flags = (uint32_t)op->arg;
		break;
	case SAIO_OP_SETSOCKOPT:
		sqe->opcode = SAIO_KOP_SETSOCKOPT;
		sqe->op_flags = op->arg2 == TCP_CORK ? SAIO_SOCKOPT_CORK : SAIO_SOCKOPT_NODELAY;
		sqe->off = (uint64_t)op->arg;
		break;
	}
	if (link)
		sqe->flags = SAIO_SQE_LINK;
	sqe->user_data = (uint64_t)(uintptr_t)op | 1;
	p->sq_tail++;
}

static int kmod_prep(struct saio_ring *r, struct saio_op *op, bool link)
{
	struct kmod_priv *p = r->be_priv;

	if (op->kind == SAIO_OP_EPOLL_DEL ||
	    (op->kind == SAIO_OP_SETSOCKOPT && op->arg2 != TCP_CORK && op->arg2 != TCP_NODELAY))
		return -EINVAL;
	if (!kmod_space(r))
		return -EBUSY;
	fill(p, op, link);
	op->nr_cqe = 1;
	atomic_fetch_add_explicit(&saio_stats.sqes, 1, memory_order_relaxed);
	return 0;
}

/* ENTER mode: run every published entry on this thread. */
static int enter(struct kmod_priv *p)
{
	struct saio_enter e = { .ring = p->index };
	for (;;) {
		uint32_t head = __atomic_load_n(&p->hdr->sq_head, __ATOMIC_ACQUIRE);
		if (head == p->published)
			return 0;
		atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
		if (ioctl(p->ctx->fd, SAIO_IOC_ENTER, &e) < 0 && errno != EINTR)
			return -errno;	/* EBUSY cannot happen: see kmod_space */
	}
}

/* Publish the staged SQEs and get them executed. */
static int publish(struct kmod_priv *p)
{
	uint32_t n = p->sq_tail - p->published;

	if (!n)
		return 0;
	p->outstanding += n;
	p->published = p->sq_tail;
	/* U1: the SQE contents are visible before the tail that publishes them */
	__atomic_store_n(&p->hdr->sq_tail, p->published, __ATOMIC_RELEASE);
	if (!worker_mode()) {
		int ret = enter(p);
		return ret < 0 ? ret : (int)n;
	}
	/* U5: the tail is visible before we read NEED_WAKEUP (pairs with the module's K5) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->hdr->flags, __ATOMIC_RELAXED) & SAIO_RING_NEED_WAKEUP) {
		struct saio_wake w = { .ring = p->index };
		atomic_fetch_add_explicit(&saio_stats.wakeups, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
		if (ioctl(p->ctx->fd, SAIO_IOC_WAKE, &w) < 0)
			return -errno;
	}
	return (int)n;
}

static int kmod_submit(struct saio_ring *r)
{
	return publish(r->be_priv);
}

/* Wait in the poller for op's socket to drain. False when it cannot be armed (no
 * memory): the op is then not parked, since nothing would ever resubmit it. */
static bool park(struct kmod_priv *p, struct saio_op *op)
{
	struct epoll_event e = { .events = EPOLLOUT | EPOLLONESHOT,
				 .data.u64 = (uint64_t)(uintptr_t)op };
	if (p->nparked == p->capparked) {
		unsigned cap = p->capparked ? p->capparked * 2 : 16;
		struct saio_op **n = realloc(p->parked, cap * sizeof(*n));
		if (!n)
			return false;
		p->parked = n;
		p->capparked = cap;
	}
	/* The socket may still be in the set from an earlier park (one-shot, disarmed). */
	if (REAL(epoll_ctl)(p->poller, EPOLL_CTL_MOD, op->fd, &e) < 0 &&
	    REAL(epoll_ctl)(p->poller, EPOLL_CTL_ADD, op->fd, &e) < 0)
		return false;
	p->parked[p->nparked++] = op;
	return true;
}

static bool unpark(struct kmod_priv *p, struct saio_op *op)
{
	for (unsigned i = 0; i < p->nparked; i++) {
		if (p->parked[i] == op) {
			p->parked[i] = p->parked[--p->nparked];
			return true;
		}
	}
	return false;
}

/* A send that can neither run nor be parked: report what went out (or -EAGAIN), and
 * the engine queues the rest again at its next flush. */
static void give_back(struct saio_ring *r, struct saio_op *op)
{
	int res = op->be_done ? (int)op->be_done : -EAGAIN;
	op->be_done = 0;	/* before: the engine may free the op */
	saio_engine_complete(r, op, 1, res);
}

/* One completion: finish the op for the engine, or park what is left of a send. */
static void complete(struct saio_ring *r, struct kmod_priv *p, const struct saio_cqe *cqe)
{
	struct saio_op *op = (struct saio_op *)(uintptr_t)(cqe->user_data & ~(uint64_t)1);
	int res = cqe->res;

	if ((op->kind == SAIO_OP_SEND || op->kind == SAIO_OP_SENDFILE) &&
	    !(cqe->flags & SAIO_CQE_CANCELED_LINK)) {
		uint32_t left = op->len - op->sent - op->be_done;
		if ((res > 0 && (uint32_t)res < left) || res == -EAGAIN) {
			if (res > 0)
				op->be_done += (uint32_t)res;
			if (!park(p, op))
				give_back(r, op);
			return;
		}
		if (res == 0 && left && op->kind == SAIO_OP_SENDFILE)
			res = -EIO;	/* the file ended early: it shrank after fstat */
		if (op->be_done) {
			/* What went out before the error is reported; the error recurs
			 * on the retry of the rest and is delivered then. */
			res = res >= 0 ? res + (int)op->be_done : (int)op->be_done;
			op->be_done = 0;
		}
	}
	saio_engine_complete(r, op, 1, res);
}

static unsigned reap_cq(struct saio_ring *r, struct kmod_priv *p)
{
	uint32_t head = p->hdr->cq_head;
	/* U3: CQEs are read after the tail that published them */
	uint32_t tail = __atomic_load_n(&p->hdr->cq_tail, __ATOMIC_ACQUIRE);
	uint32_t mask = p->ctx->p.cq_entries - 1;
	unsigned n = 0;

	while (head != tail) {
		struct saio_cqe cqe = p->cqes[head & mask];
		head++;
		n++;
		/* U4: the slot is read before the kernel may reuse it */
		__atomic_store_n(&p->hdr->cq_head, head, __ATOMIC_RELEASE);
		p->outstanding--;
		complete(r, p, &cqe);
	}
	return n;
}

/* Parked sockets that drained: submit the rest of their ops. Returns how many. */
static unsigned resubmit_ready(struct saio_ring *r, struct kmod_priv *p, int timeout_ms)
{
	struct epoll_event ev[64];
	unsigned again = 0;
	int n = REAL(epoll_wait)(p->poller, ev, 64, timeout_ms);

	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == EFD_TAG) {
			drain_efd(p);
			continue;
		}
		struct saio_op *op = (struct saio_op *)(uintptr_t)ev[i].data.u64;
		if (!unpark(p, op))
			continue;
		if (!kmod_space(r)) {
			if (!park(p, op))	/* re-armed: reported again while writable */
				give_back(r, op);
			continue;
		}
		fill(p, op, false);
		atomic_fetch_add_explicit(&saio_stats.sqes, 1, memory_order_relaxed);
		again++;
	}
	if (again)
		publish(p);
	return again;
}

static int kmod_reap(struct saio_ring *r)
{
	struct kmod_priv *p = r->be_priv;
	unsigned total = reap_cq(r, p);

	for (int round = 0; round < PARK_ROUNDS && p->nparked; round++) {
		if (!resubmit_ready(r, p, 0))
			break;
		total += reap_cq(r, p);
	}
	return (int)total;
}

static bool cq_ready(struct kmod_priv *p)
{
	return p->hdr->cq_head != __atomic_load_n(&p->hdr->cq_tail, __ATOMIC_ACQUIRE);
}

static int kmod_wait(struct saio_ring *r)
{
	struct kmod_priv *p = r->be_priv;

	for (;;) {
		if (!worker_mode()) {
			int ret = enter(p);	/* entries an EINTR left unconsumed */
			if (ret < 0)
				return ret;
		} else {
			/* Drained before the check: a completion posted after it signals
			 * again, so the epoll_wait below cannot miss it. */
			drain_efd(p);
		}
		if (cq_ready(p))
			return 0;
		if (!p->nparked && !(worker_mode() && p->outstanding))
			return 0;	/* nothing can complete: let the caller look again */
		atomic_fetch_add_explicit(&saio_stats.enters, 1, memory_order_relaxed);
		resubmit_ready(r, p, -1);
		if (cq_ready(p))
			return 0;
	}
}

static void kmod_settle(struct saio_ring *r)
{
	struct kmod_priv *p = r->be_priv;

	if (!worker_mode())
		return;	/* SAIO_IOC_ENTER ran them before it returned */
	/* Workers send with MSG_DONTWAIT, so every published request completes soon: a
	 * full socket comes back as -EAGAIN and is parked by the reap. Bounded at 5 s for a
	 * worker that never gets a CPU. */
	for (int i = 0; i < 50 && p->outstanding; i++) {
		struct saio_wait w = { .ring = p->index, .timeout_us = 100000 };
		if (!cq_ready(p))
			ioctl(p->ctx->fd, SAIO_IOC_WAIT, &w);
		reap_cq(r, p);
	}
}

/* Ops of f come back to the engine: the kernel has finished what it was given (ENTER ran
 * it; workers are waited for), and parked sends are handed back; f's number leaves the
 * poller, where it is keyed by number. */
static void kmod_recall(struct saio_ring *r, struct saio_fd *f)
{
	struct kmod_priv *p = r->be_priv;

	if (!p)
		return;
	if (!worker_mode())
		enter(p);
	else
		kmod_settle(r);
	reap_cq(r, p);
	for (unsigned i = 0; i < p->nparked;) {
		struct saio_op *op = p->parked[i];
		if (op->qfd == f->fdnum) {
			p->parked[i] = p->parked[--p->nparked];
			give_back(r, op);
			continue;
		}
		i++;
	}
	REAL(epoll_ctl)(p->poller, EPOLL_CTL_DEL, f->fdnum, NULL);
}

static unsigned kmod_caps(struct saio_ring *r)
{
	(void)r;
	return SAIO_CAP_SETSOCKOPT | SAIO_CAP_NATIVE_SENDFILE |
	       (worker_mode() ? SAIO_CAP_ASYNC_ISSUE : 0);
}

static int kmod_notify_fd(struct saio_ring *r)
{
	struct kmod_priv *p = r->be_priv;
	return p ? p->poller : -1;
}

static void kmod_notify_ack(struct saio_ring *r)
{
	/* The poller is level-triggered: the eventfd is drained here, drained sockets are
	 * resubmitted by the reap of the batch boundary that follows. */
	struct kmod_priv *p = r->be_priv;
	if (p)
		drain_efd(p);
}

const struct saio_backend saio_backend_kmod = {
	.name = "kmod",
	.hint = "is saio.ko loaded? (insmod kmod/saio.ko; see kmod/README.md)",
	.init = kmod_init,
	.teardown = kmod_teardown,
	.forget = kmod_forget,
	.prep = kmod_prep,
	.space = kmod_space,
	.submit = kmod_submit,
	.reap = kmod_reap,
	.wait = kmod_wait,
	.caps = kmod_caps,
	.notify_fd = kmod_notify_fd,
	.notify_ack = kmod_notify_ack,
	.settle = kmod_settle,
	.recall = kmod_recall,
};
