/* Checks against an independent reference (SciPy, scikit-learn): a Python
 * script prints one line per case, "tag n n n ..." (repr floats, which
 * read back exactly), then "end"; the test compares each line with its own
 * answer.  Comparisons gather in groups, one TAP line per group with the
 * worst deviation seen; the first failures of a group explain themselves.
 * A script that cannot run its reference prints "skip REASON" instead.
 * Header-only, like tap.h. */
#ifndef REFERENCE_H
#define REFERENCE_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

/* A family of comparisons that ends as one TAP line. */
struct ref_group {
	const char *what;
	int cases, bad;
	double worst;		/* the largest error measure seen */
};

/* Records one comparison: err is its error measure, good whether it is
 * within tolerance; the first five failures are printed. */
static inline void ref_vrecord(struct ref_group *g, int good, double err, const char *fmt, va_list ap)
{
	g->cases++;
	if (err > g->worst || isnan(err))
		g->worst = err;
	if (!good && g->bad++ < 5) {
		printf("# %s: ", g->what);
		vprintf(fmt, ap);
		printf("\n");
	}
}

static inline void ref_record(struct ref_group *g, int good, double err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ref_vrecord(g, good, err, fmt, ap);
	va_end(ap);
}

/* The interpreter: $ML_PYTHON, else Debian's /usr/bin/python3 (the python3
 * first on PATH may be one without SciPy or scikit-learn). */
static inline const char *ref_python(void)
{
	const char *python = getenv("ML_PYTHON");

	return python && *python ? python : "/usr/bin/python3";
}

/* Splits "tag n n n ..." into tag (at most 15 bytes) and *v[0..*n), grown
 * as needed (*cap numbers); aborts when memory is out. */
static inline void ref_parse(char *line, char *tag, double **v, size_t *n, size_t *cap)
{
	char *p = line, *end;
	size_t k = 0;

	*n = 0;
	while (*p && *p != ' ' && *p != '\n' && k < 15)
		tag[k++] = *p++;
	tag[k] = '\0';
	for (;;) {
		double d = strtod(p, &end);

		if (end == p)
			break;
		if (*n == *cap) {
			*cap = *cap ? 2 * *cap : 1024;
			if (!(*v = realloc(*v, *cap * sizeof **v)))
				abort();
		}
		(*v)[(*n)++] = d;
		p = end;
	}
}

/* Runs the shell command cmd (the reference script under ref_python())
 * and hands each line's tag and numbers to each; removes tmpfile (made for
 * the script) when done.  1: the script ran to its end and exited 0, which
 * is one passing TAP line naming reference; 0: it did not (one failing
 * line); -1: skipped (one SKIP line: the script said why, or the
 * interpreter is not there). */
static inline int ref_run(const char *cmd, const char *tmpfile, const char *reference,
			  void (*each)(const char *tag, const double *v, size_t n))
{
	char tag[16], *line = NULL;
	double *v = NULL;
	size_t n = 0, vcap = 0, cap = 0;
	int ended = 0, status;
	FILE *p = popen(cmd, "r");

	if (!p) {
		ok(0, "%s runs", ref_python());
		unlink(tmpfile);
		return 0;
	}
	while (getline(&line, &cap, p) > 0) {
		if (!strncmp(line, "skip", 4)) {
			line[strcspn(line, "\n")] = '\0';
			printf("ok %d # SKIP %s\n", ++tap_n, line + 5);
			ended = -1;
			break;
		}
		ref_parse(line, tag, &v, &n, &vcap);
		if (!strcmp(tag, "end")) {
			ended = 1;
			break;
		}
		each(tag, v, n);
	}
	while (getline(&line, &cap, p) > 0)
		;
	status = pclose(p);
	unlink(tmpfile);
	free(line);
	free(v);
	if (ended < 0)
		return -1;
	if (ended == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		printf("ok %d # SKIP %s is not there\n", ++tap_n, ref_python());
		return -1;
	}
	ok(ended == 1 && status == 0, "the %s reference script ran to its end (%s)", reference, ref_python());
	return ended == 1 && status == 0;
}

#endif
