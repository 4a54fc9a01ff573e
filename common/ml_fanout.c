/* Lines handed to worker threads in blocks (see ml_fanout.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ml_fanout.h"
#include "ml_json.h"

#define BLOCK_BYTES (1 << 20)
#define QUEUE 4			/* blocks waiting per worker */

struct block {
	char *data;
	size_t len, cap;
	uint64_t index;		/* order in the input */
	uint64_t first_line;	/* or ML_FANOUT_NEXT_LINE */
	const char *file;	/* a copy, owned by the fanout */
	uint64_t *records;
};

struct worker {
	struct ml_fanout *f;
	void *ctx;
	pthread_t tid;
	struct block queue[QUEUE];
	size_t head, count;
	int closed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* the first error: its block, and its line as counted from the
	 * block's first (which may be known only once the blocks before are
	 * through) */
	struct ml_err err;
	uint64_t err_block, err_first_line, err_offset;
	const char *err_file;
	int failed;
};

/* A block a worker is through, with its line count: its successor's first
 * line is this one's plus its lines. */
struct tally {
	uint64_t index;		/* UINT64_MAX when no block is tallied here */
	uint64_t first_line, lines;
};

/* A buffer a worker is through with, for the reader to fill again. */
struct spare {
	char *data;
	size_t cap;
};

struct ml_fanout {
	ml_fanout_fn fn;
	struct worker *w;
	size_t n, started;
	uint64_t blocks;
	struct block fill;	/* the block ml_fanout_line fills */
	char **files;		/* copies of the file names seen */
	size_t nfiles;
	int failed;		/* set atomically by a worker */
	int finished;
	pthread_mutex_t mu;	/* over what follows, which the workers share */
	/* Blocks are tallied as the workers finish them, in any order, and
	 * counted in input order.  No more than QUEUE * n blocks are dealt
	 * past the first uncounted one (its worker's queue holds it), so
	 * that many tallies suffice. */
	struct tally *tallies;
	size_t ntallies;
	uint64_t counted;	/* the blocks before this one are counted */
	uint64_t next_line;	/* the first line of block counted */
	struct spare *spares;
	size_t nspares, maxspares;
};

/* Counts the lines of a block a worker is through, and of any tallied
 * blocks after it, while they are next in input order; under f->mu. */
static void tally(struct ml_fanout *f, const struct block *b, uint64_t lines)
{
	struct tally *t = &f->tallies[b->index % f->ntallies];

	*t = (struct tally){.index = b->index, .first_line = b->first_line, .lines = lines};
	while ((t = &f->tallies[f->counted % f->ntallies])->index == f->counted) {
		if (t->first_line != ML_FANOUT_NEXT_LINE)
			f->next_line = t->first_line;
		f->next_line += t->lines;
		f->counted++;
	}
}

/* Takes back a block's buffer for the reader to fill again (or frees it,
 * past the most that can be in use at once); under f->mu. */
static void keep_spare(struct ml_fanout *f, char *data, size_t cap)
{
	if (f->nspares < f->maxspares)
		f->spares[f->nspares++] = (struct spare){data, cap};
	else
		free(data);
}

/* Calls back per non-blank line of b; the lines of b, all of them when the
 * worker has not failed. */
static uint64_t run_block(struct worker *w, const struct block *b)
{
	const char *p = b->data, *end = b->data + b->len;
	uint64_t lines = 0, records = 0;

	while (!w->failed && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (ml_json_skip_ws(p, p + n) != p + n) {
			records++;
			if (w->f->fn(w->ctx, p, n, &w->err) < 0) {
				w->failed = 1;
				w->err_block = b->index;
				w->err_first_line = b->first_line;
				w->err_offset = lines;
				w->err_file = b->file;
				__atomic_store_n(&w->f->failed, 1, __ATOMIC_RELAXED);
			}
		}
		p = nl + 1;
		lines++;
	}
	if (b->records)
		__atomic_add_fetch(b->records, records, __ATOMIC_RELAXED);
	return lines;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct ml_fanout *f = w->f;

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->count && !w->closed)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->count) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		struct block b = w->queue[w->head];
		pthread_mutex_unlock(&w->mu);

		/* a failed block is never tallied: the counting stops before
		 * it, at its first line */
		int was_failed = w->failed;
		uint64_t lines = run_block(w, &b);
		pthread_mutex_lock(&f->mu);
		if (!was_failed && !w->failed)
			tally(f, &b, lines);
		keep_spare(f, b.data, b.cap);
		pthread_mutex_unlock(&f->mu);

		/* the block leaves the queue only once tallied (see ntallies) */
		pthread_mutex_lock(&w->mu);
		w->queue[w->head].data = NULL;
		w->head = (w->head + 1) % QUEUE;
		w->count--;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	return NULL;
}

struct ml_fanout *ml_fanout_start(size_t n, ml_fanout_fn fn, void *const *ctxs)
{
	struct ml_fanout *f = calloc(1, sizeof *f);

	if (!f || !n || !(f->w = calloc(n, sizeof *f->w))) {
		free(f);
		return NULL;
	}
	f->fn = fn;
	f->n = n;
	f->next_line = 1;
	pthread_mutex_init(&f->mu, NULL);
	/* every buffer in use at once: the queues' and the one being filled */
	f->maxspares = QUEUE * n + 1;
	f->ntallies = QUEUE * n;
	if (!(f->spares = calloc(f->maxspares, sizeof *f->spares)) ||
	    !(f->tallies = calloc(f->ntallies, sizeof *f->tallies))) {
		ml_fanout_free(f);
		return NULL;
	}
	for (size_t i = 0; i < f->ntallies; i++)
		f->tallies[i].index = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		struct worker *w = &f->w[i];
		w->f = f;
		w->ctx = ctxs[i];
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
		if (pthread_create(&w->tid, NULL, work, w) != 0) {
			ml_fanout_free(f);
			return NULL;
		}
		f->started++;
	}
	return f;
}

