/* How a text value becomes JSON: numbers stay as written, words become
 * booleans or null, everything else a string. */
#include <errno.h>
#include <jv.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "ml_json.h"

const char type_no_memory[] = "out of memory";

static int is_true_word(const char *s, size_t n)
{
	return n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "True", 4) == 0 ||
			  memcmp(s, "TRUE", 4) == 0);
}

static int is_false_word(const char *s, size_t n)
{
	return n == 5 && (memcmp(s, "false", 5) == 0 || memcmp(s, "False", 5) == 0 ||
			  memcmp(s, "FALSE", 5) == 0);
}

static int is_null_token(const char *s, size_t n, const struct null_tokens *nulls)
{
	if (!nulls->first[(unsigned char)s[0]])
		return 0;
	for (size_t i = 0; i < nulls->n; i++)
		if (nulls->len[i] == n && memcmp(nulls->v[i], s, n) == 0)
			return 1;
	return 0;
}

void null_tokens_add(struct null_tokens *nt, const char *s, size_t n)
{
	char **v = realloc(nt->v, (nt->n + 1) * sizeof *v);
	size_t *len = v ? realloc(nt->len, (nt->n + 1) * sizeof *len) : NULL;

	if (v)
		nt->v = v;
	if (len)
		nt->len = len;
	if (!v || !len || !(nt->v[nt->n] = strndup(s, n)))
		return;
	nt->len[nt->n++] = n;
	nt->first[(unsigned char)s[0]] = 1;
}

void null_tokens_free(struct null_tokens *nt)
{
	for (size_t i = 0; i < nt->n; i++)
		free(nt->v[i]);
	free(nt->v);
	free(nt->len);
}

static int is_integer(const char *s, size_t n)
{
	return ml_json_is_number(s, n) && !memchr(s, '.', n) &&
	       !memchr(s, 'e', n) && !memchr(s, 'E', n);
}

static const char *quote_string(struct ml_buf *out, const char *s, size_t n)
{
	size_t i = 0;

	/* most values are printable ASCII with nothing to escape: one pass */
	while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x80 &&
	       s[i] != '"' && s[i] != '\\')
		i++;
	if (i == n) {
		if (ml_buf_reserve(out, n + 2) < 0)
			return type_no_memory;
		char *q = out->data + out->len;
		q[0] = '"';
		memcpy(q + 1, s, n);
		q[n + 1] = '"';
		out->len += n + 2;
		return NULL;
	}
	if (ml_utf8_valid_prefix(s, n) != n)
		return "invalid UTF-8";
	if (ml_json_quote(out, s, n) < 0)
		return type_no_memory;
	return NULL;
}

const char *type_value(struct ml_buf *out, const char *s, size_t n, int is_null,
		       enum vtype t, const struct null_tokens *nulls)
{
	if (is_null || n == 0 || (nulls->n && is_null_token(s, n, nulls)))
		return ml_buf_add(out, "null", 4) < 0 ? type_no_memory : NULL;
	switch (t) {
	case VT_STRING:
		return quote_string(out, s, n);
	case VT_INTEGER:
		if (!is_integer(s, n))
			return "not an integer (as the schema requires)";
		break;
	case VT_NUMBER:
		if (!ml_json_is_number(s, n))
			return "not a number (as the schema requires)";
		break;
	case VT_BOOLEAN:
		if (is_true_word(s, n) || (n == 1 && s[0] == '1'))
			return ml_buf_add(out, "true", 4) < 0 ? type_no_memory : NULL;
		if (is_false_word(s, n) || (n == 1 && s[0] == '0'))
			return ml_buf_add(out, "false", 5) < 0 ? type_no_memory : NULL;
		return "not a boolean (as the schema requires)";
	case VT_AUTO: {
		unsigned char c = (unsigned char)s[0];
		if ((c >= '0' && c <= '9') || c == '-') {
			if (ml_json_is_number(s, n))
				break;
		} else if (c == 't' || c == 'T') {
			if (is_true_word(s, n))
				return ml_buf_add(out, "true", 4) < 0 ? type_no_memory : NULL;
		} else if (c == 'f' || c == 'F') {
			if (is_false_word(s, n))
				return ml_buf_add(out, "false", 5) < 0 ? type_no_memory : NULL;
		}
		return quote_string(out, s, n);
	}
	}
	/* a number, copied exactly as written */
	return ml_buf_add(out, s, n) < 0 ? type_no_memory : NULL;
}

