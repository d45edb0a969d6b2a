/* SPDX-License-Identifier: MIT */
/*
 * saio_int.h - internal types shared by the library's files and its unit tests.
 *
 * Vocabulary:
 *   op     one deferred call (send, sendfile, close, shutdown, setsockopt, epoll del).
 *   fdent  what the library knows about one descriptor number: its kind, its FIFO of
 *          ops, its byte count, a pending error, its epoll registrations.
 *   ring   one thread's batch: the fds with queued ops and the backend state (an
 *          io_uring). Every field of a ring and of the fdents it owns is protected by
 *          ring->lock; the owning thread takes it uncontended.
 */
#ifndef SAIO_INT_H
#define SAIO_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct saio_ring;
struct saio_backend;

/* ---- ops ------------------------------------------------------------------------- */

enum saio_op_kind {
	SAIO_OP_SEND = 1,	/* bytes copied from write/writev/send/sendto/sendmsg */
	SAIO_OP_SENDFILE,	/* file range read into buf, then sent (two kernel ops) */
	SAIO_OP_CLOSE,
	SAIO_OP_SHUTDOWN,
	SAIO_OP_SETSOCKOPT,	/* int-valued TCP_CORK / TCP_NODELAY */
	SAIO_OP_EPOLL_DEL,	/* remove a closed fd from one epoll set (not in any FIFO) */
};

enum saio_op_state {
	SAIO_OP_QUEUED = 1,	/* in its fd's FIFO, not yet given to the backend */
	SAIO_OP_INFLIGHT,	/* given to the backend, completion outstanding */
};

/* Calls, for the per-call statistics. */
enum saio_call {
	SAIO_C_WRITE, SAIO_C_WRITEV, SAIO_C_SEND, SAIO_C_SENDTO, SAIO_C_SENDMSG,
	SAIO_C_SENDFILE, SAIO_C_CLOSE, SAIO_C_SHUTDOWN, SAIO_C_SETSOCKOPT,
	SAIO_C_NR
};

struct saio_op {
	struct saio_op *next;		/* FIFO link (queue of op->qfd) */
	int fd;				/* target descriptor */
	int qfd;			/* descriptor whose FIFO holds the op */
	uint8_t kind;			/* enum saio_op_kind */
	uint8_t state;			/* enum saio_op_state */
	uint8_t call;			/* enum saio_call */
	uint8_t nosignal;		/* caller passed MSG_NOSIGNAL */
	uint8_t nr_cqe;			/* kernel completions still expected */
	uint8_t pinned;			/* SENDFILE: holds a pin on its file (src->pins) */
	uint8_t cork_fusable;		/* SETSOCKOPT TCP_CORK=1 issued on a socket known uncorked */
	uint8_t fin_more;		/* the close behind holds the tail with MSG_MORE (not kTLS's:
					 * saio_send_more) */
	int msg_flags;			/* MSG_MORE, ... given to the send */
	int arg;			/* shutdown how / setsockopt value / epoll fd / source fd */
	int arg2;			/* setsockopt optname */
	int res;			/* sendfile: result of the read (0 until known) */
	int res1;			/* result of the op's last kernel request */
	int64_t off;			/* sendfile: file offset */
	uint32_t fbase;			/* sendfile: where in buf the file's bytes go */
	uint32_t flen;			/* sendfile: how many file bytes are read there */
	uint32_t len;			/* bytes to send (owned, counted in the budgets) */
	uint32_t sent;			/* bytes already confirmed sent (short send recovery) */
	uint32_t be_done;		/* bytes the backend sent but has not reported yet */
	uint32_t cap;			/* bytes data[] can hold */
	char *buf;			/* owned bytes (SEND, SENDFILE) */
	int optval;			/* setsockopt: storage the kernel reads */
	char data[];			/* SEND/SENDFILE bytes live here */
};

/* ---- descriptors ------------------------------------------------------------------ */

enum saio_fd_kind {
	SAIO_FD_UNKNOWN = 0,	/* not looked at yet (or number freed and reused) */
	SAIO_FD_PASS,		/* pipes, UDP, ttys, anything not understood: untouched */
	SAIO_FD_SOCK,		/* connected-or-not SOCK_STREAM socket: ops may be deferred */
	SAIO_FD_FILE,		/* regular file whose size the application fstat'ed */
	SAIO_FD_EPOLL,		/* an epoll instance */
};

/* What the socket's TCP_CORK is once the ops issued so far have run (f->cork). */
enum { SAIO_CORK_UNKNOWN = 0, SAIO_CORK_OFF, SAIO_CORK_ON };

#define SAIO_EP_MAX 4		/* epoll sets a descriptor can be tracked in */

struct saio_epreg {
	int epfd;
	uint32_t events;
	uint8_t armed;		/* EPOLLONESHOT: not yet reported since the last ADD/MOD */
	uint64_t data;
};

