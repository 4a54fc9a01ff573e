/* ml_bundle: a model bundle, a deterministic tar of named members.
 *
 * The first member, manifest.json, names the format and its version and
 * lists every other member with its size and SHA-256; the other members
 * follow in the order they were added.  The tar is plain ustar (no pax
 * headers, no compression), every header field fixed: mode 0644, uid/gid 0,
 * no user or group names, mtime SOURCE_DATE_EPOCH or 0.  So the same inputs
 * give the same bytes, and the bundle's SHA-256 names the model.
 *
 * Reading verifies everything before any member is handed out: a bundle
 * that does not match its manifest is refused, never half used. */
#ifndef ML_BUNDLE_H
#define ML_BUNDLE_H

#include <stddef.h>

#include "ml_err.h"

#define ML_BUNDLE_FORMAT "mlpipe.bundle"
#define ML_BUNDLE_VERSION 1
#define ML_BUNDLE_MANIFEST "manifest.json"
/* ustar keeps a name without '/' in its 100-byte name field */
#define ML_BUNDLE_NAME_MAX 100
/* bytes enough to tell a bundle from another file */
#define ML_BUNDLE_HEAD 10240

struct ml_bundle;
struct ml_in;
struct ml_out;

/* An empty bundle, for writing; NULL when memory is out. */
struct ml_bundle *ml_bundle_new(void);
/* Frees b; NULL is fine. */
void ml_bundle_free(struct ml_bundle *b);

/* Adds a member (the bytes are copied).  A name is a plain file name of
 * letters, digits, '.', '_' and '-', not starting with '.', at most
 * ML_BUNDLE_NAME_MAX bytes, and not manifest.json; 0, or -1 with err
 * (ML_ERR_USAGE for a bad or duplicate name). */
int ml_bundle_add(struct ml_bundle *b, const char *name, const void *data, size_t len,
		  struct ml_err *err);

/* Writes the bundle to out; the caller commits (or aborts) out, and so
 * gets the atomic replace and the file's SHA-256 from ml_out.
 * manifest_json is the caller's own keys as one JSON object (any
 * whitespace; it is written minified, its keys and values byte for byte);
 * this module puts "format" and "version" first and "members" (name,
 * bytes, sha256 of each member in the order added) last, so the caller's
 * object must not hold those keys.  mtime is SOURCE_DATE_EPOCH (decimal
 * seconds) when set, else 0.  0, or -1 with err: ML_ERR_USAGE for a bad
 * manifest or SOURCE_DATE_EPOCH, else the write error. */
int ml_bundle_write(struct ml_bundle *b, const char *manifest_json, size_t manifest_len,
		    struct ml_out *out, struct ml_err *err);

/* Reads the bundle at path ("-": standard input) into memory and verifies
 * it: a tar, not truncated, manifest.json first, format mlpipe.bundle,
 * version at most ML_BUNDLE_VERSION, each member listed once with the
 * listed size and SHA-256, and nothing unlisted.  NULL with err
 * (ML_ERR_DATA, or ML_ERR_IO when the file cannot be read), the message
 * starting with the file's name. */
struct ml_bundle *ml_bundle_read(const char *path, struct ml_err *err);
/* The same on an input already open (after ml_bundle_is_bundle_in, say),
 * read to its end; the message starts with the input's name. */
struct ml_bundle *ml_bundle_read_in(struct ml_in *in, struct ml_err *err);

/* A member's bytes (followed by a NUL not counted in *len, so a text member
 * is also a C string) and length; NULL when there is no such member. */
const void *ml_bundle_member(const struct ml_bundle *b, const char *name, size_t *len);
/* The number of members (manifest.json not counted) and the name of the
 * i-th, in bundle order. */
size_t ml_bundle_count(const struct ml_bundle *b);
const char *ml_bundle_name(const struct ml_bundle *b, size_t i);
/* The manifest as read, or as written by ml_bundle_write (NUL-terminated
 * JSON text, length in *len when len is not NULL); NULL before either. */
const char *ml_bundle_manifest(const struct ml_bundle *b, size_t *len);
/* "sha256:<hex>" of the bundle file as read; NULL for a bundle being
 * written (ml_out_sha256 names what was written). */
const char *ml_bundle_sha256(const struct ml_bundle *b);

/* Whether the file at path looks like a bundle (a tar whose first member
 * is manifest.json), without verifying it: for tools that take a bundle or
 * another kind of file in the same argument.  0 for a file that cannot be
 * read, and for "-", a pipe or a FIFO: they cannot be looked at without
 * consuming what they hold (ml_bundle_is_bundle_head and
 * ml_bundle_is_bundle_in serve a caller that keeps what it read). */
int ml_bundle_is_bundle(const char *path);
/* The same test on the first n bytes of a file (512 are enough for a
 * bundle this module wrote; ML_BUNDLE_HEAD cover one written with pax
 * headers). */
int ml_bundle_is_bundle_head(const void *head, size_t n);
/* The same test on the first ML_BUNDLE_HEAD bytes of an open input, read
 * ahead with ml_in_peek so that the input is read once, as a pipe or FIFO
 * must be: what follows reads them again.  1, 0, or -1 with err. */
int ml_bundle_is_bundle_in(struct ml_in *in, struct ml_err *err);

#endif
