/* SPDX-License-Identifier: MIT */
/* hist.h - log-linear latency histogram (HdrHistogram-style), values in integer nanoseconds.
 *
 * Values below 2^HIST_SUB_BITS are exact (one bucket each); above, each power-of-two range is cut
 * into HIST_HALF equal buckets, so a bucket is at most 1/1024 of its lowest value wide (better than
 * 3 significant digits) from 1 ns to HIST_HIGHEST (100 s). Recording is an index computation and an
 * increment; merging adds arrays, so merged percentiles are exactly those of all samples together.
 * The index formula is the on-disk format (saio-loghist/1, see native/README.md): do not change it. */
#ifndef SAIO_LOAD_HIST_H
#define SAIO_LOAD_HIST_H
#include <stddef.h>
#include <stdint.h>

#define HIST_FORMAT "saio-loghist/1"
#define HIST_SUB_BITS 11
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)	/* 2048 exact buckets */
#define HIST_HALF (HIST_SUB_COUNT >> 1)		/* 1024 buckets per power of two above */
#define HIST_HIGHEST 100000000000ull		/* 100 s in ns */
#define HIST_SLOTS 28115u			/* hist_index(HIST_HIGHEST) + 1 (checked by the tests) */

struct hist {
	uint64_t count;
	uint64_t min;		/* exact, UINT64_MAX when empty */
	uint64_t max;		/* exact, even above HIST_HIGHEST */
	uint64_t overflow;	/* values above HIST_HIGHEST, recorded in its bucket */
	uint64_t counts[HIST_SLOTS];
};

/* The percentiles every report carries, in hundredths of a percent. */
enum { HIST_NPCT = 5 };
extern const uint32_t hist_pct[HIST_NPCT];	/* 5000 9000 9900 9990 9999 */
extern const char *const hist_pct_name[HIST_NPCT]; /* "p50" ... "p9999" */

static inline uint32_t hist_index(uint64_t v)
{
	uint32_t msb, shift;

	if (v < HIST_SUB_COUNT)
		return (uint32_t)v;
	msb = 63u - (uint32_t)__builtin_clzll(v);
	shift = msb - (HIST_SUB_BITS - 1);
	return HIST_SUB_COUNT + (shift - 1) * HIST_HALF + (uint32_t)((v >> shift) - HIST_HALF);
}

static inline void hist_record(struct hist *h, uint64_t v)
{
	uint64_t at = v;

	if (v > HIST_HIGHEST) {
		at = HIST_HIGHEST;
		h->overflow++;
	}
	h->counts[hist_index(at)]++;
	h->count++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_init(struct hist *h);
uint64_t hist_lowest(uint32_t index);	/* lowest value of bucket @index */
uint64_t hist_highest(uint32_t index);	/* highest value of bucket @index */
/* Adds @src into @dst: exact. */
void hist_merge(struct hist *dst, const struct hist *src);
/* Value at @pp hundredths of a percent (rank ceil(n*pp/10000), the bucket's highest value capped
 * at max); 0 when empty. */
uint64_t hist_value_at(const struct hist *h, uint32_t pp);

#endif

struct jw;
struct jv;
/* {"count","min","max","overflow","counts":[[index,count],...]} under @key. */
void hist_write_json(struct jw *w, const char *key, const struct hist *h);
/* Adds the histogram object @v into @h (merging); -1 with a message when malformed. */
int hist_merge_json(struct hist *h, const struct jv *v, char *err, size_t errlen);
/* {"p50":..,"p90":..,"p99":..,"p999":..,"p9999":..,"max":..} in µs; nulls when empty. */
void hist_write_percentiles(struct jw *w, const char *key, const struct hist *h);
