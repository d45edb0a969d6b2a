/* SPDX-License-Identifier: MIT */
/* kv.h - the key/value workload shared by redis.c and memcached.c: key names, the partition of the
 * key space by connection, versions, and values that are random yet checked by one memcmp.
 *
 * Key k belongs to connection k mod C and only that connection reads or writes it, so per key the
 * server sees one ordered command stream: a GET must return the value of the last SET its own
 * connection sent before it (pipelined or not). The value of (k, version v) is "%08x%08x" of (k, v)
 * then value_size-16 bytes of a random pool from an offset hashed from (k, v). */
#ifndef SAIO_LOAD_KV_H
#define SAIO_LOAD_KV_H
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define KV_STAMP 16		/* hex key + hex version at the start of each value */
#define KV_POOL_SPAN 4096	/* power of two: offsets into the pool */

struct kv {
	const char *prefix;
	uint32_t prefix_len;
	uint32_t nkeys, key_size, value_size;
	uint32_t nconns;		/* C: key k belongs to connection k % C */
	uint64_t get_threshold;		/* a request is a GET when rng >> 32 < threshold (2^32 = always) */
	char *pool;			/* value_size + KV_POOL_SPAN random bytes */
	uint32_t *versions;		/* per key; written only by its owner's thread */
	/* Protocol framing around key and value, set by redis_kv_framing / memcached_kv_framing:
	 * GET = get_pre key get_post; SET = set_pre key set_mid stamp pool-slice "\r\n". */
	struct kv_text {
		char s[48];
		uint32_t n;
	} get_pre, get_post, set_pre, set_mid;
};

/* Returns -1 with @err when the sizes do not fit (key too short for prefix + index, ...). */
int kv_init(struct kv *kv, const char *prefix, uint32_t nkeys, uint32_t key_size, uint32_t value_size,
	    double get_fraction, uint32_t nconns, uint64_t seed, char *err, size_t errlen);
void kv_free(struct kv *kv);

/* Writes key @k (key_size bytes, not terminated). */
void kv_key(const struct kv *kv, uint32_t k, char *out);

/* Keys connection @conn owns: k = conn + j*C for j < kv_owned(). */
static inline uint32_t kv_owned(const struct kv *kv, uint32_t conn)
{
	return conn < kv->nkeys ? (kv->nkeys - conn + kv->nconns - 1) / kv->nconns : 0;
}

static inline uint32_t kv_pool_off(uint32_t k, uint32_t v)
{
	uint32_t h = k * 0x9e3779b1u ^ (v + 0x7f4a7c15u) * 0x85ebca77u;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h & (KV_POOL_SPAN - 1);
}

void kv_stamp(uint32_t k, uint32_t v, char out[KV_STAMP]);

/* Compares @n bytes received at offset @off of the value of (@k, @v): V_OK, V_VALUE or V_STALE
 * (a difference only in the version digits). */
enum verdict kv_check(const struct kv *kv, uint32_t k, uint32_t v, size_t off, const char *data, size_t n);

struct thread;
struct conn;
struct req;
struct plan;
struct iovec;
/* The protocols' prepare and emit for GET/SET: choose the operation and one of the connection's
 * own keys (or, while populating, its next key), bump the version of a SET, build the command. */
void kv_prepare(struct thread *t, struct conn *c, struct req *r);
int kv_emit(const struct plan *p, const struct req *r, struct iovec *iov);
void redis_kv_framing(struct kv *kv);
struct kv_state;
/* Value bytes at @d (@avail at hand, s->remain due) for request @r: checked unless the reply is
 * already known wrong. Returns how many it used. */
size_t kv_value_bytes(const struct kv *kv, struct kv_state *s, const struct req *r, const char *d, size_t avail);
void memcached_kv_framing(struct kv *kv);

#endif
