/* Ids and objects: files named by the SHA-256 of their bytes, hashed again
 * on every read (see ml_registry.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml_registry_impl.h"

/* ---- ids ---- */

static int is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int ml_registry_id_valid(const char *id)
{
	return id && strncmp(id, "sha256:", 7) == 0 && strlen(id + 7) == ML_SHA256_HEX_LEN &&
	       is_hex(id + 7, ML_SHA256_HEX_LEN);
}

int ml_registry_object_name_valid(const char *name)
{
	return strlen(name) == ML_SHA256_HEX_LEN && is_hex(name, ML_SHA256_HEX_LEN);
}

void ml_registry_id_of_object(char id[ML_SHA256_ID_SIZE], const char *name)
{
	memcpy(id, "sha256:", 7);
	memcpy(id + 7, name, ML_SHA256_HEX_LEN + 1);
}

int ml_registry_bad_id(struct ml_err *err, const char *id)
{
	return ml_err_set(err, ML_ERR_USAGE, "'%s' is not an id (sha256: and 64 hex digits)", id);
}

static void object_path(const struct ml_registry *reg, char out[PATH_ROOM], const char *id)
{
	ml_registry_path(reg, out, "objects", id + 7);
}

/* ---- objects ---- */

int ml_registry_hash_object(struct ml_registry *reg, const char *id, char got[ML_SHA256_ID_SIZE],
			    struct ml_buf *out, struct ml_err *err)
{
	char path[PATH_ROOM], chunk[65536];
	struct ml_sha256 *h;
	struct stat sb;
	int fd;

	object_path(reg, path, id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : ml_registry_fail_sys(reg, err, errno,
								  "cannot read object %s", id);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ml_registry_fail(reg, err, ML_ERR_DATA, "object %s is not a file", id);
	}
	if (!(h = ml_sha256_new(err))) {
		close(fd);
		return -1;
	}
	for (;;) {
		char *p = chunk;
		size_t room = sizeof chunk;
		if (out) {
			if (ml_buf_reserve(out, sizeof chunk) < 0) {
				errno = ENOMEM;
				goto fail;
			}
			p = out->data + out->len;
			room = out->cap - out->len;
		}
		ssize_t n = read(fd, p, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		ml_sha256_update(h, p, (size_t)n);
		if (out)
			out->len += (size_t)n;
	}
	close(fd);
	ml_sha256_final_id(h, got);
	ml_sha256_free(h);
	return 0;
fail:;
	int e = errno;
	close(fd);
	ml_sha256_free(h);
	return ml_registry_fail_sys(reg, err, e, "cannot read object %s", id);
}

/* Hashes object id and refuses it unless it is there and whole. */
static int check_object(struct ml_registry *reg, const char *id, struct ml_buf *out,
			struct ml_err *err)
{
	char got[ML_SHA256_ID_SIZE];
	int r;

	if (!ml_registry_id_valid(id))
		return ml_registry_bad_id(err, id);
	if ((r = ml_registry_hash_object(reg, id, got, out, err)) < 0)
		return -1;
	if (r == 1)
		return ml_registry_fail(reg, err, ML_ERR_DATA, "object %s is missing", id);
	if (strcmp(got, id) != 0)
		return ml_registry_fail(reg, err, ML_ERR_DATA,
					"object %s is corrupt (its bytes hash to %s)", id, got);
	return 0;
}

int ml_registry_put(struct ml_registry *reg, const void *data, size_t len,
		    char id[ML_SHA256_ID_SIZE], int *created, struct ml_err *err)
{
	char got[ML_SHA256_ID_SIZE];
	struct ml_sha256 *h;
	int r;

	if (ml_registry_need_lock(reg, "storing an object", err) < 0 || !(h = ml_sha256_new(err)))
		return -1;
	ml_sha256_update(h, data, len);
	ml_sha256_final_id(h, id);
	ml_sha256_free(h);
	if ((r = ml_registry_hash_object(reg, id, got, NULL, err)) < 0)
		return -1;
	if (r == 0 && strcmp(got, id) == 0) {
		*created = 0;
		return 0;
	}
	/* missing, or corrupt: the good bytes go in its place */
	if (ml_registry_replace_file(reg, "objects", id + 7, data, len, 0444, 1, err) < 0)
		return -1;
	*created = 1;
	return 0;
}

int ml_registry_has(struct ml_registry *reg, const char *id, struct ml_err *err)
{
	char path[PATH_ROOM];
	struct stat sb;

	if (!ml_registry_id_valid(id))
		return ml_registry_bad_id(err, id);
	object_path(reg, path, id);
	if (stat(path, &sb) == 0)
		return 1;
	return errno == ENOENT ? 0 : ml_registry_fail_sys(reg, err, errno,
							  "cannot look at object %s", id);
}

int ml_registry_get(struct ml_registry *reg, const char *id, struct ml_buf *out,
		    struct ml_err *err)
{
	ml_buf_reset(out);
	if (check_object(reg, id, out, err) < 0) {
		ml_buf_reset(out);
		return -1;
	}
	return 0;
}

char *ml_registry_object_path(struct ml_registry *reg, const char *id, struct ml_err *err)
{
	struct ml_buf b = {0};

	if (check_object(reg, id, NULL, err) < 0)
		return NULL;
	if (ml_buf_printf(&b, "%s/objects/%s", reg->abs, id + 7) < 0 || ml_buf_terminate(&b) < 0) {
		ml_buf_free(&b);
		ml_registry_fail_sys(reg, err, ENOMEM, "object %s", id);
		return NULL;
	}
	return b.data;
}

int ml_registry_resolve(struct ml_registry *reg, const char *text, char id[ML_SHA256_ID_SIZE],
			struct ml_err *err)
{
	char dir[PATH_ROOM];
	struct dirent *de;
	size_t n, found = 0;
	DIR *d;

	if (strncmp(text, "sha256:", 7) != 0 || (n = strlen(text + 7)) < 8 ||
	    n > ML_SHA256_HEX_LEN || !is_hex(text + 7, n))
		return ml_err_set(err, ML_ERR_USAGE,
				  "'%s' is not an id (sha256: and 8 to 64 hex digits)", text);
	if (n == ML_SHA256_HEX_LEN) {
		memcpy(id, text, ML_SHA256_ID_SIZE);
		return 0;
	}
	ml_registry_path(reg, dir, "objects", NULL);
	if (!(d = opendir(dir))) {
		if (errno != ENOENT)
			return ml_registry_fail_sys(reg, err, errno, "cannot read objects/");
	} else {
		while ((de = readdir(d)) != NULL) {
			if (!ml_registry_object_name_valid(de->d_name) ||
			    strncmp(de->d_name, text + 7, n) != 0)
				continue;
			if (found++ == 0)
				ml_registry_id_of_object(id, de->d_name);
		}
		closedir(d);
	}
	if (found == 0)
		return ml_registry_fail(reg, err, ML_ERR_DATA, "no object's id starts with %s", text);
	if (found > 1)
		return ml_registry_fail(reg, err, ML_ERR_DATA,
					"%s is ambiguous: %zu objects' ids start with it", text, found);
	return 0;
}
