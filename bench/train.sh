#!/bin/sh
# bench/train.sh: the benchmarks of ml-train and ml-predict (`make bench`
# runs it after bench/validate.sh).
#
# Builds bench/gen-train.c into bench/build/ and caches its data in
# bench/data/train/: a training set of BENCH_ROWS NDJSON records (six
# numbers, three strings, a boolean and a binary target that depends on
# them), a held-out test set, and the same rows as libsvm files encoded as
# ml-train encodes them (standardised numbers and one-hot strings for
# liblinear; raw numbers and one-hot strings for XGBoost).  Times, in this
# one run (hyperfine, else /usr/bin/time):
#   ml-train --algo logistic   against liblinear's own `train -s 0`
#   ml-train --algo gbdt       against the xgboost command-line program
#                              (hist, depth 6, eta 0.3, 100 rounds), and
#                              the same with one round each (what the two
#                              spend besides the rounds after the first)
#   ml-predict (logistic)      against `jq -c .` over the same records
# checks that ml-train's preprocess.json is the generator's encoding, scores
# the test set with every model and computes each one's AUC (scikit-learn),
# measures the peak memory of training against the size of the feature
# matrix as 32-bit floats plus what the backend holds of its own (liblinear:
# computed from its allocations; XGBoost: measured, by training it through
# its C API on the same matrix from Python), prints one markdown table and
# writes it into docs/BENCHMARKS.md between
#   <!-- bench:train:begin --> and <!-- bench:train:end -->
# (appended at the end when the markers are missing) leaving the rest of
# that file alone.  A benchmark, never a test: it fails only when something
# cannot run (or the encodings differ), not when a target is missed.  What
# it shares with the other scripts is in bench/lib.sh.
#
# Files it keeps in bench/data/train/ (made again when the row counts,
# the seed or gen-train change):
#   train.ndjson, test.ndjson        the records
#   train-lr.svm, test-lr.svm        for liblinear (standardised, one-hot)
#   train-gb.svm, test-gb.svm        for xgboost (raw numbers, one-hot)
#   encoding.json                    the generator's encoding of the features
#   gb-x.npy, gb-y.npy               ml-train's gbdt matrix and labels, for
#                                    the XGBoost memory probe
#   lr.bundle, gb.bundle, lr.model, gb.model, xgb.conf, *.pred, *-test.ndjson
#                                    the models and their test predictions
# and hyperfine's JSON of each command as bench/data/train-NAME.json.
#
# Environment:
#   BENCH_ROWS=N          training records (default 1000000)
#   BENCH_TEST_ROWS=N     held-out records (default BENCH_ROWS / 5)
#   BENCH_RUNS=N          timed runs per command (default 5)
#   BENCH_SLOW_RUNS=N     timed runs of jq (default 3)
#   BENCH_ONE_THREAD=0    skip the one-thread gbdt pair (one run each)
#   BENCH_ONE_ROUND=0     skip the one-round gbdt pair (the fixed cost:
#                         everything but the rounds after the first)
#   BENCH_LAYOUT=0        skip the xgboost pair on the two column orders
#                         (ml-train's for gbdt, and the generator's)
#   BENCH_NO_DOC=1        do not touch docs/BENCHMARKS.md
set -eu

cd "$(dirname "$0")/.."
. bench/lib.sh

SLOW_RUNS=${BENCH_SLOW_RUNS:-3}
TEST_ROWS=${BENCH_TEST_ROWS:-$((ROWS / 5))}
[ "$TEST_ROWS" -ge 1000 ] || TEST_ROWS=1000
ONE_THREAD=${BENCH_ONE_THREAD:-1}
ONE_ROUND=${BENCH_ONE_ROUND:-1}
LAYOUT=${BENCH_LAYOUT:-1}
JSON_PREFIX=train		# hyperfine's JSON: $DATA/train-NAME.json
PY=/usr/bin/python3
TARGET=churn
# the gbdt parameters of the issue, for both programs
GB_DEPTH=6 GB_ETA=0.3 GB_ROUNDS=100
# "the same AUC": the two AUCs on the test set within this
AUC_TOL=0.002

# --- packages, programs, helpers ------------------------------------------
# Debian package : command or file it provides
need_pkgs hyperfine:hyperfine jq:jq time:/usr/bin/time gcc:cc \
	liblinear-tools:/usr/bin/liblinear-train xgboost:/usr/bin/xgboost \
	python3-sklearn:/usr/lib/python3/dist-packages/sklearn \
	python3-numpy:/usr/lib/python3/dist-packages/numpy
have cc || die "no C compiler"
have jq || die "jq is needed (to read hyperfine's JSON and as the baseline)"
[ -x /usr/bin/liblinear-train ] || die "liblinear-train missing (Debian package liblinear-tools)"
[ -x /usr/bin/xgboost ] || die "xgboost missing (Debian package xgboost)"
"$PY" -c 'import sklearn, numpy' 2>/dev/null || die "$PY cannot import sklearn and numpy"
wait_bins bin/ml-train bin/ml-predict
build_helpers gen-train:-lm

