/* What ml-validate tells: reject lines, the NDJSON report, the summary. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ml_json.h"
#include "validate.h"

static void put_place_head(struct ml_buf *b, const struct ml_place *at)
{
	ml_buf_adds(b, "{\"file\":");
	ml_json_quote_lossy(b, at->file, strlen(at->file));
	ml_buf_printf(b, ",\"line\":%llu,\"errors\":[", (unsigned long long)at->line);
}

/* A reject line is built in a buffer, so a failed write never leaves half
 * a line: ml_out's error is sticky and the commit reports it. */
static struct ml_buf line_buf, tmp_buf;

int reject_record(struct ml_out *o, const struct ml_check *c, size_t nviolations,
		  const struct ml_place *at, const char *line, size_t len)
{
	struct ml_buf *b = &line_buf;

	ml_buf_reset(b);
	put_place_head(b, at);
	for (size_t i = 0; i < nviolations; i++) {
		const struct ml_violation *v = ml_check_violation(c, i);
		if (i)
			ml_buf_addc(b, ',');
		ml_buf_adds(b, "{\"rule\":\"");
		ml_buf_adds(b, ml_rule_name(v->rule->kind));
		ml_buf_addc(b, '"');
		if (v->rule->kind == ML_RULE_EXPECTATION) {
			const char *text = ml_jq_text(v->rule->expectation);
			ml_buf_adds(b, ",\"expectation\":");
			ml_json_quote(b, text, strlen(text));
		}
		if (v->field) {
			ml_buf_adds(b, ",\"field\":");
			ml_json_quote(b, v->field, v->field_len);
		}
		if (v->value) {
			ml_buf_adds(b, ",\"value\":");
			ml_buf_add(b, v->value, v->value_len);
		}
		ml_buf_adds(b, ",\"message\":");
		ml_json_quote_lossy(b, v->message, strlen(v->message));
		ml_buf_addc(b, '}');
	}
	ml_buf_adds(b, "],\"record\":");
	ml_buf_add(b, line, len);
	ml_buf_addc(b, '}');
	if (ml_out_write(o, b->data, b->len) < 0)
		return -1;
	return ml_out_end_record(o);
}

int reject_malformed(struct ml_out *o, const struct ml_place *at, const char *why,
		     const char *line, size_t len)
{
	struct ml_buf *b = &line_buf;

	ml_buf_reset(b);
	ml_buf_reset(&tmp_buf);
	put_place_head(b, at);
	ml_buf_adds(b, "{\"rule\":\"malformed\",\"message\":");
	/* a line that is JSON but not an object is as unusable as broken JSON */
	if (strncmp(why, "malformed JSON", 14) != 0) {
		ml_buf_adds(&tmp_buf, "malformed JSON: ");
		ml_buf_adds(&tmp_buf, why);
		ml_buf_terminate(&tmp_buf);
		why = tmp_buf.data;
	}
	ml_json_quote_lossy(b, why, strlen(why));
	ml_buf_adds(b, "}],\"text\":");
	ml_json_quote_lossy(b, line, len);
	ml_buf_addc(b, '}');
	if (ml_out_write(o, b->data, b->len) < 0)
		return -1;
	return ml_out_end_record(o);
}

static void put_first(struct ml_buf *b, const struct ml_check *c, const struct ml_check_place *first,
		      size_t n)
{
	ml_buf_adds(b, ",\"first\":[");
	for (size_t i = 0; i < n; i++) {
		const char *file = ml_check_file(c, first[i].file);
		if (i)
			ml_buf_addc(b, ',');
		ml_buf_adds(b, "{\"file\":");
		ml_json_quote_lossy(b, file, strlen(file));
		ml_buf_printf(b, ",\"line\":%llu}", (unsigned long long)first[i].line);
	}
	ml_buf_addc(b, ']');
}

