/* SPDX-License-Identifier: MIT */
/* unit_report.c - the bottleneck warnings at their thresholds, and the JSON document: every key
 * of the contract present with its type, histogram consistent with the counts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "json.h"
#include "report.h"
#include "unit.h"

static int kinds(const struct warn_in *in, const char *kind)
{
	struct warning w[WARN_MAX];
	int n = warnings_compute(in, w, WARN_MAX), found = 0;

	for (int i = 0; i < n; i++) {
		found += !strcmp(w[i].kind, kind);
		CHECK(w[i].message[0]);
	}
	return found;
}

static void test_warnings(void)
{
	double cpu_ok[2] = { 0.5, 0.9 }, cpu_hot[2] = { 0.2, 0.95 };
	struct warn_in in = {
		.open_loop = true, .offered_per_s = 1000, .achieved_per_s = 990, .scheduled = 10000,
		.completed = 9900, .lag_p99_ns = 1000000, .cpu_fraction = cpu_ok, .nthreads = 2,
	};

	CHECK(kinds(&in, "offered_not_achieved") == 0);	/* exactly 99% */
	CHECK(kinds(&in, "schedule_lag") == 0);			/* exactly 1 ms */
	CHECK(kinds(&in, "generator_cpu") == 0);		/* exactly 90% */
	in.completed = 9899;
	CHECK(kinds(&in, "offered_not_achieved") == 1);
	in.lag_p99_ns = 1000001;
	CHECK(kinds(&in, "schedule_lag") == 1);
	in.cpu_fraction = cpu_hot;
	CHECK(kinds(&in, "generator_cpu") == 1);
	in.open_loop = false; /* closed loop: no offered rate, no schedule */
	CHECK(kinds(&in, "offered_not_achieved") == 0 && kinds(&in, "schedule_lag") == 0 && kinds(&in, "generator_cpu") == 1);
	in.overflow = 3;
	CHECK(kinds(&in, "latency_overflow") == 1);
	in.reference_status = 404;
	CHECK(kinds(&in, "reference_status") == 1);
	in.reference_status = 200;
	CHECK(kinds(&in, "reference_status") == 0);
	/* poisson chance: fewer arrivals than R*d were scheduled, all answered: no warning */
	in.open_loop = true;
	in.offered_per_s = 1000;
	in.achieved_per_s = 950;
	in.scheduled = in.completed = 9500;
	CHECK(kinds(&in, "offered_not_achieved") == 0);
}

static const struct jv *need(const struct jv *doc, const char *key, enum jv_type t)
{
	const struct jv *v = jv_get(doc, key);

	CHECKF(v && v->type == t, "key \"%s\" %s", key, v ? "has another type" : "is missing");
	return v;
}

