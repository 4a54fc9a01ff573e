/* ml_sha256: streaming SHA-256 through OpenSSL libcrypto, so artifacts are
 * named by "sha256:<hex>" without a second pass over the bytes. */
#ifndef ML_SHA256_H
#define ML_SHA256_H

#include <stddef.h>

#include "ml_err.h"

#define ML_SHA256_HEX_LEN 64
/* "sha256:" + 64 hex digits + NUL */
#define ML_SHA256_ID_SIZE (7 + ML_SHA256_HEX_LEN + 1)

struct ml_sha256;

/* Starts a digest; NULL when libcrypto cannot (err says why). */
struct ml_sha256 *ml_sha256_new(struct ml_err *err);
/* Feeds n bytes into the digest. */
void ml_sha256_update(struct ml_sha256 *h, const void *p, size_t n);
/* Writes "sha256:<hex>" into id (ML_SHA256_ID_SIZE bytes); the digest can
 * then only be freed. */
void ml_sha256_final_id(struct ml_sha256 *h, char id[ML_SHA256_ID_SIZE]);
/* Releases the digest; NULL is fine. */
void ml_sha256_free(struct ml_sha256 *h);
/* Hashes a whole file into id; 0, or -1 with err naming the file. */
int ml_sha256_file(const char *path, char id[ML_SHA256_ID_SIZE], struct ml_err *err);

#endif
