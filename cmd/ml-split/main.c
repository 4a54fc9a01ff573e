/* ml-split: deterministic splitting of a record stream into parts. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "assign.h"
#include "ml_buf.h"
#include "ml_cli.h"
#include "ml_each.h"
#include "ml_json.h"
#include "ml_out.h"

static const char usage[] =
"Usage: ml-split [OPTION]... [FILE]...\n"
"Split NDJSON records into parts, deterministically: by a hash of a key\n"
"field (or of the whole record), or by a field's value against cut points.\n"
"With no FILE, or when FILE is -, read standard input.\n"
"\n"
"By hash:\n"
"      --ratio NAME=P,...  parts and their shares, e.g. train=0.8,test=0.2\n"
"      --key FIELD         hash this field's value (default: the whole line)\n"
"      --seed N            another seed gives another assignment (default 0)\n"
"By value:\n"
"      --by FIELD          compare this field with the cut points\n"
"      --cut VALUE         a cut point (repeatable, ascending); numbers compare\n"
"                          as numbers, strings (ISO dates) byte by byte\n"
"      --parts NAME,...    names of the parts (default train,test)\n"
"Output:\n"
"  -o, --output NAME=FILE  write part NAME to FILE (- for stdout)\n"
"      --tag FIELD         write every record to one stream (stdout, or\n"
"                          -o FILE) with FIELD set to its part's name\n"
"Common:\n"
"  -v, --verbose           report counts on stderr\n"
ML_CLI_COMMON_HELP
"\n"
"Exit status: 0 success, 2 trouble (bad usage, malformed input, I/O error).\n"
"Examples:\n"
"  ml-split --key id --ratio train=0.8,test=0.2 -o train=train.ndjson -o test=test.ndjson\n"
"  ml-split --by ts --cut 2026-01-01 --tag part < all.ndjson\n";

enum { OPT_RATIO = ML_OPT_PROGRAM, OPT_KEY, OPT_SEED, OPT_BY, OPT_CUT, OPT_PARTS, OPT_TAG };

#define MAX_PARTS 64

struct part {
	char *name;
	char *path;		/* from -o NAME=FILE, or NULL */
	double share;
	struct ml_out *out;
	char *quoted;		/* the name as a JSON string, for --tag */
	size_t quoted_len;
	uint64_t records;
};

struct cut {
	char *text;
	int is_number;
	double number;
};

struct split {
	struct part parts[MAX_PARTS];
	size_t nparts;
	double cum[MAX_PARTS];
	int by_ratio;		/* --ratio was given */
	const char *key;
	uint64_t seed;
	int seed_given;		/* --seed: it goes with --ratio */
	const char *by;
	struct cut cuts[MAX_PARTS];
	size_t ncuts;
	const char *tag;
	struct ml_out *tagged;	/* the one stream of --tag */
	struct ml_cli *cli;
	uint64_t seen;
	struct ml_buf scratch;
};

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		ml_warn("out of memory");
		exit(ML_EXIT_TROUBLE);
	}
	return p;
}

static struct part *add_part(struct split *s, const char *name, size_t n)
{
	if (n == 0)
		ml_usage_error("a part needs a name");
	for (size_t i = 0; i < s->nparts; i++)
		if (strlen(s->parts[i].name) == n && memcmp(s->parts[i].name, name, n) == 0)
			ml_usage_error("part '%.*s' named twice", (int)n, name);
	if (s->nparts == MAX_PARTS)
		ml_usage_error("too many parts (at most %d)", MAX_PARTS);
	struct part *p = &s->parts[s->nparts++];
	p->name = strndup(name, n);
	if (!p->name)
		ml_usage_error("out of memory");
	return p;
}

