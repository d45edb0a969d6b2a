/* SPDX-License-Identifier: MIT */
/* unit_http.c - the HTTP response parser and checker, fed whole, split at every byte position and
 * one byte at a time: verdicts must not depend on how TCP cut the stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "http.h"
#include "unit.h"

static char body[300];

static void setup(void)
{
	h_setup(&proto_http);
	H_P.expect_status = 200;
	H_P.expect_body = body;
	H_P.expect_len = sizeof(body);
}

static size_t build(char *out, const char *status_line, const char *headers, const char *b, size_t blen)
{
	size_t n = (size_t)sprintf(out, "%s\r\n%s\r\n", status_line, headers);

	memcpy(out + n, b, blen);
	return n + blen;
}

struct expect {
	int nreq;		/* requests awaiting */
	int feed_rc;		/* h_feed's result */
	int eof;		/* call eof afterwards, expecting this result (99: don't) */
	uint64_t ok, v[V_COUNT];
	int close_after;
};

/* Runs @stream through a fresh connection in every chunking and checks the verdicts. */
static void check_stream(const char *name, const char *stream, size_t n, const struct expect *e)
{
	size_t chunkings[4 + 2048];
	size_t nchunk = 0;

	chunkings[nchunk++] = 0;
	chunkings[nchunk++] = 1;
	chunkings[nchunk++] = 7;
	for (size_t c = 2; c < n && nchunk < sizeof(chunkings) / sizeof(chunkings[0]); c += (n > 400 ? 13 : 1))
		chunkings[nchunk++] = c;
	for (size_t i = 0; i < nchunk; i++) {
		int rc;

		setup();
		for (int k = 0; k < e->nreq; k++)
			h_push(OP_HTTP, 0, 0);
		rc = h_feed(stream, n, chunkings[i]);
		CHECKF(rc == e->feed_rc, "%s, chunk %zu: feed returned %d", name, chunkings[i], rc);
		if (e->eof != 99)
			CHECKF(h_eof() == e->eof, "%s, chunk %zu: eof", name, chunkings[i]);
		CHECKF(h_count(V_OK) == e->ok, "%s, chunk %zu: verified %llu, expected %llu", name, chunkings[i],
		       (unsigned long long)h_count(V_OK), (unsigned long long)e->ok);
		for (int v = V_FIRST_MISMATCH; v <= V_LAST_MISMATCH; v++)
			CHECKF(h_count((enum verdict)v) == e->v[v], "%s, chunk %zu: %s %llu, expected %llu", name,
			       chunkings[i], verdict_name[v], (unsigned long long)h_count((enum verdict)v),
			       (unsigned long long)e->v[v]);
		if (e->close_after)
			CHECK(H_C.close_after);
		if (unit_failed_now)
			return;
	}
}

static char stream[1 << 16];

static void test_content_length(void)
{
	size_t n = build(stream, "HTTP/1.1 200 OK", "Server: t\r\ncontent-length:   300 \r\nX: y\r\n", body, 300);

	check_stream("200 + exact body", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .ok = 1 });
	stream[n - 150] ^= 1;
	check_stream("one byte flipped", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .v[V_BODY] = 1 });
	n = build(stream, "HTTP/1.1 404 Not Found", "Content-Length: 300\r\n", body, 300);
	check_stream("status 404", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .v[V_STATUS] = 1 });
	n = build(stream, "HTTP/1.1 200 OK", "Content-Length: 299\r\n", body, 299);
	check_stream("one byte short, honest length", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .v[V_LENGTH] = 1 });
	n = build(stream, "HTTP/1.1 200 OK", "Content-Length: 301\r\n", body, 300);
	memcpy(stream + n, "!", 1);
	check_stream("one byte longer", stream, n + 1, &(struct expect){ .nreq = 1, .eof = 0, .v[V_LENGTH] = 1 });
}

static void test_short(void)
{
	size_t n = build(stream, "HTTP/1.1 200 OK", "Content-Length: 300\r\n", body, 300);

	/* the connection ends 10 bytes before the end of the body */
	check_stream("cut inside the body", stream, n - 10, &(struct expect){ .nreq = 1, .eof = -1, .v[V_SHORT] = 1 });
	check_stream("cut inside the header", stream, 20, &(struct expect){ .nreq = 1, .eof = -1, .v[V_SHORT] = 1 });
	check_stream("closed before anything", stream, 0, &(struct expect){ .nreq = 1, .eof = 0 });
}

static void test_chunked(void)
{
	size_t n = (size_t)sprintf(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64;ext=1\r\n");

	memcpy(stream + n, body, 100);
	n += 100;
	n += (size_t)sprintf(stream + n, "\r\nC8\r\n");
	memcpy(stream + n, body + 100, 200);
	n += 200;
	n += (size_t)sprintf(stream + n, "\r\n0\r\nX-Trailer: 1\r\n\r\n");
	check_stream("chunked", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .ok = 1 });
	stream[n - 30] ^= 0x20;
	check_stream("chunked, byte flipped", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .v[V_BODY] = 1 });
	n = (size_t)sprintf(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n");
	memcpy(stream + n, body, 100);
	n += 100;
	n += (size_t)sprintf(stream + n, "\r\n0\r\n\r\n");
	check_stream("chunked, body too short", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .v[V_LENGTH] = 1 });
	memcpy(stream, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 52);
	check_stream("chunked, bad size", stream, 52, &(struct expect){ .nreq = 1, .feed_rc = -1, .eof = 99 });
}

