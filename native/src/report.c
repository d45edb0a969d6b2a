/* SPDX-License-Identifier: MIT */
/* report.c - JSON document, text summary and warnings. */
#include "report.h"

#include <math.h>
#include <string.h>

#include "json.h"
#include "options.h"
#include "plan.h"

static struct warning *add(struct warning *w, int *n, int max, const char *kind)
{
	if (*n >= max)
		return NULL;
	w[*n].kind = kind;
	w[*n].message[0] = 0;
	return &w[(*n)++];
}

int warnings_compute(const struct warn_in *in, struct warning *w, int max)
{
	struct warning *x;
	int n = 0;

	/* Against the arrivals the schedule really produced: a Poisson count deviates from R*d by
	 * chance (1% at R*d = 10000), which is no failure to offer it. */
	if (in->open_loop && (double)in->completed < WARN_OFFERED_FRACTION * (double)in->scheduled &&
	    (x = add(w, &n, max, "offered_not_achieved")))
		snprintf(x->message, sizeof(x->message),
			 "achieved %.1f%% of the offered load (%llu of %llu scheduled requests answered, %.1f of %.1f requests/s): the server or the generator could not keep up",
			 in->scheduled ? 100.0 * (double)in->completed / (double)in->scheduled : 0.0,
			 (unsigned long long)in->completed, (unsigned long long)in->scheduled, in->achieved_per_s,
			 in->offered_per_s);
	if (in->open_loop && in->lag_p99_ns > WARN_LAG_P99_NS && (x = add(w, &n, max, "schedule_lag")))
		snprintf(x->message, sizeof(x->message),
			 "schedule lag p99 is %.3f ms (> 1 ms): requests went out late, so the offered load was not the one asked for",
			 (double)in->lag_p99_ns / 1e6);
	for (uint32_t i = 0; i < in->nthreads; i++)
		if (in->cpu_fraction[i] > WARN_CPU_FRACTION && (x = add(w, &n, max, "generator_cpu")))
			snprintf(x->message, sizeof(x->message),
				 "generator thread %u used %.0f%% of a CPU: the generator may be the bottleneck (add threads or CPUs)",
				 i, 100.0 * in->cpu_fraction[i]);
	if (in->overflow && (x = add(w, &n, max, "latency_overflow")))
		snprintf(x->message, sizeof(x->message),
			 "%llu latencies exceeded 100 s and were recorded as 100 s (max is exact)",
			 (unsigned long long)in->overflow);
	if (in->reference_status && (in->reference_status < 200 || in->reference_status > 299) &&
	    (x = add(w, &n, max, "reference_status")))
		snprintf(x->message, sizeof(x->message),
			 "the reference response had status %d: every response was checked against that error page",
			 in->reference_status);
	return n;
}

double report_achieved(const struct report *r)
{
	return (double)r->st->requests / r->o->duration_s;
}

bool report_all_verified(const struct stats *st)
{
	return st->requests > 0 && st->verified == st->requests && stats_errors(st) == 0;
}

