/* Fuzzes the bundle reader (ml_bundle_read: tar plus manifest, verified
 * before anything is handed out) through a memfd path, and the sniffer
 * ml_bundle_is_bundle_head.  A bundle that is accepted has a manifest that
 * is a C string of its length, a sha256, and every member it lists
 * readable and NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "ml_bundle.h"
#include "ml_err.h"

static struct fuzz_file file;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_file_init(&file, "fuzz-bundle");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ml_err err;

	(void)ml_bundle_is_bundle_head(data, size);
	fuzz_file_set(&file, data, size);
	(void)ml_bundle_is_bundle(file.path);
	struct ml_bundle *b = ml_bundle_read(file.path, &err);
	if (!b) {
		FUZZ_CHECK(err.msg[0], "ml_bundle_read failed with no message");
		return 0;
	}
	size_t mlen;
	const char *m = ml_bundle_manifest(b, &mlen);
	FUZZ_CHECK(m && strlen(m) == mlen, "manifest is not a C string of its length");
	FUZZ_CHECK(ml_bundle_sha256(b) && strncmp(ml_bundle_sha256(b), "sha256:", 7) == 0,
		   "a read bundle has no sha256");
	for (size_t i = 0; i < ml_bundle_count(b); i++) {
		const char *name = ml_bundle_name(b, i);
		size_t len;
		const char *p = ml_bundle_member(b, name, &len);
		FUZZ_CHECK(p, "member %zu '%s' listed but not found", i, name);
		FUZZ_CHECK(p[len] == '\0', "member '%s' is not NUL-terminated", name);
	}
	ml_bundle_free(b);
	return 0;
}
