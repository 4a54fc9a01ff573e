#include "ml_in.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_sha256.h"
#include "ml_worker.h"

/* Past this many bytes the hash moves to a worker thread: on a copy of the
 * bytes for ml_in_read (the caller's buffer is the caller's again when
 * read returns), on the bytes where they are for ml_in_read_in_place. */
#define HASH_THREAD_AFTER (1u << 20)
#define HASH_SLOT (256 * 1024)
/* Bytes read in place, one after the other, are handed over together up
 * to this many: a pipe gives 64 KiB a read, and a handover costs a wakeup. */
#define HASH_JOB (1u << 20)

struct ml_in {
	int fd;
	int eof;
	char *path;
	struct ml_sha256 *hash;
	char id[ML_SHA256_ID_SIZE];
	uint64_t bytes;
	struct ml_worker *hasher;
	char *slot[2];		/* the copies, made when first needed */
	int which;
	const char *pending;	/* read in place, not yet handed over */
	size_t npending;
	char *ahead;		/* read by ml_in_peek, hashed, not yet handed out */
	size_t nahead, ahead_off;
};

static int hash_job(void *ctx, const char *p, size_t n)
{
	struct ml_in *in = ctx;

	ml_sha256_update(in->hash, p, n);
	return 0;
}

/* Hands a copy of p[0..n) to the hash thread, a slot at a time. */
static void hash_copy(struct ml_in *in, const char *p, size_t n)
{
	if (!in->slot[0])
		in->slot[0] = malloc(HASH_SLOT);
	if (!in->slot[1])
		in->slot[1] = malloc(HASH_SLOT);
	if (!in->slot[0] || !in->slot[1]) {
		/* no room for copies: hash here, after what the thread has */
		ml_worker_wait(in->hasher);
		ml_sha256_update(in->hash, p, n);
		return;
	}
	while (n) {
		size_t k = n < HASH_SLOT ? n : HASH_SLOT;
		memcpy(in->slot[in->which], p, k);
		ml_worker_post(in->hasher, in->slot[in->which], k);
		in->which ^= 1;
		p += k;
		n -= k;
	}
}

/* Hands the bytes read in place and not yet hashed to the hash thread. */
static void post_pending(struct ml_in *in)
{
	if (in->npending)
		ml_worker_post(in->hasher, in->pending, in->npending);
	in->npending = 0;
}

/* Hashes p[0..n) where it is: with the pending bytes when it follows them,
 * after them when it does not. */
static void hash_in_place(struct ml_in *in, const char *p, size_t n)
{
	if (in->npending && in->pending + in->npending != p)
		post_pending(in);
	if (!in->npending)
		in->pending = p;
	in->npending += n;
	if (in->npending >= HASH_JOB)
		post_pending(in);
}

/* Hashes p[0..n), in order after every byte before: here for the first
 * megabyte (a small input is not worth a thread), then on the thread. */
static void hash_bytes(struct ml_in *in, const char *p, size_t n, int in_place)
{
	if (!in->hasher && in->bytes >= HASH_THREAD_AFTER)
		in->hasher = ml_worker_start(hash_job, in);
	if (!in->hasher) {
		ml_sha256_update(in->hash, p, n);
	} else if (in_place) {
		hash_in_place(in, p, n);
	} else {
		post_pending(in);
		hash_copy(in, p, n);
	}
}

struct ml_in *ml_in_open(const char *path, struct ml_err *err)
{
	struct ml_in *in = calloc(1, sizeof *in);
	struct stat st;

