/* ml_jq: jq expressions over records, through libjq.
 *
 * An expression is compiled once and run per record.  libjq works on its
 * own values (jv), and turning a whole line into one costs more than the
 * rest of a check: so when the expression reads the record only by field
 * names (.age, ."a b", .a.b) it is given an object of just those fields,
 * decoded from the record index.  The names are found by reading the
 * expression's tokens; when it could see the record in any other way (a
 * bare ".", "..", ".[...]", a function applied to the record, a definition
 * or a binding) it gets the whole record, parsed by libjq.  Either way it
 * computes the same result. */
#ifndef ML_JQ_H
#define ML_JQ_H

#include <stddef.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_rec.h"

struct ml_jq;

/* Compiles expr; NULL with err holding libjq's message ("jq: error: ...")
 * or "out of memory". */
struct ml_jq *ml_jq_compile(const char *expr, struct ml_err *err);
void ml_jq_free(struct ml_jq *q);
/* The expression's text as given. */
const char *ml_jq_text(const struct ml_jq *q);
/* Whether it gets the whole record; else the fields it reads. */
int ml_jq_whole(const struct ml_jq *q);
size_t ml_jq_nfields(const struct ml_jq *q);
const char *ml_jq_field(const struct ml_jq *q, size_t i);

/* Runs the expression on the record r (indexed from line[0..len)) as a
 * test: 1 when it yields at least one value and every value is neither
 * false nor null; 0 when not, with why set to "false", "null", "no value"
 * or "jq error: <message>"; -1 with err when memory is out. */
int ml_jq_test(struct ml_jq *q, const struct ml_rec *r, const char *line, size_t len,
	       struct ml_buf *why, struct ml_err *err);

/* Runs the expression on the record and appends its first value, as
 * compact JSON, to out: 1 when there was one, 0 when it yielded nothing or
 * failed (why set as for ml_jq_test), -1 with err when memory is out. */
int ml_jq_value(struct ml_jq *q, const struct ml_rec *r, const char *line, size_t len,
		struct ml_buf *out, struct ml_buf *why, struct ml_err *err);

/* Reads the field names an expression uses (exposed for the unit test):
 * 0 with the names appended to *names (malloc'd strings, caller frees)
 * when the expression reads the record only by them; 1 when it needs the
 * whole record; -1 when memory is out. */
int ml_jq_fields_of(const char *expr, char ***names, size_t *n);

#endif
