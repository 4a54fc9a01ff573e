/* Input files: plain, compressed or archives.  Compressed data and archives
 * go through libarchive as streams (never to disk); the raw bytes pass
 * through ml_in on the way, so the run log hashes the file as it is.  A
 * compressed archive member (a .csv.gz inside a .zip) is decompressed in
 * turn, as the file it is.  gzip is decompressed by ml_gunzip before
 * libarchive sees it, as libarchive does not check a gzip member's CRC and
 * length: the outermost compression, whose check covers every byte of the
 * file, is always checked (libarchive checks bzip2, xz and zstd). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ml_gunzip.h"
#include "ml_runlog.h"

#define HEAD_SIZE 512

struct file_src {
	ml_read_fn up;		/* where the bytes come from: the file, or a member */
	void *up_ctx;
	char head[HEAD_SIZE];	/* the first bytes, read to sniff, then replayed */
	size_t head_len, head_pos;
	struct archive *a;
	struct file_src *outer;	/* the archive a compressed member is read from */
	int gzip;		/* the bytes are gzip: read through gz */
	struct ml_gunzip *gz;
	struct ml_err in_err;	/* why reading the bytes failed, under libarchive */
	int in_failed;
	int gz_failed;		/* the gzip data is damaged: in_err says how */
	char reason[512];	/* libarchive's reason for the last failure */
	uint64_t newlines;	/* in the data handed out: a failure is on the next line */
	char chunk[1 << 16];
	const char *what;	/* "FILE" or "FILE(MEMBER)" for archive errors */
};

static ssize_t in_read(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	return ml_in_read(ctx, buf, n, err);
}

/* Reads the bytes: the sniffed head first, then the rest. */
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
	return f->up(f->up_ctx, buf, n, err);
}

static la_ssize_t archive_cb(struct archive *a, void *ctx, const void **out)
{
	struct file_src *f = ctx;
	ssize_t r = f->gz ? ml_gunzip_read(f->gz, f->chunk, sizeof f->chunk, &f->in_err)
			  : raw_read(f, f->chunk, sizeof f->chunk, &f->in_err);

	if (r < 0 && f->gz && !ml_gunzip_up_failed(f->gz)) {
		/* kept here: a format reader may put its own words over it */
		f->gz_failed = 1;
		archive_set_error(a, EILSEQ, "%s", f->in_err.msg);
		return -1;
	}
	if (r < 0) {
		f->in_failed = 1;
		archive_set_error(a, EIO, "%s", f->in_err.msg);
		return -1;
	}
	*out = f->chunk;
	return r;
}

/* Counts '\n' eight bytes at a time: a byte of x is zero where the text has
 * a newline, and the expression sets the top bit of just those bytes. */
static uint64_t count_newlines(const void *buf, size_t n)
{
	const unsigned char *p = buf;
	const uint64_t ones7 = 0x7F7F7F7F7F7F7F7FULL, nl = 0x0A0A0A0A0A0A0A0AULL;
	uint64_t k = 0;

	for (; n >= 8; p += 8, n -= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		x ^= nl;
		k += (uint64_t)__builtin_popcountll(~(((x & ones7) + ones7) | x | ones7));
	}
	for (; n; p++, n--)
		k += *p == '\n';
	return k;
}

/* Why libarchive failed: the gzip data's fault when it was, else its own
 * words. */
static const char *data_reason(struct file_src *f)
{
	return f->gz_failed ? f->in_err.msg : archive_error_string(f->a);
}

/* An archive member's (or decompressed file's) bytes. */
static ssize_t member_read(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	struct file_src *f = ctx;
	la_ssize_t r = archive_read_data(f->a, buf, n);

	if (r < 0) {
		if (f->in_failed && !(f->outer && f->outer->reason[0])) {
			*err = f->in_err;
			return -1;
		}
		/* the compressed member of a broken archive: the reason is the
		 * archive's, the line the one reached in the decompressed text */
		snprintf(f->reason, sizeof f->reason, "%.*s", (int)sizeof f->reason - 1,
			 f->in_failed ? f->outer->reason : data_reason(f));
		return ml_err_set(err, ML_ERR_DATA, "%s:%llu: broken archive or compressed data: %s",
				  f->what, (unsigned long long)f->newlines + 1, f->reason);
	}
	f->newlines += count_newlines(buf, (size_t)r);
	return r;
}