static void parse_ratio(struct split *s, const char *spec)
{
	char *copy = xstrdup(spec), *save = NULL, *item;
	double total = 0;

	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq)
			ml_usage_error("--ratio: '%s' is not NAME=SHARE", item);
		struct part *p = add_part(s, item, (size_t)(eq - item));
		p->share = ml_cli_parse_number("--ratio", eq + 1);
		if (p->share < 0)
			ml_usage_error("--ratio: share of '%s' is negative", p->name);
		total += p->share;
	}
	free(copy);
	if (s->nparts < 1)
		ml_usage_error("--ratio: no parts given");
	if (total < 1 - 1e-9 || total > 1 + 1e-9)
		ml_usage_error("--ratio: shares add up to %.12g, not 1", total);
	double c = 0;
	for (size_t i = 0; i < s->nparts; i++) {
		c += s->parts[i].share;
		s->cum[i] = c;
	}
	s->cum[s->nparts - 1] = 1.0;
}

static void parse_parts(struct split *s, const char *spec)
{
	char *copy = xstrdup(spec), *save = NULL, *item;

	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
		add_part(s, item, strlen(item));
	free(copy);
}

static void add_cut(struct split *s, const char *text)
{
	if (s->ncuts == MAX_PARTS - 1)
		ml_usage_error("too many --cut points");
	struct cut *c = &s->cuts[s->ncuts++];
	c->text = xstrdup(text);
	c->is_number = ml_json_is_number(text, strlen(text));
	if (c->is_number)
		c->number = strtod(text, NULL);
}

static struct part *find_part(struct split *s, const char *name, size_t n)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (strlen(s->parts[i].name) == n && memcmp(s->parts[i].name, name, n) == 0)
			return &s->parts[i];
	return NULL;
}

/* The part of a record split by hash. */
static int part_by_hash(struct split *s, const struct ml_rec *r, const char *line,
			size_t len, const struct ml_place *at, size_t *which, struct ml_err *err)
{
	const char *key = line;
	size_t n = len;

	if (s->key) {
		ssize_t i = ml_rec_find(r, s->key, strlen(s->key));
		if (i < 0 || ml_rec_type(r, (size_t)i) == ML_JSON_NULL)
			return ml_err_set(err, ML_ERR_DATA, "%s:%llu: record has %s '%s' (the --key)",
					  at->file, (unsigned long long)at->line, i < 0 ? "no" : "a null",
					  s->key);
		if (ml_rec_type(r, (size_t)i) == ML_JSON_STRING) {
			ml_buf_reset(&s->scratch);
			if (ml_rec_string(r, (size_t)i, &s->scratch) < 0)
				return ml_err_set(err, ML_ERR_IO, "out of memory");
			key = s->scratch.data ? s->scratch.data : "";
			n = s->scratch.len;
		} else {
			key = ml_rec_value_raw(r, (size_t)i, &n);
		}
	}
	*which = split_pick(split_hash_unit(s->seed, key, n), s->cum, s->nparts);
	return 0;
}

