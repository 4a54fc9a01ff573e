#!/usr/bin/env bats
# ml-drift: every statistic against SciPy, every option, every bad input.
#
# The data is drawn here with seeded numpy generators; the statistics are
# recomputed by SciPy and numpy (Debian's python3-scipy, python3-numpy) from
# the raw records, never from ml-drift's own code.  The two shared data sets
# (small: 300 and 400 records; large: 20,000 a side, with their ml-stats
# profiles) are made once per file in setup_file.

load helper

setup_file() {
	if [ -n "${ML_BIN:-}" ]; then
		PATH="$ML_BIN:$PATH"
		export PATH
	fi
	export ML_RUN_LOG=off
	D=$BATS_FILE_TMPDIR
	write_reference_module
	cd "$D" || return 1
	py <<'EOF'
# small: tests decide (fewer than 1000 values a side)
r = rng(7)
n, m = 300, 400
write("small-ref.ndjson",
      same=r.normal(0, 1, n), moved=r.normal(0, 1, n),
      tied_same=r.poisson(4, n), tied_moved=r.poisson(4, n),
      city=r.choice(["a", "b", "c"], n, p=[.5, .3, .2]),
      flag=r.random(n) < .5)
write("small-cur.ndjson",
      same=r.normal(0, 1, m), moved=r.normal(0.5, 1, m),
      tied_same=r.poisson(4, m), tied_moved=r.poisson(5, m),
      city=r.choice(["a", "b", "c"], m, p=[.3, .3, .4]),
      flag=r.random(m) < .5)

# large: distances decide
r = rng(11)
N = 20000
cities = ["north", "south", "east", "west"]
write("large-ref.ndjson",
      stable=r.normal(10, 2, N), shifted=r.normal(0, 1, N),
      level=r.choice([0, 1, 2, 3], N, p=[.45, .3, .15, .1]),
      city=r.choice(cities, N, p=[.4, .3, .2, .1]),
      tier=r.choice(["gold", "silver", "bronze"], N, p=[.2, .3, .5]),
      flag=r.random(N) < .3)
write("large-cur.ndjson",
      stable=r.normal(10, 2, N), shifted=r.normal(0.5, 1, N),
      level=r.choice([0, 1, 2, 3], N, p=[.45, .3, .15, .1]),
      city=r.choice(cities, N, p=[.2, .2, .3, .3]),
      tier=r.choice(["gold", "silver", "bronze"], N, p=[.2, .3, .5]),
      flag=r.random(N) < .3)
EOF
	ml-stats large-ref.ndjson >large-ref.profile &&
		ml-stats large-cur.ndjson >large-cur.profile &&
		ml-stats small-ref.ndjson >small-ref.profile
}

setup() {
	ml_setup
	D=$BATS_FILE_TMPDIR
}