void report_json(FILE *f, const struct report *r)
{
	const struct options *o = r->o;
	const struct plan *p = r->p;
	const struct stats *st = r->st;
	struct jw w;

	jw_init(&w, f);
	jw_obj(&w, NULL);
	jw_str(&w, "tool", "saio-load");
	jw_u64(&w, "format", 1);
	jw_str(&w, "protocol", proto_name(o->proto));
	jw_str(&w, "url", o->url);
	jw_str(&w, "mode", o->open_loop ? "open" : "closed");
	jw_u64(&w, "threads", o->threads);
	jw_u64(&w, "connections", o->connections);
	jw_num(&w, "duration_s", o->duration_s, 3);
	jw_num(&w, "warmup_s", o->warmup_s, 3);
	if (o->open_loop) {
		jw_null(&w, "pipeline");
		jw_u64(&w, "depth", o->depth);
		jw_str(&w, "arrivals", o->arrivals == ARRIVALS_POISSON ? "poisson" : "uniform");
	} else {
		jw_u64(&w, "pipeline", o->pipeline);
		jw_null(&w, "depth");
		jw_null(&w, "arrivals");
	}
	jw_u64(&w, "seed", o->seed);
	if (o->start_at_ms)
		jw_u64(&w, "start_at_ms", o->start_at_ms);
	else
		jw_null(&w, "start_at_ms");
	jw_u64(&w, "t0_unix_ns", p->t0_unix_ns);
	if (o->proto == PROTO_HTTP) {
		jw_null(&w, "workload");
		jw_str(&w, "connection_mode", o->close ? "close" : "keepalive");
		jw_u64(&w, "expect_status", (uint64_t)p->expect_status);
		jw_u64(&w, "expect_bytes", p->expect_len);
		jw_str(&w, "expect_source", o->expect_file ? "file" : "reference");
	} else {
		jw_obj(&w, "workload");
		jw_num(&w, "get_fraction", o->get_fraction, 6);
		jw_u64(&w, "keys", o->keys);
		jw_u64(&w, "key_size", o->key_size);
		jw_u64(&w, "value_size", o->value_size);
		jw_str(&w, "key_prefix", o->key_prefix);
		jw_obj_end(&w);
	}
	jw_num(&w, "requests_per_s", report_achieved(r), 3);
	if (o->open_loop)
		jw_num(&w, "offered_per_s", o->rate, 3);
	else
		jw_null(&w, "offered_per_s");
	jw_u64(&w, "requests", st->requests);
	jw_u64(&w, "verified", st->verified);
	jw_u64(&w, "mismatched", stats_mismatched(st));
	jw_obj(&w, "mismatches");
	for (int i = V_FIRST_MISMATCH; i <= V_LAST_MISMATCH; i++)
		jw_u64(&w, verdict_name[i], st->mismatch[i]);
	jw_obj_end(&w);
	jw_bool(&w, "all_verified", report_all_verified(st));
	jw_obj(&w, "errors");
	for (int i = 0; i < E_COUNT; i++)
		jw_u64(&w, err_name[i], st->errors[i]);
	jw_obj_end(&w);
	if (o->open_loop)
		jw_u64(&w, "scheduled", st->scheduled);
	else
		jw_null(&w, "scheduled");
	jw_u64(&w, "unsent", st->unsent);
	jw_u64(&w, "reconnects", st->reconnects);
	jw_obj(&w, "bytes");
	jw_u64(&w, "sent", st->bytes_sent);
	jw_u64(&w, "received", st->bytes_recv);
	jw_obj_end(&w);
	hist_write_percentiles(&w, "latency_us", &st->latency);
	hist_write_percentiles(&w, "service_us", &st->service);
	hist_write_percentiles(&w, "schedule_lag_us", &st->lag);
	jw_arr(&w, "cpu_s");
	for (uint32_t i = 0; i < r->nthreads; i++)
		jw_num(&w, NULL, r->cpu_s[i], 6);
	jw_arr_end(&w);
	jw_obj(&w, "histogram");
	jw_str(&w, "format", HIST_FORMAT);
	jw_str(&w, "unit", "ns");
	jw_u64(&w, "sub_bucket_bits", HIST_SUB_BITS);
	jw_u64(&w, "highest_trackable", HIST_HIGHEST);
	hist_write_json(&w, "latency", &st->latency);
	hist_write_json(&w, "service", &st->service);
	hist_write_json(&w, "schedule_lag", &st->lag);
	jw_obj_end(&w);
	jw_arr(&w, "warnings");
	for (int i = 0; i < r->nw; i++) {
		jw_obj(&w, NULL);
		jw_str(&w, "kind", r->w[i].kind);
		jw_str(&w, "message", r->w[i].message);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_end(&w);
}

static void text_pct(FILE *f, const char *label, const struct hist *h)
{
	fprintf(f, "  %-12s", label);
	if (!h->count) {
		fputs(" (no samples)\n", f);
		return;
	}
	for (int i = 0; i < HIST_NPCT; i++)
		fprintf(f, " %s %.1f", hist_pct_name[i], (double)hist_value_at(h, hist_pct[i]) / 1000.0);
	fprintf(f, " max %.1f  (µs)\n", (double)h->max / 1000.0);
}

void report_text(FILE *f, const struct report *r)
{
	const struct options *o = r->o;
	const struct stats *st = r->st;
	uint64_t mism = stats_mismatched(st), errs = stats_errors(st);

	fprintf(f, "saio-load %s  %s loop", o->url, o->open_loop ? "open" : "closed");
	if (o->open_loop)
		fprintf(f, " at %.1f req/s (%s, depth %u)", o->rate,
			o->arrivals == ARRIVALS_POISSON ? "poisson" : "uniform", o->depth);
	else
		fprintf(f, " (pipeline %u)", o->pipeline);
	fprintf(f, ", %u thread%s, %u connection%s, %.3f s", o->threads, o->threads == 1 ? "" : "s", o->connections,
		o->connections == 1 ? "" : "s", o->duration_s);
	if (o->warmup_s > 0)
		fprintf(f, " after %.3f s warm-up", o->warmup_s);
	fprintf(f, ", seed %llu\n", (unsigned long long)o->seed);
	fprintf(f, "  requests     %llu  (%.1f/s)   verified %llu%s   mismatched %llu   errors %llu",
		(unsigned long long)st->requests, report_achieved(r), (unsigned long long)st->verified,
		report_all_verified(st) ? " (all)" : "", (unsigned long long)mism, (unsigned long long)errs);
	if (o->open_loop)
		fprintf(f, "   unsent %llu", (unsigned long long)st->unsent);
	fputc('\n', f);
	if (mism) {
		fputs("  mismatches  ", f);
		for (int i = V_FIRST_MISMATCH; i <= V_LAST_MISMATCH; i++)
			if (st->mismatch[i])
				fprintf(f, " %s %llu", verdict_name[i], (unsigned long long)st->mismatch[i]);
		fputc('\n', f);
	}
	if (errs) {
		fputs("  errors      ", f);
		for (int i = 0; i < E_COUNT; i++)
			if (st->errors[i])
				fprintf(f, " %s %llu", err_name[i], (unsigned long long)st->errors[i]);
		fputc('\n', f);
	}
	text_pct(f, "latency", &st->latency);
	if (o->open_loop) {
		text_pct(f, "service", &st->service);
		text_pct(f, "sched. lag", &st->lag);
	}
	fprintf(f, "  bytes        sent %llu  received %llu\n", (unsigned long long)st->bytes_sent,
		(unsigned long long)st->bytes_recv);
	fputs("  cpu          ", f);
	for (uint32_t i = 0; i < r->nthreads; i++)
		fprintf(f, " thread %u: %.3f s (%.0f%%)", i, r->cpu_s[i], 100.0 * r->cpu_s[i] / o->duration_s);
	fputc('\n', f);
}