static void test_pipelined(void)
{
	size_t n = 0;

	for (int i = 0; i < 5; i++) {
		n += build(stream + n, "HTTP/1.1 200 OK", "Content-Length: 300\r\n", body, 300);
		if (i == 1)
			stream[n - 1] ^= 1;
		if (i == 3)
			stream[n - 300] ^= 1;
	}
	check_stream("5 pipelined, 2 flipped", stream, n, &(struct expect){ .nreq = 5, .eof = 0, .ok = 3, .v[V_BODY] = 2 });
}

static void test_until_close_and_close(void)
{
	size_t n = build(stream, "HTTP/1.0 200 OK", "Server: old\r\n", body, 300);

	check_stream("body until close", stream, n, &(struct expect){ .nreq = 1, .eof = 1, .ok = 1 });
	n = build(stream, "HTTP/1.1 200 OK", "Content-Length: 300\r\nConnection: close\r\n", body, 300);
	check_stream("Connection: close", stream, n, &(struct expect){ .nreq = 2, .feed_rc = 1, .eof = 99, .ok = 1, .close_after = 1 });
	n = build(stream, "HTTP/1.0 200 OK", "Content-Length: 300\r\n", body, 300);
	check_stream("HTTP/1.0 closes", stream, n, &(struct expect){ .nreq = 1, .feed_rc = 1, .eof = 99, .ok = 1, .close_after = 1 });
	n = build(stream, "HTTP/1.0 200 OK", "Content-Length: 300\r\nConnection: keep-alive\r\n", body, 300);
	check_stream("HTTP/1.0 keep-alive", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .ok = 1 });
}

static void test_interim_and_empty(void)
{
	size_t n = (size_t)sprintf(stream, "HTTP/1.1 100 Continue\r\n\r\n");

	n += build(stream + n, "HTTP/1.1 200 OK", "Content-Length: 300\r\n", body, 300);
	check_stream("100 Continue first", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .ok = 1 });
	n = build(stream, "HTTP/1.1 204 No Content", "", "", 0);
	check_stream("204 where 200 + body expected", stream, n, &(struct expect){ .nreq = 1, .eof = 0, .v[V_STATUS] = 1 });
}

static void test_broken(void)
{
	static const char *const bad[] = {
		"XTTP/1.1 200 OK\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_stream(bad[i], bad[i], strlen(bad[i]), &(struct expect){ .nreq = 1, .feed_rc = -1, .eof = 99 });
	/* bytes nobody asked for */
	setup();
	CHECK(h_feed("HTTP/1.1 200 OK\r\n", 17, 0) == -1);
	/* a header larger than the carry buffer */
	setup();
	h_push(OP_HTTP, 0, 0);
	memset(stream, 'a', CONN_CARRY_MAX + 100);
	memcpy(stream, "HTTP/1.1 200 OK\r\nX: ", 20);
	CHECK(h_feed(stream, CONN_CARRY_MAX + 100, 4096) == -1);
}

static void test_request(void)
{
	struct options o;
	struct plan p;

	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	strcpy(o.host, "::1");
	o.host_is_v6_literal = true;
	strcpy(o.port, "8080");
	strcpy(o.path, "/a?b=c");
	o.headers[o.nheaders++] = "X-A: 1";
	o.close = true;
	CHECK(http_build_request(&p, &o) == 0);
	CHECKF(!strcmp(p.request, "GET /a?b=c HTTP/1.1\r\nHost: [::1]:8080\r\nX-A: 1\r\nConnection: close\r\n\r\n"), "%s", p.request);
	CHECK(p.request_len == strlen(p.request));
	free(p.request);
	o.headers[0] = "host: example";
	o.close = false;
	strcpy(o.port, "80");
	CHECK(http_build_request(&p, &o) == 0);
	CHECKF(!strcmp(p.request, "GET /a?b=c HTTP/1.1\r\nhost: example\r\n\r\n"), "%s", p.request);
	free(p.request);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (char)('a' + i % 26);
	TEST("http: Content-Length bodies: exact ok; flipped byte, status, length mismatches", test_content_length());
	TEST("http: a connection ending inside a response is a short mismatch", test_short());
	TEST("http: chunked bodies checked across chunks; bad size breaks", test_chunked());
	TEST("http: pipelined responses each checked", test_pipelined());
	TEST("http: body until close, Connection: close, HTTP/1.0", test_until_close_and_close());
	TEST("http: 100 Continue skipped; 204 where 200 expected", test_interim_and_empty());
	TEST("http: malformed responses, unsolicited bytes, oversized header break the connection", test_broken());
	TEST("http: request line, Host (IPv6, port, -H override), Connection: close", test_request());
	return unit_failures != 0;
}
