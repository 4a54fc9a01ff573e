/* ml-ingest: tabular data in, NDJSON records out. */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ml_cli.h"
#include "ml_json.h"
#include "usage.h"

enum {
	OPT_FORMAT = ML_OPT_PROGRAM, OPT_NO_HEADER, OPT_MEMBER, OPT_NULL, OPT_STRING,
	OPT_SCHEMA, OPT_FIELDS, OPT_RENAME, OPT_ADD_SOURCE, OPT_REJECT, OPT_MAX_BYTES,
};

/* Parses --max-bytes SIZE: a positive integer with an optional K, M, G or T
 * (powers of 1024).  No size parser exists in common/ yet; when a second
 * program needs one, it belongs there. */
static uint64_t parse_size(const char *opt, const char *arg)
{
	static const char units[] = "KMGT";
	char *end;
	uint64_t v, scale = 1;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end && end[1] == '\0') {
		const char *u = strchr(units, end[0] & ~0x20);
		if (u && *u)
			scale = (uint64_t)1 << (10 * (u - units + 1));
		end += u && *u;
	}
	if (arg[0] < '0' || arg[0] > '9' || *end || errno || v == 0 || v > UINT64_MAX / scale)
		ml_usage_error("%s: '%s' is not a size (a positive number of bytes, with an "
			       "optional K, M, G or T)", opt, arg);
	return v * scale;
}

/* Member names come from archives, and names in UTF-8 (zip's flag 11, tar's
 * pax headers) reach us only in a UTF-8 locale: libarchive converts them to
 * the locale's charset, and in "C" the conversion fails.  Only LC_CTYPE is
 * set: numbers keep the "C" format.  C.UTF-8 first (the same everywhere),
 * else the user's locale when it is UTF-8, else "C" stays (a UTF-8 name is
 * then an error naming its member). */
static void use_utf8_names(void)
{
	if (setlocale(LC_CTYPE, "C.UTF-8") || setlocale(LC_CTYPE, "C.utf8"))
		return;
	if (setlocale(LC_CTYPE, "") && strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
		return;
	setlocale(LC_CTYPE, "C");
}

/* The length of the UTF-8 character at s[0..n) that is fit to print (not a
 * C1 control), or 0. */
static size_t printable_utf8(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;

	if (s[0] < 0xC2 || n < len || ml_utf8_valid_prefix((const char *)s, len) != len)
		return 0;
	return s[0] == 0xC2 && s[1] < 0xA0 ? 0 : len;
}

/* Rewrites a message so that it is one line that cannot drive a terminal:
 * control characters, DEL and bytes that are not UTF-8 (as in file and
 * member names) become C escapes, \n, \t, \x1b.  A backslash stays as it is,
 * so a name without such bytes reads as given. */
static void escape_message(char *msg, size_t cap)
{
	char out[sizeof ((struct ml_err *)0)->msg];
	const unsigned char *s = (const unsigned char *)msg;
	size_t n = strlen(msg), o = 0, k;

	for (size_t i = 0; i < n && o + 5 < sizeof out; i += k) {
		k = s[i] < 0x80 ? 1 : printable_utf8(s + i, n - i);
		if (s[i] >= 0x20 && s[i] != 0x7F && k) {
			memcpy(out + o, s + i, k);
			o += k;
		} else if (s[i] >= '\a' && s[i] <= '\r') {
			out[o++] = '\\';
			out[o++] = "abtnvfr"[s[i] - '\a'];
			k = 1;
		} else {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", s[i]);
			k = 1;
		}
	}
	out[o] = '\0';
	snprintf(msg, cap, "%s", out);
}

/* Reports err (as ml_cli_report) with names made safe to print. */
static int report(struct ml_cli *cli, struct ml_err *err)
{
	escape_message(err->msg, sizeof err->msg);
	return ml_cli_report(cli, err);
}

static void push(struct strlist *l, const char *s, size_t n)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v || !(v[l->n] = strndup(s, n)))
		ml_usage_error("out of memory");
	l->v = v;
	l->n++;
}

/* Appends the comma-separated items of s to l. */
static void push_list(struct strlist *l, const char *s)
{
	ml_cli_split_list(s, &l->v, &l->n);
}