# The Python side: writes drift_ref.py, imported by every `py` script.
write_reference_module() {
	cat >"$BATS_FILE_TMPDIR/drift_ref.py" <<'EOF'
"""Independent reference for ml-drift's output: data writers, readers, and
the documented statistics written out in numpy (SciPy where it has them)."""
import json, math
from collections import Counter
import numpy as np

NULL = object()  # a value written as JSON null (None leaves the field out)

def rng(seed):
    return np.random.default_rng(seed)

def plain(x):
    if x is None or x is NULL:
        return x
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if math.isnan(x) else float(x)
    if isinstance(x, np.str_):
        return str(x)
    return x

def write(path, **cols):
    """One record per row, fields in the order given; None or NaN leaves a
    field out, NULL writes null."""
    n = max(len(v) for v in cols.values())
    with open(path, "w") as f:
        for i in range(n):
            rec = {}
            for k, v in cols.items():
                x = plain(v[i]) if i < len(v) else None
                if x is NULL:
                    rec[k] = None
                elif x is not None:
                    rec[k] = x
            f.write(json.dumps(rec) + "\n")

def records(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def numbers(path, col):
    """The numbers of col in an NDJSON file (booleans are not numbers)."""
    return np.array([r[col] for r in records(path)
                     if isinstance(r.get(col), (int, float)) and not isinstance(r.get(col), bool)],
                    dtype=float)

def counts(path, col):
    """The categories of col: strings, and booleans as "true"/"false"."""
    c = Counter()
    for r in records(path):
        v = r.get(col)
        if isinstance(v, bool):
            c["true" if v else "false"] += 1
        elif isinstance(v, str):
            c[v] += 1
    return c

def output(path="out.ndjson"):
    """ml-drift's column lines by column name, and its summary line."""
    lines = records(path)
    assert lines, "no output"
    assert lines[-1]["kind"] == "summary", "the last line is not the summary"
    cols = {}
    for l in lines[:-1]:
        assert l["kind"] == "column", "a line before the last is not a column line"
        cols[l["column"]] = l
    return cols, lines[-1]

def close(what, got, want, rel=1e-9, abs=0.0):
    if got is None or not math.isclose(got, want, rel_tol=rel, abs_tol=abs):
        raise AssertionError(f"{what}: ml-drift says {got!r}, the reference says {want!r}")

def equal(what, got, want):
    if got != want:
        raise AssertionError(f"{what}: ml-drift says {got!r}, the reference says {want!r}")

def psi(ref, cur):
    """ml_dist.h: sum (c' - r') ln(c'/r'), r' = (r + 1/2) / (R + m/2)."""
    r, c = np.asarray(ref, float), np.asarray(cur, float)
    m = len(r)
    rp, cp = (r + .5) / (r.sum() + m / 2), (c + .5) / (c.sum() + m / 2)
    return float(np.sum((cp - rp) * np.log(cp / rp)))

def js(p, q):
    from scipy.spatial.distance import jensenshannon
    return float(jensenshannon(np.asarray(p, float), np.asarray(q, float), base=2))

def linf(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    return float(np.max(np.abs(p / p.sum() - q / q.sum())))

def chi2(ref, cur, correction=True):
    """chi2_contingency on the 2 x m table, all-zero columns dropped."""
    from scipy.stats import chi2_contingency
    t = np.array([ref, cur], float)
    t = t[:, t.sum(axis=0) > 0]
    stat, p, dof, _ = chi2_contingency(t, correction=correction)
    return float(stat), float(p), int(dof)

def deciles(values):
    """The reference's deciles (smallest value whose share reaches k/10),
    repeated ones merged."""
    e = []
    for x in np.quantile(values, np.arange(1, 10) / 10, method="inverted_cdf"):
        if not e or x > e[-1]:
            e.append(float(x))
    return e

def cut(values, edges):
    """Counts of values in (-inf, e1], (e1, e2], ..., (ek, inf)."""
    idx = np.searchsorted(np.asarray(edges, float), values, side="left")
    return np.bincount(idx, minlength=len(edges) + 1).tolist()

def bh(p):
    """Benjamini-Hochberg adjusted p-values, in the input order."""
    p = np.asarray(p, float)
    n = len(p)
    order = np.argsort(p, kind="stable")
    q = p[order] * n / np.arange(1, n + 1)
    q = np.minimum(np.minimum.accumulate(q[::-1])[::-1], 1)
    out = np.empty(n)
    out[order] = q
    return out

def kolmogorov_stephens(d, n1, n2):
    from scipy.special import kolmogorov
    en = math.sqrt(n1 * n2 / (n1 + n2))
    return float(kolmogorov((en + 0.12 + 0.11 / en) * d))
EOF
}

# py [ARG...]: runs the Python script on stdin with drift_ref's names in scope.
py() {
	{
		echo 'from drift_ref import *'
		cat
	} | PYTHONPATH="$BATS_FILE_TMPDIR" /usr/bin/python3 - "$@"
}

# drift ARG...: ml-drift with its stdout in out.ndjson (byte for byte) and
# its stderr in $stderr; use under `run --separate-stderr`.
drift() {
	ml-drift "$@" >out.ndjson
}

# field JQ: the jq expression on out.ndjson, compact.
field() {
	jq -c "$1" out.ndjson
}

# assert_trouble_starts TEXT: exit 2, nothing on stdout, and stderr starts
# "ml-drift: TEXT".
assert_trouble_starts() {
	assert_equal "$status" 2
	if [ -s out.ndjson ]; then
		fail "stdout is not empty: $(head -c 300 out.ndjson)"
	fi
	if [[ "$stderr" != "ml-drift: $1"* ]]; then
		fail "stderr does not start with 'ml-drift: $1': ${stderr:-<empty>}"
	fi
}

# ---- small raw samples: exact tests -------------------------------------

@test "small raw samples without ties: KS D and exact p-value equal scipy's ks_2samp(method='exact')" {
	run --separate-stderr drift "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_equal "$status" 1
	py "$D" <<'EOF'
import sys
from scipy.stats import ks_2samp
d = sys.argv[1]
cols, _ = output()
for col, shifted in (("same", False), ("moved", True)):
    a, b = numbers(f"{d}/small-ref.ndjson", col), numbers(f"{d}/small-cur.ndjson", col)
    assert (len(a), len(b), len(np.unique(np.r_[a, b]))) == (300, 400, 700), "the data has ties"
    want = ks_2samp(a, b, method="exact")
    assert (want.pvalue < .05) == shifted, f"{col}: the data does not test what it should"
    c = cols[col]
    equal(f"{col} method", c["method"], "ks")
    equal(f"{col} ks_method", c["statistics"]["ks_method"], "exact")
    equal(f"{col} exact", c["exact"], True)
    equal(f"{col} n", c["n"], {"reference": 300, "current": 400})
    close(f"{col} D", c["statistic"], want.statistic, rel=1e-6)
    close(f"{col} statistics.ks", c["statistics"]["ks"], want.statistic, rel=1e-6)
    close(f"{col} p", c["p_value"], want.pvalue, rel=1e-6, abs=1e-12)
    close(f"{col} statistics.ks_p_value", c["statistics"]["ks_p_value"], want.pvalue, rel=1e-6, abs=1e-12)
EOF
}

@test "small raw samples with ties: KS D and exact p-value equal scipy's ks_2samp(method='exact')" {
	run --separate-stderr drift "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_equal "$status" 1
	py "$D" <<'EOF'
import sys
from scipy.stats import ks_2samp
d = sys.argv[1]
cols, _ = output()
for col, shifted in (("tied_same", False), ("tied_moved", True)):
    a, b = numbers(f"{d}/small-ref.ndjson", col), numbers(f"{d}/small-cur.ndjson", col)
    assert len(np.unique(np.r_[a, b])) < 30, "the data has no ties"
    want = ks_2samp(a, b, method="exact")
    assert (want.pvalue < .05) == shifted, f"{col}: the data does not test what it should"
    c = cols[col]
    equal(f"{col} method", c["method"], "ks")
    equal(f"{col} ks_method", c["statistics"]["ks_method"], "exact")
    close(f"{col} D", c["statistic"], want.statistic, rel=1e-6)
    close(f"{col} p", c["p_value"], want.pvalue, rel=1e-6, abs=1e-12)
EOF
}

@test "samples of equal size (350 and 350): the exact KS p-value equals scipy's, with and without a shift" {
	py <<'EOF'
r = rng(3)
write("ref.ndjson", same=r.normal(0, 1, 350), moved=r.normal(0, 1, 350), ties=r.integers(0, 9, 350))
write("cur.ndjson", same=r.normal(0, 1, 350), moved=r.normal(.3, 1, 350), ties=r.integers(0, 9, 350))
EOF
	run --separate-stderr drift ref.ndjson cur.ndjson
	assert_equal "$stderr" ""
	py <<'EOF'
from scipy.stats import ks_2samp
cols, _ = output()
for col in ("same", "moved", "ties"):
    a, b = numbers("ref.ndjson", col), numbers("cur.ndjson", col)
    want = ks_2samp(a, b, method="exact")
    close(f"{col} D", cols[col]["statistic"], want.statistic, rel=1e-6)
    close(f"{col} p", cols[col]["p_value"], want.pvalue, rel=1e-6, abs=1e-12)
    equal(f"{col} drifted", cols[col]["drifted"], bool(want.pvalue < .05))
assert cols["moved"]["drifted"] and not cols["same"]["drifted"], "the data does not test a shift"
EOF
}

@test "small raw samples: a string column's chi-square equals chi2_contingency on the 2 x m table of category counts" {
	run --separate-stderr drift "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_equal "$status" 1
	py "$D" <<'EOF'
import sys
d = sys.argv[1]
cols, _ = output()
c = cols["city"]
rc, cc = counts(f"{d}/small-ref.ndjson", "city"), counts(f"{d}/small-cur.ndjson", "city")
names = sorted(set(rc) | set(cc))
stat, p, dof = chi2([rc[k] for k in names], [cc[k] for k in names])
equal("type", c["type"], "string")
equal("method", c["method"], "chi2")
got = dict(zip(c["categories"]["values"], zip(c["categories"]["reference"], c["categories"]["current"])))
equal("category counts", got, {k: (rc[k], cc[k]) for k in names})
close("statistic", c["statistic"], stat, rel=1e-6)
close("statistics.chi2", c["statistics"]["chi2"], stat, rel=1e-6)
close("p", c["p_value"], p, rel=1e-6, abs=1e-12)
equal("dof", c["statistics"]["chi2_dof"], dof)
equal("drifted", c["drifted"], p < .05)
EOF
}

@test "small raw samples: a boolean column's chi-square is Yates-corrected, as chi2_contingency at 1 degree of freedom" {
	run --separate-stderr drift "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	py "$D" <<'EOF'
import sys
d = sys.argv[1]
cols, _ = output()
c = cols["flag"]
rc, cc = counts(f"{d}/small-ref.ndjson", "flag"), counts(f"{d}/small-cur.ndjson", "flag")
stat, p, dof = chi2([rc["true"], rc["false"]], [cc["true"], cc["false"]])
plain_stat, _, _ = chi2([rc["true"], rc["false"]], [cc["true"], cc["false"]], correction=False)
assert abs(stat - plain_stat) > 1e-3, "the correction makes no difference on this data"
equal("type", c["type"], "boolean")
equal("method", c["method"], "chi2")
equal("dof", c["statistics"]["chi2_dof"], 1)
close("statistic (Yates)", c["statistic"], stat, rel=1e-6)
close("p", c["p_value"], p, rel=1e-6, abs=1e-12)
got = dict(zip(c["categories"]["values"], c["categories"]["reference"]))
equal("reference counts", got, {"true": rc["true"], "false": rc["false"]})
EOF
}

@test "small raw samples: the method is ks for numbers and chi2 for categories, and drifted is p < 0.05" {
	run --separate-stderr drift "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_equal "$status" 1
	run jq -sc '[.[] | select(.kind == "column") | [.column, .method, .threshold, .drifted == (.p_value < 0.05)]]' out.ndjson
	assert_output '[["same","ks",0.05,true],["moved","ks",0.05,true],["tied_same","ks",0.05,true],["tied_moved","ks",0.05,true],["city","chi2",0.05,true],["flag","chi2",0.05,true]]'
	run jq -sc '[.[] | select(.kind == "column" and .drifted) | .column]' out.ndjson
	assert_output '["moved","tied_moved","city","flag"]'
}

# ---- large raw samples: distances over the reference's deciles ----------

@test "large raw samples: the bins are the reference's deciles (repeats merged) and their counts are the raw data cut at them" {
	run --separate-stderr drift "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$stderr" ""
	py "$D" <<'EOF'
import sys
d = sys.argv[1]
cols, _ = output()
for col in ("stable", "shifted", "level"):
    a, b = numbers(f"{d}/large-ref.ndjson", col), numbers(f"{d}/large-cur.ndjson", col)
    bins = cols[col]["bins"]
    equal(f"{col} edges", bins["edges"], deciles(a))
    equal(f"{col} reference counts", bins["reference"], cut(a, bins["edges"]))
    equal(f"{col} current counts", bins["current"], cut(b, bins["edges"]))
assert len(cols["level"]["bins"]["edges"]) < 9, "no repeated deciles to merge"
EOF
}

@test "large raw samples: PSI equals the documented formula on the reported bin counts and on the raw data cut at the edges" {
	run --separate-stderr drift "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	py "$D" <<'EOF'
import sys
d = sys.argv[1]
cols, _ = output()
for col in ("stable", "shifted", "level"):
    c = cols[col]
    a, b = numbers(f"{d}/large-ref.ndjson", col), numbers(f"{d}/large-cur.ndjson", col)
    equal(f"{col} method", c["method"], "psi")
    close(f"{col} psi from the bin counts", c["statistics"]["psi"], psi(c["bins"]["reference"], c["bins"]["current"]))
    want = psi(cut(a, c["bins"]["edges"]), cut(b, c["bins"]["edges"]))
    close(f"{col} psi from the raw data", c["statistic"], want)
    equal(f"{col} drifted", c["drifted"], want >= 0.2)
EOF
}

@test "large raw samples: JS distance equals scipy's jensenshannon(base=2) on the bin counts" {
	run --separate-stderr drift "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	py <<'EOF'
cols, _ = output()
for col in ("stable", "shifted", "level"):
    bins = cols[col]["bins"]
    close(f"{col} js", cols[col]["statistics"]["js"], js(bins["reference"], bins["current"]))
EOF
}

@test "large raw samples: Wasserstein equals scipy's wasserstein_distance on the raw values, normalized by the reference's sample std" {
	run --separate-stderr drift "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	py "$D" <<'EOF'
import sys
from scipy.stats import wasserstein_distance
d = sys.argv[1]
cols, _ = output()
for col in ("stable", "shifted", "level"):
    a, b = numbers(f"{d}/large-ref.ndjson", col), numbers(f"{d}/large-cur.ndjson", col)
    w = wasserstein_distance(a, b)
    s = cols[col]["statistics"]
    close(f"{col} wasserstein_raw", s["wasserstein_raw"], w, rel=1e-9)
    close(f"{col} wasserstein", s["wasserstein"], w / np.std(a, ddof=1), rel=1e-9)
EOF
}

@test "large raw samples: KS D and p-value equal scipy's ks_2samp(method='asymp') and ks_method says asymptotic" {
	run --separate-stderr drift "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	py "$D" <<'EOF'
import sys
from scipy.stats import ks_2samp
d = sys.argv[1]
cols, _ = output()
for col in ("stable", "shifted", "level"):
    a, b = numbers(f"{d}/large-ref.ndjson", col), numbers(f"{d}/large-cur.ndjson", col)
    want = ks_2samp(a, b, method="asymp")
    s = cols[col]["statistics"]
    equal(f"{col} ks_method", s["ks_method"], "asymptotic")
    equal(f"{col} exact", cols[col]["exact"], True)
    close(f"{col} ks", s["ks"], want.statistic, rel=1e-9)
    close(f"{col} ks_p_value", s["ks_p_value"], want.pvalue, rel=1e-6, abs=1e-12)
EOF
}

@test "large raw samples: category counts, JS, L-inf, PSI and chi-square equal numpy's and scipy's on the raw categories" {
	run --separate-stderr drift "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	py "$D" <<'EOF'
import sys
d = sys.argv[1]
cols, _ = output()
for col in ("city", "tier", "flag"):
    c = cols[col]
    rc, cc = counts(f"{d}/large-ref.ndjson", col), counts(f"{d}/large-cur.ndjson", col)
    v = c["categories"]["values"]
    equal(f"{col} categories", sorted(v), sorted(set(rc) | set(cc)))
    r, k = [rc[x] for x in v], [cc[x] for x in v]
    equal(f"{col} reference counts", c["categories"]["reference"], r)
    equal(f"{col} current counts", c["categories"]["current"], k)
    s = c["statistics"]
    close(f"{col} js", s["js"], js(r, k))
    close(f"{col} linf", s["linf"], linf(r, k))
    close(f"{col} psi", s["psi"], psi(r, k))
    stat, p, dof = chi2(r, k)
    close(f"{col} chi2", s["chi2"], stat, rel=1e-6)
    close(f"{col} chi2_p_value", s["chi2_p_value"], p, rel=1e-6, abs=1e-12)
    equal(f"{col} method", c["method"], "js")
    close(f"{col} statistic", c["statistic"], js(r, k))
    equal(f"{col} drifted", c["drifted"], js(r, k) >= 0.1)
EOF
}

@test "large raw samples: a 0.5 sd shift and a changed category mix drift, the rest does not, and 2 of 6 stays below the share" {
	run --separate-stderr drift "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 0
	run jq -sc '[.[] | select(.kind == "column") | [.column, .method, .threshold, .drifted]]' out.ndjson
	assert_output '[["stable","psi",0.2,false],["shifted","psi",0.2,true],["level","psi",0.2,false],["city","js",0.1,true],["tier","js",0.1,false],["flag","js",0.1,false]]'
	run field 'select(.kind == "summary") | [.columns, .drifted, .share, .drift]'
	assert_output '[6,2,0.5,false]'
}

# ---- profiles -------------------------------------------------------------

# compare_with_raw REF CUR: ml-drift REF CUR against ml-drift on the raw
# files: PSI within 0.01, KS D within 0.01, the p-value by Kolmogorov's law
# with Stephens' modification at D less the sketches' rank error, the
# shifted column flagged.
compare_with_raw() {
	run --separate-stderr ml-drift -o raw.ndjson "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 0
	run --separate-stderr drift "$@"
	assert_equal "$stderr" ""
	py "$@" <<'EOF'
import sys
cols, _ = output()
raw, _ = output("raw.ndjson")
for col in ("stable", "shifted", "level"):
    c, s, r = cols[col], cols[col]["statistics"], raw[col]["statistics"]
    equal(f"{col} exact", c["exact"], False)
    equal(f"{col} ks_method", s["ks_method"], "kolmogorov-stephens")
    equal(f"{col} n", c["n"], {"reference": 20000, "current": 20000})
    close(f"{col} psi (within 0.01 of the raw one)", s["psi"], r["psi"], rel=0, abs=0.01)
    close(f"{col} ks (within 0.01 of the raw one)", s["ks"], r["ks"], rel=0, abs=0.01)
    # a side that is a sketch of >= 800 values adds its 0.5% rank error
    err = sum(0.005 for side in sys.argv[1:3] if side.endswith(".profile"))
    equal(f"{col} ks_sketch_error", s["ks_sketch_error"], err)
    close(f"{col} ks_p_value (Kolmogorov-Stephens at D less the sketch error)", s["ks_p_value"],
          kolmogorov_stephens(max(0.0, s["ks"] - err), 20000, 20000), rel=1e-6, abs=1e-12)
    close(f"{col} wasserstein (within 0.01 of the raw one)", s["wasserstein"], r["wasserstein"], rel=0, abs=0.01)
for col in ("city", "tier", "flag"):
    equal(f"{col} categories", cols[col]["categories"], raw[col]["categories"])
    equal(f"{col} statistics", cols[col]["statistics"], raw[col]["statistics"])
equal("shifted drifted", cols["shifted"]["drifted"], True)
equal("stable drifted", cols["stable"]["drifted"], False)
EOF
}

@test "profile vs profile: statistics close to the raw ones, KS by Kolmogorov-Stephens, the 0.5 sd shift flagged" {
	compare_with_raw "$D/large-ref.profile" "$D/large-cur.profile"
}

@test "profile vs raw: statistics close to the raw ones, KS by Kolmogorov-Stephens, the 0.5 sd shift flagged" {
	compare_with_raw "$D/large-ref.profile" "$D/large-cur.ndjson"
}

@test "raw vs profile: statistics close to the raw ones, KS by Kolmogorov-Stephens, the 0.5 sd shift flagged" {
	compare_with_raw "$D/large-ref.ndjson" "$D/large-cur.profile"
}

@test "a small profile vs raw: the verdict is the Kolmogorov-Stephens KS test, close to the exact one" {
	run --separate-stderr drift "$D/small-ref.profile" "$D/small-cur.ndjson"
	assert_equal "$status" 1
	py "$D" <<'EOF'
import sys
from scipy.stats import ks_2samp
d = sys.argv[1]
cols, _ = output()
for col in ("same", "moved", "tied_moved"):
    a, b = numbers(f"{d}/small-ref.ndjson", col), numbers(f"{d}/small-cur.ndjson", col)
    want = ks_2samp(a, b, method="exact")
    c = cols[col]
    equal(f"{col} method", c["method"], "ks")
    close(f"{col} D", c["statistic"], want.statistic, rel=0, abs=0.01)
    close(f"{col} p", c["p_value"], kolmogorov_stephens(c["statistic"], 300, 400), rel=1e-6, abs=1e-12)
    equal(f"{col} drifted", c["drifted"], want.pvalue < .05)
EOF
}

@test "profiles of shards, one after the other, count as the profile of all the data" {
	head -n 12000 "$D/large-ref.ndjson" | ml-stats >shards.profile
	tail -n +12001 "$D/large-ref.ndjson" | ml-stats >>shards.profile
	run --separate-stderr drift shards.profile "$D/large-cur.ndjson"
	assert_equal "$stderr" ""
	run field 'select(.kind == "column" and .column == "shifted") | [.n.reference, .drifted]'
	assert_output '[20000,true]'
	run field 'select(.kind == "summary") | .reference.records'
	assert_output 20000
}

# ---- categories, missing values, absent and changed columns -------------

@test "new and vanished categories are listed with their counts" {
	printf '{"c":"a"}\n{"c":"b"}\n{"c":"gone"}\n{"c":"a"}\n' >ref.ndjson
	printf '{"c":"a"}\n{"c":"b"}\n{"c":"fresh"}\n{"c":"newer"}\n' >cur.ndjson
	run --separate-stderr drift ref.ndjson cur.ndjson
	run field 'select(.column == "c") | [.new, .new_count, .vanished, .vanished_count]'
	assert_output '[["fresh","newer"],2,["gone"],1]'
	run field 'select(.column == "c") | .categories'
	assert_output '{"values":["a","b","gone","fresh","newer"],"reference":[2,1,1,0,0],"current":[1,1,0,1,1]}'
}

@test "the missing rate of each side and its change are reported (null and a missing field both count)" {
	py <<'EOF'
r = rng(5)
x = r.normal(0, 1, 2000)
write("ref.ndjson", x=[v if i % 10 else None for i, v in enumerate(x[:1000])], y=np.ones(1000))
write("cur.ndjson", x=[NULL if i % 4 == 1 else None if i % 4 == 2 else v for i, v in enumerate(x[1000:])],
      y=np.ones(1000))
EOF
	run --separate-stderr drift ref.ndjson cur.ndjson
	run field 'select(.column == "x") | .missing_rate'
	assert_output '{"reference":0.1,"current":0.5,"change":0.4}'
	run field 'select(.column == "x") | .n'
	assert_output '{"reference":900,"current":500}'
	run field 'select(.column == "y") | .missing_rate'
	assert_output '{"reference":0,"current":0,"change":0}'
	ml-stats ref.ndjson >ref.profile
	ml-stats cur.ndjson >cur.profile
	run --separate-stderr drift ref.profile cur.profile
	run field 'select(.column == "x") | .missing_rate'
	assert_output '{"reference":0.1,"current":0.5,"change":0.4}'
}

@test "a column that first appears late counts the earlier records as missing" {
	printf '{"a":1}\n{"a":2}\n{"a":3,"b":1}\n{"a":4,"b":2}\n' >ref.ndjson
	printf '{"a":1,"b":1}\n{"a":2,"b":2}\n{"a":3,"b":1}\n{"a":4,"b":2}\n' >cur.ndjson
	run --separate-stderr drift ref.ndjson cur.ndjson
	run field 'select(.column == "b") | .missing_rate'
	assert_output '{"reference":0.5,"current":0,"change":-0.5}'
}

@test "a column only in the reference is drifted (absent, only_in reference); one only in the current is not" {
	printf '{"a":1,"old":1}\n{"a":2,"old":2}\n' >ref.ndjson
	printf '{"a":1,"new":1}\n{"a":2,"new":2}\n' >cur.ndjson
	run --separate-stderr drift ref.ndjson cur.ndjson
	assert_equal "$status" 0
	run field 'select(.kind == "column") | [.column, .type, .only_in, .drifted, .method, .statistic]'
	assert_output "$(printf '%s\n' '["a","number",null,false,"ks",0]' '["old","absent","reference",true,null,null]' \
		'["new","absent","current",false,null,null]')"
	run field 'select(.kind == "summary") | [.columns, .drifted, .drift]'
	assert_output '[3,1,false]'
	run --separate-stderr drift --critical old ref.ndjson cur.ndjson
	assert_equal "$status" 1
}

@test "a new column alone is news, not drift" {
	printf '{"a":1}\n{"a":2}\n' >ref.ndjson
	printf '{"a":1,"new":"x"}\n{"a":2,"new":"y"}\n' >cur.ndjson
	run --separate-stderr drift --share 0.3 ref.ndjson cur.ndjson
	assert_equal "$status" 0
}

@test "a column with values on neither side is not drifted, whether a side writes it null or leaves it out" {
	printf '{"a":1,"e":null}\n{"a":2,"e":null}\n' >null.ndjson
	printf '{"a":1}\n{"a":2}\n' >absent.ndjson
	ml-stats null.ndjson >null.profile
	ml-stats absent.ndjson >absent.profile
	want='["e","null",false,null,"no values in the reference",{"reference":1,"current":1,"change":0}]'
	for pair in "null.ndjson absent.ndjson" "null.profile absent.ndjson" "null.ndjson null.ndjson" \
		"absent.ndjson null.ndjson" "absent.profile null.profile"; do
		run --separate-stderr drift $pair
		assert_equal "$status" 0
		run field 'select(.column == "e") | [.column, .type, .drifted, .only_in, .note, .missing_rate]'
		assert_output "$want"
	done
	# values on one side only are still reported as the page says
	printf '{"a":1,"e":5}\n{"a":2,"e":6}\n' >valued.ndjson
	run --separate-stderr drift valued.ndjson absent.ndjson
	assert_equal "$status" 1
	run field 'select(.column == "e") | [.type, .drifted, .only_in]'
	assert_output '["absent",true,"reference"]'
	run --separate-stderr drift --share 1 absent.ndjson valued.ndjson
	assert_equal "$status" 0
	run field 'select(.column == "e") | [.type, .drifted, .only_in]'
	assert_output '["absent",false,"current"]'
}

@test "a column whose numbers became strings is drifted, with a note" {
	printf '{"x":1,"k":1}\n{"x":2,"k":2}\n{"x":3,"k":3}\n' >ref.ndjson
	printf '{"x":"1","k":1}\n{"x":"2","k":2}\n{"x":"3","k":3}\n' >cur.ndjson
	run --separate-stderr drift ref.ndjson cur.ndjson
	assert_equal "$status" 1
	run field 'select(.column == "x") | [.type, .drifted, .note, .method, .statistic]'
	assert_output '["number",true,"the values were numbers and are now strings",null,null]'
}

@test "values of another type than the column's and non-finite numbers are counted on each side, not silently dropped" {
	for i in $(seq 30); do echo "{\"a\":$i,\"s\":\"v$((i % 3))\"}"; done >ref.ndjson
	{ cat ref.ndjson; for _ in 1 2 3 4 5; do echo '{"a":"x","s":7}'; done; echo '{"a":1e400,"s":[1]}'; } >cur.ndjson
	ml-stats cur.ndjson >cur.profile
	for cur in cur.ndjson cur.profile; do
		run --separate-stderr drift ref.ndjson "$cur"
		assert_equal "$status" 0
		run field 'select(.column == "a") | [.type, .drifted, .n, .other_types, .nonfinite, .missing_rate.current]'
		assert_output '["number",false,{"reference":30,"current":30},{"reference":0,"current":5},{"reference":0,"current":1},0]'
		run field 'select(.column == "s") | [.type, .drifted, .n, .other_types, .nonfinite]'
		assert_output '["string",false,{"reference":30,"current":30},{"reference":0,"current":6},null]'
	done
	# the other way round, and when the values changed type
	run --separate-stderr drift cur.profile ref.ndjson
	run field 'select(.column == "a") | [.n, .other_types, .nonfinite]'
	assert_output '[{"reference":30,"current":30},{"reference":5,"current":0},{"reference":1,"current":0}]'
	printf '{"a":"x"}\n{"a":"y"}\n' >strings.ndjson
	run --separate-stderr drift ref.ndjson strings.ndjson
	assert_equal "$status" 1
	run field 'select(.column == "a") | [.drifted, .other_types]'
	assert_output '[true,{"reference":0,"current":2}]'
}

@test "the text table names the values its statistics left out, by column and side" {
	for i in $(seq 30); do echo "{\"a\":$i,\"b\":$i}"; done >ref.ndjson
	{ cat ref.ndjson; for _ in 1 2 3 4 5; do echo '{"a":"x","b":1}'; done; echo '{"a":1e400,"b":2}'; } >cur.ndjson
	run --separate-stderr ml-drift -f text ref.ndjson cur.ndjson
	assert_success
	assert_line "a (current): 5 values of another type, 1 non-finite number, left out of the statistics"
	refute_line --partial "b ("
	refute_line --partial "a (reference)"
	run --separate-stderr ml-drift -f text cur.ndjson ref.ndjson
	assert_line "a (reference): 5 values of another type, 1 non-finite number, left out of the statistics"
}

@test "a key given twice in a record counts once, by its last value, as ml-stats counts it" {
	for i in $(seq 20); do echo "{\"a\":$i}"; done >ref.ndjson
	for i in $(seq 20); do echo "{\"a\":1000,\"a\":$i}"; done >cur.ndjson
	run --separate-stderr drift ref.ndjson cur.ndjson
	assert_equal "$status" 0
	run field 'select(.column == "a") | [.n, .statistic, .drifted]'
	assert_output '[{"reference":20,"current":20},0,false]'
	assert_equal "$(ml-stats cur.ndjson | jq -c 'select(.column == "a") | .number.count')" 20
}

@test "a column with nothing to measure names no method or threshold, even when --method and --threshold name them" {
	printf '{"x":1,"s":"a","n":null}\n{"x":2,"s":"b","n":null}\n' >ref.ndjson
	printf '{"x":"1","s":null,"n":1}\n{"x":"2","n":2}\n' >cur.ndjson
	run --separate-stderr drift --method psi --method s=chi2 --threshold 0.5 --threshold n=0.1 ref.ndjson cur.ndjson
	assert_equal "$status" 1
	run field 'select(.kind == "column") | [.column, .method, .unit, .statistic, .threshold, .drifted, .note]'
	assert_output "$(printf '%s\n' '["x",null,null,null,null,true,"the values were numbers and are now strings"]' \
		'["s",null,null,null,null,true,"no string values in the current data"]' \
		'["n",null,null,null,null,false,"no values in the reference"]')"
	printf '{"x":null}\n{"x":null}\n' >cur.ndjson
	run --separate-stderr drift --method x=ks ref.ndjson cur.ndjson
	run field 'select(.column == "x") | [.method, .unit, .statistic, .threshold, .drifted, .note]'
	assert_output '[null,null,null,null,true,"no numbers in the current data"]'
}

@test "--method wasserstein on a constant reference: any move away from it is drift" {
	for _ in $(seq 50); do echo '{"x":1,"same":1}'; done >ref.ndjson
	for _ in $(seq 50); do echo '{"x":5,"same":1}'; done >cur.ndjson
	run --separate-stderr drift --method wasserstein ref.ndjson cur.ndjson
	assert_equal "$status" 1
	run field 'select(.kind == "column") | [.column, .statistics.wasserstein_raw, .statistics.wasserstein, .drifted, (.note != null)]'
	assert_output "$(printf '%s\n' '["x",4,null,true,true]' '["same",0,0,false,false]')"
}

@test "a numeric column with no numbers left in the current data is drifted, with a note" {
	printf '{"x":1,"k":1}\n{"x":2,"k":2}\n' >ref.ndjson
	printf '{"x":null,"k":1}\n{"k":2}\n' >cur.ndjson
	run --separate-stderr drift ref.ndjson cur.ndjson
	run field 'select(.column == "x") | [.type, .drifted, .note, .missing_rate.current]'
	assert_output '["number",true,"no numbers in the current data",1]'
}

# ---- options ---------------------------------------------------------------

@test "--method COL=NAME: each numeric method (psi ks wasserstein js) decides with its own statistic and default threshold" {
	for m in psi ks wasserstein js; do
		run --separate-stderr drift --method "shifted=$m" "$D/large-ref.ndjson" "$D/large-cur.ndjson"
		assert_equal "$stderr" ""
		run jq -c --arg m "$m" 'select(.column == "shifted") | [.method, .statistic == .statistics[$m], .threshold, (.unit | length > 0)]' out.ndjson
		case $m in
		psi) assert_output '["psi",true,0.2,true]' ;;
		ks) assert_output '["ks",true,0.05,true]' ;;
		wasserstein) assert_output '["wasserstein",true,0.1,true]' ;;
		js) assert_output '["js",true,0.1,true]' ;;
		esac
		# the other columns keep their default
		run field 'select(.column == "stable") | .method'
		assert_output '"psi"'
	done
}

