/* SPDX-License-Identifier: MIT */
/* proto.h - what a protocol provides to the connection machinery: fill a request slot, give its
 * bytes as iovecs (no copy of constant or pooled bytes), and parse responses incrementally,
 * checking each one as it streams in and completing it with conn_complete(). */
#ifndef SAIO_LOAD_PROTO_H
#define SAIO_LOAD_PROTO_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

struct thread;
struct conn;
struct req;
struct plan;

#define PROTO_MAX_IOV 3		/* iovecs per request at most */

struct proto {
	const char *name;
	/* Chooses the next request for slot @r of @c (operation, key, version) and builds its
	 * header bytes in the slot. */
	void (*prepare)(struct thread *t, struct conn *c, struct req *r);
	/* The request's bytes as iovecs; returns how many (<= PROTO_MAX_IOV). Called again when a
	 * request is resent on a new connection. */
	int (*emit)(const struct plan *p, const struct req *r, struct iovec *iov);
	/* Consumes @n bytes at @buf received at @now; returns how many it used: the rest is an
	 * incomplete line or header, handed back with more bytes next time. Sets c->broken on a
	 * protocol violation. */
	size_t (*parse)(struct thread *t, struct conn *c, char *buf, size_t n, uint64_t now);
	/* The peer closed the connection: 1 if that ended a response (it was completed), -1 if a
	 * response was cut short (completed as a V_SHORT mismatch), 0 if between responses. */
	int (*eof)(struct thread *t, struct conn *c, uint64_t now);
	/* A fresh connection: parser back to the start of a response. */
	void (*reset)(struct conn *c);
};

extern const struct proto proto_http, proto_redis, proto_memcached;

/* The CRLF-terminated line at @buf[@i..@n): its length with the CRLF, or 0 when it is not all
 * there yet. A line ending in a bare LF sets *@broken and returns 0. */
static inline size_t proto_line(const char *buf, size_t i, size_t n, uint8_t *broken)
{
	const char *eol = memchr(buf + i, '\n', n - i);

	if (!eol)
		return 0;
	if (eol == buf + i || eol[-1] != '\r') {
		*broken = 1;
		return 0;
	}
	return (size_t)(eol + 1 - (buf + i));
}

/* The CRLF that ends a counted block: 2 when there, 0 when not yet (or not a CRLF: *@broken). */
static inline size_t proto_crlf(const char *buf, size_t i, size_t n, uint8_t *broken)
{
	if (n - i < 2)
		return 0;
	if (buf[i] != '\r' || buf[i + 1] != '\n') {
		*broken = 1;
		return 0;
	}
	return 2;
}

/* How much of a counted block (@remain bytes still due) the @avail bytes at hand hold. */
static inline size_t proto_take(uint64_t remain, size_t avail)
{
	return avail < remain ? avail : (size_t)remain;
}

#endif
