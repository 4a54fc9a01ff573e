/* Unit tests of common/ml_registry: the layout on disk, objects verified on
 * every read, stages that follow the history, the repairs the lock makes
 * after a writer died, and verify finding each kind of damage.  History
 * lines are checked with libjq's parser, object names with sha256sum(1). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jv.h>

#include "ml_buf.h"
#include "ml_registry.h"
#include "tap.h"
#include "testfiles.h"

static char root[] = "/tmp/test_registry.XXXXXX";
static struct ml_err err;

/* A path under the test directory, from a printf format (two alternate
 * buffers, so two can be used at once). */
__attribute__((format(printf, 1, 2)))
static char *path_of(const char *fmt, ...)
{
	static char path[2][1024];
	static int k;
	char name[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	k ^= 1;
	snprintf(path[k], sizeof path[k], "%s/%s", root, name);
	return path[k];
}

static void put_file(const char *path, const char *data, const char *mode)
{
	FILE *f = fopen(path, mode);

	if (f) {
		fputs(data, f);
		fclose(f);
	}
}

static int file_is(const char *path, const char *want)
{
	size_t n;
	char *got = slurp(path, &n);
	int eq = got && n == strlen(want) && memcmp(got, want, n) == 0;

	free(got);
	return eq;
}

static int starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* The n-th line (1-based) of the file, without its newline; malloc'd. */
static char *line_of(const char *path, int n)
{
	char *text = slurp(path, NULL), *p = text, *nl, *line = NULL;

	for (int i = 1; p && (nl = strchr(p, '\n')); i++, p = nl + 1)
		if (i == n) {
			line = strndup(p, (size_t)(nl - p));
			break;
		}
	free(text);
	return line;
}

/* A stage to commit: now model (and metrics), previous models oldest first. */
static struct ml_stage stage_of(const char *name, const char *model, const char *metrics,
				int nprev, const char *const *prev)
{
	struct ml_stage st;

	memset(&st, 0, sizeof st);
	snprintf(st.name, sizeof st.name, "%s", name);
	snprintf(st.now.model, sizeof st.now.model, "%s", model);
	snprintf(st.now.metrics, sizeof st.now.metrics, "%s", metrics ? metrics : "");
	if (nprev) {
		st.prev = calloc((size_t)nprev, sizeof *st.prev);
		for (int i = 0; i < nprev; i++)
			snprintf(st.prev[i].model, sizeof st.prev[i].model, "%s", prev[i]);
		st.nprev = (size_t)nprev;
	}
	return st;
}

/* Puts text as an object (the caller holds the lock); its id in id. */
static int put_text(struct ml_registry *reg, const char *text, char id[ML_SHA256_ID_SIZE])
{
	int created;

	return ml_registry_put(reg, text, strlen(text), id, &created, &err);
}

/* Commits an event that makes stage name hold model after prev. */
static int commit_stage(struct ml_registry *reg, const char *name, const char *model,
			int nprev, const char *const *prev)
{
	struct ml_stage st = stage_of(name, model, NULL, nprev, prev);
	static const char keys[] = "{\"event\":\"promote\"}";
	int rc = ml_registry_commit(reg, keys, sizeof keys - 1, &st, &err);

	ml_stage_free(&st);
	return rc;
}

/* Problems verify reports, one per line. */
static struct ml_buf problems;

static void note_problem(void *ctx, const char *text)
{
	(void)ctx;
	ml_buf_adds(&problems, text);
	ml_buf_adds(&problems, "\n");
	ml_buf_terminate(&problems);
}

static long verify(struct ml_registry *reg)
{
	ml_buf_reset(&problems);
	ml_buf_terminate(&problems);
	long n = ml_registry_verify(reg, note_problem, NULL, &err);
	if (n)
		printf("# verify: %ld problem(s)\n%s", n, problems.data ? problems.data : "");
	return n;
}

static int reported(const char *text)
{
	return problems.data && strstr(problems.data, text) != NULL;
}

/* ---- opening ---- */

static void test_choose_dir(void)
{
	char *d;

	unsetenv("ML_REGISTRY");
	unsetenv("ML_HOME");
	d = ml_registry_choose_dir("given");
	ok(d && strcmp(d, "given") == 0, "a directory given wins over the environment");
	free(d);
	d = ml_registry_choose_dir(NULL);
	ok(d && strcmp(d, ".ml/registry") == 0, "with nothing set the registry is .ml/registry");
	free(d);
	setenv("ML_HOME", "/srv/ml", 1);
	d = ml_registry_choose_dir(NULL);
	ok(d && strcmp(d, "/srv/ml/registry") == 0, "ML_HOME puts the registry at $ML_HOME/registry");
	free(d);
	setenv("ML_REGISTRY", "/srv/reg", 1);
	d = ml_registry_choose_dir(NULL);
	ok(d && strcmp(d, "/srv/reg") == 0, "ML_REGISTRY wins over ML_HOME");
	free(d);
	unsetenv("ML_REGISTRY");
	unsetenv("ML_HOME");
}

static void test_open(void)
{
	struct ml_registry *reg;
	char *dir = strdup(path_of("home/registry"));

	reg = ml_registry_open(dir, 0, &err);
	ok(!reg && err.kind == ML_ERR_USAGE && strstr(err.msg, "does not exist") && strstr(err.msg, dir),
	   "opening a missing registry without create is a usage error naming it (%s)", err.msg);
	ok(!exists(dir), "and makes nothing");

	reg = ml_registry_open(dir, 1, &err);
	ok(reg != NULL, "opening with create makes the directory and its missing parent");
	ok(file_is(path_of("home/registry/registry.json"), "{\"format\":\"mlpipe.registry\",\"version\":1}\n"),
	   "a new registry has registry.json with its format and version");
	ok(exists(path_of("home/registry/objects")) && exists(path_of("home/registry/stages")) &&
	   file_is(path_of("home/registry/history.ndjson"), ""),
	   "a new registry has objects/, stages/ and an empty history");
	ok(reg && strcmp(ml_registry_dir(reg), dir) == 0 && ml_registry_abs_dir(reg)[0] == '/' &&
	   strstr(ml_registry_abs_dir(reg), "home/registry"),
	   "the registry keeps its directory as given and as an absolute path");
	ml_registry_close(reg);

	reg = ml_registry_open(dir, 0, &err);
	ok(reg != NULL, "an existing registry opens without create");
	ml_registry_close(reg);

	mkdir(path_of("empty"), 0777);
	reg = ml_registry_open(path_of("empty"), 0, &err);
	ok(reg != NULL && !exists(path_of("empty/registry.json")),
	   "an empty directory opens as an empty registry and is not written without create");
	ok(reg && ml_registry_lock(reg, &err) == 0 && exists(path_of("empty/registry.json")) &&
	   exists(path_of("empty/objects")), "a writer's lock makes an empty directory a registry");
	ml_registry_close(reg);

	mkdir(path_of("notes"), 0777);
	put_file(path_of("notes/todo.txt"), "buy milk\n", "w");
	reg = ml_registry_open(path_of("notes"), 1, &err);
	ok(!reg && err.kind == ML_ERR_DATA && strstr(err.msg, "todo.txt") && strstr(err.msg, "not a registry") &&
	   strstr(err.msg, path_of("notes")),
	   "a directory that is neither empty nor a registry is refused (%s)", err.msg);
	ok(!exists(path_of("notes/registry.json")) && !exists(path_of("notes/objects")),
	   "and is left as it was");

	mkdir(path_of("newer"), 0777);
	put_file(path_of("newer/registry.json"), "{\"format\":\"mlpipe.registry\",\"version\":2}\n", "w");
	reg = ml_registry_open(path_of("newer"), 1, &err);
	ok(!reg && err.kind == ML_ERR_DATA && strstr(err.msg, "version 2 is newer"),
	   "a registry of a newer version is refused (%s)", err.msg);

	mkdir(path_of("other"), 0777);
	put_file(path_of("other/registry.json"), "{\"format\":\"something.else\",\"version\":1}\n", "w");
	reg = ml_registry_open(path_of("other"), 1, &err);
	ok(!reg && err.kind == ML_ERR_DATA && strstr(err.msg, "not a registry"),
	   "a registry.json of another format is refused (%s)", err.msg);
	put_file(path_of("other/registry.json"), "{\"format\":", "w");
	reg = ml_registry_open(path_of("other"), 1, &err);
	ok(!reg && err.kind == ML_ERR_DATA && strstr(err.msg, "not JSON"),
	   "a registry.json that is not JSON is refused (%s)", err.msg);

	put_file(path_of("plain-file"), "x", "w");
	reg = ml_registry_open(path_of("plain-file"), 1, &err);
	ok(!reg && err.kind == ML_ERR_DATA && strstr(err.msg, "not a directory"),
	   "a file where the registry should be is refused (%s)", err.msg);
	free(dir);
}

static void test_stage_names(void)
{
	static const char *const good[] = {"production", "a", "Stage_2.canary-eu", "0"};
	static const char *const bad[] = {"", ".hidden", "-x", "a/b", "a b", "..", "caf\xC3\xA9", "x\n"};
	char longest[ML_STAGE_NAME_MAX + 2];
	int all = 1;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		all &= ml_stage_name_valid(good[i]);
	ok(all, "names of letters, digits, '.', '_' and '-' are stage names");
	all = 1;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		all &= !ml_stage_name_valid(bad[i]);
	ok(all, "empty names, names starting with '.' or '-', and other characters are not");
	memset(longest, 'a', sizeof longest);
	longest[ML_STAGE_NAME_MAX] = '\0';
	ok(ml_stage_name_valid(longest), "a stage name may have %d characters", ML_STAGE_NAME_MAX);
	longest[ML_STAGE_NAME_MAX] = 'a';
	longest[ML_STAGE_NAME_MAX + 1] = '\0';
	ok(!ml_stage_name_valid(longest), "but not %d", ML_STAGE_NAME_MAX + 1);
	ok(ml_stage_name_valid(NULL) == 0, "no name is not a stage name");
}

/* ---- objects ---- */

static void test_objects(void)
{
	struct ml_registry *reg = ml_registry_open(path_of("objs"), 1, &err);
	char id[ML_SHA256_ID_SIZE], again[ML_SHA256_ID_SIZE], *path, *obj;
	const char *bytes = "model bytes\n";
	struct ml_buf got = {0};
	struct stat sb;
	int created = -1;

	ok(ml_registry_put(reg, bytes, strlen(bytes), id, &created, &err) < 0 && err.kind == ML_ERR_USAGE,
	   "storing an object without the lock is refused");
	ml_registry_lock(reg, &err);
	ok(ml_registry_put(reg, bytes, strlen(bytes), id, &created, &err) == 0 && created == 1,
	   "a new object is stored and said to be created");
	obj = strdup(path_of("objs/objects/%s", id + 7));
	ok(strcmp(sha256sum(obj), id) == 0, "the object is named by the SHA-256 of its bytes (%s)", id);
	ok(stat(obj, &sb) == 0 && (sb.st_mode & 07777) == 0444, "an object is read-only (mode 0444)");
	ok(ml_registry_put(reg, bytes, strlen(bytes), again, &created, &err) == 0 && created == 0 &&
	   strcmp(again, id) == 0, "storing the same bytes again is one object, not created again");
	ok(ml_registry_has(reg, id, &err) == 1, "the registry has what it stored");
	ok(ml_registry_has(reg, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &err) == 0,
	   "and has not what it never stored");
	ok(ml_registry_has(reg, "sha256:12", &err) < 0 && err.kind == ML_ERR_USAGE,
	   "a malformed id is an error, not an answer");
	ok(ml_registry_get(reg, id, &got, &err) == 0 && got.len == strlen(bytes) &&
	   memcmp(got.data, bytes, got.len) == 0, "get gives the object's bytes back");
	path = ml_registry_object_path(reg, id, &err);
	ok(path && path[0] == '/' && strcmp(sha256sum(path), id) == 0,
	   "object_path gives the absolute path of the verified object");
	free(path);

	/* a byte flipped on disk */
	chmod(obj, 0644);
	put_file(obj, "model bytes!", "r+");
	char want[256];
	snprintf(want, sizeof want, "registry %s: object %s is corrupt (its bytes hash to %s)",
		 path_of("objs"), id, sha256sum(obj));
	ok(ml_registry_get(reg, id, &got, &err) < 0 && err.kind == ML_ERR_DATA && strcmp(err.msg, want) == 0,
	   "a corrupt object is refused by get, naming the registry, the object and its hash (%s)", err.msg);
	ok(got.len == 0, "and get gives none of its bytes");
	path = ml_registry_object_path(reg, id, &err);
	ok(!path && strcmp(err.msg, want) == 0, "object_path refuses a corrupt object too");
	ok(ml_registry_put(reg, bytes, strlen(bytes), again, &created, &err) == 0 && created == 1,
	   "storing the good bytes again replaces a corrupt object");
	ok(ml_registry_get(reg, id, &got, &err) == 0 && strcmp(sha256sum(obj), id) == 0 &&
	   stat(obj, &sb) == 0 && (sb.st_mode & 07777) == 0444, "and the object reads whole and read-only again");

	ok(ml_registry_get(reg, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &got, &err) < 0 &&
	   err.kind == ML_ERR_DATA && strstr(err.msg, "is missing"), "getting a missing object is an error (%s)", err.msg);

	/* prefixes */
	char prefix[16], full[ML_SHA256_ID_SIZE];
	snprintf(prefix, sizeof prefix, "%.15s", id);
	ok(ml_registry_resolve(reg, prefix, full, &err) == 0 && strcmp(full, id) == 0,
	   "an id's first 8 hex digits name it when no other object's start so");
	ok(ml_registry_resolve(reg, "sha256:0d3de", full, &err) < 0 && err.kind == ML_ERR_USAGE,
	   "fewer than 8 hex digits are not an id");
	ok(ml_registry_resolve(reg, "sha256:ffffffff", full, &err) < 0 && err.kind == ML_ERR_DATA,
	   "a prefix no object has is an error (%s)", err.msg);
	/* a second name with the same first digits, to make the prefix ambiguous */
	char twin[PATH_MAX];
	snprintf(twin, sizeof twin, "%s/objects/%.8s%056d", path_of("objs"), id + 7, 0);
	put_file(twin, "x", "w");
	ok(ml_registry_resolve(reg, prefix, full, &err) < 0 && strstr(err.msg, "ambiguous"),
	   "a prefix two objects share is ambiguous (%s)", err.msg);
	unlink(twin);

	ml_registry_unlock(reg);
	ml_buf_free(&got);
	free(obj);
	ml_registry_close(reg);
}

/* ---- stages and events ---- */

struct count {
	int lines, stop_at;
};

static int count_event(void *ctx, const char *line, size_t len, struct ml_err *e)
{
	struct count *c = ctx;

	(void)line;
	(void)len;
	(void)e;
	return ++c->lines == c->stop_at;
}

static jv field(jv o, const char *key)
{
	return jv_object_get(jv_copy(o), jv_string(key));
}

static void test_commit(void)
{
	char *dir = strdup(path_of("reg"));
	struct ml_registry *reg = ml_registry_open(dir, 1, &err);
	char a[ML_SHA256_ID_SIZE], b[ML_SHA256_ID_SIZE], m[ML_SHA256_ID_SIZE];
	struct ml_stage st;
	struct ml_buf json = {0};
	char *hist = strdup(path_of("reg/history.ndjson")), *stage_file = strdup(path_of("reg/stages/production"));
	const char *last;
	size_t len;

	ok(ml_registry_stage(reg, "production", &st, &err) == 0, "a stage never committed holds nothing");
	ok(ml_registry_stage(reg, "../etc", &st, &err) < 0 && err.kind == ML_ERR_USAGE,
	   "reading a stage by an invalid name is a usage error (%s)", err.msg);

	ml_registry_lock(reg, &err);
	put_text(reg, "bundle A", a);
	put_text(reg, "bundle B", b);
	put_text(reg, "{\"auc\":0.8}", m);

	st = stage_of("production", a, m, 0, NULL);
	static const char keys1[] = "{\"event\":\"promote\",\"stage\":\"production\",\"reason\":\"first\"}";
	ok(ml_registry_commit(reg, keys1, sizeof keys1 - 1, &st, &err) == 0 && st.seq == 1 && st.time[0],
	   "the first event is committed with seq 1 and its time set in the state");
	ml_stage_json(&st, &json);
	ml_buf_addc(&json, '\n');
	ml_buf_terminate(&json);
	ok(file_is(stage_file, json.data), "the stage file is the state's JSON line");
	ok(starts_with(json.data, "{\"format\":\"mlpipe.stage\",\"version\":1,\"stage\":\"production\",\"model\":\"sha256:") &&
	   strstr(json.data, ",\"seq\":1,\"time\":\"") && strstr(json.data, "\"previous\":[]}\n"),
	   "the state line has format, version, stage, model, metrics, seq, time and previous");

	char *line = line_of(hist, 1);
	jv ev = jv_parse(line ? line : "");
	ok(jv_get_kind(ev) == JV_KIND_OBJECT, "the history's line is one JSON object (libjq parses it)");
	ok(starts_with(line, "{\"format\":\"mlpipe.registry.event\",\"version\":1,\"seq\":1,\"time\":\"") &&
	   strstr(line, "\"user\":") && strstr(line, "\"host\":") &&
	   strstr(line, "\"event\":\"promote\",\"stage\":\"production\",\"reason\":\"first\",\"state\":{"),
	   "the event line has format, version, seq, time, user and host, the caller's keys, then the state");
	jv state = field(ev, "state"), time = field(ev, "time"), stime = field(state, "time");
	json.len--;	/* the state without its newline */
	ml_buf_terminate(&json);
	ok(line && strstr(line, json.data) && jv_equal(jv_copy(time), jv_copy(stime)),
	   "the event's state is the stage file's line, its time the event's");
	jv_free(time);
	jv_free(stime);
	jv_free(state);
	jv_free(ev);
	last = ml_registry_last_event(reg, &len);
	ok(last && line && len == strlen(line) && memcmp(last, line, len) == 0,
	   "last_event gives the line as committed");
	free(line);
	ml_stage_free(&st);

	const char *const was_a[] = {a};
	st = stage_of("production", b, NULL, 1, was_a);
	static const char keys2[] = "{\"event\":\"promote\"}";
	ok(ml_registry_commit(reg, keys2, sizeof keys2 - 1, &st, &err) == 0 && st.seq == 2,
	   "the second event has seq 2");
	ml_stage_free(&st);
	ok(ml_registry_stage(reg, "production", &st, &err) == 1 && strcmp(st.now.model, b) == 0 &&
	   st.now.metrics[0] == '\0' && st.seq == 2 && st.nprev == 1 && strcmp(st.prev[0].model, a) == 0,
	   "the stage then holds the new model with the old one to go back to");
	ml_stage_free(&st);

	static const char reject[] = "{\"event\":\"reject\",\"stage\":\"production\"}";
	ok(ml_registry_commit(reg, reject, sizeof reject - 1, NULL, &err) == 0,
	   "an event without a state is committed");
	line = line_of(hist, 3);
	ok(line && strstr(line, "\"seq\":3") && !strstr(line, "\"state\""), "as a line with no state");
	free(line);
	ok(ml_registry_stage(reg, "production", &st, &err) == 1 && st.seq == 2,
	   "and leaves the stage as it was");
	ml_stage_free(&st);

	const char *const was_ab[] = {a, b};
	st = stage_of("staging", a, NULL, 2, was_ab);
	static const char keys3[] = "{ \"event\" : \"promote\" ,\n \"x\" : [ 1 , 2 ] }";
	ok(ml_registry_commit(reg, keys3, sizeof keys3 - 1, &st, &err) == 0, "a second stage gets an event");
	ml_stage_free(&st);
	line = line_of(hist, 4);
	ok(line && strstr(line, "\"event\":\"promote\",\"x\":[1,2],\"state\""),
	   "the caller's keys are written on one line without spaces");
	free(line);

	char **names;
	size_t n;
	ok(ml_registry_stages(reg, &names, &n, &err) == 0 && n == 2 && strcmp(names[0], "production") == 0 &&
	   strcmp(names[1], "staging") == 0, "the stages are listed by name");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);

	static const char ours[] = "{\"event\":\"x\",\"seq\":99}";
	char *before = slurp(hist, NULL);
	st = stage_of("production", a, NULL, 0, NULL);
	ok(ml_registry_commit(reg, ours, sizeof ours - 1, &st, &err) < 0 && err.kind == ML_ERR_USAGE &&
	   strstr(err.msg, "\"seq\""), "the caller may not set the module's keys (%s)", err.msg);
	static const char broken[] = "{\"event\":";
	ok(ml_registry_commit(reg, broken, sizeof broken - 1, &st, &err) < 0,
	   "keys that are not a JSON object are refused (%s)", err.msg);
	st.now.model[7] = 'X';
	ok(ml_registry_commit(reg, keys2, sizeof keys2 - 1, &st, &err) < 0 && err.kind == ML_ERR_USAGE,
	   "a state naming a malformed id is refused");
	ml_stage_free(&st);
	ok(file_is(hist, before), "and a refused event appends nothing");
	free(before);

	struct count c = {0, 0};
	ok(ml_registry_history(reg, count_event, &c, &err) == 0 && c.lines == 4, "history calls back once per event");
	c = (struct count){0, 2};
	ok(ml_registry_history(reg, count_event, &c, &err) == 0 && c.lines == 2, "and stops when asked to");

	ml_registry_unlock(reg);
	st = stage_of("production", a, NULL, 0, NULL);
	ok(ml_registry_commit(reg, keys2, sizeof keys2 - 1, &st, &err) < 0 && err.kind == ML_ERR_USAGE,
	   "committing without the lock is refused");
	ml_stage_free(&st);
	ok(verify(reg) == 0, "verify finds this registry consistent");

	/* readers take no lock: a second handle reads while the first holds it */
	struct ml_registry *other = ml_registry_open(dir, 0, &err);
	ml_registry_lock(reg, &err);
	ok(ml_registry_stage(other, "production", &st, &err) == 1 && st.seq == 2,
	   "a reader reads a stage while a writer holds the lock");
	ml_stage_free(&st);
	ok(ml_registry_lock(reg, &err) < 0, "taking the lock twice is an error");
	ml_registry_unlock(reg);
	ml_registry_close(other);

	/* a malformed stage file */
	char *saved = slurp(stage_file, NULL);
	put_file(stage_file, "{\"format\":\"mlpipe.stage\"}\n", "w");
	ok(ml_registry_stage(reg, "production", &st, &err) < 0 && err.kind == ML_ERR_DATA &&
	   strstr(err.msg, "stages/production"), "a malformed stage file is an error naming it (%s)", err.msg);
	put_file(stage_file, saved, "w");
	free(saved);

	ml_buf_free(&json);
	free(hist);
	free(stage_file);
	ml_registry_close(reg);
	free(dir);
}