static void add_renames(struct ingest *g, const char *spec)
{
	struct strlist pairs = {0};

	push_list(&pairs, spec);
	for (size_t i = 0; i < pairs.n; i++) {
		char *eq = strchr(pairs.v[i], '=');
		if (!eq || eq == pairs.v[i] || !eq[1])
			ml_usage_error("--rename: '%s' is not OLD=NEW", pairs.v[i]);
		*eq = '\0';
		g->renames = realloc(g->renames, (g->nrenames + 1) * sizeof *g->renames);
		if (!g->renames)
			ml_usage_error("out of memory");
		g->renames[g->nrenames].from = strdup(pairs.v[i]);
		g->renames[g->nrenames++].to = strdup(eq + 1);
		free(pairs.v[i]);
	}
	free(pairs.v);
}

static int parse_delimiter(const char *arg)
{
	if (strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0)
		return '\t';
	if (strlen(arg) != 1 || arg[0] == '"' || arg[0] == '\n' || arg[0] == '\r')
		ml_usage_error("--delimiter: '%s' is not one byte (other than a quote or newline)", arg);
	return (unsigned char)arg[0];
}

/* The names the options give must not make two fields of a record share a
 * name: a JSON reader would keep only one of them. */
static void check_names(const struct ingest *g)
{
	for (size_t i = 0; i < g->fields.n; i++) {
		if (!*g->fields.v[i])
			ml_usage_error("--fields: empty field name");
		for (size_t j = 0; j < i; j++)
			if (strcmp(g->fields.v[i], g->fields.v[j]) == 0)
				ml_usage_error("--fields: '%s' is given twice", g->fields.v[i]);
	}
	for (size_t i = 0; i < g->nrenames; i++) {
		const struct rename *a = &g->renames[i];
		for (size_t j = 0; j < i; j++) {
			if (strcmp(a->from, g->renames[j].from) == 0)
				ml_usage_error("--rename: '%s' is renamed twice", a->from);
			if (strcmp(a->to, g->renames[j].to) == 0)
				ml_usage_error("--rename: '%s' and '%s' are both renamed to '%s'",
					       g->renames[j].from, a->from, a->to);
		}
		if (g->add_source && strcmp(a->to, g->add_source) == 0)
			ml_usage_error("--rename %s=%s: '%s' is the field of --add-source", a->from,
				       a->to, a->to);
	}
	/* with --fields the output names are known now */
	for (size_t i = 0; i < g->fields.n; i++) {
		size_t n;
		const char *a = renamed(g, g->fields.v[i], strlen(g->fields.v[i]), &n);
		if (g->add_source && strcmp(a, g->add_source) == 0)
			ml_usage_error("--add-source %s: --fields keeps a field of that name",
				       g->add_source);
		for (size_t j = 0; j < i; j++) {
			size_t m;
			const char *b = renamed(g, g->fields.v[j], strlen(g->fields.v[j]), &m);
			if (strcmp(a, b) == 0)
				ml_usage_error("--fields %s,%s: both would be named '%s' (check --rename)",
					       g->fields.v[j], g->fields.v[i], a);
		}
	}
}

static void free_list(struct strlist *l)
{
	ml_cli_free_list(l->v, l->n);
}

static void free_ingest(struct ingest *g)
{
	free_list(&g->members);
	null_tokens_free(&g->nulls);
	free_list(&g->fields);
	free_list(&g->strings);
	for (size_t i = 0; i < g->nrenames; i++) {
		free(g->renames[i].from);
		free(g->renames[i].to);
	}
	free(g->renames);
	for (size_t i = 0; i < g->nschema; i++)
		free(g->schema[i].name);
	free(g->schema);
	ml_out_free(g->out);
	ml_out_free(g->reject);
	ml_recw_free(&g->w);
	ml_buf_free(&g->scratch);
	ml_buf_free(&g->source_json);
}

/* Appends a JSON array of the strings v[0..n) to b. */
static void json_strings(struct ml_buf *b, char **v, size_t n)
{
	ml_buf_reset(b);
	ml_buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			ml_buf_addc(b, ',');
		ml_json_quote_lossy(b, v[i], strlen(v[i]));
	}
	ml_buf_addc(b, ']');
	ml_buf_terminate(b);
}

