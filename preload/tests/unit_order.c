/* SPDX-License-Identifier: MIT */
/*
 * unit_order.c - the engine and the wrappers against a fake backend: per-fd FIFO and
 * link chains, chains never overtaking in-flight ones, short sends, errors delivered
 * later (with SIGPIPE), budgets (short counts, EAGAIN, pass-through), held file closes,
 * epoll removal before close, reads that hand queued ops over, fork.
 *
 * The test program links the library's objects, so its own write()/close()/... are the
 * wrappers; the sockets are real (socketpairs and a loopback TCP pair).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_backend.h"
#include "saio.h"
#include "unit.h"

static volatile int sigpipes;
static void on_pipe(int s)
{
	(void)s;
	sigpipes++;
}

static void pair(int sv[2], bool nonblock)
{
	socketpair(AF_UNIX, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0, sv);
}

/* An unlinked temporary file holding data[0..n), fstat'ed: the library knows its size. */
static int data_file(const void *data, size_t n)
{
	char path[] = "/tmp/saio-unit-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	CHECK(REAL(write)(fd, data, n) == (ssize_t)n);
	struct stat st;
	CHECK(fstat(fd, &st) == 0);
	return fd;
}

static void tcp_pair(int sv[2])
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 1);
	getsockname(l, (struct sockaddr *)&a, &al);
	sv[0] = socket(AF_INET, SOCK_STREAM, 0);
	connect(sv[0], (struct sockaddr *)&a, sizeof(a));
	sv[1] = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	close(l);
	saio_drain_fd(l);
}

static int hsock;
static volatile long hret;

static void on_usr2(int sig)
{
	(void)sig;
	hret = write(hsock, "h", 1);
}

static void settle(void)
{
	/* Complete everything and let the engine see it. */
	fake_complete_all();
	saio_flush();
	fake_complete_all();
	saio_flush();
}

