/* jq expressions over records, through libjq (see ml_jq.h). */
#include <jq.h>
#include <jv.h>
#include <stdlib.h>
#include <string.h>

#include "ml_jq.h"

struct ml_jq {
	jq_state *jq;
	char *text;
	int whole;
	char **fields;
	size_t nfields;
	size_t *lens;
	struct ml_buf errors;	/* libjq's compile messages */
	struct ml_buf scratch;
};

/* --- which fields an expression reads ------------------------------------ */

/* Words that read nothing from the input, or read it only as a whole object
 * whose truth cannot differ from the subset's (not). */
static const char *const harmless_words[] = {
	"if", "then", "elif", "else", "end", "and", "or", "not", "true", "false", "null",
	"empty", "try", "catch", "__loc__",
};

static int is_word_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_word_char(char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

struct fields_scan {
	const char *end;
	char **names;
	size_t n, cap;
	int whole;
	int oom;
	int after_pipe;		/* the last token was "|" (not "|=") */
};

static void add_name(struct fields_scan *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->names[i]) == len && memcmp(s->names[i], name, len) == 0)
			return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = realloc(s->names, cap * sizeof *v);
		if (!v) {
			s->oom = 1;
			return;
		}
		s->names = v;
		s->cap = cap;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		s->oom = 1;
		return;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	s->names[s->n++] = copy;
}

static const char *scan_code(struct fields_scan *s, const char *p, int in_interpolation);

/* Skips a string literal starting at its quote; its interpolations are code.
 * Sets *plain when it has no interpolation. */
static const char *scan_string(struct fields_scan *s, const char *p, int *plain)
{
	*plain = 1;
	for (p++; p < s->end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && p + 1 < s->end) {
			if (p[1] == '(') {
				*plain = 0;
				p = scan_code(s, p + 2, 1);
				if (p >= s->end)
					return s->end;
				/* p is at the closing parenthesis */
				continue;
			}
			p++;
		}
	}
	return s->end;
}

/* A field name after a dot, written as a string: its decoded text. */
static void add_quoted_name(struct fields_scan *s, const char *q, const char *after)
{
	jv v = jv_parse_sized(q, (int)(after - q));

	if (jv_get_kind(v) == JV_KIND_STRING)
		add_name(s, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
	else
		s->whole = 1;
	jv_free(v);
}

static int harmless(const char *w, size_t n)
{
	for (size_t i = 0; i < sizeof harmless_words / sizeof *harmless_words; i++)
		if (strlen(harmless_words[i]) == n && memcmp(harmless_words[i], w, n) == 0)
			return 1;
	return 0;
}

/* Reads code tokens from p; inside an interpolation, up to its closing
 * parenthesis (returned), else to the end. */
static const char *scan_code(struct fields_scan *s, const char *p, int in_interpolation)
{
	int depth = 0;

	s->after_pipe = 0;
	while (p < s->end) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			p++;
			continue;
		}
		if (c == '#') {
			while (p < s->end && *p != '\n')
				p++;
			continue;
		}
		int pipe = 0;
		if (c == '"') {
			int plain;
			p = scan_string(s, p, &plain);
		} else if (c == '.') {
			if (p + 1 < s->end && is_word_start(p[1])) {
				const char *w = ++p;
				while (p < s->end && is_word_char(*p))
					p++;
				add_name(s, w, (size_t)(p - w));
			} else if (p + 1 < s->end && p[1] == '"') {
				const char *q = p + 1;
				int plain;
				p = scan_string(s, q, &plain);
				if (plain)
					add_quoted_name(s, q, p);
				else
					s->whole = 1;
			} else if (p + 1 < s->end && is_digit(p[1])) {
				for (p++; p < s->end && (is_word_char(*p) || *p == '.'); p++)
					;
			} else {
				/* ".", "..", ".[": the record itself */
				s->whole = 1;
				p++;
			}
		} else if (is_digit(c)) {
			while (p < s->end && (is_digit(*p) || *p == '.'))
				p++;
			if (p < s->end && (*p == 'e' || *p == 'E')) {
				p++;
				if (p < s->end && (*p == '+' || *p == '-'))
					p++;
				while (p < s->end && is_digit(*p))
					p++;
			}
		} else if (c == '$') {
			for (p++; p < s->end && (is_word_char(*p) || *p == ':'); p++)
				;
		} else if (is_word_start(c) || c == '@') {
			const char *w = p++;
			while (p < s->end && (is_word_char(*p) || *p == ':'))
				p++;
			/* a function applied to what a pipe gives it never sees the
			 * record: nothing before a pipe can yield it without being
			 * one of the cases that already ask for the whole record */
			if (!harmless(w, (size_t)(p - w)) && !s->after_pipe)
				s->whole = 1;
		} else if (c == '|') {
			p++;
			if (p < s->end && *p == '=')
				p++;
			else
				pipe = 1;
		} else if (c == '{') {
			/* object construction reads fields by shorthand keys that
			 * look like no field access ({"b"} is {"b": .b}, and
			 * {"\(.x)"} names one by value): give it the record */
			s->whole = 1;
			p++;
		} else if (c == '(') {
			depth++;
			p++;
		} else if (c == ')') {
			if (in_interpolation && depth == 0)
				return p;
			depth--;
			p++;
		} else {
			p++;
		}
		s->after_pipe = pipe;
	}
	return p;
}