/* The settings that shape the records, for the run log's params. */
static void log_params(struct ml_run *run, const struct ingest *g, const char *schema)
{
	static const char *const names[] = {"auto", "csv", "tsv", "ndjson", "json", "libsvm"};
	struct ml_buf b = {0};
	char delim[2] = {(char)g->delimiter, '\0'};

	ml_run_param(run, "format", names[g->format]);
	if (g->delimiter)
		ml_run_param(run, "delimiter", delim);
	ml_run_param_json(run, "header", g->no_header ? "false" : "true");
	json_strings(&b, g->nulls.v, g->nulls.n);
	ml_run_param_json(run, "null", b.data);
	if (g->members.n) {
		json_strings(&b, g->members.v, g->members.n);
		ml_run_param_json(run, "member", b.data);
	}
	if (g->strings.n) {
		json_strings(&b, g->strings.v, g->strings.n);
		ml_run_param_json(run, "string", b.data);
	}
	if (g->fields.n) {
		json_strings(&b, g->fields.v, g->fields.n);
		ml_run_param_json(run, "fields", b.data);
	}
	if (g->nrenames) {
		ml_buf_reset(&b);
		ml_buf_addc(&b, '{');
		for (size_t i = 0; i < g->nrenames; i++) {
			if (i)
				ml_buf_addc(&b, ',');
			ml_json_quote_lossy(&b, g->renames[i].from, strlen(g->renames[i].from));
			ml_buf_addc(&b, ':');
			ml_json_quote_lossy(&b, g->renames[i].to, strlen(g->renames[i].to));
		}
		ml_buf_addc(&b, '}');
		ml_buf_terminate(&b);
		ml_run_param_json(run, "rename", b.data);
	}
	if (g->add_source)
		ml_run_param(run, "add_source", g->add_source);
	if (schema)
		ml_run_param(run, "schema", schema);
	if (g->max_bytes) {
		char size[24];
		snprintf(size, sizeof size, "%llu", (unsigned long long)g->max_bytes);
		ml_run_param_json(run, "max_bytes", size);
	}
	ml_buf_free(&b);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"delimiter", required_argument, NULL, 'd'},
		{"no-header", no_argument, NULL, OPT_NO_HEADER},
		{"member", required_argument, NULL, OPT_MEMBER},
		{"null", required_argument, NULL, OPT_NULL},
		{"string", required_argument, NULL, OPT_STRING},
		{"schema", required_argument, NULL, OPT_SCHEMA},
		{"fields", required_argument, NULL, OPT_FIELDS},
		{"rename", required_argument, NULL, OPT_RENAME},
		{"add-source", required_argument, NULL, OPT_ADD_SOURCE},
		{"reject", required_argument, NULL, OPT_REJECT},
		{"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
		{NULL, 0, NULL, 0},
	};
	static const char *const default_nulls[] = {"NA", "N/A", "null", "NULL"};
	struct ingest g;
	struct ml_cli cli;
	struct ml_err err;
	const char *output = NULL, *reject = NULL, *schema = NULL;
	int opt, nulls_given = 0, status = ML_EXIT_OK;

	memset(&g, 0, sizeof g);
	use_utf8_names();
	ml_cli_init(&cli, "ml-ingest", ingest_usage, argc, argv);
	g.cli = &cli;
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "o:d:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o': output = optarg; break;
		case OPT_FORMAT:
			if ((g.format = format_by_name(optarg)) == FMT_AUTO)
				ml_usage_error("--format: unknown format '%s' (csv, tsv, ndjson, json, libsvm)", optarg);
			break;
		case 'd': g.delimiter = parse_delimiter(optarg); break;
		case OPT_NO_HEADER: g.no_header = 1; break;
		case OPT_MEMBER: push(&g.members, optarg, strlen(optarg)); break;
		case OPT_NULL:
			nulls_given = 1;
			if (*optarg) {
				struct strlist l = {0};
				push_list(&l, optarg);
				for (size_t i = 0; i < l.n; i++)
					if (*l.v[i])
						null_tokens_add(&g.nulls, l.v[i], strlen(l.v[i]));
				free_list(&l);
			}
			break;
		case OPT_STRING: push_list(&g.strings, optarg); break;
		case OPT_SCHEMA: schema = optarg; break;
		case OPT_FIELDS: push_list(&g.fields, optarg); break;
		case OPT_RENAME: add_renames(&g, optarg); break;
		case OPT_ADD_SOURCE:
			if (!*optarg)
				ml_usage_error("--add-source needs a field name");
			g.add_source = optarg;
			break;
		case OPT_REJECT: reject = optarg; break;
		case OPT_MAX_BYTES:
			g.max_bytes = parse_size("--max-bytes", optarg);
			g.max_bytes_text = optarg;
			break;
		}
	}
	if (!nulls_given)
		for (size_t i = 0; i < sizeof default_nulls / sizeof *default_nulls; i++)
			null_tokens_add(&g.nulls, default_nulls[i], strlen(default_nulls[i]));
	if (g.format == FMT_TSV && g.delimiter && g.delimiter != '\t')
		ml_usage_error("--format tsv splits on tabs; use --format csv with --delimiter");
	if (g.format && g.format != FMT_CSV && g.format != FMT_TSV && g.delimiter)
		ml_usage_error("--delimiter goes with delimited text (csv, tsv)");
	check_names(&g);
	g.keyed_plain = !g.fields.n && !g.nrenames && !g.add_source;
	ml_cli_distinct_outputs(2, (const char *const[]){output ? "-o" : "the output", "--reject"},
				(const char *const[]){output ? output : "-", reject});

	ml_cli_start_run(&cli);
	if (schema && schema_load(&g, schema, &err) < 0) {
		status = report(&cli, &err);
		goto out;
	}
	if (!(g.out = ml_cli_out_open(&cli, output, &err)) ||
	    (reject && !(g.reject = ml_cli_out_open(&cli, reject, &err)))) {
		status = report(&cli, &err);
		goto out;
	}
	int nfiles = argc - optind, failed = 0;
	for (int i = 0; i < (nfiles ? nfiles : 1); i++) {
		int rc = ingest_file(&g, nfiles ? argv[optind + i] : "-", cli.run, &err);
		if (rc < 0) {
			status = report(&cli, &err);
			goto out;
		}
		/* a file that cannot be read is named, and the others are still
		 * read: one run names every bad input */
		if (rc > 0) {
			escape_message(err.msg, sizeof err.msg);
			ml_warn("%s", err.msg);
			failed = 1;
		}
	}
	if (failed) {
		/* standard output keeps the others' records (a reader has most of
		 * them already); a file is left as it was, as the run failed */
		ml_cli_keep_stdout(&cli, g.out);
		ml_cli_keep_stdout(&cli, g.reject);
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	if ((g.reject && ml_out_commit(g.reject, &err) < 0) || ml_out_commit(g.out, &err) < 0) {
		status = report(&cli, &err);
		goto out;
	}
	ml_run_output(cli.run, ml_out_path(g.out), ml_out_bytes(g.out),
		      (int64_t)ml_out_records(g.out), ml_out_sha256(g.out));
	if (g.reject)
		ml_run_output(cli.run, ml_out_path(g.reject), ml_out_bytes(g.reject),
			      (int64_t)ml_out_records(g.reject), ml_out_sha256(g.reject));
out:
	ml_run_counter(cli.run, "read", g.read);
	ml_run_counter(cli.run, "written", g.written);
	ml_run_counter(cli.run, "rejected", g.rejected);
	log_params(cli.run, &g, schema);
	if (cli.verbose)
		fprintf(stderr, "ml-ingest: read %llu rows, wrote %llu records, rejected %llu\n",
			(unsigned long long)g.read, (unsigned long long)g.written,
			(unsigned long long)g.rejected);
	if (status != ML_EXIT_OK) {
		if (g.out)
			ml_out_abort(g.out);
		if (g.reject)
			ml_out_abort(g.reject);
	}
	free_ingest(&g);
	return ml_cli_finish(&cli, status);
}
