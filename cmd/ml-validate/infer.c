/* ml-validate --infer: a schema from records or from ml-stats profiles. */
#include <string.h>

#include "ml_in.h"
#include "ml_profile.h"
#include "validate.h"

/* Profiles one input into p: its records, or the profiles it holds.  0, -1
 * with err, or 1 with err when none of it could be read (not opened, or
 * its first read failed): the caller names it and goes on. */
static int load_input(struct ml_cli *cli, const char *path, struct ml_profile *p,
		      struct ml_profile_reader *rd, struct ml_rec *r, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	struct ml_lines *lines = NULL;
	struct ml_buf tmp = {0};
	const char *line;
	size_t len;
	int got, rc = 0, kind = -1;	/* -1 not known yet, 0 records, 1 profiles */
	uint64_t records = 0;

	if (!in)
		return 1;
	if (!ml_run_log_path(cli->run))
		ml_in_no_hash(in);
	if (!(lines = ml_lines_of(in))) {
		ml_in_close(in);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	while ((got = ml_lines_next(lines, &line, &len, err)) > 0) {
		if (len == 0)
			continue;
		if (kind < 0)
			kind = ml_profile_is_first_line(r, line, len, &tmp);
		if (kind) {
			rc = ml_profile_reader_merge_line(rd, line, len, p, err) < 0 ? -1 : 0;
		} else {
			rc = ml_rec_parse(r, line, len, err);
			if (rc == 0)
				rc = ml_profile_add(p, r, err);
			ml_cli_progress(cli, ++records);
		}
		if (rc < 0) {
			ml_err_prefix(err, "%s:%llu", ml_in_name(in), (unsigned long long)ml_lines_number(lines));
			break;
		}
	}
	if (got < 0) {
		if (ml_in_bytes(in) == 0) {
			rc = 1;
			goto done;
		}
		rc = -1;
	}
	if (rc == 0 && kind == 1 && ml_profile_reader_end(rd, err) < 0)
		rc = ml_err_prefix(err, "%s", ml_in_name(in));
	if (rc == 0 && kind != 1)
		rc = ml_profile_add_source(p, ml_in_bytes(in), ml_in_sha256(in)) < 0
			? ml_err_set(err, ML_ERR_IO, "out of memory") : 0;
	ml_run_input(cli->run, ml_in_path(in), ml_in_bytes(in), (int64_t)records, ml_in_sha256(in));
done:
	ml_buf_free(&tmp);
	ml_lines_free(lines);
	ml_in_close(in);
	return rc;
}

int infer_schema(struct ml_cli *cli, char *const *paths, size_t n, const struct ml_infer_opts *o,
		 struct ml_out *out, struct ml_err *err)
{
	/* the domain needs every distinct value listed; the sketch keeps them
	 * all while they are few (ml_cat's exact limit is far above) */
	struct ml_profile_opts popts = {.top = o->max_domain ? o->max_domain : 1, .bins = 1};
	struct ml_profile *p = ml_profile_new(&popts);
	struct ml_profile_reader *rd = ml_profile_reader_new(&popts);
	struct ml_rec *r = ml_rec_new();
	struct ml_buf text = {0};
	int rc = 0, failed = 0;

	if (!p || !rd || !r)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t i = 0; i < (n ? n : 1) && rc == 0; i++) {
		/* an input that cannot be read is named, and the others are
		 * still read, so one run names every bad one */
		if ((rc = load_input(cli, n ? paths[i] : "-", p, rd, r, err)) > 0) {
			ml_warn("%s", err->msg);
			failed = 1;
			rc = 0;
		}
	}
	/* a schema from part of the inputs would pass what it should not */
	if (rc == 0 && failed)
		rc = 1;
	if (rc == 0)
		rc = ml_profile_finish(p, err);
	if (rc == 0 && ml_schema_infer(p, o, &text) < 0)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	if (rc == 0)
		ml_out_write(out, text.data, text.len);
	if (p)
		ml_run_counter(cli->run, "records", ml_profile_records(p));
	ml_buf_free(&text);
	ml_rec_free(r);
	ml_profile_reader_free(rd);
	ml_profile_free(p);
	return rc;
}
