/* SPDX-License-Identifier: MIT */
/* unit_hist.c - the histogram: bucket bounds, precision, percentiles against exact order
 * statistics, merge exactness (in memory and through the JSON format), overflow. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "json.h"
#include "rng.h"
#include "unit.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Log-uniform values from 1 µs to 100 s: every decade of the range equally. */
static uint64_t sample(struct rng *r)
{
	return (uint64_t)exp(log(1e3) + rng_unit(r) * (log(1e11) - log(1e3)));
}

static uint64_t exact_rank(uint64_t n, uint32_t pp)
{
	/* ceil(n * pp / 10000) in 128 bits: the reference the hist.c formula must equal */
	unsigned __int128 x = (unsigned __int128)n * pp;
	uint64_t r = (uint64_t)((x + 9999) / 10000);

	return r ? r : 1;
}

static struct hist *new_hist(void)
{
	struct hist *h = malloc(sizeof(*h));

	hist_init(h);
	return h;
}

static void test_bounds(void)
{
	CHECK(hist_index(HIST_HIGHEST) + 1 == HIST_SLOTS);
	for (uint32_t i = 0; i < HIST_SLOTS; i++) {
		uint64_t lo = hist_lowest(i), hi = hist_highest(i);

		CHECKF(hist_index(lo) == i && hist_index(hi) == i, "bucket %u [%llu, %llu]", i,
		       (unsigned long long)lo, (unsigned long long)hi);
		if (i + 1 < HIST_SLOTS)
			CHECKF(hist_lowest(i + 1) == hi + 1, "gap after bucket %u", i);
		/* width at most 1/1024 of the bucket's lowest value: better than 3 significant digits */
		if (i >= HIST_SUB_COUNT)
			CHECKF((hi - lo + 1) * 1024 <= lo, "bucket %u too wide", i);
		if (unit_failed_now)
			return;
	}
	/* the README's formula, spelled out, for a few values */
	CHECK(hist_index(2047) == 2047);
	CHECK(hist_index(2048) == 2048);		/* msb 11, shift 1, m 1024 */
	CHECK(hist_index(4096) == 2048 + 1024);		/* shift 2 */
	CHECK(hist_lowest(2049) == 2050 && hist_highest(2049) == 2051);
}

static void test_precision(void)
{
	struct rng r;

	rng_seed(&r, 1, 0);
	for (int i = 0; i < 1000000; i++) {
		uint64_t v = sample(&r), hi = hist_highest(hist_index(v));

		CHECKF(hi >= v && (double)(hi - v) / (double)v < 1e-3, "v %llu reported as %llu", (unsigned long long)v,
		       (unsigned long long)hi);
		if (unit_failed_now)
			return;
	}
}

static void test_percentiles(void)
{
	static const uint64_t sizes[] = { 1, 2, 3, 7, 100, 9999, 10000, 10001, 123457 };
	struct rng r;

	rng_seed(&r, 2, 0);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t n = sizes[s], *v = malloc(n * sizeof(*v));
		struct hist *h = new_hist();

		for (uint64_t i = 0; i < n; i++) {
			v[i] = sample(&r);
			hist_record(h, v[i]);
		}
		qsort(v, n, sizeof(*v), cmp_u64);
		CHECK(h->count == n && h->min == v[0] && h->max == v[n - 1]);
		for (int k = 0; k < HIST_NPCT; k++) {
			uint64_t exact = v[exact_rank(n, hist_pct[k]) - 1], got = hist_value_at(h, hist_pct[k]);

			/* the bucket of the exact order statistic, reported by its highest value, capped at max */
			CHECKF(got >= exact && got <= hist_highest(hist_index(exact)) && got <= v[n - 1],
			       "n %llu %s: exact %llu got %llu", (unsigned long long)n, hist_pct_name[k],
			       (unsigned long long)exact, (unsigned long long)got);
		}
		free(v);
		free(h);
	}
	{
		struct hist *h = new_hist();

		CHECK(hist_value_at(h, 9900) == 0);
		hist_record(h, 5000);
		for (int k = 0; k < HIST_NPCT; k++)
			CHECK(hist_value_at(h, hist_pct[k]) == 5000); /* capped at the exact max */
		free(h);
	}
}

