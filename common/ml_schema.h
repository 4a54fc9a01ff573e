/* ml_schema: what records must look like (format "mlpipe.schema", version
 * 1, documented in ml-validate(1)), and the checks that hold records to it.
 *
 * A schema lists fields (type, required, nullable, range, domain, pattern,
 * lengths), dataset constraints (record count, missing share per field,
 * unique fields) and record expectations (jq expressions, ml_jq.h).  The
 * checker (ml_check) runs the per-record rules, counting violations per
 * rule with the first places, and measures the dataset constraints as the
 * records pass. */
#ifndef ML_SCHEMA_H
#define ML_SCHEMA_H

#include <locale.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ml_buf.h"
#include "ml_each.h"
#include "ml_err.h"
#include "ml_jq.h"
#include "ml_rec.h"
#include "ml_sha256.h"

#define ML_SCHEMA_FORMAT "mlpipe.schema"
#define ML_SCHEMA_VERSION 1

enum ml_type {
	ML_TYPE_ANY,		/* no "type": any JSON value */
	ML_TYPE_INTEGER,	/* a number with an integral value */
	ML_TYPE_NUMBER,
	ML_TYPE_STRING,
	ML_TYPE_BOOLEAN,
};

struct ml_field {
	char *name;
	size_t name_len;
	enum ml_type type;
	int required, nullable;
	int has_min, has_max;
	double min, max;
	/* domain: strings sorted by bytes, numbers sorted, or booleans */
	size_t ndomain;
	char **dom_str;
	size_t *dom_len;
	double *dom_num;
	int dom_bool[2];	/* false, true allowed */
	char *dom_json;		/* the domain as JSON, for reports */
	char *pattern_text;
	regex_t pattern;
	int has_pattern;
	int has_min_length, has_max_length;
	uint64_t min_length, max_length;
	int has_max_missing;
	double max_missing;
	int unique;
};

struct ml_schema {
	struct ml_field *fields;
	size_t nfields;
	int has_records_min, has_records_max;
	uint64_t records_min, records_max;
	int extra_fields;	/* fields not listed are allowed */
	struct ml_jq **expectations;
	size_t nexpectations;
	size_t *lookup;		/* open addressing over names: field index + 1 */
	size_t lookup_cap;
	/* C.UTF-8, under which patterns are compiled and run: JSON text is
	 * UTF-8 whatever the user's locale, so '.' and brackets match
	 * characters, not bytes; (locale_t)0 when no field has a pattern */
	locale_t utf8;
	char sha256[ML_SHA256_ID_SIZE];	/* of the document's bytes (ml_schema_load) */
	uint64_t bytes;
};

/* Parses a schema document; NULL with err "PLACE: problem" (PLACE like
 * fields.age.min or expectations[1]). */
struct ml_schema *ml_schema_parse(const char *text, size_t len, struct ml_err *err);
/* Reads and parses the schema file path ("-" for standard input), or the
 * schema.json of a model bundle, with its SHA-256, reading it once (a
 * pipe or FIFO works as a file does); NULL with err "PATH: PLACE: problem". */
struct ml_schema *ml_schema_load(const char *path, struct ml_err *err);
void ml_schema_free(struct ml_schema *s);
/* The field named name[0..n), or -1. */
ssize_t ml_schema_find(const struct ml_schema *s, const char *name, size_t n);
/* "integer", "number", "string", "boolean" or "any". */
const char *ml_type_name(enum ml_type t);

/* --- inferring a schema from a profile ------------------------------------ */

struct ml_profile;

struct ml_infer_opts {
	double margin;		/* ranges widened by margin x (max - min) each side */
	size_t max_domain;	/* strings with at most this many values get a domain */
	char **only;		/* only these columns (NULL: all) */
	size_t nonly;
	const char *optional;	/* this one not required (a model's label) */
	const char *by;		/* who inferred it, for the description */
};

/* Appends a schema that the profiled data satisfies, as an editable JSON
 * document (a line per field): per column its one type (integer when every
 * number was integral), required when present in every record, nullable
 * when null was seen, the range of its numbers and the domain of its
 * strings when they are few and known exactly.  0, or -1 (memory). */
