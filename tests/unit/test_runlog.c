/* Unit tests of common/ml_runlog: one valid JSON line per run, checked with
 * libjq's parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "ml_buf.h"
#include "ml_runlog.h"
#include "tap.h"
#include "testfiles.h"

static char dir[] = "/tmp/test_runlog.XXXXXX";
static struct ml_err err;

static char *path_of(const char *name)
{
	static char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* Field key of object o (not consumed). */
static jv get(jv o, const char *key)
{
	return jv_object_get(jv_copy(o), jv_string(key));
}

static int is_string(jv o, const char *key, const char *want)
{
	jv v = get(o, key);
	int eq = jv_get_kind(v) == JV_KIND_STRING && (!want || strcmp(jv_string_value(v), want) == 0);

	jv_free(v);
	return eq;
}

static int is_number(jv o, const char *key, double want)
{
	jv v = get(o, key);
	int eq = jv_get_kind(v) == JV_KIND_NUMBER && jv_number_value(v) == want;

	jv_free(v);
	return eq;
}

static int kind_is(jv o, const char *key, jv_kind k)
{
	jv v = get(o, key);
	int eq = jv_get_kind(v) == k;

	jv_free(v);
	return eq;
}

static void test_line(void)
{
	const char *log = path_of("runs.ndjson");
	char *argv[] = {"ml-test", "--flag", "va\"lue", "caf\xC3\xA9", "bad\xFF"};
	struct ml_run_opts opts = {log, 0};
	struct ml_run *run;
	char *text;
	size_t n;

	unsetenv("ML_PIPELINE_ID");
	run = ml_run_begin("ml-test", 5, argv, &opts, &err);
	ok(run != NULL && strcmp(ml_run_log_path(run), log) == 0, "run_begin opens the log named in the options");
	ml_run_input(run, "in.ndjson", 123, 4,
		     "sha256:0000000000000000000000000000000000000000000000000000000000000000");
	ml_run_input(run, "-", 7, -1, NULL);
	ml_run_output(run, "out.ndjson", 99, 3, "sha256:1111111111111111111111111111111111111111111111111111111111111111");
	ml_run_param(run, "key", "id");
	ml_run_param_json(run, "ratio", "{\"train\":0.8}");
	ml_run_counter(run, "read", 4);
	ml_run_counter(run, "written", 3);
	ok(ml_run_end(run, 1, &err) == 0, "run_end appends the line");

	text = slurp(log, &n);
	ok(text && count_lines(text) == 1 && text[n - 1] == '\n', "the log holds exactly one line, ending with a newline");
	jv rec = jv_parse_sized(text ? text : "", (int)n);
	ok(jv_get_kind(rec) == JV_KIND_OBJECT, "the line is valid JSON (libjq parses it) and an object");
	if (jv_get_kind(rec) != JV_KIND_OBJECT) {
		jv_free(rec);
		free(text);
		return;
	}
	static const char *const keys[] = {
		"format", "version", "run_id", "tool", "mlpipe_version", "argv", "cwd", "user", "host",
		"pipeline_id", "start", "end", "duration_s", "exit", "inputs", "outputs", "params", "counters",
	};
	int all = 1;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!jv_object_has(jv_copy(rec), jv_string(keys[i]))) {
			printf("# missing key %s\n", keys[i]);
			all = 0;
		}
	ok(all, "the line has run_id, tool, argv, cwd, user, host, start, end, exit, inputs, outputs, params, counters...");
	ok(is_string(rec, "format", "mlpipe.run") && is_number(rec, "version", 1),
	   "the line names its format (mlpipe.run) and version (1)");
	jv id = get(rec, "run_id");
	ok(jv_get_kind(id) == JV_KIND_STRING && strlen(jv_string_value(id)) == 32 &&
	   strspn(jv_string_value(id), "0123456789abcdef") == 32, "run_id is 32 hex digits");
	jv_free(id);
	ok(is_string(rec, "tool", "ml-test") && is_number(rec, "exit", 1), "tool and exit status are recorded");
	jv args = get(rec, "argv");
	jv want = jv_array();
	want = jv_array_append(want, jv_string("ml-test"));
	want = jv_array_append(want, jv_string("--flag"));
	want = jv_array_append(want, jv_string("va\"lue"));
	want = jv_array_append(want, jv_string("caf\xC3\xA9"));
	want = jv_array_append(want, jv_string("bad\xEF\xBF\xBD"));
	ok(jv_equal(args, want), "argv is recorded word for word, invalid UTF-8 replaced by U+FFFD");
	ok(kind_is(rec, "pipeline_id", JV_KIND_NULL), "pipeline_id is null when ML_PIPELINE_ID is unset");
	ok(is_string(rec, "start", NULL) && is_string(rec, "end", NULL) && kind_is(rec, "duration_s", JV_KIND_NUMBER),
	   "start, end and duration are recorded");
	{
		jv s = get(rec, "start");
		const char *t = jv_string_value(s);
		ok(strlen(t) == 24 && t[4] == '-' && t[10] == 'T' && t[19] == '.' && t[23] == 'Z',
		   "start is UTC in ISO 8601 with milliseconds (%s)", t);
		jv_free(s);
	}
	jv ins = get(rec, "inputs");
	ok(jv_get_kind(ins) == JV_KIND_ARRAY && jv_array_length(jv_copy(ins)) == 2, "both inputs are listed");
	jv in0 = jv_array_get(jv_copy(ins), 0), in1 = jv_array_get(jv_copy(ins), 1);
	ok(is_string(in0, "path", "in.ndjson") && is_number(in0, "bytes", 123) && is_number(in0, "records", 4) &&
	   is_string(in0, "sha256", "sha256:0000000000000000000000000000000000000000000000000000000000000000"),
	   "an input has its path, bytes, records and sha256");
	ok(is_string(in1, "path", "-") && kind_is(in1, "records", JV_KIND_NULL) && kind_is(in1, "sha256", JV_KIND_NULL),
	   "uncounted records and an unknown hash are null");
	jv_free(in0);
	jv_free(in1);
	jv_free(ins);
	jv outs = get(rec, "outputs");
	jv out0 = jv_array_get(jv_copy(outs), 0);
	ok(jv_array_length(jv_copy(outs)) == 1 && is_string(out0, "path", "out.ndjson") && is_number(out0, "records", 3),
	   "the output is listed");
	jv_free(out0);
	jv_free(outs);
	jv params = get(rec, "params"), counters = get(rec, "counters");
	jv ratio = get(params, "ratio");
	ok(is_string(params, "key", "id") && is_number(ratio, "train", 0.8), "params hold strings and raw JSON");
	ok(is_number(counters, "read", 4) && is_number(counters, "written", 3), "counters are recorded");
	jv_free(ratio);
	jv_free(params);
	jv_free(counters);
	jv_free(rec);
	free(text);

	/* a second run appends a second line */
	setenv("ML_PIPELINE_ID", "nightly-42", 1);
	run = ml_run_begin("ml-test", 1, argv, &opts, &err);
	ml_run_end(run, 0, &err);
	unsetenv("ML_PIPELINE_ID");
	text = slurp(log, &n);
	ok(count_lines(text) == 2, "a second run appends a second line");
	char *second = text ? strchr(text, '\n') + 1 : NULL;
	jv rec2 = jv_parse(second ? second : "");
	ok(jv_get_kind(rec2) == JV_KIND_OBJECT && is_string(rec2, "pipeline_id", "nightly-42") &&
	   is_number(rec2, "exit", 0), "ML_PIPELINE_ID is recorded as pipeline_id");
	ok(text && strncmp(strstr(text, "\"run_id\":\""), strstr(second, "\"run_id\":\""), 43) != 0,
	   "each run has its own run_id");
	jv_free(rec2);
	free(text);
	unlink(log);
}

