/* Helpers shared by the libFuzzer harnesses of tests/fuzz/.
 *
 * A reader that only takes a path is given the fuzz input through a memfd:
 * the bytes are written to an anonymous in-memory file and the reader opens
 * /proc/self/fd/N (a fresh open, so its offset is its own).  Standard output
 * is pointed at /dev/null once, so a writer opened on "-" costs nothing. */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A crash with a message: what libFuzzer records as a finding. */
#define FUZZ_FAIL(...)                                                        \
	do {                                                                  \
		fprintf(stderr, "FUZZ FAILURE: " __VA_ARGS__);                \
		fputc('\n', stderr);                                          \
		__builtin_trap();                                             \
	} while (0)

#define FUZZ_CHECK(cond, ...)                                                 \
	do {                                                                  \
		if (!(cond))                                                  \
			FUZZ_FAIL(__VA_ARGS__);                               \
	} while (0)

struct fuzz_file {
	int fd;
	char path[64];
};

/* Creates the memfd once; exits when the system has none. */
static inline void fuzz_file_init(struct fuzz_file *f, const char *name)
{
	f->fd = memfd_create(name, 0);
	if (f->fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

/* Replaces the memfd's contents with data[0..n). */
static inline void fuzz_file_set(struct fuzz_file *f, const void *data, size_t n)
{
	const char *p = data;

	if (ftruncate(f->fd, 0) < 0)
		FUZZ_FAIL("ftruncate of the memfd failed");
	for (size_t off = 0; off < n;) {
		ssize_t w = pwrite(f->fd, p + off, n - off, (off_t)off);
		if (w <= 0)
			FUZZ_FAIL("pwrite to the memfd failed");
		off += (size_t)w;
	}
}

/* Standard output to /dev/null, for writers opened on "-". */
static inline void fuzz_stdout_null(void)
{
	int fd = open("/dev/null", O_WRONLY);

	if (fd >= 0) {
		dup2(fd, 1);
		close(fd);
	}
}

/* A NUL-terminated copy of data[0..n) (caller frees). */
static inline char *fuzz_strndup(const uint8_t *data, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

/* libjq 1.6 leaks the string token it was reading when its parser gives
 * up with "Expected separator between values" (jv_parse.c: value() drops
 * its argument): every jv_parse_sized of such text in mlpipe leaks a few
 * bytes inside libjq.  libjq has no frame pointers, so the fast unwinder
 * sees only malloc and jv_mem_alloc: the suppression has to name
 * jv_mem_alloc, which hides every allocation libjq makes, a jv that mlpipe
 * forgets to free included.  Those are left to the unit tests under ASan
 * and valgrind (full stacks).  mlpipe's own allocations are all checked. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:jv_mem_alloc\n";
}

/* LeakSanitizer's switch (weak: absent without it). */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

#endif