int ml_jq_fields_of(const char *expr, char ***names, size_t *n)
{
	struct fields_scan s = {.end = expr + strlen(expr)};

	scan_code(&s, expr, 0);
	if (s.oom || s.whole) {
		for (size_t i = 0; i < s.n; i++)
			free(s.names[i]);
		free(s.names);
		return s.oom ? -1 : 1;
	}
	*names = s.names;
	*n = s.n;
	return 0;
}

/* --- compiling and running ------------------------------------------------ */

static void on_jq_message(void *data, jv msg)
{
	struct ml_buf *b = data;

	/* one line: a message names the file and place before this text */
	if (jv_get_kind(msg) == JV_KIND_STRING) {
		if (b->len)
			ml_buf_adds(b, "; ");
		for (const char *p = jv_string_value(msg); *p; p++)
			ml_buf_addc(b, *p == '\n' ? ' ' : *p);
		while (b->len && b->data[b->len - 1] == ' ')
			b->len--;
	}
	jv_free(msg);
}

struct ml_jq *ml_jq_compile(const char *expr, struct ml_err *err)
{
	struct ml_jq *q = calloc(1, sizeof *q);

	if (!q || !(q->text = strdup(expr)) || !(q->jq = jq_init())) {
		ml_jq_free(q);
		ml_err_set(err, ML_ERR_IO, "out of memory");
		return NULL;
	}
	jq_set_error_cb(q->jq, on_jq_message, &q->errors);
	if (!jq_compile(q->jq, expr)) {
		ml_buf_terminate(&q->errors);
		ml_err_set(err, ML_ERR_USAGE, "%s", q->errors.len ? q->errors.data : "jq: error: does not compile");
		ml_jq_free(q);
		return NULL;
	}
	int rc = ml_jq_fields_of(expr, &q->fields, &q->nfields);
	if (rc < 0 || (rc == 0 && q->nfields && !(q->lens = malloc(q->nfields * sizeof *q->lens)))) {
		ml_jq_free(q);
		ml_err_set(err, ML_ERR_IO, "out of memory");
		return NULL;
	}
	q->whole = rc == 1;
	for (size_t i = 0; i < q->nfields; i++)
		q->lens[i] = strlen(q->fields[i]);
	return q;
}

void ml_jq_free(struct ml_jq *q)
{
	if (!q)
		return;
	if (q->jq)
		jq_teardown(&q->jq);
	for (size_t i = 0; i < q->nfields; i++)
		free(q->fields[i]);
	free(q->fields);
	free(q->lens);
	free(q->text);
	ml_buf_free(&q->errors);
	ml_buf_free(&q->scratch);
	free(q);
}

const char *ml_jq_text(const struct ml_jq *q) { return q->text; }
int ml_jq_whole(const struct ml_jq *q) { return q->whole; }
size_t ml_jq_nfields(const struct ml_jq *q) { return q->nfields; }
const char *ml_jq_field(const struct ml_jq *q, size_t i) { return q->fields[i]; }

