#include "ml_each.h"

#include <string.h>

#include "ml_in.h"
#include "ml_json.h"

static int is_blank(const char *s, size_t n)
{
	return ml_json_skip_ws(s, s + n) == s + n;
}

/* An input none of which could be read: the caller decides whether the run
 * goes on, so that one missing file among many does not hide the others. */
static int input_failed(struct ml_each *e, const char *path, struct ml_err *err)
{
	if (!e->input_failed)
		return -1;
	e->failed_inputs++;
	if (e->input_failed(e->ctx, path, err) < 0)
		return -1;
	ml_err_clear(err);
	return 0;
}

static int each_input(struct ml_each *e, struct ml_rec *r, const char *path,
		      struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct ml_lines *lines;
	struct ml_place at;
	const char *line;
	size_t len;
	int rc = 0, got;
	uint64_t before = e->records;

	if (!in)
		return input_failed(e, path, err);
	if (!e->hash && (!e->run || !ml_run_log_path(e->run)))
		ml_in_no_hash(in);
	if (!(lines = ml_lines_of(in))) {
		ml_in_close(in);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	at.file = ml_in_name(in);
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0) {
		at.line = ml_lines_number(lines);
		if (is_blank(line, len))
			continue;
		if (ml_rec_parse(r, line, len, err) < 0) {
			if (err->kind != ML_ERR_DATA || !e->malformed) {
				ml_err_prefix(err, "%s:%llu", at.file, (unsigned long long)at.line);
				rc = -1;
				break;
			}
			e->malformed_lines++;
			char why[sizeof err->msg];
			memcpy(why, err->msg, sizeof why);
			rc = e->malformed(e->ctx, line, len, &at, why, err);
		} else {
			e->records++;
			rc = e->record(e->ctx, r, line, len, &at, err);
		}
		if (rc != 0)
			break;
	}
	if (got < 0) {
		/* failing on the first read (EIO, EISDIR from a read) is the same
		 * as failing to open: nothing of the input was read.  A failure
		 * later stops the run, as part of the input has been used. */
		if (ml_in_bytes(in) == 0 && e->records == before) {
			ml_lines_free(lines);
			ml_in_close(in);
			return input_failed(e, path, err);
		}
		rc = -1;
	}
	if (e->run)
		ml_run_input(e->run, ml_in_path(in), ml_in_bytes(in),
			     (int64_t)(e->records - before), ml_in_sha256(in));
	if (rc == 0 && e->input_done)
		rc = e->input_done(e->ctx, ml_in_path(in), ml_in_bytes(in), e->records - before,
				   ml_in_sha256(in), err);
	ml_lines_free(lines);
	ml_in_close(in);
	return rc;
}

int ml_each_record(struct ml_each *e, char *const *paths, size_t n, struct ml_err *err)
{
	static char *const stdin_only[] = {"-"};
	struct ml_rec *r = ml_rec_new();
	int rc = 0;

	if (!r)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (n == 0) {
		paths = stdin_only;
		n = 1;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = each_input(e, r, paths[i], err);
	ml_rec_free(r);
	return rc < 0 ? -1 : 0;
}