/* ---- what a writer that died leaves ---- */

static void test_torn_line(void)
{
	struct ml_registry *reg = ml_registry_open(path_of("torn"), 1, &err);
	char *hist = strdup(path_of("torn/history.ndjson"));
	char a[ML_SHA256_ID_SIZE], b[ML_SHA256_ID_SIZE];
	struct ml_stage st;
	struct count c = {0, 0};
	char *whole, torn[512];

	ml_registry_lock(reg, &err);
	put_text(reg, "A", a);
	put_text(reg, "B", b);
	commit_stage(reg, "production", a, 0, NULL);
	ml_registry_unlock(reg);
	whole = slurp(hist, NULL);

	/* the start of an event for B that never got its newline */
	snprintf(torn, sizeof torn, "{\"format\":\"mlpipe.registry.event\",\"version\":1,\"seq\":2,\"time\":\"x\","
		 "\"state\":{\"format\":\"mlpipe.stage\",\"version\":1,\"stage\":\"production\",\"model\":\"%s\"", b);
	put_file(hist, torn, "a");
	ok(ml_registry_history(reg, count_event, &c, &err) == 0 && c.lines == 1,
	   "history skips a torn last line");
	ok(ml_registry_stage(reg, "production", &st, &err) == 1 && strcmp(st.now.model, a) == 0 && st.seq == 1,
	   "a reader ignores the state in a torn last line");
	ml_stage_free(&st);
	ok(verify(reg) == 0, "verify takes a torn last line for what a crash leaves, not a problem");
	ok(ml_registry_lock(reg, &err) == 0 && file_is(hist, whole), "the next lock cuts the torn line off");
	ok(commit_stage(reg, "production", b, 1, (const char *const[]){a}) == 0, "the next event commits");
	char *line = line_of(hist, 2);
	char *text = slurp(hist, NULL);
	ok(line && strstr(line, "\"seq\":2,") && count_lines(text) == 2 && text[strlen(text) - 1] == '\n',
	   "with the seq the torn line had, after the whole lines");
	free(text);
	free(line);

	/* a torn line that is all of the history */
	ml_registry_unlock(reg);
	ml_registry_close(reg);
	reg = ml_registry_open(path_of("torn2"), 1, &err);
	put_file(path_of("torn2/history.ndjson"), "{\"format\":\"mlpipe.regi", "w");
	ok(ml_registry_lock(reg, &err) == 0 && file_is(path_of("torn2/history.ndjson"), ""),
	   "a torn first line leaves an empty history");
	ok(commit_stage(reg, "production", a, 0, NULL) == 0 && (line = line_of(path_of("torn2/history.ndjson"), 1)) &&
	   strstr(line, "\"seq\":1,"), "and the next event is seq 1");
	free(line);
	ml_registry_unlock(reg);
	ml_registry_close(reg);
	free(whole);
	free(hist);
}

