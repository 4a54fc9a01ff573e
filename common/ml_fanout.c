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
	uint64_t first_line;
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
	struct ml_err err;	/* the first error, and its block */
	uint64_t err_block;
	int failed;
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
};

static void *work(void *arg)
{
	struct worker *w = arg;

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

		const char *p = b.data, *end = b.data + b.len;
		uint64_t line = b.first_line, records = 0;
		while (!w->failed && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)(nl - p);
			if (n && p[n - 1] == '\r')
				n--;
			if (ml_json_skip_ws(p, p + n) != p + n) {
				records++;
				if (w->f->fn(w->ctx, p, n, &w->err) < 0) {
					ml_err_prefix(&w->err, "%s:%llu", b.file, (unsigned long long)line);
					w->failed = 1;
					w->err_block = b.index;
					__atomic_store_n(&w->f->failed, 1, __ATOMIC_RELAXED);
				}
			}
			p = nl + 1;
			line++;
		}
		if (b.records)
			__atomic_add_fetch(b.records, records, __ATOMIC_RELAXED);

		pthread_mutex_lock(&w->mu);
		free(w->queue[w->head].data);
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

int ml_fanout_block(struct ml_fanout *f, char *data, size_t len, const char *file,
		    uint64_t first_line, uint64_t *records)
{
	struct block b = {.data = data, .len = len, .first_line = first_line, .records = records};

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
		b->cap = len + 1 > BLOCK_BYTES ? len + 1 : BLOCK_BYTES;
		if (!(b->data = malloc(b->cap)) || !(b->file = file_name(f, file))) {
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
		*err = f->w[worst].err;
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
	for (size_t i = 0; i < f->nfiles; i++)
		free(f->files[i]);
	free(f->files);
	free(f->fill.data);
	free(f->w);
	free(f);
}
