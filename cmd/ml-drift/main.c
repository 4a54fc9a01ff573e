/* ml-drift: does the current data still look like the reference? */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drift.h"
#include "ml_cli.h"
#include "ml_dist.h"
#include "ml_json.h"
#include "ml_out.h"

static const char usage[] =
"Usage: ml-drift [OPTION]... REFERENCE CURRENT\n"
"Compare CURRENT data with REFERENCE data, column by column, and say\n"
"whether it has drifted.  Each side is a profile (ml-stats) or NDJSON\n"
"records (a file, or - for standard input); with records on both sides the\n"
"tests are exact, with a profile they use its quantile sketch.\n"
"\n"
"Methods: psi, ks, wasserstein, js (numbers); chi2, js, linf, psi (strings\n"
"and booleans).  By default a column with fewer than --small values on a\n"
"side is tested (ks, chi2: drift when p < 0.05); larger ones are measured\n"
"(psi >= 0.2 for numbers, js >= 0.1 for categories), because with large\n"
"samples any trivial shift has a tiny p-value.\n"
"\n"
"      --method [COL=]NAME   the method for COL (or for every column)\n"
"      --threshold [COL=]X   the threshold for COL (or for every column)\n"
"      --columns LIST        compare only these comma-separated columns\n"
"      --exclude LIST        leave out these columns\n"
"      --critical LIST       the data has drifted when any of these has\n"
"      --share X             ... or when this share of columns has (0.5)\n"
"      --fdr Q               Benjamini-Hochberg across the tests' p-values:\n"
"                            drift when the adjusted p-value < Q\n"
"      --small N             sample size below which tests decide (1000)\n"
"  -f, --output-format F     ndjson (default unless a terminal) or text\n"
"  -o, --output FILE         write to FILE, replaced only when all went well\n"
"Common:\n"
"  -v, --verbose             report the verdict on stderr\n"
ML_CLI_COMMON_HELP
"\n"
"Output: one NDJSON line per column (method, unit, statistic, p-value,\n"
"threshold, drifted, the bins or categories used), then a summary line.\n"
"Exit status: 0 no drift, 1 drift, 2 trouble.\n"
"Examples:\n"
"  ml-drift train.profile today.ndjson || make retrain\n"
"  ml-drift --critical income,age --method age=ks ref.profile cur.profile\n";

enum {
	OPT_METHOD = ML_OPT_PROGRAM, OPT_THRESHOLD, OPT_COLUMNS, OPT_EXCLUDE, OPT_CRITICAL,
	OPT_SHARE, OPT_FDR, OPT_SMALL,
};

static struct column_rule *rule_for(struct drift_opts *o, const char *col, size_t n, int create)
{
	for (size_t i = 0; i < o->nrules; i++)
		if (strlen(o->rules[i].column) == n && memcmp(o->rules[i].column, col, n) == 0)
			return &o->rules[i];
	if (!create)
		return NULL;
	struct column_rule *v = realloc(o->rules, (o->nrules + 1) * sizeof *v);
	if (!v || !(v[o->nrules].column = strndup(col, n)))
		ml_usage_error("out of memory");
	o->rules = v;
	v[o->nrules].method = M_AUTO;
	v[o->nrules].threshold = NAN;
	return &v[o->nrules++];
}

static void parse_method(struct drift_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	enum method m = method_by_name(eq ? eq + 1 : arg);

	if (m == M_AUTO)
		ml_usage_error("--method: unknown method '%s' (psi, ks, wasserstein, js, chi2, linf)",
			       eq ? eq + 1 : arg);
	if (eq)
		rule_for(o, arg, (size_t)(eq - arg), 1)->method = m;
	else
		o->default_method = m;
}

static void parse_threshold(struct drift_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	double t = ml_cli_parse_number("--threshold", eq ? eq + 1 : arg);

	if (t < 0)
		ml_usage_error("--threshold: '%s' is negative", arg);
	if (eq)
		rule_for(o, arg, (size_t)(eq - arg), 1)->threshold = t;
	else
		o->default_threshold = t;
}