static void test_roll_forward(void)
{
	struct ml_registry *reg = ml_registry_open(path_of("roll"), 1, &err);
	char *file = strdup(path_of("roll/stages/production"));
	char a[ML_SHA256_ID_SIZE], b[ML_SHA256_ID_SIZE], c[ML_SHA256_ID_SIZE];
	char *old, *newest;
	struct ml_stage st;

	ml_registry_lock(reg, &err);
	put_text(reg, "A", a);
	put_text(reg, "B", b);
	put_text(reg, "C", c);
	commit_stage(reg, "production", a, 0, NULL);
	old = slurp(file, NULL);
	commit_stage(reg, "production", b, 1, (const char *const[]){a});
	newest = slurp(file, NULL);
	ml_registry_unlock(reg);

	/* a writer that died after its history line, before its rename */
	put_file(file, old, "w");
	ok(ml_registry_stage(reg, "production", &st, &err) == 1 && strcmp(st.now.model, b) == 0 && st.seq == 2 &&
	   st.nprev == 1 && strcmp(st.prev[0].model, a) == 0,
	   "a reader takes the history's state when the stage file is behind it");
	ml_stage_free(&st);
	ok(verify(reg) == 0, "verify takes a stage file one event behind the history's last line for a crash, not a problem");
	ok(ml_registry_lock(reg, &err) == 0 && file_is(file, newest), "the next lock rolls the stage file forward");
	ml_registry_unlock(reg);

	/* a writer that died before the stage's first file */
	unlink(file);
	ok(ml_registry_stage(reg, "production", &st, &err) == 1 && st.seq == 2,
	   "a reader takes the history's state when the stage has no file");
	ml_stage_free(&st);
	ok(ml_registry_lock(reg, &err) == 0 && file_is(file, newest), "and the next lock writes the file");

	/* leftovers of writes that died */
	put_file(path_of("roll/objects/.tmp.%.64s.AbC123", a + 7), "half an obj", "w");
	put_file(path_of("roll/stages/.tmp.production.XyZ789"), "{\"form", "w");
	ml_registry_unlock(reg);
	ok(ml_registry_lock(reg, &err) == 0 && !exists(path_of("roll/objects/.tmp.%.64s.AbC123", a + 7)) &&
	   !exists(path_of("roll/stages/.tmp.production.XyZ789")), "the lock removes temporary files left behind");

	/* a stage file behind by an event that is not the last: that is no crash */
	commit_stage(reg, "staging", c, 0, NULL);
	ml_registry_unlock(reg);
	put_file(file, old, "w");
	ok(verify(reg) == 1 && reported("stages/production is not the last state the history gives it"),
	   "verify reports a stage file behind the history by more than a crash leaves");
	ok(ml_registry_stage(reg, "production", &st, &err) == 1 && st.seq == 2, "readers still take the newer state");
	ml_stage_free(&st);
	ok(ml_registry_lock(reg, &err) == 0 && file_is(file, newest) && verify(reg) == 0,
	   "and the lock repairs it");
	ml_registry_unlock(reg);

	free(old);
	free(newest);
	free(file);
	ml_registry_close(reg);
}

