/* SPDX-License-Identifier: MIT */
/* hist.c - histogram bucket bounds, merge and percentiles (format: native/README.md). */
#include "hist.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json.h"

const uint32_t hist_pct[HIST_NPCT] = { 5000, 9000, 9900, 9990, 9999 };
const char *const hist_pct_name[HIST_NPCT] = { "p50", "p90", "p99", "p999", "p9999" };

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t hist_lowest(uint32_t index)
{
	uint32_t k, shift;
	uint64_t m;

	if (index < HIST_SUB_COUNT)
		return index;
	k = index - HIST_SUB_COUNT;
	shift = k / HIST_HALF + 1;
	m = HIST_HALF + k % HIST_HALF;
	return m << shift;
}

uint64_t hist_highest(uint32_t index)
{
	return hist_lowest(index + 1) - 1; /* buckets are contiguous (the formula holds past the end) */
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (uint32_t i = 0; i < HIST_SLOTS; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	dst->overflow += src->overflow;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

/* ceil(n * pp / 10000) without overflow: n = q*10000 + rem. */
static uint64_t rank_of(uint64_t n, uint32_t pp)
{
	uint64_t q = n / 10000, rem = n % 10000;
	uint64_t r = q * pp + (rem * pp + 9999) / 10000;

	return r ? r : 1;
}

uint64_t hist_value_at(const struct hist *h, uint32_t pp)
{
	uint64_t rank, sum = 0;

	if (!h->count)
		return 0;
	rank = rank_of(h->count, pp);
	for (uint32_t i = 0; i < HIST_SLOTS; i++) {
		sum += h->counts[i];
		if (sum >= rank) {
			uint64_t v = hist_highest(i);

			return v < h->max ? v : h->max;
		}
	}
	return h->max;
}

void hist_write_json(struct jw *w, const char *key, const struct hist *h)
{
	jw_obj(w, key);
	jw_u64(w, "count", h->count);
	if (h->count) {
		jw_u64(w, "min", h->min);
		jw_u64(w, "max", h->max);
	} else {
		jw_null(w, "min");
		jw_null(w, "max");
	}
	jw_u64(w, "overflow", h->overflow);
	jw_arr(w, "counts");
	for (uint32_t i = 0; i < HIST_SLOTS; i++) {
		if (!h->counts[i])
			continue;
		jw_pair(w, i, h->counts[i]);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static int get_u64(const struct jv *obj, const char *key, uint64_t *out, bool nullable, char *err, size_t errlen)
{
	const struct jv *v = jv_get(obj, key);

	if (v && v->type == JV_NULL && nullable)
		return 1;
	if (!v || v->type != JV_NUM || !v->is_uint) {
		snprintf(err, errlen, "histogram \"%s\" is missing or not a non-negative integer", key);
		return -1;
	}
	*out = v->u;
	return 0;
}

int hist_merge_json(struct hist *h, const struct jv *v, char *err, size_t errlen)
{
	const struct jv *counts = jv_get(v, "counts");
	uint64_t count, min = UINT64_MAX, max = 0, overflow, sum = 0;
	int rmin, rmax;

	if (!v || v->type != JV_OBJ) {
		snprintf(err, errlen, "histogram is not an object");
		return -1;
	}
	if (get_u64(v, "count", &count, false, err, errlen) || get_u64(v, "overflow", &overflow, false, err, errlen))
		return -1;
	rmin = get_u64(v, "min", &min, true, err, errlen);
	rmax = get_u64(v, "max", &max, true, err, errlen);
	if (rmin < 0 || rmax < 0)
		return -1;
	if (!counts || counts->type != JV_ARR) {
		snprintf(err, errlen, "histogram \"counts\" is missing or not an array");
		return -1;
	}
	for (size_t i = 0; i < counts->n; i++) {
		const struct jv *pair = counts->items[i];

		if (pair->type != JV_ARR || pair->n != 2 || !pair->items[0]->is_uint || !pair->items[1]->is_uint ||
		    pair->items[0]->u >= HIST_SLOTS) {
			snprintf(err, errlen, "histogram \"counts\"[%zu] is not [index < %u, count]", i, HIST_SLOTS);
			return -1;
		}
		sum += pair->items[1]->u;
	}
	if (sum != count) {
		snprintf(err, errlen, "histogram counts add up to %llu, but \"count\" is %llu",
			 (unsigned long long)sum, (unsigned long long)count);
		return -1;
	}
	if (count && (rmin || rmax)) {
		snprintf(err, errlen, "histogram with samples lacks \"min\" or \"max\"");
		return -1;
	}
	for (size_t i = 0; i < counts->n; i++)
		h->counts[counts->items[i]->items[0]->u] += counts->items[i]->items[1]->u;
	h->count += count;
	h->overflow += overflow;
	if (count && min < h->min)
		h->min = min;
	if (count && max > h->max)
		h->max = max;
	return 0;
}

void hist_write_percentiles(struct jw *w, const char *key, const struct hist *h)
{
	jw_obj(w, key);
	for (int i = 0; i < HIST_NPCT; i++) {
		if (h->count)
			jw_num(w, hist_pct_name[i], (double)hist_value_at(h, hist_pct[i]) / 1000.0, 3);
		else
			jw_null(w, hist_pct_name[i]);
	}
	if (h->count)
		jw_num(w, "max", (double)h->max / 1000.0, 3);
	else
		jw_null(w, "max");
	jw_obj_end(w);
}
