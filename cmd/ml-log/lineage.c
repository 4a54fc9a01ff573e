/* Lineage: every hash the runs read or wrote, indexed to the runs that
 * wrote it, and the walk from an artifact back to the raw sources. */
#include <stdlib.h>
#include <string.h>

#include "mllog.h"

#define NONE ((size_t)-1)

/* An artifact: a hash some run read or wrote. */
struct lin_art {
	unsigned char sha[SHA_BYTES];
	size_t first_prod, last_prod;	/* its producers, in log order (NONE: none) */
	size_t reader;			/* the last run that read it (NONE: none) */
	struct lin_input reader_in;
};

/* A run that wrote an artifact, and which of its outputs it is. */
struct lin_prod {
	size_t run;
	uint32_t out;
	size_t next;
};

struct lin_index {
	const struct runlog *log;
	struct lin_art *arts;
	size_t narts, cap;
	size_t *slots;		/* open addressing: artifact index + 1, 0 empty */
	size_t nslots;
	struct lin_prod *prods;
	size_t nprods, prod_cap;
};

/* A real sha256 is as good a hash key as there is, but a log can name
 * made-up ids (sha256:000…001, …002): mix all their bytes. */
static size_t slot_of(const unsigned char sha[SHA_BYTES], size_t nslots)
{
	uint64_t h = 0, w;

	for (size_t i = 0; i < SHA_BYTES; i += sizeof w) {
		memcpy(&w, sha + i, sizeof w);
		h = (h ^ w) * 0x9E3779B97F4A7C15u;
	}
	return (size_t)(h >> 32 ^ h) & (nslots - 1);
}

static size_t find(const struct lin_index *ix, const unsigned char sha[SHA_BYTES])
{
	if (!ix->nslots)
		return NONE;
	for (size_t s = slot_of(sha, ix->nslots);; s = (s + 1) & (ix->nslots - 1)) {
		if (!ix->slots[s])
			return NONE;
		if (memcmp(ix->arts[ix->slots[s] - 1].sha, sha, SHA_BYTES) == 0)
			return ix->slots[s] - 1;
	}
}

/* Puts artifact a (its hash sha) in the first free slot from its own. */
static void slot_put(size_t *slots, size_t nslots, const unsigned char sha[SHA_BYTES], size_t a)
{
	size_t s = slot_of(sha, nslots);

	while (slots[s])
		s = (s + 1) & (nslots - 1);
	slots[s] = a + 1;
}

static int grow_slots(struct lin_index *ix)
{
	size_t n = ix->nslots ? 2 * ix->nslots : 1024;
	size_t *slots = calloc(n, sizeof *slots);

	if (!slots)
		return -1;
	for (size_t a = 0; a < ix->narts; a++)
		slot_put(slots, n, ix->arts[a].sha, a);
	free(ix->slots);
	ix->slots = slots;
	ix->nslots = n;
	return 0;
}

/* The artifact sha, added when new; NONE when memory is out. */
static size_t intern(struct lin_index *ix, const unsigned char sha[SHA_BYTES])
{
	size_t a = find(ix, sha);

	if (a != NONE)
		return a;
	if ((ix->narts + 1) * 2 > ix->nslots && grow_slots(ix) < 0)
		return NONE;
	if (ix->narts == ix->cap) {
		size_t ncap = ix->cap ? 2 * ix->cap : 1024;
		struct lin_art *v = realloc(ix->arts, ncap * sizeof *v);
		if (!v)
			return NONE;
		ix->arts = v;
		ix->cap = ncap;
	}
	a = ix->narts++;
	memcpy(ix->arts[a].sha, sha, SHA_BYTES);
	ix->arts[a].first_prod = ix->arts[a].last_prod = ix->arts[a].reader = NONE;
	slot_put(ix->slots, ix->nslots, sha, a);
	return a;
}

static int add_producer(struct lin_index *ix, size_t a, size_t run, uint32_t out)
{
	struct lin_art *art = &ix->arts[a];

	/* a run that wrote the same bytes twice (two empty files) made it once */
	if (art->last_prod != NONE && ix->prods[art->last_prod].run == run)
		return 0;
	if (ix->nprods == ix->prod_cap) {
		size_t ncap = ix->prod_cap ? 2 * ix->prod_cap : 1024;
		struct lin_prod *v = realloc(ix->prods, ncap * sizeof *v);
		if (!v)
			return -1;
		ix->prods = v;
		ix->prod_cap = ncap;
	}
	size_t p = ix->nprods++;
	ix->prods[p] = (struct lin_prod){.run = run, .out = out, .next = NONE};
	if (art->last_prod == NONE)
		art->first_prod = p;
	else
		ix->prods[art->last_prod].next = p;
	art->last_prod = p;
	return 0;
}

