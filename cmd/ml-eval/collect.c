/* Reading labelled records: the label, the prediction and probabilities
 * (from the records, or scored here by a bundle), and each slice's group. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "eval.h"
#include "ml_json.h"

#define BATCH 4096

int dict_intern(struct dict *d, const char *s, size_t n, uint32_t *id)
{
	if ((size_t)(d->n + 1) * 2 > d->nslots) {
		size_t cap = d->nslots ? d->nslots * 2 : 64;
		uint32_t *v = calloc(cap, sizeof *v);
		if (!v)
			return -1;
		for (uint32_t k = 0; k < d->n; k++) {
			size_t h = XXH3_64bits(d->text[k], d->len[k]) & (cap - 1);
			while (v[h])
				h = (h + 1) & (cap - 1);
			v[h] = k + 1;
		}
		free(d->slots);
		d->slots = v;
		d->nslots = cap;
	}
	size_t h = XXH3_64bits(s, n) & (d->nslots - 1);
	for (; d->slots[h]; h = (h + 1) & (d->nslots - 1)) {
		uint32_t k = d->slots[h] - 1;
		if (d->len[k] == n && !memcmp(d->text[k], s, n)) {
			*id = k;
			return 0;
		}
	}
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 16;
		char **t = realloc(d->text, cap * sizeof *t);
		size_t *l;
		if (!t)
			return -1;
		d->text = t;
		if (!(l = realloc(d->len, cap * sizeof *l)))
			return -1;
		d->len = l;
		d->cap = cap;
	}
	if (!(d->text[d->n] = malloc(n + 1)))
		return -1;
	memcpy(d->text[d->n], s, n);
	d->text[d->n][n] = '\0';
	d->len[d->n] = n;
	d->slots[h] = d->n + 1;
	*id = d->n++;
	return 0;
}

void dict_free(struct dict *d)
{
	for (uint32_t k = 0; k < d->n; k++)
		free(d->text[k]);
	free(d->text);
	free(d->len);
	free(d->slots);
	memset(d, 0, sizeof *d);
}

static int grow(struct eval *e)
{
	size_t cap = e->cap ? e->cap * 2 : 4096;
	double *y = realloc(e->y, cap * sizeof *y);

	if (!y)
		return -1;
	e->y = y;
	double *s = realloc(e->score, cap * sizeof *s);
	if (!s)
		return -1;
	e->score = s;
	uint32_t *pc = realloc(e->pred_class, cap * sizeof *pc);
	if (!pc)
		return -1;
	e->pred_class = pc;
	if (e->pr && e->task == ML_TASK_MULTICLASS) {
		double *pp = realloc(e->probs, cap * e->pr->nclass * sizeof *pp);
		if (!pp)
			return -1;
		e->probs = pp;
	}
	if (e->base) {
		double *bs = realloc(e->base_score, cap * sizeof *bs);
		if (!bs)
			return -1;
		e->base_score = bs;
		if (e->task == ML_TASK_MULTICLASS) {
			double *bp = realloc(e->base_probs, cap * e->base->nclass * sizeof *bp);
			if (!bp)
				return -1;
			e->base_probs = bp;
		}
	}
	for (size_t i = 0; i < e->nslicers + (e->fairness != NULL); i++) {
		struct slicer *sl = i < e->nslicers ? &e->slicers[i] : e->fairness;
		uint32_t *g = realloc(sl->group, cap * sizeof *g);
		if (!g)
			return -1;
		sl->group = g;
	}
	e->cap = cap;
	return 0;
}

/* The class id of a label (interned by its JSON text). */
static int class_of(struct eval *e, const char *json, size_t n, uint32_t *id, struct ml_err *err)
{
	if (e->pr) {
		for (size_t c = 0; c < e->pr->nclass; c++)
			if (strlen(e->pr->class_raw[c]) == n && !memcmp(e->pr->class_raw[c], json, n)) {
				*id = (uint32_t)c;
				return 0;
			}
		return ml_err_set(err, ML_ERR_DATA, "the label %.*s is not a class the model was "
				  "trained on", (int)(n > 100 ? 100 : n), json);
	}
	if (dict_intern(&e->classes, json, n, id) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (e->classes.n > 10000)
		return ml_err_set(err, ML_ERR_DATA, "more than 10000 classes: is the label a class?");
	return 0;
}

static int slice_record(struct eval *e, struct slicer *s, const struct ml_rec *r, const char *line,
			size_t len, struct ml_err *err)
{
	struct ml_buf *b = &e->scratch;
	struct ml_buf tmp = {0}, why = {0};
	int rc = 0;

	ml_buf_reset(b);
	if (s->field) {
		ssize_t i = ml_rec_find(r, s->field, strlen(s->field));
		if (i < 0 || ml_rec_type(r, (size_t)i) == ML_JSON_NULL) {
			ml_buf_adds(b, "null");
		} else {
			s->valued = 1;
			if (ml_rec_type(r, (size_t)i) == ML_JSON_STRING ? ml_rec_string(r, (size_t)i, b) < 0
			    : ml_rec_value_json(r, (size_t)i, b, &tmp) < 0)
				rc = -1;
		}
	} else {
		int got = ml_jq_value(s->expr, r, line, len, b, &why, err);
		if (got < 0)
			goto out_err;	/* err says why */
		else if (!got) {
			/* no value: the record is in no group of this slicer */
			s->group[e->n] = NO_GROUP;
			goto out;
		} else if (b->len >= 2 && b->data[0] == '"') {
			/* a string value names its group without its quotes */
			ml_buf_reset(&tmp);
			ml_json_unescape(b->data + 1, b->len - 2, &tmp);
			ml_buf_reset(b);
			ml_buf_add(b, tmp.data ? tmp.data : "", tmp.len);
		}
	}
	if (rc == 0 && dict_intern(&s->values, b->data ? b->data : "", b->len, &s->group[e->n]) < 0)
		rc = -1;
	if (rc < 0)
		ml_err_set(err, ML_ERR_IO, "out of memory");
	goto out;
out_err:
	rc = -1;
out:
	ml_buf_free(&tmp);
	ml_buf_free(&why);
	return rc;
}

/* The label of r as a class id (classification) or a number. */
static int read_label(struct eval *e, const struct ml_rec *r, double *y, struct ml_err *err)
{
	ssize_t i = ml_rec_find(r, e->label, strlen(e->label));
	struct ml_buf json = {0}, tmp = {0};
	uint32_t id;
	int rc;

	if (i < 0 || ml_rec_type(r, (size_t)i) == ML_JSON_NULL)
		return ml_err_set(err, ML_ERR_DATA, "no label: field '%s' is missing or null", e->label);
	if (e->task == ML_TASK_REGRESSION) {
		if (ml_rec_type(r, (size_t)i) != ML_JSON_NUMBER)
			return ml_err_set(err, ML_ERR_DATA, "the label '%s' is not a number", e->label);
		return ml_rec_number(r, (size_t)i, y);
	}
	rc = ml_rec_value_json(r, (size_t)i, &json, &tmp);
	if (rc == 0)
		rc = class_of(e, json.data, json.len, &id, err);
	else
		ml_err_set(err, ML_ERR_IO, "out of memory");
	*y = id;
	ml_buf_free(&json);
	ml_buf_free(&tmp);
	return rc;
}

/* Scored mode: the prediction and the probabilities the record carries. */
static int read_scores(struct eval *e, const struct ml_rec *r, struct ml_err *err)
{
	size_t n = e->n;
	ssize_t i;
	double p;

	if (e->prob) {
		i = ml_rec_find(r, e->prob, strlen(e->prob));
		if (i < 0 || ml_rec_type(r, (size_t)i) == ML_JSON_NULL)
			return ml_err_set(err, ML_ERR_DATA, "no probability: field '%s' is missing or null",
					  e->prob);
		enum ml_json_type t = ml_rec_type(r, (size_t)i);
		if (e->task == ML_TASK_BINARY) {
			if (t != ML_JSON_NUMBER)
				return ml_err_set(err, ML_ERR_DATA, "the probability '%s' is a %s, not a number",
						  e->prob, ml_json_type_name(t));
			ml_rec_number(r, (size_t)i, &p);
			if (!(p >= 0 && p <= 1))
				return ml_err_set(err, ML_ERR_DATA, "the probability '%s' is %g, outside [0, 1]",
						  e->prob, p);
			e->score[n] = p;
			return 0;
		}
		if (t != ML_JSON_OBJECT)
			return ml_err_set(err, ML_ERR_DATA, "the probabilities '%s' are not an object of "
					  "class: probability", e->prob);
		/* {"class": p, ...}: the keys are the labels' texts */
		size_t vlen;
		const char *v = ml_rec_value_raw(r, (size_t)i, &vlen);
		struct ml_rec *sub = ml_rec_new();
		struct ml_buf key = {0}, json = {0};
		int rc = sub ? ml_rec_parse(sub, v, vlen, err) : ml_err_set(err, ML_ERR_IO, "out of memory");
		for (size_t k = 0; rc == 0 && k < ml_rec_count(sub); k++) {
			uint32_t id;
			ml_buf_reset(&key);
			ml_buf_reset(&json);
			ml_rec_key(sub, k, &key);
			ml_buf_terminate(&key);
			if (ml_rec_type(sub, k) != ML_JSON_NUMBER) {
				rc = ml_err_set(err, ML_ERR_DATA, "the probability of class '%s' is not a number",
						key.data);
				break;
			}
			ml_rec_number(sub, k, &p);
			if (!(p >= 0 && p <= 1)) {
				rc = ml_err_set(err, ML_ERR_DATA, "the probability of class '%s' is %g, outside [0, 1]",
						key.data, p);
				break;
			}
			/* a key names a string label, or a number or boolean label's text */
			double num;
			char *end;
			num = strtod(key.data, &end);
			if ((*end == '\0' && key.len && ml_json_is_number(key.data, key.len)) ||
			    !strcmp(key.data, "true") || !strcmp(key.data, "false")) {
				(void)num;
				ml_buf_add(&json, key.data, key.len);
			} else {
				ml_json_quote(&json, key.data, key.len);
			}
			if (class_of(e, json.data, json.len, &id, err) < 0) {
				rc = -1;
				break;
			}
			if (e->mp_n == e->mp_cap) {
				size_t cap = e->mp_cap ? e->mp_cap * 2 : 4096;
				uint64_t *a = realloc(e->mp_rec, cap * sizeof *a);
				uint32_t *b = a ? realloc(e->mp_cls, cap * sizeof *b) : NULL;
				double *c = b ? realloc(e->mp_p, cap * sizeof *c) : NULL;
				if (a)
					e->mp_rec = a;
				if (b)
					e->mp_cls = b;
				if (!c) {
					rc = ml_err_set(err, ML_ERR_IO, "out of memory");
					break;
				}
				e->mp_p = c;
				e->mp_cap = cap;
			}
			e->mp_rec[e->mp_n] = n;
			e->mp_cls[e->mp_n] = id;
			e->mp_p[e->mp_n++] = p;
		}
		ml_rec_free(sub);
		ml_buf_free(&key);
		ml_buf_free(&json);
		return rc;
	}
	i = ml_rec_find(r, e->pred, strlen(e->pred));
	if (i < 0 || ml_rec_type(r, (size_t)i) == ML_JSON_NULL)
		return ml_err_set(err, ML_ERR_DATA, "no prediction: field '%s' is missing or null", e->pred);
	if (e->task == ML_TASK_REGRESSION) {
		if (ml_rec_type(r, (size_t)i) != ML_JSON_NUMBER)
			return ml_err_set(err, ML_ERR_DATA, "the prediction '%s' is not a number", e->pred);
		return ml_rec_number(r, (size_t)i, &e->score[n]);
	}
	struct ml_buf json = {0}, tmp = {0};
	uint32_t id = 0;
	int rc = ml_rec_value_json(r, (size_t)i, &json, &tmp) < 0 ? ml_err_set(err, ML_ERR_IO, "out of memory")
							    : class_of(e, json.data, json.len, &id, err);
	e->pred_class[n] = id;
	ml_buf_free(&json);
	ml_buf_free(&tmp);
	return rc;
}

int collect_record(struct eval *e, const struct ml_rec *r, const char *line, size_t len,
		   struct ml_err *err)
{
	if (e->n == e->cap && grow(e) < 0)
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (read_label(e, r, &e->y[e->n], err) < 0)
		return -1;
	if (e->pr) {
		float *row = e->x + e->batch_n * e->pr->enc.ncols;
		/* a feature beyond the model's floats fails here, at its line,
		 * not the whole batch inside the backend */
		if (ml_encode_record(&e->pr->enc, r, row, &e->scratch, err) < 0 ||
		    ml_predictor_check_row(e->pr, r, row, err) < 0)
			return -1;
		if (e->base) {
			float *base_row = e->base_x + e->batch_n * e->base->enc.ncols;
			if (ml_encode_record(&e->base->enc, r, base_row, &e->scratch, err) < 0 ||
			    ml_predictor_check_row(e->base, r, base_row, err) < 0)
				return ml_err_prefix(err, "baseline");
		}
	} else if (read_scores(e, r, err) < 0) {
		return -1;
	}
	for (size_t i = 0; i < e->nslicers; i++)
		if (slice_record(e, &e->slicers[i], r, line, len, err) < 0)
			return -1;
	if (e->fairness && slice_record(e, e->fairness, r, line, len, err) < 0)
		return -1;
	e->n++;
	if (e->pr && ++e->batch_n == BATCH)
		return collect_flush(e, err);
	return 0;
}

int collect_flush(struct eval *e, struct ml_err *err)
{
	size_t k = e->pr ? e->pr->nout : 1, first = e->n - e->batch_n;
	double *s;

	if (!e->pr || !e->batch_n)
		return 0;
	if (!(s = malloc(e->batch_n * k * sizeof *s)))
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	if (ml_model_predict(&e->pr->model, e->x, e->batch_n, s, err) < 0) {
		free(s);
		return -1;
	}
	for (size_t i = 0; i < e->batch_n; i++) {
		if (e->task == ML_TASK_MULTICLASS)
			memcpy(e->probs + (first + i) * k, s + i * k, k * sizeof *s);
		else
			e->score[first + i] = s[i];
	}
	if (e->base && ml_model_predict(&e->base->model, e->base_x, e->batch_n, s, err) < 0) {
		free(s);
		return ml_err_prefix(err, "baseline");
	}
	for (size_t i = 0; e->base && i < e->batch_n; i++) {
		if (e->task == ML_TASK_MULTICLASS)
			memcpy(e->base_probs + (first + i) * k, s + i * k, k * sizeof *s);
		else
			e->base_score[first + i] = s[i];
	}
	free(s);
	e->batch_n = 0;
	return 0;
}

/* Class order: numbers by value, then the rest by their text. */
static const struct dict *sort_dict;

static int cmp_class(const void *a, const void *b)
{
	const char *x = sort_dict->text[*(const uint32_t *)a], *y = sort_dict->text[*(const uint32_t *)b];
	int xn = ml_json_is_number(x, strlen(x)), yn = ml_json_is_number(y, strlen(y));

	if (xn && yn) {
		double u = strtod(x, NULL), v = strtod(y, NULL);
		return (u > v) - (u < v);
	}
	if (xn != yn)
		return yn - xn;
	return strcmp(x, y);
}

int collect_finish(struct eval *e, struct ml_err *err)
{
	if (!e->n)
		return ml_err_set(err, ML_ERR_DATA, "no records to evaluate");
	if (e->pr || e->task == ML_TASK_REGRESSION) {
		e->have_prob = e->pr != NULL;
		return 0;
	}
	uint32_t k = e->classes.n, *order = malloc((k ? k : 1) * sizeof *order);
	uint32_t *remap = malloc((k ? k : 1) * sizeof *remap);
	if (!order || !remap) {
		free(order);
		free(remap);
		return ml_err_set(err, ML_ERR_IO, "out of memory");
	}
	for (uint32_t i = 0; i < k; i++)
		order[i] = i;
	sort_dict = &e->classes;
	qsort(order, k, sizeof *order, cmp_class);
	if (e->classes_open && k > 2)
		e->task = ML_TASK_MULTICLASS;
	if (e->task == ML_TASK_BINARY) {
		if (k > 2) {
			free(order);
			free(remap);
			return ml_err_set(err, ML_ERR_DATA, "a binary task, but the labels and predictions "
					  "name %u classes (--task multiclass?)", k);
		}
		/* class 1 is --positive, else true, 1, or the last in order */
		int pos = -1;
		for (uint32_t i = 0; i < k; i++) {
			const char *t = e->classes.text[order[i]];
			if (e->positive ? (!strcmp(t, e->positive) ||
					   (t[0] == '"' && strlen(t) == strlen(e->positive) + 2 &&
					    !strncmp(t + 1, e->positive, strlen(e->positive))))
					: (!strcmp(t, "true") || !strcmp(t, "1")))
				pos = (int)i;
		}
		if (e->positive && pos < 0) {
			free(order);
			free(remap);
			return ml_err_set(err, ML_ERR_USAGE, "--positive %s: no label or prediction is it",
					  e->positive);
		}
		if (k == 1) {
			/* one class in sight: class 1 when it is the positive one */
			remap[order[0]] = pos == 0;
			goto remapped;
		}
		if (pos < 0)
			pos = (int)k - 1;
		if (pos == 0 && k == 2) {
			uint32_t t = order[0];
			order[0] = order[1];
			order[1] = t;
		}
	}
	for (uint32_t i = 0; i < k; i++)
		remap[order[i]] = i;
remapped:
	for (size_t i = 0; i < e->n; i++) {
		e->y[i] = remap[(uint32_t)e->y[i]];
		if (!e->prob)
			e->pred_class[i] = remap[e->pred_class[i]];
	}
	/* the classes' texts in their new order (the classes seen) */
	for (uint32_t i = 0; i < k; i++) {
		ml_buf_adds(&e->class_json, e->classes.text[order[i]]);
		ml_buf_addc(&e->class_json, '\0');
	}
	if (e->task == ML_TASK_MULTICLASS && e->prob) {
		if (!(e->probs = calloc(e->n * k, sizeof *e->probs))) {
			free(order);
			free(remap);
			return ml_err_set(err, ML_ERR_IO, "out of memory");
		}
		for (size_t i = 0; i < e->mp_n; i++)
			e->probs[e->mp_rec[i] * k + remap[e->mp_cls[i]]] = e->mp_p[i];
	}
	e->have_prob = e->prob != NULL;
	free(order);
	free(remap);
	return 0;
}

size_t eval_nclass(const struct eval *e)
{
	return e->pr ? e->pr->nclass : e->classes.n;
}

const char *class_label(const struct eval *e, size_t c)
{
	if (e->pr)
		return e->pr->class_raw[c];
	const char *t = e->class_json.data;
	for (size_t i = 0; t && i < c; i++)
		t += strlen(t) + 1;
	return t ? t : "null";
}

void eval_free(struct eval *e)
{
	dict_free(&e->classes);
	ml_buf_free(&e->class_json);
	free(e->y);
	free(e->score);
	free(e->pred_class);
	free(e->mp_rec);
	free(e->mp_cls);
	free(e->mp_p);
	free(e->probs);
	for (size_t i = 0; i < e->nslicers; i++) {
		free(e->slicers[i].name);
		free(e->slicers[i].field);
		ml_jq_free(e->slicers[i].expr);
		dict_free(&e->slicers[i].values);
		free(e->slicers[i].group);
	}
	free(e->slicers);
	if (e->fairness) {
		dict_free(&e->fairness->values);
		free(e->fairness->group);
		free(e->fairness->field);
		free(e->fairness->name);
		free(e->fairness);
	}
	ml_buf_free(&e->sources);
	ml_buf_free(&e->scratch);
	free(e->x);
	free(e->base_x);
	free(e->base_score);
	free(e->base_probs);
}

/* Scored mode: the first record tells the task, unless --task did, and
 * which probability field there is, unless --prob did. */
int collect_decide(struct eval *e, const struct ml_rec *r, struct ml_err *err)
{
	ssize_t i;

	if (e->pr)
		return 0;
	if (!e->prob && e->task != ML_TASK_REGRESSION) {
		/* ml-predict's fields, when the record has them */
		if ((i = ml_rec_find(r, "probability", 11)) >= 0 && ml_rec_type(r, (size_t)i) == ML_JSON_NUMBER &&
		    (!e->task_forced || e->task == ML_TASK_BINARY))
			e->prob = "probability";
		else if ((i = ml_rec_find(r, "probabilities", 13)) >= 0 &&
			 ml_rec_type(r, (size_t)i) == ML_JSON_OBJECT &&
			 (!e->task_forced || e->task == ML_TASK_MULTICLASS))
			e->prob = "probabilities";
	}
	if (e->task_forced)
		return 0;
	if (e->prob) {
		i = ml_rec_find(r, e->prob, strlen(e->prob));
		e->task = i >= 0 && ml_rec_type(r, (size_t)i) == ML_JSON_OBJECT ? ML_TASK_MULTICLASS
									       : ML_TASK_BINARY;
		return 0;
	}
	i = ml_rec_find(r, e->label, strlen(e->label));
	ssize_t j = ml_rec_find(r, e->pred, strlen(e->pred));
	if (i < 0)
		return ml_err_set(err, ML_ERR_DATA, "no label: field '%s' is missing", e->label);
	if (j < 0)
		return ml_err_set(err, ML_ERR_DATA, "no prediction: field '%s' is missing", e->pred);
	/* numbers without probabilities: a regression; else classes, binary
	 * or multiclass as many as there turn out to be */
	e->task = ml_rec_type(r, (size_t)i) == ML_JSON_NUMBER && ml_rec_type(r, (size_t)j) == ML_JSON_NUMBER
		? ML_TASK_REGRESSION : ML_TASK_BINARY;
	e->classes_open = e->task == ML_TASK_BINARY;
	return 0;
}
