/* Unit tests of common/ml_in (a counted, hashed byte source) and ml_lines
 * (lines of any length). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ml_buf.h"
#include "ml_in.h"
#include "tap.h"
#include "testfiles.h"

static char dir[] = "/tmp/test_lines.XXXXXX";
static struct ml_err err;

static char *path_of(const char *name)
{
	static char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static void put_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (n)
		fwrite(data, 1, n, f);
	fclose(f);
}

struct got {
	size_t n;
	char *line[8];
	size_t len[8];
	uint64_t number[8];
};

/* Reads every line of lines into g (copies); returns the last status. */
static int read_all(struct ml_lines *l, struct got *g)
{
	const char *line;
	size_t len;
	int rc;

	memset(g, 0, sizeof *g);
	while ((rc = ml_lines_next(l, &line, &len, &err)) > 0) {
		if (g->n < 8) {
			g->line[g->n] = malloc(len + 1);
			if (len)
				memcpy(g->line[g->n], line, len);
			g->line[g->n][len] = '\0';
			g->len[g->n] = len;
			g->number[g->n] = ml_lines_number(l);
		}
		g->n++;
	}
	return rc;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < 8; i++)
		free(g->line[i]);
}

static int line_is(const struct got *g, size_t i, const char *want, size_t wn)
{
	return i < g->n && g->len[i] == wn && memcmp(g->line[i], want, wn) == 0;
}

/* Reads path with ml_in + ml_lines; returns the status of the last call. */
static int read_file(const char *path, struct got *g, char id[80], uint64_t *bytes)
{
	struct ml_in *in = ml_in_open(path, &err);
	struct ml_lines *l;
	int rc;

	if (!in)
		return -2;
	l = ml_lines_of(in);
	rc = read_all(l, g);
	snprintf(id, 80, "%s", ml_in_sha256(in) ? ml_in_sha256(in) : "(none)");
	*bytes = ml_in_bytes(in);
	ml_lines_free(l);
	ml_in_close(in);
	return rc;
}

static void test_long_lines(void)
{
	/* 300 KiB, 1 MiB + 1, then a short line: longer than the 256 KiB buffer */
	size_t a = 300 * 1024, b = 1024 * 1024 + 1, total = a + 1 + b + 1 + 4;
	char *data = malloc(total), id[80];
	struct got g;
	uint64_t bytes;
	const char *path = path_of("long.ndjson");

	for (size_t i = 0; i < total; i++)
		data[i] = (char)('a' + i % 26);
	data[a] = '\n';
	data[a + 1 + b] = '\n';
	memcpy(data + total - 4, "end\n", 4);
	put_file(path, data, total);
	int rc = read_file(path, &g, id, &bytes);
	ok(rc == 0 && g.n == 3, "lines reads a file of 300 KiB and 1 MiB lines as 3 lines");
	ok(line_is(&g, 0, data, a), "a 300 KiB line comes back whole, byte for byte");
	ok(line_is(&g, 1, data + a + 1, b), "a 1 MiB line comes back whole (no length limit)");
	ok(line_is(&g, 2, "end", 3) && g.number[2] == 3, "the line after long ones is intact and numbered 3");
	ok(bytes == total, "ml_in counts every byte read (%llu)", (unsigned long long)bytes);
	ok(strcmp(id, sha256sum(path)) == 0, "ml_in's hash equals sha256sum's");
	got_free(&g);
	free(data);
}

static void test_line_ends(void)
{
	const char text[] = "crlf\r\n\r\nplain\n\nkeep\rcr\nlast";
	struct got g;
	char id[80];
	uint64_t bytes;
	const char *path = path_of("ends.ndjson");

	put_file(path, text, sizeof text - 1);
	ok(read_file(path, &g, id, &bytes) == 0 && g.n == 6, "lines splits at every LF (6 lines)");
	ok(line_is(&g, 0, "crlf", 4), "lines drops the CR of a CRLF line end");
	ok(line_is(&g, 1, "", 0) && line_is(&g, 3, "", 0), "empty lines come back empty, CRLF or LF");
	ok(line_is(&g, 2, "plain", 5), "a plain LF line comes back without its LF");
	ok(line_is(&g, 4, "keep\rcr", 7), "a CR inside a line is kept");
	ok(line_is(&g, 5, "last", 4) && g.number[5] == 6, "the last line without a newline is returned, numbered 6");
	ok(strcmp(id, sha256sum(path)) == 0 && bytes == sizeof text - 1, "the hash and byte count cover the CRs too");
	got_free(&g);

	put_file(path, "one\r", 4);
	ok(read_file(path, &g, id, &bytes) == 0 && g.n == 1 && line_is(&g, 0, "one", 3),
	   "a CR at the very end of the input is dropped like a line end");
	got_free(&g);
	put_file(path, "\n", 1);
	ok(read_file(path, &g, id, &bytes) == 0 && g.n == 1 && line_is(&g, 0, "", 0),
	   "a file holding one LF is one empty line");
	got_free(&g);
}

