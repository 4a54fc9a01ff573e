/* The run log read into memory: the file's bytes kept whole, and per run
 * record what a query asks about, parsed once with libjq. */
#include <errno.h>
#include <fcntl.h>
#include <jv.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mllog.h"
#include "ml_json.h"
#include "ml_rec.h"

/* Strings and small arrays of 100,000 runs: one allocation per chunk, not
 * one per field, and one free for all. */
struct arena {
	struct arena *next;
	size_t used, size;
	_Alignas(max_align_t) char data[];
};

static void *arena_alloc(struct arena **a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!*a || (*a)->size - (*a)->used < n) {
		size_t size = n > 60000 ? n : 60000;
		struct arena *c = malloc(sizeof *c + size);
		if (!c)
			return NULL;
		c->next = *a;
		c->used = 0;
		c->size = size;
		*a = c;
	}
	void *p = (*a)->data + (*a)->used;
	(*a)->used += n;
	return p;
}

static const char *arena_strndup(struct arena **a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void arena_free(struct arena *a)
{
	while (a) {
		struct arena *next = a->next;
		free(a);
		a = next;
	}
}

int sha_parse(const char *s, size_t n, unsigned char sha[SHA_BYTES])
{
	if (n != 7 + 2 * SHA_BYTES || memcmp(s, "sha256:", 7) != 0)
		return -1;
	for (size_t i = 0; i < SHA_BYTES; i++) {
		int hi = ml_json_hex_digit((unsigned char)s[7 + 2 * i]), lo = ml_json_hex_digit((unsigned char)s[8 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -1;
		sha[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

char sha_hex_digit(const unsigned char sha[SHA_BYTES], size_t i)
{
	static const char digits[] = "0123456789abcdef";

	return digits[i & 1 ? sha[i / 2] & 15 : sha[i / 2] >> 4];
}

void sha_format(const unsigned char sha[SHA_BYTES], size_t hexlen, char out[ML_SHA256_ID_SIZE])
{
	if (hexlen > 2 * SHA_BYTES)
		hexlen = 2 * SHA_BYTES;
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < hexlen; i++)
		out[7 + i] = sha_hex_digit(sha, i);
	out[7 + hexlen] = '\0';
}

/* The whole file (or standard input), with room for a NUL after it. */
static int slurp(const char *path, char **text, size_t *len, struct ml_err *err)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	const char *name = fd == STDIN_FILENO ? "<stdin>" : path;
	struct ml_buf b = {0};
	struct stat st;

	if (fd < 0)
		return ml_err_sys(err, errno, "cannot open run log '%s'", path);
	/* the programs append a line in one write under LOCK_EX: shared, we
	 * never see half of one (where flock cannot, a torn line is reported) */
	if (fd != STDIN_FILENO)
		while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
			;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    ml_buf_reserve(&b, (size_t)st.st_size + 1) < 0)
		goto nomem;
	for (;;) {
		if (b.cap - b.len < 65536 && ml_buf_reserve(&b, 65536) < 0)
			goto nomem;
		ssize_t got = read(fd, b.data + b.len, b.cap - b.len - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ml_err_sys(err, errno, "cannot read run log '%s'", name);
			goto fail;
		}
		if (got == 0)
			break;
		b.len += (size_t)got;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	b.data[b.len] = '\0';
	*text = b.data;
	*len = b.len;
	return 0;
nomem:
	ml_err_sys(err, ENOMEM, "cannot read run log '%s'", name);
fail:
	if (fd != STDIN_FILENO)
		close(fd);
	ml_buf_free(&b);
	return -1;
}

/* v's string, copied to the arena; NULL when v is no string (or memory is
 * out: log->nomem).  Frees v. */
static const char *take_string(struct runlog *log, jv v)
{
	const char *s = NULL;

	if (jv_get_kind(v) == JV_KIND_STRING &&
	    !(s = arena_strndup(&log->arena, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)))))
		log->nomem = 1;
	jv_free(v);
	return s;
}

static jv get(jv doc, const char *key)
{
	return jv_object_get(jv_copy(doc), jv_string(key));
}

/* Whether v is a string "sha256:<hex>", decoded into sha.  Keeps v. */
static int sha_of(jv v, unsigned char sha[SHA_BYTES])
{
	return jv_get_kind(v) == JV_KIND_STRING &&
	       sha_parse(jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), sha) == 0;
}

/* A whole number in [0, 2^63) as a count. */
static int count_of(jv v, int64_t *out)
{
	if (jv_get_kind(v) != JV_KIND_NUMBER)
		return -1;
	double x = jv_number_value(v);
	if (!(x >= 0 && x < 9.2e18) || x != (double)(int64_t)x)
		return -1;
	*out = (int64_t)x;
	return 0;
}

/* The "inputs" or "outputs" array of the record; 0, or -1 (memory). */
static int read_io(struct runlog *log, jv doc, const char *key, struct log_io **out, uint32_t *n)
{
	jv arr = get(doc, key);
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (jv_get_kind(arr) != JV_KIND_ARRAY)
		goto done;
	int len = jv_array_length(jv_copy(arr));
	if (len <= 0)
		goto done;
	if (!(*out = arena_alloc(&log->arena, (size_t)len * sizeof **out))) {
		rc = -1;
		goto done;
	}
	for (int i = 0; i < len; i++) {
		jv e = jv_array_get(jv_copy(arr), i);
		struct log_io *io = &(*out)[*n];
		int64_t c;
		memset(io, 0, sizeof *io);
		io->records = -1;
		if (jv_get_kind(e) == JV_KIND_OBJECT) {
			io->path = take_string(log, get(e, "path"));
			jv v = get(e, "bytes");
			if (count_of(v, &c) == 0) {
				io->bytes = (uint64_t)c;
				io->has_bytes = 1;
			}
			jv_free(v);
			v = get(e, "records");
			if (count_of(v, &c) == 0)
				io->records = c;
			jv_free(v);
			v = get(e, "sha256");
			io->has_sha = sha_of(v, io->sha);
			jv_free(v);
		}
		jv_free(e);
		/* every entry keeps its place: edges name outputs by index */
		(*n)++;
	}
done:
	jv_free(arr);
	return rc;
}

/* The params whose value is a "sha256:" id. */
static int read_param_ids(struct runlog *log, jv doc, struct log_run *r)
{
	jv params = get(doc, "params");
	unsigned char sha[SHA_BYTES];
	uint32_t cap = 0;
	int rc = 0;

	if (jv_get_kind(params) != JV_KIND_OBJECT) {
		jv_free(params);
		return 0;
	}
	for (int it = jv_object_iter(params); jv_object_iter_valid(params, it);
	     it = jv_object_iter_next(params, it)) {
		jv v = jv_object_iter_value(params, it);
		if (sha_of(v, sha)) {
			if (r->nids == cap) {
				/* rare and few: grow by copying within the arena */
				uint32_t ncap = cap ? 2 * cap : 2;
				struct log_param_id *ids = arena_alloc(&log->arena, ncap * sizeof *ids);
				if (!ids) {
					jv_free(v);
					rc = -1;
					break;
				}
				if (r->nids)
					memcpy(ids, r->ids, r->nids * sizeof *ids);
				r->ids = ids;
				cap = ncap;
			}
			struct log_param_id *p = &r->ids[r->nids];
			memcpy(p->sha, sha, SHA_BYTES);
			if (!(p->name = take_string(log, jv_object_iter_key(params, it)))) {
				jv_free(v);
				rc = -1;
				break;
			}
			r->nids++;
		}
		jv_free(v);
	}
	jv_free(params);
	return rc;
}

/* Why a parsed line is no run record, or NULL when it is one. */
static const char *not_a_run(jv doc, char *why, size_t size)
{
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		static const char *const kinds[] = {
			[JV_KIND_NULL] = "null", [JV_KIND_FALSE] = "a boolean", [JV_KIND_TRUE] = "a boolean",
			[JV_KIND_NUMBER] = "a number", [JV_KIND_STRING] = "a string",
			[JV_KIND_ARRAY] = "an array",
		};
		jv_kind k = jv_get_kind(doc);
		snprintf(why, size, "%s, not a JSON object",
			 k < (jv_kind)(sizeof kinds / sizeof *kinds) && kinds[k] ? kinds[k] : "no object");
		return why;
	}
	jv f = get(doc, "format");
	if (jv_get_kind(f) != JV_KIND_STRING)
		snprintf(why, size, "no \"format\":\"mlpipe.run\"");
	else if (strcmp(jv_string_value(f), "mlpipe.run") != 0) {
		snprintf(why, size, "\"format\" is \"%.100s\", not \"mlpipe.run\"", jv_string_value(f));
		/* one message, one line */
		for (char *c = why; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	} else
		why = NULL;
	jv_free(f);
	return why;
}

/* Reads the line into a new run of log, or says why it is none (*why). */
static int read_line(struct runlog *log, const char *line, size_t len, uint64_t lineno,
		     const char **why, char *whybuf, size_t size)
{
	int rc = 0;

	*why = NULL;
	if (len > INT_MAX) {
		*why = "a line of more than 2 GB";
		return 0;
	}
	jv doc = jv_parse_sized(line, (int)len);
	if (!jv_is_valid(doc)) {
		/* libjq quotes the whole line after its reason: keep the reason */
		jv msg = jv_invalid_get_msg(doc);
		const char *m = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "not JSON";
		const char *cut = strstr(m, " (while parsing");
		snprintf(whybuf, size, "%.*s", cut ? (int)(cut - m) : (int)strlen(m), m);
		jv_free(msg);
		*why = whybuf;
		return 0;
	}
	if ((*why = not_a_run(doc, whybuf, size))) {
		jv_free(doc);
		return 0;
	}
	if (log->n == log->cap) {
		size_t ncap = log->cap ? 2 * log->cap : 1024;
		struct log_run *v = realloc(log->runs, ncap * sizeof *v);
		if (!v) {
			jv_free(doc);
			return -1;
		}
		log->runs = v;
		log->cap = ncap;
	}
	struct log_run *r = &log->runs[log->n];
	memset(r, 0, sizeof *r);
	r->line = line;
	r->len = len;
	r->lineno = lineno;
	r->run_id = take_string(log, get(doc, "run_id"));
	r->tool = take_string(log, get(doc, "tool"));
	r->pipeline_id = take_string(log, get(doc, "pipeline_id"));
	r->start_text = take_string(log, get(doc, "start"));
	r->has_start = r->start_text &&
		       time_parse_instant(r->start_text, strlen(r->start_text), &r->start_ns) == 0;
	jv v = get(doc, "exit");
	int64_t c;
	r->exit_status = count_of(v, &c) == 0 && c <= INT_MAX ? (int)c : -1;
	jv_free(v);
	v = get(doc, "duration_s");
	r->seconds = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) >= 0 ? jv_number_value(v) : -1;
	jv_free(v);
	if (read_io(log, doc, "inputs", &r->inputs, &r->ninputs) < 0 ||
	    read_io(log, doc, "outputs", &r->outputs, &r->noutputs) < 0 ||
	    read_param_ids(log, doc, r) < 0)
		rc = -1;
	jv_free(doc);
	if (rc == 0 && log->nomem)
		rc = -1;
	if (rc == 0)
		log->n++;
	return rc;
}