static int listed(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* The kind of values a column mostly holds: "number", "string", "boolean"
 * or "null" (nothing else). */
static const char *kind_of(const struct ml_column *c)
{
	uint64_t num = c->types[ML_JSON_NUMBER], str = c->types[ML_JSON_STRING];
	uint64_t boo = c->types[ML_JSON_TRUE] + c->types[ML_JSON_FALSE];

	if (!num && !str && !boo)
		return "null";
	if (num >= str && num >= boo)
		return "number";
	return str >= boo ? "string" : "boolean";
}

/* The values of a column of this kind that are of another type (a string
 * among numbers, an array anywhere): present, yet left out of the
 * statistics, and so counted where they can be seen. */
static uint64_t other_types(const struct ml_column *c, const char *kind)
{
	uint64_t present = 0, own;

	if (!c)
		return 0;
	for (int t = ML_JSON_FALSE; t <= ML_JSON_OBJECT; t++)
		present += c->types[t];
	if (strcmp(kind, "number") == 0)
		own = c->types[ML_JSON_NUMBER];
	else if (strcmp(kind, "string") == 0)
		own = c->types[ML_JSON_STRING];
	else
		own = c->types[ML_JSON_TRUE] + c->types[ML_JSON_FALSE];
	return present - own;
}

/* Keeps, and appends to r's line, what each side's statistics left out
 * besides missing values: values of other types, and for numbers the
 * non-finite ones. */
static void put_left_out(struct column_result *r, const struct ml_column *rc, const struct ml_column *cc,
			 const char *kind)
{
	r->other_types[0] = other_types(rc, kind);
	r->other_types[1] = other_types(cc, kind);
	ml_buf_printf(&r->detail, ",\"other_types\":{\"reference\":%llu,\"current\":%llu}",
		      (unsigned long long)r->other_types[0], (unsigned long long)r->other_types[1]);
	if (strcmp(kind, "number") == 0) {
		r->nonfinite[0] = rc ? rc->num.nonfinite : 0;
		r->nonfinite[1] = cc ? cc->num.nonfinite : 0;
		ml_buf_printf(&r->detail, ",\"nonfinite\":{\"reference\":%llu,\"current\":%llu}",
			      (unsigned long long)r->nonfinite[0], (unsigned long long)r->nonfinite[1]);
	}
}

static double missing_rate(const struct ml_profile *p, const struct ml_column *c)
{
	uint64_t n = ml_profile_records(p);
	return n ? (double)(c ? ml_column_missing(p, c) : n) / (double)n : NAN;
}

/* Compares one column on both sides; a side may lack it (NULL) when
 * neither side has values of it, since null and absent both mean missing. */
static int compare(struct side *ref, struct side *cur, const struct ml_column *rc,
		   const struct ml_column *cc, struct drift_opts *o, struct column_result *r)
{
	const char *rk = rc ? kind_of(rc) : "null", *ck = cc ? kind_of(cc) : "null";
	struct column_rule *rule = rule_for(o, r->column, strlen(r->column), 0);

	r->method = rule && rule->method != M_AUTO ? rule->method : o->default_method;
	r->threshold = rule && !isnan(rule->threshold) ? rule->threshold : o->default_threshold;
	if (strcmp(rk, "null") == 0) {
		r->type = "null";
		r->method = M_AUTO;	/* nothing measured: no method, no threshold */
		r->statistic = r->p_value = r->threshold = NAN;
		r->drifted = 0;
		ml_buf_adds(&r->detail, ",\"note\":\"no values in the reference\"");
		return 0;
	}
	if (strcmp(ck, "null") != 0 && strcmp(rk, ck) != 0) {
		r->type = rk;
		r->method = M_AUTO;
		r->statistic = r->p_value = r->threshold = NAN;
		r->drifted = 1;
		ml_buf_printf(&r->detail, ",\"note\":\"the values were %ss and are now %ss\"", rk, ck);
		return 0;
	}
	/* a method named for this column must fit it; one named for every
	 * column applies where it fits, the default elsewhere */
	int numeric = strcmp(rk, "number") == 0;
	int fits = numeric ? r->method != M_CHI2 && r->method != M_LINF
			   : r->method != M_KS && r->method != M_WASSERSTEIN;
	if (!fits && rule && rule->method == r->method) {
		ml_warn("--method %s=%s: '%s' holds %ss, which %s does not measure (use %s)", rc->name,
			method_name(r->method), rc->name, rk, method_name(r->method),
			numeric ? "psi, ks, wasserstein or js" : "chi2, js, linf or psi");
		return -2;
	}
	if (!fits)
		r->method = M_AUTO;
	return numeric ? drift_numeric(ref, cur, rc, cc, o, r) : drift_categorical(ref, cur, rc, cc, o, r);
}

static void write_column(struct ml_buf *b, const struct column_result *r, double mref,
			 double mcur, double q)
{
	ml_buf_adds(b, "{\"format\":\"mlpipe.drift\",\"version\":1,\"kind\":\"column\",\"column\":");
	ml_json_quote(b, r->column, strlen(r->column));
	ml_buf_printf(b, ",\"type\":\"%s\",\"method\":", r->type);
	if (isnan(r->statistic) && !r->method)
		ml_buf_adds(b, "null,\"unit\":null");
	else {
		ml_buf_printf(b, "\"%s\",\"unit\":", method_name(r->method));
		ml_json_quote(b, method_unit(r->method), strlen(method_unit(r->method)));
	}
	ml_buf_adds(b, ",\"statistic\":");
	put_num(b, r->statistic);
	ml_buf_adds(b, ",\"p_value\":");
	put_num(b, r->p_value);
	if (!isnan(q)) {
		ml_buf_adds(b, ",\"p_adjusted\":");
		put_num(b, q);
	}
	ml_buf_adds(b, ",\"threshold\":");
	put_num(b, r->threshold);
	ml_buf_printf(b, ",\"drifted\":%s,\"missing_rate\":{\"reference\":", r->drifted ? "true" : "false");
	put_num(b, mref);
	ml_buf_adds(b, ",\"current\":");
	put_num(b, mcur);
	ml_buf_adds(b, ",\"change\":");
	put_num(b, mcur - mref);
	ml_buf_addc(b, '}');
	ml_buf_add(b, r->detail.data, r->detail.len);
	ml_buf_adds(b, "}\n");
}

static void write_text(struct ml_buf *t, const struct column_result *r, size_t n)
{
	ml_buf_printf(t, "%-24s  %-7s  %-11s  %12s  %10s  %10s  %s\n", "column", "type", "method",
		      "statistic", "p-value", "threshold", "drifted");
	for (size_t i = 0; i < n; i++) {
		ml_buf_printf(t, "%-24.24s  %-7s  %-11s  ", r[i].column, r[i].type,
			      isnan(r[i].statistic) && !r[i].method ? "-" : method_name(r[i].method));
		if (isfinite(r[i].statistic))
			ml_buf_printf(t, "%12.4g  ", r[i].statistic);
		else
			ml_buf_printf(t, "%12s  ", "-");
		if (isfinite(r[i].p_value))
			ml_buf_printf(t, "%10.3g  ", r[i].p_value);
		else
			ml_buf_printf(t, "%10s  ", "-");
		if (isfinite(r[i].threshold))
			ml_buf_printf(t, "%10.3g  ", r[i].threshold);
		else
			ml_buf_printf(t, "%10s  ", "-");
		ml_buf_adds(t, r[i].drifted ? "DRIFT" : "ok");
		ml_buf_addc(t, '\n');
	}
	/* what the statistics did not see, so that the table does not hide it */
	static const char *const side[] = {"reference", "current"};
	for (size_t i = 0; i < n; i++)
		for (int s = 0; s < 2; s++) {
			if (!r[i].other_types[s] && !r[i].nonfinite[s])
				continue;
			ml_buf_printf(t, "%s (%s):", r[i].column, side[s]);
			if (r[i].other_types[s])
				ml_buf_printf(t, " %llu value%s of another type", (unsigned long long)r[i].other_types[s],
					      r[i].other_types[s] == 1 ? "" : "s");
			if (r[i].other_types[s] && r[i].nonfinite[s])
				ml_buf_adds(t, ",");
			if (r[i].nonfinite[s])
				ml_buf_printf(t, " %llu non-finite number%s", (unsigned long long)r[i].nonfinite[s],
					      r[i].nonfinite[s] == 1 ? "" : "s");
			ml_buf_adds(t, ", left out of the statistics\n");
		}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		ML_CLI_COMMON_OPTIONS,
		{"output", required_argument, NULL, 'o'},
		{"output-format", required_argument, NULL, 'f'},
		{"method", required_argument, NULL, OPT_METHOD},
		{"threshold", required_argument, NULL, OPT_THRESHOLD},
		{"columns", required_argument, NULL, OPT_COLUMNS},
		{"exclude", required_argument, NULL, OPT_EXCLUDE},
		{"critical", required_argument, NULL, OPT_CRITICAL},
		{"share", required_argument, NULL, OPT_SHARE},
		{"fdr", required_argument, NULL, OPT_FDR},
		{"small", required_argument, NULL, OPT_SMALL},
		{NULL, 0, NULL, 0},
	};
	struct drift_opts o = {.default_method = M_AUTO, .default_threshold = NAN, .share = 0.5,
			       .small = 1000};
	struct ml_profile_opts popts = {0};
	struct ml_cli cli;
	struct ml_err err;
	struct side ref = {0}, cur = {0};
	struct column_result *res = NULL;
	struct ml_buf text = {0};
	struct ml_out *out = NULL;
	const char *output = NULL, *format = NULL;
	size_t nres = 0, ndrifted = 0, ncompared = 0;
	int opt, status = ML_EXIT_OK, drift = 0;

	ml_cli_init(&cli, "ml-drift", usage, argc, argv);
	while ((opt = getopt_long(argc, argv, ML_CLI_COMMON_SHORT "o:f:", longopts, NULL)) != -1) {
		if (ml_cli_common_option(&cli, opt, optarg))
			continue;
		switch (opt) {
		case 'o': output = optarg; break;
		case 'f': format = ml_cli_output_format(optarg); break;
		case OPT_METHOD: parse_method(&o, optarg); break;
		case OPT_THRESHOLD: parse_threshold(&o, optarg); break;
		case OPT_COLUMNS: ml_cli_split_list(optarg, &popts.columns, &popts.ncolumns); break;
		case OPT_EXCLUDE: ml_cli_split_list(optarg, &popts.exclude, &popts.nexclude); break;
		case OPT_CRITICAL: ml_cli_split_list(optarg, &o.critical, &o.ncritical); break;
		case OPT_SHARE:
			o.share = ml_cli_parse_number("--share", optarg);
			if (o.share <= 0 || o.share > 1)
				ml_usage_error("--share: '%s' is not in (0, 1]", optarg);
			break;
		case OPT_FDR:
			o.fdr = ml_cli_parse_number("--fdr", optarg);
			if (o.fdr <= 0 || o.fdr >= 1)
				ml_usage_error("--fdr: '%s' is not in (0, 1)", optarg);
			break;
		case OPT_SMALL: o.small = ml_cli_parse_count("--small", optarg); break;
		}
	}
	/* a critical column the other options leave out would pass unseen */
	for (size_t i = 0; i < o.ncritical; i++) {
		if (listed(popts.exclude, popts.nexclude, o.critical[i]))
			ml_usage_error("--critical: '%s' is left out by --exclude", o.critical[i]);
		if (popts.ncolumns && !listed(popts.columns, popts.ncolumns, o.critical[i]))
			ml_usage_error("--critical: '%s' is not in --columns", o.critical[i]);
	}
	if (argc - optind != 2)
		ml_usage_error("give a REFERENCE and a CURRENT (%d given)", argc - optind);
	if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0)
		ml_usage_error("only one side can be standard input");
	int as_text = ml_cli_wants_text(format, output);

	ml_cli_start_run(&cli);
	if (side_load(&ref, argv[optind], &popts, &cli, &err) < 0 ||
	    side_load(&cur, argv[optind + 1], &popts, &cli, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	if (ml_profile_records(ref.p) == 0) {
		ml_warn("%s: the reference holds no records: nothing to compare with", argv[optind]);
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	/* no records at all is a stage upstream that failed, more likely than
	 * data that drifted: trouble, as an empty reference is */
	if (ml_profile_records(cur.p) == 0) {
		ml_warn("%s: the current data holds no records: nothing to compare", argv[optind + 1]);
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	/* a column named in an option but in neither side is a typo, not a pass */
	for (size_t i = 0; i < o.nrules + o.ncritical + popts.ncolumns; i++) {
		const char *name = i < o.nrules ? o.rules[i].column
				 : i < o.nrules + o.ncritical ? o.critical[i - o.nrules]
				 : popts.columns[i - o.nrules - o.ncritical];
		const char *flag = i < o.nrules ? "--method/--threshold"
				: i < o.nrules + o.ncritical ? "--critical" : "--columns";
		if (!ml_profile_find(ref.p, name) && !ml_profile_find(cur.p, name)) {
			ml_warn("%s: no column '%s' on either side", flag, name);
			status = ML_EXIT_TROUBLE;
			goto out;
		}
	}
	size_t nref = ml_profile_ncolumns(ref.p), ncur = ml_profile_ncolumns(cur.p);
	if (!(res = calloc(nref + ncur + 1, sizeof *res))) {
		ml_warn("out of memory");
		status = ML_EXIT_TROUBLE;
		goto out;
	}
	/* reference columns first, then those only the current data has */
	for (size_t i = 0; i < nref + ncur; i++) {
		const struct ml_column *rc = i < nref ? ml_profile_column(ref.p, i) : NULL;
		const struct ml_column *cc = i < nref ? ml_profile_find(cur.p, rc->name)
						      : ml_profile_column(cur.p, i - nref);
		if (!rc && ml_profile_find(ref.p, cc->name))
			continue;
		if ((rc && rc->skip) || (cc && cc->skip))
			continue;
		/* a bundle's label is not in the data it is to score */
		if (rc && !cc && ref.target && !strcmp(rc->name, ref.target))
			continue;
		struct column_result *r = &res[nres++];
		r->column = rc ? rc->name : cc->name;
		r->p_value = r->statistic = r->threshold = NAN;
		/* a column with values on neither side is the same whether a side
		 * writes it null or leaves it out */
		int valueless = (!rc || strcmp(kind_of(rc), "null") == 0) &&
				(!cc || strcmp(kind_of(cc), "null") == 0);
		if ((rc && cc) || valueless) {
			int got = compare(&ref, &cur, rc, cc, &o, r);
			if (got < 0) {
				if (got == -1)
					ml_warn("out of memory");
				status = ML_EXIT_TROUBLE;
				goto out;
			}
			if (strcmp(r->type, "null") != 0)
				put_left_out(r, rc, cc, r->type);
		} else {
			/* a column the model was trained on and that is gone is drift;
			 * a new column is news, not drift */
			r->type = "absent";
			r->drifted = rc != NULL;
			ml_buf_printf(&r->detail, ",\"only_in\":\"%s\"", rc ? "reference" : "current");
		}
	}
	/* Benjamini-Hochberg across the columns decided by a test */
	double *q = calloc(nres + 1, sizeof *q), *pv = calloc(nres + 1, sizeof *pv);
	size_t *which = calloc(nres + 1, sizeof *which), ntests = 0;
	for (size_t i = 0; i < nres; i++)
		q[i] = NAN;
	if (o.fdr > 0 && q && pv && which) {
		for (size_t i = 0; i < nres; i++)
			if (method_is_test(res[i].method) && isfinite(res[i].p_value)) {
				pv[ntests] = res[i].p_value;
				which[ntests++] = i;
			}
		if (ntests && ml_bh_adjust(pv, ntests, pv) == 0)
			for (size_t k = 0; k < ntests; k++) {
				struct column_result *r = &res[which[k]];
				q[which[k]] = pv[k];
				r->threshold = o.fdr;
				r->drifted = pv[k] < o.fdr;
			}
	}
	struct ml_buf crit = {0};
	size_t ncrit = 0;
	for (size_t i = 0; i < nres; i++) {
		ncompared++;
		ndrifted += res[i].drifted;
		if (res[i].drifted && listed(o.critical, o.ncritical, res[i].column)) {
			if (ncrit++)
				ml_buf_addc(&crit, ',');
			ml_json_quote(&crit, res[i].column, strlen(res[i].column));
		}
	}
	double share = ncompared ? (double)ndrifted / (double)ncompared : 0;
	drift = ncrit > 0 || (ncompared && share >= o.share);

	if (as_text) {
		write_text(&text, res, nres);
		ml_buf_printf(&text, "\n%s: %zu of %zu columns drifted (share %.2f, limit %.2f)%s%.*s\n",
			      drift ? "DRIFT" : "no drift", ndrifted, ncompared, share, o.share,
			      ncrit ? "; critical: " : "", (int)crit.len, ncrit ? crit.data : "");
	} else {
		for (size_t i = 0; i < nres; i++) {
			const struct ml_column *rc = ml_profile_find(ref.p, res[i].column);
			const struct ml_column *cc = ml_profile_find(cur.p, res[i].column);
			write_column(&text, &res[i], missing_rate(ref.p, rc), missing_rate(cur.p, cc),
				     q ? q[i] : NAN);
		}
		ml_buf_printf(&text, "{\"format\":\"mlpipe.drift\",\"version\":1,\"kind\":\"summary\","
			      "\"reference\":{\"records\":%llu},\"current\":{\"records\":%llu},"
			      "\"columns\":%zu,\"drifted\":%zu,\"drifted_share\":",
			      (unsigned long long)ml_profile_records(ref.p),
			      (unsigned long long)ml_profile_records(cur.p), ncompared, ndrifted);
		put_num(&text, share);
		ml_buf_adds(&text, ",\"share\":");
		put_num(&text, o.share);
		ml_buf_adds(&text, ",\"critical\":[");
		for (size_t i = 0; i < o.ncritical; i++) {
			if (i)
				ml_buf_addc(&text, ',');
			ml_json_quote(&text, o.critical[i], strlen(o.critical[i]));
		}
		ml_buf_adds(&text, "],\"critical_drifted\":[");
		ml_buf_add(&text, crit.data, crit.len);
		ml_buf_printf(&text, "],\"fdr\":");
		put_num(&text, o.fdr > 0 ? o.fdr : NAN);
		ml_buf_printf(&text, ",\"drift\":%s}\n", drift ? "true" : "false");
	}
	ml_buf_free(&crit);
	free(q);
	free(pv);
	free(which);

	if (!(out = ml_cli_out_open(&cli, output, &err))) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	/* a write error is sticky: the commit reports it */
	ml_out_write_lines(out, text.data, text.len);
	if (ml_cli_commit(&cli, out, &err) < 0) {
		status = ml_cli_report(&cli, &err);
		goto out;
	}
	status = drift ? ML_EXIT_FAIL : ML_EXIT_OK;
	if (cli.verbose)
		fprintf(stderr, "ml-drift: %s: %zu of %zu columns drifted\n", drift ? "drift" : "no drift",
			ndrifted, ncompared);
out:
	ml_run_counter(cli.run, "columns", ncompared);
	ml_run_counter(cli.run, "drifted", ndrifted);
	ml_run_param_json(cli.run, "drift", drift ? "true" : "false");
	ml_out_free(out);
	ml_buf_free(&text);
	for (size_t i = 0; res && i < nres; i++)
		ml_buf_free(&res[i].detail);
	free(res);
	side_free(&ref);
	side_free(&cur);
	for (size_t i = 0; i < o.nrules; i++)
		free(o.rules[i].column);
	free(o.rules);
	ml_cli_free_list(o.critical, o.ncritical);
	ml_cli_free_list(popts.columns, popts.ncolumns);
	ml_cli_free_list(popts.exclude, popts.nexclude);
	return ml_cli_finish(&cli, status);
}
