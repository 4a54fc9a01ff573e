/* Fuzzes the schema parser (ml_schema_parse) and the checker it feeds.
 *
 * The input is a schema document, then optionally a NUL byte and NDJSON
 * records: a schema that parses is handed to ml_check, which checks every
 * record line that ml_rec_parse accepts (the others are counted as
 * malformed), then judges the dataset constraints.  ml_schema_load, the
 * path reader, is run on the same document through a memfd now and then. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ml_err.h"
#include "ml_rec.h"
#include "ml_schema.h"

static struct fuzz_file file;
static struct ml_rec *rec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_file_init(&file, "fuzz-schema");
	if (!(rec = ml_rec_new()))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t doclen = nul ? (size_t)(nul - data) : size;
	char *doc = malloc(doclen ? doclen : 1);
	struct ml_err err;

	memcpy(doc, data, doclen);
	struct ml_schema *s = ml_schema_parse(doc, doclen, &err);
	if (!s) {
		FUZZ_CHECK(err.msg[0], "ml_schema_parse failed with no message");
		free(doc);
		return 0;
	}
	/* the file reader agrees with the text parser */
	if (doclen % 8 == 0) {
		fuzz_file_set(&file, doc, doclen);
		struct ml_schema *s2 = ml_schema_load(file.path, &err);
		FUZZ_CHECK(s2, "ml_schema_parse accepts, ml_schema_load refuses: %s", err.msg);
		FUZZ_CHECK(s2->nfields == s->nfields, "ml_schema_load reads %zu fields, parse %zu",
			   s2->nfields, s->nfields);
		ml_schema_free(s2);
	}
	for (size_t i = 0; i < s->nfields; i++)
		FUZZ_CHECK(ml_schema_find(s, s->fields[i].name, s->fields[i].name_len) >= 0,
			   "field %zu is not found by its name", i);

	struct ml_check *c = ml_check_new(s);
	if (!c)
		abort();
	if (nul) {
		const char *p = (const char *)nul + 1, *end = (const char *)data + size;
		struct ml_place at = {.file = "fuzz", .line = 0};
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			char *line = malloc(len ? len : 1);
			memcpy(line, p, len);
			at.line++;
			if (ml_rec_parse(rec, line, len, &err) == 0) {
				ssize_t nv = ml_check_record(c, rec, line, len, &at, &err);
				FUZZ_CHECK(nv >= 0, "ml_check_record failed: %s", err.msg);
				for (ssize_t v = 0; v < nv; v++) {
					const struct ml_violation *vi = ml_check_violation(c, (size_t)v);
					FUZZ_CHECK(vi && vi->rule, "violation %zd has no rule", v);
					if (vi->message)
						(void)strlen(vi->message);
				}
			} else {
				ml_check_malformed(c, &at, err.msg);
			}
			free(line);
			p += len + 1;
		}
	}
	ml_check_end(c);
	for (size_t i = 0; i < ml_check_nrules(c); i++)
		(void)ml_rule_name(ml_check_rule(c, i)->kind);
	for (size_t i = 0; i < ml_check_nconstraints(c); i++)
		(void)ml_constraint_name(ml_check_constraint(c, i)->kind);
	ml_check_free(c);
	ml_schema_free(s);
	free(doc);
	return 0;
}