# --- data -----------------------------------------------------------------
TDIR=$DATA/train
TSTAMP=$TDIR/stamp
mkdir -p "$TDIR"
if [ ! -s "$TDIR/train.ndjson" ] || [ ! -s "$TDIR/encoding.json" ] ||
   [ "$(cat "$TSTAMP" 2>/dev/null)" != "$ROWS $TEST_ROWS $SEED" ] ||
   [ "$BUILD/gen-train" -nt "$TDIR/train.ndjson" ]; then
	say "\$ $BUILD/gen-train $ROWS $TEST_ROWS $SEED $TDIR"
	rm -f "$TSTAMP"
	"$BUILD/gen-train" "$ROWS" "$TEST_ROWS" "$SEED" "$TDIR"
	echo "$ROWS $TEST_ROWS $SEED" > "$TSTAMP"
fi
TRAIN=$TDIR/train.ndjson
TEST=$TDIR/test.ndjson
ENC=$TDIR/encoding.json
n_train=$(lines "$TRAIN")
n_test=$(lines "$TEST")
[ "$n_train" -eq "$ROWS" ] && [ "$n_test" -eq "$TEST_ROWS" ] ||
	die "$TDIR has $n_train and $n_test records, expected $ROWS and $TEST_ROWS"
for f in train-lr train-gb test-lr test-gb; do
	[ "$(lines "$TDIR/$f.svm")" -eq "$(lines "$TDIR/${f%%-*}.ndjson")" ] ||
		die "$TDIR/$f.svm and ${f%%-*}.ndjson differ in rows"
done
ncols=$(jq .columns "$ENC")
ones=$(awk '{ s += $1 } END { printf "%.1f%%", 100 * s / NR }' "$TDIR/train-lr.svm")
nnz_lr=$(jq .nnz_lr "$ENC")
say "data: $TRAIN $n_train records ($(bytes "$TRAIN") bytes), $TEST $n_test records; $ncols encoded columns"

# ml-train's gbdt matrix (numbers raw, NaN when missing; one-hot 1, the
# unlit columns NaN) as
# 32-bit floats, rebuilt from train-gb.svm, for the XGBoost memory probe;
# the count of NaN must be the generator's count of missing cells
GBX=$TDIR/gb-x.npy
GBY=$TDIR/gb-y.npy
if [ ! -s "$GBX" ] || [ ! -s "$GBY" ] || [ "$TDIR/train-gb.svm" -nt "$GBX" ]; then
	say "\$ $PY - $TDIR/train-gb.svm $ENC $GBX $GBY   # the dense gbdt matrix"
	"$PY" - "$TDIR/train-gb.svm" "$ENC" "$GBX.tmp.npy" "$GBY.tmp.npy" <<'EOF'
import json, sys
import numpy as np
from sklearn.datasets import load_svmlight_file
svm, enc, out_x, out_y = sys.argv[1:5]
e = json.load(open(enc))
X, y = load_svmlight_file(svm, n_features=e["columns"], dtype=np.float32, zero_based=False)
csc = X.tocsc()
D = X.toarray()
col, missing = 0, 0
for f in e["features"]:
    if f["kind"] == "category":
        # as ml-train encodes for trees: a string's unlit columns missing
        w = len(f["values"]) + 1
        block = D[:, col:col + w]
        block[block == 0] = np.nan
        col += w
        continue
    present = np.zeros(D.shape[0], dtype=bool)
    present[csc.indices[csc.indptr[col]:csc.indptr[col + 1]]] = True
    D[~present, col] = np.nan
    missing += int((~present).sum())
    col += 1
if missing != e["missing"]:
    sys.exit("gb matrix: %d missing cells, the generator says %d" % (missing, e["missing"]))
np.save(out_x, np.ascontiguousarray(D, dtype=np.float32))
np.save(out_y, y.astype(np.float32))
EOF
	mv "$GBX.tmp.npy" "$GBX"
	mv "$GBY.tmp.npy" "$GBY"
fi

# the xgboost CLI's configuration: the parameters ml-train gives XGBoost
XCONF=$TDIR/xgb.conf
cat > "$XCONF" <<EOF
booster = gbtree
objective = binary:logistic
tree_method = hist
max_depth = $GB_DEPTH
eta = $GB_ETA
num_round = $GB_ROUNDS
seed = 0
data = $TDIR/train-gb.svm
model_out = $TDIR/gb.model
EOF

# --- measuring ------------------------------------------------------------
start_timing

