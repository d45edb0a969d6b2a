/* SPDX-License-Identifier: MIT */
/* unit_kv.c - the key/value workload and the redis and memcached parsers: keys partitioned by
 * connection, versions, command bytes, and each kind of wrong reply (flipped byte, stale version,
 * miss, wrong length, wrong key, error) recognised whatever the chunking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "harness.h"
#include "unit.h"

enum { NKEYS = 100, KEY = 16, VAL = 40, NCONNS = 4 };

static void setup(const struct proto *proto)
{
	char err[256];

	kv_free(&H_P.kv);
	h_setup(proto);
	H_O.seed = 7;
	if (kv_init(&H_P.kv, "saio:", NKEYS, KEY, VAL, 0.5, NCONNS, 7, err, sizeof(err)))
		fprintf(stderr, "kv_init: %s\n", err);
	if (proto == &proto_redis)
		redis_kv_framing(&H_P.kv);
	else
		memcached_kv_framing(&H_P.kv);
	rng_seed(&H_T.rng, 1, 2);
}

/* The value of (k, v) as a server would return it. */
static void value_of(uint32_t k, uint32_t v, char *out)
{
	kv_stamp(k, v, out);
	memcpy(out + KV_STAMP, H_P.kv.pool + kv_pool_off(k, v), VAL - KV_STAMP);
}

static size_t joined(const struct req *r, char *out)
{
	struct iovec iov[PROTO_MAX_IOV];
	int n = H_T.proto->emit(&H_P, r, iov);
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	out[len] = 0;
	return len;
}

static void test_keys_and_values(void)
{
	char key[KEY + 1] = { 0 }, a[VAL], b[VAL], err[256];
	struct kv kv;

	setup(&proto_redis);
	kv_key(&H_P.kv, 42, key);
	CHECK(!strcmp(key, "saio:00000000042"));
	CHECK(kv_owned(&H_P.kv, 0) == 25 && kv_owned(&H_P.kv, 3) == 25);
	value_of(42, 7, a);
	value_of(42, 8, b);
	CHECK(!memcmp(a, "0000002a00000007", KV_STAMP));
	CHECK(kv_check(&H_P.kv, 42, 7, 0, a, VAL) == V_OK);
	CHECK(kv_check(&H_P.kv, 42, 7, 0, b, VAL) == V_STALE);
	CHECK(kv_check(&H_P.kv, 43, 7, 0, a, VAL) == V_VALUE);
	CHECK(kv_check(&H_P.kv, 42, 7, 10, a + 10, 20) == V_OK);	/* a chunk in the middle */
	CHECK(kv_check(&H_P.kv, 42, 7, 20, b + 20, 20) == V_VALUE);	/* stale, seen past the stamp */
	a[VAL - 1] ^= 1;
	CHECK(kv_check(&H_P.kv, 42, 7, 0, a, VAL) == V_VALUE);
	CHECK(kv_check(&H_P.kv, 42, 7, 30, a, 20) == V_LENGTH);
	CHECK(kv_init(&kv, "a-long-prefix:", 1000, 16, 32, 1, 1, 1, err, sizeof(err)) < 0 && strstr(err, "--key-size"));
}

