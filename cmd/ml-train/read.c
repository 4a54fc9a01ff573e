/* The training records, read by three threads, each record indexed once:
 * this one reads the inputs and gathers their lines into blocks; a parser
 * indexes each record and adds it to the table; a profiler adds the same
 * indexed records to the training profile.  Measured on a million records
 * (168 MB): when the profiler indexed every line again, it was the longest
 * thread (0.6 s) and the reading took 1.2 s of CPU; indexed once, it takes
 * about 1.0 s, the parser being the longest at 0.5 s.
 *
 * The profile is wanted only when the bundle is written, so the profiler
 * may lag behind the parser by up to QUEUED_PROFILE blocks, and what it
 * has not profiled when the reading ends it profiles while the matrix is
 * made and training begins.  The lag is bounded because each block holds
 * its records' indexes (about 1 MB a block on the benchmark's records).
 * It ran at idle priority (SCHED_IDLE) for a while, with no bound: on a
 * machine whose cores were busy with other work it starved, and one
 * training took 143 s instead of 3.3 s and 1.39 GB instead of 0.54. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ml_in.h"
#include "ml_json.h"
#include "train.h"

#define BLOCK_BYTES (1 << 18)
#define QUEUED 4		/* blocks waiting for the parser */
#define QUEUED_PROFILE 16	/* blocks the profiler may lag behind */

/* Whole lines of one input, each ending in '\n', and what the parser made
 * of them: an index per record (pointing into data) and its line. */
struct block {
	char *data;
	size_t len, cap;
	const char *file;
	uint64_t first_line;
	struct ml_rec **recs;
	uint64_t *lines;
	size_t nrecs, reccap;
	struct block *next;
};

