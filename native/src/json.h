/* SPDX-License-Identifier: MIT */
/* json.h - a streaming JSON writer (reports) and a small reader (--merge of earlier reports). */
#ifndef SAIO_LOAD_JSON_H
#define SAIO_LOAD_JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writer: every call takes the member name, or NULL inside arrays. */
struct jw {
	FILE *f;
	int depth;
	bool first[32];
};

void jw_init(struct jw *w, FILE *f);
void jw_obj(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_u64(struct jw *w, const char *key, uint64_t v);
void jw_num(struct jw *w, const char *key, double v, int decimals);
void jw_str(struct jw *w, const char *key, const char *s);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);
/* An array element [a,b] on one line (histogram buckets). */
void jw_pair(struct jw *w, uint64_t a, uint64_t b);
/* Ends the document with a newline. */
void jw_end(struct jw *w);

/* Reader: a tree of values; numbers keep their text so integers stay exact. */
enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	bool b;
	double num;
	bool is_uint;		/* a non-negative integer that fits uint64_t */
	uint64_t u;
	char *str;		/* JV_STR */
	char **keys;		/* JV_OBJ */
	struct jv **items;	/* JV_ARR, JV_OBJ values */
	size_t n;
};

/* Parses @text; NULL with a message "at byte N: ..." in @err on malformed input. */
struct jv *jv_parse(const char *text, char *err, size_t errlen);
void jv_free(struct jv *v);
const struct jv *jv_get(const struct jv *obj, const char *key);

#endif
