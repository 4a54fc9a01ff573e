#include "ml_runlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ml_buf.h"
#include "ml_host.h"
#include "ml_json.h"
#include "ml_version.h"

struct ml_run {
	int fd;			/* -1: logging is off */
	char *log_path;
	char id[33];
	struct timespec start;
	struct ml_buf head;	/* the fields known at the start */
	struct ml_buf inputs, outputs, params, counters;
};

static void add_quoted(struct ml_buf *b, const char *s)
{
	if (!s) {
		ml_buf_adds(b, "null");
		return;
	}
	size_t n = strlen(s);
	if (ml_utf8_valid_prefix(s, n) == n)
		ml_json_quote(b, s, n);
	else
		ml_json_quote_lossy(b, s, n);
}

static void add_time(struct ml_buf *b, const struct timespec *ts)
{
	char s[ML_HOST_TIME_SIZE];

	ml_host_time_iso(ts, s);
	ml_buf_printf(b, "\"%s\"", s);
}

static int is_off(const char *v)
{
	return strcmp(v, "off") == 0 || strcmp(v, "0") == 0 ||
	       strcmp(v, "no") == 0 || strcmp(v, "false") == 0;
}

/* The log's directory when ML_RUN_LOG does not name the log. */
static const char *home_dir(void)
{
	const char *home = getenv("ML_HOME");

	return home && *home ? home : ".ml";
}

