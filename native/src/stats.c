/* SPDX-License-Identifier: MIT */
/* stats.c - counters and their merge. */
#include "stats.h"

#include <string.h>

const char *const verdict_name[V_COUNT] = {
	"ok", "status", "body", "length", "short", "value", "stale", "missing", "key", "server",
};
const char *const err_name[E_COUNT] = {
	"connect", "read", "write", "closed", "parse", "server", "timeout",
};

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
	hist_init(&s->latency);
	hist_init(&s->service);
	hist_init(&s->lag);
}

void stats_merge(struct stats *dst, const struct stats *src)
{
	dst->requests += src->requests;
	dst->verified += src->verified;
	for (int i = 0; i < V_COUNT; i++)
		dst->mismatch[i] += src->mismatch[i];
	for (int i = 0; i < E_COUNT; i++)
		dst->errors[i] += src->errors[i];
	dst->scheduled += src->scheduled;
	dst->unsent += src->unsent;
	dst->reconnects += src->reconnects;
	dst->bytes_sent += src->bytes_sent;
	dst->bytes_recv += src->bytes_recv;
	hist_merge(&dst->latency, &src->latency);
	hist_merge(&dst->service, &src->service);
	hist_merge(&dst->lag, &src->lag);
}

uint64_t stats_mismatched(const struct stats *s)
{
	uint64_t n = 0;

	for (int i = V_FIRST_MISMATCH; i <= V_LAST_MISMATCH; i++)
		n += s->mismatch[i];
	return n;
}

uint64_t stats_errors(const struct stats *s)
{
	uint64_t n = 0;

	for (int i = 0; i < E_COUNT; i++)
		n += s->errors[i];
	return n;
}
