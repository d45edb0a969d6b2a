/* SPDX-License-Identifier: MIT */
/* schedule.c - uniform and Poisson arrival times (see schedule.h). */
#include "schedule.h"

#include <math.h>
#include <string.h>

static void place_uniform(struct sched *s)
{
	/* From the global index each time, never by adding gaps: no drift over long runs. */
	s->next = s->t0 + (uint64_t)llround((double)s->global * s->period_ns);
}

static void place_poisson(struct sched *s)
{
	s->at_ns += -log(rng_unit(&s->rng)) * s->gap_ns;
	s->next = s->t0 + (uint64_t)llround(s->at_ns);
}

int sched_init(struct sched *s, enum arrivals kind, double rate, uint64_t seed, uint32_t stream,
	       uint32_t nstreams, uint64_t t0)
{
	if (!(rate > 0) || !isfinite(rate) || nstreams == 0 || stream >= nstreams)
		return -1;
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->t0 = t0;
	s->period_ns = 1e9 / rate;
	s->gap_ns = s->period_ns * nstreams;
	s->stride = nstreams;
	s->global = stream;
	rng_seed(&s->rng, seed, stream);
	if (kind == ARRIVALS_UNIFORM)
		place_uniform(s);
	else
		place_poisson(s);
	return 0;
}

void sched_advance(struct sched *s)
{
	s->taken++;
	if (s->kind == ARRIVALS_UNIFORM) {
		s->global += s->stride;
		place_uniform(s);
	} else {
		place_poisson(s);
	}
}