static void test_empty(void)
{
	struct got g;
	char id[80];
	uint64_t bytes;
	const char *path = path_of("empty.ndjson");

	put_file(path, "", 0);
	ok(read_file(path, &g, id, &bytes) == 0 && g.n == 0, "an empty file has no lines");
	ok(bytes == 0 && strcmp(id, sha256sum(path)) == 0 &&
	   strcmp(id, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0,
	   "an empty file's hash is SHA-256 of nothing, as sha256sum says");
	got_free(&g);
}

/* A read function that hands out its text a few bytes at a time. */
struct trickle {
	const char *p;
	size_t left, step;
};

static ssize_t trickle_read(void *ctx, void *buf, size_t n, struct ml_err *e)
{
	struct trickle *t = ctx;
	size_t k = t->step < n ? t->step : n;

	(void)e;
	if (k > t->left)
		k = t->left;
	memcpy(buf, t->p, k);
	t->p += k;
	t->left -= k;
	return (ssize_t)k;
}

static ssize_t failing_read(void *ctx, void *buf, size_t n, struct ml_err *e)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return ml_err_sys(e, EIO, "cannot read 'x'");
}

static void test_custom_source(void)
{
	const char text[] = "ab\r\ncd\n\nefg";
	int all = 1;

	for (size_t step = 1; step <= 4; step++) {
		struct trickle t = {text, sizeof text - 1, step};
		struct ml_lines *l = ml_lines_new(trickle_read, &t);
		struct got g;
		if (read_all(l, &g) != 0 || g.n != 4 || !line_is(&g, 0, "ab", 2) ||
		    !line_is(&g, 1, "cd", 2) || !line_is(&g, 2, "", 0) || !line_is(&g, 3, "efg", 3))
			all = 0;
		got_free(&g);
		ml_lines_free(l);
	}
	ok(all, "lines reassembles lines from a source that returns 1 to 4 bytes at a time");
	{
		struct ml_lines *l = ml_lines_new(failing_read, NULL);
		const char *line;
		size_t len;
		ok(ml_lines_next(l, &line, &len, &err) == -1 && err.sys_errno == EIO,
		   "lines passes on its source's read error");
		ml_lines_free(l);
	}
}

/* A source of one line that never ends. */
static ssize_t endless_read(void *ctx, void *buf, size_t n, struct ml_err *e)
{
	(void)ctx;
	(void)e;
	memset(buf, 'a', n);
	return (ssize_t)n;
}

/* What the last ml_lines_next said, under a memory ceiling. */
struct capped {
	int rc, sys_errno;
	char msg[sizeof err.msg];
};

