#include "ml_buf.h"
#include "ml_cli.h"
#include "ml_json.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ml_out.h"
#include "ml_version.h"

static const char *prog_name = "ml";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ml_cli_progress_at(struct ml_cli *cli, uint64_t records)
{
	double t = now();

	/* look at the clock again after about as many records as came so far
	 * in a tenth of a second, at least 4096 later */
	double rate = records / (t - cli->progress_start + 1e-9);
	uint64_t step = (uint64_t)(rate / 10);
	cli->progress_next = records + (step > 4096 ? step : 4096);
	if (!cli->progress && t - cli->progress_start < 2.0)
		return;
	if (cli->progress_shown && t - cli->progress_last < 0.5)
		return;
	fprintf(stderr, "\r%s: %llu records", prog_name, (unsigned long long)records);
	fflush(stderr);
	cli->progress_shown = 1;
	cli->progress_last = t;
}

static void on_fatal_signal(int sig)
{
	ml_out_cleanup_signal();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A program started with standard input, output or error closed would
 * give that number to the next file it opens, and read its schema as
 * records, or write records or messages into the run log.  So each closed
 * one is opened on /dev/null the wrong way round: reading a closed stdin
 * and writing a closed stdout fail with EBADF, and are reported as such. */
static void hold_standard_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		int got = open("/dev/null", fd == STDIN_FILENO ? O_WRONLY : O_RDONLY);
		if (got >= 0 && got != fd) {
			dup2(got, fd);
			close(got);
		}
	}
}

/* The command line as it was typed, for the run log: getopt moves the
 * operands after the options, and option parsers may write into the
 * strings ("-p rounds=3" split at its '=').  Kept for the whole run, so
 * never freed. */
static char **typed_argv;

static char **copy_argv(int argc, char **argv)
{
	size_t bytes = ((size_t)argc + 1) * sizeof(char *);

	for (int i = 0; i < argc; i++)
		bytes += strlen(argv[i]) + 1;
	char **v = malloc(bytes), *p = (char *)(v + argc + 1);
	if (!v)
		return NULL;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		v[i] = memcpy(p, argv[i], n);
		p += n;
	}
	v[argc] = NULL;
	return v;
}

void ml_cli_init(struct ml_cli *cli, const char *prog, const char *usage,
		 int argc, char **argv)
{
	static const int fatal[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	hold_standard_fds();
	memset(cli, 0, sizeof *cli);
	cli->prog = prog_name = prog;
	cli->usage = usage;
	cli->argc = argc;
	cli->argv = argv;
	free(typed_argv);
	typed_argv = copy_argv(argc, argv);
	cli->progress_start = now();
	cli->progress_next = isatty(STDERR_FILENO) ? 65536 : UINT64_MAX;
	opterr = 0;
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);
}

void ml_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

_Noreturn void ml_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", prog_name);
	exit(ML_EXIT_TROUBLE);
}

const char *ml_cli_output_format(const char *arg)
{
	if (strcmp(arg, "ndjson") && strcmp(arg, "text"))
		ml_usage_error("--output-format: '%s' is not ndjson or text", arg);
	return arg;
}

int ml_cli_wants_text(const char *format, const char *output)
{
	return format ? !strcmp(format, "text") : !output && isatty(STDOUT_FILENO);
}

static _Noreturn void print_and_exit(const char *text)
{
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF || ferror(stdout)) {
		if (errno != EPIPE)
			ml_warn("cannot write <stdout>: %s", strerror(errno));
		exit(errno == EPIPE ? ML_EXIT_OK : ML_EXIT_TROUBLE);
	}
	exit(ML_EXIT_OK);
}

/* The --help text with the common options put in for ML_CLI_COMMON_HELP,
 * their descriptions in the column of the line before it. */
static char *help_text(const char *usage)
{
	static const char *const common[][2] = {
		{"      --run-log FILE", "append this run's record to FILE"},
		{"      --no-run-log", "do not log this run"},
		{"      --progress", "report progress on stderr (default: on a"},
		{"", "terminal, after two seconds)"},
		{"  -h, --help", "show this help and exit"},
		{"      --version", "show the version and exit"},
	};
	const char *mark = strstr(usage, ML_CLI_COMMON_HELP);
	struct ml_buf b = {0};

	if (!mark)
		return strdup(usage);
	/* the column: where the description starts on the -v line before */
	const char *line = mark - 1;
	while (line > usage && line[-1] != '\n')
		line--;
	const char *d = strstr(line, "--verbose");
	if (!d || d > mark)
		return strdup(usage);
	for (d += strlen("--verbose"); d < mark && *d == ' '; d++)
		;
	int col = (int)(d - line);
	ml_buf_add(&b, usage, (size_t)(mark - usage));
	for (size_t i = 0; i < sizeof common / sizeof *common; i++)
		ml_buf_printf(&b, "%-*s%s\n", col, common[i][0], common[i][1]);
	ml_buf_adds(&b, mark + strlen(ML_CLI_COMMON_HELP));
	ml_buf_terminate(&b);
	return b.data;
}