/* The parameter of a rule, for "limit". */
static void put_limit(struct ml_buf *b, const struct ml_rule *r)
{
	const struct ml_field *f = r->field;

	switch (r->kind) {
	case ML_RULE_REQUIRED:
	case ML_RULE_NULLABLE:
		ml_buf_adds(b, ",\"limit\":true");
		return;
	case ML_RULE_TYPE:
		ml_buf_printf(b, ",\"limit\":\"%s\"", ml_type_name(f->type));
		return;
	case ML_RULE_MIN:
	case ML_RULE_MAX:
		ml_buf_adds(b, ",\"limit\":");
		ml_json_put_double(b, r->kind == ML_RULE_MIN ? f->min : f->max);
		return;
	case ML_RULE_DOMAIN:
		ml_buf_adds(b, ",\"limit\":");
		ml_buf_adds(b, f->dom_json);
		return;
	case ML_RULE_PATTERN:
		ml_buf_adds(b, ",\"limit\":");
		ml_json_quote(b, f->pattern_text, strlen(f->pattern_text));
		return;
	case ML_RULE_MIN_LENGTH:
	case ML_RULE_MAX_LENGTH:
		ml_buf_printf(b, ",\"limit\":%llu", (unsigned long long)(r->kind == ML_RULE_MIN_LENGTH
						 ? f->min_length : f->max_length));
		return;
	default:
		return;
	}
}

int report_ndjson(struct ml_buf *b, const struct ml_schema *s, const struct ml_check *c,
		  const struct verdict *v)
{
	uint64_t records = ml_check_records(c), invalid = ml_check_invalid(c);

	ml_buf_printf(b, "{\"format\":\"mlpipe.validation\",\"version\":1,\"schema\":");
	if (s->sha256[0])
		ml_buf_printf(b, "\"%s\"", s->sha256);
	else
		ml_buf_adds(b, "null");
	ml_buf_printf(b, ",\"records\":%llu,\"valid\":%llu,\"invalid\":%llu,\"malformed\":%llu",
		      (unsigned long long)records, (unsigned long long)(records - invalid),
		      (unsigned long long)invalid, (unsigned long long)ml_check_malformed_lines(c));
	ml_buf_adds(b, ",\"invalid_share\":");
	ml_json_put_double(b, v->invalid_share);
	ml_buf_adds(b, ",\"max_invalid\":");
	ml_json_put_double(b, v->max_invalid);
	ml_buf_printf(b, ",\"passed\":%s}\n", v->passed ? "true" : "false");

	for (size_t i = 0; i < ml_check_nrules(c); i++) {
		const struct ml_rule *r = ml_check_rule(c, i);
		ml_buf_printf(b, "{\"kind\":\"rule\",\"rule\":\"%s\"", ml_rule_name(r->kind));
		if (r->field) {
			ml_buf_adds(b, ",\"field\":");
			ml_json_quote(b, r->field->name, r->field->name_len);
		}
		if (r->expectation) {
			const char *text = ml_jq_text(r->expectation);
			ml_buf_adds(b, ",\"expectation\":");
			ml_json_quote(b, text, strlen(text));
		}
		put_limit(b, r);
		ml_buf_printf(b, ",\"violations\":%llu", (unsigned long long)r->violations);
		put_first(b, c, r->first, r->nfirst);
		ml_buf_adds(b, "}\n");
	}
	for (size_t i = 0; i < ml_check_nconstraints(c); i++) {
		const struct ml_constraint *k = ml_check_constraint(c, i);
		ml_buf_printf(b, "{\"kind\":\"dataset\",\"constraint\":\"%s\"", ml_constraint_name(k->kind));
		if (k->field) {
			ml_buf_adds(b, ",\"field\":");
			ml_json_quote(b, k->field->name, k->field->name_len);
		}
		ml_buf_adds(b, ",\"limit\":");
		if (k->kind == ML_CONSTRAINT_UNIQUE)
			ml_buf_adds(b, "true");
		else
			ml_json_put_double(b, k->limit);
		ml_buf_adds(b, ",\"measured\":");
		ml_json_put_double(b, k->measured);
		ml_buf_printf(b, ",\"passed\":%s", k->passed ? "true" : "false");
		if (k->kind == ML_CONSTRAINT_UNIQUE)
			put_first(b, c, k->first, k->nfirst);
		ml_buf_adds(b, "}\n");
	}
	ml_buf_adds(b, "{\"kind\":\"dataset\",\"constraint\":\"max_invalid\",\"limit\":");
	ml_json_put_double(b, v->max_invalid);
	ml_buf_adds(b, ",\"measured\":");
	ml_json_put_double(b, v->invalid_share);
	ml_buf_printf(b, ",\"passed\":%s}\n", v->invalid_share <= v->max_invalid ? "true" : "false");
	return ml_buf_terminate(b);
}

