/* Fuzzes ml-ingest's readers: built twice, with a different front.
 *
 *   FUZZ_INGEST_CSV      delimited text through libcsv (csv.c, row.c,
 *                        typing.c, emit.c).  The first byte picks the
 *                        options (format csv/tsv/auto, delimiter,
 *                        --no-header, --reject, --string, --fields,
 *                        --rename, --add-source, a forced column type);
 *                        the rest is the file.
 *   FUZZ_INGEST_ARCHIVE  the whole input is the file: compressed streams
 *                        and archives through libarchive (source.c), then
 *                        whatever format detect.c sees in them.
 *
 * The file is given to ingest_file as /proc/self/fd/N of a memfd, exactly
 * as a path from the command line; records and rejects go to /dev/null.
 * ml-ingest's own code is compiled into the harness (every cmd/ml-ingest/
 * file but main.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ingest.h"
#include "ml_runlog.h"

static struct fuzz_file file;
static struct ml_out *out, *reject;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ml_err err;

	(void)argc, (void)argv;
	fuzz_stdout_null();
	fuzz_file_init(&file, "fuzz-ingest");
	if (!(out = ml_out_open("-", &err)) || !(reject = ml_out_open("-", &err)))
		abort();
	ml_out_no_hash(out);
	ml_out_no_hash(reject);
	return 0;
}

static void push(struct strlist *l, const char *s)
{
	l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = strdup(s);
}

static void free_list(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest g;
	struct ml_err err;
	static const char *const nulls[] = {"NA", "N/A", "null", "NULL"};
#ifdef FUZZ_INGEST_CSV
	struct rename rn = {0};
	struct typed_field tf = {0};
#endif

#ifdef FUZZ_INGEST_CSV
	if (size < 1)
		return 0;
#endif
	memset(&g, 0, sizeof g);
	for (size_t i = 0; i < 4; i++)
		null_tokens_add(&g.nulls, nulls[i], strlen(nulls[i]));
	g.out = out;
#ifdef FUZZ_INGEST_CSV
	unsigned opt = data[0];
	data++, size--;
	static const enum format formats[] = {FMT_CSV, FMT_TSV, FMT_AUTO, FMT_CSV};
	static const int delims[] = {0, ';', '|', '\t'};
	g.format = formats[opt & 3];
	if (g.format != FMT_TSV)
		g.delimiter = delims[(opt >> 2) & 3];
	g.no_header = (opt >> 4) & 1;
	if ((opt >> 5) & 1)
		g.reject = reject;
	switch (opt >> 6) {
	case 1:
		push(&g.strings, "a");
		push(&g.strings, "c2");
		break;
	case 2:
		push(&g.fields, "b");
		push(&g.fields, "a");
		push(&g.fields, "c1");
		rn.from = "a";
		rn.to = "A";
		g.renames = &rn;
		g.nrenames = 1;
		g.add_source = "src";
		break;
	case 3:
		tf.name = "a";
		tf.type = (enum vtype)(1 + (opt & 3));
		g.schema = &tf;
		g.nschema = 1;
		break;
	}
#else
	/* archives: --member sometimes, else every member */
	g.reject = size && (data[size - 1] & 1) ? reject : NULL;
#endif
	g.keyed_plain = !g.fields.n && !g.nrenames && !g.add_source;
	fuzz_file_set(&file, data, size);
	/* a run per input, logging nothing (its list of inputs would grow) */
	struct ml_run_opts ro = {.disabled = 1};
	struct ml_run *run = ml_run_begin("ml-ingest", 0, NULL, &ro, &err);
	if (!run)
		FUZZ_FAIL("ml_run_begin: %s", err.msg);
	(void)ingest_file(&g, file.path, run, &err);
	ml_run_end(run, 0, &err);

	free_list(&g.strings);
	free_list(&g.fields);
	null_tokens_free(&g.nulls);
	ml_recw_free(&g.w);
	ml_buf_free(&g.scratch);
	ml_buf_free(&g.source_json);
	return 0;
}
