/* SPDX-License-Identifier: MIT */
/* merge.h - exact merge of saio-load --json histograms (saio-loghist/1). */
#ifndef SAIO_LOAD_MERGE_H
#define SAIO_LOAD_MERGE_H
#include <stddef.h>
#include <stdio.h>

/* Prints the merged document on @out; -1 with @err naming the file and the problem. */
int merge_main(char **files, int nfiles, FILE *out, char *err, size_t errlen);

#endif