static void test_json(void)
{
	static struct options o;
	static struct plan p;
	static struct stats st;
	double cpu[1] = { 0.25 };
	struct warning w[1] = { { .kind = "schedule_lag", .message = "late \"quoted\"\n" } };
	struct report r = { .o = &o, .p = &p, .st = &st, .cpu_s = cpu, .nthreads = 1, .w = w, .nw = 1 };
	char *buf = NULL, err[128];
	size_t len = 0;
	FILE *f;
	struct jv *doc;

	o.proto = PROTO_HTTP;
	o.url = "http://127.0.0.1:1/";
	o.open_loop = true;
	o.rate = 2000;
	o.threads = o.connections = 1;
	o.duration_s = 2;
	o.depth = 4;
	p.expect_status = 200;
	stats_init(&st);
	for (int i = 1; i <= 1000; i++) {
		hist_record(&st.latency, (uint64_t)i * 1000);
		hist_record(&st.service, (uint64_t)i * 500);
		hist_record(&st.lag, (uint64_t)i * 10);
	}
	st.requests = 1000;
	st.verified = 998;
	st.mismatch[V_BODY] = 2;
	st.scheduled = 1000;
	f = open_memstream(&buf, &len);
	report_json(f, &r);
	fclose(f);
	doc = jv_parse(buf, err, sizeof(err));
	CHECKF(doc, "%s", err);
	if (!doc)
		return;
	CHECK(need(doc, "requests_per_s", JV_NUM)->num == 500);
	CHECK(need(doc, "offered_per_s", JV_NUM)->num == 2000);
	CHECK(need(doc, "requests", JV_NUM)->u == 1000);
	CHECK(need(doc, "verified", JV_NUM)->u == 998);
	CHECK(need(doc, "mismatched", JV_NUM)->u == 2);
	CHECK(jv_get(need(doc, "mismatches", JV_OBJ), "body")->u == 2);
	CHECK(need(doc, "all_verified", JV_BOOL)->b == false);
	CHECK(jv_get(need(doc, "errors", JV_OBJ), "timeout")->u == 0);
	need(doc, "bytes", JV_OBJ);
	for (const char *const *k = (const char *const[]){ "latency_us", "service_us", "schedule_lag_us", NULL }; *k; k++) {
		const struct jv *pc = need(doc, *k, JV_OBJ);

		for (const char *const *q = (const char *const[]){ "p50", "p90", "p99", "p999", "p9999", "max", NULL }; *q; q++)
			CHECKF(jv_get(pc, *q) && jv_get(pc, *q)->type == JV_NUM, "%s.%s", *k, *q);
	}
	/* p50 of 1..1000 µs is 500 µs, within the bucket's 0.1% */
	CHECK(fabs(jv_get(jv_get(doc, "latency_us"), "p50")->num - 500) <= 0.5);
	CHECK(jv_get(jv_get(doc, "latency_us"), "max")->num == 1000);
	CHECK(need(doc, "cpu_s", JV_ARR)->n == 1);
	{
		const struct jv *h = need(doc, "histogram", JV_OBJ);
		struct hist *back = malloc(sizeof(*back));

		hist_init(back);
		CHECK(!strcmp(jv_get(h, "format")->str, "saio-loghist/1"));
		CHECK(hist_merge_json(back, jv_get(h, "latency"), err, sizeof(err)) == 0);
		CHECK(!memcmp(back, &st.latency, sizeof(*back)));
		free(back);
	}
	{
		const struct jv *wa = need(doc, "warnings", JV_ARR);

		CHECK(wa->n == 1 && !strcmp(jv_get(wa->items[0], "kind")->str, "schedule_lag") &&
		      !strcmp(jv_get(wa->items[0], "message")->str, "late \"quoted\"\n"));
	}
	/* closed loop: offered rate and schedule are null, percentiles of nothing are null */
	jv_free(doc);
	free(buf);
	o.open_loop = false;
	stats_init(&st);
	f = open_memstream(&buf, &len);
	report_json(f, &r);
	fclose(f);
	doc = jv_parse(buf, err, sizeof(err));
	CHECK(doc && need(doc, "offered_per_s", JV_NULL) && need(doc, "scheduled", JV_NULL) &&
	      jv_get(need(doc, "latency_us", JV_OBJ), "p99")->type == JV_NULL && !need(doc, "all_verified", JV_BOOL)->b);
	jv_free(doc);
	free(buf);
}

static void test_json_reader(void)
{
	char err[128];
	struct jv *v = jv_parse(" {\"a\": [1, -2.5e3, \"x\\u00e9\\n\", true, null], \"b\": {}} ", err, sizeof(err));

	CHECK(v && jv_get(v, "a")->n == 5 && jv_get(v, "a")->items[1]->num == -2500 && !jv_get(v, "a")->items[1]->is_uint &&
	      !strcmp(jv_get(v, "a")->items[2]->str, "x\xc3\xa9\n") && jv_get(v, "b")->type == JV_OBJ);
	jv_free(v);
	v = jv_parse("18446744073709551615", err, sizeof(err));
	CHECK(v && v->is_uint && v->u == UINT64_MAX);
	jv_free(v);
	for (const char *const *bad = (const char *const[]){ "{", "[1,]", "{\"a\" 1}", "\"abc", "01x", "[1] 2", "tru", NULL };
	     *bad; bad++) {
		v = jv_parse(*bad, err, sizeof(err));
		CHECKF(!v && strstr(err, "at byte"), "accepted %s", *bad);
		jv_free(v);
	}
}

int main(void)
{
	TEST("warnings: offered not achieved, schedule lag, generator CPU, overflow, reference status at their thresholds", test_warnings());
	TEST("report: the JSON document has every contract key with its type; histogram round-trips", test_json());
	TEST("json: reader accepts valid documents, refuses malformed ones with a position", test_json_reader());
	return unit_failures != 0;
}
