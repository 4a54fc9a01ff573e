/* gen-wide: a deterministic 100-column NDJSON for the memory benchmark.
 *
 *   gen-wide [ROWS [SEED]] > wide.ndjson
 *
 * ROWS records (default 100000) of one hundred keys, in this order:
 *
 *   num_00..num_29   30 decimals: uniform, bell-shaped (sum of four
 *                    uniforms) or heavy-tailed, some negative, 1 to 6
 *                    places, scales from 1 to 10^7
 *   int_00..int_19   20 integers, ranges from 0..3 to 0..10^12, a few signed
 *   flag_00..flag_04  5 booleans
 *   lo_00..lo_14     15 strings of 2 to 60 distinct values (low)
 *   mid_00..mid_09   10 strings of 500 to 5000 distinct values (medium)
 *   hi_00..hi_19     20 strings of many distinct values (high): 9500 (just
 *                    under ml-stats's exact limit of 10000, the most it
 *                    holds exactly), 20000, 100000, and one new value per
 *                    record, longer strings (18 to 40 bytes)
 *
 * Half of the string columns draw uniformly, the other half skewed (a few
 * values frequent, most rare, so fewer distinct values show up).  About 1%
 * of the values other than hi_* are null.  The same ROWS and SEED always
 * give the same bytes; writing is buffered and uses no printf per value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

/* splitmix64, as in gen-data.c */
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

/* uniform in [0, 1) */
static double unit(void)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* an index in [0, n): uniform, or skewed (n times the product of two
 * uniforms: density -ln(x), so small indexes are frequent, large ones rare) */
static uint64_t pick(uint64_t n, int skewed)
{
	if (!skewed)
		return below(n);
	return (uint64_t)((double)n * unit() * unit());
}

/* --- output buffer ------------------------------------------------------ */

static char obuf[1 << 16];
static size_t olen;

static void flush(void)
{
	if (olen && fwrite(obuf, 1, olen, stdout) != olen) {
		perror("gen-wide: write");
		exit(2);
	}
	olen = 0;
}

static void put(const char *s, size_t n)
{
	if (olen + n > sizeof obuf)
		flush();
	memcpy(obuf + olen, s, n);
	olen += n;
}

static void puts_(const char *s)
{
	put(s, strlen(s));
}

static void put_u64(uint64_t v)
{
	char t[24];
	int i = sizeof t;

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(t + i, sizeof t - (size_t)i);
}

static void put_i64(int64_t v)
{
	if (v < 0) {
		put("-", 1);
		put_u64((uint64_t)0 - (uint64_t)v);
	} else {
		put_u64((uint64_t)v);
	}
}

/* scaled / 10^places, with exactly `places` digits after the point */
static void put_decimal(int64_t scaled, int places)
{
	static const uint64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
	uint64_t a = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
	char frac[8];

	if (scaled < 0)
		put("-", 1);
	put_u64(a / p10[places]);
	if (places) {
		uint64_t f = a % p10[places];

		for (int i = places - 1; i >= 0; i--) {
			frac[i] = (char)('0' + f % 10);
			f /= 10;
		}
		put(".", 1);
		put(frac, (size_t)places);
	}
}

static void put_hex(uint64_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";
	char t[16];

	for (int i = digits - 1; i >= 0; i--) {
		t[i] = hex[v & 15];
		v >>= 4;
	}
	put(t, (size_t)digits);
}

/* --- the columns --------------------------------------------------------- */

static const char *const words[] = {
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
	"india", "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
	"quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
	"xray", "yankee", "zulu",
};
#define NWORDS (sizeof words / sizeof words[0])

static int is_null(void)
{
	return below(100) == 0;
}

static void key(const char *prefix, int i, int first)
{
	char k[16];
	int n = snprintf(k, sizeof k, "%s\"%s%02d\":", first ? "{" : ",", prefix, i);

	put(k, (size_t)n);
}

static void num_col(int i)
{
	static const int places[] = {1, 2, 3, 4, 6, 2};
	static const double scale[] = {1, 100, 1e4, 1e7, 0.001, 50};
	int pl = places[i % 6];
	double s = scale[i % 6], x;

	switch (i % 3) {
	case 0:			/* uniform, signed on odd columns */
		x = unit() * s;
		if (i & 1)
			x = 2 * x - s;
		break;
	case 1:			/* bell-shaped around s */
		x = (unit() + unit() + unit() + unit() - 2.0) * s + s;
		break;
	default:		/* heavy right tail */
		x = s * 0.1 / (1.0 - unit() * 0.999);
		break;
	}
	for (int k = 0; k < pl; k++)
		x *= 10;
	put_decimal((int64_t)(x < 0 ? x - 0.5 : x + 0.5), pl);
}

static void int_col(int i)
{
	static const uint64_t range[] = {
		4, 10, 100, 365, 1000, 65536, 1000000, 1000000000, 1000000000000ull, 120,
	};
	int64_t v = (int64_t)below(range[i % 10]);

	if (i % 7 == 3)
		v -= (int64_t)(range[i % 10] / 2);
	put_i64(v);
}

static void lo_col(int i)
{
	uint64_t card = 2 + (uint64_t)i * 58 / 14;	/* 2..60 */
	uint64_t v = pick(card, i & 1);

	put("\"", 1);
	puts_(words[v % NWORDS]);
	if (v >= NWORDS) {
		put("-", 1);
		put_u64(v / NWORDS);
	}
	put("\"", 1);
}

static void mid_col(int i)
{
	uint64_t card = 500 + (uint64_t)i * 500;	/* 500..5000 */
	uint64_t v = pick(card, i & 1);

	put("\"", 1);
	puts_(words[v % NWORDS]);
	put("/", 1);
	put_u64(v);
	put("\"", 1);
}

static void hi_col(int i, uint64_t row)
{
	static const uint64_t card[] = {9500, 20000, 100000, 0};
	uint64_t c = card[i / 5], v;

	put("\"", 1);
	if (c == 0) {		/* one new value per record, like an id */
		puts_("req-");
		put_hex(row * 0x9E3779B97F4A7C15ull ^ (uint64_t)i, 16);
		put("-", 1);
		put_hex(rnd(), 8);
	} else {
		v = pick(c, i & 1);
		puts_(words[(v + (uint64_t)i) % NWORDS]);
		put(".", 1);
		puts_(words[(v / NWORDS) % NWORDS]);
		put("@", 1);
		put_hex(v * 2654435761u + (uint64_t)i, 10);
	}
	put("\"", 1);
}

int main(int argc, char **argv)
{
	uint64_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;

	rng_state = seed;
	for (uint64_t r = 0; r < rows; r++) {
		for (int i = 0; i < 30; i++) {
			key("num_", i, i == 0);
			if (is_null())
				puts_("null");
			else
				num_col(i);
		}
		for (int i = 0; i < 20; i++) {
			key("int_", i, 0);
			if (is_null())
				puts_("null");
			else
				int_col(i);
		}
		for (int i = 0; i < 5; i++) {
			key("flag_", i, 0);
			puts_(is_null() ? "null" : below(3) ? "true" : "false");
		}
		for (int i = 0; i < 15; i++) {
			key("lo_", i, 0);
			if (is_null())
				puts_("null");
			else
				lo_col(i);
		}
		for (int i = 0; i < 10; i++) {
			key("mid_", i, 0);
			if (is_null())
				puts_("null");
			else
				mid_col(i);
		}
		for (int i = 0; i < 20; i++) {
			key("hi_", i, 0);
			hi_col(i, r);
		}
		put("}\n", 2);
	}
	flush();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen-wide: write");
		return 2;
	}
	return 0;
}
