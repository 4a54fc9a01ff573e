/* ml_rec: the NDJSON record reader and writer, the toolkit's hot path.
 *
 * ml_rec_parse scans a line once, checks that it is one strict JSON object
 * and indexes its top-level fields as spans into the caller's line: nothing
 * is copied and nothing is allocated once the index has grown to the widest
 * record.  Values are decoded only when asked for.  A key that occurs twice
 * is found at its last occurrence, as jq does. */
#ifndef ML_REC_H
#define ML_REC_H

#include <stddef.h>
#include <sys/types.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_json.h"

struct ml_rec;
struct ml_out;

/* A new empty record index; NULL when memory is out. */
struct ml_rec *ml_rec_new(void);
/* Frees the index (not the line it points into). */
void ml_rec_free(struct ml_rec *r);
/* Indexes line[0..len) (no newline) as one JSON object.  On malformed text
 * returns -1 with err reading "malformed JSON: <why> (column N)". */
int ml_rec_parse(struct ml_rec *r, const char *line, size_t len, struct ml_err *err);

/* Number of top-level fields, duplicates included. */
size_t ml_rec_count(const struct ml_rec *r);
/* Index of the field named key (its last occurrence), or -1. */
ssize_t ml_rec_find(const struct ml_rec *r, const char *key, size_t keylen);
/* Whether a key occurs more than once, spelled alike or not ("a" and
 * "\u0061"): 1 or 0, or -1 when memory is out.  A writer that must give
 * each key once keeps the field ml_rec_find finds, its last occurrence. */
int ml_rec_has_duplicates(struct ml_rec *r);
/* Type of field i. */
enum ml_json_type ml_rec_type(const struct ml_rec *r, size_t i);
/* Raw bytes of field i's key, between its quotes (escapes not decoded);
 * *escaped tells whether it has escapes. */
const char *ml_rec_key_raw(const struct ml_rec *r, size_t i, size_t *len, int *escaped);
/* Raw bytes of field i's value exactly as in the line (strings with quotes). */
const char *ml_rec_value_raw(const struct ml_rec *r, size_t i, size_t *len);
/* Appends field i's decoded key to out; 0 or -1 (memory). */
int ml_rec_key(const struct ml_rec *r, size_t i, struct ml_buf *out);
/* Field i's key, decoded: its bytes in the line when it has no escapes
 * (most keys have none), else decoded into scratch (reset first); NULL when
 * memory is out.  The text is not NUL-terminated. */
const char *ml_rec_key_text(const struct ml_rec *r, size_t i, size_t *len, struct ml_buf *scratch);
/* Decodes field i as a double (strtod, correctly rounded; 1e400 is inf);
 * -1 when it is not a number. */
int ml_rec_number(const struct ml_rec *r, size_t i, double *out);
/* Appends field i's decoded string to out; -1 when not a string (or memory). */
int ml_rec_string(const struct ml_rec *r, size_t i, struct ml_buf *out);
/* Appends field i's value as canonical JSON text, so that equal values give
 * equal texts (a class label, a group): a string quoted from its decoded
 * text, a number as its shortest double, anything else as written; tmp is
 * scratch.  0, or -1 when memory is out. */
int ml_rec_value_json(const struct ml_rec *r, size_t i, struct ml_buf *out, struct ml_buf *tmp);
/* The bytes of the line from its start up to (not including) the closing
 * brace, and whether the object has at least one field, for writers that
 * append fields while keeping the original bytes. */
const char *ml_rec_body(const struct ml_rec *r, size_t *len);

/* Writes the record with one field set to the raw JSON value val: replaced
 * in place when present (its last occurrence; earlier occurrences of the
 * key are left out, so that it is written once), appended otherwise.
 * Every other byte is copied as it was.  Ends the line with '\n'; returns
 * 0 or -1 (see ml_out). */
int ml_rec_write_with(struct ml_out *out, const struct ml_rec *r,
		      const char *key, size_t keylen, const char *val, size_t vallen);

/* ml_recw: builds an output record field by field. */
struct ml_recw {
	struct ml_buf line;
	size_t nfields;
};

/* Starts a new record. */
void ml_recw_begin(struct ml_recw *w);
/* Adds a field whose key is plain UTF-8 and whose value is raw JSON. */
int ml_recw_add(struct ml_recw *w, const char *key, size_t keylen,
		const char *val, size_t vallen);
/* Adds field i of r as its original key and value bytes. */
int ml_recw_copy(struct ml_recw *w, const struct ml_rec *r, size_t i);
/* Adds a field with a string value (plain UTF-8, quoted here). */
int ml_recw_add_string(struct ml_recw *w, const char *key, size_t keylen,
		       const char *s, size_t n);
/* Closes the record and writes it with its newline to out. */
int ml_recw_end(struct ml_recw *w, struct ml_out *out);
/* Frees the writer's buffer. */
void ml_recw_free(struct ml_recw *w);

#endif
