#include "ml_out.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_worker.h"

#define OUT_BUFSIZE (128 * 1024)
#define MAX_PENDING 64

struct ml_out {
	int fd;
	int is_stdout;
	int is_device;		/* written in place, never renamed */
	int done;		/* committed or aborted */
	int error;		/* sticky errno */
	char *path, *tmp;
	int pending_slot;
	struct ml_sha256 *hash;
	char id[ML_SHA256_ID_SIZE];
	uint64_t bytes, records;
	size_t len;		/* bytes in fill */
	char *fill;		/* the buffer being filled: buf, or spare */
	char *spare;

	/* A worker thread hashes and writes one buffer while the caller fills
	 * the other, so SHA-256 costs no time on the caller's core. */
	struct ml_worker *worker;
	char buf[OUT_BUFSIZE];
};

/* Temporary files a signal may need to remove.  The one piece of global
 * state in the library: a signal handler has nowhere else to look. */
static char *volatile pending[MAX_PENDING];

static int pending_add(char *tmp)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (!pending[i]) {
			pending[i] = tmp;
			return i;
		}
	return -1;
}

static void pending_remove(int slot)
{
	if (slot >= 0)
		pending[slot] = NULL;
}

void ml_out_cleanup_signal(void)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i])
			unlink(pending[i]);
}

/* /dev and /proc name streams (/dev/stderr, /proc/self/fd/N): written in
 * place, never replaced by a rename. */
static int is_special(const char *path)
{
	return strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0;
}

static int make_temp(struct ml_out *o, struct ml_err *err)
{
	char *copy = strdup(o->path), *dir, *base;
	size_t n;

	if (!copy)
		return ml_err_sys(err, ENOMEM, "cannot open '%s'", o->path);
	base = strrchr(o->path, '/') ? strrchr(o->path, '/') + 1 : o->path;
	dir = dirname(copy);
	n = strlen(dir) + strlen(base) + 16;
	if (!(o->tmp = malloc(n))) {
		free(copy);
		return ml_err_sys(err, ENOMEM, "cannot open '%s'", o->path);
	}
	snprintf(o->tmp, n, "%s/.%s.XXXXXX", dir, base);
	free(copy);
	/* listed before it is made (mkostemp writes the name into o->tmp
	 * before it creates the file): a signal between the two would
	 * otherwise leave the file behind, unlisted */
	o->pending_slot = pending_add(o->tmp);
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		int e = errno;
		pending_remove(o->pending_slot);
		o->pending_slot = -1;
		return ml_err_sys(err, e, "cannot create a temporary file for '%s'", o->path);
	}
	return 0;
}

/* What an output path reaches when it exists (through links, as
 * ml_out_open follows them); 0, or -1 when it does not exist (or cannot be
 * looked at). */
static int stat_output(const char *path, struct stat *st)
{
	return strcmp(path, "-") == 0 ? fstat(STDOUT_FILENO, st) : stat(path, st);
}

/* Where a path that does not exist yet would be made: its directory
 * resolved, and its name (a rename replaces a dangling link, not what it
 * names); NULL when the directory cannot be resolved. */
static char *new_file_path(const char *path)
{
	char *copy = strdup(path), *dir = NULL, *out = NULL;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (copy && (dir = realpath(dirname(copy), NULL))) {
		size_t n = strlen(dir) + strlen(base) + 2;
		if ((out = malloc(n)))
			snprintf(out, n, "%s/%s", strcmp(dir, "/") ? dir : "", base);
	}
	free(dir);
	free(copy);
	return out;
}

int ml_out_same_place(const char *a, const char *b)
{
	struct stat sa, sb, null;
	int ea = stat_output(a, &sa) == 0, eb = stat_output(b, &sb) == 0;

	if (ea && eb) {
		if (sa.st_dev != sb.st_dev || sa.st_ino != sb.st_ino)
			return 0;
		return !(S_ISCHR(sa.st_mode) && stat("/dev/null", &null) == 0 && null.st_rdev == sa.st_rdev);
	}
	if (strcmp(a, b) == 0)
		return 1;
	if (ea || eb || !strcmp(a, "-") || !strcmp(b, "-"))
		return 0;
	char *ra = new_file_path(a), *rb = new_file_path(b);
	int same = ra && rb && strcmp(ra, rb) == 0;
	free(ra);
	free(rb);
	return same;
}