@test "--method COL=NAME: each categorical method (chi2 js linf psi) decides with its own statistic" {
	for m in chi2 js linf psi; do
		run --separate-stderr drift --method "city=$m" "$D/large-ref.ndjson" "$D/large-cur.ndjson"
		assert_equal "$stderr" ""
		run jq -c --arg m "$m" 'select(.column == "city") | [.method, .statistic == .statistics[$m], .threshold]' out.ndjson
		case $m in
		chi2) assert_output '["chi2",true,0.05]' ;;
		linf | js) assert_output "[\"$m\",true,0.1]" ;;
		psi) assert_output '["psi",true,0.2]' ;;
		esac
	done
	run field 'select(.column == "city") | [.p_value == .statistics.chi2_p_value, .drifted]'
	assert_output '[false,true]'
}

@test "--method ks on large samples decides by the p-value" {
	run --separate-stderr drift --method ks "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	run jq -sc '[.[] | select(.kind == "column") | [.column, .method, (.p_value != null)]]' out.ndjson
	assert_output '[["stable","ks",true],["shifted","ks",true],["level","ks",true],["city","js",false],["tier","js",false],["flag","js",false]]'
}

@test "--method NAME applies to every column it fits; the others keep their default" {
	run --separate-stderr drift --method wasserstein "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	run jq -sc '[.[] | select(.kind == "column") | .method]' out.ndjson
	assert_output '["wasserstein","wasserstein","wasserstein","js","js","js"]'
	run --separate-stderr drift --method linf "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	run jq -sc '[.[] | select(.kind == "column") | .method]' out.ndjson
	assert_output '["psi","psi","psi","linf","linf","linf"]'
	run --separate-stderr drift --method chi2 --method shifted=js "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	run jq -sc '[.[] | select(.kind == "column") | .method]' out.ndjson
	assert_output '["psi","js","psi","chi2","chi2","chi2"]'
}