/* The part of a record split by a field's value against the cut points. */
static int part_by_cut(struct split *s, const struct ml_rec *r,
		       const struct ml_place *at, size_t *which, struct ml_err *err)
{
	ssize_t i = ml_rec_find(r, s->by, strlen(s->by));
	enum ml_json_type t = i < 0 ? ML_JSON_NULL : ml_rec_type(r, (size_t)i);
	double v = 0;
	size_t k = 0;

	if (t != ML_JSON_NUMBER && t != ML_JSON_STRING)
		return ml_err_set(err, ML_ERR_DATA, "%s:%llu: record has %s '%s' (the --by field needs a number or a string)",
				  at->file, (unsigned long long)at->line,
				  i < 0 ? "no" : t == ML_JSON_NULL ? "a null" : t == ML_JSON_ARRAY ? "an array" :
				  t == ML_JSON_OBJECT ? "an object" : "a boolean", s->by);
	if (t == ML_JSON_NUMBER)
		ml_rec_number(r, (size_t)i, &v);
	else {
		ml_buf_reset(&s->scratch);
		if (ml_rec_string(r, (size_t)i, &s->scratch) < 0)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	for (; k < s->ncuts; k++) {
		const struct cut *c = &s->cuts[k];
		int below;
		if (t == ML_JSON_NUMBER) {
			if (!c->is_number)
				return ml_err_set(err, ML_ERR_DATA, "%s:%llu: '%s' is a number but the cut '%s' is not",
						  at->file, (unsigned long long)at->line, s->by, c->text);
			below = v < c->number;
		} else {
			size_t cl = strlen(c->text), m = s->scratch.len < cl ? s->scratch.len : cl;
			int cmp = m ? memcmp(s->scratch.data, c->text, m) : 0;
			below = cmp < 0 || (cmp == 0 && s->scratch.len < cl);
		}
		if (below)
			break;
	}
	*which = k;
	return 0;
}

static int on_record(void *ctx, const struct ml_rec *r, const char *line, size_t len,
		     const struct ml_place *at, struct ml_err *err)
{
	struct split *s = ctx;
	size_t which = 0;
	int rc;

	ml_cli_progress(s->cli, ++s->seen);
	rc = s->by ? part_by_cut(s, r, at, &which, err)
		   : part_by_hash(s, r, line, len, at, &which, err);
	if (rc < 0)
		return -1;
	struct part *p = &s->parts[which];
	p->records++;
	if (s->tag)
		rc = ml_rec_write_with(s->tagged, r, s->tag, strlen(s->tag), p->quoted, p->quoted_len);
	else {
		rc = ml_out_write(p->out, line, len);
		if (rc == 0)
			rc = ml_out_end_record(p->out);
	}
	if (rc < 0) {
		struct ml_out *o = s->tag ? s->tagged : p->out;
		return ml_out_error(o, err);
	}
	return 0;
}

/* With --by and no --parts, the parts get their default names; done before
 * -o NAME=FILE is matched against them, so the defaults can be named there. */
static void default_parts(struct split *s)
{
	if (!s->by || s->nparts || !s->ncuts)
		return;
	if (s->ncuts == 1) {
		add_part(s, "train", 5);
		add_part(s, "test", 4);
	} else {
		char name[32];
		for (size_t i = 0; i <= s->ncuts; i++) {
			snprintf(name, sizeof name, "part%zu", i + 1);
			add_part(s, name, strlen(name));
		}
	}
}

static void check_options(struct split *s, const char *single_output)
{
	if (s->by && s->by_ratio)
		ml_usage_error("--ratio and --by are two ways to split: choose one");
	if (s->by) {
		if (!s->ncuts)
			ml_usage_error("--by needs at least one --cut");
		if (s->nparts != s->ncuts + 1)
			ml_usage_error("%zu cut points make %zu parts, but --parts names %zu",
				       s->ncuts, s->ncuts + 1, s->nparts);
		for (size_t i = 1; i < s->ncuts; i++) {
			const struct cut *a = &s->cuts[i - 1], *b = &s->cuts[i];
			int ok = a->is_number && b->is_number ? a->number < b->number
							      : strcmp(a->text, b->text) < 0;
			if (!ok)
				ml_usage_error("--cut points must ascend ('%s' then '%s')", a->text, b->text);
		}
	} else {
		if (s->ncuts)
			ml_usage_error("--cut needs --by");
		if (s->nparts && !s->by_ratio)
			ml_usage_error("--parts names the parts of --by; with --ratio, name them there");
		if (!s->nparts)
			ml_usage_error("say how to split: --ratio NAME=SHARE,... or --by FIELD --cut VALUE");
	}
	if (s->key && s->by)
		ml_usage_error("--key goes with --ratio, not with --by");
	if (s->seed_given && s->by)
		ml_usage_error("--seed goes with --ratio, not with --by");
	if (s->tag) {
		for (size_t i = 0; i < s->nparts; i++)
			if (s->parts[i].path)
				ml_usage_error("--tag writes one stream: give -o FILE, not -o %s=FILE",
					       s->parts[i].name);
		if (single_output && !*single_output)
			ml_usage_error("-o: the file name is empty");
		return;
	}
	if (single_output)
		ml_usage_error("-o %s: name the part (-o NAME=FILE), or use --tag", single_output);
	for (size_t i = 0; i < s->nparts; i++) {
		const struct part *p = &s->parts[i];
		if (!p->path)
			ml_usage_error("part '%s' has no output (-o %s=FILE)", p->name, p->name);
		if (!*p->path)
			ml_usage_error("-o %s=: the file name is empty", p->name);
		for (size_t j = 0; j < i; j++) {
			const struct part *q = &s->parts[j];
			if (strcmp(p->path, "-") == 0 && strcmp(q->path, "-") == 0)
				ml_usage_error("parts '%s' and '%s' both go to standard output: only one can",
					       q->name, p->name);
			if (ml_out_same_place(q->path, p->path))
				ml_usage_error("parts '%s' and '%s' both write '%s'", q->name, p->name,
					       strcmp(p->path, "-") ? p->path : q->path);
		}
	}
}

/* Opens every output; on failure aborts those already open. */
static int open_outputs(struct ml_cli *cli, struct split *s, const char *single_output, struct ml_err *err)
{
	for (size_t i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];
		struct ml_buf q = {0};
		if (ml_json_quote(&q, p->name, strlen(p->name)) < 0)
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		p->quoted = q.data;
		p->quoted_len = q.len;
	}
	if (s->tag) {
		s->tagged = ml_cli_out_open(cli, single_output, err);
		return s->tagged ? 0 : -1;
	}
	for (size_t i = 0; i < s->nparts; i++) {
		struct part *p = &s->parts[i];
		if (!(p->out = ml_cli_out_open(cli, p->path, err)))
			return -1;
	}
	return 0;
}

