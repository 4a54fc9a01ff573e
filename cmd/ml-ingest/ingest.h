/* ml-ingest's parts: sources (files, compressed streams, archive members),
 * format readers, value typing, and the emitter that applies --fields,
 * --rename and --add-source and writes records or rejects. */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_in.h"
#include "ml_out.h"
#include "ml_rec.h"
#include "ml_cli.h"
#include "ml_runlog.h"

enum format { FMT_AUTO, FMT_CSV, FMT_TSV, FMT_NDJSON, FMT_JSON, FMT_LIBSVM };

/* A type forced on a field by --string or --schema. */
enum vtype { VT_AUTO, VT_STRING, VT_INTEGER, VT_NUMBER, VT_BOOLEAN };

struct strlist {
	char **v;
	size_t n;
};

struct rename {
	char *from, *to;
};

/* The tokens read as null, with what makes checking them cheap per value. */
struct null_tokens {
	size_t n;
	char **v;
	size_t *len;
	unsigned char first[256];	/* 1 for a byte some token starts with */
};

struct typed_field {
	char *name;
	enum vtype type;
};

struct ingest;

/* One readable stream: a plain file, a decompressed file or an archive
 * member, with a little look-ahead for format detection. */
struct stream {
	ml_read_fn read;
	void *ctx;
	char peek[4096];
	size_t peek_len, peek_pos;
	const char *name;	/* for format detection by name; may be NULL */
	struct ingest *counted;	/* counts what is read for --max-bytes; NULL for
				 * compressed bytes on their way to be decompressed */
};

struct ingest {
	/* options */
	enum format format;
	int delimiter;		/* 0: by format or detection */
	int no_header;
	struct strlist members, fields, strings;
	struct null_tokens nulls;
	struct rename *renames;
	size_t nrenames;
	struct typed_field *schema;
	size_t nschema;
	const char *add_source;
	int keyed_plain;	/* no --fields, --rename, --add-source */
	uint64_t max_bytes;	/* --max-bytes: bytes of text one input may give; 0: any */
	const char *max_bytes_text;	/* as given, for the message */

	/* outputs */
	struct ml_out *out, *reject;
	struct ml_recw w;
	struct ml_buf scratch, source_json;

	/* where we are, for messages and --reject */
	const char *file;	/* name for messages */
	const char *path;	/* as given ("-" for stdin) */
	const char *member;	/* archive member, or NULL */
	char place[4096];	/* "FILE" or "FILE(MEMBER)" */

	/* counts */
	uint64_t read, written, rejected;
	uint64_t bytes_in;	/* of the current input, after decompression */
	struct ml_cli *cli;	/* for progress */
};

/* Progress on stderr, when asked for or on a terminal (see ml_cli.h). */
static inline void ingest_progress(struct ingest *g)
{
	if (g->cli)
		ml_cli_progress(g->cli, g->read);
}

/* typing.c */
/* The reason type_value gives when memory is out: not the value's fault, so
 * an error, never a rejected row (compare the pointer). */
extern const char type_no_memory[];
/* Appends the JSON for one text value of the given type; NULL, or the
 * reason the value cannot be read (invalid UTF-8, type mismatch), or
 * type_no_memory. */
const char *type_value(struct ml_buf *out, const char *s, size_t n, int is_null,
		       enum vtype t, const struct null_tokens *nulls);
/* Adds a null token. */
void null_tokens_add(struct null_tokens *nt, const char *s, size_t n);
void null_tokens_free(struct null_tokens *nt);
/* The forced type of an output field name. */
enum vtype forced_type(const struct ingest *g, const char *name, size_t n);
/* Loads --schema FILE into g->schema; 0, or -1 with err naming the problem. */
int schema_load(struct ingest *g, const char *path, struct ml_err *err);

/* emit.c */
/* Sets g->place and the --add-source value for the current file/member. */
void emit_set_place(struct ingest *g);
/* Writes a keyed record (NDJSON, JSON array element, libsvm line) of
 * line[0..len): as it is, or rebuilt through --fields/--rename/--add-source
 * or to write a key it has twice once; a record these options would give a
 * field name twice is rejected as the row raw that starts on line number.
 * 0 or -1 with err. */
int emit_keyed(struct ingest *g, struct ml_rec *r, const char *line, size_t len,
	       uint64_t number, const char *raw, size_t rawlen, struct ml_err *err);
/* Sends a row that cannot be read to --reject, or fails with
 * "PLACE:LINE: reason" when there is no --reject; 0 or -1. */