int main(void)
{
	saio_backend_default = &fake_backend;
	/* These tests look at chains of ops that stay apart: fusion (SAIO_FUSE=0) is off but
	 * in the "fusion:" tests. */
	saio_cfg.fuse = false;
	signal(SIGPIPE, on_pipe);
	/* This thread becomes an event-loop thread (it gets a ring) at its first epoll_wait. */
	int ep = epoll_create1(0);
	struct epoll_event dummy;
	epoll_wait(ep, &dummy, 1, 0);
	fake_complete_all();
	saio_flush();

	TEST("fifo: write, writev, send, close become one linked chain, in order", {
		int sv[2];
		pair(sv, true);
		struct iovec v[2] = { { "bb", 2 }, { "b", 1 } };
		CHECK(write(sv[0], "a", 1) == 1);
		CHECK(writev(sv[0], v, 2) == 3);
		CHECK(send(sv[0], "cccc", 4, MSG_NOSIGNAL) == 4);
		CHECK(close(sv[0]) == 0);
		CHECK(fake_nsub == 0);		/* nothing reached the kernel yet */
		CHECK(close(sv[0]) == -1 && errno == EBADF);	/* closed for the application */
		int other = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(other != sv[0]);		/* the number is not reused before our close */
		REAL(close)(other);
		saio_flush();
		CHECK(fake_nsub == 4);
		CHECK(fake_sub[0].kind == SAIO_OP_SEND && fake_sub[0].len == 1 && fake_sub[0].link);
		CHECK(fake_sub[1].kind == SAIO_OP_SEND && fake_sub[1].len == 3 && fake_sub[1].link);
		CHECK(fake_sub[2].kind == SAIO_OP_SEND && fake_sub[2].len == 4 && fake_sub[2].link);
		CHECK(fake_sub[3].kind == SAIO_OP_CLOSE && !fake_sub[3].link);
		CHECK(memcmp(fake_sub[1].op->buf, "bbb", 3) == 0);
		settle();
		struct saio_fd *f = saio_fd_peek(sv[0]);
		CHECK(f->head == NULL && atomic_load(&f->owner) == NULL && !f->closing);
		CHECK(f->kind == SAIO_FD_UNKNOWN);	/* number free: forgotten */
		REAL(close)(sv[0]);	/* the fake backend did not really close it */
		close(sv[1]);
		saio_drain_fd(sv[1]);
		settle();
	});

	TEST("chains: a new chain waits while the fd has ops in flight", {
		int sv[2];
		pair(sv, true);
		CHECK(write(sv[0], "A", 1) == 1);
		saio_flush();
		CHECK(fake_nsub == 1);
		CHECK(write(sv[0], "B", 1) == 1);
		saio_flush();
		CHECK(fake_nsub == 1);	/* B is held back */
		fake_complete(0, 1);
		saio_flush();		/* reaps A, then submits B */
		CHECK(fake_nsub == 1 && fake_sub[0].op->buf[0] == 'B');
		settle();
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("short send: the rest and the cancelled followers run again, in order", {
		int sv[2];
		pair(sv, true);
		char big[100];
		memset(big, 'x', sizeof(big));
		CHECK(write(sv[0], big, 100) == 100);
		CHECK(write(sv[0], "y", 1) == 1);
		saio_flush();
		CHECK(fake_nsub == 2);
		fake_complete(0, 40);
		fake_complete(0, -ECANCELED);
		saio_flush();
		CHECK(fake_nsub == 2);
		CHECK(fake_sub[0].len == 60 && fake_sub[0].link);
		CHECK(fake_sub[1].len == 1 && fake_sub[1].op->buf[0] == 'y');
		struct saio_fd *f = saio_fd_peek(sv[0]);
		CHECK(f->bytes == 61);	/* 40 bytes are in the kernel: no longer ours */
		settle();
		CHECK(f->bytes == 0 && f->head == NULL);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("errors: EPIPE of a deferred write goes to the next call, with SIGPIPE", {
		int sv[2];
		pair(sv, true);
		CHECK(write(sv[0], "a", 1) == 1);
		CHECK(write(sv[0], "b", 1) == 1);
		saio_flush();
		fake_complete(0, -EPIPE);
		fake_complete(0, -ECANCELED);
		saio_flush();
		int before = sigpipes;
		errno = 0;
		CHECK(write(sv[0], "c", 1) == -1 && errno == EPIPE);
		CHECK(sigpipes == before + 1);
		/* after a real error the fd is no longer deferred: this write is the real one */
		CHECK(write(sv[0], "d", 1) == 1);
		char buf[8];
		CHECK(read(sv[1], buf, sizeof(buf)) == 1 && buf[0] == 'd');
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("errors: MSG_NOSIGNAL sends deliver EPIPE without SIGPIPE; reads never get EPIPE", {
		int sv[2];
		pair(sv, true);
		CHECK(send(sv[0], "a", 1, MSG_NOSIGNAL) == 1);
		saio_flush();
		fake_complete(0, -EPIPE);
		saio_flush();
		int before = sigpipes;
		char buf[4];
		errno = 0;
		/* a read is the real one (nothing to read: EAGAIN); EPIPE waits for a write */
		CHECK(read(sv[0], buf, 4) == -1 && errno == EAGAIN);
		errno = 0;
		CHECK(send(sv[0], "b", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE);
		CHECK(sigpipes == before);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("errors: a reset reaches the next read; SO_ERROR takes a pending error", {
		int sv[2];
		pair(sv, true);
		CHECK(send(sv[0], "a", 1, MSG_NOSIGNAL) == 1);
		saio_flush();
		fake_complete(0, -ECONNRESET);
		saio_flush();
		char buf[4];
		errno = 0;
		CHECK(read(sv[0], buf, 4) == -1 && errno == ECONNRESET);
		close(sv[0]);
		close(sv[1]);
		settle();
		pair(sv, true);
		CHECK(send(sv[0], "b", 1, MSG_NOSIGNAL) == 1);
		saio_flush();
		int i = fake_find(SAIO_OP_SEND, sv[0]);
		CHECK(i >= 0);
		if (i >= 0)
			fake_complete((unsigned)i, -ETIMEDOUT);
		saio_flush();
		int v = 0;
		socklen_t vl = sizeof(v);
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == ETIMEDOUT);
		v = -1;
		CHECK(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &vl) == 0 && v == 0);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("budget: short count, then EAGAIN, then an EPOLLOUT owed and injected", {
		uint64_t old = saio_budget.fd_max;
		saio_budget.fd_max = 100;
		int sv[2];
		pair(sv, true);
		struct epoll_event ev = { .events = EPOLLOUT | EPOLLET, .data.u64 = 0xabcdef };
		epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
		char big[100];
		memset(big, 'z', sizeof(big));
		CHECK(write(sv[0], big, 60) == 60);
		saio_flush();				/* in flight, the socket "full" */
		CHECK(write(sv[0], big, 60) == 40);	/* short, like a filling socket */
		errno = 0;
		CHECK(write(sv[0], big, 60) == -1 && errno == EAGAIN);
		fake_complete_all();
		struct epoll_event out[4];
		/* the first 60 completed: room again, so the EPOLLOUT owed is injected */
		int n = epoll_wait(ep, out, 4, 0);
		bool seen = false;
		for (int i = 0; i < n; i++)
			seen |= out[i].data.u64 == 0xabcdef && (out[i].events & EPOLLOUT);
		CHECK(seen);
		CHECK(saio_stats.epollout_injected >= 1);
		fake_complete_all();
		epoll_wait(ep, out, 4, 0);
		CHECK(saio_fd_peek(sv[0])->bytes == 0);
		saio_budget.fd_max = old;
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("budget: over budget with nothing queued passes through (exact)", {
		uint64_t old = saio_budget.fd_max;
		saio_budget.fd_max = 10;
		int sv[2];
		pair(sv, false);	/* blocking */
		char big[50], got[64];
		memset(big, 'q', sizeof(big));
		unsigned sub = fake_submits;
		CHECK(write(sv[0], big, 50) == 50);	/* the real write */
		CHECK(fake_submits == sub && fake_nsub == 0);
		CHECK(read(sv[1], got, sizeof(got)) == 50);
		saio_budget.fd_max = old;
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("budget: a blocking socket over budget waits for its queue, then the real call", {
		uint64_t old = saio_budget.fd_max;
		saio_budget.fd_max = 100;
		int sv[2];
		pair(sv, false);
		char big[60], got[128];
		memset(big, 'b', sizeof(big));
		CHECK(write(sv[0], big, 60) == 60);	/* queued */
		uint64_t waits = saio_stats.waits;
		CHECK(write(sv[0], big, 60) == 60);	/* waits (fake completes), then real */
		CHECK(saio_stats.waits == waits + 1);
		CHECK(saio_fd_peek(sv[0])->head == NULL);
		CHECK(read(sv[1], got, sizeof(got)) == 60);	/* only the real write's bytes */
		saio_budget.fd_max = old;
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("errors: an EPIPE never handed over still raises SIGPIPE at close", {
		int sv[2];
		pair(sv, true);
		CHECK(write(sv[0], "a", 1) == 1);
		saio_flush();
		fake_complete(0, -EPIPE);
		saio_flush();
		int before = sigpipes;
		uint64_t dropped = saio_stats.errors_dropped;
		CHECK(close(sv[0]) == 0);
		CHECK(sigpipes == before + 1 && saio_stats.errors_dropped == dropped + 1);
		settle();
		REAL(close)(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("reads: queued ops are handed to the kernel first, in-flight ones not waited for", {
		int sv[2];
		pair(sv, true);
		CHECK(write(sv[0], "a", 1) == 1);
		CHECK(fake_nsub == 0);
		char b[4];
		errno = 0;
		CHECK(read(sv[0], b, 4) == -1 && errno == EAGAIN);	/* the real read */
		CHECK(fake_nsub == 1);
		settle();
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("sendfile: offset updated, read+send staged, file close held until it ends", {
		char path[] = "/tmp/saio-unit-XXXXXX";
		int tf = mkstemp(path);
		char data[300];
		for (int i = 0; i < 300; i++)
			data[i] = (char)i;
		CHECK(REAL(write)(tf, data, 300) == 300);
		close(tf);
		int file = open(path, O_RDONLY);
		unlink(path);
		struct stat st;
		CHECK(fstat(file, &st) == 0 && st.st_size == 300);
		int sv[2];
		pair(sv, true);
		off_t off = 100;
		CHECK(sendfile(sv[0], file, &off, 1000) == 200);	/* clamped to the size */
		CHECK(off == 300);
		CHECK(sendfile(sv[0], file, &off, 10) == 0 || errno);	/* EOF: real call */
		CHECK(close(file) == 0);
		CHECK(close(file) == -1 && errno == EBADF);
		saio_flush();
		CHECK(fake_nsub == 2 && fake_sub[0].phase == 0 && fake_sub[0].link);
		CHECK(fake_find(SAIO_OP_CLOSE, file) < 0);	/* held */
		fake_complete(0, 200);	/* the read */
		fake_complete(0, 200);	/* the send */
		saio_flush();		/* reaps: the pin drops, the close is queued and sent */
		CHECK(fake_find(SAIO_OP_CLOSE, file) >= 0);
		settle();
		REAL(close)(file);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("sendfile: a file that shrank fails the transfer and the next call sees it", {
		int file = data_file("0123456789", 10);
		int sv[2];
		pair(sv, true);
		off_t off = 0;
		CHECK(sendfile(sv[0], file, &off, 10) == 10);
		saio_flush();
		fake_complete(0, 4);		/* short read */
		fake_complete(0, -ECANCELED);
		saio_flush();
		errno = 0;
		CHECK(write(sv[0], "x", 1) == -1 && errno == EIO);
		close(file);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("close: an fd registered in epoll is removed from it before the close", {
		int sv[2];
		pair(sv, true);
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = sv[0] };
		CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev) == 0);
		CHECK(write(sv[0], "a", 1) == 1);
		CHECK(close(sv[0]) == 0);
		saio_flush();
		int d = fake_find(SAIO_OP_EPOLL_DEL, sv[0]), c = fake_find(SAIO_OP_CLOSE, sv[0]);
		CHECK(d >= 0 && c > d);
		settle();
		REAL(epoll_ctl)(ep, EPOLL_CTL_DEL, sv[0], NULL);
		REAL(close)(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("setsockopt: TCP_CORK/TCP_NODELAY are folded into the chain", {
		int sv[2];
		tcp_pair(sv);
		int on = 1, off = 0;
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0);
		CHECK(write(sv[1], "h", 1) == 1);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) == 0);
		saio_flush();
		/* (a TCP_NODELAY between them keeps the cork pair: only bytes may be between) */
		CHECK(fake_nsub == 4 && fake_sub[0].kind == SAIO_OP_SETSOCKOPT &&
		      fake_sub[0].op->arg == 1 && fake_sub[3].kind == SAIO_OP_SETSOCKOPT &&
		      fake_sub[3].op->arg == 0 && fake_sub[1].kind == SAIO_OP_SETSOCKOPT &&
		      fake_sub[1].op->arg2 == TCP_NODELAY && fake_sub[2].kind == SAIO_OP_SEND);
		settle();
		/* other options pass through after the queue */
		CHECK(setsockopt(sv[1], SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) == 0);
		CHECK(fake_nsub == 0);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("setsockopt: a failed TCP_CORK or shutdown op does not break the stream", {
		int sv[2];
		tcp_pair(sv);
		int on = 1;
		uint64_t ignored = atomic_load(&saio_stats.op_errors_ignored);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		CHECK(write(sv[1], "a", 1) == 1);
		saio_flush();
		CHECK(fake_nsub == 2 && fake_sub[0].kind == SAIO_OP_SETSOCKOPT);
		fake_complete(0, -EOPNOTSUPP);	/* as on a socket that is not TCP */
		fake_complete_all();
		saio_flush();
		CHECK(write(sv[1], "b", 1) == 1);	/* still deferred: nothing broke */
		saio_flush();
		CHECK(fake_nsub == 1 && fake_sub[0].kind == SAIO_OP_SEND);
		CHECK(atomic_load(&saio_stats.op_errors_ignored) == ignored + 1);
		settle();
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("setsockopt: uncorking with nothing queued runs at once, not at the batch end", {
		int sv[2];
		tcp_pair(sv);
		int on = 1, off = 0, v = -1;
		socklen_t vl = sizeof(v);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		saio_flush();
		CHECK(fake_nsub == 1 && fake_sub[0].kind == SAIO_OP_SETSOCKOPT);
		settle();
		uint64_t passed = atomic_load(&saio_stats.passed[SAIO_C_SETSOCKOPT]);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) == 0);
		CHECK(fake_nstaged == 0 && fake_nsub == 0);
		CHECK(atomic_load(&saio_stats.passed[SAIO_C_SETSOCKOPT]) == passed + 1);
		CHECK(getsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 0);
		/* behind a queued write it is still deferred, in order */
		CHECK(write(sv[1], "h", 1) == 1);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) == 0);
		saio_flush();
		CHECK(fake_nsub == 2 && fake_sub[0].kind == SAIO_OP_SEND &&
		      fake_sub[1].kind == SAIO_OP_SETSOCKOPT);
		settle();
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	saio_cfg.fuse = true;
	TEST("fusion: cork, writev, sendfile, uncork become one send, the file read after the headers", {
		char data[300];
		memset(data, 'b', sizeof(data));
		int file = data_file(data, sizeof(data));
		int sv[2];
		tcp_pair(sv);
		int on = 1, off = 0, v = -1;
		socklen_t vl = sizeof(v);
		uint64_t fused = atomic_load(&saio_stats.fused);
		uint64_t elided = atomic_load(&saio_stats.corks_elided);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		struct iovec hv[2] = { { "HTTP/1.1 200 OK\r\n", 17 }, { "\r\n", 2 } };
		CHECK(writev(sv[1], hv, 2) == 19);
		off_t fo = 0;
		CHECK(sendfile(sv[1], file, &fo, 300) == 300 && fo == 300);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) == 0);
		CHECK(close(file) == 0);
		saio_flush();
		CHECK(fake_nsub == 2);
		CHECK(fake_sub[0].phase == 0 && fake_sub[0].len == 300 && fake_sub[0].link);
		CHECK(fake_sub[1].kind == SAIO_OP_SENDFILE && fake_sub[1].len == 319 &&
		      !fake_sub[1].link);
		CHECK(fake_sub[1].op->fbase == 19 && memcmp(fake_sub[1].op->buf, "HTTP/1.1 200 OK\r\n\r\n", 19) == 0);
		CHECK(fake_find(SAIO_OP_SETSOCKOPT, sv[1]) < 0);
		CHECK(atomic_load(&saio_stats.fused) == fused + 1);
		CHECK(atomic_load(&saio_stats.corks_elided) == elided + 1);
		/* what the application set, and what the kernel has */
		CHECK(getsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 0);
		settle();
		CHECK(saio_fd_peek(sv[1])->head == NULL);
		REAL(close)(file);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("fusion: a cork left on at the batch end runs; so do pairs on sockets of unknown cork state", {
		int sv[2];
		tcp_pair(sv);
		int on = 1, off = 0;
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		CHECK(write(sv[1], "ab", 2) == 2);
		saio_flush();
		CHECK(fake_nsub == 2 && fake_sub[0].kind == SAIO_OP_SETSOCKOPT &&
		      fake_sub[0].op->arg == 1 && fake_sub[1].kind == SAIO_OP_SEND);
		CHECK(write(sv[1], "cd", 2) == 2);	/* in flight before it: not joined */
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) == 0);
		fake_complete_all();
		saio_flush();
		CHECK(fake_nsub == 2 && fake_sub[0].kind == SAIO_OP_SEND && fake_sub[0].len == 2 &&
		      fake_sub[1].kind == SAIO_OP_SETSOCKOPT && fake_sub[1].op->arg == 0);
		settle();
		close(sv[0]);
		close(sv[1]);
		settle();
		/* a listener corked by the application: what its sockets start with is the
		 * kernel's business, so their pairs are not elided */
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t al = sizeof(a);
		bind(l, (struct sockaddr *)&a, sizeof(a));
		listen(l, 1);
		getsockname(l, (struct sockaddr *)&a, &al);
		CHECK(setsockopt(l, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		connect(c, (struct sockaddr *)&a, sizeof(a));
		int s2 = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		CHECK(setsockopt(s2, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		CHECK(write(s2, "x", 1) == 1);
		CHECK(setsockopt(s2, IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) == 0);
		saio_flush();
		CHECK(fake_nsub == 3 && fake_sub[0].kind == SAIO_OP_SETSOCKOPT &&
		      fake_sub[2].kind == SAIO_OP_SETSOCKOPT);
		settle();
		close(c);
		close(s2);
		close(l);
		settle();
	});

	TEST("fusion: a large body's headers go at once with MSG_MORE, then the real sendfile; the cork is virtual", {
		static char data[40000];
		for (int i = 0; i < (int)sizeof(data); i++)
			data[i] = (char)(i * 31 + 7);
		int file = data_file(data, sizeof(data));
		int sv[2];
		tcp_pair(sv);
		int on = 1, off = 0, v = -1;
		socklen_t vl = sizeof(v);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		struct iovec hv[2] = { { "HTTP/1.1 200 OK\r\n", 17 }, { "\r\n", 2 } };
		CHECK(writev(sv[1], hv, 2) == 19);
		off_t fo = 0;
		CHECK(sendfile(sv[1], file, &fo, sizeof(data)) == (ssize_t)sizeof(data));
		CHECK(fake_nstaged == 0 && fake_nsub == 0);	/* no kernel op at all */
		CHECK(getsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 1);
		CHECK(REAL(getsockopt)(sv[1], IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 0);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) == 0);
		CHECK(getsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 0);
		saio_flush();
		CHECK(fake_nsub == 0);
		static char got[40019];
		size_t n = 0;
		while (n < sizeof(got)) {
			ssize_t k = REAL(read)(sv[0], got + n, sizeof(got) - n);
			if (k <= 0)
				break;
			n += (size_t)k;
		}
		CHECK(n == sizeof(got) && !memcmp(got, "HTTP/1.1 200 OK\r\n\r\n", 19) &&
		      !memcmp(got + 19, data, sizeof(data)));
		/* a cork that stays virtual is set for real before the socket is shared */
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		CHECK(write(sv[1], "H", 1) == 1);
		fo = 0;
		CHECK(sendfile(sv[1], file, &fo, 20000) == 20000);
		int d = dup(sv[1]);
		CHECK(REAL(getsockopt)(sv[1], IPPROTO_TCP, TCP_CORK, &v, &vl) == 0 && v == 1);
		close(d);
		close(file);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("fusion: a cork followed by bytes and the close (Connection: close) is not run", {
		int sv[2];
		tcp_pair(sv);
		int on = 1;
		uint64_t elided = atomic_load(&saio_stats.corks_elided);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		CHECK(write(sv[1], "HTTP/1.1 200 OK\r\n\r\nbody", 23) == 23);
		CHECK(close(sv[1]) == 0);
		saio_flush();
		CHECK(fake_nsub == 2 && fake_sub[0].kind == SAIO_OP_SEND && fake_sub[0].len == 23 &&
		      fake_sub[1].kind == SAIO_OP_CLOSE);
		CHECK(atomic_load(&saio_stats.corks_elided) == elided + 1);
		settle();
		REAL(close)(sv[1]);	/* the fake backend did not really close it */
		close(sv[0]);
		settle();
	});

	TEST("fusion: the close's MSG_MORE is held back on kTLS (the close would free an open record unsent)", {
		int sv[2];
		tcp_pair(sv);
		int on = 1;
		uint64_t elided = atomic_load(&saio_stats.corks_elided);
		/* plain TCP: the last send holds its tail for the FIN ... */
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		CHECK(write(sv[1], "HTTP/1.1 200 OK\r\n\r\nbody", 23) == 23);
		struct saio_fd *f = saio_fd_peek(sv[1]);
		CHECK(close(sv[1]) == 0);
		saio_flush();
		CHECK(fake_nsub == 2 && fake_sub[0].kind == SAIO_OP_SEND && fake_sub[0].op->fin_more);
		CHECK(saio_send_more(fake_sub[0].op, f) == MSG_MORE);
		/* ... unless the socket turned out to be kTLS by the time the send is made */
		f->tls = 1;
		CHECK(saio_send_more(fake_sub[0].op, f) == 0);
		f->tls = 0;
		settle();
		REAL(close)(sv[1]);
		close(sv[0]);
		settle();
		/* known kTLS at the close (this kernel has none: marked as the ULP check would):
		 * the cork runs as asked and no send carries MSG_MORE */
		tcp_pair(sv);
		f = saio_fd_peek(sv[1]);
		f->tls = 1;
		elided = atomic_load(&saio_stats.corks_elided);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) == 0);
		CHECK(write(sv[1], "HTTP/1.1 200 OK\r\n\r\nbody", 23) == 23);
		CHECK(close(sv[1]) == 0);
		saio_flush();
		CHECK(fake_nsub == 3 && fake_sub[0].kind == SAIO_OP_SETSOCKOPT &&
		      fake_sub[1].kind == SAIO_OP_SEND && fake_sub[1].len == 23 &&
		      !fake_sub[1].op->fin_more && !(fake_sub[1].op->msg_flags & MSG_MORE) &&
		      fake_sub[2].kind == SAIO_OP_CLOSE);
		CHECK(atomic_load(&saio_stats.corks_elided) == elided);
		settle();
		REAL(close)(sv[1]);
		close(sv[0]);
		settle();
	});

	TEST("one op at a time (kTLS, SQPOLL): an op completed by the batch's own submit brings the next, before the thread sleeps", {
		/* A small send that completes inside the enter which submits it (a kTLS
		 * record): its completion, reaped right after the submit, leaves the fd's next
		 * op queued with nothing in flight. Nothing would ever wake the epoll_wait
		 * that follows for it: nginx's response stalled with its headers sent. */
		int sv[2];
		tcp_pair(sv);
		struct saio_fd *f = saio_fd_peek(sv[1]);
		fake_caps_extra = SAIO_CAP_NO_LINK;
		fake_complete_at_submit = true;
		int one = 1;	/* (an op between the writes keeps them apart) */
		CHECK(write(sv[1], "head", 4) == 4);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
		CHECK(write(sv[1], "body", 4) == 4);
		struct epoll_event e;
		CHECK(epoll_wait(ep, &e, 1, 0) == 0);	/* the batch's end */
		CHECK(f->nqueued == 0 && f->ninflight == 0 && !f->head);
		if (f->nqueued)
			fprintf(stderr, "  after the batch: %u queued, %u in flight\n", f->nqueued,
				f->ninflight);
		/* and a flush from inside the loop iteration (a read after writes) */
		CHECK(write(sv[1], "more", 4) == 4);
		CHECK(setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0);
		CHECK(write(sv[1], "again", 5) == 5);
		saio_flush();
		CHECK(f->nqueued == 0 && !f->head);
		fake_complete_at_submit = false;
		fake_caps_extra = 0;
		settle();
		close(sv[1]);
		close(sv[0]);
		settle();
	});

	TEST("fusion: MSG_MORE joins only onto MSG_MORE, MSG_NOSIGNAL apart, the last flags win", {
		int sv[2];
		pair(sv, true);
		CHECK(send(sv[0], "ab", 2, MSG_MORE) == 2);
		CHECK(send(sv[0], "cd", 2, 0) == 2);		/* joins: no MSG_MORE left */
		CHECK(send(sv[0], "e", 1, MSG_MORE) == 1);	/* not onto a plain send */
		CHECK(send(sv[0], "f", 1, MSG_NOSIGNAL) == 1);	/* not across MSG_NOSIGNAL */
		struct iovec v[2] = { { "gh", 2 }, { "i", 1 } };
		CHECK(writev(sv[0], v, 2) == 3);
		CHECK(writev(sv[0], v, 2) == 3);		/* writev after writev: one */
		saio_flush();
		CHECK(fake_nsub == 4);
		CHECK(fake_sub[0].len == 4 && fake_sub[0].op->msg_flags == 0 &&
		      memcmp(fake_sub[0].op->buf, "abcd", 4) == 0);
		CHECK(fake_sub[1].len == 1 && fake_sub[1].op->msg_flags == MSG_MORE);
		CHECK(fake_sub[2].len == 1 && fake_sub[2].op->nosignal);
		CHECK(fake_sub[3].len == 6 && memcmp(fake_sub[3].op->buf, "ghighi", 6) == 0);
		settle();
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("fusion: a fused body whose file shrank: the headers go out, the next call fails", {
		int file = data_file("0123456789", 10);
		int sv[2];
		pair(sv, true);
		CHECK(write(sv[0], "HDR", 3) == 3);
		off_t fo = 0;
		CHECK(sendfile(sv[0], file, &fo, 10) == 10);
		CHECK(write(sv[0], "tail", 4) == 4);
		saio_flush();
		CHECK(fake_nsub == 2 && fake_sub[1].len == 17);
		fake_complete(0, 4);		/* short read */
		fake_complete(0, -ECANCELED);
		saio_flush();			/* the headers alone, again */
		CHECK(fake_nsub == 1 && fake_sub[0].kind == SAIO_OP_SEND && fake_sub[0].len == 3 &&
		      memcmp(fake_sub[0].op->buf, "HDR", 3) == 0);
		errno = 0;
		CHECK(write(sv[0], "x", 1) == -1 && errno == EIO);
		settle();
		CHECK(saio_fd_peek(sv[0])->bytes == 0);
		close(file);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	saio_cfg.fuse = false;

	TEST("pass-through: files, pipes and UDP are never deferred", {
		int p[2];
		CHECK(pipe(p) == 0);
		CHECK(write(p[1], "x", 1) == 1);
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		bind(u, (struct sockaddr *)&a, sizeof(a));
		socklen_t al = sizeof(a);
		getsockname(u, (struct sockaddr *)&a, &al);
		connect(u, (struct sockaddr *)&a, sizeof(a));
		CHECK(send(u, "u", 1, 0) == 1);
		CHECK(fake_nsub == 0 && fake_nstaged == 0);
		saio_flush();
		CHECK(fake_nsub == 0);
		close(p[0]);
		close(p[1]);
		close(u);
		CHECK(fake_nsub == 0);
	});

	TEST("dup: does not wait; both numbers pass through after the ops still ours", {
		int sv[2];
		pair(sv, true);
		CHECK(write(sv[0], "a", 1) == 1);
		int d = dup(sv[0]);	/* the queue goes to the kernel; nothing waits for it */
		CHECK(d >= 0 && fake_nsub == 1 && saio_fd_peek(sv[0])->head != NULL);
		errno = 0;
		CHECK(write(d, "b", 1) == -1 && errno == EAGAIN);	/* "a" is not out yet */
		CHECK(write(sv[0], "b", 1) == -1 && errno == EAGAIN);
		fake_complete_all();
		saio_flush();
		CHECK(write(d, "b", 1) == 1 && fake_nsub == 0);
		CHECK(write(sv[0], "c", 1) == 1 && fake_nsub == 0);
		char buf[4];
		CHECK(read(sv[1], buf, 4) == 2);	/* b, c (a went to the fake) */
		close(d);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("reuse: a number closed behind our back and made again never gets the old ops", {
		int sv[2];
		pair(sv, true);
		CHECK(write(sv[0], "old", 3) == 3);	/* queued */
		saio_flush();
		CHECK(write(sv[0], "older", 5) == 5);	/* queued behind the one in flight */
		uint64_t reused = atomic_load(&saio_stats.fd_reused);
		REAL(close)(sv[0]);			/* a close we do not see */
		int p[2];
		CHECK(pipe2(p, O_NONBLOCK) == 0 && (p[0] == sv[0] || p[1] == sv[0]));
		CHECK(atomic_load(&saio_stats.fd_reused) == reused + 1);
		CHECK(saio_fd_peek(sv[0])->head == NULL && fake_nsub == 0);
		int w = p[0] == sv[0] ? p[1] : p[0];
		CHECK(write(p[1], "new", 3) == 3);	/* a pipe: straight through */
		char b[8];
		CHECK(read(p[0], b, sizeof(b)) == 3 && !memcmp(b, "new", 3));
		(void)w;
		close(p[0]);
		close(p[1]);
		close(sv[1]);
		settle();
	});

	TEST("close_range: numbers close at once (queued ops to custody), the library's own stay open", {
		int sv[2];
		pair(sv, true);
		CHECK(write(sv[0], "x", 1) == 1);	/* queued */
		int mine = open("/dev/null", O_RDONLY);
		saio_fd_set_own(mine, true);
		uint64_t draining = atomic_load(&saio_stats.draining_fds);
		int lo = sv[0] < sv[1] ? sv[0] : sv[1], hi = sv[0] < sv[1] ? sv[1] : sv[0];
		CHECK(close_range((unsigned)lo, (unsigned)(mine > hi ? mine : hi), 0) == 0);
		CHECK(fcntl(mine, F_GETFD) >= 0);	/* ours: untouched */
		CHECK(fcntl(sv[0], F_GETFD) == -1 && fcntl(sv[1], F_GETFD) == -1);
		CHECK(atomic_load(&saio_stats.draining_fds) == draining + 1);	/* "x" went on */
		settle();
		saio_fd_set_own(mine, false);
		close(mine);
	});

	TEST("signals: in a handler every call is the real one (no lock, no allocation)", {
		int sv[2];
		pair(sv, true);
		hsock = sv[0];
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_usr2;
		sigaction(SIGUSR2, &sa, NULL);
		unsigned sub = fake_nsub + fake_nstaged;
		raise(SIGUSR2);
		CHECK(hret == 1 && fake_nsub + fake_nstaged == sub);	/* not deferred */
		char b[4];
		CHECK(REAL(read)(sv[1], b, sizeof(b)) == 1 && b[0] == 'h');
		CHECK(write(sv[0], "n", 1) == 1 && fake_nstaged + fake_nsub == sub + 0);
		saio_flush();
		CHECK(fake_nsub == sub + 1);	/* out of the handler, deferred again */
		signal(SIGUSR2, SIG_DFL);
		close(sv[0]);
		close(sv[1]);
		settle();
	});

	TEST("fork: the child starts empty and closes what the application had closed", {
		int sv[2], keep[2];
		pair(sv, true);
		pair(keep, true);
		CHECK(write(sv[0], "a", 1) == 1);
		CHECK(close(sv[0]) == 0);	/* deferred */
		CHECK(write(keep[0], "k", 1) == 1);
		pid_t pid = fork();
		if (pid == 0) {
			struct saio_fd *f = saio_fd_peek(keep[0]);
			int bad = 0;
			bad |= f->head != NULL || atomic_load(&f->owner) != NULL || f->bytes != 0;
			bad |= atomic_load(&saio_budget.global_used) != 0;
			bad |= fcntl(sv[0], F_GETFD) != -1;	/* closed in the child */
			bad |= saio_ring_self(false) != NULL;
			_exit(bad);
		}
		int status = 0;
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		settle();
		REAL(close)(sv[0]);
		close(sv[1]);
		close(keep[0]);
		close(keep[1]);
		settle();
	});

	return unit_failures ? 1 : 0;
}
