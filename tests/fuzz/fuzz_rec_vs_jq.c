/* The differential harness: ml_rec_parse against libjq's parser on the same
 * bytes.  Any disagreement is a crash: one accepting a line the other
 * rejects, or a field decoding differently (type, number bits, string
 * bytes, nested value).
 *
 * The one exception is documented (docs/JSON-READER.md, "Where libjq 1.6
 * is more lenient"): jq accepting what RFC 8259 forbids, with ml_rec_parse
 * stopping exactly at one of those leniencies.  The classification is the
 * one tests/unit/test_rec_vs_jq.c uses, copied verbatim into
 * rec_vs_jq_ref.h.  mlpipe accepting a line jq rejects is never allowed. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jv.h>

#include "fuzz_util.h"
#include "ml_buf.h"
#include "ml_err.h"
#include "ml_json.h"
#include "ml_rec.h"
#include "rec_vs_jq_ref.h"

static struct ml_rec *rec;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!(rec = ml_rec_new()))
		abort();
	return 0;
}

static const char *show(const char *s, size_t n)
{
	static char buf[2000];
	size_t k = 0;

	for (size_t i = 0; i < n && k < sizeof buf - 32; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7F && c != '\\')
			buf[k++] = (char)c;
		else
			k += (size_t)snprintf(buf + k, sizeof buf - k, "\\x%02X", c);
	}
	buf[k] = '\0';
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libjq takes an int length; the line in a buffer of its own size */
	if (size > (1 << 20))
		return 0;
	char *line = malloc(size ? size : 1);
	struct ml_err err;
	jv obj;

	memcpy(line, data, size);
	int ours = ml_rec_parse(rec, line, size, &err) == 0;
	int theirs = ref_jq_object(line, size, &obj);

	if (ours && theirs) {
		const char *why = ref_compare(rec, obj);
		jv_free(obj);
		if (why)
			FUZZ_FAIL("both accept, but %s: %s", why, show(line, size));
	} else if (ours) {
		FUZZ_FAIL("ml_rec_parse accepts, jq rejects: %s", show(line, size));
	} else if (theirs) {
		jv_free(obj);
		if (ref_explain(line, size, &err) == REF_NONE)
			FUZZ_FAIL("jq accepts, ml_rec_parse rejects (%s) at no known leniency: %s",
				  err.msg, show(line, size));
	}
	free(line);
	return 0;
}
