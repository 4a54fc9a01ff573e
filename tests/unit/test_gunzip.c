/* Unit tests of common/ml_gunzip: gzip members decompressed and checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ml_buf.h"
#include "ml_gunzip.h"
#include "tap.h"

/* The bytes a reader gives, a few at a time, or a failure at the end. */
struct src {
	const unsigned char *p;
	size_t n, pos, step;
	int fail_at_end;
};

static ssize_t src_read(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	struct src *s = ctx;
	size_t k = s->n - s->pos;

	if (!k && s->fail_at_end)
		return ml_err_set(err, ML_ERR_IO, "up: read error");
	if (k > s->step)
		k = s->step;
	if (k > n)
		k = n;
	memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

/* Appends one gzip member of text to b. */
static void gzip_member(struct ml_buf *b, const char *text, size_t n)
{
	z_stream z = {0};
	unsigned char out[4096];

	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)text;
	z.avail_in = (uInt)n;
	do {
		z.next_out = out;
		z.avail_out = sizeof out;
		deflate(&z, Z_FINISH);
		ml_buf_add(b, (char *)out, sizeof out - z.avail_out);
	} while (z.avail_out == 0);
	deflateEnd(&z);
}

/* Reads all of p[0..n) through ml_gunzip, step bytes of input and out bytes
 * of output at a time, into got; the last read's result. */
static ssize_t gunzip_all(const struct ml_buf *in, size_t step, size_t out, int fail_at_end,
			  struct ml_buf *got, struct ml_err *err, int *up_failed)
{
	struct src s = {(const unsigned char *)in->data, in->len, 0, step, fail_at_end};
	struct ml_gunzip *g = ml_gunzip_new(src_read, &s);
	char buf[8192];
	ssize_t r;

	ml_buf_reset(got);
	while ((r = ml_gunzip_read(g, buf, out, err)) > 0)
		ml_buf_add(got, buf, (size_t)r);
	*up_failed = ml_gunzip_up_failed(g);
	if (r < 0) {
		struct ml_err again;
		if (ml_gunzip_read(g, buf, out, &again) != -1 || strcmp(again.msg, err->msg) != 0)
			r = -2;	/* a failure must be final */
	}
	ml_gunzip_free(g);
	return r;
}

static int got_is(const struct ml_buf *got, const char *want, size_t n)
{
	return got->len == n && memcmp(got->data, want, n) == 0;
}

int main(void)
{
	struct ml_buf gz = {0}, got = {0}, big = {0};
	struct ml_err err;
	int upf;

	for (int i = 0; i < 20000; i++)
		ml_buf_printf(&big, "%d,row %d\n", i, i * 7);
	gzip_member(&gz, big.data, big.len);
	ok(gunzip_all(&gz, 1 << 16, 8192, 0, &got, &err, &upf) == 0 && got_is(&got, big.data, big.len),
	   "a member comes back whole");
	ok(gunzip_all(&gz, 1, 1, 0, &got, &err, &upf) == 0 && got_is(&got, big.data, big.len),
	   "a member comes back whole one byte in and one byte out at a time");
	gzip_member(&gz, "tail\n", 5);
	ml_buf_add(&big, "tail\n", 5);
	ok(gunzip_all(&gz, 7, 100, 0, &got, &err, &upf) == 0 && got_is(&got, big.data, big.len),
	   "members one after the other are one stream");
	ml_buf_add(&gz, "\0\0\0\0\0\0\0\0\0\0", 10);
	ok(gunzip_all(&gz, 3, 100, 0, &got, &err, &upf) == 0 && got_is(&got, big.data, big.len),
	   "zeros after the last member are ignored");
	ml_buf_add(&gz, "x", 1);
	ok(gunzip_all(&gz, 1 << 16, 8192, 0, &got, &err, &upf) == -1 && !upf && err.kind == ML_ERR_DATA &&
	   strstr(err.msg, "trailing garbage after the gzip data, at offset ") && got_is(&got, big.data, big.len),
	   "a byte after the zeros is trailing garbage, after all the data: %s", err.msg);

	ml_buf_reset(&gz);
	gzip_member(&gz, "a,b\n1,2\n", 8);
	gzip_member(&gz, "3,4\n", 4);
	gz.data[gz.len - 8] ^= 1;
	ok(gunzip_all(&gz, 1 << 16, 8192, 0, &got, &err, &upf) == -1 && !upf &&
	   strcmp(err.msg, "gzip checksum mismatch (CRC-32): the data is damaged") == 0 &&
	   got_is(&got, "a,b\n1,2\n3,4\n", 12),
	   "a damaged CRC of the second member is an error once its data is out");
	gz.data[gz.len - 8] ^= 1;
	gz.data[gz.len - 1] ^= 1;
	ok(gunzip_all(&gz, 1 << 16, 8192, 0, &got, &err, &upf) == -1 &&
	   strcmp(err.msg, "gzip length mismatch (ISIZE): the data is damaged") == 0,
	   "a damaged length of the last member is an error");
	gz.data[gz.len - 1] ^= 1;
	gz.len -= 3;
	ok(gunzip_all(&gz, 1 << 16, 8192, 0, &got, &err, &upf) == -1 && !upf &&
	   strcmp(err.msg, "truncated gzip input") == 0, "a member cut short is truncated input");
	gz.len += 3;
	ok(gunzip_all(&gz, 5, 8192, 1, &got, &err, &upf) == -1 && upf && err.kind == ML_ERR_IO &&
	   strcmp(err.msg, "up: read error") == 0, "the reader's failure is passed on as it was, and said so");
	gz.data[20] ^= 0xff;
	ok(gunzip_all(&gz, 1 << 16, 8192, 0, &got, &err, &upf) == -1 && !upf && err.kind == ML_ERR_DATA,
	   "damaged deflate data is an error: %s", err.msg);

	ml_buf_free(&gz);
	ml_buf_free(&got);
	ml_buf_free(&big);
	return tap_done();
}