/* Blocks handed from one thread to the next, in order; max 0: no bound. */
struct queue {
	struct block *head, *tail;
	size_t n, max;
	int closed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

struct reader {
	struct ml_cli *cli;
	struct table *table;
	struct ml_profile *profile;
	struct queue to_parse, to_profile, spare;
	pthread_t parser, profiler;
	int parsing, profiling;	/* the threads are running */
	int failed;		/* a thread failed: the others stop working */
	struct ml_err parse_err, profile_err;
	int parse_failed, profile_failed;
	struct block *fill;	/* the block being filled */
	uint64_t records;	/* non-blank lines read, for --progress */
	char **files;		/* copies of the inputs' names, for the blocks */
	size_t nfiles;
	/* the inputs read, for the manifest and the profile */
	uint64_t bytes;
	struct ml_buf sources;
	uint64_t *source_bytes;
	char **source_sha;
	size_t nsources;
};

static void queue_init(struct queue *q, size_t max)
{
	memset(q, 0, sizeof *q);
	q->max = max;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

/* Appends b, waiting while the queue is full. */
static void queue_push(struct queue *q, struct block *b)
{
	pthread_mutex_lock(&q->mu);
	while (q->max && q->n >= q->max)
		pthread_cond_wait(&q->cv, &q->mu);
	b->next = NULL;
	if (q->tail)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->n++;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

/* The first block, waiting for one when wait; NULL when there is none (and,
 * waiting, when the queue is closed). */
static struct block *queue_pop(struct queue *q, int wait)
{
	pthread_mutex_lock(&q->mu);
	while (wait && !q->n && !q->closed)
		pthread_cond_wait(&q->cv, &q->mu);
	struct block *b = q->head;
	if (b) {
		q->head = b->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return b;
}

static void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

static void block_free(struct block *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->reccap; i++)
		ml_rec_free(b->recs[i]);
	free(b->recs);
	free(b->lines);
	free(b->data);
	free(b);
}

static void queue_drain(struct queue *q)
{
	struct block *b;

	while ((b = queue_pop(q, 0)))
		block_free(b);
}

static void queue_free(struct queue *q)
{
	queue_drain(q);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

static int failed(struct reader *rd)
{
	return __atomic_load_n(&rd->failed, __ATOMIC_RELAXED);
}

/* The index for the block's next record: kept from the block's earlier
 * use, so that indexes, once grown to the widest record, are reused. */
static struct ml_rec *next_rec(struct block *b, uint64_t line)
{
	if (b->nrecs == b->reccap) {
		size_t cap = b->reccap ? b->reccap * 2 : 1024;
		struct ml_rec **r = realloc(b->recs, cap * sizeof *r);
		if (!r)
			return NULL;
		b->recs = r;
		uint64_t *l = realloc(b->lines, cap * sizeof *l);
		if (!l)
			return NULL;
		b->lines = l;
		for (; b->reccap < cap; b->reccap++)
			if (!(b->recs[b->reccap] = ml_rec_new()))
				return NULL;
	}
	b->lines[b->nrecs] = line;
	return b->recs[b->nrecs++];
}

/* The parser's work on a block: each record indexed and added to the
 * table; blank lines are skipped, as ml_each skips them. */
static int parse_block(struct reader *rd, struct block *b)
{
	const char *p = b->data, *end = b->data + b->len;
	uint64_t line = b->first_line;
	struct ml_err *err = &rd->parse_err;

	for (; p < end; line++) {
		const char *text = p, *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);
		p = nl + 1;
		if (ml_json_skip_ws(text, text + n) == text + n)
			continue;
		struct ml_rec *r = next_rec(b, line);
		int rc = 0;
		if (!r)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		if (ml_rec_parse(r, text, n, err) < 0 || (rc = table_add(rd->table, r, err)) < 0)
			return ml_err_prefix(err, "%s:%llu", b->file, (unsigned long long)line);
		if (rc > 0)
			ml_err_prefix(&rd->table->wide_target, "%s:%llu", b->file, (unsigned long long)line);
	}
	return 0;
}

static void fail(struct reader *rd, int *which)
{
	*which = 1;
	__atomic_store_n(&rd->failed, 1, __ATOMIC_RELAXED);
}

static void *parser(void *arg)
{
	struct reader *rd = arg;
	struct block *b;

	while ((b = queue_pop(&rd->to_parse, 1))) {
		b->nrecs = 0;
		if (!failed(rd) && parse_block(rd, b) < 0)
			fail(rd, &rd->parse_failed);
		queue_push(&rd->to_profile, b);
	}
	queue_close(&rd->to_profile);
	return NULL;
}

static void *profiler(void *arg)
{
	struct reader *rd = arg;
	struct block *b;

	while ((b = queue_pop(&rd->to_profile, 1))) {
		for (size_t i = 0; i < b->nrecs && !failed(rd); i++)
			if (ml_profile_add(rd->profile, b->recs[i], &rd->profile_err) < 0) {
				ml_err_prefix(&rd->profile_err, "%s:%llu", b->file, (unsigned long long)b->lines[i]);
				fail(rd, &rd->profile_failed);
			}
		queue_push(&rd->spare, b);
	}
	return NULL;
}

struct reader *reader_start(struct ml_cli *cli, struct table *t, struct ml_profile *p)
{
	struct reader *rd = calloc(1, sizeof *rd);

	if (!rd)
		return NULL;
	rd->cli = cli;
	rd->table = t;
	rd->profile = p;
	queue_init(&rd->to_parse, QUEUED);
	queue_init(&rd->to_profile, QUEUED_PROFILE);
	queue_init(&rd->spare, 0);
	rd->parsing = pthread_create(&rd->parser, NULL, parser, rd) == 0;
	rd->profiling = rd->parsing && pthread_create(&rd->profiler, NULL, profiler, rd) == 0;
	if (!rd->profiling) {
		reader_free(rd);
		return NULL;
	}
	return rd;
}

/* Hands the block being filled to the parser. */
static void deal(struct reader *rd)
{
	if (rd->fill && rd->fill->len)
		queue_push(&rd->to_parse, rd->fill);
	else if (rd->fill)
		queue_push(&rd->spare, rd->fill);
	rd->fill = NULL;
}

/* Adds a line (its newline and a "\r" before it left out) to the block
 * being filled, which is dealt when full: a new block, or one the profiler
 * is through with. */
static int add_line(struct reader *rd, const char *file, uint64_t lineno, const char *line, size_t len)
{
	struct block *b = rd->fill;

	if (b && b->len + len + 1 > b->cap) {
		deal(rd);
		b = NULL;
	}
	if (!b) {
		if (!(b = queue_pop(&rd->spare, 0)) && !(b = calloc(1, sizeof *b)))
			return -1;
		rd->fill = b;
		b->len = 0;
		b->file = file;
		b->first_line = lineno;
		if (b->cap < len + 1 || b->cap < BLOCK_BYTES) {
			size_t cap = len + 1 > BLOCK_BYTES ? len + 1 : BLOCK_BYTES;
			char *d = realloc(b->data, cap);
			if (!d)
				return -1;
			b->data = d;
			b->cap = cap;
		}
	}
	memcpy(b->data + b->len, line, len);
	b->data[b->len + len] = '\n';
	b->len += len + 1;
	return 0;
}

/* Keeps an input's size and hash for the manifest and the profile. */
static int add_source(struct reader *rd, uint64_t bytes, const char *sha256)
{
	uint64_t *b = realloc(rd->source_bytes, (rd->nsources + 1) * sizeof *b);
	char **s = b ? realloc(rd->source_sha, (rd->nsources + 1) * sizeof *s) : NULL;

	if (b)
		rd->source_bytes = b;
	if (!s)
		return -1;
	rd->source_sha = s;
	b[rd->nsources] = bytes;
	s[rd->nsources] = sha256 ? strdup(sha256) : NULL;
	rd->nsources++;
	rd->bytes += bytes;
	ml_buf_addc(&rd->sources, rd->sources.len ? ',' : '[');
	ml_buf_printf(&rd->sources, "\"%s\"", sha256 ? sha256 : "");
	return 0;
}

/* A copy of an input's name that lives as long as the blocks. */
static const char *keep_name(struct reader *rd, const char *name)
{
	char **v = realloc(rd->files, (rd->nfiles + 1) * sizeof *v);

	if (!v)
		return NULL;
	rd->files = v;
	if (!(v[rd->nfiles] = strdup(name)))
		return NULL;
	return v[rd->nfiles++];
}

/* One input's lines into blocks, as ml_each reads an input: 0, -1 with
 * err, or 1 with err when none of it could be read (it is warned about and
 * counted, and the others are read). */
static int read_input(struct reader *rd, const char *path, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct ml_lines *lines;
	const char *line, *file;
	size_t len;
	uint64_t records = 0;
	int rc = 0, got = 0;

	if (!in)
		return 1;
	if (!(lines = ml_lines_of(in)) || !(file = keep_name(rd, ml_in_name(in)))) {
		ml_lines_free(lines);
		ml_in_close(in);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	while (!failed(rd) && (got = ml_lines_next(lines, &line, &len, err)) > 0) {
		if (add_line(rd, file, ml_lines_number(lines), line, len) < 0) {
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
			break;
		}
		if (ml_json_skip_ws(line, line + len) != line + len) {
			records++;
			ml_cli_progress(rd->cli, ++rd->records);
		}
	}
	/* a block holds the lines of one input */
	deal(rd);
	if (rc == 0 && !failed(rd) && got < 0) {
		/* failing on the first read (EIO, EISDIR from a read) is the same
		 * as failing to open: nothing of the input was read */
		rc = ml_in_bytes(in) == 0 && records == 0 ? 1 : -1;
	}
	if (rc <= 0) {
		if (rd->cli->run)
			ml_run_input(rd->cli->run, ml_in_path(in), ml_in_bytes(in), (int64_t)records,
				     ml_in_sha256(in));
		if (rc == 0 && add_source(rd, ml_in_bytes(in), ml_in_sha256(in)) < 0)
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	ml_lines_free(lines);
	ml_in_close(in);
	return rc;
}

/* Waits for the parser, which stops once the reading thread is through. */
static void join_parser(struct reader *rd)
{
	if (rd->parsing) {
		queue_close(&rd->to_parse);
		pthread_join(rd->parser, NULL);
		rd->parsing = 0;
	}
	block_free(rd->fill);
	rd->fill = NULL;
	queue_drain(&rd->to_parse);
}

/* Waits for both threads (the profiler stops once the parser has) and
 * frees the blocks. */
static void join(struct reader *rd)
{
	join_parser(rd);
	if (rd->profiling) {
		pthread_join(rd->profiler, NULL);
		rd->profiling = 0;
	}
	queue_drain(&rd->to_profile);
	queue_drain(&rd->spare);
}

int reader_read(struct reader *rd, char *const *paths, size_t n, uint64_t *failed_inputs,
		struct ml_err *err)
{
	static char *const stdin_only[] = {"-"};
	int rc = 0;

	if (n == 0) {
		paths = stdin_only;
		n = 1;
	}
	for (size_t i = 0; i < n && rc == 0 && !failed(rd); i++) {
		/* an input that cannot be read is named, and the others are
		 * still read: one run names every bad input */
		if ((rc = read_input(rd, paths[i], err)) > 0) {
			ml_warn("%s", err->msg);
			ml_err_clear(err);
			(*failed_inputs)++;
			rc = 0;
		}
	}
	join_parser(rd);
	/* a record the parser could not take comes before anything this
	 * thread met */
	if (rd->parse_failed) {
		*err = rd->parse_err;
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

int reader_profile(struct reader *rd, struct ml_err *err)
{
	join(rd);
	if (rd->profile_failed) {
		*err = rd->profile_err;
		return -1;
	}
	for (size_t i = 0; i < rd->nsources; i++)
		if (ml_profile_add_source(rd->profile, rd->source_bytes[i], rd->source_sha[i]) < 0)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
	return ml_profile_finish(rd->profile, err);
}

uint64_t reader_bytes(const struct reader *rd)
{
	return rd->bytes;
}

const char *reader_sources(const struct reader *rd)
{
	return rd->sources.len ? rd->sources.data : "[";
}

void reader_free(struct reader *rd)
{
	if (!rd)
		return;
	/* threads still running (a run that failed to start) stop at once */
	__atomic_store_n(&rd->failed, 1, __ATOMIC_RELAXED);
	join(rd);
	queue_free(&rd->to_parse);
	queue_free(&rd->to_profile);
	queue_free(&rd->spare);
	for (size_t i = 0; i < rd->nfiles; i++)
		free(rd->files[i]);
	free(rd->files);
	for (size_t i = 0; i < rd->nsources; i++)
		free(rd->source_sha[i]);
	free(rd->source_sha);
	free(rd->source_bytes);
	ml_buf_free(&rd->sources);
	free(rd);
}