static void test_prepare(void)
{
	uint32_t gets = 0, sets = 0, last[NKEYS] = { 0 };
	char out[512], want[512], val[VAL];
	int bad = 0;

	setup(&proto_redis);
	H_C.id = 1;
	H_C.owned = kv_owned(&H_P.kv, 1);
	for (int i = 0; i < 20000; i++) {
		struct req *r = &H_C.slots[0];

		kv_prepare(&H_T, &H_C, r);
		bad |= r->key % NCONNS != 1 || r->key >= NKEYS;
		if (r->op == OP_SET) {
			sets++;
			bad |= r->version != ++last[r->key];
		} else {
			gets++;
			bad |= r->version != last[r->key];
		}
		if (i == 0 || i == 1) {
			size_t n = joined(r, out), m;

			if (r->op == OP_GET) {
				m = (size_t)sprintf(want, "*2\r\n$3\r\nGET\r\n$16\r\nsaio:%011u\r\n", r->key);
			} else {
				value_of(r->key, r->version, val);
				m = (size_t)sprintf(want, "*3\r\n$3\r\nSET\r\n$16\r\nsaio:%011u\r\n$40\r\n", r->key);
				memcpy(want + m, val, VAL);
				m += VAL;
				memcpy(want + m, "\r\n", 2);
				m += 2;
			}
			CHECKF(n == m && !memcmp(out, want, n), "command %d: %s", i, out);
		}
	}
	CHECK(!bad);
	CHECKF(gets > 9500 && gets < 10500, "%u GETs of 20000 at get_fraction 0.5", gets);
	(void)sets;
	/* memcached framing */
	setup(&proto_memcached);
	H_C.id = 2;
	H_C.owned = kv_owned(&H_P.kv, 2);
	H_T.phase = PHASE_POPULATE;
	kv_prepare(&H_T, &H_C, &H_C.slots[0]);
	CHECK(H_C.slots[0].op == OP_SET && H_C.slots[0].key == 2 && H_C.slots[0].version == 1);
	joined(&H_C.slots[0], out);
	value_of(2, 1, val);
	CHECK(!strncmp(out, "set saio:00000000002 0 0 40\r\n", 29) && !memcmp(out + 29, val, VAL) && !strcmp(out + 29 + VAL, "\r\n"));
	kv_prepare(&H_T, &H_C, &H_C.slots[0]);
	CHECK(H_C.slots[0].key == 6); /* populate walks the connection's keys in order */
}

struct reply {
	uint8_t op;
	uint32_t key, version;
};

/* Runs @n replies of @stream for the requests @reqs in every chunking. */
static void check(const struct proto *proto, const char *name, const char *stream, size_t n, const struct reply *reqs,
		  int nreq, int feed_rc, const uint64_t want[V_COUNT])
{
	for (size_t chunk = 0; chunk <= n; chunk += (chunk < 3 ? 1 : 5)) {
		setup(proto);
		for (int i = 0; i < nreq; i++)
			h_push(reqs[i].op, reqs[i].key, reqs[i].version);
		CHECKF(h_feed(stream, n, chunk) == feed_rc, "%s, chunk %zu", name, chunk);
		for (int v = 0; v < V_COUNT; v++)
			CHECKF(h_count((enum verdict)v) == want[v], "%s, chunk %zu: %s %llu, expected %llu", name, chunk,
			       verdict_name[v], (unsigned long long)h_count((enum verdict)v), (unsigned long long)want[v]);
		if (unit_failed_now)
			return;
	}
}

static char s[8192];

static size_t bulk(char *at, uint32_t k, uint32_t v, int flip)
{
	size_t n = (size_t)sprintf(at, "$%d\r\n", VAL);

	value_of(k, v, at + n);
	if (flip)
		at[n + flip] ^= 1;
	n += VAL;
	memcpy(at + n, "\r\n", 2);
	return n + 2;
}

static void test_redis(void)
{
	const struct reply reqs[] = {
		{ OP_GET, 5, 3 }, { OP_SET, 9, 4 }, { OP_GET, 9, 4 }, { OP_GET, 13, 1 }, { OP_GET, 17, 2 },
		{ OP_GET, 21, 2 }, { OP_SET, 25, 1 }, { OP_GET, 29, 6 },
	};
	size_t n = 0;

	n += bulk(s + n, 5, 3, 0);			/* ok */
	n += (size_t)sprintf(s + n, "+OK\r\n");	/* ok */
	n += bulk(s + n, 9, 3, 0);			/* stale: the version before the SET */
	n += (size_t)sprintf(s + n, "$-1\r\n");	/* missing */
	n += bulk(s + n, 17, 2, 30);			/* a byte flipped */
	n += (size_t)sprintf(s + n, "$3\r\nabc\r\n");	/* wrong length */
	n += (size_t)sprintf(s + n, "-ERR out of memory\r\n");
	n += bulk(s + n, 29, 6, 0);			/* ok */
	check(&proto_redis, "redis replies", s, n, reqs, 8, 0,
	      (uint64_t[V_COUNT]){ [V_OK] = 3, [V_STALE] = 1, [V_MISSING] = 1, [V_VALUE] = 1, [V_LENGTH] = 1, [V_SERVER] = 1 });
	/* never-set key: nil is right */
	check(&proto_redis, "nil for version 0", "$-1\r\n", 5, (const struct reply[]){ { OP_GET, 1, 0 } }, 1, 0,
	      (uint64_t[V_COUNT]){ [V_OK] = 1 });
	check(&proto_redis, "array reply", "*1\r\n$1\r\na\r\n", 11, (const struct reply[]){ { OP_GET, 1, 1 } }, 1, -1,
	      (uint64_t[V_COUNT]){ 0 });
	check(&proto_redis, "bad length", "$x\r\n", 4, (const struct reply[]){ { OP_GET, 1, 1 } }, 1, -1, (uint64_t[V_COUNT]){ 0 });
	check(&proto_redis, "unsolicited", "+OK\r\n", 5, NULL, 0, -1, (uint64_t[V_COUNT]){ 0 });
	/* the connection ends inside a bulk string */
	setup(&proto_redis);
	h_push(OP_GET, 5, 3);
	n = bulk(s, 5, 3, 0);
	CHECK(h_feed(s, n - 5, 0) == 0 && h_eof() == -1 && h_count(V_SHORT) == 1);
}