@test "--method with an unknown name is a usage error" {
	run --separate-stderr drift --method bogus "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_trouble_starts "--method: unknown method 'bogus'"
	run --separate-stderr drift --method x=kl "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_trouble_starts "--method: unknown method 'kl'"
}

@test "--threshold X sets every column's threshold; --threshold COL=X one column's" {
	run --separate-stderr drift --threshold 0.3 "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 0
	run jq -sc '[.[] | select(.kind == "column") | [.threshold, .drifted]]' out.ndjson
	assert_output '[[0.3,false],[0.3,false],[0.3,false],[0.3,false],[0.3,false],[0.3,false]]'
	run --separate-stderr drift --threshold stable=0.0001 --threshold city=0.5 "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	run jq -sc '[.[] | select(.kind == "column") | [.column, .threshold, .drifted]]' out.ndjson
	assert_output '[["stable",0.0001,true],["shifted",0.2,true],["level",0.2,false],["city",0.5,false],["tier",0.1,false],["flag",0.1,false]]'
}

@test "--threshold on a test is the p-value level" {
	run --separate-stderr drift --threshold moved=1e-12 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	run field 'select(.column == "moved") | [.threshold, .drifted, .p_value > 1e-12]'
	assert_output '[1e-12,false,true]'
}

@test "--threshold that is negative or not a number is a usage error" {
	run --separate-stderr drift --threshold -1 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_trouble_starts "--threshold"
	run --separate-stderr drift --threshold x=abc "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_trouble_starts "--threshold"
}

