/* Unit tests of ml_in_read_in_place (common/ml_in): reads into the
 * caller's buffers, hashed where they are, give the hash sha256sum(1)
 * gives, in order, whatever the buffers' reuse and the mix of reads; and
 * of ml_in_peek, whose bytes the reads after it give again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml_in.h"
#include "tap.h"
#include "testfiles.h"

static char dir[] = "/tmp/test_in.XXXXXX";
static struct ml_err err;

static char *path_of(const char *name)
{
	static char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

/* A file of n bytes that differ from place to place, so that a byte hashed
 * twice, out of order or after being overwritten changes the hash. */
static void put_varied(const char *path, size_t n)
{
	FILE *f = fopen(path, "wb");
	uint32_t x = 12345;

	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		fputc((int)(x >> 24), f);
	}
	fclose(f);
}

/* Reads path whole in place through nbuf buffers of size bytes taken in
 * turn, reading each in chunks of chunk bytes.  Before a buffer is read
 * into again the hash is waited for, and then the buffers are scribbled
 * on, as the contract allows.  The hash, or "". */
static const char *hash_in_place(const char *path, size_t nbuf, size_t size, size_t chunk,
				 uint64_t *bytes)
{
	static char id[100];
	char *buf[3];
	size_t which = 0;
	struct ml_in *in = ml_in_open(path, &err);
	ssize_t got;

	for (size_t i = 0; i < nbuf; i++)
		buf[i] = malloc(size);
	id[0] = '\0';
	for (;;) {
		size_t at = 0;
		if (which == 0) {
			ml_in_hash_wait(in);
			for (size_t i = 0; i < nbuf; i++)
				memset(buf[i], 0xAA, size);
		}
		while (at < size && (got = ml_in_read_in_place(in, buf[which] + at,
							       chunk < size - at ? chunk : size - at, &err)) > 0)
			at += (size_t)got;
		if (at < size)
			break;
		which = (which + 1) % nbuf;
	}
	ml_in_hash_wait(in);
	if (got == 0 && ml_in_sha256(in))
		snprintf(id, sizeof id, "%s", ml_in_sha256(in));
	*bytes = ml_in_bytes(in);
	ml_in_close(in);
	for (size_t i = 0; i < nbuf; i++)
		free(buf[i]);
	return id;
}

static void test_hash_in_place(void)
{
	const char *path = path_of("varied.bin");
	size_t size = 5 * 1000 * 1000 + 17;
	uint64_t bytes;

	put_varied(path, size);
	const char *want = sha256sum(path);
	ok(!strcmp(hash_in_place(path, 2, 1 << 20, 1 << 20, &bytes), want) && bytes == size,
	   "reading in place into two buffers in turn gives sha256sum's hash and the size");
	ok(!strcmp(hash_in_place(path, 1, 1 << 20, 1 << 20, &bytes), want) && bytes == size,
	   "reading in place into one buffer again and again gives the same hash");
	ok(!strcmp(hash_in_place(path, 3, 300000, 7777, &bytes), want) && bytes == size,
	   "reading in place in small, odd chunks gives the same hash");
	ok(!strcmp(hash_in_place(path, 2, 4096, 4096, &bytes), want) && bytes == size,
	   "reading in place in pages gives the same hash");
	unlink(path);

	put_varied(path, 1000);
	ok(!strcmp(hash_in_place(path, 1, 100, 64, &bytes), sha256sum(path)) && bytes == 1000,
	   "a small input, hashed without a thread, gives the same hash");
	unlink(path);
}