/* Counts n more bytes handed to a format reader against --max-bytes; 0, or
 * -1 with err once the input has given more. */
static int count_bytes(struct ingest *g, size_t n, struct ml_err *err)
{
	g->bytes_in += n;
	if (g->max_bytes && g->bytes_in > g->max_bytes)
		return ml_err_set(err, ML_ERR_DATA, "%s: more than %s bytes after decompression "
				  "(--max-bytes)", g->file, g->max_bytes_text);
	return 0;
}

ssize_t stream_read(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	struct stream *s = ctx;
	ssize_t r;

	if (s->peek_pos < s->peek_len) {
		size_t k = s->peek_len - s->peek_pos;
		if (k > n)
			k = n;
		memcpy(buf, s->peek + s->peek_pos, k);
		s->peek_pos += k;
		r = (ssize_t)k;
	} else {
		r = s->read(s->ctx, buf, n, err);
	}
	if (r > 0 && s->counted && count_bytes(s->counted, (size_t)r, err) < 0)
		return -1;
	return r;
}

/* Passes over n bytes of the look-ahead, counting them as read. */
static int stream_skip(struct stream *s, size_t n, struct ml_err *err)
{
	s->peek_pos += n;
	return s->counted ? count_bytes(s->counted, n, err) : 0;
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

int stream_cr_lines(const struct stream *s)
{
	const char *p = s->peek + s->peek_pos, *end = s->peek + s->peek_len;
	const char *cr = memchr(p, '\r', (size_t)(end - p));

	/* one LF anywhere makes LF the line end, and a CR data (in a quoted
	 * field) or whitespace (between JSON tokens) */
	if (!cr || memchr(p, '\n', (size_t)(end - p)))
		return 0;
	/* a CR ending a full look-ahead may be the first half of a CR LF */
	return cr + 1 < end || s->peek_len < sizeof s->peek;
}

ssize_t stream_read_cr(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	ssize_t r = stream_read(ctx, buf, n, err);

	for (char *p = buf, *end = p + (r > 0 ? r : 0); (p = memchr(p, '\r', (size_t)(end - p))); p++)
		*p = '\n';
	return r;
}

/* The compression of data from its first bytes, or NULL. */
static const char *compression(const unsigned char *h, size_t n)
{
	if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
		return "gzip";
	if (n >= 3 && memcmp(h, "BZh", 3) == 0)
		return "bzip2";
	if (n >= 6 && memcmp(h, "\xFD" "7zXZ\0", 6) == 0)
		return "xz";
	if (n >= 4 && memcmp(h, "\x28\xB5\x2F\xFD", 4) == 0)
		return "zstd";
	return NULL;
}

static int is_archive(const unsigned char *h, size_t n)
{
	return (n >= 4 && (memcmp(h, "PK\3\4", 4) == 0 || memcmp(h, "PK\5\6", 4) == 0)) ||
	       (n >= 262 && memcmp(h + 257, "ustar", 5) == 0);
}

static int is_packed(const unsigned char *h, size_t n)
{
	return compression(h, n) || is_archive(h, n);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcasecmp(s + n - m, suffix) == 0;
}

/* Whether a file's name says it is an archive, which may be empty. */
static int named_archive(const char *name)
{
	static const char *const suffixes[] = {
		".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".tzst", ".zip",
		".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.zstd",
	};

	for (size_t i = 0; name && i < sizeof suffixes / sizeof suffixes[0]; i++)
		if (ends_with(name, suffixes[i]))
			return 1;
	return 0;
}

/* What a file's name says it is packed with ("gzip", "zip", ...), or NULL. */
static const char *packed_by_name(const char *name)
{
	static const char *const table[][2] = {
		{".gz", "gzip"}, {".tgz", "gzip"}, {".bz2", "bzip2"}, {".tbz2", "bzip2"},
		{".xz", "xz"}, {".txz", "xz"}, {".zst", "zstd"}, {".zstd", "zstd"},
		{".zip", "zip"},
	};
	size_t n = name ? strlen(name) : 0;

	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		size_t m = strlen(table[i][0]);
		if (n > m && strcasecmp(name + n - m, table[i][0]) == 0)
			return table[i][1];
	}
	return NULL;
}

