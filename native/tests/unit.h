/* SPDX-License-Identifier: MIT */
/* unit.h - the smallest harness: each CHECK prints nothing unless it fails; each TEST prints
 * "ok NAME" or "not ok NAME" (run_all.sh counts those lines). */
#ifndef SAIO_LOAD_UNIT_H
#define SAIO_LOAD_UNIT_H
#include <stdio.h>

static int unit_failed_now;
static int unit_failures;

#define CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			unit_failed_now = 1; \
		} \
	} while (0)

#define CHECKF(cond, ...) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			unit_failed_now = 1; \
		} \
	} while (0)

#define TEST(name, ...) \
	do { \
		unit_failed_now = 0; \
		__VA_ARGS__; \
		printf("%s %s\n", unit_failed_now ? "not ok" : "ok", name); \
		fflush(stdout); \
		unit_failures += unit_failed_now; \
	} while (0)

#endif