/* Field i of r as a libjq value. */
static jv field_value(struct ml_jq *q, const struct ml_rec *r, size_t i)
{
	double x;
	size_t n;
	const char *raw;

	switch (ml_rec_type(r, i)) {
	case ML_JSON_NULL: return jv_null();
	case ML_JSON_FALSE: return jv_false();
	case ML_JSON_TRUE: return jv_true();
	case ML_JSON_NUMBER:
		ml_rec_number(r, i, &x);
		return jv_number(x);
	case ML_JSON_STRING:
		ml_buf_reset(&q->scratch);
		if (ml_rec_string(r, i, &q->scratch) < 0)
			return jv_invalid();
		return jv_string_sized(q->scratch.data ? q->scratch.data : "", (int)q->scratch.len);
	default:
		raw = ml_rec_value_raw(r, i, &n);
		return jv_parse_sized(raw, (int)n);
	}
}

/* The input the expression gets: the whole record, or its fields. */
static jv input_of(struct ml_jq *q, const struct ml_rec *r, const char *line, size_t len)
{
	if (q->whole)
		return jv_parse_sized(line, (int)len);
	jv obj = jv_object();
	for (size_t f = 0; f < q->nfields; f++) {
		ssize_t i = ml_rec_find(r, q->fields[f], q->lens[f]);
		if (i < 0)
			continue;
		jv v = field_value(q, r, (size_t)i);
		if (!jv_is_valid(v)) {
			jv_free(obj);
			return v;
		}
		obj = jv_object_set(obj, jv_string_sized(q->fields[f], (int)q->lens[f]), v);
	}
	return obj;
}

int ml_jq_test(struct ml_jq *q, const struct ml_rec *r, const char *line, size_t len,
	       struct ml_buf *why, struct ml_err *err)
{
	jv in = input_of(q, r, line, len);
	int got = 0;

	if (!jv_is_valid(in)) {
		jv_free(in);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	ml_buf_reset(why);
	jq_start(q->jq, in, 0);
	for (;;) {
		jv v = jq_next(q->jq);
		jv_kind kind = jv_get_kind(v);
		if (kind == JV_KIND_INVALID) {
			if (!jv_invalid_has_msg(jv_copy(v))) {
				jv_free(v);
				break;
			}
			jv msg = jv_invalid_get_msg(v);
			ml_buf_adds(why, "jq error: ");
			if (jv_get_kind(msg) == JV_KIND_STRING) {
				ml_buf_adds(why, jv_string_value(msg));
				jv_free(msg);
			} else {
				jv s = jv_dump_string(msg, 0);
				ml_buf_adds(why, jv_string_value(s));
				jv_free(s);
			}
			ml_buf_terminate(why);
			return 0;
		}
		jv_free(v);
		if (kind == JV_KIND_FALSE || kind == JV_KIND_NULL) {
			ml_buf_adds(why, kind == JV_KIND_FALSE ? "false" : "null");
			ml_buf_terminate(why);
			return 0;
		}
		got = 1;
	}
	if (!got) {
		ml_buf_adds(why, "no value");
		ml_buf_terminate(why);
		return 0;
	}
	return 1;
}

int ml_jq_value(struct ml_jq *q, const struct ml_rec *r, const char *line, size_t len,
		struct ml_buf *out, struct ml_buf *why, struct ml_err *err)
{
	jv in = input_of(q, r, line, len);

	if (!jv_is_valid(in)) {
		jv_free(in);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	ml_buf_reset(why);
	jq_start(q->jq, in, 0);
	jv v = jq_next(q->jq);
	if (!jv_is_valid(v)) {
		if (jv_invalid_has_msg(jv_copy(v))) {
			jv msg = jv_invalid_get_msg(v);
			ml_buf_adds(why, "jq error: ");
			ml_buf_adds(why, jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
			jv_free(msg);
		} else {
			jv_free(v);
			ml_buf_adds(why, "no value");
		}
		ml_buf_terminate(why);
		return 0;
	}
	jv s = jv_dump_string(v, 0);
	int rc = ml_buf_adds(out, jv_string_value(s));
	jv_free(s);
	return rc < 0 ? ml_err_set(err, ML_ERR_IO, "out of memory") : 1;
}