/* ---- verify ---- */

/* A consistent registry at name: production A -> B, objects A, B, M. */
static struct ml_registry *small_registry(const char *name, char a[ML_SHA256_ID_SIZE],
					  char b[ML_SHA256_ID_SIZE])
{
	struct ml_registry *reg = ml_registry_open(path_of("%s", name), 1, &err);
	char m[ML_SHA256_ID_SIZE];
	struct ml_stage st;

	ml_registry_lock(reg, &err);
	put_text(reg, name, a);
	put_text(reg, "B", b);
	put_text(reg, "{\"auc\":0.8}", m);
	commit_stage(reg, "production", a, 0, NULL);
	st = stage_of("production", b, m, 1, (const char *const[]){a});
	ml_registry_commit(reg, "{}", 2, &st, &err);
	ml_stage_free(&st);
	ml_registry_unlock(reg);
	return reg;
}

static void test_verify(void)
{
	char a[ML_SHA256_ID_SIZE], b[ML_SHA256_ID_SIZE], x[ML_SHA256_ID_SIZE];
	struct ml_registry_tally tally;
	struct ml_registry *reg;
	char *text;

	reg = small_registry("v-clean", a, b);
	ok(ml_registry_verify_tally(reg, note_problem, NULL, &tally, &err) == 0 && tally.objects == 3 &&
	   tally.stages == 1 && tally.events == 2, "a consistent registry has no problems, and verify counts what it saw");
	ml_registry_close(reg);

	reg = small_registry("v-corrupt", a, b);
	chmod(path_of("v-corrupt/objects/%s", b + 7), 0644);
	put_file(path_of("v-corrupt/objects/%s", b + 7), "b", "r+");
	ok(verify(reg) == 1 && reported("registry ") && reported(path_of("v-corrupt")) && reported(b) &&
	   reported("is corrupt (its bytes hash to sha256:"), "verify finds a corrupt object and names it");
	ml_registry_close(reg);

	reg = small_registry("v-missing", a, b);
	unlink(path_of("v-missing/objects/%s", a + 7));
	ok(verify(reg) == 1 && reported("stage 'production' can roll back to") && reported(a),
	   "verify finds a missing object a stage can roll back to");
	unlink(path_of("v-missing/objects/%s", b + 7));
	ok(verify(reg) == 2 && reported("stage 'production' holds model") && reported(b),
	   "and a missing object a stage holds");
	ml_registry_close(reg);

	reg = small_registry("v-json", a, b);
	text = slurp(path_of("v-json/history.ndjson"), NULL);
	put_file(path_of("v-json/history.ndjson"), "this is not json\n", "w");
	put_file(path_of("v-json/history.ndjson"), text, "a");
	ok(verify(reg) == 1 && reported("history.ndjson:1: not JSON"),
	   "verify finds a history line that is not JSON");
	put_file(path_of("v-json/history.ndjson"), "{\"format\":\"mlpipe.run\",\"version\":1,\"seq\":1}\n", "w");
	put_file(path_of("v-json/history.ndjson"), text, "a");
	ok(verify(reg) == 1 && reported("history.ndjson:1: not a registry event"),
	   "verify finds a history line of another format");
	free(text);
	ml_registry_close(reg);

	reg = small_registry("v-seq", a, b);
	text = line_of(path_of("v-seq/history.ndjson"), 2);
	put_file(path_of("v-seq/history.ndjson"), text, "w");	/* line 1 dropped */
	put_file(path_of("v-seq/history.ndjson"), "\n", "a");
	ok(verify(reg) == 1 && reported("history.ndjson:1: seq 2 where 1 was due"),
	   "verify finds seqs that do not start at 1");
	free(text);
	ml_registry_close(reg);

	reg = small_registry("v-gap", a, b);
	ml_registry_lock(reg, &err);
	commit_stage(reg, "staging", a, 0, NULL);
	ml_registry_unlock(reg);
	text = slurp(path_of("v-gap/history.ndjson"), NULL);
	char *second = strchr(text, '\n') + 1, *third = strchr(second, '\n') + 1;
	memmove(second, third, strlen(third) + 1);	/* line 2 dropped */
	put_file(path_of("v-gap/history.ndjson"), text, "w");
	ok(verify(reg) >= 1 && reported("history.ndjson:2: seq 3 where 2 was due"),
	   "verify finds a gap in the seqs");
	free(text);
	ml_registry_close(reg);

	reg = small_registry("v-stage", a, b);
	text = slurp(path_of("v-stage/stages/production"), NULL);
	char *t = strstr(text, "\"time\":\"") + 8;
	*t = *t == '1' ? '2' : '1';	/* the same state at another time */
	put_file(path_of("v-stage/stages/production"), text, "w");
	ok(verify(reg) == 1 && reported("stages/production is not the last state the history gives it"),
	   "verify finds a stage file that differs from the history's state");
	put_file(path_of("v-stage/stages/production"), "garbage\n", "w");
	ok(verify(reg) == 1 && reported("stages/production is not a stage file"),
	   "verify finds a malformed stage file");
	free(text);
	put_file(path_of("v-stage/stages/canary"),
		 "{\"format\":\"mlpipe.stage\",\"version\":1,\"stage\":\"canary\",\"model\":\"sha256:"
		 "0000000000000000000000000000000000000000000000000000000000000000\",\"metrics\":null,"
		 "\"seq\":9,\"time\":\"t\",\"previous\":[]}\n", "w");
	ok(verify(reg) == 3 && reported("stages/canary: the history never gave stage 'canary' a state"),
	   "verify finds a stage file the history knows nothing of");
	unlink(path_of("v-stage/stages/canary"));
	unlink(path_of("v-stage/stages/production"));
	ok(verify(reg) == 1 && reported("stage 'production' has no file stages/production"),
	   "verify finds a stage without its file");
	ml_registry_close(reg);

	reg = small_registry("v-ids", a, b);
	ml_registry_lock(reg, &err);
	snprintf(x, sizeof x, "sha256:%064d", 7);
	commit_stage(reg, "shadow", x, 0, NULL);
	ml_registry_unlock(reg);
	ok(verify(reg) == 1 && reported("stage 'shadow' holds model") && reported(x),
	   "verify finds a state naming a model never stored");
	ml_registry_close(reg);
}