/* A copy of the file name that lives as long as f. */
static const char *file_name(struct ml_fanout *f, const char *file)
{
	if (f->nfiles && !strcmp(f->files[f->nfiles - 1], file))
		return f->files[f->nfiles - 1];
	char **v = realloc(f->files, (f->nfiles + 1) * sizeof *v);
	if (!v)
		return NULL;
	f->files = v;
	if (!(v[f->nfiles] = strdup(file)))
		return NULL;
	return v[f->nfiles++];
}

/* Hands block b to its worker, waiting while that worker's queue is full. */
static void deal(struct ml_fanout *f, struct block *b)
{
	struct worker *w = &f->w[b->index % f->n];

	pthread_mutex_lock(&w->mu);
	while (w->count == QUEUE)
		pthread_cond_wait(&w->cv, &w->mu);
	w->queue[(w->head + w->count) % QUEUE] = *b;
	w->count++;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	memset(b, 0, sizeof *b);
}

char *ml_fanout_buffer(struct ml_fanout *f, size_t min, size_t *cap)
{
	struct spare s = {0};

	pthread_mutex_lock(&f->mu);
	if (f->nspares)
		s = f->spares[--f->nspares];
	pthread_mutex_unlock(&f->mu);
	if (s.data && s.cap >= min) {
		*cap = s.cap;
		return s.data;
	}
	/* too small (after a long line asked for more): a new one instead */
	free(s.data);
	if (!(s.data = malloc(min)))
		return NULL;
	*cap = min;
	return s.data;
}

int ml_fanout_block(struct ml_fanout *f, char *data, size_t len, size_t cap, const char *file,
		    uint64_t first_line, uint64_t *records)
{
	struct block b = {.data = data, .len = len, .cap = cap, .first_line = first_line,
			  .records = records};

	if (!(b.file = file_name(f, file))) {
		free(data);
		return -1;
	}
	b.index = f->blocks++;
	deal(f, &b);
	return 0;
}

int ml_fanout_line(struct ml_fanout *f, const char *file, uint64_t lineno, const char *line,
		   size_t len)
{
	struct block *b = &f->fill;

	/* a new block at a new file, and when full */
	if (b->data && (strcmp(b->file, file) || b->len + len + 1 > b->cap)) {
		b->index = f->blocks++;
		deal(f, b);
	}
	if (!b->data) {
		size_t min = len + 1 > BLOCK_BYTES ? len + 1 : BLOCK_BYTES;
		if (!(b->data = ml_fanout_buffer(f, min, &b->cap)) || !(b->file = file_name(f, file))) {
			free(b->data);
			b->data = NULL;
			return -1;
		}
		b->len = 0;
		b->first_line = lineno;
	}
	memcpy(b->data + b->len, line, len);
	b->data[b->len + len] = '\n';
	b->len += len + 1;
	return 0;
}

int ml_fanout_failed(struct ml_fanout *f)
{
	return __atomic_load_n(&f->failed, __ATOMIC_RELAXED);
}

/* The line of w's error: counted from its block's first line, which is
 * the line after all the blocks before when the reader did not give it.
 * Those blocks are all through, and tallied, once the workers are joined;
 * the counting stops at the earliest failed block, the one asked about. */
static uint64_t error_line(const struct ml_fanout *f, const struct worker *w)
{
	uint64_t first = w->err_first_line;

	if (first == ML_FANOUT_NEXT_LINE)
		first = f->next_line;
	return first + w->err_offset;
}

int ml_fanout_finish(struct ml_fanout *f, struct ml_err *err)
{
	size_t worst = f->n;

	if (f->finished)
		return 0;
	f->finished = 1;
	if (f->fill.data) {
		f->fill.index = f->blocks++;
		deal(f, &f->fill);
	}
	for (size_t i = 0; i < f->started; i++) {
		struct worker *w = &f->w[i];
		pthread_mutex_lock(&w->mu);
		w->closed = 1;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->tid, NULL);
	}
	/* the earliest block's error is the one a single pass meets first */
	for (size_t i = 0; i < f->started; i++)
		if (f->w[i].failed && (worst == f->n || f->w[i].err_block < f->w[worst].err_block))
			worst = i;
	if (worst < f->n) {
		struct worker *w = &f->w[worst];
		*err = w->err;
		ml_err_prefix(err, "%s:%llu", w->err_file, (unsigned long long)error_line(f, w));
		return -1;
	}
	return 0;
}

void ml_fanout_free(struct ml_fanout *f)
{
	struct ml_err ignored;

	if (!f)
		return;
	ml_fanout_finish(f, &ignored);
	for (size_t i = 0; i < f->n; i++) {
		for (size_t k = 0; k < QUEUE; k++)
			free(f->w[i].queue[k].data);
		pthread_mutex_destroy(&f->w[i].mu);
		pthread_cond_destroy(&f->w[i].cv);
	}
	for (size_t i = 0; f->spares && i < f->nspares; i++)
		free(f->spares[i].data);
	for (size_t i = 0; i < f->nfiles; i++)
		free(f->files[i]);
	pthread_mutex_destroy(&f->mu);
	free(f->spares);
	free(f->tallies);
	free(f->files);
	free(f->fill.data);
	free(f->w);
	free(f);
}
