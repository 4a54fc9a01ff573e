/* The registry's paths, and its files read whole or replaced so that a
 * crash leaves the old file or the new one (see ml_registry.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_registry_impl.h"

#define TMP_PREFIX ".tmp."

void ml_registry_path(const struct ml_registry *reg, char out[PATH_ROOM], const char *sub,
		      const char *name)
{
	snprintf(out, PATH_ROOM, "%s%s%s%s%s", reg->dir, sub ? "/" : "", sub ? sub : "",
		 name ? "/" : "", name ? name : "");
}

int ml_registry_is_temp_name(const char *name)
{
	return strncmp(name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;
}

int ml_registry_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Appends the rest of fd to out; 0, or -1 with errno. */
static int read_all(int fd, struct ml_buf *out)
{
	for (;;) {
		if (ml_buf_reserve(out, 65536) < 0) {
			errno = ENOMEM;
			return -1;
		}
		ssize_t n = read(fd, out->data + out->len, out->cap - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		out->len += (size_t)n;
	}
}

/* Not ml_in: a missing file is an answer here, not an error, and the
 * messages name the registry. */
int ml_registry_read_file(const char *path, struct ml_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ml_buf_reset(out);
	if (fd < 0)
		return errno == ENOENT ? 1 : -1;
	int rc = read_all(fd, out);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* File systems that cannot fsync a directory (EINVAL) order their
 * metadata anyway. */
int ml_registry_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* Replaces sub/name by data through a temporary file in the same
 * directory: written, fsynced, given its mode, renamed over the old one,
 * the directory fsynced.  When the directory's fsync fails after the
 * rename, the error counts only with dir_sync_required: a stage file's
 * lost rename is redone from the history by the next writer, and undoing
 * the event then would leave the file ahead of the history.  0, or -1 with
 * err (the old file then stays, unless only the directory's fsync failed).
 * Not ml_out: the temporary file must carry TMP_PREFIX for the lock to
 * clean it up, and the mode is the registry's, not the old file's. */
int ml_registry_replace_file(struct ml_registry *reg, const char *sub, const char *name,
			     const void *data, size_t len, mode_t mode, int dir_sync_required,
			     struct ml_err *err)
{
	char dir[PATH_ROOM], tmp[PATH_ROOM], path[PATH_ROOM], what[PATH_ROOM];
	int fd;

	ml_registry_path(reg, dir, sub, NULL);
	ml_registry_path(reg, path, sub, name);
	snprintf(what, sizeof what, "%s%s%s", sub ? sub : "", sub ? "/" : "", name);
	if (snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%s.XXXXXX", dir, name) >= (int)sizeof tmp)
		return ml_registry_fail_sys(reg, err, ENAMETOOLONG, "cannot write %s", what);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return ml_registry_fail_sys(reg, err, errno, "cannot write %s", what);
	if (ml_registry_write_all(fd, data, len) < 0 || fsync(fd) < 0 || fchmod(fd, mode) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return ml_registry_fail_sys(reg, err, e, "cannot write %s", what);
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return ml_registry_fail_sys(reg, err, e, "cannot write %s", what);
	}
	if (ml_registry_fsync_dir(dir) < 0 && dir_sync_required)
		return ml_registry_fail_sys(reg, err, errno, "cannot sync %s",
					    sub ? sub : "the registry directory");
	return 0;
}
