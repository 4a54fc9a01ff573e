/* ml-stats --threads (parallel.c). */
#ifndef STATS_PARALLEL_H
#define STATS_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

#include "ml_cli.h"
#include "ml_profile.h"

struct stats_parallel {
	struct ml_cli *cli;
	struct ml_profile *p;		/* the workers' profiles merge into it */
	const struct ml_profile_opts *opts;
	size_t threads;
	int hash;			/* hash the inputs even when not logged */
	uint64_t records;
	size_t failed_inputs;		/* inputs not read: each named on stderr */
};

/* Profiles the records of paths[0..n) ("-" or none: stdin) into sp->p with
 * sp->threads workers; 0, or -1 with err ("FILE:LINE: why").  An input that
 * cannot be opened or read from its start is named on stderr and counted in
 * sp->failed_inputs, and the others are read. */
int stats_parallel(struct stats_parallel *sp, char *const *paths, size_t n, struct ml_err *err);

#endif
