/* Input files: plain, compressed or archives.  Compressed data and archives
 * go through libarchive as streams (never to disk); the raw bytes pass
 * through ml_in on the way, so the run log hashes the file as it is. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ml_runlog.h"

#define HEAD_SIZE 512

struct file_src {
	struct ml_in *in;
	char head[HEAD_SIZE];	/* the first bytes, read to sniff, then replayed */
	size_t head_len, head_pos;
	struct archive *a;
	struct ml_err in_err;	/* why reading the file failed, under libarchive */
	int in_failed;
	char chunk[1 << 16];
	const char *what;	/* "FILE" or "FILE(MEMBER)" for archive errors */
};

/* Reads the file's bytes: the sniffed head first, then the rest. */
static ssize_t raw_read(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	struct file_src *f = ctx;

	if (f->head_pos < f->head_len) {
		size_t k = f->head_len - f->head_pos;
		if (k > n)
			k = n;
		memcpy(buf, f->head + f->head_pos, k);
		f->head_pos += k;
		return (ssize_t)k;
	}
	return ml_in_read(f->in, buf, n, err);
}

static la_ssize_t archive_cb(struct archive *a, void *ctx, const void **out)
{
	struct file_src *f = ctx;
	ssize_t r = raw_read(f, f->chunk, sizeof f->chunk, &f->in_err);

	if (r < 0) {
		f->in_failed = 1;
		archive_set_error(a, EIO, "%s", f->in_err.msg);
		return -1;
	}
	*out = f->chunk;
	return r;
}

/* An archive member's (or decompressed file's) bytes. */
static ssize_t member_read(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	struct file_src *f = ctx;
	la_ssize_t r = archive_read_data(f->a, buf, n);

	if (r < 0) {
		if (f->in_failed) {
			*err = f->in_err;
			return -1;
		}
		return ml_err_set(err, ML_ERR_DATA, "%s: broken archive or compressed data: %s",
				  f->what, archive_error_string(f->a));
	}
	return r;
}

ssize_t stream_read(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	struct stream *s = ctx;

	if (s->peek_pos < s->peek_len) {
		size_t k = s->peek_len - s->peek_pos;
		if (k > n)
			k = n;
		memcpy(buf, s->peek + s->peek_pos, k);
		s->peek_pos += k;
		return (ssize_t)k;
	}
	return s->read(s->ctx, buf, n, err);
}

