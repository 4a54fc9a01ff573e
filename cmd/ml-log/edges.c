/* A lineage walk as NDJSON: one line per edge, artifact <- run <- input,
 * in the order of the tree. */
#include <stdlib.h>
#include <string.h>

#include "mllog.h"
#include "ml_json.h"

static const char *const run_keys[] = {
	"run_id", "tool", "start", "end", "exit", "argv", "cwd", "pipeline_id", "params",
};

static int put_string(struct ml_buf *b, const char *s)
{
	if (!s)
		return ml_buf_adds(b, "null");
	size_t n = strlen(s);
	/* libjq made every string valid UTF-8; lossy only in case */
	return ml_utf8_valid_prefix(s, n) == n ? ml_json_quote(b, s, n) : ml_json_quote_lossy(b, s, n);
}

/* "sha256":…,"path":…,"bytes":…,"records":… of an input or output. */
static int put_io(struct ml_buf *b, const unsigned char sha[SHA_BYTES], const struct log_io *io)
{
	char id[ML_SHA256_ID_SIZE];
	int rc;

	sha_format(sha, 2 * SHA_BYTES, id);
	rc = ml_buf_printf(b, "\"sha256\":\"%s\",\"path\":", id);
	rc |= put_string(b, io ? io->path : NULL);
	if (io && io->has_bytes)
		rc |= ml_buf_printf(b, ",\"bytes\":%llu", (unsigned long long)io->bytes);
	else
		rc |= ml_buf_adds(b, ",\"bytes\":null");
	if (io && io->records >= 0)
		return rc | ml_buf_printf(b, ",\"records\":%lld", (long long)io->records);
	return rc | ml_buf_adds(b, ",\"records\":null");
}

/* The part of an edge that its run gives: up to "input". */
static int run_part(const struct runlog *log, const struct lin_node *node, struct ml_buf *b)
{
	const struct log_run *r = &log->runs[node->run];
	const struct log_io *out = &r->outputs[node->out];
	int rc;

	ml_buf_reset(b);
	rc = ml_buf_printf(b, "{\"format\":\"mlpipe.lineage\",\"version\":1,\"depth\":%u,\"output\":{",
			   (node->level + 1) / 2);
	rc |= put_io(b, out->sha, out);
	rc |= ml_buf_adds(b, "},\"run\":");
	return rc | runlog_object_json(r, run_keys, sizeof run_keys / sizeof *run_keys, b);
}

static int input_part(const struct runlog *log, const struct lin_node *node, struct ml_buf *b)
{
	const struct log_run *r = &log->runs[node->run];
	int rc = ml_buf_addc(b, '{');

	if (node->in.via_param) {
		const struct log_param_id *p = &r->ids[node->in.index];
		struct ml_buf via = {0};
		rc |= put_io(b, p->sha, NULL);
		rc |= ml_buf_adds(&via, "param ");
		rc |= ml_buf_adds(&via, p->name);
		rc |= ml_buf_terminate(&via);
		rc |= ml_buf_adds(b, ",\"via\":");
		rc |= put_string(b, rc ? "param" : via.data);
		ml_buf_free(&via);
	} else {
		const struct log_io *in = &r->inputs[node->in.index];
		rc |= put_io(b, in->sha, in);
		rc |= ml_buf_adds(b, ",\"via\":\"input\"");
	}
	return rc | ml_buf_printf(b, ",\"source\":%s}", node->source ? "true" : "false");
}

/* Writes line (a whole edge) to e->out; 0, or -1 with err. */
static int put_line(struct edges *e, struct ml_err *err)
{
	if (ml_out_write_lines(e->out, e->line.data, e->line.len) < 0)
		return ml_out_error(e->out, err);
	return 0;
}

/* The head of an edge of run node r, rebuilt only for another run. */
static int head_of(struct edges *e, const struct lin_node *r)
{
	if (e->have_head && e->head_run == r->run && e->head_out == r->out && e->head_level == r->level)
		return 0;
	e->have_head = 0;
	if (run_part(e->log, r, &e->head) < 0)
		return -1;
	e->head_run = r->run;
	e->head_out = r->out;
	e->head_level = r->level;
	e->have_head = 1;
	return 0;
}

int edges_emit(void *ctx, const struct lin_node *node, struct ml_err *err)
{
	struct edges *e = ctx;
	int rc;

	if (node->kind == LIN_ROOT)
		return 0;	/* an artifact no run made has no edge */
	if (node->kind == LIN_RUN) {
		if (node->level >= e->cap) {
			size_t ncap = 2 * node->level + 16;
			struct lin_node *v = realloc(e->run_at, ncap * sizeof *v);
			if (!v)
				return ml_err_set(err, ML_ERR_IO, "out of memory");
			e->run_at = v;
			e->cap = ncap;
		}
		e->run_at[node->level] = *node;
		if (node->kids)
			return 0;	/* its edges come with its inputs */
		/* no input to show: the run's one edge has none */
		ml_buf_reset(&e->line);
		rc = head_of(e, node);
		rc |= ml_buf_add(&e->line, e->head.data, e->head.len);
		rc |= ml_buf_printf(&e->line, ",\"input\":null,\"seen\":%s}\n", node->seen ? "true" : "false");
	} else {
		/* the run that read it was told last one level up */
		ml_buf_reset(&e->line);
		rc = head_of(e, &e->run_at[node->level - 1]);
		rc |= ml_buf_add(&e->line, e->head.data, e->head.len);
		rc |= ml_buf_adds(&e->line, ",\"input\":");
		rc |= input_part(e->log, node, &e->line);
		rc |= ml_buf_adds(&e->line, ",\"seen\":false}\n");
	}
	if (rc < 0) {
		e->have_head = 0;
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	return put_line(e, err);
}

void edges_free(struct edges *e)
{
	ml_buf_free(&e->head);
	ml_buf_free(&e->line);
	free(e->run_at);
	e->run_at = NULL;
	e->cap = 0;
}
