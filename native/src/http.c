/* SPDX-License-Identifier: MIT */
/* http.c - HTTP/1.1 responses parsed incrementally and checked as they stream in: the status
 * against the expected one, each body chunk with one memcmp against the expected body at the same
 * offset (Content-Length, chunked or until close), the total length at the end. The request is one
 * constant buffer, sent by reference (an iovec per request, no copy). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "http.h"

enum { H_HDR, H_BODY, H_CHUNK_SIZE, H_CHUNK_DATA, H_CHUNK_CRLF, H_TRAILER, H_UNTIL_CLOSE };

static void http_reset(struct conn *c)
{
	memset(&c->ps.http, 0, sizeof(c->ps.http));
}

static void http_prepare(struct thread *t, struct conn *c, struct req *r)
{
	(void)t;
	(void)c;
	r->op = OP_HTTP;
}

static int http_emit(const struct plan *p, const struct req *r, struct iovec *iov)
{
	(void)r;
	iov[0].iov_base = p->request;
	iov[0].iov_len = p->request_len;
	return 1;
}

static int capture(struct thread *t, const char *d, size_t n)
{
	if (t->capture_len + n > t->capture_cap) {
		size_t cap = (t->capture_len + n) * 2 + 4096;
		char *b = realloc(t->capture, cap);

		if (!b)
			return -1;
		t->capture = b;
		t->capture_cap = cap;
	}
	memcpy(t->capture + t->capture_len, d, n);
	t->capture_len += n;
	return 0;
}

/* Body bytes at @d (@avail at hand, h->remain due): compared with the expected body at the same
 * offset (or captured by the reference request). Returns how many it used. */
static size_t body_bytes(struct thread *t, struct conn *c, const char *d, size_t avail)
{
	struct http_state *h = &c->ps.http;
	const struct plan *p = t->plan;
	size_t n = proto_take(h->remain, avail);

	if (t->phase == PHASE_PROBE) {
		if (capture(t, d, n))
			c->broken = 1;
	} else if (h->verdict == V_OK) {
		if (h->off + n > p->expect_len)
			h->verdict = V_LENGTH;
		else if (memcmp(d, p->expect_body + h->off, n))
			h->verdict = V_BODY;
	}
	h->off += n;
	h->remain -= n;
	return n;
}

static void finish(struct thread *t, struct conn *c, uint64_t now)
{
	struct http_state *h = &c->ps.http;
	enum verdict v = (enum verdict)h->verdict;

	if (t->phase == PHASE_PROBE)
		t->capture_status = h->status;
	else if (v == V_OK && h->off != t->plan->expect_len)
		v = V_LENGTH;
	c->close_after |= h->close_after;
	http_reset(c);
	conn_complete(t, c, now, v);
}

/* Case-insensitive: does the comma-separated header value contain the token @tok? */
static int has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok);

	for (size_t i = 0; i + tl <= n; i++) {
		if (strncasecmp(v + i, tok, tl))
			continue;
		if ((i == 0 || v[i - 1] == ' ' || v[i - 1] == ',' || v[i - 1] == '\t') &&
		    (i + tl == n || v[i + tl] == ' ' || v[i + tl] == ',' || v[i + tl] == '\t' || v[i + tl] == '\r'))
			return 1;
	}
	return 0;
}

