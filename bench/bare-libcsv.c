/* bare-libcsv: the floor for CSV parsing, the same file through libcsv with
 * the options ml-ingest uses and callbacks that only count.
 *
 *   bare-libcsv FILE    prints "ROWS rows FIELDS fields"
 *
 * Reads 64 KiB at a time; no line splitting, typing or output.  ml-ingest's
 * time over this one is what records cost beyond parsing. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct counts {
	unsigned long long fields, rows;
};

/* ml-ingest keeps spaces as part of fields (RFC 4180), so does this. */
static int no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static void on_field(void *data, size_t n, void *ctx)
{
	(void)data;
	(void)n;
	((struct counts *)ctx)->fields++;
}

static void on_row(int c, void *ctx)
{
	(void)c;
	((struct counts *)ctx)->rows++;
}

int main(int argc, char **argv)
{
	static char buf[64 * 1024];
	struct counts n = {0, 0};
	struct csv_parser p;
	FILE *f;
	size_t got;

	if (argc != 2) {
		fprintf(stderr, "usage: bare-libcsv FILE\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "bare-libcsv: cannot open '%s': %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0) {
		fprintf(stderr, "bare-libcsv: csv_init failed\n");
		return 2;
	}
	csv_set_space_func(&p, no_space);
	while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
		if (csv_parse(&p, buf, got, on_field, on_row, &n) != got) {
			fprintf(stderr, "bare-libcsv: '%s': %s\n", argv[1], csv_strerror(csv_error(&p)));
			return 2;
		}
	}
	if (ferror(f)) {
		fprintf(stderr, "bare-libcsv: cannot read '%s': %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (csv_fini(&p, on_field, on_row, &n) != 0) {
		fprintf(stderr, "bare-libcsv: '%s': %s\n", argv[1], csv_strerror(csv_error(&p)));
		return 2;
	}
	csv_free(&p);
	fclose(f);
	printf("%llu rows %llu fields\n", n.rows, n.fields);
	return 0;
}
