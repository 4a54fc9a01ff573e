/* ml_gunzip: gzip data decompressed with zlib as it is read, every
 * member's trailer checked.
 *
 * libarchive's gzip filter reads the CRC-32 and the length at the end of a
 * member and does not compare them, so damaged data passes as good.  zlib
 * compares them; this reader adds what gzip(1) does around zlib: members
 * one after the other are one stream, zero bytes after the last (padding to
 * a block) are ignored, and anything else after it is an error. */
#ifndef ML_GUNZIP_H
#define ML_GUNZIP_H

#include <stddef.h>
#include <sys/types.h>

#include "ml_err.h"
#include "ml_in.h"

struct ml_gunzip;

/* A reader of the gzip data that up gives; NULL when memory is out. */
struct ml_gunzip *ml_gunzip_new(ml_read_fn up, void *up_ctx);
/* An ml_read_fn (ctx: the ml_gunzip): up to n bytes of the decompressed
 * data, 0 after the last member, or -1 with err.  The bytes decompressed
 * before a failure are handed out first, so that a caller counting lines
 * knows where the data broke.  err is up's error as up gave it, or
 * ML_ERR_DATA with the reason only (no place): "truncated gzip input",
 * "gzip checksum mismatch ...", "trailing garbage ...".  A failure is
 * final: later calls fail again. */
ssize_t ml_gunzip_read(void *ctx, void *buf, size_t n, struct ml_err *err);
/* Whether the last failure was up's, not the data's. */
int ml_gunzip_up_failed(const struct ml_gunzip *z);
void ml_gunzip_free(struct ml_gunzip *z);

#endif
