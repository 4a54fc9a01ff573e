/* The registry directory: choosing it, opening it, its messages, and the
 * lock with the repairs a writer makes under it (see ml_registry.h; the
 * other parts are listed in ml_registry_impl.h). */
#include "ml_registry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_registry_impl.h"

#define REGISTRY_JSON "registry.json"

/* ---- messages ---- */

static int vfail(const char *dir, struct ml_err *err, enum ml_err_kind kind, int errnum,
		 const char *fmt, va_list ap)
{
	char text[768];

	vsnprintf(text, sizeof text, fmt, ap);
	if (errnum)
		return ml_err_sys(err, errnum, "registry %s: %s", dir, text);
	return ml_err_set(err, kind, "registry %s: %s", dir, text);
}

int ml_registry_fail(const struct ml_registry *reg, struct ml_err *err, enum ml_err_kind kind,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(reg->dir, err, kind, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int ml_registry_fail_sys(const struct ml_registry *reg, struct ml_err *err, int errnum,
			 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(reg->dir, err, ML_ERR_IO, errnum ? errnum : EIO, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- opening ---- */

char *ml_registry_choose_dir(const char *given)
{
	const char *env = getenv("ML_REGISTRY"), *home = getenv("ML_HOME");
	struct ml_buf b = {0};

	if (given)
		return strdup(given);
	if (env && *env)
		return strdup(env);
	if (ml_buf_printf(&b, "%s/registry", home && *home ? home : ".ml") < 0 ||
	    ml_buf_terminate(&b) < 0) {
		ml_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Reads and checks registry.json: 0, 1 when there is none, -1 with err. */
static int check_registry_json(struct ml_registry *reg, struct ml_err *err)
{
	char path[PATH_ROOM], why[256];
	struct ml_buf text = {0};
	jv doc;
	int r, rc = -1;

	ml_registry_path(reg, path, NULL, REGISTRY_JSON);
	r = ml_registry_read_file(path, &text);
	if (r != 0) {
		ml_buf_free(&text);
		return r == 1 ? 1 : ml_registry_fail_sys(reg, err, errno, "cannot read " REGISTRY_JSON);
	}
	doc = ml_registry_parse_json(text.data, text.len, why, sizeof why);
	if (!jv_is_valid(doc))
		ml_registry_fail(reg, err, ML_ERR_DATA,
				 "not a registry: " REGISTRY_JSON " is not JSON (%s)", why);
	else if (jv_get_kind(doc) != JV_KIND_OBJECT)
		ml_registry_fail(reg, err, ML_ERR_DATA,
				 "not a registry: " REGISTRY_JSON " is not a JSON object");
	else if ((r = ml_registry_check_format(doc, ML_REGISTRY_FORMAT, why, sizeof why)) == -1)
		ml_registry_fail(reg, err, ML_ERR_DATA, "not a registry: " REGISTRY_JSON "'s %s", why);
	else if (r < 0)
		ml_registry_fail(reg, err, ML_ERR_DATA, REGISTRY_JSON ": %s", why);
	else
		rc = 0;
	jv_free(doc);
	ml_buf_free(&text);
	return rc;
}

/* A directory without registry.json becomes a registry only when it holds
 * nothing but what making one leaves on the way: the lock and temporary
 * files.  Anything else is someone's data. */
static int check_empty(struct ml_registry *reg, struct ml_err *err)
{
	struct dirent *de;
	DIR *d = opendir(reg->dir);

	if (!d)
		return ml_registry_fail_sys(reg, err, errno, "cannot read the directory");
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, "lock") == 0 ||
		    ml_registry_is_temp_name(n))
			continue;
		ml_registry_fail(reg, err, ML_ERR_DATA,
				 "not a registry: the directory holds '%s' and no " REGISTRY_JSON, n);
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

/* Makes what a writer needs, under the lock: registry.json, objects/,
 * stages/ and the history, each name made durable in the directory. */
static int ensure_layout(struct ml_registry *reg, struct ml_err *err)
{
	static const char json[] = "{\"format\":\"" ML_REGISTRY_FORMAT "\",\"version\":1}\n";
	static const char *const subdirs[] = {"objects", "stages"};
	char path[PATH_ROOM];
	int r, made = 0, fd;

	if ((r = check_registry_json(reg, err)) < 0)
		return -1;
	if (r == 1 && (check_empty(reg, err) < 0 ||
		       ml_registry_replace_file(reg, NULL, REGISTRY_JSON, json, sizeof json - 1,
						reg->file_mode, 1, err) < 0))
		return -1;
	for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
		ml_registry_path(reg, path, subdirs[i], NULL);
		if (mkdir(path, 0777) == 0)
			made = 1;
		else if (errno != EEXIST)
			return ml_registry_fail_sys(reg, err, errno, "cannot create %s/", subdirs[i]);
	}
	ml_registry_path(reg, path, NULL, HISTORY);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) >= 0) {
		close(fd);
		made = 1;
	} else if (errno != EEXIST) {
		return ml_registry_fail_sys(reg, err, errno, "cannot create " HISTORY);
	}
	if (made && ml_registry_fsync_dir(reg->dir) < 0)
		return ml_registry_fail_sys(reg, err, errno, "cannot sync the directory");
	return 0;
}

/* mkdir, and its parent first when that is what is missing, so that the
 * default .ml/registry needs no preparation. */
static int make_dir(const char *dir)
{
	char *copy;
	int rc, e;

	if (mkdir(dir, 0777) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || !(copy = strdup(dir)))
		return -1;
	rc = mkdir(dirname(copy), 0777);
	e = errno;
	free(copy);
	if (rc < 0 && e != EEXIST) {
		errno = e;
		return -1;
	}
	return mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

struct ml_registry *ml_registry_open(const char *dir, int create, struct ml_err *err)
{
	struct ml_registry *reg;
	struct stat sb;
	mode_t mask;
	int r;

	if (!dir || !*dir) {
		ml_err_set(err, ML_ERR_USAGE, "no registry directory given");
		return NULL;
	}
	if (strlen(dir) >= PATH_MAX) {
		ml_err_set(err, ML_ERR_USAGE, "registry '%.64s...': the name is too long", dir);
		return NULL;
	}
	if (stat(dir, &sb) < 0) {
		if (errno != ENOENT) {
			ml_err_sys(err, errno, "registry %s", dir);
			return NULL;
		}
		if (!create) {
			ml_err_set(err, ML_ERR_USAGE, "registry '%s' does not exist", dir);
			return NULL;
		}
		if (make_dir(dir) < 0) {
			ml_err_sys(err, errno, "cannot create registry '%s'", dir);
			return NULL;
		}
	} else if (!S_ISDIR(sb.st_mode)) {
		ml_err_set(err, ML_ERR_DATA, "registry %s: not a registry: not a directory", dir);
		return NULL;
	}
	if (!(reg = calloc(1, sizeof *reg)) || !(reg->dir = strdup(dir))) {
		free(reg);
		ml_err_sys(err, ENOMEM, "registry %s", dir);
		return NULL;
	}
	reg->lock_fd = -1;
	mask = umask(0);
	umask(mask);
	reg->file_mode = 0666 & ~mask;
	if (!(reg->abs = realpath(dir, NULL))) {
		ml_err_sys(err, errno, "registry %s", dir);
		goto fail;
	}
	if (strlen(reg->abs) >= PATH_MAX) {
		ml_err_set(err, ML_ERR_USAGE, "registry %s: its absolute name is too long", dir);
		goto fail;
	}
	if ((r = check_registry_json(reg, err)) < 0)
		goto fail;
	/* an empty directory: made a registry under the lock, which
	 * serialises two processes that make it at once */
	if (r == 1 && check_empty(reg, err) < 0)
		goto fail;
	if (r == 1 && create) {
		if (ml_registry_lock(reg, err) < 0)
			goto fail;
		ml_registry_unlock(reg);
	}
	return reg;
fail:
	ml_registry_close(reg);
	return NULL;
}

void ml_registry_close(struct ml_registry *reg)
{
	if (!reg)
		return;
	ml_registry_unlock(reg);
	ml_buf_free(&reg->last_event);
	free(reg->dir);
	free(reg->abs);
	free(reg);
}

const char *ml_registry_dir(const struct ml_registry *reg)
{
	return reg->dir;
}

const char *ml_registry_abs_dir(const struct ml_registry *reg)
{
	return reg->abs;
}

/* ---- the lock and the repairs it makes ---- */

/* Removes what writers that died left half-written: the caller holds the
 * lock, so no temporary file is anyone's work in progress. */
static int remove_temps(struct ml_registry *reg, const char *sub, struct ml_err *err)
{
	char dir[PATH_ROOM], path[PATH_ROOM];
	struct dirent *de;
	DIR *d;

	ml_registry_path(reg, dir, sub, NULL);
	if (!(d = opendir(dir)))
		return errno == ENOENT ? 0 : ml_registry_fail_sys(reg, err, errno, "cannot read %s",
								  sub ? sub : ".");
	while ((de = readdir(d)) != NULL) {
		if (!ml_registry_is_temp_name(de->d_name))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path)
			continue;
		if (unlink(path) < 0 && errno != ENOENT) {
			int e = errno;
			closedir(d);
			return ml_registry_fail_sys(reg, err, e, "cannot remove %s/%s", sub ? sub : ".",
						    de->d_name);
		}
	}
	closedir(d);
	return 0;
}

/* Cuts a last line without its newline off the history: an append that
 * died, whose event never happened since its stage file was not touched. */
static int cut_torn_line(struct ml_registry *reg, struct ml_err *err)
{
	char path[PATH_ROOM], buf[65536];
	struct stat sb;
	off_t off, keep = 0;
	int fd;

	ml_registry_path(reg, path, NULL, HISTORY);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : ml_registry_fail_sys(reg, err, errno,
								  "cannot open " HISTORY);
	if (fstat(fd, &sb) < 0)
		goto fail;
	for (off = sb.st_size; off > 0;) {
		size_t n = off > (off_t)sizeof buf ? sizeof buf : (size_t)off;
		ssize_t got = pread(fd, buf, n, off - (off_t)n);
		if (got != (ssize_t)n)
			goto fail;
		char *nl = memrchr(buf, '\n', n);
		if (nl) {
			keep = off - (off_t)n + (nl - buf) + 1;
			break;
		}
		off -= (off_t)n;
	}
	if (keep != sb.st_size && (ftruncate(fd, keep) < 0 || fsync(fd) < 0))
		goto fail;
	close(fd);
	return 0;
fail:;
	int e = errno ? errno : EIO;
	close(fd);
	return ml_registry_fail_sys(reg, err, e, "cannot repair " HISTORY);
}

/* Rewrites every stage file that is missing, malformed or behind the last
 * state the history gives its stage; the caller holds the lock. */
static int roll_forward(struct ml_registry *reg, struct ml_registry_map *map, struct ml_err *err)
{
	struct ml_buf text = {0};
	char path[PATH_ROOM], why[256];
	int rc = 0;

	for (size_t i = 0; i < map->cap && rc == 0; i++) {
		struct ml_registry_slot *s = map->slot[i];
		struct ml_stage st;
		int r, behind = 1;

		if (!s)
			continue;
		ml_registry_path(reg, path, "stages", s->name);
		r = ml_registry_read_file(path, &text);
		if (r < 0) {
			rc = ml_registry_fail_sys(reg, err, errno, "cannot read stages/%s", s->name);
			break;
		}
		if (r == 0 && ml_registry_parse_stage_file(&text, s->name, &st, why, sizeof why) == 0) {
			behind = st.seq < s->seq;
			ml_stage_free(&st);
		}
		if (!behind)
			continue;
		ml_buf_reset(&text);
		if (ml_buf_add(&text, s->state.data, s->state.len) < 0 || ml_buf_addc(&text, '\n') < 0)
			rc = ml_registry_fail_sys(reg, err, ENOMEM, "cannot write stages/%s", s->name);
		else
			rc = ml_registry_replace_file(reg, "stages", s->name, text.data, text.len,
						      reg->file_mode, 0, err);
	}
	ml_buf_free(&text);
	return rc;
}

int ml_registry_lock(struct ml_registry *reg, struct ml_err *err)
{
	static const char *const temp_dirs[] = {NULL, "objects", "stages"};
	char path[PATH_ROOM];
	struct ml_registry_collect c;
	int fd, rc = 0;

	if (reg->lock_fd >= 0)
		return ml_err_set(err, ML_ERR_USAGE, "registry %s: already locked", reg->dir);
	ml_registry_path(reg, path, NULL, "lock");
	/* read-only: flock needs no more, and the lock file's owner does not matter */
	if ((fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return ml_registry_fail_sys(reg, err, errno, "cannot open the lock");
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;
			close(fd);
			return ml_registry_fail_sys(reg, err, e, "cannot lock");
		}
	}
	reg->lock_fd = fd;
	if (ensure_layout(reg, err) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof temp_dirs / sizeof temp_dirs[0]; i++)
		if (remove_temps(reg, temp_dirs[i], err) < 0)
			goto fail;
	if (cut_torn_line(reg, err) < 0)
		goto fail;
	rc = ml_registry_collect(reg, &c, NULL, err);
	if (rc == 0)
		rc = roll_forward(reg, &c.map, err);
	reg->last_seq = c.last_seq;
	ml_registry_collect_free(&c);
	if (rc == 0)
		return 0;
fail:
	ml_registry_unlock(reg);
	return -1;
}

void ml_registry_unlock(struct ml_registry *reg)
{
	if (reg->lock_fd < 0)
		return;
	flock(reg->lock_fd, LOCK_UN);
	close(reg->lock_fd);
	reg->lock_fd = -1;
}

int ml_registry_need_lock(const struct ml_registry *reg, const char *what, struct ml_err *err)
{
	if (reg->lock_fd >= 0)
		return 0;
	return ml_err_set(err, ML_ERR_USAGE, "registry %s: %s without the lock", reg->dir, what);
}