@test "--threshold, --share and --fdr take decimal numbers only: hexadecimal, inf and nan are usage errors" {
	for bad in 0x1 x=0x1 0x0.1p0 inf nan ' 0.1'; do
		run --separate-stderr drift --threshold "$bad" "$D/small-ref.ndjson" "$D/small-cur.ndjson"
		assert_trouble_starts "--threshold"
	done
	run --separate-stderr drift --share 0x1 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_trouble_starts "--share"
	run --separate-stderr drift --fdr 0x0.1p0 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_trouble_starts "--fdr"
}

@test "--columns compares only the listed columns; --exclude leaves columns out (raw and profile sides)" {
	for ref in "$D/large-ref.ndjson" "$D/large-ref.profile"; do
		run --separate-stderr drift --columns tier,shifted "$ref" "$D/large-cur.profile"
		assert_equal "$status" 1
		run jq -sc '[.[] | select(.kind == "column") | .column]' out.ndjson
		assert_output '["shifted","tier"]'
		run --separate-stderr drift --exclude stable,level,city "$ref" "$D/large-cur.ndjson"
		run jq -sc '[.[] | select(.kind == "column") | .column]' out.ndjson
		assert_output '["shifted","tier","flag"]'
		run field 'select(.kind == "summary") | .columns'
		assert_output 3
	done
}

