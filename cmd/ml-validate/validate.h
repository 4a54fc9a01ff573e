/* ml-validate's parts: the reject stream, the report and the summary
 * (report.c), and schema inference (infer.c). */
#ifndef VALIDATE_H
#define VALIDATE_H

#include "ml_buf.h"
#include "ml_cli.h"
#include "ml_each.h"
#include "ml_out.h"
#include "ml_schema.h"

/* Writes one reject line for the record just checked (its violations in c). */
int reject_record(struct ml_out *o, const struct ml_check *c, size_t nviolations,
		  const struct ml_place *at, const char *line, size_t len);
/* Writes one reject line for a malformed line. */
int reject_malformed(struct ml_out *o, const struct ml_place *at, const char *why,
		     const char *line, size_t len);

/* Frees what the reject writers keep between lines. */
void reject_free(void);

/* The verdict after the last record. */
struct verdict {
	double max_invalid;
	double invalid_share;
	int passed;
	int several_inputs;	/* places are named FILE:LINE */
};

/* Appends the report (format mlpipe.validation) to b. */
int report_ndjson(struct ml_buf *b, const struct ml_schema *s, const struct ml_check *c,
		  const struct verdict *v);
/* Prints the readable summary to stderr. */
void report_summary(const struct ml_check *c, const struct verdict *v);

/* Writes a schema inferred from the inputs (records or profiles); 0, -1
 * with err, or 1 when inputs could not be read (each named on stderr, the
 * others read, nothing written). */
int infer_schema(struct ml_cli *cli, char *const *paths, size_t n, const struct ml_infer_opts *o,
		 struct ml_out *out, struct ml_err *err);

#endif