struct saio_fd {
	_Atomic(struct saio_ring *) owner; /* ring whose FIFO holds ops of this fd, or NULL */
	uint8_t kind;			/* enum saio_fd_kind */
	uint8_t nonblock;		/* O_NONBLOCK known set */
	uint8_t tcp;			/* AF_INET/AF_INET6 (TCP_CORK/NODELAY may be folded) */
	uint8_t tls;			/* kernel TLS (TCP_ULP "tls"): its sendmsg refuses MSG_WAITALL */
	uint8_t closing;		/* the application closed it; our close has not run */
	uint8_t dirty;			/* on owner->dirty list */
	uint8_t want_wake;		/* we returned EAGAIN for budget: owe an EPOLLOUT */
	uint8_t err_sigpipe;		/* pending error is an EPIPE that owes a SIGPIPE */
	uint8_t nep;			/* entries used in ep[] */
	uint8_t ep_overflow;		/* registered in more sets than ep[] holds */
	_Atomic uint8_t close_held;	/* close waits for pins to reach 0 */
	uint8_t broken;			/* a deferred op failed for good: stop deferring */
	uint8_t conn;			/* a connected stream (accepted, socketpair, connected) */
	uint8_t own;			/* the library's own descriptor (ring, notifier, custody) */
	uint8_t custody;		/* a socket the application closed, drained here */
	uint8_t cork;			/* TCP_CORK as last set: SAIO_CORK_UNKNOWN, _OFF, _ON */
	uint8_t cork_virt;		/* the application corked it, the kernel's is off (the
					 * head of a large sendfile went with MSG_MORE) */
	int64_t deadline;		/* custody: when it is aborted (CLOCK_MONOTONIC ns) */
	uint8_t linger_on;		/* SO_LINGER set with l_onoff */
	uint32_t linger_s;		/* its l_linger */
	int err;			/* error of a deferred op, for the next call */
	struct saio_op *head, *tail;	/* FIFO: in-flight ops first, then queued ones */
	uint32_t nqueued;		/* ops in state QUEUED */
	uint32_t ninflight;		/* ops in state INFLIGHT */
	uint64_t bytes;			/* owned bytes not yet in the kernel */
	_Atomic uint32_t pins;		/* sendfile ops reading from this file */
	int64_t st_size;		/* FILE: size seen by the application's fstat */
	struct saio_fd *dirty_next;	/* owner->dirty list link */
	int fdnum;			/* our own number (for list walks) */
	int twin1;			/* dup partner + 1 whose ops come first (0: none) */
	struct saio_ring *notify_ring;	/* EPOLL: ring whose notify fd is in this set */
	struct saio_ring *waiter;	/* EPOLL: the last ring that waited on this set */
	uint8_t shared;			/* EPOLL: rings of two threads waited on it */
	struct saio_epreg ep[SAIO_EP_MAX];
};

/* fdtab.c: a two-level table, chunks allocated on first use, never freed. */
#define SAIO_FD_CHUNK_SHIFT 10
#define SAIO_FD_CHUNK (1u << SAIO_FD_CHUNK_SHIFT)
#define SAIO_FD_MAX (1u << 20)

struct saio_fd *saio_fd_get(int fd);		/* NULL if fd < 0 or too large */
struct saio_fd *saio_fd_peek(int fd);		/* NULL if never allocated */
void saio_fd_reset(struct saio_fd *f);		/* forget everything but the ep list */
void saio_fd_forget_epfd(int epfd);		/* epfd closed: drop registrations in it */
int saio_fd_classify(int fd, struct saio_fd *f);/* fill kind/nonblock/tcp/tls (syscalls) */
bool saio_fd_ulp_tls(int fd);			/* the socket's TCP ULP is kTLS's */
void saio_fd_foreach(void (*fn)(struct saio_fd *f, void *arg), void *arg);

/*
 * MSG_MORE for a send op: the application's, or the one close() adds so that the FIN leaves
 * with the last bytes. Not the latter on kTLS (f: the op's queue, f->tls known when it is
 * sent): MSG_MORE leaves the TLS record open, and closing the socket frees an open record
 * without sending it.
 */
static inline int saio_send_more(const struct saio_op *op, const struct saio_fd *f)
{
	return (op->msg_flags & MSG_MORE) | (op->fin_more && !(f && f->tls) ? MSG_MORE : 0);
}

/* ---- budgets and FIFO (queue.c: pure logic, unit tested) --------------------------- */

struct saio_budget {
	uint64_t fd_max;		/* bytes one fd may own */
	uint64_t global_max;		/* bytes the process may own */
	_Atomic uint64_t global_used;
};

