/* gen-data: a deterministic CSV for the benchmarks.
 *
 *   gen-data [ROWS [SEED]] > data.csv
 *
 * A header and ROWS rows (default 1000000) of ten columns: an integer id,
 * integers and decimals (some negative), three categorical strings (5, 24
 * and 300 distinct values; a few of the 300 contain a comma and are quoted),
 * a boolean (true/false).  About 2% of the fields other than id are empty.
 * The same ROWS and SEED always give the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

/* splitmix64: small, fast, and the same on every machine. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* uniform in [0, n) (the bias is negligible for small n) */
static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

static const char *const segments[] = {"consumer", "smb", "enterprise", "public", "partner"};

static const char *const devices[] = {
	"android-phone", "android-tablet", "iphone", "ipad", "mac", "windows",
	"linux", "chromeos", "smart-tv", "console", "watch", "kiosk",
	"pos", "car", "set-top", "e-reader", "feature-phone", "vr-headset",
	"bot", "api", "unknown", "printer", "router", "other",
};

#define NCITIES 300
static char cities[NCITIES][48];

/* 300 names from 20 stems and 15 endings; every 60th one is "Name, XX",
 * which CSV must quote. */
static void make_cities(void)
{
	static const char *const stem[] = {
		"Spring", "River", "Oak", "Maple", "Cedar", "Lake", "Hill", "Green",
		"Fair", "Clear", "Stone", "Brook", "Ash", "Elm", "Pine", "Red",
		"White", "North", "South", "West",
	};
	static const char *const end[] = {
		"field", "ton", "ville", "wood", "dale", "port", "view", "side",
		"ford", "burg", "mont", "haven", "bridge", " Falls", " Park",
	};
	static const char *const state[] = {"IL", "OR", "TX", "ME", "WA"};

	for (int i = 0; i < NCITIES; i++) {
		const char *s = stem[i % 20], *e = end[i / 20];

		if (i % 60 == 7)
			snprintf(cities[i], sizeof cities[i], "\"%s%s, %s\"", s, e, state[i / 60]);
		else
			snprintf(cities[i], sizeof cities[i], "%s%s", s, e);
	}
}

/* An empty field about one time in 45: with nine such columns of ten,
 * that is 2% of all fields. */
static int empty(void)
{
	return below(45) == 0;
}

/* a decimal with exactly `places` digits after the point */
static int put_decimal(char *p, int64_t scaled, int places)
{
	static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000};
	int64_t q = scaled / pow10[places], r = scaled % pow10[places];
	const char *sign = "";

	if (scaled < 0) {
		sign = "-";
		q = -q;
		r = -r;
	}
	return sprintf(p, "%s%lld.%0*lld", sign, (long long)q, places, (long long)r);
}

int main(int argc, char **argv)
{
	long long rows = argc > 1 ? atoll(argv[1]) : 1000000;
	unsigned long long seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 42;
	static char out[1 << 16];
	char line[512];

	if (argc > 3 || rows < 0) {
		fprintf(stderr, "usage: gen-data [ROWS [SEED]] > data.csv\n");
		return 2;
	}
	rng_state = seed;
	make_cities();
	setvbuf(stdout, out, _IOFBF, sizeof out);
	fputs("id,age,income,balance,score,delta,segment,device,city,active\n", stdout);
	for (long long id = 1; id <= rows; id++) {
		char *p = line;

		p += sprintf(p, "%lld,", id);
		if (!empty())		/* age: small integer */
			p += sprintf(p, "%d", 18 + (int)below(70));
		*p++ = ',';
		if (!empty())		/* income: positive, 2 places */
			p += put_decimal(p, 1000000 + (int64_t)below(20000000), 2);
		*p++ = ',';
		if (!empty())		/* balance: a third negative, 2 places */
			p += put_decimal(p, (int64_t)below(300000000) - 100000000, 2);
		*p++ = ',';
		if (!empty())		/* score: in (-1, 1), 4 places */
			p += put_decimal(p, (int64_t)below(19999) - 9999, 4);
		*p++ = ',';
		if (!empty())		/* delta: integer around zero */
			p += sprintf(p, "%d", (int)below(2001) - 1000);
		*p++ = ',';
		if (!empty())
			p += sprintf(p, "%s", segments[below(5)]);
		*p++ = ',';
		if (!empty())
			p += sprintf(p, "%s", devices[below(24)]);
		*p++ = ',';
		if (!empty())
			p += sprintf(p, "%s", cities[below(NCITIES)]);
		*p++ = ',';
		if (!empty())
			p += sprintf(p, "%s", below(3) ? "true" : "false");
		*p++ = '\n';
		fwrite(line, 1, (size_t)(p - line), stdout);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen-data: write");
		return 1;
	}
	return 0;
}