int runlog_read(struct runlog *log, const char *path, log_bad_line_fn bad, void *ctx,
		struct ml_err *err)
{
	char whybuf[512];

	memset(log, 0, sizeof *log);
	if (!(log->name = strdup(strcmp(path, "-") == 0 ? "<stdin>" : path)))
		return ml_err_sys(err, ENOMEM, "cannot read run log '%s'", path);
	if (slurp(path, &log->text, &log->len, err) < 0)
		return -1;
	char *p = log->text, *end = log->text + log->len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *stop = nl ? nl : end;
		size_t len = (size_t)(stop - p);
		const char *why = NULL;
		uint64_t lineno = ++log->lines;

		*stop = '\0';
		if (len && p[len - 1] == '\r')
			p[--len] = '\0';
		if (!nl) {
			/* a writer that died mid-line, or one still writing */
			why = "no newline at its end: cut short";
		} else if (len && read_line(log, p, len, lineno, &why, whybuf, sizeof whybuf) < 0) {
			return ml_err_sys(err, ENOMEM, "cannot read run log '%s'", log->name);
		}
		if (why) {
			log->bad++;
			if (bad)
				bad(ctx, log->name, lineno, why);
		}
		p = stop + 1;
	}
	return 0;
}

void runlog_free(struct runlog *log)
{
	free(log->name);
	free(log->text);
	free(log->runs);
	arena_free(log->arena);
	memset(log, 0, sizeof *log);
}

