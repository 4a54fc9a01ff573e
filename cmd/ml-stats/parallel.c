/* ml-stats --threads N: the records profiled by N workers, each into its
 * own profile, merged at the end (ml_profile_merge: counts, extremes and
 * moments as one pass gives them, sketches within their bounds).
 *
 * The reading thread cuts the input into chunks of whole lines, about a
 * megabyte each, and deals them round the workers: chunk i to worker i mod
 * N, so the same input and N give the same profile, byte for byte. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ml_in.h"
#include "ml_json.h"
#include "parallel.h"

#define CHUNK_BYTES (1 << 20)
#define QUEUE 4			/* chunks waiting per worker */

struct chunk {
	char *data;
	size_t len, cap;
	uint64_t index;		/* order in the input */
	uint64_t first_line;
	const char *file;	/* owned by the reader's list of names */
	uint64_t *records;	/* its input's count of records */
};

struct worker {
	pthread_t tid;
	struct ml_profile *p;
	struct chunk queue[QUEUE];
	size_t head, count;
	int closed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* the first error, with the index of its chunk */
	struct ml_err err;
	uint64_t err_chunk;
	int failed;
};

static int *stop_flag;

static void *work(void *arg)
{
	struct worker *w = arg;
	struct ml_rec *r = ml_rec_new();

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->count && !w->closed)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->count) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		struct chunk c = w->queue[w->head];
		pthread_mutex_unlock(&w->mu);

		const char *p = c.data, *end = c.data + c.len;
		uint64_t line = c.first_line, records = 0;
		while (!w->failed && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)(nl - p);
			if (n && p[n - 1] == '\r')
				n--;
			int blank = ml_json_skip_ws(p, p + n) == p + n;
			records += !blank;
			if (!blank &&
			    (!r || ml_rec_parse(r, p, n, &w->err) < 0 || ml_profile_add(w->p, r, &w->err) < 0)) {
				if (!r)
					ml_err_set(&w->err, ML_ERR_IO, "out of memory");
				ml_err_prefix(&w->err, "%s:%llu", c.file, (unsigned long long)line);
				w->failed = 1;
				w->err_chunk = c.index;
				__atomic_store_n(stop_flag, 1, __ATOMIC_RELAXED);
			}
			p = nl + 1;
			line++;
		}

		__atomic_add_fetch(c.records, records, __ATOMIC_RELAXED);
		pthread_mutex_lock(&w->mu);
		free(w->queue[w->head].data);
		w->queue[w->head].data = NULL;
		w->head = (w->head + 1) % QUEUE;
		w->count--;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	if (!w->failed && ml_profile_finish(w->p, &w->err) < 0) {
		w->failed = 1;
		w->err_chunk = UINT64_MAX;
	}
	ml_rec_free(r);
	return NULL;
}

/* Hands chunk c to its worker, waiting while that worker's queue is full. */
static void deal(struct worker *w, struct chunk *c)
{
	pthread_mutex_lock(&w->mu);
	while (w->count == QUEUE)
		pthread_cond_wait(&w->cv, &w->mu);
	w->queue[(w->head + w->count) % QUEUE] = *c;
	w->count++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	memset(c, 0, sizeof *c);
}

/* An input as the run log wants it, once its records are counted. */
struct input_done {
	char *path, *sha256;
	uint64_t bytes;
	uint64_t records;	/* added to by the workers */
};

/* Reads one input in blocks cut at their last newline and deals them round
 * the workers (the reading thread does not look at the lines: measured,
 * splitting them here cost as much as a worker's parse). */