char *ml_run_default_path(int *off)
{
	const char *env = getenv("ML_RUN_LOG");
	struct ml_buf b = {0};

	*off = 0;
	if (env && *env) {
		if (is_off(env)) {
			*off = 1;
			return NULL;
		}
		return strdup(env);
	}
	ml_buf_printf(&b, "%s/runs.ndjson", home_dir());
	if (ml_buf_terminate(&b) < 0) {
		ml_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Picks the log path; NULL when logging is off.  *made_dir is the default
 * directory to create when it is missing. */
static char *choose_path(const struct ml_run_opts *opts, char **made_dir)
{
	const char *env = getenv("ML_RUN_LOG");
	int off;

	*made_dir = NULL;
	if (opts && opts->disabled)
		return NULL;
	if (opts && opts->path)
		return strdup(opts->path);
	if (!env || !*env)
		*made_dir = strdup(home_dir());
	return ml_run_default_path(&off);
}

static void new_run_id(char id[33])
{
	unsigned char r[16];
	ssize_t n = getrandom(r, sizeof r, 0);

	if (n != (ssize_t)sizeof r) {
		/* no entropy source: time and pid still make collisions unlikely */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t a = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		uint64_t c = (uint64_t)getpid();
		memcpy(r, &a, 8);
		memcpy(r + 8, &c, 8);
	}
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
}

struct ml_run *ml_run_begin(const char *tool, int argc, char **argv,
			    const struct ml_run_opts *opts, struct ml_err *err)
{
	struct ml_run *run = calloc(1, sizeof *run);
	char *dir = NULL, user[ML_HOST_NAME_SIZE], host[ML_HOST_NAME_SIZE], cwd[4096];

	if (!run) {
		ml_err_sys(err, ENOMEM, "cannot start the run log");
		return NULL;
	}
	run->fd = -1;
	clock_gettime(CLOCK_REALTIME, &run->start);
	new_run_id(run->id);
	run->log_path = choose_path(opts, &dir);
	if (run->log_path) {
		if (dir && mkdir(dir, 0777) < 0 && errno != EEXIST) {
			ml_err_sys(err, errno, "cannot create run log directory '%s' (use --no-run-log)", dir);
			goto fail;
		}
		run->fd = open(run->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
		if (run->fd < 0) {
			ml_err_sys(err, errno, "cannot open run log '%s' (use --no-run-log)", run->log_path);
			goto fail;
		}
	}
	free(dir);
	dir = NULL;

	struct ml_buf *b = &run->head;
	ml_buf_printf(b, "{\"format\":\"mlpipe.run\",\"version\":1,\"run_id\":\"%s\",\"tool\":", run->id);
	add_quoted(b, tool);
	ml_buf_adds(b, ",\"mlpipe_version\":");
	add_quoted(b, ML_VERSION);
	ml_buf_adds(b, ",\"argv\":[");
	for (int i = 0; i < argc; i++) {
		if (i)
			ml_buf_addc(b, ',');
		add_quoted(b, argv[i]);
	}
	ml_buf_adds(b, "],\"cwd\":");
	add_quoted(b, getcwd(cwd, sizeof cwd) ? cwd : NULL);
	ml_buf_adds(b, ",\"user\":");
	add_quoted(b, ml_host_user(user) == 0 ? user : NULL);
	ml_host_name(host);
	ml_buf_adds(b, ",\"host\":");
	add_quoted(b, host);
	ml_buf_adds(b, ",\"pipeline_id\":");
	add_quoted(b, getenv("ML_PIPELINE_ID"));
	ml_buf_adds(b, ",\"start\":");
	add_time(b, &run->start);
	return run;
fail:
	free(dir);
	free(run->log_path);
	free(run);
	return NULL;
}

const char *ml_run_log_path(const struct ml_run *run)
{
	return run->fd >= 0 ? run->log_path : NULL;
}

static void add_io(struct ml_buf *b, const char *path, uint64_t bytes,
		   int64_t records, const char *sha256)
{
	ml_buf_adds(b, b->len ? ",{\"path\":" : "{\"path\":");
	add_quoted(b, path);
	ml_buf_printf(b, ",\"bytes\":%llu,\"records\":", (unsigned long long)bytes);
	if (records < 0)
		ml_buf_adds(b, "null");
	else
		ml_buf_printf(b, "%lld", (long long)records);
	ml_buf_adds(b, ",\"sha256\":");
	add_quoted(b, sha256);
	ml_buf_addc(b, '}');
}

void ml_run_input(struct ml_run *run, const char *path, uint64_t bytes,
		  int64_t records, const char *sha256)
{
	add_io(&run->inputs, path, bytes, records, sha256);
}

void ml_run_output(struct ml_run *run, const char *path, uint64_t bytes,
		   int64_t records, const char *sha256)
{
	add_io(&run->outputs, path, bytes, records, sha256);
}

void ml_run_param_json(struct ml_run *run, const char *key, const char *json)
{
	struct ml_buf *b = &run->params;

	if (b->len)
		ml_buf_addc(b, ',');
	add_quoted(b, key);
	ml_buf_addc(b, ':');
	ml_buf_adds(b, json);
}

void ml_run_param(struct ml_run *run, const char *key, const char *value)
{
	struct ml_buf *b = &run->params;

	if (b->len)
		ml_buf_addc(b, ',');
	add_quoted(b, key);
	ml_buf_addc(b, ':');
	add_quoted(b, value);
}

void ml_run_counter(struct ml_run *run, const char *key, uint64_t value)
{
	struct ml_buf *b = &run->counters;

	if (b->len)
		ml_buf_addc(b, ',');
	add_quoted(b, key);
	ml_buf_printf(b, ":%llu", (unsigned long long)value);
}

static void free_run(struct ml_run *run)
{
	if (run->fd >= 0)
		close(run->fd);
	ml_buf_free(&run->head);
	ml_buf_free(&run->inputs);
	ml_buf_free(&run->outputs);
	ml_buf_free(&run->params);
	ml_buf_free(&run->counters);
	free(run->log_path);
	free(run);
}

int ml_run_end(struct ml_run *run, int exit_status, struct ml_err *err)
{
	struct timespec end;
	struct ml_buf line = {0};
	int rc = 0;

	if (!run)
		return 0;
	if (run->fd < 0) {
		free_run(run);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &end);
	double secs = (double)(end.tv_sec - run->start.tv_sec) +
		      (double)(end.tv_nsec - run->start.tv_nsec) / 1e9;
	ml_buf_add(&line, run->head.data, run->head.len);
	ml_buf_adds(&line, ",\"end\":");
	add_time(&line, &end);
	ml_buf_printf(&line, ",\"duration_s\":%.6f,\"exit\":%d,\"inputs\":[", secs, exit_status);
	ml_buf_add(&line, run->inputs.data, run->inputs.len);
	ml_buf_adds(&line, "],\"outputs\":[");
	ml_buf_add(&line, run->outputs.data, run->outputs.len);
	ml_buf_adds(&line, "],\"params\":{");
	ml_buf_add(&line, run->params.data, run->params.len);
	ml_buf_adds(&line, "},\"counters\":{");
	ml_buf_add(&line, run->counters.data, run->counters.len);
	if (ml_buf_adds(&line, "}}\n") < 0) {
		rc = ml_err_sys(err, ENOMEM, "cannot write run log '%s'", run->log_path);
		goto out;
	}
	/* one write under an exclusive lock: whole lines, whatever runs beside us */
	while (flock(run->fd, LOCK_EX) < 0 && errno == EINTR)
		;
	/* where the line starts: a write the disk cuts short is cut back off,
	 * so the log never keeps half a line for the next one to be glued to */
	off_t before = lseek(run->fd, 0, SEEK_END);
	const char *p = line.data;
	size_t n = line.len;
	while (n) {
		ssize_t w = write(run->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = ml_err_sys(err, errno, "cannot write run log '%s'", run->log_path);
			struct stat st;
			if (n < line.len && before >= 0 && fstat(run->fd, &st) == 0 && S_ISREG(st.st_mode) &&
			    ftruncate(run->fd, before) < 0)
				ml_err_sys(err, errno, "cannot write run log '%s', nor cut its partial "
					   "last line off", run->log_path);
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	flock(run->fd, LOCK_UN);
out:
	ml_buf_free(&line);
	free_run(run);
	return rc;
}
