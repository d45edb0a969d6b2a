/* SPDX-License-Identifier: MIT */
/* report.h - the run's result: the JSON document (schema in native/README.md), the text summary,
 * and the warnings that say when the generator, not the server, was the limit. */
#ifndef SAIO_LOAD_REPORT_H
#define SAIO_LOAD_REPORT_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "stats.h"

struct options;
struct plan;

#define WARN_MAX 16
#define WARN_OFFERED_FRACTION 0.99	/* achieved below 99% of offered */
#define WARN_LAG_P99_NS 1000000ull	/* schedule lag p99 above 1 ms */
#define WARN_CPU_FRACTION 0.90		/* a thread above 90% of a CPU */

struct warning {
	const char *kind;
	char message[256];
};

struct warn_in {
	bool open_loop;
	double offered_per_s, achieved_per_s;
	uint64_t scheduled, completed;	/* open loop: arrivals of the window, and those answered */
	uint64_t lag_p99_ns;
	const double *cpu_fraction;	/* per thread: CPU time / wall time of the window */
	uint32_t nthreads;
	uint64_t overflow;		/* latency samples above 100 s */
	int reference_status;		/* http reference fetched with this status (0: none) */
};

/* Pure: the tests feed it numbers. Returns the number of warnings written to @w. */
int warnings_compute(const struct warn_in *in, struct warning *w, int max);

struct report {
	const struct options *o;
	const struct plan *p;
	const struct stats *st;
	const double *cpu_s;
	uint32_t nthreads;
	const struct warning *w;
	int nw;
};

double report_achieved(const struct report *r);
bool report_all_verified(const struct stats *st);
void report_json(FILE *f, const struct report *r);
void report_text(FILE *f, const struct report *r);

#endif
