/* gen-train: deterministic training and test data for bench/train.sh.
 *
 *   gen-train ROWS TEST_ROWS SEED DIR
 *
 * Writes into DIR (which must exist):
 *   train.ndjson, test.ndjson   ROWS and TEST_ROWS records of 11 fields: six
 *       numbers (age, income, balance, score, tenure, rate), three strings
 *       (plan: 5 values, region: 12, channel: 60 with Zipf-like counts, so
 *       that --max-categories 20 folds 40 of them into "other"), a boolean
 *       (promo) and the binary target churn (0 or 1).  About 2% of each
 *       feature is null.
 *   train-lr.svm, test-lr.svm   the same rows as libsvm files, encoded as
 *       ml-train encodes them for logistic regression: numbers and booleans
 *       standardised with the population mean and standard deviation of the
 *       training rows (computed on the values as 32-bit floats, as ml-train
 *       does), a missing one left out (0, the mean); strings one-hot over
 *       their 20 most frequent training values (count descending, then
 *       bytewise) plus an "other" column, a missing one left out.  Columns in
 *       ml-train's order (the fields' first-seen order); zeros left out, as
 *       ml-train leaves them out of liblinear's rows.  No bias column: give
 *       liblinear -B 1, as ml-train does.
 *   train-gb.svm, test-gb.svm   the same for gbdt: numbers and booleans
 *       as they are (zeros written, since 0 is a value), missing ones left
 *       out (XGBoost's missing); one-hot columns as above, only their 1
 *       written (XGBoost reads a left-out one-hot 0 as missing: the same
 *       splits, the natural sparse input).
 *   encoding.json               the encoding above in the shape of the
 *       bundle's preprocess.json ({"standardize","columns","features"}),
 *       plus "nnz_lr" (entries of train-lr.svm) and "missing" (training
 *       cells of numbers and booleans that are null: NaN in ml-train's gbdt
 *       matrix), for bench/train.sh to check against the bundle and to
 *       size the backends' copies.
 *
 * The target: a latent score of the true (pre-null) values — linear terms,
 * a threshold on rate, a square of score, an age x score interaction,
 * per-category effects and a promo x plan interaction — plus normal noise,
 * thresholded at 0 (about a third of the rows are 1).  No libm function is
 * used on the data (normals are sums of 12 uniforms; sqrt is exact IEEE),
 * so the same ROWS, TEST_ROWS and SEED give the same bytes everywhere. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

/* splitmix64, as gen-data */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

/* uniform in [0, 1) with 53 bits */
static double unif(void)
{
	return (double)(rnd() >> 11) * 0x1.0p-53;
}

/* approximately standard normal: Irwin-Hall of 12 uniforms */
static double normal(void)
{
	double s = 0;

	for (int i = 0; i < 12; i++)
		s += unif();
	return s - 6;
}

/* missing about one time in 50 */
static int missing(void)
{
	return below(50) == 0;
}

#define NNUM 6
#define NCAT 3
#define NPLAN 5
#define NREGION 12
#define NCHANNEL 60
#define MAXCAT 20

static const char *const num_name[NNUM] = {"age", "income", "balance", "score", "tenure", "rate"};
/* digits after the point of each number (0: an integer) */
static const int num_places[NNUM] = {0, 2, 2, 4, 0, 3};
static const char *const cat_name[NCAT] = {"plan", "region", "channel"};
static const char *const plans[NPLAN] = {"basic", "standard", "plus", "premium", "enterprise"};
static const char *const regions[NREGION] = {
	"north", "south", "east", "west", "central", "coast",
	"mountain", "plains", "lakes", "islands", "metro", "rural",
};
static char channels[NCHANNEL][16];
static const int ncat_values[NCAT] = {NPLAN, NREGION, NCHANNEL};
/* cumulative weights of the values, out of 1 << 20 */
static uint32_t cat_cum[NCAT][NCHANNEL];

static const char *cat_value(int c, int k)
{
	return c == 0 ? plans[k] : c == 1 ? regions[k] : channels[k];
}

/* One record: the scaled integers of the numbers, category codes, promo,
 * the target, and which fields are null. */
struct row {
	int64_t num[NNUM];
	uint8_t cat[NCAT];
	uint8_t promo, churn;
	uint16_t null;		/* bit f: field f is null (0..5 numbers, 6..8 strings, 9 promo) */
};