/* The header block [p, p+n) ends with CRLF CRLF. Returns -1 if it is not HTTP/1.x. */
static int parse_head(struct thread *t, struct conn *c, const char *p, size_t n)
{
	struct http_state *h = &c->ps.http;
	const char *end = p + n, *line;
	int keepalive, chunked = 0, have_cl = 0;
	uint64_t cl = 0;

	if (n < 16 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
	    p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
		return -1;
	h->status = (uint16_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
	keepalive = p[7] == '1';
	line = memchr(p, '\n', n) + 1;
	while (line < end) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		const char *colon, *v;
		size_t nl, vl;

		if (!eol || eol == line || eol[-1] != '\r')
			return -1;
		if (eol == line + 1)
			break; /* the empty line */
		colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon)
			return -1;
		nl = (size_t)(colon - line);
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		vl = (size_t)(eol - 1 - v);
		if (nl == 14 && !strncasecmp(line, "content-length", 14)) {
			cl = 0;
			if (!vl)
				return -1;
			for (size_t i = 0; i < vl; i++) {
				if (v[i] == ' ' || v[i] == '\t')
					break;
				if (v[i] < '0' || v[i] > '9' || cl > (UINT64_MAX - 9) / 10)
					return -1;
				cl = cl * 10 + (uint64_t)(v[i] - '0');
			}
			have_cl = 1;
		} else if (nl == 17 && !strncasecmp(line, "transfer-encoding", 17)) {
			chunked = has_token(v, vl, "chunked");
		} else if (nl == 10 && !strncasecmp(line, "connection", 10)) {
			if (has_token(v, vl, "close"))
				keepalive = 0;
			else if (has_token(v, vl, "keep-alive"))
				keepalive = 1;
		}
		line = eol + 1;
	}
	h->close_after = !keepalive;
	h->off = 0;
	h->verdict = V_OK;
	if (t->phase != PHASE_PROBE && h->status != t->plan->expect_status)
		h->verdict = V_STATUS;
	if (h->status < 200) {
		h->st = H_HDR; /* informational: the real response follows */
		return 1;
	}
	if (h->status == 204 || h->status == 304) {
		h->st = H_BODY;
		h->remain = 0;
	} else if (chunked) {
		h->st = H_CHUNK_SIZE;
	} else if (have_cl) {
		h->st = H_BODY;
		h->remain = cl;
	} else {
		h->st = H_UNTIL_CLOSE;
		h->close_after = 1;
	}
	return 0;
}

static size_t http_parse(struct thread *t, struct conn *c, char *buf, size_t n, uint64_t now)
{
	struct http_state *h = &c->ps.http;
	size_t i = 0;

	while (i < n) {
		switch (h->st) {
		case H_HDR: {
			const char *e;
			int r;

			if (!conn_awaiting(c)) {
				c->broken = 1; /* bytes nobody asked for */
				return i;
			}
			e = memmem(buf + i, n - i, "\r\n\r\n", 4);
			if (!e)
				return i;
			r = parse_head(t, c, buf + i, (size_t)(e + 4 - (buf + i)));
			if (r < 0) {
				c->broken = 1;
				return i;
			}
			i = (size_t)(e + 4 - buf);
			if (r == 0 && h->st == H_BODY && h->remain == 0)
				finish(t, c, now);
			break;
		}
		case H_BODY:
			i += body_bytes(t, c, buf + i, n - i);
			if (!h->remain)
				finish(t, c, now);
			break;
		case H_UNTIL_CLOSE:
			h->remain = n - i;
			i += body_bytes(t, c, buf + i, n - i);
			break;
		case H_CHUNK_SIZE:
		case H_TRAILER: {
			size_t len = proto_line(buf, i, n, &c->broken);
			const char *eol = buf + i + len - 1;
			uint64_t size = 0;
			size_t d = 0;

			if (!len)
				return i;
			if (h->st == H_TRAILER) {
				i += len;
				if (len == 2)
					finish(t, c, now);
				break;
			}
			for (const char *q = buf + i; q < eol - 1 && *q != ';'; q++, d++) {
				int x = *q >= '0' && *q <= '9' ? *q - '0' : (*q | 0x20) >= 'a' && (*q | 0x20) <= 'f' ? (*q | 0x20) - 'a' + 10 : -1;

				if (x < 0 || size >> 60) {
					c->broken = 1;
					return i;
				}
				size = size << 4 | (uint64_t)x;
			}
			if (!d) {
				c->broken = 1;
				return i;
			}
			i += len;
			h->remain = size;
			h->st = size ? H_CHUNK_DATA : H_TRAILER;
			break;
		}
		case H_CHUNK_DATA:
			i += body_bytes(t, c, buf + i, n - i);
			if (!h->remain)
				h->st = H_CHUNK_CRLF;
			break;
		case H_CHUNK_CRLF: {
			size_t k = proto_crlf(buf, i, n, &c->broken);

			if (!k)
				return i;
			i += k;
			h->st = H_CHUNK_SIZE;
			break;
		}
		}
		if (c->broken || c->close_after)
			return n; /* the rest of the stream is not trusted / not ours */
	}
	return i;
}

static int http_eof(struct thread *t, struct conn *c, uint64_t now)
{
	struct http_state *h = &c->ps.http;

	if (h->st == H_UNTIL_CLOSE) {
		finish(t, c, now);
		return 1;
	}
	if ((h->st == H_HDR && !c->carry_len) || !conn_awaiting(c))
		return 0;
	/* The connection ended inside a response: it is a mismatch, not a resend. */
	h->verdict = V_SHORT;
	h->off = t->plan->expect_len;
	if (t->phase == PHASE_PROBE)
		c->broken = 1;
	finish(t, c, now);
	return -1;
}

