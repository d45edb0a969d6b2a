/* SPDX-License-Identifier: MIT */
/* kv.c - key names, value pool and the value check (see kv.h). */
#include "kv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "rng.h"

static uint32_t digits(uint32_t n)
{
	uint32_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

int kv_init(struct kv *kv, const char *prefix, uint32_t nkeys, uint32_t key_size, uint32_t value_size,
	    double get_fraction, uint32_t nconns, uint64_t seed, char *err, size_t errlen)
{
	struct rng r;
	size_t plen = strlen(prefix);

	memset(kv, 0, sizeof(*kv));
	if (plen + digits(nkeys - 1) > key_size) {
		snprintf(err, errlen, "--key-size %u is too short for the prefix \"%s\" and %u-digit key indexes (need %zu)",
			 key_size, prefix, digits(nkeys - 1), plen + digits(nkeys - 1));
		return -1;
	}
	kv->prefix = prefix;
	kv->prefix_len = (uint32_t)plen;
	kv->nkeys = nkeys;
	kv->key_size = key_size;
	kv->value_size = value_size;
	kv->nconns = nconns;
	kv->get_threshold = get_fraction >= 1.0 ? (1ull << 32) : (uint64_t)(get_fraction * 4294967296.0);
	kv->pool = malloc(value_size + KV_POOL_SPAN);
	kv->versions = calloc(nkeys, sizeof(*kv->versions));
	if (!kv->pool || !kv->versions) {
		snprintf(err, errlen, "out of memory for %u keys of %u-byte values", nkeys, value_size);
		kv_free(kv);
		return -1;
	}
	/* Printable random bytes: wire dumps stay readable; the protocols are length-prefixed anyway. */
	rng_seed(&r, seed, 0x706f6f6cu);
	for (size_t i = 0; i < value_size + KV_POOL_SPAN; i++)
		kv->pool[i] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"[rng_next(&r) >> 58];
	return 0;
}

void kv_free(struct kv *kv)
{
	free(kv->pool);
	free(kv->versions);
	kv->pool = NULL;
	kv->versions = NULL;
}

void kv_key(const struct kv *kv, uint32_t k, char *out)
{
	memcpy(out, kv->prefix, kv->prefix_len);
	for (uint32_t i = kv->key_size; i > kv->prefix_len; i--) {
		out[i - 1] = (char)('0' + k % 10);
		k /= 10;
	}
}

void kv_stamp(uint32_t k, uint32_t v, char out[KV_STAMP])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 7; i >= 0; i--) {
		out[i] = hex[k & 15];
		out[8 + i] = hex[v & 15];
		k >>= 4;
		v >>= 4;
	}
}

enum verdict kv_check(const struct kv *kv, uint32_t k, uint32_t v, size_t off, const char *data, size_t n)
{
	enum verdict verdict = V_OK;

	if (off + n > kv->value_size)
		return V_LENGTH;
	if (off < KV_STAMP) {
		char stamp[KV_STAMP];
		size_t m = KV_STAMP - off < n ? KV_STAMP - off : n;

		kv_stamp(k, v, stamp);
		for (size_t i = 0; i < m; i++) {
			if (data[i] == stamp[off + i])
				continue;
			if (off + i < 8)
				return V_VALUE;
			verdict = V_STALE;
		}
		/* Another version's bytes come from another pool offset: the stamp says it all. */
		if (verdict == V_STALE)
			return V_STALE;
		off += m;
		data += m;
		n -= m;
	}
	if (n && memcmp(data, kv->pool + kv_pool_off(k, v) + (off - KV_STAMP), n))
		return V_VALUE;
	return verdict;
}

static char *put(char *at, const struct kv_text *txt)
{
	memcpy(at, txt->s, txt->n);
	return at + txt->n;
}

void kv_prepare(struct thread *t, struct conn *c, struct req *r)
{
	const struct kv *kv = &t->plan->kv;
	uint32_t j, k;
	char *at = r->hdr;

	if (t->phase == PHASE_POPULATE) {
		j = c->populated++;
		r->op = OP_SET;
	} else {
		j = rng_below(&t->rng, c->owned);
		r->op = (rng_next(&t->rng) >> 32) < kv->get_threshold ? OP_GET : OP_SET;
	}
	k = c->id + j * kv->nconns;
	r->key = k;
	if (r->op == OP_SET) {
		/* The server runs this connection's commands in order: later GETs see this version. */
		r->version = ++kv->versions[k];
		at = put(at, &kv->set_pre);
		kv_key(kv, k, at);
		at = put(at + kv->key_size, &kv->set_mid);
		kv_stamp(k, r->version, at);
		at += KV_STAMP;
	} else {
		r->version = kv->versions[k];
		at = put(at, &kv->get_pre);
		kv_key(kv, k, at);
		at = put(at + kv->key_size, &kv->get_post);
	}
	r->hdr_len = (uint16_t)(at - r->hdr);
}

int kv_emit(const struct plan *p, const struct req *r, struct iovec *iov)
{
	const struct kv *kv = &p->kv;
	int n = 0;

	iov[n].iov_base = (void *)r->hdr;
	iov[n++].iov_len = r->hdr_len;
	if (r->op == OP_SET) {
		if (kv->value_size > KV_STAMP) {
			iov[n].iov_base = kv->pool + kv_pool_off(r->key, r->version);
			iov[n++].iov_len = kv->value_size - KV_STAMP;
		}
		iov[n].iov_base = (void *)"\r\n";
		iov[n++].iov_len = 2;
	}
	return n;
}

size_t kv_value_bytes(const struct kv *kv, struct kv_state *s, const struct req *r, const char *d, size_t avail)
{
	size_t n = proto_take(s->remain, avail);

	if (s->verdict == V_OK)
		s->verdict = (uint8_t)kv_check(kv, r->key, r->version, s->off, d, n);
	s->off += n;
	s->remain -= n;
	return n;
}
