/* Unit tests of common/ml_out: safe output (temporary file, fsync, rename),
 * sticky write errors, counts and hashes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_buf.h"
#include "ml_out.h"
#include "tap.h"
#include "testfiles.h"

static char dir[] = "/tmp/test_out.XXXXXX";
static struct ml_err err;

static char *path_of(const char *name)
{
	static char path[2][512];
	static int k;

	k ^= 1;
	snprintf(path[k], sizeof path[k], "%s/%s", dir, name);
	return path[k];
}

static void put_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "wb");

	fputs(data, f);
	fclose(f);
}

static int file_is(const char *path, const char *want)
{
	size_t n;
	char *got = slurp(path, &n);
	int eq = got && n == strlen(want) && memcmp(got, want, n) == 0;

	free(got);
	return eq;
}

/* Number of entries in the test directory (not . and ..). */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void test_commit(void)
{
	const char *path = path_of("new.ndjson");
	struct ml_out *o = ml_out_open(path, &err);

	ok(o != NULL, "ml_out_open opens a new file for writing");
	ml_out_write(o, "{\"a\":1}", 7);
	ml_out_end_record(o);
	ml_out_putc(o, '{');
	ml_out_putc(o, '}');
	ml_out_end_record(o);
	ok(access(path, F_OK) != 0 && entries() == 1,
	   "before the commit the target does not exist, only a temporary file beside it");
	ok(ml_out_commit(o, &err) == 0, "commit succeeds");
	ok(file_is(path, "{\"a\":1}\n{}\n") && entries() == 1,
	   "after the commit the target holds the data and no temporary file is left");
	ok(ml_out_bytes(o) == 11 && ml_out_records(o) == 2, "bytes and records are counted (11 bytes, 2 records)");
	ok(ml_out_sha256(o) && strcmp(ml_out_sha256(o), sha256sum(path)) == 0,
	   "the hash of what was written equals sha256sum of the file");
	ok(ml_out_commit(o, &err) < 0 && err.kind == ML_ERR_USAGE, "a second commit is refused");
	ok(strcmp(ml_out_path(o), path) == 0 && strcmp(ml_out_name(o), path) == 0,
	   "a file output is named by its path");
	ml_out_free(o);
	unlink(path);
}

static void test_replace_and_mode(void)
{
	const char *path = path_of("kept.ndjson");
	struct ml_out *o;
	struct stat before, after;

	put_file(path, "old\n");
	chmod(path, 0640);
	stat(path, &before);
	o = ml_out_open(path, &err);
	ml_out_write(o, "new", 3);
	ml_out_end_record(o);
	ok(file_is(path, "old\n"), "while writing, the existing file still holds the old data");
	ok(ml_out_commit(o, &err) == 0 && file_is(path, "new\n"), "commit replaces the existing file");
	stat(path, &after);
	ok(before.st_ino != after.st_ino, "the file was replaced by rename (a new inode), not rewritten in place");
	ok(mode_of(path) == 0640, "commit keeps the mode of the file it replaces (0640)");
	ml_out_free(o);
	unlink(path);

	mode_t old = umask(027);
	o = ml_out_open(path, &err);
	ml_out_write(o, "x", 1);
	ml_out_commit(o, &err);
	ok(mode_of(path) == 0640, "a new file gets 0666 less the umask (027: 0640)");
	ml_out_free(o);
	umask(old);
	unlink(path);
}

static void test_abort(void)
{
	const char *path = path_of("precious.ndjson");
	struct ml_out *o;

	put_file(path, "precious\n");
	o = ml_out_open(path, &err);
	ml_out_write(o, "junk", 4);
	ok(entries() == 2, "an open output has its temporary file in the target's directory");
	ml_out_abort(o);
	ok(file_is(path, "precious\n") && entries() == 1,
	   "abort leaves the existing file untouched and no temporary file in the directory");
	ml_out_free(o);

	o = ml_out_open(path, &err);
	ml_out_write(o, "junk", 4);
	ml_out_free(o);
	ok(file_is(path, "precious\n") && entries() == 1, "freeing an uncommitted output aborts it");

	o = ml_out_open(path, &err);
	ml_out_write(o, "junk", 4);
	ml_out_cleanup_signal();
	ok(entries() == 1, "cleanup_signal removes the temporary files of open outputs");
	ml_out_free(o);
	ok(file_is(path, "precious\n") && entries() == 1, "an output cleaned up by a signal can still be freed");
	unlink(path);
}