/* A name that promises compressed data over data that is not is an error:
 * read as text, a damaged or mislabelled file would become garbage rows. */
static int check_name(const char *name, const char *place, const char *h, size_t n,
		      struct ml_err *err)
{
	const char *said = packed_by_name(name);

	if (said && !is_packed((const unsigned char *)h, n))
		return ml_err_set(err, ML_ERR_DATA, "%s: not %s data, as the name says%s", place,
				  said, n ? " (damaged, or misnamed?)" : " (an empty file)");
	return 0;
}

/* Whether --member wants a member; the patterns it matches are marked in
 * matched[]. */
static int member_wanted(const struct ingest *g, const char *name, unsigned char *matched)
{
	int wanted = !g->members.n;

	for (size_t i = 0; i < g->members.n; i++)
		if (fnmatch(g->members.v[i], name, 0) == 0)
			wanted = matched[i] = 1;
	return wanted;
}

static int read_packed(struct ingest *g, struct file_src *f, int nested, int archives,
		       struct ml_err *err);

/* Whether n > 0 bytes are all NUL: a disk image, a zeroed file, a gzip of
 * /dev/zero.  No text format starts so, and reading it as text would hold
 * one "line" of all of it. */
static int only_nul(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return n > 0;
}

/* Whether a file is a tar with no member: named .tar, and its first block
 * all zeros, which tar reads as the end of an archive.  Without the name it
 * is binary data (see only_nul): a zeroed disk image is no empty archive. */
static int empty_tar(const char *name, const char *head, size_t n)
{
	return name && ends_with(name, ".tar") && n == HEAD_SIZE && only_nul(head, n);
}

/* Reads one stream in its format.  depth: 0 for a file or an archive
 * member, 1 for the decompressed text of a compressed file or member. */
static int read_stream(struct ingest *g, struct stream *s, const char *name, int depth,
		       struct ml_err *err)
{
	enum format fmt = g->format;
	int delimiter = g->delimiter;