static struct hist *through_json(const struct hist *h)
{
	char *buf = NULL, err[128];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jw w;
	struct jv *doc;
	struct hist *out = new_hist();

	jw_init(&w, f);
	jw_obj(&w, NULL);
	hist_write_json(&w, "h", h);
	jw_obj_end(&w);
	jw_end(&w);
	fclose(f);
	doc = jv_parse(buf, err, sizeof(err));
	CHECKF(doc != NULL, "%s", err);
	if (doc)
		CHECKF(hist_merge_json(out, jv_get(doc, "h"), err, sizeof(err)) == 0, "%s", err);
	jv_free(doc);
	free(buf);
	return out;
}

static void test_merge(void)
{
	enum { K = 7, N = 200000 };
	struct hist *all = new_hist(), *merged = new_hist(), *via_json = new_hist(), *part[K];
	struct rng r;

	rng_seed(&r, 3, 0);
	for (int k = 0; k < K; k++)
		part[k] = new_hist();
	for (int i = 0; i < N; i++) {
		uint64_t v = sample(&r);

		if (i % 1000 == 0)
			v = HIST_HIGHEST * 3; /* some overflow too */
		hist_record(all, v);
		hist_record(part[rng_below(&r, K)], v);
	}
	for (int k = 0; k < K; k++) {
		struct hist *back = through_json(part[k]);

		CHECK(!memcmp(back, part[k], sizeof(*back)));
		hist_merge(merged, part[k]);
		hist_merge(via_json, back);
		free(back);
	}
	CHECK(!memcmp(merged, all, sizeof(*all)));
	CHECK(!memcmp(via_json, all, sizeof(*all)));
	CHECK(all->overflow == N / 1000 && all->max == HIST_HIGHEST * 3);
	for (int k = 0; k < HIST_NPCT; k++)
		CHECK(hist_value_at(merged, hist_pct[k]) == hist_value_at(all, hist_pct[k]));
	/* merging an empty histogram changes nothing, min of empty stays "none" */
	{
		struct hist *e = new_hist(), *e2 = through_json(e);

		hist_merge(merged, e);
		CHECK(!memcmp(merged, all, sizeof(*all)));
		CHECK(e2->count == 0 && e2->min == UINT64_MAX);
		free(e);
		free(e2);
	}
	for (int k = 0; k < K; k++)
		free(part[k]);
	free(all);
	free(merged);
	free(via_json);
}

static void test_bad_json(void)
{
	static const char *const bad[] = {
		"{\"count\": 2, \"min\": 1, \"max\": 1, \"overflow\": 0, \"counts\": [[1, 1]]}",	/* sum != count */
		"{\"count\": 1, \"min\": 1, \"max\": 1, \"overflow\": 0, \"counts\": [[28115, 1]]}",	/* index */
		"{\"count\": 1, \"min\": 1, \"max\": 1, \"overflow\": 0, \"counts\": [[1, -1]]}",
		"{\"count\": 1, \"min\": null, \"max\": 1, \"overflow\": 0, \"counts\": [[1, 1]]}",
		"{\"count\": 1, \"min\": 1, \"max\": 1, \"counts\": [[1, 1]]}",
		"[1, 2]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[128];
		struct jv *doc = jv_parse(bad[i], err, sizeof(err));
		struct hist *h = new_hist();

		CHECKF(doc && hist_merge_json(h, doc, err, sizeof(err)) < 0 && err[0], "accepted %s", bad[i]);
		CHECK(h->count == 0);
		jv_free(doc);
		free(h);
	}
}

int main(void)
{
	TEST("hist: buckets are contiguous, each at most 1/1024 wide, formula as documented", test_bounds());
	TEST("hist: any value 1 us..100 s reported within 0.1% (3 significant digits)", test_precision());
	TEST("hist: percentiles are the exact order statistic's bucket, capped at max", test_percentiles());
	TEST("hist: merge of parts (in memory and through JSON) equals the whole, exactly", test_merge());
	TEST("hist: malformed histogram JSON is refused with a message", test_bad_json());
	return unit_failures != 0;
}