	if (!in || !(in->path = strdup(path))) {
		free(in);
		ml_err_sys(err, ENOMEM, "cannot open '%s'", path);
		return NULL;
	}
	in->fd = -1;
	if (!(in->hash = ml_sha256_new(err)))
		goto fail;
	if (strcmp(path, "-") == 0) {
		in->fd = STDIN_FILENO;
	} else if ((in->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ml_err_sys(err, errno, "cannot open '%s'", path);
		goto fail;
	}
	if (fstat(in->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		ml_err_set(err, ML_ERR_IO, "cannot read '%s': Is a directory", path);
		goto fail;
	}
	return in;
fail:
	ml_in_close(in);
	return NULL;
}

static ssize_t read_fd(struct ml_in *in, void *buf, size_t n, int in_place, struct ml_err *err)
{
	ssize_t r;

	if (in->eof)
		return 0;
	/* read(2) of nothing returns 0 too: that is not the end of the input,
	 * and must not finish the hash */
	if (n == 0)
		return 0;
	do
		r = read(in->fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ml_err_sys(err, errno, "cannot read '%s'", ml_in_name(in));
	if (r == 0) {
		in->eof = 1;
		if (in->hasher)
			post_pending(in);
		ml_worker_stop(in->hasher);
		in->hasher = NULL;
		if (in->hash)
			ml_sha256_final_id(in->hash, in->id);
		return 0;
	}
	if (in->hash)
		hash_bytes(in, buf, (size_t)r, in_place);
	in->bytes += (uint64_t)r;
	return r;
}

static ssize_t read_hashed(struct ml_in *in, void *buf, size_t n, int in_place, struct ml_err *err)
{
	/* what ml_in_peek read comes first; it was hashed and counted then */
	if (in->ahead_off < in->nahead) {
		size_t k = in->nahead - in->ahead_off < n ? in->nahead - in->ahead_off : n;
		memcpy(buf, in->ahead + in->ahead_off, k);
		in->ahead_off += k;
		return (ssize_t)k;
	}
	return read_fd(in, buf, n, in_place, err);
}

ssize_t ml_in_read(struct ml_in *in, void *buf, size_t n, struct ml_err *err)
{
	return read_hashed(in, buf, n, 0, err);
}

ssize_t ml_in_read_in_place(struct ml_in *in, void *buf, size_t n, struct ml_err *err)
{
	return read_hashed(in, buf, n, 1, err);
}

ssize_t ml_in_peek(struct ml_in *in, size_t n, const void **head, struct ml_err *err)
{
	if (!in->ahead) {
		if (!(in->ahead = malloc(n ? n : 1)))
			return ml_err_sys(err, ENOMEM, "cannot read '%s'", ml_in_name(in));
		while (in->nahead < n) {
			ssize_t r = read_fd(in, in->ahead + in->nahead, n - in->nahead, 0, err);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
			in->nahead += (size_t)r;
		}
	}
	*head = in->ahead;
	return (ssize_t)in->nahead;
}

void ml_in_hash_wait(struct ml_in *in)
{
	if (!in->hasher)
		return;
	post_pending(in);
	ml_worker_wait(in->hasher);
}

int ml_in_drain(struct ml_in *in, struct ml_err *err)
{
	char buf[1 << 16];
	ssize_t r;

	while ((r = ml_in_read(in, buf, sizeof buf, err)) > 0)
		;
	return r < 0 ? -1 : 0;
}

const char *ml_in_path(const struct ml_in *in) { return in->path; }

const char *ml_in_name(const struct ml_in *in)
{
	return strcmp(in->path, "-") == 0 ? "<stdin>" : in->path;
}

uint64_t ml_in_bytes(const struct ml_in *in) { return in->bytes; }
const char *ml_in_sha256(const struct ml_in *in) { return in->eof && in->id[0] ? in->id : NULL; }

void ml_in_no_hash(struct ml_in *in)
{
	if (in->bytes == 0) {
		ml_sha256_free(in->hash);
		in->hash = NULL;
	}
}

void ml_in_close(struct ml_in *in)
{
	if (!in)
		return;
	ml_worker_stop(in->hasher);
	free(in->slot[0]);
	free(in->slot[1]);
	free(in->ahead);
	if (in->fd > STDIN_FILENO)
		close(in->fd);
	ml_sha256_free(in->hash);
	free(in->path);
	free(in);
}

#define LINES_BUFSIZE (256 * 1024)

struct ml_lines {
	ml_read_fn read;
	void *ctx;
	char *buf;
	size_t cap, start, end;	/* unread bytes are buf[start..end) */
	int eof;
	uint64_t number;
	const char *name;	/* for messages; NULL: not known */
};

static ssize_t read_in(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	return ml_in_read(ctx, buf, n, err);
}

struct ml_lines *ml_lines_new(ml_read_fn read, void *ctx)
{
	struct ml_lines *l = calloc(1, sizeof *l);

	if (!l || !(l->buf = malloc(LINES_BUFSIZE))) {
		free(l);
		return NULL;
	}
	l->cap = LINES_BUFSIZE;
	l->read = read;
	l->ctx = ctx;
	return l;
}

struct ml_lines *ml_lines_of(struct ml_in *in)
{
	struct ml_lines *l = ml_lines_new(read_in, in);

	if (l)
		l->name = ml_in_name(in);
	return l;
}

void ml_lines_set_name(struct ml_lines *l, const char *name) { l->name = name; }

/* A line longer than memory allows is the input's fault as much as the
 * machine's: it is named by its place, "FILE:LINE: ...", as every other
 * record error is, so that it can be found and cut out. */
static int too_long(const struct ml_lines *l, struct ml_err *err)
{
	unsigned long long number = (unsigned long long)l->number + 1;

	if (l->name)
		return ml_err_sys(err, ENOMEM, "%s:%llu: cannot hold a line of %zu bytes or more",
				  l->name, number, l->end);
	return ml_err_sys(err, ENOMEM, "line %llu: cannot hold a line of %zu bytes or more",
			  number, l->end);
}

int ml_lines_next(struct ml_lines *l, const char **line, size_t *len, struct ml_err *err)
{
	size_t scanned = 0;	/* bytes after start already known to hold no '\n' */

	for (;;) {
		char *nl = memchr(l->buf + l->start + scanned, '\n',
				  l->end - l->start - scanned);
		if (nl || (l->eof && l->end > l->start)) {
			size_t n = nl ? (size_t)(nl - (l->buf + l->start)) : l->end - l->start;
			*line = l->buf + l->start;
			l->start += n + (nl != NULL);
			if (n && (*line)[n - 1] == '\r')
				n--;
			*len = n;
			l->number++;
			return 1;
		}
		if (l->eof)
			return 0;
		scanned = l->end - l->start;
		/* make room: slide the partial line to the front, or grow */
		if (l->start > 0) {
			memmove(l->buf, l->buf + l->start, scanned);
			l->end = scanned;
			l->start = 0;
		}
		if (l->end == l->cap) {
			char *p = realloc(l->buf, l->cap * 2);
			if (!p)
				return too_long(l, err);
			l->buf = p;
			l->cap *= 2;
		}
		ssize_t r = l->read(l->ctx, l->buf + l->end, l->cap - l->end, err);
		if (r < 0)
			return -1;
		if (r == 0)
			l->eof = 1;
		l->end += (size_t)r;
	}
}

uint64_t ml_lines_number(const struct ml_lines *l) { return l->number; }

void ml_lines_free(struct ml_lines *l)
{
	if (!l)
		return;
	free(l->buf);
	free(l);
}