static const int64_t pow10_[] = {1, 10, 100, 1000, 10000};

static double num_value(const struct row *r, int f)
{
	return (double)r->num[f] / (double)pow10_[num_places[f]];
}

static void setup(void)
{
	static const double plan_w[NPLAN] = {0.40, 0.25, 0.15, 0.12, 0.08};
	double w[NCHANNEL], tot;

	for (int k = 0; k < NCHANNEL; k++)
		snprintf(channels[k], sizeof channels[k], "source-%02d", k);
	/* plan: skewed; region: a gentle slope; channel: Zipf-like (w ~ 1/(k+3)) */
	for (int c = 0; c < NCAT; c++) {
		int n = ncat_values[c];
		tot = 0;
		for (int k = 0; k < n; k++) {
			w[k] = c == 0 ? plan_w[k] : c == 1 ? 1.0 + 0.05 * (n - k) : 1.0 / (k + 3);
			tot += w[k];
		}
		double acc = 0;
		for (int k = 0; k < n; k++) {
			acc += w[k];
			cat_cum[c][k] = k == n - 1 ? 1u << 20 : (uint32_t)(acc / tot * (1 << 20));
		}
	}
}

static int draw_cat(int c)
{
	uint32_t u = (uint32_t)below(1u << 20);
	int k = 0;

	while (k < ncat_values[c] - 1 && u >= cat_cum[c][k])
		k++;
	return k;
}

static void make_row(struct row *r)
{
	/* the true values */
	r->num[0] = 18 + (int64_t)below(73);				/* age 18..90 */
	double u = unif(), v = unif();
	r->num[1] = 1500000 + (int64_t)(u * v * 25000000.0) + (int64_t)below(100);	/* income, skewed */
	r->num[2] = (int64_t)(normal() * 2500000.0) + 1000000;		/* balance, 2 places */
	r->num[3] = (int64_t)below(19999) - 9999;			/* score in (-1, 1) */
	r->num[4] = (int64_t)below(241);				/* tenure, months */
	r->num[5] = (int64_t)below(1001);				/* rate in [0, 1] */
	for (int c = 0; c < NCAT; c++)
		r->cat[c] = (uint8_t)draw_cat(c);
	r->promo = below(10) < 3;

	double age = (num_value(r, 0) - 54) / 21, inc = num_value(r, 1) / 100000;
	double bal = num_value(r, 2) / 25000, sc = num_value(r, 3);
	double ten = num_value(r, 4) / 120, rate = num_value(r, 5);
	static const double plan_eff[NPLAN] = {0.0, 0.3, -0.2, -0.5, 0.4};
	double region_eff = ((r->cat[1] * 7) % 12 - 5.5) / 8;
	double chan_eff = ((r->cat[2] * 37) % 19 - 9.0) / 9;
	double z = -0.5 + 0.8 * age - 0.6 * inc + 0.3 * bal + 1.3 * sc - 0.5 * ten
		 + (rate > 0.8 ? 1.2 : 0.0) - 1.0 * sc * sc + 0.9 * age * sc
		 + plan_eff[r->cat[0]] + region_eff + chan_eff
		 + (r->promo ? (r->cat[0] == 4 ? -1.0 : 0.7) : 0.0);
	r->churn = z + 1.2 * normal() > 0;

	/* then what is not seen */
	r->null = 0;
	for (int f = 0; f < 10; f++)
		if (missing())
			r->null |= (uint16_t)(1u << f);
}

/* the encoding: per number its mean and std; per string its top values */
struct enc {
	double mean[NNUM + 1], std[NNUM + 1];	/* + promo */
	int top[NCAT][NCHANNEL];		/* code -> one-hot slot (nvals[c] = other) */
	int topk[NCAT][MAXCAT];			/* slot -> code */
	int nvals[NCAT];
	int col[11];				/* first column of each feature, 0-based */
	int ncols;
};

static const struct row *sort_rows;
static uint64_t sort_count[NCHANNEL];
static int sort_c;

static int cmp_top(const void *a, const void *b)
{
	int i = *(const int *)a, j = *(const int *)b;

	if (sort_count[i] != sort_count[j])
		return sort_count[i] > sort_count[j] ? -1 : 1;
	return strcmp(cat_value(sort_c, i), cat_value(sort_c, j));
}

