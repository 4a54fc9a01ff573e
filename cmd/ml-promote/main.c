/* ml-promote: which model serves, why it was allowed to, and how to go back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_json.h"
#include "promote.h"

static const char usage[] =
"Usage: ml-promote [OPTION]... COMMAND [ARG]...\n"
"Keep models in a registry: store bundles by content, point named stages\n"
"(production, staging, ...) at them only through gates, roll back, and\n"
"show what happened.\n"
"\n"
"Commands:\n"
"  register BUNDLE...      store bundles (the same bundle twice is one object)\n"
"  promote BUNDLE          point --to STAGE at BUNDLE when every gate holds\n"
"  rollback STAGE          point STAGE back at the version it held before\n"
"  list                    every stage and the model it holds\n"
"  show STAGE|ID           a stage's or a model's manifest and metrics\n"
"  history [STAGE]         the events, oldest first\n"
"  path STAGE|ID           the file of the stage's bundle, verified\n"
"  verify                  check every object, stage file and history line\n"
"\n"
"  -r, --registry DIR      the registry (default $ML_REGISTRY, else\n"
"                          $ML_HOME/registry, else .ml/registry)\n"
"      --to STAGE          the stage to promote to\n"
"  -m, --metrics FILE      the candidate's metrics (ml-eval's output)\n"
"      --current-metrics FILE  the current model's metrics on the same\n"
"                          records (default: those it was promoted with)\n"
"  -g, --gate EXPR         a jq condition on {candidate, current}; repeatable\n"
"      --min METRIC=VALUE  the candidate's METRIC is at least VALUE\n"
"      --max METRIC=VALUE  the candidate's METRIC is at most VALUE\n"
"      --no-worse METRIC[:TOL]  not worse than the current model's by more\n"
"                          than TOL (absolute, or relative with %)\n"
"      --require-current   reject when STAGE holds no model to compare with\n"
"  -n, --dry-run           decide and print, change nothing\n"
"      --reason TEXT       why, kept in the history\n"
"  -f, --output-format F   ndjson or text (default text on a terminal)\n"
"Common:\n"
"  -v, --verbose           verify: a summary on stderr\n"
ML_CLI_COMMON_HELP
"\n"
"An ID is sha256: and the 64 hex digits of an object, or a unique prefix\n"
"of at least 8 of them.  --min, --max and --no-worse are repeatable; the\n"
"metrics are ml-eval's (auc, accuracy, log_loss, rmse, ...).\n"
"\n"
"Exit status: 0 done (promote: promoted), 1 promote: rejected by a gate;\n"
"verify: problems found, 2 trouble (bad usage, bad input, corrupt object,\n"
"I/O error).\n"
"Examples:\n"
"  ml-promote promote cand.bundle --to production -m cand.metrics \\\n"
"      --require-current --no-worse auc:0.002 --min recall=0.6\n"
"  ml-predict \"$(ml-promote path production)\" < new.ndjson\n"
"  ml-promote rollback production --reason 'drift alarm'\n";

enum {
	OPT_TO = ML_OPT_PROGRAM, OPT_CURRENT_METRICS, OPT_MIN, OPT_MAX, OPT_NO_WORSE,
	OPT_REQUIRE_CURRENT, OPT_REASON,
};

/* The options that belong to some commands only. */
enum {
	USE_TO = 1 << 0, USE_METRICS = 1 << 1, USE_CURRENT = 1 << 2, USE_GATES = 1 << 3,
	USE_DRY_RUN = 1 << 4, USE_REASON = 1 << 5,
};

static const char *const use_names[] = {
	"--to", "--metrics", "--current-metrics", "gates (--gate, --min, --max, --no-worse, --require-current)",
	"--dry-run", "--reason",
};

struct command {
	const char *name;
	int (*run)(struct promote *p);
	size_t min_args, max_args;
	const char *args;	/* for a message about the arguments */
	unsigned uses;		/* the options it takes besides -r, -f and the common ones */
	int writes;		/* it starts a run in the run log */
	const char *stage_arg;	/* its argument is a stage ("1"), maybe an id ("id") */
};

