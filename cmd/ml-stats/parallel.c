/* ml-stats --threads N: the records profiled by N workers, each into its
 * own profile, merged at the end (ml_profile_merge: counts, extremes and
 * moments as one pass gives them, sketches within their bounds).
 *
 * The reading thread cuts the input into chunks of whole lines, about a
 * megabyte each, and deals them round the workers: chunk i to worker i mod
 * N, so the same input and N give the same profile, byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "ml_fanout.h"
#include "ml_in.h"
#include "ml_json.h"
#include "parallel.h"

#define BLOCK_BYTES (1 << 20)
/* Room in a block for the part line carried over from the block before,
 * so that a buffer the workers give back seldom needs to grow. */
#define CARRY_ROOM (64 * 1024)

/* A worker's own profile and record index. */
struct share {
	struct ml_profile *p;
	struct ml_rec *r;
};

static int profile_line(void *ctx, const char *line, size_t len, struct ml_err *err)
{
	struct share *sh = ctx;

	if (ml_rec_parse(sh->r, line, len, err) < 0 || ml_profile_add(sh->p, sh->r, err) < 0)
		return -1;
	return 0;
}

/* An input as the run log wants it, once its records are counted. */
struct input_done {
	char *path, *sha256;
	uint64_t bytes;
	uint64_t records;	/* added to by the workers */
};

/* The end of a block that is not a whole line, kept for the next block. */
struct carry {
	char *data;
	size_t len, cap;
};

static int keep_carry(struct carry *c, const char *p, size_t n)
{
	if (n > c->cap) {
		char *d = realloc(c->data, n);
		if (!d)
			return -1;
		c->data = d;
		c->cap = n;
	}
	if (n)
		memcpy(c->data, p, n);
	c->len = n;
	return 0;
}

/* Reads one input in blocks cut at their last newline and deals them round
 * the workers.  The reading thread does not look at the lines: measured,
 * splitting them here cost as much as a worker's parse, and even counting
 * them was a pass of its own; the fanout numbers a block's lines on from
 * the block before, as the workers count them.  The blocks are the
 * workers' buffers given back, read into and hashed where they are.
 * 0, -1 with err, or 1 with err when none of it could be read (not opened,
 * or the first read failed): done is left empty, as nothing of the input
 * was used. */
static int read_input(struct stats_parallel *sp, const char *path, struct ml_fanout *fo,
		      struct input_done *done, struct ml_err *err)
{
	struct ml_in *in = ml_in_open(path, err);
	char *data = NULL;
	size_t len = 0, cap = 0;
	struct carry carry = {0};
	uint64_t first_line = 1;
	int rc = 0, eof = 0;