static int add_reader(struct lin_index *ix, const unsigned char sha[SHA_BYTES], size_t run,
		      int via_param, uint32_t k)
{
	size_t a = intern(ix, sha);

	if (a == NONE)
		return -1;
	ix->arts[a].reader = run;
	ix->arts[a].reader_in = (struct lin_input){.via_param = via_param, .index = k};
	return 0;
}

struct lin_index *lin_index_build(const struct runlog *log, const size_t *sel, size_t n)
{
	struct lin_index *ix = calloc(1, sizeof *ix);

	if (!ix)
		return NULL;
	ix->log = log;
	for (size_t i = 0; i < n; i++) {
		const struct log_run *r = &log->runs[sel[i]];
		for (uint32_t k = 0; k < r->noutputs; k++) {
			if (!r->outputs[k].has_sha)
				continue;
			size_t a = intern(ix, r->outputs[k].sha);
			if (a == NONE || add_producer(ix, a, sel[i], k) < 0)
				goto fail;
		}
		for (uint32_t k = 0; k < r->ninputs; k++)
			if (r->inputs[k].has_sha && add_reader(ix, r->inputs[k].sha, sel[i], 0, k) < 0)
				goto fail;
		for (uint32_t k = 0; k < r->nids; k++)
			if (add_reader(ix, r->ids[k].sha, sel[i], 1, k) < 0)
				goto fail;
	}
	return ix;
fail:
	lin_index_free(ix);
	return NULL;
}

void lin_index_free(struct lin_index *ix)
{
	if (!ix)
		return;
	free(ix->arts);
	free(ix->slots);
	free(ix->prods);
	free(ix);
}

int lin_index_has(const struct lin_index *ix, const unsigned char sha[SHA_BYTES])
{
	return find(ix, sha) != NONE;
}

/* Whether sha's hex digits start with hex[0..n). */
static int starts_with(const unsigned char sha[SHA_BYTES], const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sha_hex_digit(sha, i) != hex[i])
			return 0;
	return 1;
}

int lin_index_prefix(const struct lin_index *ix, const char *hex, size_t n,
		     unsigned char sha[SHA_BYTES], struct ml_err *err)
{
	size_t found = NONE, more = 0;

	for (size_t a = 0; a < ix->narts; a++) {
		if (!starts_with(ix->arts[a].sha, hex, n))
			continue;
		if (found == NONE)
			found = a;
		else
			more++;
	}
	if (found == NONE)
		return 0;
	if (more) {
		char one[ML_SHA256_ID_SIZE];
		sha_format(ix->arts[found].sha, SHORT_HEX, one);
		return ml_err_set(err, ML_ERR_USAGE, "'sha256:%.*s' is ambiguous: %zu ids in the run log "
				  "start with it (%s, ...); give more hex digits", (int)n, hex, more + 1, one);
	}
	memcpy(sha, ix->arts[found].sha, SHA_BYTES);
	return 1;
}

/* A child in the tree: a producing run (of an artifact), or an input (of a
 * run) with its artifact. */
struct child {
	size_t run;
	uint32_t out;
	struct lin_input in;
	size_t art;
};

struct frame {
	int is_run;
	unsigned level;
	size_t run;		/* run frames */
	size_t art;		/* artifact frames */
	struct child *kids;
	size_t nkids, next;
};

static int newer_first(const void *a, const void *b)
{
	const struct child *x = a, *y = b;

	return x->run < y->run ? 1 : x->run > y->run ? -1 : 0;
}

/* Whether two runs are the same step run again: the same program on the
 * same inputs (and the same artifacts named by parameters).  Such runs
 * made the same bytes the same way, so the latest stands for them all;
 * runs of one program on other inputs (ml-promote's register and its
 * promote with the evaluation's metrics) are other ways the artifact came
 * about, and each is shown. */