static const struct command commands[] = {
	{"register", cmd_register, 1, (size_t)-1, "BUNDLE...", 0, 1, NULL},
	{"promote", cmd_promote, 1, 1, "BUNDLE",
	 USE_TO | USE_METRICS | USE_CURRENT | USE_GATES | USE_DRY_RUN | USE_REASON, 1, NULL},
	{"rollback", cmd_rollback, 1, 1, "STAGE", USE_DRY_RUN | USE_REASON, 1, "stage"},
	{"list", cmd_list, 0, 0, "", 0, 0, NULL},
	{"show", cmd_show, 1, 1, "STAGE|ID", 0, 0, "id"},
	{"history", cmd_history, 0, 1, "[STAGE]", 0, 0, "stage"},
	{"path", cmd_path, 1, 1, "STAGE|ID", 0, 0, "id"},
	{"verify", cmd_verify, 0, 0, "", 0, 0, NULL},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	ml_usage_error("'%s' is not a command (register, promote, rollback, list, show, history, path, "
		       "verify)", name);
}

/* Which commands take an option, for the message when another is given it. */
static void commands_using(unsigned use, struct ml_buf *out)
{
	size_t k = 0;

	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (commands[i].uses & use)
			ml_buf_printf(out, "%s%s", k++ ? " and " : "", commands[i].name);
	ml_buf_terminate(out);
}

static void check_stage_name(const char *what, const char *name)
{
	if (!ml_stage_name_valid(name))
		ml_usage_error("%s: '%s' is not a stage name (1 to %d letters, digits, '.', '_' or '-', "
			       "not starting with '.' or '-')", what, name, ML_STAGE_NAME_MAX);
}

/* The command's arguments and options make sense together. */
static void check_usage(const struct command *c, struct promote *p, unsigned used)
{
	if (p->nargs > c->max_args) {
		if (!c->max_args)
			ml_usage_error("%s takes no arguments", c->name);
		ml_usage_error("%s: too many arguments (it takes %s)", c->name, c->args);
	}
	if (p->nargs < c->min_args)
		ml_usage_error("%s: give %s", c->name, c->args);
	for (size_t i = 0; i < sizeof use_names / sizeof *use_names; i++) {
		unsigned use = 1u << i;
		if ((used & use) && !(c->uses & use)) {
			struct ml_buf which = {0};
			commands_using(use, &which);
			ml_usage_error("%s: %s %s for %s", c->name, use_names[i],
				       use == USE_GATES ? "are" : "is", which.data ? which.data : "");
		}
	}
	if (c->run == cmd_promote) {
		if (!p->to)
			ml_usage_error("promote: give the stage with --to STAGE");
		if (!p->metrics_path)
			ml_usage_error("promote: give the candidate's metrics with --metrics FILE");
		check_stage_name("--to", p->to);
		if (p->current_metrics_path && !strcmp(p->metrics_path, "-") &&
		    !strcmp(p->current_metrics_path, "-"))
			ml_usage_error("--metrics and --current-metrics cannot both read standard input");
	}
	if (c->stage_arg && p->nargs && (strcmp(c->stage_arg, "id") || !looks_like_id(p->args[0])))
		check_stage_name(c->name, p->args[0]);
}

int open_registry(struct promote *p, int create, int missing_ok, struct ml_err *err)
{
	struct stat st;

	if (p->reg)
		return 0;
	if (missing_ok && !create && stat(p->dir, &st) < 0 && errno == ENOENT)
		return 0;
	return (p->reg = ml_registry_open(p->dir, create, err)) ? 0 : -1;
}

int trouble(struct promote *p, const struct ml_err *err)
{
	ml_cli_report(p->cli, err);
	return ML_EXIT_TROUBLE;
}

void log_input(struct promote *p, const char *path, uint64_t bytes, int64_t records,
	       const char *sha256)
{
	if (p->cli->run)
		ml_run_input(p->cli->run, path, bytes, records, sha256);
}

void log_output(struct promote *p, const char *path, uint64_t bytes, int64_t records,
		const char *sha256)
{
	if (p->cli->run)
		ml_run_output(p->cli->run, path, bytes, records, sha256);
}

