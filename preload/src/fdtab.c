/* SPDX-License-Identifier: MIT */
/*
 * fdtab.c - what the library knows about each descriptor number.
 *
 * A two-level table: SAIO_FD_MAX / SAIO_FD_CHUNK chunk pointers, each chunk allocated
 * on first use and published with a compare-and-swap, never freed (a chunk is 1024
 * entries). Lookups take no lock.
 *
 * Classification is done once per descriptor and cached: a descriptor is deferrable
 * (SAIO_FD_SOCK) only if it is a socket of type SOCK_STREAM in AF_INET, AF_INET6 or
 * AF_UNIX. The cache is dropped when the number is closed or when a call that creates
 * descriptors (open, socket, accept, dup, pipe, ...) returns it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>

#include "saio_int.h"

static _Atomic(struct saio_fd *) chunks[SAIO_FD_MAX / SAIO_FD_CHUNK];

struct saio_fd *saio_fd_peek(int fd)
{
	if (fd < 0 || (unsigned)fd >= SAIO_FD_MAX)
		return NULL;
	struct saio_fd *c = atomic_load_explicit(&chunks[fd >> SAIO_FD_CHUNK_SHIFT],
						 memory_order_acquire);
	return c ? &c[fd & (SAIO_FD_CHUNK - 1)] : NULL;
}

struct saio_fd *saio_fd_get(int fd)
{
	if (fd < 0 || (unsigned)fd >= SAIO_FD_MAX)
		return NULL;
	unsigned ci = (unsigned)fd >> SAIO_FD_CHUNK_SHIFT;
	struct saio_fd *c = atomic_load_explicit(&chunks[ci], memory_order_acquire);
	if (SAIO_UNLIKELY(!c)) {
		struct saio_fd *n = calloc(SAIO_FD_CHUNK, sizeof(*n));
		if (!n)
			return NULL;
		for (unsigned i = 0; i < SAIO_FD_CHUNK; i++)
			n[i].fdnum = (int)(ci * SAIO_FD_CHUNK + i);
		struct saio_fd *expected = NULL;
		/* release pairs with the acquire loads above: fdnum is visible to readers */
		if (atomic_compare_exchange_strong_explicit(&chunks[ci], &expected, n,
							    memory_order_acq_rel,
							    memory_order_acquire)) {
			c = n;
		} else {
			free(n);
			c = expected;
		}
	}
	return &c[fd & (SAIO_FD_CHUNK - 1)];
}

void saio_fd_reset(struct saio_fd *f)
{
	f->kind = SAIO_FD_UNKNOWN;
	f->nonblock = 0;
	f->tcp = 0;
	f->tls = 0;
	f->closing = 0;
	f->want_wake = 0;
	f->err = 0;
	f->err_sigpipe = 0;
	atomic_store_explicit(&f->close_held, 0, memory_order_relaxed);
	atomic_store_explicit(&f->pins, 0, memory_order_relaxed);
	f->broken = 0;
	f->conn = 0;
	f->cork = SAIO_CORK_UNKNOWN;
	f->cork_virt = 0;
	f->linger_on = 0;
	f->linger_s = 0;
	f->st_size = -1;
	f->notify_ring = NULL;
	f->waiter = NULL;
	f->shared = 0;
	f->twin1 = 0;
	/* f->ep is left alone: it changes only under saio_ep_lock (close, epoll_ctl,
	 * and the number being handed out again). */
}

void saio_fd_foreach(void (*fn)(struct saio_fd *f, void *arg), void *arg)
{
	for (unsigned ci = 0; ci < SAIO_FD_MAX / SAIO_FD_CHUNK; ci++) {
		struct saio_fd *c = atomic_load_explicit(&chunks[ci], memory_order_acquire);
		if (!c)
			continue;
		for (unsigned i = 0; i < SAIO_FD_CHUNK; i++)
			fn(&c[i], arg);
	}
}

static void forget_one(struct saio_fd *f, void *arg)
{
	int epfd = *(int *)arg;
	for (unsigned i = 0; i < f->nep;) {
		if (f->ep[i].epfd == epfd) {
			f->ep[i] = f->ep[--f->nep];
			continue;
		}
		i++;
	}
}

void saio_fd_forget_epfd(int epfd)
{
	saio_fd_foreach(forget_one, &epfd);
}

bool saio_fd_ulp_tls(int fd)
{
	char name[16] = "";
	socklen_t len = sizeof(name) - 1;

	return REAL(getsockopt)(fd, IPPROTO_TCP, TCP_ULP, name, &len) == 0 && !strcmp(name, "tls");
}

int saio_fd_classify(int fd, struct saio_fd *f)
{
	struct stat st;
	int type = 0, dom = 0;
	socklen_t len = sizeof(int);

	if (REAL(fstat)(fd, &st) < 0)
		return -errno;	/* EBADF: leave UNKNOWN, the real call reports it */
	f->kind = SAIO_FD_PASS;
	if (!S_ISSOCK(st.st_mode))
		return 0;
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return 0;
	len = sizeof(int);
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0)
		return 0;
	if (dom != AF_INET && dom != AF_INET6 && dom != AF_UNIX)
		return 0;
	int proto = 0;
	len = sizeof(int);
	if (REAL(getsockopt)(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		return 0;
	if (dom != AF_UNIX && proto != IPPROTO_TCP && proto != IPPROTO_MPTCP)
		return 0;	/* SCTP one-to-one and the like: messages, not a byte stream */
	int fl = REAL(fcntl)(fd, F_GETFL);
	if (fl < 0)
		return 0;
	/* Deferred only when connected: a listening or unconnected socket's calls are
	 * answered by the kernel at once (errors, and a close that frees the address). */
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	f->conn = REAL(getpeername)(fd, (struct sockaddr *)&peer, &pl) == 0;
	f->nonblock = (fl & O_NONBLOCK) != 0;
	f->tcp = dom != AF_UNIX;
	f->tls = f->tcp && saio_fd_ulp_tls(fd);
	f->kind = SAIO_FD_SOCK;
	return 0;
}