/* The process's address space now, in bytes (0 when unknown). */
static size_t address_space(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Reads l to its end in a child whose address space may grow by 100 MB
 * only, so a long line runs out of memory quickly and the parent lives on;
 * c gets the child's last status and message.  0, or -1 when the child
 * could not be run. */
static int read_capped(struct ml_lines *l, struct capped *c)
{
	int fd[2], status;
	pid_t pid;

	memset(c, 0, sizeof *c);
	if (pipe(fd) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		struct rlimit lim;
		const char *line;
		size_t len;
		close(fd[0]);
		lim.rlim_cur = lim.rlim_max = address_space() + (100u << 20);
		setrlimit(RLIMIT_AS, &lim);
		while ((c->rc = ml_lines_next(l, &line, &len, &err)) > 0)
			;
		c->sys_errno = err.sys_errno;
		memcpy(c->msg, err.msg, sizeof c->msg);
		_exit(write(fd[1], c, sizeof *c) == (ssize_t)sizeof *c ? 0 : 1);
	}
	close(fd[1]);
	ssize_t got = read(fd[0], c, sizeof *c);
	close(fd[0]);
	waitpid(pid, &status, 0);
	return got == (ssize_t)sizeof *c && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* msg starts with prefix and ends with suffix. */
static int says(const char *msg, const char *prefix, const char *suffix)
{
	size_t n = strlen(msg), k = strlen(suffix);

	return strncmp(msg, prefix, strlen(prefix)) == 0 && n >= k && strcmp(msg + n - k, suffix) == 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static void test_too_long(void)
{
	const char *path = path_of("huge.ndjson");
	char want[600];
	struct capped c;
	struct ml_in *in;
	struct ml_lines *l;

	if (UNDER_ASAN) {
		/* AddressSanitizer reserves terabytes of address space: no
		 * ceiling on it can be set */
		ok(1, "# SKIP a line too long for memory: not under AddressSanitizer");
		return;
	}
	/* two records, then a line of 1 GB of NUL bytes (a sparse file: no disk) */
	put_file(path, "{}\n{}\n", 6);
	ok(truncate(path, 1L << 30) == 0, "a sparse file of 1 GB is made");
	in = ml_in_open(path, &err);
	l = ml_lines_of(in);
	snprintf(want, sizeof want, "%s:3: cannot hold a line of ", path);
	ok(read_capped(l, &c) == 0 && c.rc == -1 && c.sys_errno == ENOMEM &&
	   says(c.msg, want, " bytes or more: Cannot allocate memory"),
	   "a line too long for memory is an ENOMEM error naming its file and line (%s)", c.msg);
	ml_lines_free(l);
	ml_in_close(in);
	unlink(path);

	l = ml_lines_new(endless_read, NULL);
	ml_lines_set_name(l, "a.tar(b.ndjson)");
	ok(read_capped(l, &c) == 0 && c.rc == -1 && c.sys_errno == ENOMEM &&
	   says(c.msg, "a.tar(b.ndjson):1: cannot hold a line of ", " or more: Cannot allocate memory"),
	   "a source named by ml_lines_set_name gives that name and the line (%s)", c.msg);
	ml_lines_free(l);

	l = ml_lines_new(endless_read, NULL);
	ok(read_capped(l, &c) == 0 && c.rc == -1 && c.sys_errno == ENOMEM &&
	   says(c.msg, "line 1: cannot hold a line of ", " or more: Cannot allocate memory"),
	   "a source without a name gives the line number alone (%s)", c.msg);
	ml_lines_free(l);
}

static void test_in(void)
{
	const char *path = path_of("in.txt");
	char buf[8];
	struct ml_in *in;

	put_file(path, "hello", 5);
	in = ml_in_open(path, &err);
	ok(in && strcmp(ml_in_path(in), path) == 0 && strcmp(ml_in_name(in), path) == 0,
	   "ml_in_open opens a file and names it by its path");
	ok(ml_in_read(in, buf, 0, &err) == 0 && ml_in_sha256(in) == NULL,
	   "reading 0 bytes is not the end of the input (no hash yet)");
	ok(ml_in_read(in, buf, 2, &err) == 2 && ml_in_sha256(in) == NULL && ml_in_bytes(in) == 2,
	   "the hash is not known before the end is reached");
	ok(ml_in_drain(in, &err) == 0 && ml_in_bytes(in) == 5 && ml_in_sha256(in) &&
	   strcmp(ml_in_sha256(in), sha256sum(path)) == 0,
	   "drain reads the rest, so the hash covers the whole file");
	ok(ml_in_read(in, buf, sizeof buf, &err) == 0, "reading after the end returns 0 again");
	ml_in_close(in);

	in = ml_in_open("-", &err);
	ok(in && strcmp(ml_in_path(in), "-") == 0 && strcmp(ml_in_name(in), "<stdin>") == 0,
	   "\"-\" is standard input, named <stdin> in messages");
	ml_in_close(in);

	ok(ml_in_open(path_of("missing"), &err) == NULL && err.kind == ML_ERR_IO && err.sys_errno == ENOENT &&
	   strstr(err.msg, "missing") != NULL, "opening a missing file fails with ENOENT and names the file");
	ok(ml_in_open(dir, &err) == NULL && strstr(err.msg, "Is a directory") != NULL,
	   "opening a directory fails, saying it is one");
	ml_in_close(NULL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	test_long_lines();
	test_line_ends();
	test_empty();
	test_custom_source();
	test_too_long();
	test_in();
	const char *names[] = {"long.ndjson", "ends.ndjson", "empty.ndjson", "in.txt"};
	for (size_t i = 0; i < 4; i++)
		unlink(path_of(names[i]));
	rmdir(dir);
	return tap_done();
}