static size_t mc_value(char *at, const char *key, uint32_t k, uint32_t v, int flip)
{
	size_t n = (size_t)sprintf(at, "VALUE %s 0 %d\r\n", key, VAL);

	value_of(k, v, at + n);
	if (flip)
		at[n + flip] ^= 1;
	n += VAL;
	return n + (size_t)sprintf(at + n, "\r\nEND\r\n");
}

static void test_memcached(void)
{
	const struct reply reqs[] = {
		{ OP_GET, 5, 3 }, { OP_SET, 9, 4 }, { OP_GET, 9, 4 }, { OP_GET, 13, 1 }, { OP_GET, 17, 2 },
		{ OP_GET, 21, 2 }, { OP_SET, 25, 1 }, { OP_GET, 29, 6 }, { OP_SET, 33, 1 },
	};
	size_t n = 0;

	n += mc_value(s + n, "saio:00000000005", 5, 3, 0);		/* ok */
	n += (size_t)sprintf(s + n, "STORED\r\n");			/* ok */
	n += mc_value(s + n, "saio:00000000009", 9, 3, 0);		/* stale */
	n += (size_t)sprintf(s + n, "END\r\n");				/* missing */
	n += mc_value(s + n, "saio:00000000017", 17, 2, 39);		/* flipped */
	n += mc_value(s + n, "saio:00000000099", 21, 2, 0);		/* another key */
	n += (size_t)sprintf(s + n, "SERVER_ERROR out of memory storing object\r\n");
	n += mc_value(s + n, "saio:00000000029", 29, 6, 0);		/* ok */
	n += (size_t)sprintf(s + n, "NOT_STORED\r\n");			/* a set refused */
	check(&proto_memcached, "memcached replies", s, n, reqs, 9, 0,
	      (uint64_t[V_COUNT]){ [V_OK] = 3, [V_STALE] = 1, [V_MISSING] = 1, [V_VALUE] = 2, [V_KEY] = 1, [V_SERVER] = 1 });
	check(&proto_memcached, "garbage", "HELLO\r\n", 7, (const struct reply[]){ { OP_GET, 1, 1 } }, 1, -1,
	      (uint64_t[V_COUNT]){ 0 });
	check(&proto_memcached, "STORED to a get", "STORED\r\n", 8, (const struct reply[]){ { OP_GET, 1, 1 } }, 1, -1,
	      (uint64_t[V_COUNT]){ 0 });
	setup(&proto_memcached);
	h_push(OP_GET, 5, 3);
	n = mc_value(s, "saio:00000000005", 5, 3, 0);
	CHECK(h_feed(s, n - 5, 0) == 0 && h_eof() == -1 && h_count(V_SHORT) == 1); /* END never came */
}

int main(void)
{
	TEST("kv: key names, ownership by connection, value stamp, kv_check verdicts", test_keys_and_values());
	TEST("kv: prepare keeps to the connection's keys, SET bumps the version, exact RESP/text commands", test_prepare());
	TEST("redis: ok, stale, missing, flipped, wrong length, -ERR, in any chunking; bad replies break", test_redis());
	TEST("memcached: ok, stale, miss, flipped, other key, SERVER_ERROR, NOT_STORED; bad replies break", test_memcached());
	return unit_failures != 0;
}
