/* SPDX-License-Identifier: MIT */
/* fake_backend.h - a backend for unit tests: records what the engine stages, and
 * completes requests only when the test says so. */
#ifndef SAIO_FAKE_BACKEND_H
#define SAIO_FAKE_BACKEND_H
#include "backend.h"

struct fake_req {
	struct saio_op *op;
	int phase;		/* 0: sendfile's read, 1: the op's (last) request */
	int kind;
	int fd;
	uint32_t len;		/* bytes a send request carries */
	bool link;
};

#define FAKE_MAX 1024
extern struct fake_req fake_sub[FAKE_MAX];	/* submitted, not completed, in order */
extern unsigned fake_nsub, fake_nstaged, fake_submits;
extern const struct saio_backend fake_backend;
extern unsigned fake_caps_extra;	/* capabilities the fake has beyond its own */
extern bool fake_complete_at_submit;	/* requests complete in the submit (inline sends) */

/* Complete submitted request i (index into fake_sub) with res; delivered at next reap. */
void fake_complete(unsigned i, int res);
/* Complete every submitted request successfully (full length). */
void fake_complete_all(void);
/* Index of the first submitted request of kind k on fd, or -1. */
int fake_find(int kind, int fd);
#endif