/* ---- writers at once, and writers killed ---- */

static void test_concurrent_writers(void)
{
	enum { WRITERS = 8, EACH = 5 };
	struct ml_registry *reg = ml_registry_open(path_of("busy"), 1, &err);
	struct ml_stage st;
	int all_ok = 1;

	for (int w = 0; w < WRITERS; w++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct ml_registry *r = ml_registry_open(path_of("busy"), 1, &err);
			char id[ML_SHA256_ID_SIZE], text[64];
			int bad = !r;
			for (int i = 0; i < EACH && !bad; i++) {
				snprintf(text, sizeof text, "writer %d, model %d", w, i);
				bad |= ml_registry_lock(r, &err) < 0 || put_text(r, text, id) < 0 ||
				       commit_stage(r, w % 2 ? "production" : "staging", id, 0, NULL) < 0;
				ml_registry_unlock(r);
			}
			ml_registry_close(r);
			_exit(bad);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status;
		wait(&status);
		all_ok &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	ok(all_ok, "%d processes committing at once all succeed", WRITERS);
	char *text = slurp(path_of("busy/history.ndjson"), NULL);
	ok(count_lines(text) == WRITERS * EACH, "every event is one whole line of the history");
	free(text);
	ok(verify(reg) == 0, "the history has seq 1 to %d and replays to the stage files", WRITERS * EACH);
	struct ml_stage other;
	ok(ml_registry_stage(reg, "production", &st, &err) == 1 &&
	   ml_registry_stage(reg, "staging", &other, &err) == 1 &&
	   (st.seq > other.seq ? st.seq : other.seq) == WRITERS * EACH,
	   "one of the stages holds the last event");
	ml_stage_free(&st);
	ml_stage_free(&other);
	ml_registry_close(reg);
}

static void test_killed_writers(void)
{
	enum { ROUNDS = 40 };
	struct ml_registry *reg = ml_registry_open(path_of("killed"), 1, &err);
	int consistent = 1, whole = 1;
	struct ml_stage st;
	uint64_t seen = 0;

	srand((unsigned)time(NULL));
	for (int round = 0; round < ROUNDS; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct ml_registry *r = ml_registry_open(path_of("killed"), 1, &err);
			char id[ML_SHA256_ID_SIZE], text[64];
			for (int i = 0;; i++) {
				snprintf(text, sizeof text, "round %d, model %d", round, i);
				ml_registry_lock(r, &err);
				put_text(r, text, id);
				commit_stage(r, "production", id, 0, NULL);
				ml_registry_unlock(r);
			}
		}
		struct timespec nap = {0, (rand() % 20000) * 1000L};
		nanosleep(&nap, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* a reader straight after the kill, then the next writer's repairs */
		if (verify(reg) != 0)
			consistent = 0;
		int r = ml_registry_stage(reg, "production", &st, &err);
		if (r == 1 && st.seq < seen)
			consistent = 0;
		if (r == 1)
			seen = st.seq;
		ml_stage_free(&st);
		if (ml_registry_lock(reg, &err) < 0)
			consistent = 0;
		ml_registry_unlock(reg);
		char *text = slurp(path_of("killed/history.ndjson"), NULL);
		if (text && *text && text[strlen(text) - 1] != '\n')
			whole = 0;
		free(text);
	}
	ok(consistent, "writers killed at random moments leave a registry that verifies, its stage never going back");
	ok(whole, "and after the next lock the history has no partial line");
	ok(verify(reg) == 0 && ml_registry_stage(reg, "production", &st, &err) >= 0,
	   "and it verifies at the end (%llu events)", (unsigned long long)seen);
	ml_stage_free(&st);
	ml_registry_close(reg);
}

int main(void)
{
	if (!mkdtemp(root)) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	test_choose_dir();
	test_open();
	test_stage_names();
	test_objects();
	test_commit();
	test_torn_line();
	test_roll_forward();
	test_verify();
	test_concurrent_writers();
	test_killed_writers();
	ml_buf_free(&problems);

	char cmd[600];
	snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' && rm -rf '%s'", root, root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	return tap_done();
}