/* Whether an output is written as it goes (stdout, a device, a fifo) rather
 * than renamed into place at the end. */
static int is_stream(const struct ml_out *o)
{
	struct stat st;
	const char *path = ml_out_path(o);

	return strcmp(path, "-") == 0 || (stat(path, &st) == 0 && !S_ISREG(st.st_mode));
}

/* Commits the streams first, then the files: the streams are where a write
 * fails late (a full device, a closed pipe), and a failure there must leave
 * the files as they were.  The run log lists the outputs in part order.
 * streams_only (a run that could not read some inputs): the streams keep
 * what they got, the files are left as they were (freed uncommitted). */
static int commit_outputs(struct split *s, struct ml_run *run, int streams_only,
			  struct ml_err *err)
{
	for (int pass = 0; pass < (streams_only ? 1 : 2); pass++)
		for (size_t i = 0; i <= s->nparts; i++) {
			struct ml_out *o = i == s->nparts ? s->tagged : s->parts[i].out;
			if (o && is_stream(o) == (pass == 0) && ml_out_commit(o, err) < 0)
				return -1;
		}
	for (size_t i = 0; i <= s->nparts; i++) {
		struct ml_out *o = i == s->nparts ? s->tagged : s->parts[i].out;
		if (o && (!streams_only || is_stream(o)))
			ml_run_output(run, ml_out_path(o), ml_out_bytes(o),
				      (int64_t)ml_out_records(o), ml_out_sha256(o));
	}
	return 0;
}