enum vtype forced_type(const struct ingest *g, const char *name, size_t n)
{
	for (size_t i = 0; i < g->strings.n; i++)
		if (strlen(g->strings.v[i]) == n && memcmp(g->strings.v[i], name, n) == 0)
			return VT_STRING;
	for (size_t i = 0; i < g->nschema; i++)
		if (strlen(g->schema[i].name) == n && memcmp(g->schema[i].name, name, n) == 0)
			return g->schema[i].type;
	return VT_AUTO;
}

static int read_whole(const char *path, struct ml_buf *b, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	char chunk[8192];
	ssize_t r;

	if (!in)
		return -1;
	while ((r = ml_in_read(in, chunk, sizeof chunk, err)) > 0)
		if (ml_buf_add(b, chunk, (size_t)r) < 0) {
			ml_in_close(in);
			return ml_err_sys(err, ENOMEM, "cannot read '%s'", path);
		}
	ml_in_close(in);
	if (r < 0)
		return -1;
	return ml_buf_terminate(b);
}

static enum vtype vtype_by_name(const char *s)
{
	if (strcmp(s, "string") == 0) return VT_STRING;
	if (strcmp(s, "integer") == 0) return VT_INTEGER;
	if (strcmp(s, "number") == 0) return VT_NUMBER;
	if (strcmp(s, "boolean") == 0) return VT_BOOLEAN;
	return VT_AUTO;
}

/* The schema is configuration, read once: libjq's parser is the right tool. */
int schema_load(struct ingest *g, const char *path, struct ml_err *err)
{
	struct ml_buf text = {0};
	int rc = -1;

	if (read_whole(path, &text, err) < 0)
		return -1;
	jv doc = jv_parse_sized(text.data, (int)text.len);
	ml_buf_free(&text);
	if (!jv_is_valid(doc)) {
		jv msg = jv_invalid_get_msg(doc);
		ml_err_set(err, ML_ERR_DATA, "%s: not valid JSON: %s", path,
			   jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "?");
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(doc) != JV_KIND_OBJECT) {
		ml_err_set(err, ML_ERR_DATA, "%s: a schema is a JSON object", path);
		goto out;
	}
	jv format = jv_object_get(jv_copy(doc), jv_string("format"));
	if (jv_get_kind(format) != JV_KIND_STRING ||
	    strcmp(jv_string_value(format), "mlpipe.schema") != 0) {
		jv_free(format);
		ml_err_set(err, ML_ERR_DATA, "%s: not an mlpipe schema (\"format\" is not \"mlpipe.schema\")", path);
		goto out;
	}
	jv_free(format);
	jv fields = jv_object_get(jv_copy(doc), jv_string("fields"));
	if (jv_get_kind(fields) != JV_KIND_OBJECT) {
		jv_free(fields);
		ml_err_set(err, ML_ERR_DATA, "%s: \"fields\" must be an object of field definitions", path);
		goto out;
	}
	int n = jv_object_length(jv_copy(fields));
	g->schema = calloc((size_t)n + 1, sizeof *g->schema);
	rc = 0;
	jv_object_foreach(fields, key, def) {
		jv type = jv_get_kind(def) == JV_KIND_OBJECT
			  ? jv_object_get(jv_copy(def), jv_string("type")) : jv_invalid();
		enum vtype t = jv_get_kind(type) == JV_KIND_STRING
			       ? vtype_by_name(jv_string_value(type)) : VT_AUTO;
		if (rc == 0 && jv_get_kind(type) == JV_KIND_STRING && t == VT_AUTO)
			rc = ml_err_set(err, ML_ERR_DATA,
					"%s: field '%s': unknown type '%s' (integer, number, string, boolean)",
					path, jv_string_value(key), jv_string_value(type));
		if (rc == 0 && t != VT_AUTO) {
			g->schema[g->nschema].name = strdup(jv_string_value(key));
			g->schema[g->nschema++].type = t;
		}
		jv_free(type);
		jv_free(key);
		jv_free(def);
	}
	jv_free(fields);
out:
	jv_free(doc);
	return rc;
}