# The programs run as people run them: with the run log on, so every input
# and output byte is hashed (SHA-256) as it passes.
RUNLOG="$DATA/runs.ndjson"
TRAIN_LR="bin/ml-train --run-log $RUNLOG -t $TARGET -a logistic -o $TDIR/lr.bundle $TRAIN"
LL_TRAIN="liblinear-train -s 0 -B 1 -c 1 -e 0.01 -q $TDIR/train-lr.svm $TDIR/lr.model"
TRAIN_GB="bin/ml-train --run-log $RUNLOG -t $TARGET -a gbdt -p max_depth=$GB_DEPTH -p eta=$GB_ETA -p rounds=$GB_ROUNDS -o $TDIR/gb.bundle $TRAIN"
XGB_TRAIN="xgboost $XCONF"
TRAIN_GB_R1="bin/ml-train --run-log $RUNLOG -t $TARGET -a gbdt -p max_depth=$GB_DEPTH -p eta=$GB_ETA -p rounds=1 -o $TDIR/gb-r1.bundle $TRAIN"
TRAIN_GB1="bin/ml-train --run-log $RUNLOG -t $TARGET -a gbdt -p max_depth=$GB_DEPTH -p eta=$GB_ETA -p rounds=$GB_ROUNDS --threads 1 -o $TDIR/gb1.bundle $TRAIN"
PREDICT="bin/ml-predict --run-log $RUNLOG $TDIR/lr.bundle $TRAIN"
PREDICT_GB="bin/ml-predict --run-log $RUNLOG $TDIR/gb.bundle $TRAIN"

# time_pair RUNS NAME_A CMD_A NAME_B CMD_B: RUNS timed runs of A and of B
# after one warm-up of each, alternating (A, B, A, B, ...) so that both see
# the same load; sets T_A and T_B to "MEDIAN MIN MAX CPU" as time_cmd prints
# them (CPU: the mean of the runs)
agg_times() {
	sort -n "$1" | awk '{ v[NR] = $1; cpu += $4 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR], cpu / NR }'
}
# pair_ratios FILE_A FILE_B: A's i-th run over B's i-th, as "MEDIAN MIN
# MAX" of those ratios (agg_times on them): the two runs of a pair saw the
# same moment's load, so their ratio moves less than the ratio of the two
# medians does
pair_ratios() {
	paste -d ' ' "$1" "$2" | awk '{ print $1 / $5, 0, 0, 0 }' > "$TMP/pair-ratios"
	agg_times "$TMP/pair-ratios" | awk '{ printf "%.2f %.2f %.2f\n", $1, $2, $3 }'
}
# the ratios run by run, for a row: "; run by run 1.02x (0.95–1.10)"
by_run() { echo "$1" | awk '{ printf "; run by run %sx (%s–%s)", $1, $2, $3 }'; }
time_pair() {
	tp_runs=$1 tp_na=$2 tp_a=$3 tp_nb=$4 tp_b=$5 tp_i=1
	: > "$TMP/pair-a"
	: > "$TMP/pair-b"
	while [ "$tp_i" -le "$tp_runs" ]; do
		tp_w=0
		[ "$tp_i" = 1 ] && tp_w=1
		time_cmd "$tp_na" 1 "$tp_w" 0 "$tp_a" >> "$TMP/pair-a"
		time_cmd "$tp_nb" 1 "$tp_w" 0 "$tp_b" >> "$TMP/pair-b"
		tp_i=$((tp_i + 1))
	done
	T_A=$(agg_times "$TMP/pair-a")
	T_B=$(agg_times "$TMP/pair-b")
	T_PAIRS=$(pair_ratios "$TMP/pair-a" "$TMP/pair-b")
}

LOAD0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
time_pair "$RUNS" ml-train-logistic "$TRAIN_LR" liblinear-train "$LL_TRAIN"
t_lr=$T_A t_ll=$T_B p_lr=$T_PAIRS
LOAD_GB=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
time_pair "$RUNS" ml-train-gbdt "$TRAIN_GB" xgboost "$XGB_TRAIN > /dev/null 2>&1"
t_gb=$T_A t_xgb=$T_B p_gb=$T_PAIRS
LOAD_GB2=$(cut -d " " -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)

# XGBoost's own memory and time on ml-train's matrix: the calls ml-train
# makes (XGDMatrixCreateFromMat with NaN missing, the labels, a booster
# with the same parameters, UpdateOneIter each round), from Python through
# ctypes, after the matrix is loaded; prints the resident KiB before, the
# peak KiB, and the seconds from the matrix to the last round.  $RUNS runs
# (its time moves with the load as the gbdt pair's does): the median time,
# the largest memory.
cat > "$TMP/probe.py" <<'EOF'
import ctypes, ctypes.util, resource, sys, time
import numpy as np
X = np.load(sys.argv[1])
y = np.load(sys.argv[2])
params = [a.split("=", 1) for a in sys.argv[3:]]
def rss_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
lib = ctypes.CDLL(ctypes.util.find_library("xgboost") or "libxgboost.so.0")
lib.XGBGetLastError.restype = ctypes.c_char_p
def ok(rc):
    if rc != 0:
        sys.exit("xgboost: " + lib.XGBGetLastError().decode())