static int same_step(const struct log_run *a, const struct log_run *b)
{
	if (strcmp(a->tool ? a->tool : "", b->tool ? b->tool : "") ||
	    a->ninputs != b->ninputs || a->nids != b->nids)
		return 0;
	for (uint32_t i = 0; i < a->ninputs; i++)
		if (a->inputs[i].has_sha != b->inputs[i].has_sha ||
		    (a->inputs[i].has_sha && memcmp(a->inputs[i].sha, b->inputs[i].sha, SHA_BYTES)))
			return 0;
	for (uint32_t i = 0; i < a->nids; i++)
		if (memcmp(a->ids[i].sha, b->ids[i].sha, SHA_BYTES))
			return 0;
	return 1;
}

/* Whether a run before run `before` in the log made artifact a.  A run's
 * line follows the lines of the runs whose output it read: a program
 * writes its line before it exits, and a pipe's reader sees the end of its
 * input only when the writer has exited. */
static int made_before(const struct lin_index *ix, size_t a, size_t before)
{
	size_t p = ix->arts[a].first_prod;

	return p != NONE && ix->prods[p].run < before;
}

/* The runs to show under artifact a as read by run `before` (NONE for the
 * artifact asked about): those before it that made a, the latest of each
 * step (same_step), newest first; with all, every run that made a, before
 * or after, in log order. */
static int producers(const struct lin_index *ix, size_t a, int all, size_t before,
		     struct child **kids, size_t *n)
{
	const struct log_run *runs = ix->log->runs;
	size_t cap = 0;

	*kids = NULL;
	*n = 0;
	if (all)
		before = NONE;
	for (size_t p = ix->arts[a].first_prod; p != NONE && ix->prods[p].run < before;
	     p = ix->prods[p].next) {
		struct child c = {.run = ix->prods[p].run, .out = ix->prods[p].out, .art = a};
		size_t j = *n;
		if (!all)
			for (j = 0; j < *n && !same_step(&runs[(*kids)[j].run], &runs[c.run]); j++)
				;
		if (j < *n) {
			(*kids)[j] = c;
			continue;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 4;
			struct child *v = realloc(*kids, cap * sizeof *v);
			if (!v)
				return -1;
			*kids = v;
		}
		(*kids)[(*n)++] = c;
	}
	if (!all && *n > 1)
		qsort(*kids, *n, sizeof **kids, newer_first);
	return 0;
}

/* The inputs to show under run: each hash once, its inputs then the
 * hashes its params name (those on the path from the root are shown too,
 * and not followed: see lin_walk). */
static int inputs(const struct lin_index *ix, size_t run, size_t *listed_by, struct child **kids,
		  size_t *n)
{
	const struct log_run *r = &ix->log->runs[run];
	size_t total = r->ninputs + r->nids;

	*kids = NULL;
	*n = 0;
	if (!total)
		return 0;
	if (!(*kids = malloc(total * sizeof **kids)))
		return -1;
	for (size_t k = 0; k < total; k++) {
		int via_param = k >= r->ninputs;
		uint32_t idx = (uint32_t)(via_param ? k - r->ninputs : k);
		if (!via_param && !r->inputs[idx].has_sha)
			continue;
		size_t a = find(ix, via_param ? r->ids[idx].sha : r->inputs[idx].sha);
		/* listed_by[a]: the run (+ 1) that listed a last, so that a
		 * merge of thousands of shards is no square */
		if (a == NONE || listed_by[a] == run + 1)
			continue;
		listed_by[a] = run + 1;
		(*kids)[(*n)++] = (struct child){.run = run, .in = {.via_param = via_param, .index = idx},
						 .art = a};
	}
	return 0;
}

/* The walk's stack of frames, and where it tells each line. */
struct walk {
	struct frame *stack;
	size_t sp, cap;
	lin_emit_fn emit;
	void *ctx;
	int nomem;		/* it stopped for memory, not because emit said so */
};

static int push(struct walk *w, const struct frame *f)
{
	if (w->sp == w->cap) {
		size_t ncap = w->cap ? 2 * w->cap : 64;
		struct frame *v = realloc(w->stack, ncap * sizeof *v);
		if (!v)
			return -1;
		w->stack = v;
		w->cap = ncap;
	}
	w->stack[w->sp++] = *f;
	return 0;
}

/* Tells emit of node, whose children are f's kids, after pushing f when
 * they are to be walked; -1 when memory is out (f's kids freed) or emit
 * said stop. */