/* Bytes the fd may add now, at most want. */
uint64_t saio_budget_room(struct saio_budget *b, const struct saio_fd *f, uint64_t want);
void saio_budget_take(struct saio_budget *b, struct saio_fd *f, uint64_t n);
void saio_budget_give(struct saio_budget *b, struct saio_fd *f, uint64_t n);

struct saio_op *saio_op_alloc(size_t datalen);
void saio_op_free(struct saio_op *op);

/* A ring's cache of ops with buffers of 4 KiB and more: a server sending 100 KiB bodies,
 * or a hundred fused 1 KiB responses per batch, would otherwise grow and trim the heap
 * (brk, page faults) on every batch. Power-of-two capacities. */
#define SAIO_OPCACHE_MIN 4096u
#define SAIO_OPCACHE_N 256
#define SAIO_OPCACHE_BYTES (16u << 20)
struct saio_opcache {
	struct saio_op *op[SAIO_OPCACHE_N];
	unsigned n;
	uint64_t bytes;
};
struct saio_op *saio_op_get(struct saio_opcache *c, size_t datalen);
void saio_op_put(struct saio_opcache *c, struct saio_op *op);
void saio_opcache_clear(struct saio_opcache *c);
void saio_fifo_push(struct saio_fd *f, struct saio_op *op);	/* QUEUED at the tail */
void saio_fifo_remove(struct saio_fd *f, struct saio_op *op);	/* unlink anywhere */
static inline bool saio_fifo_empty(const struct saio_fd *f) { return f->head == NULL; }

/* ---- rings and the engine (engine.c) ----------------------------------------------- */

struct saio_stats {
	_Atomic uint64_t ops[SAIO_C_NR];	/* deferred ops by call */
	_Atomic uint64_t passed[SAIO_C_NR];	/* calls passed through, by call */
	_Atomic uint64_t batches;		/* flushes that handed ops to the kernel */
	_Atomic uint64_t batch_ops;		/* ops handed over in those flushes */
	_Atomic uint64_t sqes;			/* kernel ops (a sendfile is two) */
	_Atomic uint64_t enters;		/* io_uring_enter calls made (submit or wait) */
	_Atomic uint64_t wakeups;		/* SQPOLL: submits that had to wake the thread */
	_Atomic uint64_t fallbacks;		/* deferrable calls run synchronously */
	_Atomic uint64_t bytes_deferred;
	_Atomic uint64_t errors_later;		/* errors handed to a later call */
	_Atomic uint64_t errors_dropped;	/* errors pending when the app closed the fd */
	_Atomic uint64_t budget_hits;
	_Atomic uint64_t bytes_dropped;		/* accepted bytes lost to a peer error */
	_Atomic uint64_t waits;			/* times a call waited for completions */
	_Atomic uint64_t eintr_hidden;		/* epoll EINTRs caused by our completions */
	_Atomic uint64_t epollout_injected;
	_Atomic uint64_t draining_fds;		/* custody fds now */
	_Atomic uint64_t draining_bytes;	/* bytes they still own */
	_Atomic uint64_t drained;		/* custody fds whose bytes all left */
	_Atomic uint64_t drain_aborted;		/* custody fds reset (time or count bound) */
	_Atomic uint64_t fd_reused;		/* numbers closed behind our back, ops dropped */
	_Atomic uint64_t op_errors_ignored;	/* failed setsockopt/shutdown ops (stream goes on) */
	_Atomic uint64_t fused;			/* calls whose bytes joined the op queued before */
	_Atomic uint64_t corks_elided;		/* TCP_CORK on/off pairs around fused bytes, not run */
	_Atomic uint64_t epoll_folded;		/* epoll waits made inside io_uring_enter */
};

struct saio_ring {
	pthread_mutex_t lock;
	struct saio_ring *next_all;		/* global list (stats, exit drain) */
	pid_t tid;				/* its thread (0: exited) */
	bool dead;				/* in the pool: no backend, no ops */
	bool zombie;				/* thread exited, ops still wait: served by others */
	struct saio_fd *dirty;			/* fds with QUEUED ops */
	int *wake;				/* fds owed an EPOLLOUT now (queue drained) */
	unsigned nwake, capwake;
	int *owed;				/* fds with want_wake, queue not drained yet */
	unsigned nowed, capowed;
	uint32_t nqueued;			/* QUEUED ops on the dirty fds */
	uint32_t ninflight;			/* INFLIGHT ops */
	uint32_t ndel_inflight;			/* epoll del ops not yet completed */
	struct saio_op *standalone;		/* queued ops outside any FIFO (epoll del) */
	int *cust;				/* custody fds of this ring (see saio_detach) */
	unsigned ncust, capcust;
	int *closing;				/* fds whose close was submitted: stuck? */
	unsigned nclosing, capclosing;
	struct saio_opcache cache;
	const struct saio_backend *be;
	void *be_priv;				/* backend state (struct io_uring, ...) */
};

extern struct saio_stats saio_stats;
extern struct saio_budget saio_budget;