ok(lib.XGBSetGlobalConfig(b'{"verbosity":0}'))
n, p = X.shape
fp = ctypes.POINTER(ctypes.c_float)
before = rss_kb()
t0 = time.perf_counter()
dm = ctypes.c_void_p()
ok(lib.XGDMatrixCreateFromMat(X.ctypes.data_as(fp), ctypes.c_uint64(n), ctypes.c_uint64(p),
                              ctypes.c_float(float("nan")), ctypes.byref(dm)))
ok(lib.XGDMatrixSetFloatInfo(dm, b"label", y.ctypes.data_as(fp), ctypes.c_uint64(n)))
bst = ctypes.c_void_p()
ok(lib.XGBoosterCreate((ctypes.c_void_p * 1)(dm), ctypes.c_uint64(1), ctypes.byref(bst)))
rounds = 100
for k, v in [("objective", "binary:logistic"), ("tree_method", "hist"), ("seed", "0")] + params:
    if k == "rounds":
        rounds = int(v)
    else:
        ok(lib.XGBoosterSetParam(bst, k.encode(), v.encode()))
for it in range(rounds):
    ok(lib.XGBoosterUpdateOneIter(bst, ctypes.c_int(it), dm))
t1 = time.perf_counter()
print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "%.3f" % (t1 - t0))
EOF
PROBE_CMD="$PY $TMP/probe.py $GBX $GBY max_depth=$GB_DEPTH eta=$GB_ETA rounds=$GB_ROUNDS"
say ""
say "\$ $PROBE_CMD   # XGBoost alone on ml-train's matrix, $RUNS runs"
echo "$PY probe.py $GBX $GBY max_depth=$GB_DEPTH eta=$GB_ETA rounds=$GB_ROUNDS   # XGBoost's C API on ml-train's gbdt matrix (probe.py: in bench/train.sh)" >> "$COMMANDS"
: > "$TMP/probe"
pi=0
while [ "$pi" -lt "$RUNS" ]; do
	$PROBE_CMD >> "$TMP/probe" || { say "bench: the XGBoost probe failed"; : > "$TMP/probe"; break; }
	pi=$((pi + 1))