/* Welford over the values as floats, as ml-train's moments() */
static void moments(const struct row *rows, size_t n, int f, double *mean, double *std)
{
	double m = 0, m2 = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		int fi = f < NNUM ? f : 9;
		if (r->null & (1u << fi))
			continue;
		float x = f < NNUM ? (float)num_value(r, f) : (float)r->promo;
		double dx = x - m;
		m += dx / (double)++k;
		m2 += dx * (x - m);
	}
	*mean = k ? m : 0;
	*std = k ? sqrt(m2 / (double)k) : 0;
}

static void make_encoding(struct enc *e, const struct row *rows, size_t n)
{
	int col = 0;

	for (int f = 0; f <= NNUM; f++)
		moments(rows, n, f, &e->mean[f], &e->std[f]);
	sort_rows = rows;
	for (int c = 0; c < NCAT; c++) {
		int order[NCHANNEL], nv = ncat_values[c], seen = 0;
		memset(sort_count, 0, sizeof sort_count);
		for (size_t i = 0; i < n; i++)
			if (!(rows[i].null & (1u << (6 + c))))
				sort_count[rows[i].cat[c]]++;
		for (int k = 0; k < nv; k++)
			if (sort_count[k])
				order[seen++] = k;
		sort_c = c;
		qsort(order, (size_t)seen, sizeof *order, cmp_top);
		e->nvals[c] = seen < MAXCAT ? seen : MAXCAT;
		for (int k = 0; k < nv; k++)
			e->top[c][k] = e->nvals[c];
		for (int s = 0; s < e->nvals[c]; s++) {
			e->top[c][order[s]] = s;
			e->topk[c][s] = order[s];
		}
	}
	/* columns in the records' field order: six numbers, three strings, promo */
	for (int f = 0; f < NNUM; f++)
		e->col[f] = col++;
	for (int c = 0; c < NCAT; c++) {
		e->col[NNUM + c] = col;
		col += e->nvals[c] + 1;
	}
	e->col[9] = col++;
	e->ncols = col;
}

static char obuf[4][1 << 16];

static FILE *open_out(const char *dir, const char *name, int slot)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (!(f = fopen(path, "w"))) {
		perror(path);
		exit(1);
	}
	setvbuf(f, obuf[slot], _IOFBF, sizeof obuf[slot]);
	return f;
}

static void close_out(FILE *f, const char *name)
{
	if (fflush(f) != 0 || ferror(f) || fclose(f) != 0) {
		perror(name);
		exit(1);
	}
}

static char *put_num(char *p, int64_t scaled, int places)
{
	if (!places)
		return p + sprintf(p, "%lld", (long long)scaled);
	int64_t q = scaled / pow10_[places], r = scaled % pow10_[places];
	const char *sign = "";
	if (scaled < 0) {
		sign = "-";
		q = -q;
		r = -r;
	}
	return p + sprintf(p, "%s%lld.%0*lld", sign, (long long)q, places, (long long)r);
}

static void write_ndjson(FILE *f, const struct row *r)
{
	char line[512], *p = line;

	*p++ = '{';
	for (int k = 0; k < NNUM; k++) {
		p += sprintf(p, "%s\"%s\":", k ? "," : "", num_name[k]);
		if (r->null & (1u << k))
			p += sprintf(p, "null");
		else
			p = put_num(p, r->num[k], num_places[k]);
	}
	for (int c = 0; c < NCAT; c++) {
		p += sprintf(p, ",\"%s\":", cat_name[c]);
		if (r->null & (1u << (6 + c)))
			p += sprintf(p, "null");
		else
			p += sprintf(p, "\"%s\"", cat_value(c, r->cat[c]));
	}
	p += sprintf(p, ",\"promo\":%s", r->null & (1u << 9) ? "null" : r->promo ? "true" : "false");
	p += sprintf(p, ",\"churn\":%d}\n", r->churn);
	fwrite(line, 1, (size_t)(p - line), f);
}

/* one libsvm line; lr: standardised as ml-train's logistic; returns the
 * entries written */