	if (!in)
		return 1;
	if (!ml_run_log_path(sp->cli->run) && !sp->hash)
		ml_in_no_hash(in);
	while (!eof && !ml_fanout_failed(fo)) {
		/* the bytes read into a block reach the hash thread as they
		 * are: it must be through with the block before, which may
		 * come back from the workers as this one */
		ml_in_hash_wait(in);
		size_t room = carry.len > CARRY_ROOM ? carry.len : CARRY_ROOM;
		if (!(data = ml_fanout_buffer(fo, BLOCK_BYTES + room + 1, &cap))) {
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
			break;
		}
		/* fill the block with a megabyte after the carry (the cuts, and
		 * so the profile, do not depend on the buffer's size); a line
		 * longer than that makes it grow */
		size_t want = carry.len + BLOCK_BYTES;
		len = carry.len;
		for (;;) {
			ssize_t got = ml_in_read_in_place(in, data + len, want - len, err);
			if (got < 0) {
				rc = ml_in_bytes(in) == 0 ? 1 : -1;
				break;
			}
			if (got == 0) {
				eof = 1;
				break;
			}
			len += (size_t)got;
			if (len < want)
				continue;
			if (memchr(data + carry.len, '\n', len - carry.len))
				break;
			want = 2 * want + 1;
			if (want + 1 > cap) {
				ml_in_hash_wait(in);
				char *d = realloc(data, want + 1);
				if (!d) {
					rc = ml_err_set(err, ML_ERR_IO, "out of memory");
					break;
				}
				data = d;
				cap = want + 1;
			}
		}
		if (rc != 0)
			break;
		/* the carry goes in front of the bytes just read (which the hash
		 * thread may be reading: these bytes are apart from them) */
		if (carry.len)
			memcpy(data, carry.data, carry.len);
		/* cut after the last newline; the rest starts the next block, and
		 * at the end of the input the last line gets its newline */
		char *last = len ? memrchr(data, '\n', len) : NULL;
		size_t cut = eof ? len : last ? (size_t)(last - data) + 1 : 0;
		if (keep_carry(&carry, data + cut, len - cut) < 0) {
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
			break;
		}
		len = cut;
		if (eof && len && data[len - 1] != '\n')
			data[len++] = '\n';
		if (!len)
			break;	/* the end, with nothing after the last block */
		int dealt = ml_fanout_block(fo, data, len, cap, ml_in_name(in), first_line, &done->records);
		data = NULL;
		if (dealt < 0) {
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
			break;
		}
		first_line = ML_FANOUT_NEXT_LINE;
		ml_cli_progress(sp->cli, __atomic_load_n(&done->records, __ATOMIC_RELAXED));
	}
	ml_in_hash_wait(in);
	free(data);
	free(carry.data);
	if (rc > 0) {
		ml_in_close(in);
		return rc;
	}
	done->bytes = ml_in_bytes(in);
	done->path = strdup(ml_in_path(in));
	done->sha256 = ml_in_sha256(in) ? strdup(ml_in_sha256(in)) : NULL;
	if (rc == 0 && ml_profile_add_source(sp->p, ml_in_bytes(in), ml_in_sha256(in)) < 0)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	ml_in_close(in);
	return rc;
}

int stats_parallel(struct stats_parallel *sp, char *const *paths, size_t n, struct ml_err *err)
{
	size_t nw = sp->threads;
	struct share *shares = calloc(nw, sizeof *shares);
	void **ctxs = calloc(nw, sizeof *ctxs);
	struct input_done *inputs = calloc(n ? n : 1, sizeof *inputs);
	struct ml_fanout *fo = NULL;
	size_t ninputs = 0;
	int rc = 0;

	if (!shares || !ctxs || !inputs)
		rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	for (size_t i = 0; i < nw && rc == 0; i++) {
		ctxs[i] = &shares[i];
		if (!(shares[i].p = ml_profile_new(sp->opts)) || !(shares[i].r = ml_rec_new()))
			rc = ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	if (rc == 0 && !(fo = ml_fanout_start(nw, profile_line, ctxs)))
		rc = ml_err_set(err, ML_ERR_IO, "cannot start the threads");
	for (size_t i = 0; i < (n ? n : 1) && rc == 0 && !ml_fanout_failed(fo); i++) {
		/* an input that cannot be read is named, and the others are
		 * still read: one run names every bad input */
		if ((rc = read_input(sp, n ? paths[i] : "-", fo, &inputs[ninputs++], err)) > 0) {
			ml_warn("%s", err->msg);
			sp->failed_inputs++;
			rc = 0;
		}
	}
	if (fo) {
		struct ml_err werr;
		/* a reading error of its own stands; else the workers' */
		if (ml_fanout_finish(fo, &werr) < 0 && rc == 0) {
			*err = werr;
			rc = -1;
		}
		ml_fanout_free(fo);
	}
	for (size_t i = 0; i < ninputs; i++) {
		if (inputs[i].path)
			ml_run_input(sp->cli->run, inputs[i].path, inputs[i].bytes, (int64_t)inputs[i].records,
				     inputs[i].sha256);
		sp->records += inputs[i].records;
		free(inputs[i].path);
		free(inputs[i].sha256);
	}
	for (size_t i = 0; i < nw && rc == 0; i++)
		if (ml_profile_finish(shares[i].p, err) < 0 || ml_profile_merge(sp->p, shares[i].p, err) < 0)
			rc = -1;
	for (size_t i = 0; shares && i < nw; i++) {
		ml_profile_free(shares[i].p);
		ml_rec_free(shares[i].r);
	}
	free(shares);
	free(ctxs);
	free(inputs);
	return rc;
}