static void test_dev_full(void)
{
	struct ml_out *o = ml_out_open("/dev/full", &err);
	char big[300 * 1024];

	ok(o != NULL, "/dev/full opens (a device is written in place)");
	ok(ml_out_write(o, "{}", 2) == 0 && ml_out_end_record(o) == 0,
	   "small writes are buffered, so they succeed at first");
	ok(ml_out_commit(o, &err) < 0 && err.kind == ML_ERR_IO && err.sys_errno == ENOSPC &&
	   ml_out_errno(o) == ENOSPC && strstr(err.msg, "/dev/full") != NULL,
	   "writing to /dev/full fails at commit with ENOSPC, naming the file");
	ml_out_free(o);

	o = ml_out_open("/dev/full", &err);
	memset(big, 'x', sizeof big);
	ok(ml_out_write(o, big, sizeof big) < 0 && ml_out_errno(o) == ENOSPC,
	   "a write larger than the buffer fails at once with ENOSPC");
	ok(ml_out_write(o, "x", 1) < 0 && ml_out_putc(o, 'x') < 0 && ml_out_end_record(o) < 0,
	   "after a failed write every write fails (errors are sticky)");
	ok(ml_out_commit(o, &err) < 0 && err.sys_errno == ENOSPC, "and the commit reports the first error");
	ml_out_free(o);
}

static void test_big(void)
{
	const char *path = path_of("big.bin");
	struct ml_out *o = ml_out_open(path, &err);
	struct ml_buf want = {0};
	size_t n;
	uint64_t seed = 42;

	/* chunks from 1 byte to 200 KiB, around the 128 KiB buffer */
	for (int i = 0; i < 60; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		size_t len = i % 3 == 0 ? 1 + (seed >> 60) : (size_t)(seed >> 46) % (200 * 1024);
		size_t at = want.len;
		ml_buf_reserve(&want, len);
		for (size_t k = 0; k < len; k++)
			want.data[at + k] = (char)(seed >> (k % 56));
		want.len += len;
		if (i % 5 == 0) {
			for (size_t k = 0; k < len; k++)
				ml_out_putc(o, want.data[at + k]);
		} else {
			ml_out_write(o, want.data + at, len);
		}
	}
	ok(ml_out_commit(o, &err) == 0, "a few MiB in chunks of every size commit");
	char *got = slurp(path, &n);
	ok(got && n == want.len && memcmp(got, want.data, n) == 0 && ml_out_bytes(o) == n,
	   "the file holds every byte in order (%zu bytes)", n);
	ok(strcmp(ml_out_sha256(o), sha256sum(path)) == 0, "and its hash equals sha256sum's");
	free(got);
	ml_buf_free(&want);
	ml_out_free(o);
	unlink(path);
}

static void test_open_errors(void)
{
	struct ml_out *o;

	ok(ml_out_open(dir, &err) == NULL && strstr(err.msg, "Is a directory") != NULL,
	   "opening a directory for output fails, saying it is one");
	ok(ml_out_open(path_of("no/such/dir/file"), &err) == NULL && err.sys_errno == ENOENT,
	   "opening a file in a missing directory fails with ENOENT");
	o = ml_out_open("-", &err);
	ok(o && strcmp(ml_out_path(o), "-") == 0 && strcmp(ml_out_name(o), "<stdout>") == 0,
	   "\"-\" is standard output, named <stdout>");
	ml_out_free(o);
	o = ml_out_open(NULL, &err);
	ok(o && strcmp(ml_out_path(o), "-") == 0, "a NULL path is standard output too");
	ml_out_free(o);
}

static void test_same_place(void)
{
	char a[600], lnk[600], hard[600], other[600], dotted[600], fresh[600], fresh2[600];

	snprintf(a, sizeof a, "%s", path_of("a.ndjson"));
	snprintf(lnk, sizeof lnk, "%s", path_of("link.ndjson"));
	snprintf(hard, sizeof hard, "%s", path_of("hard.ndjson"));
	snprintf(other, sizeof other, "%s", path_of("other.ndjson"));
	snprintf(dotted, sizeof dotted, "%s/./a.ndjson", dir);
	snprintf(fresh, sizeof fresh, "%s", path_of("fresh.ndjson"));
	snprintf(fresh2, sizeof fresh2, "%s/../%s/fresh.ndjson", dir, strrchr(dir, '/') + 1);
	put_file(a, "x");
	put_file(other, "y");
	ok(symlink("a.ndjson", lnk) == 0 && link(a, hard) == 0, "a link and a hard link to a file are made");
	ok(ml_out_same_place(a, a) && ml_out_same_place(a, dotted), "one file by one path, or by two, is one place");
	ok(ml_out_same_place(a, lnk) && ml_out_same_place(lnk, hard), "a link, a hard link and the file are one place");
	ok(!ml_out_same_place(a, other), "two files are two places");
	ok(ml_out_same_place(fresh, fresh2) && !ml_out_same_place(fresh, a),
	   "two paths of one file yet to be made are one place; it and an existing file two");
	ok(ml_out_same_place("-", "-") && ml_out_same_place("/dev/null", "/dev/null") == 0,
	   "standard output twice is one place; /dev/null twice is no clash");
	unlink(lnk);
	unlink(hard);
	unlink(a);
	unlink(other);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	test_commit();
	test_replace_and_mode();
	test_abort();
	test_dev_full();
	test_big();
	test_open_errors();
	test_same_place();
	rmdir(dir);
	return tap_done();
}
