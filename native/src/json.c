/* SPDX-License-Identifier: MIT */
/* json.c - JSON writer and reader (RFC 8259; the reader is strict and small, for our own reports). */
#include "json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void jw_init(struct jw *w, FILE *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->first[0] = true;
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator, indentation and member name before a value. */
static void pre(struct jw *w, const char *key)
{
	if (!w->first[w->depth])
		fputc(',', w->f);
	w->first[w->depth] = false;
	if (w->depth > 0) {
		fputc('\n', w->f);
		for (int i = 0; i < w->depth; i++)
			fputs("  ", w->f);
	}
	if (key) {
		put_string(w->f, key);
		fputs(": ", w->f);
	}
}

static void open_(struct jw *w, const char *key, char c)
{
	pre(w, key);
	fputc(c, w->f);
	if (w->depth < 31)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	bool empty = w->first[w->depth];

	w->depth--;
	if (!empty) {
		fputc('\n', w->f);
		for (int i = 0; i < w->depth; i++)
			fputs("  ", w->f);
	}
	fputc(c, w->f);
}

void jw_obj(struct jw *w, const char *key) { open_(w, key, '{'); }
void jw_obj_end(struct jw *w) { close_(w, '}'); }
void jw_arr(struct jw *w, const char *key) { open_(w, key, '['); }
void jw_arr_end(struct jw *w) { close_(w, ']'); }

void jw_u64(struct jw *w, const char *key, uint64_t v)
{
	pre(w, key);
	fprintf(w->f, "%llu", (unsigned long long)v);
}

void jw_num(struct jw *w, const char *key, double v, int decimals)
{
	pre(w, key);
	if (!isfinite(v))
		fputs("null", w->f);
	else
		fprintf(w->f, "%.*f", decimals, v);
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	pre(w, key);
	put_string(w->f, s);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	pre(w, key);
	fputs(v ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	pre(w, key);
	fputs("null", w->f);
}

void jw_pair(struct jw *w, uint64_t a, uint64_t b)
{
	pre(w, NULL);
	fprintf(w->f, "[%llu, %llu]", (unsigned long long)a, (unsigned long long)b);
}

void jw_end(struct jw *w)
{
	fputc('\n', w->f);
	fflush(w->f);
}

/* ---- reader ---- */

struct jp {
	const char *s, *p;
	char *err;
	size_t errlen;
	int depth;
};

static void fail(struct jp *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->err[0])
		return;
	n = snprintf(j->err, j->errlen, "at byte %zu: ", (size_t)(j->p - j->s));
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < j->errlen)
		vsnprintf(j->err + n, j->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static struct jv *node(enum jv_type t)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

static char *parse_string(struct jp *j)
{
	size_t cap = 16, n = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	j->p++; /* opening quote */
	for (;;) {
		unsigned char c = (unsigned char)*j->p;

		if (n + 8 > cap) {
			char *bigger = realloc(out, cap *= 2);

			if (!bigger) {
				free(out);
				return NULL;
			}
			out = bigger;
		}
		if (c == '"') {
			j->p++;
			out[n] = 0;
			return out;
		}
		if (c < 0x20) {
			fail(j, c ? "control character in a string" : "unterminated string");
			free(out);
			return NULL;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			j->p++;
			continue;
		}
		j->p++;
		switch (*j->p) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case '/': out[n++] = '/'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'u': {
			unsigned cp = 0;

			for (int i = 1; i <= 4; i++) {
				char h = j->p[i];

				cp <<= 4;
				if (h >= '0' && h <= '9')
					cp |= (unsigned)(h - '0');
				else if (h >= 'a' && h <= 'f')
					cp |= (unsigned)(h - 'a' + 10);
				else if (h >= 'A' && h <= 'F')
					cp |= (unsigned)(h - 'A' + 10);
				else {
					fail(j, "bad \\u escape");
					free(out);
					return NULL;
				}
			}
			j->p += 4;
			/* UTF-8 of the BMP code point (surrogates are kept as is: names are ASCII). */
			if (cp < 0x80) {
				out[n++] = (char)cp;
			} else if (cp < 0x800) {
				out[n++] = (char)(0xc0 | (cp >> 6));
				out[n++] = (char)(0x80 | (cp & 0x3f));
			} else {
				out[n++] = (char)(0xe0 | (cp >> 12));
				out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
				out[n++] = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			fail(j, "bad escape");
			free(out);
			return NULL;
		}
		j->p++;
	}
}

static struct jv *parse_value(struct jp *j);

static bool add_item(struct jv *v, char *key, struct jv *item)
{
	struct jv **items = realloc(v->items, (v->n + 1) * sizeof(*items));

	if (!items)
		return false;
	v->items = items;
	if (v->type == JV_OBJ) {
		char **keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));

		if (!keys)
			return false;
		v->keys = keys;
		keys[v->n] = key;
	}
	items[v->n++] = item;
	return true;
}