	emit_set_place(g);
	if (stream_peek(s, err) < 0)
		return -1;
	if (g->member && depth == 0) {
		const unsigned char *h = (const unsigned char *)s->peek;
		if (compression(h, s->peek_len)) {
			/* a compressed member: decompress it as the file it is */
			struct file_src *f = calloc(1, sizeof *f);
			if (!f)
				return ml_err_sys(err, ENOMEM, "%s", g->place);
			f->up = stream_read;
			f->up_ctx = s;
			f->outer = s->ctx;
			f->gzip = strcmp(compression(h, s->peek_len), "gzip") == 0;
			/* what counts is the text it holds, not these bytes */
			s->counted = NULL;
			int rc = read_packed(g, f, 1, 0, err);
			free(f);
			return rc;
		}
		if (is_archive(h, s->peek_len))
			return ml_err_set(err, ML_ERR_DATA, "%s: an archive inside an archive is not read "
					  "(exclude it with --member, or unpack it first)", g->place);
		if (check_name(name, g->place, s->peek, s->peek_len, err) < 0)
			return -1;
	} else if (depth > 0 && is_packed((const unsigned char *)s->peek, s->peek_len)) {
		return ml_err_set(err, ML_ERR_DATA, "%s: compressed data holds an archive or compressed "
				  "data again; unpack it first", g->place);
	}
	/* a UTF-8 byte order mark is no part of the data, in any format */
	if (s->peek_len - s->peek_pos >= 3 && memcmp(s->peek + s->peek_pos, "\xEF\xBB\xBF", 3) == 0 &&
	    stream_skip(s, 3, err) < 0)
		return -1;
	if (only_nul(s->peek + s->peek_pos, s->peek_len - s->peek_pos))
		return ml_err_set(err, ML_ERR_DATA, "%s:1: binary data, not text: the first %zu bytes "
				  "are all NUL", g->place, s->peek_len - s->peek_pos);
	if (fmt == FMT_AUTO && delimiter)
		fmt = FMT_CSV;
	if (fmt == FMT_AUTO) {
		int detected = ',';
		fmt = detect_format(name, s->peek + s->peek_pos, s->peek_len - s->peek_pos, &detected);
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

/* A member whose name libarchive cannot give (not UTF-8, or no UTF-8
 * locale): an error, as skipping it would lose its rows unseen. */
static int unnamed_member(struct ingest *g, struct archive *a, uint64_t number, struct ml_err *err)
{
	const char *why = archive_error_string(a);

	return ml_err_set(err, ML_ERR_DATA, "%s: member %llu: its name cannot be read%s%s", g->file,
			  (unsigned long long)number, why ? ": " : "", why ? why : "");
}

/* Reads the gzip data that libarchive left (a tar ends at its zero blocks,
 * before the gzip trailer), so that every member's trailer is checked; 0,
 * or -1 with f->in_err. */
static int gz_drain(struct file_src *f)
{
	ssize_t r;

	while (f->gz && (r = ml_gunzip_read(f->gz, f->chunk, sizeof f->chunk, &f->in_err)) != 0)
		if (r < 0) {
			if (ml_gunzip_up_failed(f->gz))
				f->in_failed = 1;
			else
				f->gz_failed = 1;
			return -1;
		}
	return 0;
}

/* A compressed file or an archive (nested: the compressed member of an
 * archive, which is g->member and stays so; archives: tar and zip are
 * tried, else the data is only decompressed). */
static int read_packed(struct ingest *g, struct file_src *f, int nested, int archives,
		       struct ml_err *err)
{
	struct archive_entry *e;
	char what[sizeof g->place];
	const char *outer_member = g->member, *last = NULL;
	char *last_copy = NULL;
	unsigned char *matched = NULL;	/* per --member pattern: it matched a member */
	uint64_t entries = 0;
	int rc = 0, r, raw = 0;

	if (!(f->a = archive_read_new()) || (f->gzip && !(f->gz = ml_gunzip_new(raw_read, f))) ||
	    (g->members.n && !(matched = calloc(g->members.n, 1)))) {
		rc = ml_err_sys(err, ENOMEM, "%s", g->place);
		goto out;
	}
	archive_read_support_filter_all(f->a);
	if (archives) {
		archive_read_support_format_tar(f->a);
		archive_read_support_format_zip(f->a);
	}
	archive_read_support_format_raw(f->a);
	snprintf(what, sizeof what, "%s", g->place);
	f->what = what;
	if (archive_read_open(f->a, f, NULL, archive_cb, NULL) != ARCHIVE_OK) {
		rc = f->in_failed && !nested ? (*err = f->in_err, -1)
			: ml_err_set(err, ML_ERR_DATA, "%s: cannot read %s: %s", what,
				     nested ? "compressed data" : "archive or compressed data",
				     f->in_failed ? f->outer->reason : data_reason(f));
		goto out;
	}
	while ((r = archive_read_next_header(f->a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		raw = archive_format(f->a) == ARCHIVE_FORMAT_RAW;
		const char *name = archive_entry_pathname(e);
		entries++;
		if (!raw && archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (!raw && !name) {
			rc = unnamed_member(g, f->a, entries, err);
			goto out;
		}
		if (!raw && !member_wanted(g, name, matched))
			continue;
		struct stream s = {.read = member_read, .ctx = f, .counted = g};
		if (nested) {
			s.name = outer_member;
		} else if (raw) {
			g->member = NULL;
			s.name = strcmp(g->path, "-") == 0 ? NULL : g->path;
		} else {
			g->member = name;
			s.name = name;
			snprintf(what, sizeof what, "%s(%s)", g->file, name);
			free(last_copy);
			last = last_copy = strdup(name);
		}
		f->newlines = 0;
		rc = read_stream(g, &s, s.name, raw ? 1 : 0, err);
		if (!nested)
			g->member = NULL;
		if (rc < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		const char *why = f->in_failed ? (nested ? f->outer->reason : f->in_err.msg)
					       : data_reason(f);
		if (f->in_failed && !nested)
			*err = f->in_err, rc = -1;
		else if (last)
			rc = ml_err_set(err, ML_ERR_DATA, "%s: broken archive after member '%s': %s",
					g->file, last, why);
		else
			rc = ml_err_set(err, ML_ERR_DATA, "%s: broken archive or compressed data: %s",
					nested ? g->place : g->file, why);
	} else if (!nested && !entries && !named_archive(strcmp(g->path, "-") == 0 ? NULL : g->path)) {
		/* tar reads zero blocks as its end: a gzip of /dev/zero would be an
		 * empty archive, and a file of data would give nothing, unseen */
		rc = ml_err_set(err, ML_ERR_DATA, "%s:1: no data: an archive with no member, or zero "
				"bytes (an empty archive is read as one when its name says so: .tar, .tgz, "
				".zip, ...)", g->file);
	} else if (gz_drain(f) < 0) {
		if (f->in_failed)
			*err = f->in_err, rc = -1;
		else
			rc = ml_err_set(err, ML_ERR_DATA, "%s: broken archive or compressed data: %s",
					nested ? g->place : g->file, f->in_err.msg);
	} else if (!nested && !raw) {
		/* as tar -x fails on a name it does not find: a pattern that
		 * matches nothing would give nothing, unseen */
		for (size_t i = 0; i < g->members.n; i++)
			if (!matched[i]) {
				rc = ml_err_set(err, ML_ERR_DATA, "%s: no member matches --member '%s'",
						g->file, g->members.v[i]);
				break;
			}
	}
out:
	free(matched);
	free(last_copy);
	archive_read_free(f->a);
	f->a = NULL;
	ml_gunzip_free(f->gz);
	f->gz = NULL;
	return rc;
}

int ingest_file(struct ingest *g, const char *path, struct ml_run *run, struct ml_err *err)
{
	struct file_src *f = calloc(1, sizeof *f);
	struct ml_in *in;
	uint64_t before = g->read;
	int rc = 0;

	if (!f)
		return ml_err_sys(err, ENOMEM, "%s", path);
	if (!(in = ml_in_open(path, err))) {
		free(f);
		return 1;
	}
	if (!ml_run_log_path(run))
		ml_in_no_hash(in);
	f->up = in_read;
	f->up_ctx = in;
	g->path = ml_in_path(in);
	g->file = ml_in_name(in);
	g->member = NULL;
	g->bytes_in = 0;
	emit_set_place(g);
	while (f->head_len < HEAD_SIZE) {
		ssize_t r = ml_in_read(in, f->head + f->head_len, HEAD_SIZE - f->head_len, err);
		if (r < 0) {
			/* nothing read yet (EIO, a directory): as if not opened */
			rc = f->head_len == 0 ? 1 : -1;
			goto out;
		}
		if (r == 0)
			break;
		f->head_len += (size_t)r;
	}
	const char *name = strcmp(path, "-") == 0 ? NULL : path;
	if (is_packed((const unsigned char *)f->head, f->head_len) || empty_tar(name, f->head, f->head_len)) {
		/* a name such as data.csv.gz says compressed text: libarchive is
		 * not asked whether the text looks like a tar (zero blocks do) */
		int text = name && detect_by_name(name) != FMT_AUTO;
		const char *packed = compression((const unsigned char *)f->head, f->head_len);
		f->gzip = packed && strcmp(packed, "gzip") == 0;
		rc = read_packed(g, f, 0, is_archive((const unsigned char *)f->head, f->head_len) || !text,
				 err);
	} else if ((rc = check_name(name, g->file, f->head, f->head_len, err)) == 0) {
		struct stream s = {.read = raw_read, .ctx = f, .name = name, .counted = g};
		rc = read_stream(g, &s, s.name, 0, err);
	}
	/* hash the whole file, even bytes a format did not need (a zip's index) */
	if (rc == 0)
		rc = ml_in_drain(in, err);
	ml_run_input(run, ml_in_path(in), ml_in_bytes(in),
		     (int64_t)(g->read - before), ml_in_sha256(in));
out:
	ml_in_close(in);
	g->path = g->file = "";
	free(f);
	return rc;
}