static int tell(struct walk *w, struct frame *f, int expand, struct lin_node *node,
		struct ml_err *err)
{
	node->kids = f->nkids;
	if (expand && push(w, f) < 0) {
		free(f->kids);
		return -1;
	}
	if (w->emit(w->ctx, node, err) < 0) {
		w->nomem = 0;
		return -1;
	}
	return 0;
}

/* Depth first with a stack of its own (a chain of runs can be as long as
 * the log), telling each line as it comes: nothing is kept but the path. */
int lin_walk(const struct lin_index *ix, const unsigned char sha[SHA_BYTES], int all,
	     unsigned max_depth, lin_emit_fn emit, void *ctx, struct ml_err *err)
{
	size_t root = find(ix, sha);
	unsigned *on_path = calloc(ix->narts ? ix->narts : 1, sizeof *on_path);
	size_t *listed_by = calloc(ix->narts ? ix->narts : 1, sizeof *listed_by);
	unsigned char *seen = calloc(ix->log->n ? ix->log->n : 1, 1);
	struct walk w = {.emit = emit, .ctx = ctx, .nomem = 1};
	struct frame f = {0};
	struct lin_node node = {.kind = LIN_ROOT, .last = 1};
	int rc = -1;

	if (!on_path || !seen || !listed_by)
		goto out;
	if (root == NONE) {
		node.source = 1;
		w.nomem = 0;
		rc = emit(ctx, &node, err);
		goto out;
	}
	node.source = !made_before(ix, root, NONE);
	f.art = root;
	if (max_depth >= 1 && producers(ix, root, all, NONE, &f.kids, &f.nkids) < 0)
		goto out;
	on_path[root]++;
	if (tell(&w, &f, 1, &node, err) < 0)
		goto out;
	while (w.sp) {
		struct frame *top = &w.stack[w.sp - 1];
		if (top->next == top->nkids) {
			if (!top->is_run)
				on_path[top->art]--;
			free(top->kids);
			w.sp--;
			continue;
		}
		struct child c = top->kids[top->next++];
		memset(&node, 0, sizeof node);
		node.last = top->next == top->nkids;
		node.level = top->level + 1;
		node.run = c.run;
		memset(&f, 0, sizeof f);
		f.level = node.level;
		int expand;
		if (!top->is_run) {
			node.kind = LIN_RUN;
			node.out = c.out;
			node.seen = seen[c.run];
			expand = !node.seen;
			if (expand) {
				seen[c.run] = 1;
				f.is_run = 1;
				f.run = c.run;
				if (inputs(ix, c.run, listed_by, &f.kids, &f.nkids) < 0)
					goto out;
			}
		} else {
			node.kind = LIN_INPUT;
			node.in = c.in;
			node.source = !made_before(ix, c.art, all ? NONE : c.run);
			/* an input on the path from the root is a leaf: a step
			 * that passes its input through unchanged would loop */
			node.seen = !node.source && on_path[c.art];
			/* the runs that made it are (level + 2) / 2 runs back */
			expand = !node.source && !node.seen && (node.level + 2) / 2 <= max_depth;
			if (expand) {
				f.art = c.art;
				if (producers(ix, c.art, all, c.run, &f.kids, &f.nkids) < 0)
					goto out;
				on_path[c.art]++;
			}
		}
		if (tell(&w, &f, expand, &node, err) < 0)
			goto out;
	}
	rc = 0;
out:
	while (w.sp)
		free(w.stack[--w.sp].kids);
	free(w.stack);
	free(on_path);
	free(listed_by);
	free(seen);
	if (rc < 0 && w.nomem)
		ml_err_set(err, ML_ERR_IO, "out of memory");
	return rc;
}

const struct log_io *lin_root_io(const struct lin_index *ix, const unsigned char sha[SHA_BYTES],
				 const char **param_name)
{
	const struct log_run *runs = ix->log->runs;
	size_t a = find(ix, sha);

	*param_name = NULL;
	if (a == NONE)
		return NULL;
	const struct lin_art *art = &ix->arts[a];
	if (art->last_prod != NONE) {
		const struct lin_prod *p = &ix->prods[art->last_prod];
		return &runs[p->run].outputs[p->out];
	}
	if (art->reader == NONE)
		return NULL;
	const struct log_run *r = &runs[art->reader];
	if (art->reader_in.via_param) {
		*param_name = r->ids[art->reader_in.index].name;
		return NULL;
	}
	return &r->inputs[art->reader_in.index];
}