struct ml_out *ml_out_open(const char *path, struct ml_err *err)
{
	struct ml_out *o = calloc(1, sizeof *o);

	if (!o) {
		ml_err_sys(err, ENOMEM, "cannot open output");
		return NULL;
	}
	o->fd = -1;
	o->pending_slot = -1;
	o->fill = o->buf;
	o->is_stdout = !path || strcmp(path, "-") == 0;
	if (!(o->path = strdup(o->is_stdout ? "-" : path)) ||
	    !(o->hash = ml_sha256_new(err))) {
		ml_err_sys(err, ENOMEM, "cannot open output");
		goto fail;
	}
	if (o->is_stdout) {
		o->fd = STDOUT_FILENO;
	} else {
		struct stat st;
		int exists = stat(path, &st) == 0;
		if (exists && S_ISDIR(st.st_mode)) {
			ml_err_set(err, ML_ERR_IO, "cannot write '%s': Is a directory", path);
			goto fail;
		}
		/* a link is followed: the file it names is replaced, the link kept */
		if (exists && lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && !is_special(path)) {
			char *target = realpath(path, NULL);
			if (target) {
				free(o->path);
				o->path = target;
			}
			stat(o->path, &st);
		}
		if ((exists && !S_ISREG(st.st_mode)) || is_special(path)) {
			/* a device or a fifo (/dev/null, a named pipe): no rename */
			o->is_device = 1;
			if ((o->fd = open(path, O_WRONLY | O_CLOEXEC | O_APPEND | (exists ? 0 : O_CREAT), 0666)) < 0) {
				ml_err_sys(err, errno, "cannot open '%s'", path);
				goto fail;
			}
		} else if (make_temp(o, err) < 0) {
			goto fail;
		}
	}
	return o;
fail:
	o->done = 1;
	ml_out_free(o);
	return NULL;
}

/* Hashes and writes n bytes; 0 or the errno of the failed write. */
static int put_bytes(int fd, struct ml_sha256 *hash, const char *p, size_t n)
{
	if (hash)
		ml_sha256_update(hash, p, n);
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The worker's job: hash and write one buffer. */
static int write_job(void *ctx, const char *p, size_t n)
{
	struct ml_out *o = ctx;

	return put_bytes(o->fd, o->hash, p, n);
}

/* Waits for the worker's buffer; takes over its error. */
static void writer_wait(struct ml_out *o)
{
	int e = ml_worker_wait(o->worker);

	if (e && !o->error)
		o->error = e;
}

/* Starts the worker; when that fails the output simply stays synchronous. */
static void writer_start(struct ml_out *o)
{
	if (!(o->spare = malloc(OUT_BUFSIZE)))
		return;
	if (!(o->worker = ml_worker_start(write_job, o))) {
		free(o->spare);
		o->spare = NULL;
	}
}

static void writer_stop(struct ml_out *o)
{
	int e;

	if (!o->worker)
		return;
	e = ml_worker_stop(o->worker);
	o->worker = NULL;
	if (e && !o->error)
		o->error = e;
}

/* Writes n bytes now, after whatever the writer holds; 0 or -1. */
static int write_all(struct ml_out *o, const char *p, size_t n)
{
	if (o->worker)
		writer_wait(o);
	if (o->error)
		return -1;
	o->error = put_bytes(o->fd, o->hash, p, n);
	return o->error ? -1 : 0;
}

/* Hands the filled buffer on: to the writer thread when hashing, else
 * straight to write(2). */
static int flush(struct ml_out *o)
{
	size_t n = o->len;

	o->len = 0;
	if (o->error)
		return -1;
	if (n == 0)
		return 0;
	if (o->hash && !o->worker && !o->done)
		writer_start(o);
	if (!o->worker)
		return write_all(o, o->fill, n);
	int e = ml_worker_post(o->worker, o->fill, n);
	if (e) {
		o->error = e;
		return -1;
	}
	o->fill = o->fill == o->buf ? o->spare : o->buf;
	return 0;
}

int ml_out_write(struct ml_out *o, const void *p, size_t n)
{
	if (o->error)
		return -1;
	o->bytes += n;
	if (n <= OUT_BUFSIZE - o->len) {
		memcpy(o->fill + o->len, p, n);
		o->len += n;
		return 0;
	}
	if (flush(o) < 0)
		return -1;
	if (n >= OUT_BUFSIZE / 2)
		return write_all(o, p, n);
	memcpy(o->fill, p, n);
	o->len = n;
	return 0;
}

int ml_out_putc(struct ml_out *o, char c)
{
	if (o->len == OUT_BUFSIZE && flush(o) < 0)
		return -1;
	if (o->error)
		return -1;
	o->fill[o->len++] = c;
	o->bytes++;
	return 0;
}

int ml_out_write_lines(struct ml_out *o, const char *text, size_t n)
{
	const char *p = text, *end = text + n, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		if (ml_out_write(o, p, (size_t)(nl - p)) < 0 || ml_out_end_record(o) < 0)
			return -1;
		p = nl + 1;
	}
	return p < end ? ml_out_write(o, p, (size_t)(end - p)) : 0;
}