const struct proto proto_http = {
	.name = "http",
	.prepare = http_prepare,
	.emit = http_emit,
	.parse = http_parse,
	.eof = http_eof,
	.reset = http_reset,
};

int http_build_request(struct plan *p, const struct options *o)
{
	size_t cap = strlen(o->path) + strlen(o->host) + 128;
	int has_host = 0;
	char *b;
	size_t n;

	for (uint32_t i = 0; i < o->nheaders; i++) {
		cap += strlen(o->headers[i]) + 2;
		if (!strncasecmp(o->headers[i], "host:", 5))
			has_host = 1;
	}
	b = malloc(cap);
	if (!b)
		return -1;
	n = (size_t)snprintf(b, cap, "GET %s HTTP/1.1\r\n", o->path);
	if (!has_host) {
		const char *l = o->host_is_v6_literal ? "[" : "", *r = o->host_is_v6_literal ? "]" : "";

		if (!strcmp(o->port, "80"))
			n += (size_t)snprintf(b + n, cap - n, "Host: %s%s%s\r\n", l, o->host, r);
		else
			n += (size_t)snprintf(b + n, cap - n, "Host: %s%s%s:%s\r\n", l, o->host, r, o->port);
	}
	for (uint32_t i = 0; i < o->nheaders; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s\r\n", o->headers[i]);
	if (o->close)
		n += (size_t)snprintf(b + n, cap - n, "Connection: close\r\n");
	n += (size_t)snprintf(b + n, cap - n, "\r\n");
	p->request = b;
	p->request_len = n;
	return 0;
}

int http_probe(struct plan *p, char *err, size_t errlen)
{
	struct thread t;
	struct conn c;
	struct timeval tv = { .tv_sec = (time_t)(p->connect_timeout_ns / NS_PER_S),
			      .tv_usec = (suseconds_t)(p->connect_timeout_ns % NS_PER_S / 1000) };
	const size_t rsize = 65536;
	char *rbuf = malloc(rsize + CONN_CARRY_MAX);
	int fd = -1, rc = -1;
	size_t off = 0;

	memset(&t, 0, sizeof(t));
	t.plan = p;
	t.proto = &proto_http;
	t.phase = PHASE_PROBE;
	if (!rbuf || conn_alloc(&c, 1)) {
		snprintf(err, errlen, "out of memory");
		free(rbuf);
		return -1;
	}
	c.t = &t;
	fd = socket(p->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    connect(fd, (const struct sockaddr *)&p->addr, p->addrlen)) {
		snprintf(err, errlen, "cannot connect to %s:%s for the reference request: %s", p->o->host, p->o->port,
			 strerror(errno));
		goto out;
	}
	while (off < p->request_len) {
		ssize_t w = write(fd, p->request + off, p->request_len - off);

		if (w < 0) {
			snprintf(err, errlen, "sending the reference request: %s", strerror(errno));
			goto out;
		}
		off += (size_t)w;
	}
	c.tail = c.unsent = 1;
	t.inflight = 1;
	while (c.head == 0) {
		size_t have = c.carry_len, used;
		ssize_t n;

		memcpy(rbuf, c.carry, have);
		n = read(fd, rbuf + have, rsize);
		if (n < 0) {
			snprintf(err, errlen, "reading the reference response: %s",
				 errno == EAGAIN ? "no complete response within --timeout" : strerror(errno));
			goto out;
		}
		if (n == 0) {
			if (http_eof(&t, &c, clock_ns()) <= 0 || c.broken) {
				snprintf(err, errlen, "the server closed the connection before a complete reference response");
				goto out;
			}
			break;
		}
		used = http_parse(&t, &c, rbuf, have + (size_t)n, clock_ns());
		if (c.broken) {
			snprintf(err, errlen, "the reference response is not valid HTTP/1.x");
			goto out;
		}
		if (have + (size_t)n - used > CONN_CARRY_MAX) {
			snprintf(err, errlen, "the reference response's header is longer than %d bytes", CONN_CARRY_MAX);
			goto out;
		}
		memcpy(c.carry, rbuf + used, have + (size_t)n - used);
		c.carry_len = (uint32_t)(have + (size_t)n - used);
	}
	p->expect_body = t.capture ? t.capture : calloc(1, 1);
	t.capture = NULL;
	p->expect_len = t.capture_len;
	if (!p->o->expect_status)
		p->expect_status = t.capture_status;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(t.capture);
	free(rbuf);
	conn_free(&c);
	return rc;
}
