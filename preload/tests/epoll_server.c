/* SPDX-License-Identifier: MIT */
/*
 * epoll_server.c - a small HTTP/1.1 file server in the style of the servers SAIO serves:
 * non-blocking sockets, one epoll loop (edge-triggered), keep-alive and pipelining,
 * headers by writev, bodies by sendfile with the file closed right after its last
 * sendfile, TCP_CORK around each response, "Connection: close" answered with
 * shutdown(SHUT_WR) + close, 404s by send(MSG_NOSIGNAL).
 *
 *   epoll_server ROOT PORTFILE   binds 127.0.0.1:0, writes the port to PORTFILE, serves
 *                                until SIGTERM/SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAXC 4096

struct conn {
	int fd;
	char in[16384];
	size_t inlen;
	/* response in progress */
	int busy;
	char hdr[256];
	size_t hlen, hsent;
	int file;
	off_t off, size;
	int close_after;
};

static struct conn *conns[65536];
static volatile sig_atomic_t stop;
static const char *root;
static int ep;

static void on_sig(int s)
{
	(void)s;
	stop = 1;
}

static void cork(int fd, int on)
{
	setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on));
}

static void conn_close(struct conn *c)
{
	if (c->file >= 0)
		close(c->file);
	if (c->close_after)
		shutdown(c->fd, SHUT_WR);
	close(c->fd);
	conns[c->fd] = NULL;
	free(c);
}

/* Returns 1 when the response is done, 0 when blocked (EAGAIN), -1 on error. */
static int pump(struct conn *c)
{
	while (c->hsent < c->hlen) {
		struct iovec v = { c->hdr + c->hsent, c->hlen - c->hsent };
		ssize_t n = writev(c->fd, &v, 1);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->hsent += (size_t)n;
	}
	while (c->file >= 0 && c->off < c->size) {
		ssize_t n = sendfile(c->fd, c->file, &c->off, (size_t)(c->size - c->off));
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1;	/* file shrank */
	}
	if (c->file >= 0) {
		close(c->file);	/* right after the last sendfile that reads it */
		c->file = -1;
	}
	cork(c->fd, 0);
	c->busy = 0;
	return 1;
}

/* Start the next pipelined request if a whole one is buffered. 1 started, 0 none, -1 bad. */
static int next_request(struct conn *c)
{
	char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4);
	if (!end)
		return c->inlen == sizeof(c->in) ? -1 : 0;
	size_t reqlen = (size_t)(end - c->in) + 4;
	char path[1024], method[16];
	if (sscanf(c->in, "%15s %1000s", method, path) != 2 || path[0] != '/')
		return -1;
	c->close_after = memmem(c->in, reqlen, "Connection: close", 17) != NULL;
	memmove(c->in, c->in + reqlen, c->inlen - reqlen);
	c->inlen -= reqlen;

	char full[2048];
	snprintf(full, sizeof(full), "%s%s", root, path);
	int f = strstr(path, "..") ? -1 : open(full, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (f < 0 || fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (f >= 0)
			close(f);
		char msg[128];
		int n = snprintf(msg, sizeof(msg),
				 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: %s\r\n\r\n",
				 c->close_after ? "close" : "keep-alive");
		if (send(c->fd, msg, (size_t)n, MSG_NOSIGNAL) != n)
			return -1;
		c->busy = 0;
		return 1;
	}
	cork(c->fd, 1);
	c->hlen = (size_t)snprintf(c->hdr, sizeof(c->hdr),
				   "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\nConnection: %s\r\n\r\n",
				   (long long)st.st_size, c->close_after ? "close" : "keep-alive");
	c->hsent = 0;
	c->file = f;
	c->off = 0;
	c->size = st.st_size;
	c->busy = 1;
	return 1;
}

/* Drive a connection as far as it goes. Returns -1 when it must be closed. */
static int drive(struct conn *c)
{
	for (;;) {
		if (c->busy) {
			int r = pump(c);
			if (r <= 0)
				return r;
			if (c->close_after)
				return -1;
			continue;
		}
		int r = next_request(c);
		if (r < 0)
			return -1;
		if (r == 1)
			continue;
		/* need more input */
		ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n == 0)
			return -1;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->inlen += (size_t)n;
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s ROOT PORTFILE\n", argv[0]);
		return 2;
	}
	root = argv[1];
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1024) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &al) < 0) {
		perror("listen");
		return 1;
	}
	FILE *pf = fopen(argv[2], "w");
	fprintf(pf, "%d\n", ntohs(a.sin_port));
	fclose(pf);

	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = l };
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	struct epoll_event evs[256];
	while (!stop) {
		int n = epoll_wait(ep, evs, 256, 1000);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == l) {
				for (;;) {
					int c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (c < 0)
						break;
					if (c >= 65536) {
						close(c);
						continue;
					}
					struct conn *cn = calloc(1, sizeof(*cn));
					cn->fd = c;
					cn->file = -1;
					conns[c] = cn;
					struct epoll_event e2 = {
						.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
						.data.fd = c
					};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &e2);
					if (drive(cn) < 0)
						conn_close(cn);
				}
				continue;
			}
			struct conn *c = conns[fd];
			if (!c) {
				/* epoll reported a descriptor we closed: a bug of the preload */
				fprintf(stderr, "epoll_server: event for closed fd %d\n", fd);
				_exit(3);
			}
			if (drive(c) < 0)
				conn_close(c);
		}
	}
	return 0;
}