/* What the run log keeps of a writing command. */
static void log_params(struct promote *p, const struct command *c)
{
	struct ml_buf b = {0};

	ml_run_param(p->cli->run, "command", c->name);
	ml_run_param(p->cli->run, "registry", p->reg ? ml_registry_abs_dir(p->reg) : p->dir);
	if (c->run == cmd_promote || c->run == cmd_rollback)
		ml_run_param(p->cli->run, "stage", c->run == cmd_promote ? p->to : p->args[0]);
	if (c->run == cmd_promote) {
		gates_texts_json(&p->gates, &b);
		ml_run_param_json(p->cli->run, "gates", b.data ? b.data : "[]");
	}
	if (c->uses & USE_DRY_RUN)
		ml_run_param_json(p->cli->run, "dry_run", p->dry_run ? "true" : "false");
	if (c->run == cmd_promote && p->decision)
		ml_run_param(p->cli->run, "decision", p->decision);
	ml_buf_free(&b);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"registry", required_argument, NULL, 'r'},
		{"to", required_argument, NULL, OPT_TO},
		{"metrics", required_argument, NULL, 'm'},
		{"current-metrics", required_argument, NULL, OPT_CURRENT_METRICS},
		{"gate", required_argument, NULL, 'g'},
		{"min", required_argument, NULL, OPT_MIN},
		{"max", required_argument, NULL, OPT_MAX},
		{"no-worse", required_argument, NULL, OPT_NO_WORSE},
		{"require-current", no_argument, NULL, OPT_REQUIRE_CURRENT},
		{"dry-run", no_argument, NULL, 'n'},
		{"reason", required_argument, NULL, OPT_REASON},
		{"output-format", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct promote p = {.cli = &cli};
	struct ml_err err;
	const char *registry = NULL, *format = NULL;
	char *dir = NULL;
	unsigned used = 0;
	int opt, status;

	ml_cli_init(&cli, "ml-promote", usage, argc, argv);
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "r:m:g:nf:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'r': registry = optarg; break;
		case OPT_TO: p.to = optarg; used |= USE_TO; break;
		case 'm': p.metrics_path = optarg; used |= USE_METRICS; break;
		case OPT_CURRENT_METRICS: p.current_metrics_path = optarg; used |= USE_CURRENT; break;
		case 'g': gates_add_jq(&p.gates, optarg); used |= USE_GATES; break;
		case OPT_MIN: gates_add_bound(&p.gates, GATE_MIN, optarg); used |= USE_GATES; break;
		case OPT_MAX: gates_add_bound(&p.gates, GATE_MAX, optarg); used |= USE_GATES; break;
		case OPT_NO_WORSE: gates_add_no_worse(&p.gates, optarg); used |= USE_GATES; break;
		case OPT_REQUIRE_CURRENT: p.gates.require_current = 1; used |= USE_GATES; break;
		case 'n': p.dry_run = 1; used |= USE_DRY_RUN; break;
		case OPT_REASON: p.reason = optarg; used |= USE_REASON; break;
		case 'f': format = ml_cli_output_format(optarg); break;
		}
	}
	if (optind >= argc)
		ml_usage_error("no command: give register, promote, rollback, list, show, history, path "
			       "or verify");
	const struct command *c = find_command(argv[optind]);
	p.args = argv + optind + 1;
	p.nargs = (size_t)(argc - optind - 1);
	check_usage(c, &p, used);
	gates_finish(&p.gates);
	p.text = ml_cli_wants_text(format, NULL);
	if (!(dir = ml_registry_choose_dir(registry)))
		ml_usage_error("out of memory");
	p.dir = dir;

	/* only what changes the registry is a run; a query leaves no trace */
	if (c->writes)
		ml_cli_start_run(&cli);
	if (!(p.out = ml_cli_out_open(&cli, NULL, &err))) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	status = c->run(&p);
	/* standard output is not an artifact of the run: only the objects are */
	if (ml_out_commit(p.out, &err) < 0 && err.kind != ML_ERR_PIPE) {
		ml_cli_report(&cli, &err);
		status = ML_EXIT_TROUBLE;
	}
out:
	if (cli.run)
		log_params(&p, c);
	ml_out_free(p.out);
	if (p.reg)
		ml_registry_close(p.reg);
	gates_free(&p.gates);
	free(dir);
	return ml_cli_finish(&cli, status);
}
