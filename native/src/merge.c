/* SPDX-License-Identifier: MIT */
/* merge.c - `saio-load --merge FILE...`: the histograms of earlier --json outputs added exactly,
 * and the percentiles of the sum. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "json.h"
#include "merge.h"

static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		size_t got;

		if (n + 65536 + 1 > cap) {
			char *b = realloc(buf, cap = (n + 65536 + 1) * 2);

			if (!b) {
				snprintf(err, errlen, "%s: out of memory", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		got = fread(buf + n, 1, 65536, f);
		n += got;
		if (got < 65536)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = 0;
	return buf;
}

static const char *const names[3] = { "latency", "service", "schedule_lag" };

int merge_main(char **files, int nfiles, FILE *out, char *err, size_t errlen)
{
	static struct hist h[3];
	uint64_t requests = 0;
	struct jw w;

	for (int k = 0; k < 3; k++)
		hist_init(&h[k]);
	for (int i = 0; i < nfiles; i++) {
		char msg[256];
		char *text = slurp(files[i], err, errlen);
		struct jv *doc;
		const struct jv *hg, *fmt, *bits, *req;

		if (!text)
			return -1;
		doc = jv_parse(text, msg, sizeof(msg));
		free(text);
		if (!doc) {
			snprintf(err, errlen, "%s: not JSON (%s)", files[i], msg);
			return -1;
		}
		hg = jv_get(doc, "histogram");
		fmt = jv_get(hg, "format");
		bits = jv_get(hg, "sub_bucket_bits");
		if (!hg || !fmt || fmt->type != JV_STR || strcmp(fmt->str, HIST_FORMAT) || !bits || !bits->is_uint ||
		    bits->u != HIST_SUB_BITS) {
			snprintf(err, errlen, "%s: no \"histogram\" of format %s with sub_bucket_bits %u", files[i],
				 HIST_FORMAT, HIST_SUB_BITS);
			jv_free(doc);
			return -1;
		}
		for (int k = 0; k < 3; k++) {
			const struct jv *one = jv_get(hg, names[k]);

			if (!one) {
				snprintf(err, errlen, "%s: histogram has no \"%s\"", files[i], names[k]);
				jv_free(doc);
				return -1;
			}
			if (hist_merge_json(&h[k], one, msg, sizeof(msg))) {
				snprintf(err, errlen, "%s: %s: %s", files[i], names[k], msg);
				jv_free(doc);
				return -1;
			}
		}
		req = jv_get(doc, "requests");
		if (req && req->is_uint)
			requests += req->u;
		jv_free(doc);
	}
	jw_init(&w, out);
	jw_obj(&w, NULL);
	jw_str(&w, "tool", "saio-load --merge");
	jw_u64(&w, "inputs", (uint64_t)nfiles);
	jw_u64(&w, "requests", requests);
	hist_write_percentiles(&w, "latency_us", &h[0]);
	hist_write_percentiles(&w, "service_us", &h[1]);
	hist_write_percentiles(&w, "schedule_lag_us", &h[2]);
	jw_obj(&w, "histogram");
	jw_str(&w, "format", HIST_FORMAT);
	jw_str(&w, "unit", "ns");
	jw_u64(&w, "sub_bucket_bits", HIST_SUB_BITS);
	jw_u64(&w, "highest_trackable", HIST_HIGHEST);
	for (int k = 0; k < 3; k++)
		hist_write_json(&w, names[k], &h[k]);
	jw_obj_end(&w);
	jw_obj_end(&w);
	jw_end(&w);
	return 0;
}