@test "--critical: one critical column drifted means drift, even below the share" {
	run --separate-stderr drift --critical shifted "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 1
	run field 'select(.kind == "summary") | [.drifted_share < .share, .critical, .critical_drifted, .drift]'
	assert_output '[true,["shifted"],["shifted"],true]'
}

@test "--critical: critical columns that did not drift leave the verdict to the share" {
	run --separate-stderr drift --critical stable,tier "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 0
	run field 'select(.kind == "summary") | [.critical, .critical_drifted, .drift]'
	assert_output '[["stable","tier"],[],false]'
}

@test "--critical: a critical column that --exclude leaves out or --columns does not list is a usage error naming it" {
	printf '{"a":1,"b":2}\n{"a":2,"b":3}\n' >ref.ndjson
	printf '{"a":1}\n{"a":3}\n' >cur.ndjson
	run --separate-stderr drift --share 1 --critical b --exclude b ref.ndjson cur.ndjson
	assert_trouble_starts "--critical: 'b' is left out by --exclude"
	run --separate-stderr drift --share 1 --critical a,b --columns a ref.ndjson cur.ndjson
	assert_trouble_starts "--critical: 'b' is not in --columns"
	[[ "$stderr" == *"--help"* ]]
	# a critical column that is compared still decides
	run --separate-stderr drift --share 1 --critical b --columns a,b ref.ndjson cur.ndjson
	assert_equal "$status" 1
}

@test "--share: drift when the share of drifted columns reaches it" {
	run --separate-stderr drift --share 0.34 "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 0
	run --separate-stderr drift --share 0.33 "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 1
	run field 'select(.kind == "summary") | [.drifted, .columns, .share, .drift]'
	assert_output '[2,6,0.33,true]'
	run --separate-stderr drift --share 0 "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_trouble_starts "--share"
	run --separate-stderr drift --share 1.5 "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_trouble_starts "--share"
}

@test "--fdr Q: adjusted p-values equal Benjamini-Hochberg computed in numpy, and drift is decided on them" {
	py <<'EOF'
r = rng(11)
ref, cur = {}, {}
for i, sh in enumerate([.4, .2, .2, 0, 0]):
    ref[f"f{i}"], cur[f"f{i}"] = r.normal(0, 1, 300), r.normal(sh, 1, 400)
write("ref.ndjson", **ref)
write("cur.ndjson", **cur)
EOF
	run --separate-stderr drift --fdr 0.05 ref.ndjson cur.ndjson
	assert_equal "$stderr" ""
	py <<'EOF'
from scipy.stats import ks_2samp
cols, summary = output()
names = [f"f{i}" for i in range(5)]
p = [ks_2samp(numbers("ref.ndjson", c), numbers("cur.ndjson", c), method="exact").pvalue for c in names]
q = bh(p)
assert any(pp < .05 <= qq for pp, qq in zip(p, q)), "no column that BH turns around"
for c, pp, qq in zip(names, p, q):
    close(f"{c} p_value", cols[c]["p_value"], pp, rel=1e-6, abs=1e-12)
    close(f"{c} p_adjusted", cols[c]["p_adjusted"], qq, rel=1e-6, abs=1e-12)
    equal(f"{c} threshold", cols[c]["threshold"], 0.05)
    equal(f"{c} drifted", cols[c]["drifted"], bool(qq < .05))
equal("summary fdr", summary["fdr"], 0.05)
equal("summary drifted", summary["drifted"], int(sum(q < .05)))
EOF
	run --separate-stderr drift ref.ndjson cur.ndjson
	run jq -sc '[.[] | select(.kind == "column") | has("p_adjusted")] | any' out.ndjson
	assert_output false
}

@test "--fdr out of (0, 1) is a usage error" {
	run --separate-stderr drift --fdr 1 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_trouble_starts "--fdr"
	run --separate-stderr drift --fdr 0 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_trouble_starts "--fdr"
}

@test "--small N: samples below N are tested, samples of N or more measured" {
	run --separate-stderr drift --small 300 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	run jq -sc '[.[] | select(.kind == "column") | .method]' out.ndjson
	assert_output '["psi","psi","psi","psi","js","js"]'
	run --separate-stderr drift --small 301 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	run jq -sc '[.[] | select(.kind == "column") | .method]' out.ndjson
	assert_output '["ks","ks","ks","ks","chi2","chi2"]'
	run --separate-stderr drift --small 20001 "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	run jq -sc '[.[] | select(.kind == "column") | .method]' out.ndjson
	assert_output '["ks","ks","ks","chi2","chi2","chi2"]'
}

