#include "ml_sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ml_sha256 {
	EVP_MD_CTX *ctx;
};

struct ml_sha256 *ml_sha256_new(struct ml_err *err)
{
	struct ml_sha256 *h = calloc(1, sizeof *h);

	if (!h || !(h->ctx = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		ml_sha256_free(h);
		ml_err_set(err, ML_ERR_IO, "cannot start a SHA-256 digest");
		return NULL;
	}
	return h;
}

void ml_sha256_update(struct ml_sha256 *h, const void *p, size_t n)
{
	if (n)
		EVP_DigestUpdate(h->ctx, p, n);
}

void ml_sha256_final_id(struct ml_sha256 *h, char id[ML_SHA256_ID_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->ctx, md, &n);
	memcpy(id, "sha256:", 7);
	for (unsigned int i = 0; i < 32; i++) {
		id[7 + 2 * i] = hex[md[i] >> 4];
		id[8 + 2 * i] = hex[md[i] & 15];
	}
	id[7 + ML_SHA256_HEX_LEN] = '\0';
}

void ml_sha256_free(struct ml_sha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int ml_sha256_file(const char *path, char id[ML_SHA256_ID_SIZE], struct ml_err *err)
{
	char buf[1 << 16];
	struct ml_sha256 *h;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return ml_err_sys(err, errno, "cannot open '%s'", path);
	if (!(h = ml_sha256_new(err))) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			ml_sha256_free(h);
			return ml_err_sys(err, e, "cannot read '%s'", path);
		}
		ml_sha256_update(h, buf, (size_t)n);
	}
	close(fd);
	ml_sha256_final_id(h, id);
	ml_sha256_free(h);
	return 0;
}
