/* SPDX-License-Identifier: MIT */
/* unit_schedule.c - the open-loop schedule against a fake clock: exact uniform grid (also split over
 * streams), Poisson counts and gaps, determinism, and a simulated event loop that wakes late. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"
#include "schedule.h"
#include "unit.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_uniform_grid(void)
{
	struct sched s;
	const uint64_t t0 = 123456789;

	CHECK(sched_init(&s, ARRIVALS_UNIFORM, 30000, 1, 0, 1, t0) == 0);
	for (uint64_t k = 0; k < 3000000; k++) { /* 100 s: no drift */
		CHECKF(s.next == t0 + (uint64_t)llround((double)k * 1e9 / 30000), "arrival %llu", (unsigned long long)k);
		if (unit_failed_now)
			return;
		sched_advance(&s);
	}
	CHECK(s.taken == 3000000);
}

static void test_uniform_split(void)
{
	enum { T = 3, N = 30000 };
	uint64_t *all = malloc(N * sizeof(*all));
	size_t n = 0;

	for (uint32_t i = 0; i < T; i++) {
		struct sched s;

		sched_init(&s, ARRIVALS_UNIFORM, 7777, 9, i, T, 1000);
		for (int k = 0; k < N / T; k++, sched_advance(&s))
			all[n++] = s.next;
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	for (size_t k = 0; k < n; k++)
		CHECKF(all[k] == 1000 + (uint64_t)llround((double)k * 1e9 / 7777), "global arrival %zu", k);
	free(all);
}

/* Poisson: count in a window, gaps exponential (mean, coefficient of variation, tail). */
static void check_poisson(uint32_t nstreams, double rate, double seconds)
{
	uint64_t end = (uint64_t)(seconds * 1e9), count = 0, above = 0;
	double sum = 0, sum2 = 0, mean_gap = nstreams * 1e9 / rate;

	for (uint32_t i = 0; i < nstreams; i++) {
		struct sched s;
		uint64_t prev = 0;

		sched_init(&s, ARRIVALS_POISSON, rate, 42, i, nstreams, 0);
		for (; s.next < end; sched_advance(&s)) {
			double g = (double)(s.next - prev);

			prev = s.next;
			count++;
			sum += g;
			sum2 += g * g;
			above += g > mean_gap;
		}
	}
	{
		double expect = rate * seconds, sd = sqrt(expect);
		double m = sum / (double)count, cv = sqrt(sum2 / (double)count - m * m) / m;
		double tail = (double)above / (double)count;

		CHECKF(fabs((double)count - expect) < 5 * sd, "count %llu, expected %.0f +- %.0f", (unsigned long long)count,
		       expect, sd);
		CHECKF(fabs(m / mean_gap - 1) < 0.01, "mean gap %.1f ns, expected %.1f", m, mean_gap);
		CHECKF(fabs(cv - 1) < 0.01, "coefficient of variation %.4f (exponential: 1)", cv);
		CHECKF(fabs(tail - exp(-1)) < 0.005, "P(gap > mean) %.4f (exponential: e^-1)", tail);
	}
}

static void test_poisson(void)
{
	check_poisson(1, 10000, 100);
	check_poisson(4, 10000, 100); /* four streams superpose to rate R */
}

static void test_determinism(void)
{
	struct sched a, b, c;
	int same = 1, differ = 0;

	sched_init(&a, ARRIVALS_POISSON, 5000, 77, 0, 2, 0);
	sched_init(&b, ARRIVALS_POISSON, 5000, 77, 0, 2, 0);
	sched_init(&c, ARRIVALS_POISSON, 5000, 78, 0, 2, 0);
	for (int k = 0; k < 10000; k++) {
		same &= a.next == b.next;
		differ |= a.next != c.next;
		sched_advance(&a);
		sched_advance(&b);
		sched_advance(&c);
	}
	CHECK(same && differ);
	sched_init(&a, ARRIVALS_POISSON, 5000, 77, 0, 2, 0);
	sched_init(&b, ARRIVALS_POISSON, 5000, 77, 1, 2, 0);
	CHECK(a.next != b.next); /* streams of one seed differ */
}

static void test_bad_rates(void)
{
	struct sched s;

	CHECK(sched_init(&s, ARRIVALS_POISSON, 0, 1, 0, 1, 0) < 0);
	CHECK(sched_init(&s, ARRIVALS_POISSON, -5, 1, 0, 1, 0) < 0);
	CHECK(sched_init(&s, ARRIVALS_POISSON, NAN, 1, 0, 1, 0) < 0);
	CHECK(sched_init(&s, ARRIVALS_UNIFORM, INFINITY, 1, 0, 1, 0) < 0);
	CHECK(sched_init(&s, ARRIVALS_UNIFORM, 10, 1, 2, 2, 0) < 0);
}

/* A fake event loop: it sleeps for sched_wait_ns() but wakes up to 200 µs late (a busy machine),
 * then sends every due arrival. The schedule must not care: all arrivals of the window go out,
 * each lag is exactly the oversleep it met, and the achieved rate over the window is the offered. */
static void simulate(enum arrivals kind)
{
	struct sched s;
	struct rng jitter;
	const uint64_t t0 = 5 * 1000000000ull, end = t0 + 10 * 1000000000ull;
	uint64_t now = t0, sent = 0, expected = 0, max_lag = 0;
	const double rate = 20000;

	rng_seed(&jitter, 5, 0);
	sched_init(&s, kind, rate, 11, 0, 1, t0);
	while (now < end) {
		uint64_t wake = now + sched_wait_ns(&s, now) + rng_below(&jitter, 200000);

		now = wake;
		while (s.next <= now && s.next < end) {
			uint64_t lag = now - s.next;

			if (lag > max_lag)
				max_lag = lag;
			sent++;
			sched_advance(&s);
		}
	}
	{
		struct sched ref;

		sched_init(&ref, kind, rate, 11, 0, 1, t0);
		for (; ref.next < end; sched_advance(&ref))
			expected++;
	}
	CHECKF(sent == expected, "sent %llu of %llu", (unsigned long long)sent, (unsigned long long)expected);
	CHECKF(max_lag < 200000 + 50000, "max lag %llu ns", (unsigned long long)max_lag);
	if (kind == ARRIVALS_UNIFORM)
		CHECK(expected == 200000);
	else
		CHECKF(fabs((double)expected - 200000) < 5 * sqrt(200000), "poisson count %llu", (unsigned long long)expected);
}

int main(void)
{
	TEST("schedule: uniform arrivals sit exactly on the k/R grid for 100 s (no drift)", test_uniform_grid());
	TEST("schedule: uniform split over 3 streams is exactly the global grid", test_uniform_split());
	TEST("schedule: poisson count, mean gap, CV and tail (1 and 4 streams)", test_poisson());
	TEST("schedule: same seed replays, other seed or stream differs", test_determinism());
	TEST("schedule: rates <= 0, NaN, infinite and bad streams are refused", test_bad_rates());
	TEST("schedule: fake clock, late wake-ups: every arrival sent, lag = oversleep (uniform)", simulate(ARRIVALS_UNIFORM));
	TEST("schedule: fake clock, late wake-ups: every arrival sent, lag = oversleep (poisson)", simulate(ARRIVALS_POISSON));
	return unit_failures != 0;
}
