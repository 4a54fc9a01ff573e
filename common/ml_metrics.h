/* ml_metrics: the metrics of model evaluation, as pure functions.
 *
 * The reference for every definition is scikit-learn 1.2 (Debian's
 * python3-sklearn 1.2.1); the unit tests compare against it at run time,
 * to 1e-9 absolute for values in [0, 1] and 1e-9 relative above.  Nothing
 * here prints, exits or keeps state.  Scratch is allocated and freed
 * before returning: n scores (binary, curves: sorted once, O(n log n)),
 * n errors (regression median), B bins, k x k weighted counts
 * (multiclass); a curve's points stay until ml_metrics_curve_free.  Sums
 * of many terms are compensated (Neumaier), so a result does not drift
 * with n; that is also why a last bit may differ from sklearn's plain or
 * pairwise sums.
 *
 * Inputs.  n >= 1 samples.  Weights w may be NULL (every weight 1);
 * otherwise each is finite and >= 0 and their total is > 0.  A zero
 * weight removes its sample from every weighted quantity (sklearn drops
 * such samples from its curves too), with the exceptions named below.
 * Labels, scores and targets are finite.  A violation fails with
 * ML_ERR_DATA (bad input value, with its index) or ML_ERR_USAGE (bad
 * argument); out of memory is ML_ERR_IO.
 *
 * Binary classification: y[i] is 0 or 1 (held in a double), p[i] the
 * predicted probability of class 1, in [0, 1] (the curves take any
 * finite score).  The prediction at threshold t is p >= t.
 *   accuracy, precision, recall, F1, confusion matrix - of the prediction,
 *       weighted counts, positive class 1 (accuracy_score, precision_score,
 *       ...(average='binary'), confusion_matrix).  A 0/0 precision or
 *       recall is 0, as sklearn's zero_division='warn' returns (it also
 *       warns); F1 is 0 when precision + recall is 0.  F1 = 2PR / (P + R).
 *   MCC - matthews_corrcoef: (tp tn - fp fn) / sqrt of the four margins'
 *       product, 0 when a margin is 0 (one class predicted or present).
 *   ROC AUC - roc_auc_score: the trapezoid over the ROC points of the
 *       distinct scores, so a tie group is one diagonal step.  NAN when the
 *       positive or the negative weight is 0 (sklearn raises "only one
 *       class present", or returns nan when weights empty a class).
 *   average precision - average_precision_score: sum over the distinct
 *       scores, descending, of (R_k - R_k-1) P_k, not interpolated.  With
 *       no positive weight, 0 (sklearn sets recall to 1, warns, returns 0).
 *   log loss - log_loss(labels=[0, 1]): p clipped to [eps, 1 - eps], eps
 *       = DBL_EPSILON (sklearn 1.2's eps='auto' for float64), the pair
 *       (1 - p, p) renormalized by its sum, weighted mean of -ln.  Defined
 *       when y holds one class only (sklearn needs labels= for that).
 *   Brier score - brier_score_loss: weighted mean of (y - p)^2.
 *   ECE - sum over B bins of (W_b / W) |mean y - mean p| in bin b, means
 *       weighted; a bin is empty when its weight is 0.  The bins are those
 *       of calibration_curve(strategy='uniform', n_bins=B): edges
 *       e_j = j * (1.0 / B) (numpy's linspace), bin b = (e_b, e_b+1]
 *       except that the first also holds 0 (np.searchsorted on the inner
 *       edges), so a probability on an edge goes to the lower bin.
 *       Unweighted it equals sum of (count_b / n) |prob_true - prob_pred|
 *       over calibration_curve's output; sklearn has no weighted form.
 *
 * Curves (roc_curve, precision_recall_curve), for plotting: one point per
 * distinct score of the positive-weight samples, taken in descending
 * order, tp and fp the weights at or above it.
 *   ROC - x = fpr = fp / N, y = tpr = tp / P, led by (0, 0) whose threshold
 *       is the top score + 1 (sklearn 1.2; 1.3 uses +inf).  With
 *       drop_intermediate, an inner point is dropped when both of its
 *       neighbouring steps are equal (sklearn's second difference is 0):
 *       collinear points, which change no plot and no area.  Steps compare
 *       as compensated sums here, sklearn's as differences of plain
 *       cumulative sums: with non-dyadic weights that repeat exactly
 *       (0.1, 0.3, ...) a collinear point may be kept by one and dropped
 *       by the other.  N = 0 makes every x NAN, P = 0 every y (sklearn).
 *   PR - x = recall = tp / P (1 at every point when P = 0), y = precision
 *       = tp / (tp + fp), in sklearn's order: ascending thresholds, recall
 *       decreasing, then the point (recall 0, precision 1) which sklearn
 *       gives no threshold; its threshold here is +INFINITY (nothing is
 *       predicted positive).
 *
 * Multiclass: y[i] in 0..k-1 (k >= 2), p the n x k row-major predicted
 * probabilities in [0, 1]; the prediction is the first index of the row's
 * maximum (np.argmax).
 *   accuracy, macro/micro/weighted precision, recall and F1 -
 *       precision_recall_fscore_support(average=...) with sklearn's
 *       default labels=None: the classes averaged over are those present
 *       in y or in the predictions (whatever their weight), so a class
 *       nobody has nor predicts does not pull the macro mean down.  0/0 is
 *       0 as above.  weighted averages by the true weight of each class.
 *   log loss - log_loss(labels=range(k)): every entry clipped to
 *       [eps, 1 - eps], each row renormalized by its sum (so rows need not
 *       sum to 1), weighted mean of -ln of the true class's entry.
 *   MCC - matthews_corrcoef, the K-class form (Gorodkin's R_K).
 *   confusion matrix - k x k, row = true class, column = predicted,
 *       weighted counts (confusion_matrix(labels=range(k))).
 *
 * Regression: y the targets, yhat the predictions.
 *   MAE, MSE, RMSE = sqrt(MSE), MAPE - mean_absolute_error, ...;
 *       MAPE = weighted mean of |yhat - y| / max(|y|, DBL_EPSILON), a
 *       fraction, not a percentage, and huge when some y is 0 (sklearn).
 *   R^2 - r2_score(force_finite=True): 1 - SSE / SST; NAN when n < 2
 *       (counting zero-weight samples, as sklearn); 1 when SSE = 0; 0 when
 *       SST = 0 < SSE.  SST is exactly 0 when the positive-weight targets
 *       are all equal; sklearn's SST is then 0 only when its mean rounds
 *       back to that value (dyadic targets), else a rounding residue that
 *       gives a huge negative R^2: there the two differ, by design.
 *   explained variance - explained_variance_score(force_finite=True):
 *       1 - Var(y - yhat) / Var(y), weighted, with the same 1 / 0 rules and
 *       the same exact treatment of a constant y or constant y - yhat.
 *   median absolute error - median_absolute_error: unweighted (w NULL)
 *       np.median of |y - yhat|, the mean of the two middle values for
 *       even n; weighted, sklearn's _weighted_percentile: the smallest
 *       error whose cumulative weight (ascending) reaches half the total,
 *       the lower weighted median.  So weights of all 1 do not give the
 *       unweighted value for even n: sklearn does the same. */