/* With one input line numbers are enough; with several every place is
 * FILE:LINE, also for a rule broken in one file only, whose bare numbers
 * would not say which. */
static void print_places(const struct ml_check *c, const struct ml_check_place *first, size_t n,
			 uint64_t total, int named)
{
	fputs(" (", stderr);
	fputs(n == 1 ? "line " : "lines ", stderr);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", stderr);
		if (!named)
			fprintf(stderr, "%llu", (unsigned long long)first[i].line);
		else
			fprintf(stderr, "%s:%llu", ml_check_file(c, first[i].file),
				(unsigned long long)first[i].line);
	}
	fputs(total > n ? ", ...)\n" : ")\n", stderr);
}

void report_summary(const struct ml_check *c, const struct verdict *v)
{
	uint64_t records = ml_check_records(c), invalid = ml_check_invalid(c);

	fprintf(stderr, "ml-validate: %llu records: %llu valid, %llu invalid (%.1f%%, allowed %g%%)\n",
		(unsigned long long)records, (unsigned long long)(records - invalid),
		(unsigned long long)invalid, 100 * v->invalid_share, 100 * v->max_invalid);
	for (size_t i = 0; i < ml_check_nrules(c); i++) {
		const struct ml_rule *r = ml_check_rule(c, i);
		if (!r->violations)
			continue;
		if (r->expectation)
			fprintf(stderr, "ml-validate:   expectation '%s': %llu", ml_jq_text(r->expectation),
				(unsigned long long)r->violations);
		else if (r->field)
			fprintf(stderr, "ml-validate:   %s.%s: %llu", r->field->name, ml_rule_name(r->kind),
				(unsigned long long)r->violations);
		else
			fprintf(stderr, "ml-validate:   %s: %llu", ml_rule_name(r->kind),
				(unsigned long long)r->violations);
		print_places(c, r->first, r->nfirst, r->violations, v->several_inputs);
	}
	for (size_t i = 0; i < ml_check_nconstraints(c); i++) {
		const struct ml_constraint *k = ml_check_constraint(c, i);
		if (k->passed && !v->passed)
			continue;
		fprintf(stderr, "ml-validate:   dataset %s%s%s: ", ml_constraint_name(k->kind),
			k->field ? " of " : "", k->field ? k->field->name : "");
		switch (k->kind) {
		case ML_CONSTRAINT_RECORDS_MIN:
			fprintf(stderr, "%.0f %s %.0f", k->measured, k->passed ? ">=" : "<", k->limit);
			break;
		case ML_CONSTRAINT_RECORDS_MAX:
			fprintf(stderr, "%.0f %s %.0f", k->measured, k->passed ? "<=" : ">", k->limit);
			break;
		case ML_CONSTRAINT_MAX_MISSING:
			fprintf(stderr, "%.4g%% missing, limit %.4g%%", 100 * k->measured, 100 * k->limit);
			break;
		case ML_CONSTRAINT_UNIQUE:
			fprintf(stderr, "%.0f repeated values", k->measured);
			break;
		}
		fputs(k->passed ? ": passed" : ": failed", stderr);
		if (k->kind == ML_CONSTRAINT_UNIQUE && k->nfirst)
			print_places(c, k->first, k->nfirst, k->count, v->several_inputs);
		else
			fputc('\n', stderr);
	}
}

void reject_free(void)
{
	ml_buf_free(&line_buf);
	ml_buf_free(&tmp_buf);
}
