#include "ml_worker.h"

#include <pthread.h>
#include <stdlib.h>

struct ml_worker {
	ml_worker_fn fn;
	void *ctx;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *job;	/* the buffer in hand, or NULL */
	size_t len;
	int stop;
	int error;		/* the first errno a job returned */
};

static void *worker_main(void *arg)
{
	struct ml_worker *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->job && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->job)
			break;
		const char *p = w->job;
		size_t n = w->len;
		int failed = w->error;
		pthread_mutex_unlock(&w->mu);
		/* after a failure the rest is skipped: a stream ends where it failed */
		int e = failed ? failed : w->fn(w->ctx, p, n);
		pthread_mutex_lock(&w->mu);
		w->error = e;
		w->job = NULL;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

struct ml_worker *ml_worker_start(ml_worker_fn fn, void *ctx)
{
	struct ml_worker *w = calloc(1, sizeof *w);

	if (!w)
		return NULL;
	w->fn = fn;
	w->ctx = ctx;
	if (pthread_mutex_init(&w->mu, NULL) != 0) {
		free(w);
		return NULL;
	}
	if (pthread_cond_init(&w->cv, NULL) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	return w;
}

int ml_worker_wait(struct ml_worker *w)
{
	int e;

	pthread_mutex_lock(&w->mu);
	while (w->job)
		pthread_cond_wait(&w->cv, &w->mu);
	e = w->error;
	pthread_mutex_unlock(&w->mu);
	return e;
}

int ml_worker_post(struct ml_worker *w, const char *p, size_t n)
{
	int e;

	pthread_mutex_lock(&w->mu);
	while (w->job)
		pthread_cond_wait(&w->cv, &w->mu);
	e = w->error;
	if (!e) {
		w->job = p;
		w->len = n;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return e;
}

int ml_worker_stop(struct ml_worker *w)
{
	int e;

	if (!w)
		return 0;
	e = ml_worker_wait(w);
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return e;
}

void ml_worker_two(void *(*fn)(void *), void *a, void *b, int parallel)
{
	pthread_t thread;
	int started = parallel && pthread_create(&thread, NULL, fn, a) == 0;

	if (!started)
		fn(a);
	fn(b);
	if (started)
		pthread_join(thread, NULL);
}