int ml_out_end_record(struct ml_out *o)
{
	if (ml_out_putc(o, '\n') < 0)
		return -1;
	o->records++;
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = 0;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

int ml_out_commit(struct ml_out *o, struct ml_err *err)
{
	struct stat st;
	mode_t mode, mask;

	if (o->done)
		return ml_err_set(err, ML_ERR_USAGE, "output '%s' already closed", o->path);
	if (flush(o) < 0)
		goto fail;
	writer_stop(o);
	if (o->error)
		goto fail;
	if (o->hash)
		ml_sha256_final_id(o->hash, o->id);
	if (o->is_stdout) {
		o->done = 1;
		return 0;
	}
	if (o->is_device) {
		o->done = 1;
		if (close(o->fd) < 0) {
			o->fd = -1;
			return ml_err_sys(err, errno, "cannot write '%s'", o->path);
		}
		o->fd = -1;
		return 0;
	}
	/* keep the mode of the file we replace; a new file gets 0666 & ~umask */
	if (stat(o->path, &st) == 0) {
		mode = st.st_mode & 07777;
	} else {
		mask = umask(0);
		umask(mask);
		mode = 0666 & ~mask;
	}
	if (fchmod(o->fd, mode) < 0 || fsync(o->fd) < 0) {
		o->error = errno;
		goto fail;
	}
	if (close(o->fd) < 0) {
		o->fd = -1;
		o->error = errno;
		goto fail;
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) < 0) {
		o->error = errno;
		goto fail;
	}
	pending_remove(o->pending_slot);
	o->pending_slot = -1;
	o->done = 1;
	fsync_dir_of(o->path);
	return 0;
fail:
	ml_err_sys(err, o->error, "cannot write '%s'", ml_out_name(o));
	ml_out_abort(o);
	return -1;
}

void ml_out_abort(struct ml_out *o)
{
	if (o->done)
		return;
	o->done = 1;
	if (o->is_stdout) {
		/* records before the failure were good: a pipe still gets them */
		flush(o);
		writer_stop(o);
		return;
	}
	writer_stop(o);
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->is_device)
		return;
	unlink(o->tmp);
	pending_remove(o->pending_slot);
	o->pending_slot = -1;
}

void ml_out_free(struct ml_out *o)
{
	if (!o)
		return;
	ml_out_abort(o);
	writer_stop(o);
	ml_sha256_free(o->hash);
	free(o->spare);
	free(o->path);
	free(o->tmp);
	free(o);
}

const char *ml_out_path(const struct ml_out *o) { return o->path; }
const char *ml_out_name(const struct ml_out *o) { return o->is_stdout ? "<stdout>" : o->path; }
uint64_t ml_out_bytes(const struct ml_out *o) { return o->bytes; }
uint64_t ml_out_records(const struct ml_out *o) { return o->records; }
const char *ml_out_sha256(const struct ml_out *o) { return o->id[0] ? o->id : NULL; }
int ml_out_errno(const struct ml_out *o) { return o->error; }

void ml_out_no_hash(struct ml_out *o)
{
	if (o->bytes == 0) {
		ml_sha256_free(o->hash);
		o->hash = NULL;
	}
}

int ml_out_error(const struct ml_out *o, struct ml_err *err)
{
	return ml_err_sys(err, ml_out_errno(o), "cannot write '%s'", ml_out_name(o));
}