/* Appends ,"key": (without the comma for the first). */
static int put_key(struct ml_buf *out, const char *key, int comma)
{
	if ((comma && ml_buf_addc(out, ',') < 0) || ml_json_quote(out, key, strlen(key)) < 0)
		return -1;
	return ml_buf_addc(out, ':');
}

/* Appends "key":value for each of keys: libjq's text of the values, for a
 * line the strict scanner refuses but libjq took. */
static int fields_json_jv(const struct log_run *r, const char *const *keys, size_t nkeys,
			  int named, struct ml_buf *out)
{
	jv doc = jv_parse_sized(r->line, (int)r->len);
	int rc = 0;

	for (size_t k = 0; k < nkeys && rc == 0; k++) {
		jv v = jv_is_valid(doc) && jv_get_kind(doc) == JV_KIND_OBJECT ? get(doc, keys[k]) : jv_null();
		if (!jv_is_valid(v)) {
			jv_free(v);
			v = jv_null();
		}
		jv s = jv_dump_string(v, 0);
		if (named)
			rc = put_key(out, keys[k], k > 0);
		rc |= ml_buf_add(out, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
		jv_free(s);
	}
	jv_free(doc);
	return rc;
}

/* Appends the values of keys as written in the line (a tool's numbers are
 * never reformatted), each "key": first when named; null for a missing one. */
static int fields_json(const struct log_run *r, const char *const *keys, size_t nkeys, int named,
		       struct ml_buf *out)
{
	struct ml_rec *rec = ml_rec_new();
	struct ml_err err;
	int rc = 0;

	if (!rec)
		return -1;
	if (ml_rec_parse(rec, r->line, r->len, &err) < 0) {
		ml_rec_free(rec);
		return fields_json_jv(r, keys, nkeys, named, out);
	}
	for (size_t k = 0; k < nkeys && rc == 0; k++) {
		ssize_t i = ml_rec_find(rec, keys[k], strlen(keys[k]));
		if (named)
			rc = put_key(out, keys[k], k > 0);
		if (i < 0) {
			rc |= ml_buf_adds(out, "null");
		} else {
			size_t n;
			const char *raw = ml_rec_value_raw(rec, (size_t)i, &n);
			rc |= ml_json_minify(out, raw, n);
		}
	}
	ml_rec_free(rec);
	return rc;
}

int runlog_field_json(const struct log_run *r, const char *key, struct ml_buf *out)
{
	return fields_json(r, &key, 1, 0, out);
}

int runlog_object_json(const struct log_run *r, const char *const *keys, size_t nkeys,
		       struct ml_buf *out)
{
	if (ml_buf_addc(out, '{') < 0 || fields_json(r, keys, nkeys, 1, out) < 0)
		return -1;
	return ml_buf_addc(out, '}');
}