#ifndef ML_METRICS_H
#define ML_METRICS_H

#include <stddef.h>

#include "ml_buf.h"
#include "ml_err.h"
#include "ml_model.h"

/* The names of the metrics ml-eval writes for a task, in the order it
 * writes them (ml_metrics_names.c holds the one list of them). */
size_t ml_metrics_names(enum ml_task t, const char *const **names);

/* Which way a metric is better: 1 higher, -1 lower, 0 neither (as
 * positive_rate) or not a metric ml-eval writes. */
int ml_metric_direction(const char *name);

/* Appends "higher is better: a, b; lower is better: c, d" to out, for a
 * message that lists the metrics a gate can compare. */
void ml_metric_known_names(struct ml_buf *out);

/* Binary classification metrics at one threshold. */
struct ml_binary_metrics {
	double weight;          /* total weight (n when unweighted) */
	double pos, neg;        /* weight of y = 1, of y = 0 */
	double tn, fp, fn, tp;  /* confusion matrix at the threshold */
	double accuracy, precision, recall, f1, mcc;
	double roc_auc;         /* NAN when pos or neg is 0 */
	double average_precision;
	double log_loss, brier, ece;
};

/* Multiclass metrics; the per-class ones go to struct ml_class_metrics. */
struct ml_multiclass_metrics {
	double weight;          /* total weight */
	double accuracy;
	double precision_macro, recall_macro, f1_macro;
	double precision_micro, recall_micro, f1_micro;
	double precision_weighted, recall_weighted, f1_weighted;
	double log_loss, mcc;
	size_t present;         /* classes the macro mean runs over */
};