int ml_schema_infer(const struct ml_profile *p, const struct ml_infer_opts *o, struct ml_buf *out);

/* --- checking records ------------------------------------------------------ */

enum ml_rule_kind {
	ML_RULE_MALFORMED,
	ML_RULE_REQUIRED,
	ML_RULE_NULLABLE,
	ML_RULE_TYPE,
	ML_RULE_MIN,
	ML_RULE_MAX,
	ML_RULE_DOMAIN,
	ML_RULE_PATTERN,
	ML_RULE_MIN_LENGTH,
	ML_RULE_MAX_LENGTH,
	ML_RULE_EXTRA_FIELDS,
	ML_RULE_EXPECTATION,
};

#define ML_CHECK_FIRST 10	/* places kept per rule and constraint */

struct ml_check_place {
	size_t file;		/* index into ml_check's file names */
	uint64_t line;
};

/* A rule with its count of violations and the first places. */
struct ml_rule {
	enum ml_rule_kind kind;
	const struct ml_field *field;	/* field rules */
	const struct ml_jq *expectation;
	uint64_t violations;
	size_t nfirst;
	struct ml_check_place first[ML_CHECK_FIRST];
};

/* One broken rule of the record last checked. */
struct ml_violation {
	const struct ml_rule *rule;
	const char *field;	/* for extra_fields: the unlisted field's name */
	const char *value;	/* the field's raw JSON value, NULL when absent */
	size_t value_len;
	size_t field_len;
	char *message;		/* owned by the checker, valid until the next record */
};

enum ml_constraint_kind {
	ML_CONSTRAINT_RECORDS_MIN,
	ML_CONSTRAINT_RECORDS_MAX,
	ML_CONSTRAINT_MAX_MISSING,
	ML_CONSTRAINT_UNIQUE,
};

/* A dataset constraint, measured as records pass; judged by ml_check_end. */
struct ml_constraint {
	enum ml_constraint_kind kind;
	const struct ml_field *field;
	double limit;
	double measured;
	int passed;
	uint64_t count;		/* missing values, or repeated values */
	size_t nfirst;
	struct ml_check_place first[ML_CHECK_FIRST];
	struct ml_seen *seen;	/* unique: the values seen */
};

struct ml_check;

struct ml_check *ml_check_new(const struct ml_schema *s);
void ml_check_free(struct ml_check *c);
/* Checks one record read from line[0..len) at place at: the number of
 * violations (0: valid), read with ml_check_violation; -1 with err (memory). */
ssize_t ml_check_record(struct ml_check *c, const struct ml_rec *r, const char *line,
			size_t len, const struct ml_place *at, struct ml_err *err);
/* Counts a malformed line at place at (one violation, of rule malformed). */
int ml_check_malformed(struct ml_check *c, const struct ml_place *at, const char *why);
const struct ml_violation *ml_check_violation(const struct ml_check *c, size_t i);
/* Judges the dataset constraints after the last record. */
void ml_check_end(struct ml_check *c);

/* Counts: every record (malformed lines included), the invalid ones, the
 * malformed ones. */
uint64_t ml_check_records(const struct ml_check *c);
uint64_t ml_check_invalid(const struct ml_check *c);
uint64_t ml_check_malformed_lines(const struct ml_check *c);
/* The rules in check order (malformed first), then the constraints. */
size_t ml_check_nrules(const struct ml_check *c);
const struct ml_rule *ml_check_rule(const struct ml_check *c, size_t i);
size_t ml_check_nconstraints(const struct ml_check *c);
const struct ml_constraint *ml_check_constraint(const struct ml_check *c, size_t i);
/* The file name of a place. */
const char *ml_check_file(const struct ml_check *c, size_t file);
/* The rule's name as reports give it: "max", "expectation", ... */
const char *ml_rule_name(enum ml_rule_kind k);
const char *ml_constraint_name(enum ml_constraint_kind k);

#endif