static void free_split(struct split *s)
{
	for (size_t i = 0; i < s->nparts; i++) {
		ml_out_free(s->parts[i].out);
		free(s->parts[i].name);
		free(s->parts[i].quoted);
	}
	for (size_t i = 0; i < s->ncuts; i++)
		free(s->cuts[i].text);
	ml_out_free(s->tagged);
	ml_buf_free(&s->scratch);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"ratio", required_argument, NULL, OPT_RATIO},
		{"key", required_argument, NULL, OPT_KEY},
		{"seed", required_argument, NULL, OPT_SEED},
		{"by", required_argument, NULL, OPT_BY},
		{"cut", required_argument, NULL, OPT_CUT},
		{"parts", required_argument, NULL, OPT_PARTS},
		{"tag", required_argument, NULL, OPT_TAG},
		{NULL, 0, NULL, 0},
	};
	struct ml_cli cli;
	struct split s;
	struct ml_err err;
	const char *outputs[MAX_PARTS], *single_output = NULL;
	size_t noutputs = 0;
	int opt, status = ML_EXIT_OK;

	memset(&s, 0, sizeof s);
	ml_cli_init(&cli, "ml-split", usage, argc, argv);
	s.cli = &cli;
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "o:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o':
			if (noutputs == MAX_PARTS)
				ml_usage_error("too many -o");
			outputs[noutputs++] = optarg;
			break;
		case OPT_RATIO:
			if (s.nparts)
				ml_usage_error("parts given twice (--ratio or --parts)");
			parse_ratio(&s, optarg);
			s.by_ratio = 1;
			break;
		case OPT_KEY: s.key = optarg; break;
		case OPT_SEED: s.seed = ml_cli_parse_count("--seed", optarg), s.seed_given = 1; break;
		case OPT_BY: s.by = optarg; break;
		case OPT_CUT: add_cut(&s, optarg); break;
		case OPT_PARTS:
			if (s.nparts)
				ml_usage_error("parts given twice (--ratio or --parts)");
			parse_parts(&s, optarg);
			break;
		case OPT_TAG: s.tag = optarg; break;
		}
	}
	default_parts(&s);
	for (size_t i = 0; i < noutputs; i++) {
		const char *eq = strchr(outputs[i], '=');
		struct part *p = eq ? find_part(&s, outputs[i], (size_t)(eq - outputs[i])) : NULL;
		if (!eq) {
			if (single_output)
				ml_usage_error("-o given twice without a part name");
			single_output = outputs[i];
			continue;
		}
		if (!p)
			ml_usage_error("-o %s: no part named '%.*s'", outputs[i],
				       (int)(eq - outputs[i]), outputs[i]);
		if (p->path)
			ml_usage_error("-o: part '%s' has two outputs", p->name);
		p->path = xstrdup(eq + 1);
	}
	check_options(&s, single_output);

	ml_cli_start_run(&cli);
	if (open_outputs(&cli, &s, single_output, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	struct ml_each each = {.record = on_record, .ctx = &s, .run = cli.run,
			       .input_failed = ml_cli_input_failed};
	if (ml_each_record(&each, argv + optind, (size_t)(argc - optind), &err) < 0 ||
	    commit_outputs(&s, cli.run, each.failed_inputs > 0, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (each.failed_inputs)
		status = ML_EXIT_TROUBLE;	/* each was named as it came */
	ml_run_counter(cli.run, "read", each.records);
	for (size_t i = 0; i < s.nparts; i++)
		ml_run_counter(cli.run, s.parts[i].name, s.parts[i].records);
	if (cli.verbose) {
		fprintf(stderr, "ml-split: read %llu records:", (unsigned long long)each.records);
		for (size_t i = 0; i < s.nparts; i++)
			fprintf(stderr, "%s %s %llu", i ? "," : "", s.parts[i].name,
				(unsigned long long)s.parts[i].records);
		fputc('\n', stderr);
	}
out:
	if (s.key) ml_run_param(cli.run, "key", s.key);
	if (s.by) ml_run_param(cli.run, "by", s.by);
	if (s.tag) ml_run_param(cli.run, "tag", s.tag);
	if (cli.run) {
		char seed[32];
		snprintf(seed, sizeof seed, "%llu", (unsigned long long)s.seed);
		ml_run_param_json(cli.run, "seed", seed);
	}
	for (size_t i = 0; i < s.nparts; i++)
		free(s.parts[i].path);
	free_split(&s);
	return ml_cli_finish(&cli, status);
}
