/* SPDX-License-Identifier: MIT */
/* http.h - building the HTTP request and learning the expected response. */
#ifndef SAIO_LOAD_HTTP_H
#define SAIO_LOAD_HTTP_H
#include <stddef.h>

struct plan;
struct options;

/* "GET path HTTP/1.1", Host (unless -H gives one), the -H headers, Connection: close with --close. */
int http_build_request(struct plan *p, const struct options *o);
/* One request on its own connection before the load: its status and body become the expected
 * ones (the status only unless --expect-status said otherwise). -1 with a message in @err. */
int http_probe(struct plan *p, char *err, size_t errlen);

#endif