int ml_cli_common_option(struct ml_cli *cli, int opt, const char *arg)
{
	char version[128];

	switch (opt) {
	case 'h': {
		/* a static keeps the text reachable at exit, so valgrind sees
		 * no leak; volatile, or the compiler drops the unread store */
		static char *volatile text;
		text = help_text(cli->usage);
		print_and_exit(text ? text : cli->usage);
	}
	case ML_OPT_VERSION:
		snprintf(version, sizeof version, "%s (mlpipe) %s\n", cli->prog, ML_VERSION);
		print_and_exit(version);
	case 'v':
		cli->verbose++;
		return 1;
	case ML_OPT_RUN_LOG:
		cli->run_opts.path = arg;
		cli->run_opts.disabled = 0;
		return 1;
	case ML_OPT_NO_RUN_LOG:
		cli->run_opts.disabled = 1;
		return 1;
	case ML_OPT_PROGRESS:
		cli->progress = 1;
		cli->progress_next = 0;
		return 1;
	case '?':
		/* opterr is off: getopt would name argv[0], not the program */
		if (optopt > 0 && optopt < 0x100 && !(optind > 1 && strncmp(cli->argv[optind - 1], "--", 2) == 0))
			ml_usage_error("invalid option -- '%c'", optopt);
		ml_usage_error("unrecognized option '%s'", cli->argv[optind - 1]);
	case ':':
		if (optopt > 0 && optopt < 0x100 && !(optind > 1 && strncmp(cli->argv[optind - 1], "--", 2) == 0))
			ml_usage_error("option requires an argument -- '%c'", optopt);
		ml_usage_error("option '%s' requires an argument", cli->argv[optind - 1]);
	}
	return 0;
}

void ml_cli_start_run(struct ml_cli *cli)
{
	struct ml_err err;

	cli->run = ml_run_begin(cli->prog, cli->argc, typed_argv ? typed_argv : cli->argv, &cli->run_opts,
				&err);
	if (!cli->run) {
		ml_warn("%s", err.msg);
		exit(ML_EXIT_TROUBLE);
	}
}

struct ml_out *ml_cli_out_open(struct ml_cli *cli, const char *path, struct ml_err *err)
{
	struct ml_out *o = ml_out_open(path, err);

	if (o && !(cli->run && ml_run_log_path(cli->run)))
		ml_out_no_hash(o);
	return o;
}

void ml_cli_distinct_outputs(size_t n, const char *const *what, const char *const *path)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; path[i] && j < i; j++) {
			if (!path[j] || !ml_out_same_place(path[j], path[i]))
				continue;
			if (!strcmp(path[i], "-") && !strcmp(path[j], "-"))
				ml_usage_error("%s and %s both go to standard output: only one can", what[j], what[i]);
			ml_usage_error("%s and %s both write '%s': give each its own file", what[j], what[i],
				       strcmp(path[i], "-") ? path[i] : path[j]);
		}
}

int ml_cli_report(struct ml_cli *cli, const struct ml_err *err)
{
	(void)cli;
	if (err->kind == ML_ERR_PIPE)
		return ML_EXIT_OK;
	ml_warn("%s", err->msg);
	return ML_EXIT_TROUBLE;
}

int ml_cli_finish(struct ml_cli *cli, int status)
{
	struct ml_err err;

	if (cli->progress_shown)
		fprintf(stderr, "\r%s: %llu records\n", prog_name,
			(unsigned long long)cli->progress_count);
	if (ml_run_end(cli->run, status, &err) < 0) {
		ml_warn("%s", err.msg);
		status = ML_EXIT_TROUBLE;
	}
	cli->run = NULL;
	return status;
}

void ml_cli_split_list(const char *s, char ***v, size_t *n)
{
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char **nv = realloc(*v, (*n + 1) * sizeof *nv);
		if (!nv)
			ml_usage_error("out of memory");
		*v = nv;
		if (!(nv[*n] = strndup(s, len)))
			ml_usage_error("out of memory");
		(*n)++;
		if (!comma)
			break;
		s = comma + 1;
	}
}

void ml_cli_free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int ml_cli_commit(struct ml_cli *cli, struct ml_out *o, struct ml_err *err)
{
	if (ml_out_commit(o, err) < 0)
		return -1;
	ml_run_output(cli->run, ml_out_path(o), ml_out_bytes(o), (int64_t)ml_out_records(o),
		      ml_out_sha256(o));
	return 0;
}

unsigned long long ml_cli_parse_count(const char *opt, const char *arg)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (arg[0] < '0' || arg[0] > '9' || *end || errno)
		ml_usage_error("%s: '%s' is not a non-negative integer", opt, arg);
	return v;
}

double ml_cli_parse_number(const char *opt, const char *arg)
{
	double v;

	/* decimal only: strtod alone would take 0x1 and " 1" */
	if (ml_decimal(arg, &v) < 0)
		ml_usage_error("%s: '%s' is not a number", opt, arg);
	return v;
}

int ml_cli_input_failed(void *ctx, const char *path, struct ml_err *err)
{
	(void)ctx;
	(void)path;
	ml_warn("%s", err->msg);
	return 0;
}

void ml_cli_keep_stdout(struct ml_cli *cli, struct ml_out *o)
{
	struct ml_err err;

	if (!o)
		return;
	if (strcmp(ml_out_path(o), "-") != 0)
		ml_out_abort(o);
	else if (ml_cli_commit(cli, o, &err) < 0)
		ml_cli_report(cli, &err);
}