static void test_mixed_reads(void)
{
	const char *path = path_of("mixed.bin");
	size_t size = 3 * 1000 * 1000 + 5;
	struct ml_in *in;
	char *a = malloc(1 << 19), *b = malloc(1 << 19), *copy = malloc(100000);
	int in_hand[2] = {0, 0};
	ssize_t got;
	int turn = 0;

	put_varied(path, size);
	in = ml_in_open(path, &err);
	ml_in_hash_wait(in);
	/* in place, by copy, in place again: one stream of bytes to the hash;
	 * a copied read's buffer is the caller's at once, an in-place read's
	 * once the hash is waited for */
	do {
		if (turn++ % 3 == 1) {
			got = ml_in_read(in, copy, 100000, &err);
			memset(copy, 0x55, 100000);
			continue;
		}
		int i = turn % 2;
		if (in_hand[i]) {
			ml_in_hash_wait(in);
			memset(a, 0x55, 1 << 19);
			memset(b, 0x55, 1 << 19);
			in_hand[0] = in_hand[1] = 0;
		}
		got = ml_in_read_in_place(in, i ? a : b, 1 << 19, &err);
		in_hand[i] = 1;
	} while (got > 0);
	ok(got == 0 && ml_in_sha256(in) && !strcmp(ml_in_sha256(in), sha256sum(path)) &&
	   ml_in_bytes(in) == size, "reads in place and reads by copy mixed give sha256sum's hash");
	ml_in_hash_wait(in);
	ok(1, "waiting for the hash after the end returns at once");
	ml_in_close(in);
	free(a);
	free(b);
	free(copy);
	unlink(path);
}

static void test_no_hash(void)
{
	const char *path = path_of("plain.bin");
	char buf[4096];
	struct ml_in *in;

	put_varied(path, 3 << 20);
	in = ml_in_open(path, &err);
	ml_in_no_hash(in);
	while (ml_in_read_in_place(in, buf, sizeof buf, &err) > 0)
		;
	ok(ml_in_sha256(in) == NULL && ml_in_bytes(in) == 3u << 20,
	   "with hashing off, reading in place counts the bytes and gives no hash");
	ml_in_close(in);
	unlink(path);
}

/* What ml_in_peek read is read again, once, in order, and hashed once. */
static void test_peek(void)
{
	const char *path = path_of("peek.bin");
	size_t size = 2 * 1000 * 1000 + 3;
	/* a byte to spare, so that the last read meets the end */
	char *want = malloc(size), *got = malloc(size + 1);
	const void *head;
	struct ml_in *in;
	FILE *f;
	size_t at = 0;
	ssize_t n, k;

	put_varied(path, size);
	f = fopen(path, "rb");
	if (fread(want, 1, size, f) != size)
		memset(want, 0, size);
	fclose(f);
	in = ml_in_open(path, &err);
	n = ml_in_peek(in, 10240, &head, &err);
	ok(n == 10240 && !memcmp(head, want, 10240), "a peek gives the first bytes");
	/* in place and by copy, in chunks that end inside the peeked bytes */
	while ((k = (at / 3000) % 2 ? ml_in_read(in, got + at, 3000 < size + 1 - at ? 3000 : size + 1 - at, &err)
				    : ml_in_read_in_place(in, got + at, 70000 < size + 1 - at ? 70000 : size + 1 - at,
							  &err)) > 0)
		at += (size_t)k;
	ml_in_hash_wait(in);
	ok(k == 0 && at == size && !memcmp(got, want, size) && ml_in_bytes(in) == size,
	   "the reads after a peek give every byte once, in order");
	ok(ml_in_sha256(in) && !strcmp(ml_in_sha256(in), sha256sum(path)),
	   "the hash after a peek is sha256sum's");
	ml_in_close(in);

	put_varied(path, 100);
	in = ml_in_open(path, &err);
	n = ml_in_peek(in, 10240, &head, &err);
	at = 0;
	while ((k = ml_in_read(in, got + at, 7, &err)) > 0)
		at += (size_t)k;
	ok(n == 100 && at == 100 && ml_in_sha256(in) && !strcmp(ml_in_sha256(in), sha256sum(path)),
	   "a peek past the end of a short input gives what there is, read again and hashed once");
	ml_in_close(in);
	unlink(path);
	free(want);
	free(got);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	test_hash_in_place();
	test_mixed_reads();
	test_no_hash();
	test_peek();
	rmdir(dir);
	return tap_done();
}