int emit_reject(struct ingest *g, uint64_t line, const char *reason,
		const char *raw, size_t rawlen, struct ml_err *err);
/* The name a field gets after --rename. */
const char *renamed(const struct ingest *g, const char *name, size_t n, size_t *outlen);
/* An output write failed: fills err from the stream. */
int emit_write_error(struct ml_out *o, struct ml_err *err);

/* stream reading with look-ahead */
ssize_t stream_read(void *ctx, void *buf, size_t n, struct ml_err *err);
/* Fills the look-ahead; 0 or -1. */
int stream_peek(struct stream *s, struct ml_err *err);
/* Whether the look-ahead has lines ended by bare CRs, as text from old Macs
 * has: CRs and no LF at all.  Such text is read through stream_read_cr,
 * which makes every CR a LF: in any format, since a CR can be data only in
 * a quoted CSV field (JSON strings cannot hold a raw CR). */
int stream_cr_lines(const struct stream *s);
ssize_t stream_read_cr(void *ctx, void *buf, size_t n, struct ml_err *err);

/* detect.c */
/* The format of a stream from its name, else its first bytes. */
enum format detect_format(const char *name, const char *peek, size_t n, int *delimiter);
/* The format a file name says (data.csv.gz: csv), or FMT_AUTO. */
enum format detect_by_name(const char *name);
/* Parses a --format name; FMT_AUTO when unknown. */
enum format format_by_name(const char *s);

/* readers: each reads a whole stream; 0 or -1 with err */
int read_delimited(struct ingest *g, struct stream *s, int delimiter, struct ml_err *err);
int read_tsv(struct ingest *g, struct stream *s, struct ml_err *err);
int read_ndjson(struct ingest *g, struct stream *s, struct ml_err *err);
int read_json_array(struct ingest *g, struct stream *s, struct ml_err *err);
int read_libsvm(struct ingest *g, struct stream *s, struct ml_err *err);

/* header.c: the column plan of delimited text */
struct plan {
	size_t ncols;
	char **names;		/* header names, after de-duplication */
	ssize_t *slot;		/* output position of each column, or -1 */
	size_t nout;
	size_t *out_col;	/* column of each output position */
	struct ml_buf *keys;	/* per output position: "\"key\":" */
	enum vtype *types;	/* per column */
	size_t keys_len;	/* all keys together, for reserving a row's room */
};

/* Builds the plan from a header row on the given line (or c1..cN); 0 or -1
 * with err. */
int plan_build(struct ingest *g, struct plan *p, char **names, const size_t *lens, size_t n,
	       uint64_t line, struct ml_err *err);
void plan_free(struct plan *p);

/* source.c: files, compressed files and archives */
/* Reads one input file (or - ) through every format reader; 0, -1 with err,
 * or 1 with err when none of it could be read (not opened, or the first
 * read failed): nothing of it was used or logged, and the caller may go on
 * with the next file. */
int ingest_file(struct ingest *g, const char *path, struct ml_run *run, struct ml_err *err);

#endif

/* row.c: assembling the rows of delimited text */
struct row {
	struct plan plan;
	int planned;		/* the header is read (or made up) */
	int direct;		/* output order = column order: type straight into line */
	struct ml_buf vals;	/* typed JSON values, back to back */
	size_t *off, *len;	/* per column, into vals */
	size_t n, cap;		/* fields seen in this row */
	const char *bad;	/* first reason this row cannot be used */
	char **first;		/* raw fields of the first row, until planned */
	size_t *firstlen;	/* and their lengths (a field may hold a NUL) */
	size_t nfirst, capfirst;
	struct ml_buf line;	/* the output record */
};

/* A field of the current row (is_null: an unquoted empty CSV field). */
int row_field(struct ingest *g, struct row *r, const char *s, size_t n, int is_null);
/* All the fields of a row that is one line without quotes, split at delim
 * (what libcsv would make of it), typed straight into the output; 1 when
 * done, 0 when the row must go field by field (no plan yet, or --fields). */
int row_plain_line(struct ingest *g, struct row *r, const char *line, size_t len, int delim);
/* The end of a row starting at line: emits, rejects or fails; 0 or -1. */
int row_end(struct ingest *g, struct row *r, uint64_t line, const char *raw,
	    size_t rawlen, struct ml_err *err);
/* Forgets the current row (after a parse error). */
void row_discard(struct row *r);
/* Frees everything; the row can then be reused for another stream. */
void row_free(struct row *r);