/* One class of a multiclass evaluation (precision_recall_fscore_support
 * with average=None). */
struct ml_class_metrics {
	double precision, recall, f1;
	double support;         /* true weight of the class */
	int present;            /* the class occurs in y or in the predictions */
};

/* Regression metrics. */
struct ml_regression_metrics {
	double weight;          /* total weight */
	double mae, mse, rmse, mape, medae;
	double r2;              /* NAN when n < 2 */
	double explained_variance;
};

/* A curve for plotting: n points (x[i], y[i]) reached at threshold thr[i],
 * the three arrays in one allocation owned by x.  See the top for ROC and
 * PR. */
struct ml_curve {
	size_t n;
	double *x, *y, *thr;
};

/* One bin of a reliability diagram: probabilities in (lo, hi] (the first
 * bin also holds lo). */
struct ml_calib_bin {
	double lo, hi;
	size_t count;           /* samples in the bin, zero weights included */
	double weight;          /* their total weight */
	double mean_p;          /* weighted mean probability; NAN when weight is 0 */
	double frac_pos;        /* weighted share of y = 1; NAN when weight is 0 */
};

/* Every binary metric of labels y, probabilities p, weights w (or NULL) of
 * n samples, at threshold (not NaN), ECE over bins >= 1 bins; sorts a copy
 * (O(n log n)). */
int ml_metrics_binary(const double *y, const double *p, const double *w, size_t n,
		      double threshold, size_t bins, struct ml_binary_metrics *out,
		      struct ml_err *err);
/* The same figures, to the bit, with the ranking (the sort) on a second
 * thread beside the rest from ML_WORKER_PARALLEL_ROWS samples on: for a
 * caller with a core to spare, not for one of several threads that are
 * already computing metrics (ml-eval's resamples). */
int ml_metrics_binary_parallel(const double *y, const double *p, const double *w, size_t n,
			       double threshold, size_t bins, struct ml_binary_metrics *out,
			       struct ml_err *err);

/* The ROC curve of labels y and scores s into *out (free with
 * ml_metrics_curve_free), drop_intermediate as roc_curve's. */
int ml_metrics_roc_curve(const double *y, const double *s, const double *w, size_t n,
			 int drop_intermediate, struct ml_curve *out, struct ml_err *err);

/* The precision-recall curve of labels y and scores s into *out. */
int ml_metrics_pr_curve(const double *y, const double *s, const double *w, size_t n,
			struct ml_curve *out, struct ml_err *err);

/* Frees the points of a curve and empties it; c may be empty. */
void ml_metrics_curve_free(struct ml_curve *c);

/* The bins >= 1 equal-width reliability bins of labels y and probabilities
 * p into out[0..bins), with the ECE's binning. */
int ml_metrics_calibration(const double *y, const double *p, const double *w, size_t n,
			   size_t bins, struct ml_calib_bin *out, struct ml_err *err);

/* Every multiclass metric of classes y[0..n) in 0..k-1 and the n x k
 * probabilities p; per_class (k entries) and confusion (k x k, row-major,
 * row = true class) are filled when not NULL. */
int ml_metrics_multiclass(const int *y, const double *p, const double *w, size_t n, size_t k,
			  struct ml_multiclass_metrics *out, struct ml_class_metrics *per_class,
			  double *confusion, struct ml_err *err);

/* Every regression metric of targets y and predictions yhat; sorts a copy
 * of the errors for the median. */
int ml_metrics_regression(const double *y, const double *yhat, const double *w, size_t n,
			  struct ml_regression_metrics *out, struct ml_err *err);

#endif
