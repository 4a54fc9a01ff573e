#include "ml_gunzip.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum gz_state { IN_MEMBER, AFTER_MEMBER, IN_ZEROS, DONE, FAILED };

struct ml_gunzip {
	ml_read_fn up;
	void *up_ctx;
	z_stream z;
	enum gz_state state;
	int up_eof, up_failed;
	uint64_t total_in;	/* bytes up gave, for the place of trailing garbage */
	struct ml_err fail;	/* the failure, given again on every later call */
	unsigned char in[1 << 16];
};

struct ml_gunzip *ml_gunzip_new(ml_read_fn up, void *up_ctx)
{
	struct ml_gunzip *g = calloc(1, sizeof *g);

	if (!g)
		return NULL;
	g->up = up;
	g->up_ctx = up_ctx;
	/* 16 + window bits: gzip framing only, header and trailer checked */
	if (inflateInit2(&g->z, 16 + MAX_WBITS) != Z_OK) {
		free(g);
		return NULL;
	}
	g->z.next_in = g->in;
	return g;
}

void ml_gunzip_free(struct ml_gunzip *g)
{
	if (!g)
		return;
	inflateEnd(&g->z);
	free(g);
}

int ml_gunzip_up_failed(const struct ml_gunzip *g)
{
	return g->up_failed;
}

static ssize_t up_failure(struct ml_gunzip *g, struct ml_err *err)
{
	g->fail = *err;
	g->state = FAILED;
	g->up_failed = 1;
	return -1;
}

/* Reads more after the input left; 1, 0 at its end, -1 with err. */
static int fill(struct ml_gunzip *g, struct ml_err *err)
{
	ssize_t r;

	if (g->up_eof)
		return 0;
	if (g->z.avail_in && g->z.next_in != g->in)
		memmove(g->in, g->z.next_in, g->z.avail_in);
	g->z.next_in = g->in;
	r = g->up(g->up_ctx, g->in + g->z.avail_in, sizeof g->in - g->z.avail_in, err);
	if (r < 0)
		return -1;
	if (r == 0) {
		g->up_eof = 1;
		return 0;
	}
	g->z.avail_in += (uInt)r;
	g->total_in += (uint64_t)r;
	return 1;
}

/* What zlib's message means to someone holding a damaged file. */
static void data_failure(struct ml_gunzip *g, int rc)
{
	const char *msg = g->z.msg;

	if (rc == Z_MEM_ERROR)
		ml_err_sys(&g->fail, ENOMEM, "gzip");
	else if (msg && strcmp(msg, "incorrect data check") == 0)
		ml_err_set(&g->fail, ML_ERR_DATA, "gzip checksum mismatch (CRC-32): the data is damaged");
	else if (msg && strcmp(msg, "incorrect length check") == 0)
		ml_err_set(&g->fail, ML_ERR_DATA, "gzip length mismatch (ISIZE): the data is damaged");
	else
		ml_err_set(&g->fail, ML_ERR_DATA, "invalid gzip data: %s", msg ? msg : "damaged");
	g->state = FAILED;
}

ssize_t ml_gunzip_read(void *ctx, void *buf, size_t n, struct ml_err *err)
{
	struct ml_gunzip *g = ctx;

	if (n > UINT_MAX)
		n = UINT_MAX;
	for (;;) {
		switch (g->state) {
		case IN_MEMBER: {
			if (!g->z.avail_in && fill(g, err) < 0)
				return up_failure(g, err);
			g->z.next_out = buf;
			g->z.avail_out = (uInt)n;
			/* called with no input too: zlib may hold output still */
			int rc = inflate(&g->z, Z_NO_FLUSH);
			size_t got = n - g->z.avail_out;
			if (rc == Z_STREAM_END) {
				g->state = AFTER_MEMBER;
			} else if (rc == Z_OK || rc == Z_BUF_ERROR) {
				if (!got && !g->z.avail_in && g->up_eof) {
					ml_err_set(&g->fail, ML_ERR_DATA, "truncated gzip input");
					g->state = FAILED;
				}
			} else {
				data_failure(g, rc);
			}
			if (got)
				return (ssize_t)got;	/* a failure waits for the next call */
			break;
		}
		case AFTER_MEMBER:
			while (g->z.avail_in < 2 && !g->up_eof)
				if (fill(g, err) < 0)
					return up_failure(g, err);
			if (!g->z.avail_in) {
				g->state = DONE;
			} else if (g->z.avail_in >= 2 && g->z.next_in[0] == 0x1f && g->z.next_in[1] == 0x8b) {
				/* members one after the other are one stream, as
				 * cat a.gz b.gz makes them */
				inflateReset(&g->z);
				g->state = IN_MEMBER;
			} else {
				g->state = IN_ZEROS;
			}
			break;
		case IN_ZEROS:
			/* as gzip does, zeros after the last member (padding to a
			 * block, as tape and dd leave) are ignored, and nothing else */
			for (uInt i = 0; i < g->z.avail_in; i++)
				if (g->z.next_in[i]) {
					ml_err_set(&g->fail, ML_ERR_DATA, "trailing garbage after the gzip data, "
						   "at offset %llu (damaged, or other data appended?)",
						   (unsigned long long)(g->total_in - g->z.avail_in + i));
					g->state = FAILED;
					break;
				}
			if (g->state == FAILED)
				break;
			g->z.avail_in = 0;
			if (fill(g, err) < 0)
				return up_failure(g, err);
			if (!g->z.avail_in)
				g->state = DONE;
			break;
		case DONE:
			return 0;
		case FAILED:
			*err = g->fail;
			return -1;
		}
	}
}