enum saio_mode { SAIO_MODE_SYNC = 0, SAIO_MODE_DEFER = 1 };	/* DEFER: through a backend */

struct saio_config {
	int mode;
	bool sqpoll;
	int sq_cpu;
	unsigned sq_idle_ms;
	unsigned batch_max;		/* flush when this many ops are queued */
	unsigned ring_entries;
	bool sync_epoll_del;		/* remove closed fds from epoll with a direct call */
	unsigned exit_drain_ms;
	unsigned drain_ms;		/* a closed socket's bytes wait at most this long */
	unsigned drain_max;		/* closed sockets drained at once, at most */
	uint64_t sendfile_copy_max;	/* larger sendfiles run as the real, zero-copy call */
	bool fuse;			/* SAIO_FUSE: join a response's queued writes, elide corks */
	bool epoll_fold;		/* SAIO_EPOLL_WAIT: wait for epoll inside io_uring_enter */
	const char *stats_path;
	/* kmod backend (SAIO_KMOD_*) */
	bool kmod_worker;		/* MODE=worker: kernel workers drain the rings */
	unsigned kmod_workers;		/* N kernel workers */
	unsigned kmod_rings;		/* M rings: event-loop threads that can defer */
	unsigned kmod_idle_us;		/* workers' spin before sleeping; 0: module default */
	bool kmod_localize;		/* CPUS=local[+K]: next to the submitting thread */
	int kmod_cpu_offset;		/* K */
	int kmod_cpus[64];		/* CPUS=a,b,...: worker i on kmod_cpus[i % n] */
	unsigned kmod_ncpus;
};
extern struct saio_config saio_cfg;

void saio_init_once(void);
extern _Atomic int saio_ready;	/* the constructor has run: every REAL() is resolved */
struct saio_ring *saio_ring_self(bool create);	/* this thread's ring */
int saio_ring_flush(struct saio_ring *r);		/* lock held */
int saio_ring_stage(struct saio_ring *r);		/* lock held: flush, but leave the last
							 * requests staged for the next enter */
struct epoll_event;
/* Lock held: saio_ring_stage, with an epoll wait on epfd staged right after the batch's
 * epoll removals (the backend starts it when they are done). 0 when the wait is staged;
 * else the backend's error and the batch is staged alone. */
int saio_ring_stage_wait(struct saio_ring *r, int epfd, struct epoll_event *ev, int maxev);
void saio_ring_reap(struct saio_ring *r);		/* lock held */
/* Lock and return the ring that owns f's ops, or NULL when it has none. */
struct saio_ring *saio_lock_owner(struct saio_fd *f);
int saio_ring_wait_fd(struct saio_ring *r, struct saio_fd *f, bool submitted_only); /* lock held */
bool saio_ring_wait_fd_until(struct saio_ring *r, struct saio_fd *f, int64_t deadline_ns);
void saio_fd_drop_queued(struct saio_ring *r, struct saio_fd *f);	/* lock held */
void saio_fd_abort(struct saio_ring *r, struct saio_fd *f);		/* lock held */
void saio_fd_forget_ops(struct saio_ring *r, struct saio_fd *f);	/* lock held */
int saio_detach(struct saio_ring *r, struct saio_fd *f);		/* lock held */
void saio_closing_add(struct saio_ring *r, struct saio_fd *f);	/* lock held */
void saio_custody_check(struct saio_ring *r);				/* lock held */
int64_t saio_custody_next(struct saio_ring *r);				/* lock held */
void saio_fd_set_own(int fd, bool own);
void saio_cork_real(struct saio_fd *f);	/* a virtual TCP_CORK set in the kernel */
int saio_own_fd(int fd);	/* move a library descriptor high and mark it ours */
int64_t saio_now_ns(void);
void saio_ring_dirty(struct saio_ring *r, struct saio_fd *f);
void saio_serve_zombies(void);
void saio_owed_add(struct saio_ring *r, struct saio_fd *f);	/* lock held */
bool saio_zombies(void);
void saio_engine_complete(struct saio_ring *r, struct saio_op *op, int phase, int res);

/* ---- signals (signals.c): count handler runs to tell real EINTRs from ours -------- */
extern _Atomic unsigned long saio_sig_gen;
/* >0 while this thread runs a signal handler the application installed (initial-exec:
 * no allocation on first use, in a handler) */
extern __thread int saio_in_handler __attribute__((tls_model("initial-exec")));

/* ---- stats (stats.c) ---------------------------------------------------------------- */
void saio_stats_start(void);
void saio_stats_write(void);
void saio_stats_after_fork(void);
extern _Atomic int saio_stats_used;

/* ---- real functions (real.c) -------------------------------------------------------- */
#include "real.h"

#define SAIO_LIKELY(x) __builtin_expect(!!(x), 1)
#define SAIO_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif
