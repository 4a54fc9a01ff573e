/* Unit tests of common/ml_bundle: a deterministic tar that reads back only
 * when every member matches its manifest. */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jv.h>

#include "ml_bundle.h"
#include "ml_out.h"
#include "tap.h"
#include "testfiles.h"

static char dir[] = "/tmp/test_bundle.XXXXXX";
static struct ml_err err;

static const char *const names[] = { "model.json", "schema.json", "weights.bin" };
static const char *const datas[] = {
	"{\"kind\":\"logistic\",\"bias\":0.25}\n",
	"{\"format\":\"mlpipe.schema\",\"fields\":[]}\n",
	"WEIGHTS:0123456789abcdef",
};
static const char caller_manifest[] = "{\n  \"mlpipe_version\": \"0.1.0\",\n  \"seed\": 1.50,\n  \"params\": {\"l2\": 0.1}\n}\n";

/* A path in the test directory; each call has its own buffer (of 64, in
 * turn), so a test can hold a few at once. */
static char *path_of(const char *name)
{
	static char path[64][512];
	static int k;

	k = (k + 1) % 64;
	snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
	return path[k];
}

static void put_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	fwrite(p, 1, n, f);
	fclose(f);
}

static struct ml_bundle *three_members(void)
{
	struct ml_bundle *b = ml_bundle_new();

	for (int i = 0; i < 3; i++)
		ml_bundle_add(b, names[i], datas[i], strlen(datas[i]), &err);
	return b;
}

/* Writes the three-member bundle to path; 0 or -1.  The hash ml_out saw
 * goes to id when id is not NULL. */
static int write_bundle(const char *path, char *id)
{
	struct ml_bundle *b = three_members();
	struct ml_out *o = ml_out_open(path, &err);
	int rc = o && ml_bundle_write(b, caller_manifest, strlen(caller_manifest), o, &err) == 0 &&
		 ml_out_commit(o, &err) == 0 ? 0 : -1;

	if (rc == 0 && id)
		strcpy(id, ml_out_sha256(o));
	ml_out_free(o);
	ml_bundle_free(b);
	return rc;
}

static la_ssize_t file_write(struct archive *a, void *f, const void *p, size_t n)
{
	(void)a;
	return (la_ssize_t)fwrite(p, 1, n, f);
}

/* A tar made by hand, for bundles ml_bundle_write would never make: the
 * given members in order, with libarchive's default 10240-byte blocks. */
static void hand_tar(const char *path, const char *const *mnames, const char *const *mdatas, int n)
{
	FILE *f = fopen(path, "wb");
	struct archive *a = archive_write_new();

	archive_write_set_format_ustar(a);
	archive_write_open(a, f, NULL, file_write, NULL);
	for (int i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, mnames[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)strlen(mdatas[i]));
		archive_write_header(a, e);
		archive_write_data(a, mdatas[i], strlen(mdatas[i]));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	fclose(f);
}

/* A hand-made tar of manifest.json holding manifest, then the members. */
static void hand_bundle(const char *path, const char *manifest, const char *const *mnames,
			const char *const *mdatas, int n)
{
	const char *nn[8] = { "manifest.json" }, *dd[8] = { manifest };

	for (int i = 0; i < n && i < 7; i++) {
		nn[i + 1] = mnames[i];
		dd[i + 1] = mdatas[i];
	}
	hand_tar(path, nn, dd, n + 1);
}

/* Whether reading path fails with a message containing want. */
static int refused(const char *path, const char *want)
{
	struct ml_bundle *b = ml_bundle_read(path, &err);

	if (b) {
		ml_bundle_free(b);
		return 0;
	}
	if (!strstr(err.msg, want)) {
		printf("# message: %s\n", err.msg);
		return 0;
	}
	return 1;
}

static jv get(jv o, const char *key)
{
	return jv_object_get(jv_copy(o), jv_string(key));
}

static void test_deterministic(void)
{
	const char *p1 = path_of("one.bundle"), *p2 = path_of("two.bundle"), *p3 = path_of("epoch.bundle");
	char id[ML_SHA256_ID_SIZE] = "";
	size_t n1, n2, n3;
	char *a, *b, *c;

	unsetenv("SOURCE_DATE_EPOCH");
	ok(write_bundle(p1, id) == 0, "a bundle with three members is written");
	sleep(1);
	ok(write_bundle(p2, NULL) == 0, "the same bundle is written again a second later");
	a = slurp(p1, &n1);
	b = slurp(p2, &n2);
	ok(a && b && n1 == n2 && memcmp(a, b, n1) == 0, "the two files are byte-identical");
	ok(n1 % 512 == 0 && memcmp(a + n1 - 1024, (char[1024]){0}, 1024) == 0,
	   "the file ends with the tar end marker and no block padding after it (%zu bytes)", n1);
	ok(strcmp(id, sha256sum(p1)) == 0, "the SHA-256 ml_out reports equals sha256sum of the file");

	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	ok(write_bundle(p3, NULL) == 0, "a bundle is written with SOURCE_DATE_EPOCH=1700000000");
	unsetenv("SOURCE_DATE_EPOCH");
	c = slurp(p3, &n3);
	ok(c && n3 == n1 && memcmp(a, c, n1) != 0, "SOURCE_DATE_EPOCH changes the bytes (not the size)");

	char cmd[700], line[512];
	int lines = 0, good = 0;
	snprintf(cmd, sizeof cmd, "TZ=UTC tar --full-time -tvf '%s'", p3);
	FILE *t = popen(cmd, "r");
	while (t && fgets(line, sizeof line, t)) {
		lines++;
		good += strncmp(line, "-rw-r--r-- 0/0 ", 15) == 0 && strstr(line, " 2023-11-14 22:13:20 ");
	}
	if (t)
		pclose(t);
	ok(lines == 4 && good == 4,
	   "tar tvf lists 4 regular files, each mode 0644, owner 0/0 and mtime 2023-11-14 22:13:20 UTC");
	snprintf(cmd, sizeof cmd, "tar -tf '%s' | tr '\\n' ' '", p1);
	t = popen(cmd, "r");
	line[0] = '\0';
	if (t) {
		if (!fgets(line, sizeof line, t))
			line[0] = '\0';
		pclose(t);
	}
	ok(strcmp(line, "manifest.json model.json schema.json weights.bin ") == 0,
	   "tar lists manifest.json first, then the members in the order added");
	ok(memmem(a, n1, "root", 4) == NULL && memmem(a, n1, "PaxHeader", 9) == NULL,
	   "the bytes hold no user name and no pax header");

	setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
	ok(write_bundle(path_of("bad-epoch.bundle"), NULL) < 0 && strstr(err.msg, "SOURCE_DATE_EPOCH"),
	   "a SOURCE_DATE_EPOCH that is not decimal seconds is refused: %s", err.msg);
	unsetenv("SOURCE_DATE_EPOCH");
	free(a);
	free(b);
	free(c);
}

static void test_read_back(void)
{
	const char *path = path_of("one.bundle");
	struct ml_bundle *b = ml_bundle_read(path, &err);
	int same = b != NULL && ml_bundle_count(b) == 3;
	size_t len, mlen;

	ok(b != NULL, "the bundle reads back");
	if (!b) {
		printf("# %s\n", err.msg);
		return;
	}
	for (int i = 0; same && i < 3; i++) {
		const char *d = ml_bundle_member(b, names[i], &len);
		same = d && len == strlen(datas[i]) && memcmp(d, datas[i], len) == 0 && d[len] == '\0' &&
		       strcmp(ml_bundle_name(b, (size_t)i), names[i]) == 0;
	}
	ok(same, "it gives the same three members, in order, each NUL-terminated");
	ok(ml_bundle_member(b, "absent.json", &len) == NULL, "an absent member is NULL");
	ok(ml_bundle_member(b, "manifest.json", &len) == NULL, "the manifest is not a member");
	ok(strcmp(ml_bundle_sha256(b), sha256sum(path)) == 0, "the bundle's SHA-256 equals sha256sum of the file");

	const char *m = ml_bundle_manifest(b, &mlen);
	const char head[] = "{\"format\":\"mlpipe.bundle\",\"version\":1,\"mlpipe_version\":\"0.1.0\","
			    "\"seed\":1.50,\"params\":{\"l2\":0.1},\"members\":[{";
	ok(m && strncmp(m, head, strlen(head)) == 0 && m[mlen - 1] == '\n' && !memchr(m, '\n', mlen - 1),
	   "the manifest is one line: format and version first, the caller's keys byte for byte, members last");
	jv doc = jv_parse_sized(m, (int)mlen);
	jv list = get(doc, "members");
	int listed = jv_get_kind(list) == JV_KIND_ARRAY && jv_array_length(jv_copy(list)) == 3;
	for (int i = 0; listed && i < 3; i++) {
		jv item = jv_array_get(jv_copy(list), i);
		jv nm = get(item, "name"), by = get(item, "bytes"), sh = get(item, "sha256");
		char file[64], want[80];
		snprintf(file, sizeof file, "member-%d", i);
		put_bytes(path_of(file), datas[i], strlen(datas[i]));
		snprintf(want, sizeof want, "%s", sha256sum(path_of(file)));
		listed = jv_get_kind(nm) == JV_KIND_STRING && strcmp(jv_string_value(nm), names[i]) == 0 &&
			 jv_get_kind(by) == JV_KIND_NUMBER && jv_number_value(by) == (double)strlen(datas[i]) &&
			 jv_get_kind(sh) == JV_KIND_STRING && strcmp(jv_string_value(sh), want) == 0;
		unlink(path_of(file));
		jv_free(nm);
		jv_free(by);
		jv_free(sh);
		jv_free(item);
	}
	ok(listed, "the manifest lists each member's name, bytes and sha256 (as sha256sum computes it)");
	jv_free(list);
	jv_free(doc);
	ml_bundle_free(b);
	b = NULL;

	/* the same bytes through standard input */
	int saved = dup(0);
	ok(freopen(path, "rb", stdin) != NULL && (b = ml_bundle_read("-", &err)) != NULL &&
	   strcmp(ml_bundle_sha256(b), sha256sum(path)) == 0 && ml_bundle_count(b) == 3,
	   "a bundle reads from standard input (\"-\") with the same hash");
	ml_bundle_free(b);
	dup2(saved, 0);
	close(saved);
}

static void test_corrupt(void)
{
	const char *path = path_of("one.bundle"), *bad = path_of("bad.bundle");
	size_t n;
	char *a = slurp(path, &n);
	char *w = memmem(a, n, "WEIGHTS:", 8);

	w[3] ^= 0x20;
	put_bytes(bad, a, n);
	ok(refused(bad, "member weights.bin does not match its SHA-256 in the manifest: the bundle is corrupt"),
	   "a byte flipped inside a member's data is refused naming the member: %s", err.msg);
	ok(strncmp(err.msg, bad, strlen(bad)) == 0, "the message starts with the file's path");
	w[3] ^= 0x20;

	char *list = memmem(a, n, "\"bytes\":", 8);
	char was = list[8];
	list[8] = was == '9' ? '8' : '9';
	put_bytes(bad, a, n);
	ok(refused(bad, "the manifest says"), "a manifest whose listed size is changed is refused: %s", err.msg);
	list[8] = was;

	w[24] = 'x';	/* the block padding after the last member's data */
	put_bytes(bad, a, n);
	ok(refused(bad, "the padding after member weights.bin is not zeros"),
	   "a byte flipped in a member's block padding, which no hash covers, is refused: %s", err.msg);
	w[24] = '\0';

	size_t hdr = 512;
	while (hdr < n && strcmp(a + hdr, "model.json") != 0)
		hdr += 512;
	a[hdr + 2] ^= 0x20;
	put_bytes(bad, a, n);
	ok(refused(bad, "corrupt bundle"), "a damaged header of a later member is refused as corrupt: %s", err.msg);
	a[hdr + 2] ^= 0x20;

	a[n - 10] = 'Q';
	put_bytes(bad, a, n);
	ok(refused(bad, "the tar end marker after member weights.bin is damaged"),
	   "a byte flipped in the end marker is refused: %s", err.msg);
	a[n - 10] = '\0';

	a[148] ^= 1;	/* the first header's checksum */
	put_bytes(bad, a, n);
	ok(refused(bad, "not a model bundle"), "a damaged first tar header is refused: %s", err.msg);
	a[148] ^= 1;

	/* cut inside a member, at a block boundary after one, and before
	 * the end marker's last block: every cut is named as truncation */
	size_t cuts[] = { n - 1, n - 512, n - 1024, n / 2, 700, 1536 };
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		put_bytes(bad, a, cuts[i]);
		ok(refused(bad, "truncated"), "a bundle cut to %zu of %zu bytes is refused as truncated: %s",
		   cuts[i], n, err.msg);
	}
	put_bytes(bad, a, 0);
	ok(refused(bad, "not a model bundle"), "an empty file is refused: %s", err.msg);

	char *padded = calloc(1, n + 10240);
	memcpy(padded, a, n);
	put_bytes(bad, padded, n + 8192);
	struct ml_bundle *pb = ml_bundle_read(bad, &err);
	ok(pb != NULL, "zero block padding after the end marker is accepted");
	ml_bundle_free(pb);
	memcpy(padded + n + 100, "junk", 4);
	put_bytes(bad, padded, n + 8192);
	ok(refused(bad, "data after the end"), "data hidden after the end marker is refused: %s", err.msg);
	free(padded);

	const char nd[] = "{\"a\":1}\n{\"a\":2}\n";
	put_bytes(bad, nd, sizeof nd - 1);
	ok(refused(bad, "not a model bundle"), "an NDJSON file is refused: %s", err.msg);
	ok(refused(path_of("no-such.bundle"), "no-such.bundle") && err.kind == ML_ERR_IO,
	   "a missing file is an I/O error: %s", err.msg);
	free(a);
	unlink(bad);
}

static void test_hand_made(void)
{
	const char *path = path_of("hand.bundle");
	struct ml_bundle *b = ml_bundle_read(path_of("one.bundle"), &err);
	const char *m;

	if (!b) {
		ok(0, "the bundle to take a manifest from reads: %s", err.msg);
		return;
	}
	m = ml_bundle_manifest(b, NULL);

	hand_bundle(path, "{\"format\":\"mlpipe.bundle\",\"version\":2,\"members\":[]}", NULL, NULL, 0);
	ok(refused(path, "bundle format version 2 is newer than this program reads (1)"),
	   "a manifest with version 2 is refused as newer: %s", err.msg);
	hand_bundle(path, "{\"format\":\"mlpipe.profile\",\"version\":1,\"members\":[]}", NULL, NULL, 0);
	ok(refused(path, "not a model bundle"), "a manifest of another format is refused: %s", err.msg);
	hand_bundle(path, "[1,2]", NULL, NULL, 0);
	ok(refused(path, "not a JSON object"), "a manifest that is not an object is refused: %s", err.msg);
	hand_bundle(path, "{\"format\":", NULL, NULL, 0);
	ok(refused(path, "not JSON"), "a manifest that is not JSON is refused: %s", err.msg);
	/* libjq takes a raw NUL inside a string; a manifest read as a C string
	 * would be cut there (found by fuzzing) */
	hand_bundle(path, "{\"format\":\"mlpipe.bundle\",\"version\":1,\"x\":\"a\001b\",\"members\":[]}",
		    NULL, NULL, 0);
	ok(refused(path, "not JSON"), "a manifest with a raw control character in a string is refused: %s",
	   err.msg);

	hand_bundle(path, m, names, datas, 3);
	struct ml_bundle *again = ml_bundle_read(path, &err);
	ok(again != NULL, "the same members tarred by hand (10240-byte blocks) verify");
	ml_bundle_free(again);

	const char *const more[] = { names[0], names[1], names[2], "extra.txt" };
	const char *const moredata[] = { datas[0], datas[1], datas[2], "hidden" };
	hand_bundle(path, m, more, moredata, 4);
	ok(refused(path, "member extra.txt is not listed in the manifest"),
	   "an extra unlisted member is refused: %s", err.msg);
	hand_bundle(path, m, names, datas, 2);
	ok(refused(path, "member weights.bin listed in the manifest is missing"),
	   "a missing member is refused: %s", err.msg);
	const char *const twice[] = { names[0], names[1], names[2], names[0] };
	hand_bundle(path, m, twice, (const char *const[]){ datas[0], datas[1], datas[2], datas[0] }, 4);
	ok(refused(path, "member model.json occurs twice"), "a member that occurs twice is refused: %s", err.msg);
	const char *const first[] = { names[0], "manifest.json" };
	hand_tar(path, first, (const char *const[]){ datas[0], m }, 2);
	ok(refused(path, "not a model bundle: the first member is model.json"),
	   "a tar whose first member is not manifest.json is refused: %s", err.msg);
	ml_bundle_free(b);
	unlink(path);
}

static int write_with(struct ml_bundle *b, const char *manifest, struct ml_out *o)
{
	return ml_bundle_write(b, manifest, strlen(manifest), o, &err);
}

static void test_writer_refuses(void)
{
	struct ml_bundle *b = ml_bundle_new();
	struct ml_out *o;

	ok(ml_bundle_add(b, "model.json", "{}", 2, &err) == 0, "a member is added");
	ok(ml_bundle_add(b, "model.json", "[]", 2, &err) < 0 && strstr(err.msg, "model.json") &&
	   err.kind == ML_ERR_USAGE, "adding the same name again is refused: %s", err.msg);
	ok(ml_bundle_add(b, "../etc/passwd", "x", 1, &err) < 0, "a name with a path is refused: %s", err.msg);
	ok(ml_bundle_add(b, "dir/model.json", "x", 1, &err) < 0, "a name with a '/' is refused: %s", err.msg);
	ok(ml_bundle_add(b, "manifest.json", "x", 1, &err) < 0, "the manifest's name is refused: %s", err.msg);
	ok(ml_bundle_add(b, "", "x", 1, &err) < 0 && ml_bundle_add(b, ".hidden", "x", 1, &err) < 0,
	   "an empty name and a name starting with '.' are refused");
	ok(ml_bundle_add(b, "empty.txt", "", 0, &err) == 0, "an empty member is fine");

	const char *path = path_of("refused.bundle");
	o = ml_out_open(path, &err);
	ok(write_with(b, "{\"seed\":1,\"format\":\"x\"}", o) < 0 &&
	   strstr(err.msg, "\"format\"") && err.kind == ML_ERR_USAGE,
	   "a caller manifest with its own \"format\" key is refused: %s", err.msg);
	ok(write_with(b, "{\"members\":[]}", o) < 0, "... and one with \"members\": %s", err.msg);
	ok(write_with(b, "[1]", o) < 0, "a caller manifest that is not an object is refused: %s",
	   err.msg);
	ok(write_with(b, "{\"a\":01}", o) < 0, "a caller manifest that is not strict JSON is refused: %s",
	   err.msg);
	ml_out_abort(o);
	ml_out_free(o);
	ok(access(path, F_OK) != 0, "an aborted write leaves no file");

	o = ml_out_open(path, &err);
	ok(ml_bundle_write(b, "{}", 2, o, &err) == 0 && ml_out_commit(o, &err) == 0,
	   "an empty caller manifest is fine");
	ml_out_free(o);
	struct ml_bundle *r = ml_bundle_read(path, &err);
	size_t len = 99;
	ok(r && ml_bundle_member(r, "empty.txt", &len) && len == 0 &&
	   strncmp(ml_bundle_manifest(r, NULL), "{\"format\":\"mlpipe.bundle\",\"version\":1,\"members\":[", 48) == 0,
	   "it reads back with its empty member and a manifest of format, version and members");
	ml_bundle_free(r);
	unlink(path);

	o = ml_out_open("/dev/full", &err);
	ok(o && (ml_bundle_write(b, "{}", 2, o, &err) < 0 || ml_out_commit(o, &err) < 0) &&
	   strstr(err.msg, "/dev/full"),
	   "a full disk is an error naming the file: %s", err.msg);
	ml_out_free(o);
	ml_bundle_free(b);
}

static void test_is_bundle(void)
{
	const char *nd = path_of("data.ndjson");

	put_bytes(nd, "{\"a\":1}\n", 8);
	ok(ml_bundle_is_bundle(path_of("one.bundle")) == 1, "ml_bundle_is_bundle says yes for a bundle");
	ok(ml_bundle_is_bundle(nd) == 0, "... no for an NDJSON file");
	ok(ml_bundle_is_bundle(path_of("no-such")) == 0 && ml_bundle_is_bundle("-") == 0,
	   "... no for a missing file and for standard input");
	hand_bundle(path_of("other.tar"), "{}", NULL, NULL, 0);
	ok(ml_bundle_is_bundle(path_of("other.tar")) == 1,
	   "... yes for any tar whose first member is manifest.json (no verification)");
	const char *const csv[] = { "data.csv", "manifest.json" };
	hand_tar(path_of("other.tar"), csv, (const char *const[]){ "a,b\n", "{}" }, 2);
	ok(ml_bundle_is_bundle(path_of("other.tar")) == 0,
	   "... and no for a tar whose first member is something else");
	size_t n;
	char *t = slurp(path_of("one.bundle"), &n);
	ok(ml_bundle_is_bundle_head(t, 512) == 1 && ml_bundle_is_bundle_head(t, 100) == 0,
	   "ml_bundle_is_bundle_head needs only the first 512 bytes");
	free(t);
	unlink(nd);
	unlink(path_of("other.tar"));
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_deterministic();
	test_read_back();
	test_corrupt();
	test_hand_made();
	test_writer_refuses();
	test_is_bundle();
	unlink(path_of("one.bundle"));
	unlink(path_of("two.bundle"));
	unlink(path_of("epoch.bundle"));
	unlink(path_of("bad-epoch.bundle"));
	rmdir(dir);
	return tap_done();
}
