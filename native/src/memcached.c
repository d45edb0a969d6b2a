/* SPDX-License-Identifier: MIT */
/* memcached.c - the text protocol's replies to get and set, parsed incrementally: a set must answer
 * STORED, a get "VALUE <its key> <flags> <bytes>", the bytes of the version its connection last
 * wrote (kv.h) compared as they stream in, then END; a bare END is a miss. */
#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "kv.h"

enum { M_LINE, M_DATA, M_DATA_CRLF };

static void mc_reset(struct conn *c)
{
	memset(&c->ps.kv, 0, sizeof(c->ps.kv));
}

static int starts(const char *line, size_t len, const char *word)
{
	size_t l = strlen(word);

	return len >= l && !memcmp(line, word, l);
}

/* "VALUE <key> <flags> <bytes>[ <cas>]\r\n" for request @r: sets the data length and verdict. */
static int value_line(const struct kv *kv, struct kv_state *s, const struct req *r, const char *line, size_t len)
{
	const char *p = line + 6, *end = line + len - 2, *sp;
	char key[OPT_MAX_KEY];
	uint64_t bytes = 0;
	int fields = 0;

	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp)
		return -1;
	kv_key(kv, r->key, key);
	s->verdict = (size_t)(sp - p) != kv->key_size || memcmp(p, key, kv->key_size) ? V_KEY : V_OK;
	p = sp + 1;
	for (; p < end && fields < 2; fields++) { /* flags, then bytes */
		uint64_t x = 0;

		if (*p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9') {
			if (x > (UINT64_MAX - 9) / 10)
				return -1;
			x = x * 10 + (uint64_t)(*p++ - '0');
		}
		if (p < end && *p == ' ')
			p++;
		bytes = x;
	}
	if (fields != 2)
		return -1;
	if (s->verdict == V_OK && bytes != kv->value_size)
		s->verdict = V_LENGTH;
	if (s->verdict == V_OK && r->version == 0)
		s->verdict = V_VALUE; /* never set, yet found */
	s->remain = bytes;
	s->off = 0;
	return 0;
}

static size_t mc_parse(struct thread *t, struct conn *c, char *buf, size_t n, uint64_t now)
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
		case M_LINE: {
			const char *line = buf + i;
			size_t len = proto_line(buf, i, n, &c->broken);

			if (!len)
				return i;
			if (r->op == OP_GET && len == 5 && !memcmp(line, "END", 3)) {
				enum verdict v = s->has_value ? (enum verdict)s->verdict : r->version ? V_MISSING : V_OK;

				s->has_value = 0;
				i += len;
				conn_complete(t, c, now, v);
			} else if (r->op == OP_GET && !s->has_value && starts(line, len, "VALUE ")) {
				if (value_line(kv, s, r, line, len)) {
					c->broken = 1;
					return i;
				}
				i += len;
				s->has_value = 1;
				s->st = s->remain ? M_DATA : M_DATA_CRLF;
			} else if (r->op == OP_SET && len == 8 && !memcmp(line, "STORED", 6)) {
				i += len;
				conn_complete(t, c, now, V_OK);
			} else if (r->op == OP_SET && (starts(line, len, "NOT_STORED") || starts(line, len, "EXISTS") ||
						       starts(line, len, "NOT_FOUND"))) {
				i += len;
				conn_complete(t, c, now, V_VALUE);
			} else if (starts(line, len, "ERROR") || starts(line, len, "CLIENT_ERROR") ||
				   starts(line, len, "SERVER_ERROR")) {
				i += len;
				s->has_value = 0;
				conn_complete(t, c, now, V_SERVER);
			} else {
				c->broken = 1;
				return i;
			}
			break;
		}
		case M_DATA:
			i += kv_value_bytes(kv, s, r, buf + i, n - i);
			if (!s->remain)
				s->st = M_DATA_CRLF;
			break;
		case M_DATA_CRLF: {
			size_t k = proto_crlf(buf, i, n, &c->broken);

			if (!k)
				return i;
			i += k;
			s->st = M_LINE; /* END follows */
			break;
		}
		}
	}
	return i;
}

static int mc_eof(struct thread *t, struct conn *c, uint64_t now)
{
	if ((c->ps.kv.st == M_LINE && !c->ps.kv.has_value && !c->carry_len) || !conn_awaiting(c))
		return 0;
	mc_reset(c);
	conn_complete(t, c, now, V_SHORT);
	return -1;
}

/* get <key>\r\n / set <key> 0 0 <vs>\r\n<value>\r\n */
void memcached_kv_framing(struct kv *kv)
{
	kv->get_pre.n = (uint32_t)snprintf(kv->get_pre.s, sizeof(kv->get_pre.s), "get ");
	kv->get_post.n = (uint32_t)snprintf(kv->get_post.s, sizeof(kv->get_post.s), "\r\n");
	kv->set_pre.n = (uint32_t)snprintf(kv->set_pre.s, sizeof(kv->set_pre.s), "set ");
	kv->set_mid.n = (uint32_t)snprintf(kv->set_mid.s, sizeof(kv->set_mid.s), " 0 0 %u\r\n", kv->value_size);
}

const struct proto proto_memcached = {
	.name = "memcached",
	.prepare = kv_prepare,
	.emit = kv_emit,
	.parse = mc_parse,
	.eof = mc_eof,
	.reset = mc_reset,
};
