/* SPDX-License-Identifier: MIT */
/* redis.c - RESP replies to GET and SET, parsed incrementally: a SET must answer +OK, a GET the
 * bulk string of the version its connection last wrote (kv.h), compared as it streams in. */
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "kv.h"

enum { R_LINE, R_BULK, R_BULK_CRLF };

static void redis_reset(struct conn *c)
{
	memset(&c->ps.kv, 0, sizeof(c->ps.kv));
}

/* "$<n>\r\n" or ":<n>\r\n": the signed decimal after the type byte; -2 when malformed. */
static int64_t line_int(const char *p, size_t len)
{
	int64_t v = 0;
	int neg = 0;
	size_t i = 1;

	if (len < 4)
		return -2;
	if (p[1] == '-') {
		neg = 1;
		i = 2;
	}
	if (i >= len - 2)
		return -2;
	for (; i < len - 2; i++) {
		if (p[i] < '0' || p[i] > '9' || v > (INT64_MAX - 9) / 10)
			return -2;
		v = v * 10 + (p[i] - '0');
	}
	return neg ? (v == 1 ? -1 : -2) : v;
}

static size_t redis_parse(struct thread *t, struct conn *c, char *buf, size_t n, uint64_t now)
{
	struct kv_state *s = &c->ps.kv;
	const struct kv *kv = &t->plan->kv;
	size_t i = 0;

	while (i < n) {
		struct req *r;

		if (!conn_awaiting(c)) {
			c->broken = 1;
			return i;
		}
		r = conn_head(c);
		switch (s->st) {
		case R_LINE: {
			const char *line = buf + i;
			size_t len = proto_line(buf, i, n, &c->broken);
			int64_t v;

			if (!len)
				return i;
			i += len;
			switch (line[0]) {
			case '+':
				conn_complete(t, c, now, r->op == OP_SET && len == 5 && !memcmp(line, "+OK", 3) ? V_OK : V_VALUE);
				break;
			case '-':
				conn_complete(t, c, now, V_SERVER);
				break;
			case ':':
				conn_complete(t, c, now, V_VALUE);
				break;
			case '$':
				v = line_int(line, len);
				if (v == -2) {
					c->broken = 1;
					return i - len;
				}
				if (v == -1) {
					conn_complete(t, c, now, r->op != OP_GET ? V_VALUE : r->version ? V_MISSING : V_OK);
					break;
				}
				s->remain = (uint64_t)v;
				s->off = 0;
				s->verdict = r->op != OP_GET ? V_VALUE : r->version == 0 ? V_MISSING :
					     (uint64_t)v != kv->value_size ? V_LENGTH : V_OK;
				s->st = s->remain ? R_BULK : R_BULK_CRLF;
				break;
			default:
				/* arrays and RESP3 types are never replies to GET/SET */
				c->broken = 1;
				return i - len;
			}
			break;
		}
		case R_BULK:
			i += kv_value_bytes(kv, s, r, buf + i, n - i);
			if (!s->remain)
				s->st = R_BULK_CRLF;
			break;
		case R_BULK_CRLF: {
			size_t k = proto_crlf(buf, i, n, &c->broken);

			if (!k)
				return i;
			i += k;
			s->st = R_LINE;
			conn_complete(t, c, now, (enum verdict)s->verdict);
			break;
		}
		}
	}
	return i;
}

static int redis_eof(struct thread *t, struct conn *c, uint64_t now)
{
	if ((c->ps.kv.st == R_LINE && !c->carry_len) || !conn_awaiting(c))
		return 0;
	redis_reset(c);
	conn_complete(t, c, now, V_SHORT);
	return -1;
}

/* RESP framing: *2 $3 GET $<ks> key / *3 $3 SET $<ks> key $<vs> value. */
void redis_kv_framing(struct kv *kv)
{
	kv->get_pre.n = (uint32_t)snprintf(kv->get_pre.s, sizeof(kv->get_pre.s), "*2\r\n$3\r\nGET\r\n$%u\r\n", kv->key_size);
	kv->get_post.n = (uint32_t)snprintf(kv->get_post.s, sizeof(kv->get_post.s), "\r\n");
	kv->set_pre.n = (uint32_t)snprintf(kv->set_pre.s, sizeof(kv->set_pre.s), "*3\r\n$3\r\nSET\r\n$%u\r\n", kv->key_size);
	kv->set_mid.n = (uint32_t)snprintf(kv->set_mid.s, sizeof(kv->set_mid.s), "\r\n$%u\r\n", kv->value_size);
}

const struct proto proto_redis = {
	.name = "redis",
	.prepare = kv_prepare,
	.emit = kv_emit,
	.parse = redis_parse,
	.eof = redis_eof,
	.reset = redis_reset,
};