static void test_where(void)
{
	const char *log = path_of("env.ndjson");
	char *argv[] = {"ml-test"};
	struct ml_run *run;
	char *text;

	setenv("ML_RUN_LOG", log, 1);
	run = ml_run_begin("ml-test", 1, argv, NULL, &err);
	ok(run && strcmp(ml_run_log_path(run), log) == 0, "ML_RUN_LOG names the log when no option does");
	ml_run_end(run, 0, &err);
	text = slurp(log, NULL);
	ok(count_lines(text) == 1, "the line lands in the file ML_RUN_LOG names");
	free(text);
	unlink(log);

	setenv("ML_RUN_LOG", "off", 1);
	run = ml_run_begin("ml-test", 1, argv, NULL, &err);
	ok(run && ml_run_log_path(run) == NULL, "ML_RUN_LOG=off turns the log off");
	ok(ml_run_end(run, 0, &err) == 0 && access(log, F_OK) != 0,
	   "with the log off nothing is written");

	{
		struct ml_run_opts opts = {log, 0};
		run = ml_run_begin("ml-test", 1, argv, &opts, &err);
		ok(run && strcmp(ml_run_log_path(run), log) == 0, "an explicit --run-log path wins over ML_RUN_LOG=off");
		ml_run_end(run, 0, &err);
		unlink(log);
	}
	{
		struct ml_run_opts opts = {log, 1};
		setenv("ML_RUN_LOG", log, 1);
		run = ml_run_begin("ml-test", 1, argv, &opts, &err);
		ok(run && ml_run_log_path(run) == NULL && ml_run_end(run, 0, &err) == 0 && access(log, F_OK) != 0,
		   "--no-run-log (opts.disabled) turns the log off whatever the environment says");
	}
	{
		struct ml_run_opts opts = {path_of("missing/dir/runs.ndjson"), 0};
		run = ml_run_begin("ml-test", 1, argv, &opts, &err);
		ok(run == NULL && err.kind == ML_ERR_IO && strstr(err.msg, "--no-run-log") != NULL,
		   "a log that cannot be opened stops the run before it starts, with a hint");
	}
	ok(ml_run_end(NULL, 0, &err) == 0, "run_end of no run does nothing");
	setenv("ML_RUN_LOG", "off", 1);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	test_line();
	test_where();
	rmdir(dir);
	return tap_done();
}