static int read_input(struct stats_parallel *sp, const char *path, struct worker *w, size_t nw,
		      uint64_t *chunks, struct input_done *done, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct chunk c = {0};
	char *carry = NULL;
	size_t ncarry = 0;
	uint64_t line = 1;
	int rc = 0, eof = 0;

	if (!in)
		return -1;
	if (!ml_run_log_path(sp->cli->run) && !sp->hash)
		ml_in_no_hash(in);
	/* the name outlives the input: chunks may be read after it closed */
	char **names = realloc(sp->names, (sp->nnames + 1) * sizeof *names);
	if (!names || !(names[sp->nnames] = strdup(ml_in_name(in)))) {
		if (names)
			sp->names = names;
		ml_in_close(in);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	sp->names = names;
	const char *name = names[sp->nnames++];
	while (!eof && !__atomic_load_n(&sp->stop, __ATOMIC_RELAXED)) {
		size_t cap = CHUNK_BYTES + ncarry + 1;
		if (!(c.data = malloc(cap))) {
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
			break;
		}
		memcpy(c.data, carry, ncarry);
		c.len = ncarry;
		/* fill the block; a line longer than a block makes it grow */
		for (;;) {
			ssize_t got = ml_in_read(in, c.data + c.len, cap - 1 - c.len, err);
			if (got < 0) {
				rc = -1;
				break;
			}
			if (got == 0) {
				eof = 1;
				break;
			}
			c.len += (size_t)got;
			if (c.len < cap - 1)
				continue;
			if (memchr(c.data + ncarry, '\n', c.len - ncarry))
				break;
			char *d = realloc(c.data, cap * 2);
			if (!d) {
				rc = ml_err_set(err, ML_ERR_IO, "out of memory");
				break;
			}
			c.data = d;
			cap *= 2;
		}
		if (rc < 0)
			break;
		/* cut after the last newline; the rest starts the next block, and
		 * at the end of the input the last line gets its newline */
		char *last = c.len ? memrchr(c.data, '\n', c.len) : NULL;
		size_t cut = eof ? c.len : last ? (size_t)(last - c.data) + 1 : 0;
		free(carry);
		ncarry = c.len - cut;
		carry = ncarry ? malloc(ncarry) : NULL;
		if (ncarry && !carry) {
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
			break;
		}
		memcpy(carry, c.data + cut, ncarry);
		c.len = cut;
		if (eof && c.len && c.data[c.len - 1] != '\n')
			c.data[c.len++] = '\n';
		if (!c.len) {
			free(c.data);
			c.data = NULL;
			continue;
		}
		uint64_t lines = 0;
		for (const char *p = c.data, *e = c.data + c.len; (p = memchr(p, '\n', (size_t)(e - p))); p++)
			lines++;
		c.first_line = line;
		c.file = name;
		c.index = (*chunks)++;
		c.records = &done->records;
		line += lines;
		ml_cli_progress(sp->cli, line - 1);
		deal(&w[c.index % nw], &c);
	}
	free(c.data);
	free(carry);
	done->bytes = ml_in_bytes(in);
	done->path = strdup(ml_in_path(in));
	done->sha256 = ml_in_sha256(in) ? strdup(ml_in_sha256(in)) : NULL;
	if (rc == 0 && ml_profile_add_source(sp->p, ml_in_bytes(in), ml_in_sha256(in)) < 0)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	ml_in_close(in);
	return rc;
}

int stats_parallel(struct stats_parallel *sp, char *const *paths, size_t n, struct ml_err *err)
{
	size_t nw = sp->threads;
	struct worker *w = calloc(nw, sizeof *w);
	uint64_t chunks = 0;
	size_t started = 0;
	int rc = 0;

	if (!w)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	stop_flag = &sp->stop;
	for (size_t i = 0; i < nw && rc == 0; i++) {
		pthread_mutex_init(&w[i].mu, NULL);
		pthread_cond_init(&w[i].cv, NULL);
		if (!(w[i].p = ml_profile_new(sp->opts)))
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
		else if (pthread_create(&w[i].tid, NULL, work, &w[i]) != 0)
			rc = ml_err_set(err, ML_ERR_IO, "cannot start a thread");
		else
			started++;
	}
	struct input_done *inputs = calloc(n ? n : 1, sizeof *inputs);
	size_t ninputs = 0;
	if (!inputs && rc == 0)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t i = 0; i < (n ? n : 1) && rc == 0 && !__atomic_load_n(&sp->stop, __ATOMIC_RELAXED); i++)
		rc = read_input(sp, n ? paths[i] : "-", w, nw, &chunks, &inputs[ninputs++], err);
	for (size_t i = 0; i < started; i++) {
		pthread_mutex_lock(&w[i].mu);
		w[i].closed = 1;
		pthread_cond_broadcast(&w[i].cv);
		pthread_mutex_unlock(&w[i].mu);
		pthread_join(w[i].tid, NULL);
	}
	/* the error of the earliest chunk is the one a single pass meets first */
	size_t worst = nw;
	for (size_t i = 0; i < started; i++)
		if (w[i].failed && (worst == nw || w[i].err_chunk < w[worst].err_chunk))
			worst = i;
	if (worst < nw) {
		/* a reading error of its own stands; else the worker's */
		if (rc == 0)
			*err = w[worst].err;
		rc = -1;
	}
	for (size_t i = 0; i < ninputs; i++) {
		if (inputs[i].path)
			ml_run_input(sp->cli->run, inputs[i].path, inputs[i].bytes, (int64_t)inputs[i].records,
				     inputs[i].sha256);
		sp->records += inputs[i].records;
		free(inputs[i].path);
		free(inputs[i].sha256);
	}
	free(inputs);
	for (size_t i = 0; i < nw && rc == 0; i++)
		if (ml_profile_merge(sp->p, w[i].p, err) < 0)
			rc = -1;
	for (size_t i = 0; i < nw; i++) {
		ml_profile_free(w[i].p);
		for (size_t k = 0; k < QUEUE; k++)
			free(w[i].queue[k].data);
		pthread_mutex_destroy(&w[i].mu);
		pthread_cond_destroy(&w[i].cv);
	}
	free(w);
	return rc;
}