@test "-f text: a table of the columns and a verdict line" {
	run --separate-stderr ml-drift -f text "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 0
	assert_line --index 0 --regexp '^column +type +method +statistic +p-value +threshold +drifted$'
	assert_line --index 1 --regexp '^stable +number +psi +[0-9.e-]+ +- +0\.2 +ok$'
	assert_line --index 2 --regexp '^shifted +number +psi +0\.23[0-9]* +- +0\.2 +DRIFT$'
	assert_line --index 4 --regexp '^city +string +js +[0-9.e-]+ +- +0\.1 +DRIFT$'
	assert_equal "${lines[-1]}" "no drift: 2 of 6 columns drifted (share 0.33, limit 0.50)"
	run --separate-stderr ml-drift --output-format text --critical city "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_equal "$status" 1
	assert_equal "${lines[-1]}" 'DRIFT: 2 of 6 columns drifted (share 0.33, limit 0.50); critical: "city"'
	run --separate-stderr ml-drift -f csv "$D/large-ref.ndjson" "$D/large-cur.ndjson"
	assert_usage_error ml-drift
}

@test "-o FILE: the output goes to FILE, nothing to stdout, and the exit status still tells drift" {
	run --separate-stderr ml-drift -o drift.ndjson "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_equal "$status" 1
	assert_equal "$output" ""
	ml-drift "$D/small-ref.ndjson" "$D/small-cur.ndjson" >expected.ndjson || true
	assert_bytes_equal expected.ndjson drift.ndjson
	assert_no_temp_files
}

@test "-o FILE: a failed run leaves the previous FILE as it was" {
	echo previous >drift.ndjson
	run --separate-stderr ml-drift -o drift.ndjson "$D/small-ref.ndjson" missing.ndjson
	assert_equal "$status" 2
	assert_equal "$(cat drift.ndjson)" previous
	assert_no_temp_files
}

@test "--help prints the usage on stdout and exits 0; --version prints the version" {
	run --separate-stderr ml-drift --help
	assert_success
	assert_line --index 0 'Usage: ml-drift [OPTION]... REFERENCE CURRENT'
	assert_output --partial '--fdr Q'
	assert_equal "$stderr" ""
	run --separate-stderr ml-drift --version
	assert_success
	assert_output --regexp '^ml-drift .*[0-9]'
}

@test "a wrong number of arguments is a usage error" {
	for args in "" "$D/small-ref.ndjson" "$D/small-ref.ndjson $D/small-cur.ndjson $D/small-cur.ndjson"; do
		# shellcheck disable=SC2086
		run --separate-stderr ml-drift $args
		assert_usage_error ml-drift
	done
	run --separate-stderr ml-drift --bogus-option "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_usage_error ml-drift
}

@test "both sides on standard input is a usage error; one side on standard input is read" {
	run --separate-stderr ml-drift - - <"$D/small-ref.ndjson"
	assert_usage_error ml-drift
	assert_equal "$stderr" "$(printf '%s\n' "ml-drift: only one side can be standard input" \
		"Try 'ml-drift --help' for more information.")"
	run --separate-stderr drift "$D/small-ref.profile" - <"$D/small-cur.ndjson"
	assert_equal "$status" 1
	run --separate-stderr ml-drift "$D/small-ref.profile" "$D/small-cur.ndjson"
	run field 'select(.kind == "summary") | .current.records'
	assert_output 400
}

# ---- exit statuses ---------------------------------------------------------

@test "exit 0 when nothing drifted, 1 when drift reached the share" {
	run --separate-stderr drift "$D/small-ref.ndjson" "$D/small-ref.ndjson"
	assert_equal "$status" 0
	run field 'select(.kind == "summary") | [.drifted, .drift]'
	assert_output '[0,false]'
	run --separate-stderr drift --share 0.5 "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_equal "$status" 1
	run field 'select(.kind == "summary") | [.drifted, .columns, .drift]'
	assert_output '[4,6,true]'
}

@test "an unreadable file is trouble (exit 2) naming the file" {
	run --separate-stderr drift missing.ndjson "$D/small-cur.ndjson"
	assert_trouble_starts "cannot open 'missing.ndjson'"
	cp "$D/small-cur.ndjson" locked.ndjson
	chmod 000 locked.ndjson
	run --separate-stderr as_unprivileged ml-drift "$D/small-ref.ndjson" locked.ndjson
	assert_equal "$status" 2
	assert_equal "$output" ""
	assert_equal "$stderr" "ml-drift: cannot open 'locked.ndjson': Permission denied"
	run --separate-stderr drift "$D/small-ref.ndjson" .
	assert_equal "$status" 2
}

@test "a malformed record line is trouble naming FILE:LINE" {
	head -n 3 "$D/small-cur.ndjson" >bad.ndjson
	echo '{"same":1,' >>bad.ndjson
	tail -n 5 "$D/small-cur.ndjson" >>bad.ndjson
	run --separate-stderr drift "$D/small-ref.ndjson" bad.ndjson
	assert_trouble_starts "bad.ndjson:4: "
	run --separate-stderr drift bad.ndjson "$D/small-ref.ndjson"
	assert_trouble_starts "bad.ndjson:4: "
	printf '[1,2]\n' >array.ndjson
	run --separate-stderr drift array.ndjson "$D/small-ref.ndjson"
	assert_trouble_starts "array.ndjson:1: "
}

@test "a truncated profile is trouble: lines missing, or a line cut short" {
	head -n 3 "$D/large-ref.profile" >short.profile
	run --separate-stderr drift short.profile "$D/large-cur.ndjson"
	assert_trouble_starts "short.profile: "
	[[ "$stderr" == *truncated* ]] || fail "stderr does not say truncated: $stderr"
	head -c 3000 "$D/large-ref.profile" >cut.profile
	run --separate-stderr drift cut.profile "$D/large-cur.ndjson"
	assert_trouble_starts "cut.profile:2: "
	head -n 1 "$D/large-ref.profile" >header.profile
	run --separate-stderr drift "$D/large-cur.ndjson" header.profile
	assert_trouble_starts "header.profile: "
}

@test "a profile of another format version is trouble" {
	sed '1s/"version":1,/"version":2,/' "$D/large-ref.profile" >v2.profile
	run --separate-stderr drift v2.profile "$D/large-cur.ndjson"
	assert_trouble_starts "v2.profile:1: "
	[[ "$stderr" == *version* ]] || fail "stderr does not name the version: $stderr"
}

# ---- the output ------------------------------------------------------------

@test "every output line is JSON, every column with a method has its unit, and the summary comes last" {
	py <<'EOF'
r = rng(9)
write("ref.ndjson", x=r.normal(0, 1, 500), s=r.choice(["a", "b"], 500), b=r.random(500) < .5,
      gone=np.ones(500), typed=np.arange(500), nulls=[NULL] * 500)
write("cur.ndjson", x=r.normal(1, 1, 600), s=r.choice(["a", "c"], 600), b=r.random(600) < .5,
      typed=[str(i) for i in range(600)], fresh=np.ones(600), nulls=[NULL] * 600)
EOF
	for args in "" "--fdr 0.1" "--method wasserstein" "--small 10"; do
		# shellcheck disable=SC2086
		run --separate-stderr drift $args ref.ndjson cur.ndjson
		assert_equal "$status" 1
		assert_json_lines out.ndjson
		run jq -sc '[.[] | select(.kind == "column" and .method != null and (.unit | type) != "string") | .column]' out.ndjson
		assert_output '[]'
		run jq -sc '[.[] | [.format, .version, .kind]] | unique' out.ndjson
		assert_output '[["mlpipe.drift",1,"column"],["mlpipe.drift",1,"summary"]]'
		run jq -sc 'map(.kind) | [.[-1], (.[:-1] | unique)]' out.ndjson
		assert_output '["summary",["column"]]'
		run jq -sc '[.[] | select(.kind == "column") | .column]' out.ndjson
		assert_output '["x","s","b","gone","typed","nulls","fresh"]'
	done
}

