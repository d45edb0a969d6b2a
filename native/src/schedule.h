/* SPDX-License-Identifier: MIT */
/* schedule.h - the open-loop arrival schedule: when each request is *intended* to be sent, fixed in
 * advance and independent of responses (so a stalled server cannot slow the offered load down).
 *
 * One global schedule of rate R is split over T streams (threads):
 *  - uniform: global arrival g is at t0 + round(g * 1e9/R) ns; stream i takes g = i, i+T, i+2T, ...
 *    so the union of the streams is exactly the global grid;
 *  - poisson: stream i draws exponential gaps of mean T*1e9/R from its own random stream (seed, i);
 *    T independent Poisson processes of rate R/T superpose to one Poisson process of rate R.
 * Pure functions of (seed, stream, t0): the tests drive them with a fake clock. */
#ifndef SAIO_LOAD_SCHEDULE_H
#define SAIO_LOAD_SCHEDULE_H
#include <stdint.h>

#include "rng.h"

enum arrivals { ARRIVALS_POISSON, ARRIVALS_UNIFORM };

struct sched {
	enum arrivals kind;
	uint64_t t0;
	uint64_t next;		/* absolute time (ns) of the next arrival */
	uint64_t taken;		/* arrivals advanced past so far */
	double period_ns;	/* uniform: global gap 1e9/R */
	double gap_ns;		/* poisson: this stream's mean gap T*1e9/R */
	double at_ns;		/* poisson: offset of the next arrival from t0 */
	uint64_t global;	/* uniform: global index of the next arrival */
	uint32_t stride;	/* uniform: T */
	struct rng rng;
};

/* Returns -1 when @rate is not a positive finite number or @stream >= @nstreams. */
int sched_init(struct sched *s, enum arrivals kind, double rate, uint64_t seed, uint32_t stream,
	       uint32_t nstreams, uint64_t t0);
void sched_advance(struct sched *s);

/* Nanoseconds a loop may sleep at @now before the next arrival is due (0: due now). */
static inline uint64_t sched_wait_ns(const struct sched *s, uint64_t now)
{
	return s->next > now ? s->next - now : 0;
}

#endif