int stream_peek(struct stream *s, struct ml_err *err)
{
	while (s->peek_len < sizeof s->peek) {
		ssize_t r = s->read(s->ctx, s->peek + s->peek_len, sizeof s->peek - s->peek_len, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		s->peek_len += (size_t)r;
	}
	return 0;
}

static int is_packed(const unsigned char *h, size_t n)
{
	return (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) ||			/* gzip */
	       (n >= 3 && memcmp(h, "BZh", 3) == 0) ||				/* bzip2 */
	       (n >= 6 && memcmp(h, "\xFD" "7zXZ\0", 6) == 0) ||		/* xz */
	       (n >= 4 && memcmp(h, "\x28\xB5\x2F\xFD", 4) == 0) ||		/* zstd */
	       (n >= 4 && (memcmp(h, "PK\3\4", 4) == 0 || memcmp(h, "PK\5\6", 4) == 0)) || /* zip */
	       (n >= 262 && memcmp(h + 257, "ustar", 5) == 0);			/* tar */
}

static int member_wanted(const struct ingest *g, const char *name)
{
	if (!g->members.n)
		return 1;
	for (size_t i = 0; i < g->members.n; i++)
		if (fnmatch(g->members.v[i], name, 0) == 0)
			return 1;
	return 0;
}

/* Reads one stream in its format. */
static int read_stream(struct ingest *g, struct stream *s, const char *name, struct ml_err *err)
{
	enum format fmt = g->format;
	int delimiter = g->delimiter;

	emit_set_place(g);
	if (stream_peek(s, err) < 0)
		return -1;
	if (fmt == FMT_AUTO && delimiter)
		fmt = FMT_CSV;
	if (fmt == FMT_AUTO) {
		int detected = ',';
		fmt = detect_format(name, s->peek, s->peek_len, &detected);
		if (!delimiter)
			delimiter = detected;
	}
	switch (fmt) {
	case FMT_TSV:
		return read_tsv(g, s, err);
	case FMT_NDJSON:
		return read_ndjson(g, s, err);
	case FMT_JSON:
		return read_json_array(g, s, err);
	case FMT_LIBSVM:
		return read_libsvm(g, s, err);
	case FMT_CSV:
	case FMT_AUTO:
		break;
	}
	return read_delimited(g, s, delimiter ? delimiter : ',', err);
}

static int read_packed(struct ingest *g, struct file_src *f, struct ml_err *err)
{
	struct archive_entry *e;
	char what[4096 + 256];
	int rc = 0, r;

	if (!(f->a = archive_read_new()))
		return ml_err_sys(err, ENOMEM, "%s", g->file);
	archive_read_support_filter_all(f->a);
	archive_read_support_format_tar(f->a);
	archive_read_support_format_zip(f->a);
	archive_read_support_format_raw(f->a);
	snprintf(what, sizeof what, "%s", g->file);
	f->what = what;
	if (archive_read_open(f->a, f, NULL, archive_cb, NULL) != ARCHIVE_OK) {
		rc = f->in_failed ? (*err = f->in_err, -1)
				  : ml_err_set(err, ML_ERR_DATA, "%s: cannot read archive or compressed data: %s",
					       g->file, archive_error_string(f->a));
		goto out;
	}
	while ((r = archive_read_next_header(f->a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		int raw = archive_format(f->a) == ARCHIVE_FORMAT_RAW;
		const char *name = archive_entry_pathname(e);
		if (!raw && (archive_entry_filetype(e) != AE_IFREG || !name || !member_wanted(g, name)))
			continue;
		g->member = raw ? NULL : name;
		snprintf(what, sizeof what, raw ? "%s" : "%s(%s)", g->file, name);
		struct stream s = {.read = member_read, .ctx = f, .name = raw ? g->path : name};
		if (raw && strcmp(g->path, "-") == 0)
			s.name = NULL;
		rc = read_stream(g, &s, s.name, err);
		g->member = NULL;
		if (rc < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF)
		rc = f->in_failed ? (*err = f->in_err, -1)
				  : ml_err_set(err, ML_ERR_DATA, "%s: broken archive: %s", g->file,
					       archive_error_string(f->a));
out:
	archive_read_free(f->a);
	f->a = NULL;
	return rc;
}

int ingest_file(struct ingest *g, const char *path, struct ml_run *run, struct ml_err *err)
{
	struct file_src *f = calloc(1, sizeof *f);
	uint64_t before = g->read;
	int rc = 0;

	if (!f)
		return ml_err_sys(err, ENOMEM, "%s", path);
	if (!(f->in = ml_in_open(path, err))) {
		free(f);
		return -1;
	}
	g->path = ml_in_path(f->in);
	g->file = ml_in_name(f->in);
	g->member = NULL;
	while (f->head_len < HEAD_SIZE) {
		ssize_t r = ml_in_read(f->in, f->head + f->head_len, HEAD_SIZE - f->head_len, err);
		if (r < 0) {
			rc = -1;
			goto out;
		}
		if (r == 0)
			break;
		f->head_len += (size_t)r;
	}
	if (is_packed((const unsigned char *)f->head, f->head_len)) {
		rc = read_packed(g, f, err);
	} else {
		struct stream s = {.read = raw_read, .ctx = f,
				   .name = strcmp(path, "-") == 0 ? NULL : path};
		rc = read_stream(g, &s, s.name, err);
	}
	/* hash the whole file, even bytes a format did not need (a zip's index) */
	if (rc == 0)
		rc = ml_in_drain(f->in, err);
	ml_run_input(run, ml_in_path(f->in), ml_in_bytes(f->in),
		     (int64_t)(g->read - before), ml_in_sha256(f->in));
out:
	ml_in_close(f->in);
	g->path = g->file = "";
	free(f);
	return rc;
}