static size_t write_svm(FILE *f, const struct row *r, const struct enc *e, int lr)
{
	char line[1024], *p = line;
	size_t nnz = 0;

	p += sprintf(p, "%d", r->churn);
	for (int k = 0; k <= NNUM; k++) {
		int fi = k < NNUM ? k : 9;
		int col = e->col[fi] + 1;
		if (k == NNUM) {
			/* promo comes after the strings: write them first */
			for (int c = 0; c < NCAT; c++) {
				if (r->null & (1u << (6 + c)))
					continue;
				p += sprintf(p, " %d:1", e->col[NNUM + c] + 1 + e->top[c][r->cat[c]]);
				nnz++;
			}
		}
		if (r->null & (1u << fi))
			continue;
		float x = k < NNUM ? (float)num_value(r, k) : (float)r->promo;
		if (lr) {
			float z = e->std[k] > 0 ? (float)((x - e->mean[k]) / e->std[k]) : 0.0f;
			if (z == 0)
				continue;
			p += sprintf(p, " %d:%.9g", col, (double)z);
		} else {
			p += sprintf(p, " %d:%.9g", col, (double)x);
		}
		nnz++;
	}
	*p++ = '\n';
	fwrite(line, 1, (size_t)(p - line), f);
	return nnz;
}

static void json_double(FILE *f, double x)
{
	fprintf(f, "%.17g", x);
}

static void write_encoding(FILE *f, const struct enc *e, size_t nnz_lr, size_t nmissing)
{
	fprintf(f, "{\"standardize\":true,\"columns\":%d,\"nnz_lr\":%zu,\"missing\":%zu,\"features\":[",
		e->ncols, nnz_lr, nmissing);
	for (int k = 0; k < NNUM; k++) {
		fprintf(f, "%s{\"name\":\"%s\",\"kind\":\"number\",\"mean\":", k ? "," : "", num_name[k]);
		json_double(f, e->mean[k]);
		fputs(",\"std\":", f);
		json_double(f, e->std[k]);
		fputs("}", f);
	}
	for (int c = 0; c < NCAT; c++) {
		fprintf(f, ",{\"name\":\"%s\",\"kind\":\"category\",\"values\":[", cat_name[c]);
		for (int s = 0; s < e->nvals[c]; s++)
			fprintf(f, "%s\"%s\"", s ? "," : "", cat_value(c, e->topk[c][s]));
		fputs("]}", f);
	}
	fputs(",{\"name\":\"promo\",\"kind\":\"boolean\",\"mean\":", f);
	json_double(f, e->mean[NNUM]);
	fputs(",\"std\":", f);
	json_double(f, e->std[NNUM]);
	fputs("}]}\n", f);
}

int main(int argc, char **argv)
{
	if (argc != 5 || atoll(argv[1]) <= 0 || atoll(argv[2]) <= 0) {
		fprintf(stderr, "usage: gen-train ROWS TEST_ROWS SEED DIR\n");
		return 2;
	}
	size_t n = (size_t)atoll(argv[1]), nt = (size_t)atoll(argv[2]);
	const char *dir = argv[4];
	struct row *rows = malloc((n + nt) * sizeof *rows);
	static struct enc e;

	if (!rows) {
		fprintf(stderr, "gen-train: out of memory\n");
		return 1;
	}
	rng_state = strtoull(argv[3], NULL, 10);
	setup();
	for (size_t i = 0; i < n + nt; i++)
		make_row(&rows[i]);
	make_encoding(&e, rows, n);

	size_t nnz_lr = 0, nmissing = 0;
	for (int part = 0; part < 2; part++) {
		const char *names[3][2] = {{"train.ndjson", "test.ndjson"},
					   {"train-lr.svm", "test-lr.svm"},
					   {"train-gb.svm", "test-gb.svm"}};
		FILE *nd = open_out(dir, names[0][part], 0);
		FILE *lr = open_out(dir, names[1][part], 1);
		FILE *gb = open_out(dir, names[2][part], 2);
		size_t from = part ? n : 0, to = part ? n + nt : n;
		for (size_t i = from; i < to; i++) {
			write_ndjson(nd, &rows[i]);
			size_t k = write_svm(lr, &rows[i], &e, 1);
			write_svm(gb, &rows[i], &e, 0);
			if (!part) {
				nnz_lr += k;
				for (int fi = 0; fi < 10; fi++)
					nmissing += (fi < NNUM || fi == 9) && (rows[i].null & (1u << fi));
			}
		}
		close_out(nd, names[0][part]);
		close_out(lr, names[1][part]);
		close_out(gb, names[2][part]);
	}
	FILE *ej = open_out(dir, "encoding.json", 3);
	write_encoding(ej, &e, nnz_lr, nmissing);
	close_out(ej, "encoding.json");
	free(rows);
	return 0;
}