static struct jv *parse_container(struct jp *j, bool obj)
{
	struct jv *v = node(obj ? JV_OBJ : JV_ARR);

	if (!v)
		return NULL;
	if (++j->depth > 64) {
		fail(j, "nested too deeply");
		return v;
	}
	j->p++;
	ws(j);
	if (*j->p == (obj ? '}' : ']')) {
		j->p++;
		j->depth--;
		return v;
	}
	for (;;) {
		char *key = NULL;
		struct jv *item;

		ws(j);
		if (obj) {
			if (*j->p != '"') {
				fail(j, "expected a member name");
				return v;
			}
			key = parse_string(j);
			if (!key)
				return v;
			ws(j);
			if (*j->p != ':') {
				fail(j, "expected ':'");
				free(key);
				return v;
			}
			j->p++;
		}
		item = parse_value(j);
		if (!item || !add_item(v, key, item)) {
			free(key);
			jv_free(item);
			fail(j, "out of memory");
			return v;
		}
		if (j->err[0])
			return v;
		ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == (obj ? '}' : ']')) {
			j->p++;
			j->depth--;
			return v;
		}
		fail(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		return v;
	}
}

static struct jv *parse_value(struct jp *j)
{
	struct jv *v;

	ws(j);
	switch (*j->p) {
	case '{':
		return parse_container(j, true);
	case '[':
		return parse_container(j, false);
	case '"':
		v = node(JV_STR);
		if (v && !(v->str = parse_string(j)))
			v->str = strdup("");
		return v;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };

		for (int i = 0; i < 3; i++) {
			size_t l = strlen(words[i]);

			if (!strncmp(j->p, words[i], l)) {
				j->p += l;
				v = node(i == 2 ? JV_NULL : JV_BOOL);
				if (v)
					v->b = i == 0;
				return v;
			}
		}
		break;
	}
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
			const char *start = j->p;
			char *end;

			v = node(JV_NUM);
			if (!v)
				return NULL;
			errno = 0;
			v->num = strtod(start, &end);
			if (end == start) {
				fail(j, "bad number");
				return v;
			}
			if (*start != '-' && strspn(start, "0123456789") == (size_t)(end - start)) {
				errno = 0;
				v->u = strtoull(start, NULL, 10);
				v->is_uint = errno == 0;
			}
			j->p = end;
			return v;
		}
	}
	fail(j, "unexpected character '%c'", *j->p ? *j->p : '?');
	return node(JV_NULL);
}

struct jv *jv_parse(const char *text, char *err, size_t errlen)
{
	struct jp j = { .s = text, .p = text, .err = err, .errlen = errlen };
	struct jv *v;

	err[0] = 0;
	v = parse_value(&j);
	ws(&j);
	if (!err[0] && *j.p)
		fail(&j, "text after the document");
	if (err[0] || !v) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		jv_free(v);
		return NULL;
	}
	return v;
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		jv_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

const struct jv *jv_get(const struct jv *obj, const char *key)
{
	if (!obj || obj->type != JV_OBJ)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (!strcmp(obj->keys[i], key))
			return obj->items[i];
	return NULL;
}
