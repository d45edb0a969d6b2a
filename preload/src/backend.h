/* SPDX-License-Identifier: MIT */
/*
 * backend.h - what executes deferred ops. The engine (engine.c) decides WHAT runs and
 * in which order; a backend only stages ops, hands them to the kernel and reports
 * completions. Backends:
 *   uring  (backend_uring.c) one io_uring per ring, one io_uring_enter per batch;
 *   kmod   (backend_kmod.c) saio.ko: a /dev/saio ring run by this process's threads
 *          in the kernel (SAIO_IOC_ENTER per batch, or kernel workers);
 *   tests  (tests/fake_backend.c) records ops and completes them on demand.
 * "sync" is not a backend: in that mode every call passes straight through.
 *
 * Contract:
 * - prep() stages one op. For SAIO_OP_SENDFILE it stages a read of op->len bytes of
 *   op->arg at op->off into op->buf, then a send of them, linked. `link` asks that the
 *   op's last kernel request be linked to the next staged one: the next runs only
 *   after it, and is cancelled (-ECANCELED) if it fails or is short.
 *   Returns 0, or -EBUSY when the staging area cannot hold the op (submit, retry).
 * - space() is how many kernel requests can be staged now.
 * - submit() hands staged requests to the kernel: returns the count, or -errno.
 * - reap() calls saio_engine_complete(r, op, phase, res) for every completion that is
 *   ready, without blocking; phase is 0 for a sendfile's read, 1 otherwise.
 * - wait() blocks until at least one completion is ready (or -errno).
 * - forget() is called in a fork child: drop the parent's state without touching
 *   anything the parent still uses (shared mappings).
 * - notify_fd() is a descriptor that turns readable when completions are posted, for
 *   backends whose completions do not interrupt the waiting thread (SQPOLL), else -1.
 *   notify_ack() (optional) clears it after epoll reported it; without it the engine
 *   reads 8 bytes from it (an eventfd).
 * - With SAIO_CAP_NATIVE_SENDFILE, SENDFILE ops carry no buffer: prep() sends
 *   op->len - op->sent bytes of file op->arg from op->off + op->sent, one request.
 * - fork hooks: the engine calls forget() from pthread_atfork's child handler.
 * - settle() (optional, for backends whose requests another thread issues) waits until
 *   the kernel has attempted every submitted request, so that an op still in flight
 *   afterwards is one that waits for socket space. Without it, submit() is that point.
 * - epoll_prep() (optional; lock held) stages an epoll_wait(epfd, ev, maxev) request that
 *   completes with its count of events or -errno, recorded for epoll_done() and never
 *   reported to the engine. -ENOSYS: not available here; -EBUSY: no room now.
 * - epoll_enter() (called WITHOUT the ring's lock: other threads may use the ring while
 *   this one sleeps) hands every staged request to the kernel and waits, in the same
 *   system call, until a completion is posted, ts (relative; NULL: no limit) passes or a
 *   signal arrives, with the signal mask sm during the wait if given. 0 or -errno.
 * - epoll_done() (lock held): true once the staged epoll wait completed (*res: its result).
 * - epoll_cancel() (lock held): cancel the epoll wait in flight and wait until it completed
 *   (with -ECANCELED, or with events it got first).
 * - recall() (optional) makes every op of f that is in flight come back to the engine
 *   (cancelled: -ECANCELED, or the count a send got out), bounded; afterwards nothing in
 *   the kernel or the backend refers to f's number. Without it a closed socket whose ops
 *   wait for its peer keeps its number until they end.
 */
#ifndef SAIO_BACKEND_H
#define SAIO_BACKEND_H

#include <signal.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <linux/time_types.h>

#include "saio_int.h"

#define SAIO_CAP_SETSOCKOPT (1u << 0)	/* can run TCP_CORK/TCP_NODELAY in a chain */
#define SAIO_CAP_EPOLL_DEL (1u << 1)	/* can run epoll_ctl(EPOLL_CTL_DEL) */
#define SAIO_CAP_ASYNC_ISSUE (1u << 2)	/* ops are issued by another thread (SQPOLL) */
#define SAIO_CAP_NATIVE_SENDFILE (1u << 3) /* sendfile in the kernel: no buffer, any size */
#define SAIO_CAP_NO_LINK (1u << 4)	/* links may break: one op of an fd in flight at a time */
/* A chain of sends stays in order through MSG_WAITALL (a short send fails the link), which
 * kTLS's sendmsg refuses: an fd with kernel TLS has one op in flight at a time. */
#define SAIO_CAP_LINK_WAITALL (1u << 5)

struct saio_backend {
	const char *name;
	const char *hint;	/* what to do when init() fails, or NULL */
	int (*init)(struct saio_ring *r);
	void (*teardown)(struct saio_ring *r);
	void (*forget)(struct saio_ring *r);
	int (*prep)(struct saio_ring *r, struct saio_op *op, bool link);
	unsigned (*space)(struct saio_ring *r);
	int (*submit)(struct saio_ring *r);
	int (*reap)(struct saio_ring *r);
	int (*wait)(struct saio_ring *r);
	unsigned (*caps)(struct saio_ring *r);
	int (*notify_fd)(struct saio_ring *r);
	void (*notify_ack)(struct saio_ring *r);
	void (*settle)(struct saio_ring *r);
	void (*recall)(struct saio_ring *r, struct saio_fd *f);
	int (*epoll_prep)(struct saio_ring *r, int epfd, struct epoll_event *ev, int maxev);
	int (*epoll_enter)(struct saio_ring *r, const struct __kernel_timespec *ts,
			   const sigset_t *sm);
	bool (*epoll_done)(struct saio_ring *r, int *res);
	void (*epoll_cancel)(struct saio_ring *r);
};

extern const struct saio_backend saio_backend_uring;
extern const struct saio_backend saio_backend_kmod;
/* The backend new rings use; tests replace it before the first ring is made. */
extern const struct saio_backend *saio_backend_default;

/* The saio.ko context of this process as the module counts it (SAIO_IOC_STATS per ring in use,
 * SAIO_IOC_WORKER_INFO per kernel worker), as a JSON member `,"kmod":{...}` appended to buf;
 * returns the bytes written, 0 when the process has no context (or they do not fit). */
int saio_kmod_stats_json(char *buf, size_t size);

#endif