done
# "OWN_KIB MEDIAN MIN MAX" or nothing
probe=$(awk '{ print $3 }' "$TMP/probe" | sort -n |
	awk -v big="$(awk '{ own = $2 - $1; if (own > b) b = own } END { print b + 0 }' "$TMP/probe")" '
	{ v[NR] = $1 } END { if (NR) { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print big, m, v[1], v[NR] } }')

# one round each: what the two spend besides rounds 2..N (reading, the
# matrix, round 0 with XGBoost's sketch, the model or bundle)
t_gb_r1=; t_xgb_r1=
if [ "$ONE_ROUND" = 1 ]; then
	time_pair "$RUNS" ml-train-gbdt-1round "$TRAIN_GB_R1" \
		xgboost-1round "$XGB_TRAIN num_round=1 model_out=$TDIR/gb-r1.model > /dev/null 2>&1"
	t_gb_r1=$T_A t_xgb_r1=$T_B
fi
# ml-train orders a gbdt model's features its own way (numbers spread
# among the categories: ml-train(1), FEATURES); the CLI reads the
# generator's order.  Does the CLI gain from ml-train's order?  The same
# libsvm rows with their columns renumbered as in ml-train's bundle.
t_xgb_ml=; t_xgb_gen=
if [ "$LAYOUT" = 1 ]; then
	tar -xOf "$TDIR/gb.bundle" preprocess.json > "$TMP/gb-pre.json" || die "$TDIR/gb.bundle: no preprocess.json"
	# "GENERATOR_COLUMN ML_TRAIN_COLUMN" for each column, 1-based as in libsvm
	jq -r -n --slurpfile a "$ENC" --slurpfile b "$TMP/gb-pre.json" '
		def width: if .kind == "category" then (.values | length) + 1 else 1 end;
		def offsets: reduce .[] as $f ({o: 0, m: {}}; .m[$f.name] = .o | .o += ($f | width)) | .m;
		($a[0].features | offsets) as $ga | ($b[0].features | offsets) as $mb |
		$a[0].features[] | . as $f | range(0; $f | width) | "\($ga[$f.name] + . + 1) \($mb[$f.name] + . + 1)"' \
		> "$TMP/columns"
	[ "$(wc -l < "$TMP/columns")" -eq "$ncols" ] || die "ml-train's gbdt columns are not the generator's $ncols"
	awk -v n="$ncols" 'NR == FNR { to[$1] = $2; next }
		{ delete v; for (i = 2; i <= NF; i++) { c = index($i, ":"); v[to[substr($i, 1, c - 1)]] = substr($i, c + 1) }
		  line = $1; for (j = 1; j <= n; j++) if (j in v) line = line " " j ":" v[j]; print line }' \
		"$TMP/columns" "$TDIR/train-gb.svm" > "$TDIR/train-gb-mlorder.svm"
	time_pair "$SLOW_RUNS" xgboost-mlorder "$XGB_TRAIN data=$TDIR/train-gb-mlorder.svm model_out=$TDIR/gb-mlorder.model > /dev/null 2>&1" \
		xgboost-genorder "$XGB_TRAIN model_out=$TDIR/gb-genorder.model > /dev/null 2>&1"
	t_xgb_ml=$T_A t_xgb_gen=$T_B
fi
t_gb1=; t_xgb1=
if [ "$ONE_THREAD" = 1 ]; then
	t_gb1=$(time_cmd ml-train-gbdt-1thread 1 0 0 "$TRAIN_GB1")
	t_xgb1=$(time_cmd xgboost-1thread 1 0 0 "$XGB_TRAIN nthread=1 model_out=$TDIR/gb1.model > /dev/null 2>&1")
fi
t_pred=$(time_cmd ml-predict-logistic "$RUNS" 1 0 "$PREDICT > /dev/null")
t_jq=$(time_cmd jq "$SLOW_RUNS" 0 0 "jq -c . $TRAIN > /dev/null")
t_pred_gb=$(time_cmd ml-predict-gbdt "$RUNS" 1 0 "$PREDICT_GB > /dev/null")

# peak memory, one run each
r_lr=$(rss_cmd "$TRAIN_LR")
r_gb=$(rss_cmd "$TRAIN_GB")
r_ll=$(rss_cmd "$LL_TRAIN")
r_xgb=$(rss_cmd "$XGB_TRAIN > /dev/null 2>&1")
r_pred=$(rss_cmd "$PREDICT > /dev/null")

LOAD1=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
# time_pair logs each command once per run: once is enough for the doc
awk '!seen[$0]++' "$COMMANDS" > "$TMP/commands.once" && mv "$TMP/commands.once" "$COMMANDS"

# --- checks and AUC ---------------------------------------------------------
# ml-train's encoding is the generator's: same columns, names, kinds and
# category values (both bundles); same means and standard deviations
# (logistic), to 1e-9 relative
check_encoding() {
	tar -xOf "$1" preprocess.json > "$TMP/pre.json" || die "$1: no preprocess.json"
	jq -e -n --slurpfile a "$ENC" --slurpfile b "$TMP/pre.json" --argjson moments "$2" '
		def abs: if . < 0 then -. else . end;
		$a[0] as $a | $b[0] as $b |
		$a.columns == $b.columns and
		# a gbdt model orders its features its own way: compared as sets
		([$a.features[] | {name, kind, values}] | if $moments then . else sort_by(.name) end) ==
		([$b.features[] | {name, kind, values}] | if $moments then . else sort_by(.name) end) and
		(($moments | not) or
		 ([range(0; $a.features | length) as $i | $a.features[$i] as $f | $b.features[$i] as $g |
		   $f.kind == "category" or
		   ((($f.mean - $g.mean) | abs) <= 1e-9 * ($g.std + 1) and
		    (($f.std - $g.std) | abs) <= 1e-9 * ($g.std + 1))] | all))' > /dev/null ||
		die "$1: its preprocess.json is not the encoding of $ENC (gen-train and ml-train disagree)"
}
check_encoding "$TDIR/lr.bundle" true
check_encoding "$TDIR/gb.bundle" false
say ""
say "check: both bundles encode the features as $ENC does ($ncols columns)"

# the test set scored by every model
say "\$ scoring $TEST with each model"
bin/ml-predict --no-run-log "$TDIR/lr.bundle" "$TEST" > "$TDIR/lr-test.ndjson"
bin/ml-predict --no-run-log "$TDIR/gb.bundle" "$TEST" > "$TDIR/gb-test.ndjson"
liblinear-predict -b 1 -q "$TDIR/test-lr.svm" "$TDIR/lr.model" "$TDIR/lr-test.pred" > /dev/null
xgboost "$XCONF" task=pred "test:data=$TDIR/test-gb.svm" "model_in=$TDIR/gb.model" \
	"name_pred=$TDIR/gb-test.pred" > /dev/null 2>&1 || die "xgboost could not predict"
# AUCs: ml-train logistic, liblinear, ml-train gbdt, xgboost
aucs=$("$PY" - "$TDIR" <<'EOF'
import json, sys
from sklearn.metrics import roc_auc_score
d = sys.argv[1]
y = [int(l.split(" ", 1)[0]) for l in open(d + "/test-lr.svm")]
def ndjson(f):
    return [json.loads(l)["probability"] for l in open(d + "/" + f)]
def liblinear(f):
    lines = open(d + "/" + f).read().split("\n")
    col = 1 + lines[0].split()[1:].index("1")
    return [float(l.split()[col]) for l in lines[1:] if l]
xgb = [float(l) for l in open(d + "/gb-test.pred")]
for p in (ndjson("lr-test.ndjson"), liblinear("lr-test.pred"), ndjson("gb-test.ndjson"), xgb):
    if len(p) != len(y):
        sys.exit("%d predictions for %d test records" % (len(p), len(y)))
    print("%.6f" % roc_auc_score(y, p), end=" ")
print()
EOF
) || die "could not compute the AUCs"
set -- $aucs
auc_lr=$1 auc_ll=$2 auc_gb=$3 auc_xgb=$4
say "AUC on $TEST: ml-train logistic $auc_lr, liblinear $auc_ll, ml-train gbdt $auc_gb, xgboost $auc_xgb"

# --- the table ------------------------------------------------------------
TABLE=$TMP/table
cpu() { echo "$1" | cut -d ' ' -f 4; }
kib() { echo "$1" | cut -d ' ' -f 1; }
# the matrix: records x encoded columns x 4 bytes, in KiB
matrix_kb=$(awk -v n="$n_train" -v p="$ncols" 'BEGIN { printf "%.0f", n * p * 4 / 1024 }')
# liblinear's own, from liblinear 2.3's allocations: the rows in its format,
# which ml-train builds (a 16-byte feature_node per non-zero, plus the bias
# and the end of each row, and a pointer per row), then in train() the
# permutation (4 B a row), the regrouped and sub-problem row pointers (8 + 8)
# and labels (8), and the solver's C, z and D (8 each): 16 nnz + 92 B a row
ll_own_kb=$(awk -v n="$n_train" -v z="$nnz_lr" 'BEGIN { printf "%.0f", (16 * (z + 2 * n) + 8 * n + 52 * n) / 1024 }')
xgb_own_kb=
if [ -n "$probe" ]; then
	set -- $probe
	xgb_own_kb=$1
	t_probe="$2 $3 $4"
fi
# mem_row TASK KB OWN_KB OWN_WORDS: peak memory against 2 x matrix + own
mem_row() {
	if [ -z "$3" ]; then
		echo "| $1 | ml-train | $(mib "$2") | | ≤ 2 × matrix + backend's own | not measured |"
		return
	fi
	lim=$((2 * matrix_kb + $3))
	r=$(ratio "$2" "$lim")
	echo "| $1 | ml-train | $(mib "$2") | / (2 × $(mib "$matrix_kb") matrix + $(mib "$3") $4 = $(mib "$lim")) = ${r}x | ≤ 2 × matrix + backend's own: ≤ 1x | $(verdict "$r <= 1") |"
}
auc_row() {
	d=$(awk -v a="$3" -v b="$4" 'BEGIN { d = a - b; printf "%+.4f", d }')
	echo "| test AUC, $n_test held-out records | $2 | $3 vs $4 | Δ = $d | the same AUC (\\|Δ\\| ≤ $AUC_TOL) | $(verdict "($3 - $4) <= $AUC_TOL && ($4 - $3) <= $AUC_TOL") |"
}
{
	echo "| task | tool | median (range of runs), max RSS or AUC | ratio | target | met? |"
	echo "|---|---|--:|--:|---|---|"
	echo "| train logistic regression, $n_train records, NDJSON → bundle | ml-train --algo logistic | $(secs "$t_lr") | | | |"
	r=$(ratio "$(med "$t_lr")" "$(med "$t_ll")")
	echo "| the same rows as a libsvm file | liblinear-train -s 0 -B 1 | $(secs "$t_ll") | ml-train / liblinear = ${r}x$(by_run "$p_lr") | ml-train no slower: ≤ 1x | $(verdict "$r <= 1") |"
	auc_row logistic "ml-train vs liblinear" "$auc_lr" "$auc_ll"
	echo "| train gradient-boosted trees (hist, depth $GB_DEPTH, eta $GB_ETA, $GB_ROUNDS rounds), NDJSON → bundle | ml-train --algo gbdt | $(secs "$t_gb") | | | |"
	r=$(ratio "$(med "$t_gb")" "$(med "$t_xgb")")
	echo "| the same rows as a libsvm file | xgboost (CLI) | $(secs "$t_xgb") | ml-train / xgboost = ${r}x$(by_run "$p_gb") | ml-train no slower: ≤ 1x | $(verdict "$r <= 1") |"
	auc_row gbdt "ml-train vs xgboost" "$auc_gb" "$auc_xgb"
	if [ -n "$t_gb_r1" ]; then
		# the fixed part's difference, and a round's cost after the first
		fixed=$(awk -v a="$(med "$t_gb_r1")" -v b="$(med "$t_xgb_r1")" 'BEGIN { printf "%+.3f s", a - b }')
		per=$(awk -v a="$(med "$t_gb")" -v a1="$(med "$t_gb_r1")" -v b="$(med "$t_xgb")" \
			-v b1="$(med "$t_xgb_r1")" -v n="$GB_ROUNDS" \
			'BEGIN { printf "%.1f ms / %.1f ms", 1000 * (a - a1) / (n - 1), 1000 * (b - b1) / (n - 1) }')
		echo "| the same, one round each (the fixed cost: reading, matrix, round 0, model) | ml-train / xgboost | $(med_secs "$t_gb_r1") / $(med_secs "$t_xgb_r1") | ml-train − xgboost = $fixed; a round after the first: $per | (for comparison) | |"
	fi
	if [ -n "$t_xgb_ml" ]; then
		r=$(ratio "$(med "$t_xgb_ml")" "$(med "$t_xgb_gen")")
		echo "| the CLI on ml-train's column order / on the generator's ($SLOW_RUNS runs each, alternating) | xgboost (CLI) | $(med_secs "$t_xgb_ml") / $(med_secs "$t_xgb_gen") | = ${r}x | (for comparison) | |"
	fi
	if [ -n "$t_gb1" ]; then
		r=$(ratio "$(med "$t_gb1")" "$(med "$t_xgb1")")
		echo "| the same, one thread each (1 run) | ml-train --threads 1 / xgboost nthread=1 | $(med_secs "$t_gb1") / $(med_secs "$t_xgb1") | ml-train / xgboost = ${r}x | (for comparison) | |"
	fi
	if [ -n "$xgb_own_kb" ]; then
		r=$(ratio "$(med "$t_gb")" "$(med "$t_probe")")
		echo "| XGBoost alone on ml-train's matrix (its C API from Python: the matrix, the labels, $GB_ROUNDS rounds) | libxgboost | $(secs "$t_probe") | ml-train / backend = ${r}x | (for comparison) | |"
	fi
	echo "| score $n_train records with a logistic bundle | ml-predict | $(secs "$t_pred") | | | |"
	r=$(ratio "$(med "$t_jq")" "$(med "$t_pred")")
	echo "| pass the same records through | jq -c . | $(secs "$t_jq") | jq / ml-predict = ${r}x | ml-predict ≥ 5x faster | $(verdict "$r >= 5") |"
	r=$(ratio "$(med "$t_pred_gb")" "$(med "$t_pred")")
	echo "| score them with the gbdt bundle | ml-predict | $(secs "$t_pred_gb") | / logistic = ${r}x | (for comparison) | |"
	mem_row "peak memory, training logistic" "$(kib "$r_lr")" "$ll_own_kb" "liblinear's own"
	mem_row "peak memory, training gbdt" "$(kib "$r_gb")" "$xgb_own_kb" "XGBoost's own"
	echo "| peak memory, training logistic from libsvm | liblinear-train | $(mib "$(kib "$r_ll")") | | (for comparison) | |"
	echo "| peak memory, training gbdt from libsvm | xgboost (CLI) | $(mib "$(kib "$r_xgb")") | | (for comparison) | |"
	echo "| peak memory, scoring $n_train records | ml-predict | $(mib "$(kib "$r_pred")") | | (for comparison) | |"
} > "$TABLE"

NOTE=$TMP/note
{
	printf 'CPU time (user + system, mean of the runs): ml-train logistic %.3f s, liblinear-train %.3f s, ml-train gbdt %.3f s, xgboost %.3f s, ml-predict logistic %.3f s, jq %.3f s, ml-predict gbdt %.3f s.' \
		"$(cpu "$t_lr")" "$(cpu "$t_ll")" "$(cpu "$t_gb")" "$(cpu "$t_xgb")" \
		"$(cpu "$t_pred")" "$(cpu "$t_jq")" "$(cpu "$t_pred_gb")"
	printf ' Fastest runs: ml-train logistic %.3f s, liblinear %.3f s; ml-train gbdt %.3f s, xgboost %.3f s; ml-predict %.3f s, jq %.3f s.' \
		"$(echo "$t_lr" | cut -d ' ' -f 2)" "$(echo "$t_ll" | cut -d ' ' -f 2)" \
		"$(echo "$t_gb" | cut -d ' ' -f 2)" "$(echo "$t_xgb" | cut -d ' ' -f 2)" \
		"$(echo "$t_pred" | cut -d ' ' -f 2)" "$(echo "$t_jq" | cut -d ' ' -f 2)"
	printf ' Peak-memory runs (wall, CPU): ml-train logistic %.2f s, %.2f s; ml-train gbdt %.2f s, %.2f s.' \
		"$(echo "$r_lr" | cut -d ' ' -f 2)" "$(echo "$r_lr" | cut -d ' ' -f 3)" \
		"$(echo "$r_gb" | cut -d ' ' -f 2)" "$(echo "$r_gb" | cut -d ' ' -f 3)"
	echo ""
} > "$NOTE"

say ""
cat "$TABLE"
say ""
cat "$NOTE" >&2

[ "${BENCH_NO_DOC:-}" = 1 ] && exit 0

# --- docs/BENCHMARKS.md ---------------------------------------------------
load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo unknown)
SECTION=$TMP/body
{
	doc_head "Training and scoring: ml-train and ml-predict against liblinear, XGBoost and jq" \
		"load average (1, 5, 15 min) $LOAD0 when the timing began, $LOAD_GB before the gbdt pair, $LOAD_GB2 after it, $LOAD1 after the peak-memory runs, $load at the end (a shared machine: other work runs alongside)"
	echo "- Tools: $(ver bin/ml-train --version), $(ver bin/ml-predict --version), liblinear-tools $(pkgver liblinear-tools), xgboost $(pkgver xgboost) (CLI; libxgboost0 $(pkgver libxgboost0)), $(ver jq --version), scikit-learn $("$PY" -c 'import sklearn; print(sklearn.__version__)') (AUC), $(ver "$CC" --version)."
	echo "- Timing: $TIMER ($RUNS runs after 1 warm-up; the runs of each training pair alternate, ml-train then its rival, each timed on its own, and the ratio of the two medians decides, \"run by run\" giving the median and range of the ratios of the runs taken in turn; jq $SLOW_RUNS runs, no warm-up, the file being in the page cache by then; the one-thread pair 1 run each). Peak memory: GNU time \`%M\`, one run. Both gbdt programs use every core by default (XGBoost's OpenMP), so their times move with the load far more than the single-threaded ones."
	echo "- Data: \`$BUILD/gen-train $ROWS $TEST_ROWS $SEED $TDIR\` → \`$TRAIN\` ($n_train records, $(bytes "$TRAIN") bytes) and the held-out \`$TEST\` ($n_test records): six numbers (age, income, balance, score, tenure, rate), three strings (plan: 5 values, region: 12, channel: 60, of which \`--max-categories 20\` keeps 20 and folds the rest into \"other\"), a boolean (promo), ~2% nulls in each, and the target churn (0/1, $ones ones): a latent score of the true values — linear terms, a threshold on rate, a square of score, an age × score interaction, per-category effects and a promo × plan interaction — plus normal noise, thresholded at 0."
	echo "- The same rows for the other programs, written by the generator: \`train-lr.svm\` standardised (population mean and standard deviation of the training values as floats, missing = 0, the mean) with one-hot strings, exactly ml-train's logistic encoding, zeros left out as ml-train leaves them out of liblinear's rows, and liblinear's bias as ml-train sets it (\`-B 1\`; C 1, eps 0.01 are ml-train's defaults); \`train-gb.svm\` raw numbers (0 written, missing left out) with one-hot strings whose zeros are left out (XGBoost reads them as missing: the natural sparse input, the same splits), as ml-train hands XGBoost its sparse matrix (a number that is there, the lit column of a string). The script checks that both bundles' \`preprocess.json\` is the generator's encoding ($ncols columns; the gbdt bundle's features compared as a set, ml-train ordering a tree model's features its own way, numbers spread among the categories: the CLI reads the generator's order, and the row \"the CLI on ml-train's column order\" times it on ml-train's too). Test AUCs: ml-predict's probabilities, \`liblinear-predict -b 1\`, \`xgboost task=pred\`, by scikit-learn's \`roc_auc_score\`."
	echo "- Memory: the matrix is $n_train records × $ncols encoded columns × 4 bytes ($(mib "$matrix_kb")). liblinear's own is computed from its allocations: ml-train's copy of the rows in liblinear's format ($nnz_lr non-zeros × 16 bytes, plus a bias and an end node and a pointer per row) and, inside \`train()\`, 52 bytes per row (row pointers twice, labels, permutation, the solver's C, z and D). XGBoost's own is measured: the peak resident size of a Python process that loads ml-train's gbdt matrix (\`$GBX\`, rebuilt from train-gb.svm with NaN where a number is missing) and then makes ml-train's calls through ctypes (\`XGDMatrixCreateFromMat\`, labels, the booster, $GB_ROUNDS \`XGBoosterUpdateOneIter\`), minus its size before the first call."
	echo ""
	cat "$TABLE"
	echo ""
	cat "$NOTE"
	echo ""
} > "$SECTION"
write_doc '<!-- bench:train:begin -->' '<!-- bench:train:end -->' "$SECTION"