@test "a string column with more distinct values than are counted exactly: only values known on both sides are compared" {
	py <<'EOF2'
r = rng(21)
n = 40000
def ids(k):
    return [f"u{v}" for v in r.integers(0, 30000, k)]
def mix(p):  # mostly three frequent values, a third of the rows rare ids
    c = r.choice(["a", "b", "c"], n, p=p).astype(object)
    c[::3] = ids(len(c[::3]))
    return c
write("ref.ndjson", id=ids(n), k=mix([.5, .3, .2]), moved=mix([.5, .3, .2]))
write("cur.ndjson", id=ids(n), k=mix([.5, .3, .2]), moved=mix([.2, .3, .5]))
EOF2
	run --separate-stderr drift ref.ndjson cur.ndjson
	assert_equal "$stderr" ""
	run jq -sc '[.[] | select(.kind == "column") | [.column, .drifted, .new_count, .vanished_count]]' out.ndjson
	assert_output '[["id",false,0,0],["k",false,0,0],["moved",true,0,0]]'
	py <<'EOF2'
cols, _ = output()
for col in ("id", "k", "moved"):
    cat = cols[col]["categories"]
    for side, path in (("reference", "ref.ndjson"), ("current", "cur.ndjson")):
        truth = counts(path, col)
        got = dict(zip(cat["values"], cat[side]))
        equal(f"{col} {side} total", sum(got.values()), sum(truth.values()))
        for v, k in got.items():
            if v is not None:
                assert k <= truth[v], f"{col} {side}: {v} counted {k} times, seen {truth[v]}"
    for v in ("a", "b", "c"):
        assert v in cat["values"] or col == "id", f"{col}: the frequent value {v} is not compared"
EOF2
}

# ---- what is refused, and sketches that must not cry wolf ------------------

@test "a column named in --critical, --method or --columns that neither side has is an error" {
	for opt in "--critical nosuch" "--method nosuch=psi" "--threshold nosuch=0.3" "--columns nosuch"; do
		run --separate-stderr ml-drift $opt "$D/small-ref.ndjson" "$D/small-cur.ndjson"
		assert_equal "$status" 2
		[[ "$stderr" == "ml-drift: "*": no column 'nosuch' on either side" ]]
	done
}

@test "a method named for a column it cannot measure is an error" {
	run --separate-stderr ml-drift --method flag=ks "$D/small-ref.ndjson" "$D/small-cur.ndjson"
	assert_equal "$status" 2
	[[ "$stderr" == *"--method flag=ks: 'flag' holds booleans, which ks does not measure"* ]]
}

@test "a reference without records is trouble, not a pass" {
	: > empty.ndjson
	run --separate-stderr ml-drift empty.ndjson "$D/small-cur.ndjson"
	assert_equal "$status" 2
	[[ "$stderr" == *"empty.ndjson: the reference holds no records"* ]]
}

@test "current data without records is trouble naming it, as an empty reference is, whether records or a profile" {
	: > empty.ndjson
	ml-stats empty.ndjson >empty.profile
	for cur in empty.ndjson empty.profile; do
		run --separate-stderr drift "$D/small-ref.ndjson" "$cur"
		assert_trouble_starts "$cur: the current data holds no records"
	done
}

@test "many categories with few rows each are decided by chi-square, not by a noisy distance" {
	/usr/bin/python3 - <<'PY'
import json, numpy as np
r = np.random.default_rng(7)
for name in ("a.ndjson", "b.ndjson"):
    with open(name, "w") as f:
        for v in r.integers(0, 3000, 20000):
            f.write(json.dumps({"code": "c%d" % v}) + "\n")
PY
	run --separate-stderr ml-drift -o out.ndjson a.ndjson b.ndjson
	assert_equal "$status" 0
	run jq -r 'select(.column == "code") | "\(.method) \(.drifted) \(.statistics.js > 0.1)"' out.ndjson
	assert_output "chi2 false true"
}

@test "two profiles of 200,000 values from one law do not drift by KS: sketch error is allowed for" {
	/usr/bin/python3 - <<'PY'
import numpy as np
r = np.random.default_rng(11)
for name in ("n1.ndjson", "n2.ndjson"):
    with open(name, "w") as f:
        f.writelines('{"x":%r}\n' % x for x in r.normal(size=200000))
PY
	ml-stats n1.ndjson > n1.profile
	ml-stats n2.ndjson > n2.profile
	run --separate-stderr ml-drift --method ks -o out.ndjson n1.profile n2.profile
	assert_equal "$status" 0
	run jq -r 'select(.column == "x") | "\(.drifted) \(.statistics.ks_sketch_error) \(.p_value > 0.05)"' out.ndjson
	assert_output "false 0.01 true"
}

@test "a model bundle is a side: the profile of the data it was trained on" {
	/usr/bin/python3 - <<'PY'
import json, random
r = random.Random(7)
with open("train.ndjson", "w") as f:
    for i in range(2000):
        f.write(json.dumps({"x": r.gauss(0, 1), "c": r.choice("abc"), "y": r.gauss(0, 1)}) + "\n")
with open("moved.ndjson", "w") as f:
    for i in range(2000):
        f.write(json.dumps({"x": r.gauss(1.5, 1), "c": r.choice("abc")}) + "\n")
PY
	ml-train --target y --algo linear -o model.bundle train.ndjson
	ml-stats train.ndjson >train.profile
	# the same verdicts and statistics as with the training profile itself,
	# but for the label y: the data to score has none, and that is no drift
	run ml-drift -o by-bundle.ndjson model.bundle moved.ndjson
	assert_failure 1
	run ml-drift -o by-profile.ndjson train.profile moved.ndjson
	assert_failure 1
	assert_equal "$(jq -c 'select(.kind == "column") | [.column, .statistic, .drifted]' by-bundle.ndjson)" \
		"$(jq -c 'select(.kind == "column" and .column != "y") | [.column, .statistic, .drifted]' by-profile.ndjson)"
	assert_equal "$(jq -r 'select(.column == "y") | .only_in' by-profile.ndjson)" reference
	assert_equal "$(jq -r 'select(.column == "x") | .drifted' by-bundle.ndjson)" true
}

@test "a side is read once: a profile, records or a bundle from a pipe or FIFO give what the file gives" {
	gen_records 300 >train.ndjson
	ml-train --target x --algo linear -o model.bundle train.ndjson
	ml-stats train.ndjson >train.profile
	gen_records 300 1000 >cur.ndjson
	for ref in train.profile train.ndjson model.bundle; do
		run ml-drift -o want.ndjson "$ref" cur.ndjson
		want=$status
		run --separate-stderr bash -c "ml-drift -o got.ndjson <(cat $ref) cur.ndjson"
		assert_equal "$stderr" ""
		assert_equal "$status" "$want"
		# a FIFO, and standard input (a bundle too)
		mkfifo ref.fifo
		cat "$ref" >ref.fifo &
		run --separate-stderr ml-drift -o fifo.ndjson ref.fifo cur.ndjson
		wait
		rm ref.fifo
		assert_equal "$stderr" ""
		assert_equal "$status" "$want"
		run --separate-stderr ml-drift -o stdin.ndjson - cur.ndjson <"$ref"
		assert_equal "$stderr" ""
		assert_equal "$status" "$want"
		for got in got.ndjson fifo.ndjson stdin.ndjson; do
			assert_equal "$(jq -c 'select(.kind == "column")' "$got")" "$(jq -c 'select(.kind == "column")' want.ndjson)"
		done
	done
}
