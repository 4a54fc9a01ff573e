/* File helpers the C unit tests share: read a file whole, and ask
 * sha256sum(1) for an independent hash of it. */
#ifndef TESTFILES_H
#define TESTFILES_H

#include <stdio.h>

#include "ml_buf.h"

/* Reads the whole file at path into a NUL-terminated malloc'd string
 * (its length in *n when n is not NULL); NULL when it cannot be read. */
static inline char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	struct ml_buf b = {0};
	char chunk[65536];
	size_t k;

	if (!f)
		return NULL;
	while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
		ml_buf_add(&b, chunk, k);
	fclose(f);
	ml_buf_terminate(&b);
	if (n)
		*n = b.len;
	return b.data;
}

/* "sha256:<hex>" of the file as sha256sum(1) computes it (a static buffer). */
static inline const char *sha256sum(const char *path)
{
	static char id[80];
	char cmd[600], hex[65] = "";
	FILE *p;

	snprintf(cmd, sizeof cmd, "sha256sum '%s'", path);
	if (!(p = popen(cmd, "r")))
		return "(no sha256sum)";
	if (fscanf(p, "%64s", hex) != 1)
		hex[0] = '\0';
	pclose(p);
	snprintf(id, sizeof id, "sha256:%s", hex);
	return id;
}

#endif
