"""scikit-learn's answers for the cases test_metrics writes.

Usage: metrics_reference.py CASES

CASES holds native float64 numbers: per case a header of 8 (kind, n, k,
weighted, threshold, bins, id, 0), then y (n), the scores or predictions
(n, or n * k for multiclass) and, when weighted, the weights (n).  Kinds:
0 binary, 1 multiclass, 2 regression, 3 binary curves of unbounded scores.
For each case this prints lines "tag id numbers..." (repr floats round-trip
exactly) and finally "end"; "skip reason" when sklearn cannot be imported.
Every metric comes from sklearn itself, except the weighted ECE, which
sklearn lacks: it is computed here on calibration_curve's own binning.
"""
import sys
import warnings

warnings.simplefilter('ignore')
try:
    import numpy as np
    import sklearn
    from sklearn import metrics as M
    from sklearn.calibration import calibration_curve
except Exception as e:  # pragma: no cover - depends on the system
    print('skip', 'numpy/sklearn not importable:', e)
    sys.exit(0)

# Curves longer than this are compared at about this many sampled points.
CURVE_POINTS = 3000


def out(tag, cid, *parts):
    vals = []
    for p in parts:
        for v in np.ravel(p):
            vals.append(repr(float(v)))
    print(tag, cid, ' '.join(vals))


def nan_on_error(f, *a, **kw):
    try:
        return f(*a, **kw)
    except ValueError:
        return float('nan')


def curve(tag, cid, x, y, thr):
    """A curve as: length, sample count, sampled indices, x, y, thr."""
    m = len(x)
    idx = np.arange(m)
    if m > CURVE_POINTS:
        idx = np.unique(np.r_[np.arange(0, m, m // CURVE_POINTS), m - 1])
    out(tag, cid, m, len(idx), idx, x[idx], y[idx], thr[idx])


def ece_bins(y, p, w, bins):
    """Bin ids, weights and weighted means with calibration_curve's edges."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    ww = np.ones_like(p) if w is None else w
    count = np.bincount(ids, minlength=bins)
    wsum = np.bincount(ids, weights=ww, minlength=bins)
    wy = np.bincount(ids, weights=ww * y, minlength=bins)
    wp = np.bincount(ids, weights=ww * p, minlength=bins)
    return count, wsum, wy, wp


def binary(cid, y, p, w, thr, bins):
    yi = y.astype(int)
    pred = (p >= thr).astype(int)
    acc = M.accuracy_score(yi, pred, sample_weight=w)
    prec = M.precision_score(yi, pred, sample_weight=w)
    rec = M.recall_score(yi, pred, sample_weight=w)
    f1 = M.f1_score(yi, pred, sample_weight=w)
    mcc = M.matthews_corrcoef(yi, pred, sample_weight=w)
    cm = M.confusion_matrix(yi, pred, labels=[0, 1], sample_weight=w)
    auc = nan_on_error(M.roc_auc_score, yi, p, sample_weight=w)
    ap = M.average_precision_score(yi, p, sample_weight=w)
    ll = M.log_loss(yi, p, sample_weight=w, labels=[0, 1])
    brier = M.brier_score_loss(yi, p, sample_weight=w)
    count, wsum, wy, wp = ece_bins(y, p, w, bins)
    if w is None:
        # the definition: calibration_curve's per-bin means, weighted by
        # the share of the samples in each nonempty bin
        prob_true, prob_pred = calibration_curve(yi, p, n_bins=bins, strategy='uniform')
        nz = count[count > 0]
        ece = np.sum(nz / len(y) * np.abs(prob_true - prob_pred))
        frac, meanp = np.full(bins, np.nan), np.full(bins, np.nan)
        frac[count > 0], meanp[count > 0] = prob_true, prob_pred
    else:
        nz = wsum > 0
        frac, meanp = np.full(bins, np.nan), np.full(bins, np.nan)
        frac[nz], meanp[nz] = wy[nz] / wsum[nz], wp[nz] / wsum[nz]
        ece = np.sum(wsum[nz] / wsum.sum() * np.abs(frac[nz] - meanp[nz]))
    out('bin', cid, acc, prec, rec, f1, mcc, cm, auc, ap, ll, brier, ece)
    out('calib', cid, bins, count, wsum, meanp, frac)
    curves(cid, yi, p, w)


def curves(cid, yi, s, w):
    fpr, tpr, thr = M.roc_curve(yi, s, sample_weight=w)
    curve('roc', cid, fpr, tpr, thr)
    fpr, tpr, thr = M.roc_curve(yi, s, sample_weight=w, drop_intermediate=False)
    curve('rocall', cid, fpr, tpr, thr)
    prec, rec, thr = M.precision_recall_curve(yi, s, sample_weight=w)
    curve('pr', cid, rec, prec, np.r_[thr, np.inf])


def multiclass(cid, y, P, w):
    yi = y.astype(int)
    k = P.shape[1]
    pred = np.argmax(P, axis=1)
    vals = [M.accuracy_score(yi, pred, sample_weight=w)]
    for avg in ['macro', 'micro', 'weighted']:
        vals += list(M.precision_recall_fscore_support(yi, pred, average=avg, sample_weight=w)[:3])
    vals.append(M.log_loss(yi, P, sample_weight=w, labels=list(range(k))))
    vals.append(M.matthews_corrcoef(yi, pred, sample_weight=w))
    present = len(np.union1d(yi, pred))
    out('mc', cid, vals, present)
    pc = M.precision_recall_fscore_support(yi, pred, labels=list(range(k)), average=None,
                                           sample_weight=w)
    out('mcper', cid, k, pc[0], pc[1], pc[2], pc[3])
    out('mccm', cid, k, M.confusion_matrix(yi, pred, labels=list(range(k)), sample_weight=w))


def regression(cid, y, yhat, w):
    out('reg', cid,
        M.mean_absolute_error(y, yhat, sample_weight=w),
        M.mean_squared_error(y, yhat, sample_weight=w),
        M.mean_squared_error(y, yhat, sample_weight=w, squared=False),
        M.mean_absolute_percentage_error(y, yhat, sample_weight=w),
        M.median_absolute_error(y, yhat, sample_weight=w),
        M.r2_score(y, yhat, sample_weight=w),
        M.explained_variance_score(y, yhat, sample_weight=w))


def main(path):
    d = np.fromfile(path, dtype=np.float64)
    at = 0
    print('version', 0, *sklearn.__version__.split('.')[:2])
    while at < len(d):
        kind, n, k, weighted, thr, bins, cid, _ = d[at:at + 8]
        at += 8
        n, k, bins, cid = int(n), int(k), int(bins), int(cid)
        y = d[at:at + n]
        at += n
        m = n * k if kind == 1 else n
        p = d[at:at + m]
        at += m
        w = None
        if weighted:
            w = d[at:at + n]
            at += n
        if kind == 0:
            binary(cid, y, p, w, thr, bins)
        elif kind == 1:
            multiclass(cid, y, p.reshape(n, k), w)
        elif kind == 2:
            regression(cid, y, p, w)
        else:
            curves(cid, y.astype(int), p, w)
    print('end')


if __name__ == '__main__':
    main(sys.argv[1])
